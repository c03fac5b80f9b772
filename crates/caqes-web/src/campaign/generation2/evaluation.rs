//! The yearly evaluation of a unit: the report received, the DG ARS's downward
//! revisions, the intéressement decided and its notification received.

use axum::extract::State;
use axum::response::Response;
use caqes_core::regimes::outcome::Revision;
use caqes_store::Role;

use super::context::{UnitPath, amount_field, back, date_field, form_map, unit_action};
use crate::auth::CurrentUser;
use crate::request::error::AppResult;
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};

/// The DG ARS's downward revision of a line; an empty amount withdraws it.
pub async fn revise(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Ars,
        "La révision de l'intéressement",
    )
    .await?;
    let form = form_map(pairs);
    let indicator = form
        .get("indicateur")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let amount_text = form.get("montant").map(|s| s.trim()).unwrap_or_default();
    let revision = if amount_text.is_empty() {
        None
    } else {
        Some(Revision {
            amount: caqes_core::Euros(amount_field(&form, "montant", "Montant révisé")?),
            motive: form.get("motif").cloned().unwrap_or_default(),
        })
    };
    state
        .store
        .g2_revise(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            &indicator,
            revision,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::RevisionRecorded))
}

pub async fn record_report(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La réception du rapport").await?;
    let form = form_map(pairs);
    let received = date_field(&form, "reception", "Réception du rapport d'évaluation")?;
    state
        .store
        .g2_record_report(&s.user, &c.campaign, &c.grid, &c.entity, unit, received)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ReportRecorded))
}

pub async fn decide_incentive(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Ars,
        "La décision d'intéressement",
    )
    .await?;
    state
        .store
        .g2_decide_incentive(&s.user, &c.campaign, &c.grid, &c.entity, unit)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::IncentiveDecided))
}

pub async fn notify_incentive(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Ars,
        "La notification de l'intéressement",
    )
    .await?;
    let form = form_map(pairs);
    let received = date_field(&form, "reception", "Réception de la notification")?;
    state
        .store
        .g2_notify_incentive(&s.user, &c.campaign, &c.entity, unit, received)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::IncentiveNotified))
}
