//! Amounts in euros, exact (decimal, never floating point).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An amount in euros. Arithmetic is exact; rounding happens only for display.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Euros(pub Decimal);

impl Euros {
    pub const ZERO: Euros = Euros(Decimal::ZERO);

    pub fn new(amount: Decimal) -> Self {
        Euros(amount)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// `self × percent / 100`, exact.
    pub fn percent(self, percent: Decimal) -> Euros {
        Euros(self.0 * percent / Decimal::ONE_HUNDRED)
    }

    /// Rounded to the cent, half away from zero (display and notification only).
    pub fn to_cents(self) -> Euros {
        Euros(
            self.0
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        )
    }
}

impl Add for Euros {
    type Output = Euros;
    fn add(self, rhs: Euros) -> Euros {
        Euros(self.0 + rhs.0)
    }
}

impl Sub for Euros {
    type Output = Euros;
    fn sub(self, rhs: Euros) -> Euros {
        Euros(self.0 - rhs.0)
    }
}

impl Sum for Euros {
    fn sum<I: Iterator<Item = Euros>>(iter: I) -> Euros {
        iter.fold(Euros::ZERO, Add::add)
    }
}

impl fmt::Display for Euros {
    /// French display: `1 234 567,89 €` (narrow no-break space as thousands separator).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = self.to_cents().0;
        let text = format!("{:.2}", rounded.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::new();
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push('\u{202f}');
            }
            grouped.push(ch);
        }
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        write!(f, "{sign}{grouped},{frac}\u{a0}€")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn percent_is_exact_and_display_is_french() {
        let revenue = Euros(dec!(5_000_000_000));
        assert_eq!(revenue.percent(dec!(1)), Euros(dec!(50_000_000)));
        assert_eq!(
            Euros(dec!(1234567.885)).to_string(),
            "1\u{202f}234\u{202f}567,89\u{a0}€"
        );
        assert_eq!(Euros(dec!(-12.5)).to_string(), "-12,50\u{a0}€");
    }
}
