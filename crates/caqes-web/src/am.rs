//! Assurance Maladie data for the AM user of a region: the PHEV indicators
//! (III-01, III-03, IV-01, IV-02) computed from Open PHMEV files by the
//! `caqes_data::phmev` pipeline, and the sanction bases of each legal entity
//! (AM revenue and liste en sus amount, by form or CSV). Also the ARS's choice
//! of the sanction basis of a dossier.
//!
//! PHEV upload: « Aperçu » receives the files (multipart), keeps them in a
//! private temporary directory named by a random token (never in the
//! database), runs the pipeline and shows the figures; « Confirmer » re-runs
//! the pipeline on the same files, writes the values in one transaction with
//! an audit line carrying the files' provenance (names, SHA-256, rows), and
//! deletes the directory. A refused file is deleted at once; uploads never
//! confirmed are deleted after [`UPLOAD_TTL`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::referentiel::Applicability;
use caqes_core::sanction::Basis;
use caqes_core::{Category, Euros, Finess};
use caqes_data::evaluation_input::InputError;
use caqes_data::phmev::dashboard;
use caqes_data::phmev::report::{Computed, compute, write_valeurs};
use caqes_data::phmev::{Config, Rattachement, ReadOptions};
use caqes_store::am::{AmFigures, AmValue, am_writable};
use caqes_store::phev::PhevDashboard;
use caqes_store::{Actor, Campaign, LegalEntity, Role, User};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::{CurrentUser, Session, random_token};
use crate::dossier::{fr, load};
use crate::imports::source::{self, Source};
use crate::imports::{ErrorLine, ImportField, ImportPage, ImportView, Preview};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::request::upload::UploadForm;
use crate::state::AppState;
use crate::ui::Layout;
use crate::ui::flash::{self, Flash};
use crate::ui::list::{self, Cell, Column, ListQuery, ListRow, Listing};

/// Uploads not confirmed within this delay are deleted.
pub const UPLOAD_TTL: Duration = Duration::from_secs(3600);
/// Name given in error reports to the pasted AM figures.
pub const AM_FILE: &str = "donnees_am.csv";
/// The PHEV indicators, in the order of the preview.
const PHEV_INDICATORS: [&str; 4] = ["III-01", "III-03", "IV-01", "IV-02"];

fn am_region(user: &User) -> AppResult<String> {
    match (user.role, &user.region) {
        (Role::AssuranceMaladie, Some(r)) => Ok(r.clone()),
        _ => Err(AppError::NotFound),
    }
}

async fn campaign_of_am(state: &AppState, user: &User, id: &str) -> AppResult<Campaign> {
    let region = am_region(user)?;
    let campaign = state.store.campaign(id).await?.ok_or(AppError::NotFound)?;
    if campaign.region != region {
        return Err(AppError::NotFound);
    }
    state.store.ensure_points_campaign(&campaign).await?;
    Ok(campaign)
}

// ---------------------------------------------------------------------------
// PHEV upload.

/// One indicator value of the preview.
pub struct PhevCell {
    pub indicator: &'static str,
    pub numerator: String,
    pub denominator: String,
    pub rate: String,
    /// Why the value is not written on confirmation (`None`: written).
    pub skipped: Option<String>,
}

pub struct PhevEntityView {
    pub finess: String,
    pub name: String,
    pub sites: String,
    pub cells: Vec<PhevCell>,
}

pub struct ProvenanceView {
    pub year: String,
    pub file: String,
    pub format: String,
    pub sha256: String,
    pub rows_read: u64,
    pub rows_rejected: u64,
}

pub struct PhevPreview {
    pub token: String,
    pub entities: Vec<PhevEntityView>,
    pub files: Vec<ProvenanceView>,
    /// `etb_rgt` of the files outside the region: ignored, listed.
    pub ignored: Vec<String>,
    pub to_write: usize,
    /// Files whose name gives another year than expected (N: the campaign's).
    pub year_warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "phev.html")]
pub struct PhevPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub year: i16,
    pub errors: Vec<ErrorLine>,
    pub done: Option<String>,
    pub preview: Option<PhevPreview>,
}

fn phev_page(session: &Session, campaign: &Campaign) -> PhevPage {
    PhevPage {
        layout: Layout::for_user(
            &format!("Import PHEV — {}", campaign.title),
            &session.user,
            &session.csrf,
        ),
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        year: campaign.year,
        errors: Vec::new(),
        done: None,
        preview: None,
    }
}

fn render_phev(status: StatusCode, page: PhevPage) -> AppResult<Response> {
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct PhevDone {
    valeurs: Option<usize>,
}

pub async fn phev_form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Query(q): Query<PhevDone>,
) -> AppResult<Response> {
    let campaign = campaign_of_am(&state, &s.user, &campaign_id).await?;
    let mut page = phev_page(&s, &campaign);
    if let Some(n) = q.valeurs {
        page.done = Some(format!(
            "Import PHEV enregistré : {n} valeur(s) (source AM)."
        ));
    }
    render_phev(StatusCode::OK, page)
}

/// What is kept next to the uploaded files until confirmation.
#[derive(serde::Serialize, Deserialize)]
struct UploadMeta {
    user: String,
    campaign: String,
    class_iv02: Option<String>,
    /// (original name, stored name) for year N and N−1.
    current: Vec<(String, String)>,
    previous: Vec<(String, String)>,
}

/// The uploads waiting for their confirmation, in the service's private data
/// directory (0700 directories, 0600 files: see [`crate::request::files`]).
fn upload_root(state: &AppState) -> PathBuf {
    state.config.data_dir.join("depots-phev")
}

/// The directory of an upload token (only lowercase hex tokens are accepted,
/// so a token can never name another path).
fn upload_dir(state: &AppState, token: &str) -> Option<PathBuf> {
    (token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then(|| upload_root(state).join(token))
}

/// Deletes uploads older than [`UPLOAD_TTL`] (abandoned previews).
fn sweep_old_uploads(state: &AppState) {
    let Ok(entries) = std::fs::read_dir(upload_root(state)) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > UPLOAD_TTL);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn error_line(file: &str, message: String) -> ErrorLine {
    ErrorLine {
        file: file.to_owned(),
        line: String::new(),
        column: String::new(),
        message,
    }
}

/// A pipeline error (`fichier, ligne N, champ « X » : …`) split into the report's columns.
fn phmev_error(e: &caqes_data::phmev::PhmevError, names: &HashMap<String, String>) -> ErrorLine {
    use caqes_data::phmev::PhmevError as E;
    let rename = |f: &str| {
        names
            .get(f)
            .cloned()
            .unwrap_or_else(|| f.rsplit('/').next().unwrap_or(f).to_owned())
    };
    let mut message = e.to_string();
    for (stored, original) in names {
        message = message.replace(stored, original);
    }
    match e {
        E::Row {
            file, line, field, ..
        } => ErrorLine {
            file: rename(file),
            line: line.to_string(),
            column: field.clone().unwrap_or_default(),
            message,
        },
        E::MissingColumn { file, .. }
        | E::NoSeparator { file }
        | E::DuplicateColumn { file, .. } => ErrorLine {
            file: rename(file),
            line: "1".into(),
            column: String::new(),
            message,
        },
        E::Io { file, .. }
        | E::Empty { file }
        | E::NoRows { file }
        | E::Parquet { file, .. }
        | E::ModifiedDuringRead { file }
        | E::Config { file, .. } => error_line(&rename(file), message),
    }
}

/// The region's entities and the site → entity mapping of the registry.
async fn registry(
    state: &AppState,
    region: &str,
) -> AppResult<(BTreeMap<Finess, LegalEntity>, Rattachement)> {
    let mut entities = BTreeMap::new();
    let mut mapping = Rattachement::default();
    for e in state.store.legal_entities_in_region(region).await? {
        for s in state.store.sites_of(e.finess.as_str()).await? {
            mapping.entity_of.insert(s.finess, e.finess);
        }
        mapping.names.insert(e.finess, e.name.clone());
        entities.insert(e.finess, e);
    }
    Ok((entities, mapping))
}

/// (indicator, numerator, denominator, why it is not written).
type PhevValue = (&'static str, String, String, Option<String>);

/// The figures of an upload, ready for the preview and the store.
struct PhevRun {
    computed: Computed,
    /// The pipeline's configuration of the run (classes, site → entity mapping).
    config: Config,
    /// Per entity of the region: (indicator, numerator, denominator, why not written).
    values: BTreeMap<Finess, Vec<PhevValue>>,
    ignored: Vec<Finess>,
}

/// Runs the pipeline on the stored files and keeps the entities of the region.
async fn run_upload(
    state: &AppState,
    campaign: &Campaign,
    dir: &FsPath,
    meta: &UploadMeta,
) -> AppResult<Result<(PhevRun, BTreeMap<Finess, LegalEntity>), Vec<ErrorLine>>> {
    let (entities, mapping) = registry(state, &campaign.region).await?;
    let referentiel = state.store.campaign_referentiel(campaign).await?;
    let mut config = Config {
        rattachement: mapping,
        ..Config::default()
    };
    config.iv02.global = meta.class_iv02.clone();
    // The class each établissement chose in its dossier (IV-02) wins over the one typed here.
    config.iv02.per_finess = state
        .store
        .chosen_classes_in_region(&campaign.region, campaign.year, "IV-02")
        .await?
        .into_iter()
        .collect();
    let current: Vec<PathBuf> = meta.current.iter().map(|(_, s)| dir.join(s)).collect();
    let previous: Vec<PathBuf> = meta.previous.iter().map(|(_, s)| dir.join(s)).collect();
    let names: HashMap<String, String> = meta
        .current
        .iter()
        .chain(&meta.previous)
        .map(|(o, s)| (dir.join(s).display().to_string(), o.clone()))
        .collect();
    let opts = ReadOptions {
        // The web server shares its cores: one parsing thread per upload.
        threads: 1,
        ..ReadOptions::default()
    };
    let run_config = config.clone();
    let computed =
        tokio::task::spawn_blocking(move || compute(&current, &previous, &run_config, &opts))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut computed = match computed {
        Ok(c) => c,
        Err(e) => return Ok(Err(vec![phmev_error(&e, &names)])),
    };
    for p in computed
        .files
        .iter_mut()
        .chain(computed.previous_files.iter_mut())
    {
        if let Some(original) = names.get(&p.fichier) {
            p.fichier = original.clone();
        }
    }
    // The engine rows exactly as the pipeline writes them (`valeurs.csv`).
    let mut buffer = Vec::new();
    write_valeurs(&computed.entities, i32::from(campaign.year), &mut buffer)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let text = String::from_utf8(buffer).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut values: BTreeMap<Finess, Vec<PhevValue>> = BTreeMap::new();
    let mut dossier_refusal: HashMap<Finess, Option<String>> = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        let (Some(finess), Some(code), Some(n), Some(d)) = (
            f.first().and_then(|x| Finess::parse(x).ok()),
            f.get(1)
                .and_then(|c| PHEV_INDICATORS.iter().find(|i| *i == c)),
            f.get(3),
            f.get(4),
        ) else {
            continue;
        };
        let Some(entity) = entities.get(&finess) else {
            continue;
        };
        let refusal = match dossier_refusal.get(&finess) {
            Some(r) => r.clone(),
            None => {
                let r = match state
                    .store
                    .submission(&campaign.id, finess.as_str())
                    .await?
                {
                    None => Some("pas de dossier dans la campagne".to_owned()),
                    Some(sub) if !am_writable(sub.state) => {
                        Some(format!("dossier à l'état « {} »", sub.state.label()))
                    }
                    Some(_) => None,
                };
                dossier_refusal.insert(finess, r.clone());
                r
            }
        };
        let applies = referentiel
            .indicator(code)
            .is_some_and(|i| i.applicability(entity.category) == Applicability::Concerned);
        let skipped = if applies {
            refusal
        } else {
            Some("indicateur non mesurable pour la catégorie".to_owned())
        };
        values
            .entry(finess)
            .or_default()
            .push((code, (*n).to_owned(), (*d).to_owned(), skipped));
    }
    let ignored: Vec<Finess> = computed
        .entities
        .iter()
        .filter(|e| !entities.contains_key(&e.finess))
        .flat_map(|e| e.sites.iter().copied())
        .collect();
    Ok(Ok((
        PhevRun {
            computed,
            config,
            values,
            ignored,
        },
        entities,
    )))
}

fn rate_text(code: &str, n: &str, d: &str) -> String {
    let (Ok(n), Ok(d)) = (n.parse::<Decimal>(), d.parse::<Decimal>()) else {
        return String::new();
    };
    if d.is_zero() {
        return String::new();
    }
    if code.starts_with("IV-") {
        format!(
            "{}\u{202f}%",
            fr((n / d - Decimal::ONE) * Decimal::ONE_HUNDRED)
        )
    } else {
        format!("{}\u{202f}%", fr(n * Decimal::ONE_HUNDRED / d))
    }
}

fn provenance_json(c: &Computed) -> serde_json::Value {
    serde_json::json!({
        "annee_n": c.files,
        "annee_n_1": c.previous_files,
    })
}

/// Keeps the files of the form (already streamed to disk) in a fresh token
/// directory, moved rather than copied.
async fn save_upload(
    state: &AppState,
    user: &User,
    campaign: &Campaign,
    form: &UploadForm,
) -> AppResult<Result<(String, UploadMeta), Vec<ErrorLine>>> {
    sweep_old_uploads(state);
    let token = random_token();
    let dir =
        upload_dir(state, &token).ok_or_else(|| AppError::Internal("jeton invalide".into()))?;
    crate::request::files::private_dir(&upload_root(state))
        .and_then(|_| crate::request::files::private_dir(&dir))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut meta = UploadMeta {
        user: user.id.clone(),
        campaign: campaign.id.clone(),
        class_iv02: None,
        current: Vec::new(),
        previous: Vec::new(),
    };
    let mut errors = Vec::new();
    let class = form.text("classe_iv02").trim();
    if !class.is_empty() {
        match caqes_data::phmev::config::check_atc(class) {
            Ok(c) => meta.class_iv02 = Some(c),
            Err(m) => errors.push(ErrorLine {
                file: "formulaire".into(),
                line: String::new(),
                column: "classe IV-02".into(),
                message: m,
            }),
        }
    }
    for name in ["annee_n", "annee_n_1"] {
        for file in form.files_of(name) {
            let list = if name == "annee_n" {
                &mut meta.current
            } else {
                &mut meta.previous
            };
            let stored = format!("{name}-{}", list.len());
            // Same file system (the data directory): a rename, not a copy of 1,2 Go.
            std::fs::rename(&file.path, dir.join(&stored))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            list.push((file.name.clone(), stored));
        }
    }
    if errors.is_empty() && meta.current.is_empty() {
        errors.push(ErrorLine {
            file: "formulaire".into(),
            line: String::new(),
            column: "fichiers de l'année N".into(),
            message: "aucun fichier Open PHMEV de l'année évaluée n'a été joint".into(),
        });
    }
    if !errors.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(Err(errors));
    }
    let json = serde_json::to_vec(&meta).map_err(|e| AppError::Internal(e.to_string()))?;
    crate::request::files::write_private(&dir.join("meta.json"), &json)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Ok((token, meta)))
}

/// The files whose name gives another year than expected: year N must be
/// the campaign's, N−1 the one before (a file of the wrong year is a
/// frequent slip, and its figures would pass every other check).
fn year_warnings(meta: &UploadMeta, year: i16) -> Vec<String> {
    let expected = [
        (year, &meta.current, "N"),
        (year - 1, &meta.previous, "N−1"),
    ];
    expected
        .into_iter()
        .flat_map(|(want, files, label)| {
            files.iter().filter_map(move |(name, _)| {
                let found = caqes_data::phmev::year_of_file_name(name)?;
                (found != want).then(|| {
                    format!(
                        "Le fichier « {name} », déposé pour l'année {label} ({want}), porte dans son nom \
                         l'année {found} : vérifiez qu'il s'agit bien des données de {want} avant de confirmer."
                    )
                })
            })
        })
        .collect()
}

pub async fn phev_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    form: UploadForm,
) -> AppResult<Response> {
    let campaign = campaign_of_am(&state, &s.user, &campaign_id).await?;
    let mut page = phev_page(&s, &campaign);
    let (token, meta) = match save_upload(&state, &s.user, &campaign, &form).await? {
        Ok(x) => x,
        Err(errors) => {
            page.errors = errors;
            return render_phev(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let dir =
        upload_dir(&state, &token).ok_or_else(|| AppError::Internal("jeton invalide".into()))?;
    let (run, entities) = match run_upload(&state, &campaign, &dir, &meta).await? {
        Ok(r) => r,
        Err(errors) => {
            let _ = std::fs::remove_dir_all(&dir);
            page.errors = errors;
            return render_phev(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let figures: HashMap<Finess, &caqes_data::phmev::report::EntityFigures> = run
        .computed
        .entities
        .iter()
        .map(|e| (e.finess, e))
        .collect();
    let entity_views = run
        .values
        .iter()
        .map(|(finess, cells)| PhevEntityView {
            finess: finess.to_string(),
            name: entities
                .get(finess)
                .map_or(String::new(), |e| e.name.clone()),
            sites: figures.get(finess).map_or(String::new(), |f| {
                f.sites
                    .iter()
                    .map(Finess::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            cells: cells
                .iter()
                .map(|(code, n, d, skipped)| PhevCell {
                    indicator: code,
                    numerator: n.clone(),
                    denominator: d.clone(),
                    rate: rate_text(code, n, d),
                    skipped: skipped.clone(),
                })
                .collect(),
        })
        .collect();
    let files = run
        .computed
        .files
        .iter()
        .map(|p| ("N", p))
        .chain(run.computed.previous_files.iter().map(|p| ("N−1", p)))
        .map(|(year, p)| ProvenanceView {
            year: year.to_owned(),
            file: p.fichier.clone(),
            format: p.format.to_owned(),
            sha256: p.sha256.clone().unwrap_or_default(),
            rows_read: p.lignes_lues,
            rows_rejected: p.lignes_rejetees,
        })
        .collect();
    page.preview = Some(PhevPreview {
        token,
        entities: entity_views,
        files,
        ignored: run.ignored.iter().map(Finess::to_string).collect(),
        year_warnings: year_warnings(&meta, campaign.year),
        to_write: run
            .values
            .values()
            .flatten()
            .filter(|(_, _, _, skipped)| skipped.is_none())
            .count(),
    });
    render_phev(StatusCode::OK, page)
}

/// What the PHEV dashboards keep of the upload: the indicator sums of the region's
/// entities, and their amounts per ATC4 class and product (the files read once more).
async fn dashboard_rows(
    dir: &FsPath,
    meta: &UploadMeta,
    run: &PhevRun,
    entities: &BTreeMap<Finess, LegalEntity>,
) -> Result<PhevDashboard, ErrorLine> {
    let summaries = run
        .computed
        .entities
        .iter()
        .filter(|e| entities.contains_key(&e.finess))
        .map(|e| dashboard::summary(e, &run.config))
        .collect();
    let current: Vec<PathBuf> = meta.current.iter().map(|(_, s)| dir.join(s)).collect();
    let keep: std::collections::BTreeSet<Finess> = entities.keys().copied().collect();
    let config = run.config.clone();
    let opts = ReadOptions {
        threads: 1,
        ..ReadOptions::default()
    };
    let amounts = tokio::task::spawn_blocking(move || {
        dashboard::breakdown(&current, &config, &opts, |f| keep.contains(&f))
    })
    .await
    .map_err(|e| error_line("import PHEV", e.to_string()))?
    .map_err(|e| error_line("import PHEV", e.to_string()))?;
    Ok(PhevDashboard { summaries, amounts })
}

#[derive(Deserialize)]
pub struct PhevConfirm {
    #[serde(default)]
    jeton: String,
}

pub async fn phev_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(input): Form<PhevConfirm>,
) -> AppResult<Response> {
    let campaign = campaign_of_am(&state, &s.user, &campaign_id).await?;
    let mut page = phev_page(&s, &campaign);
    let dir = upload_dir(&state, &input.jeton).ok_or(AppError::NotFound)?;
    let meta: Option<UploadMeta> = std::fs::read(dir.join("meta.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    // Another user's (or another campaign's) upload is not there for this user.
    let Some(meta) = meta.filter(|m| m.user == s.user.id && m.campaign == campaign.id) else {
        page.errors = vec![error_line(
            "formulaire",
            "ce dépôt n'existe plus (déjà confirmé ou expiré) : déposez de nouveau les fichiers"
                .into(),
        )];
        return render_phev(StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    let result = run_upload(&state, &campaign, &dir, &meta).await;
    let dashboard = match &result {
        Ok(Ok((run, entities))) => Some(dashboard_rows(&dir, &meta, run, entities).await),
        _ => None,
    };
    let _ = std::fs::remove_dir_all(&dir);
    let (run, _) = match result? {
        Ok(r) => r,
        Err(errors) => {
            page.errors = errors;
            return render_phev(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let dashboard = match dashboard {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            page.errors = vec![e];
            return render_phev(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
        None => PhevDashboard::default(),
    };
    let values: Vec<AmValue> = run
        .values
        .iter()
        .flat_map(|(finess, cells)| {
            cells
                .iter()
                .filter(|(_, _, _, skipped)| skipped.is_none())
                .map(|(code, n, d, _)| AmValue {
                    entity: *finess,
                    indicator: (*code).to_owned(),
                    numerator: n.clone(),
                    denominator: d.clone(),
                })
        })
        .collect();
    let mut provenance = provenance_json(&run.computed);
    provenance["classe_iv02"] = serde_json::json!(meta.class_iv02);
    provenance["finess_hors_region_ignores"] = serde_json::json!(
        run.ignored
            .iter()
            .map(Finess::to_string)
            .collect::<Vec<_>>()
    );
    match state
        .store
        .import_phev(
            &Actor::user(&s.user),
            &campaign,
            provenance,
            &values,
            Some(&dashboard),
        )
        .await
    {
        Ok(n) => Ok(
            Redirect::to(&format!("/campagnes/{}/phev?valeurs={n}", campaign.id)).into_response(),
        ),
        Err(caqes_store::StoreError::Conflict(m)) => {
            page.errors = vec![error_line("import PHEV", m)];
            render_phev(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// AM revenue and liste en sus, per entity.

pub struct AmRow {
    pub finess: String,
    pub name: String,
    pub category: &'static str,
    pub revenue: String,
    pub liste_en_sus: String,
    pub year: String,
    /// The amounts, for the sort.
    pub revenue_value: Option<Decimal>,
    pub liste_en_sus_value: Option<Decimal>,
}

/// The columns of the AM data list (searched, sorted, exported).
const AM_COLUMNS: [Column; 6] = [
    Column {
        key: "entite",
        label: "Entité",
    },
    Column {
        key: "finess",
        label: "FINESS juridique",
    },
    Column {
        key: "categorie",
        label: "Catégorie",
    },
    Column {
        key: "produits",
        label: "Produits AM (€)",
    },
    Column {
        key: "sus",
        label: "Liste en sus (€)",
    },
    Column {
        key: "annee",
        label: "Année",
    },
];

impl ListRow for AmRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::text(&self.name),
            Cell::text(&self.finess),
            Cell::text(self.category),
            Cell::number(self.revenue_value, &self.revenue),
            Cell::number(self.liste_en_sus_value, &self.liste_en_sus),
            Cell::text(&self.year),
        ]
    }
}

#[derive(Template)]
#[template(path = "am_data.html")]
pub struct AmDataPage {
    pub layout: Layout,
    pub list: Listing<AmRow>,
    /// (id, title) of the region's campaigns, for the PHEV import links.
    pub campaigns: Vec<(String, String)>,
    pub error: Option<String>,
    pub done: Option<String>,
}

/// An amount as typed (French or dot decimal, spaces as thousands separators).
fn parse_amount(text: &str) -> Result<Option<Euros>, String> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    let d: Decimal = t
        .replace(',', ".")
        .parse()
        .map_err(|_| format!("« {text} » n'est pas un montant en euros (ex. 1 234 567,89)"))?;
    if d < Decimal::ZERO {
        return Err(format!("« {text} » : un montant ne peut pas être négatif"));
    }
    if d.scale() > 2 {
        return Err(format!("« {text} » : au plus deux décimales (centimes)"));
    }
    Ok(Some(Euros(d)))
}

fn parse_year(text: &str) -> Result<Option<i16>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i16>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .map(Some)
        .ok_or_else(|| format!("« {t} » n'est pas une année (ex. 2018)"))
}

fn amount_text(e: Option<Euros>) -> String {
    e.map(|e| e.amount().to_string().replace('.', ","))
        .unwrap_or_default()
}

async fn am_page(
    state: &AppState,
    s: &Session,
    region: &str,
    error: Option<String>,
    done: Option<String>,
    query: &ListQuery,
) -> AppResult<AmDataPage> {
    let mut rows = Vec::new();
    for e in state.store.legal_entities_in_region(region).await? {
        let f = state.store.am_figures(e.finess.as_str()).await?;
        rows.push(AmRow {
            finess: e.finess.to_string(),
            name: e.name.clone(),
            category: e.category.label(),
            revenue: amount_text(f.am_revenue),
            liste_en_sus: amount_text(f.liste_en_sus),
            year: f.year.map(|y| y.to_string()).unwrap_or_default(),
            revenue_value: f.am_revenue.map(|e| e.amount()),
            liste_en_sus_value: f.liste_en_sus.map(|e| e.amount()),
        });
    }
    let list = list::apply(rows, &AM_COLUMNS, query, "/donnees-am", &[], None);
    // The PHEV import feeds first-generation campaigns only.
    let mut campaigns = Vec::new();
    for c in state.store.campaigns_in_region(region).await? {
        if state.store.ensure_points_campaign(&c).await.is_ok() {
            campaigns.push((c.id, c.title));
        }
    }
    Ok(AmDataPage {
        campaigns,
        layout: Layout::for_user(
            "Données de l'Assurance Maladie par entité",
            &s.user,
            &s.csrf,
        ),
        list,
        error,
        done,
    })
}

#[derive(Deserialize)]
pub struct AmDone {
    enregistre: Option<String>,
    lignes: Option<String>,
    #[serde(flatten)]
    list: ListQuery,
}

pub async fn am_data_show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Query(q): Query<AmDone>,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    let done = q
        .enregistre
        .map(|f| format!("Données de l'entité {f} enregistrées."))
        .or(q
            .lignes
            .and_then(|n| n.trim().parse::<usize>().ok())
            .map(|n| format!("Import enregistré : {n} entité(s).")));
    let page = am_page(&state, &s, &region, None, done, &q.list).await?;
    if q.list.wants_csv() {
        return Ok(list::csv_response(
            "donnees-am.csv",
            &AM_COLUMNS,
            &page.list,
        ));
    }
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub struct AmForm {
    #[serde(default)]
    produits_am: String,
    #[serde(default)]
    liste_en_sus: String,
    #[serde(default)]
    annee: String,
}

pub async fn am_data_save(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(finess): Path<String>,
    Form(input): Form<AmForm>,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    let entity = state
        .store
        .legal_entity(&finess)
        .await?
        .filter(|e| e.region == region)
        .ok_or(AppError::NotFound)?;
    let parsed = (|| {
        Ok::<_, String>(AmFigures {
            entity: entity.finess,
            am_revenue: parse_amount(&input.produits_am)
                .map_err(|m| format!("Produits versés par l'assurance maladie : {m}"))?,
            liste_en_sus: parse_amount(&input.liste_en_sus)
                .map_err(|m| format!("Liste en sus : {m}"))?,
            year: parse_year(&input.annee).map_err(|m| format!("Année : {m}"))?,
        })
    })();
    let figures = match parsed {
        Ok(f) => f,
        Err(m) => {
            let page = am_page(
                &state,
                &s,
                &region,
                Some(format!("{} ({}) : {m}", entity.name, entity.finess)),
                None,
                &ListQuery::default(),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    };
    state
        .store
        .set_am_figures(&Actor::user(&s.user), &region, &[figures])
        .await?;
    Ok(Redirect::to(&format!("/donnees-am?enregistre={}", entity.finess)).into_response())
}

/// The AM figures import page (deposits are kept per page).
const AM_IMPORT_PAGE: &str = "/donnees-am/import";

/// The import's text (file, paste or the preview's deposit) and its page,
/// or the page answering that the deposit is gone.
async fn am_import_source(
    state: &AppState,
    s: &Session,
    form: &UploadForm,
) -> AppResult<Result<(Source, ImportView), Response>> {
    match source::read(state, &s.user.id, AM_IMPORT_PAGE, form, &["contenu"]).await? {
        Ok(source) => {
            let shown = if source.from_file {
                String::new()
            } else {
                source.texts[0].clone()
            };
            Ok(Ok((source, am_import_view(shown))))
        }
        Err(message) => {
            let mut view = am_import_view(String::new());
            view.errors = vec![error_line("formulaire", message)];
            Ok(Err(render_import(
                s,
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )?))
        }
    }
}

fn am_import_view(content: String) -> ImportView {
    ImportView {
        heading: "Importer les données de l'Assurance Maladie".into(),
        intro: "Coller un fichier CSV « finess;produits_am;liste_en_sus;annee » (séparateur « ; », décimales à la virgule \
                ou au point, au plus deux décimales ; une cellule vide garde la valeur enregistrée). Une ligne par entité \
                juridique de la région. Rien n'est enregistré avant la confirmation, et rien du tout si une ligne est fausse.",
        back_link: "/donnees-am".into(),
        back_label: "Données de l'Assurance Maladie".into(),
        base: AM_IMPORT_PAGE.into(),
        fields: vec![ImportField {
            name: "contenu",
            label: "Contenu du fichier donnees_am.csv",
            hint: "En-tête obligatoire : finess;produits_am;liste_en_sus;annee",
            content,
        }],
        errors: Vec::new(),
        done: None,
        preview: None,
        token: None,
        options: Vec::new(),
    }
}

fn render_import(s: &Session, status: StatusCode, view: ImportView) -> AppResult<Response> {
    let layout = Layout::for_user(&view.heading, &s.user, &s.csrf);
    Ok((status, Html(ImportPage { layout, view }.render()?)).into_response())
}

fn input_error(line: u64, column: &str, message: String) -> InputError {
    InputError {
        file: AM_FILE.into(),
        line: Some(line),
        column: Some(column.into()),
        message,
    }
}

/// Reads the pasted AM figures: every line is checked, all errors reported.
async fn read_am_text(
    state: &AppState,
    region: &str,
    text: &str,
) -> AppResult<Result<Vec<(u64, AmFigures)>, Vec<InputError>>> {
    let text = text.replace("\r\n", "\n");
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let expected = ["finess", "produits_am", "liste_en_sus", "annee"];
    let Some((_, header)) = lines.next() else {
        return Ok(Err(vec![input_error(
            1,
            "",
            "fichier vide : l'en-tête finess;produits_am;liste_en_sus;annee est attendu".into(),
        )]));
    };
    let columns: Vec<String> = header.split(';').map(|c| c.trim().to_lowercase()).collect();
    if columns != expected {
        return Ok(Err(vec![input_error(
            1,
            "",
            format!("en-tête « {header} » : attendu « finess;produits_am;liste_en_sus;annee »"),
        )]));
    }
    let region_entities: HashMap<Finess, Category> = state
        .store
        .legal_entities_in_region(region)
        .await?
        .into_iter()
        .map(|e| (e.finess, e.category))
        .collect();
    let mut errors = Vec::new();
    let mut rows: Vec<(u64, AmFigures)> = Vec::new();
    for (i, line) in lines {
        let n = i as u64 + 1;
        let f: Vec<&str> = line.split(';').map(str::trim).collect();
        if f.len() != 4 {
            errors.push(input_error(
                n,
                "",
                format!("{} champ(s) au lieu de 4", f.len()),
            ));
            continue;
        }
        let finess = match Finess::parse(f[0]) {
            Ok(x) => x,
            Err(e) => {
                errors.push(input_error(n, "finess", e.to_string()));
                continue;
            }
        };
        if !region_entities.contains_key(&finess) {
            errors.push(input_error(
                n,
                "finess",
                format!("{finess} n'est pas une entité juridique de la région"),
            ));
            continue;
        }
        if rows.iter().any(|(_, r)| r.entity == finess) {
            errors.push(input_error(
                n,
                "finess",
                format!("{finess} figure deux fois dans le fichier"),
            ));
            continue;
        }
        let revenue = parse_amount(f[1]).map_err(|m| input_error(n, "produits_am", m));
        let sus = parse_amount(f[2]).map_err(|m| input_error(n, "liste_en_sus", m));
        let year = parse_year(f[3]).map_err(|m| input_error(n, "annee", m));
        match (revenue, sus, year) {
            (Ok(am_revenue), Ok(liste_en_sus), Ok(year)) => rows.push((
                n,
                AmFigures {
                    entity: finess,
                    am_revenue,
                    liste_en_sus,
                    year,
                },
            )),
            (r, l, y) => {
                errors.extend(r.err());
                errors.extend(l.err());
                errors.extend(y.err());
            }
        }
    }
    if errors.is_empty() && rows.is_empty() {
        errors.push(input_error(1, "", "aucune ligne de données".into()));
    }
    Ok(if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    })
}

pub async fn am_import_form(CurrentUser(s): CurrentUser) -> AppResult<Response> {
    am_region(&s.user)?;
    render_import(&s, StatusCode::OK, am_import_view(String::new()))
}

pub async fn am_import_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    form: UploadForm,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    let (source, mut view) = match am_import_source(&state, &s, &form).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    let rows = match read_am_text(&state, &region, &source.texts[0]).await? {
        Ok(r) => r,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render_import(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let shown: Vec<Vec<String>> = rows
        .iter()
        .map(|(n, f)| {
            vec![
                format!("{AM_FILE}:{n}"),
                f.entity.to_string(),
                f.am_revenue
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "inchangé".into()),
                f.liste_en_sus
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "inchangé".into()),
                f.year
                    .map(|y| y.to_string())
                    .unwrap_or_else(|| "inchangée".into()),
            ]
        })
        .collect();
    view.preview = Some(Preview {
        skipped_lines: Vec::new(),
        summary: vec![format!(
            "{} entité(s) juridique(s) seront mises à jour.",
            rows.len()
        )],
        headers: vec![
            "Ligne",
            "FINESS juridique",
            "Produits AM",
            "Liste en sus",
            "Année",
        ],
        more: 0,
        rows: shown,
    });
    view.token = source::keep(&state, &s.user.id, AM_IMPORT_PAGE, &["contenu"], &source).await?;
    render_import(&s, StatusCode::OK, view)
}

pub async fn am_import_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    form: UploadForm,
) -> AppResult<Response> {
    let region = am_region(&s.user)?;
    let (source, mut view) = match am_import_source(&state, &s, &form).await? {
        Ok(x) => x,
        Err(page) => return Ok(page),
    };
    // Checked again in full: the text came back from the browser or the deposit.
    let rows = match read_am_text(&state, &region, &source.texts[0]).await? {
        Ok(r) => r,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render_import(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let figures: Vec<AmFigures> = rows.into_iter().map(|(_, f)| f).collect();
    match state
        .store
        .set_am_figures(&Actor::user(&s.user), &region, &figures)
        .await
    {
        Ok(n) => {
            source::forget(&state, &source);
            Ok(Redirect::to(&format!("/donnees-am?lignes={n}")).into_response())
        }
        Err(caqes_store::StoreError::Conflict(m)) => {
            view.errors = vec![error_line(AM_FILE, m)];
            render_import(&s, StatusCode::UNPROCESSABLE_ENTITY, view)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------
// The sanction basis of a dossier.

/// The basis of a proposal as shown on the decision page.
pub fn basis_label(basis: Basis, amount: Euros) -> String {
    match basis {
        Basis::ListeEnSus => format!(
            "{amount} (part prise en charge des produits de la liste en sus ; plafond 30\u{202f}%)"
        ),
        _ => format!(
            "{amount} (produits versés par les régimes obligatoires d'assurance maladie, dernier exercice clos)"
        ),
    }
}

/// Both bases of an entity and the one that applies, for the decision page.
pub struct BasisView {
    pub revenue: Option<String>,
    pub revenue_ceiling: Option<String>,
    pub liste_en_sus: Option<String>,
    pub liste_en_sus_ceiling: Option<String>,
    pub chosen_liste_en_sus: bool,
    /// The ARS may still choose (no version yet, and the liste en sus is known).
    pub can_choose: bool,
}

pub async fn basis_view(
    state: &AppState,
    user: &User,
    submission: &caqes_store::Submission,
    referentiel_id: &str,
    has_version: bool,
) -> AppResult<BasisView> {
    let figures = state.store.am_figures(submission.entity.as_str()).await?;
    let params = state
        .store
        .referentiel(referentiel_id)
        .await?
        .map(|r| r.parameters.sanction)
        .ok_or_else(|| AppError::Internal(format!("référentiel {referentiel_id} introuvable")))?;
    let chosen = state.store.sanction_basis(&submission.id).await?;
    Ok(BasisView {
        revenue: figures.am_revenue.map(|e| e.to_string()),
        revenue_ceiling: figures
            .am_revenue
            .map(|e| e.percent(params.plafond_produits_am_pct).to_string()),
        liste_en_sus: figures.liste_en_sus.map(|e| e.to_string()),
        liste_en_sus_ceiling: figures
            .liste_en_sus
            .map(|e| e.percent(params.plafond_liste_en_sus_pct).to_string()),
        chosen_liste_en_sus: chosen == Basis::ListeEnSus,
        can_choose: user.role == Role::Ars && !has_version && figures.liste_en_sus.is_some(),
    })
}

#[derive(Deserialize)]
pub struct BasisForm {
    #[serde(default)]
    assiette: String,
}

pub async fn choose_basis(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(input): Form<BasisForm>,
) -> AppResult<Response> {
    let d = load(&state, &s.user, &campaign_id, &finess).await?;
    if s.user.role != Role::Ars {
        return Err(AppError::NotFound);
    }
    let basis = match input.assiette.as_str() {
        "produits_am" => Basis::ProduitsAm,
        "liste_en_sus" => Basis::ListeEnSus,
        _ => {
            return Err(AppError::Conflict(
                "Assiette inconnue : choisir « produits AM » ou « liste en sus ».".into(),
            ));
        }
    };
    if basis == Basis::ListeEnSus
        && state
            .store
            .am_figures(d.entity.finess.as_str())
            .await?
            .liste_en_sus
            .is_none()
    {
        return Err(AppError::Conflict(
            "Le montant de la liste en sus de l'entité n'est pas renseigné par l'Assurance Maladie."
                .into(),
        ));
    }
    match state
        .store
        .set_sanction_basis(&s.user, &d.campaign.region, &d.submission, basis)
        .await
    {
        Ok(()) => Ok(flash::redirect(
            &format!(
                "/campagnes/{}/dossiers/{}/decision",
                d.campaign.id, d.entity.finess
            ),
            Flash::BasisChosen,
        )),
        Err(caqes_store::StoreError::Conflict(m)) => Err(AppError::Conflict(m)),
        Err(e) => Err(e.into()),
    }
}
