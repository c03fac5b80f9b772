//! The dashboards' charts built from the engine's figures (issues 11 and 12): one source
//! for the web pages (SVG) and the PDF documents (vectors), so that the évaluation report
//! shows the very chart of the établissement's dashboard and the IRAPS synthesis those of
//! the region's dashboard.
//!
//! - [`parts_chart`]: points earned per part against the part's maximum
//!   (`caqes_core::evaluation::dashboard::by_part`);
//! - [`indicator_chart`] / [`history_charts`]: each indicator's value against its target,
//!   campaign after campaign;
//! - [`distribution_chart`]: establishments per score band, one series per category;
//! - [`missed_chart`]: the indicators most often missed, against the establishments
//!   concerned.
//!
//! Charts draw in `f64` (display only); the figures written next to the bars come from
//! the exact decimals, formatted the French way.

use std::collections::BTreeMap;

use caqes_core::Category;
use caqes_core::evaluation::dashboard::PartScore;
use caqes_core::referentiel::{Applicability, Indicator, Referentiel};
use caqes_core::scoring::Line;
use caqes_core::value::Entry;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::render::bar_chart::{GaugeChart, GaugeRow, GroupedBarChart, Series};
use crate::render::format;
use crate::render::line_chart::{LineChart, LineSeries};

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// « 37,5 »: two decimals at most (the pages' `fr::number`).
fn points(d: Decimal) -> String {
    format::decimal_trimmed(d, 2)
}

/// Points earned per part of the grid in `year`, each against the part's maximum
/// (after redistribution; bonus lines apart, as `by_part` counts them).
pub fn parts_chart(id: &str, year: i16, parts: &[PartScore]) -> GaugeChart {
    GaugeChart {
        id: id.to_owned(),
        title: format!("Points obtenus par partie en {year}, sur le maximum de chaque partie"),
        rows: parts
            .iter()
            .map(|p| GaugeRow {
                label: format!("{} — {}", p.number, p.title),
                value: to_f64(p.points),
                max: to_f64(p.max_points),
                text: format!("{} / {}", points(p.points), points(p.max_points)),
            })
            .collect(),
    }
}

/// The number a line was scored on (a rate, a count…), if it has one.
fn line_number(line: &Line) -> Option<f64> {
    match &line.entry {
        Some(Entry::Value(v)) => v.number().map(to_f64),
        _ => None,
    }
}

/// One indicator's value and target over `years` (`lines[i]` is its line of `years[i]`,
/// if scored that year): `None` for an indicator without numbers (OUI/NON) or without
/// any value.
pub fn indicator_chart(
    indicator: &Indicator,
    years: &[i16],
    lines: &[Option<&Line>],
) -> Option<LineChart> {
    let values: Vec<Option<f64>> = lines.iter().map(|l| l.and_then(line_number)).collect();
    if !indicator.is_numeric() || values.iter().all(Option::is_none) {
        return None;
    }
    let targets = lines
        .iter()
        .map(|l| l.and_then(|l| l.target).map(to_f64))
        .collect();
    Some(LineChart {
        id: format!("evolution-{}", indicator.code.to_lowercase()),
        title: format!("{} : valeur et cible par année", indicator.code),
        y_label: indicator.unit.clone(),
        x: years.iter().map(i16::to_string).collect(),
        series: vec![
            LineSeries {
                label: "Valeur".into(),
                values,
                dashed: false,
            },
            LineSeries {
                label: "Cible".into(),
                values: targets,
                dashed: true,
            },
        ],
        digits: 2,
        small: true,
    })
}

/// The charts of every indicator concerning `category`, over the scored years (oldest
/// first), in the grid's order. With `history_only`, only those with a value in at least
/// two years (a history to show, as the evaluation report wants).
pub fn history_charts(
    referentiel: &Referentiel,
    category: Category,
    by_year: &[(i16, BTreeMap<String, Line>)],
    history_only: bool,
) -> Vec<LineChart> {
    let years: Vec<i16> = by_year.iter().map(|(y, _)| *y).collect();
    referentiel
        .indicators
        .iter()
        .filter(|i| i.applicability(category) == Applicability::Concerned)
        .filter_map(|ind| {
            let lines: Vec<Option<&Line>> = by_year.iter().map(|(_, l)| l.get(&ind.code)).collect();
            let with_value = lines
                .iter()
                .filter(|l| l.and_then(line_number).is_some())
                .count();
            if history_only && with_value < 2 {
                return None;
            }
            indicator_chart(ind, &years, &lines)
        })
        .collect()
}

/// Establishments per score band (`bands`), one series per category (`counts[i]` for
/// band `i`).
pub fn distribution_chart(
    id: &str,
    title: &str,
    x_label: &str,
    bands: &[String],
    categories: &[(String, Vec<u32>)],
) -> GroupedBarChart {
    GroupedBarChart {
        id: id.to_owned(),
        title: title.to_owned(),
        x_label: x_label.to_owned(),
        y_label: "Établissements".into(),
        groups: bands.to_vec(),
        series: categories
            .iter()
            .map(|(label, counts)| Series {
                label: label.clone(),
                values: counts.iter().map(|c| f64::from(*c)).collect(),
            })
            .collect(),
    }
}

/// The indicators most often missed: (code, establishments missing it, establishments
/// concerned), in the order given.
pub fn missed_chart(id: &str, title: &str, rows: &[(String, u32, u32)]) -> GaugeChart {
    GaugeChart {
        id: id.to_owned(),
        title: title.to_owned(),
        rows: rows
            .iter()
            .map(|(code, missed, concerned)| GaugeRow {
                label: code.clone(),
                value: f64::from(*missed),
                max: f64::from(*concerned),
                text: format!("{missed} / {concerned}"),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caqes_core::referentiel::builtin_by_id;
    use caqes_core::scoring::{Given, evaluate};
    use caqes_core::value::Value;
    use rust_decimal_macros::dec;

    #[test]
    fn parts_and_missed_charts_write_exact_figures() {
        let parts = [PartScore {
            number: "1".into(),
            title: "Bon usage".into(),
            points: dec!(37.5),
            max_points: dec!(50),
            bonus_points: dec!(0),
            bonus_max: dec!(0),
        }];
        let d = parts_chart("p", 2019, &parts).to_drawing();
        assert_eq!(d.description, "1 — Bon usage : 37,5 / 50.");
        assert_eq!(
            d.title,
            "Points obtenus par partie en 2019, sur le maximum de chaque partie"
        );
        let m = missed_chart("m", "Manqués", &[("I-04".into(), 27, 69)]).to_drawing();
        assert_eq!(m.description, "I-04 : 27 / 69.");
        let g = distribution_chart(
            "d",
            "Répartition",
            "Score",
            &["moins de 20".into(), "80 et plus".into()],
            &[("SSR".into(), vec![2, 0])],
        )
        .to_drawing();
        assert_eq!(g.description, "moins de 20 : SSR 2 ; 80 et plus : SSR 0.");
    }

    #[test]
    fn history_keeps_indicators_with_two_years_of_values() {
        let r = builtin_by_id("occitanie-2018").unwrap();
        let numeric = r
            .indicators
            .iter()
            .find(|i| {
                i.is_numeric()
                    && i.applicability(Category::McoPublicEspic) == Applicability::Concerned
            })
            .unwrap();
        let given = |v: Decimal| {
            BTreeMap::from([(
                numeric.code.clone(),
                Given::new(Entry::Value(Value::Percent(v))),
            )])
        };
        let lines = |year, v| {
            let s = evaluate(
                &r,
                Category::McoPublicEspic,
                year,
                &given(v),
                &BTreeMap::new(),
            );
            s.lines.into_iter().map(|l| (l.code.clone(), l)).collect()
        };
        let one_year = vec![(2019, lines(2019, dec!(40)))];
        assert!(history_charts(&r, Category::McoPublicEspic, &one_year, true).is_empty());
        assert!(!history_charts(&r, Category::McoPublicEspic, &one_year, false).is_empty());
        let two_years = vec![
            (2018, lines(2018, dec!(40))),
            (2019, lines(2019, dec!(45.5))),
        ];
        let charts = history_charts(&r, Category::McoPublicEspic, &two_years, true);
        assert_eq!(charts.len(), 1, "only the indicator with values");
        let d = charts[0].to_drawing();
        assert!(
            d.description.starts_with("Valeur : 2018 40, 2019 45,5 ;"),
            "{}",
            d.description
        );
    }
}
