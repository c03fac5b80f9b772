//! « Points que rapporterait l'atteinte de chaque cible » (issue 12): for each concerned
//! line that does not earn all its points, the establishment's inputs are re-scored by
//! [`scoring::evaluate`] with that one indicator met, and the gain is the difference of
//! the two totals. The engine itself answers, so the redistribution, the bonus and the
//! état des lieux rules can never disagree with the score shown next to it; the
//! difference is exact (`Decimal`, no rounding).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::category::Category;
use crate::evaluation::scoring::{self, Given, Line, Rule, Score};
use crate::grid::referentiel::{Applicability, Indicator, Kind, Referentiel};
use crate::grid::value::{Entry, Value};

/// What reaching one indicator's target would bring.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    pub code: String,
    pub bonus: bool,
    /// Points earned now and the line's maximum (after redistribution).
    pub points: Decimal,
    pub max_points: Decimal,
    /// The target to reach (`None` for OUI/NON and documents, and when it is missing).
    pub target: Option<Decimal>,
    /// The value the re-scoring assumed (the target itself, or `OUI`).
    pub assumed: Option<Value>,
    /// Points of the total gained by meeting the line; `None` when no value can meet it
    /// (target missing: the engine cannot say).
    pub gain: Option<Decimal>,
}

/// The value that meets `ind` at `target` exactly (the comparisons are inclusive), or
/// `None` when there is nothing to compare with. Words: `OUI` earns everything.
fn meeting_value(ind: &Indicator, line: &Line) -> Option<Value> {
    match ind.kind {
        Kind::YesNo | Kind::Document | Kind::TriState => Some(Value::Yes),
        Kind::Proportion | Kind::Growth | Kind::Ratio => {
            let number = match (line.target, line.explanation.target_origin) {
                (Some(t), _) => t,
                // The état des lieux asks for the value (or the act) only: any number.
                (None, None) => Decimal::ZERO,
                // Target missing: nothing says what would be enough.
                (None, Some(_)) => return None,
            };
            Some(match ind.kind {
                Kind::Growth => Value::GrowthPercent(number),
                Kind::Ratio => Value::RatioValue(number),
                _ => Value::Percent(number),
            })
        }
    }
}

/// For every concerned line of `base` (the score of `given`) earning less than its
/// maximum, the gain of meeting it alone, in the grid's order. Lines already met, NC or
/// NM, and lines worth nothing are left out.
pub fn points_if_met(
    referentiel: &Referentiel,
    category: Category,
    year: i16,
    given: &BTreeMap<String, Given>,
    targets: &BTreeMap<String, Decimal>,
    base: &Score,
) -> Vec<WhatIf> {
    let mut out = Vec::new();
    for line in &base.lines {
        if line.status != Applicability::Concerned || line.points >= line.max_points {
            continue;
        }
        let Some(ind) = referentiel.indicator(&line.code) else {
            continue;
        };
        let assumed = if line.explanation.rule == Rule::TargetMissing {
            None
        } else {
            meeting_value(ind, line)
        };
        let gain = assumed.map(|v| {
            let mut changed = given.clone();
            // A value replaces whatever was given (a missing value, a refused NC).
            changed.insert(line.code.clone(), Given::new(Entry::Value(v)));
            let s = scoring::evaluate(referentiel, category, year, &changed, targets);
            s.total - base.total
        });
        out.push(WhatIf {
            code: line.code.clone(),
            bonus: line.bonus,
            points: line.points,
            max_points: line.max_points,
            target: line.target,
            assumed,
            gain,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::value::Review;
    use crate::rate::Rate;
    use rust_decimal_macros::dec;

    /// Part I: A (proportion, higher is better, 30 points), B (OUI / EN COURS / NON,
    /// 30); part II: C (proportion, lower is better, 20), D (OUI/NON, 20, NC for MCO
    /// public); bonus E (OUI/NON, 4). For MCO public, D's 20 points are redistributed
    /// proportionally: every maximum × 100 / 80 (A 37,5, B 37,5, C 25).
    const GRID: &str = r#"
id = "mini-what-if"
titre = "Mini"
region = "Test"
annee_etat_des_lieux = 2018
redistribution = "proportionnelle"
categories = ["MCO_PUBLIC_ESPIC"]

[[parties]]
numero = "I"
titre = "Partie I"
points = 60

[[parties]]
numero = "II"
titre = "Partie II"
points = 40
points_bonus = 4

[[indicateurs]]
code = "A"
partie = "I"
libelle = "A"
portee = "national"
type = "proportion"
sens = "hausse"
sources = ["ES"]
points = 30
unite = "%"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }

[[indicateurs]]
code = "B"
partie = "I"
libelle = "B"
portee = "national"
type = "oui_en_cours_non"
sens = "hausse"
sources = ["ES"]
points = 30
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }

[[indicateurs]]
code = "C"
partie = "II"
libelle = "C"
portee = "national"
type = "proportion"
sens = "baisse"
sources = ["ES"]
points = 20
unite = "%"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }

[[indicateurs]]
code = "D"
partie = "II"
libelle = "D"
portee = "national"
type = "oui_non"
sens = "hausse"
sources = ["ES"]
points = 20
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "NC" }

[[indicateurs]]
code = "E"
partie = "II"
libelle = "E"
portee = "regional"
type = "oui_non"
sens = "hausse"
sources = ["ES"]
points = 4
bonus = true
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }
"#;

    fn grid() -> Referentiel {
        Referentiel::from_toml("mini.toml", GRID).unwrap()
    }

    fn given() -> BTreeMap<String, Given> {
        [
            (
                "A",
                Entry::Value(Value::Proportion(Rate::new(dec!(70), dec!(100)).unwrap())),
            ),
            ("B", Entry::Value(Value::InProgress)),
            ("C", Entry::Value(Value::Percent(dec!(5)))),
        ]
        .into_iter()
        .map(|(k, e)| (k.to_owned(), Given::new(e)))
        .collect()
    }

    fn targets() -> BTreeMap<String, Decimal> {
        [("A".to_owned(), dec!(80)), ("C".to_owned(), dec!(10))].into()
    }

    fn what_if(
        given: &BTreeMap<String, Given>,
        targets: &BTreeMap<String, Decimal>,
    ) -> (Score, Vec<WhatIf>) {
        let r = grid();
        let base = scoring::evaluate(&r, Category::McoPublicEspic, 2019, given, targets);
        let w = points_if_met(&r, Category::McoPublicEspic, 2019, given, targets, &base);
        (base, w)
    }

    #[test]
    fn each_missed_target_brings_its_redistributed_maximum() {
        let (base, w) = what_if(&given(), &targets());
        // C met (5 ≤ 10): 25; B EN COURS: half of 37,5 = 18,75; A 70 < 80: 0.
        assert_eq!(base.total, dec!(43.75));
        let gains: Vec<(&str, Option<Decimal>)> =
            w.iter().map(|x| (x.code.as_str(), x.gain)).collect();
        // A: 37,5; B: the other half, 18,75; E (bonus, missing): 4. C met, D NC: absent.
        assert_eq!(
            gains,
            vec![
                ("A", Some(dec!(37.5))),
                ("B", Some(dec!(18.75))),
                ("E", Some(dec!(4)))
            ]
        );
        assert_eq!(w[0].target, Some(dec!(80)));
        assert_eq!(w[0].assumed, Some(Value::Percent(dec!(80))));
        assert_eq!(w[0].max_points, dec!(37.5));
        assert!(w[2].bonus);
        // Everything met: 100 + 4.
        let sum: Decimal = w.iter().filter_map(|x| x.gain).sum();
        assert_eq!(base.total + sum, dec!(104));
    }

    #[test]
    fn a_missing_target_has_no_gain_and_a_refused_nc_is_replaced() {
        let mut g = given();
        let nc = crate::grid::value::NcDeclaration::new("pas d'activité", Review::Refused).unwrap();
        g.insert(
            "A".to_owned(),
            Given::new(Entry::Declared(Applicability::Nc)).with_declaration(nc),
        );
        // C has no contracted target and the grid no default: « cible manquante ».
        let (base, w) = what_if(&g, &BTreeMap::new());
        // B 18,75 only (A refused NC: 0; C cible manquante: 0).
        assert_eq!(base.total, dec!(18.75));
        let a = w.iter().find(|x| x.code == "A").unwrap();
        // A's value replaces the refused declaration, compared with... no target
        // either: missing target, no gain to promise.
        assert_eq!(a.gain, None);
        let c = w.iter().find(|x| x.code == "C").unwrap();
        assert_eq!((c.gain, c.assumed), (None, None));
        let (_, w) = what_if(&g, &[("A".to_owned(), dec!(80))].into());
        let a = w.iter().find(|x| x.code == "A").unwrap();
        assert_eq!(a.gain, Some(dec!(37.5)));
    }
}
