//! The dossier of one legal entity for one campaign: the data-entry form
//! generated from the référentiel, the live score, and the workflow actions.

pub mod comments;
pub mod decision;
pub mod engagements;

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::referentiel::{Applicability, Referentiel, Source};
use caqes_core::scoring::{self, Score};
use caqes_core::value::Field;
use caqes_core::workflow::available_actions;
use caqes_store::{
    Action, Actor, Campaign, LegalEntity, Role, ScoreRecord, Site, StoredValue, Submission, User,
};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::{CurrentUser, Session};
use crate::engine::{entity_entries, parse_site_entry, status_label, value_hint};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path, Query};
use crate::state::AppState;
use crate::ui::Layout;

/// Everything a dossier page is about, loaded only within the user's scope.
pub struct Dossier {
    pub campaign: Campaign,
    pub entity: LegalEntity,
    pub sites: Vec<Site>,
    pub submission: Submission,
    pub referentiel: Referentiel,
}

/// Loads a dossier, answering 404 for anything outside the user's scope.
pub async fn load(
    state: &AppState,
    user: &User,
    campaign_id: &str,
    finess: &str,
) -> AppResult<Dossier> {
    // One query for the three: the same 404 whichever is missing.
    let (campaign, entity, submission) = state
        .store
        .dossier_parts(campaign_id, finess)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.can_read_entity(&entity) || entity.region != campaign.region {
        return Err(AppError::NotFound);
    }
    let sites = state.store.sites_of(finess).await?;
    let referentiel = state
        .store
        .referentiel(&campaign.referentiel_id)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "référentiel {} introuvable",
                campaign.referentiel_id
            ))
        })?;
    Ok(Dossier {
        campaign,
        entity,
        sites,
        submission,
        referentiel,
    })
}

/// French display of a decimal (2 decimals at most, comma separator).
pub fn fr(d: Decimal) -> String {
    caqes_core::rate::round_half_away(d, 2)
        .normalize()
        .to_string()
        .replace('.', ",")
}

/// Whether the établissement itself enters this indicator (others come from
/// the Assurance Maladie, the ARS or the ATIH).
fn entered_by_establishment(sources: &[Source]) -> bool {
    sources.is_empty() || sources.contains(&Source::ES)
}

pub struct SiteInput {
    pub site_name: String,
    /// HTML id part: `{site}-{code}`.
    pub id: String,
    /// Form field suffix: `{site}:{code}` (fields `n:…`, `d:…`, `v:…`).
    pub key: String,
    pub n: String,
    pub d: String,
    pub v: String,
    pub error: Option<String>,
    pub error_field: &'static str,
}

pub struct RowView {
    pub code: String,
    pub label: String,
    pub numerator_def: Option<String>,
    pub denominator_def: Option<String>,
    pub sources: String,
    pub unit: String,
    pub status: String,
    pub concerned: bool,
    pub numeric: bool,
    pub editable: bool,
    pub bonus: bool,
    pub max_points: String,
    pub points: String,
    pub target: String,
    pub met: String,
    pub hint: &'static str,
    pub comment: Option<String>,
    pub sites: Vec<SiteInput>,
}

pub struct PartView {
    pub number: String,
    pub title: String,
    pub rows: Vec<RowView>,
}

pub struct ActionButton {
    pub code: &'static str,
    pub label: &'static str,
    pub needs_comment: bool,
}

pub struct HistoryLine {
    pub at: String,
    pub from: &'static str,
    pub to: &'static str,
    pub actor: String,
    pub comment: Option<String>,
}

pub struct DossierView {
    pub campaign_id: String,
    pub campaign_title: String,
    pub year: i16,
    pub referentiel_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub category: String,
    pub site_count: usize,
    pub state_label: &'static str,
    pub editable: bool,
    pub actions: Vec<ActionButton>,
    pub score: String,
    pub bonus: String,
    pub total: String,
    pub stored_score: Option<String>,
    pub warnings: Vec<String>,
    pub parts: Vec<PartView>,
    pub history: Vec<HistoryLine>,
    pub last_comment: Option<String>,
    pub saved: bool,
    pub error_count: usize,
    pub deadline: String,
    pub days_left: i64,
    pub message: Option<String>,
    /// Comments the user may read, and the form when the user may comment.
    pub comments: comments::CommentsView,
}

/// Typed values per (site, indicator), as shown in the inputs.
type Typed = BTreeMap<(String, String), (String, String, String)>;
/// Errors per (site, indicator).
type Errors = BTreeMap<(String, String), (Field, String)>;

fn typed_from_stored(stored: &[StoredValue]) -> Typed {
    stored
        .iter()
        .map(|v| {
            let value = v.declared.clone().or(v.value.clone()).unwrap_or_default();
            (
                (v.site.to_string(), v.indicator.clone()),
                (
                    v.numerator.clone().unwrap_or_default(),
                    v.denominator.clone().unwrap_or_default(),
                    value,
                ),
            )
        })
        .collect()
}

pub use caqes_store::today;

fn score_of(
    d: &Dossier,
    stored: &[StoredValue],
    targets: &BTreeMap<String, Decimal>,
) -> (Score, Vec<String>) {
    let (entries, mut warnings) =
        entity_entries(&d.referentiel, d.entity.finess, d.sites.len(), stored);
    let score = scoring::score(
        &d.referentiel,
        d.entity.category,
        d.campaign.year,
        &entries,
        targets,
    );
    warnings.extend(score.warnings.iter().cloned());
    (score, warnings)
}

async fn render(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    typed: Option<(Typed, Errors)>,
    saved: bool,
    message: Option<String>,
) -> AppResult<String> {
    let user = &session.user;
    let stored = state
        .store
        .values_for_entity(d.entity.finess.as_str(), d.campaign.year)
        .await?;
    let targets = state
        .store
        .targets_for(d.entity.finess.as_str(), d.campaign.year)
        .await?;
    let (score, warnings) = score_of(d, &stored, &targets);
    let lines: BTreeMap<&str, &scoring::Line> =
        score.lines.iter().map(|l| (l.code.as_str(), l)).collect();
    let (typed, errors) = typed.unwrap_or_else(|| (typed_from_stored(&stored), Errors::new()));
    let is_owner = user.role == Role::Etablissement;
    let editable = is_owner && d.submission.state.is_editable();

    let mut parts: Vec<PartView> = d
        .referentiel
        .parts
        .iter()
        .map(|p| PartView {
            number: p.number.clone(),
            title: p.title.clone(),
            rows: Vec::new(),
        })
        .collect();
    for ind in &d.referentiel.indicators {
        let line = lines.get(ind.code.as_str());
        let status = line.map_or(ind.applicability(d.entity.category), |l| l.status);
        let category_status = ind.applicability(d.entity.category);
        let sites = d
            .sites
            .iter()
            .map(|s| {
                let key = (s.finess.to_string(), ind.code.clone());
                let (n, dd, v) = typed.get(&key).cloned().unwrap_or_default();
                let err = errors.get(&key);
                SiteInput {
                    site_name: format!("{} ({})", s.name, s.finess),
                    id: format!("{}-{}", s.finess, ind.code),
                    key: format!("{}:{}", s.finess, ind.code),
                    n,
                    d: dd,
                    v,
                    error: err.map(|(_, m)| m.clone()),
                    error_field: err.map_or("", |(f, _)| f.column()),
                }
            })
            .collect();
        let row = RowView {
            code: ind.code.clone(),
            label: ind.label.clone(),
            numerator_def: ind.numerator.clone(),
            denominator_def: ind.denominator.clone(),
            sources: ind
                .sources
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            unit: ind.unit.clone(),
            status: status_label(status).to_owned(),
            concerned: category_status != Applicability::Nc,
            numeric: ind.is_numeric(),
            editable: editable
                && entered_by_establishment(&ind.sources)
                && category_status != Applicability::Nc,
            bonus: ind.bonus,
            max_points: line.map_or_else(|| fr(ind.points), |l| fr(l.max_points)),
            points: line.map_or_else(String::new, |l| fr(l.points)),
            target: line
                .and_then(|l| l.target)
                .map(fr)
                .or(ind.baseline_target.clone())
                .unwrap_or_default(),
            met: match line.and_then(|l| l.met) {
                Some(true) => "atteint".into(),
                Some(false) => "non atteint".into(),
                None => String::new(),
            },
            hint: value_hint(ind),
            comment: ind.comment.clone(),
            sites,
        };
        match parts.iter_mut().find(|p| p.number == ind.part) {
            Some(p) => p.rows.push(row),
            None => parts.push(PartView {
                number: ind.part.clone(),
                title: String::new(),
                rows: vec![row],
            }),
        }
    }
    parts.retain(|p| !p.rows.is_empty());

    let history = state
        .store
        .transitions_of(&d.submission.id)
        .await?
        .into_iter()
        .map(|t| HistoryLine {
            at: t.at.replace('T', " ").chars().take(16).collect(),
            from: t.from.label(),
            to: t.to.label(),
            actor: t.actor,
            comment: t.comment,
        })
        .collect();
    let actions = available_actions(d.submission.state, user.role)
        .into_iter()
        .map(|a| ActionButton {
            code: a.code(),
            label: a.label(),
            needs_comment: a.requires_comment(),
        })
        .collect();
    let view = DossierView {
        campaign_id: d.campaign.id.clone(),
        campaign_title: d.campaign.title.clone(),
        year: d.campaign.year,
        referentiel_title: d.referentiel.title.clone(),
        entity_name: d.entity.name.clone(),
        entity_finess: d.entity.finess.to_string(),
        category: d.entity.category.label().to_owned(),
        site_count: d.sites.len(),
        state_label: d.submission.state.label(),
        editable,
        actions,
        score: fr(score.score),
        bonus: fr(score.bonus),
        total: fr(score.total),
        stored_score: d.submission.total.map(fr),
        warnings,
        parts,
        history,
        last_comment: d.submission.last_comment.clone(),
        saved,
        error_count: errors.len(),
        deadline: d
            .campaign
            .submission_deadline
            .strftime("%d/%m/%Y")
            .to_string(),
        days_left: today()
            .until(d.campaign.submission_deadline)
            .map_or(0, |s| i64::from(s.get_days())),
        message,
        comments: comments::comments_view(state, user, d).await?,
    };
    let layout = Layout::for_user(
        &format!("{} — {}", d.entity.name, d.campaign.title),
        user,
        &session.csrf,
    );
    Ok(DossierPage { layout, view }.render()?)
}

#[derive(Deserialize)]
pub struct ShowQuery {
    enregistre: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Html<String>> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    Ok(Html(
        render(&state, &session, &d, None, q.enregistre.is_some(), None).await?,
    ))
}

/// Reads the form's fields (`n:{site}:{code}`, `d:…`, `v:…`) for the
/// indicators the établissement enters; fields of other sites or indicators are
/// ignored. Returns the valid values, what was typed, and the errors.
fn parse_form(d: &Dossier, pairs: Vec<(String, String)>) -> (Vec<StoredValue>, Typed, Errors) {
    let form: BTreeMap<String, String> = pairs.into_iter().collect();
    let field = |kind: &str, site: &str, code: &str| -> String {
        form.get(&format!("{kind}:{site}:{code}"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let multi = d.sites.len() > 1;
    let mut typed = Typed::new();
    let mut errors = Errors::new();
    let mut values = Vec::new();
    for ind in &d.referentiel.indicators {
        if !entered_by_establishment(&ind.sources)
            || ind.applicability(d.entity.category) == Applicability::Nc
        {
            continue;
        }
        for s in &d.sites {
            let site = s.finess.to_string();
            let (n, den, v) = (
                field("n", &site, &ind.code),
                field("d", &site, &ind.code),
                field("v", &site, &ind.code),
            );
            typed.insert(
                (site.clone(), ind.code.clone()),
                (n.clone(), den.clone(), v.clone()),
            );
            let opt = |t: &String| (!t.is_empty()).then(|| t.clone());
            let declared =
                matches!(v.to_uppercase().as_str(), "NC" | "NM").then(|| v.to_uppercase());
            if !(n.is_empty() && den.is_empty() && v.is_empty())
                && let Err(e) = parse_site_entry(
                    ind,
                    multi,
                    opt(&n).as_deref(),
                    opt(&den).as_deref(),
                    opt(&v).as_deref(),
                )
            {
                errors.insert((site.clone(), ind.code.clone()), (e.field, e.message));
                continue;
            }
            values.push(StoredValue {
                site: s.finess,
                year: d.campaign.year,
                indicator: ind.code.clone(),
                numerator: opt(&n),
                denominator: opt(&den),
                value: if declared.is_some() { None } else { opt(&v) },
                declared,
            });
        }
    }
    (values, typed, errors)
}

/// The live preview while typing (progressive enhancement: `static/caqes.js`):
/// the score with the values typed so far and the errors, nothing saved.
pub async fn preview(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<axum::Json<serde_json::Value>> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if session.user.role != Role::Etablissement {
        return Err(AppError::Forbidden(
            "Seul l'établissement saisit ses valeurs.".into(),
        ));
    }
    let (mut values, _, errors) = parse_form(&d, pairs);
    // Indicators not entered by the établissement keep their stored values.
    let stored = state
        .store
        .values_for_entity(d.entity.finess.as_str(), d.campaign.year)
        .await?;
    let typed_codes: BTreeSet<String> = values.iter().map(|v| v.indicator.clone()).collect();
    values.extend(stored.into_iter().filter(|v| {
        !typed_codes.contains(&v.indicator)
            && d.referentiel
                .indicator(&v.indicator)
                .is_some_and(|i| !entered_by_establishment(&i.sources))
    }));
    values.retain(|v| {
        v.numerator.is_some()
            || v.denominator.is_some()
            || v.value.is_some()
            || v.declared.is_some()
    });
    let targets = state
        .store
        .targets_for(d.entity.finess.as_str(), d.campaign.year)
        .await?;
    let (score, _) = score_of(&d, &values, &targets);
    let errors: BTreeMap<String, String> = errors
        .into_iter()
        .map(|((site, code), (_, message))| (format!("{site}-{code}"), message))
        .collect();
    Ok(axum::Json(serde_json::json!({
        "score": fr(score.score),
        "bonus": fr(score.bonus),
        "total": fr(score.total),
        "errors": errors,
    })))
}

/// Saves a draft: every field is validated with the engine's rules; if any
/// is wrong nothing is saved and the form comes back with the messages.
pub async fn save_values(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if session.user.role != Role::Etablissement {
        return Err(AppError::Forbidden(
            "Seul l'établissement saisit ses valeurs.".into(),
        ));
    }
    if !d.submission.state.is_editable() {
        return Err(AppError::Conflict(format!(
            "Le dossier est à l'état « {} » : les valeurs ne peuvent plus être modifiées.",
            d.submission.state.label()
        )));
    }
    let (values, typed, errors) = parse_form(&d, pairs);
    if !errors.is_empty() {
        let html = render(&state, &session, &d, Some((typed, errors)), false, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    state
        .store
        .save_values(&Actor::user(&session.user), &d.campaign, &d.entity, &values)
        .await?;
    Ok(Redirect::to(&format!(
        "/campagnes/{campaign_id}/dossiers/{finess}?enregistre=1"
    ))
    .into_response())
}

#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
    #[serde(default)]
    commentaire: String,
}

/// Applies a workflow action; the store checks the role and the state again in its transaction.
pub async fn apply_action(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    let action = Action::parse(&form.action)
        .ok_or_else(|| AppError::Forbidden("Action inconnue.".into()))?;
    let stored = state
        .store
        .values_for_entity(d.entity.finess.as_str(), d.campaign.year)
        .await?;
    let targets = state
        .store
        .targets_for(d.entity.finess.as_str(), d.campaign.year)
        .await?;
    let (score, _) = score_of(&d, &stored, &targets);
    if action == Action::Soumettre {
        let entered: BTreeSet<&str> = stored.iter().map(|v| v.indicator.as_str()).collect();
        let missing: Vec<&str> = d
            .referentiel
            .indicators
            .iter()
            .filter(|i| {
                entered_by_establishment(&i.sources)
                    && i.applicability(d.entity.category) != Applicability::Nc
            })
            .map(|i| i.code.as_str())
            .filter(|c| !entered.contains(c))
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "Soumission impossible : valeur manquante pour {} (saisir la valeur, ou NC / NM).",
                missing.join(", ")
            );
            let html = render(&state, &session, &d, None, false, Some(message)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
        }
    }
    let record = (action == Action::Evaluer).then_some(ScoreRecord {
        score: score.score,
        bonus: score.bonus,
        total: score.total,
    });
    let comment = Some(form.commentaire.as_str()).filter(|c| !c.trim().is_empty());
    state
        .store
        .apply_action(
            &session.user,
            &d.submission,
            &d.entity.region,
            action,
            comment,
            record,
        )
        .await?;
    Ok(Redirect::to(&format!("/campagnes/{campaign_id}/dossiers/{finess}")).into_response())
}

#[derive(Template)]
#[template(path = "dossier.html")]
pub struct DossierPage {
    pub layout: Layout,
    pub view: DossierView,
}
