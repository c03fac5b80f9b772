//! A user's notifications: the list, the unread count, reading one (which
//! marks it read and gives the page to go to), and the e-mail setting.

use caqes_core::notification::EmailPreference;
use serde_json::json;
use sqlx::Row;

use crate::admin::audit::{AuditLine, record};
use crate::model::ids::{NotificationId, UserId};
use crate::{Actor, Result, Store, StoreError, User, now_text};

/// A notification as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub entity_name: Option<String>,
    pub legal: bool,
    pub created_at: String,
    pub read_at: Option<String>,
}

impl Store {
    /// The latest `limit` notifications of a user, newest first.
    pub async fn notifications_of(
        &self,
        user_id: &UserId,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT id, kind, title, body, link, entity_name, legal, created_at, read_at \
             FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(user_id.to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    title: r.try_get("title")?,
                    body: r.try_get("body")?,
                    link: r.try_get("link")?,
                    entity_name: r.try_get("entity_name")?,
                    legal: r.try_get::<i64, _>("legal")? != 0,
                    created_at: r.try_get("created_at")?,
                    read_at: r.try_get("read_at")?,
                })
            })
            .collect()
    }

    /// How many notifications of a user are unread (the header's badge).
    pub async fn unread_count(&self, user_id: &UserId) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id.to_owned())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    /// Opens a notification of `user`: marks it read (the first time) and
    /// returns the page it points to. Another user's notification is « not found ».
    pub async fn open_notification(&self, user: &User, id: &NotificationId) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let link: String =
            sqlx::query("SELECT link FROM notifications WHERE id = $1 AND user_id = $2")
                .bind(id.clone())
                .bind(user.id.clone())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("notification"))?
                .try_get("link")?;
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
        )
        .bind(now_text())
        .bind(id.clone())
        .bind(user.id.clone())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(link)
    }

    /// Marks every notification of `user` read; returns how many were unread.
    pub async fn mark_all_read(&self, user: &User) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
        )
        .bind(now_text())
        .bind(user.id.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// The user's e-mail choice (« immédiat » when never set).
    pub async fn email_preference(&self, user_id: &UserId) -> Result<EmailPreference> {
        let mode: Option<String> =
            sqlx::query("SELECT email_mode FROM notification_settings WHERE user_id = $1")
                .bind(user_id.to_owned())
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.try_get("email_mode"))
                .transpose()?;
        match mode {
            None => Ok(EmailPreference::default()),
            Some(m) => EmailPreference::parse(&m)
                .ok_or_else(|| StoreError::Corrupt(format!("choix de courriel inconnu « {m} »"))),
        }
    }

    /// The user sets its own e-mail choice (audited).
    pub async fn set_email_preference(
        &self,
        user: &User,
        preference: EmailPreference,
    ) -> Result<()> {
        let before = self.email_preference(&user.id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO notification_settings (user_id, email_mode, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET email_mode = excluded.email_mode, updated_at = excluded.updated_at",
        )
        .bind(user.id.clone())
        .bind(preference.code())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        let line = AuditLine {
            region: user.region.as_ref(),
            action: "notifications.preference",
            object_kind: "utilisateur",
            object_id: user.id.as_str(),
            before: Some(json!({ "courriels": before.code() })),
            after: Some(json!({ "courriels": preference.code() })),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        tx.commit().await?;
        Ok(())
    }
}
