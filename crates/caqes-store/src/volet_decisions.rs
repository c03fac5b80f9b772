//! Evaluation and decision of the additional volets, transports first.
//!
//! For an entity the ARS confirmed as targeted for the transport volet of a
//! campaign (`targeting`), the ARS records the evaluation inputs the engine needs
//! (main target met, optional objective, forecast and observed spending, AM
//! revenue, action-plan progress); the engine
//! (`caqes_core::volets::transport::evaluate`) gives the cell of the instruction's
//! table and the proposed incentive or sanction. Then the life cycle of the
//! volet obligatoire (`decisions`): AM opinion, DG ARS decision bounded by
//! `Decision::modulated`, notification freezing the version, corrections as
//! version n+1 with their reason. Every write is audited in its transaction.

use caqes_core::sanction::{Basis, Decision, Nature, Proposal};
use caqes_core::volets::transport::{
    OptionalObjective, TransportEvaluationInput, TransportOutcome, evaluate,
};
use caqes_core::volets::{Progress, Volet};
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::audit::{AuditLine, record};
use crate::decisions::{Opinion, clean, require_role};
use crate::targeting::{TRANSPORTS, TargetingStatus};
use crate::{
    Actor, Backend, Campaign, Result, Role, Store, StoreError, User, new_id, now_text,
    parse_decimal,
};

/// One version of the transport decision of an entity in a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoletDecision {
    pub id: String,
    pub campaign: String,
    pub entity: String,
    pub version: i64,
    pub input: TransportEvaluationInput,
    pub outcome: TransportOutcome,
    /// Forecast without measures − observed (negative when spending overran it).
    pub savings: Euros,
    /// `None` for « ni intéressement, ni sanction ».
    pub proposal: Option<Proposal>,
    pub opinion: Option<Opinion>,
    pub opinion_comment: Option<String>,
    pub opinion_by: Option<String>,
    pub final_amount: Option<Euros>,
    pub motivation: Option<String>,
    pub decided_by: Option<String>,
    pub notified_on: Option<Date>,
    pub correction_reason: Option<String>,
    pub created_at: String,
}

impl VoletDecision {
    /// Once notified, a version never changes.
    pub fn is_frozen(&self) -> bool {
        self.notified_on.is_some()
    }
}

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

fn outcome_code(o: TransportOutcome) -> &'static str {
    match o {
        TransportOutcome::Interessement => "interessement",
        TransportOutcome::NiInteressementNiSanction => "ni_interessement_ni_sanction",
        TransportOutcome::Sanction => "sanction",
    }
}

const COLUMNS: &str = "d.id, d.campaign, d.entity, d.version, d.main_target_met, d.optional_objective, \
     d.forecast_spending, d.observed_spending, d.am_revenue, d.action_plan_progress, d.outcome, d.savings, \
     d.nature, d.basis_kind, d.ceiling, d.proposed_amount, d.opinion, d.opinion_comment, \
     uo.display_name AS opinion_by_name, d.final_amount, d.motivation, ud.display_name AS decided_by_name, \
     d.notified_on, d.correction_reason, d.created_at";
const FROM: &str = "FROM volet_decisions d \
     LEFT JOIN users uo ON uo.id = d.opinion_by LEFT JOIN users ud ON ud.id = d.decided_by";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} « {value} »"))
}

fn euros(r: &AnyRow, col: &str) -> Result<Euros> {
    Ok(Euros(
        parse_decimal(Some(r.try_get(col)?))?.unwrap_or_default(),
    ))
}

fn from_row(r: &AnyRow) -> Result<VoletDecision> {
    let objective: String = r.try_get("optional_objective")?;
    let outcome: String = r.try_get("outcome")?;
    let outcome = [
        TransportOutcome::Interessement,
        TransportOutcome::NiInteressementNiSanction,
        TransportOutcome::Sanction,
    ]
    .into_iter()
    .find(|o| outcome_code(*o) == outcome)
    .ok_or_else(|| corrupt("issue inconnue", &outcome))?;
    let progress = parse_decimal(Some(r.try_get("action_plan_progress")?))?.unwrap_or_default();
    let nature: Option<String> = r.try_get("nature")?;
    let proposal = match nature.as_deref() {
        None => None,
        Some(n) => {
            let (nature, basis) = match n {
                "interessement" => (Nature::Interessement, Basis::Economies),
                "sanction" => (Nature::Sanction, Basis::ProduitsAm),
                other => return Err(corrupt("nature inconnue", other)),
            };
            Some(
                Proposal::new(
                    nature,
                    basis,
                    euros(r, "ceiling")?,
                    euros(r, "proposed_amount")?,
                )
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )
        }
    };
    let opinion: Option<String> = r.try_get("opinion")?;
    let notified_on: Option<String> = r.try_get("notified_on")?;
    Ok(VoletDecision {
        id: r.try_get("id")?,
        campaign: r.try_get("campaign")?,
        entity: r.try_get("entity")?,
        version: r.try_get("version")?,
        input: TransportEvaluationInput {
            cible_atteinte: r.try_get::<i64, _>("main_target_met")? == 1,
            objectif_supplementaire: parse_objective(&objective)
                .ok_or_else(|| corrupt("objectif inconnu", &objective))?,
            depenses_previsionnelles_sans_mesures: euros(r, "forecast_spending")?,
            depenses_observees: euros(r, "observed_spending")?,
            produits_am: euros(r, "am_revenue")?,
            progression_plan_actions: Progress::from_fraction(progress)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        },
        outcome,
        savings: euros(r, "savings")?,
        proposal,
        opinion: opinion
            .map(|o| Opinion::parse(&o).ok_or_else(|| corrupt("avis inconnu", &o)))
            .transpose()?,
        opinion_comment: r.try_get("opinion_comment")?,
        opinion_by: r.try_get("opinion_by_name")?,
        final_amount: parse_decimal(r.try_get("final_amount")?)?.map(Euros),
        motivation: r.try_get("motivation")?,
        decided_by: r.try_get("decided_by_name")?,
        notified_on: notified_on
            .map(|t| t.parse().map_err(|_| corrupt("date illisible", &t)))
            .transpose()?,
        correction_reason: r.try_get("correction_reason")?,
        created_at: r.try_get("created_at")?,
    })
}

fn decision_json(d: &VoletDecision) -> serde_json::Value {
    json!({
        "volet": TRANSPORTS,
        "version": d.version,
        "cible_atteinte": d.input.cible_atteinte,
        "objectif_supplementaire": objective_code(d.input.objectif_supplementaire),
        "depenses_previsionnelles": d.input.depenses_previsionnelles_sans_mesures.amount().to_string(),
        "depenses_observees": d.input.depenses_observees.amount().to_string(),
        "produits_am": d.input.produits_am.amount().to_string(),
        "progression_plan_actions": d.input.progression_plan_actions.value().to_string(),
        "issue": outcome_code(d.outcome),
        "economies": d.savings.amount().to_string(),
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
) -> Result<Option<VoletDecision>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE d.campaign = $1 AND d.entity = $2 AND d.volet = $3 \
         ORDER BY d.version DESC LIMIT 1"
    ))
    .bind(campaign.to_owned())
    .bind(entity.to_owned())
    .bind(TRANSPORTS)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

fn object_id(campaign: &Campaign, entity: &Finess) -> String {
    format!("{}/{}/{TRANSPORTS}", campaign.id, entity)
}

/// Same as `decisions::after_guarded_update` for a volet: the guarded UPDATE must
/// have touched the open version, then it is reloaded and the audit line recorded.
async fn after_guarded_update(
    conn: &mut AnyConnection,
    rows_affected: u64,
    (user, campaign, entity): (&User, &Campaign, &Finess),
    action: &'static str,
    before: Option<serde_json::Value>,
) -> Result<VoletDecision> {
    if rows_affected != 1 {
        return Err(StoreError::Conflict(
            "la décision a été notifiée entre-temps : rechargez la page".into(),
        ));
    }
    let after = latest_in(conn, &campaign.id, entity.as_str())
        .await?
        .ok_or(StoreError::NotFound("décision"))?;
    let id = object_id(campaign, entity);
    let line = AuditLine {
        region: Some(&campaign.region),
        action,
        object_kind: "volet_additionnel",
        object_id: &id,
        before,
        after: Some(decision_json(&after)),
    };
    record(conn, &Actor::user(user), line).await?;
    Ok(after)
}

fn ensure_open(d: &VoletDecision) -> Result<()> {
    if d.is_frozen() {
        return Err(StoreError::Conflict(format!(
            "la décision (version {}) a été notifiée : elle ne peut plus être modifiée ; \
             une correction crée une nouvelle version motivée",
            d.version
        )));
    }
    Ok(())
}

/// The regional user's campaign check: another region is « not found ».
fn ensure_region(user: &User, campaign: &Campaign) -> Result<()> {
    if user.region.as_deref() != Some(campaign.region.as_str()) {
        return Err(StoreError::NotFound("campagne"));
    }
    Ok(())
}

/// The DG ARS's bounded decision on a version: `Decision::modulated` on the
/// engine's proposal; without a proposal (« ni intéressement, ni sanction ») the
/// only possible amount is zero.
fn bounded(d: &VoletDecision, final_amount: Euros, motivation: Option<&str>) -> Result<Decision> {
    let proposal = match d.proposal {
        Some(p) => p,
        None if final_amount.amount().is_zero() => {
            // A zero sanction with a zero ceiling records « ni… ni… » as a decision.
            Proposal::new(
                Nature::Sanction,
                Basis::ProduitsAm,
                Euros::ZERO,
                Euros::ZERO,
            )
            .map_err(|e| StoreError::Conflict(e.to_string()))?
        }
        None => {
            return Err(StoreError::Conflict(
                "ni intéressement, ni sanction : le montant décidé ne peut être que 0 €".into(),
            ));
        }
    };
    Decision::modulated(Volet::Transports, proposal, final_amount, motivation)
        .map_err(|e| StoreError::Conflict(e.to_string()))
}

impl Store {
    /// Whether the ARS confirmed `entity` as targeted for the transport volet.
    pub async fn is_transport_targeted(&self, campaign: &str, entity: &Finess) -> Result<bool> {
        let status: Option<String> = sqlx::query(
            "SELECT status FROM volet_targeting WHERE campaign = $1 AND entity = $2 AND volet = $3",
        )
        .bind(campaign.to_owned())
        .bind(entity.to_string())
        .bind(TRANSPORTS)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get("status"))
        .transpose()?;
        Ok(status.as_deref() == Some(TargetingStatus::Cible.code()))
    }

    /// Every version of the transport decision, oldest first.
    pub async fn volet_decisions_of(
        &self,
        campaign: &str,
        entity: &Finess,
    ) -> Result<Vec<VoletDecision>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} {FROM} WHERE d.campaign = $1 AND d.entity = $2 AND d.volet = $3 \
             ORDER BY d.version"
        ))
        .bind(campaign.to_owned())
        .bind(entity.to_string())
        .bind(TRANSPORTS)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The ARS records (or replaces, before the AM opinion) the evaluation
    /// inputs of a targeted entity; the engine computes outcome and proposal.
    pub async fn record_transport_evaluation(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        input: &TransportEvaluationInput,
    ) -> Result<VoletDecision> {
        require_role(user, Role::Ars, "Évaluer le volet transports")?;
        ensure_region(user, campaign)?;
        if !self.is_transport_targeted(&campaign.id, entity).await? {
            return Err(StoreError::Conflict(format!(
                "{entity} n'est pas ciblé pour le volet transports dans la liste confirmée par l'ARS"
            )));
        }
        let referentiel = self
            .referentiel(&campaign.referentiel_id)
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("référentiel {} inconnu", campaign.referentiel_id))
            })?;
        let evaluation = evaluate(&referentiel.parameters.transports, input)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let current = latest_in(&mut tx, &campaign.id, entity.as_str()).await?;
        let before = current.as_ref().map(decision_json);
        let id = match &current {
            Some(d) => {
                ensure_open(d)?;
                if d.opinion.is_some() {
                    // The AM gave its opinion on these figures: changing them is a correction.
                    return Err(StoreError::Conflict(
                        "l'Assurance Maladie a déjà donné son avis sur cette évaluation : \
                         elle ne peut plus être modifiée"
                            .into(),
                    ));
                }
                d.id.clone()
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO volet_decisions (id, campaign, entity, volet, version, main_target_met, \
                     optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress, \
                     outcome, savings, ceiling, proposed_amount, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, 1, 0, 'absent', '0', '0', '0', '0', 'ni_interessement_ni_sanction', \
                     '0', '0', '0', $5, $6)",
                )
                .bind(id.clone())
                .bind(campaign.id.clone())
                .bind(entity.to_string())
                .bind(TRANSPORTS)
                .bind(user.id.clone())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let p = evaluation.proposition;
        let updated = sqlx::query(
            "UPDATE volet_decisions SET main_target_met = $1, optional_objective = $2, forecast_spending = $3, \
             observed_spending = $4, am_revenue = $5, action_plan_progress = $6, outcome = $7, savings = $8, \
             nature = $9, basis_kind = $10, ceiling = $11, proposed_amount = $12 \
             WHERE id = $13 AND notified_on IS NULL AND opinion IS NULL",
        )
        .bind(i64::from(input.cible_atteinte))
        .bind(objective_code(input.objectif_supplementaire))
        .bind(input.depenses_previsionnelles_sans_mesures.amount().to_string())
        .bind(input.depenses_observees.amount().to_string())
        .bind(input.produits_am.amount().to_string())
        .bind(input.progression_plan_actions.value().to_string())
        .bind(outcome_code(evaluation.issue))
        .bind(evaluation.economies.amount().to_string())
        .bind(p.map(|p| match p.nature() {
            Nature::Interessement => "interessement",
            Nature::Sanction => "sanction",
        }))
        .bind(p.map(|p| match p.nature() {
            Nature::Interessement => "economies",
            Nature::Sanction => "produits_am",
        }))
        .bind(p.map_or(Decimal::ZERO, |p| p.ceiling().amount()).to_string())
        .bind(p.map_or(Decimal::ZERO, |p| p.amount().amount()).to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = after_guarded_update(
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

    /// The Assurance Maladie gives its opinion on the open version.
    pub async fn record_volet_opinion(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        opinion: Opinion,
        comment: Option<&str>,
    ) -> Result<VoletDecision> {
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
                    "l'ARS doit d'abord enregistrer l'évaluation du volet transports".into(),
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
        let after = after_guarded_update(
            &mut tx,
            updated.rows_affected(),
            (user, campaign, entity),
            "volet.avis_am",
            Some(decision_json(&current)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The DG ARS decides, after the AM opinion, within the legal ceiling and with
    /// a motivation when the amount differs from the proposal.
    pub async fn record_volet_decision(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        final_amount: Euros,
        motivation: Option<&str>,
    ) -> Result<VoletDecision> {
        require_role(user, Role::Ars, "Décider du volet transports")?;
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
        let after = after_guarded_update(
            &mut tx,
            updated.rows_affected(),
            (user, campaign, entity),
            "volet.decider",
            Some(decision_json(&current)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The ARS notifies the decided version on `notified_on`: it is frozen.
    pub async fn notify_volet_decision(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        notified_on: Date,
    ) -> Result<VoletDecision> {
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
        let after = after_guarded_update(
            &mut tx,
            updated.rows_affected(),
            (user, campaign, entity),
            "volet.notifier",
            Some(decision_json(&current)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Corrects a notified decision: version n+1 with the same inputs, proposal
    /// and opinion, the new amount and motivation, and the mandatory reason.
    pub async fn correct_volet_decision(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        final_amount: Euros,
        motivation: Option<&str>,
        reason: &str,
    ) -> Result<VoletDecision> {
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
            "INSERT INTO volet_decisions (id, campaign, entity, volet, version, main_target_met, \
             optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress, \
             outcome, savings, nature, basis_kind, ceiling, proposed_amount, opinion, opinion_comment, \
             opinion_by, opinion_at, final_amount, motivation, decided_by, decided_at, correction_reason, \
             created_by, created_at) \
             SELECT $1, campaign, entity, volet, version + 1, main_target_met, optional_objective, \
             forecast_spending, observed_spending, am_revenue, action_plan_progress, outcome, savings, \
             nature, basis_kind, ceiling, proposed_amount, opinion, opinion_comment, opinion_by, opinion_at, \
             $2, $3, $4, $5, $6, $7, $8 FROM volet_decisions WHERE id = $9",
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
        let after = after_guarded_update(
            &mut tx,
            1,
            (user, campaign, entity),
            "volet.corriger",
            Some(decision_json(&current)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Triggers refusing UPDATE and DELETE of a notified volet decision (the
    /// store checks first; this is the last line of defence). Idempotent; on
    /// PostgreSQL it reuses `caqes_decision_frozen()` from
    /// `install_decision_guards`, which must run first.
    pub(crate) async fn install_volet_decision_guards(&self) -> Result<()> {
        const MESSAGE: &str = "décision notifiée : modification interdite";
        match self.backend {
            Backend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    let sql = format!(
                        "CREATE TRIGGER IF NOT EXISTS volet_decisions_frozen_{op} BEFORE {op} ON volet_decisions \
                         WHEN OLD.notified_on IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                    );
                    sqlx::raw_sql(&sql).execute(&self.pool).await?;
                }
            }
            Backend::Postgres => {
                sqlx::raw_sql(
                    "CREATE OR REPLACE TRIGGER volet_decisions_frozen BEFORE UPDATE OR DELETE ON volet_decisions \
                     FOR EACH ROW EXECUTE FUNCTION caqes_decision_frozen()",
                )
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}
