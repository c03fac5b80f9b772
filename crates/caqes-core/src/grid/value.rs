//! Indicator values as entered by establishments or computed from AM/ARS data.
//!
//! A value is parsed against its indicator's kind: a proportion takes a numerator and a
//! denominator (0 ≤ n ≤ d, d > 0) or a percentage; a growth rate takes the amounts of
//! years N and N−1 or a percentage; a ratio takes n/d or a number; yes/no and document
//! indicators take `OUI`/`NON`; the tri-state takes `OUI`/`EN_COURS`/`NON`; any indicator
//! may be declared `NC` or `NM` for the year. French (`12,5`) and English (`12.5`) decimal
//! separators are accepted. Parts are kept (never reduced to a rounded number), so that
//! comparisons with targets are exact.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::grid::referentiel::{Applicability, Direction, Indicator, Kind};
use crate::rate::{Rate, RateError};

/// A value for one indicator and one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Value {
    /// numerator / denominator, shown in %.
    Proportion(Rate),
    /// A percentage given directly (0 to 100).
    Percent(Decimal),
    /// Amounts of year N (numerator) and N−1 (denominator): 100 × (N/(N−1) − 1).
    Growth(Rate),
    /// A growth rate in % given directly.
    GrowthPercent(Decimal),
    /// numerator / denominator, not ×100.
    Ratio(Rate),
    /// A ratio given directly.
    RatioValue(Decimal),
    Yes,
    No,
    InProgress,
    /// A numerator given alone, where the grid asks only for it in the état des lieux
    /// year (I-01: « Etat des lieux : Fournir le numérateur »).
    Numerator(Decimal),
}

/// Where an NC declaration stands in the ARS's review (« un ES peut être non concerné
/// en fonction de son activité »: the establishment proposes, the ARS accepts or refuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Review {
    /// Declared by the establishment, not yet reviewed: applied provisionally, flagged.
    #[serde(rename = "proposee")]
    Proposed,
    /// Accepted by the ARS (an ARS batch file, as read by `caqes evaluate`, counts as accepted).
    #[serde(rename = "acceptee")]
    Accepted,
    /// Refused by the ARS: the indicator stays concerned.
    #[serde(rename = "refusee")]
    Refused,
}

impl Review {
    /// The word used in outputs.
    pub fn code(self) -> &'static str {
        match self {
            Review::Proposed => "proposee",
            Review::Accepted => "acceptee",
            Review::Refused => "refusee",
        }
    }
}

/// An NC declared by the establishment on an indicator its category makes concerned:
/// it carries its motive (never empty) and its review state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NcDeclaration {
    motive: String,
    pub review: Review,
}

/// An NC declaration without its motive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "NC sans motif : un indicateur que la catégorie rend concerné ne peut être déclaré NC qu'avec le motif tiré de l'activité de l'établissement"
)]
pub struct MissingMotive;

impl NcDeclaration {
    /// A declaration with its motive (trimmed; empty is refused).
    pub fn new(motive: &str, review: Review) -> Result<NcDeclaration, MissingMotive> {
        let motive = motive.trim();
        if motive.is_empty() {
            return Err(MissingMotive);
        }
        Ok(NcDeclaration {
            motive: motive.to_owned(),
            review,
        })
    }

    pub fn motive(&self) -> &str {
        &self.motive
    }
}

/// What an establishment gives for an indicator: a value, or a declaration that the
/// indicator is not concerned (NC) or not measurable (NM) this year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Entry {
    Value(Value),
    Declared(Applicability),
}

/// Which input field a value error is about (to name the CSV column or form field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Numerator,
    Denominator,
    Value,
}

impl Field {
    /// The column name in `valeurs.csv`.
    pub fn column(self) -> &'static str {
        match self {
            Field::Numerator => "numerateur",
            Field::Denominator => "denominateur",
            Field::Value => "valeur",
        }
    }
}

/// A value that does not fit its indicator (French message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub field: Field,
    pub message: String,
}

fn err(field: Field, message: impl Into<String>) -> ValueError {
    ValueError {
        field,
        message: message.into(),
    }
}

/// Parses a decimal number written with a `,` or `.` decimal separator. Spaces
/// (including no-break spaces) between digit groups are accepted; a number using both
/// `,` and `.` is rejected as ambiguous rather than guessed.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    // Plain digits (most numerators and denominators): same result, without the copies.
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Decimal::from_str(trimmed).ok();
    }
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    if cleaned.is_empty() || (cleaned.contains(',') && cleaned.contains('.')) {
        return None;
    }
    if cleaned.matches([',', '.']).count() > 1 {
        return None;
    }
    let normalized = cleaned.replace(',', ".");
    let body = normalized.strip_prefix(['-', '+']).unwrap_or(&normalized);
    if body.is_empty()
        || body.starts_with('.')
        || body.ends_with('.')
        || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        return None;
    }
    Decimal::from_str(&normalized).ok()
}

fn number(field: Field, text: &str) -> Result<Decimal, ValueError> {
    parse_decimal(text)
        .ok_or_else(|| err(field, format!("« {} » n'est pas un nombre", text.trim())))
}

fn rate_error(e: RateError) -> ValueError {
    let field = match e {
        RateError::DenominatorNotPositive(_) => Field::Denominator,
        RateError::NegativeNumerator(_) | RateError::NumeratorAboveDenominator { .. } => {
            Field::Numerator
        }
    };
    err(field, e.to_string())
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Parses what was given for an indicator: `numerator` and `denominator`, or `value`
/// (a number, `OUI`, `NON`, `EN_COURS`, `NC` or `NM`). Empty strings count as absent.
pub fn parse_entry(
    indicator: &Indicator,
    numerator: Option<&str>,
    denominator: Option<&str>,
    value: Option<&str>,
) -> Result<Entry, ValueError> {
    parse_entry_in(indicator, false, numerator, denominator, value)
}

/// Like [`parse_entry`], for a value of the état des lieux year when `baseline` is true:
/// the grid may then ask for another kind of value (`type_etat_des_lieux`, e.g. III-04
/// « Capacité à calculer le ratio OUI/NON ») or for a numerator alone
/// (`numerateur_seul_etat_des_lieux`, I-01 « Fournir le numérateur »).
pub fn parse_entry_in(
    indicator: &Indicator,
    baseline: bool,
    numerator: Option<&str>,
    denominator: Option<&str>,
    value: Option<&str>,
) -> Result<Entry, ValueError> {
    let (n, d, v) = (
        non_empty(numerator),
        non_empty(denominator),
        non_empty(value),
    );
    match (n, d, v) {
        (None, None, None) => Err(err(
            Field::Value,
            "aucune valeur : renseigner le numérateur et le dénominateur, ou la valeur",
        )),
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => Err(err(
            Field::Value,
            "renseigner soit le numérateur et le dénominateur, soit la valeur, pas les deux",
        )),
        (Some(n), None, None) if baseline && indicator.numerator_alone_at_baseline => {
            let n = number(Field::Numerator, n)?;
            if n < Decimal::ZERO {
                return Err(err(
                    Field::Numerator,
                    format!("le numérateur ne peut pas être négatif (reçu {n})"),
                ));
            }
            Ok(Entry::Value(Value::Numerator(n)))
        }
        (Some(_), None, None) => Err(err(Field::Denominator, "dénominateur manquant")),
        (None, Some(_), None) => Err(err(Field::Numerator, "numérateur manquant")),
        (Some(n), Some(d), None) => parse_parts(indicator, n, d).map(Entry::Value),
        (None, None, Some(v)) => match (baseline, indicator.baseline_kind) {
            (true, Some(kind)) if kind != indicator.kind => parse_baseline_word(indicator, kind, v),
            _ => parse_value(indicator, v),
        },
    }
}

/// A value of the état des lieux year whose kind differs from the indicator's: a word
/// (III-04/III-05 « OUI/NON ») is taken as such; a number is still read in the indicator's
/// own kind, since giving the ratio itself answers « capacité à calculer » too.
fn parse_baseline_word(indicator: &Indicator, kind: Kind, v: &str) -> Result<Entry, ValueError> {
    let upper = v.to_uppercase();
    match (kind, upper.as_str()) {
        (Kind::YesNo | Kind::Document | Kind::TriState, "OUI") => Ok(Entry::Value(Value::Yes)),
        (Kind::YesNo | Kind::Document | Kind::TriState, "NON") => Ok(Entry::Value(Value::No)),
        (Kind::TriState, "EN_COURS" | "EN COURS") => Ok(Entry::Value(Value::InProgress)),
        _ => parse_value(indicator, v).map_err(|_| baseline_refusal(indicator, kind, v)),
    }
}

fn baseline_refusal(indicator: &Indicator, kind: Kind, v: &str) -> ValueError {
    err(
        Field::Value,
        format!(
            "« {v} » n'est pas une valeur possible pour l'indicateur {} l'année de l'état des lieux (attendu : {} ou {}, NC ou NM)",
            indicator.code,
            words(kind),
            words(indicator.kind)
        ),
    )
}

fn parse_parts(indicator: &Indicator, n: &str, d: &str) -> Result<Value, ValueError> {
    let num = number(Field::Numerator, n)?;
    let den = number(Field::Denominator, d)?;
    parts_value(indicator, num, den)
}

/// A numerator and a denominator read in `indicator`'s kind.
fn parts_value(indicator: &Indicator, num: Decimal, den: Decimal) -> Result<Value, ValueError> {
    match indicator.kind {
        Kind::Proportion => Rate::proportion(num, den)
            .map(Value::Proportion)
            .map_err(rate_error),
        Kind::Growth => Rate::new(num, den).map(Value::Growth).map_err(rate_error),
        Kind::Ratio => Rate::new(num, den).map(Value::Ratio).map_err(rate_error),
        Kind::YesNo | Kind::Document | Kind::TriState => Err(err(
            Field::Numerator,
            format!(
                "l'indicateur {} attend {} dans la colonne valeur, pas un numérateur",
                indicator.code,
                words(indicator.kind)
            ),
        )),
    }
}

fn words(kind: Kind) -> &'static str {
    match kind {
        Kind::TriState => "OUI, EN_COURS ou NON",
        Kind::YesNo | Kind::Document => "OUI ou NON",
        Kind::Proportion | Kind::Growth | Kind::Ratio => "un nombre",
    }
}

fn parse_value(indicator: &Indicator, v: &str) -> Result<Entry, ValueError> {
    let upper = v.to_uppercase();
    match upper.as_str() {
        "NC" => return Ok(Entry::Declared(Applicability::Nc)),
        "NM" => return Ok(Entry::Declared(Applicability::Nm)),
        _ => {}
    }
    let wrong_word = || {
        err(
            Field::Value,
            format!(
                "« {v} » n'est pas une valeur possible pour l'indicateur {} (attendu : {}, NC ou NM)",
                indicator.code,
                words(indicator.kind)
            ),
        )
    };
    let value = match indicator.kind {
        Kind::YesNo | Kind::Document | Kind::TriState => match upper.as_str() {
            "OUI" => Value::Yes,
            "NON" => Value::No,
            "EN_COURS" | "EN COURS" if indicator.kind == Kind::TriState => Value::InProgress,
            _ => return Err(wrong_word()),
        },
        Kind::Proportion | Kind::Growth | Kind::Ratio => {
            number_value(indicator, parse_decimal(v).ok_or_else(wrong_word)?, v)?
        }
    };
    Ok(Entry::Value(value))
}

/// A number given alone, read in `indicator`'s numeric kind (`shown` is the number as
/// the messages quote it). `None` for the kinds that take words.
fn number_value(indicator: &Indicator, p: Decimal, shown: &str) -> Result<Value, ValueError> {
    match indicator.kind {
        Kind::Proportion => {
            if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                return Err(err(
                    Field::Value,
                    format!("un pourcentage doit être compris entre 0 et 100 (reçu {shown})"),
                ));
            }
            Ok(Value::Percent(p))
        }
        Kind::Growth => Ok(Value::GrowthPercent(p)),
        Kind::Ratio => {
            if p < Decimal::ZERO {
                return Err(err(
                    Field::Value,
                    format!("un ratio ne peut pas être négatif (reçu {shown})"),
                ));
            }
            Ok(Value::RatioValue(p))
        }
        Kind::YesNo | Kind::Document | Kind::TriState => Err(err(
            Field::Value,
            format!(
                "« {shown} » n'est pas une valeur possible pour l'indicateur {} (attendu : {}, NC ou NM)",
                indicator.code,
                words(indicator.kind)
            ),
        )),
    }
}

/// Reads an entry parsed earlier (a value stored typed, issue 9 « parsed once ») against
/// `indicator` in a year's context, without any text: the rules of [`parse_entry_in`]
/// applied to its parts. The entry the same indicator parsed comes back unchanged; an
/// indicator whose kind differs (a grid that changed between the campaign that imported
/// the value and the one reading it) reads the same parts in its own kind, exactly as
/// parsing the typed text again would (a rate's parts become a proportion, a growth or a
/// ratio; a bare number a percentage, a growth or a ratio); what it would refuse is
/// refused (`tests::rereading_equals_parsing_again` checks it on every grid).
pub fn reread_entry(
    indicator: &Indicator,
    baseline: bool,
    entry: Entry,
) -> Result<Entry, ValueError> {
    let value = match entry {
        Entry::Declared(_) => return Ok(entry),
        Entry::Value(v) => v,
    };
    let other_baseline_kind = match (baseline, indicator.baseline_kind) {
        (true, Some(kind)) if kind != indicator.kind => Some(kind),
        _ => None,
    };
    let read = match value {
        Value::Proportion(r) | Value::Growth(r) | Value::Ratio(r) => {
            parts_value(indicator, r.numerator(), r.denominator())
        }
        Value::Numerator(n) if baseline && indicator.numerator_alone_at_baseline => {
            Ok(Value::Numerator(n))
        }
        Value::Numerator(_) => Err(err(Field::Denominator, "dénominateur manquant")),
        Value::Percent(p) | Value::GrowthPercent(p) | Value::RatioValue(p) => {
            let shown = p.to_string().replace('.', ",");
            match other_baseline_kind {
                Some(kind) => number_value(indicator, p, &shown)
                    .map_err(|_| baseline_refusal(indicator, kind, &shown)),
                None => number_value(indicator, p, &shown),
            }
        }
        Value::Yes | Value::No | Value::InProgress => {
            let takes = |kind: Kind| match value {
                Value::InProgress => kind == Kind::TriState,
                _ => matches!(kind, Kind::YesNo | Kind::Document | Kind::TriState),
            };
            let word = value.word().unwrap_or_default();
            match other_baseline_kind {
                Some(kind) if takes(kind) || takes(indicator.kind) => Ok(value),
                Some(kind) => Err(baseline_refusal(indicator, kind, word)),
                None if takes(indicator.kind) => Ok(value),
                None => Err(err(
                    Field::Value,
                    format!(
                        "« {word} » n'est pas une valeur possible pour l'indicateur {} (attendu : {}, NC ou NM)",
                        indicator.code,
                        words(indicator.kind)
                    ),
                )),
            }
        }
    };
    read.map(Entry::Value)
}

impl Value {
    /// The number in the indicator's unit (%, growth %, ratio), for display; `None` for words.
    pub fn number(&self) -> Option<Decimal> {
        match self {
            Value::Proportion(r) => Some(r.percent()),
            Value::Percent(p) | Value::GrowthPercent(p) | Value::RatioValue(p) => Some(*p),
            Value::Growth(r) => Some(r.percent() - Decimal::ONE_HUNDRED),
            Value::Ratio(r) => Some(r.value()),
            Value::Yes | Value::No | Value::InProgress => None,
            Value::Numerator(n) => Some(*n),
        }
    }

    /// The parts of a rate (numerator, denominator), or the numerator given alone.
    pub fn parts(&self) -> Option<(Decimal, Option<Decimal>)> {
        match self {
            Value::Proportion(r) | Value::Growth(r) | Value::Ratio(r) => {
                Some((r.numerator(), Some(r.denominator())))
            }
            Value::Numerator(n) => Some((*n, None)),
            _ => None,
        }
    }

    /// The word given (`OUI`, `NON`, `EN_COURS`), `None` for numbers.
    pub fn word(&self) -> Option<&'static str> {
        match self {
            Value::Yes => Some("OUI"),
            Value::No => Some("NON"),
            Value::InProgress => Some("EN_COURS"),
            _ => None,
        }
    }

    /// Compares the value with a target in the indicator's unit, exactly: parts are
    /// cross-multiplied instead of divided, so `1/3` compared with `33.33` is never
    /// blurred by rounding. `None` for words.
    pub fn cmp_target(&self, target: Decimal) -> Option<Ordering> {
        let hundred = Decimal::ONE_HUNDRED;
        let cross = |lhs: Option<Decimal>, rhs: Option<Decimal>, fallback: Decimal| match (lhs, rhs)
        {
            (Some(l), Some(r)) => l.cmp(&r),
            // Overflow of 28 digits: fall back on the divided value (only for absurd magnitudes).
            _ => fallback.cmp(&target),
        };
        Some(match self {
            Value::Proportion(r) => cross(
                r.numerator().checked_mul(hundred),
                target.checked_mul(r.denominator()),
                r.percent(),
            ),
            Value::Growth(r) => cross(
                r.numerator().checked_mul(hundred),
                target
                    .checked_add(hundred)
                    .and_then(|t| t.checked_mul(r.denominator())),
                r.percent() - hundred,
            ),
            Value::Ratio(r) => cross(
                Some(r.numerator()),
                target.checked_mul(r.denominator()),
                r.value(),
            ),
            Value::Percent(p) | Value::GrowthPercent(p) | Value::RatioValue(p) => p.cmp(&target),
            // A numerator alone is not a rate: it cannot be compared with a target.
            Value::Yes | Value::No | Value::InProgress | Value::Numerator(_) => return None,
        })
    }

    /// Whether the value reaches the target (≥ when higher is better, ≤ when lower is
    /// better; exactly equal is met). `None` for words.
    pub fn reaches(&self, target: Decimal, direction: Direction) -> Option<bool> {
        self.cmp_target(target).map(|o| match direction {
            Direction::HigherIsBetter => o != Ordering::Less,
            Direction::LowerIsBetter => o != Ordering::Greater,
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.word(), self.number()) {
            (Some(w), _) => f.write_str(w),
            (None, Some(n)) => write!(f, "{}", crate::rate::round_half_away(n, 2).normalize()),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::referentiel::builtin_by_id;
    use rust_decimal_macros::dec;

    fn ind(code: &str) -> Indicator {
        builtin_by_id("occitanie-2018")
            .and_then(|r| r.indicator(code).cloned())
            .unwrap()
    }

    #[test]
    fn decimals_in_french_and_english() {
        assert_eq!(parse_decimal("12,5"), Some(dec!(12.5)));
        assert_eq!(parse_decimal(" 12.50 "), Some(dec!(12.50)));
        assert_eq!(parse_decimal("1 234,5"), Some(dec!(1234.5)));
        assert_eq!(parse_decimal("-2,2"), Some(dec!(-2.2)));
        for bad in [
            "", "1.234,5", "1,2,3", "12a", ",5", "5,", "1e3", "--1", "abc",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn proportion_parts_are_checked() {
        let i = ind("II-01");
        let e = parse_entry(&i, Some("12"), Some("10"), None).unwrap_err();
        assert_eq!(e.field, Field::Numerator);
        let e = parse_entry(&i, Some("0"), Some("0"), None).unwrap_err();
        assert_eq!(e.field, Field::Denominator);
        let e = parse_entry(&i, Some("1"), None, None).unwrap_err();
        assert_eq!(e.field, Field::Denominator);
        let e = parse_entry(&i, Some("1"), Some("2"), Some("50")).unwrap_err();
        assert_eq!(e.field, Field::Value);
        assert!(parse_entry(&i, None, None, Some("100,5")).is_err());
        assert_eq!(
            parse_entry(&i, Some("1"), Some("3"), None).unwrap(),
            Entry::Value(Value::Proportion(
                Rate::proportion(dec!(1), dec!(3)).unwrap()
            ))
        );
        assert_eq!(
            parse_entry(&i, None, None, Some("nc")).unwrap(),
            Entry::Declared(Applicability::Nc)
        );
    }

    #[test]
    fn words_depend_on_the_kind() {
        assert_eq!(
            parse_entry(&ind("IV-04"), None, None, Some("EN_COURS")).unwrap(),
            Entry::Value(Value::InProgress)
        );
        assert!(parse_entry(&ind("II-08"), None, None, Some("EN_COURS")).is_err());
        assert!(parse_entry(&ind("II-08"), None, None, Some("50")).is_err());
        assert!(parse_entry(&ind("II-01"), None, None, Some("OUI")).is_err());
        assert!(parse_entry(&ind("VI-01"), Some("1"), Some("1"), None).is_err());
    }

    #[test]
    fn growth_from_amounts_and_exact_comparison() {
        let v = match parse_entry(&ind("IV-01"), Some("102,2"), Some("100"), None).unwrap() {
            Entry::Value(v) => v,
            Entry::Declared(_) => unreachable!(),
        };
        assert_eq!(v.number(), Some(dec!(2.2)));
        assert_eq!(v.reaches(dec!(2.2), Direction::LowerIsBetter), Some(true));
        assert_eq!(v.reaches(dec!(2.19), Direction::LowerIsBetter), Some(false));
    }

    #[test]
    fn one_third_against_33_33_is_not_blurred() {
        let v = Value::Proportion(Rate::proportion(dec!(1), dec!(3)).unwrap());
        assert_eq!(
            v.reaches(dec!(33.33), Direction::HigherIsBetter),
            Some(true)
        );
        assert_eq!(
            v.reaches(dec!(33.34), Direction::HigherIsBetter),
            Some(false)
        );
        // Just below 100/3: a value rounded to 10 decimals would call these equal.
        assert_eq!(v.cmp_target(dec!(33.33333333333)), Some(Ordering::Greater));
        assert_eq!(v.cmp_target(dec!(33.33333333334)), Some(Ordering::Less));
    }
}
