//! Scoring of the volet obligatoire for one establishment and one year.
//!
//! The seed's rule (ARS Occitanie, annexe 1): "100 points + 4 points bonus ; si NC ou NM,
//! le poids des indicateurs est réparti de façon homogène sur les autres indicateurs".
//!
//! - Status: the category's applicability, unless the establishment declares the
//!   indicator `NC`/`NM` for the year (only a concerned indicator can be declared; a value
//!   given for an NC/NM indicator is ignored with a warning).
//! - Maximum points: with the proportional method, each concerned non-bonus indicator is
//!   worth `points × R / S` where `R` is the grid's total (100) and `S` the sum of the
//!   points of the concerned non-bonus indicators; with the equal method, the points freed
//!   by NC/NM indicators are split equally among the concerned non-bonus indicators that
//!   carry points. Bonus indicators keep their points when concerned, else are worth 0.
//! - Met: in the état des lieux year a numeric indicator is met when provided; later, when
//!   it reaches its target (≥ or ≤ by direction, equality met), or when provided if it
//!   has no target. Yes/no and document indicators need `OUI`; `EN_COURS` earns half.
//!   A missing value earns 0.
//!
//! Exactness: every maximum is a fraction over one common denominator (`S` or the count
//! of indicators sharing the freed points), and the score is the sum of the numerators
//! divided once. A fully met grid therefore scores exactly 100, never 99.999…; rounding
//! to 2 decimals happens only for display.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::category::Category;
use crate::referentiel::{Applicability, Indicator, Kind, Redistribution, Referentiel};
use crate::value::{Entry, Value};

/// The result for one establishment and one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Non-bonus points earned, 0 to the grid's total (100).
    pub score: Decimal,
    /// Bonus points earned.
    pub bonus: Decimal,
    /// `score + bonus`.
    pub total: Decimal,
    /// One line per indicator, in the grid's order.
    pub lines: Vec<Line>,
    /// Things the user should know (values ignored, targets ignored...), in French.
    pub warnings: Vec<String>,
}

/// One indicator's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub code: String,
    pub bonus: bool,
    pub status: Applicability,
    /// Maximum after redistribution.
    pub max_points: Decimal,
    pub points: Decimal,
    /// The entry used (a value for a concerned indicator; the declaration for NC/NM ones).
    pub entry: Option<Entry>,
    pub target: Option<Decimal>,
    /// `None` when the indicator is NC/NM.
    pub met: Option<bool>,
}

/// How much of an indicator's maximum is earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Earned {
    All,
    Half,
    Nothing,
}

/// Scores one establishment of `category` for `year`.
///
/// `entries` and `targets` are keyed by indicator code; codes unknown to the grid are
/// reported as warnings (the CSV readers reject them earlier with a line number).
pub fn score(
    referentiel: &Referentiel,
    category: Category,
    year: i16,
    entries: &BTreeMap<String, Entry>,
    targets: &BTreeMap<String, Decimal>,
) -> Score {
    let mut warnings = Vec::new();
    for code in entries.keys().chain(targets.keys()) {
        if referentiel.indicator(code).is_none() {
            warnings.push(format!(
                "indicateur {code} inconnu du référentiel {} : ignoré",
                referentiel.id
            ));
        }
    }

    let statuses: Vec<Applicability> = referentiel
        .indicators
        .iter()
        .map(|ind| status_of(ind, category, entries.get(&ind.code), &mut warnings))
        .collect();

    let weights = Weights::new(referentiel, &statuses);
    let mut lines = Vec::with_capacity(referentiel.indicators.len());
    let mut earned_numerator = Decimal::ZERO;
    let mut bonus = Decimal::ZERO;
    for (ind, status) in referentiel.indicators.iter().zip(statuses) {
        let entry = entries.get(&ind.code).copied();
        let target = targets.get(&ind.code).copied();
        if status != Applicability::Concerned {
            lines.push(Line {
                code: ind.code.clone(),
                bonus: ind.bonus,
                status,
                max_points: Decimal::ZERO,
                points: Decimal::ZERO,
                entry: entry.filter(|e| matches!(e, Entry::Declared(_))),
                target,
                met: None,
            });
            continue;
        }
        let value = match entry {
            Some(Entry::Value(v)) => Some(v),
            _ => None,
        };
        if target.is_some() && !ind.is_numeric() {
            warnings.push(format!(
                "{} : une cible chiffrée ne s'applique pas à un indicateur {} ; ignorée",
                ind.code,
                ind.kind.code()
            ));
        }
        let earned = earned(ind, year, referentiel.baseline_year, value, target);
        let numerator = weights.numerator(ind);
        let share = match earned {
            Earned::All => numerator,
            Earned::Half => numerator / Decimal::TWO,
            Earned::Nothing => Decimal::ZERO,
        };
        let (max_points, points) = if ind.bonus {
            bonus += share;
            (numerator, share)
        } else {
            earned_numerator += share;
            (numerator / weights.denominator, share / weights.denominator)
        };
        lines.push(Line {
            code: ind.code.clone(),
            bonus: ind.bonus,
            status,
            max_points,
            points,
            entry: value.map(Entry::Value),
            target,
            met: Some(earned == Earned::All),
        });
    }
    let score = earned_numerator / weights.denominator;
    Score {
        score,
        bonus,
        total: score + bonus,
        lines,
        warnings,
    }
}

fn status_of(
    ind: &Indicator,
    category: Category,
    entry: Option<&Entry>,
    warnings: &mut Vec<String>,
) -> Applicability {
    let by_category = ind.applicability(category);
    match (by_category, entry) {
        (Applicability::Concerned, Some(Entry::Declared(declared))) => *declared,
        (Applicability::Concerned, _) => Applicability::Concerned,
        (fixed, Some(Entry::Value(_))) => {
            warnings.push(format!(
                "{} : indicateur {} pour la catégorie {category} ; la valeur fournie est ignorée",
                ind.code,
                fixed.code()
            ));
            fixed
        }
        (fixed, Some(Entry::Declared(declared))) if *declared != fixed => {
            warnings.push(format!(
                "{} : déclaré {} mais {} pour la catégorie {category} ; le statut de la catégorie s'applique",
                ind.code,
                declared.code(),
                fixed.code()
            ));
            fixed
        }
        (fixed, _) => fixed,
    }
}

fn earned(
    ind: &Indicator,
    year: i16,
    baseline_year: i16,
    value: Option<Value>,
    target: Option<Decimal>,
) -> Earned {
    let Some(value) = value else {
        return Earned::Nothing;
    };
    match ind.kind {
        Kind::YesNo | Kind::Document | Kind::TriState => match value {
            Value::Yes => Earned::All,
            Value::InProgress => Earned::Half,
            _ => Earned::Nothing,
        },
        Kind::Proportion | Kind::Growth | Kind::Ratio => {
            if year <= baseline_year {
                return Earned::All;
            }
            match target.map(|t| value.reaches(t, ind.direction)) {
                None => Earned::All,
                Some(Some(true)) => Earned::All,
                Some(_) => Earned::Nothing,
            }
        }
    }
}

/// Maximum points as fractions over one common denominator.
struct Weights {
    method: Redistribution,
    /// The grid's non-bonus total (100).
    total: Decimal,
    /// Σ points of the concerned non-bonus indicators.
    concerned_points: Decimal,
    /// Concerned non-bonus indicators with points > 0 (equal method).
    sharing: Decimal,
    denominator: Decimal,
}

impl Weights {
    fn new(r: &Referentiel, statuses: &[Applicability]) -> Weights {
        let concerned = r
            .indicators
            .iter()
            .zip(statuses)
            .filter(|(i, s)| !i.bonus && **s == Applicability::Concerned)
            .map(|(i, _)| i);
        let mut concerned_points = Decimal::ZERO;
        let mut sharing = Decimal::ZERO;
        for i in concerned {
            concerned_points += i.points;
            if i.points > Decimal::ZERO {
                sharing += Decimal::ONE;
            }
        }
        let denominator = match r.redistribution {
            Redistribution::Proportional => concerned_points,
            Redistribution::Equal => sharing,
        };
        Weights {
            method: r.redistribution,
            total: r.points(),
            concerned_points,
            sharing,
            // Nothing concerned: every maximum is 0 (numerators are 0 below), any
            // non-zero denominator keeps the division defined.
            denominator: if denominator.is_zero() {
                Decimal::ONE
            } else {
                denominator
            },
        }
    }

    /// The numerator of a concerned indicator's maximum (bonus: its points, undivided).
    fn numerator(&self, ind: &Indicator) -> Decimal {
        if ind.bonus {
            return ind.points;
        }
        match self.method {
            Redistribution::Proportional if self.concerned_points.is_zero() => Decimal::ZERO,
            Redistribution::Proportional => ind.points * self.total,
            Redistribution::Equal if ind.points.is_zero() || self.sharing.is_zero() => {
                Decimal::ZERO
            }
            Redistribution::Equal => {
                ind.points * self.sharing + (self.total - self.concerned_points)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::{Rate, round_half_away};
    use crate::referentiel::builtin_by_id;
    use crate::value::parse_entry;
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

    fn all_entries(r: &Referentiel) -> BTreeMap<String, Entry> {
        let rows = everything(r);
        let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        entries(r, &refs)
    }

    #[test]
    fn everything_provided_in_2018_scores_100_plus_4_for_mco_public() {
        let r = grid();
        let s = score(
            &r,
            Category::McoPublicEspic,
            2018,
            &all_entries(&r),
            &BTreeMap::new(),
        );
        assert_eq!(s.score, dec!(100));
        assert_eq!(s.bonus, dec!(4));
        assert_eq!(s.total, dec!(104));
    }

    #[test]
    fn every_category_reaches_exactly_100_when_everything_is_met() {
        let r = grid();
        for cat in Category::ALL {
            let s = score(&r, cat, 2018, &all_entries(&r), &BTreeMap::new());
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
                        Kind::TriState => {
                            [Value::Yes, Value::No, Value::InProgress][(a % 3) as usize]
                        }
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
        fn declaring_nc_or_nm_never_lowers_another_maximum(
            spec in arbitrary_values(), cat in 0usize..9, which in 0usize..36, nm in any::<bool>(),
            equal in any::<bool>()
        ) {
            let mut r = grid();
            if equal { r.redistribution = Redistribution::Equal; }
            let mut e = build(&r, &spec);
            let before = score(&r, Category::ALL[cat], 2018, &e, &BTreeMap::new());
            let code = r.indicators[which].code.clone();
            e.insert(code.clone(), Entry::Declared(if nm { Applicability::Nm } else { Applicability::Nc }));
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
                crate::referentiel::Direction::HigherIsBetter => (num, (num + extra).min(100)),
                crate::referentiel::Direction::LowerIsBetter => ((num + extra).min(100), num),
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
}
