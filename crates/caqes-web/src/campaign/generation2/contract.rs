//! The contract of a unit: proposed by the ARS (and proposed again), signed or
//! refused by the établissement, and the sanction for refusing to sign.

use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_store::CampaignId;
use caqes_store::Role;

use super::context::{UnitPath, amount_field, back, date_field, form_map, unit_action};
use crate::auth::{CurrentUser, Session};
use crate::request::error::AppResult;
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};

pub async fn propose_contract(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) =
        unit_action(&state, &s.user, ids, Role::Ars, "La proposition du contrat").await?;
    let form = form_map(pairs);
    let start = date_field(&form, "debut", "Début du contrat")?;
    let end = date_field(&form, "fin", "Fin du contrat")?;
    let received = date_field(&form, "reception", "Réception de la proposition")?;
    state
        .store
        .g2_propose_contract(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            start,
            end,
            received,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ContractProposed))
}

pub async fn second_proposal(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La seconde proposition").await?;
    let form = form_map(pairs);
    let received = date_field(&form, "reception", "Réception de la seconde proposition")?;
    state
        .store
        .g2_second_proposal(&s.user, &c.campaign, &c.grid, &c.entity, unit, received)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::SecondProposal))
}

async fn answer(
    state: AppState,
    s: Session,
    ids: (CampaignId, Finess, Finess),
    sign: bool,
) -> AppResult<Response> {
    let (c, unit) = unit_action(
        &state,
        &s.user,
        ids,
        Role::Etablissement,
        "La réponse au contrat",
    )
    .await?;
    state
        .store
        .g2_answer_contract(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            sign,
            caqes_store::today(),
        )
        .await?;
    Ok(flash::redirect(
        &back(&c, unit),
        if sign {
            Flash::ContractSigned
        } else {
            Flash::ContractRefused
        },
    ))
}

pub async fn sign(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(p): UnitPath,
) -> AppResult<Response> {
    answer(state, s, p, true).await
}

pub async fn refuse(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(p): UnitPath,
) -> AppResult<Response> {
    answer(state, s, p, false).await
}

pub async fn decide_refusal(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La sanction du refus").await?;
    let form = form_map(pairs);
    let amount = amount_field(&form, "montant", "Montant de la sanction")?;
    state
        .store
        .g2_decide_refusal_sanction(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            caqes_core::Euros(amount),
            form.get("motif").map(String::as_str),
            caqes_store::today(),
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::RefusalDecided))
}
