//! Maximum points of a grid's indicators after the redistribution of NC/NM points, as
//! fractions over one common denominator (docs/ARCHITECTURE.md), and the table of what
//! each indicator can earn for one set of statuses.
//!
//! The table only depends on which indicators are concerned: every establishment of a
//! category that declares no NC shares its category's table, so a national campaign
//! divides once per category and indicator instead of three times per line
//! ([`super::scoring::Scorer`]). Every figure is computed by the same operations, in the
//! same order, as when it was computed line by line: the results are identical to the
//! last digit.

use rust_decimal::Decimal;

use crate::category::Category;
use crate::grid::referentiel::{Applicability, Indicator, Redistribution, Referentiel};

/// Maximum points as fractions over one common denominator.
#[derive(Debug, Clone)]
pub(crate) struct Weights {
    method: Redistribution,
    /// The grid's non-bonus total (100).
    total: Decimal,
    /// Σ points of the concerned non-bonus indicators.
    concerned_points: Decimal,
    /// Concerned non-bonus indicators with points > 0 (equal method).
    sharing: Decimal,
    pub(crate) denominator: Decimal,
    /// The denominator before the guard against 0 (0: nothing concerned).
    pub(crate) raw_denominator: Decimal,
}

impl Weights {
    /// `applied`: the status of each indicator of `r`, in the grid's order.
    pub(crate) fn new(r: &Referentiel, applied: &[Applicability]) -> Weights {
        let concerned = r
            .indicators
            .iter()
            .zip(applied)
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
            raw_denominator: denominator,
            // Nothing concerned: every maximum is 0 (numerators are 0 below), any
            // non-zero denominator keeps the division defined.
            denominator: if denominator.is_zero() {
                Decimal::ONE
            } else {
                denominator
            },
        }
    }

    /// The redistribution factor of a concerned indicator: `max / points`.
    fn factor(&self, ind: &Indicator, max_points: Decimal) -> Decimal {
        if ind.bonus {
            return Decimal::ONE;
        }
        match self.method {
            Redistribution::Proportional if self.concerned_points.is_zero() => Decimal::ZERO,
            Redistribution::Proportional => self.total / self.concerned_points,
            Redistribution::Equal if ind.points.is_zero() => Decimal::ZERO,
            Redistribution::Equal => max_points / ind.points,
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

/// What one concerned indicator can earn.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stake {
    /// Added to the score's numerator (non-bonus) or to the bonus when all is earned.
    pub(crate) share_all: Decimal,
    /// The same when half is earned (`EN_COURS`).
    pub(crate) share_half: Decimal,
    /// The line's maximum after redistribution (= its points when all is earned).
    pub(crate) max_points: Decimal,
    /// The line's points when half is earned.
    pub(crate) points_half: Decimal,
    /// The line's points when nothing is earned.
    pub(crate) points_nothing: Decimal,
    /// [`crate::scoring::Explanation::factor`].
    pub(crate) factor: Decimal,
}

/// The stakes of every indicator for one set of statuses (zero for NC/NM indicators).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The status of each indicator, in the grid's order.
    pub(crate) applied: Vec<Applicability>,
    pub(crate) weights: Weights,
    pub(crate) stakes: Vec<Stake>,
}

impl Table {
    pub(crate) fn new(r: &Referentiel, applied: Vec<Applicability>) -> Table {
        let weights = Weights::new(r, &applied);
        let stakes = r
            .indicators
            .iter()
            .zip(&applied)
            .map(|(ind, status)| {
                if *status != Applicability::Concerned {
                    return Stake::default();
                }
                let numerator = weights.numerator(ind);
                let half = numerator / Decimal::TWO;
                let (max_points, points_half, points_nothing) = if ind.bonus {
                    (numerator, half, Decimal::ZERO)
                } else {
                    (
                        numerator / weights.denominator,
                        half / weights.denominator,
                        Decimal::ZERO / weights.denominator,
                    )
                };
                Stake {
                    share_all: numerator,
                    share_half: half,
                    max_points,
                    points_half,
                    points_nothing,
                    factor: weights.factor(ind, max_points),
                }
            })
            .collect();
        Table {
            applied,
            weights,
            stakes,
        }
    }

    /// The table of an establishment of `category` declaring no NC.
    pub(crate) fn of_category(r: &Referentiel, category: Category) -> Table {
        let applied = r
            .indicators
            .iter()
            .map(|i| i.applicability(category))
            .collect();
        Table::new(r, applied)
    }
}
