//! What the PHEV pages share: French figures, the top 15 tables and their charts, the
//! biosimilar table, the national references read from the campaign's référentiel.

use caqes_core::phev::{AmountKind, AmountRow, ClassBoxes, EntitySummary, TopLine, top};
use caqes_core::referentiel::Referentiel;
use caqes_core::{Euros, Finess};
use caqes_documents::format;
use caqes_documents::render::ranking_chart::{RankingBar, RankingChart, Reference};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The length of the top lists (the seed's slides: « Top 15 »).
pub const TOP_N: usize = 15;

/// « 45,5 % » (at most two decimals), « — » when there is no rate.
pub fn rate_text(rate: Option<Decimal>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format::percent_trimmed(r, 2))
}

/// « +4,1 % », « -1 % », « — ».
pub fn growth_text(rate: Option<Decimal>) -> String {
    match rate {
        Some(r) if r > Decimal::ZERO => format!("+{}", format::percent_trimmed(r, 2)),
        Some(r) => format::percent_trimmed(r, 2),
        None => "—".to_owned(),
    }
}

/// « 1 234 567,89 € ».
pub fn euros_text(amount: Decimal) -> String {
    format::euros(Euros(amount))
}

/// « 1 234 567 ».
pub fn count_text(n: i64) -> String {
    format::decimal(Decimal::from(n), 0)
}

fn f64_of(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// One line of a top table.
pub struct TopRowView {
    pub rank: usize,
    pub code: String,
    pub label: String,
    pub amount: String,
    pub share: String,
    pub boxes: String,
}

/// A top 15 list: its table and its chart (the table is the chart's text alternative).
pub struct TopView {
    pub id: String,
    pub title: String,
    pub rows: Vec<TopRowView>,
    pub svg: String,
}

/// The top 15 classes (ATC4) or products of the rows of the entities `keep` accepts.
pub fn top_view(
    id: &str,
    title: &str,
    rows: &[AmountRow],
    kind: AmountKind,
    keep: impl Fn(Finess) -> bool,
) -> TopView {
    let lines: Vec<TopLine> = top(rows, kind, keep, TOP_N);
    let chart = RankingChart {
        id: format!("{id}-graphique"),
        title: title.to_owned(),
        bars: lines
            .iter()
            .map(|l| RankingBar {
                label: if l.label.is_empty() {
                    l.code.clone()
                } else {
                    format!("{} {}", l.code, l.label)
                },
                value: f64_of(l.amount),
                value_text: euros_text(l.amount),
                highlighted: false,
            })
            .collect(),
        reference: None,
    };
    TopView {
        id: id.to_owned(),
        title: title.to_owned(),
        svg: chart.to_svg(),
        rows: lines
            .into_iter()
            .map(|l| TopRowView {
                rank: l.rank,
                code: l.code,
                label: l.label,
                amount: euros_text(l.amount),
                share: rate_text(l.share),
                boxes: count_text(l.boxes),
            })
            .collect(),
    }
}

/// One line of the biosimilar table.
pub struct BiosimilarRowView {
    pub label: String,
    pub biosimilars: String,
    pub references: String,
    pub rate: String,
}

/// The classes then the pooled rate (III-03).
pub fn biosimilar_rows(s: &EntitySummary) -> Vec<BiosimilarRowView> {
    let row = |c: &ClassBoxes| BiosimilarRowView {
        label: c.label.clone(),
        biosimilars: count_text(c.biosimilars),
        references: count_text(c.references),
        rate: rate_text(c.rate()),
    };
    s.biosimilars
        .iter()
        .map(row)
        .chain(std::iter::once(row(&s.biosimilar_pooled())))
        .collect()
}

/// The référentiel's national reference for `code` in `year` (`cible_defaut`: 45,5 % for
/// III-01 in 2018), where the grid has one.
pub fn national_reference(referentiel: &Referentiel, code: &str, year: i16) -> Option<Decimal> {
    referentiel.indicator(code)?.default_target(year)
}

/// The key figures of an entity or a region, written in French.
pub struct KeyFigures {
    pub amount: String,
    pub boxes_excluding_paracetamol: String,
    pub boxes_repertoire: String,
    pub repertoire_rate: String,
    /// The national target of the year and whether the rate reaches it (both false
    /// without a rate or a target).
    pub repertoire_target: Option<String>,
    pub repertoire_met: bool,
    pub repertoire_missed: bool,
    pub growth: String,
    pub amount_excluding_hepatitis_c: String,
    pub previous_amount: String,
    pub growth_target: Option<String>,
    pub growth_met: bool,
    pub growth_missed: bool,
    pub biosimilar_rate: String,
}

pub fn key_figures(s: &EntitySummary, referentiel: &Referentiel, year: i16) -> KeyFigures {
    let rep = s.repertoire_rate();
    let rep_target = national_reference(referentiel, "III-01", year);
    let growth = s.growth();
    let growth_target = national_reference(referentiel, "IV-01", year);
    KeyFigures {
        amount: euros_text(s.amount),
        boxes_excluding_paracetamol: count_text(s.boxes_excluding_paracetamol),
        boxes_repertoire: count_text(s.boxes_repertoire),
        repertoire_rate: rate_text(rep),
        repertoire_target: rep_target.map(|t| rate_text(Some(t))),
        repertoire_met: rep.zip(rep_target).is_some_and(|(r, t)| r >= t),
        repertoire_missed: rep.zip(rep_target).is_some_and(|(r, t)| r < t),
        growth: growth_text(growth),
        amount_excluding_hepatitis_c: euros_text(s.amount_excluding_hepatitis_c),
        previous_amount: s
            .previous_amount_excluding_hepatitis_c
            .map_or_else(|| "—".to_owned(), euros_text),
        growth_target: growth_target.map(|t| growth_text(Some(t))),
        growth_met: growth.zip(growth_target).is_some_and(|(g, t)| g <= t),
        growth_missed: growth.zip(growth_target).is_some_and(|(g, t)| g > t),
        biosimilar_rate: rate_text(s.biosimilar_pooled().rate()),
    }
}

/// Horizontal bars of repertoire rates with the national target as the reference line.
pub fn rate_chart(
    id: &str,
    title: &str,
    bars: Vec<(String, Option<Decimal>, bool)>,
    target: Option<Decimal>,
) -> String {
    RankingChart {
        id: id.to_owned(),
        title: title.to_owned(),
        bars: bars
            .into_iter()
            .map(|(label, rate, highlighted)| RankingBar {
                label,
                value: rate.map_or(0.0, f64_of),
                value_text: rate_text(rate),
                highlighted,
            })
            .collect(),
        reference: target.map(|t| Reference {
            value: f64_of(t),
            label: format!("Taux national {}", rate_text(Some(t))),
        }),
    }
    .to_svg()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_figures() {
        assert_eq!(rate_text(Some("45.50".parse().unwrap())), "45,5\u{202f}%");
        assert_eq!(rate_text(None), "—");
        assert_eq!(growth_text(Some("4.1".parse().unwrap())), "+4,1\u{202f}%");
        assert_eq!(count_text(1_234_567), "1\u{202f}234\u{202f}567");
    }
}
