//! OIDC logins under way (state, nonce, PKCE verifier) and the id_token of
//! OIDC sessions. The protocol itself lives in `caqes-web`.

use sqlx::Row;

use crate::model::ids::UserId;
use crate::{Result, Store};

/// A login sent to the provider and not yet come back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingOidcLogin {
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl Store {
    /// Records a login sent to the provider, and forgets the expired ones
    /// (a login abandoned at the provider never comes back).
    pub async fn create_oidc_login(
        &self,
        state_hash: &str,
        login: &PendingOidcLogin,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_logins (state_hash, browser_hash, nonce, pkce_verifier, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(state_hash.to_owned())
        .bind(login.browser_hash.clone())
        .bind(login.nonce.clone())
        .bind(login.pkce_verifier.clone())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes (reads and deletes) a live login: a given `state` is accepted
    /// once, even by two concurrent callbacks (only the one whose DELETE
    /// removed the row gets it).
    pub async fn take_oidc_login(
        &self,
        state_hash: &str,
        now: i64,
    ) -> Result<Option<PendingOidcLogin>> {
        // One statement that writes first: on SQLite a transaction that reads
        // and then writes fails at once (SQLITE_BUSY, no busy wait) when another
        // connection holds the write lock; DELETE … RETURNING waits its turn.
        let row = sqlx::query(
            "DELETE FROM oidc_logins WHERE state_hash = $1 \
             RETURNING browser_hash, nonce, pkce_verifier, expires_at",
        )
        .bind(state_hash.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at <= now {
            return Ok(None);
        }
        Ok(Some(PendingOidcLogin {
            browser_hash: row.try_get("browser_hash")?,
            nonce: row.try_get("nonce")?,
            pkce_verifier: row.try_get("pkce_verifier")?,
        }))
    }

    /// Opens a session (as [`Store::create_session`]) and keeps its id_token
    /// for the logout, both or neither.
    pub async fn create_oidc_session(
        &self,
        token_hash: &str,
        user_id: &UserId,
        csrf: &str,
        now: i64,
        expires_at: i64,
        id_token: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash.to_owned())
            .bind(user_id.to_owned())
            .bind(csrf.to_owned())
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO oidc_sessions (session_hash, id_token) VALUES ($1, $2)")
            .bind(token_hash.to_owned())
            .bind(id_token.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The id_token of a session opened through OIDC (`None` for a local login).
    pub async fn oidc_id_token(&self, session_hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id_token FROM oidc_sessions WHERE session_hash = $1")
            .bind(session_hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("id_token").map_err(Into::into))
            .transpose()
    }
}
