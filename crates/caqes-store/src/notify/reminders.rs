//! Scheduled notifications: reminders at J-15, J-7 and J-1 before the
//! submission deadline (dossiers not submitted yet), the end of a contract's
//! signature period and a hearing; campaign milestones for the OMEDIT.
//!
//! Run by the worker (any number of times a day): each reminder has an event
//! key, and a user gets at most one notification per key, so running twice
//! writes nothing more. Each reminder is written in its own transaction.

use caqes_core::calendar::CalendarParameters;
use caqes_core::notification::{DeadlineKind, Event, Milestone, due_reminder};
use jiff::civil::Date;
use sqlx::Row;

use super::{About, emit_keyed};
use crate::{Result, Store, StoreError};

/// How many days after a milestone its notification may still go out (a
/// server stopped on the day catches up within this week).
const MILESTONE_GRACE_DAYS: i32 = 7;

fn parse_date(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("date illisible « {text} »")))
}

impl Store {
    /// Writes the reminders and milestones due on `today` (Paris) that were
    /// not written yet. Returns the number of notifications written.
    pub async fn schedule_reminders(&self, today: Date) -> Result<u64> {
        let mut written = 0;

        // Submission deadline: dossiers still to submit.
        let rows = sqlx::query(
            "SELECT s.id, s.entity, s.campaign, c.submission_deadline FROM submissions s \
             JOIN campaigns c ON c.id = s.campaign \
             WHERE s.state IN ('brouillon', 'renvoye') AND c.submission_deadline > $1 \
             ORDER BY s.id",
        )
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let deadline = parse_date(&r.try_get::<String, _>("submission_deadline")?)?;
            let Some(reminder) = due_reminder(deadline, today) else {
                continue;
            };
            let id: String = r.try_get("id")?;
            let entity: String = r.try_get("entity")?;
            let campaign: String = r.try_get("campaign")?;
            let event = Event::Echeance {
                kind: DeadlineKind::Depot,
                reminder,
                on: deadline,
            };
            let key = format!("echeance:depot:{id}:{deadline}:{}", reminder.code());
            let link = format!("/campagnes/{campaign}/dossiers/{entity}");
            written += self.emit_alone(event, &entity, &link, &key).await?;
        }

        // Signature period and hearing of proposed contracts.
        let params = CalendarParameters::default();
        for contract in self.proposed_contracts().await? {
            let entity = contract.entity.to_string();
            let link = format!("/contrats/{entity}");
            if contract.receipt.is_some() && !contract.hearing_pending(&params)? {
                let end = contract.signature_period(&params)?.fin;
                if let Some(reminder) = due_reminder(end, today) {
                    let event = Event::Echeance {
                        kind: DeadlineKind::Signature,
                        reminder,
                        on: end,
                    };
                    let key = format!(
                        "echeance:signature:{}:{end}:{}",
                        contract.id,
                        reminder.code()
                    );
                    written += self.emit_alone(event, &entity, &link, &key).await?;
                }
            }
            if let Some(hearing) = contract.hearing_on
                && let Some(reminder) = due_reminder(hearing, today)
            {
                let event = Event::Echeance {
                    kind: DeadlineKind::Audition,
                    reminder,
                    on: hearing,
                };
                let key = format!(
                    "echeance:audition:{}:{hearing}:{}",
                    contract.id,
                    reminder.code()
                );
                written += self.emit_alone(event, &entity, &link, &key).await?;
            }
        }

        // Campaign milestones for the OMEDIT.
        let campaigns = sqlx::query(
            "SELECT id, submission_deadline, evaluation_deadline FROM campaigns ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        for c in &campaigns {
            let id: String = c.try_get("id")?;
            for (milestone, column, code) in [
                (Milestone::DepotClos, "submission_deadline", "depot"),
                (
                    Milestone::EvaluationClose,
                    "evaluation_deadline",
                    "evaluation",
                ),
            ] {
                let on = parse_date(&c.try_get::<String, _>(column)?)?;
                let late = caqes_core::calendar::days_between(on, today);
                if !(0..MILESTONE_GRACE_DAYS).contains(&late) {
                    continue;
                }
                let event = Event::Jalon { milestone, on };
                let key = format!("jalon:{code}:{id}:{on}");
                let mut tx = self.begin_write().await?;
                written += emit_keyed(
                    &mut tx,
                    event,
                    About::Campaign(&id),
                    &format!("/campagnes/{id}"),
                    &key,
                )
                .await?;
                tx.commit().await?;
            }
        }
        Ok(written)
    }

    async fn emit_alone(&self, event: Event, entity: &str, link: &str, key: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = emit_keyed(&mut tx, event, About::Entity(entity), link, key).await?;
        tx.commit().await?;
        Ok(n)
    }
}
