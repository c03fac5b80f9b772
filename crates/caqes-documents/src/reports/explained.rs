//! The engine's line-by-line explanation (`caqes_core::scoring`) as the parts and
//! indicators of the evaluation report: the same structure the CLI writes in its JSON,
//! so that the document and `caqes evaluate` cannot disagree.

use caqes_core::referentiel::{Applicability, Direction, Referentiel};
use caqes_core::scoring::{Line, Rule, Score, TargetOrigin};
use caqes_core::value::Entry;
use rust_decimal::Decimal;

use crate::render::format;
use crate::reports::evaluation_report::{
    IndicatorExplanation, IndicatorOutcome, PartExplanation, SocleScore,
};

/// The score of the report: `None` when the establishment is « non évaluable ».
pub fn socle_score(score: &Score) -> Option<SocleScore> {
    Some(SocleScore {
        score: score.value()?,
        bonus: score.bonus_value()?,
    })
}

/// The grid's parts with each indicator explained, in the grid's order.
///
/// `source` names where the values come from (« valeurs.csv »); the line of each value
/// is appended when the engine knows it.
pub fn explained_parts(
    referentiel: &Referentiel,
    score: &Score,
    year: i16,
    source: &str,
) -> Vec<PartExplanation> {
    referentiel
        .parts
        .iter()
        .map(|part| PartExplanation {
            title: format!("Partie {} – {}", part.number, part.title),
            short: format!("Partie {}", part.number),
            indicators: score
                .lines
                .iter()
                .filter(|l| {
                    referentiel
                        .indicator(&l.code)
                        .is_some_and(|i| i.part == part.number)
                })
                .map(|l| explained_line(referentiel, l, year, source))
                .collect(),
        })
        .filter(|p| !p.indicators.is_empty())
        .collect()
}

fn explained_line(
    referentiel: &Referentiel,
    line: &Line,
    year: i16,
    source: &str,
) -> IndicatorExplanation {
    let indicator = referentiel.indicator(&line.code);
    let unit = indicator.map_or("", |i| i.unit.as_str());
    let x = &line.explanation;
    let value = match line.entry {
        Some(Entry::Value(v)) => Some(match (v.word(), v.number()) {
            (Some(w), _) => w.to_owned(),
            (None, Some(n)) => shown(n, unit),
            (None, None) => String::new(),
        }),
        Some(Entry::Declared(a)) => Some(a.code().to_owned()),
        None => None,
    };
    let parts = match line.entry {
        Some(Entry::Value(v)) => v.parts().and_then(|(n, d)| d.map(|d| (n, d))),
        _ => None,
    };
    let target = line.target.map(|t| {
        let sense = match x.direction {
            Some(Direction::LowerIsBetter) => "≤",
            _ => "≥",
        };
        format!("{sense}\u{a0}{}", shown(t, unit))
    });
    let target_source = match x.target_origin {
        Some(TargetOrigin::Contract) => "contrat",
        Some(TargetOrigin::Referentiel) => "référentiel (cible par défaut)",
        Some(TargetOrigin::Missing) => "manquante",
        None => "—",
    }
    .to_owned();
    let outcome = match (line.status, x.rule) {
        (Applicability::Nm, _) => IndicatorOutcome::NotMeasurable,
        (Applicability::Nc, _) | (_, Rule::NcDeclared) => IndicatorOutcome::NotConcerned {
            motive: x
                .declaration
                .as_ref()
                .map_or_else(|| "catégorie".to_owned(), |d| d.motive().to_owned()),
        },
        (_, Rule::TargetMissing) => IndicatorOutcome::MissingTarget,
        (_, Rule::InProgressHalf) => IndicatorOutcome::InProgress,
        _ if line.met == Some(true) => IndicatorOutcome::Met,
        _ => IndicatorOutcome::NotMet,
    };
    let value_source = x
        .source_line
        .map(|n| format!("{source}, ligne {n}"))
        .or_else(|| value.as_ref().map(|_| source.to_owned()));
    IndicatorExplanation {
        code: line.code.clone(),
        label: indicator.map_or_else(String::new, |i| i.label.clone()),
        value,
        parts,
        source: value_source,
        target,
        target_source,
        rule: x.text(line, year),
        outcome,
        points_max: x.grid_points,
        points_at_stake: line.max_points,
        points_earned: line.points,
    }
}

/// « 85,00 % », « 0,92 »: two decimals, the unit when it is a percentage.
fn shown(n: Decimal, unit: &str) -> String {
    if unit.trim() == "%" {
        format::percent(n, 2)
    } else {
        format::decimal(n, 2)
    }
}

/// How the points of the NC/NM indicators were shared, in words (`None` when nothing
/// was redistributed).
pub fn redistribution_text(score: &Score) -> Option<String> {
    let freed: Vec<&str> = score
        .lines
        .iter()
        .filter(|l| !l.bonus && l.status != Applicability::Concerned)
        .map(|l| l.code.as_str())
        .collect();
    if freed.is_empty() {
        return None;
    }
    let factor = score
        .lines
        .iter()
        .find(|l| !l.bonus && l.status == Applicability::Concerned)
        .map(|l| l.explanation.factor);
    Some(format!(
        "Indicateurs non concernés ou non mesurables ({}) : leurs points sont répartis sur les \
         indicateurs concernés{}.",
        freed.join(", "),
        factor.map_or_else(String::new, |f| format!(
            " (facteur {})",
            format::decimal(f, 4)
        ))
    ))
}
