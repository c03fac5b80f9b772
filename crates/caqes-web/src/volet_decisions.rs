//! The transport volet of one entity in one campaign, once the ARS confirmed it
//! as targeted: the ARS enters the evaluation inputs, the engine gives the cell of
//! the instruction's table and the proposed incentive or sanction, the Assurance
//! Maladie gives its opinion, the DG ARS decides (bounded, motivated), notifies and
//! corrects by a new version. The OMEDIT reads; the établissement sees only the
//! notified versions; anyone else, or outside the scope, gets 404.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caqes_core::Euros;
use caqes_core::sanction::Nature;
use caqes_core::volets::Progress;
use caqes_core::volets::transport::{OptionalObjective, TransportEvaluationInput};
use caqes_store::volet_decisions::{VoletDecision, parse_objective};
use caqes_store::{Campaign, LegalEntity, Opinion, Role, StoreError, User};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CurrentUser, Session};
use crate::dossiers::fr;
use crate::error::{AppError, AppResult};
use crate::pages::Layout;

/// The campaign and entity, if the user may read them; 404 otherwise (admins
/// included: decisions are regional business).
pub(crate) async fn scope(
    state: &AppState,
    user: &User,
    campaign_id: &str,
    finess: &str,
) -> AppResult<(Campaign, LegalEntity)> {
    if user.role == Role::Admin {
        return Err(AppError::NotFound);
    }
    let campaign = state
        .store
        .campaign(campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entity = state
        .store
        .legal_entity(finess)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.can_read_entity(&entity) || entity.region != campaign.region {
        return Err(AppError::NotFound);
    }
    Ok((campaign, entity))
}

pub(crate) fn require(session: &Session, role: Role, what: &str) -> AppResult<()> {
    if session.user.role != role {
        return Err(AppError::Forbidden(format!(
            "{what} est réservé au rôle {}.",
            role.label()
        )));
    }
    Ok(())
}

/// `600 000,50` or `600000.50` → 600000.50 (spaces and « € » ignored).
pub(crate) fn parse_amount(field: &str, text: &str) -> Result<Euros, String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '€')
        .collect::<String>()
        .replace(',', ".");
    match cleaned.parse::<Decimal>() {
        Ok(d) if d.is_sign_negative() => Err(format!("{field} : le montant ne peut être négatif")),
        Ok(d) if d.scale() <= 2 => Ok(Euros(d)),
        Ok(_) => Err(format!("{field} : au plus deux décimales (centimes)")),
        Err(_) => Err(format!("{field} : montant illisible « {} »", text.trim())),
    }
}

pub struct VersionView {
    pub version: i64,
    pub cible: &'static str,
    pub objectif: &'static str,
    pub forecast: String,
    pub observed: String,
    pub revenue: String,
    pub progress: String,
    pub outcome: &'static str,
    pub savings: String,
    pub nature: String,
    pub ceiling: String,
    pub proposed: String,
    pub opinion: Option<String>,
    pub opinion_comment: Option<String>,
    pub opinion_by: Option<String>,
    pub final_amount: Option<String>,
    pub motivation: Option<String>,
    pub decided_by: Option<String>,
    pub notified_on: Option<String>,
    pub correction_reason: Option<String>,
}

fn objective_label(o: OptionalObjective) -> &'static str {
    match o {
        OptionalObjective::Atteint => "atteint",
        OptionalObjective::NonAtteint => "non atteint",
        OptionalObjective::Absent => "pas d'objectif supplémentaire",
    }
}

fn version_view(d: &VoletDecision) -> VersionView {
    VersionView {
        version: d.version,
        cible: if d.input.cible_atteinte {
            "atteinte"
        } else {
            "non atteinte"
        },
        objectif: objective_label(d.input.objectif_supplementaire),
        forecast: d.input.depenses_previsionnelles_sans_mesures.to_string(),
        observed: d.input.depenses_observees.to_string(),
        revenue: d.input.produits_am.to_string(),
        progress: format!(
            "{} %",
            fr(d.input.progression_plan_actions.value() * Decimal::ONE_HUNDRED)
        ),
        outcome: d.outcome.label(),
        savings: d.savings.to_string(),
        nature: match d.proposal.map(|p| p.nature()) {
            Some(Nature::Interessement) => "Intéressement (au plus 30 % des économies)".to_owned(),
            Some(Nature::Sanction) => "Sanction (au plus 1 % des produits AM)".to_owned(),
            None => "Aucun montant".to_owned(),
        },
        ceiling: d.proposal.map_or(Euros::ZERO, |p| p.ceiling()).to_string(),
        proposed: d.proposal.map_or(Euros::ZERO, |p| p.amount()).to_string(),
        opinion: d.opinion.map(|o| o.label().to_owned()),
        opinion_comment: d.opinion_comment.clone(),
        opinion_by: d.opinion_by.clone(),
        final_amount: d.final_amount.map(|e| e.to_string()),
        motivation: d.motivation.clone(),
        decided_by: d.decided_by.clone(),
        notified_on: d.notified_on.map(|n| n.to_string()),
        correction_reason: d.correction_reason.clone(),
    }
}

/// What the evaluation form shows (the current inputs, or the submitted ones).
pub struct InputForm {
    pub cible: String,
    pub objectif: String,
    pub previsionnel: String,
    pub observe: String,
    pub produits: String,
    pub progression: String,
}

#[derive(Template)]
#[template(path = "volet_transport.html")]
pub struct VoletPage {
    pub layout: Layout,
    pub campaign_id: String,
    pub campaign_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub targeted: bool,
    /// Newest first, only the notified ones for an établissement.
    pub versions: Vec<VersionView>,
    pub form: InputForm,
    pub can_evaluate: bool,
    pub can_opine: bool,
    pub can_decide: bool,
    pub can_notify: bool,
    pub can_correct: bool,
    pub proposed: String,
    pub error: Option<String>,
}

async fn render(
    state: &AppState,
    s: &Session,
    campaign: &Campaign,
    entity: &LegalEntity,
    submitted: Option<InputForm>,
    error: Option<String>,
) -> AppResult<String> {
    let targeted = state
        .store
        .is_transport_targeted(&campaign.id, &entity.finess)
        .await?;
    let all = state
        .store
        .volet_decisions_of(&campaign.id, &entity.finess)
        .await?;
    let current = all.last();
    let role = s.user.role;
    let open = current.filter(|d| !d.is_frozen());
    let form = match (submitted, current) {
        (Some(f), _) => f,
        (None, Some(d)) => InputForm {
            cible: if d.input.cible_atteinte { "oui" } else { "non" }.to_owned(),
            objectif: match d.input.objectif_supplementaire {
                OptionalObjective::Atteint => "atteint",
                OptionalObjective::NonAtteint => "non_atteint",
                OptionalObjective::Absent => "absent",
            }
            .to_owned(),
            previsionnel: d
                .input
                .depenses_previsionnelles_sans_mesures
                .amount()
                .to_string(),
            observe: d.input.depenses_observees.amount().to_string(),
            produits: d.input.produits_am.amount().to_string(),
            progression: (d.input.progression_plan_actions.value() * Decimal::ONE_HUNDRED)
                .normalize()
                .to_string(),
        },
        (None, None) => {
            // Prefilled from what the platform knows: the year's transport
            // spending imported by the AM, and the entity's AM revenue.
            let observed = state
                .store
                .transport_spending(&campaign.region, campaign.year)
                .await?
                .into_iter()
                .find(|t| t.entity == entity.finess)
                .map(|t| t.amount.amount().to_string())
                .unwrap_or_default();
            let revenue = state
                .store
                .am_revenue(entity.finess.as_str())
                .await?
                .map(|e| e.amount().to_string())
                .unwrap_or_default();
            InputForm {
                cible: String::new(),
                objectif: "absent".to_owned(),
                previsionnel: String::new(),
                observe: observed,
                produits: revenue,
                progression: String::new(),
            }
        }
    };
    let versions = all
        .iter()
        .rev()
        .filter(|d| role != Role::Etablissement || d.is_frozen())
        .map(version_view)
        .collect();
    let page = VoletPage {
        layout: Layout::for_user(
            &format!("Volet transports — {}", entity.name),
            &s.user,
            &s.csrf,
        ),
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        entity_name: entity.name.clone(),
        entity_finess: entity.finess.to_string(),
        targeted,
        versions,
        form,
        can_evaluate: targeted
            && role == Role::Ars
            && (current.is_none() || open.is_some_and(|d| d.opinion.is_none())),
        can_opine: role == Role::AssuranceMaladie && open.is_some(),
        can_decide: role == Role::Ars && open.is_some_and(|d| d.opinion.is_some()),
        can_notify: role == Role::Ars && open.is_some_and(|d| d.final_amount.is_some()),
        can_correct: role == Role::Ars && current.is_some_and(VoletDecision::is_frozen),
        proposed: current
            .and_then(|d| d.proposal)
            .map_or(Euros::ZERO, |p| p.amount())
            .amount()
            .to_string(),
        error,
    };
    Ok(page.render()?)
}

fn back(campaign: &Campaign, entity: &LegalEntity) -> Response {
    Redirect::to(&format!(
        "/campagnes/{}/dossiers/{}/volets/transports",
        campaign.id, entity.finess
    ))
    .into_response()
}

/// A user's mistake comes back on the page with its French message.
async fn outcome(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    submitted: Option<InputForm>,
    result: Result<VoletDecision, StoreError>,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(back(campaign, entity)),
        Err(StoreError::Conflict(m)) => refused(state, s, campaign, entity, submitted, m).await,
        Err(e) => Err(e.into()),
    }
}

async fn refused(
    state: &AppState,
    s: &Session,
    campaign: &Campaign,
    entity: &LegalEntity,
    submitted: Option<InputForm>,
    message: String,
) -> AppResult<Response> {
    let html = render(state, s, campaign, entity, submitted, Some(message)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
}

/// `GET /campagnes/{campaign}/dossiers/{finess}/volets/transports`
pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
) -> AppResult<Html<String>> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    Ok(Html(
        render(&state, &s, &campaign, &entity, None, None).await?,
    ))
}

#[derive(Deserialize)]
pub struct EvaluationForm {
    #[serde(default)]
    cible_atteinte: String,
    #[serde(default)]
    objectif_supplementaire: String,
    #[serde(default)]
    depenses_previsionnelles: String,
    #[serde(default)]
    depenses_observees: String,
    #[serde(default)]
    produits_am: String,
    #[serde(default)]
    progression: String,
}

fn read_evaluation(f: &EvaluationForm) -> Result<TransportEvaluationInput, String> {
    let cible = match f.cible_atteinte.as_str() {
        "oui" => true,
        "non" => false,
        _ => return Err("Cible principale : indiquez si elle est atteinte (oui ou non).".into()),
    };
    let objectif = parse_objective(&f.objectif_supplementaire)
        .ok_or("Objectif supplémentaire : choisissez atteint, non atteint ou absent.")?;
    let progress = f
        .progression
        .trim()
        .replace(',', ".")
        .parse::<Decimal>()
        .ok()
        .and_then(|p| Progress::from_percent(p).ok())
        .ok_or_else(|| {
            format!(
                "Progression du plan d'actions : un pourcentage entre 0 et 100 est attendu (reçu « {} »).",
                f.progression.trim()
            )
        })?;
    Ok(TransportEvaluationInput {
        cible_atteinte: cible,
        objectif_supplementaire: objectif,
        depenses_previsionnelles_sans_mesures: parse_amount(
            "Dépenses prévisionnelles sans mesures",
            &f.depenses_previsionnelles,
        )?,
        depenses_observees: parse_amount("Dépenses observées", &f.depenses_observees)?,
        produits_am: parse_amount("Produits de l'assurance maladie", &f.produits_am)?,
        progression_plan_actions: progress,
    })
}

/// `POST …/volets/transports/evaluation` (ARS).
pub async fn evaluate(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(f): Form<EvaluationForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::Ars, "L'évaluation du volet transports")?;
    let submitted = InputForm {
        cible: f.cible_atteinte.clone(),
        objectif: f.objectif_supplementaire.clone(),
        previsionnel: f.depenses_previsionnelles.clone(),
        observe: f.depenses_observees.clone(),
        produits: f.produits_am.clone(),
        progression: f.progression.clone(),
    };
    let input = match read_evaluation(&f) {
        Ok(i) => i,
        Err(m) => return refused(&state, &s, &campaign, &entity, Some(submitted), m).await,
    };
    let r = state
        .store
        .record_transport_evaluation(&s.user, &campaign, &entity.finess, &input)
        .await;
    outcome(&state, &s, (&campaign, &entity), Some(submitted), r).await
}

#[derive(Deserialize)]
pub struct OpinionForm {
    #[serde(default)]
    avis: String,
    #[serde(default)]
    commentaire: String,
}

/// `POST …/volets/transports/avis` (Assurance Maladie).
pub async fn give_opinion(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(f): Form<OpinionForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::AssuranceMaladie, "L'avis sur le volet transports")?;
    let Some(opinion) = Opinion::parse(&f.avis) else {
        return refused(
            &state,
            &s,
            &campaign,
            &entity,
            None,
            "Avis : choisissez favorable ou défavorable.".into(),
        )
        .await;
    };
    let r = state
        .store
        .record_volet_opinion(
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

/// `POST …/volets/transports/decision` (ARS).
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
        Err(m) => return refused(&state, &s, &campaign, &entity, None, m).await,
    };
    let r = state
        .store
        .record_volet_decision(
            &s.user,
            &campaign,
            &entity.finess,
            amount,
            Some(&f.motivation),
        )
        .await;
    outcome(&state, &s, (&campaign, &entity), None, r).await
}

/// `POST …/volets/transports/correction` (ARS): a new version of a notified decision.
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
        Err(m) => return refused(&state, &s, &campaign, &entity, None, m).await,
    };
    let r = state
        .store
        .correct_volet_decision(
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

#[derive(Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    date_notification: String,
}

/// `POST …/volets/transports/notification` (ARS).
pub async fn notify(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(String, String)>,
    Form(f): Form<NotifyForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s, Role::Ars, "La notification")?;
    let Ok(on) = f.date_notification.trim().parse::<jiff::civil::Date>() else {
        return refused(
            &state,
            &s,
            &campaign,
            &entity,
            None,
            "Date de notification illisible (attendu AAAA-MM-JJ).".into(),
        )
        .await;
    };
    let r = state
        .store
        .notify_volet_decision(&s.user, &campaign, &entity.finess, on)
        .await;
    outcome(&state, &s, (&campaign, &entity), None, r).await
}
