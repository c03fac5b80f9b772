//! A dossier for an entity registered after its campaign was created: the
//! campaign gave a dossier to every entity of the region at its creation; an
//! entity imported later (a new clinic, a FINESS extract imported during the
//! campaign) has none until the ARS opens one, as a draft, audited.

use std::collections::HashSet;

use serde_json::json;
use sqlx::Row;

use caqes_core::Finess;
use caqes_core::workflow::SubmissionState;

use crate::admin::audit::{AuditLine, record};
use crate::conflict::EntityConflict;
use crate::{Actor, Campaign, LegalEntity, Result, Store, new_id, now_text};

impl Store {
    /// The region's legal entities without a dossier in `campaign`, by name.
    pub async fn entities_without_dossier(&self, campaign: &Campaign) -> Result<Vec<LegalEntity>> {
        let with: HashSet<String> =
            sqlx::query("SELECT entity FROM submissions WHERE campaign = $1")
                .bind(campaign.id.clone())
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| r.try_get("entity"))
                .collect::<Result<_, _>>()?;
        Ok(self
            .legal_entities_in_region(&campaign.region)
            .await?
            .into_iter()
            .filter(|e| !with.contains(e.finess.as_str()))
            .collect())
    }

    /// Opens a draft dossier for `entity` in `campaign`, with its audit line
    /// (`dossier.ouvrir`). Refused (conflict) when the entity is not of the
    /// campaign's region or already has a dossier there.
    pub async fn open_late_dossier(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        entity: Finess,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let region: Option<String> =
            sqlx::query("SELECT region FROM legal_entities WHERE finess = $1")
                .bind(entity.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("region"))
                .transpose()?;
        if region.as_deref() != Some(campaign.region.as_str()) {
            return Err(EntityConflict::NotRegisteredInCampaignRegion {
                entity: entity.to_string(),
            }
            .into());
        }
        let exists = sqlx::query("SELECT id FROM submissions WHERE campaign = $1 AND entity = $2")
            .bind(campaign.id.clone())
            .bind(entity.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists {
            return Err(EntityConflict::DossierExists {
                entity: entity.to_string(),
            }
            .into());
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO submissions (id, campaign, entity, state, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.clone())
        .bind(campaign.id.clone())
        .bind(entity.to_string())
        .bind(SubmissionState::Brouillon.code().to_owned())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "dossier.ouvrir",
            object_kind: "dossier",
            object_id: &id,
            before: None,
            after: Some(json!({
                "campagne": campaign.id,
                "entite": entity.to_string(),
                "etat": SubmissionState::Brouillon.code(),
            })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(())
    }
}
