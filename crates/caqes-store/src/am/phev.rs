//! What the PHEV dashboards keep of an Open PHMEV upload (migration 0022): per campaign
//! and legal entity of the region, the indicator sums ([`EntitySummary`]) and the amount
//! per ATC4 class and per product ([`AmountRow`]). Written in the PHEV import's
//! transaction (`Store::import_phev`), replacing the campaign's previous upload; read
//! back whole by the dashboards, which aggregate with `caqes_core::phev`.

use caqes_core::RegionCode;
use caqes_core::phev::{AmountKind, AmountRow, ClassBoxes, EntitySummary};
use sqlx::Row;

use crate::conflict::EntityConflict;
use crate::model::ids::CampaignId;
use crate::{Result, Store, StoreError, parse_decimal, parse_finess};

/// The dashboard rows of one upload, for the entities of the campaign's region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhevDashboard {
    pub summaries: Vec<EntitySummary>,
    pub amounts: Vec<AmountRow>,
}

/// Rows per multi-row INSERT of amounts (7 parameters each, under SQLite's 999).
const AMOUNT_ROWS_PER_INSERT: usize = 128;

fn decimal(text: String) -> Result<rust_decimal::Decimal> {
    parse_decimal(Some(text))?.ok_or_else(|| StoreError::Corrupt("montant PHEV vide".into()))
}

/// Replaces the campaign's dashboard rows, inside the caller's transaction. Every entity
/// must be of `region`.
pub(crate) async fn replace(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    campaign: &CampaignId,
    region: &RegionCode,
    d: &PhevDashboard,
) -> Result<()> {
    for table in [
        "phev_amounts",
        "phev_biosimilar_boxes",
        "phev_entity_figures",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE campaign = $1"))
            .bind(campaign.to_owned())
            .execute(&mut **tx)
            .await?;
    }
    let in_region: Vec<String> = sqlx::query("SELECT finess FROM legal_entities WHERE region = $1")
        .bind(region.to_string())
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get("finess"))
        .collect::<std::result::Result<_, _>>()?;
    let check = |f: &caqes_core::Finess| -> Result<()> {
        if in_region.iter().any(|e| e == f.as_str()) {
            Ok(())
        } else {
            Err(EntityConflict::OutsideCampaignRegion {
                entity: f.to_string(),
            }
            .into())
        }
    };
    for s in &d.summaries {
        check(&s.entity)?;
        sqlx::query(
            "INSERT INTO phev_entity_figures (campaign, entity, name, boxes_total, \
             boxes_excluding_paracetamol, boxes_repertoire, amount, amount_excluding_hepatitis_c, \
             previous_amount_excluding_hepatitis_c) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(campaign.to_owned())
        .bind(s.entity.to_string())
        .bind(s.name.clone())
        .bind(s.boxes_total)
        .bind(s.boxes_excluding_paracetamol)
        .bind(s.boxes_repertoire)
        .bind(s.amount.to_string())
        .bind(s.amount_excluding_hepatitis_c.to_string())
        .bind(
            s.previous_amount_excluding_hepatitis_c
                .map(|a| a.to_string()),
        )
        .execute(&mut **tx)
        .await?;
        for (position, c) in s.biosimilars.iter().enumerate() {
            sqlx::query(
                "INSERT INTO phev_biosimilar_boxes (campaign, entity, position, class_id, label, \
                 biosimilar_boxes, reference_boxes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(campaign.to_owned())
            .bind(s.entity.to_string())
            .bind(position as i64)
            .bind(c.id.clone())
            .bind(c.label.clone())
            .bind(c.biosimilars)
            .bind(c.references)
            .execute(&mut **tx)
            .await?;
        }
    }
    for chunk in d.amounts.chunks(AMOUNT_ROWS_PER_INSERT) {
        // One statement per chunk: a region's upload has tens of thousands of rows.
        let placeholders: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO phev_amounts (campaign, entity, kind, code, label, amount, boxes) VALUES {}",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for a in chunk {
            check(&a.entity)?;
            q = q
                .bind(campaign.to_owned())
                .bind(a.entity.to_string())
                .bind(a.kind.code().to_owned())
                .bind(a.code.clone())
                .bind(a.label.clone())
                .bind(a.amount.to_string())
                .bind(a.boxes);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// The indicator sums of every entity of a campaign's PHEV upload (empty when none
    /// was confirmed), sorted by FINESS.
    pub async fn phev_summaries(&self, campaign: &CampaignId) -> Result<Vec<EntitySummary>> {
        let mut summaries = Vec::new();
        for r in sqlx::query(
            "SELECT entity, name, boxes_total, boxes_excluding_paracetamol, boxes_repertoire, \
             amount, amount_excluding_hepatitis_c, previous_amount_excluding_hepatitis_c \
             FROM phev_entity_figures WHERE campaign = $1 ORDER BY entity",
        )
        .bind(campaign.to_owned())
        .fetch_all(&self.pool)
        .await?
        {
            summaries.push(EntitySummary {
                entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                name: r.try_get("name")?,
                boxes_total: r.try_get("boxes_total")?,
                boxes_excluding_paracetamol: r.try_get("boxes_excluding_paracetamol")?,
                boxes_repertoire: r.try_get("boxes_repertoire")?,
                amount: decimal(r.try_get("amount")?)?,
                amount_excluding_hepatitis_c: decimal(r.try_get("amount_excluding_hepatitis_c")?)?,
                previous_amount_excluding_hepatitis_c: parse_decimal(
                    r.try_get("previous_amount_excluding_hepatitis_c")?,
                )?,
                biosimilars: Vec::new(),
            });
        }
        for r in sqlx::query(
            "SELECT entity, class_id, label, biosimilar_boxes, reference_boxes \
             FROM phev_biosimilar_boxes WHERE campaign = $1 ORDER BY entity, position",
        )
        .bind(campaign.to_owned())
        .fetch_all(&self.pool)
        .await?
        {
            let entity: String = r.try_get("entity")?;
            if let Some(s) = summaries.iter_mut().find(|s| s.entity.as_str() == entity) {
                s.biosimilars.push(ClassBoxes {
                    id: r.try_get("class_id")?,
                    label: r.try_get("label")?,
                    biosimilars: r.try_get("biosimilar_boxes")?,
                    references: r.try_get("reference_boxes")?,
                });
            }
        }
        Ok(summaries)
    }

    /// The amounts per class and product of a campaign's PHEV upload, of one entity or of
    /// all of them.
    pub async fn phev_amounts(
        &self,
        campaign: &CampaignId,
        entity: Option<caqes_core::Finess>,
    ) -> Result<Vec<AmountRow>> {
        let mut amounts = Vec::new();
        let sql = match entity {
            Some(_) => {
                "SELECT entity, kind, code, label, amount, boxes FROM phev_amounts \
                 WHERE campaign = $1 AND entity = $2"
            }
            None => {
                "SELECT entity, kind, code, label, amount, boxes FROM phev_amounts \
                 WHERE campaign = $1"
            }
        };
        let mut q = sqlx::query(sql).bind(campaign.to_owned());
        if let Some(e) = entity {
            q = q.bind(e.to_string());
        }
        for r in q.fetch_all(&self.pool).await? {
            let kind: String = r.try_get("kind")?;
            amounts.push(AmountRow {
                entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                kind: AmountKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("type de montant « {kind} »")))?,
                code: r.try_get("code")?,
                label: r.try_get("label")?,
                amount: decimal(r.try_get("amount")?)?,
                boxes: r.try_get("boxes")?,
            });
        }
        Ok(amounts)
    }
}
