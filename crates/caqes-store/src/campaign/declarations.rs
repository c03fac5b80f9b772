//! NC declared with a motive by an établissement, and their review by the ARS (issue 9,
//! W4). The value row says `NC`; this table keeps why, and what the ARS made of it.

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::value::{NcDeclaration, Review};
use serde_json::json;
use sqlx::Row;

use crate::admin::audit::{AuditLine, record};
use crate::conflict::DossierConflict;
use crate::{Actor, Campaign, LegalEntity, Result, Store, StoreError, now_text, parse_finess};

/// One NC declaration as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDeclaration {
    pub site: Finess,
    pub year: i16,
    pub indicator: String,
    pub declaration: NcDeclaration,
    /// The ARS's comment when it reviewed the motive.
    pub review_comment: Option<String>,
}

/// The motives typed with NC values, by (site, indicator code).
pub type Motives = BTreeMap<(Finess, String), String>;

pub(crate) fn review_from_code(code: &str) -> Result<Review> {
    match code {
        "proposee" => Ok(Review::Proposed),
        "acceptee" => Ok(Review::Accepted),
        "refusee" => Ok(Review::Refused),
        other => Err(StoreError::Corrupt(format!(
            "revue de NC inconnue : {other}"
        ))),
    }
}

impl Store {
    /// The NC declarations of every site of `entity` for `year`.
    pub async fn nc_declarations_for_entity(
        &self,
        entity: &Finess,
        year: i16,
    ) -> Result<Vec<StoredDeclaration>> {
        let rows = sqlx::query(
            "SELECT d.site, d.year, d.indicator, d.motive, d.review, d.review_comment \
             FROM nc_declarations d JOIN sites s ON s.finess = d.site \
             WHERE s.entity = $1 AND d.year = $2 ORDER BY d.indicator, d.site",
        )
        .bind(entity.to_string())
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let motive: String = r.try_get("motive")?;
                let review = review_from_code(&r.try_get::<String, _>("review")?)?;
                let declaration = NcDeclaration::new(&motive, review)
                    .map_err(crate::unreadable("déclaration de non-concernement"))?;
                let year: i64 = r.try_get("year")?;
                Ok(StoredDeclaration {
                    site: parse_finess(&r.try_get::<String, _>("site")?)?,
                    year: i16::try_from(year)
                        .map_err(|_| StoreError::Corrupt(format!("année {year}")))?,
                    indicator: r.try_get("indicator")?,
                    declaration,
                    review_comment: r.try_get("review_comment")?,
                })
            })
            .collect()
    }

    /// The ARS accepts or refuses the motive of an NC declared on `indicator` by `site`
    /// (one transaction with its audit line). Only while the dossier is submitted or in
    /// review; a refusal needs a comment (the établissement must know why).
    #[allow(clippy::too_many_arguments)]
    pub async fn review_nc(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        entity: &LegalEntity,
        site: Finess,
        indicator: &str,
        review: Review,
        comment: Option<&str>,
    ) -> Result<()> {
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if review == Review::Refused && comment.is_none() {
            return Err(DossierConflict::NcRefusalWithoutComment.into());
        }
        if review == Review::Proposed {
            return Err(DossierConflict::NcReviewUndecided.into());
        }
        let entity_id = entity.finess.to_string();
        let mut tx = self.begin_write().await?;
        let state = crate::campaign::submission_state_in(&mut tx, &campaign.id, &entity.finess)
            .await?
            .ok_or(StoreError::NotFound("dossier"))?;
        if !state.nc_reviewable() {
            return Err(DossierConflict::NcNotReviewable { state }.into());
        }
        let row = sqlx::query(
            "SELECT d.motive, d.review FROM nc_declarations d JOIN sites s ON s.finess = d.site \
             WHERE d.site = $1 AND d.year = $2 AND d.indicator = $3 AND s.entity = $4",
        )
        .bind(site.to_string())
        .bind(i64::from(campaign.year))
        .bind(indicator.to_owned())
        .bind(entity_id.clone())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("déclaration NC"))?;
        let motive: String = row.try_get("motive")?;
        let before: String = row.try_get("review")?;
        sqlx::query(
            "UPDATE nc_declarations SET review = $1, review_comment = $2, reviewed_at = $3, reviewed_by = $4 \
             WHERE site = $5 AND year = $6 AND indicator = $7",
        )
        .bind(review.code())
        .bind(comment.map(str::to_owned))
        .bind(now_text())
        .bind(actor.user_id.clone())
        .bind(site.to_string())
        .bind(i64::from(campaign.year))
        .bind(indicator.to_owned())
        .execute(&mut *tx)
        .await?;
        let line = AuditLine {
            region: Some(&entity.region),
            action: "nc.revue",
            object_kind: "entite_juridique",
            object_id: &entity_id,
            before: Some(json!({ "campagne": campaign.id, "site": site.to_string(),
                "indicateur": indicator, "motif": motive, "revue": before })),
            after: Some(json!({ "campagne": campaign.id, "site": site.to_string(),
                "indicateur": indicator, "motif": motive, "revue": review.code(),
                "commentaire": comment })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Writes the motive of each NC value of `values` (and deletes the declaration of a value
/// that is no longer NC), inside the caller's transaction. A new or changed motive takes
/// `review`: « proposée » when the établissement types it (the ARS reviews what it has not
/// seen), « acceptée » when the ARS imports it itself (as `caqes evaluate` reads an ARS
/// file). Returns the audit entries.
pub(crate) async fn write_motives(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    values: &[crate::StoredValue],
    motives: &Motives,
    review: Review,
) -> Result<Vec<serde_json::Value>> {
    let now = now_text();
    let mut changes = Vec::new();
    for v in values {
        let old: Option<String> = sqlx::query(
            "SELECT motive FROM nc_declarations WHERE site = $1 AND year = $2 AND indicator = $3",
        )
        .bind(v.site.to_string())
        .bind(i64::from(v.year))
        .bind(v.indicator.clone())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("motive"))
        .transpose()?;
        let motive = motives
            .get(&(v.site, v.indicator.clone()))
            .map(|m| m.trim())
            .filter(|m| !m.is_empty());
        let is_nc = v.declared.as_deref() == Some("NC");
        match (is_nc, motive) {
            (true, Some(m)) if old.as_deref() != Some(m) => {
                sqlx::query(
                    "INSERT INTO nc_declarations (site, year, indicator, motive, review, declared_at, declared_by) \
                     VALUES ($1, $2, $3, $4, $7, $5, $6) \
                     ON CONFLICT (site, year, indicator) DO UPDATE SET motive = excluded.motive, review = excluded.review, \
                     review_comment = NULL, reviewed_at = NULL, reviewed_by = NULL, \
                     declared_at = excluded.declared_at, declared_by = excluded.declared_by",
                )
                .bind(v.site.to_string())
                .bind(i64::from(v.year))
                .bind(v.indicator.clone())
                .bind(m.to_owned())
                .bind(now.clone())
                .bind(actor.user_id.clone())
                .bind(review.code())
                .execute(&mut *tx)
                .await?;
                changes.push(
                    json!({ "site": v.site.to_string(), "indicateur": v.indicator,
                    "motif_avant": old, "motif": m, "revue": review.code() }),
                );
            }
            (true, Some(_)) => {}
            (_, _) if old.is_some() => {
                sqlx::query(
                    "DELETE FROM nc_declarations WHERE site = $1 AND year = $2 AND indicator = $3",
                )
                .bind(v.site.to_string())
                .bind(i64::from(v.year))
                .bind(v.indicator.clone())
                .execute(&mut *tx)
                .await?;
                changes.push(
                    json!({ "site": v.site.to_string(), "indicateur": v.indicator,
                    "motif_avant": old, "motif": null }),
                );
            }
            _ => {}
        }
    }
    Ok(changes)
}
