//! Sanction decisions of the volet obligatoire: the engine's proposal, the
//! Assurance Maladie's opinion, the DG ARS's decision and its notification.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, IV.b: « Les intéressements ou sanctions
//! sont décidés par le directeur général de l'ARS après avis de l'assurance
//! maladie […] les modulations sont motivées ». Hence the order enforced here:
//! opinion, then decision, then notification. A notified version is frozen (the
//! store refuses, and a trigger refuses UPDATE/DELETE of a notified row); a
//! correction is version n+1 carrying its reason, notified in turn.

use caqes_core::Euros;
use caqes_core::Finess;
use caqes_core::RegionCode;
use caqes_core::sanction::{
    Basis, Decision, Proposal, SanctionBasis, SanctionError, propose_socle_sanction,
};
use caqes_core::volets::Volet;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use caqes_core::notification::Event;

use crate::accounts::require_role;
use crate::admin::audit::{AuditLine, chain_head, record};
use crate::admin::audited_write::{AuditedWrite, Notice, Statement};
use crate::conflict::{DecisionConflict, StaleConflict};
use crate::model::ids::{DecisionId, SubmissionId};
use crate::notify::About;
use crate::notify::receipt::{
    RECEIPT_COLUMNS, Receipt, ReceiptKind, receipt_from_row, receipt_join,
};
use crate::{
    Actor, Backend, LegalEntity, Result, Role, Store, StoreError, Submission, User, new_id,
    now_text, parse_decimal,
};
use caqes_core::workflow::{Action, SubmissionState, WorkflowError, next_state};

/// The Assurance Maladie's opinion on a proposed sanction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opinion {
    Favorable,
    Defavorable,
}

impl Opinion {
    pub fn code(self) -> &'static str {
        match self {
            Opinion::Favorable => "favorable",
            Opinion::Defavorable => "defavorable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Opinion::Favorable => "favorable",
            Opinion::Defavorable => "défavorable",
        }
    }

    pub fn parse(code: &str) -> Option<Opinion> {
        [Opinion::Favorable, Opinion::Defavorable]
            .into_iter()
            .find(|o| o.code() == code)
    }
}

/// The engine's proposal for a dossier, with what it was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComputedProposal {
    pub score: Decimal,
    pub basis_amount: Euros,
    /// The scale's step for the score, in % of the ceiling.
    pub rate_of_ceiling: Decimal,
    pub proposal: Proposal,
}

/// The socle sanction proposed for a score, with the sanction parameters of the
/// campaign's référentiel (builtin or uploaded, resolved by the caller).
pub fn proposal_with(
    referentiel: &caqes_core::referentiel::Referentiel,
    score: Decimal,
    basis: SanctionBasis,
) -> Result<ComputedProposal> {
    let params = &referentiel.parameters.sanction;
    let proposal = propose_socle_sanction(params, score, basis).map_err(sanction_conflict)?;
    let rate_of_ceiling = params.rate_of_ceiling(score).map_err(sanction_conflict)?;
    Ok(ComputedProposal {
        score,
        basis_amount: basis.amount(),
        rate_of_ceiling,
        proposal,
    })
}

fn sanction_conflict(e: SanctionError) -> StoreError {
    DecisionConflict::Sanction(e).into()
}

/// The DG ARS's amount on `current`'s proposal, within the legal bounds (a
/// motivation when it departs from the proposal): for a decision and a correction.
fn modulated(
    current: &SanctionDecision,
    final_amount: Euros,
    motivation: Option<&str>,
) -> Result<Decision> {
    Decision::modulated(
        Volet::Obligatoire,
        current.proposal()?,
        final_amount,
        motivation,
    )
    .map_err(sanction_conflict)
}

/// One version of the decision of a dossier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanctionDecision {
    pub id: DecisionId,
    pub submission: SubmissionId,
    pub version: i64,
    pub basis_kind: Basis,
    pub basis_amount: Euros,
    pub score: Decimal,
    pub rate_of_ceiling: Decimal,
    pub ceiling: Euros,
    pub proposed_amount: Euros,
    pub opinion: Option<Opinion>,
    pub opinion_comment: Option<String>,
    /// Display name of the author of the opinion.
    pub opinion_by: Option<String>,
    pub opinion_at: Option<String>,
    pub final_amount: Option<Euros>,
    pub motivation: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub notified_on: Option<Date>,
    pub correction_reason: Option<String>,
    pub created_at: String,
    /// When the establishment received the notified version: the appeal
    /// deadlines run from that day.
    pub receipt: Option<Receipt>,
}

impl SanctionDecision {
    /// Once notified, a version never changes.
    pub fn is_frozen(&self) -> bool {
        self.notified_on.is_some()
    }

    /// The stored proposal, its invariants checked again.
    pub fn proposal(&self) -> Result<Proposal> {
        Proposal::new(
            caqes_core::sanction::Nature::Sanction,
            self.basis_kind,
            self.ceiling,
            self.proposed_amount,
        )
        .map_err(crate::unreadable("proposition de sanction"))
    }
}

fn decision_select() -> String {
    format!(
        "SELECT d.id, d.submission, d.version, d.basis_kind, d.basis_amount, d.score, \
         d.rate_of_ceiling, d.ceiling, d.proposed_amount, d.opinion, d.opinion_comment, \
         uo.display_name AS opinion_by_name, d.opinion_at, d.final_amount, d.motivation, \
         ud.display_name AS decided_by_name, d.decided_at, d.notified_on, d.correction_reason, d.created_at, \
         {RECEIPT_COLUMNS} FROM sanction_decisions d \
         LEFT JOIN users uo ON uo.id = d.opinion_by LEFT JOIN users ud ON ud.id = d.decided_by {}",
        receipt_join(ReceiptKind::Decision, "d.id")
    )
}

fn euros(r: &AnyRow, col: &str) -> Result<Euros> {
    Ok(Euros(
        parse_decimal(Some(r.try_get(col)?))?.unwrap_or_default(),
    ))
}

fn decision_from_row(r: &AnyRow) -> Result<SanctionDecision> {
    let basis_kind = match r.try_get::<String, _>("basis_kind")?.as_str() {
        "produits_am" => Basis::ProduitsAm,
        "liste_en_sus" => Basis::ListeEnSus,
        other => {
            return Err(StoreError::Corrupt(format!(
                "assiette inconnue « {other} »"
            )));
        }
    };
    let opinion: Option<String> = r.try_get("opinion")?;
    let notified_on: Option<String> = r.try_get("notified_on")?;
    Ok(SanctionDecision {
        id: r.try_get("id")?,
        submission: r.try_get("submission")?,
        version: r.try_get("version")?,
        basis_kind,
        basis_amount: euros(r, "basis_amount")?,
        score: parse_decimal(Some(r.try_get("score")?))?.unwrap_or_default(),
        rate_of_ceiling: parse_decimal(Some(r.try_get("rate_of_ceiling")?))?.unwrap_or_default(),
        ceiling: euros(r, "ceiling")?,
        proposed_amount: euros(r, "proposed_amount")?,
        opinion: opinion
            .map(|o| {
                Opinion::parse(&o)
                    .ok_or_else(|| StoreError::Corrupt(format!("avis inconnu « {o} »")))
            })
            .transpose()?,
        opinion_comment: r.try_get("opinion_comment")?,
        opinion_by: r.try_get("opinion_by_name")?,
        opinion_at: r.try_get("opinion_at")?,
        final_amount: parse_decimal(r.try_get("final_amount")?)?.map(Euros),
        motivation: r.try_get("motivation")?,
        decided_by: r.try_get("decided_by_name")?,
        decided_at: r.try_get("decided_at")?,
        notified_on: notified_on
            .map(|t| {
                t.parse()
                    .map_err(|_| StoreError::Corrupt(format!("date illisible « {t} »")))
            })
            .transpose()?,
        correction_reason: r.try_get("correction_reason")?,
        created_at: r.try_get("created_at")?,
        receipt: receipt_from_row(r)?,
    })
}

pub(crate) fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn decision_json(d: &SanctionDecision) -> serde_json::Value {
    json!({
        "version": d.version,
        "assiette": d.basis_amount.amount().to_string(),
        "score": d.score.to_string(),
        "plafond": d.ceiling.amount().to_string(),
        "montant_propose": d.proposed_amount.amount().to_string(),
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
    submission: &SubmissionId,
) -> Result<Option<SanctionDecision>> {
    let row = sqlx::query(&format!(
        "{} WHERE d.submission = $1 ORDER BY d.version DESC LIMIT 1",
        decision_select()
    ))
    .bind(submission.to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(decision_from_row).transpose()
}

async fn current_state(
    conn: &mut AnyConnection,
    submission: &SubmissionId,
) -> Result<SubmissionState> {
    let state: String = sqlx::query("SELECT state FROM submissions WHERE id = $1")
        .bind(submission.to_owned())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("dossier"))?
        .try_get("state")?;
    state
        .parse()
        .map_err(crate::unreadable("état d'un dossier"))
}

/// Runs `update`, a guarded update of the open version (its `WHERE` says
/// `notified_on IS NULL`): exactly one row touched, otherwise the version was
/// notified in between. Then reloads it and commits with the audit line (before →
/// after) and, when the update is an `event` for the entity, its notification.
async fn commit_guarded(
    mut w: AuditedWrite,
    update: Statement<'_>,
    (user, region, submission): (&User, &RegionCode, &Submission),
    action: &'static str,
    before: Option<serde_json::Value>,
    event: Option<Event>,
) -> Result<SanctionDecision> {
    w.guarded(update, StaleConflict::DecisionNotified).await?;
    let after = latest_in(w.conn(), &submission.id)
        .await?
        .ok_or(StoreError::NotFound("décision"))?;
    let line = AuditLine {
        region: Some(region),
        action,
        object_kind: "dossier",
        object_id: submission.id.as_str(),
        before,
        after: Some(decision_json(&after)),
    };
    // Its notifications link to the decision page.
    let entity = submission.entity.to_string();
    let link = format!(
        "/campagnes/{}/dossiers/{entity}/decision",
        submission.campaign
    );
    let notice = event.map(|event| Notice {
        event,
        about: About::Entity(&entity),
        link: &link,
    });
    w.commit(&Actor::user(user), line, notice).await?;
    Ok(after)
}

/// Refuses any write to a notified version (the trigger says the same, last).
fn ensure_open(d: &SanctionDecision) -> Result<()> {
    if d.is_frozen() {
        return Err(DecisionConflict::Frozen { version: d.version }.into());
    }
    Ok(())
}

impl Store {
    /// The revenue from the mandatory health insurance schemes of an entity, if known.
    pub async fn am_revenue(&self, entity: &Finess) -> Result<Option<Euros>> {
        let row = sqlx::query("SELECT am_revenue FROM legal_entities WHERE finess = $1")
            .bind(entity.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("entité juridique"))?;
        Ok(parse_decimal(row.try_get("am_revenue")?)?.map(Euros))
    }

    /// Sets the AM revenue of an entity (last closed year), audited.
    pub async fn set_am_revenue(
        &self,
        actor: &Actor,
        entity: &LegalEntity,
        revenue: Euros,
    ) -> Result<()> {
        if revenue.amount() < Decimal::ZERO {
            return Err(DecisionConflict::NegativeRevenue.into());
        }
        let finess = entity.finess.to_string();
        let before = self.am_revenue(&entity.finess).await?;
        let mut w = self.audited_write().await?;
        w.execute(
            sqlx::query("UPDATE legal_entities SET am_revenue = $1 WHERE finess = $2")
                .bind(revenue.amount().to_string())
                .bind(finess.clone()),
        )
        .await?;
        let line = AuditLine {
            region: Some(&entity.region),
            action: "recettes_am.enregistrer",
            object_kind: "entite_juridique",
            object_id: &finess,
            before: Some(json!({ "recettes_am": before.map(|e| e.amount().to_string()) })),
            after: Some(json!({ "recettes_am": revenue.amount().to_string() })),
        };
        w.commit(actor, line, None).await?;
        Ok(())
    }

    /// Every version of the decision of a dossier, oldest first.
    pub async fn decisions_of(&self, submission: &SubmissionId) -> Result<Vec<SanctionDecision>> {
        let rows = sqlx::query(&format!(
            "{} WHERE d.submission = $1 ORDER BY d.version",
            decision_select()
        ))
        .bind(submission.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decision_from_row).collect()
    }

    /// The latest version of the decision of a dossier.
    pub async fn current_decision(
        &self,
        submission: &SubmissionId,
    ) -> Result<Option<SanctionDecision>> {
        let mut conn = self.pool.acquire().await?;
        latest_in(&mut conn, submission).await
    }

    /// The proposal the engine makes for an evaluated dossier, from its stored
    /// score and the entity's AM revenue (`Conflict` when either is missing).
    pub async fn proposal_for(
        &self,
        submission: &Submission,
        referentiel_id: &str,
    ) -> Result<ComputedProposal> {
        let score = submission.score.ok_or_else(|| {
            // An evaluated dossier without a score is the W5 finding: nothing to sanction.
            StoreError::from(if submission.state == SubmissionState::Evalue {
                DecisionConflict::NotEvaluable
            } else {
                DecisionConflict::NoScore
            })
        })?;
        let referentiel = self
            .referentiel(referentiel_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("référentiel {referentiel_id} inconnu")))?;
        let entity = &submission.entity;
        // The basis chosen by the ARS (see `am_data`); produits AM by default.
        let basis = if self.sanction_basis(&submission.id).await? == Basis::ListeEnSus {
            let amount = self
                .am_figures(entity)
                .await?
                .liste_en_sus
                .ok_or(DecisionConflict::ListeEnSusMissing)?;
            SanctionBasis::ListeEnSus(amount)
        } else {
            let revenue = self
                .am_revenue(entity)
                .await?
                .ok_or(DecisionConflict::RevenueMissing)?;
            SanctionBasis::ProduitsAm(revenue)
        };
        proposal_with(&referentiel, score, basis)
    }

    /// The Assurance Maladie gives its opinion on the proposal of an evaluated
    /// dossier (it may revise it until the decision is notified). Creates
    /// version 1 with the engine's proposal if no version exists yet.
    pub async fn record_opinion(
        &self,
        user: &User,
        region: &RegionCode,
        submission: &Submission,
        referentiel_id: &str,
        opinion: Opinion,
        comment: Option<&str>,
    ) -> Result<SanctionDecision> {
        require_role(
            user,
            Role::AssuranceMaladie,
            "Donner l'avis de l'Assurance Maladie",
        )?;
        let computed = self.proposal_for(submission, referentiel_id).await?;
        let comment = clean(comment);
        if opinion == Opinion::Defavorable && comment.is_none() {
            return Err(DecisionConflict::UnmotivatedUnfavourable.into());
        }
        let now = now_text();
        let mut w = self.audited_write().await?;
        let state = current_state(w.conn(), &submission.id).await?;
        let current = latest_in(w.conn(), &submission.id).await?;
        let before = current.as_ref().map(decision_json);
        let id = match &current {
            Some(d) => {
                ensure_open(d)?;
                d.id.clone()
            }
            None => {
                if state != SubmissionState::Evalue {
                    return Err(WorkflowError::WrongState {
                        action: "Donner l'avis de l'Assurance Maladie",
                        state: state.label(),
                    }
                    .into());
                }
                insert_version(w.conn(), &submission.id, 1, &computed, None, user, &now).await?
            }
        };
        let update = sqlx::query(
            "UPDATE sanction_decisions SET opinion = $1, opinion_comment = $2, opinion_by = $3, opinion_at = $4 \
             WHERE id = $5 AND notified_on IS NULL",
        )
        .bind(opinion.code().to_owned())
        .bind(comment)
        .bind(user.id.clone())
        .bind(now)
        .bind(id.clone());
        commit_guarded(
            w,
            update,
            (user, region, submission),
            "decision.avis_am",
            before,
            Some(Event::AvisAmDonne(Volet::Obligatoire)),
        )
        .await
    }

    /// The DG ARS sets the final amount (with a motivation when it differs from
    /// the proposal, never above the legal ceiling) on the current, not yet
    /// notified version, once the Assurance Maladie has given its opinion.
    pub async fn record_decision(
        &self,
        user: &User,
        region: &RegionCode,
        submission: &Submission,
        final_amount: Euros,
        motivation: Option<&str>,
    ) -> Result<SanctionDecision> {
        require_role(user, Role::Ars, "Décider de la sanction")?;
        let now = now_text();
        let mut w = self.audited_write().await?;
        let current = latest_in(w.conn(), &submission.id)
            .await?
            .ok_or(DecisionConflict::OpinionFirst)?;
        ensure_open(&current)?;
        if current.opinion.is_none() {
            return Err(DecisionConflict::OpinionFirst.into());
        }
        let decision = modulated(&current, final_amount, motivation)?;
        let update = sqlx::query(
            "UPDATE sanction_decisions SET final_amount = $1, motivation = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND notified_on IS NULL",
        )
        .bind(decision.final_amount().amount().to_string())
        .bind(decision.motivation().map(str::to_owned))
        .bind(user.id.clone())
        .bind(now)
        .bind(current.id.clone());
        commit_guarded(
            w,
            update,
            (user, region, submission),
            "decision.decider",
            Some(decision_json(&current)),
            None,
        )
        .await
    }

    /// The ARS notifies the current decided version on `notified_on`. For
    /// version 1 the dossier moves évalué → notifié in the same transaction
    /// (transition recorded); a corrected version is notified without changing
    /// the dossier's state.
    pub async fn notify_decision(
        &self,
        user: &User,
        region: &RegionCode,
        submission: &Submission,
        notified_on: Date,
    ) -> Result<SanctionDecision> {
        require_role(user, Role::Ars, "Notifier la décision")?;
        let now = now_text();
        let mut w = self.audited_write().await?;
        let current = latest_in(w.conn(), &submission.id)
            .await?
            .ok_or(DecisionConflict::NothingToNotify)?;
        ensure_open(&current)?;
        if current.final_amount.is_none() {
            return Err(DecisionConflict::UndecidedBeforeNotification.into());
        }
        let state = current_state(w.conn(), &submission.id).await?;
        if current.version == 1 {
            let to = next_state(state, Action::Notifier, user.role, None)?;
            move_submission(w.conn(), user, region, &submission.id, state, to, &now).await?;
        } else if !matches!(state, SubmissionState::Notifie | SubmissionState::Conteste) {
            return Err(WorkflowError::WrongState {
                action: "Notifier la décision corrigée",
                state: state.label(),
            }
            .into());
        }
        // The chain head at notification: the line written next is this notification's.
        let head = chain_head(w.conn()).await?;
        let update = sqlx::query(
            "UPDATE sanction_decisions SET notified_on = $1, notified_by = $2, notified_chain_head = $3 \
             WHERE id = $4 AND notified_on IS NULL",
        )
        .bind(notified_on.to_string())
        .bind(user.id.clone())
        .bind(head.hash)
        .bind(current.id.clone());
        commit_guarded(
            w,
            update,
            (user, region, submission),
            "decision.notifier",
            Some(decision_json(&current)),
            Some(Event::DecisionNotifiee(Volet::Obligatoire)),
        )
        .await
    }

    /// Corrects a notified decision: creates version n+1 with the same proposal
    /// and opinion, the new final amount and motivation, and the mandatory
    /// reason of the correction. The new version must then be notified.
    pub async fn correct_decision(
        &self,
        user: &User,
        region: &RegionCode,
        submission: &Submission,
        final_amount: Euros,
        motivation: Option<&str>,
        reason: &str,
    ) -> Result<SanctionDecision> {
        require_role(user, Role::Ars, "Corriger la décision")?;
        let reason = clean(Some(reason)).ok_or(DecisionConflict::CorrectionWithoutReason)?;
        let now = now_text();
        let mut w = self.audited_write().await?;
        let current = latest_in(w.conn(), &submission.id)
            .await?
            .ok_or(DecisionConflict::NothingToCorrect)?;
        if !current.is_frozen() {
            return Err(DecisionConflict::NotNotified.into());
        }
        let decision = modulated(&current, final_amount, motivation)?;
        let computed = ComputedProposal {
            score: current.score,
            basis_amount: current.basis_amount,
            rate_of_ceiling: current.rate_of_ceiling,
            proposal: current.proposal()?,
        };
        let id = insert_version(
            w.conn(),
            &submission.id,
            current.version + 1,
            &computed,
            Some(&reason),
            user,
            &now,
        )
        .await?;
        // The new version keeps the opinion given on the same figures.
        let carry_over = sqlx::query(
            "UPDATE sanction_decisions SET opinion = $1, opinion_comment = $2, \
             opinion_by = (SELECT opinion_by FROM sanction_decisions WHERE id = $3), opinion_at = $4, \
             final_amount = $5, motivation = $6, decided_by = $7, decided_at = $8 WHERE id = $9",
        )
        .bind(current.opinion.map(|o| o.code().to_owned()))
        .bind(current.opinion_comment.clone())
        .bind(current.id.clone())
        .bind(current.opinion_at.clone())
        .bind(decision.final_amount().amount().to_string())
        .bind(decision.motivation().map(str::to_owned))
        .bind(user.id.clone())
        .bind(now)
        .bind(id);
        w.execute(carry_over).await?;
        let after = latest_in(w.conn(), &submission.id)
            .await?
            .ok_or(StoreError::NotFound("décision"))?;
        let line = AuditLine {
            region: Some(region),
            action: "decision.corriger",
            object_kind: "dossier",
            object_id: submission.id.as_str(),
            before: Some(decision_json(&current)),
            after: Some(decision_json(&after)),
        };
        w.commit(&Actor::user(user), line, None).await?;
        Ok(after)
    }

    /// Triggers refusing UPDATE and DELETE of a notified row of `table`
    /// (`sanction_decisions`, `volet_decisions`): the store checks first; this is
    /// the last line of defence. Idempotent.
    pub(crate) async fn freeze_notified_rows(&self, table: &'static str) -> Result<()> {
        const MESSAGE: &str = "décision notifiée : modification interdite";
        match self.backend {
            Backend::Sqlite => {
                for op in ["UPDATE", "DELETE"] {
                    let sql = format!(
                        "CREATE TRIGGER IF NOT EXISTS {table}_frozen_{op} BEFORE {op} ON {table} \
                         WHEN OLD.notified_on IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                    );
                    sqlx::raw_sql(&sql).execute(&self.pool).await?;
                }
            }
            Backend::Postgres => {
                // One function for every table (replacing it is idempotent).
                sqlx::raw_sql(&format!(
                    "CREATE OR REPLACE FUNCTION caqes_decision_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN IF OLD.notified_on IS NOT NULL THEN RAISE EXCEPTION '{MESSAGE}'; END IF; \
                     IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
                ))
                .execute(&self.pool)
                .await?;
                sqlx::raw_sql(&format!(
                    "CREATE OR REPLACE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION caqes_decision_frozen()",
                ))
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}

async fn insert_version(
    conn: &mut AnyConnection,
    submission: &SubmissionId,
    version: i64,
    computed: &ComputedProposal,
    reason: Option<&str>,
    user: &User,
    now: &str,
) -> Result<DecisionId> {
    let id = DecisionId::from(new_id());
    let basis_kind = match computed.proposal.basis() {
        Basis::ListeEnSus => "liste_en_sus",
        _ => "produits_am",
    };
    sqlx::query(
        "INSERT INTO sanction_decisions (id, submission, version, volet, basis_kind, basis_amount, score, \
         rate_of_ceiling, ceiling, proposed_amount, correction_reason, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id.clone())
    .bind(submission.to_owned())
    .bind(version)
    .bind("obligatoire".to_owned())
    .bind(basis_kind.to_owned())
    .bind(computed.basis_amount.amount().to_string())
    .bind(computed.score.to_string())
    .bind(computed.rate_of_ceiling.to_string())
    .bind(computed.proposal.ceiling().amount().to_string())
    .bind(computed.proposal.amount().amount().to_string())
    .bind(reason.map(str::to_owned))
    .bind(user.id.clone())
    .bind(now.to_owned())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Moves the dossier and records the transition, inside the caller's
/// transaction (same checks as `Store::apply_action`: the UPDATE re-checks the state).
async fn move_submission(
    conn: &mut AnyConnection,
    user: &User,
    region: &RegionCode,
    submission: &SubmissionId,
    from: SubmissionState,
    to: SubmissionState,
    now: &str,
) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE submissions SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to.code().to_owned())
    .bind(now.to_owned())
    .bind(submission.to_owned())
    .bind(from.code().to_owned())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StaleConflict::DossierChanged.into());
    }
    let seq: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM submission_transitions WHERE submission = $1")
            .bind(submission.to_owned())
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    sqlx::query(
        "INSERT INTO submission_transitions (id, submission, seq, from_state, to_state, actor, at, comment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
    )
    .bind(new_id())
    .bind(submission.to_owned())
    .bind(seq + 1)
    .bind(from.code().to_owned())
    .bind(to.code().to_owned())
    .bind(user.id.clone())
    .bind(now.to_owned())
    .execute(&mut *conn)
    .await?;
    let line = AuditLine {
        region: Some(region),
        action: "dossier.transition",
        object_kind: "dossier",
        object_id: submission.as_str(),
        before: Some(json!({ "etat": from.code() })),
        after: Some(json!({ "etat": to.code(), "action": Action::Notifier.code() })),
    };
    record(&mut *conn, &Actor::user(user), line).await?;
    Ok(())
}
