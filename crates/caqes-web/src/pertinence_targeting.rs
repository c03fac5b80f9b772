//! Targeting of the pertinence volet for a campaign
//! (`/campagnes/{campaign}/ciblage/pertinence`): the ARS or the AM imports the
//! per-theme activity data of the region's entities (pasted CSV, preview, then
//! all-or-nothing write), everyone in the region sees the engine's funnel test per
//! entity and theme, the ARS confirms the list (excluding needs a motivation); the
//! AM and the OMEDIT read it; an établissement sees only its own line once confirmed.
//!
//! Instruction DSS/A1/CNAMTS/2017/234: « l'ARS et l'assurance maladie identifient
//! les établissements dont l'activité est atypique » from « taux de recours, nombre
//! de séjours »: both hold such data, so both may import. The limits are never
//! computed here: the verdict comes from the store, which runs
//! `caqes_core::volets::pertinence::{proportion_test, ratio_test}`.

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::volets::pertinence::{PertinenceParameters, proportion_test, ratio_test};
use caqes_core::{Finess, Rate};
use caqes_data::evaluation_input::InputError;
use caqes_store::pertinence_targeting::{Measure, PERTINENCE, PertinenceData, verdict_label};
use caqes_store::targeting::TargetingStatus;
use caqes_store::{Campaign, Role, StoreError, User};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, Session};
use crate::dossiers::fr;
use crate::error::{AppError, AppResult};
use crate::imports::{ErrorLine, ImportField, ImportPage, ImportView, Preview, normalize_newlines};
use crate::pages::Layout;
use crate::targeting::{DoneFlag, ImportDone, campaign_for, readable_campaign};

/// Name given in error reports to the pasted pertinence file.
pub const PERTINENCE_FILE: &str = "pertinence.csv";
/// The columns of [`PERTINENCE_FILE`], documented in `docs/platform.md`.
pub const PERTINENCE_COLUMNS: [&str; 8] = [
    "finess",
    "annee",
    "theme",
    "observe",
    "population",
    "ref_numerateur",
    "ref_denominateur",
    "attendu",
];
const PREVIEW_ROWS: usize = 20;

/// A float of the engine's report, in French (comma).
fn num(v: f64, digits: usize) -> String {
    format!("{v:.digits$}").replace('.', ",")
}

fn measure_text(m: &Measure) -> String {
    match m {
        Measure::Proportion {
            observed,
            population,
            reference,
        } => format!(
            "{observed} sur {population} (taux de référence {} / {})",
            fr(reference.numerator()),
            fr(reference.denominator())
        ),
        Measure::Ratio { observed, expected } => {
            format!("{observed} pour {} attendus", fr(*expected))
        }
    }
}

/// The ARS or the AM of the campaign's region imports; 404 for anyone else.
async fn importer_campaign(state: &AppState, user: &User, id: &str) -> AppResult<Campaign> {
    let campaign = readable_campaign(state, user, id).await?;
    if !matches!(user.role, Role::Ars | Role::AssuranceMaladie) {
        return Err(AppError::NotFound);
    }
    Ok(campaign)
}

// ---------------------------------------------------------------------------
// The pertinence targeting screen.

pub struct ThemeLine {
    pub theme: String,
    pub data: String,
    pub observed: String,
    pub expected: String,
    pub low: String,
    pub high: String,
    pub z: String,
    pub p: String,
    pub atypical: bool,
    pub verdict: String,
}

pub struct PertinenceLine {
    pub finess: String,
    pub name: String,
    pub themes: Vec<ThemeLine>,
    pub engine_targeted: bool,
    pub reason: String,
    pub status: String,
    pub excluded: bool,
    pub motivation: String,
}

#[derive(Template)]
#[template(path = "pertinence_targeting.html")]
pub struct PertinencePage {
    pub layout: Layout,
    pub campaign_id: String,
    pub title: String,
    pub year: i16,
    pub lines: Vec<PertinenceLine>,
    pub level: String,
    pub confirmed: bool,
    pub confirmed_at: String,
    pub can_confirm: bool,
    pub can_import: bool,
    pub own_only: bool,
    pub errors: Vec<String>,
    pub done: bool,
}

/// What the ARS submitted for one entity: excluded, motivation.
type Submitted = BTreeMap<Finess, (bool, String)>;

async fn pertinence_page(
    state: &AppState,
    s: &Session,
    campaign: &Campaign,
    submitted: Option<&Submitted>,
    errors: Vec<String>,
) -> AppResult<PertinencePage> {
    let verdicts = state.store.pertinence_verdicts(campaign).await?;
    let confirmed = state
        .store
        .confirmed_targeting(&campaign.id, PERTINENCE)
        .await?;
    let by_entity: HashMap<Finess, _> = confirmed.iter().map(|c| (c.entity, c)).collect();
    let own_only = s.user.role == Role::Etablissement;
    let mut level = String::new();
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
        let limit = |v: Option<u64>| v.map_or_else(|| "aucune".to_owned(), |n| n.to_string());
        lines.push(PertinenceLine {
            finess: v.entity.finess.to_string(),
            name: v.entity.name.clone(),
            themes: v
                .themes
                .iter()
                .map(|t| {
                    level = num(t.test.ciblage.niveau_pct, 1);
                    ThemeLine {
                        theme: t.data.theme.clone(),
                        data: measure_text(&t.data.measure),
                        observed: t.test.observe.to_string(),
                        expected: num(t.test.attendu, 2),
                        low: limit(t.test.ciblage.limite_basse),
                        high: limit(t.test.ciblage.limite_haute),
                        z: num(t.test.z_score, 2),
                        p: num(t.test.p_valeur_bilaterale, 4),
                        atypical: t.test.cible,
                        verdict: verdict_label(&t.test).to_owned(),
                    }
                })
                .collect(),
            engine_targeted: v.targeted,
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
    Ok(PertinencePage {
        layout: Layout::for_user(
            &format!("Ciblage du volet pertinence — {}", campaign.title),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.clone(),
        title: campaign.title.clone(),
        year: campaign.year,
        lines,
        level,
        confirmed: !confirmed.is_empty(),
        confirmed_at: confirmed
            .first()
            .map(|c| c.confirmed_at.chars().take(10).collect())
            .unwrap_or_default(),
        can_confirm: s.user.role == Role::Ars,
        can_import: matches!(s.user.role, Role::Ars | Role::AssuranceMaladie),
        own_only,
        errors,
        done: false,
    })
}

/// `GET /campagnes/{campaign}/ciblage/pertinence`
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Query(q): Query<DoneFlag>,
) -> AppResult<Html<String>> {
    let campaign = readable_campaign(&state, &s.user, &campaign_id).await?;
    let mut page = pertinence_page(&state, &s, &campaign, None, Vec::new()).await?;
    page.done = q.confirme.is_some();
    Ok(Html(page.render()?))
}

/// `POST /campagnes/{campaign}/ciblage/pertinence/confirmer` (ARS): fields
/// `exclure` (repeated, a FINESS) and `motif_{FINESS}`.
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
    let verdicts = state.store.pertinence_verdicts(&campaign).await?;
    let mut errors = Vec::new();
    let mut exclusions = BTreeMap::new();
    let mut submitted = Submitted::new();
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
                "Exclure : l'entité « {f} » n'a pas de données de pertinence pour {}.",
                campaign.year
            ));
        }
    }
    if errors.is_empty() {
        match state
            .store
            .confirm_pertinence_targeting(&s.user, &campaign, &exclusions)
            .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/campagnes/{}/ciblage/pertinence?confirme=1",
                    campaign.id
                ))
                .into_response());
            }
            Err(StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = pertinence_page(&state, &s, &campaign, Some(&submitted), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------------------
// The pertinence data import (ARS or AM).

#[derive(Deserialize)]
pub struct PertinenceInput {
    #[serde(default)]
    pub pertinence: String,
}

fn error(line: Option<u64>, column: Option<&str>, message: String) -> InputError {
    InputError {
        file: PERTINENCE_FILE.to_owned(),
        line,
        column: column.map(str::to_owned),
        message,
    }
}

/// Reads the pasted file: header with every column of [`PERTINENCE_COLUMNS`], one
/// line per legal entity and theme, the campaign year; either `population` with
/// the reference rate (proportion) or `attendu` (ratio). Every error is reported,
/// with its line and column, including the engine's own refusals.
pub async fn read_pertinence_text(
    state: &AppState,
    campaign: &Campaign,
    text: &str,
) -> AppResult<Result<Vec<(u64, PertinenceData)>, Vec<InputError>>> {
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
    let missing: Vec<&str> = PERTINENCE_COLUMNS
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
                PERTINENCE_COLUMNS.join(";")
            ),
        )]));
    }
    let entities = state
        .store
        .legal_entities_in_region(&campaign.region)
        .await?;
    // The engine's checks do not depend on the confidence levels.
    let params = PertinenceParameters::default();
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<(Finess, String), u64> = HashMap::new();
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
            err(
                "finess",
                format!("{finess} n'est pas une entité juridique de la région"),
            );
            continue;
        }
        let theme = get("theme").to_owned();
        if theme.is_empty() {
            err("theme", "thème vide".into());
            continue;
        }
        if let Some(first) = seen.insert((finess, theme.clone()), line) {
            err(
                "theme",
                format!(
                    "{finess}, thème « {theme} » apparaît déjà ligne {first} : une seule ligne par entité et thème"
                ),
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
        let Ok(observed) = get("observe").parse::<u64>() else {
            err(
                "observe",
                format!(
                    "nombre entier positif ou nul illisible « {} »",
                    get("observe")
                ),
            );
            continue;
        };
        let has = |c: &str| !get(c).is_empty();
        let measure = match (
            has("population") || has("ref_numerateur") || has("ref_denominateur"),
            has("attendu"),
        ) {
            (true, false) => {
                let Ok(population) = get("population").parse::<u64>() else {
                    err(
                        "population",
                        format!("nombre entier positif illisible « {} »", get("population")),
                    );
                    continue;
                };
                let rate = match (
                    caqes_core::value::parse_decimal(get("ref_numerateur")),
                    caqes_core::value::parse_decimal(get("ref_denominateur")),
                ) {
                    (Some(n), Some(d)) => Rate::proportion(n, d).ok(),
                    _ => None,
                };
                let Some(reference) = rate else {
                    err(
                        "ref_denominateur",
                        format!(
                            "taux de référence illisible « {} / {} » : numérateur et dénominateur positifs, numérateur au plus égal au dénominateur",
                            get("ref_numerateur"),
                            get("ref_denominateur")
                        ),
                    );
                    continue;
                };
                Measure::Proportion {
                    observed,
                    population,
                    reference,
                }
            }
            (false, true) => match caqes_core::value::parse_decimal(get("attendu")) {
                Some(expected) => Measure::Ratio { observed, expected },
                None => {
                    err(
                        "attendu",
                        format!("nombre illisible « {} »", get("attendu")),
                    );
                    continue;
                }
            },
            _ => {
                err(
                    "attendu",
                    "remplir soit population, ref_numerateur et ref_denominateur (proportion), soit attendu (ratio)"
                        .into(),
                );
                continue;
            }
        };
        let tested = match &measure {
            Measure::Proportion {
                observed,
                population,
                reference,
            } => proportion_test(&params, *observed, *population, reference),
            Measure::Ratio { observed, expected } => ratio_test(&params, *observed, *expected),
        };
        if let Err(e) = tested {
            let column = match measure {
                Measure::Proportion { .. } => "population",
                Measure::Ratio { .. } => "attendu",
            };
            err(column, e.to_string());
            continue;
        }
        rows.push((
            line,
            PertinenceData {
                entity: finess,
                year: campaign.year,
                theme,
                measure,
            },
        ));
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
        heading: format!("Importer les données de pertinence — {}", campaign.title),
        intro: "Coller le contenu de « pertinence.csv » (séparateur « ; ») : \
                finess;annee;theme;observe;population;ref_numerateur;ref_denominateur;attendu. \
                Une ligne par entité juridique de la région et par thème (acte, priorité du PAPRAPS), pour \
                l'année de la campagne. Soit une proportion : observe événements sur une population, comparés \
                au taux de référence ref_numerateur / ref_denominateur (test binomial exact) ; soit un ratio : \
                observe comparé au nombre attendu (attendu, standardisation indirecte ; test de Poisson exact). \
                Virgule ou point décimal. Une ligne remplace les données déjà importées de la même entité pour \
                le même thème et la même année. Rien n'est enregistré avant la confirmation.",
        back_link: format!("/campagnes/{}/ciblage/pertinence", campaign.id),
        back_label: "Ciblage du volet pertinence".to_owned(),
        base: format!("/campagnes/{}/ciblage/pertinence/import", campaign.id),
        fields: vec![ImportField {
            name: "pertinence",
            label: "Données de pertinence (pertinence.csv)",
            hint: "Exemple : 310000019;2018;Cholécystectomie;22;;;;10",
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

/// `GET /campagnes/{campaign}/ciblage/pertinence/import` (ARS or AM).
pub async fn import_form(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Query(q): Query<ImportDone>,
) -> AppResult<Response> {
    let campaign = importer_campaign(&state, &s.user, &campaign_id).await?;
    let mut view = import_view(&campaign, String::new());
    if let Some(n) = q.lignes {
        view.done = Some(format!(
            "Import enregistré : {n} ligne(s) de données de pertinence."
        ));
    }
    render_import(&s, StatusCode::OK, view)
}

/// `POST /campagnes/{campaign}/ciblage/pertinence/import/apercu`
pub async fn import_preview(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(input): Form<PertinenceInput>,
) -> AppResult<Response> {
    let campaign = importer_campaign(&state, &s.user, &campaign_id).await?;
    let mut view = import_view(&campaign, input.pertinence.clone());
    let rows = match read_pertinence_text(&state, &campaign, &input.pertinence).await? {
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
                format!("{PERTINENCE_FILE}:{line}"),
                r.entity.to_string(),
                r.year.to_string(),
                r.theme.clone(),
                measure_text(&r.measure),
            ]
        })
        .collect();
    view.preview = Some(Preview {
        summary: vec![format!(
            "{} ligne(s) de données de pertinence seront enregistrées pour l'année {}.",
            rows.len(),
            campaign.year
        )],
        headers: vec!["Ligne", "FINESS juridique", "Année", "Thème", "Données"],
        more: table.len().saturating_sub(PREVIEW_ROWS),
        rows: table.into_iter().take(PREVIEW_ROWS).collect(),
    });
    render_import(&s, StatusCode::OK, view)
}

/// `POST /campagnes/{campaign}/ciblage/pertinence/import/confirmer`: checked
/// again in full, then written in one transaction with its audit line.
pub async fn import_confirm(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(campaign_id): Path<String>,
    Form(input): Form<PertinenceInput>,
) -> AppResult<Response> {
    let campaign = importer_campaign(&state, &s.user, &campaign_id).await?;
    let mut view = import_view(&campaign, input.pertinence.clone());
    let rows = match read_pertinence_text(&state, &campaign, &input.pertinence).await? {
        Ok(r) => r,
        Err(errors) => {
            view.errors = errors.iter().map(ErrorLine::from).collect();
            return render_import(&s, StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let rows: Vec<PertinenceData> = rows.into_iter().map(|(_, r)| r).collect();
    match state
        .store
        .import_pertinence_data(&s.user, &campaign.region, PERTINENCE_FILE, &rows)
        .await
    {
        Ok(n) => Ok(Redirect::to(&format!(
            "/campagnes/{}/ciblage/pertinence/import?lignes={n}",
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
