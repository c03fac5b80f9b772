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
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::{Euros, Finess};
use caqes_data::evaluation_input::InputError;
use caqes_store::targeting::{TRANSPORTS, TargetingStatus, TransportSpending};
use caqes_store::{Actor, Campaign, Role, StoreError, User};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, Session};
use crate::dossiers::fr;
use crate::error::{AppError, AppResult};
use crate::imports::{ErrorLine, ImportField, ImportPage, ImportView, Preview, normalize_newlines};
use crate::pages::Layout;

/// Name given in error reports to the pasted transport file.
pub const TRANSPORT_FILE: &str = "transports.csv";
/// The columns of [`TRANSPORT_FILE`], documented in `docs/platform.md`.
pub const TRANSPORT_COLUMNS: [&str; 4] = [
    "finess",
    "annee",
    "depenses_transport_prescrites",
    "depenses_annee_precedente",
];
const PREVIEW_ROWS: usize = 20;

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
    submitted: Option<&BTreeMap<Finess, (bool, String)>>,
    errors: Vec<String>,
) -> AppResult<TargetingPage> {
    let verdicts = state.store.transport_verdicts(campaign).await?;
    let confirmed = state
        .store
        .confirmed_targeting(&campaign.id, TRANSPORTS)
        .await?;
    let by_entity: HashMap<Finess, _> = confirmed.iter().map(|c| (c.entity, c)).collect();
    let own_only = s.user.role == Role::Etablissement;
    let mut lines = Vec::new();
    for v in &verdicts {
        if own_only && s.user.entity != Some(v.entity.finess) {
            continue;
        }
        let stored = by_entity.get(&v.entity.finess);
        // The établissement sees the ARS's confirmed list, not a verdict still under review.
        if own_only && stored.is_none() {
            continue;
        }
        let (status, excluded, motivation) =
            match (submitted.and_then(|m| m.get(&v.entity.finess)), stored) {
                (Some((excluded, motivation)), _) => {
                    ("à confirmer".to_owned(), *excluded, motivation.clone())
                }
                (None, Some(c)) => (
                    c.status.label().to_owned(),
                    c.status == TargetingStatus::Exclu,
                    c.motivation.clone().unwrap_or_default(),
                ),
                (None, None) => ("à confirmer".to_owned(), false, String::new()),
            };
        lines.push(TargetingLine {
            finess: v.entity.finess.to_string(),
            name: v.entity.name.clone(),
            previous: v.targeting.depenses_annee_precedente.to_string(),
            amount: v.targeting.depenses.to_string(),
            growth: v
                .targeting
                .evolution_pct
                .map(|g| format!("{} %", fr(g)))
                .unwrap_or_else(|| "non calculable".to_owned()),
            engine_targeted: v.targeting.targeted(),
            // For the établissement, the reason recorded when the ARS confirmed.
            reason: match (own_only, stored) {
                (true, Some(c)) => c.engine_reason.clone(),
                _ => v.reason.clone(),
            },
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
        confirmed: !confirmed.is_empty(),
        confirmed_at: confirmed
            .first()
            .map(|c| c.confirmed_at.chars().take(10).collect())
            .unwrap_or_default(),
        can_confirm: s.user.role == Role::Ars,
        can_import: s.user.role == Role::AssuranceMaladie,
        own_only,
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
    let excluded: HashSet<&str> = fields
        .iter()
        .filter(|(k, _)| k == "exclure")
        .map(|(_, v)| v.as_str())
        .collect();
    let motives: HashMap<&str, &str> = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("motif_").map(|f| (f, v.trim())))
        .collect();
    let verdicts = state.store.transport_verdicts(&campaign).await?;
    let mut errors = Vec::new();
    let mut exclusions = BTreeMap::new();
    let mut submitted = BTreeMap::new();
    for v in &verdicts {
        let f = v.entity.finess.to_string();
        let motive = motives.get(f.as_str()).copied().unwrap_or("");
        let excl = excluded.contains(f.as_str());
        submitted.insert(v.entity.finess, (excl, motive.to_owned()));
        if excl {
            if motive.is_empty() {
                errors.push(format!(
                    "Motivation de l'exclusion de {} ({f}) : obligatoire pour exclure un établissement ciblé.",
                    v.entity.name
                ));
            } else {
                exclusions.insert(v.entity.finess, motive.to_owned());
            }
        }
    }
    for f in &excluded {
        if !verdicts.iter().any(|v| v.entity.finess.as_str() == *f) {
            errors.push(format!(
                "Exclure : l'entité « {f} » n'a pas de données de transport pour {}.",
                campaign.year
            ));
        }
    }
    if errors.is_empty() {
        match state
            .store
            .confirm_transport_targeting(&s.user, &campaign, &exclusions)
            .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/campagnes/{}/ciblage?confirme=1", campaign.id))
                        .into_response(),
                );
            }
            Err(StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = targeting_page(&state, &s, &campaign, Some(&submitted), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------
// The transport spending import (Assurance Maladie).

#[derive(Deserialize)]
pub struct TransportInput {
    #[serde(default)]
    pub transports: String,
}

#[derive(Deserialize)]
pub struct ImportDone {
    pub lignes: Option<usize>,
}

fn error(line: Option<u64>, column: Option<&str>, message: String) -> InputError {
    InputError {
        file: TRANSPORT_FILE.to_owned(),
        line,
        column: column.map(str::to_owned),
        message,
    }
}

/// Reads the pasted file: header with every column of [`TRANSPORT_COLUMNS`],
/// one line per legal entity of the region, the campaign year, amounts ≥ 0
/// (decimal comma or point). Every error is reported, with its line and column.
pub async fn read_transport_text(
    state: &AppState,
    campaign: &Campaign,
    text: &str,
) -> AppResult<Result<Vec<(u64, TransportSpending)>, Vec<InputError>>> {
    let text = normalize_newlines(text);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Ok(Err(vec![error(None, None, "le fichier est vide".into())]));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
        Err(e) => {
            return Ok(Err(vec![error(
                Some(1),
                None,
                format!("en-tête illisible : {e}"),
            )]));
        }
    };
    let missing: Vec<&str> = TRANSPORT_COLUMNS
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Ok(Err(vec![error(
            Some(1),
            None,
            format!(
                "colonne(s) manquante(s) : {} (attendu : {})",
                missing.join(", "),
                TRANSPORT_COLUMNS.join(";")
            ),
        )]));
    }
    let entities = state
        .store
        .legal_entities_in_region(&campaign.region)
        .await?;
    let mut site_owner: HashMap<Finess, Finess> = HashMap::new();
    for e in &entities {
        for site in state.store.sites_of(e.finess.as_str()).await? {
            if site.finess != e.finess {
                site_owner.insert(site.finess, e.finess);
            }
        }
    }
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<Finess, u64> = HashMap::new();
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                errors.push(error(line, None, format!("ligne illisible : {e}")));
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map_or("", str::trim)
        };
        let mut err = |column: &str, message: String| {
            errors.push(error(Some(line), Some(column), message));
        };
        let finess = match Finess::parse(get("finess")) {
            Ok(f) => f,
            Err(e) => {
                err("finess", e.to_string());
                continue;
            }
        };
        if !entities.iter().any(|e| e.finess == finess) {
            match site_owner.get(&finess) {
                Some(owner) => err(
                    "finess",
                    format!(
                        "{finess} est un site : les dépenses se donnent pour l'entité juridique {owner}"
                    ),
                ),
                None => err(
                    "finess",
                    format!("{finess} n'est pas une entité juridique de la région"),
                ),
            }
            continue;
        }
        if let Some(first) = seen.insert(finess, line) {
            err(
                "finess",
                format!("{finess} apparaît déjà ligne {first} : une seule ligne par entité"),
            );
            continue;
        }
        if get("annee") != campaign.year.to_string() {
            err(
                "annee",
                format!(
                    "année « {} » : la campagne porte sur l'année {}",
                    get("annee"),
                    campaign.year
                ),
            );
            continue;
        }
        let mut amount = |column: &str| -> Option<Euros> {
            match caqes_core::value::parse_decimal(get(column)) {
                Some(d) if !d.is_sign_negative() => Some(Euros(d)),
                Some(d) => {
                    err(column, format!("montant négatif ({d})"));
                    None
                }
                None => {
                    err(
                        column,
                        format!("montant en euros illisible « {} »", get(column)),
                    );
                    None
                }
            }
        };
        let current = amount("depenses_transport_prescrites");
        let previous = amount("depenses_annee_precedente");
        if let (Some(amount), Some(previous)) = (current, previous) {
            rows.push((
                line,
                TransportSpending {
                    entity: finess,
                    year: campaign.year,
                    previous,
                    amount,
                },
            ));
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(error(None, None, "aucune ligne de données".into()));
    }
    Ok(if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    })
}

fn import_view(campaign: &Campaign, content: String) -> ImportView {
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
    }
}

fn render_import(s: &Session, status: StatusCode, view: ImportView) -> AppResult<Response> {
    let layout = Layout::for_user(&view.heading, &s.user, &s.csrf);
    Ok((status, Html(ImportPage { layout, view }.render()?)).into_response())
}

/// `GET /campagnes/{campaign}/ciblage/import` (Assurance Maladie).
pub async fn import_form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Query(q): Query<ImportDone>,
) -> AppResult<Response> {
    let campaign = campaign_for(&state, &s.user, &campaign_id, Role::AssuranceMaladie).await?;
    let mut view = import_view(&campaign, String::new());
    if let Some(n) = q.lignes {
        view.done = Some(format!(
            "Import enregistré : dépenses de transport de {n} entité(s)."
        ));
    }
    render_import(&s, StatusCode::OK, view)
}

/// `POST /campagnes/{campaign}/ciblage/import/apercu`
pub async fn import_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(input): Form<TransportInput>,
) -> AppResult<Response> {
    let campaign = campaign_for(&state, &s.user, &campaign_id, Role::AssuranceMaladie).await?;
    let mut view = import_view(&campaign, input.transports.clone());
    let rows = match read_transport_text(&state, &campaign, &input.transports).await? {
        Ok(r) => r,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render_import(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(line, r)| {
            vec![
                format!("{TRANSPORT_FILE}:{line}"),
                r.entity.to_string(),
                r.year.to_string(),
                r.amount.to_string(),
                r.previous.to_string(),
            ]
        })
        .collect();
    view.preview = Some(Preview {
        summary: vec![format!(
            "Les dépenses de transport de {} entité(s) seront enregistrées pour l'année {}.",
            rows.len(),
            campaign.year
        )],
        headers: vec![
            "Ligne",
            "FINESS juridique",
            "Année",
            "Dépenses de l'année",
            "Dépenses de l'année précédente",
        ],
        more: table.len().saturating_sub(PREVIEW_ROWS),
        rows: table.into_iter().take(PREVIEW_ROWS).collect(),
    });
    render_import(&s, StatusCode::OK, view)
}

/// `POST /campagnes/{campaign}/ciblage/import/confirmer`: checked again in full,
/// then written in one transaction with its audit line.
pub async fn import_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(input): Form<TransportInput>,
) -> AppResult<Response> {
    let campaign = campaign_for(&state, &s.user, &campaign_id, Role::AssuranceMaladie).await?;
    let mut view = import_view(&campaign, input.transports.clone());
    let rows = match read_transport_text(&state, &campaign, &input.transports).await? {
        Ok(r) => r,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render_import(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let rows: Vec<TransportSpending> = rows.into_iter().map(|(_, r)| r).collect();
    match state
        .store
        .import_transport_spending(
            &Actor::user(&s.user),
            &campaign.region,
            TRANSPORT_FILE,
            &rows,
        )
        .await
    {
        Ok(n) => Ok(Redirect::to(&format!(
            "/campagnes/{}/ciblage/import?lignes={n}",
            campaign.id
        ))
        .into_response()),
        Err(StoreError::Conflict(m)) => {
            view.errors = vec![ErrorLine::from(&error(None, None, m))];
            render_import(&s, StatusCode::UNPROCESSABLE_ENTITY, view)
        }
        Err(e) => Err(e.into()),
    }
}
