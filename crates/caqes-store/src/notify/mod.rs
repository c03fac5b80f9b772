//! Notifications: written in the transaction of the event they tell about.
//!
//! A write that is an event (a dossier returned, a decision notified, a
//! contract proposed…) calls [`emit`] next to its audit line, in the same
//! transaction: the event, its audit line, its notifications and their e-mails
//! in the outbox are committed together or not at all. Who hears of what, and
//! the French wording, are `caqes_core::notification`'s rules; this module
//! finds the recipients (the active users of the scope) and writes the rows.
//!
//! - [`inbox`]: a user's notifications, unread count, reading, e-mail setting;
//! - [`outbox`]: the e-mails, claimed and marked by the sending worker;
//! - [`reminders`]: deadlines (J-15, J-7, J-1) and campaign milestones;
//! - [`receipt`]: acknowledgements of receipt (electronic or paper).

pub mod inbox;
pub mod outbox;
pub mod receipt;
pub mod reminders;

use caqes_core::notification::{Audience, Delivery, EmailPreference, Event, delivery};
use sqlx::{AnyConnection, Row};

use crate::model::ids::NotificationId;
use crate::{Result, StoreError, new_id, now_text};

/// What an event is about: an establishment (its users, or its region's
/// users) or a campaign (its region's users).
#[derive(Clone, Copy, Debug)]
pub(crate) enum About<'a> {
    /// A legal entity, by FINESS.
    Entity(&'a str),
    /// A campaign, by id.
    Campaign(&'a str),
}

/// The current Unix time in seconds (the outbox's clock).
pub fn now_seconds() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Writes the notifications of `event` for every active user of its audience,
/// with their e-mails (outbox rows, or pending for the digest), in `conn`'s
/// transaction. `link` is the page the notification opens (a path of the site).
/// Returns the number of notifications written.
pub(crate) async fn emit(
    conn: &mut AnyConnection,
    event: Event,
    about: About<'_>,
    link: &str,
) -> Result<u64> {
    emit_keyed(conn, event, about, link, &new_id()).await
}

/// [`emit`] with an event key: a user gets at most one notification per key,
/// so a reminder scheduled twice is written once.
pub(crate) async fn emit_keyed(
    conn: &mut AnyConnection,
    event: Event,
    about: About<'_>,
    link: &str,
    key: &str,
) -> Result<u64> {
    let (region, entity, subject) = match about {
        About::Entity(finess) => {
            let r = sqlx::query("SELECT region, name FROM legal_entities WHERE finess = $1")
                .bind(finess.to_owned())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("entité juridique"))?;
            let name: String = r.try_get("name")?;
            (
                r.try_get::<String, _>("region")?,
                Some((finess.to_owned(), name.clone())),
                name,
            )
        }
        About::Campaign(id) => {
            let r = sqlx::query("SELECT region, title FROM campaigns WHERE id = $1")
                .bind(id.to_owned())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("campagne"))?;
            (r.try_get("region")?, None, r.try_get("title")?)
        }
    };
    let recipients = match (event.audience(), &entity) {
        (Audience::Etablissement, Some((finess, _))) => {
            sqlx::query(
                "SELECT u.id, u.email, s.email_mode FROM users u \
                 LEFT JOIN notification_settings s ON s.user_id = u.id \
                 WHERE u.role = 'etablissement' AND u.entity = $1 AND u.active = 1 ORDER BY u.email",
            )
            .bind(finess.clone())
            .fetch_all(&mut *conn)
            .await?
        }
        (Audience::Etablissement, None) => Vec::new(),
        (audience, _) => {
            let role = match audience {
                Audience::Ars => "ars",
                Audience::AssuranceMaladie => "assurance_maladie",
                _ => "omedit",
            };
            sqlx::query(
                "SELECT u.id, u.email, s.email_mode FROM users u \
                 LEFT JOIN notification_settings s ON s.user_id = u.id \
                 WHERE u.role = $1 AND u.region = $2 AND u.active = 1 ORDER BY u.email",
            )
            .bind(role)
            .bind(region.clone())
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let wording = event.wording(&subject);
    let now = now_text();
    let mut written = 0;
    for r in &recipients {
        let user_id: crate::model::ids::UserId = r.try_get("id")?;
        let email: String = r.try_get("email")?;
        let mode: Option<String> = r.try_get("email_mode")?;
        let preference = mode
            .as_deref()
            .and_then(EmailPreference::parse)
            .unwrap_or_default();
        let how = delivery(event, preference);
        let id = NotificationId::from(new_id());
        let inserted = sqlx::query(
            "INSERT INTO notifications (id, user_id, kind, event_key, region, entity, entity_name, title, body, link, \
             legal, email, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (user_id, event_key) DO NOTHING",
        )
        .bind(id.clone())
        .bind(user_id.clone())
        .bind(event.code())
        .bind(key.to_owned())
        .bind(region.clone())
        .bind(entity.as_ref().map(|(f, _)| f.clone()))
        .bind(entity.as_ref().map(|(_, n)| n.clone()))
        .bind(wording.title.clone())
        .bind(wording.body.clone())
        .bind(link.to_owned())
        .bind(i64::from(event.is_legal_notice()))
        .bind(match how {
            Delivery::Immediate => "immediat",
            Delivery::Digest => "resume_en_attente",
            Delivery::None => "aucun",
        })
        .bind(now.clone())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 0 {
            continue;
        }
        written += 1;
        if how == Delivery::Immediate {
            outbox::enqueue(conn, &user_id, &email, Some(&id), None, &now).await?;
        }
    }
    Ok(written)
}
