//! The engine's line-by-line explanation (`caqes_core::scoring`) as the parts and
//! indicators of the evaluation report: the same structure the CLI writes in its JSON,
//! so that the document and `caqes evaluate` cannot disagree.

use caqes_core::referentiel::{Applicability, Direction, Referentiel};
use caqes_core::scoring::{ClassPart, Line, Rule, Score, TargetOrigin};
use caqes_core::value::{Entry, Review};
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
    let (value, parts) = shown_entry(line.entry, unit);
    let target = line.target.map(|t| target_text(t, line, unit));
    let target_source = origin_text(x.target_origin);
    let outcome = match (line.status, x.rule) {
        (Applicability::Nm, _) => IndicatorOutcome::NotMeasurable,
        (Applicability::Nc, _) | (_, Rule::NcDeclared) => IndicatorOutcome::NotConcerned {
            motive: x
                .declaration
                .as_ref()
                .map_or_else(|| "catégorie".to_owned(), |d| d.motive().to_owned()),
        },
        (_, Rule::TargetMissing) => IndicatorOutcome::MissingTarget,
        (_, Rule::PerClass) => IndicatorOutcome::PerClass {
            met: x.classes.iter().filter(|c| c.met == Some(true)).count(),
            concerned: x
                .classes
                .iter()
                .filter(|c| c.status == Applicability::Concerned)
                .count(),
        },
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
        classes: x
            .classes
            .iter()
            .map(|c| explained_class(c, line, unit, year, source))
            .collect(),
    }
}

/// One class of an indicator computed per class (D5), as the dossier page shows it: its
/// value and parts, target and origin, result (NC with its motive) and share of the
/// points (none for an NC class or when the classes earn the points all together).
fn explained_class(
    c: &ClassPart,
    line: &Line,
    unit: &str,
    year: i16,
    source: &str,
) -> IndicatorExplanation {
    let (value, parts) = shown_entry(c.entry, unit);
    let outcome = match c.rule {
        Rule::NcDeclared => IndicatorOutcome::NotConcerned {
            motive: c
                .declaration
                .as_ref()
                .map_or_else(|| "déclaré".to_owned(), |d| d.motive().to_owned()),
        },
        Rule::TargetMissing => IndicatorOutcome::MissingTarget,
        _ if c.met == Some(true) => IndicatorOutcome::Met,
        _ => IndicatorOutcome::NotMet,
    };
    let rule = match c.rule {
        Rule::NcDeclared => match &c.declaration {
            Some(d) => format!(
                "classe non prescrite (NC), déclaration {}, hors du partage des points",
                review_word(d.review)
            ),
            None => "classe non prescrite (NC), hors du partage des points".to_owned(),
        },
        Rule::MissingValue => "aucune valeur pour la classe\u{a0}: 0 point".to_owned(),
        Rule::BaselineValue | Rule::BaselineAct => {
            format!("année de l'état des lieux ({year})\u{a0}: valeur transmise")
        }
        Rule::TargetMissing => format!("cible manquante pour {year}\u{a0}: 0 point"),
        _ => match line.explanation.direction {
            Some(Direction::LowerIsBetter) => "atteinte si valeur ≤ cible".to_owned(),
            _ => "atteinte si valeur ≥ cible".to_owned(),
        },
    };
    let share = c.max_points.unwrap_or(Decimal::ZERO);
    IndicatorExplanation {
        code: c.code.clone(),
        label: format!("classe {}", c.label),
        value,
        parts,
        source: c
            .source_line
            .map(|n| format!("{source}, ligne {n}"))
            .or_else(|| c.entry.map(|_| source.to_owned())),
        target: c.target.map(|t| target_text(t, line, unit)),
        target_source: origin_text(c.target_origin),
        rule,
        outcome,
        points_max: share,
        points_at_stake: share,
        points_earned: c.points.unwrap_or(Decimal::ZERO),
        classes: Vec::new(),
    }
}

fn review_word(r: Review) -> &'static str {
    match r {
        Review::Proposed => "proposée",
        Review::Accepted => "acceptée",
        Review::Refused => "refusée",
    }
}

/// A value as shown (« 85,00 % », « OUI », « NC ») and its numerator and denominator.
fn shown_entry(entry: Option<Entry>, unit: &str) -> (Option<String>, Option<(Decimal, Decimal)>) {
    let value = match entry {
        Some(Entry::Value(v)) => Some(match (v.word(), v.number()) {
            (Some(w), _) => w.to_owned(),
            (None, Some(n)) => shown(n, unit),
            (None, None) => String::new(),
        }),
        Some(Entry::Declared(a)) => Some(a.code().to_owned()),
        None => None,
    };
    let parts = match entry {
        Some(Entry::Value(v)) => v.parts().and_then(|(n, d)| d.map(|d| (n, d))),
        _ => None,
    };
    (value, parts)
}

/// « ≥ 55,00 % »: the target with the line's direction.
fn target_text(t: Decimal, line: &Line, unit: &str) -> String {
    let sense = match line.explanation.direction {
        Some(Direction::LowerIsBetter) => "≤",
        _ => "≥",
    };
    format!("{sense}\u{a0}{}", shown(t, unit))
}

fn origin_text(origin: Option<TargetOrigin>) -> String {
    match origin {
        Some(TargetOrigin::Contract) => "contrat",
        Some(TargetOrigin::Referentiel) => "référentiel (cible par défaut)",
        Some(TargetOrigin::Missing) => "manquante",
        None => "—",
    }
    .to_owned()
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
