//! Targeting of the additional volets for a campaign: the Assurance Maladie
//! imports the transport spending of its region (pasted CSV, preview, then
//! all-or-nothing write), the ARS sees the engine's verdict for each entity and
//! confirms the targeted list (excluding an entity needs a motivation), the AM
//! and the OMEDIT read it, and an établissement sees only its own line once the
//! ARS has confirmed the list.
//!
//! The thresholds are never written here: the verdict and its reason come from
//! the store, which applies `caqes_core::volets::transport::target` with the
//! parameters of the campaign's référentiel.

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::Finess;
use caqes_store::targeting::{ConfirmedTargeting, TRANSPORTS, TargetingStatus, TransportSpending};
use caqes_store::{Actor, Campaign, Role, StoreError, User};
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::dossier::fr;
use crate::imports::{ImportField, ImportView};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::state::AppState;
use crate::targeting::{Read, RegionImport};
use crate::ui::Layout;
use caqes_data::region_csv;

pub use caqes_data::region_csv::transport::{TRANSPORT_COLUMNS, TRANSPORT_FILE};

/// The campaign, if the user may read its region (ARS, AM, OMEDIT of the region)
/// or is an établissement of the region; 404 otherwise.
pub(crate) async fn readable_campaign(
    state: &AppState,
    user: &User,
    id: &str,
) -> AppResult<Campaign> {
    let campaign = state.store.campaign(id).await?.ok_or(AppError::NotFound)?;
    let in_region = match user.role {
        Role::Etablissement => user.region.as_deref() == Some(campaign.region.as_str()),
        _ => user.can_read_region(&campaign.region),
    };
    if !in_region {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    Ok(campaign)
}

/// The campaign for a regional user of exactly `role`; 404 for anyone else.
pub(crate) async fn campaign_for(
    state: &AppState,
    user: &User,
    id: &str,
    role: Role,
) -> AppResult<Campaign> {
    let campaign = readable_campaign(state, user, id).await?;
    if user.role != role {
        return Err(AppError::NotFound);
    }
    Ok(campaign)
}

/// The values of the fields named `{prefix}{FINESS}`, by FINESS, trimmed.
pub(crate) fn by_finess<'f>(
    fields: &'f [(String, String)],
    prefix: &str,
) -> HashMap<&'f str, &'f str> {
    fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|f| (f, v.trim())))
        .collect()
}

/// The ARS's confirmation of a targeted list: fields `exclure` (repeated, a
/// FINESS) and `motif_{FINESS}`; excluding an entity needs a motivation.
pub(crate) struct ExclusionForm<'f> {
    excluded: HashSet<&'f str>,
    motives: HashMap<&'f str, &'f str>,
    /// The motivated exclusions, for the store.
    pub exclusions: BTreeMap<Finess, String>,
}

impl<'f> ExclusionForm<'f> {
    pub(crate) fn parse(fields: &'f [(String, String)]) -> ExclusionForm<'f> {
        ExclusionForm {
            excluded: fields
                .iter()
                .filter(|(k, _)| k == "exclure")
                .map(|(_, v)| v.as_str())
                .collect(),
            motives: by_finess(fields, "motif_"),
            exclusions: BTreeMap::new(),
        }
    }

    /// What was submitted for one entity of the list: (excluded, motivation);
    /// an exclusion without motivation adds its error.
    pub(crate) fn entity(
        &mut self,
        finess: Finess,
        name: &str,
        errors: &mut Vec<String>,
    ) -> (bool, String) {
        let f = finess.to_string();
        let motive = self.motives.get(f.as_str()).copied().unwrap_or("");
        let excluded = self.excluded.contains(f.as_str());
        if excluded {
            if motive.is_empty() {
                errors.push(format!(
                    "Motivation de l'exclusion de {name} ({f}) : obligatoire pour exclure un établissement ciblé."
                ));
            } else {
                self.exclusions.insert(finess, motive.to_owned());
            }
        }
        (excluded, motive.to_owned())
    }

    /// Refuses an excluded FINESS that is not in the list (a forged form):
    /// « l'entité … n'a pas {data} pour {year} ».
    pub(crate) fn check_listed(
        &self,
        listed: impl Fn(&str) -> bool,
        data: &str,
        year: i16,
        errors: &mut Vec<String>,
    ) {
        for f in &self.excluded {
            if !listed(f) {
                errors.push(format!(
                    "Exclure : l'entité « {f} » n'a pas {data} pour {year}."
                ));
            }
        }
    }
}

/// After the store confirmed a list: the redirect to the screen, or the
/// store's refusal added to `errors` (`None`: show the form again).
pub(crate) fn after_confirmation<T>(
    stored: Result<T, StoreError>,
    screen: &str,
    errors: &mut Vec<String>,
) -> AppResult<Option<Response>> {
    match stored {
        Ok(_) => Ok(Some(
            Redirect::to(&format!("{screen}?confirme=1")).into_response(),
        )),
        Err(StoreError::Conflict(m)) => {
            errors.push(m);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// What the ARS just submitted for one entity: (excluded, motivation).
pub(crate) type Exclusion = (bool, String);

/// A volet's confirmed list as one user's screen shows it. An établissement
/// sees its own line only, and only once the ARS has confirmed the list, not a
/// verdict still under review.
pub(crate) struct ConfirmedList {
    by_entity: HashMap<Finess, ConfirmedTargeting>,
    /// The day of the confirmation (empty before).
    pub confirmed_at: String,
    pub own_only: bool,
    own_entity: Option<Finess>,
}

impl ConfirmedList {
    pub(crate) async fn load(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        volet: &str,
    ) -> AppResult<ConfirmedList> {
        let confirmed = state.store.confirmed_targeting(&campaign.id, volet).await?;
        Ok(ConfirmedList {
            confirmed_at: confirmed
                .first()
                .map(|c| crate::ui::fr::instant_date(&c.confirmed_at))
                .unwrap_or_default(),
            by_entity: confirmed.into_iter().map(|c| (c.entity, c)).collect(),
            own_only: user.role == Role::Etablissement,
            own_entity: user.entity,
        })
    }

    pub(crate) fn confirmed(&self) -> bool {
        !self.by_entity.is_empty()
    }

    /// `None` when the user does not see the line of `finess`; else its
    /// confirmed targeting, if any.
    pub(crate) fn visible(&self, finess: Finess) -> Option<Option<&ConfirmedTargeting>> {
        let stored = self.by_entity.get(&finess);
        if self.own_only && (self.own_entity != Some(finess) || stored.is_none()) {
            return None;
        }
        Some(stored)
    }

    /// The engine's reason, or for the établissement the one recorded when the
    /// ARS confirmed.
    pub(crate) fn reason(&self, stored: Option<&ConfirmedTargeting>, engine: &str) -> String {
        match (self.own_only, stored) {
            (true, Some(c)) => c.engine_reason.clone(),
            _ => engine.to_owned(),
        }
    }
}

/// A line's (status, excluded, motivation): what the ARS just submitted (the
/// form shown again), else the confirmed status, else « à confirmer ».
pub(crate) fn line_status(
    submitted: Option<&Exclusion>,
    stored: Option<&ConfirmedTargeting>,
) -> (String, bool, String) {
    match (submitted, stored) {
        (Some((excluded, motivation)), _) => {
            ("à confirmer".to_owned(), *excluded, motivation.clone())
        }
        (None, Some(c)) => (
            c.status.label().to_owned(),
            c.status == TargetingStatus::Exclu,
            c.motivation.clone().unwrap_or_default(),
        ),
        (None, None) => ("à confirmer".to_owned(), false, String::new()),
    }
}

// ---------------------------------------------------------------------------
// The targeting screen.

pub struct TargetingLine {
    pub finess: String,
    pub name: String,
    pub previous: String,
    pub amount: String,
    pub growth: String,
    pub engine_targeted: bool,
    pub reason: String,
    /// The confirmed status, or « à confirmer ».
    pub status: String,
    pub excluded: bool,
    pub motivation: String,
}

#[derive(Template)]
#[template(path = "targeting.html")]
pub struct TargetingPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub title: String,
    pub year: i16,
    pub lines: Vec<TargetingLine>,
    pub confirmed: bool,
    pub confirmed_at: String,
    pub can_confirm: bool,
    pub can_import: bool,
    /// An établissement sees its own line only.
    pub own_only: bool,
    pub errors: Vec<String>,
    pub done: bool,
}

#[derive(Deserialize)]
pub struct DoneFlag {
    pub confirme: Option<u8>,
}

async fn targeting_page(
    state: &AppState,
    s: &Session,
    campaign: &Campaign,
    submitted: Option<&BTreeMap<Finess, Exclusion>>,
    errors: Vec<String>,
) -> AppResult<TargetingPage> {
    let verdicts = state.store.transport_verdicts(campaign).await?;
    let list = ConfirmedList::load(state, &s.user, campaign, TRANSPORTS).await?;
    let mut lines = Vec::new();
    for v in &verdicts {
        let Some(stored) = list.visible(v.entity.finess) else {
            continue;
        };
        let (status, excluded, motivation) =
            line_status(submitted.and_then(|m| m.get(&v.entity.finess)), stored);
        lines.push(TargetingLine {
            finess: v.entity.finess.to_string(),
            name: v.entity.name.clone(),
            previous: v.targeting.depenses_annee_precedente.to_string(),
            amount: v.targeting.depenses.to_string(),
            growth: v
                .targeting
                .evolution_pct
                .map(|g| format!("{}\u{202f}%", fr(g)))
                .unwrap_or_else(|| "non calculable".to_owned()),
            engine_targeted: v.targeting.targeted(),
            reason: list.reason(stored, &v.reason),
            status,
            excluded,
            motivation,
        });
    }
    Ok(TargetingPage {
        layout: Layout::for_user(
            &format!("Ciblage des volets additionnels — {}", campaign.title),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.clone(),
        title: campaign.title.clone(),
        year: campaign.year,
        lines,
        confirmed: list.confirmed(),
        confirmed_at: list.confirmed_at,
        can_confirm: s.user.role == Role::Ars,
        can_import: s.user.role == Role::AssuranceMaladie,
        own_only: list.own_only,
        errors,
        done: false,
    })
}

/// `GET /campagnes/{campaign}/ciblage`
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Query(q): Query<DoneFlag>,
) -> AppResult<Html<String>> {
    let campaign = readable_campaign(&state, &s.user, &campaign_id).await?;
    let mut page = targeting_page(&state, &s, &campaign, None, Vec::new()).await?;
    page.done = q.confirme.is_some();
    Ok(Html(page.render()?))
}

/// `POST /campagnes/{campaign}/ciblage/confirmer` (ARS): fields `exclure`
/// (repeated, a FINESS) and `motif_{FINESS}`.
pub async fn confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let campaign = campaign_for(&state, &s.user, &campaign_id, Role::Ars).await?;
    let mut form = ExclusionForm::parse(&fields);
    let verdicts = state.store.transport_verdicts(&campaign).await?;
    let mut errors = Vec::new();
    let mut submitted = BTreeMap::new();
    for v in &verdicts {
        let choice = form.entity(v.entity.finess, &v.entity.name, &mut errors);
        submitted.insert(v.entity.finess, choice);
    }
    form.check_listed(
        |f| verdicts.iter().any(|v| v.entity.finess.as_str() == f),
        "de données de transport",
        campaign.year,
        &mut errors,
    );
    if errors.is_empty() {
        let stored = state
            .store
            .confirm_transport_targeting(&s.user, &campaign, &form.exclusions)
            .await;
        let screen = format!("/campagnes/{}/ciblage", campaign.id);
        if let Some(done) = after_confirmation(stored, &screen, &mut errors)? {
            return Ok(done);
        }
    }
    let page = targeting_page(&state, &s, &campaign, Some(&submitted), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------
// The transport spending import (Assurance Maladie).

/// Reads the pasted file: header with every column of [`TRANSPORT_COLUMNS`],
/// one line per legal entity of the region, the campaign year, amounts ≥ 0
/// (decimal comma or point). Every error is reported, with its line and column.
pub async fn read_transport_text(
    state: &AppState,
    campaign: &Campaign,
    text: &str,
) -> AppResult<Read<TransportSpending>> {
    let entities =
        crate::targeting::csv::entities_with_sites(&state.store, &campaign.region, "les dépenses")
            .await?;
    Ok(region_csv::transport::read(text, &entities, campaign.year))
}

/// The transport spending file, imported by the Assurance Maladie.
pub(crate) struct TransportImport;

impl RegionImport for TransportImport {
    type Row = TransportSpending;
    const FILE: &'static str = TRANSPORT_FILE;
    const FIELD: &'static str = "transports";
    const IMPORTERS: &'static [Role] = &[Role::AssuranceMaladie];
    const PREVIEW_HEADERS: &'static [&'static str] = &[
        "Ligne",
        "FINESS juridique",
        "Année",
        "Dépenses de l'année",
        "Dépenses de l'année précédente",
    ];

    fn view(campaign: &Campaign, content: String) -> ImportView {
        ImportView {
            heading: format!("Importer les dépenses de transport — {}", campaign.title),
            intro: "Coller le contenu de « transports.csv » (séparateur « ; ») : \
                    finess;annee;depenses_transport_prescrites;depenses_annee_precedente. \
                    Une ligne par entité juridique de la région, pour l'année de la campagne ; montants en euros \
                    (virgule ou point décimal) des transports prescrits par l'établissement et remboursés sur \
                    l'enveloppe des soins de ville. Une ligne remplace les données déjà importées de la même \
                    entité pour la même année. Rien n'est enregistré avant la confirmation.",
            back_link: format!("/campagnes/{}/ciblage", campaign.id),
            back_label: "Ciblage des volets additionnels".to_owned(),
            base: format!("/campagnes/{}/ciblage/import", campaign.id),
            fields: vec![ImportField {
                name: "transports",
                label: "Dépenses de transport (transports.csv)",
                hint: "Exemple : 310000019;2018;612345,50;598000",
                content,
            }],
            errors: Vec::new(),
            done: None,
            preview: None,
            token: None,
            options: Vec::new(),
        }
    }

    fn done(rows: usize) -> String {
        format!("Import enregistré : dépenses de transport de {rows} entité(s).")
    }

    fn summary(rows: usize, year: i16) -> String {
        format!(
            "Les dépenses de transport de {rows} entité(s) seront enregistrées pour l'année {year}."
        )
    }

    fn preview_cells(r: &TransportSpending) -> Vec<String> {
        vec![
            r.entity.to_string(),
            r.year.to_string(),
            r.amount.to_string(),
            r.previous.to_string(),
        ]
    }

    async fn read(
        state: &AppState,
        campaign: &Campaign,
        text: &str,
    ) -> AppResult<Read<TransportSpending>> {
        read_transport_text(state, campaign, text).await
    }

    async fn write(
        state: &AppState,
        user: &User,
        campaign: &Campaign,
        rows: &[TransportSpending],
    ) -> Result<usize, StoreError> {
        state
            .store
            .import_transport_spending(&Actor::user(user), &campaign.region, TRANSPORT_FILE, rows)
            .await
    }
}
