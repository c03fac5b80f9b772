//! PHEV upload: the Open PHMEV files of a campaign, previewed then confirmed.

use caqes_core::RegionCode;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use caqes_core::Finess;
use caqes_core::referentiel::Applicability;
use caqes_core::value::Entry;
use caqes_data::phmev::report::{Computed, compute, write_valeurs, write_valeurs_par_classe};
use caqes_data::phmev::{Config, Rattachement, ReadOptions, dashboard};
use caqes_store::CampaignId;
use caqes_store::am::{AmValue, am_writable};
use caqes_store::phev::PhevDashboard;
use caqes_store::{Actor, Campaign, LegalEntity, StoredValue, User};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{campaign_of_am, error_line};
use crate::auth::{CurrentUser, Session, random_token};
use crate::dossier::fr;
use crate::imports::ErrorLine;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::request::state::AppState;
use crate::request::upload::UploadForm;
use crate::request::upload::deposit::{sweep_older_than, token_dir};
use crate::ui::Layout;
use crate::ui::page::{Page, impl_page};

/// Uploads not confirmed within this delay are deleted.
pub const UPLOAD_TTL: Duration = Duration::from_secs(3600);
/// The PHEV indicators, in the order of the preview.
const PHEV_INDICATORS: [&str; 4] = ["III-01", "III-03", "IV-01", "IV-02"];

/// One indicator value of the preview.
pub struct PhevCell {
    /// The indicator, or one of its classes (`III-03/EPO`, D5).
    pub indicator: String,
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

impl_page!(PhevPage);

fn phev_page(session: &Session, campaign: &Campaign) -> PhevPage {
    PhevPage {
        layout: Layout::for_user(
            &format!("Import PHEV — {}", campaign.title),
            &session.user,
            &session.csrf,
        ),
        campaign_id: campaign.id.to_string(),
        campaign_title: campaign.title.clone(),
        year: campaign.year,
        errors: Vec::new(),
        done: None,
        preview: None,
    }
}

#[derive(Deserialize)]
pub struct PhevDone {
    valeurs: Option<usize>,
}

pub async fn phev_form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<CampaignId>,
    Query(q): Query<PhevDone>,
) -> AppResult<Response> {
    let campaign = campaign_of_am(&state, &s.user, &campaign_id).await?;
    let mut page = phev_page(&s, &campaign);
    if let Some(n) = q.valeurs {
        page.done = Some(format!(
            "Import PHEV enregistré : {n} valeur(s) (source AM)."
        ));
    }
    Ok(page.response())
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
    token_dir(&upload_root(state), token)
}

/// Deletes uploads older than [`UPLOAD_TTL`] (abandoned previews).
fn sweep_old_uploads(state: &AppState) {
    sweep_older_than(&upload_root(state), UPLOAD_TTL);
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
    region: &RegionCode,
) -> AppResult<(BTreeMap<Finess, LegalEntity>, Rattachement)> {
    let mut entities = BTreeMap::new();
    let mut mapping = Rattachement::default();
    for e in state.store.legal_entities_in_region(region).await? {
        for s in state.store.sites_of(&e.finess).await? {
            mapping.entity_of.insert(s.finess, e.finess);
        }
        mapping.names.insert(e.finess, e.name.clone());
        entities.insert(e.finess, e);
    }
    Ok((entities, mapping))
}

/// (indicator, numerator, denominator, why it is not written).
/// One value of the pipeline's rows for an entity of the region.
struct PhevValue {
    /// The indicator, or one of its classes (`III-03/EPO`) when the grid computes III-03
    /// per class (D5), as `caqes phmev --par-classe` writes it.
    code: String,
    numerator: String,
    denominator: String,
    /// The motive of an NC (a class without any box prescribed).
    motive: Option<String>,
    /// Why the value is not written on confirmation (`None`: written).
    skipped: Option<String>,
    /// The value parsed once against the campaign's grid (set when it is written).
    entry: Option<Entry>,
}

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
            .map_err(AppError::failed("calcul des indicateurs PHEV (tâche)"))?;
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
    // The engine rows exactly as the pipeline writes them (`valeurs.csv`): III-03 per class
    // when the campaign's grid computes it per class (D5), as `caqes phmev --par-classe`.
    let per_class = referentiel
        .indicator("III-03")
        .is_some_and(|i| !i.classes.is_empty());
    let mut buffer = Vec::new();
    let written = if per_class {
        write_valeurs_par_classe(
            &computed.entities,
            &config,
            i32::from(campaign.year),
            &mut buffer,
        )
    } else {
        write_valeurs(&computed.entities, i32::from(campaign.year), &mut buffer)
    };
    written.map_err(AppError::failed("écriture des valeurs PHEV"))?;
    let text = String::from_utf8(buffer).map_err(AppError::failed("valeurs PHEV en UTF-8"))?;
    let mut values: BTreeMap<Finess, Vec<PhevValue>> = BTreeMap::new();
    let mut dossier_refusal: HashMap<Finess, Option<String>> = HashMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        let field = |i: usize| f.get(i).copied().unwrap_or_default();
        let code = field(1);
        // An indicator of the pipeline, or one of III-03's classes the grid has.
        let whole = code.split('/').next().unwrap_or(code);
        let (Some(finess), true) = (
            Finess::parse(field(0)).ok(),
            PHEV_INDICATORS.contains(&whole) && referentiel.line_of(code).is_some(),
        ) else {
            continue;
        };
        let Some(entity) = entities.get(&finess) else {
            continue;
        };
        let refusal = match dossier_refusal.get(&finess) {
            Some(r) => r.clone(),
            None => {
                let r = match state.store.submission(&campaign.id, &finess).await? {
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
            .indicator(whole)
            .is_some_and(|i| i.applicability(entity.category) == Applicability::Concerned);
        let skipped = if applies {
            refusal
        } else {
            Some("indicateur non mesurable pour la catégorie".to_owned())
        };
        let (n, d, word) = (field(3), field(4), field(5));
        // Parsed once, here, with the campaign's grid: the store keeps the typed value.
        let (skipped, entry) = match skipped {
            Some(why) => (Some(why), None),
            None => {
                let typed = StoredValue::typed_text(
                    finess,
                    campaign.year,
                    code,
                    Some(n),
                    Some(d),
                    Some(word),
                )
                .parsed_in(&referentiel, false)
                .map(|v| v.entry());
                match typed {
                    Ok(Some(e)) => (None, Some(e)),
                    Ok(None) => (Some("valeur vide".to_owned()), None),
                    Err(e) => (Some(format!("valeur illisible : {}", e.message)), None),
                }
            }
        };
        values.entry(finess).or_default().push(PhevValue {
            code: code.to_owned(),
            numerator: n.to_owned(),
            denominator: d.to_owned(),
            motive: Some(field(6).trim())
                .filter(|m| !m.is_empty())
                .map(str::to_owned),
            skipped,
            entry,
        });
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
        .map_err(AppError::failed("répertoire du dépôt Open PHMEV"))?;
    let mut meta = UploadMeta {
        user: user.id.to_string(),
        campaign: campaign.id.to_string(),
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
                .map_err(AppError::failed("déplacement du fichier Open PHMEV déposé"))?;
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
    let json =
        serde_json::to_vec(&meta).map_err(AppError::failed("description du dépôt Open PHMEV"))?;
    crate::request::files::write_private(&dir.join("meta.json"), &json).map_err(
        AppError::failed("écriture de la description du dépôt Open PHMEV"),
    )?;
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
    Path(campaign_id): Path<CampaignId>,
    form: UploadForm,
) -> AppResult<Response> {
    let campaign = campaign_of_am(&state, &s.user, &campaign_id).await?;
    let mut page = phev_page(&s, &campaign);
    let (token, meta) = match save_upload(&state, &s.user, &campaign, &form).await? {
        Ok(x) => x,
        Err(errors) => {
            page.errors = errors;
            return Ok(page.invalid());
        }
    };
    let dir =
        upload_dir(&state, &token).ok_or_else(|| AppError::Internal("jeton invalide".into()))?;
    let (run, entities) = match run_upload(&state, &campaign, &dir, &meta).await? {
        Ok(r) => r,
        Err(errors) => {
            let _ = std::fs::remove_dir_all(&dir);
            page.errors = errors;
            return Ok(page.invalid());
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
                .map(|v| PhevCell {
                    indicator: v.code.clone(),
                    numerator: v.numerator.clone(),
                    denominator: v.denominator.clone(),
                    rate: match v.entry {
                        Some(Entry::Declared(_)) => "NC".to_owned(),
                        _ => rate_text(&v.code, &v.numerator, &v.denominator),
                    },
                    skipped: v.skipped.clone(),
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
            .filter(|v| v.skipped.is_none())
            .count(),
    });
    Ok(page.response())
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
    Path(campaign_id): Path<CampaignId>,
    Form(input): Form<PhevConfirm>,
) -> AppResult<Response> {
    let campaign = campaign_of_am(&state, &s.user, &campaign_id).await?;
    let mut page = phev_page(&s, &campaign);
    let dir = upload_dir(&state, &input.jeton).ok_or(AppError::NotFound)?;
    let meta: Option<UploadMeta> = std::fs::read(dir.join("meta.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    // Another user's (or another campaign's) upload is not there for this user.
    let Some(meta) =
        meta.filter(|m| m.user == s.user.id.as_str() && m.campaign == campaign.id.as_str())
    else {
        page.errors = vec![error_line(
            "formulaire",
            "ce dépôt n'existe plus (déjà confirmé ou expiré) : déposez de nouveau les fichiers"
                .into(),
        )];
        return Ok(page.invalid());
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
            return Ok(page.invalid());
        }
    };
    let dashboard = match dashboard {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            page.errors = vec![e];
            return Ok(page.invalid());
        }
        None => PhevDashboard::default(),
    };
    let values: Vec<AmValue> = run
        .values
        .iter()
        .flat_map(|(finess, cells)| {
            cells.iter().filter_map(|v| match (&v.skipped, v.entry) {
                (None, Some(entry)) => Some(AmValue {
                    entity: *finess,
                    indicator: v.code.clone(),
                    numerator: v.numerator.clone(),
                    denominator: v.denominator.clone(),
                    entry,
                    motive: v.motive.clone(),
                }),
                _ => None,
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
        Err(caqes_store::StoreError::Conflict(c)) => {
            page.errors = vec![error_line("import PHEV", c.to_string())];
            Ok(page.invalid())
        }
        Err(e) => Err(e.into()),
    }
}
