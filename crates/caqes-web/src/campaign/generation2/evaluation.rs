//! The yearly evaluation of a unit: the report received, the DG ARS's downward
//! revisions, the intéressement decided and its notification received.

use axum::extract::State;
use axum::response::Response;
use caqes_core::regimes::outcome::Revision;
use caqes_store::Role;

use super::context::{Fields, UnitAction};
use crate::request::error::AppResult;
use crate::request::state::AppState;
use crate::ui::flash::Flash;

/// The DG ARS's downward revision of a line; an empty amount withdraws it.
pub async fn revise(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La révision de l'intéressement")?;
    let revision = if form.trimmed("montant").is_empty() {
        None
    } else {
        Some(Revision {
            amount: form.amount("montant", "Montant révisé")?,
            motive: form.raw("motif").unwrap_or_default().to_owned(),
        })
    };
    state
        .store
        .g2_revise(&u.user, u.at(), form.trimmed("indicateur"), revision)
        .await?;
    Ok(u.done(Flash::RevisionRecorded))
}

pub async fn record_report(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La réception du rapport")?;
    let received = form.date("reception", "Réception du rapport d'évaluation")?;
    state
        .store
        .g2_record_report(&u.user, u.at(), received)
        .await?;
    Ok(u.done(Flash::ReportRecorded))
}

pub async fn decide_incentive(State(state): State<AppState>, u: UnitAction) -> AppResult<Response> {
    u.require(Role::Ars, "La décision d'intéressement")?;
    state.store.g2_decide_incentive(&u.user, u.at()).await?;
    Ok(u.done(Flash::IncentiveDecided))
}

pub async fn notify_incentive(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La notification de l'intéressement")?;
    let received = form.date("reception", "Réception de la notification")?;
    state
        .store
        .g2_notify_incentive(&u.user, u.at(), received)
        .await?;
    Ok(u.done(Flash::IncentiveNotified))
}
