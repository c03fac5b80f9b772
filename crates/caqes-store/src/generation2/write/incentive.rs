//! The yearly evaluation sequence: the report's receipt, the DG ARS's downward revisions,
//! the intéressement decided, then notified.

use caqes_core::Euros;
use caqes_core::notification::Event;
use caqes_core::regimes::outcome::Revision;
use jiff::civil::Date;
use serde_json::json;

use crate::conflict::{Generation2Conflict, IncentiveConflict};
use crate::generation2::checks::ensure_ars;
use crate::generation2::{UnitFile, UnitRef, evaluate};
use crate::{Result, Store, User, now_text};

impl Store {
    /// The evaluation report's receipt by the établissement: day 0 of the sequence.
    pub async fn g2_record_report(
        &self,
        user: &User,
        at: UnitRef<'_>,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Enregistrer la réception du rapport")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let before = w.before.clone();
        if !before.engaged(at.grid) {
            return Err(IncentiveConflict::NotSignedNoEvaluation.into());
        }
        if before
            .evaluation
            .as_ref()
            .is_some_and(|e| e.decided_amount.is_some())
        {
            return Err(IncentiveConflict::IncentiveDecided.into());
        }
        w.execute(
            sqlx::query("DELETE FROM g2_evaluations WHERE campaign = $1 AND unit = $2")
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned()),
        )
        .await?;
        w.execute(
            sqlx::query(
                "INSERT INTO g2_evaluations (campaign, unit, entity, report_received_on, updated_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(at.entity.finess.as_str().to_owned())
            .bind(received_on.to_string())
            .bind(now_text()),
        )
        .await?;
        w.commit(
            "g2.rapport.reception",
            before
                .evaluation
                .map(|e| json!({ "reception_rapport": e.report_received_on.to_string() })),
            Some(json!({ "reception_rapport": received_on.to_string() })),
            Some(Event::RapportEvaluationG2),
        )
        .await
    }

    /// The DG ARS's motivated downward revision of one line (D162-16 V 2°), checked by
    /// the engine (`outcome::revise`: ≥ 0, ≤ the computed amount, a motive); `None`
    /// withdraws it. Refused once the intéressement is decided.
    pub async fn g2_revise(
        &self,
        user: &User,
        at: UnitRef<'_>,
        indicator: &str,
        revision: Option<Revision>,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Réviser l'intéressement")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let before = w.before.clone();
        if before
            .evaluation
            .as_ref()
            .is_some_and(|e| e.decided_amount.is_some())
        {
            return Err(IncentiveConflict::RevisionAfterIncentive.into());
        }
        let mut after = before.clone();
        after.revisions.retain(|(c, _)| c != indicator);
        if let Some(r) = &revision {
            after.revisions.push((indicator.to_owned(), r.clone()));
        }
        let outcome =
            evaluate(at.grid, at.campaign.year, &after).map_err(Generation2Conflict::Outcome)?;
        if !outcome.lignes.iter().any(|l| l.code == indicator) {
            return Err(IncentiveConflict::NoLineToRevise {
                indicator: indicator.to_string(),
            }
            .into());
        }
        w.execute(
            sqlx::query(
                "DELETE FROM g2_revisions WHERE campaign = $1 AND unit = $2 AND indicator = $3",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(indicator.to_owned()),
        )
        .await?;
        if let Some(r) = &revision {
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_revisions (campaign, unit, indicator, amount, motive, decided_by, decided_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned())
                .bind(indicator.to_owned())
                .bind(r.amount.0.to_string())
                .bind(r.motive.trim().to_owned())
                .bind(user.id.clone())
                .bind(now_text()),
            )
            .await?;
        }
        let describe = |f: &UnitFile| {
            f.revisions
                .iter()
                .find(|(c, _)| c == indicator)
                .map(|(_, r)| json!({"montant_revise": r.amount.0.to_string(), "motif": r.motive}))
        };
        w.commit(
            "g2.interessement.reviser",
            Some(json!({ "indicateur": indicator, "revision": describe(&before) })),
            Some(json!({ "indicateur": indicator, "revision": describe(&after) })),
            None,
        )
        .await
    }

    /// The DG ARS decides the intéressement: the engine's total, revisions included,
    /// recorded as the amount to notify. Returns it.
    pub async fn g2_decide_incentive(&self, user: &User, at: UnitRef<'_>) -> Result<Euros> {
        ensure_ars(user, at.campaign, "Décider l'intéressement")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let evaluation = w
            .before
            .evaluation
            .clone()
            .ok_or(IncentiveConflict::ReportReceiptMissing)?;
        if evaluation.decided_amount.is_some() {
            return Err(IncentiveConflict::IncentiveDecided.into());
        }
        let outcome =
            evaluate(at.grid, at.campaign.year, &w.before).map_err(Generation2Conflict::Outcome)?;
        w.execute(
            sqlx::query(
                "UPDATE g2_evaluations SET decided_amount = $1, decided_by = $2, decided_at = $3, \
                 updated_at = $3 WHERE campaign = $4 AND unit = $5",
            )
            .bind(outcome.total.0.to_string())
            .bind(user.id.clone())
            .bind(now_text())
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
        )
        .await?;
        let after = json!({
            "annee": at.campaign.year,
            "national": outcome.national.0.to_string(),
            "regional": outcome.regional.0.to_string(),
            "total": outcome.total.0.to_string(),
            "lignes": outcome.lignes.iter().map(|l| json!({
                "indicateur": l.code, "calcule": l.interessement_calcule.0.to_string(),
                "retenu": l.interessement.0.to_string(),
            })).collect::<Vec<_>>(),
        });
        w.commit("g2.interessement.decider", None, Some(after), None)
            .await?;
        Ok(outcome.total)
    }

    /// The notification of the decided intéressement, with its receipt date: not before
    /// the end of the month of observations (`calendar_2022::evaluation_sequence`).
    pub async fn g2_notify_incentive(
        &self,
        user: &User,
        at: UnitRef<'_>,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Notifier l'intéressement")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let mut evaluation = w
            .before
            .evaluation
            .clone()
            .ok_or(IncentiveConflict::NoEvaluation)?;
        let Some(amount) = evaluation.decided_amount else {
            return Err(IncentiveConflict::IncentiveUndecided.into());
        };
        if evaluation.notified() {
            return Err(IncentiveConflict::IncentiveNotified.into());
        }
        if evaluation.hearing.awaiting_date() {
            return Err(IncentiveConflict::NotificationAwaitsHearing.into());
        }
        evaluation.notification_received_on = Some(received_on);
        let sequence = evaluation
            .sequence()
            .map_err(Generation2Conflict::Calendar)?;
        w.execute(
            sqlx::query(
                "UPDATE g2_evaluations SET notification_received_on = $1, updated_at = $2 \
                 WHERE campaign = $3 AND unit = $4",
            )
            .bind(received_on.to_string())
            .bind(now_text())
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
        )
        .await?;
        w.commit(
            "g2.interessement.notifier",
            None,
            Some(json!({
                "montant": amount.0.to_string(), "reception": received_on.to_string(),
                "hors_delai": sequence.notification_hors_delai,
                "decision_finale_a_partir_du": sequence.decision_finale_a_partir_du.map(|d| d.to_string()),
            })),
            Some(Event::InteressementNotifie),
        )
        .await
    }
}
