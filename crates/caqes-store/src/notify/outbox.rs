//! The e-mail outbox: rows written with their event, sent by a worker.
//!
//! States: `en_attente` → `envoi` (claimed, with a lease and a claim token) →
//! `envoye`; a failure goes back to `en_attente` with an exponential back-off,
//! and to `echec` after [`MAX_ATTEMPTS`] (shown to the administrator, who may
//! put it back in the queue). A worker killed while sending leaves its rows in
//! `envoi`: once the lease has expired, another claim takes them again. Every
//! state change is guarded by the expected state (and the claim token), so two
//! workers never both mark one row, and a row marked sent is never claimed
//! again. The Message-ID is derived from the row id: a message re-sent after a
//! crash between the server's acceptance and the mark carries the same id.

use jiff::civil::Date;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::conflict::StaleConflict;
use crate::model::ids::{MailId, NotificationId, UserId};
use crate::{Actor, Result, Role, Store, StoreError, User, new_id, now_text};

/// After this many failed attempts a message is `echec` (visible to the admin).
pub const MAX_ATTEMPTS: i64 = 8;

/// Seconds to wait before attempt `attempts + 1`, after `attempts` failures:
/// 1 min, 2, 4, 8… capped at 6 hours.
pub fn backoff_seconds(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    (60_i64 << exp).min(6 * 3600)
}

/// Where an e-mail stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxState {
    EnAttente,
    Envoi,
    Envoye,
    Echec,
}

impl OutboxState {
    pub fn code(self) -> &'static str {
        match self {
            OutboxState::EnAttente => "en_attente",
            OutboxState::Envoi => "envoi",
            OutboxState::Envoye => "envoye",
            OutboxState::Echec => "echec",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OutboxState::EnAttente => "en attente",
            OutboxState::Envoi => "en cours d'envoi",
            OutboxState::Envoye => "envoyé",
            OutboxState::Echec => "échec",
        }
    }

    fn parse(code: &str) -> Result<OutboxState> {
        [
            OutboxState::EnAttente,
            OutboxState::Envoi,
            OutboxState::Envoye,
            OutboxState::Echec,
        ]
        .into_iter()
        .find(|s| s.code() == code)
        .ok_or_else(|| StoreError::Corrupt(format!("état de courriel inconnu « {code} »")))
    }
}

/// One notification as e-mailed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailItem {
    pub notification: NotificationId,
    pub title: String,
    pub body: String,
    pub entity_name: Option<String>,
    pub legal: bool,
}

/// A claimed e-mail, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The outbox row: the Message-ID is derived from it.
    pub id: MailId,
    /// The token of this claim: only its holder can mark the row.
    pub claim: String,
    pub to: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// `Some(day)` for a daily digest.
    pub digest_day: Option<Date>,
    /// One item, or the digest's items (oldest first).
    pub items: Vec<MailItem>,
}

/// An outbox row, for the administrator's page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: MailId,
    pub to: String,
    pub subject: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// Counts per state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub en_attente: i64,
    pub envoi: i64,
    pub envoye: i64,
    pub echec: i64,
}

/// What `/metrics` shows of the outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxGauges {
    /// Not sent yet and not given up: waiting (`en_attente`) or being sent (`envoi`).
    pub pending: i64,
    /// Given up after [`MAX_ATTEMPTS`] (`echec`), until the administrator retries them.
    pub failed: i64,
    /// Seconds since the oldest pending e-mail was queued (0 when none is):
    /// a mail server that refuses everything shows as a growing age.
    pub oldest_pending_seconds: i64,
}

pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    user_id: &UserId,
    to: &str,
    notification: Option<&NotificationId>,
    digest_day: Option<Date>,
    now: &str,
) -> Result<MailId> {
    let id = MailId::from(new_id());
    sqlx::query(
        "INSERT INTO email_outbox (id, user_id, to_address, notification, digest_day, state, attempts, \
         next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'en_attente', 0, $6, $7)",
    )
    .bind(id.clone())
    .bind(user_id.to_owned())
    .bind(to.to_owned())
    .bind(notification.cloned())
    .bind(digest_day.map(|d| d.to_string()))
    .bind(super::now_seconds())
    .bind(now.to_owned())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

fn item_from_row(r: &AnyRow) -> Result<MailItem> {
    Ok(MailItem {
        notification: r.try_get("id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        entity_name: r.try_get("entity_name")?,
        legal: r.try_get::<i64, _>("legal")? != 0,
    })
}

/// The subject of a row (for the admin's list): the notification's title or « Résumé ».
const SUBJECT_SQL: &str = "COALESCE(n.title, 'Résumé quotidien')";

impl Store {
    /// Claims up to `limit` e-mails due at `now` (Unix seconds): waiting ones
    /// whose next attempt has come, and ones left `envoi` by a worker whose
    /// lease expired. Each is moved to `envoi` until `now + lease_seconds`
    /// under a new claim token, in one transaction.
    pub async fn claim_mail(
        &self,
        now: i64,
        lease_seconds: i64,
        limit: i64,
    ) -> Result<Vec<OutgoingMail>> {
        // Most rounds find nothing: a read first, so that they take no write lock.
        let due: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM email_outbox \
             WHERE (state = 'en_attente' AND next_attempt_at <= $1) OR (state = 'envoi' AND lease_until <= $1)",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        if due == 0 {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, to_address, attempts, digest_day, notification, state FROM email_outbox \
             WHERE (state = 'en_attente' AND next_attempt_at <= $1) OR (state = 'envoi' AND lease_until <= $1) \
             ORDER BY next_attempt_at, created_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let id: MailId = r.try_get("id")?;
            let claim = new_id();
            let taken = sqlx::query(
                "UPDATE email_outbox SET state = 'envoi', lease_until = $1, claim = $2 \
                 WHERE id = $3 AND ((state = 'en_attente' AND next_attempt_at <= $4) OR (state = 'envoi' AND lease_until <= $4))",
            )
            .bind(now + lease_seconds)
            .bind(claim.clone())
            .bind(id.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken != 1 {
                continue;
            }
            let digest_day: Option<String> = r.try_get("digest_day")?;
            let notification: Option<String> = r.try_get("notification")?;
            let items = match &notification {
                Some(n) => sqlx::query(
                    "SELECT id, title, body, entity_name, legal FROM notifications WHERE id = $1",
                )
                .bind(n.clone())
                .fetch_all(&mut *tx)
                .await?,
                None => sqlx::query(
                    "SELECT id, title, body, entity_name, legal FROM notifications WHERE digest = $1 \
                     ORDER BY created_at, id",
                )
                .bind(id.clone())
                .fetch_all(&mut *tx)
                .await?,
            };
            out.push(OutgoingMail {
                id,
                claim,
                to: r.try_get("to_address")?,
                attempts: r.try_get("attempts")?,
                digest_day: digest_day
                    .map(|d| {
                        d.parse()
                            .map_err(|_| StoreError::Corrupt(format!("date illisible « {d} »")))
                    })
                    .transpose()?,
                items: items.iter().map(item_from_row).collect::<Result<_>>()?,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Marks a claimed e-mail sent; `false` when the claim was lost (the lease
    /// expired and another worker took the row).
    pub async fn mark_mail_sent(&self, mail: &OutgoingMail) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE email_outbox SET state = 'envoye', sent_at = $1, lease_until = NULL, last_error = NULL \
             WHERE id = $2 AND claim = $3 AND state = 'envoi'",
        )
        .bind(now_text())
        .bind(mail.id.clone())
        .bind(mail.claim.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Records a failed attempt: back to `en_attente` after the back-off, or
    /// `echec` after [`MAX_ATTEMPTS`]. `now` is Unix seconds.
    pub async fn mark_mail_failed(&self, mail: &OutgoingMail, error: &str, now: i64) -> Result<()> {
        let attempts = mail.attempts + 1;
        let state = if attempts >= MAX_ATTEMPTS {
            OutboxState::Echec
        } else {
            OutboxState::EnAttente
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE email_outbox SET state = $1, attempts = $2, next_attempt_at = $3, last_error = $4, \
             lease_until = NULL WHERE id = $5 AND claim = $6 AND state = 'envoi'",
        )
        .bind(state.code())
        .bind(attempts)
        .bind(now + backoff_seconds(attempts))
        .bind(error.chars().take(500).collect::<String>())
        .bind(mail.id.clone())
        .bind(mail.claim.clone())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Builds the daily digests of `day` (Paris): one outbox row per user
    /// with notifications waiting for the digest, which then point to it. A
    /// user already given a digest that day keeps the rest for the next one.
    /// Returns the number of digests written.
    pub async fn prepare_digests(&self, day: Date) -> Result<u64> {
        let waiting: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM notifications WHERE email = 'resume_en_attente'",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        if waiting == 0 {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let users = sqlx::query(
            "SELECT DISTINCT u.id, u.email FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.email = 'resume_en_attente' AND u.active = 1 ORDER BY u.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let now = now_text();
        let mut written = 0;
        for u in &users {
            let user_id: UserId = u.try_get("id")?;
            let email: String = u.try_get("email")?;
            let exists: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM email_outbox WHERE user_id = $1 AND digest_day = $2",
            )
            .bind(user_id.clone())
            .bind(day.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if exists > 0 {
                continue;
            }
            let id = enqueue(&mut tx, &user_id, &email, None, Some(day), &now).await?;
            sqlx::query(
                "UPDATE notifications SET email = 'resume', digest = $1 \
                 WHERE user_id = $2 AND email = 'resume_en_attente'",
            )
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            written += 1;
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Counts per state (for the administrator and the tests).
    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM email_outbox GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut c = OutboxCounts::default();
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            match OutboxState::parse(&r.try_get::<String, _>("state")?)? {
                OutboxState::EnAttente => c.en_attente = n,
                OutboxState::Envoi => c.envoi = n,
                OutboxState::Envoye => c.envoye = n,
                OutboxState::Echec => c.echec = n,
            }
        }
        Ok(c)
    }

    /// The outbox's gauges at `now`, in one query.
    pub async fn outbox_gauges(&self, now: jiff::Timestamp) -> Result<OutboxGauges> {
        let row = sqlx::query(
            "SELECT \
             COALESCE(SUM(CASE WHEN state IN ('en_attente', 'envoi') THEN 1 ELSE 0 END), 0) AS pending, \
             COALESCE(SUM(CASE WHEN state = 'echec' THEN 1 ELSE 0 END), 0) AS failed, \
             MIN(CASE WHEN state IN ('en_attente', 'envoi') THEN created_at END) AS oldest \
             FROM email_outbox WHERE state IN ('en_attente', 'envoi', 'echec')",
        )
        .fetch_one(&self.pool)
        .await?;
        let oldest: Option<String> = row.try_get("oldest")?;
        let oldest_pending_seconds = match oldest {
            None => 0,
            Some(text) => {
                let at: jiff::Timestamp = text.parse().map_err(|_| {
                    StoreError::Corrupt(format!("instant illisible « {text} » (email_outbox)"))
                })?;
                (now.as_second() - at.as_second()).max(0)
            }
        };
        Ok(OutboxGauges {
            pending: row.try_get("pending")?,
            failed: row.try_get("failed")?,
            oldest_pending_seconds,
        })
    }

    /// The e-mails not sent yet (waiting, being sent, failed), oldest first,
    /// and the latest `sent` sent ones: the administrator's view.
    pub async fn outbox_rows(&self, sent: i64) -> Result<(Vec<OutboxRow>, Vec<OutboxRow>)> {
        let select = format!(
            "SELECT o.id, o.to_address, {SUBJECT_SQL} AS subject, o.state, o.attempts, o.next_attempt_at, \
             o.last_error, o.created_at, o.sent_at FROM email_outbox o \
             LEFT JOIN notifications n ON n.id = o.notification"
        );
        let unsent = sqlx::query(&format!(
            "{select} WHERE o.state <> 'envoye' ORDER BY o.created_at, o.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let done = sqlx::query(&format!(
            "{select} WHERE o.state = 'envoye' ORDER BY o.sent_at DESC, o.id LIMIT $1"
        ))
        .bind(sent)
        .fetch_all(&self.pool)
        .await?;
        let read = |rows: Vec<AnyRow>| -> Result<Vec<OutboxRow>> {
            rows.iter()
                .map(|r| {
                    Ok(OutboxRow {
                        id: r.try_get("id")?,
                        to: r.try_get("to_address")?,
                        subject: r.try_get("subject")?,
                        state: OutboxState::parse(&r.try_get::<String, _>("state")?)?,
                        attempts: r.try_get("attempts")?,
                        next_attempt_at: r.try_get("next_attempt_at")?,
                        last_error: r.try_get("last_error")?,
                        created_at: r.try_get("created_at")?,
                        sent_at: r.try_get("sent_at")?,
                    })
                })
                .collect()
        };
        Ok((read(unsent)?, read(done)?))
    }

    /// Drops the e-mails not sent yet and the notifications waiting for a
    /// digest (they stay in the platform): the demonstration seeds years of
    /// history whose e-mails must not go out. Audited; returns the count dropped.
    pub async fn discard_unsent_mail(&self, actor: &Actor) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let dropped = sqlx::query("DELETE FROM email_outbox WHERE state = 'en_attente'")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE notifications SET email = 'aucun' WHERE email = 'resume_en_attente'")
            .execute(&mut *tx)
            .await?;
        let line = AuditLine {
            region: None,
            action: "courriels.ecarter",
            object_kind: "courriel",
            object_id: "*",
            before: None,
            after: Some(json!({ "courriels_ecartes": dropped })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(dropped)
    }

    /// The administrator puts a failed e-mail back in the queue (audited).
    pub async fn retry_mail(&self, admin: &User, id: &MailId) -> Result<()> {
        if admin.role != Role::Admin {
            return Err(StoreError::NotFound("courriel"));
        }
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE email_outbox SET state = 'en_attente', attempts = 0, next_attempt_at = $1 \
             WHERE id = $2 AND state = 'echec'",
        )
        .bind(super::now_seconds())
        .bind(id.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            // An unknown id is « not found », like anywhere else; a known one
            // that is not (or no longer) in failure is a conflict of state.
            let exists = sqlx::query("SELECT 1 FROM email_outbox WHERE id = $1")
                .bind(id.clone())
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound("courriel"));
            }
            return Err(StaleConflict::EmailNotFailed.into());
        }
        let line = AuditLine {
            region: None,
            action: "courriel.relancer",
            object_kind: "courriel",
            object_id: id.as_str(),
            before: Some(json!({ "etat": "echec" })),
            after: Some(json!({ "etat": "en_attente" })),
        };
        record(&mut tx, &Actor::user(admin), line).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_back_off_doubles_and_is_capped() {
        let b: Vec<i64> = (1..=5).map(super::backoff_seconds).collect();
        assert_eq!(b, vec![60, 120, 240, 480, 960]);
        assert_eq!(super::backoff_seconds(40), 6 * 3600);
        assert_eq!(super::backoff_seconds(0), 60);
    }
}
