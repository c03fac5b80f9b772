//! Open PHMEV: CNAM's yearly file of hospital prescriptions dispensed in town pharmacies,
//! turned into CAQES indicators (III-01, III-03, IV-01, IV-02) and top lists.
//!
//! - [`read::read_file`] streams a CSV (Windows-1252, `;`, decimal comma, CRLF or LF,
//!   columns in any order) or a Parquet file, and feeds every row to a [`RowSink`].
//!   CSV files are cut in blocks at line boundaries and parsed by two threads.
//! - [`aggregate::IndicatorSink`] sums the figures per `etb_rgt`, exactly (integer boxes,
//!   amounts in fixed point with 4 decimals); [`aggregate::TopSink`] sums amounts per ATC
//!   class or product.
//! - [`report`] groups sites into legal entities, computes the rates and writes the JSON,
//!   CSV and `valeurs.csv` outputs.
//! - [`sha_cache`] keeps the SHA-256 of each file version already hashed, so the provenance's
//!   hash is computed once per version.
//!
//! Amounts: a CSV amount is parsed from its text; a Parquet `DOUBLE` amount is converted
//! through its shortest round-trip decimal representation (`146669.64`), never summed as a
//! float. Amounts with more than 4 decimals are rejected.

pub mod aggregate;
pub mod config;
pub mod dashboard;
pub mod number;
pub mod read;
pub mod report;
pub mod sha_cache;

pub use aggregate::{EtabTotals, IndicatorSink, TopLevel, TopSink};
pub use config::{BiosimilarClass, Config, Iv02Classes, Rattachement};
pub use read::{FileProvenance, ReadOptions, Rejection, Sha256Origin, read_file};
pub use sha_cache::ShaCache;

/// The year a file's name gives: CNAM names its files by year
/// (`OPEN_PHMEV_2019.CSV`) and the rows carry no year. The one group of four
/// digits from 2000 to 2099 in the name (directories left out), not part of
/// a longer number; `None` if there is none, or several different ones.
pub fn year_of_file_name(name: &str) -> Option<i16> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut found: Option<i16> = None;
    for group in base.split(|c: char| !c.is_ascii_digit()) {
        if group.len() != 4 || !group.starts_with("20") {
            continue;
        }
        let year: i16 = group.parse().ok()?;
        match found {
            Some(y) if y != year => return None,
            _ => found = Some(year),
        }
    }
    found
}

/// Columns read from the file (the others are ignored). Header names are matched without
/// regard to case, as CNAM's own header mixes cases (`atc2`, `L_ATC2`, `ATC5`).
pub const USED_COLUMNS: [&str; 17] = [
    "etb_rgt",
    "raison_sociale_etb",
    "region_etb",
    "atc2",
    "l_atc2",
    "atc3",
    "l_atc3",
    "atc4",
    "l_atc4",
    "atc5",
    "cip13",
    "l_cip13",
    "top_gen",
    "boites",
    "rem",
    "atc1",
    "l_atc1",
];

/// Index of each used column in [`USED_COLUMNS`] (and in [`Row`]'s text fields).
pub mod col {
    pub const ETB: usize = 0;
    pub const NAME: usize = 1;
    pub const REGION: usize = 2;
    pub const ATC2: usize = 3;
    pub const L_ATC2: usize = 4;
    pub const ATC3: usize = 5;
    pub const L_ATC3: usize = 6;
    pub const ATC4: usize = 7;
    pub const L_ATC4: usize = 8;
    pub const ATC5: usize = 9;
    pub const CIP13: usize = 10;
    pub const L_CIP13: usize = 11;
    pub const TOP_GEN: usize = 12;
    pub const BOITES: usize = 13;
    pub const REM: usize = 14;
    pub const ATC1: usize = 15;
    pub const L_ATC1: usize = 16;
}

/// One data row, borrowing its text fields from the reader's buffer (raw bytes: text
/// fields are Windows-1252 in CNAM's CSV and are decoded only when kept, see
/// [`decode_text`]).
pub struct Row<'a> {
    fields: Fields<'a>,
    /// `BOITES`.
    pub boites: i64,
    /// `REM` in ten-thousandths of a euro.
    pub rem: i64,
}

/// Where a row's fields are. A sink reads a handful of the 17 columns, so a plain CSV
/// line keeps its separator positions and each field is cut only when asked for.
#[expect(
    clippy::large_enum_variant,
    reason = "lives on the stack for one call; boxing would allocate per quoted or Parquet row"
)]
enum Fields<'a> {
    /// Already cut (quoted lines, Parquet).
    Cut([&'a [u8]; USED_COLUMNS.len()]),
    /// A line without quotes: file column `j` is `line[starts[j]..starts[j + 1] - 1]`.
    Line {
        line: &'a [u8],
        starts: &'a [usize],
        map: &'a [usize; USED_COLUMNS.len()],
    },
}

impl<'a> Row<'a> {
    /// A row whose fields are already cut, indexed by [`col`].
    pub fn new(fields: [&'a [u8]; USED_COLUMNS.len()], boites: i64, rem: i64) -> Self {
        Row {
            fields: Fields::Cut(fields),
            boites,
            rem,
        }
    }

    /// A row of a CSV line: `starts[j]` is where file column `j` begins and
    /// `starts[j + 1] - 1` where it ends (one past the last column: the line length + 1);
    /// `map` gives the file column of each used column.
    pub(crate) fn from_line(
        line: &'a [u8],
        starts: &'a [usize],
        map: &'a [usize; USED_COLUMNS.len()],
        boites: i64,
        rem: i64,
    ) -> Self {
        Row {
            fields: Fields::Line { line, starts, map },
            boites,
            rem,
        }
    }

    #[inline]
    pub fn get(&self, column: usize) -> &'a [u8] {
        // By reference: matching the enum by value would copy its 17 slices on each call.
        match &self.fields {
            Fields::Cut(f) => f[column],
            Fields::Line { line, starts, map } => line_field(line, starts, map[column]),
        }
    }
}

/// File column `j` of a line cut at `starts` (see [`Row::from_line`]); empty if the
/// positions are out of range (never for a line the reader built).
#[inline(always)]
pub(crate) fn line_field<'a>(line: &'a [u8], starts: &[usize], j: usize) -> &'a [u8] {
    match (starts.get(j), starts.get(j + 1)) {
        (Some(&s), Some(&e)) => line.get(s..e.saturating_sub(1)).unwrap_or_default(),
        _ => &[],
    }
}

/// A problem with one data row, before the file name and line number are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The column concerned (as written in CNAM's header), or `None` for the whole line.
    pub field: Option<&'static str>,
    pub message: String,
}

impl RowError {
    pub fn new(field: Option<&'static str>, message: impl Into<String>) -> Self {
        RowError {
            field,
            message: message.into(),
        }
    }
}

/// Receives the rows of a file. One sink per reading thread; sinks are merged at the end.
pub trait RowSink: Send {
    /// Takes one row. Returns an error (and changes nothing) when the row is invalid for
    /// this sink (e.g. an `etb_rgt` that is not a valid FINESS number).
    fn accept(&mut self, row: &Row<'_>) -> Result<(), RowError>;
    /// Adds another sink's sums into this one.
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
}

/// Errors of the Open PHMEV pipeline, in French, naming the file, line and field.
#[derive(Debug, thiserror::Error)]
pub enum PhmevError {
    #[error("{file} : lecture impossible : {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} : fichier vide (pas même une ligne d'en-tête)")]
    Empty { file: String },
    #[error(
        "{file}, ligne 1 : colonne « {column} » absente de l'en-tête : ce n'est pas un fichier Open PHMEV (colonnes attendues, dans un ordre quelconque : {expected})"
    )]
    MissingColumn {
        file: String,
        column: String,
        expected: String,
    },
    #[error(
        "{file}, ligne 1 : l'en-tête ne contient aucun « ; » : ce n'est pas un fichier Open PHMEV (séparateur « ; » attendu)"
    )]
    NoSeparator { file: String },
    #[error("{file} : aucune ligne de données après l'en-tête")]
    NoRows { file: String },
    #[error("{file}, ligne 1 : colonne « {column} » présente deux fois dans l'en-tête")]
    DuplicateColumn { file: String, column: String },
    #[error("{file}, ligne {line}{} : {message}{}", field_text(.field), more_text(*.others))]
    Row {
        file: String,
        line: u64,
        field: Option<String>,
        message: String,
        /// How many other invalid lines the file has.
        others: u64,
    },
    #[error(
        "le fichier {file} a été modifié pendant la lecture : relancer une fois le fichier stable"
    )]
    ModifiedDuringRead { file: String },
    #[error("{file} : fichier Parquet illisible : {message}")]
    Parquet { file: String, message: String },
    #[error("{file}, ligne {line} : {message}")]
    Config {
        file: String,
        line: u64,
        message: String,
    },
}

fn field_text(field: &Option<String>) -> String {
    match field {
        Some(f) => format!(", champ « {f} »"),
        None => String::new(),
    }
}

fn more_text(others: u64) -> String {
    match others {
        0 => String::new(),
        1 => " (et 1 autre ligne invalide ; --ignorer-lignes-invalides pour les écarter)".into(),
        n => format!(
            " (et {n} autres lignes invalides ; --ignorer-lignes-invalides pour les écarter)"
        ),
    }
}

/// Decodes a text field: UTF-8 when the bytes are valid UTF-8 (a re-encoded file),
/// Windows-1252 otherwise (CNAM's encoding, where byte 0x92 is ’). A Windows-1252 text with
/// accents is practically never valid UTF-8, so the guess is safe.
pub fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.trim().to_owned(),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            text.trim().to_owned()
        }
    }
}

#[cfg(test)]
mod file_name_tests {
    use super::year_of_file_name;

    #[test]
    fn the_year_of_a_cnam_file_name() {
        assert_eq!(year_of_file_name("OPEN_PHMEV_2019.CSV"), Some(2019));
        assert_eq!(
            year_of_file_name("/tmp/x/open_phmev_2018-v2.csv"),
            Some(2018)
        );
        assert_eq!(
            year_of_file_name("extrait_region_76_2021.parquet"),
            Some(2021)
        );
        assert_eq!(year_of_file_name("OPEN_PHMEV.CSV"), None);
        assert_eq!(year_of_file_name("phmev_20190.csv"), None);
        assert_eq!(year_of_file_name("phmev_2018_2019.csv"), None);
        assert_eq!(year_of_file_name("phmev_1999.csv"), None);
    }
}
