//! The ARS's « fichier à remplir » (XLSX) of a campaign: sheet « Valeurs »
//! (one row per site × applicable indicator, columns of the engine's
//! `valeurs.csv`, pre-filled with what is known) and sheet « Cibles » (one row
//! per entity × applicable indicator). The filled file comes back by upload:
//! it is turned into the engine's CSV texts and goes through exactly the same
//! checks, preview and confirmation (`imports::yearly::yearly_confirm`, one
//! transaction) as the pasted CSV import.
//!
//! **Indicators computed per class** (D5, `III-03/EPO`…): the file follows the
//! dossier form, one row per class (code, class name, stored value and NC
//! motive) in « Valeurs » and one row per class under its indicator in
//! « Cibles » (a class's own target, else the indicator's shared one applies).
//! The indicator's own row is written in « Valeurs » only when a value for the
//! whole indicator is stored (an older entry, still read), so that nothing
//! stored is lost by a round trip. The optional column `motif` carries the
//! motive of an `NC` (a class not prescribed), as in `valeurs.csv`.
//!
//! Who uploads: the ARS of the region, like the CSV import. An établissement
//! enters its values in its dossier; the file is the ARS's tool to collect a
//! region at once, and keeping it on one role keeps one scope check.
//!
//! **Numbers from Excel cells.** A text cell is taken as typed (French comma
//! accepted). A number cell is an IEEE double: it is written with its shortest
//! round-trip decimal representation (0.1 stays 0.1, never 0.1000000000000000055…);
//! when that representation has more than 15 significant digits — the precision
//! Excel itself displays — it is a binary artefact of a formula (0.1 + 0.2 gives
//! 0.30000000000000004) and is rounded to 15 significant digits (0.3), the value
//! Excel shows. Dates, booleans and error cells are refused with the sheet, row
//! and column named.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use calamine::{Data, Xlsx, open_workbook_from_rs};
use caqes_core::Finess;
use caqes_core::referentiel::{Applicability, GridLine};
use caqes_store::CampaignId;
use caqes_store::{Campaign, LegalEntity, Role, User};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};

use crate::auth::{CurrentUser, Session};
use crate::imports::xlsx_guard::{ARCHIVE_LIMITS, check_archive};
use crate::imports::yearly::read_yearly_text;
use crate::imports::{
    ErrorLine, ImportField, ImportPage, ImportView, Preview, TARGETS_FILE, VALUES_FILE,
};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Multipart, Path};
use crate::state::AppState;
use crate::ui::Layout;
use crate::ui::page::{Page, impl_page};

pub const VALUES_SHEET: &str = "Valeurs";
pub const TARGETS_SHEET: &str = "Cibles";
const VALUE_COLUMNS: [&str; 6] = [
    "finess",
    "indicateur",
    "annee",
    "numerateur",
    "denominateur",
    "valeur",
];
/// Columns read when present (a file downloaded before they existed has none).
const VALUE_OPTIONAL_COLUMNS: [&str; 1] = ["motif"];
const TARGET_COLUMNS: [&str; 4] = ["finess", "indicateur", "annee", "cible"];
/// Significant digits Excel keeps and shows.
const EXCEL_DIGITS: u32 = 15;

async fn campaign_of_ars(state: &AppState, user: &User, id: &CampaignId) -> AppResult<Campaign> {
    let region = match (user.role, &user.region) {
        (Role::Ars, Some(r)) => r.clone(),
        _ => return Err(AppError::NotFound),
    };
    let campaign = state.store.campaign(id).await?.ok_or(AppError::NotFound)?;
    if campaign.region != region {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    Ok(campaign)
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(format!("classeur XLSX : {e}"))
}

/// A known value as a cell: a number when the double gives back exactly the
/// same decimal, else text (never a rounded number).
fn write_value(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    text: &str,
) -> AppResult<()> {
    let exact = text.parse::<Decimal>().ok().and_then(|d| {
        let f: f64 = d.to_string().parse().ok()?;
        (format!("{f}").parse::<Decimal>().ok()? == d).then_some(f)
    });
    match exact {
        Some(f) => ws.write_number(row, col, f).map_err(xlsx_error)?,
        None => ws.write_string(row, col, text).map_err(xlsx_error)?,
    };
    Ok(())
}

/// `GET /campagnes/{campaign}/imports/fichier-a-remplir.xlsx`: the ARS's
/// workbook, every entity of the region whose dossier is still editable.
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(&state, &s.user, &campaign_id).await?;
    let entities = state
        .store
        .legal_entities_in_region(&campaign.region)
        .await?;
    let bytes = workbook(&state, &campaign, &entities, true).await?;
    let name = format!(
        "fichier-a-remplir-{}-{}.xlsx",
        campaign.region, campaign.year
    );
    Ok(xlsx_response(bytes, &name))
}

/// `GET /campagnes/{campaign}/dossiers/{finess}/fichier-a-remplir.xlsx`: the
/// same workbook restricted to one dossier, for whoever reads it (the
/// établissement first: its sites, indicators, values and targets).
pub async fn download_dossier(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let dossier = crate::dossier::load(&state, &s.user, &campaign_id, &finess).await?;
    let bytes = workbook(
        &state,
        &dossier.campaign,
        std::slice::from_ref(&dossier.entity),
        false,
    )
    .await?;
    let name = format!(
        "fichier-a-remplir-{}-{}.xlsx",
        dossier.entity.finess, dossier.campaign.year
    );
    Ok(xlsx_response(bytes, &name))
}

fn xlsx_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The « fichier à remplir » of `entities`: sheet « Valeurs », one row per
/// site × indicator concerned (of the dossiers still editable when
/// `only_editable`), sheet « Cibles », one row per entity × indicator
/// concerned, pre-filled with what is stored.
async fn workbook(
    state: &AppState,
    campaign: &Campaign,
    entities: &[LegalEntity],
    only_editable: bool,
) -> AppResult<Vec<u8>> {
    let referentiel = state.store.campaign_referentiel(campaign).await?;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let year = f64::from(campaign.year);
    {
        let ws = wb.add_worksheet();
        ws.set_name(VALUES_SHEET).map_err(xlsx_error)?;
        for (c, h) in VALUE_COLUMNS
            .iter()
            .chain(&VALUE_OPTIONAL_COLUMNS)
            .chain(&["entite", "libelle", "source"])
            .enumerate()
        {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(xlsx_error)?;
        }
        let mut row = 1u32;
        for e in entities {
            // Only dossiers still editable: a row of a submitted dossier would make
            // the whole upload refused (all or nothing).
            let editable = state
                .store
                .submission(&campaign.id, &e.finess)
                .await?
                .is_some_and(|sub| sub.state.is_editable());
            if only_editable && !editable {
                continue;
            }
            let values = state
                .store
                .values_for_entity(&e.finess, campaign.year)
                .await?;
            let declarations = state
                .store
                .nc_declarations_for_entity(&e.finess, campaign.year)
                .await?;
            for site in state.store.sites_of(&e.finess).await? {
                for line in referentiel.lines_in_order() {
                    let ind = line.indicator;
                    if ind.applicability(e.category) != Applicability::Concerned {
                        continue;
                    }
                    let stored = values
                        .iter()
                        .find(|v| v.site == site.finess && v.indicator == line.code);
                    // Typed class by class, as in the dossier form.
                    if line.class.is_none() && !ind.classes.is_empty() && stored.is_none() {
                        continue;
                    }
                    ws.write_string(row, 0, site.finess.as_str())
                        .map_err(xlsx_error)?;
                    ws.write_string(row, 1, line.code).map_err(xlsx_error)?;
                    ws.write_number(row, 2, year).map_err(xlsx_error)?;
                    if let Some(v) = stored {
                        if let Some(n) = &v.numerator {
                            write_value(ws, row, 3, n)?;
                        }
                        if let Some(d) = &v.denominator {
                            write_value(ws, row, 4, d)?;
                        }
                        if let Some(x) = v.declared.as_ref().or(v.value.as_ref()) {
                            write_value(ws, row, 5, x)?;
                        }
                        if v.declared.as_deref() == Some("NC")
                            && let Some(d) = declarations
                                .iter()
                                .find(|d| d.site == site.finess && d.indicator == line.code)
                        {
                            ws.write_string(row, 6, d.declaration.motive())
                                .map_err(xlsx_error)?;
                        }
                    }
                    ws.write_string(row, 7, &e.name).map_err(xlsx_error)?;
                    ws.write_string(row, 8, line_label(&line))
                        .map_err(xlsx_error)?;
                    let sources: Vec<String> =
                        ind.sources.iter().map(|s| format!("{s:?}")).collect();
                    ws.write_string(row, 9, sources.join("/"))
                        .map_err(xlsx_error)?;
                    row += 1;
                }
            }
        }
        ws.set_column_width(6, 30).map_err(xlsx_error)?;
        ws.set_column_width(7, 40).map_err(xlsx_error)?;
        ws.set_column_width(8, 60).map_err(xlsx_error)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(TARGETS_SHEET).map_err(xlsx_error)?;
        for (c, h) in TARGET_COLUMNS
            .iter()
            .chain(&["entite", "libelle"])
            .enumerate()
        {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(xlsx_error)?;
        }
        let mut row = 1u32;
        for e in entities {
            let targets = state.store.targets_for(&e.finess, campaign.year).await?;
            // The indicator's row (its target is shared by its classes), then one
            // row per class for a class's own target.
            for line in referentiel.lines_in_order() {
                if line.indicator.applicability(e.category) != Applicability::Concerned {
                    continue;
                }
                ws.write_string(row, 0, e.finess.as_str())
                    .map_err(xlsx_error)?;
                ws.write_string(row, 1, line.code).map_err(xlsx_error)?;
                ws.write_number(row, 2, year).map_err(xlsx_error)?;
                if let Some(t) = targets.get(line.code) {
                    write_value(ws, row, 3, &t.to_string())?;
                }
                ws.write_string(row, 4, &e.name).map_err(xlsx_error)?;
                ws.write_string(row, 5, line_label(&line))
                    .map_err(xlsx_error)?;
                row += 1;
            }
        }
    }
    wb.save_to_buffer().map_err(xlsx_error)
}

/// A line's label in the workbook: the indicator's, and for a class « … — classe
/// Érythropoïétines (EPO) » (the wording of the dossier form).
fn line_label(line: &GridLine<'_>) -> String {
    match line.class {
        Some(class) => format!("{} — classe {}", line.indicator.label, class.label),
        None => line.indicator.label.clone(),
    }
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

/// The exact decimal text of a number cell (see the module's rule).
pub fn float_text(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err("nombre invalide".into());
    }
    let shortest = format!("{f}");
    let d: Decimal = shortest
        .parse()
        .map_err(|_| format!("nombre {shortest} hors de la précision décimale"))?;
    let digits = d.mantissa().unsigned_abs().to_string().len() as u32;
    let d = if digits > EXCEL_DIGITS {
        d.round_dp(d.scale().saturating_sub(digits - EXCEL_DIGITS))
    } else {
        d
    };
    Ok(d.normalize().to_string())
}

fn cell_text(cell: &Data) -> Result<String, String> {
    match cell {
        Data::Empty => Ok(String::new()),
        Data::String(s) => Ok(s.trim().to_owned()),
        Data::Int(i) => Ok(i.to_string()),
        Data::Float(f) => float_text(*f),
        Data::Bool(_) => Err("cellule booléenne (VRAI/FAUX) : saisir un nombre ou un texte".into()),
        Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            Err("cellule au format date ou durée : saisir un nombre".into())
        }
        Data::Error(e) => Err(format!("cellule en erreur ({e})")),
    }
}

/// The largest sheet the fichier à remplir of a campaign can be: beyond it a
/// cell is refused before anything is allocated for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetBounds {
    /// Rows, header included (0-based row indices below this).
    pub rows: u32,
    /// Columns (0-based column indices below this).
    pub columns: u32,
}

/// Columns of a sheet: 9 are written, the ARS may add a few of its own (A to Z).
pub const MAX_COLUMNS: u32 = 26;
/// Rows the ARS may leave blank or add (notes, totals) beyond the rows the
/// campaign can have.
pub const SPARE_ROWS: u32 = 200;

/// The bounds of both sheets of a campaign's fichier à remplir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkbookBounds {
    pub values: SheetBounds,
    pub targets: SheetBounds,
}

impl WorkbookBounds {
    /// « Valeurs » has at most one row per site × line, « Cibles » one per
    /// entity × line (`lines`: the indicators and their classes), plus the header
    /// and [`SPARE_ROWS`].
    pub fn for_region(sites: u32, entities: u32, lines: u32) -> WorkbookBounds {
        let rows = |n: u32| n.saturating_mul(lines).saturating_add(1 + SPARE_ROWS);
        WorkbookBounds {
            values: SheetBounds {
                rows: rows(sites),
                columns: MAX_COLUMNS,
            },
            targets: SheetBounds {
                rows: rows(entities),
                columns: MAX_COLUMNS,
            },
        }
    }
}

async fn bounds_of(state: &AppState, campaign: &Campaign) -> AppResult<WorkbookBounds> {
    let referentiel = state.store.campaign_referentiel(campaign).await?;
    let entities = state
        .store
        .legal_entities_in_region(&campaign.region)
        .await?;
    let mut sites = 0u32;
    for e in &entities {
        let n = state.store.sites_of(&e.finess).await?.len();
        sites = sites.saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(WorkbookBounds::for_region(
        sites,
        count(entities.len()),
        // Every line: the indicators and their classes (D5).
        count(referentiel.line_count()),
    ))
}

/// Excel's name of a 0-based (row, column) cell (0, 0 → A1).
fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_letter(col), u64::from(row) + 1)
}

/// The cells of a sheet, read as a stream (calamine's cell reader, never
/// `worksheet_range`, which allocates the rectangle the cells span): empty
/// cells left out, a repeated cell overwriting the previous one, so at most
/// `bounds.rows × bounds.columns` cells are kept. The sheet's declared
/// `<dimension>` and then every cell are checked against `bounds`; the first
/// cell beyond stops the reading.
fn read_sheet(
    wb: &mut Xlsx<Cursor<Vec<u8>>>,
    upload: &str,
    sheet: &str,
    bounds: SheetBounds,
    errors: &mut Vec<ErrorLine>,
) -> Option<BTreeMap<(u32, u32), Data>> {
    let outside = |row: u32, col: u32, what: &str| ErrorLine {
        file: format!("{upload}, feuille « {sheet} »"),
        line: (u64::from(row) + 1).to_string(),
        column: column_letter(col),
        message: format!(
            "{what}cellule {} hors du fichier à remplir (au plus {} lignes, {} colonnes)",
            cell_name(row, col),
            bounds.rows,
            bounds.columns
        ),
    };
    let unreadable = |e: calamine::XlsxError| {
        tracing::info!(sheet, error = %e, "classeur déposé : feuille illisible");
        ErrorLine {
            file: format!("feuille « {sheet} »"),
            line: String::new(),
            column: String::new(),
            message: match e {
                calamine::XlsxError::WorksheetNotFound(_) => "feuille absente du classeur".into(),
                _ => "feuille illisible (contenu XML invalide ou inattendu)".into(),
            },
        }
    };
    let mut reader = match wb.worksheet_cells_reader(sheet) {
        Ok(r) => r,
        Err(e) => {
            errors.push(unreadable(e));
            return None;
        }
    };
    // The declared dimension (absent: A1, which proves nothing; the cells are checked anyway).
    let (end_row, end_col) = reader.dimensions().end;
    if end_row >= bounds.rows || end_col >= bounds.columns {
        errors.push(outside(
            end_row,
            end_col,
            "dimension déclarée de la feuille : ",
        ));
        return None;
    }
    let mut cells = BTreeMap::new();
    loop {
        match reader.next_cell() {
            Ok(Some(cell)) => {
                let (row, col) = cell.get_position();
                if row >= bounds.rows || col >= bounds.columns {
                    errors.push(outside(row, col, ""));
                    return None;
                }
                let value = Data::from(cell.get_value().clone());
                if value == Data::Empty {
                    cells.remove(&(row, col));
                } else {
                    cells.insert((row, col), value);
                }
            }
            Ok(None) => break,
            Err(e) => {
                errors.push(unreadable(e));
                return None;
            }
        }
    }
    Some(cells)
}

/// One row of a sheet's cells, from column `col0`, `width` cells wide.
fn row_of(cells: &BTreeMap<(u32, u32), Data>, row: u32, col0: u32, width: usize) -> Vec<Data> {
    let mut out = vec![Data::Empty; width];
    for ((_, c), d) in cells.range((row, col0)..(row, col0 + width as u32)) {
        out[(c - col0) as usize] = d.clone();
    }
    out
}

/// One sheet turned into CSV text: only the expected columns, filled rows only
/// (a row whose `fill` columns are all empty is left out), and for each CSV
/// line the Excel row it comes from.
pub(crate) struct SheetCsv {
    text: String,
    excel_rows: HashMap<u64, u32>,
    /// The Excel column (0-based) of each CSV column, by name.
    excel_columns: HashMap<String, u32>,
}

fn sheet_csv(
    cells: &BTreeMap<(u32, u32), Data>,
    sheet: &str,
    columns: &[&str],
    optional: &[&str],
    fill: &[&str],
    errors: &mut Vec<ErrorLine>,
) -> Option<SheetCsv> {
    let where_ = |row: u32, col: Option<u32>, message: String| ErrorLine {
        file: format!("feuille « {sheet} »"),
        line: row.to_string(),
        column: col.map(column_letter).unwrap_or_default(),
        message,
    };
    // The used rectangle, as calamine's range had it: from the first filled
    // row and the leftmost filled column.
    let (Some(&(row0, _)), Some(&(last_row, _)), Some(col0), Some(last_col)) = (
        cells.keys().next(),
        cells.keys().next_back(),
        cells.keys().map(|k| k.1).min(),
        cells.keys().map(|k| k.1).max(),
    ) else {
        errors.push(where_(1, None, "feuille vide".into()));
        return None;
    };
    let width = (last_col - col0 + 1) as usize;
    let header: Vec<String> = row_of(cells, row0, col0, width)
        .iter()
        .map(|c| cell_text(c).unwrap_or_default().to_lowercase())
        .collect();
    let mut index = Vec::new();
    for name in columns {
        match header.iter().position(|h| h == name) {
            Some(i) => index.push(i),
            None => {
                errors.push(where_(
                    row0 + 1,
                    None,
                    format!("colonne « {name} » absente de l'en-tête"),
                ));
                return None;
            }
        }
    }
    // Optional columns present in the header are carried to the CSV after the
    // required ones (the engine's readers take them by name).
    let mut columns = columns.to_vec();
    for name in optional {
        if let Some(i) = header.iter().position(|h| h == name) {
            columns.push(name);
            index.push(i);
        }
    }
    let fill_index: Vec<usize> = fill
        .iter()
        .filter_map(|f| columns.iter().position(|c| c == f).map(|i| index[i]))
        .collect();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = writer.write_record(&columns);
    let mut excel_rows = HashMap::new();
    let mut line = 1u64;
    let before = errors.len();
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
                Err(m) => {
                    errors.push(where_(
                        excel_row,
                        Some(col0 + c as u32),
                        format!("{} : {m}", header[c]),
                    ));
                    record.push(String::new());
                }
            }
        }
        let _ = writer.write_record(&record);
        line += 1;
        excel_rows.insert(line, excel_row);
    }
    if errors.len() > before {
        return None;
    }
    let text = String::from_utf8(writer.into_inner().ok()?).ok()?;
    let excel_columns = columns
        .iter()
        .zip(&index)
        .map(|(name, &i)| ((*name).to_owned(), col0 + i as u32))
        .collect();
    Some(SheetCsv {
        text,
        excel_rows,
        excel_columns,
    })
}

/// Everything done on an uploaded workbook before the engine's checks, off the
/// async threads (see `preview`): the archive guard, calamine, both sheets
/// read as bounded streams and turned into CSV text.
pub(crate) fn parse_workbook(
    bytes: Vec<u8>,
    upload: &str,
    bounds: WorkbookBounds,
) -> Result<(SheetCsv, SheetCsv), Vec<ErrorLine>> {
    let file_error = |message: String| {
        vec![ErrorLine {
            file: upload.to_owned(),
            line: String::new(),
            column: String::new(),
            message,
        }]
    };
    check_archive(&bytes, &ARCHIVE_LIMITS).map_err(|e| file_error(e.to_string()))?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
        tracing::info!(error = %e, "classeur déposé illisible par calamine");
        file_error(
            "ce n'est pas un classeur XLSX lisible (enregistrez-le au format « Classeur Excel (.xlsx) »)"
                .into(),
        )
    })?;
    let mut errors = Vec::new();
    let values = read_sheet(&mut wb, upload, VALUES_SHEET, bounds.values, &mut errors);
    let targets = read_sheet(&mut wb, upload, TARGETS_SHEET, bounds.targets, &mut errors);
    let (Some(values), Some(targets)) = (values, targets) else {
        return Err(errors);
    };
    let values = sheet_csv(
        &values,
        VALUES_SHEET,
        &VALUE_COLUMNS,
        &VALUE_OPTIONAL_COLUMNS,
        &["numerateur", "denominateur", "valeur"],
        &mut errors,
    );
    let targets = sheet_csv(
        &targets,
        TARGETS_SHEET,
        &TARGET_COLUMNS,
        &[],
        &["cible"],
        &mut errors,
    );
    match (values, targets) {
        (Some(v), Some(t)) if errors.is_empty() => Ok((v, t)),
        _ => Err(errors),
    }
}

fn view(campaign: &Campaign, values: String, targets: String) -> ImportView {
    ImportView {
        heading: format!("Importer le fichier à remplir — {}", campaign.title),
        intro: "Le classeur déposé a été converti au format des fichiers « valeurs.csv » et « cibles.csv » ci-dessous, \
                puis vérifié comme un import CSV. Rien n'est enregistré avant la confirmation.",
        back_link: format!("/campagnes/{}/imports/xlsx", campaign.id),
        back_label: "Fichier à remplir".into(),
        base: format!("/campagnes/{}/imports", campaign.id),
        fields: vec![
            ImportField {
                name: "valeurs",
                label: "Valeurs (feuille « Valeurs »)",
                hint: "",
                content: values,
            },
            ImportField {
                name: "cibles",
                label: "Cibles (feuille « Cibles »)",
                hint: "",
                content: targets,
            },
        ],
        errors: Vec::new(),
        done: None,
        preview: None,
        token: None,
        options: Vec::new(),
    }
}

#[derive(askama::Template)]
#[template(path = "xlsx.html")]
pub struct XlsxPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub errors: Vec<ErrorLine>,
}

impl_page!(XlsxPage);

fn xlsx_page(s: &Session, campaign: &Campaign, errors: Vec<ErrorLine>) -> XlsxPage {
    XlsxPage {
        layout: Layout::for_user(
            &format!("Fichier à remplir — {}", campaign.title),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        errors,
    }
}

/// `GET /campagnes/{campaign}/imports/xlsx`
pub async fn form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(&state, &s.user, &campaign_id).await?;
    Ok(xlsx_page(&s, &campaign, Vec::new()).response())
}

/// `POST /campagnes/{campaign}/imports/xlsx` (multipart, field `fichier`): the preview.
pub async fn preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let campaign = campaign_of_ars(&state, &s.user, &campaign_id).await?;
    let mut bytes = None;
    let mut upload = String::from("fichier à remplir");
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("fichier") {
            if let Some(name) = field.file_name().filter(|n| !n.trim().is_empty()) {
                // Named in error messages: a reasonable length (the page escapes it).
                upload = format!("fichier « {} »", name.chars().take(120).collect::<String>());
            }
            bytes = field.bytes().await.ok().map(|b| b.to_vec());
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        let errors = vec![ErrorLine {
            file: "fichier à remplir".into(),
            line: String::new(),
            column: String::new(),
            message: "aucun fichier joint".into(),
        }];
        return Ok(xlsx_page(&s, &campaign, errors).invalid());
    };
    let bounds = bounds_of(&state, &campaign).await?;
    // Parsing is CPU work of up to a few seconds: on the blocking pool, at most
    // `Config::xlsx_parsing` at once (a further upload is refused at once,
    // not queued), so that the async threads keep answering (`/sante`).
    let permit = state
        .config
        .xlsx_parsing
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            AppError::Busy(
                "D'autres classeurs sont en cours de lecture : réessayez dans quelques secondes."
                    .into(),
            )
        })?;
    let parsed = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        parse_workbook(bytes, &upload, bounds)
    })
    .await
    .map_err(|e| AppError::Internal(format!("lecture du classeur déposé : {e}")))?;
    let (values, targets) = match parsed {
        Ok(sheets) => sheets,
        Err(errors) => {
            return Ok(xlsx_page(&s, &campaign, errors).invalid());
        }
    };
    let targets_text = if targets.excel_rows.is_empty() {
        String::new()
    } else {
        targets.text.clone()
    };
    let mut page_view = view(&campaign, values.text.clone(), targets_text.clone());
    match read_yearly_text(&state, &campaign, &values.text, &targets_text).await? {
        Err(input_errors) => {
            // The engine's report names CSV lines: give back sheet, Excel row and column.
            let errors = input_errors
                .iter()
                .map(|e| {
                    let (sheet, sheet_csv) = if e.file == TARGETS_FILE {
                        (TARGETS_SHEET, &targets)
                    } else {
                        (VALUES_SHEET, &values)
                    };
                    let row = e
                        .line
                        .and_then(|l| sheet_csv.excel_rows.get(&l).copied())
                        .map(|r| r.to_string())
                        .unwrap_or_default();
                    let column = e
                        .column
                        .as_deref()
                        .and_then(|c| sheet_csv.excel_columns.get(c).map(|&i| (c, i)))
                        .map(|(c, i)| format!("{c} ({})", column_letter(i)))
                        .unwrap_or_else(|| e.column.clone().unwrap_or_default());
                    ErrorLine {
                        file: format!("feuille « {sheet} »"),
                        line: row,
                        column,
                        message: e
                            .message
                            .replace(VALUES_FILE, sheet)
                            .replace(TARGETS_FILE, sheet),
                    }
                })
                .collect();
            Ok(xlsx_page(&s, &campaign, errors).invalid())
        }
        Ok(parsed) => {
            let mut rows: Vec<Vec<String>> = parsed
                .values
                .iter()
                .map(|(line, v)| {
                    vec![
                        format!(
                            "{VALUES_SHEET}, ligne {}",
                            values.excel_rows.get(line).copied().unwrap_or_default()
                        ),
                        v.site.to_string(),
                        v.indicator.clone(),
                        v.numerator.clone().unwrap_or_default(),
                        v.denominator.clone().unwrap_or_default(),
                        v.declared.clone().or(v.value.clone()).unwrap_or_default(),
                    ]
                })
                .collect();
            rows.extend(parsed.targets.iter().map(|(line, t)| {
                vec![
                    format!(
                        "{TARGETS_SHEET}, ligne {}",
                        targets.excel_rows.get(line).copied().unwrap_or_default()
                    ),
                    t.entity.to_string(),
                    t.indicator.clone(),
                    String::new(),
                    String::new(),
                    format!("cible {}", crate::dossier::fr(t.target)),
                ]
            }));
            page_view.preview = Some(Preview {
                skipped_lines: Vec::new(),
                summary: vec![format!(
                    "{} valeur(s) et {} cible(s) seront enregistrées pour l'année {} (les valeurs existantes des mêmes indicateurs sont remplacées).",
                    parsed.values.len(),
                    parsed.targets.len(),
                    campaign.year
                )],
                headers: vec![
                    "Ligne",
                    "FINESS",
                    "Indicateur",
                    "Numérateur",
                    "Dénominateur",
                    "Valeur",
                ],
                more: rows.len().saturating_sub(50),
                rows: rows.into_iter().take(50).collect(),
            });
            Ok(ImportPage::new(&s, page_view).response())
        }
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
    }
}
