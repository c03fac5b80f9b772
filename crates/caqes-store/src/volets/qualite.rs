//! Evaluation of the qualité volet (the proposal of the engine), for an entity
//! the ARS confirmed as targeted on that volet.
//!
//! The number of targeted risks comes from the confirmed targeting (never typed
//! again by the ARS); the ARS enters the complementary objectives and their
//! results and the AM revenue; `caqes_core::volets::quality::propose_sanction`
//! gives the sanction: 1 % of the AM revenue × r(number of risks) × (1 − share
//! met). The row lives in `volet_decisions` (volet `qualite`) and goes through
//! the life cycle shared by the additional volets (`volet_lifecycle`). Every
//! write is audited in its transaction.

use caqes_core::volets::quality::{Risk, propose_sanction};
use caqes_core::volets::{Objective, Progress, Volet, achievement_share};
use caqes_core::{Euros, Finess};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::accounts::require_role;
use crate::conflict::VoletConflict;
use crate::targeting::qualite::{QUALITE, parameters, verdicts_in};
use crate::targeting::{TargetingStatus, confirmed_in};
use crate::volets::lifecycle::{
    Cell, Computed, VoletKind, VoletOutcome, VoletVersion, corrupt, ensure_region,
};
use crate::{Campaign, Result, Role, Store, User, parse_decimal};

/// The marker `confirm_quality_targeting` appends to the reason when the ARS keeps
/// the medication risk of an entity without D3.1: the count must include it.
const D31_KEPT: &str = "appréciation de l'ARS : risque médicamenteux retenu";

/// The marker of the qualité volet in the generic life cycle.
pub struct Qualite;

/// The qualité evaluation: the number of risks of the confirmed targeting, the
/// complementary objectives and their weighted share met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualityAssessment {
    pub targeted_risks: usize,
    pub objectives: Vec<Objective>,
    /// Weighted share of the objectives met (0 when there is none).
    pub share_met: Progress,
}

/// One version of the qualité evaluation of an entity in a campaign.
pub type QualityDecision = VoletVersion<QualityAssessment>;

/// Reads the `objectives` and `share_met` columns (qualité and pertinence).
pub(crate) fn objectives_from_row(r: &AnyRow) -> Result<(Vec<Objective>, Progress)> {
    let objectives: Option<String> = r.try_get("objectives")?;
    let objectives = objectives.unwrap_or_default();
    let share: Decimal = parse_decimal(r.try_get("share_met")?)?.unwrap_or_default();
    Ok((
        serde_json::from_str(&objectives)
            .map_err(|_| corrupt("objectifs illisibles", &objectives))?,
        Progress::from_fraction(share).map_err(crate::unreadable(
            "avancement du plan d'actions du volet qualité",
        ))?,
    ))
}

impl VoletKind for Qualite {
    type Evaluation = QualityAssessment;
    const CODE: &'static str = QUALITE;
    const VOLET: Volet = Volet::Qualite;
    const DECIDE_ACTION: &'static str = "Décider du volet qualité";

    fn evaluation_from_row(r: &AnyRow) -> Result<QualityAssessment> {
        let risks: Option<i64> = r.try_get("targeted_risks")?;
        let risks = risks.unwrap_or_default();
        let (objectives, share_met) = objectives_from_row(r)?;
        Ok(QualityAssessment {
            targeted_risks: usize::try_from(risks)
                .map_err(|_| corrupt("nombre de risques", &risks.to_string()))?,
            objectives,
            share_met,
        })
    }

    fn evaluation_json(e: &QualityAssessment) -> serde_json::Value {
        json!({
            "nombre_de_risques": e.targeted_risks,
            "objectifs": e.objectives,
            "part_atteinte": e.share_met.value().to_string(),
        })
    }
}

/// The number of risks of the confirmed targeting, as the ARS confirmed them
/// (column `risks`, migration 0014). `None` when the entity is not confirmed as
/// targeted.
async fn confirmed_risks(
    conn: &mut AnyConnection,
    campaign: &Campaign,
    entity: &Finess,
) -> Result<Option<usize>> {
    let row = sqlx::query(
        "SELECT risks FROM volet_targeting WHERE campaign = $1 AND entity = $2 AND volet = $3 \
         AND status = $4",
    )
    .bind(campaign.id.clone())
    .bind(entity.to_string())
    .bind(QUALITE)
    .bind(TargetingStatus::Cible.code())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let risks: Option<String> = row.try_get("risks")?;
    match risks {
        Some(json) => {
            let risks: Vec<Risk> =
                serde_json::from_str(&json).map_err(|_| corrupt("risques ciblés", &json))?;
            Ok(Some(risks.len()))
        }
        None => legacy_confirmed_risks(conn, campaign, entity).await,
    }
}

/// For a targeting confirmed before migration 0014: the engine's targeted risks
/// recomputed from the indicators, plus the medication risk when the ARS kept
/// it for an entity without D3.1 (recognised by the reason's wording).
async fn legacy_confirmed_risks(
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
        let mut w = self.audited_write().await?;
        let params = parameters(w.conn(), campaign).await?;
        let Some(risks) = confirmed_risks(w.conn(), campaign, entity).await? else {
            return Err(VoletConflict::NotTargeted {
                entity: entity.to_string(),
                volet: Volet::Qualite,
            }
            .into());
        };
        let share = achievement_share(objectives)
            .map_err(VoletConflict::Rules)?
            .map_or(Decimal::ZERO, |s| s.value());
        let proposal = propose_sanction(&params, risks, objectives, am_revenue)
            .map_err(VoletConflict::Rules)?;
        let objectives_json = serde_json::to_string(objectives)
            .map_err(crate::unreadable("objectifs du volet qualité"))?;
        let computed = Computed {
            cells: vec![
                (
                    "targeted_risks",
                    Cell::Int(Some(
                        i64::try_from(risks).map_err(VoletConflict::RiskCount)?,
                    )),
                ),
                ("objectives", Cell::Text(Some(objectives_json))),
                ("share_met", Cell::text(share)),
            ],
            outcome: if proposal.is_some() {
                VoletOutcome::Sanction
            } else {
                VoletOutcome::NiInteressementNiSanction
            },
            proposal,
            am_revenue,
        };
        self.write_volet_evaluation::<Qualite>(w, (user, campaign, entity), computed)
            .await
    }
}
