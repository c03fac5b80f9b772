//! The letter notifying the sanction for refusing to sign, from the contract
//! page, once notified (404 before, and outside the contract page's scope). The
//! proposal's receipt and the signature deadline (extended to the hearing) come
//! from the contract; the appeal deadline from the notification's receipt. For
//! the établissement, opening the letter is opening the notification (receipt).

use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::calendar::{CalendarParameters, Contestation};
use caqes_core::sanction::{Basis, Nature, Proposal, SanctionBasis};
use caqes_documents::{Hearing, RefusalSanctionNotification};
use caqes_store::ReceiptId;
use caqes_store::Role;
use caqes_store::documents::Issuance;
use caqes_store::notify::receipt::ReceiptKind;

use crate::auth::CurrentUser;
use crate::contract::refusal_scope;
use crate::documents::{appeals, authority, context, establishment, issue, letter_frame};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::request::state::AppState;

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("sanction pour refus : {e}"))
}

/// `GET /contrats/{finess}/sanction-refus/notification.pdf`
pub async fn letter(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path(finess): Path<Finess>,
) -> AppResult<Response> {
    let user = &session.user;
    let (entity, contract) = refusal_scope(&state, &session, &finess).await?;
    let mut r = state
        .store
        .refusal_of(&contract.id)
        .await?
        .filter(|r| r.is_notified())
        .ok_or(AppError::NotFound)?;
    if user.role == Role::Etablissement && r.receipt.is_none() {
        state
            .store
            .acknowledge_opening(
                user,
                &[(ReceiptKind::SanctionRefus, ReceiptId::from(&r.id))],
            )
            .await?;
        r = state
            .store
            .refusal_of(&contract.id)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let notified_on = r.notified_on.ok_or_else(|| internal("sans date"))?;
    let basis = r.basis.ok_or_else(|| internal("sans assiette"))?;
    let (ceiling, amount) = r
        .ceiling
        .zip(r.amount)
        .ok_or_else(|| internal("sans montant"))?;
    let kind = match basis {
        SanctionBasis::ProduitsAm(_) => Basis::ProduitsAm,
        SanctionBasis::ListeEnSus(_) => Basis::ListeEnSus,
    };
    let sanction = Proposal::new(Nature::Sanction, kind, ceiling, amount).map_err(internal)?;
    let params = CalendarParameters::default();
    let period = contract.signature_period(&params)?;
    let received = contract
        .received_on()
        .ok_or_else(|| internal("proposition sans réception"))?;
    let figures = state.store.am_figures(&entity.finess).await?;
    let auth = authority(&state, &entity.region).await?;
    let letter = RefusalSanctionNotification {
        frame: letter_frame(
            &auth,
            notified_on,
            format!("CAQES-REFUS-{}", entity.finess),
            r.decided_by.as_deref(),
        ),
        establishment: establishment(&entity),
        volets: contract.volets.iter().map(|v| v.volet).collect(),
        proposal_received_on: received,
        signature_deadline: period.fin,
        hearing: contract.hearing_requested_on.zip(contract.hearing_on).map(
            |(requested_on, held_on)| Hearing {
                requested_on,
                held_on,
            },
        ),
        basis,
        basis_year: figures.year,
        sanction,
        motivation: r.motivation.clone(),
        am_opinion: None,
        appeals: appeals(
            &params,
            notified_on,
            r.receipt.as_ref().map(|rc| rc.on),
            Contestation::Sanction,
        )?,
    };
    let ctx = context(auth)?;
    let name = format!("notification-sanction-refus-{}.pdf", entity.finess);
    issue(
        &state,
        user,
        "notification de la sanction pour refus",
        &Issuance {
            document: "notification_sanction_refus",
            subject_kind: "sanction_refus",
            subject_id: r.id.as_str(),
            region: Some(&entity.region),
            finess: Some(entity.finess.as_str()),
            filename: &name,
        },
        move || letter.render(&ctx),
    )
    .await
}
