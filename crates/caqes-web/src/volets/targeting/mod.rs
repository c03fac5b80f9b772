//! The import screens of the targeting data (transport spending, quality
//! indicators, pertinence data) share one life: a form to paste the file, a
//! preview checked in full, then a confirmation checked again and written in one
//! transaction with its audit line. Each volet describes its file with
//! [`RegionImport`]; the three handlers [`import_form`], [`import_preview`] and
//! [`import_confirm`] are generic over it and declared once per volet in the route
//! table.

pub mod csv;
pub mod pertinence;
pub mod qualite;
pub mod screen;
pub mod transport;

use std::future::Future;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_data::evaluation_input::InputError;
use caqes_store::CampaignId;
use caqes_store::{Campaign, Role, StoreError, User};
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::imports::source;
use crate::imports::{ErrorLine, ImportField, ImportPage, ImportView, Preview};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Path, Query};
use crate::request::state::AppState;
use crate::request::upload::UploadForm;
use crate::ui::page::Page;
use crate::volets::targeting::csv::file_error;
use crate::volets::targeting::screen::readable_campaign;

/// How many rows the preview shows.
const PREVIEW_ROWS: usize = 20;

/// The rows read from a file with their line, or every error.
pub(crate) type Read<T> = Result<Vec<(u64, T)>, Vec<InputError>>;

/// One volet's import: its file, who imports it, how it is read, previewed and written.
pub trait RegionImport: Send + Sync + 'static {
    type Row;
    /// The name given in error reports and in the preview's « Ligne » column.
    const FILE: &'static str;
    /// The form's field holding the pasted file.
    const FIELD: &'static str;
    /// The regional roles that import (404 for anyone else).
    const IMPORTERS: &'static [Role];
    /// The preview's headers, « Ligne » first.
    const PREVIEW_HEADERS: &'static [&'static str];
    /// The targeting screen of the volet, after `/campagnes/{campaign}`; the import
    /// is at `{SCREEN}/import`.
    const SCREEN: &'static str;
    /// The screen's title, the import form's back link.
    const SCREEN_TITLE: &'static str;
    /// What the import does (« Importer les dépenses de transport »): the form's
    /// heading, before « — {campaign} », and the screen's link to it.
    const HEADING: &'static str;
    /// The form's introduction: the columns, what a line holds and replaces.
    const INTRO: &'static str;
    /// The paste field's label and example line.
    const FIELD_LABEL: &'static str;
    const HINT: &'static str;
    /// The message after `rows` rows were written.
    fn done(rows: usize) -> String;
    /// The preview's sentence for `rows` rows.
    fn summary(rows: usize, year: i16) -> String;
    /// The preview's cells after « Ligne ».
    fn preview_cells(row: &Self::Row) -> Vec<String>;
    fn read(
        state: &AppState,
        campaign: &Campaign,
        text: &str,
    ) -> impl Future<Output = AppResult<Read<Self::Row>>> + Send;
    /// Writes all rows in one transaction with its audit line; the row count.
    fn write(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        rows: &[Self::Row],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// The import page of `I`, with `content` in the paste field.
fn view<I: RegionImport>(campaign: &Campaign, content: String) -> ImportView {
    ImportView {
        heading: format!("{} — {}", I::HEADING, campaign.title),
        intro: I::INTRO,
        back_link: format!("/campagnes/{}{}", campaign.id, I::SCREEN),
        back_label: I::SCREEN_TITLE.to_owned(),
        base: format!("/campagnes/{}{}/import", campaign.id, I::SCREEN),
        fields: vec![ImportField {
            name: I::FIELD,
            label: I::FIELD_LABEL,
            hint: I::HINT,
            content,
        }],
        errors: Vec::new(),
        done: None,
        preview: None,
        token: None,
        options: Vec::new(),
    }
}

async fn importer_campaign<I: RegionImport>(
    state: &AppState,
    user: &User,
    id: &CampaignId,
) -> AppResult<Campaign> {
    let campaign = readable_campaign(state, user, id).await?;
    if !I::IMPORTERS.contains(&user.role) {
        return Err(AppError::NotFound);
    }
    Ok(campaign)
}

/// `?lignes=N`: the rows written by the import just confirmed.
#[derive(Deserialize)]
pub struct ImportDone {
    pub lignes: Option<usize>,
}

/// `GET …/import`: the empty form, with the message of a finished import.
pub async fn import_form<I: RegionImport>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Query(q): Query<ImportDone>,
) -> AppResult<Response> {
    form::<I>(&state, &s, &campaign_id, q.lignes).await
}

/// `POST …/import/apercu`: what would be written; nothing is.
pub async fn import_preview<I: RegionImport>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    form: UploadForm,
) -> AppResult<Response> {
    submit::<I>(&state, &s, &campaign_id, &form, Step::Preview).await
}

/// `POST …/import/confirmer`: checked again in full, then written in one
/// transaction with its audit line.
pub async fn import_confirm<I: RegionImport>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    form: UploadForm,
) -> AppResult<Response> {
    submit::<I>(&state, &s, &campaign_id, &form, Step::Confirm).await
}

async fn form<I: RegionImport>(
    state: &AppState,
    s: &Session,
    campaign_id: &CampaignId,
    written: Option<usize>,
) -> AppResult<Response> {
    let campaign = importer_campaign::<I>(state, &s.user, campaign_id).await?;
    let mut view = view::<I>(&campaign, String::new());
    view.done = written.map(I::done);
    Ok(ImportPage::new(s, view).response())
}

/// The two buttons of the form.
enum Step {
    /// `POST …/import/apercu`: what would be written; nothing is.
    Preview,
    /// `POST …/import/confirmer`: written in one transaction with its audit
    /// line; back to the form with the number of rows written.
    Confirm,
}

/// The file (chosen, pasted, or the preview's deposit) is read again in
/// full at each step: 422 with the form and every error, or the step done.
async fn submit<I: RegionImport>(
    state: &AppState,
    s: &Session,
    campaign_id: &CampaignId,
    form: &UploadForm,
    step: Step,
) -> AppResult<Response> {
    let campaign = importer_campaign::<I>(state, &s.user, campaign_id).await?;
    let page = view::<I>(&campaign, String::new()).base;
    let source = match source::read(state, &s.user.id, &page, form, &[I::FIELD]).await? {
        Ok(source) => source,
        Err(message) => {
            let mut view = view::<I>(&campaign, String::new());
            view.errors = vec![ErrorLine::from(&file_error("formulaire", message))];
            return Ok(ImportPage::new(s, view).invalid());
        }
    };
    let text = source.texts[0].as_str();
    let mut view = view::<I>(
        &campaign,
        if source.from_file {
            String::new()
        } else {
            text.to_owned()
        },
    );
    let rows = match I::read(state, &campaign, text).await? {
        Ok(rows) => rows,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return Ok(ImportPage::new(s, view).invalid());
        }
    };
    match step {
        Step::Preview => {
            view.preview = Some(preview::<I>(&rows, campaign.year));
            view.token = source::keep(state, &s.user.id, &page, &[I::FIELD], &source).await?;
            Ok(ImportPage::new(s, view).response())
        }
        Step::Confirm => {
            let rows: Vec<I::Row> = rows.into_iter().map(|(_, r)| r).collect();
            match I::write(state, &s.user, &campaign, &rows).await {
                Ok(n) => {
                    source::forget(state, &source);
                    Ok(Redirect::to(&format!("{}?lignes={n}", view.base)).into_response())
                }
                Err(StoreError::Conflict(c)) => {
                    view.errors = vec![ErrorLine::from(&file_error(I::FILE, c.to_string()))];
                    Ok(ImportPage::new(s, view).invalid())
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn preview<I: RegionImport>(rows: &[(u64, I::Row)], year: i16) -> Preview {
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(line, r)| {
            let mut cells = vec![format!("{}:{line}", I::FILE)];
            cells.extend(I::preview_cells(r));
            cells
        })
        .collect();
    Preview {
        skipped_lines: Vec::new(),
        summary: vec![I::summary(rows.len(), year)],
        headers: I::PREVIEW_HEADERS.to_vec(),
        more: table.len().saturating_sub(PREVIEW_ROWS),
        rows: table.into_iter().take(PREVIEW_ROWS).collect(),
    }
}
