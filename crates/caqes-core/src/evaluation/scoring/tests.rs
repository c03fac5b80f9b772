//! Tests of the scoring (`super`) against the seeds' numbers, and properties
//! (regressions replayed from `proptest-regressions/evaluation/scoring/tests.txt`).

use super::*;
use crate::grid::referentiel::builtin_by_id;
use crate::grid::referentiel::{ClassRule, Kind, Redistribution};
use crate::grid::value::parse_entry;
use crate::rate::{Rate, round_half_away};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn grid() -> Referentiel {
    builtin_by_id("occitanie-2018").unwrap()
}

fn entries(r: &Referentiel, rows: &[(&str, &str)]) -> BTreeMap<String, Entry> {
    rows.iter()
        .map(|(code, v)| {
            let ind = r.indicator(code).unwrap();
            let e = match v.split_once('/') {
                Some((n, d)) => parse_entry(ind, Some(n), Some(d), None),
                None => parse_entry(ind, None, None, Some(v)),
            }
            .unwrap();
            (code.to_string(), e)
        })
        .collect()
}

/// A value meeting every concerned indicator in the état des lieux year.
fn everything(r: &Referentiel) -> Vec<(String, String)> {
    r.indicators
        .iter()
        .map(|i| {
            let v = match i.kind {
                Kind::Proportion | Kind::Ratio | Kind::Growth => "50/100",
                _ => "OUI",
            };
            (i.code.clone(), v.to_string())
        })
        .collect()
}

fn i08_target() -> BTreeMap<String, Decimal> {
    [("I-08".to_string(), dec!(40))].into()
}

fn all_entries(r: &Referentiel) -> BTreeMap<String, Entry> {
    let rows = everything(r);
    let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    entries(r, &refs)
}

#[test]
fn everything_provided_in_2018_scores_100_plus_4_for_mco_public() {
    let r = grid();
    // I-08 of a MCO public is compared in 2018 with the target of the dialogue de
    // gestion, which only the contract gives.
    let s = score(
        &r,
        Category::McoPublicEspic,
        2018,
        &all_entries(&r),
        &i08_target(),
    );
    assert_eq!(s.score, dec!(100));
    assert_eq!(s.bonus, dec!(4));
    assert_eq!(s.total, dec!(104));
    assert!(s.evaluable);
}

#[test]
fn every_category_reaches_exactly_100_when_everything_is_met() {
    let r = grid();
    for cat in Category::EVERY {
        let s = score(&r, cat, 2018, &all_entries(&r), &i08_target());
        assert_eq!(s.score, dec!(100), "{cat}");
        let max: Decimal = s
            .lines
            .iter()
            .filter(|l| !l.bonus)
            .map(|l| l.max_points)
            .sum();
        assert_eq!(round_half_away(max, 10), dec!(100), "{cat}");
    }
}

#[test]
fn mco_prive_redistributes_the_20_phev_points_proportionally() {
    // NM on III-01 (4), III-03 (4), IV-01 (2), IV-02 (6), IV-03 (6): 22 points freed,
    // 78 remain; VI-01 (10 points) is worth 10 × 100 / 78 = 12.82.
    let r = grid();
    let e = entries(&r, &[("VI-01", "OUI")]);
    let s = score(&r, Category::McoPrive, 2018, &e, &BTreeMap::new());
    let vi = s.lines.iter().find(|l| l.code == "VI-01").unwrap();
    assert_eq!(round_half_away(vi.max_points, 2), dec!(12.82));
    assert_eq!(round_half_away(s.score, 2), dec!(12.82));
    let phev = s.lines.iter().find(|l| l.code == "IV-02").unwrap();
    assert_eq!(
        (phev.status, phev.max_points, phev.met),
        (Applicability::Nm, dec!(0), None)
    );
}

#[test]
fn equal_method_splits_freed_points_evenly() {
    let mut r = grid();
    r.redistribution = Redistribution::Equal;
    // MCO privé: 22 freed points over the 28 concerned non-bonus indicators with points
    // (29 concerned minus I-01 at 0 point): VI-01 is worth 10 + 22/28 = 10.79.
    let e = entries(&r, &[("VI-01", "OUI")]);
    let s = score(&r, Category::McoPrive, 2018, &e, &BTreeMap::new());
    assert_eq!(round_half_away(s.score, 2), dec!(10.79));
    let s = score(
        &r,
        Category::McoPrive,
        2018,
        &all_entries(&r),
        &BTreeMap::new(),
    );
    assert_eq!(s.score, dec!(100));
}

#[test]
fn declared_nc_redistributes_and_values_of_nc_indicators_are_ignored() {
    let r = grid();
    let mut e = entries(&r, &[("VI-01", "OUI"), ("V-01", "NC"), ("I-06", "10/20")]);
    // SSR: I-06 NC by category (value ignored with a warning).
    let s = score(&r, Category::SsrPublicEspic, 2018, &e, &BTreeMap::new());
    assert!(
        s.warnings.iter().any(|w| w.starts_with("I-06")),
        "{:?}",
        s.warnings
    );
    // SSR NC on I-06 (3), I-07 (1), part V (18): 78 remain → 10 × 100 / 78.
    assert_eq!(round_half_away(s.score, 2), dec!(12.82));
    // MCO public declaring V-01 NC: 98 remain → 10 × 100 / 98 = 10.20.
    e.remove("I-06");
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &BTreeMap::new());
    assert_eq!(round_half_away(s.score, 2), dec!(10.20));
    let v01 = s.lines.iter().find(|l| l.code == "V-01").unwrap();
    assert_eq!(v01.status, Applicability::Nc);
}

#[test]
fn targets_apply_after_the_baseline_year() {
    let r = grid();
    // II-02 (lower is better, 1 point) at 10 % against a target of 10: met (equality).
    let e = entries(&r, &[("II-02", "3/30"), ("II-01", "49/100")]);
    let t: BTreeMap<String, Decimal> = [
        ("II-02".to_string(), dec!(10)),
        ("II-01".to_string(), dec!(50)),
    ]
    .into();
    let s = score(&r, Category::McoPublicEspic, 2019, &e, &t);
    let line = |c: &str| s.lines.iter().find(|l| l.code == c).unwrap().clone();
    assert_eq!(line("II-02").met, Some(true));
    assert_eq!(line("II-01").met, Some(false));
    assert_eq!(s.score, dec!(1));
    // In 2018 the same values are met because they are provided.
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &t);
    assert_eq!(s.score, dec!(6));
}

#[test]
fn en_cours_earns_half_and_non_earns_nothing() {
    let r = grid();
    let s = score(
        &r,
        Category::McoPublicEspic,
        2018,
        &entries(&r, &[("IV-04", "EN_COURS")]),
        &BTreeMap::new(),
    );
    assert_eq!(s.score, dec!(2));
    assert_eq!(
        s.lines.iter().find(|l| l.code == "IV-04").unwrap().met,
        Some(false)
    );
    let s = score(
        &r,
        Category::McoPublicEspic,
        2018,
        &entries(&r, &[("IV-04", "NON")]),
        &BTreeMap::new(),
    );
    assert_eq!(s.score, dec!(0));
}

#[test]
fn bonus_is_lost_when_not_concerned() {
    let r = grid();
    let e = entries(&r, &[("I-12", "1/2"), ("V-06", "OUI")]);
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &BTreeMap::new());
    assert_eq!((s.score, s.bonus), (dec!(0), dec!(4)));
    let s = score(&r, Category::PsyPrive, 2018, &e, &BTreeMap::new());
    assert_eq!(s.bonus, dec!(2));
}

use crate::grid::value::{NcDeclaration, Review, parse_entry_in};

fn line<'a>(s: &'a Score, code: &str) -> &'a Line {
    s.lines.iter().find(|l| l.code == code).unwrap()
}

fn nc(motive: &str, review: Review) -> Given {
    Given::new(Entry::Declared(Applicability::Nc))
        .with_declaration(NcDeclaration::new(motive, review).unwrap())
}

#[test]
fn nm_comes_from_the_category_only() {
    // W4: a MCO public declaring NM on its 35 other indicators and VI-01 OUI scored 100.
    // NM is not applied to a concerned indicator: VI-01 earns its 10 points of 100.
    let r = grid();
    let mut e: BTreeMap<String, Entry> = r
        .indicators
        .iter()
        .map(|i| (i.code.clone(), Entry::Declared(Applicability::Nm)))
        .collect();
    e.insert("VI-01".into(), Entry::Value(Value::Yes));
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &BTreeMap::new());
    assert_eq!(s.score, dec!(10));
    assert_eq!(line(&s, "II-01").status, Applicability::Concerned);
    assert_eq!(line(&s, "II-01").explanation.rule, Rule::MissingValue);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.starts_with("II-01 : NM ne se déclare pas"))
    );
}

#[test]
fn nc_carries_its_motive_and_review() {
    let r = grid();
    let mut g: BTreeMap<String, Given> =
        [("VI-01".to_string(), Given::new(Entry::Value(Value::Yes)))].into();
    // Accepted NC on V-01 (2 points): 98 remain, VI-01 = 10 × 100 / 98 = 10.204…
    g.insert(
        "V-01".into(),
        nc("aucune dépense de liste en sus", Review::Accepted),
    );
    let s = evaluate(&r, Category::McoPublicEspic, 2018, &g, &BTreeMap::new());
    assert_eq!(round_half_away(s.score, 2), dec!(10.20));
    let v01 = line(&s, "V-01");
    assert_eq!(
        (v01.status, v01.explanation.rule),
        (Applicability::Nc, Rule::NcDeclared)
    );
    assert_eq!(
        v01.explanation.declaration.as_ref().map(|d| d.motive()),
        Some("aucune dépense de liste en sus")
    );
    // Refused: V-01 stays concerned, earns 0; VI-01 = 10 of 100.
    g.insert("V-01".into(), nc("aucune dépense", Review::Refused));
    let s = evaluate(&r, Category::McoPublicEspic, 2018, &g, &BTreeMap::new());
    assert_eq!(s.score, dec!(10));
    assert_eq!(line(&s, "V-01").status, Applicability::Concerned);
    assert!(NcDeclaration::new("  ", Review::Accepted).is_err());
}

#[test]
fn nothing_concerned_has_no_score() {
    // W5: every concerned indicator of a dialysis centre declared NC (accepted): no score,
    // not 0, and nothing on the sanction scale.
    let r = grid();
    let g: BTreeMap<String, Given> = r
        .indicators
        .iter()
        .map(|i| (i.code.clone(), nc("activité arrêtée", Review::Accepted)))
        .collect();
    let s = evaluate(&r, Category::Dialyse, 2019, &g, &BTreeMap::new());
    assert!(!s.evaluable);
    assert_eq!(
        (s.value(), s.total_value(), s.scale_score(true)),
        (None, None, None)
    );
    // One concerned indicator with points is enough to be evaluable (score 0).
    let mut g = g;
    g.remove("VI-01");
    let s = evaluate(&r, Category::Dialyse, 2019, &g, &BTreeMap::new());
    assert_eq!(s.value(), Some(dec!(0)));
    assert_eq!(line(&s, "VI-01").max_points, dec!(100));
}

#[test]
fn after_the_baseline_the_default_target_applies_or_the_target_is_missing() {
    // W3, 2019, MCO public, no contracted target.
    let r = grid();
    let e = entries(
        &r,
        &[
            ("III-01", "48/100"),
            ("II-04", "95/100"),
            ("I-05", "99/100"),
            ("V-01", "103/100"),
        ],
    );
    let s = score(&r, Category::McoPublicEspic, 2019, &e, &BTreeMap::new());
    // III-01 48 % against the 2019 default 49 %: not met.
    let l = line(&s, "III-01");
    assert_eq!(
        (l.target, l.met, l.explanation.target_origin),
        (Some(dec!(49)), Some(false), Some(TargetOrigin::Referentiel))
    );
    // II-04 0.95 against « nul ou négatif » (ratio ≤ 1): met, 1 point.
    let l = line(&s, "II-04");
    assert_eq!(
        (l.target, l.met, l.points),
        (Some(dec!(1)), Some(true), dec!(1))
    );
    // V-01 +3 % against 3,0 %: met (equality), 2 points.
    assert_eq!(line(&s, "V-01").met, Some(true));
    // I-05 has no default: « cible manquante », 0 point, met unknown, a warning.
    let l = line(&s, "I-05");
    assert_eq!((l.target, l.met, l.points), (None, None, dec!(0)));
    assert_eq!(l.explanation.rule, Rule::TargetMissing);
    assert_eq!(l.explanation.target_origin, Some(TargetOrigin::Missing));
    assert!(
        s.warnings
            .iter()
            .any(|w| w.starts_with("I-05 : cible manquante pour 2019"))
    );
    // Without a value there is nothing to judge: no warning, not met.
    let l = line(&s, "I-09");
    assert_eq!(
        (l.met, l.explanation.rule),
        (Some(false), Rule::MissingValue)
    );
    assert!(!s.warnings.iter().any(|w| w.starts_with("I-09")));
    // 1 + 2 = 3 of 100 (nothing redistributed).
    assert_eq!(s.score, dec!(3));
    // A contracted target wins over the default: III-01 against 45 → met, 4 points.
    let t: BTreeMap<String, Decimal> = [("III-01".to_string(), dec!(45))].into();
    let s = score(&r, Category::McoPublicEspic, 2019, &e, &t);
    let l = line(&s, "III-01");
    assert_eq!(
        (l.met, l.explanation.target_origin),
        (Some(true), Some(TargetOrigin::Contract))
    );
    assert_eq!(s.score, dec!(7));
}

#[test]
fn baseline_year_compares_where_the_grid_fixes_a_2018_target() {
    // W1: IV-01 at +10 % against the 2018 default 4 %: not met (was full points).
    let r = grid();
    let e = entries(
        &r,
        &[
            ("IV-01", "110/100"),
            ("V-01", "104.1/100"),
            ("V-02", "106/100"),
        ],
    );
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &BTreeMap::new());
    assert_eq!(line(&s, "IV-01").met, Some(false));
    assert_eq!(line(&s, "IV-01").target, Some(dec!(4)));
    // V-01 +4,1 % ≤ 4,1 %: met (2); V-02 +6 % > 5,8 %: not met.
    assert_eq!(line(&s, "V-01").met, Some(true));
    assert_eq!(line(&s, "V-02").met, Some(false));
    assert_eq!(s.score, dec!(2));
    // III-01 of a MCO public: 45,5 % in 2018 (44/100 not met); of a SSR public: the act.
    let e = entries(&r, &[("III-01", "44/100")]);
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &BTreeMap::new());
    assert_eq!((line(&s, "III-01").met, s.score), (Some(false), dec!(0)));
    let s = score(&r, Category::SsrPublicEspic, 2018, &e, &BTreeMap::new());
    let l = line(&s, "III-01");
    assert_eq!(
        (l.met, l.explanation.rule, l.explanation.target_origin),
        (Some(true), Rule::BaselineAct, None)
    );
    // I-08 of a MCO public without the dialogue de gestion's target: cible manquante.
    let e = entries(&r, &[("I-08", "90/100")]);
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &BTreeMap::new());
    assert_eq!(line(&s, "I-08").explanation.rule, Rule::TargetMissing);
    let s = score(&r, Category::HadSansPui, 2018, &e, &BTreeMap::new());
    assert_eq!(line(&s, "I-08").explanation.rule, Rule::BaselineAct);
}

#[test]
fn baseline_words_and_numerator_alone() {
    let r = grid();
    let ind = |c: &str| r.indicator(c).unwrap().clone();
    // W8: III-04 « capacité à calculer le ratio OUI/NON » in 2018.
    let oui = parse_entry_in(&ind("III-04"), true, None, None, Some("OUI")).unwrap();
    let non = parse_entry_in(&ind("III-05"), true, None, None, Some("non")).unwrap();
    assert!(parse_entry_in(&ind("III-04"), false, None, None, Some("OUI")).is_err());
    // M1: I-01 « Fournir le numérateur » in 2018 only.
    let num = parse_entry_in(&ind("I-01"), true, Some("1200"), None, None).unwrap();
    assert_eq!(num, Entry::Value(Value::Numerator(dec!(1200))));
    assert!(parse_entry_in(&ind("I-01"), false, Some("1200"), None, None).is_err());
    let e: BTreeMap<String, Entry> = [
        ("III-04".to_string(), oui),
        ("III-05".to_string(), non),
        ("I-01".to_string(), num),
    ]
    .into();
    let s = score(&r, Category::McoPublicEspic, 2018, &e, &BTreeMap::new());
    assert_eq!(line(&s, "III-04").met, Some(true));
    assert_eq!(line(&s, "III-05").met, Some(false));
    assert_eq!(line(&s, "I-01").met, Some(true));
    // III-04 OUI 1 point; I-01 is worth 0 point.
    assert_eq!(s.score, dec!(1));
}

#[test]
fn explanation_states_factor_and_points_at_stake() {
    // MCO privé: 22 points NM, factor 100 / 78; VI-01 10 → 12.82.
    let r = grid();
    let g: BTreeMap<String, Given> = [(
        "VI-01".to_string(),
        Given::new(Entry::Value(Value::Yes)).at_line(7),
    )]
    .into();
    let s = evaluate(&r, Category::McoPrive, 2018, &g, &BTreeMap::new());
    let l = line(&s, "VI-01");
    assert_eq!(round_half_away(l.explanation.factor, 4), dec!(1.2821));
    assert_eq!(l.explanation.grid_points, dec!(10));
    assert_eq!(l.explanation.source_line, Some(7));
    assert_eq!(l.explanation.rule, Rule::YesNo);
    let text = l.explanation.text(l, 2018);
    assert!(
        text.contains("en jeu après répartition 12,82 (facteur 1,28)"),
        "{text}"
    );
    assert_eq!(line(&s, "IV-02").explanation.rule, Rule::NmCategory);
}

#[test]
fn small_samples_are_flagged() {
    // M4: II-02 on 20 files: admissible only if exhaustive (warning); 30 files: fine.
    let r = grid();
    let s = score(
        &r,
        Category::McoPublicEspic,
        2018,
        &entries(&r, &[("II-02", "2/20")]),
        &BTreeMap::new(),
    );
    assert!(line(&s, "II-02").explanation.small_sample);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.starts_with("II-02 : échantillon de moins de 30"))
    );
    let s = score(
        &r,
        Category::McoPublicEspic,
        2018,
        &entries(&r, &[("II-02", "2/30")]),
        &BTreeMap::new(),
    );
    assert!(!line(&s, "II-02").explanation.small_sample);
}

fn arbitrary_values() -> impl Strategy<Value = Vec<(u8, u32, u32)>> {
    // Per indicator: 0 missing, 1 NC declared, 2 NM declared, 3 value/word.
    proptest::collection::vec((0u8..4, 0u32..200, 1u32..200), 36)
}

fn build(r: &Referentiel, spec: &[(u8, u32, u32)]) -> BTreeMap<String, Entry> {
    r.indicators
        .iter()
        .zip(spec)
        .filter_map(|(ind, (mode, a, b))| {
            let e = match mode {
                0 => return None,
                1 => Entry::Declared(Applicability::Nc),
                2 => Entry::Declared(Applicability::Nm),
                _ => Entry::Value(match ind.kind {
                    Kind::Proportion => {
                        let (n, d) = (a.min(b), a.max(b).max(&1));
                        Value::Proportion(Rate::proportion((*n).into(), (*d).into()).unwrap())
                    }
                    Kind::Growth => Value::Growth(Rate::new((*a).into(), (*b).into()).unwrap()),
                    Kind::Ratio => Value::Ratio(Rate::new((*a).into(), (*b).into()).unwrap()),
                    Kind::TriState => [Value::Yes, Value::No, Value::InProgress][(a % 3) as usize],
                    _ => {
                        if a % 2 == 0 {
                            Value::Yes
                        } else {
                            Value::No
                        }
                    }
                }),
            };
            Some((ind.code.clone(), e))
        })
        .collect()
}

fn targets(r: &Referentiel, t: u32) -> BTreeMap<String, Decimal> {
    r.indicators
        .iter()
        .filter(|i| i.is_numeric())
        .map(|i| (i.code.clone(), Decimal::from(t % 100)))
        .collect()
}

proptest! {
    #[test]
    fn score_is_within_bounds_and_maxima_sum_to_100(
        spec in arbitrary_values(), cat in 0usize..9, year in 2018i16..2022, t in 0u32..100,
        equal in any::<bool>()
    ) {
        let mut r = grid();
        if equal { r.redistribution = Redistribution::Equal; }
        let s = score(&r, Category::ALL[cat], year, &build(&r, &spec), &targets(&r, t));
        prop_assert!(s.score >= Decimal::ZERO && s.score <= dec!(100));
        prop_assert!(s.bonus >= Decimal::ZERO && s.bonus <= dec!(4));
        let max: Decimal = s.lines.iter().filter(|l| !l.bonus).map(|l| l.max_points).sum();
        let any_concerned = s.lines.iter().any(|l| !l.bonus && l.status == Applicability::Concerned && !l.max_points.is_zero());
        if any_concerned {
            prop_assert_eq!(round_half_away(max, 10), dec!(100));
        }
        for l in &s.lines {
            prop_assert!(l.points <= l.max_points);
        }
    }

    #[test]
    fn declaring_nc_never_lowers_another_maximum_and_nm_changes_nothing(
        spec in arbitrary_values(), cat in 0usize..9, which in 0usize..36, nm in any::<bool>(),
        equal in any::<bool>()
    ) {
        let mut r = grid();
        if equal { r.redistribution = Redistribution::Equal; }
        let mut e = build(&r, &spec);
        let code = r.indicators[which].code.clone();
        if nm {
            // NM comes from the category: declaring it is the same as giving nothing.
            e.insert(code.clone(), Entry::Declared(Applicability::Nm));
            let with_nm = score(&r, Category::ALL[cat], 2018, &e, &BTreeMap::new());
            e.remove(&code);
            let without = score(&r, Category::ALL[cat], 2018, &e, &BTreeMap::new());
            for (a, b) in with_nm.lines.iter().zip(&without.lines) {
                prop_assert_eq!((a.status, a.max_points, a.points), (b.status, b.max_points, b.points), "{}", a.code);
            }
            return Ok(());
        }
        let before = score(&r, Category::ALL[cat], 2018, &e, &BTreeMap::new());
        e.insert(code.clone(), Entry::Declared(Applicability::Nc));
        let after = score(&r, Category::ALL[cat], 2018, &e, &BTreeMap::new());
        for (b, a) in before.lines.iter().zip(&after.lines) {
            if b.code != code && a.status == Applicability::Concerned {
                prop_assert!(a.max_points >= b.max_points, "{}: {} < {}", a.code, a.max_points, b.max_points);
            }
        }
    }

    #[test]
    fn score_is_monotonic_in_each_value(
        spec in arbitrary_values(), cat in 0usize..9, which in 0usize..36, t in 0u32..100,
        num in 0u32..100, extra in 1u32..50
    ) {
        // Improving one indicator's value in its good direction never lowers the score.
        let r = grid();
        let ind = &r.indicators[which];
        prop_assume!(matches!(ind.kind, Kind::Proportion | Kind::Growth | Kind::Ratio));
        let mut e = build(&r, &spec);
        let den = Decimal::from(100u32);
        let (worse, better) = match ind.direction {
            crate::grid::referentiel::Direction::HigherIsBetter => (num, (num + extra).min(100)),
            crate::grid::referentiel::Direction::LowerIsBetter => ((num + extra).min(100), num),
        };
        let make = |n: u32| match ind.kind {
            Kind::Proportion => Value::Proportion(Rate::proportion(n.into(), den).unwrap()),
            Kind::Growth => Value::Growth(Rate::new(n.into(), den).unwrap()),
            _ => Value::Ratio(Rate::new(n.into(), den).unwrap()),
        };
        let t = targets(&r, t);
        e.insert(ind.code.clone(), Entry::Value(make(worse)));
        let low = score(&r, Category::ALL[cat], 2019, &e, &t);
        e.insert(ind.code.clone(), Entry::Value(make(better)));
        let high = score(&r, Category::ALL[cat], 2019, &e, &t);
        prop_assert!(high.score >= low.score);
    }
}

/// Entries of III-02's classes (D5), with the parent's kind; `NC` carries its motive.
fn class_given(r: &Referentiel, rows: &[(&str, &str)]) -> BTreeMap<String, Given> {
    rows.iter()
        .map(|(code, v)| {
            let line = r.line_of(code).and_then(|n| r.line_at(n)).unwrap();
            let g = if *v == "NC" {
                Given::new(Entry::Declared(Applicability::Nc)).with_declaration(
                    NcDeclaration::new("aucune prescription de la classe", Review::Accepted)
                        .unwrap(),
                )
            } else {
                let (n, d) = v.split_once('/').unwrap();
                Given::new(parse_entry(line.indicator, Some(n), Some(d), None).unwrap())
            };
            (code.to_string(), g)
        })
        .collect()
}

#[test]
fn iii_02_is_computed_per_class_with_equal_shares() {
    // MCO public, 2019: nothing is NC/NM by category, III-02 is worth its 4 points.
    // EPO 30/100 ≥ its target 25: met; ANTI-TNF 10/100 < 20: not met; INSULINE-GLARGINE
    // NC (not prescribed): left out; G-CSF 50/100 against III-02's own target 40: met.
    // 3 concerned classes, 2 met: 4 × 2/3 = 2.67 points, each class worth 4/3 = 1.33.
    let r = grid();
    let given = class_given(
        &r,
        &[
            ("III-02/EPO", "30/100"),
            ("III-02/ANTI-TNF", "10/100"),
            ("III-02/INSULINE-GLARGINE", "NC"),
            ("III-02/G-CSF", "50/100"),
        ],
    );
    let targets: BTreeMap<String, Decimal> = [
        ("III-02/EPO".to_string(), dec!(25)),
        ("III-02/ANTI-TNF".to_string(), dec!(20)),
        ("III-02".to_string(), dec!(40)),
    ]
    .into();
    let s = evaluate(&r, Category::McoPublicEspic, 2019, &given, &targets);
    let l = line(&s, "III-02");
    assert_eq!(l.explanation.rule, Rule::PerClass);
    assert_eq!(l.max_points, dec!(4));
    assert_eq!(round_half_away(l.points, 2), dec!(2.67));
    assert_eq!(l.met, Some(false));
    let c = &l.explanation.classes;
    assert_eq!(c.len(), 4);
    assert_eq!(
        c.iter().map(|c| c.met).collect::<Vec<_>>(),
        [Some(true), Some(false), None, Some(true)]
    );
    assert_eq!(c[0].target, Some(dec!(25)));
    assert_eq!(c[3].target, Some(dec!(40)));
    assert_eq!(c[3].target_origin, Some(TargetOrigin::Contract));
    assert_eq!(c[2].status, Applicability::Nc);
    assert_eq!(round_half_away(c[0].max_points.unwrap(), 2), dec!(1.33));
    assert_eq!(c[1].points, Some(dec!(0)));
    // III-02 is the only line earning anything.
    assert_eq!(round_half_away(s.score, 2), dec!(2.67));
    let text = l.explanation.text(l, 2019);
    assert!(text.contains("2 classe(s) atteinte(s) sur 3"), "{text}");
    assert!(
        text.contains("Insuline glargine : non concernée (NC)"),
        "{text}"
    );
}

#[test]
fn all_classes_rule_earns_only_when_every_concerned_class_is_met() {
    let mut r = grid();
    let i = r
        .indicators
        .iter()
        .position(|i| i.code == "III-02")
        .unwrap();
    r.indicators[i].class_rule = ClassRule::AllClasses;
    let targets: BTreeMap<String, Decimal> = [("III-02".to_string(), dec!(40))].into();
    let mut rows = vec![
        ("III-02/EPO", "50/100"),
        ("III-02/ANTI-TNF", "39/100"),
        ("III-02/INSULINE-GLARGINE", "NC"),
        ("III-02/G-CSF", "40/100"),
    ];
    let s = evaluate(
        &r,
        Category::McoPublicEspic,
        2019,
        &class_given(&r, &rows),
        &targets,
    );
    assert_eq!(line(&s, "III-02").points, dec!(0));
    assert_eq!(line(&s, "III-02").explanation.classes[0].points, None);
    rows[1] = ("III-02/ANTI-TNF", "40/100");
    let s = evaluate(
        &r,
        Category::McoPublicEspic,
        2019,
        &class_given(&r, &rows),
        &targets,
    );
    assert_eq!(line(&s, "III-02").points, dec!(4));
    assert_eq!(line(&s, "III-02").met, Some(true));
}

#[test]
fn every_class_nc_makes_the_indicator_nc_and_spreads_its_points() {
    // MCO public: III-02's 4 points freed, 96 remain: VI-01 (10) is worth 10 × 100/96.
    let r = grid();
    let mut given = class_given(
        &r,
        &[
            ("III-02/EPO", "NC"),
            ("III-02/ANTI-TNF", "NC"),
            ("III-02/INSULINE-GLARGINE", "NC"),
            ("III-02/G-CSF", "NC"),
        ],
    );
    given.insert("VI-01".into(), Given::new(Entry::Value(Value::Yes)));
    let s = evaluate(&r, Category::McoPublicEspic, 2019, &given, &BTreeMap::new());
    let l = line(&s, "III-02");
    assert_eq!(
        (l.status, l.explanation.rule),
        (Applicability::Nc, Rule::NcDeclared)
    );
    assert_eq!(
        l.explanation.declaration.as_ref().map(|d| d.motive()),
        Some("aucune prescription de la classe")
    );
    assert_eq!(
        round_half_away(line(&s, "VI-01").max_points, 2),
        dec!(10.42)
    );
}

#[test]
fn one_value_for_all_classes_is_scored_as_before_with_a_warning() {
    let r = grid();
    let e = entries(&r, &[("III-02", "45/100")]);
    let t: BTreeMap<String, Decimal> = [("III-02".to_string(), dec!(40))].into();
    let s = score(&r, Category::McoPublicEspic, 2019, &e, &t);
    let l = line(&s, "III-02");
    assert_eq!(
        (l.explanation.rule, l.points),
        (Rule::TargetCompared, dec!(4))
    );
    assert!(l.explanation.classes.is_empty());
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("séparément par classe"))
    );
}

#[test]
fn classes_in_the_baseline_year_and_without_target() {
    let r = grid();
    // 2018, III-02 « fournir le taux initial »: two classes of four provided → 2 points.
    let rows = [("III-02/EPO", "1/10"), ("III-02/G-CSF", "3/10")];
    let s = evaluate(
        &r,
        Category::McoPublicEspic,
        2018,
        &class_given(&r, &rows),
        &i08_target(),
    );
    let l = line(&s, "III-02");
    assert_eq!(l.points, dec!(2));
    assert_eq!(l.explanation.classes[0].rule, Rule::BaselineValue);
    assert_eq!(l.explanation.classes[1].rule, Rule::MissingValue);
    // 2019 without any target: the classes given are « cible manquante », warned.
    let s = evaluate(
        &r,
        Category::McoPublicEspic,
        2019,
        &class_given(&r, &rows),
        &BTreeMap::new(),
    );
    let l = line(&s, "III-02");
    assert_eq!((l.points, l.met), (dec!(0), Some(false)));
    assert_eq!(l.explanation.classes[0].rule, Rule::TargetMissing);
    assert_eq!(l.explanation.classes[0].met, None);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.starts_with("III-02/EPO : cible manquante"))
    );
    let missing = s.missing_targets();
    assert!(missing.contains(&"III-02/EPO") && missing.contains(&"III-02/G-CSF"));
}
