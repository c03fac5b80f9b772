//! Why an uploaded fichier à remplir is refused. Each error names what the
//! report's columns show (file and sheet, Excel row, column letter); its
//! text is the French message shown to the ARS as is.

use super::bounds::SheetBounds;
use super::cells::{CellError, cell_name, column_letter};
use super::guard::GuardError;

/// One refusal of an uploaded workbook.
#[derive(Debug, thiserror::Error)]
pub enum FillFileError {
    /// The archive guard refused the file before calamine saw it; the text
    /// is the guard's.
    #[error("{source}")]
    Archive {
        upload: String,
        #[source]
        source: GuardError,
    },
    #[error(
        "ce n'est pas un classeur XLSX lisible (enregistrez-le au format « Classeur Excel (.xlsx) »)"
    )]
    NotAWorkbook {
        upload: String,
        #[source]
        source: calamine::XlsxError,
    },
    #[error("feuille absente du classeur")]
    SheetMissing {
        sheet: &'static str,
        #[source]
        source: calamine::XlsxError,
    },
    #[error("feuille illisible (contenu XML invalide ou inattendu)")]
    SheetUnreadable {
        sheet: &'static str,
        #[source]
        source: calamine::XlsxError,
    },
    /// A cell (or, when `declared`, the sheet's `<dimension>`) beyond the
    /// campaign's bounds; `row` and `col` are 0-based.
    #[error("{}", outside_text(.declared, .row, .col, .bounds))]
    OutsideBounds {
        upload: String,
        sheet: &'static str,
        row: u32,
        col: u32,
        bounds: SheetBounds,
        declared: bool,
    },
    #[error("feuille vide")]
    EmptySheet { sheet: &'static str },
    /// `row`: the header's Excel row (1-based).
    #[error("colonne « {name} » absente de l'en-tête")]
    MissingColumn {
        sheet: &'static str,
        row: u32,
        name: &'static str,
    },
    /// A refused cell: `row` is its Excel row (1-based), `col` its 0-based
    /// column, `header` the column's name as the header has it.
    #[error("{header} : {reason}")]
    Cell {
        sheet: &'static str,
        row: u32,
        col: u32,
        header: String,
        reason: CellError,
    },
    /// Writing the sheet's CSV text in memory failed (never seen: kept rather
    /// than ignored).
    #[error("conversion de la feuille en texte CSV impossible")]
    CsvText {
        sheet: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// « [dimension déclarée de la feuille : ]cellule XFD1048576 hors du fichier à
/// remplir (au plus … lignes, 26 colonnes) ».
fn outside_text(declared: &bool, row: &u32, col: &u32, bounds: &SheetBounds) -> String {
    format!(
        "{}cellule {} hors du fichier à remplir (au plus {} lignes, {} colonnes)",
        if *declared {
            "dimension déclarée de la feuille : "
        } else {
            ""
        },
        cell_name(*row, *col),
        bounds.rows,
        bounds.columns
    )
}

impl FillFileError {
    /// What the report's « fichier » column shows: the upload, the sheet, or both.
    pub fn file(&self) -> String {
        match self {
            FillFileError::Archive { upload, .. } | FillFileError::NotAWorkbook { upload, .. } => {
                upload.clone()
            }
            FillFileError::OutsideBounds { upload, sheet, .. } => {
                format!("{upload}, feuille « {sheet} »")
            }
            FillFileError::SheetMissing { sheet, .. }
            | FillFileError::SheetUnreadable { sheet, .. }
            | FillFileError::EmptySheet { sheet }
            | FillFileError::MissingColumn { sheet, .. }
            | FillFileError::Cell { sheet, .. }
            | FillFileError::CsvText { sheet, .. } => format!("feuille « {sheet} »"),
        }
    }

    /// The Excel row (1-based) the error is on, if it is on one.
    pub fn row(&self) -> Option<u64> {
        match self {
            FillFileError::OutsideBounds { row, .. } => Some(u64::from(*row) + 1),
            FillFileError::EmptySheet { .. } => Some(1),
            FillFileError::MissingColumn { row, .. } | FillFileError::Cell { row, .. } => {
                Some(u64::from(*row))
            }
            FillFileError::Archive { .. }
            | FillFileError::NotAWorkbook { .. }
            | FillFileError::SheetMissing { .. }
            | FillFileError::SheetUnreadable { .. }
            | FillFileError::CsvText { .. } => None,
        }
    }

    /// The Excel column letter the error is in, if it is in one.
    pub fn column(&self) -> Option<String> {
        match self {
            FillFileError::OutsideBounds { col, .. } | FillFileError::Cell { col, .. } => {
                Some(column_letter(*col))
            }
            _ => None,
        }
    }
}
