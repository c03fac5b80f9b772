//! Hearings on the contract or on the evaluation: asked for by the établissement,
//! their day fixed by the ARS.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use caqes_store::Role;
use caqes_store::generation2::HearingSubject;

use super::context::{UnitPath, back, date_field, form_map, unit_action};
use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};

fn hearing_subject(form: &BTreeMap<String, String>) -> AppResult<HearingSubject> {
    form.get("objet")
        .and_then(|o| HearingSubject::parse(o.trim()))
        .ok_or_else(|| AppError::BadRequest("Objet de l'audition : contrat ou évaluation.".into()))
}

/// `POST …/objectifs/{unit}/audition/demander`: the établissement asks to be heard
/// (`objet` = `contrat` or `evaluation`), today.
pub async fn request_hearing(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Etablissement,
        "La demande d'audition",
    )
    .await?;
    let subject = hearing_subject(&form_map(pairs))?;
    state
        .store
        .g2_request_hearing(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            subject,
            caqes_store::today(),
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::HearingRequested))
}

/// `POST …/objectifs/{unit}/audition/fixer`: the ARS fixes the hearing's day.
pub async fn fix_hearing(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La date de l'audition").await?;
    let form = form_map(pairs);
    let subject = hearing_subject(&form)?;
    let held_on = date_field(&form, "date", "Date de l'audition")?;
    state
        .store
        .g2_fix_hearing(&s.user, &c.campaign, &c.entity, unit, subject, held_on)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::HearingScheduled))
}
