//! The sanction decision of an evaluated dossier (volet obligatoire): the
//! engine's proposal, the Assurance Maladie's opinion, the DG ARS's decision,
//! the notification (évalué → notifié), corrections as new versions, and the
//! appeal deadlines. The établissement sees only notified versions.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use caqes_core::Euros;
use caqes_core::Finess;
use caqes_core::calendar::{Contestation, appeal_deadline};
use caqes_core::workflow::available_actions;
use caqes_store::CampaignId;
use caqes_store::{Action, Opinion, Role, SanctionDecision, StoreError, SubmissionState};
use serde::Deserialize;

use crate::auth::role::require;
use crate::auth::{CurrentUser, Session};
use crate::dossier::{Dossier, fr, load, today};
use crate::notifications::receipt::ReceiptView;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::flash::{self, Flash};
use crate::ui::page::{Page, impl_page};
use caqes_store::ReceiptId;
use caqes_store::notify::receipt::ReceiptKind;

/// One version as shown (amounts already in French).
pub struct VersionView {
    pub version: i64,
    pub score: String,
    pub basis: String,
    pub rate: String,
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
    /// Notified versions: their receipt (the appeal deadlines run from it).
    pub receipt: Option<ReceiptView>,
}

pub struct DeadlineView {
    pub court: &'static str,
    pub subject: &'static str,
    pub date: String,
    pub days_left: i32,
}

/// The appeals against a decision notified on `on`: `contestation` (the
/// sanction and its amount, or the incentive's amount) before the tribunal
/// administratif, and the recovery terms before the social-security court of the
/// receipt's date (`caqes_core::calendar::appeal_court`), with the days left.
pub(crate) fn appeal_deadlines(
    params: &caqes_core::calendar::CalendarParameters,
    on: jiff::civil::Date,
    contestation: Contestation,
) -> AppResult<Vec<DeadlineView>> {
    let subject = match contestation {
        Contestation::MontantInteressement => "du montant de l'intéressement",
        _ => "de la sanction et de son montant",
    };
    let mut out = Vec::new();
    for (contestation, subject) in [
        (contestation, subject),
        (
            Contestation::ModalitesRecouvrement,
            "des modalités de recouvrement",
        ),
    ] {
        let (court, deadline) = appeal_deadline(params, on, contestation)
            .map_err(AppError::failed("délai de recours"))?;
        out.push(DeadlineView {
            court: court.label(),
            subject,
            date: crate::ui::fr::date(deadline.date),
            days_left: deadline.days_left(today()),
        });
    }
    Ok(out)
}

pub struct DecisionView {
    pub campaign_id: String,
    pub campaign_title: String,
    pub entity_name: String,
    pub entity_finess: String,
    pub state_label: &'static str,
    /// Set when no proposal can be computed (no score, no AM revenue).
    pub unavailable: Option<String>,
    /// The proposal when no version exists yet.
    pub pending: Option<VersionView>,
    /// Versions visible to the user, newest first.
    pub versions: Vec<VersionView>,
    pub deadlines: Vec<DeadlineView>,
    /// The latest notified version is not received yet: no deadline runs.
    pub awaiting_receipt: bool,
    /// The notification letter of the latest notified version (PDF), once notified.
    pub letter: Option<String>,
    pub can_give_opinion: bool,
    pub can_decide: bool,
    pub can_notify: bool,
    pub can_correct: bool,
    pub can_contest: bool,
    pub proposed_default: String,
    pub today: String,
    pub error: Option<String>,
    /// Both sanction bases and the one that applies (not shown to the établissement).
    pub basis: Option<crate::am::BasisView>,
}

#[derive(Template)]
#[template(path = "decision.html")]
pub struct DecisionPage {
    pub layout: Layout,
    pub view: DecisionView,
}

impl_page!(DecisionPage);

fn version_view(d: &SanctionDecision, user: &caqes_store::User, back: &str) -> VersionView {
    VersionView {
        receipt: d.is_frozen().then(|| {
            ReceiptView::new(
                user,
                d.receipt.as_ref(),
                ReceiptKind::Decision,
                d.id.as_str(),
                back,
            )
        }),
        version: d.version,
        score: fr(d.score),
        basis: crate::am::basis_label(d.basis_kind, d.basis_amount),
        rate: fr(d.rate_of_ceiling),
        ceiling: d.ceiling.to_string(),
        proposed: d.proposed_amount.to_string(),
        opinion: d.opinion.map(|o| o.label().to_owned()),
        opinion_comment: d.opinion_comment.clone(),
        opinion_by: d.opinion_by.clone(),
        final_amount: d.final_amount.map(|e| e.to_string()),
        motivation: d.motivation.clone(),
        decided_by: d.decided_by.clone(),
        notified_on: d.notified_on.map(crate::ui::fr::date),
        correction_reason: d.correction_reason.clone(),
    }
}

/// The versions a user may see: the établissement only notified ones.
fn visible(role: Role, all: Vec<SanctionDecision>) -> Vec<SanctionDecision> {
    if role == Role::Etablissement {
        all.into_iter()
            .filter(SanctionDecision::is_frozen)
            .collect()
    } else {
        all
    }
}

async fn render(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    error: Option<String>,
) -> AppResult<DecisionPage> {
    let user = &session.user;
    let all = state.store.decisions_of(&d.submission.id).await?;
    let current = all.last().cloned();
    let shown = visible(user.role, all);
    // Never reveal a decision (nor its absence) to the établissement before notification.
    if user.role == Role::Etablissement && shown.is_empty() {
        return Err(AppError::NotFound);
    }
    let (pending, unavailable) = if current.is_none() {
        match state
            .store
            .proposal_for(&d.submission, &d.campaign.referentiel_id)
            .await
        {
            Ok(c) => (
                Some(VersionView {
                    version: 0,
                    score: fr(c.score),
                    basis: crate::am::basis_label(c.proposal.basis(), c.basis_amount),
                    rate: fr(c.rate_of_ceiling),
                    ceiling: c.proposal.ceiling().to_string(),
                    proposed: c.proposal.amount().to_string(),
                    opinion: None,
                    opinion_comment: None,
                    opinion_by: None,
                    final_amount: None,
                    motivation: None,
                    decided_by: None,
                    notified_on: None,
                    correction_reason: None,
                    receipt: None,
                }),
                None,
            ),
            Err(StoreError::Conflict(c)) => (None, Some(c.to_string())),
            Err(e) => return Err(e.into()),
        }
    } else {
        (None, None)
    };
    let open = current.as_ref().filter(|c| !c.is_frozen());
    let frozen_latest = shown.iter().rev().find(|v| v.is_frozen());
    let evaluated = d.submission.state == SubmissionState::Evalue;
    // The appeal deadlines run from the receipt of the latest notified version.
    let received = frozen_latest.and_then(|v| v.receipt.as_ref()).map(|r| r.on);
    let awaiting_receipt = frozen_latest.is_some() && received.is_none();
    let back = format!(
        "/campagnes/{}/dossiers/{}/decision",
        d.campaign.id, d.entity.finess
    );
    let deadlines = match received {
        Some(on) => appeal_deadlines(
            &d.referentiel.parameters.calendrier,
            on,
            Contestation::MontantSanction,
        )?,
        None => Vec::new(),
    };
    let is = |r: Role| user.role == r;
    let view = DecisionView {
        campaign_id: d.campaign.id.to_string(),
        campaign_title: d.campaign.title.clone(),
        entity_name: d.entity.name.clone(),
        entity_finess: d.entity.finess.to_string(),
        state_label: d.submission.state.label(),
        unavailable,
        can_give_opinion: is(Role::AssuranceMaladie)
            && ((current.is_none() && evaluated && pending.is_some()) || open.is_some()),
        can_decide: is(Role::Ars) && open.is_some_and(|c| c.opinion.is_some()),
        can_notify: is(Role::Ars) && open.is_some_and(|c| c.final_amount.is_some()),
        can_correct: is(Role::Ars) && current.as_ref().is_some_and(SanctionDecision::is_frozen),
        can_contest: available_actions(d.submission.state, user.role).contains(&Action::Contester),
        proposed_default: current
            .as_ref()
            .map(|c| c.final_amount.unwrap_or(c.proposed_amount))
            .map(|e| e.to_cents().amount().to_string().replace('.', ","))
            .unwrap_or_default(),
        pending,
        versions: shown
            .iter()
            .rev()
            .map(|v| version_view(v, user, &back))
            .collect(),
        deadlines,
        awaiting_receipt,
        letter: frozen_latest.map(|_| format!("{back}/notification.pdf")),
        today: today().to_string(),
        error,
        basis: if user.role == Role::Etablissement {
            None
        } else {
            Some(
                crate::am::basis_view(
                    state,
                    user,
                    &d.submission,
                    &d.campaign.referentiel_id,
                    current.is_some(),
                )
                .await?,
            )
        },
    };
    let layout = Layout::for_user(
        &format!("Décision — {} — {}", d.entity.name, d.campaign.title),
        user,
        &session.csrf,
    );
    Ok(DecisionPage { layout, view })
}

fn back_url(d: &Dossier) -> String {
    format!(
        "/campagnes/{}/dossiers/{}/decision",
        d.campaign.id, d.entity.finess
    )
}

/// A user's mistake (amount, missing motivation, ceiling) comes back on the
/// page with its message; anything else is the usual error page.
async fn outcome<T>(
    state: &AppState,
    session: &Session,
    d: &Dossier,
    result: Result<T, StoreError>,
    done: Flash,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(flash::redirect(&back_url(d), done)),
        Err(StoreError::Conflict(c)) => render(state, session, d, Some(c.to_string()))
            .await
            .map(Page::invalid),
        Err(e) => Err(e.into()),
    }
}

/// The decided amount, through the one French amount reader.
fn parse_amount(text: &str) -> Result<Euros, String> {
    Euros::parse_fr(text).map_err(|e| e.to_string())
}

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<DecisionPage> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    if session.user.role == Role::Etablissement {
        // Opening the page is the receipt of every notified version not yet received.
        let all = state.store.decisions_of(&d.submission.id).await?;
        let unread: Vec<(ReceiptKind, ReceiptId)> = all
            .iter()
            .filter(|v| v.is_frozen() && v.receipt.is_none())
            .map(|v| (ReceiptKind::Decision, ReceiptId::from(&v.id)))
            .collect();
        state
            .store
            .acknowledge_opening(&session.user, &unread)
            .await?;
    }
    render(&state, &session, &d, None).await
}

#[derive(Deserialize)]
pub struct OpinionForm {
    avis: String,
    #[serde(default)]
    commentaire: String,
}

pub async fn give_opinion(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(form): Form<OpinionForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    require(
        &session.user,
        Role::AssuranceMaladie,
        "L'avis sur la sanction",
    )?;
    let Some(opinion) = Opinion::parse(&form.avis) else {
        return render(&state, &session, &d, Some("Choisissez un avis.".into()))
            .await
            .map(Page::invalid);
    };
    let r = state
        .store
        .record_opinion(
            &session.user,
            &d.entity.region,
            &d.submission,
            &d.campaign.referentiel_id,
            opinion,
            Some(&form.commentaire),
        )
        .await;
    outcome(&state, &session, &d, r, Flash::AmOpinion).await
}

#[derive(Deserialize)]
pub struct DecideForm {
    montant: String,
    #[serde(default)]
    motivation: String,
    #[serde(default)]
    motif: String,
}

/// The two writes of a final decision, on this page and on the additional
/// volets' pages: the first one on the open version, and the correction of a
/// notified one (version n+1, with its reason). Both read the same form and answer
/// the same way; they differ by their words and their store call.
#[derive(Clone, Copy)]
pub(crate) enum DecisionWrite {
    Decide,
    Correct,
}

impl DecisionWrite {
    /// What is reserved to the ARS, in the 403 message.
    pub(crate) fn what(self) -> &'static str {
        match self {
            DecisionWrite::Decide => "La décision",
            DecisionWrite::Correct => "La correction d'une décision",
        }
    }

    /// The amount field's label, in the message of a misread amount.
    pub(crate) fn amount_label(self) -> &'static str {
        match self {
            DecisionWrite::Decide => "Montant décidé",
            DecisionWrite::Correct => "Montant corrigé",
        }
    }

    /// The confirmation shown after the write.
    pub(crate) fn done(self) -> Flash {
        match self {
            DecisionWrite::Decide => Flash::DecisionRecorded,
            DecisionWrite::Correct => Flash::DecisionCorrected,
        }
    }
}

pub async fn decide(
    state: State<AppState>,
    user: CurrentUser,
    path: Path<(CampaignId, Finess)>,
    form: Form<DecideForm>,
) -> AppResult<Response> {
    write_decision(state, user, path, form, DecisionWrite::Decide).await
}

pub async fn correct(
    state: State<AppState>,
    user: CurrentUser,
    path: Path<(CampaignId, Finess)>,
    form: Form<DecideForm>,
) -> AppResult<Response> {
    write_decision(state, user, path, form, DecisionWrite::Correct).await
}

async fn write_decision(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(form): Form<DecideForm>,
    write: DecisionWrite,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    require(&session.user, Role::Ars, write.what())?;
    let amount = match parse_amount(&form.montant) {
        Ok(a) => a,
        Err(m) => {
            return render(&state, &session, &d, Some(m))
                .await
                .map(Page::invalid);
        }
    };
    let (user, region) = (&session.user, &d.entity.region);
    let motivation = Some(form.motivation.as_str());
    let r = match write {
        DecisionWrite::Decide => {
            state
                .store
                .record_decision(user, region, &d.submission, amount, motivation)
                .await
        }
        DecisionWrite::Correct => {
            state
                .store
                .correct_decision(user, region, &d.submission, amount, motivation, &form.motif)
                .await
        }
    };
    outcome(&state, &session, &d, r, write.done()).await
}

#[derive(Deserialize)]
pub struct NotifyForm {
    date_notification: String,
}

pub async fn notify(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
    Form(form): Form<NotifyForm>,
) -> AppResult<Response> {
    let d = load(&state, &session.user, &campaign_id, &finess).await?;
    require(&session.user, Role::Ars, "La notification")?;
    let Ok(on) = form.date_notification.trim().parse::<jiff::civil::Date>() else {
        return render(
            &state,
            &session,
            &d,
            Some("Date de notification illisible (attendu AAAA-MM-JJ).".into()),
        )
        .await
        .map(Page::invalid);
    };
    let r = state
        .store
        .notify_decision(&session.user, &d.entity.region, &d.submission, on)
        .await;
    outcome(&state, &session, &d, r, Flash::DecisionNotified).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn amounts_are_read_the_french_way() {
        assert_eq!(
            parse_amount("600 000,50"),
            Ok(Euros(Decimal::new(60_000_050, 2)))
        );
        assert_eq!(
            parse_amount("1\u{202f}000 €"),
            Ok(Euros(Decimal::from(1000)))
        );
        assert!(parse_amount("12,345").is_err());
        assert!(parse_amount("douze").is_err());
    }
}
