//! User accounts, sessions, login throttling ([`throttle`]), the password
//! policy ([`policy`]) and validated e-mail addresses ([`email`]).

pub mod email;
pub mod oidc;
pub mod password;
pub mod policy;
pub mod throttle;

use crate::parse_optional_region;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::admin::audit::{AuditLine, record};
use crate::model::ids::UserId;
use crate::{
    Actor, NewUser, Result, Role, Store, StoreError, User, WorkflowError, new_id, now_text,
    parse_finess,
};

const USER_COLUMNS: &str =
    "id, email, display_name, role, region, entity, password_hash, active, must_change_password";

fn user_from_row(r: &AnyRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    let entity: Option<String> = r.try_get("entity")?;
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        region: parse_optional_region(r.try_get("region")?)?,
        entity: entity.as_deref().map(parse_finess).transpose()?,
        password_hash: r.try_get("password_hash")?,
        active: r.try_get::<i64, _>("active")? != 0,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
    })
}

/// Emails are compared without case and surrounding spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    /// Creates an account whose password its user chose. One transaction with its audit line.
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User> {
        self.insert_user(actor, new, false).await
    }

    /// Inserts an active account, with its audit line (the hash never copied into it);
    /// `temporary`: the password was chosen by someone else and must be replaced at the
    /// first login (`admin::users`).
    pub(crate) async fn insert_user(
        &self,
        actor: &Actor,
        new: &NewUser,
        temporary: bool,
    ) -> Result<User> {
        let id = new_id();
        let email = new.email.as_str().to_owned();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, role, region, entity, password_hash, created_at, \
             active, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)",
        )
        .bind(id.clone())
        .bind(email.clone())
        .bind(new.display_name.clone())
        .bind(new.role.code().to_owned())
        .bind(new.region.map(String::from))
        .bind(new.entity.map(|f| f.to_string()))
        .bind(new.password_hash.clone())
        .bind(now_text())
        .bind(i64::from(temporary))
        .execute(&mut *tx)
        .await?;
        let mut after = json!({
            "email": email, "role": new.role.code(), "region": new.region,
            "entity": new.entity.map(|f| f.to_string()),
        });
        if temporary {
            after["actif"] = json!(true);
            after["changement_mot_de_passe_impose"] = json!(true);
        }
        let line = AuditLine {
            region: new.region.as_ref(),
            action: "utilisateur.creer",
            object_kind: "utilisateur",
            object_id: &id,
            before: None,
            after: Some(after),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        self.user_by_id(&UserId::from(id))
            .await?
            .ok_or(StoreError::NotFound("utilisateur"))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
        ))
        .bind(normalize_email(email))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_id(&self, id: &UserId) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Replaces a password hash and ends every session of that user (a stolen
    /// session must not survive a password change). The user chose it, so a
    /// pending forced change is cleared.
    pub async fn set_password_hash(&self, actor: &Actor, user: &User, hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(user.id.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id.clone())
            .execute(&mut *tx)
            .await?;
        let line = AuditLine {
            region: user.region.as_ref(),
            action: "utilisateur.mot_de_passe",
            object_kind: "utilisateur",
            object_id: user.id.as_str(),
            before: None,
            after: Some(json!({ "mot_de_passe": "modifié" })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a session; `token_hash` is a hash of the cookie value, so a leaked
    /// database does not give usable cookies.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &UserId,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash.to_owned())
            .bind(user_id.to_owned())
            .bind(csrf.to_owned())
            .bind(now)
            .bind(expires_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The user and CSRF token of a live session.
    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<(User, String)>> {
        // One query for every request of a logged-in user: the session and its user.
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf_token FROM sessions s JOIN users ON users.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash.to_owned())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let csrf: String = row.try_get("csrf_token")?;
        let user = user_from_row(&row)?;
        // Deactivation deletes the sessions; checking here as well means a
        // session created concurrently with the deactivation is still refused.
        Ok(user.active.then_some((user, csrf)))
    }

    /// [`Store::session`] with the user's unread notifications counted in the same
    /// query (the header's badge of every page): one round trip instead of two.
    pub async fn session_with_unread(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(User, String, i64)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, \
             (SELECT COUNT(*) FROM notifications n WHERE n.user_id = s.user_id AND n.read_at IS NULL) AS unread \
             FROM sessions s JOIN users ON users.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash.to_owned())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let csrf: String = row.try_get("csrf_token")?;
        let unread: i64 = row.try_get("unread")?;
        let user = user_from_row(&row)?;
        // As in `session`: a deactivated user's concurrent session is refused.
        Ok(user.active.then_some((user, csrf, unread)))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

/// Refuses an action reserved to another role (the store checks the role
/// again, whatever the caller did, so that no path can forget it).
pub(crate) fn require_role(user: &User, role: Role, action: &'static str) -> Result<()> {
    if user.role != role {
        return Err(WorkflowError::WrongRole {
            action,
            role: role.label(),
        }
        .into());
    }
    Ok(())
}
