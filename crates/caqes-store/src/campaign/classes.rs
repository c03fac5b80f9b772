//! The class an établissement chooses for an indicator measured on « la classe
//! sélectionnée » (IV-02: a therapeutic class of drugs, ATC; IV-03: a class of
//! medical devices, LPP), per entity and year (migration 0025). Written while
//! the dossier is editable, with its audit line; read by the dossier page and by
//! the Assurance Maladie's PHEV upload (IV-02's class per entity).

use caqes_core::RegionCode;
use std::collections::BTreeMap;

use caqes_core::Finess;
use serde_json::json;
use sqlx::Row;

use crate::admin::audit::{AuditLine, record};
use crate::campaign::submission_state_in;
use crate::conflict::DossierConflict;
use crate::{
    Actor, Campaign, LegalEntity, Result, Store, StoreError, UserId, now_text, parse_finess,
};

impl Store {
    /// The classes chosen by `entity` for `year`, by indicator code.
    pub async fn chosen_classes(
        &self,
        entity: &Finess,
        year: i16,
    ) -> Result<BTreeMap<String, String>> {
        let rows = sqlx::query(
            "SELECT indicator, class_code FROM chosen_classes WHERE entity = $1 AND year = $2",
        )
        .bind(entity.to_string())
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("indicator")?, r.try_get("class_code")?)))
            .collect()
    }

    /// The class each entity of `region` chose for `indicator` in `year`.
    pub async fn chosen_classes_in_region(
        &self,
        region: &RegionCode,
        year: i16,
        indicator: &str,
    ) -> Result<BTreeMap<Finess, String>> {
        let rows = sqlx::query(
            "SELECT c.entity, c.class_code FROM chosen_classes c \
             JOIN legal_entities e ON e.finess = c.entity \
             WHERE e.region = $1 AND c.year = $2 AND c.indicator = $3",
        )
        .bind(region.to_string())
        .bind(i64::from(year))
        .bind(indicator.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_finess(&r.try_get::<String, _>("entity")?)?,
                    r.try_get("class_code")?,
                ))
            })
            .collect()
    }

    /// Records the classes typed in the dossier (`None`: no class any more),
    /// while the dossier is editable; one audit line when something changed.
    pub async fn choose_classes(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        entity: &LegalEntity,
        classes: &BTreeMap<String, Option<String>>,
    ) -> Result<()> {
        let entity_id = entity.finess.to_string();
        let mut tx = self.begin_write().await?;
        let state = submission_state_in(&mut tx, &campaign.id, &entity.finess)
            .await?
            .ok_or(StoreError::NotFound("dossier"))?;
        if !state.is_editable() {
            return Err(DossierConflict::ClassFrozen { state }.into());
        }
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        let now = now_text();
        for (indicator, class) in classes {
            let previous: Option<String> = sqlx::query(
                "SELECT class_code FROM chosen_classes WHERE entity = $1 AND year = $2 AND indicator = $3",
            )
            .bind(entity_id.clone())
            .bind(i64::from(campaign.year))
            .bind(indicator.clone())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("class_code"))
            .transpose()?;
            if previous == *class {
                continue;
            }
            match class {
                Some(code) => {
                    sqlx::query(
                        "INSERT INTO chosen_classes (entity, year, indicator, class_code, chosen_by, chosen_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entity, year, indicator) DO UPDATE \
                         SET class_code = excluded.class_code, chosen_by = excluded.chosen_by, chosen_at = excluded.chosen_at",
                    )
                    .bind(entity_id.clone())
                    .bind(i64::from(campaign.year))
                    .bind(indicator.clone())
                    .bind(code.clone())
                    .bind(actor.user_id.clone().map_or_else(|| actor.label.clone(), UserId::into_string))
                    .bind(now.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "DELETE FROM chosen_classes WHERE entity = $1 AND year = $2 AND indicator = $3",
                    )
                    .bind(entity_id.clone())
                    .bind(i64::from(campaign.year))
                    .bind(indicator.clone())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            before.insert(indicator.clone(), json!(previous));
            after.insert(indicator.clone(), json!(class));
        }
        if after.is_empty() {
            return Ok(());
        }
        let line = AuditLine {
            region: Some(&entity.region),
            action: "classe.choisir",
            object_kind: "entite_juridique",
            object_id: &entity_id,
            before: Some(json!({ "annee": campaign.year, "classes": before })),
            after: Some(json!({ "annee": campaign.year, "classes": after })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(())
    }
}
