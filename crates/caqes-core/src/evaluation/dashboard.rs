//! The figures of the dashboards (issue 12), computed from the engine's [`Score`]s so
//! that a dashboard never re-derives a rule: points per part against the part's maximum,
//! score bands, mean and median, the indicators most often missed. Exact decimals; the
//! pages round only for display.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::evaluation::scoring::Score;
use crate::grid::referentiel::{Applicability, Referentiel};

/// Points earned in one part of the grid against its maximum (after redistribution).
#[derive(Debug, Clone, PartialEq)]
pub struct PartScore {
    pub number: String,
    pub title: String,
    pub points: Decimal,
    pub max_points: Decimal,
    pub bonus_points: Decimal,
    pub bonus_max: Decimal,
}

/// The score of each part of the grid, in the grid's order: Σ of its lines' points and
/// maxima, bonus lines apart.
pub fn by_part(referentiel: &Referentiel, score: &Score) -> Vec<PartScore> {
    let mut parts: Vec<PartScore> = referentiel
        .parts
        .iter()
        .map(|p| PartScore {
            number: p.number.clone(),
            title: p.title.clone(),
            points: Decimal::ZERO,
            max_points: Decimal::ZERO,
            bonus_points: Decimal::ZERO,
            bonus_max: Decimal::ZERO,
        })
        .collect();
    for line in &score.lines {
        let Some(ind) = referentiel.indicator(&line.code) else {
            continue;
        };
        let Some(part) = parts.iter_mut().find(|p| p.number == ind.part) else {
            continue;
        };
        if line.bonus {
            part.bonus_points += line.points;
            part.bonus_max += line.max_points;
        } else {
            part.points += line.points;
            part.max_points += line.max_points;
        }
    }
    parts
}

/// Score bands of the region's distribution and ranking filter: 20 points wide, the
/// last one open (a total with its bonus may pass 100).
pub const BANDS: [(Decimal, &str, &str); 5] = [
    (Decimal::ZERO, "0-20", "moins de 20"),
    (
        Decimal::from_parts(20, 0, 0, false, 0),
        "20-40",
        "20 à moins de 40",
    ),
    (
        Decimal::from_parts(40, 0, 0, false, 0),
        "40-60",
        "40 à moins de 60",
    ),
    (
        Decimal::from_parts(60, 0, 0, false, 0),
        "60-80",
        "60 à moins de 80",
    ),
    (Decimal::from_parts(80, 0, 0, false, 0), "80+", "80 et plus"),
];

/// The index in [`BANDS`] of a score (negative scores, which the engine never gives,
/// fall in the first band).
pub fn band_of(score: Decimal) -> usize {
    BANDS
        .iter()
        .rposition(|(low, _, _)| score >= *low)
        .unwrap_or(0)
}

/// The arithmetic mean, exact to the `Decimal`'s 28 digits; `None` for no value.
pub fn mean(values: &[Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let sum: Decimal = values.iter().sum();
    Some(sum / Decimal::from(values.len()))
}

/// The median (mean of the two middle values for an even count); `None` for no value.
pub fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => sorted.get(n / 2).copied(),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / Decimal::TWO),
    }
}

/// How often one indicator is missed among the establishments concerned by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missed {
    pub code: String,
    /// Concerned lines earning less than their maximum (missing value, target not
    /// reached, target missing, EN COURS).
    pub missed: usize,
    /// Concerned lines worth points.
    pub concerned: usize,
}

/// The indicators missed at least once, most missed first (then in the grid's order).
pub fn most_missed<'a>(
    referentiel: &Referentiel,
    scores: impl IntoIterator<Item = &'a Score>,
) -> Vec<Missed> {
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for score in scores {
        for line in &score.lines {
            if line.status != Applicability::Concerned || line.max_points <= Decimal::ZERO {
                continue;
            }
            let c = counts.entry(line.code.as_str()).or_default();
            c.1 += 1;
            if line.points < line.max_points {
                c.0 += 1;
            }
        }
    }
    let mut out: Vec<(usize, Missed)> = referentiel
        .indicators
        .iter()
        .enumerate()
        .filter_map(|(i, ind)| {
            let (missed, concerned) = counts.get(ind.code.as_str()).copied()?;
            (missed > 0).then(|| {
                (
                    i,
                    Missed {
                        code: ind.code.clone(),
                        missed,
                        concerned,
                    },
                )
            })
        })
        .collect();
    out.sort_by(|(ia, a), (ib, b)| b.missed.cmp(&a.missed).then(ia.cmp(ib)));
    out.into_iter().map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Category;
    use crate::grid::referentiel::builtin_by_id;
    use crate::grid::value::{Entry, Value};
    use crate::scoring::{Given, evaluate};
    use rust_decimal_macros::dec;

    #[test]
    fn bands_mean_and_median_are_exact() {
        assert_eq!(band_of(dec!(0)), 0);
        assert_eq!(band_of(dec!(19.99)), 0);
        assert_eq!(band_of(dec!(20)), 1);
        assert_eq!(band_of(dec!(79.5)), 3);
        assert_eq!(band_of(dec!(104)), 4);
        assert_eq!(
            mean(&[dec!(10), dec!(20), dec!(40)]),
            Some(dec!(70) / dec!(3))
        );
        assert_eq!(median(&[dec!(40), dec!(10), dec!(20)]), Some(dec!(20)));
        assert_eq!(
            median(&[dec!(40), dec!(10), dec!(20), dec!(25)]),
            Some(dec!(22.5))
        );
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn parts_add_up_to_the_score_and_missed_lines_are_counted() {
        let r = builtin_by_id("occitanie-2018").unwrap();
        let yes = |code: &str| (code.to_owned(), Given::new(Entry::Value(Value::Yes)));
        // Nothing given: every concerned line is missed, parts earn 0 of their maxima.
        let empty = evaluate(
            &r,
            Category::McoPublicEspic,
            2019,
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        let parts = by_part(&r, &empty);
        assert_eq!(parts.len(), r.parts.len());
        let max: Decimal = parts.iter().map(|p| p.max_points).sum();
        assert_eq!(max, dec!(100));
        assert!(parts.iter().all(|p| p.points.is_zero()));
        // One yes/no indicator met: its part earns its maximum, the sum is the score.
        let code = r
            .indicators
            .iter()
            .find(|i| {
                !i.is_numeric()
                    && !i.bonus
                    && i.applicability(Category::McoPublicEspic) == Applicability::Concerned
            })
            .unwrap()
            .code
            .clone();
        let one: BTreeMap<String, Given> = [yes(&code)].into();
        let s = evaluate(&r, Category::McoPublicEspic, 2019, &one, &BTreeMap::new());
        let parts = by_part(&r, &s);
        let earned: Decimal = parts.iter().map(|p| p.points).sum();
        assert_eq!(earned, s.score);
        assert!(earned > Decimal::ZERO);
        let missed = most_missed(&r, [&empty, &s, &empty]);
        let line = missed.iter().find(|m| m.code == code).unwrap();
        assert_eq!((line.missed, line.concerned), (2, 3));
        // Most missed first: every other concerned line is missed 3 times.
        assert_eq!(missed[0].missed, 3);
        assert_eq!(missed.last().unwrap().code, code);
    }
}
