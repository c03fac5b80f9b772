//! The « fichier à remplir » reader on small workbooks built here: a filled
//! file becomes the engine's CSV texts with each line's Excel row; a date cell,
//! a cell past the campaign's bounds and a zip bomb are refused with the French
//! messages the ARS reads (sheet, row and column named).

#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

use std::io::{Cursor, Read, Write};

use caqes_data::fill_file::{
    FillFileError, GuardError, VALUES_SHEET, WorkbookBounds, parse_workbook,
};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

/// Bounds of a region of 10 sites and 4 entities, 60 lines: 801 and 441 rows.
fn bounds() -> WorkbookBounds {
    WorkbookBounds::for_region(10, 4, 60)
}

const UPLOAD: &str = "fichier « rempli.xlsx »";

/// A workbook with both sheets: `values` and `targets` fill them after their headers.
fn workbook(values: impl FnOnce(&mut Worksheet), targets: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Valeurs").unwrap();
    for (c, h) in [
        "finess",
        "indicateur",
        "annee",
        "numerateur",
        "denominateur",
        "valeur",
        "motif",
        "entite",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    values(ws);
    let ws = wb.add_worksheet();
    ws.set_name("Cibles").unwrap();
    for (c, h) in ["FINESS", "indicateur", "annee", "cible", "entite"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    targets(ws);
    wb.save_to_buffer().unwrap()
}

fn one_error(bytes: Vec<u8>) -> FillFileError {
    let mut errors = parse_workbook(bytes, UPLOAD, bounds()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

#[test]
fn a_filled_file_becomes_the_engines_csv_texts() {
    let bytes = workbook(
        |ws| {
            // Row 2: a rate typed as numbers (a formula's double rounded as Excel shows it).
            ws.write_string(1, 0, "010780054").unwrap();
            ws.write_string(1, 1, "I-01").unwrap();
            ws.write_number(1, 2, 2025.0).unwrap();
            ws.write_number(1, 3, 0.1 + 0.2).unwrap();
            ws.write_number(1, 4, 30.0).unwrap();
            ws.write_string(1, 7, "Centre hospitalier").unwrap();
            // Row 3: not filled (only the entity's name): left out.
            ws.write_string(2, 0, "010780054").unwrap();
            ws.write_string(2, 7, "Centre hospitalier").unwrap();
            // Row 4: NC with its motive, text with a French comma kept as typed.
            ws.write_string(3, 0, "010780054").unwrap();
            ws.write_string(3, 1, "III-03/EPO").unwrap();
            ws.write_number(3, 2, 2025.0).unwrap();
            ws.write_string(3, 5, " NC ").unwrap();
            ws.write_string(3, 6, "non prescrit").unwrap();
        },
        |ws| {
            ws.write_string(2, 0, "010780054").unwrap();
            ws.write_string(2, 1, "I-01").unwrap();
            ws.write_number(2, 2, 2025.0).unwrap();
            ws.write_string(2, 3, "12,5").unwrap();
        },
    );
    let filled = parse_workbook(bytes, UPLOAD, bounds()).unwrap();
    assert_eq!(
        filled.values.text(),
        "finess;indicateur;annee;numerateur;denominateur;valeur;motif\n\
         010780054;I-01;2025;0.3;30;;\n\
         010780054;III-03/EPO;2025;;;NC;non prescrit\n"
    );
    // CSV line 2 is Excel row 2, CSV line 3 is Excel row 4 (row 3 left out).
    assert_eq!(filled.values.excel_row(2), Some(2));
    assert_eq!(filled.values.excel_row(3), Some(4));
    assert_eq!(filled.values.excel_column("motif"), Some(6));
    // Header names in any case; the ARS's own columns dropped.
    assert_eq!(
        filled.targets.text(),
        "finess;indicateur;annee;cible\n010780054;I-01;2025;12,5\n"
    );
    assert_eq!(filled.targets.excel_row(2), Some(3));
    assert!(!filled.targets.has_no_rows());

    // Headers only: an empty import, not an error.
    let empty = parse_workbook(workbook(|_| {}, |_| {}), UPLOAD, bounds()).unwrap();
    assert!(empty.values.has_no_rows() && empty.targets.has_no_rows());
}

#[test]
fn a_date_cell_is_refused_with_sheet_row_and_column() {
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let bytes = workbook(
        |ws| {
            ws.write_string(4, 0, "010780054").unwrap();
            ws.write_string(4, 1, "I-01").unwrap();
            ws.write_number(4, 2, 2025.0).unwrap();
            ws.write_number_with_format(4, 5, 45_000.0, &date).unwrap();
        },
        |_| {},
    );
    let e = one_error(bytes);
    assert_eq!(e.file(), "feuille « Valeurs »");
    assert_eq!((e.row(), e.column().as_deref()), (Some(5), Some("F")));
    assert_eq!(
        e.to_string(),
        "valeur : cellule au format date ou durée : saisir un nombre"
    );

    // A missing column is named with the header's row.
    let mut wb = Workbook::new();
    for sheet in ["Valeurs", "Cibles"] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet).unwrap();
        ws.write_string(0, 0, "finess").unwrap();
    }
    let errors = parse_workbook(wb.save_to_buffer().unwrap(), UPLOAD, bounds()).unwrap_err();
    let texts: Vec<String> = errors
        .iter()
        .map(|e| format!("{} ligne {:?} : {e}", e.file(), e.row()))
        .collect();
    assert_eq!(
        texts,
        [
            "feuille « Valeurs » ligne Some(1) : colonne « indicateur » absente de l'en-tête",
            "feuille « Cibles » ligne Some(1) : colonne « indicateur » absente de l'en-tête",
        ]
    );
}

#[test]
fn a_sheet_past_the_bounds_is_refused_before_its_cells_are_kept() {
    // Z1000000 in « Cibles »: column Z is allowed, the row is not (441 rows at most).
    let bytes = workbook(
        |_| {},
        |ws| {
            ws.write_string(999_999, 25, "x").unwrap();
        },
    );
    let e = one_error(bytes);
    assert_eq!(e.file(), "fichier « rempli.xlsx », feuille « Cibles »");
    assert_eq!(
        (e.row(), e.column().as_deref()),
        (Some(1_000_000), Some("Z"))
    );
    // rust_xlsxwriter declares the sheet's dimension: it is what stops the reading.
    assert_eq!(
        e.to_string(),
        "dimension déclarée de la feuille : cellule Z1000000 hors du fichier à remplir \
         (au plus 441 lignes, 26 colonnes)"
    );

    // Column AA of « Valeurs », within the rows.
    let bytes = workbook(
        |ws| {
            ws.write_string(3, 26, "note").unwrap();
        },
        |_| {},
    );
    let e = one_error(bytes);
    assert!(
        matches!(
            e,
            FillFileError::OutsideBounds {
                sheet: VALUES_SHEET,
                row: 3,
                col: 26,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("cellule AA4 hors du fichier à remplir"),
        "{e}"
    );
}

#[test]
fn a_zip_bomb_is_refused_by_the_guard() {
    // A real workbook with one more entry: 8 Mio of '0' deflating about 1 000 times.
    let good = workbook(|_| {}, |_| {});
    let mut input = zip::ZipArchive::new(Cursor::new(good)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..input.len() {
        let mut entry = input.by_index(i).unwrap();
        let name = entry.name().to_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        out.start_file(name, options).unwrap();
        out.write_all(&content).unwrap();
    }
    out.start_file("xl/media/bombe.xml", options).unwrap();
    out.write_all(&vec![b'0'; 8 * 1024 * 1024]).unwrap();
    let bomb = out.finish().unwrap().into_inner();
    assert!(bomb.len() < 128 * 1024, "{}", bomb.len());

    let e = one_error(bomb);
    assert_eq!(e.file(), UPLOAD);
    assert_eq!((e.row(), e.column()), (None, None));
    assert!(
        matches!(
            &e,
            FillFileError::Archive {
                source: GuardError::Ratio { max: 100, .. },
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("le fichier interne « xl/media/bombe.xml » du classeur est compressé")
            && e.to_string().ends_with("archive piégée refusée"),
        "{e}"
    );

    // Not an archive at all.
    let e = one_error(b"pas un classeur".to_vec());
    assert_eq!(
        e.to_string(),
        "ce n'est pas un classeur XLSX lisible (le fichier n'est pas une archive ZIP valide)"
    );
}
