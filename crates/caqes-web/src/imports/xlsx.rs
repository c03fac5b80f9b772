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
//! Reading the uploaded file (archive guard, bounded sheets, cells turned into
//! the engine's CSV text) is `caqes_data::fill_file`; this module writes the
//! file, computes the bounds from the campaign's region and maps the engine's
//! report back to sheets, rows and columns.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use caqes_core::Finess;
use caqes_core::referentiel::{Applicability, GridLine};
use caqes_data::fill_file::{
    FillFileError, FilledWorkbook, TARGET_COLUMNS, TARGETS_SHEET, VALUE_COLUMNS,
    VALUE_OPTIONAL_COLUMNS, VALUES_SHEET, column_letter, parse_workbook,
};
use caqes_store::CampaignId;
use caqes_store::{Campaign, LegalEntity, Role, User};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};

use crate::auth::{CurrentUser, Session};
use crate::imports::yearly::{PREVIEW_HEADERS, read_yearly_text};
use crate::imports::{
    ErrorLine, ImportField, ImportPage, ImportView, Preview, TARGETS_FILE, VALUES_FILE,
};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Multipart, Path};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::{Page, impl_page};

use caqes_data::fill_file::WorkbookBounds;

impl From<&FillFileError> for ErrorLine {
    fn from(e: &FillFileError) -> Self {
        ErrorLine {
            file: e.file(),
            line: e.row().map(|r| r.to_string()).unwrap_or_default(),
            column: e.column().unwrap_or_default(),
            message: e.to_string(),
        }
    }
}

async fn campaign_of_ars(state: &AppState, user: &User, id: &CampaignId) -> AppResult<Campaign> {
    let region = match (user.role, user.region) {
        (Role::Ars, Some(r)) => r,
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

/// The bounds of the campaign's fichier à remplir, from the region's sites and
/// entities and the grid's lines (the reader takes them as plain numbers).
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
    let FilledWorkbook { values, targets } = match parsed {
        Ok(sheets) => sheets,
        Err(errors) => {
            let errors = errors.iter().map(ErrorLine::from).collect();
            return Ok(xlsx_page(&s, &campaign, errors).invalid());
        }
    };
    let targets_text = if targets.has_no_rows() {
        String::new()
    } else {
        targets.text().to_owned()
    };
    let mut page_view = view(&campaign, values.text().to_owned(), targets_text.clone());
    match read_yearly_text(&state, &campaign, values.text(), &targets_text).await? {
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
                        .and_then(|l| sheet_csv.excel_row(l))
                        .map(|r| r.to_string())
                        .unwrap_or_default();
                    let column = e
                        .column
                        .as_deref()
                        .and_then(|c| sheet_csv.excel_column(c).map(|i| (c, i)))
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
            let rows = parsed.preview_rows(
                |line| {
                    format!(
                        "{VALUES_SHEET}, ligne {}",
                        values.excel_row(line).unwrap_or_default()
                    )
                },
                |line| {
                    format!(
                        "{TARGETS_SHEET}, ligne {}",
                        targets.excel_row(line).unwrap_or_default()
                    )
                },
            );
            page_view.preview = Some(Preview {
                skipped_lines: Vec::new(),
                summary: vec![format!(
                    "{} valeur(s) et {} cible(s) seront enregistrées pour l'année {} (les valeurs existantes des mêmes indicateurs sont remplacées).",
                    parsed.values.len(),
                    parsed.targets.len(),
                    campaign.year
                )],
                headers: PREVIEW_HEADERS.to_vec(),
                more: rows.len().saturating_sub(50),
                rows: rows.into_iter().take(50).collect(),
            });
            Ok(ImportPage::new(&s, page_view).response())
        }
    }
}
