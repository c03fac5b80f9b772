//! The letter notifying a second-generation intéressement, from the dossier page once
//! notified (404 before, and outside the dossier's scope). The figures are the
//! engine's, as on the page (`caqes_store::generation2::evaluate`); the amount is the
//! one decided; the letter is dated on the notification's receipt.

use axum::extract::State;
use axum::response::Response;
use caqes_core::calendar::{CalendarParameters, Contestation};
use caqes_core::regimes::outcome::LineStatus;
use caqes_documents::{IncentiveLine, IncentiveNotification};
use caqes_store::documents::Issuance;
use caqes_store::generation2::evaluate;

use crate::auth::CurrentUser;
use crate::documents::{appeals, authority, context, deliver, establishment, letter_frame, render};
use crate::generation2::{load_unit, view::objective_text};
use crate::request::error::{AppError, AppResult};
use crate::request::extract::Path;
use crate::state::AppState;
use crate::ui::fr;

/// `GET /campagnes/{campaign}/dossiers/{finess}/objectifs/{unit}/interessement.pdf`
pub async fn letter(
    State(state): State<AppState>,
    CurrentUser(session): CurrentUser,
    Path((campaign_id, finess, unit)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let user = &session.user;
    let (c, unit) = load_unit(&state, user, &campaign_id, &finess, &unit).await?;
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
    let lines = outcome
        .lignes
        .iter()
        .map(|l| IncentiveLine {
            code: l.code.clone(),
            objective: c
                .grid
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
    let bytes = render("notification de l'intéressement", move || {
        letter.render(&ctx)
    })
    .await?;
    let name = format!("notification-interessement-{}-{unit}.pdf", c.campaign.year);
    let subject = format!("{}:{unit}", c.campaign.id);
    deliver(
        &state,
        user,
        &Issuance {
            document: "notification_interessement_2022",
            subject_kind: "unite_contrat",
            subject_id: &subject,
            region: Some(&c.entity.region),
            finess: Some(unit.as_str()),
            filename: &name,
        },
        bytes,
    )
    .await
}
