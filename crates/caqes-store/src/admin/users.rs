//! Accounts as the administrator manages them: the list, accounts created with a
//! temporary password, deactivation, password reset, and the instant of the last login.

use crate::parse_optional_region;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use caqes_core::RegionCode;
use sqlx::AnyConnection;

use crate::admin::audit::AuditLine;
use crate::admin::audited_write::Statement;
use crate::model::ids::UserId;
use crate::{Actor, Result, Store, StoreError, User, now_text};

/// A user with what the administration list shows besides the account itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub user: User,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

fn user_summary_from_row(r: &AnyRow) -> Result<UserSummary> {
    let role: String = r.try_get("role")?;
    let entity: Option<String> = r.try_get("entity")?;
    Ok(UserSummary {
        user: User {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            display_name: r.try_get("display_name")?,
            role: role.parse().map_err(StoreError::Corrupt)?,
            region: parse_optional_region(r.try_get("region")?)?,
            entity: entity.as_deref().map(crate::parse_finess).transpose()?,
            password_hash: r.try_get("password_hash")?,
            active: r.try_get::<i64, _>("active")? != 0,
            must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        },
        created_at: r.try_get("created_at")?,
        last_login_at: r.try_get("last_login_at")?,
    })
}

/// Account status as written in the audit log.
fn status_json(active: bool, must_change_password: bool) -> serde_json::Value {
    json!({ "actif": active, "changement_mot_de_passe_impose": must_change_password })
}

/// What the administrator's writes to an account start from, read in their
/// transaction: its status (which the audit line shows before and after) and region.
struct AccountStatus {
    active: bool,
    must_change_password: bool,
    region: Option<RegionCode>,
}

impl AccountStatus {
    async fn read(conn: &mut AnyConnection, user_id: &UserId) -> Result<Self> {
        let row =
            sqlx::query("SELECT active, must_change_password, region FROM users WHERE id = $1")
                .bind(user_id.to_owned())
                .fetch_optional(conn)
                .await?
                .ok_or(StoreError::NotFound("utilisateur"))?;
        Ok(AccountStatus {
            active: row.try_get::<i64, _>("active")? != 0,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            region: parse_optional_region(row.try_get("region")?)?,
        })
    }
}

/// Ends every session of the account (deactivation, password reset): whoever holds
/// one must log in again, with the new status.
fn end_sessions(user_id: &UserId) -> Statement<'static> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id.to_owned())
}

impl Store {
    /// Every account, by role then e-mail.
    pub async fn list_users(&self) -> Result<Vec<UserSummary>> {
        let rows = sqlx::query(
            "SELECT id, email, display_name, role, region, entity, password_hash, active, \
             must_change_password, created_at, last_login_at FROM users ORDER BY role, email",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_summary_from_row).collect()
    }

    /// Whether at least one active administrator exists (`caqes serve` tells how to create one otherwise).
    pub async fn has_active_admin(&self) -> Result<bool> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND active = 1")
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        Ok(n > 0)
    }

    /// Creates an account whose password was chosen by someone else (an
    /// administrator or the command line): the user must replace it at the
    /// first login. One transaction with its audit line.
    pub async fn create_user_with_temporary_password(
        &self,
        actor: &Actor,
        new: &crate::NewUser,
    ) -> Result<User> {
        self.insert_user(actor, new, true).await
    }

    /// Deactivates or reactivates an account; deactivation ends every session of
    /// the account in the same transaction.
    pub async fn set_user_active(
        &self,
        actor: &Actor,
        user_id: &UserId,
        active: bool,
    ) -> Result<User> {
        let mut w = self.audited_write().await?;
        let before = AccountStatus::read(w.conn(), user_id).await?;
        w.execute(
            sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                .bind(i64::from(active))
                .bind(user_id.to_owned()),
        )
        .await?;
        if !active {
            w.execute(end_sessions(user_id)).await?;
        }
        let line = AuditLine {
            region: before.region.as_ref(),
            action: if active {
                "utilisateur.reactiver"
            } else {
                "utilisateur.desactiver"
            },
            object_kind: "utilisateur",
            object_id: user_id.as_str(),
            before: Some(status_json(before.active, before.must_change_password)),
            after: Some(status_json(active, before.must_change_password)),
        };
        w.commit(actor, line, None).await?;
        self.user_by_id(user_id)
            .await?
            .ok_or(StoreError::NotFound("utilisateur"))
    }

    /// An administrator sets a temporary password: the user's sessions end and
    /// the user must choose a new password at the next login.
    pub async fn reset_password(&self, actor: &Actor, user_id: &UserId, hash: &str) -> Result<()> {
        let mut w = self.audited_write().await?;
        let before = AccountStatus::read(w.conn(), user_id).await?;
        w.execute(
            sqlx::query(
                "UPDATE users SET password_hash = $1, must_change_password = 1 WHERE id = $2",
            )
            .bind(hash.to_owned())
            .bind(user_id.to_owned()),
        )
        .await?;
        w.execute(end_sessions(user_id)).await?;
        // The hashes are never copied into the audit log.
        let mut after = status_json(before.active, true);
        after["mot_de_passe"] = json!("réinitialisé (temporaire)");
        let line = AuditLine {
            region: before.region.as_ref(),
            action: "utilisateur.reinitialiser_mot_de_passe",
            object_kind: "utilisateur",
            object_id: user_id.as_str(),
            before: Some(status_json(before.active, before.must_change_password)),
            after: Some(after),
        };
        w.commit(actor, line, None).await?;
        Ok(())
    }

    /// Remembers the instant of a successful login (shown to administrators;
    /// not an audited change of data).
    pub async fn record_login(&self, user_id: &UserId) -> Result<()> {
        sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(user_id.to_owned())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
