//! Before the contract, on a unit: the ARS's targeting (measures per threshold,
//! indicators retained or not, motives) and its own objective of an indicator.

use axum::extract::State;
use axum::response::Response;
use caqes_core::value::parse_decimal;
use caqes_store::Role;
use caqes_store::generation2::write::TargetingInput;

use super::context::{UnitPath, back, date_field, form_map, unit_action};
use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};

/// The ARS's targeting of a unit: measures per threshold, retained or not, motive.
pub async fn confirm_targeting(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "Le ciblage").await?;
    let form = form_map(pairs);
    let mut decisions = Vec::new();
    for ind in &c.grid.indicators {
        let mut measures = Vec::with_capacity(ind.seuils_ciblage.len());
        for (i, t) in ind.seuils_ciblage.iter().enumerate() {
            let text = form
                .get(&format!("m:{}:{i}", ind.code))
                .map(|s| s.trim())
                .unwrap_or_default();
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
        let retained = form.contains_key(&format!("r:{}", ind.code));
        let motive = form
            .get(&format!("motif:{}", ind.code))
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
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
        .g2_confirm_targeting(&s.user, &c.campaign, &c.grid, &c.entity, unit, &decisions)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::TargetingConfirmed))
}

/// The ARS's own objective of an indicator for the unit; an empty value goes back to
/// the grid's.
pub async fn set_objective(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "L'objectif propre").await?;
    let form = form_map(pairs);
    let indicator = form
        .get("indicateur")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let text = form.get("valeur").map(|s| s.trim()).unwrap_or_default();
    let value = if text.is_empty() {
        None
    } else {
        Some(
            parse_decimal(&text.replace(['%', '\u{a0}'], "")).ok_or_else(|| {
                AppError::BadRequest(format!("Objectif : nombre attendu, reçu « {text} »."))
            })?,
        )
    };
    let fixed_on = date_field(&form, "date", "Date de l'objectif")?;
    state
        .store
        .g2_set_objective(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            &indicator,
            value,
            fixed_on,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ObjectiveSet))
}
