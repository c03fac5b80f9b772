//! How the dashboards write their figures (French, « 45,5 % », « 37,5 / 50 ») and hand
//! them to the charts (which draw in `f64`: display only, the figures themselves stay
//! exact decimals).

use caqes_core::referentiel::Applicability;
use caqes_core::value::{Entry, Value};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::ui::fr;

/// For a chart only.
pub fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// « 37,5 »: two decimals at most, grouped thousands.
pub fn points(d: Decimal) -> String {
    fr::number(d)
}

/// « 45,5 % » (narrow no-break space before %).
pub fn percent(d: Decimal) -> String {
    format!("{}\u{202f}%", fr::number(d))
}

/// `part` of `whole` in %, `None` when `whole` is 0.
pub fn share(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| part * Decimal::ONE_HUNDRED / whole)
}

/// A number in the indicator's unit: « 45,5 % » for a percentage, else « 1,2 ».
pub fn in_unit(n: Decimal, unit: &str) -> String {
    if unit.trim() == "%" {
        percent(n)
    } else {
        points(n)
    }
}

/// An entry as a person reads it (no code word such as `EN_COURS`).
pub fn entry(e: &Entry, unit: &str) -> String {
    match e {
        Entry::Declared(Applicability::Nc) => "NC".to_owned(),
        Entry::Declared(Applicability::Nm) => "NM".to_owned(),
        Entry::Declared(Applicability::Concerned) => "concerné".to_owned(),
        Entry::Value(v) => value(v, unit),
    }
}

pub fn value(v: &Value, unit: &str) -> String {
    match v {
        Value::Yes => "Oui".to_owned(),
        Value::No => "Non".to_owned(),
        Value::InProgress => "En cours".to_owned(),
        Value::Growth(_) | Value::GrowthPercent(_) => v.number().map(percent).unwrap_or_default(),
        other => other.number().map(|n| in_unit(n, unit)).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_french() {
        assert_eq!(percent(Decimal::new(455, 1)), "45,5\u{202f}%");
        assert_eq!(points(Decimal::new(375, 1)), "37,5");
        assert_eq!(share(Decimal::ONE, Decimal::ZERO), None);
        assert_eq!(value(&Value::InProgress, "oui/non"), "En cours");
    }
}
