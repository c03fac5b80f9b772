//! Rates that keep their numerator and denominator.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// A rate `numerator / denominator` with `denominator > 0` and `numerator >= 0`.
///
/// The parts are kept so that a legal entity's rate can be computed as
/// Σ numerators / Σ denominators of its sites, and so that comparisons with a
/// target are exact (cross-multiplication, no division).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rate {
    numerator: Decimal,
    denominator: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("le dénominateur doit être strictement positif (reçu {0})")]
    DenominatorNotPositive(Decimal),
    #[error("le numérateur ne peut pas être négatif (reçu {0})")]
    NegativeNumerator(Decimal),
    #[error(
        "le numérateur ({numerator}) dépasse le dénominateur ({denominator}) pour une proportion"
    )]
    NumeratorAboveDenominator {
        numerator: Decimal,
        denominator: Decimal,
    },
}

impl Rate {
    /// Any non-negative rate (ratios, growth amounts).
    pub fn new(numerator: Decimal, denominator: Decimal) -> Result<Self, RateError> {
        if denominator <= Decimal::ZERO {
            return Err(RateError::DenominatorNotPositive(denominator));
        }
        if numerator < Decimal::ZERO {
            return Err(RateError::NegativeNumerator(numerator));
        }
        Ok(Rate {
            numerator,
            denominator,
        })
    }

    /// A proportion: additionally `numerator <= denominator`.
    pub fn proportion(numerator: Decimal, denominator: Decimal) -> Result<Self, RateError> {
        let r = Rate::new(numerator, denominator)?;
        if numerator > denominator {
            return Err(RateError::NumeratorAboveDenominator {
                numerator,
                denominator,
            });
        }
        Ok(r)
    }

    pub fn numerator(&self) -> Decimal {
        self.numerator
    }

    pub fn denominator(&self) -> Decimal {
        self.denominator
    }

    /// `numerator / denominator` (28 significant digits).
    pub fn value(&self) -> Decimal {
        self.numerator / self.denominator
    }

    /// `100 × numerator / denominator`.
    pub fn percent(&self) -> Decimal {
        self.numerator * Decimal::ONE_HUNDRED / self.denominator
    }

    /// Σ numerators / Σ denominators; `None` for an empty list.
    pub fn pooled<'a>(rates: impl IntoIterator<Item = &'a Rate>) -> Option<Rate> {
        let mut n = Decimal::ZERO;
        let mut d = Decimal::ZERO;
        let mut any = false;
        for r in rates {
            n += r.numerator;
            d += r.denominator;
            any = true;
        }
        any.then_some(Rate {
            numerator: n,
            denominator: d,
        })
    }
}

/// Rounds half away from zero to `dp` decimals (for display and output only).
pub fn round_half_away(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn proportion_bounds() {
        assert!(Rate::proportion(dec!(3), dec!(2)).is_err());
        assert!(Rate::proportion(dec!(1), dec!(0)).is_err());
        assert!(Rate::proportion(dec!(-1), dec!(2)).is_err());
        assert_eq!(
            Rate::proportion(dec!(1), dec!(3))
                .unwrap()
                .percent()
                .round_dp(4),
            dec!(33.3333)
        );
    }

    #[test]
    fn pooled_is_sum_of_parts_not_mean_of_rates() {
        let a = Rate::proportion(dec!(1), dec!(2)).unwrap(); // 50 %
        let b = Rate::proportion(dec!(90), dec!(100)).unwrap(); // 90 %
        let p = Rate::pooled([&a, &b]).unwrap();
        assert_eq!((p.numerator(), p.denominator()), (dec!(91), dec!(102)));
        assert_ne!(p.percent(), dec!(70));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(dec!(2.345), 2), dec!(2.35));
        assert_eq!(round_half_away(dec!(-2.345), 2), dec!(-2.35));
    }
}
