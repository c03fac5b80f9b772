//! The qualité volet of one entity in one campaign, once the ARS confirmed it as
//! targeted: the ARS enters the complementary objectives and the AM revenue, the
//! engine proposes the sanction (1 % of the AM revenue × r(number of risks) ×
//! (1 − share met)), the AM gives its opinion, the DG ARS decides (bounded,
//! motivated) and notifies. Same roles and 404/403 rules as the transport page
//! (`volet_decisions`), whose scope and parsing helpers it reuses.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::Euros;
use caqes_core::volets::{Objective, Progress};
use caqes_store::quality_decisions::QualityDecision;
use caqes_store::quality_targeting::QUALITE;
use caqes_store::targeting::TargetingStatus;
use caqes_store::{Campaign, LegalEntity, Opinion, Role, StoreError};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, Session};
use crate::dossiers::fr;
use crate::error::AppResult;
use crate::pages::Layout;
use crate::volet_decisions::{parse_amount, require, scope};

/// Number of objective rows of the form (plain HTML, no JavaScript): empty rows
/// are ignored.
const OBJECTIVE_ROWS: usize = 3;

pub struct QualityVersionView {
    pub version: i64,
    pub risks: usize,
    pub objectives: Vec<String>,
    pub share: String,
    pub revenue: String,
    pub ceiling: String,
    pub proposed: String,
    pub opinion: Option<String>,
    pub opinion_comment: Option<String>,
    pub final_amount: Option<String>,
    pub motivation: Option<String>,
    pub notified_on: Option<String>,
    pub correction_reason: Option<String>,
}

fn pct(d: Decimal) -> String {
    format!("{} %", fr(d * Decimal::ONE_HUNDRED))
}

fn version_view(d: &QualityDecision) -> QualityVersionView {
    QualityVersionView {
        version: d.version,
        risks: d.targeted_risks,
        objectives: d
            .objectives
            .iter()
            .map(|o| {
                format!(
                    "{} (poids {}) : {}",
                    o.libelle,
                    fr(o.poids),
                    pct(o.realisation.value())
                )
            })
            .collect(),
        share: pct(d.share_met.value()),
        revenue: d.am_revenue.to_string(),
        ceiling: d.proposal.map_or(Euros::ZERO, |p| p.ceiling()).to_string(),
        proposed: d.proposal.map_or(Euros::ZERO, |p| p.amount()).to_string(),
        opinion: d.opinion.map(|o| o.label().to_owned()),
        opinion_comment: d.opinion_comment.clone(),
        final_amount: d.final_amount.map(|e| e.to_string()),
        motivation: d.motivation.clone(),
        notified_on: d.notified_on.map(|n| n.to_string()),
        correction_reason: d.correction_reason.clone(),
    }
}

/// One objective row of the form, as shown or as submitted.
pub struct ObjectiveRow {
    pub index: usize,
    pub libelle: String,
    pub poids: String,
    pub realisation: String,
}

#[derive(Template)]
#[template(path = "volet_qualite.html")]
pub struct QualityPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub targeted: bool,
    pub versions: Vec<QualityVersionView>,
    pub rows: Vec<ObjectiveRow>,
    pub produits: String,
    pub can_evaluate: bool,
    pub can_opine: bool,
    pub can_decide: bool,
    pub can_notify: bool,
    pub can_correct: bool,
    pub proposed: String,
    pub error: Option<String>,
}

fn empty_rows() -> Vec<ObjectiveRow> {
    (0..OBJECTIVE_ROWS)
        .map(|index| ObjectiveRow {
            index,
            libelle: String::new(),
            poids: "1".to_owned(),
            realisation: String::new(),
        })
        .collect()
}

async fn render(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    submitted: Option<(Vec<ObjectiveRow>, String)>,
    error: Option<String>,
) -> AppResult<String> {
    let targeted = state
        .store
        .confirmed_targeting(&campaign.id, QUALITE)
        .await?
        .iter()
        .any(|c| c.entity == entity.finess && c.status == TargetingStatus::Cible);
    let all = state
        .store
        .quality_decisions_of(&campaign.id, &entity.finess)
        .await?;
    let current = all.last();
    let role = s.user.role;
    let open = current.filter(|d| !d.is_frozen());
    let (rows, produits) = match (submitted, current) {
        (Some(f), _) => f,
        (None, Some(d)) => {
            let mut rows: Vec<ObjectiveRow> = d
                .objectives
                .iter()
                .enumerate()
                .map(|(index, o)| ObjectiveRow {
                    index,
                    libelle: o.libelle.clone(),
                    poids: o.poids.normalize().to_string(),
                    realisation: (o.realisation.value() * Decimal::ONE_HUNDRED)
                        .normalize()
                        .to_string(),
                })
                .collect();
            rows.extend(empty_rows().into_iter().skip(rows.len()));
            (rows, d.am_revenue.amount().to_string())
        }
        (None, None) => {
            let revenue = state
                .store
                .am_revenue(entity.finess.as_str())
                .await?
                .map(|e| e.amount().to_string())
                .unwrap_or_default();
            (empty_rows(), revenue)
        }
    };
    let versions = all
        .iter()
        .rev()
        .filter(|d| role != Role::Etablissement || d.is_frozen())
        .map(version_view)
        .collect();
    let page = QualityPage {
        layout: Layout::for_user(
            &format!("Volet qualité — {}", entity.name),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        entity_name: entity.name.clone(),
        entity_finess: entity.finess.to_string(),
        targeted,
        versions,
        rows,
        produits,
        can_evaluate: targeted
            && role == Role::Ars
            && (current.is_none() || open.is_some_and(|d| d.opinion.is_none())),
        can_opine: role == Role::AssuranceMaladie && open.is_some(),
        can_decide: role == Role::Ars && open.is_some_and(|d| d.opinion.is_some()),
        can_notify: role == Role::Ars && open.is_some_and(|d| d.final_amount.is_some()),
        can_correct: role == Role::Ars && current.is_some_and(QualityDecision::is_frozen),
        proposed: current
            .and_then(|d| d.proposal)
            .map_or(Euros::ZERO, |p| p.amount())
            .amount()
            .to_string(),
        error,
    };
    Ok(page.render()?)
}

async fn outcome(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    submitted: Option<(Vec<ObjectiveRow>, String)>,
    result: Result<QualityDecision, StoreError>,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/campagnes/{}/dossiers/{}/volets/qualite",
            campaign.id, entity.finess
        ))
        .into_response()),
        Err(StoreError::Conflict(m)) => refused(state, s, (campaign, entity), submitted, m).await,
        Err(e) => Err(e.into()),
    }
}

async fn refused(
    state: &AppState,
    s: &Session,
    scope: (&Campaign, &LegalEntity),
    submitted: Option<(Vec<ObjectiveRow>, String)>,
    message: String,
) -> AppResult<Response> {
    let html = render(state, s, scope, submitted, Some(message)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

/// `GET /campagnes/{campaign}/dossiers/{finess}/volets/qualite`
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
) -> AppResult<Html<String>> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    Ok(Html(
        render(&state, &s, (&campaign, &entity), None, None).await?,
    ))
}

/// The form's fields: `libelle_N`, `poids_N`, `realisation_N` (%) and `produits_am`.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn decimal(text: &str) -> Option<Decimal> {
    text.trim().replace(',', ".").parse::<Decimal>().ok()
}

fn read_objectives(rows: &[ObjectiveRow]) -> Result<Vec<Objective>, String> {
    let mut out = Vec::new();
    for r in rows {
        let n = r.index + 1;
        if r.libelle.trim().is_empty() {
            if !r.realisation.trim().is_empty() {
                return Err(format!("Objectif {n} : le libellé est obligatoire."));
            }
            continue;
        }
        let poids = decimal(&r.poids)
            .filter(|p| *p > Decimal::ZERO)
            .ok_or_else(|| {
                format!(
                    "Objectif {n} : poids strictement positif attendu (reçu « {} »).",
                    r.poids.trim()
                )
            })?;
        let realisation = decimal(&r.realisation)
            .and_then(|p| Progress::from_percent(p).ok())
            .ok_or_else(|| {
                format!(
                    "Objectif {n} : réalisation en % entre 0 et 100 attendue (reçu « {} »).",
                    r.realisation.trim()
                )
            })?;
        out.push(Objective {
            libelle: r.libelle.trim().to_owned(),
            poids,
            realisation,
        });
    }
    Ok(out)
}

/// `POST …/volets/qualite/evaluation` (ARS).
pub async fn evaluate(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::Ars, "L'évaluation du volet qualité")?;
    let rows: Vec<ObjectiveRow> = (0..OBJECTIVE_ROWS)
        .map(|index| ObjectiveRow {
            index,
            libelle: field(&fields, &format!("libelle_{index}")).to_owned(),
            poids: field(&fields, &format!("poids_{index}")).to_owned(),
            realisation: field(&fields, &format!("realisation_{index}")).to_owned(),
        })
        .collect();
    let produits = field(&fields, "produits_am").to_owned();
    let parsed = read_objectives(&rows)
        .and_then(|o| parse_amount("Produits de l'assurance maladie", &produits).map(|p| (o, p)));
    let submitted = Some((rows, produits));
    let (objectives, revenue) = match parsed {
        Ok(v) => v,
        Err(m) => return refused(&state, &s, (&campaign, &entity), submitted, m).await,
    };
    let r = state
        .store
        .record_quality_evaluation(&s.user, &campaign, &entity.finess, &objectives, revenue)
        .await;
    outcome(&state, &s, (&campaign, &entity), submitted, r).await
}

#[derive(Deserialize)]
pub struct OpinionForm {
    #[serde(default)]
    avis: String,
    #[serde(default)]
    commentaire: String,
}

/// `POST …/volets/qualite/avis` (Assurance Maladie).
pub async fn give_opinion(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(f): Form<OpinionForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::AssuranceMaladie, "L'avis sur le volet qualité")?;
    let Some(opinion) = Opinion::parse(&f.avis) else {
        let m = "Avis : choisissez favorable ou défavorable.".to_owned();
        return refused(&state, &s, (&campaign, &entity), None, m).await;
    };
    let r = state
        .store
        .record_quality_opinion(
            &s.user,
            &campaign,
            &entity.finess,
            opinion,
            Some(&f.commentaire),
        )
        .await;
    outcome(&state, &s, (&campaign, &entity), None, r).await
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    montant: String,
    #[serde(default)]
    motivation: String,
    #[serde(default)]
    motif: String,
}

/// `POST …/volets/qualite/decision` (ARS).
pub async fn decide(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(f): Form<DecideForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::Ars, "La décision")?;
    let amount = match parse_amount("Montant décidé", &f.montant) {
        Ok(a) => a,
        Err(m) => return refused(&state, &s, (&campaign, &entity), None, m).await,
    };
    let r = state
        .store
        .record_quality_decision(
            &s.user,
            &campaign,
            &entity.finess,
            amount,
            Some(&f.motivation),
        )
        .await;
    outcome(&state, &s, (&campaign, &entity), None, r).await
}

#[derive(Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    date_notification: String,
}

/// `POST …/volets/qualite/notification` (ARS).
pub async fn notify(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(f): Form<NotifyForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::Ars, "La notification")?;
    let Ok(on) = f.date_notification.trim().parse::<jiff::civil::Date>() else {
        let m = "Date de notification illisible (attendu AAAA-MM-JJ).".to_owned();
        return refused(&state, &s, (&campaign, &entity), None, m).await;
    };
    let r = state
        .store
        .notify_quality_decision(&s.user, &campaign, &entity.finess, on)
        .await;
    outcome(&state, &s, (&campaign, &entity), None, r).await
}

/// `POST …/volets/qualite/correction` (ARS): a new version of a notified decision.
pub async fn correct(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(f): Form<DecideForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::Ars, "La correction d'une décision")?;
    let amount = match parse_amount("Montant corrigé", &f.montant) {
        Ok(a) => a,
        Err(m) => return refused(&state, &s, (&campaign, &entity), None, m).await,
    };
    let r = state
        .store
        .correct_quality_decision(
            &s.user,
            &campaign,
            &entity.finess,
            amount,
            Some(&f.motivation),
            &f.motif,
        )
        .await;
    outcome(&state, &s, (&campaign, &entity), None, r).await
}
