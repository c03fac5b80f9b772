//! The contract of a unit: proposed by the ARS (and proposed again), signed or
//! refused by the établissement, and the sanction for refusing to sign.

use axum::extract::State;
use axum::response::Response;
use caqes_store::Role;

use super::context::{Fields, UnitAction};
use crate::request::error::AppResult;
use crate::request::state::AppState;
use crate::ui::flash::Flash;

pub async fn propose_contract(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La proposition du contrat")?;
    let start = form.date("debut", "Début du contrat")?;
    let end = form.date("fin", "Fin du contrat")?;
    let received = form.date("reception", "Réception de la proposition")?;
    state
        .store
        .g2_propose_contract(&u.user, u.at(), start, end, received)
        .await?;
    Ok(u.done(Flash::ContractProposed))
}

pub async fn second_proposal(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La seconde proposition")?;
    let received = form.date("reception", "Réception de la seconde proposition")?;
    state
        .store
        .g2_second_proposal(&u.user, u.at(), received)
        .await?;
    Ok(u.done(Flash::SecondProposal))
}

async fn answer(state: AppState, u: UnitAction, sign: bool) -> AppResult<Response> {
    u.require(Role::Etablissement, "La réponse au contrat")?;
    state
        .store
        .g2_answer_contract(&u.user, u.at(), sign, caqes_store::today())
        .await?;
    Ok(u.done(if sign {
        Flash::ContractSigned
    } else {
        Flash::ContractRefused
    }))
}

pub async fn sign(State(state): State<AppState>, u: UnitAction) -> AppResult<Response> {
    answer(state, u, true).await
}

pub async fn refuse(State(state): State<AppState>, u: UnitAction) -> AppResult<Response> {
    answer(state, u, false).await
}

pub async fn decide_refusal(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La sanction du refus")?;
    let amount = form.amount("montant", "Montant de la sanction")?;
    state
        .store
        .g2_decide_refusal_sanction(
            &u.user,
            u.at(),
            amount,
            form.raw("motif"),
            caqes_store::today(),
        )
        .await?;
    Ok(u.done(Flash::RefusalDecided))
}
