//! The outcome rule of an objectives grid: savings of year N against N−1, objective met
//! or not, intéressement (or 2026 dotation) per indicator, the ARS's motivated downward
//! revision, and the regional intéressement.
//!
//! Sources (spec `caqes2-spec.md`):
//! - arrêté of 23 February 2022, art. 1 III: the intéressements are computed on « les
//!   économies réalisées du 1er janvier au 31 décembre de l'année N par rapport à l'année
//!   N−1 » (§1.4, §3.3);
//! - REPSS 2.11.1: per indicator, on the savings in town spending, « environ 20 % ou
//!   30 % » of them (§3.3) — the share is the indicator's `part_interessement`;
//! - CSS D162-16 V 2°: the national intéressement follows the savings objectives; the DG
//!   ARS « peut le réviser à la baisse » according to how far all the objectives were
//!   met — a revised amount is ≤ the computed one and carries its motive;
//! - CSS D162-16 V 1°: the regional intéressement follows « le degré de réalisation de
//!   l'ensemble des objectifs » on the regional indicators ([`RegionalMode`]);
//! - no sanction for a missed objective (REPSS; Normandie ARS; spec §5.2): the line only
//!   loses its intéressement.
//!
//! What « savings » means (our reading, spec §3.2 and §7 Q4, listed in docs/scoring.md):
//! always euros of AM spending in the indicator's scope, `max(0, montant N−1 − montant
//! N)`, never offset between indicators. For a spending indicator (`depense`) the
//! objective reads the same amounts; for a rate (`taux`) or a volume (`volume`) the
//! objective reads the rate or the count, and the savings read the spending given beside
//! it (`montant`): without it they cannot be valued and no intéressement is computed.

use rust_decimal::Decimal;
use serde::Serialize;

use super::Regime;
use super::grid::{Measure, ObjectiveIndicator, ObjectiveKind, ObjectivesGrid, RegionalMode};
use crate::grid::referentiel::{Direction, Scope};
use crate::money::Euros;
use crate::rate::round_half_away;

/// What was given for one indicator and one year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearValues {
    /// Euros of AM spending in the indicator's scope.
    pub montant: Option<Decimal>,
    pub numerateur: Option<Decimal>,
    pub denominateur: Option<Decimal>,
}

/// The DG ARS's downward revision of a line's intéressement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    #[serde(rename = "montant_revise")]
    pub amount: Euros,
    #[serde(rename = "motif")]
    pub motive: String,
}

/// Errors of the outcome rule (French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    #[error(
        "indicateur {code} : la révision ({revised}) dépasse le montant calculé ({computed}) ; le directeur général de l'ARS ne peut que réviser à la baisse (CSS D162-16 V)"
    )]
    RevisionAboveComputed {
        code: String,
        revised: Euros,
        computed: Euros,
    },
    #[error("indicateur {code} : un montant révisé ne peut pas être négatif (reçu {revised})")]
    NegativeRevision { code: String, revised: Euros },
    #[error("indicateur {code} : une révision à la baisse doit être motivée (motif vide)")]
    MotiveRequired { code: String },
    #[error("indicateur {code} : une valeur négative ({field} = {value})")]
    Negative {
        code: String,
        field: &'static str,
        value: Decimal,
    },
    #[error("indicateur {code} : numérateur {num} supérieur au dénominateur {den} pour un taux")]
    RateAboveOne {
        code: String,
        num: Decimal,
        den: Decimal,
    },
}

/// Where a line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LineStatus {
    /// Evaluated: objective met or not.
    #[serde(rename = "evalue")]
    Evaluated,
    /// The value of year N (or N−1 for a reduction) is missing.
    #[serde(rename = "non_evaluable")]
    NotEvaluable,
    /// The indicator is switched off in the grid (`actif = false`).
    #[serde(rename = "neutralise")]
    Neutralised,
}

impl LineStatus {
    pub fn code(self) -> &'static str {
        match self {
            LineStatus::Evaluated => "evalue",
            LineStatus::NotEvaluable => "non_evaluable",
            LineStatus::Neutralised => "neutralise",
        }
    }
}

/// One indicator of one establishment for year N.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub code: String,
    pub portee: Scope,
    pub volet: String,
    pub mesure: Measure,
    pub statut: LineStatus,
    /// The measured value (euros, % or count) of N−1 and N.
    pub valeur_n_1: Option<Decimal>,
    pub valeur_n: Option<Decimal>,
    pub numerateur_n: Option<Decimal>,
    pub denominateur_n: Option<Decimal>,
    pub montant_n_1: Option<Decimal>,
    pub montant_n: Option<Decimal>,
    /// Change of the measured value, in % (N / N−1 − 1).
    pub evolution_pct: Option<Decimal>,
    /// The objective's type and value, and the bound value N must respect.
    pub objectif: ObjectiveKind,
    pub objectif_valeur: Decimal,
    pub objectif_a_confirmer: bool,
    pub seuil: Option<Decimal>,
    pub sens: Direction,
    pub atteint: Option<bool>,
    /// Savings in euros; `None` when they cannot be valued (no `montant`).
    pub economies: Option<Euros>,
    /// % of the savings paid.
    pub part_pct: Option<Decimal>,
    pub part_a_confirmer: bool,
    pub plafond: Option<Euros>,
    /// Computed by the rule, before any revision.
    pub interessement_calcule: Euros,
    pub revision: Option<Revision>,
    /// What is retained: the revision if any, else the computed amount.
    pub interessement: Euros,
    /// One French sentence: the arithmetic behind the line.
    pub explication: String,
}

/// French decimal: `8,5`, `475 000` (narrow no-break space between thousands), up to
/// `dp` decimals.
pub fn fr_number(value: Decimal, dp: u32) -> String {
    let r = round_half_away(value, dp).normalize();
    let text = r.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(ch);
    }
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// `8,5 %` with the no-break space.
fn pct(value: Decimal) -> String {
    format!("{}\u{a0}%", fr_number(value, 2))
}

fn measured(ind: &ObjectiveIndicator, v: &YearValues) -> Result<Option<Decimal>, OutcomeError> {
    let neg = |field: &'static str, value: Decimal| OutcomeError::Negative {
        code: ind.code.clone(),
        field,
        value,
    };
    for (field, value) in [
        ("montant", v.montant),
        ("numerateur", v.numerateur),
        ("denominateur", v.denominateur),
    ] {
        if let Some(x) = value
            && x < Decimal::ZERO
        {
            return Err(neg(field, x));
        }
    }
    Ok(match ind.mesure {
        Measure::Spending => v.montant,
        Measure::Volume => v.numerateur,
        Measure::Rate => match (v.numerateur, v.denominateur) {
            (Some(n), Some(d)) if !d.is_zero() => {
                if n > d {
                    return Err(OutcomeError::RateAboveOne {
                        code: ind.code.clone(),
                        num: n,
                        den: d,
                    });
                }
                Some(n * Decimal::ONE_HUNDRED / d)
            }
            _ => None,
        },
    })
}

fn unit_text(m: Measure, value: Decimal) -> String {
    match m {
        Measure::Spending => Euros(value).to_string(),
        Measure::Rate => pct(value),
        Measure::Volume => fr_number(value, 2),
    }
}

/// Evaluates one indicator for year N from the values of N−1 and N. Regional lines in
/// `proportion_objectifs` mode get their amount in [`evaluate_establishment`].
pub fn evaluate_line(
    grid: &ObjectivesGrid,
    ind: &ObjectiveIndicator,
    previous: Option<&YearValues>,
    current: Option<&YearValues>,
) -> Result<Line, OutcomeError> {
    let word = grid.regime.incentive_word();
    let o = &ind.objectif;
    let sens = match o.kind {
        ObjectiveKind::Reduction => Direction::LowerIsBetter,
        ObjectiveKind::Target => o.sens.unwrap_or(Direction::LowerIsBetter),
    };
    let v_prev = previous.map(|v| measured(ind, v)).transpose()?.flatten();
    let v_cur = current.map(|v| measured(ind, v)).transpose()?.flatten();
    let m_prev = previous.and_then(|v| v.montant);
    let m_cur = current.and_then(|v| v.montant);
    let share = match (ind.portee, &grid.regional) {
        (Scope::Regional, Some(r)) if r.mode == RegionalMode::ShareOfObjectives => None,
        _ => ind.part_interessement.as_ref(),
    };
    let mut line = Line {
        code: ind.code.clone(),
        portee: ind.portee,
        volet: ind.volet.clone(),
        mesure: ind.mesure,
        statut: LineStatus::Evaluated,
        valeur_n_1: v_prev,
        valeur_n: v_cur,
        numerateur_n: current.and_then(|v| v.numerateur),
        denominateur_n: current.and_then(|v| v.denominateur),
        montant_n_1: m_prev,
        montant_n: m_cur,
        evolution_pct: match (v_prev, v_cur) {
            (Some(p), Some(c)) if !p.is_zero() => {
                Some((c / p - Decimal::ONE) * Decimal::ONE_HUNDRED)
            }
            _ => None,
        },
        objectif: o.kind,
        objectif_valeur: o.valeur,
        objectif_a_confirmer: o.a_confirmer,
        seuil: None,
        sens,
        atteint: None,
        economies: None,
        part_pct: share.map(|s| s.valeur),
        part_a_confirmer: share.is_some_and(|s| s.a_confirmer),
        plafond: ind.plafond.as_ref().map(|c| Euros(c.valeur)),
        interessement_calcule: Euros::ZERO,
        revision: None,
        interessement: Euros::ZERO,
        explication: String::new(),
    };
    if !ind.actif {
        line.statut = LineStatus::Neutralised;
        line.explication = format!(
            "Indicateur neutralisé dans la grille (actif = false) : ni objectif ni {word}."
        );
        return Ok(line);
    }
    // The bound value N must respect.
    let seuil = match o.kind {
        ObjectiveKind::Reduction => {
            v_prev.map(|p| p * (Decimal::ONE_HUNDRED - o.valeur) / Decimal::ONE_HUNDRED)
        }
        ObjectiveKind::Target => Some(o.valeur),
    };
    line.seuil = seuil;
    let (Some(cur), Some(bound)) = (v_cur, seuil) else {
        line.statut = LineStatus::NotEvaluable;
        let missing = if v_cur.is_none() { "N" } else { "N−1" };
        line.explication = format!(
            "Non évaluable : valeur de l'année {missing} manquante ; pas d'{word} sur cet indicateur."
        );
        return Ok(line);
    };
    let met = match sens {
        Direction::LowerIsBetter => cur <= bound,
        Direction::HigherIsBetter => cur >= bound,
    };
    line.atteint = Some(met);
    let objective_text = match o.kind {
        ObjectiveKind::Reduction => format!(
            "objectif −{}{} : valeur N ≤ {} × (1 − {}) = {}",
            pct(o.valeur),
            if o.a_confirmer { " (À CONFIRMER)" } else { "" },
            unit_text(ind.mesure, v_prev.unwrap_or_default()),
            pct(o.valeur),
            unit_text(ind.mesure, bound)
        ),
        ObjectiveKind::Target => format!(
            "objectif : valeur N {} {}{}",
            if sens == Direction::LowerIsBetter {
                "≤"
            } else {
                "≥"
            },
            unit_text(ind.mesure, o.valeur),
            if o.a_confirmer { " (À CONFIRMER)" } else { "" }
        ),
    };
    let mut text = format!(
        "Valeur N {} ; {objective_text} : {}.",
        unit_text(ind.mesure, cur),
        if met { "atteint" } else { "non atteint" }
    );
    // Savings: euros of spending, N−1 minus N, never below zero.
    let savings = match (m_prev, m_cur) {
        (Some(p), Some(c)) => Some(Euros((p - c).max(Decimal::ZERO))),
        _ => None,
    };
    line.economies = savings;
    match savings {
        // Under `proportion_objectifs` a regional line is paid on its objective, not on
        // its savings: the missing amount costs it nothing.
        None if share.is_none() => {
            text.push_str(" Économies non chiffrables (montant de dépense N−1 ou N manquant).")
        }
        None => text.push_str(&format!(
            " Économies non chiffrables (montant de dépense N−1 ou N manquant) : pas d'{word}."
        )),
        Some(s) => {
            let (p, c) = (m_prev.unwrap_or_default(), m_cur.unwrap_or_default());
            if p >= c {
                text.push_str(&format!(" Économies {} − {} = {s}.", Euros(p), Euros(c)));
            } else {
                text.push_str(&format!(
                    " Dépense en hausse ({} → {}) : économies nulles, non compensées par les autres indicateurs.",
                    Euros(p),
                    Euros(c)
                ));
            }
        }
    }
    let Some(share) = share else {
        // Regional line under `proportion_objectifs`: the amount comes from the share of
        // regional objectives met (evaluate_establishment).
        line.explication = text;
        return Ok(line);
    };
    let pay_anyway = grid.incentive.paiement_si_objectif_non_atteint.valeur;
    let eligible = met || pay_anyway;
    let mut amount = match (savings, eligible) {
        (Some(s), true) => s.percent(share.valeur),
        _ => Euros::ZERO,
    };
    if let Some(s) = savings {
        if eligible {
            text.push_str(&format!(
                " {} = {s} × {}{} = {amount}",
                capitalise(word),
                pct(share.valeur),
                if share.a_confirmer {
                    " (part À CONFIRMER)"
                } else {
                    ""
                }
            ));
            if !met {
                text.push_str(
                    " (versé bien que l'objectif soit manqué : paiement_si_objectif_non_atteint)",
                );
            }
            text.push('.');
        } else {
            text.push_str(&format!(
                " Objectif non atteint : pas d'{word} (aucune sanction pour un objectif manqué)."
            ));
        }
    }
    if let Some(cap) = line.plafond
        && amount > cap
    {
        text.push_str(&format!(" Plafonné à {cap}."));
        amount = cap;
    }
    line.interessement_calcule = amount;
    line.interessement = amount;
    line.explication = text;
    Ok(line)
}

fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Applies the DG ARS's downward revision: ≤ the computed amount, ≥ 0, with a motive.
pub fn revise(line: &mut Line, revision: Revision) -> Result<(), OutcomeError> {
    if revision.motive.trim().is_empty() {
        return Err(OutcomeError::MotiveRequired {
            code: line.code.clone(),
        });
    }
    if revision.amount.0 < Decimal::ZERO {
        return Err(OutcomeError::NegativeRevision {
            code: line.code.clone(),
            revised: revision.amount,
        });
    }
    if revision.amount > line.interessement_calcule {
        return Err(OutcomeError::RevisionAboveComputed {
            code: line.code.clone(),
            revised: revision.amount,
            computed: line.interessement_calcule,
        });
    }
    line.explication.push_str(&format!(
        " Révisé à la baisse par le directeur général de l'ARS : {} → {} (motif : {}).",
        line.interessement_calcule,
        revision.amount,
        revision.motive.trim()
    ));
    line.interessement = revision.amount;
    line.revision = Some(revision);
    Ok(())
}

/// One indicator's inputs for an establishment.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub previous: Option<YearValues>,
    pub current: Option<YearValues>,
    pub revision: Option<Revision>,
}

/// The lines of one establishment's evaluation for year N, read the one way `caqes
/// evaluate` and the platform read them: every indicator of the grid, in its order,
/// that has a value for N or N−1 (an indicator without any is not in the contract and
/// has no line), with the DG ARS's revision of that line if any.
pub fn contract_inputs(
    grid: &ObjectivesGrid,
    year: i16,
    mut value: impl FnMut(&str, i16) -> Option<YearValues>,
    mut revision: impl FnMut(&str) -> Option<Revision>,
) -> Vec<(&ObjectiveIndicator, LineInput)> {
    let mut inputs = Vec::new();
    for ind in &grid.indicators {
        let current = value(&ind.code, year);
        let previous = value(&ind.code, year - 1);
        if current.is_none() && previous.is_none() {
            continue;
        }
        inputs.push((
            ind,
            LineInput {
                previous,
                current,
                revision: revision(&ind.code),
            },
        ));
    }
    inputs
}

/// An establishment's evaluation for year N.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub regime: Regime,
    pub lignes: Vec<Line>,
    /// Σ retained amounts of the national lines.
    pub national: Euros,
    /// Σ retained amounts of the regional lines.
    pub regional: Euros,
    pub total: Euros,
    /// Regional objectives met / evaluated (D162-16 V 1°).
    pub objectifs_regionaux_atteints: usize,
    pub objectifs_regionaux_evalues: usize,
    /// Objectives missed (no sanction in 2022; the 2026 penalty may follow from 2027).
    pub objectifs_manques: usize,
}

/// Evaluates every indicator given for an establishment (`inputs` in the grid's order:
/// an indicator without any value is not in its contract and has no line), then the
/// regional intéressement, then the revisions.
pub fn evaluate_establishment(
    grid: &ObjectivesGrid,
    inputs: &[(&ObjectiveIndicator, LineInput)],
) -> Result<Outcome, OutcomeError> {
    let mut lines = Vec::with_capacity(inputs.len());
    for (ind, input) in inputs {
        lines.push(evaluate_line(
            grid,
            ind,
            input.previous.as_ref(),
            input.current.as_ref(),
        )?);
    }
    let regional_evaluated: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.portee == Scope::Regional && l.statut == LineStatus::Evaluated)
        .map(|(i, _)| i)
        .collect();
    let regional_met = regional_evaluated
        .iter()
        .filter(|i| lines[**i].atteint == Some(true))
        .count();
    if let Some(rule) = &grid.regional
        && rule.mode == RegionalMode::ShareOfObjectives
        && let Some(envelope) = &rule.enveloppe
        && !regional_evaluated.is_empty()
    {
        // enveloppe × met / evaluated, attributed evenly to the objectives met.
        let n = Decimal::from(regional_evaluated.len());
        let per_objective = Euros(envelope.valeur / n);
        for i in &regional_evaluated {
            let l = &mut lines[*i];
            let met = l.atteint == Some(true);
            let amount = if met { per_objective } else { Euros::ZERO };
            l.explication.push_str(&format!(
                " Intéressement régional : enveloppe {}{} ÷ {} objectifs régionaux évalués = {per_objective} par objectif atteint ; {} objectif(s) atteint(s) sur {} ; cette ligne : {amount}.",
                Euros(envelope.valeur),
                if envelope.a_confirmer { " (À CONFIRMER)" } else { "" },
                regional_evaluated.len(),
                regional_met,
                regional_evaluated.len()
            ));
            l.interessement_calcule = amount;
            l.interessement = amount;
        }
    }
    for (line, (_, input)) in lines.iter_mut().zip(inputs) {
        if let Some(r) = &input.revision {
            revise(line, r.clone())?;
        }
    }
    let sum = |scope: Scope| -> Euros {
        lines
            .iter()
            .filter(|l| l.portee == scope)
            .map(|l| l.interessement)
            .sum()
    };
    let national = sum(Scope::National);
    let regional = sum(Scope::Regional);
    let missed = lines.iter().filter(|l| l.atteint == Some(false)).count();
    Ok(Outcome {
        regime: grid.regime,
        national,
        regional,
        total: national + regional,
        objectifs_regionaux_atteints: regional_met,
        objectifs_regionaux_evalues: regional_evaluated.len(),
        objectifs_manques: missed,
        lignes: lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regimes::{AnyReferentiel, builtin_any_by_id};
    use rust_decimal_macros::dec;

    fn grid(id: &str) -> ObjectivesGrid {
        match builtin_any_by_id(id) {
            Some(AnyReferentiel::Objectives(g)) => g,
            _ => panic!("{id}"),
        }
    }

    fn spend(m: Decimal) -> YearValues {
        YearValues {
            montant: Some(m),
            ..YearValues::default()
        }
    }

    #[test]
    fn spending_reduction_met_pays_the_share_of_savings() {
        // Spec §3.3 worked example, N1-IPP: 500 000 € → 460 000 €.
        // Bound: 500 000 × (1 − 5 %) = 475 000 €; 460 000 ≤ 475 000: met.
        // Savings 500 000 − 460 000 = 40 000 €; share 30 %: 40 000 × 0,30 = 12 000 €.
        let g = grid("national-2022");
        let ind = g.indicator("N1-IPP").unwrap();
        let l = evaluate_line(
            &g,
            ind,
            Some(&spend(dec!(500000))),
            Some(&spend(dec!(460000))),
        )
        .unwrap();
        assert_eq!(l.seuil, Some(dec!(475000)));
        assert_eq!(l.atteint, Some(true));
        assert_eq!(l.economies, Some(Euros(dec!(40000))));
        assert_eq!(l.evolution_pct, Some(dec!(-8)));
        assert_eq!(l.interessement, Euros(dec!(12000)));
        assert!(l.explication.contains("À CONFIRMER"), "{}", l.explication);
        assert!(
            l.explication.contains("12\u{202f}000,00\u{a0}€"),
            "{}",
            l.explication
        );
    }

    #[test]
    fn missed_objective_pays_nothing_unless_the_grid_says_so() {
        // N2-PERFADOM: 300 000 € → 291 000 € (−3 %); bound 300 000 × 0,95 = 285 000 €:
        // missed. Savings 9 000 €; share 30 %: 2 700 € if paid anyway, else 0 €.
        let mut g = grid("national-2022");
        let ind = g.indicator("N2-PERFADOM").unwrap().clone();
        let l = evaluate_line(
            &g,
            &ind,
            Some(&spend(dec!(300000))),
            Some(&spend(dec!(291000))),
        )
        .unwrap();
        assert_eq!(l.atteint, Some(false));
        assert_eq!(l.economies, Some(Euros(dec!(9000))));
        assert_eq!(l.interessement, Euros::ZERO);
        assert!(
            l.explication.contains("aucune sanction"),
            "{}",
            l.explication
        );
        g.incentive.paiement_si_objectif_non_atteint.valeur = true;
        let l = evaluate_line(
            &g,
            &ind,
            Some(&spend(dec!(300000))),
            Some(&spend(dec!(291000))),
        )
        .unwrap();
        assert_eq!(l.interessement, Euros(dec!(2700)));
    }

    #[test]
    fn rising_spending_saves_nothing_and_is_not_offset() {
        // N3-AMBU given as a rate with its spending: 1 200 000 € → 1 260 000 € (+5 %):
        // savings max(0, 1 200 000 − 1 260 000) = 0.
        let g = grid("national-2022");
        let ind = g.indicator("N3-AMBU").unwrap();
        let prev = YearValues {
            montant: Some(dec!(1200000)),
            numerateur: Some(dec!(1200000)),
            denominateur: Some(dec!(4000000)),
        };
        let cur = YearValues {
            montant: Some(dec!(1260000)),
            numerateur: Some(dec!(1260000)),
            denominateur: Some(dec!(4500000)),
        };
        let l = evaluate_line(&g, ind, Some(&prev), Some(&cur)).unwrap();
        // Rate N = 1 260 000 / 4 500 000 = 28 %.
        assert_eq!(l.valeur_n, Some(dec!(28)));
        assert_eq!(l.economies, Some(Euros::ZERO));
        assert_eq!(l.interessement, Euros::ZERO);
        assert!(
            l.explication.contains("non compensées"),
            "{}",
            l.explication
        );
    }

    #[test]
    fn a_rate_without_spending_cannot_value_savings() {
        let g = grid("national-2022");
        let ind = g.indicator("N3-AMBU").unwrap();
        let cur = YearValues {
            montant: None,
            numerateur: Some(dec!(15)),
            denominateur: Some(dec!(100)),
        };
        let l = evaluate_line(&g, ind, None, Some(&cur)).unwrap();
        assert_eq!(l.economies, None);
        assert_eq!(l.interessement, Euros::ZERO);
        assert!(
            l.explication.contains("non chiffrables"),
            "{}",
            l.explication
        );
    }

    #[test]
    fn missing_values_and_neutralised_indicators() {
        let g = grid("national-2022");
        let l = evaluate_line(
            &g,
            g.indicator("N1-IPP").unwrap(),
            None,
            Some(&spend(dec!(1))),
        )
        .unwrap();
        assert_eq!(l.statut, LineStatus::NotEvaluable);
        assert!(l.explication.contains("N−1"), "{}", l.explication);
        let l = evaluate_line(
            &g,
            g.indicator("N5-EZE").unwrap(),
            Some(&spend(dec!(10))),
            Some(&spend(dec!(5))),
        )
        .unwrap();
        assert_eq!(l.statut, LineStatus::Neutralised);
        assert_eq!(l.interessement, Euros::ZERO);
    }

    #[test]
    fn downward_revision_needs_a_motive_and_cannot_raise() {
        let g = grid("national-2022");
        let ind = g.indicator("N1-IPP").unwrap();
        let base = evaluate_line(
            &g,
            ind,
            Some(&spend(dec!(500000))),
            Some(&spend(dec!(460000))),
        )
        .unwrap();
        // 12 000 € computed, revised to 10 000 € with a motive.
        let mut l = base.clone();
        revise(
            &mut l,
            Revision {
                amount: Euros(dec!(10000)),
                motive: "objectifs régionaux non atteints".into(),
            },
        )
        .unwrap();
        assert_eq!(
            (l.interessement_calcule, l.interessement),
            (Euros(dec!(12000)), Euros(dec!(10000)))
        );
        let mut l = base.clone();
        let e = revise(
            &mut l,
            Revision {
                amount: Euros(dec!(12000.01)),
                motive: "x".into(),
            },
        )
        .unwrap_err();
        assert!(
            matches!(e, OutcomeError::RevisionAboveComputed { .. }),
            "{e}"
        );
        let mut l = base;
        let e = revise(
            &mut l,
            Revision {
                amount: Euros(dec!(1)),
                motive: "  ".into(),
            },
        )
        .unwrap_err();
        assert_eq!(
            e,
            OutcomeError::MotiveRequired {
                code: "N1-IPP".into()
            }
        );
    }

    #[test]
    fn regional_intéressement_follows_the_share_of_regional_objectives_met() {
        // exemple-regional-2022: enveloppe 30 000 €; 3 regional objectives evaluated,
        // 2 met: 30 000 × 2/3 = 20 000 € (10 000 € per objective met).
        let g = grid("exemple-regional-2022");
        let r1 = g.indicator("R1-ANTIBIO").unwrap();
        let r2 = g.indicator("R2-BIOSIM").unwrap();
        let r3 = g.indicator("R3-TRANSPORT").unwrap();
        let rate = |n, d| YearValues {
            montant: None,
            numerateur: Some(n),
            denominateur: Some(d),
        };
        let inputs = vec![
            // R1 (≤ 25 %): 20/100 = 20 %: met.
            (
                r1,
                LineInput {
                    previous: None,
                    current: Some(rate(dec!(20), dec!(100))),
                    revision: None,
                },
            ),
            // R2 (≥ 80 %): 70/100 = 70 %: missed.
            (
                r2,
                LineInput {
                    previous: None,
                    current: Some(rate(dec!(70), dec!(100))),
                    revision: None,
                },
            ),
            // R3 (−3 %): 100 000 € → 95 000 € ≤ 97 000 €: met.
            (
                r3,
                LineInput {
                    previous: Some(spend(dec!(100000))),
                    current: Some(spend(dec!(95000))),
                    revision: None,
                },
            ),
        ];
        let o = evaluate_establishment(&g, &inputs).unwrap();
        assert_eq!(
            (
                o.objectifs_regionaux_atteints,
                o.objectifs_regionaux_evalues
            ),
            (2, 3)
        );
        assert_eq!(o.regional, Euros(dec!(20000)));
        assert_eq!(o.national, Euros::ZERO);
        assert_eq!(o.objectifs_manques, 1);
        assert_eq!(o.lignes[1].interessement, Euros::ZERO);
    }

    #[test]
    fn french_numbers() {
        assert_eq!(
            fr_number(dec!(1234567.891), 2),
            "1\u{202f}234\u{202f}567,89"
        );
        assert_eq!(fr_number(dec!(-8), 2), "-8");
        assert_eq!(pct(dec!(5)), "5\u{a0}%");
    }
}
