//! The reader of the ARS's « fichier à remplir » (XLSX) of a campaign, filled
//! and uploaded: sheet « Valeurs » (one row per site × applicable indicator,
//! columns of the engine's `valeurs.csv`, the optional `motif` of an `NC`) and
//! sheet « Cibles » (one row per entity × applicable indicator). Each sheet is
//! turned into the engine's CSV text ([`SheetCsv`]), which the caller checks
//! exactly as a pasted CSV import; each CSV line and column keeps the Excel row
//! and column it comes from, so that the engine's report can name them. The
//! writer of the file (pre-filled from the database) is the web's.
//!
//! **Hostile files.** The archive goes through [`guard`] before calamine sees a
//! byte, and the sheets are read as bounded streams of cells
//! ([`WorkbookBounds`], computed by the caller from the region's size).
//!
//! **Numbers from Excel cells.** A text cell is taken as typed (French comma
//! accepted). A number cell is an IEEE double: it is written with its shortest
//! round-trip decimal representation (0.1 stays 0.1, never 0.1000000000000000055…);
//! when that representation has more than 15 significant digits — the precision
//! Excel itself displays — it is a binary artefact of a formula (0.1 + 0.2 gives
//! 0.30000000000000004) and is rounded to 15 significant digits (0.3), the value
//! Excel shows. Dates, booleans and error cells are refused with the sheet, row
//! and column named ([`FillFileError::Cell`]).

mod bounds;
mod cells;
mod error;
pub mod guard;
mod sheet;

use std::io::Cursor;

use calamine::{Xlsx, open_workbook_from_rs};

pub use bounds::{MAX_COLUMNS, SPARE_ROWS, SheetBounds, WorkbookBounds};
pub use cells::{CellError, cell_name, column_letter, float_text};
pub use error::FillFileError;
pub use guard::{ARCHIVE_LIMITS, ArchiveLimits, ArchiveReport, GuardError, check_archive};
pub use sheet::SheetCsv;

use sheet::{SheetShape, read_sheet, sheet_csv};

pub const VALUES_SHEET: &str = "Valeurs";
pub const TARGETS_SHEET: &str = "Cibles";
/// The columns of « Valeurs », those of `valeurs.csv`.
pub const VALUE_COLUMNS: [&str; 6] = [
    "finess",
    "indicateur",
    "annee",
    "numerateur",
    "denominateur",
    "valeur",
];
/// Columns read when present (a file downloaded before they existed has none).
pub const VALUE_OPTIONAL_COLUMNS: [&str; 1] = ["motif"];
/// The columns of « Cibles », those of `cibles.csv`.
pub const TARGET_COLUMNS: [&str; 4] = ["finess", "indicateur", "annee", "cible"];

/// Both sheets of an uploaded workbook as the engine's CSV texts.
#[derive(Debug, Clone)]
pub struct FilledWorkbook {
    pub values: SheetCsv,
    pub targets: SheetCsv,
}

/// Everything done on an uploaded workbook before the engine's checks (CPU
/// work of up to a few seconds: callers run it off their async threads): the
/// archive guard, calamine, both sheets read as bounded streams and turned
/// into CSV text. `upload` names the file in the errors (« fichier « x.xlsx » »).
/// All or nothing: every refusal found is returned.
pub fn parse_workbook(
    bytes: Vec<u8>,
    upload: &str,
    bounds: WorkbookBounds,
) -> Result<FilledWorkbook, Vec<FillFileError>> {
    check_archive(&bytes, &ARCHIVE_LIMITS).map_err(|source| {
        vec![FillFileError::Archive {
            upload: upload.to_owned(),
            source,
        }]
    })?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|source| {
        tracing::info!(error = %source, "classeur déposé illisible par calamine");
        vec![FillFileError::NotAWorkbook {
            upload: upload.to_owned(),
            source,
        }]
    })?;
    let values = read_sheet(&mut wb, upload, VALUES_SHEET, bounds.values);
    let targets = read_sheet(&mut wb, upload, TARGETS_SHEET, bounds.targets);
    let (values, targets) = match (values, targets) {
        (Ok(v), Ok(t)) => (v, t),
        (v, t) => return Err(v.err().into_iter().chain(t.err()).collect()),
    };
    let values = sheet_csv(
        &values,
        &SheetShape {
            sheet: VALUES_SHEET,
            columns: &VALUE_COLUMNS,
            optional: &VALUE_OPTIONAL_COLUMNS,
            fill: &["numerateur", "denominateur", "valeur"],
        },
    );
    let targets = sheet_csv(
        &targets,
        &SheetShape {
            sheet: TARGETS_SHEET,
            columns: &TARGET_COLUMNS,
            optional: &[],
            fill: &["cible"],
        },
    );
    match (values, targets) {
        (Ok(values), Ok(targets)) => Ok(FilledWorkbook { values, targets }),
        (v, t) => Err(v
            .err()
            .into_iter()
            .flatten()
            .chain(t.err().into_iter().flatten())
            .collect()),
    }
}
