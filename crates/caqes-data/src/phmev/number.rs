//! Numbers as written in Open PHMEV: integer boxes and amounts with a decimal comma,
//! possibly with `.` thousands separators (`1.234,56`). Amounts are kept in fixed point
//! (ten-thousandths of a euro) so that sums are exact.

use rust_decimal::Decimal;

/// Fixed-point scale of amounts: 4 decimals.
pub const AMOUNT_SCALE: u32 = 4;
const AMOUNT_UNIT: i64 = 10_000;

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

fn show(bytes: &[u8]) -> String {
    super::decode_text(bytes)
}

/// Digits with optional `.` thousands separators (groups of exactly three digits after
/// each separator). Returns the value or `None`.
fn grouped_digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    let mut group_len: Option<usize> = None; // digits since the last separator
    let mut first_group = 0usize;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
                match group_len.as_mut() {
                    Some(n) => *n += 1,
                    None => first_group += 1,
                }
            }
            b'.' => {
                if first_group == 0
                    || first_group > 3 && group_len.is_none()
                    || group_len.is_some_and(|n| n != 3)
                {
                    return None;
                }
                group_len = Some(0);
            }
            _ => return None,
        }
    }
    if group_len.is_some_and(|n| n != 3) {
        return None;
    }
    Some(value)
}

/// Parses `BOITES`: an integer, optionally signed (CNAM publishes regularisations as
/// negative numbers), `.` thousands separators accepted.
#[inline]
pub fn parse_boites(bytes: &[u8]) -> Result<i64, String> {
    // Fast path, inlined in the reader: 1 to 18 plain digits (CNAM's layout; 18 digits
    // cannot overflow an i64). Anything else takes the general path below.
    if !bytes.is_empty() && bytes.len() <= 18 {
        let mut v: i64 = 0;
        let mut plain = true;
        for &b in bytes {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                plain = false;
                break;
            }
            v = v * 10 + i64::from(d);
        }
        if plain {
            return Ok(v);
        }
    }
    parse_boites_general(bytes)
}

#[inline(never)]
fn parse_boites_general(bytes: &[u8]) -> Result<i64, String> {
    let t = trim(bytes);
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    // Fast path: plain digits.
    let mut v: i64 = 0;
    let mut plain = !body.is_empty() && body.len() <= 18;
    if plain {
        for &b in body {
            if b.is_ascii_digit() {
                v = v * 10 + i64::from(b - b'0');
            } else {
                plain = false;
                break;
            }
        }
    }
    let v = if plain {
        v
    } else {
        grouped_digits(body).ok_or_else(|| {
            if t.is_empty() {
                "nombre de boîtes vide".to_owned()
            } else {
                format!("« {} » n'est pas un nombre entier de boîtes", show(t))
            }
        })?
    };
    Ok(if neg { -v } else { v })
}

/// How a decimal amount is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalMark {
    /// CNAM's CSV: decimal comma; `.` is a thousands separator. Without a comma, a `.`
    /// followed by one, two or four digits is read as a decimal point (other layouts),
    /// a `.` followed by three-digit groups as thousands separators.
    Comma,
    /// A decimal point and no thousands separator (Parquet doubles).
    Point,
}

/// Most integer digits [`amount_in_cents`] takes: 10^14 euros in ten-thousandths of a euro
/// still fits an i64 (about 9.2 × 10^18).
const FAST_INT_DIGITS: usize = 14;

/// Fast path of [`parse_amount`] for CNAM's usual layout: an optional `-`, 1 to 14 digits,
/// then optionally a comma and one or two digits (`146669,64`, `-0,5`, `12`). Read as an
/// exact number of cents, then scaled. `None` for anything else (spaces, thousands
/// separators, more decimals, a point...): the general path decides, with its messages.
#[inline(always)]
fn amount_in_cents(bytes: &[u8]) -> Option<i64> {
    let (neg, body) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, bytes),
    };
    let mut int: i64 = 0;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        int = int * 10 + i64::from(d);
        i += 1;
        if i > FAST_INT_DIGITS {
            return None;
        }
    }
    if i == 0 {
        return None;
    }
    let digit = |b: u8| {
        let d = b.wrapping_sub(b'0');
        (d <= 9).then_some(i64::from(d))
    };
    let cents = match &body[i..] {
        [] => int * 100,
        [b',', d1] => int * 100 + digit(*d1)? * 10,
        [b',', d1, d2] => int * 100 + digit(*d1)? * 10 + digit(*d2)?,
        _ => return None,
    };
    let v = cents * (AMOUNT_UNIT / 100);
    Some(if neg { -v } else { v })
}

/// Parses an amount into ten-thousandths of a euro.
#[inline]
pub fn parse_amount(bytes: &[u8], mark: DecimalMark) -> Result<i64, String> {
    if mark == DecimalMark::Comma
        && let Some(v) = amount_in_cents(bytes)
    {
        return Ok(v);
    }
    parse_amount_general(bytes, mark)
}

#[inline(never)]
fn parse_amount_general(bytes: &[u8], mark: DecimalMark) -> Result<i64, String> {
    let t = trim(bytes);
    let bad = || {
        if t.is_empty() {
            "montant vide".to_owned()
        } else {
            format!("« {} » n'est pas un montant", show(t))
        }
    };
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int_part, frac_part): (&[u8], &[u8]) = match mark {
        DecimalMark::Point => match memchr::memchr(b'.', body) {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &[]),
        },
        DecimalMark::Comma => match memchr::memchr(b',', body) {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => match memchr::memrchr(b'.', body) {
                Some(i) if body.len() - i - 1 != 3 => (&body[..i], &body[i + 1..]),
                _ => (body, &[]),
            },
        },
    };
    let int_value = if int_part.is_empty() && !frac_part.is_empty() {
        0
    } else if mark == DecimalMark::Point {
        if int_part.is_empty() || !int_part.iter().all(u8::is_ascii_digit) || int_part.len() > 14 {
            return Err(bad());
        }
        int_part
            .iter()
            .fold(0i64, |a, &b| a * 10 + i64::from(b - b'0'))
    } else {
        grouped_digits(int_part).ok_or_else(bad)?
    };
    if frac_part.len() > AMOUNT_SCALE as usize || !frac_part.iter().all(u8::is_ascii_digit) {
        if frac_part.iter().all(u8::is_ascii_digit) && !frac_part.is_empty() {
            return Err(format!(
                "« {} » a plus de {AMOUNT_SCALE} décimales",
                show(t)
            ));
        }
        return Err(bad());
    }
    let mut frac: i64 = 0;
    for i in 0..AMOUNT_SCALE as usize {
        frac = frac * 10 + frac_part.get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    let v = int_value
        .checked_mul(AMOUNT_UNIT)
        .and_then(|v| v.checked_add(frac))
        .ok_or_else(|| format!("« {} » : montant trop grand", show(t)))?;
    Ok(if neg { -v } else { v })
}

/// An exact sum of amounts as a `Decimal` (4 decimals kept).
pub fn amount_decimal(sum: i128) -> Decimal {
    Decimal::from_i128_with_scale(sum, AMOUNT_SCALE).normalize()
}

/// An exact sum formatted with exactly two decimals (rounded half away from zero, which
/// never happens for sums of amounts in cents).
pub fn amount_2dp(sum: i128) -> String {
    let d = caqes_core::rate::round_half_away(Decimal::from_i128_with_scale(sum, AMOUNT_SCALE), 2);
    format!("{d:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes() {
        assert_eq!(parse_boites(b"156972"), Ok(156972));
        assert_eq!(parse_boites(b" 1.234 "), Ok(1234));
        assert_eq!(parse_boites(b"-12"), Ok(-12));
        assert_eq!(parse_boites(b"1.234.567"), Ok(1_234_567));
        assert!(parse_boites(b"12a").is_err());
        assert!(parse_boites(b"").is_err());
        assert!(parse_boites(b"1.23").is_err());
        assert!(parse_boites(b"1234.567").is_err());
        assert!(parse_boites(b"12,5").is_err());
    }

    #[test]
    fn amounts_with_comma() {
        let c = DecimalMark::Comma;
        assert_eq!(parse_amount(b"146669,64", c), Ok(1_466_696_400));
        assert_eq!(parse_amount(b"1.234,5", c), Ok(12_345_000));
        assert_eq!(parse_amount(b"-0,01", c), Ok(-100));
        assert_eq!(parse_amount(b"12", c), Ok(120_000));
        assert_eq!(parse_amount(b"1.234", c), Ok(12_340_000));
        assert_eq!(parse_amount(b"12.5", c), Ok(125_000));
        assert_eq!(parse_amount(b"1.234.567,89", c), Ok(12_345_678_900));
        assert!(parse_amount(b"12,345678", c).is_err());
        assert!(parse_amount(b"12;3", c).is_err());
        assert!(parse_amount(b"", c).is_err());
        assert!(parse_amount(b"12.34,5", c).is_err());
    }

    #[test]
    fn fast_paths_agree_with_the_general_rules() {
        let c = DecimalMark::Comma;
        // The layouts the fast paths take.
        assert_eq!(amount_in_cents(b"146669,64"), Some(1_466_696_400));
        assert_eq!(amount_in_cents(b"-0,5"), Some(-5_000));
        assert_eq!(amount_in_cents(b"-12,05"), Some(-120_500));
        assert_eq!(amount_in_cents(b"007"), Some(70_000));
        assert_eq!(
            amount_in_cents(b"99999999999999,99"),
            Some(999_999_999_999_999_900)
        );
        // Everything else goes to the general path, which keeps its results and messages.
        for text in [
            &b""[..],
            b"-",
            b",5",
            b"12,",
            b"12,345",
            b"12,3456",
            b"12,34567",
            b"1.234,56",
            b"1.234",
            b"12.5",
            b" 12,5",
            b"12,5 ",
            b"+12,5",
            b"--1",
            b"12,5a",
            b"12,a",
            b"1;2",
            b"123456789012345",
            b"999999999999999,99",
        ] {
            assert_eq!(amount_in_cents(text), None, "{}", show(text));
        }
        assert_eq!(parse_amount(b"12,345", c), Ok(123_450));
        assert_eq!(parse_amount(b"-12,3456", c), Ok(-123_456));
        assert_eq!(parse_amount(b"-1.234,56", c), Ok(-12_345_600));
        assert_eq!(parse_amount(b" 12,5 ", c), Ok(125_000));
        assert_eq!(
            parse_amount(b"123456789012345", c),
            Ok(1_234_567_890_123_450_000)
        );
        assert_eq!(
            parse_amount(b"12,34567", c),
            Err("« 12,34567 » a plus de 4 décimales".to_owned())
        );
        assert_eq!(
            parse_amount(b"12,a", c),
            Err("« 12,a » n'est pas un montant".to_owned())
        );
        assert_eq!(parse_amount(b"", c), Err("montant vide".to_owned()));
        assert_eq!(
            parse_amount(b"-", c),
            Err("« - » n'est pas un montant".to_owned())
        );
        assert!(parse_amount(b"9999999999999999", c).is_err());
        // Boxes: plain digits before trimming, the rest as before.
        assert_eq!(parse_boites(b"0"), Ok(0));
        assert_eq!(
            parse_boites(b"999999999999999999"),
            Ok(999_999_999_999_999_999)
        );
        assert_eq!(parse_boites(b"+7"), Ok(7));
        assert_eq!(parse_boites(b" 7"), Ok(7));
        assert_eq!(parse_boites(b"-1.000"), Ok(-1000));
        assert!(parse_boites(b"9999999999999999999").is_err());
        assert_eq!(parse_boites(b""), Err("nombre de boîtes vide".to_owned()));
        assert_eq!(
            parse_boites(b"1,5"),
            Err("« 1,5 » n'est pas un nombre entier de boîtes".to_owned())
        );
    }

    #[test]
    fn amounts_with_point() {
        let p = DecimalMark::Point;
        assert_eq!(parse_amount(b"146669.64", p), Ok(1_466_696_400));
        assert_eq!(parse_amount(b"3", p), Ok(30_000));
        assert_eq!(parse_amount(b"12.345", p), Ok(123_450));
        assert!(parse_amount(b"1,5", p).is_err());
    }

    #[test]
    fn two_decimals() {
        assert_eq!(amount_2dp(1_466_696_400), "146669.64");
        assert_eq!(amount_2dp(0), "0.00");
        assert_eq!(amount_2dp(-100), "-0.01");
        assert_eq!(amount_2dp(15_585_802_960_200), "1558580296.02");
    }
}
