//! Tests of the multi-site combination (`super`): the seeds' ratios pooled site by site, and properties.

use super::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

/// A valid FINESS number for `seed` (the key digit found by trying the ten).
fn finess(seed: u32) -> Finess {
    let base = format!("75{:06}", seed % 1_000_000);
    (0..10)
        .find_map(|k| Finess::parse(&format!("{base}{k}")).ok())
        .unwrap()
}

fn rate(n: i64, d: i64) -> Rate {
    Rate::proportion(Decimal::from(n), Decimal::from(d)).unwrap()
}

fn aphp() -> (LegalEntity, Vec<SiteRate>) {
    // RPPS on prescriptions, « 6% à 53% selon les sites », 36 % overall: a large
    // site at 53 % and a small one at 6 % pool to 36 %, not to their 29.5 % mean.
    let entity = LegalEntity::new(
        Finess::parse("750712184").unwrap(),
        vec![finess(1), finess(2), finess(3)],
    )
    .unwrap();
    let values = vec![
        SiteRate {
            finess_geographique: finess(1),
            taux: rate(5_300, 10_000),
        },
        SiteRate {
            finess_geographique: finess(2),
            taux: rate(300, 5_000),
        },
        SiteRate {
            finess_geographique: finess(3),
            taux: rate(1_600, 5_000),
        },
    ];
    (entity, values)
}

#[test]
fn entity_rate_is_pooled_not_a_mean_of_rates() {
    let (entity, values) = aphp();
    let r = entity.rate(&values).unwrap();
    assert_eq!(
        (r.taux.numerator(), r.taux.denominator()),
        (dec!(7_200), dec!(20_000))
    );
    assert_eq!(r.taux.percent(), dec!(36));
    let mean_of_rates = (dec!(53) + dec!(6) + dec!(32)) / dec!(3);
    assert_ne!(r.taux.percent(), mean_of_rates);
    assert!(r.sites_sans_valeur.is_empty());
    // A site without a value is reported, not counted as zero.
    let r = entity.rate(&values[..2]).unwrap();
    assert_eq!(r.sites_sans_valeur, vec![finess(3)]);
    assert_eq!(r.taux.percent(), dec!(5_600) * dec!(100) / dec!(15_000));
}

#[test]
fn sites_keep_their_values_for_benchmarking() {
    let (_, values) = aphp();
    let ranked = rank_sites(&values, Better::Higher);
    let order: Vec<_> = ranked
        .iter()
        .map(|r| (r.finess_geographique, r.rang))
        .collect();
    assert_eq!(order, vec![(finess(1), 1), (finess(3), 2), (finess(2), 3)]);
    assert_eq!(ranked[0].ecart_entite_points, dec!(17));
    assert_eq!(ranked[2].ecart_entite_points, dec!(-30));
    let lower = rank_sites(&values, Better::Lower);
    assert_eq!(lower[0].finess_geographique, finess(2));
    // Equal rates share a rank, compared exactly (1/3 = 2/6).
    let ties = vec![
        SiteRate {
            finess_geographique: finess(4),
            taux: rate(1, 3),
        },
        SiteRate {
            finess_geographique: finess(5),
            taux: rate(2, 6),
        },
        SiteRate {
            finess_geographique: finess(6),
            taux: rate(1, 2),
        },
    ];
    let ranks: Vec<_> = rank_sites(&ties, Better::Higher)
        .iter()
        .map(|r| r.rang)
        .collect();
    assert_eq!(ranks, vec![1, 2, 2]);
}

#[test]
fn inconsistent_entities_are_rejected() {
    let juridique = Finess::parse("750712184").unwrap();
    assert_eq!(
        LegalEntity::new(juridique, vec![]),
        Err(MultisiteError::NoSite(juridique))
    );
    assert!(LegalEntity::new(juridique, vec![finess(1), finess(1)]).is_err());
    let (entity, mut values) = aphp();
    values.push(SiteRate {
        finess_geographique: finess(9),
        taux: rate(1, 2),
    });
    assert_eq!(
        entity.rate(&values),
        Err(MultisiteError::UnknownSite {
            entity: juridique,
            site: finess(9)
        })
    );
    let (entity, mut values) = aphp();
    values.push(values[0]);
    assert_eq!(
        entity.rate(&values),
        Err(MultisiteError::DuplicateValue(finess(1)))
    );
    assert_eq!(entity.rate(&[]), Err(MultisiteError::NoValue(juridique)));
}

fn f(s: &str) -> Finess {
    Finess::parse(s).unwrap()
}

fn first_of_kind(kind: crate::grid::referentiel::Kind) -> Indicator {
    crate::grid::referentiel::builtin_by_id("occitanie-2018")
        .and_then(|r| r.indicators.iter().find(|i| i.kind == kind).cloned())
        .unwrap()
}

#[test]
fn sites_are_pooled_not_averaged() {
    let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
    let r1 = Rate::proportion(Decimal::from(1), Decimal::from(2)).unwrap();
    let r2 = Rate::proportion(Decimal::from(90), Decimal::from(100)).unwrap();
    let got = combine(
        e,
        &[
            (a, Entry::Value(Value::Proportion(r1))),
            (b, Entry::Value(Value::Proportion(r2))),
        ],
    )
    .unwrap()
    .unwrap();
    let Entry::Value(Value::Proportion(p)) = got else {
        panic!("{got:?}")
    };
    assert_eq!(
        (p.numerator(), p.denominator()),
        (Decimal::from(91), Decimal::from(102))
    );
}

#[test]
fn words_take_the_least_favourable_site_and_declarations_must_agree() {
    use crate::grid::referentiel::Applicability;
    let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
    let got = combine(
        e,
        &[
            (a, Entry::Value(Value::Yes)),
            (b, Entry::Value(Value::InProgress)),
        ],
    )
    .unwrap();
    assert_eq!(got, Some(Entry::Value(Value::InProgress)));
    let nc = Entry::Declared(Applicability::Nc);
    let nm = Entry::Declared(Applicability::Nm);
    assert_eq!(combine(e, &[(a, nc), (b, nc)]).unwrap(), Some(nc));
    assert!(combine(e, &[(a, nc), (b, nm)]).is_err());
    assert_eq!(combine(e, &[]).unwrap(), None);
}

/// Issue 9, « parsed once »: a value stored typed and read again (possibly by an
/// indicator of another kind, another grid, another year's context or another number
/// of sites) gives exactly what parsing its typed text again would give: the same
/// entry, or a refusal on the same field. Every combination of kind, état des lieux
/// kind and numerator-alone flag, on texts of every shape.
#[test]
fn rereading_a_stored_entry_equals_parsing_its_text_again() {
    use crate::grid::referentiel::Kind;
    let kinds = [
        Kind::Proportion,
        Kind::Growth,
        Kind::Ratio,
        Kind::YesNo,
        Kind::Document,
        Kind::TriState,
    ];
    let mut variants = Vec::new();
    for kind in kinds {
        for baseline_kind in std::iter::once(None).chain(kinds.map(Some)) {
            for alone in [false, true] {
                let mut ind = first_of_kind(Kind::Proportion);
                ind.kind = kind;
                ind.baseline_kind = baseline_kind;
                ind.numerator_alone_at_baseline = alone;
                variants.push(ind);
            }
        }
    }
    let texts: &[(Option<&str>, Option<&str>, Option<&str>)] = &[
        (Some("12"), Some("100"), None),
        (Some("12,5"), Some("100"), None),
        (Some("150"), Some("100"), None),
        (Some("0"), Some("0"), None),
        (Some("0"), Some("7"), None),
        (Some("1200"), None, None),
        (None, None, Some("45,5")),
        (None, None, Some("12.50")),
        (None, None, Some("-2,2")),
        (None, None, Some("0")),
        (None, None, Some("100")),
        (None, None, Some("150")),
        (None, None, Some("OUI")),
        (None, None, Some("non")),
        (None, None, Some("EN_COURS")),
        (None, None, Some("EN COURS")),
        (None, None, Some("NC")),
        (None, None, Some("NM")),
    ];
    // What each text becomes when imported by any variant, in any context.
    let mut stored: Vec<(usize, Entry)> = Vec::new();
    for (t, (n, d, v)) in texts.iter().enumerate() {
        for a in &variants {
            for baseline in [false, true] {
                if let Ok(e) = parse_unit_entry(a, baseline, false, *n, *d, *v)
                    && !stored.contains(&(t, e))
                {
                    stored.push((t, e));
                }
            }
        }
    }
    assert!(stored.len() > 25, "{}", stored.len());
    let mut compared = 0;
    for (t, e) in &stored {
        let (n, d, v) = texts[*t];
        for b in &variants {
            for baseline in [false, true] {
                for multi in [false, true] {
                    let again = parse_unit_entry(b, baseline, multi, n, d, v);
                    let reread = read_unit_entry(b, baseline, multi, *e);
                    match (&again, &reread) {
                        (Ok(x), Ok(y)) => assert_eq!(x, y, "{:?} {e:?} {b:?}", texts[*t]),
                        (Err(x), Err(y)) => {
                            assert_eq!(x.field, y.field, "{:?} {e:?}", texts[*t])
                        }
                        _ => panic!(
                            "{:?} stored as {e:?}, read by {:?}/{:?} (état des lieux {baseline}, multi {multi}): {again:?} vs {reread:?}",
                            texts[*t], b.kind, b.baseline_kind
                        ),
                    }
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 5_000, "{compared}");
}

#[test]
fn a_bare_percentage_is_refused_for_a_multi_site_entity_only() {
    let ind = first_of_kind(crate::grid::referentiel::Kind::Proportion);
    assert!(parse_site_entry(&ind, false, None, None, Some("45,5")).is_ok());
    let err = parse_site_entry(&ind, true, None, None, Some("45,5")).unwrap_err();
    assert!(err.message.contains("plusieurs sites"), "{err}");
    assert!(parse_site_entry(&ind, true, Some("3"), Some("4"), None).is_ok());
    assert!(parse_site_entry(&ind, true, None, None, Some("NC")).is_ok());
}

fn ratio(n: i64, d: i64) -> Entry {
    Entry::Value(Value::Ratio(
        Rate::new(Decimal::from(n), Decimal::from(d)).unwrap(),
    ))
}

fn grid_indicator(code: &str) -> Indicator {
    crate::grid::referentiel::builtin_by_id("occitanie-2018")
        .and_then(|r| r.indicator(code).cloned())
        .unwrap()
}

#[test]
fn ii_04_is_pooled_from_ddj_and_patient_days_of_both_years() {
    // Issue 9, W6: site A 100 000 JH, 330 → 300 DDJ/1000 JH (33 000 → 30 000 DDJ);
    // site B 1 000 JH, 600 → 900 DDJ/1000 JH (600 → 900 DDJ).
    let ind = grid_indicator("II-04");
    assert!(ind.year_over_year);
    let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
    let entity = LegalEntity::new(e, vec![a, b]).unwrap();
    let current = [(a, ratio(30_000, 100_000)), (b, ratio(900, 1_000))];
    let previous = [(a, ratio(33_000, 100_000)), (b, ratio(600, 1_000))];
    let line = pool_line(&ind, &entity, &current, &previous, Some(dec!(1))).unwrap();
    let Some(Entry::Value(Value::Ratio(r))) = line.entry else {
        panic!("{line:?}")
    };
    // (30 900 / 101 000) / (33 600 / 101 000) = 30 900 / 33 600 = 0,9196… → 0,92, met (≤ 1).
    assert_eq!(r.numerator() / r.denominator(), dec!(30_900) / dec!(33_600));
    assert_eq!(crate::rate::round_half_away(r.value(), 3), dec!(0.920));
    assert_eq!(
        Value::Ratio(r).reaches(dec!(1), crate::grid::referentiel::Direction::LowerIsBetter),
        Some(true)
    );
    // Today's reading pooled the sites' rates: (300 + 900) / (330 + 600) = 1,29, not met.
    let rt = |n: i64, d: i64| Rate::new(Decimal::from(n), Decimal::from(d)).unwrap();
    let wrong = Rate::pooled([rt(300, 330), rt(900, 600)].iter()).unwrap();
    assert_eq!(crate::rate::round_half_away(wrong.value(), 2), dec!(1.29));
    assert!(line.missing_sites.is_empty());
    // Sites: A 300/330 = 0,909 (rank 1, reaches 1), B 900/600 = 1,5 (rank 2, misses).
    let a_line = &line.sites[0];
    assert_eq!((a_line.rank, a_line.reaches_target), (Some(1), Some(true)));
    assert_eq!(
        crate::rate::round_half_away(a_line.gap.unwrap(), 4),
        dec!(-0.0106) // 0,909091 − 0,919643 = −0,010552
    );
    let b_line = &line.sites[1];
    assert_eq!((b_line.rank, b_line.reaches_target), (Some(2), Some(false)));
    assert_eq!(
        crate::rate::round_half_away(b_line.gap.unwrap(), 4),
        dec!(0.5804) // 1,5 − 0,91964
    );
}

#[test]
fn a_missing_site_leaves_the_line_incomplete_and_is_named() {
    let ind = grid_indicator("II-01");
    let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
    let entity = LegalEntity::new(e, vec![a, b]).unwrap();
    let prop = |n: i64, d: i64| {
        Entry::Value(Value::Proportion(
            Rate::proportion(Decimal::from(n), Decimal::from(d)).unwrap(),
        ))
    };
    let line = pool_line(&ind, &entity, &[(a, prop(40, 50))], &[], Some(dec!(50))).unwrap();
    // B is missing: no entity value (so 0 point), B named; A still shown (80 % ≥ 50).
    assert_eq!(line.entry, None);
    assert_eq!(line.missing_sites, vec![b]);
    assert_eq!(line.sites[1].missing, Some(Missing::NoRow));
    assert_eq!(line.sites[0].reaches_target, Some(true));
    assert_eq!(line.sites[0].rank, Some(1));
    assert_eq!(line.sites[0].gap, None);
    // Both given: 40/50 and 10/50 pool to 50/100 = 50 %, met; gaps +30 and −30 points.
    let line = pool_line(
        &ind,
        &entity,
        &[(a, prop(40, 50)), (b, prop(10, 50))],
        &[],
        Some(dec!(50)),
    )
    .unwrap();
    let Some(Entry::Value(v)) = line.entry else {
        panic!("{line:?}")
    };
    assert_eq!(v.number(), Some(dec!(50)));
    assert_eq!(line.sites[0].gap, Some(dec!(30)));
    assert_eq!(line.sites[1].gap, Some(dec!(-30)));
    assert_eq!(line.sites[1].reaches_target, Some(false));
    // A site of another entity is refused.
    assert!(pool_line(&ind, &entity, &[(e, prop(1, 2))], &[], None).is_err());
}

#[test]
fn growth_is_pooled_from_amounts_and_year_n_minus_1_is_required_for_ii_04() {
    let ind = grid_indicator("IV-01");
    let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
    let entity = LegalEntity::new(e, vec![a, b]).unwrap();
    let growth = |n: i64, d: i64| {
        Entry::Value(Value::Growth(
            Rate::new(Decimal::from(n), Decimal::from(d)).unwrap(),
        ))
    };
    // A +10 % on 1 000 000 €, B −50 % on 100 000 €: (1 100 000 + 50 000) / 1 100 000 − 1
    // = +4,545… %, not the mean of the rates (−20 %).
    let line = pool_line(
        &ind,
        &entity,
        &[
            (a, growth(1_100_000, 1_000_000)),
            (b, growth(50_000, 100_000)),
        ],
        &[],
        Some(dec!(4)),
    )
    .unwrap();
    let Some(Entry::Value(v)) = line.entry else {
        panic!("{line:?}")
    };
    assert_eq!(
        crate::rate::round_half_away(v.number().unwrap(), 3),
        dec!(4.545)
    );
    // II-04 with year N−1 missing for B: incomplete, B missing for that reason.
    let ii04 = grid_indicator("II-04");
    let line = pool_line(
        &ii04,
        &entity,
        &[(a, ratio(30_000, 100_000)), (b, ratio(900, 1_000))],
        &[(a, ratio(33_000, 100_000))],
        None,
    )
    .unwrap();
    assert_eq!(line.entry, None);
    assert_eq!(line.missing_sites, vec![b]);
    assert_eq!(line.sites[1].missing, Some(Missing::NoPreviousYear));
    assert_eq!(
        unit_entry(&ii04, Some(&ratio(5, 10)), Some(&ratio(0, 10))),
        Err(Missing::ZeroPreviousYear)
    );
    // A single unit: 300 DDJ over 1 000 JH after 330 over 1 100 → 0,3 / 0,3 = 1.
    let Ok(Entry::Value(v)) = unit_entry(&ii04, Some(&ratio(300, 1_000)), Some(&ratio(330, 1_100)))
    else {
        panic!()
    };
    assert_eq!(v.number(), Some(dec!(1)));
}

proptest! {
    #[test]
    fn pooled_rate_lies_between_the_sites_rates(parts in proptest::collection::vec((0u32..10_000, 1u32..10_000), 1..12)) {
        let values: Vec<SiteRate> = parts
            .iter()
            .enumerate()
            .map(|(i, (n, d))| SiteRate {
                finess_geographique: finess(i as u32 + 1),
                taux: Rate::new(Decimal::from(*n), Decimal::from(*d)).unwrap(),
            })
            .collect();
        let entity = LegalEntity::new(Finess::parse("750712184").unwrap(), values.iter().map(|v| v.finess_geographique).collect()).unwrap();
        let pooled = entity.rate(&values).unwrap().taux;
        let min = values.iter().map(|v| v.taux).min_by(cmp_rates).unwrap();
        let max = values.iter().map(|v| v.taux).max_by(cmp_rates).unwrap();
        prop_assert!(cmp_rates(&min, &pooled) != Ordering::Greater);
        prop_assert!(cmp_rates(&pooled, &max) != Ordering::Greater);
        let ranked = rank_sites(&values, Better::Higher);
        prop_assert_eq!(ranked.len(), values.len());
        prop_assert!(ranked.windows(2).all(|w| cmp_rates(&w[0].taux, &w[1].taux) != Ordering::Less && w[0].rang <= w[1].rang));
    }
}
