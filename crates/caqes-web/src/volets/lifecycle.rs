//! The pages of the additional volets share their life cycle (store:
//! `caqes_store::volets::lifecycle`): the Assurance Maladie's opinion, the DG
//! ARS's bounded and motivated decision, the notification freezing it and the
//! correction as a new version. This module holds those four handlers, generic
//! over the volet, the scope and role checks, and the views the templates
//! include (`volet_lifecycle_version.html`, `volet_lifecycle_forms.html`). Each
//! volet's module keeps its own evaluation form and page ([`VoletScreen`]).
//!
//! Access: the ARS and the AM act, the OMEDIT reads, the établissement sees only
//! the notified versions; anyone else, or outside the scope, gets 404.

use std::future::Future;

use axum::extract::State;
use axum::response::Response;
use caqes_core::Euros;
use caqes_core::Finess;
use caqes_store::CampaignId;
use caqes_store::volets::lifecycle::{FinalDecision, VoletKind, VoletOutcome, VoletVersion};
use caqes_store::{Campaign, LegalEntity, Opinion, Role, StoreError, User};
use rust_decimal::Decimal;
use serde::Deserialize;

use caqes_core::calendar::Contestation;
use caqes_core::sanction::Nature;

use crate::auth::role::require;
use crate::auth::{CurrentUser, Session};
use crate::dossier::campaign_and_entity;
use crate::dossier::decision::{DeadlineView, DecisionWrite, appeal_deadlines};
use crate::notifications::receipt::ReceiptView;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};
use crate::ui::page::Page;
use caqes_store::ReceiptId;
use caqes_store::notify::receipt::ReceiptKind;

/// The campaign and entity, if the user may read them; 404 otherwise (admins
/// included: decisions are regional business).
pub(crate) async fn scope(
    state: &AppState,
    user: &User,
    campaign_id: &CampaignId,
    finess: &Finess,
) -> AppResult<(Campaign, LegalEntity)> {
    if user.role == Role::Admin {
        return Err(AppError::NotFound);
    }
    campaign_and_entity(state, user, campaign_id, finess).await
}

/// An amount typed in a form field, through the one French amount reader
/// (`Euros::parse_fr`), its error prefixed with the field's label.
pub(crate) fn parse_amount(field: &str, text: &str) -> Result<Euros, String> {
    Euros::parse_fr(text).map_err(|e| format!("{field} : {e}"))
}

/// One volet's page, for the generic handlers.
pub(crate) trait VoletScreen: VoletKind {
    /// The URL segment after `/volets/`.
    const SEGMENT: &'static str;
    /// « volet transports », in messages.
    const LABEL: &'static str;
    /// « Volet transports », in the page's title.
    const TITLE: &'static str;
    /// The campaign's targeting screen for this volet (the path after the
    /// campaign's) and its link's words.
    const TARGETING: (&'static str, &'static str);
    /// The evaluation form as submitted, shown again with an error.
    type Submitted: Send;
    /// The volet's page.
    type Page: Page + Send;
    fn render<'a>(
        state: &'a AppState,
        s: &'a Session,
        scope: (&'a Campaign, &'a LegalEntity),
        submitted: Option<Self::Submitted>,
        error: Option<String>,
    ) -> impl Future<Output = AppResult<Self::Page>> + Send + 'a;
    /// The objectives of an evaluation and the action plan's progress (in %),
    /// as the decision letter lists them.
    fn letter_objectives(
        evaluation: &Self::Evaluation,
    ) -> (Vec<caqes_documents::ObjectiveResult>, Option<Decimal>);
}

/// A complementary objective as the letters list it (met, missed, or a level).
pub(crate) fn objective_result(
    o: &caqes_core::volets::Objective,
) -> caqes_documents::ObjectiveResult {
    let v = o.realisation.value();
    caqes_documents::ObjectiveResult {
        main: false,
        label: o.libelle.clone(),
        target: None,
        result: caqes_documents::format::percent_trimmed(v * Decimal::ONE_HUNDRED, 1),
        met: if v == Decimal::ONE {
            Some(true)
        } else if v == Decimal::ZERO {
            Some(false)
        } else {
            None
        },
    }
}

/// The main objective (obligation de résultat) of a volet.
pub(crate) fn main_objective(label: &str, met: bool) -> caqes_documents::ObjectiveResult {
    caqes_documents::ObjectiveResult {
        main: true,
        label: label.to_owned(),
        target: None,
        result: if met { "atteint" } else { "non atteint" }.to_owned(),
        met: Some(met),
    }
}

/// The life-cycle part of one version, as the templates show it.
pub struct LifeView {
    pub outcome: &'static str,
    /// The consequence is a mise sous accord préalable (a duration, no amount).
    pub is_msap: bool,
    pub ceiling: String,
    /// The proposed amount, or the contract's MSAP duration (« 6 mois »).
    pub proposed: String,
    pub opinion: Option<String>,
    pub opinion_comment: Option<String>,
    pub opinion_by: Option<String>,
    pub final_amount: Option<String>,
    /// « 6 mois », « non prononcée »: MSAP only.
    pub final_msap: Option<String>,
    pub msap_period: Option<String>,
    pub motivation: Option<String>,
    pub decided_by: Option<String>,
    pub notified_on: Option<String>,
    pub correction_reason: Option<String>,
    /// « 03/02/2020 (accusé de réception …) » for a received notified version.
    pub received: Option<String>,
}

pub(crate) fn life_view<V: VoletKind>(d: &VoletVersion<V::Evaluation>) -> LifeView {
    let is_msap = d.outcome == VoletOutcome::MiseSousAccordPrealable;
    LifeView {
        outcome: d.outcome.label(),
        is_msap,
        ceiling: d.proposal.map_or(Euros::ZERO, |p| p.ceiling()).to_string(),
        proposed: match V::msap_months(&d.evaluation).filter(|_| is_msap) {
            Some(m) => format!("{m} mois"),
            None => d.proposal.map_or(Euros::ZERO, |p| p.amount()).to_string(),
        },
        opinion: d.opinion.map(|o| o.label().to_owned()),
        opinion_comment: d.opinion_comment.clone(),
        opinion_by: d.opinion_by.clone(),
        final_amount: d
            .final_amount
            .filter(|_| d.final_msap_months.is_none())
            .map(|e| e.to_string()),
        final_msap: d.final_msap_months.map(|m| match m {
            0 => "non prononcée".to_owned(),
            m => format!("{m} mois"),
        }),
        msap_period: d.msap_period().map(|p| {
            format!(
                "du {} au {}",
                crate::ui::fr::date(p.start),
                crate::ui::fr::date(p.end)
            )
        }),
        motivation: d.motivation.clone(),
        decided_by: d.decided_by.clone(),
        notified_on: d.notified_on.map(crate::ui::fr::date),
        correction_reason: d.correction_reason.clone(),
        received: d
            .receipt
            .as_ref()
            .map(crate::notifications::receipt::describe),
    }
}

/// What the forms of the life cycle need: which ones the user may use, and the
/// proposal to prefill the decision.
pub struct LifecycleView {
    pub segment: &'static str,
    pub can_evaluate: bool,
    pub can_opine: bool,
    pub can_decide: bool,
    pub can_notify: bool,
    pub can_correct: bool,
    /// The decision is a duration (MSAP) rather than an amount.
    pub in_months: bool,
    /// The proposed amount, or the contract's MSAP duration.
    pub proposed: String,
    /// The appeals against the latest notified version, from its receipt,
    /// with the days left.
    pub appeals: Vec<DeadlineView>,
    /// The latest notified version's receipt (with the ARS's paper form).
    pub receipt: Option<ReceiptView>,
    /// The latest notified version's letter (PDF), once notified.
    pub letter: Option<String>,
    /// Today in Europe/Paris, prefilled as the notification date (as on the volet
    /// obligatoire's decision page).
    pub today: String,
}

/// The forms the user may use on a volet whose versions are `all` (oldest
/// first); `targeted`: the entity is in the confirmed targeting.
pub(crate) async fn lifecycle<V: VoletScreen>(
    state: &AppState,
    campaign: &Campaign,
    (role, targeted): (Role, bool),
    all: &[VoletVersion<V::Evaluation>],
) -> AppResult<LifecycleView> {
    let appeals = match all.iter().rev().find(|d| d.is_frozen()) {
        Some(d) => {
            let calendar = state
                .store
                .referentiel(&campaign.referentiel_id)
                .await?
                .map(|r| r.parameters.calendrier)
                .unwrap_or_default();
            let contestation = match d.proposal.map(|p| p.nature()) {
                Some(Nature::Interessement) => Contestation::MontantInteressement,
                _ => Contestation::MontantSanction,
            };
            // The deadlines run from the day the établissement received it.
            match &d.receipt {
                Some(r) => appeal_deadlines(&calendar, r.on, contestation)?,
                None => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    let receipt = all.iter().rev().find(|d| d.is_frozen()).map(|d| {
        ReceiptView::for_role(
            role,
            d.receipt.as_ref(),
            ReceiptKind::DecisionVolet,
            d.id.as_str(),
            &format!(
                "/campagnes/{}/dossiers/{}/volets/{}",
                campaign.id,
                d.entity,
                V::SEGMENT
            ),
        )
    });
    let current = all.last();
    let open = current.filter(|d| !d.is_frozen());
    let months = current.and_then(|d| V::msap_months(&d.evaluation));
    let in_months = current.is_some_and(|d| d.outcome == VoletOutcome::MiseSousAccordPrealable);
    Ok(LifecycleView {
        segment: V::SEGMENT,
        can_evaluate: targeted
            && role == Role::Ars
            && (current.is_none() || open.is_some_and(|d| d.opinion.is_none())),
        can_opine: role == Role::AssuranceMaladie && open.is_some(),
        can_decide: role == Role::Ars && open.is_some_and(|d| d.opinion.is_some()),
        can_notify: role == Role::Ars && open.is_some_and(|d| d.is_decided()),
        can_correct: role == Role::Ars && current.is_some_and(|d| d.is_frozen()),
        in_months,
        proposed: match (in_months, months) {
            (true, Some(m)) => m.to_string(),
            _ => current
                .and_then(|d| d.proposal)
                .map_or(Euros::ZERO, |p| p.amount())
                .amount()
                .to_string(),
        },
        appeals,
        letter: all.iter().rev().find(|d| d.is_frozen()).map(|d| {
            format!(
                "/campagnes/{}/dossiers/{}/volets/{}/notification.pdf",
                campaign.id,
                d.entity,
                V::SEGMENT
            )
        }),
        receipt,
        today: caqes_store::today().to_string(),
    })
}

/// The versions a role may see, newest first: an établissement sees only the
/// notified ones.
pub(crate) fn visible<E>(role: Role, all: &[VoletVersion<E>]) -> Vec<&VoletVersion<E>> {
    all.iter()
        .rev()
        .filter(|d| role != Role::Etablissement || d.is_frozen())
        .collect()
}

/// A user's mistake comes back on the page with its French message (422).
pub(crate) async fn refused<V: VoletScreen>(
    state: &AppState,
    s: &Session,
    scope: (&Campaign, &LegalEntity),
    submitted: Option<V::Submitted>,
    message: String,
) -> AppResult<Response> {
    V::render(state, s, scope, submitted, Some(message))
        .await
        .map(Page::invalid)
}

/// After a write: back to the page, or the page with the store's refusal.
pub(crate) async fn outcome<V: VoletScreen>(
    state: &AppState,
    s: &Session,
    (campaign, entity): (&Campaign, &LegalEntity),
    submitted: Option<V::Submitted>,
    result: Result<VoletVersion<V::Evaluation>, StoreError>,
    done: Flash,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(flash::redirect(
            &format!(
                "/campagnes/{}/dossiers/{}/volets/{}",
                campaign.id,
                entity.finess,
                V::SEGMENT
            ),
            done,
        )),
        Err(StoreError::Conflict(c)) => {
            refused::<V>(state, s, (campaign, entity), submitted, c.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// After an evaluation's write: back to the page, or the page again with the
/// evaluation as submitted and the store's refusal.
pub(crate) async fn evaluated<V: VoletScreen>(
    state: &AppState,
    s: &Session,
    scope: (&Campaign, &LegalEntity),
    submitted: V::Submitted,
    result: Result<VoletVersion<V::Evaluation>, StoreError>,
) -> AppResult<Response> {
    let done = Flash::VoletEvaluated;
    outcome::<V>(state, s, scope, Some(submitted), result, done).await
}

/// `GET /campagnes/{campaign}/dossiers/{finess}/volets/{volet}`
pub async fn show<V: VoletScreen>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<V::Page> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    if s.user.role == Role::Etablissement {
        // Opening the page is the receipt of every notified version not yet received.
        let all = state
            .store
            .volet_versions::<V>(&campaign.id, &entity.finess)
            .await?;
        let unread: Vec<(ReceiptKind, ReceiptId)> = all
            .iter()
            .filter(|d| d.is_frozen() && d.receipt.is_none())
            .map(|d| (ReceiptKind::DecisionVolet, ReceiptId::from(&d.id)))
            .collect();
        state.store.acknowledge_opening(&s.user, &unread).await?;
    }
    V::render(&state, &s, (&campaign, &entity), None, None).await
}

#[derive(Deserialize)]
pub struct OpinionForm {
    #[serde(default)]
    avis: String,
    #[serde(default)]
    commentaire: String,
}

/// `POST …/volets/{volet}/avis` (Assurance Maladie).
pub async fn give_opinion<V: VoletScreen>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(f): Form<OpinionForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(
        &s.user,
        Role::AssuranceMaladie,
        &format!("L'avis sur le {}", V::LABEL),
    )?;
    let Some(opinion) = Opinion::parse(&f.avis) else {
        return refused::<V>(
            &state,
            &s,
            (&campaign, &entity),
            None,
            "Avis : choisissez favorable ou défavorable.".into(),
        )
        .await;
    };
    let r = state
        .store
        .record_volet_opinion::<V>(
            &s.user,
            &campaign,
            &entity.finess,
            opinion,
            Some(&f.commentaire),
        )
        .await;
    outcome::<V>(&state, &s, (&campaign, &entity), None, r, Flash::AmOpinion).await
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    montant: String,
    /// The MSAP duration in months, on the pertinence page when the
    /// consequence is an MSAP (the form then has no amount).
    duree_mois: Option<String>,
    #[serde(default)]
    motivation: String,
    #[serde(default)]
    motif: String,
}

fn read_decision(f: &DecideForm, amount_label: &str) -> Result<FinalDecision, String> {
    match &f.duree_mois {
        Some(m) => m
            .trim()
            .parse::<u8>()
            .map(FinalDecision::MsapMonths)
            .map_err(|_| {
                format!(
                    "Durée de la mise sous accord préalable : un nombre entier de mois est attendu (reçu « {} »).",
                    m.trim()
                )
            }),
        None => parse_amount(amount_label, &f.montant).map(FinalDecision::Amount),
    }
}

/// `POST …/volets/{volet}/decision` (ARS).
pub async fn decide<V: VoletScreen>(
    state: State<AppState>,
    user: CurrentUser,
    path: Path<(CampaignId, Finess)>,
    form: Form<DecideForm>,
) -> AppResult<Response> {
    write_decision::<V>(state, user, path, form, DecisionWrite::Decide).await
}

/// `POST …/volets/{volet}/correction` (ARS): a new version of a notified decision.
pub async fn correct<V: VoletScreen>(
    state: State<AppState>,
    user: CurrentUser,
    path: Path<(CampaignId, Finess)>,
    form: Form<DecideForm>,
) -> AppResult<Response> {
    write_decision::<V>(state, user, path, form, DecisionWrite::Correct).await
}

async fn write_decision<V: VoletScreen>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(f): Form<DecideForm>,
    write: DecisionWrite,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s.user, Role::Ars, write.what())?;
    let decision = match read_decision(&f, write.amount_label()) {
        Ok(d) => d,
        Err(m) => return refused::<V>(&state, &s, (&campaign, &entity), None, m).await,
    };
    let motivation = Some(f.motivation.as_str());
    let r = match write {
        DecisionWrite::Decide => {
            state
                .store
                .record_volet_decision::<V>(
                    &s.user,
                    &campaign,
                    &entity.finess,
                    decision,
                    motivation,
                )
                .await
        }
        DecisionWrite::Correct => {
            state
                .store
                .correct_volet_decision::<V>(
                    &s.user,
                    &campaign,
                    &entity.finess,
                    decision,
                    motivation,
                    &f.motif,
                )
                .await
        }
    };
    outcome::<V>(&state, &s, (&campaign, &entity), None, r, write.done()).await
}

#[derive(Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    date_notification: String,
}

/// `POST …/volets/{volet}/notification` (ARS).
pub async fn notify<V: VoletScreen>(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(f): Form<NotifyForm>,
) -> AppResult<Response> {
    let (campaign, entity) = scope(&state, &s.user, &campaign_id, &finess).await?;
    require(&s.user, Role::Ars, "La notification")?;
    let Ok(on) = f.date_notification.trim().parse::<jiff::civil::Date>() else {
        return refused::<V>(
            &state,
            &s,
            (&campaign, &entity),
            None,
            "Date de notification illisible (attendu AAAA-MM-JJ).".into(),
        )
        .await;
    };
    let r = state
        .store
        .notify_volet_decision::<V>(&s.user, &campaign, &entity.finess, on)
        .await;
    outcome::<V>(
        &state,
        &s,
        (&campaign, &entity),
        None,
        r,
        Flash::DecisionNotified,
    )
    .await
}
