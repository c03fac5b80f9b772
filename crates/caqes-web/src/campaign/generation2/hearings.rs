//! Hearings on the contract or on the evaluation: asked for by the établissement,
//! their day fixed by the ARS.

use axum::extract::State;
use axum::response::Response;
use caqes_store::Role;
use caqes_store::generation2::HearingSubject;

use super::context::{Fields, UnitAction};
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::flash::Flash;

fn hearing_subject(form: &Fields) -> AppResult<HearingSubject> {
    HearingSubject::parse(form.trimmed("objet"))
        .ok_or_else(|| AppError::BadRequest("Objet de l'audition : contrat ou évaluation.".into()))
}

/// `POST …/objectifs/{unit}/audition/demander`: the établissement asks to be heard
/// (`objet` = `contrat` or `evaluation`), today.
pub async fn request_hearing(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Etablissement, "La demande d'audition")?;
    let subject = hearing_subject(&form)?;
    state
        .store
        .g2_request_hearing(&u.user, u.at(), subject, caqes_store::today())
        .await?;
    Ok(u.done(Flash::HearingRequested))
}

/// `POST …/objectifs/{unit}/audition/fixer`: the ARS fixes the hearing's day.
pub async fn fix_hearing(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La date de l'audition")?;
    let subject = hearing_subject(&form)?;
    let held_on = form.date("date", "Date de l'audition")?;
    state
        .store
        .g2_fix_hearing(&u.user, u.at(), subject, held_on)
        .await?;
    Ok(u.done(Flash::HearingScheduled))
}
