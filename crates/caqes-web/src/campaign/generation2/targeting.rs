//! Before the contract, on a unit: the ARS's targeting (measures per threshold,
//! indicators retained or not, motives) and its own objective of an indicator.

use axum::extract::State;
use axum::response::Response;
use caqes_core::value::parse_decimal;
use caqes_store::Role;
use caqes_store::generation2::write::TargetingInput;

use super::context::{Fields, UnitAction};
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::flash::Flash;

/// The ARS's targeting of a unit: measures per threshold, retained or not, motive.
pub async fn confirm_targeting(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "Le ciblage")?;
    let mut decisions = Vec::new();
    for ind in &u.c.grid.indicators {
        let mut measures = Vec::with_capacity(ind.seuils_ciblage.len());
        for (i, t) in ind.seuils_ciblage.iter().enumerate() {
            let text = form.trimmed(&format!("m:{}:{i}", ind.code));
            if text.is_empty() {
                measures.push(None);
            } else {
                measures.push(Some(parse_decimal(text).ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "{} — {} : nombre illisible « {text} ».",
                        ind.code, t.libelle
                    ))
                })?));
            }
        }
        let retained = form.contains(&format!("r:{}", ind.code));
        let motive = form.filled(&format!("motif:{}", ind.code));
        // A line left blank is not examined: no decision, hence no motive to give.
        if measures.iter().all(Option::is_none) && !retained && motive.is_none() {
            continue;
        }
        decisions.push(TargetingInput {
            indicator: ind.code.clone(),
            measures,
            retained,
            motive,
        });
    }
    state
        .store
        .g2_confirm_targeting(&u.user, u.at(), &decisions)
        .await?;
    Ok(u.done(Flash::TargetingConfirmed))
}

/// The ARS's own objective of an indicator for the unit; an empty value goes back to
/// the grid's.
pub async fn set_objective(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "L'objectif propre")?;
    let text = form.trimmed("valeur");
    let value = if text.is_empty() {
        None
    } else {
        Some(
            parse_decimal(&text.replace(['%', '\u{a0}'], "")).ok_or_else(|| {
                AppError::BadRequest(format!("Objectif : nombre attendu, reçu « {text} »."))
            })?,
        )
    };
    let fixed_on = form.date("date", "Date de l'objectif")?;
    state
        .store
        .g2_set_objective(&u.user, u.at(), form.trimmed("indicateur"), value, fixed_on)
        .await?;
    Ok(u.done(Flash::ObjectiveSet))
}
