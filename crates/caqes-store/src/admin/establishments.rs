//! Regions, legal entities (FINESS juridique) and their sites (FINESS géographique).

use crate::parse_region;
use caqes_core::RegionCode;
use std::collections::HashMap;

use caqes_core::Finess;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::conflict::EntityConflict;
use crate::{Actor, LegalEntity, NewEntity, Region, Result, Site, Store, StoreError, parse_finess};

/// The legal entities of `region` by FINESS, in one query (the targeting screens name
/// hundreds of entities with data; one query each was most of their time).
pub(crate) async fn region_entities_in(
    conn: &mut AnyConnection,
    region: &RegionCode,
) -> Result<HashMap<Finess, LegalEntity>> {
    let rows =
        sqlx::query("SELECT finess, region, name, category FROM legal_entities WHERE region = $1")
            .bind(region.to_string())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| entity_from_row(r).map(|e| (e.finess, e)))
        .collect()
}

/// The entity `finess` of a map from [`region_entities_in`]: a data row of the region
/// always names one of them (the imports check it), so a missing one is corruption.
pub(crate) fn region_entity(
    entities: &HashMap<Finess, LegalEntity>,
    finess: Finess,
) -> Result<LegalEntity> {
    entities
        .get(&finess)
        .cloned()
        .ok_or_else(|| StoreError::Corrupt(format!("entité {finess} absente de la région")))
}

fn entity_from_row(r: &AnyRow) -> Result<LegalEntity> {
    let category: String = r.try_get("category")?;
    Ok(LegalEntity {
        finess: parse_finess(&r.try_get::<String, _>("finess")?)?,
        region: parse_region(&r.try_get::<String, _>("region")?)?,
        name: r.try_get("name")?,
        category: category
            .parse()
            .map_err(crate::unreadable("catégorie d'établissement"))?,
    })
}

/// A site registered or imported with `entity` must belong to it (the file says
/// each site's legal entity).
pub(crate) fn ensure_site_of(site: &Site, entity: Finess) -> Result<()> {
    if site.entity != entity {
        return Err(EntityConflict::SiteOfOtherEntity {
            site: site.finess.to_string(),
            owner: site.entity.to_string(),
            entity: entity.to_string(),
        }
        .into());
    }
    Ok(())
}

impl Store {
    pub async fn create_region(&self, actor: &Actor, region: &Region) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO regions (code, name) VALUES ($1, $2)")
            .bind(region.code.to_string())
            .bind(region.name.clone())
            .execute(&mut *tx)
            .await?;
        let line = AuditLine {
            region: Some(&region.code),
            action: "region.creer",
            object_kind: "region",
            object_id: region.code.as_str(),
            before: None,
            after: Some(json!({ "code": region.code, "name": region.name })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn region(&self, code: &RegionCode) -> Result<Option<Region>> {
        let row = sqlx::query("SELECT code, name FROM regions WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Region {
                code: parse_region(&r.try_get::<String, _>("code")?)?,
                name: r.try_get("name")?,
            })
        })
        .transpose()
    }

    /// Registers legal entities with their sites: all of them, or none if any fails
    /// (duplicate FINESS, unknown region...).
    pub async fn import_entities(&self, actor: &Actor, entities: &[NewEntity]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for new in entities {
            let e = &new.entity;
            let exists = sqlx::query("SELECT 1 FROM legal_entities WHERE finess = $1")
                .bind(e.finess.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Err(EntityConflict::Exists {
                    entity: e.finess.to_string(),
                }
                .into());
            }
            sqlx::query("INSERT INTO legal_entities (finess, region, name, category) VALUES ($1, $2, $3, $4)")
                .bind(e.finess.to_string())
                .bind(e.region.to_string())
                .bind(e.name.clone())
                .bind(e.category.code().to_owned())
                .execute(&mut *tx)
                .await?;
            for s in &new.sites {
                ensure_site_of(s, e.finess)?;
                sqlx::query("INSERT INTO sites (finess, entity, name) VALUES ($1, $2, $3)")
                    .bind(s.finess.to_string())
                    .bind(e.finess.to_string())
                    .bind(s.name.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            let finess = e.finess.to_string();
            let line = AuditLine {
                region: Some(&e.region),
                action: "etablissement.creer",
                object_kind: "entite_juridique",
                object_id: &finess,
                before: None,
                after: Some(json!({ "entity": e, "sites": new.sites })),
            };
            record(&mut tx, actor, line).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn legal_entity(&self, finess: &Finess) -> Result<Option<LegalEntity>> {
        let row = sqlx::query(
            "SELECT finess, region, name, category FROM legal_entities WHERE finess = $1",
        )
        .bind(finess.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(entity_from_row).transpose()
    }

    pub async fn legal_entities_in_region(&self, region: &RegionCode) -> Result<Vec<LegalEntity>> {
        let rows = sqlx::query("SELECT finess, region, name, category FROM legal_entities WHERE region = $1 ORDER BY name, finess")
            .bind(region.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entity_from_row).collect()
    }

    pub async fn sites_of(&self, entity: &Finess) -> Result<Vec<Site>> {
        let rows =
            sqlx::query("SELECT finess, entity, name FROM sites WHERE entity = $1 ORDER BY finess")
                .bind(entity.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Site {
                    finess: parse_finess(&r.try_get::<String, _>("finess")?)?,
                    entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }
}
