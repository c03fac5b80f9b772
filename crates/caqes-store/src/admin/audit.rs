//! The append-only audit log: every write records who, when, what, before → after.

use sqlx::{AnyConnection, Row};

use crate::{Actor, AuditEntry, Result, Store, new_id, now_text};

/// What one audit line says; written in the same transaction as the change it describes.
pub(crate) struct AuditLine<'a> {
    pub region: Option<&'a str>,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub(crate) async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    line: AuditLine<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, actor_label, region, action, object_kind, object_id, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(now_text())
    .bind(actor.user_id.clone())
    .bind(actor.label.clone())
    .bind(line.region.map(str::to_owned))
    .bind(line.action.to_owned())
    .bind(line.object_kind.to_owned())
    .bind(line.object_id.to_owned())
    .bind(line.before.map(|v| v.to_string()))
    .bind(line.after.map(|v| v.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The latest `limit` audit lines of a region, newest first.
    pub async fn audit_in_region(&self, region: &str, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, actor_label, region, action, object_kind, object_id, before_json, after_json \
             FROM audit_log WHERE region = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(region.to_owned())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    actor_label: r.try_get("actor_label")?,
                    region: r.try_get("region")?,
                    action: r.try_get("action")?,
                    object_kind: r.try_get("object_kind")?,
                    object_id: r.try_get("object_id")?,
                    before: r.try_get("before_json")?,
                    after: r.try_get("after_json")?,
                })
            })
            .collect()
    }

    /// The number of audit lines about one object (used by tests and the UI).
    pub async fn audit_count_for(&self, object_id: &str) -> Result<i64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE object_id = $1")
            .bind(object_id.to_owned())
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(n)
    }
}
