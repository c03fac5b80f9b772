//! French formatting of dates, amounts, rates and numbers.
//!
//! Typography (Lexique des règles typographiques en usage à l'Imprimerie nationale):
//! digits grouped by three with a narrow no-break space (U+202F), a no-break space
//! (U+00A0) before « € », a narrow no-break space before « % », the first day of a
//! month written « 1er ». Neither space lets a line break inside a figure. `pdftotext`
//! extracts both as themselves (tests compare them as such).

use caqes_core::Euros;
use caqes_core::Rate;
use caqes_core::rate::round_half_away;
use jiff::civil::{Date, DateTime};
use rust_decimal::Decimal;

/// U+202F, between groups of digits and before « % ».
pub const NNBSP: char = '\u{202f}';
/// U+00A0, before « € » and after « n° ».
pub const NBSP: char = '\u{a0}';

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// « 15 mars 2019 », « 1er janvier 2018 ».
pub fn date(d: Date) -> String {
    let day = if d.day() == 1 {
        "1er".to_owned()
    } else {
        d.day().to_string()
    };
    let month = usize::try_from(d.month() - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or("");
    format!("{day} {month} {}", d.year())
}

/// « 31/12/2019 »: dates in narrow table columns.
pub fn short_date(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

/// « 15 mars 2019 à 14 h 05 » (the time as given: the caller passes Paris time).
pub fn date_time(dt: DateTime) -> String {
    format!(
        "{} à {}{NBSP}h{NBSP}{:02}",
        date(dt.date()),
        dt.hour(),
        dt.minute()
    )
}

/// « 1 234 567,89 € » (rounded to the cent, half away from zero).
pub fn euros(amount: Euros) -> String {
    amount.to_string()
}

/// « +1 234,00 € », « −1 234,00 € » (true minus sign), « 0,00 € ».
pub fn signed_euros(amount: Euros) -> String {
    let cents = amount.to_cents().amount();
    if cents > Decimal::ZERO {
        format!("+{amount}")
    } else if cents < Decimal::ZERO {
        format!("−{}", Euros(-cents))
    } else {
        Euros::ZERO.to_string()
    }
}

/// A decimal with exactly `dp` decimals, French: « 56,52 », « 1 234,5 », « -3,00 ».
pub fn decimal(value: Decimal, dp: u32) -> String {
    let rounded = round_half_away(value, dp);
    let text = format!("{:.*}", dp as usize, rounded.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (text.clone(), None),
    };
    let mut out = String::new();
    if rounded.is_sign_negative() && !rounded.is_zero() {
        out.push('-');
    }
    out.push_str(&group(&int));
    if let Some(f) = frac {
        out.push(',');
        out.push_str(&f);
    }
    out
}

/// A decimal with at most `dp` decimals, trailing zeros removed: « 2,5 », « 30 ».
pub fn decimal_trimmed(value: Decimal, dp: u32) -> String {
    let text = decimal(value, dp);
    if text.contains(',') {
        text.trim_end_matches('0').trim_end_matches(',').to_owned()
    } else {
        text
    }
}

/// An integer count, grouped: « 3 475 ».
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// A percentage with `dp` decimals: « 8,50 % ».
pub fn percent(value: Decimal, dp: u32) -> String {
    format!("{}{NNBSP}%", decimal(value, dp))
}

/// A percentage with at most `dp` decimals: « 1 % », « 2,2 % ».
pub fn percent_trimmed(value: Decimal, dp: u32) -> String {
    format!("{}{NNBSP}%", decimal_trimmed(value, dp))
}

/// A signed percentage (growth rates): « +4,10 % », « -1,00 % ».
pub fn signed_percent(value: Decimal, dp: u32) -> String {
    let text = percent(value, dp);
    if round_half_away(value, dp) > Decimal::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

/// A rate as a percentage with its parts: « 85,00 % (85 / 100) ».
pub fn rate(r: &Rate, dp: u32) -> String {
    format!(
        "{} ({} / {})",
        percent(r.percent(), dp),
        decimal_trimmed(r.numerator(), 4),
        decimal_trimmed(r.denominator(), 4)
    )
}

fn group(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3 * 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(NNBSP);
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;
    use rust_decimal_macros::dec;

    #[test]
    fn dates_are_french() {
        assert_eq!(date(d(2019, 3, 15)), "15 mars 2019");
        assert_eq!(date(d(2018, 1, 1)), "1er janvier 2018");
        assert_eq!(date(d(2020, 8, 31)), "31 août 2020");
        assert_eq!(short_date(d(2019, 3, 5)), "05/03/2019");
        assert_eq!(
            date_time(d(2019, 6, 30).at(9, 5, 0, 0)),
            "30 juin 2019 à 9\u{a0}h\u{a0}05"
        );
    }

    #[test]
    fn amounts_rates_and_numbers_use_french_spaces() {
        assert_eq!(
            euros(Euros(dec!(1234567.885))),
            "1\u{202f}234\u{202f}567,89\u{a0}€"
        );
        assert_eq!(
            signed_euros(Euros(dec!(240000))),
            "+240\u{202f}000,00\u{a0}€"
        );
        assert_eq!(signed_euros(Euros(dec!(-12.5))), "−12,50\u{a0}€");
        assert_eq!(signed_euros(Euros(dec!(0.001))), "0,00\u{a0}€");
        assert_eq!(percent(dec!(8.5), 2), "8,50\u{202f}%");
        assert_eq!(percent_trimmed(dec!(1), 2), "1\u{202f}%");
        assert_eq!(signed_percent(dec!(4.1), 1), "+4,1\u{202f}%");
        assert_eq!(signed_percent(dec!(-2), 1), "-2,0\u{202f}%");
        assert_eq!(decimal(dec!(56.515), 2), "56,52");
        assert_eq!(decimal(dec!(-1234.5), 1), "-1\u{202f}234,5");
        assert_eq!(decimal(dec!(-0.001), 2), "0,00");
        assert_eq!(decimal_trimmed(dec!(2.50), 2), "2,5");
        assert_eq!(count(3475), "3\u{202f}475");
        let r = Rate::proportion(dec!(1), dec!(3)).unwrap();
        assert_eq!(rate(&r, 2), "33,33\u{202f}% (1 / 3)");
    }
}
