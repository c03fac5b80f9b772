//! The rows of the input files as the platform's import reads them: each row with its
//! line and the text as typed, after every check of the file. The platform keeps the
//! text a user typed next to the value it reads (the store's `StoredValue`) and checks
//! each row against its database (campaign year, sites, dossiers still editable), naming
//! the line: it takes these rows rather than reading the file a second time.

use caqes_core::Finess;
use rust_decimal::Decimal;

/// A row of the input, with its line in the file (1 = the header).
#[derive(Debug, Clone, PartialEq)]
pub struct AtLine<T> {
    pub line: u64,
    pub row: T,
}

/// A row of `valeurs.csv`: the FINESS it names (a legal entity or, with `sites.csv`, a
/// site), the grid's code of the line (an indicator or one of its classes), the year,
/// and each field as typed (trimmed; empty when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRecord {
    pub finess: Finess,
    pub code: String,
    pub year: i16,
    pub numerator: String,
    pub denominator: String,
    pub value: String,
    pub motive: String,
}

/// A row of `cibles.csv`: the legal entity, the grid's code of the line, the year and
/// the target as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    pub finess: Finess,
    pub code: String,
    pub year: i16,
    pub target: Decimal,
}

/// Every row of `valeurs.csv` and `cibles.csv`, in the files' order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearlyRecords {
    pub values: Vec<AtLine<ValueRecord>>,
    pub targets: Vec<AtLine<TargetRecord>>,
}
