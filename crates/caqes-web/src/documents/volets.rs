//! Each additional volet's decision letter, from the volet's page: the latest
//! notified version, with the appeal deadline from its receipt. Generic over the
//! volet like the page's life cycle (`volets::lifecycle`), with its scope: 404
//! outside it and before notification; for the établissement, opening the
//! letter is opening the decision (receipt).

use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::calendar::Contestation;
use caqes_core::sanction::{Basis, Decision, Nature};
use caqes_core::volets::pertinence::MsapDecision;
use caqes_documents::{VoletConsequence, VoletDecisionNotification};
use caqes_store::CampaignId;
use caqes_store::ReceiptId;
use caqes_store::Role;
use caqes_store::documents::Issuance;
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::volets::lifecycle::{VoletOutcome, VoletVersion};

use crate::auth::CurrentUser;
use crate::documents::decision::{am_opinion, correction};
use crate::documents::{appeals, authority, context, establishment, issue, letter_frame};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;
use crate::volets::lifecycle::{VoletScreen, scope};

fn internal(id: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("décision de volet {id} : {e}"))
}

/// What the DG ARS decided, in the letter's terms.
fn consequence<E>(
    v: &VoletVersion<E>,
    volet: caqes_core::volets::Volet,
    proposed_months: Option<u8>,
) -> AppResult<VoletConsequence> {
    let notified_on = v
        .notified_on
        .ok_or_else(|| internal(v.id.as_str(), "version notifiée sans date"))?;
    Ok(match (v.outcome, v.proposal, v.final_amount) {
        (VoletOutcome::MiseSousAccordPrealable, _, _) => {
            let proposed = proposed_months.unwrap_or_default();
            let decided = v.final_msap_months.unwrap_or(proposed);
            VoletConsequence::Msap {
                theme: "les actes, prestations et prescriptions ciblés au contrat".into(),
                decision: MsapDecision::new(proposed, decided, v.motivation.as_deref())
                    .map_err(|e| internal(v.id.as_str(), e))?,
                notified_on,
            }
        }
        (VoletOutcome::NiInteressementNiSanction, _, _) | (_, None, _) => VoletConsequence::Neither,
        (_, Some(proposal), final_amount) => {
            let decision = Decision::modulated(
                volet,
                proposal,
                final_amount.unwrap_or(proposal.amount()),
                v.motivation.as_deref(),
            )
            .map_err(|e| internal(v.id.as_str(), e))?;
            // The AM revenue for a sanction; otherwise the ceiling the contract
            // or the savings fix (the only basis the version keeps).
            let basis_amount = match proposal.basis() {
                Basis::ProduitsAm => v.am_revenue,
                _ => proposal.ceiling(),
            };
            VoletConsequence::Amount {
                decision,
                basis_amount,
            }
        }
    })
}

/// `GET …/volets/{volet}/notification.pdf`
pub(crate) async fn letter<V: VoletScreen>(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let user = &session.user;
    let (campaign, entity) = scope(&state, user, &campaign_id, &finess).await?;
    let mut all = state
        .store
        .volet_versions::<V>(&campaign.id, &entity.finess)
        .await?;
    if user.role == Role::Etablissement {
        let unread: Vec<(ReceiptKind, ReceiptId)> = all
            .iter()
            .filter(|d| d.is_frozen() && d.receipt.is_none())
            .map(|d| (ReceiptKind::DecisionVolet, ReceiptId::from(&d.id)))
            .collect();
        if !unread.is_empty() {
            state.store.acknowledge_opening(user, &unread).await?;
            all = state
                .store
                .volet_versions::<V>(&campaign.id, &entity.finess)
                .await?;
        }
    }
    let Some(v) = all.iter().rev().find(|d| d.is_frozen()) else {
        return Err(AppError::NotFound);
    };
    let notified_on = v
        .notified_on
        .ok_or_else(|| internal(v.id.as_str(), "version notifiée sans date"))?;
    let calendar = state
        .store
        .referentiel(&campaign.referentiel_id)
        .await?
        .map(|r| r.parameters.calendrier)
        .unwrap_or_default();
    let contestation = match v.proposal.map(|p| p.nature()) {
        Some(Nature::Interessement) => Contestation::MontantInteressement,
        _ => Contestation::MontantSanction,
    };
    let correction = correction(
        (v.version, v.correction_reason.as_deref()),
        all.iter().map(|p| (p.version, p.notified_on)),
    );
    let (objectives, action_plan_progress) = V::letter_objectives(&v.evaluation);
    let auth = authority(&state, &entity.region).await?;
    let letter = VoletDecisionNotification {
        frame: letter_frame(
            &auth,
            notified_on,
            format!(
                "CAQES-{}-{}-{}-v{}",
                campaign.year,
                V::SEGMENT,
                entity.finess,
                v.version
            ),
            v.decided_by.as_deref(),
        ),
        establishment: establishment(&entity),
        year: campaign.year,
        volet: V::VOLET,
        objectives,
        action_plan_progress,
        consequence: consequence(v, V::VOLET, V::msap_months(&v.evaluation))?,
        am_opinion: am_opinion(v.opinion, None, v.opinion_comment.as_ref()),
        correction,
        appeals: appeals(
            &calendar,
            notified_on,
            v.receipt.as_ref().map(|r| r.on),
            contestation,
        )?,
    };
    let ctx = context(auth)?;
    let name = format!(
        "notification-volet-{}-{}-{}-v{}.pdf",
        V::SEGMENT,
        entity.finess,
        campaign.year,
        v.version
    );
    issue(
        &state,
        user,
        "notification de la décision du volet",
        &Issuance {
            document: "notification_decision_volet",
            subject_kind: "decision_volet",
            subject_id: v.id.as_str(),
            region: Some(&entity.region),
            finess: Some(entity.finess.as_str()),
            filename: &name,
        },
        move || letter.render(&ctx),
    )
    .await
}
