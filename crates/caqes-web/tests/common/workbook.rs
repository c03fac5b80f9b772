//! The « fichier à remplir » (XLSX) in the web tests: downloaded, read with
//! calamine, edited cell by cell and written again with rust_xlsxwriter, as an
//! ARS filling it in Excel would; and the converted CSV its preview carries.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};

use super::Client;

/// Sheets « Valeurs » and « Cibles » of the workbook `client` downloads from `url`.
pub async fn download(client: &mut Client<'_>, url: &str) -> (Range<Data>, Range<Data>) {
    let page = client.get(url).await;
    assert_eq!(page.status, StatusCode::OK, "{url}");
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(page.bytes)).unwrap();
    let values = wb.worksheet_range("Valeurs").unwrap();
    let targets = wb.worksheet_range("Cibles").unwrap();
    (values, targets)
}

/// Copies a sheet read by calamine into a rust_xlsxwriter sheet, with `edits`
/// ((row, column) → cell) applied.
pub fn copy_sheet(
    wb: &mut rust_xlsxwriter::Workbook,
    name: &str,
    range: &Range<Data>,
    edits: &BTreeMap<(u32, u16), Data>,
) {
    let ws = wb.add_worksheet();
    ws.set_name(name).unwrap();
    let (r0, c0) = range.start().unwrap();
    let mut cells: BTreeMap<(u32, u16), Data> = BTreeMap::new();
    for (i, row) in range.rows().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            cells.insert((r0 + i as u32, (c0 as usize + j) as u16), cell.clone());
        }
    }
    cells.extend(edits.clone());
    for ((r, c), cell) in cells {
        match cell {
            Data::String(t) => {
                ws.write_string(r, c, t).unwrap();
            }
            Data::Float(f) => {
                ws.write_number(r, c, f).unwrap();
            }
            Data::Int(i) => {
                ws.write_number(r, c, i as f64).unwrap();
            }
            Data::Bool(b) => {
                ws.write_boolean(r, c, b).unwrap();
            }
            _ => {}
        }
    }
}

/// The workbook of sheets « Valeurs » and « Cibles » copied from `values` and
/// `targets`, each with its edits applied.
pub fn filled(
    values: &Range<Data>,
    value_edits: &BTreeMap<(u32, u16), Data>,
    targets: &Range<Data>,
    target_edits: &BTreeMap<(u32, u16), Data>,
) -> Vec<u8> {
    let mut out = rust_xlsxwriter::Workbook::new();
    copy_sheet(&mut out, "Valeurs", values, value_edits);
    copy_sheet(&mut out, "Cibles", targets, target_edits);
    out.save_to_buffer().unwrap()
}

/// The index of the column headed `name` in the sheet's first row.
pub fn column(range: &Range<Data>, name: &str) -> u16 {
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    header.iter().position(|h| h == name).unwrap() as u16
}

/// The value of the hidden field `name` of a page (the preview's converted CSV).
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("type=\"hidden\" name=\"{name}\" value=\"");
    let i = body.find(&marker).unwrap() + marker.len();
    let raw = &body[i..i + body[i..].find('"').unwrap()];
    raw.replace("&#10;", "\n")
        .replace("&#x0A;", "\n")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}
