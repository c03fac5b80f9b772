//! The audit log as the administrators and the ARS browse it: paged, filtered by region,
//! kind of object, actor and days.

use crate::parse_optional_region;
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

use caqes_core::RegionCode;

use crate::{AuditEntry, Backend, Result, Store, StoreError};

/// Which audit lines to show. `region = None` means every region (administrators).
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub region: Option<RegionCode>,
    pub object_kind: Option<String>,
    /// Part of the actor's label (name or e-mail), without case.
    pub actor: Option<String>,
    /// Inclusive calendar days (UTC).
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// One page of the audit log and the number of lines matching the filter.
#[derive(Clone, Debug)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
}

pub(crate) fn audit_entry_from_row(r: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        actor_label: r.try_get("actor_label")?,
        region: parse_optional_region(r.try_get("region")?)?,
        action: r.try_get("action")?,
        object_kind: r.try_get("object_kind")?,
        object_id: r.try_get("object_id")?,
        before: r.try_get("before_json")?,
        after: r.try_get("after_json")?,
    })
}

impl Store {
    /// One page of the audit log, newest first, with the number of matching lines.
    pub async fn audit_page(&self, filter: &AuditFilter) -> Result<AuditPage> {
        // The same optional conditions for both queries; a NULL parameter disables one.
        let conditions = "($1 IS NULL OR region = $1) AND ($2 IS NULL OR object_kind = $2) \
             AND ($3 IS NULL OR LOWER(actor_label) LIKE $3) AND ($4 IS NULL OR at >= $4) \
             AND ($5 IS NULL OR at < $5)";
        let actor = filter
            .actor
            .as_deref()
            .map(|a| format!("%{}%", a.trim().to_lowercase()));
        let from = filter.from.map(|d| d.to_string());
        // `to` is inclusive: compare with the next day's start.
        let to = filter.to.map(|d| {
            d.tomorrow()
                .map_or_else(|_| "9999-12-31".to_owned(), |t| t.to_string())
        });
        let cast = match self.backend {
            // PostgreSQL cannot infer the type of a parameter used only in `IS NULL`.
            Backend::Postgres => true,
            Backend::Sqlite => false,
        };
        let conditions = if cast {
            conditions
                .replace("$1 IS NULL", "$1::text IS NULL")
                .replace("$2 IS NULL", "$2::text IS NULL")
                .replace("$3 IS NULL", "$3::text IS NULL")
                .replace("$4 IS NULL", "$4::text IS NULL")
                .replace("$5 IS NULL", "$5::text IS NULL")
        } else {
            conditions.to_owned()
        };
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE {conditions}"
        ))
        .bind(filter.region.map(String::from))
        .bind(filter.object_kind.clone())
        .bind(actor.clone())
        .bind(from.clone())
        .bind(to.clone())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let per_page = filter.per_page.max(1);
        let offset = (filter.page.max(1) - 1) * per_page;
        let rows = sqlx::query(&format!(
            "SELECT id, at, actor, actor_label, region, action, object_kind, object_id, before_json, after_json \
             FROM audit_log WHERE {conditions} ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7"
        ))
        .bind(filter.region.map(String::from))
        .bind(filter.object_kind.clone())
        .bind(actor)
        .bind(from)
        .bind(to)
        .bind(per_page)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows
            .iter()
            .map(audit_entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(AuditPage { entries, total })
    }

    /// The object kinds present in the audit log (for the filter's list).
    pub async fn audit_object_kinds(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT object_kind FROM audit_log ORDER BY object_kind")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get("object_kind").map_err(StoreError::from))
            .collect()
    }
}
