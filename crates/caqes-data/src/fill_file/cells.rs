//! One Excel cell as the text the engine's CSV readers take, and the names
//! Excel gives to columns and cells (A, AA, XFD1048576) for the error reports.

use calamine::{CellErrorType, Data};
use rust_decimal::Decimal;

/// Significant digits Excel keeps and shows.
const EXCEL_DIGITS: u32 = 15;

/// Why a cell cannot be taken as a number or a text (French: shown to the ARS
/// after the column's name).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CellError {
    #[error("cellule booléenne (VRAI/FAUX) : saisir un nombre ou un texte")]
    Boolean,
    #[error("cellule au format date ou durée : saisir un nombre")]
    DateOrDuration,
    #[error("cellule en erreur ({0})")]
    Formula(CellErrorType),
    #[error("nombre invalide")]
    NotFinite,
    /// The shortest text of the double, which a `Decimal` cannot hold.
    #[error("nombre {0} hors de la précision décimale")]
    Precision(String),
}

/// Excel column letters of a 0-based index (0 → A, 26 → AA).
pub fn column_letter(mut index: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// Excel's name of a 0-based (row, column) cell (0, 0 → A1).
pub fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_letter(col), u64::from(row) + 1)
}

/// The exact decimal text of a number cell (see the rule in [`super`]).
pub fn float_text(f: f64) -> Result<String, CellError> {
    if !f.is_finite() {
        return Err(CellError::NotFinite);
    }
    let shortest = format!("{f}");
    let d: Decimal = shortest
        .parse()
        .map_err(|_| CellError::Precision(shortest.clone()))?;
    let digits = d.mantissa().unsigned_abs().to_string().len() as u32;
    let d = if digits > EXCEL_DIGITS {
        d.round_dp(d.scale().saturating_sub(digits - EXCEL_DIGITS))
    } else {
        d
    };
    Ok(d.normalize().to_string())
}

/// A cell's text: a text cell trimmed, a number cell by [`float_text`]; dates,
/// booleans and error cells refused.
pub(crate) fn cell_text(cell: &Data) -> Result<String, CellError> {
    match cell {
        Data::Empty => Ok(String::new()),
        Data::String(s) => Ok(s.trim().to_owned()),
        Data::Int(i) => Ok(i.to_string()),
        Data::Float(f) => float_text(*f),
        Data::Bool(_) => Err(CellError::Boolean),
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            Err(CellError::DateOrDuration)
        }
        Data::Error(e) => Err(CellError::Formula(e.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_numbers_become_exact_decimals() {
        assert_eq!(float_text(0.1 + 0.2).unwrap(), "0.3");
        assert_eq!(float_text(0.1).unwrap(), "0.1");
        assert_eq!(float_text(30.0).unwrap(), "30");
        assert_eq!(float_text(146669.64).unwrap(), "146669.64");
        assert_eq!(float_text(1.0 / 3.0).unwrap(), "0.333333333333333");
        assert_eq!(float_text(-2.5e-7).unwrap(), "-0.00000025");
        assert!(float_text(f64::NAN).is_err());
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(3), "D");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn refused_cells_say_why_in_french() {
        assert_eq!(
            cell_text(&Data::Bool(true)).unwrap_err().to_string(),
            "cellule booléenne (VRAI/FAUX) : saisir un nombre ou un texte"
        );
        assert_eq!(
            cell_text(&Data::Error(CellErrorType::Div0))
                .unwrap_err()
                .to_string(),
            "cellule en erreur (#DIV/0!)"
        );
        assert_eq!(cell_text(&Data::String(" 12,5 ".into())).unwrap(), "12,5");
        assert_eq!(cell_text(&Data::Int(7)).unwrap(), "7");
    }
}
