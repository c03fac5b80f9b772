//! An establishment's own objective (issue 13): the grid fixes each indicator's
//! objective for everyone (the arrêté's « −5 % par an », a regional rate to reach); the
//! ARS may fix, in the contract of one establishment, its own value for an indicator —
//! a reduction of another percentage, or another value to reach — and the evaluation
//! then reads that value instead of the grid's.
//!
//! What may change, and within which bounds (our reading; the texts leave the value of
//! each objective to the contract, D162-16 I, spec §3.2 and §4.3):
//! - the **value** only: the kind of objective (reduction or value to reach) and its
//!   direction stay the grid's, for they say what the indicator measures;
//! - a reduction lies in [0 % ; 30 %] a year: the one bound the texts put on an annual
//!   objective is L162-30-3's, an annual target « qui ne peut être inférieur de plus de
//!   30 % au nombre constaté l'année précédente » (reused from
//!   [`super::surveillance::MAX_TARGET_CUT_PCT`]);
//! - a rate to reach lies in [0 % ; 100 %]; a volume or an amount to reach is ≥ 0.

use std::borrow::Cow;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::grid::{Measure, ObjectiveIndicator, ObjectiveKind, ObjectivesGrid};
use super::surveillance::MAX_TARGET_CUT_PCT;

/// The ARS's value for one indicator of one establishment, and the day it fixed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnObjective {
    pub indicator: String,
    /// % of reduction a year, or the value to reach (as the grid's `valeur`).
    pub value: Decimal,
    pub fixed_on: Date,
}

impl OwnObjective {
    /// What the evaluation's explanations and the pages give as the objective's source.
    pub fn source(&self) -> String {
        format!(
            "fixé par l'ARS le {}",
            crate::regimes::french_date(self.fixed_on)
        )
    }
}

/// Errors of an establishment's own objective (French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnObjectiveError {
    #[error("indicateur {code} : objectif négatif ({value})")]
    Negative { code: String, value: Decimal },
    #[error(
        "indicateur {code} : réduction de {value} % par an, au plus 30 % (un objectif annuel ne peut être inférieur de plus de 30 % à l'année précédente, CSS L162-30-3)"
    )]
    ReductionTooHigh { code: String, value: Decimal },
    #[error("indicateur {code} : taux à atteindre de {value} %, au plus 100 %")]
    RateAboveHundred { code: String, value: Decimal },
    #[error("indicateur {code} : neutralisé dans le référentiel, sans objectif")]
    Neutralised { code: String },
}

/// Checks `value` as the own objective of `ind`.
pub fn check_own_objective(
    ind: &ObjectiveIndicator,
    value: Decimal,
) -> Result<(), OwnObjectiveError> {
    let code = || ind.code.clone();
    if !ind.actif {
        return Err(OwnObjectiveError::Neutralised { code: code() });
    }
    if value < Decimal::ZERO {
        return Err(OwnObjectiveError::Negative {
            code: code(),
            value,
        });
    }
    match ind.objectif.kind {
        ObjectiveKind::Reduction if value > Decimal::from(MAX_TARGET_CUT_PCT) => {
            Err(OwnObjectiveError::ReductionTooHigh {
                code: code(),
                value,
            })
        }
        ObjectiveKind::Target if ind.mesure == Measure::Rate && value > Decimal::ONE_HUNDRED => {
            Err(OwnObjectiveError::RateAboveHundred {
                code: code(),
                value,
            })
        }
        _ => Ok(()),
    }
}

/// The grid an establishment is evaluated on: the grid itself when it has no own
/// objective, else a copy whose indicators carry the ARS's values, with their source
/// (« fixé par l'ARS le … ») and no « À CONFIRMER » (the ARS fixed them). An own
/// objective of an indicator the grid does not have is ignored (the store checks each
/// one when it is written).
pub fn with_own_objectives<'g>(
    grid: &'g ObjectivesGrid,
    own: &[OwnObjective],
) -> Cow<'g, ObjectivesGrid> {
    if own.is_empty() {
        return Cow::Borrowed(grid);
    }
    let mut grid = grid.clone();
    for o in own {
        if let Some(ind) = grid.indicators.iter_mut().find(|i| i.code == o.indicator) {
            ind.objectif.valeur = o.value;
            ind.objectif.source = o.source();
            ind.objectif.a_confirmer = false;
        }
    }
    Cow::Owned(grid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regimes::{AnyReferentiel, builtin_any_by_id};
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    fn national() -> ObjectivesGrid {
        match builtin_any_by_id("national-2022") {
            Some(AnyReferentiel::Objectives(g)) => g,
            _ => panic!("national-2022 est une grille d'objectifs"),
        }
    }

    #[test]
    fn a_reduction_lies_between_zero_and_thirty_percent() {
        let grid = national();
        let ind = grid.indicator("N1-IPP").expect("N1-IPP");
        assert_eq!(ind.objectif.kind, ObjectiveKind::Reduction);
        assert!(check_own_objective(ind, dec!(0)).is_ok());
        assert!(check_own_objective(ind, dec!(30)).is_ok());
        let err = check_own_objective(ind, dec!(30.5)).unwrap_err();
        assert!(err.to_string().contains("au plus 30 %"), "{err}");
        assert!(matches!(
            check_own_objective(ind, dec!(-1)),
            Err(OwnObjectiveError::Negative { .. })
        ));
    }

    #[test]
    fn the_evaluated_grid_carries_the_own_value_and_its_source() {
        let grid = national();
        let own = [OwnObjective {
            indicator: "N1-IPP".into(),
            value: dec!(3),
            fixed_on: date(2023, 3, 15),
        }];
        let evaluated = with_own_objectives(&grid, &own);
        let ind = evaluated.indicator("N1-IPP").expect("N1-IPP");
        assert_eq!(ind.objectif.valeur, dec!(3));
        assert_eq!(ind.objectif.source, "fixé par l'ARS le 15 mars 2023");
        assert!(!ind.objectif.a_confirmer);
        // The others keep the grid's.
        assert_eq!(
            evaluated.indicator("N2-PERFADOM").map(|i| &i.objectif),
            grid.indicator("N2-PERFADOM").map(|i| &i.objectif)
        );
        assert!(matches!(with_own_objectives(&grid, &[]), Cow::Borrowed(_)));
    }
}
