//! Evaluation of the pertinence volet (annex 5 of the instruction), for an entity
//! the ARS confirmed as targeted on that volet (`pertinence_targeting`).
//!
//! The ARS records whether the main quantified objective (« thématique
//! principale ») is met, the complementary objectives and their results, and
//! the terms fixed in the contract: the incentive's maximum (FIR credits) and
//! the nature of the sanction, « déterminée lors de l'étape de
//! contractualisation » — a mise sous accord préalable (MSAP) with its duration,
//! or a retention of at most 1 % of the AM revenue of the last closed year.
//! `caqes_core::volets::pertinence::evaluate` gives the consequence: an
//! incentive, a retention (both modulated by the complementary objectives) or an
//! MSAP. Then the life cycle shared by the additional volets
//! (`volet_lifecycle`); an MSAP is decided in months (at most the contract's,
//! 0 when the DG ARS does not pronounce it) and runs from its notification.

use caqes_core::Finess;
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{
    PertinenceConsequence, PertinenceEvaluationInput, PertinenceSanctionKind, evaluate,
};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::conflict::VoletConflict;
use crate::targeting::pertinence::PERTINENCE;
use crate::volets::lifecycle::{
    Cell, Computed, VoletKind, VoletOutcome, VoletVersion, corrupt, euros,
};
use crate::volets::qualite::objectives_from_row;
use crate::{Campaign, Result, Store, User, parse_decimal};

/// The marker of the pertinence volet in the generic life cycle.
pub struct Pertinence;

/// The pertinence evaluation as recorded, with the engine's modulation (the
/// fraction of the ceiling applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PertinenceAssessment {
    pub input: PertinenceEvaluationInput,
    pub modulation: Decimal,
}

/// One version of the pertinence decision of an entity in a campaign.
pub type PertinenceDecision = VoletVersion<PertinenceAssessment>;

impl VoletKind for Pertinence {
    type Evaluation = PertinenceAssessment;
    const CODE: &'static str = PERTINENCE;
    const VOLET: Volet = Volet::Pertinence;
    const DECIDE_ACTION: &'static str = "Décider du volet pertinence";

    fn evaluation_from_row(r: &AnyRow) -> Result<PertinenceAssessment> {
        let met: Option<i64> = r.try_get("main_target_met")?;
        let (objectives, _) = objectives_from_row(r)?;
        let kind: Option<String> = r.try_get("sanction_kind")?;
        let months: Option<i64> = r.try_get("msap_months")?;
        let nature_sanction = match (kind.as_deref(), months) {
            (Some("msap"), Some(m)) => PertinenceSanctionKind::Msap {
                duree_mois: u8::try_from(m)
                    .map_err(|_| corrupt("durée de MSAP", &m.to_string()))?,
            },
            (Some("retenue"), None) => PertinenceSanctionKind::Retenue,
            (other, _) => return Err(corrupt("nature de sanction", other.unwrap_or(""))),
        };
        Ok(PertinenceAssessment {
            input: PertinenceEvaluationInput {
                objectif_principal_atteint: met == Some(1),
                objectifs_complementaires: objectives,
                nature_sanction,
                plafond_interessement: euros(r, "incentive_ceiling")?,
                produits_am: euros(r, "am_revenue")?,
            },
            modulation: parse_decimal(r.try_get("modulation")?)?.unwrap_or(Decimal::ONE),
        })
    }

    fn evaluation_json(e: &PertinenceAssessment) -> serde_json::Value {
        json!({
            "objectif_principal_atteint": e.input.objectif_principal_atteint,
            "objectifs_complementaires": e.input.objectifs_complementaires,
            "nature_sanction": e.input.nature_sanction,
            "plafond_interessement": e.input.plafond_interessement.amount().to_string(),
            "modulation": e.modulation.to_string(),
        })
    }

    fn msap_months(e: &PertinenceAssessment) -> Option<u8> {
        match e.input.nature_sanction {
            PertinenceSanctionKind::Msap { duree_mois } => Some(duree_mois),
            PertinenceSanctionKind::Retenue => None,
        }
    }
}

impl Store {
    /// The ARS records (or replaces, before the AM opinion) the pertinence
    /// evaluation of an entity confirmed as targeted; the engine gives the
    /// consequence (incentive, retention or MSAP) and the proposed amount.
    pub async fn record_pertinence_evaluation(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        input: &PertinenceEvaluationInput,
    ) -> Result<PertinenceDecision> {
        let referentiel = self
            .evaluation_referentiel::<Pertinence>(
                (user, campaign, entity),
                "Évaluer le volet pertinence",
            )
            .await?;
        let evaluation =
            evaluate(&referentiel.parameters.pertinence, input).map_err(VoletConflict::Rules)?;
        let (outcome, proposal) = match evaluation.consequence {
            PertinenceConsequence::Interessement(p) => (VoletOutcome::Interessement, Some(p)),
            PertinenceConsequence::Retenue(p) => (VoletOutcome::Sanction, Some(p)),
            PertinenceConsequence::Msap { .. } => (VoletOutcome::MiseSousAccordPrealable, None),
        };
        let (kind, months) = match input.nature_sanction {
            PertinenceSanctionKind::Msap { duree_mois } => ("msap", Some(i64::from(duree_mois))),
            PertinenceSanctionKind::Retenue => ("retenue", None),
        };
        let objectives = serde_json::to_string(&input.objectifs_complementaires).map_err(
            crate::unreadable("objectifs complémentaires du volet pertinence"),
        )?;
        let computed = Computed {
            cells: vec![
                (
                    "main_target_met",
                    Cell::Int(Some(i64::from(input.objectif_principal_atteint))),
                ),
                ("objectives", Cell::Text(Some(objectives))),
                (
                    "share_met",
                    Cell::text(
                        evaluation
                            .part_objectifs_complementaires
                            .map_or(Decimal::ZERO, |s| s.value()),
                    ),
                ),
                ("sanction_kind", Cell::text(kind)),
                ("msap_months", Cell::Int(months)),
                (
                    "incentive_ceiling",
                    Cell::text(input.plafond_interessement.amount()),
                ),
                ("modulation", Cell::text(evaluation.modulation)),
            ],
            outcome,
            proposal,
            am_revenue: input.produits_am,
        };
        let w = self.audited_write().await?;
        self.write_volet_evaluation::<Pertinence>(w, (user, campaign, entity), computed)
            .await
    }
}
