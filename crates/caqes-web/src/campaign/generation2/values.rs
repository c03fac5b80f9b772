//! The values of N and N−1 of a unit, typed in its dossier by the établissement
//! or the ARS.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use caqes_core::Euros;
use caqes_core::regimes::outcome::YearValues;
use caqes_core::value::parse_decimal;
use caqes_store::Role;

use super::context::{Fields, UnitAction};
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::flash::Flash;

/// Values of N and N−1 (`v:{code}:{year}:{montant|numerateur|denominateur}`).
pub async fn save_values(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    if !matches!(u.user.role, Role::Ars | Role::Etablissement) {
        return Err(AppError::Forbidden(
            "La saisie des valeurs est réservée à l'établissement et à l'ARS.".into(),
        ));
    }
    let mut rows: BTreeMap<(String, i16), YearValues> = BTreeMap::new();
    for (key, text) in form.iter() {
        let Some(rest) = key.strip_prefix("v:") else {
            continue;
        };
        let mut parts = rest.rsplitn(3, ':');
        let (Some(part), Some(year), Some(code)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(year) = year.parse::<i16>() else {
            continue;
        };
        let text = text.trim();
        let value = if text.is_empty() {
            None
        } else if part == "montant" {
            // An amount goes through the one amount reader (never negative, at most cents).
            let amount = Euros::parse_fr(text)
                .map_err(|e| AppError::BadRequest(format!("{code} {year}, {part} : {e}.")))?;
            Some(amount.amount())
        } else {
            Some(parse_decimal(&text.replace('€', "")).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{code} {year}, {part} : nombre illisible « {text} »."
                ))
            })?)
        };
        let entry = rows.entry((code.to_owned(), year)).or_default();
        match part {
            "montant" => entry.montant = value,
            "numerateur" => entry.numerateur = value,
            "denominateur" => entry.denominateur = value,
            _ => {}
        }
    }
    let rows: Vec<(String, i16, YearValues)> = rows
        .into_iter()
        .map(|((code, year), v)| (code, year, v))
        .collect();
    state.store.g2_save_values(&u.user, u.at(), &rows).await?;
    Ok(u.done(Flash::ValuesSaved))
}
