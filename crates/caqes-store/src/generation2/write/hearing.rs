//! The hearings the établissement asks for, on the second proposal of its contract
//! (D162-15) or on the evaluation report (D162-16 III), and the day the ARS fixes.

use caqes_core::notification::Event;
use jiff::civil::Date;
use serde_json::json;

use crate::conflict::{
    Contract2Conflict, Generation2Conflict, HearingConflict, IncentiveConflict, StaleConflict,
};
use crate::generation2::checks::{ensure_ars, ensure_own};
use crate::generation2::{ContractState2, HearingSubject, UnitRef};
use crate::{Result, Store, User, now_text};

impl Store {
    /// The établissement asks to be heard by the DG ARS on `subject`, on `today`: on the
    /// second proposal of its contract until the last day to sign it (D162-15), or on
    /// the evaluation report until the end of its month of observations (D162-16 III).
    /// Once.
    pub async fn g2_request_hearing(
        &self,
        user: &User,
        at: UnitRef<'_>,
        subject: HearingSubject,
        today: Date,
    ) -> Result<()> {
        ensure_own(user, at.entity, "Demander une audition")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let (table, window_end) = match subject {
            HearingSubject::Contrat => {
                let c = w
                    .before
                    .contract
                    .as_ref()
                    .ok_or(Contract2Conflict::NoContract)?;
                if c.state == ContractState2::Signe {
                    return Err(Contract2Conflict::ContractSigned.into());
                }
                if c.sanction.is_some() {
                    return Err(Contract2Conflict::RefusalSanctionDecided.into());
                }
                if c.hearing.requested_on.is_some() {
                    return Err(HearingConflict::ContractHearingRequested.into());
                }
                let end = c
                    .procedure(at.grid)
                    .and_then(|p| p.fin_second_delai)
                    .ok_or(HearingConflict::HearingBeforeSecondProposal)?;
                ("g2_contracts", end)
            }
            HearingSubject::Evaluation => {
                let e = w
                    .before
                    .evaluation
                    .as_ref()
                    .ok_or(IncentiveConflict::ReportNotReceived)?;
                if e.notified() {
                    return Err(IncentiveConflict::IncentiveNotified.into());
                }
                if e.hearing.requested_on.is_some() {
                    return Err(HearingConflict::ReportHearingRequested.into());
                }
                let end = e
                    .sequence()
                    .map_err(Generation2Conflict::Calendar)?
                    .fin_observations;
                ("g2_evaluations", end)
            }
        };
        if today > window_end {
            return Err(HearingConflict::HearingWindowClosed { end: window_end }.into());
        }
        w.guarded(
            sqlx::query(&format!(
                "UPDATE {table} SET hearing_requested_on = $1, updated_at = $2 \
                 WHERE campaign = $3 AND unit = $4 AND hearing_requested_on IS NULL"
            ))
            .bind(today.to_string())
            .bind(now_text())
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
            StaleConflict::HearingRequested,
        )
        .await?;
        w.commit(
            "g2.audition.demander",
            None,
            Some(json!({ "objet": subject.code(), "demandee_le": today.to_string() })),
            Some(Event::AuditionDemandeeG2),
        )
        .await
    }

    /// The ARS fixes the day of the hearing asked for on `subject` (not before the
    /// request); the deadline moves as `calendar_2022` says. Again until the sanction or
    /// the notification.
    pub async fn g2_fix_hearing(
        &self,
        user: &User,
        at: UnitRef<'_>,
        subject: HearingSubject,
        held_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Fixer la date de l'audition")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let (table, hearing) = match subject {
            HearingSubject::Contrat => {
                let c = w
                    .before
                    .contract
                    .as_ref()
                    .ok_or(Contract2Conflict::NoContract)?;
                if c.sanction.is_some() {
                    return Err(Contract2Conflict::RefusalSanctionDecided.into());
                }
                ("g2_contracts", c.hearing)
            }
            HearingSubject::Evaluation => {
                let e = w
                    .before
                    .evaluation
                    .as_ref()
                    .ok_or(IncentiveConflict::ReportNotReceived)?;
                if e.notified() {
                    return Err(IncentiveConflict::IncentiveNotified.into());
                }
                ("g2_evaluations", e.hearing)
            }
        };
        let requested = hearing
            .requested_on
            .ok_or(HearingConflict::NoHearingRequested)?;
        if held_on < requested {
            return Err(HearingConflict::HearingBeforeRequest { requested }.into());
        }
        w.guarded(
            sqlx::query(&format!(
                "UPDATE {table} SET hearing_on = $1, updated_at = $2 \
                 WHERE campaign = $3 AND unit = $4 AND hearing_requested_on IS NOT NULL"
            ))
            .bind(held_on.to_string())
            .bind(now_text())
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
            StaleConflict::HearingRequestChanged,
        )
        .await?;
        w.commit(
            "g2.audition.fixer",
            Some(json!({ "objet": subject.code(), "audition_le": hearing.held_on.map(|d| d.to_string()) })),
            Some(json!({
                "objet": subject.code(),
                "demandee_le": requested.to_string(),
                "audition_le": held_on.to_string(),
            })),
            Some(Event::AuditionFixeeG2),
        )
        .await
    }
}
