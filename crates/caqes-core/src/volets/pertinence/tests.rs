//! Tests of the volet pertinence (`super`): the exact tests, the funnel limits and the targeting.

use super::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn rate(n: i64, d: i64) -> Rate {
    Rate::new(Decimal::from(n), Decimal::from(d)).unwrap()
}

#[test]
fn ln_factorial_matches_exact_values() {
    assert_eq!(ln_factorial(0), 0.0);
    assert!((ln_factorial(10) - 3_628_800f64.ln()).abs() < 1e-12);
    // Around the switch to Stirling's series.
    let exact: f64 = (2..=40u64).map(|i| (i as f64).ln()).sum();
    assert!((ln_factorial(40) - exact).abs() < 1e-10);
}

#[test]
fn binomial_tails_match_a_hand_computed_case() {
    // Binomial(10, 0.5): P(X ≥ 9) = 11/1024, P(X ≤ 1) = 11/1024.
    let d = Distribution::binomial(10, 0.5);
    let (lower, upper) = d.tails(9);
    assert!((upper - 11.0 / 1024.0).abs() < 1e-12);
    assert!((lower - 1023.0 / 1024.0).abs() < 1e-12); // 1 − P(X = 10)
    // 95 %: α/2 = 0.025 → upper limit 9 (P(X ≥ 9) = 0.0107; P(X ≥ 8) = 0.0547).
    assert_eq!(d.limits(0.025), (Some(1), Some(9)));
}

#[test]
fn poisson_tails_match_a_hand_computed_case() {
    // Poisson(1): P(X = 0) = e^-1, P(X ≥ 4) = 1 − e^-1 (1 + 1 + 1/2 + 1/6).
    let d = Distribution::poisson(1.0);
    let e1 = (-1.0f64).exp();
    assert!((d.tails(0).0 - e1).abs() < 1e-12);
    assert!((d.tails(4).1 - (1.0 - e1 * (8.0 / 3.0))).abs() < 1e-12);
    // No count can be significantly low when P(X = 0) = 0.37.
    assert_eq!(d.limits(0.001).0, None);
}

#[test]
fn high_proportion_is_targeted_and_reported() {
    // Regional reference 20 % (2 000 ambulatory-eligible stays kept in hospital out
    // of 10 000); the establishment: 90 out of 300 (30 %).
    let p = PertinenceParameters::default();
    let t = proportion_test(&p, 90, 300, &rate(2_000, 10_000)).unwrap();
    assert_eq!(t.methode, TestMethod::BinomialeExacte);
    assert!((t.attendu - 60.0).abs() < 1e-9);
    assert!((t.z_score - 30.0 / 48f64.sqrt()).abs() < 1e-9);
    assert_eq!(t.sens, Direction::AuDessus);
    assert_eq!(t.alerte.franchie, Direction::AuDessus);
    assert_eq!(t.ciblage.franchie, Direction::AuDessus);
    assert!(t.cible);
    assert!(t.p_valeur_bilaterale < 0.002);
    // The limits bracket the expected count and the 99.8 % ones are wider.
    let (a_lo, a_hi) = (
        t.alerte.limite_basse.unwrap(),
        t.alerte.limite_haute.unwrap(),
    );
    let (c_lo, c_hi) = (
        t.ciblage.limite_basse.unwrap(),
        t.ciblage.limite_haute.unwrap(),
    );
    assert!(c_lo < a_lo && a_lo < 60 && 60 < a_hi && a_hi < c_hi && c_hi <= 90);
    // Normal approximation as a sanity check: 60 ± 3.09 × √48 ≈ [38.6, 81.4].
    assert!(
        (38..=40).contains(&c_lo) && (81..=83).contains(&c_hi),
        "{c_lo} {c_hi}"
    );
}

#[test]
fn alert_without_targeting_and_direction_filter() {
    let p = PertinenceParameters {
        sens_ciblage: Some(SensCiblage::Bilateral),
        ..PertinenceParameters::default()
    };
    // z ≈ 2.4: beyond 95 % but within 99.8 %.
    let t = proportion_test(&p, 77, 300, &rate(1, 5)).unwrap();
    assert_eq!(
        (t.alerte.franchie, t.ciblage.franchie, t.cible),
        (Direction::AuDessus, Direction::DansLesLimites, false)
    );
    // Significantly low: targeted bilaterally, not when only over-use is targeted.
    let t = proportion_test(&p, 30, 300, &rate(1, 5)).unwrap();
    assert_eq!(
        (t.sens, t.ciblage.franchie, t.cible),
        (Direction::EnDessous, Direction::EnDessous, true)
    );
    let above_only = PertinenceParameters {
        sens_ciblage: Some(SensCiblage::AuDessus),
        ..p.clone()
    };
    assert!(
        !proportion_test(&above_only, 30, 300, &rate(1, 5))
            .unwrap()
            .cible
    );
}

#[test]
fn direction_follows_the_theme_then_the_measure() {
    // D10 (annex 5): « une proportion élevée » targets a proportion from above only,
    // « un écart significatif » a count both ways; a theme may say its own side.
    let p = PertinenceParameters::default();
    let low =
        |params: &PertinenceParameters| proportion_test(params, 30, 300, &rate(1, 5)).unwrap();
    let plain = low(&p);
    assert_eq!(
        (plain.ciblage.franchie, plain.cible),
        (Direction::EnDessous, false)
    );
    assert!(proportion_test(&p, 90, 300, &rate(1, 5)).unwrap().cible);
    // The ambulatory surgery rate is atypical when low (default `sens_par_theme`),
    // whatever the case of its label.
    for theme in ["Chirurgie ambulatoire", " chirurgie AMBULATOIRE "] {
        let themed = p.for_theme(theme, MeasureKind::Proportion);
        assert!(low(&themed).cible, "{theme}");
        assert!(
            !proportion_test(&themed, 90, 300, &rate(1, 5))
                .unwrap()
                .cible,
            "{theme}"
        );
    }
    // A count: 0 stays for 20 expected is an « écart significatif » too.
    let ratio = p.for_theme("Cholécystectomie", MeasureKind::Ratio);
    assert_eq!(ratio.sens_ciblage, Some(SensCiblage::Bilateral));
    assert!(ratio_test(&ratio, 0, Decimal::from(20)).unwrap().cible);
    // The grid's single direction applies to the themes without their own.
    let single = PertinenceParameters {
        sens_ciblage: Some(SensCiblage::Bilateral),
        ..p.clone()
    };
    assert_eq!(
        single.sens_for("Césarienne", MeasureKind::Proportion),
        SensCiblage::Bilateral
    );
    assert_eq!(
        single.sens_for("Chirurgie ambulatoire", MeasureKind::Proportion),
        SensCiblage::EnDessous
    );
}

#[test]
fn recourse_ratio_uses_exact_poisson_limits() {
    let p = PertinenceParameters::default();
    // Expected 4.2 stays by indirect standardisation on two age bands.
    let young = rate(1, 1_000);
    let old = rate(5, 1_000);
    let expected = expected_count([(dec!(1_200), &young), (dec!(600), &old)]);
    assert_eq!(expected, dec!(4.2));
    let t = ratio_test(&p, 14, expected).unwrap();
    assert_eq!(t.methode, TestMethod::PoissonExacte);
    assert!((t.taux_observe - 14.0 / 4.2).abs() < 1e-12);
    // P(X ≥ 14 | 4.2) ≈ 1.6e-4 < 0.001: targeted; 10 is only an alert.
    assert!(t.cible && t.p_valeur_bilaterale < 0.002);
    let t = ratio_test(&p, 10, expected).unwrap();
    assert_eq!((t.alerte.franchie, t.cible), (Direction::AuDessus, false));
    // A small expected count can never be significantly low.
    assert_eq!(
        ratio_test(&p, 0, expected).unwrap().ciblage.limite_basse,
        None
    );
    assert!(ratio_test(&p, 1, dec!(0)).is_err());
    assert!(ratio_test(&p, 1, dec!(1e12)).is_err());
}

#[test]
fn invalid_test_inputs() {
    let p = PertinenceParameters::default();
    assert!(proportion_test(&p, 1, 0, &rate(1, 2)).is_err());
    assert!(proportion_test(&p, 3, 2, &rate(1, 2)).is_err());
    assert!(proportion_test(&p, 1, 2, &rate(0, 2)).is_err());
    assert!(proportion_test(&p, 1, 2, &rate(2, 2)).is_err());
}

#[test]
fn large_populations_stay_accurate() {
    // n = 2 000 000, p0 = 0.3: the exact limits agree with the normal ones.
    let p = PertinenceParameters::default();
    let t = proportion_test(&p, 600_000, 2_000_000, &rate(3, 10)).unwrap();
    assert_eq!(t.sens, Direction::DansLesLimites);
    assert!(!t.cible);
    let sd = (2e6f64 * 0.3 * 0.7).sqrt();
    let hi = t.ciblage.limite_haute.unwrap() as f64;
    assert!((hi - (600_000.0 + 3.09 * sd)).abs() < 3.0, "{hi}");
}

fn eval_input(
    met: bool,
    kind: PertinenceSanctionKind,
    objectives: Vec<Objective>,
) -> PertinenceEvaluationInput {
    PertinenceEvaluationInput {
        objectif_principal_atteint: met,
        objectifs_complementaires: objectives,
        nature_sanction: kind,
        plafond_interessement: Euros(dec!(100_000)),
        produits_am: Euros(dec!(40_000_000)),
    }
}

#[test]
fn main_objective_triggers_and_complementary_ones_modulate() {
    let p = PertinenceParameters::default();
    let objs = vec![
        Objective::met("a", true),
        Objective::met("b", false),
        Objective::met("c", false),
        Objective::met("d", false),
    ];
    // Met, 1 complementary out of 4: 100 000 × (0.5 + 0.5 × 0.25) = 62 500.
    let r = evaluate(
        &p,
        &eval_input(true, PertinenceSanctionKind::Retenue, objs.clone()),
    )
    .unwrap();
    match r.consequence {
        PertinenceConsequence::Interessement(prop) => {
            assert_eq!(prop.amount(), Euros(dec!(62_500)))
        }
        other => panic!("{other:?}"),
    }
    // Not met, retention: 400 000 × (0.5 + 0.5 × 0.75) = 350 000.
    let r = evaluate(
        &p,
        &eval_input(false, PertinenceSanctionKind::Retenue, objs.clone()),
    )
    .unwrap();
    match r.consequence {
        PertinenceConsequence::Retenue(prop) => {
            assert_eq!(
                (prop.ceiling(), prop.amount()),
                (Euros(dec!(400_000)), Euros(dec!(350_000)))
            )
        }
        other => panic!("{other:?}"),
    }
    // No complementary objective: full ceiling.
    let r = evaluate(
        &p,
        &eval_input(false, PertinenceSanctionKind::Retenue, vec![]),
    )
    .unwrap();
    assert_eq!(r.modulation, Decimal::ONE);
    // MSAP: a duration, no amount, at most 6 months.
    let r = evaluate(
        &p,
        &eval_input(
            false,
            PertinenceSanctionKind::Msap { duree_mois: 6 },
            objs.clone(),
        ),
    )
    .unwrap();
    assert_eq!(r.consequence, PertinenceConsequence::Msap { duree_mois: 6 });
    assert_eq!(
        evaluate(
            &p,
            &eval_input(false, PertinenceSanctionKind::Msap { duree_mois: 7 }, objs)
        ),
        Err(VoletError::MsapDuration { got: 7, max: 6 })
    );
}

proptest! {
    #[test]
    fn amounts_stay_within_ceilings(met: bool, flags in proptest::collection::vec(any::<bool>(), 0..6), part in 0u32..=100) {
        let p = PertinenceParameters { part_modulee_pct: Decimal::from(part), ..PertinenceParameters::default() };
        let objs = flags.iter().enumerate().map(|(i, f)| Objective::met(format!("o{i}"), *f)).collect();
        let r = evaluate(&p, &eval_input(met, PertinenceSanctionKind::Retenue, objs)).unwrap();
        prop_assert!(r.modulation >= Decimal::ZERO && r.modulation <= Decimal::ONE);
        match r.consequence {
            PertinenceConsequence::Interessement(prop) | PertinenceConsequence::Retenue(prop) => {
                prop_assert!(prop.amount() <= prop.ceiling());
            }
            PertinenceConsequence::Msap { .. } => prop_assert!(false),
        }
    }

    #[test]
    fn more_events_never_lower_the_upper_tail(n in 1u64..500, k in 0u64..500, p0 in 1u32..999) {
        let k = k.min(n);
        let d = Distribution::binomial(n, f64::from(p0) / 1000.0);
        prop_assert!(d.tails(k).1 + 1e-12 >= d.tails(k.saturating_add(1)).1);
        // Limits are consistent with the tails they come from.
        if let (_, Some(h)) = d.limits(0.001) {
            prop_assert!(d.tails(h).1 <= 0.001);
        }
    }
}

#[test]
fn msap_decision_is_bounded_by_the_contract_and_motivated_when_shorter() {
    let d = MsapDecision::new(6, 6, None).unwrap();
    assert_eq!(d.months(), 6);
    // Notified on 15 March 2019 for 6 months: to 14 September 2019 included.
    let p = d.period(jiff::civil::date(2019, 3, 15)).unwrap();
    assert_eq!(p.start, jiff::civil::date(2019, 3, 15));
    assert_eq!(p.end, jiff::civil::date(2019, 9, 14));
    // No 31 February 2020: the period ends on the last day of February (leap year).
    let p = msap_period(jiff::civil::date(2019, 8, 31), 6).unwrap();
    assert_eq!(p.end, jiff::civil::date(2020, 2, 29));
    // From the 1st: to the end of the previous month.
    let p = msap_period(jiff::civil::date(2019, 3, 1), 3).unwrap();
    assert_eq!(p.end, jiff::civil::date(2019, 5, 31));
    let p = msap_period(jiff::civil::date(2019, 1, 31), 3).unwrap();
    assert_eq!(p.end, jiff::civil::date(2019, 4, 30));
    assert_eq!(
        MsapDecision::new(4, 5, Some("plus long")),
        Err(VoletError::MsapAboveProposal {
            got: 5,
            proposed: 4
        })
    );
    assert_eq!(
        MsapDecision::new(6, 3, Some("  ")),
        Err(VoletError::MsapMotivationRequired {
            got: 3,
            proposed: 6
        })
    );
    let waived = MsapDecision::new(6, 0, Some("plan d'actions engagé")).unwrap();
    assert_eq!(waived.period(jiff::civil::date(2019, 3, 15)), None);
    assert_eq!(waived.motivation(), Some("plan d'actions engagé"));
}
