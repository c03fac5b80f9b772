//! The letter notifying a second-generation intéressement, from the dossier page once
//! notified (404 before, and outside the dossier's scope). The figures are the
//! engine's, as on the page (`caqes_store::generation2::evaluate`); the amount is the
//! one decided; the letter is dated on the notification's receipt.

use axum::extract::State;
use axum::response::Response;
use caqes_core::Finess;
use caqes_core::calendar::{CalendarParameters, Contestation};
use caqes_core::regimes::incitation::penalty_ceiling;
use caqes_core::regimes::outcome::LineStatus;
use caqes_core::regimes::own_objective::with_own_objectives;
use caqes_core::regimes::surveillance::acts_above_target;
use caqes_documents::{
    DocumentError, IncentiveLine, IncentiveNotification, LeverDecision, LeverNotification,
    ObservationsRecord,
};
use caqes_store::ReceiptId;
use caqes_store::documents::Issuance;
use caqes_store::generation2::UnitFile;
use caqes_store::generation2::evaluate;
use caqes_store::generation2::levers::{ObservationSubject, lever_object_id};
use caqes_store::notify::receipt::ReceiptKind;

use crate::documents::{appeals, authority, context, establishment, issue, letter_frame};
use crate::generation2::context::{Context2, UnitAction, UnitInScope};
use crate::generation2::view::objective_text;
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::fr;

/// `GET /campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement.pdf`
pub async fn letter(
    State(state): State<AppState>,
    UnitInScope(UnitAction { user, c, unit }): UnitInScope,
) -> AppResult<Response> {
    let user = &user;
    let file = state.store.g2_unit_file(&c.campaign, unit).await?;
    let evaluation = file.evaluation.clone().ok_or(AppError::NotFound)?;
    let (Some(decided), Some(received)) = (
        evaluation.decided_amount,
        evaluation.notification_received_on,
    ) else {
        return Err(AppError::NotFound);
    };
    let outcome = evaluate(&c.grid, c.campaign.year, &file)
        .map_err(|e| AppError::Internal(format!("intéressement : {e}")))?;
    if outcome.total != decided {
        // The values are frozen once notified: a difference is a defect, not a user error.
        return Err(AppError::Internal(format!(
            "intéressement décidé {decided} différent du calcul {}",
            outcome.total
        )));
    }
    // The unit's own objectives where the ARS fixed them, as evaluated.
    let objectives = with_own_objectives(&c.grid, &file.objectives);
    let lines = outcome
        .lignes
        .iter()
        .map(|l| IncentiveLine {
            code: l.code.clone(),
            objective: objectives
                .indicator(&l.code)
                .map(objective_text)
                .unwrap_or_default(),
            met: match (l.statut, l.atteint) {
                (LineStatus::Neutralised, _) => "neutralisé".into(),
                (_, Some(true)) => "oui".into(),
                (_, Some(false)) => "non".into(),
                (_, None) => "non évaluable".into(),
            },
            savings: l
                .economies
                .map(|e| fr::euros(e.0))
                .unwrap_or_else(|| "non chiffrables".into()),
            computed: l.interessement_calcule,
            retained: l.interessement,
            revision_motive: l.revision.as_ref().map(|r| r.motive.clone()),
        })
        .collect();
    let auth = authority(&state, &c.entity.region).await?;
    let params = CalendarParameters::default();
    let mut etab = establishment(&c.entity);
    etab.finess = unit;
    let letter = IncentiveNotification {
        frame: letter_frame(
            &auth,
            received,
            format!("CAQES-2G-{}-{unit}", c.campaign.year),
            None,
        ),
        establishment: etab,
        year: c.campaign.year,
        word: c.grid.regime.incentive_word().to_owned(),
        grid_title: c.grid.title.clone(),
        report_received_on: evaluation.report_received_on,
        lines,
        national: outcome.national,
        regional: outcome.regional,
        total: outcome.total,
        to_confirm: c
            .grid
            .to_confirm()
            .into_iter()
            .map(|t| (t.name, fr::date_text(&t.value), t.source))
            .collect(),
        appeals: appeals(
            &params,
            received,
            Some(received),
            Contestation::MontantInteressement,
        )?,
    };
    let ctx = context(auth)?;
    issue_for_unit(
        &state,
        user,
        (&c, unit),
        (
            "notification de l'intéressement",
            "notification_interessement_2022",
            "interessement",
        ),
        move || letter.render(&ctx),
    )
    .await
}

/// One letter about the contract unit `unit` of `c`: rendered off the async threads
/// (`what` names it in an error), its issuance recorded under `kind`, answered as
/// `notification-{stem}-{year}-{unit}.pdf`.
async fn issue_for_unit<F>(
    state: &AppState,
    user: &caqes_store::User,
    (c, unit): (&Context2, Finess),
    (what, kind, stem): (&'static str, &str, &str),
    document: F,
) -> AppResult<Response>
where
    F: FnOnce() -> Result<Vec<u8>, DocumentError> + Send + 'static,
{
    let name = format!("notification-{stem}-{}-{unit}.pdf", c.campaign.year);
    let subject = format!("{}:{unit}", c.campaign.id);
    let issuance = Issuance {
        document: kind,
        subject_kind: "unite_contrat",
        subject_id: &subject,
        region: Some(&c.entity.region),
        finess: Some(unit.as_str()),
        filename: &name,
    };
    issue(state, user, what, &issuance, document).await
}

/// The observations asked before a decision, for its letter.
fn observations_of(
    file: &caqes_store::generation2::UnitFile,
    subject: ObservationSubject,
) -> Option<ObservationsRecord> {
    file.observations_on(subject).map(|o| ObservationsRecord {
        invited_on: o.invited_on,
        until: o.until_on,
        received_on: o.received_on,
    })
}

/// The unit's file for a lever's letter: an établissement user opening the letter of a
/// decided lever not yet received (`unreceived`) receives it (electronic receipt, as for
/// every notified decision), and the file is read again with it.
async fn lever_file(
    state: &AppState,
    user: &caqes_store::User,
    c: &Context2,
    unit: Finess,
    kind: ReceiptKind,
    unreceived: impl Fn(&UnitFile) -> bool,
) -> AppResult<UnitFile> {
    let file = state.store.g2_unit_file(&c.campaign, unit).await?;
    if user.role != caqes_store::Role::Etablissement || !unreceived(&file) {
        return Ok(file);
    }
    let id = lever_object_id(&c.campaign.id, unit);
    state
        .store
        .acknowledge_opening(user, &[(kind, ReceiptId::from(id))])
        .await?;
    Ok(state.store.g2_unit_file(&c.campaign, unit).await?)
}

/// Renders, audits and hands over a lever's letter, dated on its decision.
async fn lever_letter(
    state: &AppState,
    user: &caqes_store::User,
    c: &Context2,
    unit: Finess,
    (decision, decided_on, observations, motive): (
        LeverDecision,
        jiff::civil::Date,
        Option<ObservationsRecord>,
        Option<String>,
    ),
    received: Option<jiff::civil::Date>,
    (document, prefix): (&'static str, &'static str),
) -> AppResult<Response> {
    let auth = authority(state, &c.entity.region).await?;
    let params = CalendarParameters::default();
    let mut etab = establishment(&c.entity);
    etab.finess = unit;
    let letter = LeverNotification {
        frame: letter_frame(
            &auth,
            decided_on,
            format!("CAQES-{}-{}-{unit}", prefix.to_uppercase(), c.campaign.year),
            None,
        ),
        establishment: etab,
        decision,
        decided_on,
        observations,
        motive,
        // The deadline runs from the receipt, once recorded.
        appeals: appeals(&params, decided_on, received, Contestation::Sanction)?,
    };
    let ctx = context(auth)?;
    issue_for_unit(
        state,
        user,
        (c, unit),
        (document, document, prefix),
        move || letter.render(&ctx),
    )
    .await
}

/// `GET /campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/surveillance.pdf`: the
/// decision at the end of the surveillance (404 before it).
pub async fn surveillance_letter(
    State(state): State<AppState>,
    UnitInScope(UnitAction { user, c, unit }): UnitInScope,
) -> AppResult<Response> {
    let user = &user;
    let file = lever_file(&state, user, &c, unit, ReceiptKind::SurveillanceG2, |f| {
        f.surveillance
            .as_ref()
            .is_some_and(|s| s.decision.is_some() && s.receipt.is_none())
    })
    .await?;
    let s = file.surveillance.clone().ok_or(AppError::NotFound)?;
    let d = s.decision.clone().ok_or(AppError::NotFound)?;
    let decision = LeverDecision::Surveillance {
        scope: s.scope.clone(),
        saisine: s.saisine_on,
        previous: s.previous_count,
        target: s.target_count,
        observed: d.observed,
        above: acts_above_target(d.observed, s.target_count),
        abattement_pct: d.abattement_pct,
        minoration_pct: d.minoration_pct,
    };
    let observations = observations_of(&file, ObservationSubject::Surveillance);
    lever_letter(
        &state,
        user,
        &c,
        unit,
        (decision, d.decided_on, observations, d.motive.clone()),
        s.receipt.as_ref().map(|r| r.on),
        ("notification_surveillance", "surveillance"),
    )
    .await
}

/// `GET /campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/penalite.pdf`: the 2026
/// penalty (404 before it is decided).
pub async fn penalty_letter(
    State(state): State<AppState>,
    UnitInScope(UnitAction { user, c, unit }): UnitInScope,
) -> AppResult<Response> {
    let user = &user;
    let file = lever_file(&state, user, &c, unit, ReceiptKind::PenaliteG2, |f| {
        f.penalty.as_ref().is_some_and(|p| p.receipt.is_none())
    })
    .await?;
    let p = file.penalty.clone().ok_or(AppError::NotFound)?;
    let params = c.grid.penalty.clone().ok_or(AppError::NotFound)?;
    let missed = evaluate(&c.grid, c.campaign.year, &file)
        .map(|o| o.objectifs_manques)
        .unwrap_or(0);
    let ceiling = penalty_ceiling(&params, c.campaign.year, p.am_funding)
        .ok_or_else(|| AppError::Internal("pénalité sans plafond pour son année".into()))?;
    let decision = LeverDecision::Penalty {
        year: c.campaign.year,
        funding: p.am_funding,
        ceiling_pct: params.plafond_pct.valeur,
        ceiling,
        objectives_missed: missed,
        amount: p.amount,
    };
    let observations = observations_of(&file, ObservationSubject::Penalite);
    lever_letter(
        &state,
        user,
        &c,
        unit,
        (decision, p.decided_on, observations, p.motive.clone()),
        p.receipt.as_ref().map(|r| r.on),
        ("notification_penalite_2026", "penalite"),
    )
    .await
}
