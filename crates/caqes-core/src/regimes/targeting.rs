//! Targeting of the second generation (spec §2): who must sign which indicator.
//!
//! D162-14 II: an establishment must sign the volet(s) proposed when it does not meet a
//! national referential of the arrêté of 23 February 2022 or a regional indicator of the
//! PAPRAPS. The annex lists, per indicator, conditions joined by « ou »: meeting any one
//! of them meets the referential. Hence (spec §2.2) **targeted on an indicator ⇔ every
//! one of its conditions fails**, each condition reading « measure < threshold » (the
//! grid's `seuils_ciblage`, in order). The ARS confirms the list and may depart from it
//! (remove an establishment from the national pre-targeting, target one on regional
//! indicators only: spec §2.3 [S]) — with a motive, as for the first generation's volets.

use rust_decimal::Decimal;
use serde::Serialize;

use super::grid::ObjectiveIndicator;

/// Errors of the targeting (French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetingError {
    #[error(
        "indicateur {code} : {expected} mesure(s) attendue(s) (une par seuil de ciblage), {got} reçue(s)"
    )]
    Arity {
        code: String,
        expected: usize,
        got: usize,
    },
    #[error(
        "indicateur {code} : la décision de l'ARS s'écarte du ciblage calculé ; un motif est obligatoire"
    )]
    MotiveRequired { code: String },
}

/// The computed targeting of one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Targeting {
    /// Every condition fails: the establishment is targeted.
    #[serde(rename = "cible")]
    Targeted,
    /// At least one condition is met: the referential is respected.
    #[serde(rename = "non_cible")]
    NotTargeted,
    /// A measure or a threshold is missing and no condition is met: cannot be decided.
    #[serde(rename = "indetermine")]
    Undetermined,
}

/// Reads the indicator's conditions on `measures` (one per `seuils_ciblage`, in order).
pub fn targeting(
    ind: &ObjectiveIndicator,
    measures: &[Option<Decimal>],
) -> Result<Targeting, TargetingError> {
    if measures.len() != ind.seuils_ciblage.len() {
        return Err(TargetingError::Arity {
            code: ind.code.clone(),
            expected: ind.seuils_ciblage.len(),
            got: measures.len(),
        });
    }
    if measures.is_empty() {
        return Ok(Targeting::Undetermined);
    }
    let mut unknown = false;
    for (t, m) in ind.seuils_ciblage.iter().zip(measures) {
        match (t.valeur, m) {
            // « measure < threshold »: the referential is met by this condition.
            (Some(threshold), Some(value)) if *value < threshold => {
                return Ok(Targeting::NotTargeted);
            }
            (Some(_), Some(_)) => {}
            _ => unknown = true,
        }
    }
    Ok(if unknown {
        Targeting::Undetermined
    } else {
        Targeting::Targeted
    })
}

/// The ARS's decision on a computed targeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetingDecision {
    pub calcule: Targeting,
    pub retenu: bool,
    pub motif: Option<String>,
}

/// Records the ARS's decision: following the computation needs no motive; departing from
/// it (or deciding an undetermined case) does.
pub fn confirm(
    code: &str,
    computed: Targeting,
    retained: bool,
    motive: Option<&str>,
) -> Result<TargetingDecision, TargetingError> {
    let follows = matches!(
        (computed, retained),
        (Targeting::Targeted, true) | (Targeting::NotTargeted, false)
    );
    let motive = motive.map(str::trim).filter(|m| !m.is_empty());
    if !follows && motive.is_none() {
        return Err(TargetingError::MotiveRequired {
            code: code.to_owned(),
        });
    }
    Ok(TargetingDecision {
        calcule: computed,
        retenu: retained,
        motif: motive.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regimes::{AnyReferentiel, builtin_any_by_id};
    use rust_decimal_macros::dec;

    fn grid() -> crate::regimes::ObjectivesGrid {
        match builtin_any_by_id("national-2022") {
            Some(AnyReferentiel::Objectives(g)) => g,
            _ => panic!("national-2022"),
        }
    }

    #[test]
    fn spec_worked_examples_a_b_c() {
        // Spec §2.2 table. IPP: boxes (< 8 500 respects). PERFADOM: spend (< 100 000 €)
        // or share (< 80 %). Ambulance: share (< 20 %) or spend (< 400 000 €).
        let g = grid();
        let ipp = g.indicator("N1-IPP").unwrap();
        let perf = g.indicator("N2-PERFADOM").unwrap();
        let ambu = g.indicator("N3-AMBU").unwrap();
        let t = |ind, m: &[Option<Decimal>]| targeting(ind, m).unwrap();
        // A: 12 300 boxes; 240 000 € and 86 %; 24 % and 1,1 M€: targeted on all three.
        assert_eq!(t(ipp, &[Some(dec!(12300))]), Targeting::Targeted);
        assert_eq!(
            t(perf, &[Some(dec!(240000)), Some(dec!(86))]),
            Targeting::Targeted
        );
        assert_eq!(
            t(ambu, &[Some(dec!(24)), Some(dec!(1100000))]),
            Targeting::Targeted
        );
        // B: 7 900 boxes; 62 % < 80 %; 350 000 € < 400 000 €: none.
        assert_eq!(t(ipp, &[Some(dec!(7900))]), Targeting::NotTargeted);
        assert_eq!(
            t(perf, &[Some(dec!(310000)), Some(dec!(62))]),
            Targeting::NotTargeted
        );
        assert_eq!(
            t(ambu, &[Some(dec!(31)), Some(dec!(350000))]),
            Targeting::NotTargeted
        );
        // C: 9 000 boxes: IPP only (90 000 € < 100 000 €; 18 % < 20 %).
        assert_eq!(t(ipp, &[Some(dec!(9000))]), Targeting::Targeted);
        assert_eq!(
            t(perf, &[Some(dec!(90000)), Some(dec!(95))]),
            Targeting::NotTargeted
        );
        assert_eq!(
            t(ambu, &[Some(dec!(18)), Some(dec!(2000000))]),
            Targeting::NotTargeted
        );
        // Exactly at the threshold is not « below »: 8 500 boxes is targeted.
        assert_eq!(t(ipp, &[Some(dec!(8500))]), Targeting::Targeted);
        // A missing measure with no condition met: undetermined; rows 4–7 have no value.
        assert_eq!(
            t(perf, &[Some(dec!(240000)), None]),
            Targeting::Undetermined
        );
        assert_eq!(t(perf, &[Some(dec!(90000)), None]), Targeting::NotTargeted);
        let epa = g.indicator("N4-EPA").unwrap();
        assert_eq!(t(epa, &[Some(dec!(1))]), Targeting::Undetermined);
        assert!(targeting(ipp, &[]).is_err());
    }

    #[test]
    fn departing_from_the_computation_needs_a_motive() {
        assert!(confirm("N1-IPP", Targeting::Targeted, true, None).is_ok());
        assert!(confirm("N1-IPP", Targeting::NotTargeted, false, None).is_ok());
        assert_eq!(
            confirm("N1-IPP", Targeting::Targeted, false, Some(" ")),
            Err(TargetingError::MotiveRequired {
                code: "N1-IPP".into()
            })
        );
        let d = confirm(
            "N4-EPA",
            Targeting::Undetermined,
            true,
            Some("données ARS 2021"),
        )
        .unwrap();
        assert_eq!(
            (d.retenu, d.motif.as_deref()),
            (true, Some("données ARS 2021"))
        );
    }
}
