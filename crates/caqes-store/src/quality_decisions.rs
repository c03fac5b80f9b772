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

use caqes_core::sanction::{Basis, Decision, Nature, Proposal};
use caqes_core::volets::quality::{Risk, propose_sanction};
use caqes_core::volets::{Objective, Progress, Volet, achievement_share};
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{AuditLine, record};
use crate::decisions::{Opinion, clean, require_role};
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
    pub opinion_comment: Option<String>,
    pub final_amount: Option<Euros>,
    pub motivation: Option<String>,
    pub notified_on: Option<Date>,
    pub correction_reason: Option<String>,
    pub created_at: String,
}

impl QualityDecision {
    /// Once notified, a version never changes.
    pub fn is_frozen(&self) -> bool {
        self.notified_on.is_some()
    }
}

const COLUMNS: &str = "id, campaign, entity, version, targeted_risks, objectives, share_met, am_revenue, \
     nature, ceiling, proposed_amount, opinion, opinion_comment, final_amount, motivation, notified_on, \
     correction_reason, created_at";

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
        opinion_comment: r.try_get("opinion_comment")?,
        final_amount: parse_decimal(r.try_get("final_amount")?)?.map(Euros),
        motivation: r.try_get("motivation")?,
        notified_on: notified_on
            .map(|t| t.parse().map_err(|_| corrupt("date illisible", &t)))
            .transpose()?,
        correction_reason: r.try_get("correction_reason")?,
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
        "commentaire_avis": d.opinion_comment,
        "montant_final": d.final_amount.map(|e| e.amount().to_string()),
        "motivation": d.motivation,
        "notifiee_le": d.notified_on.map(|n| n.to_string()),
        "motif_correction": d.correction_reason,
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

/// The regional user's campaign check: another region is « not found ».
fn ensure_region(user: &User, campaign: &Campaign) -> Result<()> {
    if user.region.as_deref() != Some(campaign.region.as_str()) {
        return Err(StoreError::NotFound("campagne"));
    }
    Ok(())
}

fn ensure_open(d: &QualityDecision) -> Result<()> {
    if d.is_frozen() {
        return Err(StoreError::Conflict(format!(
            "la décision (version {}) a été notifiée : elle ne peut plus être modifiée ; \
             une correction crée une nouvelle version motivée",
            d.version
        )));
    }
    Ok(())
}

/// The DG ARS's decision bounded by `Decision::modulated` on the engine's
/// proposal (a targeted entity always has one, possibly of 0 €).
fn bounded(d: &QualityDecision, final_amount: Euros, motivation: Option<&str>) -> Result<Decision> {
    let proposal = d
        .proposal
        .ok_or_else(|| StoreError::Conflict("aucune sanction proposée : rien à décider".into()))?;
    Decision::modulated(Volet::Qualite, proposal, final_amount, motivation)
        .map_err(|e| StoreError::Conflict(e.to_string()))
}

/// After a guarded write: exactly one row touched, reload, audit line with the
/// before and after values.
async fn audited(
    conn: &mut AnyConnection,
    rows_affected: u64,
    (user, campaign, entity): (&User, &Campaign, &Finess),
    action: &'static str,
    before: Option<serde_json::Value>,
) -> Result<QualityDecision> {
    if rows_affected != 1 {
        return Err(StoreError::Conflict(
            "la décision a été notifiée entre-temps : rechargez la page".into(),
        ));
    }
    let after = latest_in(&mut *conn, &campaign.id, entity.as_str())
        .await?
        .ok_or(StoreError::NotFound("décision"))?;
    let object_id = format!("{}/{}/{QUALITE}", campaign.id, entity);
    let line = AuditLine {
        region: Some(&campaign.region),
        action,
        object_kind: "volet_additionnel",
        object_id: &object_id,
        before,
        after: Some(decision_json(&after)),
    };
    record(conn, &Actor::user(user), line).await?;
    Ok(after)
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
        ensure_region(user, campaign)?;
        let params = parameters(campaign)?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
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
        let after = audited(
            &mut tx,
            updated.rows_affected(),
            (user, campaign, entity),
            "volet.evaluer",
            before,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The Assurance Maladie gives its opinion on the open qualité version.
    pub async fn record_quality_opinion(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        opinion: Opinion,
        comment: Option<&str>,
    ) -> Result<QualityDecision> {
        require_role(
            user,
            Role::AssuranceMaladie,
            "Donner l'avis de l'Assurance Maladie",
        )?;
        ensure_region(user, campaign)?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let current = latest_in(&mut tx, &campaign.id, entity.as_str())
            .await?
            .ok_or_else(|| {
                StoreError::Conflict(
                    "l'ARS doit d'abord enregistrer l'évaluation du volet qualité".into(),
                )
            })?;
        ensure_open(&current)?;
        let updated = sqlx::query(
            "UPDATE volet_decisions SET opinion = $1, opinion_comment = $2, opinion_by = $3, opinion_at = $4 \
             WHERE id = $5 AND notified_on IS NULL",
        )
        .bind(opinion.code())
        .bind(clean(comment))
        .bind(user.id.clone())
        .bind(now)
        .bind(current.id.clone())
        .execute(&mut *tx)
        .await?;
        let before = Some(decision_json(&current));
        let after = audited(
            &mut tx,
            updated.rows_affected(),
            (user, campaign, entity),
            "volet.avis_am",
            before,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The DG ARS decides after the AM opinion, bounded by the ceiling, with a
    /// motivation when the amount differs from the proposal.
    pub async fn record_quality_decision(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        final_amount: Euros,
        motivation: Option<&str>,
    ) -> Result<QualityDecision> {
        require_role(user, Role::Ars, "Décider du volet qualité")?;
        ensure_region(user, campaign)?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let current = latest_in(&mut tx, &campaign.id, entity.as_str())
            .await?
            .filter(|d| d.opinion.is_some() || d.is_frozen())
            .ok_or_else(|| {
                StoreError::Conflict(
                    "l'avis de l'Assurance Maladie doit être recueilli avant la décision".into(),
                )
            })?;
        ensure_open(&current)?;
        let decision = bounded(&current, final_amount, motivation)?;
        let updated = sqlx::query(
            "UPDATE volet_decisions SET final_amount = $1, motivation = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND notified_on IS NULL",
        )
        .bind(decision.final_amount().amount().to_string())
        .bind(decision.motivation().map(str::to_owned))
        .bind(user.id.clone())
        .bind(now)
        .bind(current.id.clone())
        .execute(&mut *tx)
        .await?;
        let before = Some(decision_json(&current));
        let after = audited(
            &mut tx,
            updated.rows_affected(),
            (user, campaign, entity),
            "volet.decider",
            before,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The ARS notifies the decided qualité version on `notified_on`: it is frozen.
    pub async fn notify_quality_decision(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        notified_on: Date,
    ) -> Result<QualityDecision> {
        require_role(user, Role::Ars, "Notifier la décision")?;
        ensure_region(user, campaign)?;
        let mut tx = self.begin_write().await?;
        let current = latest_in(&mut tx, &campaign.id, entity.as_str())
            .await?
            .ok_or_else(|| StoreError::Conflict("aucune décision à notifier".into()))?;
        ensure_open(&current)?;
        if current.final_amount.is_none() {
            return Err(StoreError::Conflict(
                "la décision du directeur général de l'ARS doit être prise avant la notification"
                    .into(),
            ));
        }
        let updated = sqlx::query(
            "UPDATE volet_decisions SET notified_on = $1, notified_by = $2 WHERE id = $3 AND notified_on IS NULL",
        )
        .bind(notified_on.to_string())
        .bind(user.id.clone())
        .bind(current.id.clone())
        .execute(&mut *tx)
        .await?;
        let before = Some(decision_json(&current));
        let after = audited(
            &mut tx,
            updated.rows_affected(),
            (user, campaign, entity),
            "volet.notifier",
            before,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Corrects a notified qualité decision: version n+1 with the same inputs,
    /// proposal and opinion, the new amount, motivation and mandatory reason.
    pub async fn correct_quality_decision(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        final_amount: Euros,
        motivation: Option<&str>,
        reason: &str,
    ) -> Result<QualityDecision> {
        require_role(user, Role::Ars, "Corriger la décision")?;
        ensure_region(user, campaign)?;
        let reason = clean(Some(reason)).ok_or_else(|| {
            StoreError::Conflict("le motif de la correction est obligatoire".into())
        })?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let current = latest_in(&mut tx, &campaign.id, entity.as_str())
            .await?
            .ok_or_else(|| StoreError::Conflict("aucune décision à corriger".into()))?;
        if !current.is_frozen() {
            return Err(StoreError::Conflict(
                "la décision n'est pas encore notifiée : modifiez-la directement".into(),
            ));
        }
        let decision = bounded(&current, final_amount, motivation)?;
        // Copies the frozen version's columns except the decision and notification.
        sqlx::query(
            "INSERT INTO volet_decisions (id, campaign, entity, volet, version, am_revenue, targeted_risks, \
             objectives, share_met, outcome, nature, basis_kind, ceiling, proposed_amount, opinion, \
             opinion_comment, opinion_by, opinion_at, final_amount, motivation, decided_by, decided_at, \
             correction_reason, created_by, created_at) \
             SELECT $1, campaign, entity, volet, version + 1, am_revenue, targeted_risks, objectives, share_met, \
             outcome, nature, basis_kind, ceiling, proposed_amount, opinion, opinion_comment, opinion_by, \
             opinion_at, $2, $3, $4, $5, $6, $7, $8 FROM volet_decisions WHERE id = $9",
        )
        .bind(new_id())
        .bind(decision.final_amount().amount().to_string())
        .bind(decision.motivation().map(str::to_owned))
        .bind(user.id.clone())
        .bind(now.clone())
        .bind(reason)
        .bind(user.id.clone())
        .bind(now)
        .bind(current.id.clone())
        .execute(&mut *tx)
        .await?;
        let before = Some(decision_json(&current));
        let after = audited(
            &mut tx,
            1,
            (user, campaign, entity),
            "volet.corriger",
            before,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
