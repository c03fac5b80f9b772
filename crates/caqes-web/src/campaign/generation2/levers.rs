//! The levers after the intéressement on a unit's section of the dossier page (issue 13):
//! the ARS places the unit under surveillance (`caqes-2022`: target ≥ 70 % of N−1, CSS
//! L162-30-3) and decides at its end (abattement and minoration ≤ 50 %, two years after
//! the saisine, L162-30-4); the ARS invites the établissement to present its
//! observations, which the établissement writes on the same page; the ARS decides the
//! 2026 penalty (≤ 2 % of the AM funding, L162-23-14 2°, after the observations of
//! L162-23-14-1). Every rule is checked by the store with `caqes_core::regimes`.

use axum::extract::State;
use axum::response::Response;
use caqes_core::regimes::surveillance::{OpinionBody, ReductionDecision};
use caqes_store::Role;
use caqes_store::generation2::levers::ObservationSubject;
use rust_decimal::Decimal;

use super::context::{Fields, UnitAction};
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::flash::Flash;

fn subject_field(form: &Fields) -> AppResult<ObservationSubject> {
    ObservationSubject::parse(form.trimmed("objet")).ok_or_else(|| {
        AppError::BadRequest("Objet des observations : mise sous surveillance ou pénalité.".into())
    })
}

/// `POST …/objectifs/{unit}/surveillance`: the acts concerned, the saisine, the number
/// of N−1 and the annual target.
pub async fn set_surveillance(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La mise sous surveillance")?;
    let saisine = form.date("saisine", "Date de la saisine")?;
    let previous = form.number("precedent", "Nombre constaté l'année précédente")?;
    let target = form.number("cible", "Cible annuelle")?;
    state
        .store
        .g2_set_surveillance(
            &u.user,
            u.at(),
            form.raw("actes").unwrap_or_default(),
            saisine,
            previous,
            target,
        )
        .await?;
    Ok(u.done(Flash::SurveillanceSet))
}

/// `POST …/objectifs/{unit}/observations/inviter`: the invitation's receipt and last day.
pub async fn invite_observations(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "L'invitation à présenter des observations")?;
    let subject = subject_field(&form)?;
    let invited = form.date("reception", "Réception de l'invitation")?;
    let until = form.date("jusqu_au", "Dernier jour des observations")?;
    state
        .store
        .g2_invite_observations(&u.user, u.at(), subject, invited, until)
        .await?;
    Ok(u.done(Flash::ObservationsInvited))
}

/// `POST …/objectifs/{unit}/observations`: the établissement's observations.
pub async fn present_observations(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Etablissement, "La présentation des observations")?;
    let subject = subject_field(&form)?;
    state
        .store
        .g2_present_observations(
            &u.user,
            u.at(),
            subject,
            form.raw("texte").unwrap_or_default(),
            caqes_store::today(),
        )
        .await?;
    Ok(u.done(Flash::ObservationsPresented))
}

/// `POST …/objectifs/{unit}/surveillance/avis`: the opinion of the AM body or of the CRSA
/// before a reduction (`organisme`, `issue` = `avis` or `delai_echu`, `date`, `resume`).
pub async fn record_opinion(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "L'avis avant la réduction")?;
    let body = OpinionBody::parse(form.trimmed("organisme"))
        .ok_or_else(|| AppError::BadRequest("Organisme : assurance maladie ou CRSA.".into()))?;
    let given = match form.raw("issue").map(str::trim) {
        Some("avis") => true,
        Some("delai_echu") => false,
        _ => {
            return Err(AppError::BadRequest(
                "Issue : avis donné ou délai expiré.".into(),
            ));
        }
    };
    let on = form.date("date", "Date de l'avis")?;
    state
        .store
        .g2_record_opinion(&u.user, u.at(), body, given, on, form.raw("resume"))
        .await?;
    Ok(u.done(Flash::OpinionRecorded))
}

/// `POST …/objectifs/{unit}/surveillance/decider`: the number observed, the abattement
/// and the minoration (in %, empty for none), the day and the motive.
pub async fn decide_surveillance(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La décision de mise sous surveillance")?;
    let rate = |name: &str, label: &str| -> AppResult<Decimal> {
        if form.filled(name).is_none() {
            Ok(Decimal::ZERO)
        } else {
            form.number(name, label)
        }
    };
    let decision = ReductionDecision {
        observed: form.number("constate", "Nombre constaté")?,
        abattement_pct: rate("abattement", "Abattement du tarif national (%)")?,
        minoration_pct: rate("minoration", "Minoration de la prise en charge (%)")?,
        decided_on: form.date("date", "Date de la décision")?,
        motive: form.filled("motif"),
    };
    state
        .store
        .g2_decide_surveillance(&u.user, u.at(), &decision)
        .await?;
    Ok(u.done(Flash::SurveillanceDecided))
}

/// `POST …/objectifs/{unit}/penalite`: the AM funding, the amount, the day and the motive.
pub async fn decide_penalty(
    State(state): State<AppState>,
    u: UnitAction,
    form: Fields,
) -> AppResult<Response> {
    u.require(Role::Ars, "La pénalité")?;
    let funding = form.amount("financement", "Financement de l'assurance maladie")?;
    let amount = form.amount("montant", "Montant de la pénalité")?;
    let decided_on = form.date("date", "Date de la décision")?;
    state
        .store
        .g2_decide_penalty(
            &u.user,
            u.at(),
            funding,
            amount,
            form.raw("motif"),
            decided_on,
        )
        .await?;
    Ok(u.done(Flash::PenaltyDecided))
}
