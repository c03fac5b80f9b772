//! One sheet of an uploaded workbook: its cells read as a bounded stream, then
//! turned into the engine's CSV text with, for each CSV line and column, the
//! Excel row and column it comes from.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Xlsx};

use super::bounds::SheetBounds;
use super::cells::cell_text;
use super::error::FillFileError;

/// The non-empty cells of a sheet by 0-based (row, column).
pub(crate) type Cells = BTreeMap<(u32, u32), Data>;

/// The cells of a sheet, read as a stream (calamine's cell reader, never
/// `worksheet_range`, which allocates the rectangle the cells span): empty
/// cells left out, a repeated cell overwriting the previous one, so at most
/// `bounds.rows × bounds.columns` cells are kept. The sheet's declared
/// `<dimension>` and then every cell are checked against `bounds`; the first
/// cell beyond stops the reading.
pub(crate) fn read_sheet(
    wb: &mut Xlsx<Cursor<Vec<u8>>>,
    upload: &str,
    sheet: &'static str,
    bounds: SheetBounds,
) -> Result<Cells, FillFileError> {
    let outside = |row: u32, col: u32, declared: bool| FillFileError::OutsideBounds {
        upload: upload.to_owned(),
        sheet,
        row,
        col,
        bounds,
        declared,
    };
    let unreadable = |e: calamine::XlsxError| {
        tracing::info!(sheet, error = %e, "classeur déposé : feuille illisible");
        match e {
            calamine::XlsxError::WorksheetNotFound(_) => {
                FillFileError::SheetMissing { sheet, source: e }
            }
            _ => FillFileError::SheetUnreadable { sheet, source: e },
        }
    };
    let mut reader = wb.worksheet_cells_reader(sheet).map_err(unreadable)?;
    // The declared dimension (absent: A1, which proves nothing; the cells are checked anyway).
    let (end_row, end_col) = reader.dimensions().end;
    if end_row >= bounds.rows || end_col >= bounds.columns {
        return Err(outside(end_row, end_col, true));
    }
    let mut cells = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        if row >= bounds.rows || col >= bounds.columns {
            return Err(outside(row, col, false));
        }
        let value = Data::from(cell.get_value().clone());
        if value == Data::Empty {
            cells.remove(&(row, col));
        } else {
            cells.insert((row, col), value);
        }
    }
    Ok(cells)
}

/// One row of a sheet's cells, from column `col0`, `width` cells wide.
fn row_of(cells: &Cells, row: u32, col0: u32, width: usize) -> Vec<Data> {
    let mut out = vec![Data::Empty; width];
    for ((_, c), d) in cells.range((row, col0)..(row, col0 + width as u32)) {
        out[(c - col0) as usize] = d.clone();
    }
    out
}

/// One sheet turned into CSV text: only the expected columns, filled rows only
/// (a row whose `fill` columns are all empty is left out), and for each CSV
/// line the Excel row it comes from.
#[derive(Debug, Clone)]
pub struct SheetCsv {
    text: String,
    excel_rows: HashMap<u64, u32>,
    /// The Excel column (0-based) of each CSV column, by name.
    excel_columns: HashMap<String, u32>,
}

impl SheetCsv {
    /// The CSV text (`;`, header first), as the engine's readers take it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether no row of the sheet was filled (the text is the header only).
    pub fn has_no_rows(&self) -> bool {
        self.excel_rows.is_empty()
    }

    /// The Excel row (1-based) of a CSV line (the header is line 1).
    pub fn excel_row(&self, csv_line: u64) -> Option<u32> {
        self.excel_rows.get(&csv_line).copied()
    }

    /// The Excel column (0-based) a CSV column was read from.
    pub fn excel_column(&self, name: &str) -> Option<u32> {
        self.excel_columns.get(name).copied()
    }
}

/// What to take from a sheet.
pub(crate) struct SheetShape<'a> {
    pub sheet: &'static str,
    /// Columns the header must hold (any order, any case).
    pub columns: &'a [&'static str],
    /// Columns carried when the header has them.
    pub optional: &'a [&'static str],
    /// A row is kept when one of these columns is filled.
    pub fill: &'a [&'static str],
}

/// Turns a sheet's cells into its CSV text; every refused cell is reported.
pub(crate) fn sheet_csv(
    cells: &Cells,
    shape: &SheetShape<'_>,
) -> Result<SheetCsv, Vec<FillFileError>> {
    let sheet = shape.sheet;
    // The used rectangle, as calamine's range had it: from the first filled
    // row and the leftmost filled column.
    let (Some(&(row0, _)), Some(&(last_row, _)), Some(col0), Some(last_col)) = (
        cells.keys().next(),
        cells.keys().next_back(),
        cells.keys().map(|k| k.1).min(),
        cells.keys().map(|k| k.1).max(),
    ) else {
        return Err(vec![FillFileError::EmptySheet { sheet }]);
    };
    let width = (last_col - col0 + 1) as usize;
    let header: Vec<String> = row_of(cells, row0, col0, width)
        .iter()
        .map(|c| cell_text(c).unwrap_or_default().to_lowercase())
        .collect();
    let mut index = Vec::new();
    for name in shape.columns {
        match header.iter().position(|h| h == name) {
            Some(i) => index.push(i),
            None => {
                return Err(vec![FillFileError::MissingColumn {
                    sheet,
                    row: row0 + 1,
                    name,
                }]);
            }
        }
    }
    // Optional columns present in the header are carried to the CSV after the
    // required ones (the engine's readers take them by name).
    let mut columns = shape.columns.to_vec();
    for name in shape.optional {
        if let Some(i) = header.iter().position(|h| h == name) {
            columns.push(name);
            index.push(i);
        }
    }
    let fill_index: Vec<usize> = shape
        .fill
        .iter()
        .filter_map(|f| columns.iter().position(|c| c == f).map(|i| index[i]))
        .collect();
    let csv_error = |e: std::io::Error| vec![FillFileError::CsvText { sheet, source: e }];
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer
        .write_record(&columns)
        .map_err(|e| csv_error(e.into()))?;
    let mut excel_rows = HashMap::new();
    let mut line = 1u64;
    let mut errors = Vec::new();
    for row in row0 + 1..=last_row {
        let r = row_of(cells, row, col0, width);
        let excel_row = row + 1;
        let filled = fill_index
            .iter()
            .any(|&c| r.get(c).is_some_and(|d| *d != Data::Empty));
        if !filled {
            continue;
        }
        let mut record = Vec::new();
        for &c in &index {
            match r.get(c).map(cell_text).unwrap_or(Ok(String::new())) {
                Ok(t) => record.push(t),
                Err(reason) => {
                    errors.push(FillFileError::Cell {
                        sheet,
                        row: excel_row,
                        col: col0 + c as u32,
                        header: header[c].clone(),
                        reason,
                    });
                    record.push(String::new());
                }
            }
        }
        writer
            .write_record(&record)
            .map_err(|e| csv_error(e.into()))?;
        line += 1;
        excel_rows.insert(line, excel_row);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let bytes = writer.into_inner().map_err(|e| csv_error(e.into_error()))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| csv_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    let excel_columns = columns
        .iter()
        .zip(&index)
        .map(|(name, &i)| ((*name).to_owned(), col0 + i as u32))
        .collect();
    Ok(SheetCsv {
        text,
        excel_rows,
        excel_columns,
    })
}
