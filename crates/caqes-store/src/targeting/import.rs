//! The import of a volet's regional data file (transport spending, quality
//! indicators, pertinence data), written once for the three: every row is checked,
//! must name a legal entity of the region and replaces the stored row of the same
//! key; all rows or none are written, with one audit line holding the replaced and
//! the new rows. Each volet says what differs through [`RegionRow`].

use caqes_core::{Finess, RegionCode};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::conflict::TargetingConflict;
use crate::{Actor, Result, Role, Store, StoreError, User, WorkflowError};

/// One row of a volet's regional data file, as the store keeps it.
pub(crate) trait RegionRow: Sized {
    /// The audit line's action (« transports.importer »).
    const ACTION: &'static str;
    /// The audit line's object kind (« depenses_transport »).
    const OBJECT_KIND: &'static str;

    /// The legal entity the row is about.
    fn entity(&self) -> Finess;
    /// Refuses, naming `file`, a value the engine cannot take (it takes them as given).
    fn check(&self, file: &str) -> Result<()>;
    /// The stored row this one replaces (same entity, year and, for pertinence, theme).
    async fn stored(&self, conn: &mut AnyConnection, region: &RegionCode) -> Result<Option<Self>>;
    /// Inserts the row or replaces the stored one, written by `by`.
    async fn upsert(&self, conn: &mut AnyConnection, file: &str, by: &Actor) -> Result<()>;
    /// The rows as the audit line holds them.
    fn json(rows: &[Self]) -> serde_json::Value;
}

/// Only a user of `roles` imports, and only for the region they belong to;
/// `role` names them in the refusal.
pub(crate) fn ensure_importer(
    user: &User,
    region: &RegionCode,
    roles: &[Role],
    (action, role): (&'static str, &'static str),
) -> Result<()> {
    if !roles.contains(&user.role) {
        return Err(WorkflowError::WrongRole { action, role }.into());
    }
    if user.region.as_ref() != Some(region) {
        return Err(StoreError::NotFound("région"));
    }
    Ok(())
}

impl Store {
    /// Writes the rows of `file` for `region` (all or none) with one audit line
    /// holding the replaced and the new rows; the number of rows written.
    pub(crate) async fn import_region_rows<R: RegionRow>(
        &self,
        actor: &Actor,
        region: &RegionCode,
        file: &str,
        rows: &[R],
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let mut before = Vec::new();
        for row in rows {
            row.check(file)?;
            let entity = row.entity().to_string();
            let owner: Option<String> =
                sqlx::query("SELECT region FROM legal_entities WHERE finess = $1")
                    .bind(entity.clone())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get("region"))
                    .transpose()?;
            if owner.as_deref() != Some(region.as_str()) {
                return Err(TargetingConflict::OutsideRegion {
                    file: file.to_string(),
                    entity,
                }
                .into());
            }
            // Read row by row: a file naming a key twice replaces its own first row.
            if let Some(old) = row.stored(&mut tx, region).await? {
                before.push(old);
            }
            row.upsert(&mut tx, file, actor).await?;
        }
        let line = AuditLine {
            region: Some(region),
            action: R::ACTION,
            object_kind: R::OBJECT_KIND,
            object_id: region.as_str(),
            before: Some(json!({ "fichier": file, "lignes": R::json(&before) })),
            after: Some(json!({ "fichier": file, "lignes": R::json(rows) })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(rows.len())
    }
}
