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

    /// An amount as people type it: `1 234 567,89 €`, `1234567.89`, `600 000` (spaces,
    /// no-break and narrow no-break spaces as thousands separators, a decimal comma or
    /// point, an optional « € »). Never negative (a sanction or an incentive says its
    /// direction by its nature, not by a sign) and at most two decimals: an amount with
    /// thousandths is refused rather than rounded.
    pub fn parse_fr(text: &str) -> Result<Euros, AmountError> {
        let cleaned: String = text
            .trim()
            .trim_end_matches('€')
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\t'))
            .collect();
        if cleaned.is_empty() {
            return Err(AmountError::Empty);
        }
        // A comma and a point together (« 1.234,56 ») are ambiguous: refused.
        if cleaned.contains(',') && cleaned.contains('.') {
            return Err(AmountError::Unreadable(text.trim().to_owned()));
        }
        let amount: Decimal = cleaned
            .replace(',', ".")
            .parse()
            .map_err(|_| AmountError::Unreadable(text.trim().to_owned()))?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(AmountError::Negative(text.trim().to_owned()));
        }
        // « 3,000 » is refused too: three decimals may be a thousands separator.
        if amount.scale() > 2 {
            return Err(AmountError::BeyondCents(text.trim().to_owned()));
        }
        Ok(Euros(amount))
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

/// Why a typed amount was refused, in French for the form that shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("montant manquant")]
    Empty,
    #[error("montant illisible « {0} » (exemple : 1 234 567,89)")]
    Unreadable(String),
    #[error("« {0} » : un montant ne peut pas être négatif")]
    Negative(String),
    #[error("« {0} » : au plus deux décimales (centimes)")]
    BeyondCents(String),
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

    #[test]
    fn parse_fr_reads_what_people_type_and_refuses_the_rest() {
        for (text, amount) in [
            ("600 000,50", dec!(600000.50)),
            ("600000.50", dec!(600000.50)),
            ("1\u{202f}234\u{202f}567,89\u{a0}€", dec!(1234567.89)),
            ("1 000 €", dec!(1000)),
            ("  12,5 ", dec!(12.5)),
            ("0", dec!(0)),
        ] {
            assert_eq!(Euros::parse_fr(text), Ok(Euros(amount)), "{text}");
        }
        assert_eq!(Euros::parse_fr("  "), Err(AmountError::Empty));
        assert!(matches!(
            Euros::parse_fr("douze"),
            Err(AmountError::Unreadable(_))
        ));
        assert!(matches!(
            Euros::parse_fr("1.234,56"),
            Err(AmountError::Unreadable(_))
        ));
        assert!(matches!(
            Euros::parse_fr("-5"),
            Err(AmountError::Negative(_))
        ));
        assert!(matches!(
            Euros::parse_fr("12,345"),
            Err(AmountError::BeyondCents(_))
        ));
        assert!(matches!(
            Euros::parse_fr("3,000"),
            Err(AmountError::BeyondCents(_))
        ));
    }
}
