//! The notification letter of the volet obligatoire's sanction, from the
//! decision page: the latest notified version, with the appeal deadline from
//! its receipt. Scope as the decision page: nothing before notification, and
//! for the établissement opening the letter is opening the decision (receipt).

use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::calendar::Contestation;
use caqes_core::sanction::{Basis, Decision, SanctionBasis};
use caqes_core::volets::Volet;
use caqes_documents::{AmOpinion, Correction, SocleSanctionNotification};
use caqes_store::CampaignId;
use caqes_store::ReceiptId;
use caqes_store::documents::Issuance;
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::{Opinion, Role, SanctionDecision};

use jiff::civil::Date;

use crate::auth::CurrentUser;
use crate::documents::{appeals, authority, context, establishment, issue, letter_frame};
use crate::dossier::load;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;

/// The stored opinion as the letter words it.
pub(crate) fn am_opinion(
    opinion: Option<Opinion>,
    at: Option<&str>,
    comment: Option<&String>,
) -> Option<AmOpinion> {
    opinion.map(|o| AmOpinion {
        favorable: o == Opinion::Favorable,
        given_on: at
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(caqes_core::calendar::paris_date),
        comment: comment.cloned(),
    })
}

/// What a corrected version (`version` > 1, with its reason) says of the
/// notification it replaces: the latest one notified before it, among `versions`
/// (oldest first, each with its notification date).
pub(crate) fn correction(
    (version, reason): (i64, Option<&str>),
    versions: impl DoubleEndedIterator<Item = (i64, Option<Date>)>,
) -> Option<Correction> {
    if version <= 1 {
        return None;
    }
    versions
        .filter(|(earlier, _)| *earlier < version)
        .filter_map(|(_, notified_on)| notified_on)
        .next_back()
        .map(|replaced| Correction {
            replaces_notification_of: replaced,
            reason: reason.unwrap_or("correction de la décision").to_owned(),
        })
}

fn core_decision(v: &SanctionDecision) -> AppResult<Decision> {
    let proposal = v.proposal()?;
    let final_amount = v
        .final_amount
        .ok_or_else(|| AppError::Internal(format!("décision notifiée {} sans montant", v.id)))?;
    Decision::modulated(
        Volet::Obligatoire,
        proposal,
        final_amount,
        v.motivation.as_deref(),
    )
    .map_err(|e| AppError::Internal(format!("décision {} : {e}", v.id)))
}

pub async fn letter(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess)): Path<(CampaignId, Finess)>,
) -> AppResult<Response> {
    let user = &session.user;
    let d = load(&state, user, &campaign_id, &finess).await?;
    let mut all = state.store.decisions_of(&d.submission.id).await?;
    if user.role == Role::Etablissement {
        // As on the decision page: the first opening is the receipt.
        let unread: Vec<(ReceiptKind, ReceiptId)> = all
            .iter()
            .filter(|v| v.is_frozen() && v.receipt.is_none())
            .map(|v| (ReceiptKind::Decision, ReceiptId::from(&v.id)))
            .collect();
        if !unread.is_empty() {
            state.store.acknowledge_opening(user, &unread).await?;
            all = state.store.decisions_of(&d.submission.id).await?;
        }
    }
    // A letter exists once a version is notified, for every role.
    let Some(v) = all.iter().rev().find(|v| v.is_frozen()) else {
        return Err(AppError::NotFound);
    };
    let notified_on = v
        .notified_on
        .ok_or_else(|| AppError::Internal("version notifiée sans date".into()))?;
    let correction = correction(
        (v.version, v.correction_reason.as_deref()),
        all.iter().map(|p| (p.version, p.notified_on)),
    );
    let basis = match v.basis_kind {
        Basis::ListeEnSus => SanctionBasis::ListeEnSus(v.basis_amount),
        _ => SanctionBasis::ProduitsAm(v.basis_amount),
    };
    let auth = authority(&state, &d.entity.region).await?;
    let letter = SocleSanctionNotification {
        frame: letter_frame(
            &auth,
            notified_on,
            format!(
                "CAQES-{}-{}-v{}",
                d.campaign.year, d.entity.finess, v.version
            ),
            v.decided_by.as_deref(),
        ),
        establishment: establishment(&d.entity),
        year: d.campaign.year,
        referentiel: d.referentiel.title.clone(),
        score: v.score,
        basis,
        basis_year: None,
        rate_of_ceiling: v.rate_of_ceiling,
        decision: core_decision(v)?,
        am_opinion: am_opinion(
            v.opinion,
            v.opinion_at.as_deref(),
            v.opinion_comment.as_ref(),
        ),
        correction,
        appeals: appeals(
            &d.referentiel.parameters.calendrier,
            notified_on,
            v.receipt.as_ref().map(|r| r.on),
            Contestation::MontantSanction,
        )?,
    };
    let ctx = context(auth)?;
    let name = format!(
        "notification-sanction-{}-{}-v{}.pdf",
        d.entity.finess, d.campaign.year, v.version
    );
    issue(
        &state,
        user,
        "notification de la sanction",
        &Issuance {
            document: "notification_sanction",
            subject_kind: "decision",
            subject_id: v.id.as_str(),
            region: Some(&d.entity.region),
            finess: Some(d.entity.finess.as_str()),
            filename: &name,
        },
        move || letter.render(&ctx),
    )
    .await
}
