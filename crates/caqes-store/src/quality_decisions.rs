//! Evaluation of the qualité volet (the proposal of the engine), for an entity
//! the ARS confirmed as targeted on that volet.
//!
//! The number of targeted risks comes from the confirmed targeting (never typed
//! again by the ARS); the ARS enters the complementary objectives and their
//! results and the AM revenue; `caqes_core::volets::quality::propose_sanction`
//! gives the sanction: 1 % of the AM revenue × r(number of risks) × (1 − share
//! met). The row lives in `volet_decisions` (volet `qualite`) so the freeze
//! trigger of the transport decisions protects it too. Every write is audited in
//! its transaction.

use caqes_core::sanction::{Basis, Nature, Proposal};
use caqes_core::volets::quality::{Risk, propose_sanction};
use caqes_core::volets::{Objective, Progress, achievement_share};
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{AuditLine, record};
use crate::decisions::{Opinion, require_role};
use crate::quality_targeting::{QUALITE, parameters, verdicts_in};
use crate::targeting::{TargetingStatus, confirmed_in};
use crate::{
    Actor, Campaign, Result, Role, Store, StoreError, User, new_id, now_text, parse_decimal,
};

/// The marker `confirm_quality_targeting` appends to the reason when the ARS keeps
/// the medication risk of an entity without D3.1: the count must include it.
const D31_KEPT: &str = "appréciation de l'ARS : risque médicamenteux retenu";

/// One version of the qualité evaluation of an entity in a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualityDecision {
    pub id: String,
    pub campaign: String,
    pub entity: String,
    pub version: i64,
    pub targeted_risks: usize,
    pub objectives: Vec<Objective>,
    /// Weighted share of the objectives met (0 when there is none).
    pub share_met: Progress,
    pub am_revenue: Euros,
    /// `None` when the sanction is zero-free (no risk): never the case for a targeted entity.
    pub proposal: Option<Proposal>,
    pub opinion: Option<Opinion>,
    pub final_amount: Option<Euros>,
    pub notified_on: Option<Date>,
    pub created_at: String,
}

impl QualityDecision {
    /// Once notified, a version never changes.
    pub fn is_frozen(&self) -> bool {
        self.notified_on.is_some()
    }
}

const COLUMNS: &str = "id, campaign, entity, version, targeted_risks, objectives, share_met, am_revenue, \
     nature, ceiling, proposed_amount, opinion, final_amount, notified_on, created_at";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} « {value} »"))
}

fn from_row(r: &AnyRow) -> Result<QualityDecision> {
    let objectives: String = r.try_get("objectives")?;
    let share: Decimal = parse_decimal(Some(r.try_get("share_met")?))?.unwrap_or_default();
    let nature: Option<String> = r.try_get("nature")?;
    let money = |col: &str| -> Result<Euros> {
        Ok(Euros(
            parse_decimal(Some(r.try_get(col)?))?.unwrap_or_default(),
        ))
    };
    let proposal = match nature.as_deref() {
        None => None,
        Some("sanction") => Some(
            Proposal::new(
                Nature::Sanction,
                Basis::ProduitsAm,
                money("ceiling")?,
                money("proposed_amount")?,
            )
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        Some(other) => return Err(corrupt("nature inconnue", other)),
    };
    let risks: i64 = r.try_get("targeted_risks")?;
    let opinion: Option<String> = r.try_get("opinion")?;
    let notified_on: Option<String> = r.try_get("notified_on")?;
    Ok(QualityDecision {
        id: r.try_get("id")?,
        campaign: r.try_get("campaign")?,
        entity: r.try_get("entity")?,
        version: r.try_get("version")?,
        targeted_risks: usize::try_from(risks)
            .map_err(|_| corrupt("nombre de risques", &risks.to_string()))?,
        objectives: serde_json::from_str(&objectives)
            .map_err(|_| corrupt("objectifs illisibles", &objectives))?,
        share_met: Progress::from_fraction(share)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        am_revenue: money("am_revenue")?,
        proposal,
        opinion: opinion
            .map(|o| Opinion::parse(&o).ok_or_else(|| corrupt("avis inconnu", &o)))
            .transpose()?,
        final_amount: parse_decimal(r.try_get("final_amount")?)?.map(Euros),
        notified_on: notified_on
            .map(|t| t.parse().map_err(|_| corrupt("date illisible", &t)))
            .transpose()?,
        created_at: r.try_get("created_at")?,
    })
}

fn decision_json(d: &QualityDecision) -> serde_json::Value {
    json!({
        "volet": QUALITE,
        "version": d.version,
        "nombre_de_risques": d.targeted_risks,
        "objectifs": d.objectives,
        "part_atteinte": d.share_met.value().to_string(),
        "produits_am": d.am_revenue.amount().to_string(),
        "plafond": d.proposal.map(|p| p.ceiling().amount().to_string()),
        "montant_propose": d.proposal.map(|p| p.amount().amount().to_string()),
        "avis": d.opinion.map(Opinion::code),
        "montant_final": d.final_amount.map(|e| e.amount().to_string()),
        "notifiee_le": d.notified_on.map(|n| n.to_string()),
    })
}

async fn latest_in(
    conn: &mut AnyConnection,
    campaign: &str,
    entity: &str,
) -> Result<Option<QualityDecision>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM volet_decisions WHERE campaign = $1 AND entity = $2 AND volet = $3 \
         ORDER BY version DESC LIMIT 1"
    ))
    .bind(campaign.to_owned())
    .bind(entity.to_owned())
    .bind(QUALITE)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The number of risks of the confirmed targeting: the engine's targeted risks,
/// plus the medication risk when the ARS kept it for an entity without D3.1.
/// `None` when the entity is not confirmed as targeted.
async fn confirmed_risks(
    conn: &mut AnyConnection,
    campaign: &Campaign,
    entity: &Finess,
) -> Result<Option<usize>> {
    let confirmed = confirmed_in(&mut *conn, &campaign.id, QUALITE).await?;
    let Some(line) = confirmed
        .iter()
        .find(|c| c.entity == *entity && c.status == TargetingStatus::Cible)
    else {
        return Ok(None);
    };
    let verdicts = verdicts_in(&mut *conn, campaign).await?;
    let Some(verdict) = verdicts.iter().find(|v| v.entity.finess == *entity) else {
        return Ok(None);
    };
    let mut risks = verdict.targeting.targeted_risks();
    if verdict.targeting.needs_ars_decision()
        && line.engine_reason.contains(D31_KEPT)
        && !risks.contains(&Risk::Medicamenteux)
    {
        risks.push(Risk::Medicamenteux);
    }
    Ok(Some(risks.len()))
}

impl Store {
    /// Every version of the qualité evaluation, oldest first.
    pub async fn quality_decisions_of(
        &self,
        campaign: &str,
        entity: &Finess,
    ) -> Result<Vec<QualityDecision>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM volet_decisions WHERE campaign = $1 AND entity = $2 AND volet = $3 \
             ORDER BY version"
        ))
        .bind(campaign.to_owned())
        .bind(entity.to_string())
        .bind(QUALITE)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The ARS records (or replaces, before the AM opinion) the objectives and
    /// the AM revenue of an entity confirmed as targeted on the qualité volet;
    /// the engine computes the proposed sanction.
    pub async fn record_quality_evaluation(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        objectives: &[Objective],
        am_revenue: Euros,
    ) -> Result<QualityDecision> {
        require_role(user, Role::Ars, "Évaluer le volet qualité")?;
        if user.region.as_deref() != Some(campaign.region.as_str()) {
            return Err(StoreError::NotFound("campagne"));
        }
        let params = parameters(campaign)?;
        let now = now_text();
        let mut tx = self.pool.begin().await?;
        let Some(risks) = confirmed_risks(&mut tx, campaign, entity).await? else {
            return Err(StoreError::Conflict(format!(
                "{entity} n'est pas ciblé pour le volet qualité dans la liste confirmée par l'ARS"
            )));
        };
        let share = achievement_share(objectives)
            .map_err(|e| StoreError::Conflict(e.to_string()))?
            .map_or(Decimal::ZERO, |s| s.value());
        let proposal = propose_sanction(&params, risks, objectives, am_revenue)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let objectives_json =
            serde_json::to_string(objectives).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let current = latest_in(&mut tx, &campaign.id, entity.as_str()).await?;
        let before = current.as_ref().map(decision_json);
        let id = match &current {
            Some(d) => {
                if d.is_frozen() || d.opinion.is_some() {
                    // Once the AM has given its opinion the figures are those it judged.
                    return Err(StoreError::Conflict(format!(
                        "l'évaluation qualité (version {}) a déjà reçu l'avis de l'Assurance Maladie : \
                         elle ne peut plus être modifiée",
                        d.version
                    )));
                }
                d.id.clone()
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO volet_decisions (id, campaign, entity, volet, version, am_revenue, \
                     targeted_risks, objectives, share_met, outcome, ceiling, proposed_amount, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, 1, '0', $5, '[]', '0', 'ni_interessement_ni_sanction', '0', '0', $6, $7)",
                )
                .bind(id.clone())
                .bind(campaign.id.clone())
                .bind(entity.to_string())
                .bind(QUALITE)
                .bind(i64::try_from(risks).unwrap_or(0))
                .bind(user.id.clone())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let updated = sqlx::query(
            "UPDATE volet_decisions SET targeted_risks = $1, objectives = $2, share_met = $3, am_revenue = $4, \
             outcome = $5, nature = $6, basis_kind = $7, ceiling = $8, proposed_amount = $9 \
             WHERE id = $10 AND notified_on IS NULL AND opinion IS NULL",
        )
        .bind(i64::try_from(risks).unwrap_or(0))
        .bind(objectives_json)
        .bind(share.to_string())
        .bind(am_revenue.amount().to_string())
        .bind(if proposal.is_some() { "sanction" } else { "ni_interessement_ni_sanction" })
        .bind(proposal.map(|_| "sanction"))
        .bind(proposal.map(|_| "produits_am"))
        .bind(proposal.map_or(Decimal::ZERO, |p| p.ceiling().amount()).to_string())
        .bind(proposal.map_or(Decimal::ZERO, |p| p.amount().amount()).to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "la décision a été notifiée entre-temps : rechargez la page".into(),
            ));
        }
        let after = latest_in(&mut tx, &campaign.id, entity.as_str())
            .await?
            .ok_or(StoreError::NotFound("décision"))?;
        let object_id = format!("{}/{}/{QUALITE}", campaign.id, entity);
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "volet.evaluer",
            object_kind: "volet_additionnel",
            object_id: &object_id,
            before,
            after: Some(decision_json(&after)),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        tx.commit().await?;
        Ok(after)
    }
}
