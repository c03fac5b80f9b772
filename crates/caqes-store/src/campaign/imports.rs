//! Bulk imports from files: establishments of a region, values and targets of
//! a campaign. Each import is planned (checked against the database, nothing
//! written) for the preview, then applied in ONE transaction that re-checks
//! everything and writes one audit line: all of it, or nothing.

use caqes_core::Finess;
use caqes_core::RegionCode;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::admin::establishments::ensure_site_of;
use crate::campaign::declarations::Motives;
use crate::conflict::{DossierConflict, EntityConflict};
use crate::{Actor, Campaign, NewEntity, Result, Store, StoredValue, new_id, now_text};

/// What an establishments import does to one legal entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityChange {
    Create,
    /// Name or category changes, or new sites are added.
    Update,
    Unchanged,
}

impl EntityChange {
    pub fn label(self) -> &'static str {
        match self {
            EntityChange::Create => "création",
            EntityChange::Update => "mise à jour",
            EntityChange::Unchanged => "inchangée",
        }
    }
}

/// The planned change of one entity, for the preview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityPlan {
    pub finess: Finess,
    pub change: EntityChange,
    /// Sites of the file not yet registered.
    pub new_sites: usize,
}

/// A target of a legal entity for the campaign year, read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedTarget {
    pub entity: Finess,
    pub indicator: String,
    pub target: Decimal,
}

/// What a values import wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearlyImportCounts {
    pub values: usize,
    pub targets: usize,
}

/// Checks every entity against the database: an entity or a site registered
/// in another region or under another entity stops the whole import.
async fn plan_entities(
    conn: &mut AnyConnection,
    region: &RegionCode,
    entities: &[NewEntity],
) -> Result<Vec<EntityPlan>> {
    let mut plans = Vec::with_capacity(entities.len());
    for new in entities {
        let e = &new.entity;
        if e.region != *region {
            return Err(EntityConflict::DeclaredElsewhere {
                entity: e.finess.to_string(),
                declared: e.region.to_string(),
                region: region.to_string(),
            }
            .into());
        }
        let row =
            sqlx::query("SELECT region, name, category FROM legal_entities WHERE finess = $1")
                .bind(e.finess.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        let mut change = match row {
            None => EntityChange::Create,
            Some(r) => {
                let old_region: String = r.try_get("region")?;
                if *region != old_region.as_str() {
                    return Err(EntityConflict::InOtherRegion {
                        entity: e.finess.to_string(),
                    }
                    .into());
                }
                let name: String = r.try_get("name")?;
                let category: String = r.try_get("category")?;
                if name != e.name || category != e.category.code() {
                    EntityChange::Update
                } else {
                    EntityChange::Unchanged
                }
            }
        };
        let mut new_sites = 0;
        for s in &new.sites {
            ensure_site_of(s, e.finess)?;
            let owner: Option<String> = sqlx::query("SELECT entity FROM sites WHERE finess = $1")
                .bind(s.finess.to_string())
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.try_get("entity"))
                .transpose()?;
            match owner {
                None => new_sites += 1,
                Some(o) if o == e.finess.as_str() => {}
                Some(o) => {
                    return Err(EntityConflict::SiteAlreadyAttached {
                        site: s.finess.to_string(),
                        owner: o.to_string(),
                    }
                    .into());
                }
            }
        }
        if new_sites > 0 && change == EntityChange::Unchanged {
            change = EntityChange::Update;
        }
        plans.push(EntityPlan {
            finess: e.finess,
            change,
            new_sites,
        });
    }
    Ok(plans)
}

/// The editable state of `entity`'s dossier in `campaign`, checked before values are written.
async fn check_editable(
    conn: &mut AnyConnection,
    campaign: &Campaign,
    entity: &Finess,
) -> Result<()> {
    let state = crate::campaign::submission_state_in(&mut *conn, &campaign.id, entity)
        .await?
        .ok_or_else(|| EntityConflict::NoDossier {
            entity: entity.to_string(),
        })?;
    if !state.is_editable() {
        return Err(DossierConflict::EntityValuesFrozen {
            entity: entity.to_string(),
            state,
        }
        .into());
    }
    Ok(())
}

impl Store {
    /// What [`Store::import_establishments`] would do, without writing.
    pub async fn plan_establishments(
        &self,
        region: &RegionCode,
        entities: &[NewEntity],
    ) -> Result<Vec<EntityPlan>> {
        let mut conn = self.pool.acquire().await?;
        plan_entities(&mut conn, region, entities).await
    }

    /// Creates or updates the region's legal entities and adds their missing
    /// sites (existing sites are kept), in one transaction with one audit line.
    pub async fn import_establishments(
        &self,
        actor: &Actor,
        region: &RegionCode,
        file: &str,
        entities: &[NewEntity],
    ) -> Result<Vec<EntityPlan>> {
        let mut tx = self.begin_write().await?;
        let plans = plan_entities(&mut tx, region, entities).await?;
        // The before state of every entity the import overwrites, for the audit line.
        let mut before: Vec<serde_json::Value> = Vec::new();
        for (new, plan) in entities.iter().zip(&plans) {
            let e = &new.entity;
            if plan.change == EntityChange::Update {
                let old =
                    sqlx::query("SELECT name, category FROM legal_entities WHERE finess = $1")
                        .bind(e.finess.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                let sites =
                    sqlx::query("SELECT finess FROM sites WHERE entity = $1 ORDER BY finess")
                        .bind(e.finess.to_string())
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(|r| r.try_get::<String, _>("finess"))
                        .collect::<std::result::Result<Vec<_>, _>>()?;
                before.push(json!({
                    "finess": e.finess.to_string(),
                    "name": old.try_get::<String, _>("name")?,
                    "category": old.try_get::<String, _>("category")?,
                    "sites": sites,
                }));
            }
            match plan.change {
                EntityChange::Create => {
                    sqlx::query("INSERT INTO legal_entities (finess, region, name, category) VALUES ($1, $2, $3, $4)")
                        .bind(e.finess.to_string())
                        .bind(e.region.to_string())
                        .bind(e.name.clone())
                        .bind(e.category.code().to_owned())
                        .execute(&mut *tx)
                        .await?;
                }
                EntityChange::Update => {
                    sqlx::query(
                        "UPDATE legal_entities SET name = $1, category = $2 WHERE finess = $3",
                    )
                    .bind(e.name.clone())
                    .bind(e.category.code().to_owned())
                    .bind(e.finess.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                EntityChange::Unchanged => {}
            }
            if plan.new_sites == 0 {
                continue;
            }
            for s in &new.sites {
                sqlx::query(
                    "INSERT INTO sites (finess, entity, name) VALUES ($1, $2, $3) ON CONFLICT (finess) DO NOTHING",
                )
                .bind(s.finess.to_string())
                .bind(e.finess.to_string())
                .bind(s.name.clone())
                .execute(&mut *tx)
                .await?;
            }
        }
        let changed: Vec<serde_json::Value> = entities
            .iter()
            .zip(&plans)
            .filter(|(_, p)| p.change != EntityChange::Unchanged)
            .map(|(n, p)| json!({ "changement": p.change.label(), "entity": n.entity, "sites": n.sites }))
            .collect();
        let import_id = new_id();
        let line = AuditLine {
            region: Some(region),
            action: "import.etablissements",
            object_kind: "import",
            object_id: &import_id,
            before: Some(json!({ "entites": before })),
            after: Some(json!({ "fichier": file, "entites": changed })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(plans)
    }

    /// Writes values (for sites) and targets (for legal entities) of the
    /// campaign year, in one transaction with one audit line. Every site must
    /// belong to an entity of the campaign's region whose dossier is still
    /// editable; otherwise nothing is written.
    pub async fn import_yearly(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        files: &str,
        values: &[StoredValue],
        targets: &[ImportedTarget],
    ) -> Result<YearlyImportCounts> {
        self.import_yearly_with_motives(actor, campaign, files, values, &Motives::new(), targets)
            .await
    }

    /// [`Store::import_yearly`] with the motives of the NC values (the `motif` column of
    /// `valeurs.csv`), kept as declarations for the ARS's review.
    pub async fn import_yearly_with_motives(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        files: &str,
        values: &[StoredValue],
        motives: &Motives,
        targets: &[ImportedTarget],
    ) -> Result<YearlyImportCounts> {
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let mut checked: Vec<Finess> = Vec::new();
        // The rows this import overwrites, as they were, for the audit line.
        let mut values_before: Vec<serde_json::Value> = Vec::new();
        let mut targets_before: Vec<serde_json::Value> = Vec::new();
        for v in values {
            if v.year != campaign.year {
                return Err(DossierConflict::YearOutsideCampaign {
                    year: v.year,
                    campaign_year: campaign.year,
                }
                .into());
            }
            let owner = sqlx::query(
                "SELECT s.entity, e.region FROM sites s JOIN legal_entities e ON e.finess = s.entity WHERE s.finess = $1",
            )
            .bind(v.site.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(owner) = owner else {
                return Err(EntityConflict::UnknownSite {
                    site: v.site.to_string(),
                }
                .into());
            };
            let entity = crate::parse_finess(&owner.try_get::<String, _>("entity")?)?;
            let region: String = owner.try_get("region")?;
            if campaign.region != region.as_str() {
                return Err(EntityConflict::SiteOutsideCampaignRegion {
                    site: v.site.to_string(),
                }
                .into());
            }
            if !checked.contains(&entity) {
                check_editable(&mut tx, campaign, &entity).await?;
                checked.push(entity);
            }
            let old = sqlx::query(
                "SELECT numerator, denominator, value, declared FROM indicator_values \
                 WHERE site = $1 AND year = $2 AND indicator = $3",
            )
            .bind(v.site.to_string())
            .bind(i64::from(v.year))
            .bind(v.indicator.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(old) = old {
                values_before.push(json!({
                    "site": v.site.to_string(), "indicateur": v.indicator,
                    "numerateur": old.try_get::<Option<String>, _>("numerator")?,
                    "denominateur": old.try_get::<Option<String>, _>("denominator")?,
                    "valeur": old.try_get::<Option<String>, _>("value")?,
                    "declare": old.try_get::<Option<String>, _>("declared")?,
                }));
            }
            super::typed::upsert_value(
                &mut tx,
                v,
                &now,
                actor.user_id.as_ref().map(|u| u.as_str()),
            )
            .await?;
        }
        for t in targets {
            let region: Option<String> =
                sqlx::query("SELECT region FROM legal_entities WHERE finess = $1")
                    .bind(t.entity.to_string())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get("region"))
                    .transpose()?;
            if region.as_deref() != Some(campaign.region.as_str()) {
                return Err(EntityConflict::OutsideCampaignRegion {
                    entity: t.entity.to_string(),
                }
                .into());
            }
            let old: Option<String> = sqlx::query(
                "SELECT target FROM targets WHERE entity = $1 AND year = $2 AND indicator = $3",
            )
            .bind(t.entity.to_string())
            .bind(i64::from(campaign.year))
            .bind(t.indicator.clone())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("target"))
            .transpose()?;
            if let Some(old) = old {
                targets_before.push(json!({
                    "entite": t.entity.to_string(), "indicateur": t.indicator, "cible": old,
                }));
            }
            sqlx::query(
                "INSERT INTO targets (entity, year, indicator, target, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (entity, year, indicator) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at",
            )
            .bind(t.entity.to_string())
            .bind(i64::from(campaign.year))
            .bind(t.indicator.clone())
            .bind(t.target.to_string())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
        }
        let motive_changes = crate::campaign::declarations::write_motives(
            &mut tx,
            actor,
            values,
            motives,
            caqes_core::value::Review::Accepted,
        )
        .await?;
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "import.valeurs",
            object_kind: "campagne",
            object_id: campaign.id.as_str(),
            before: Some(json!({ "valeurs": values_before, "cibles": targets_before })),
            after: Some(json!({
                "fichiers": files,
                "valeurs": values.iter().map(|v| json!({
                    "site": v.site.to_string(), "indicateur": v.indicator, "numerateur": v.numerator,
                    "denominateur": v.denominator, "valeur": v.value, "declare": v.declared,
                })).collect::<Vec<_>>(),
                "cibles": targets.iter().map(|t| json!({
                    "entite": t.entity.to_string(), "indicateur": t.indicator, "cible": t.target.to_string(),
                })).collect::<Vec<_>>(),
                "motifs_nc": motive_changes,
            })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(YearlyImportCounts {
            values: values.len(),
            targets: targets.len(),
        })
    }
}
