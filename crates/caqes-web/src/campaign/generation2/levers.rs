//! The levers after the intéressement on a unit's section of the dossier page (issue 13):
//! the ARS places the unit under surveillance (`caqes-2022`: target ≥ 70 % of N−1, CSS
//! L162-30-3) and decides at its end (abattement and minoration ≤ 50 %, two years after
//! the saisine, L162-30-4); the ARS invites the établissement to present its
//! observations, which the établissement writes on the same page; the ARS decides the
//! 2026 penalty (≤ 2 % of the AM funding, L162-23-14 2°, after the observations of
//! L162-23-14-1). Every rule is checked by the store with `caqes_core::regimes`.

use axum::extract::State;
use axum::response::Response;
use caqes_core::Euros;
use caqes_core::regimes::surveillance::{OpinionBody, ReductionDecision};
use caqes_core::value::parse_decimal;
use caqes_store::Role;
use caqes_store::generation2::levers::ObservationSubject;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

use super::context::{UnitPath, amount_field, back, date_field, form_map, unit_action};
use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::extract::{Form, Path};
use crate::request::state::AppState;
use crate::ui::flash::{self, Flash};

/// A count or a rate typed in French (« 1 180 », « 12,5 »).
fn number_field(form: &BTreeMap<String, String>, name: &str, label: &str) -> AppResult<Decimal> {
    let text = form.get(name).map(|s| s.trim()).unwrap_or_default();
    parse_decimal(&text.replace('%', ""))
        .ok_or_else(|| AppError::BadRequest(format!("{label} : nombre attendu, reçu « {text} ».")))
}

fn subject_field(form: &BTreeMap<String, String>) -> AppResult<ObservationSubject> {
    form.get("objet")
        .and_then(|o| ObservationSubject::parse(o.trim()))
        .ok_or_else(|| {
            AppError::BadRequest(
                "Objet des observations : mise sous surveillance ou pénalité.".into(),
            )
        })
}

fn text_field(form: &BTreeMap<String, String>, name: &str) -> Option<String> {
    form.get(name)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// `POST …/objectifs/{unit}/surveillance`: the acts concerned, the saisine, the number
/// of N−1 and the annual target.
pub async fn set_surveillance(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) =
        unit_action(&state, &s.user, ids, Role::Ars, "La mise sous surveillance").await?;
    let form = form_map(pairs);
    let saisine = date_field(&form, "saisine", "Date de la saisine")?;
    let previous = number_field(&form, "precedent", "Nombre constaté l'année précédente")?;
    let target = number_field(&form, "cible", "Cible annuelle")?;
    state
        .store
        .g2_set_surveillance(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            form.get("actes").map(String::as_str).unwrap_or_default(),
            saisine,
            previous,
            target,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::SurveillanceSet))
}

/// `POST …/objectifs/{unit}/observations/inviter`: the invitation's receipt and last day.
pub async fn invite_observations(
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
        "L'invitation à présenter des observations",
    )
    .await?;
    let form = form_map(pairs);
    let subject = subject_field(&form)?;
    let invited = date_field(&form, "reception", "Réception de l'invitation")?;
    let until = date_field(&form, "jusqu_au", "Dernier jour des observations")?;
    state
        .store
        .g2_invite_observations(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            subject,
            invited,
            until,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::ObservationsInvited))
}

/// `POST …/objectifs/{unit}/observations`: the établissement's observations.
pub async fn present_observations(
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
        "La présentation des observations",
    )
    .await?;
    let form = form_map(pairs);
    let subject = subject_field(&form)?;
    state
        .store
        .g2_present_observations(
            &s.user,
            &c.campaign,
            &c.entity,
            unit,
            subject,
            form.get("texte").map(String::as_str).unwrap_or_default(),
            caqes_store::today(),
        )
        .await?;
    Ok(flash::redirect(
        &back(&c, unit),
        Flash::ObservationsPresented,
    ))
}

/// `POST …/objectifs/{unit}/surveillance/avis`: the opinion of the AM body or of the CRSA
/// before a reduction (`organisme`, `issue` = `avis` or `delai_echu`, `date`, `resume`).
pub async fn record_opinion(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) =
        unit_action(&state, &s.user, ids, Role::Ars, "L'avis avant la réduction").await?;
    let form = form_map(pairs);
    let body = form
        .get("organisme")
        .and_then(|b| OpinionBody::parse(b.trim()))
        .ok_or_else(|| AppError::BadRequest("Organisme : assurance maladie ou CRSA.".into()))?;
    let given = match form.get("issue").map(|s| s.trim()) {
        Some("avis") => true,
        Some("delai_echu") => false,
        _ => {
            return Err(AppError::BadRequest(
                "Issue : avis donné ou délai expiré.".into(),
            ));
        }
    };
    let on = date_field(&form, "date", "Date de l'avis")?;
    state
        .store
        .g2_record_opinion(
            &s.user,
            &c.campaign,
            &c.entity,
            unit,
            body,
            given,
            on,
            form.get("resume").map(String::as_str),
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::OpinionRecorded))
}

/// `POST …/objectifs/{unit}/surveillance/decider`: the number observed, the abattement
/// and the minoration (in %, empty for none), the day and the motive.
pub async fn decide_surveillance(
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
        "La décision de mise sous surveillance",
    )
    .await?;
    let form = form_map(pairs);
    let rate = |name: &str, label: &str| -> AppResult<Decimal> {
        if text_field(&form, name).is_none() {
            Ok(Decimal::ZERO)
        } else {
            number_field(&form, name, label)
        }
    };
    let decision = ReductionDecision {
        observed: number_field(&form, "constate", "Nombre constaté")?,
        abattement_pct: rate("abattement", "Abattement du tarif national (%)")?,
        minoration_pct: rate("minoration", "Minoration de la prise en charge (%)")?,
        decided_on: date_field(&form, "date", "Date de la décision")?,
        motive: text_field(&form, "motif"),
    };
    state
        .store
        .g2_decide_surveillance(&s.user, &c.campaign, &c.entity, unit, &decision)
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::SurveillanceDecided))
}

/// `POST …/objectifs/{unit}/penalite`: the AM funding, the amount, the day and the motive.
pub async fn decide_penalty(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
    Path(ids): UnitPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (c, unit) = unit_action(&state, &s.user, ids, Role::Ars, "La pénalité").await?;
    let form = form_map(pairs);
    let funding = amount_field(&form, "financement", "Financement de l'assurance maladie")?;
    let amount = amount_field(&form, "montant", "Montant de la pénalité")?;
    let decided_on = date_field(&form, "date", "Date de la décision")?;
    state
        .store
        .g2_decide_penalty(
            &s.user,
            &c.campaign,
            &c.grid,
            &c.entity,
            unit,
            Euros(funding),
            Euros(amount),
            form.get("motif").map(String::as_str),
            decided_on,
        )
        .await?;
    Ok(flash::redirect(&back(&c, unit), Flash::PenaltyDecided))
}
