//! Evaluation and decision of the additional volets, transports first.
//!
//! For an entity the ARS confirmed as targeted for the transport volet of a
//! campaign (`targeting`), the ARS records the evaluation inputs the engine needs
//! (main target met, optional objective, forecast and observed spending, AM
//! revenue, action-plan progress); the engine
//! (`caqes_core::volets::transport::evaluate`) gives the cell of the instruction's
//! table and the proposed incentive or sanction. Then the life cycle shared by
//! every additional volet (`volet_lifecycle`): AM opinion, DG ARS decision
//! bounded by `Decision::modulated`, notification freezing the version,
//! corrections as version n+1 with their reason. Every write is audited in its
//! transaction.

use caqes_core::volets::transport::{
    OptionalObjective, TransportEvaluationInput, TransportOutcome, evaluate,
};
use caqes_core::volets::{Progress, Volet};
use caqes_core::{Euros, Finess};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::conflict::VoletConflict;
use crate::targeting::TRANSPORTS;
use crate::volets::lifecycle::{
    Cell, Computed, VoletKind, VoletOutcome, VoletVersion, corrupt, euros,
};
use crate::{Campaign, Result, Store, User, parse_decimal};

/// The marker of the transport volet in the generic life cycle.
pub struct Transports;

/// The ARS's evaluation inputs and the savings the engine derived from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportAssessment {
    pub input: TransportEvaluationInput,
    /// Forecast without measures − observed (negative when spending overran it).
    pub savings: Euros,
}

/// One version of the transport decision of an entity in a campaign.
pub type TransportDecision = VoletVersion<TransportAssessment>;

fn objective_code(o: OptionalObjective) -> &'static str {
    match o {
        OptionalObjective::Atteint => "atteint",
        OptionalObjective::NonAtteint => "non_atteint",
        OptionalObjective::Absent => "absent",
    }
}

/// Parses an optional-objective code (`atteint`, `non_atteint`, `absent`).
pub fn parse_objective(code: &str) -> Option<OptionalObjective> {
    [
        OptionalObjective::Atteint,
        OptionalObjective::NonAtteint,
        OptionalObjective::Absent,
    ]
    .into_iter()
    .find(|o| objective_code(*o) == code)
}

impl VoletKind for Transports {
    type Evaluation = TransportAssessment;
    const CODE: &'static str = TRANSPORTS;
    const VOLET: Volet = Volet::Transports;
    const DECIDE_ACTION: &'static str = "Décider du volet transports";

    fn evaluation_from_row(r: &AnyRow) -> Result<TransportAssessment> {
        let objective: Option<String> = r.try_get("optional_objective")?;
        let objective = objective.unwrap_or_default();
        let met: Option<i64> = r.try_get("main_target_met")?;
        let progress = parse_decimal(r.try_get("action_plan_progress")?)?.unwrap_or_default();
        Ok(TransportAssessment {
            input: TransportEvaluationInput {
                cible_atteinte: met == Some(1),
                objectif_supplementaire: parse_objective(&objective)
                    .ok_or_else(|| corrupt("objectif inconnu", &objective))?,
                depenses_previsionnelles_sans_mesures: euros(r, "forecast_spending")?,
                depenses_observees: euros(r, "observed_spending")?,
                produits_am: euros(r, "am_revenue")?,
                progression_plan_actions: Progress::from_fraction(progress).map_err(
                    crate::unreadable("avancement du plan d'actions du volet transports"),
                )?,
            },
            savings: euros(r, "savings")?,
        })
    }

    fn evaluation_json(e: &TransportAssessment) -> serde_json::Value {
        json!({
            "cible_atteinte": e.input.cible_atteinte,
            "objectif_supplementaire": objective_code(e.input.objectif_supplementaire),
            "depenses_previsionnelles": e.input.depenses_previsionnelles_sans_mesures.amount().to_string(),
            "depenses_observees": e.input.depenses_observees.amount().to_string(),
            "progression_plan_actions": e.input.progression_plan_actions.value().to_string(),
            "economies": e.savings.amount().to_string(),
        })
    }
}

impl From<TransportOutcome> for VoletOutcome {
    fn from(o: TransportOutcome) -> Self {
        match o {
            TransportOutcome::Interessement => VoletOutcome::Interessement,
            TransportOutcome::NiInteressementNiSanction => VoletOutcome::NiInteressementNiSanction,
            TransportOutcome::Sanction => VoletOutcome::Sanction,
        }
    }
}

impl Store {
    /// The ARS records (or replaces, before the AM opinion) the evaluation
    /// inputs of a targeted entity; the engine computes outcome and proposal.
    pub async fn record_transport_evaluation(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        input: &TransportEvaluationInput,
    ) -> Result<TransportDecision> {
        let referentiel = self
            .evaluation_referentiel::<Transports>(
                (user, campaign, entity),
                "Évaluer le volet transports",
            )
            .await?;
        let evaluation =
            evaluate(&referentiel.parameters.transports, input).map_err(VoletConflict::Rules)?;
        let p = evaluation.proposition;
        let computed = Computed {
            cells: vec![
                (
                    "main_target_met",
                    Cell::Int(Some(i64::from(input.cible_atteinte))),
                ),
                (
                    "optional_objective",
                    Cell::text(objective_code(input.objectif_supplementaire)),
                ),
                (
                    "forecast_spending",
                    Cell::text(input.depenses_previsionnelles_sans_mesures.amount()),
                ),
                (
                    "observed_spending",
                    Cell::text(input.depenses_observees.amount()),
                ),
                (
                    "action_plan_progress",
                    Cell::text(input.progression_plan_actions.value()),
                ),
                ("savings", Cell::text(evaluation.economies.amount())),
            ],
            outcome: evaluation.issue.into(),
            proposal: p,
            am_revenue: input.produits_am,
        };
        let w = self.audited_write().await?;
        self.write_volet_evaluation::<Transports>(w, (user, campaign, entity), computed)
            .await
    }
}
