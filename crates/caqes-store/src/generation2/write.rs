//! Writes of the second generation, each one transaction with its audit line. Who may
//! act is checked here again (the pages only show the forms): the ARS of the
//! campaign's region decides (targeting, contract, revisions, report, intéressement);
//! the établissement answers its contract and enters its values.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use caqes_core::procedure::calendar_2022::refusal_procedure;
use caqes_core::regimes::ObjectivesGrid;
use caqes_core::regimes::contract::{ContractTerm, refusal_sanction};
use caqes_core::regimes::grid::ObjectiveKind;
use caqes_core::regimes::outcome::{Revision, YearValues};
use caqes_core::regimes::own_objective::check_own_objective;
use caqes_core::regimes::targeting::{confirm, targeting};
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::checks::{ensure_ars, ensure_own};
use super::read::unit_file_in;
use super::{ContractState2, HearingSubject, UnitFile, UnitKind, evaluate, targeting_code};
use crate::admin::audit::AuditLine;
use crate::admin::audited_write::{AuditedWrite, Notice, Statement};
use crate::conflict::{Generation2Conflict, StaleConflict, ValueRowProblem};
use crate::notify::About;
use crate::{Actor, Campaign, LegalEntity, Result, Role, Store, StoreError, User, now_text};
use caqes_core::notification::Event;

/// One row of an import of values (`caqes_data::objectives_input::read_value_rows`):
/// a unit's values of one indicator and year, and the file's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueImportRow {
    pub unit: Finess,
    pub indicator: String,
    pub year: i16,
    pub values: YearValues,
    pub line: u64,
}

/// One indicator of the ARS's targeting form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetingInput {
    pub indicator: String,
    pub measures: Vec<Option<Decimal>>,
    pub retained: bool,
    pub motive: Option<String>,
}

/// The page a notification about a unit opens: its section of the dossier.
pub(super) fn unit_link(campaign: &Campaign, entity: &LegalEntity, unit: Finess) -> String {
    format!(
        "/campagnes/{}/dossiers/{}#unite-{unit}",
        campaign.id, entity.finess
    )
}

/// A write on one contracting unit: an [`AuditedWrite`] holding the unit's file as read
/// in its transaction (`before`: the checks see what the write changes, no other write
/// in between), whose audit line names the unit and whose notification goes to the
/// entity's users with a link to the unit's section.
pub(super) struct UnitWrite<'a> {
    write: AuditedWrite,
    pub(super) before: UnitFile,
    user: &'a User,
    campaign: &'a Campaign,
    entity: &'a LegalEntity,
    unit: Finess,
}

impl UnitWrite<'_> {
    pub(super) async fn execute(&mut self, statement: Statement<'_>) -> Result<u64> {
        self.write.execute(statement).await
    }

    pub(super) async fn guarded(
        &mut self,
        statement: Statement<'_>,
        changed: StaleConflict,
    ) -> Result<()> {
        self.write.guarded(statement, changed).await
    }

    /// The audit line `action` on the unit, with what it was and what it is; `event`
    /// for the notification, if any; then commit.
    pub(super) async fn commit(
        self,
        action: &str,
        before: Option<Value>,
        after: Option<Value>,
        event: Option<Event>,
    ) -> Result<()> {
        let link = unit_link(self.campaign, self.entity, self.unit);
        let line = AuditLine {
            region: Some(&self.campaign.region),
            action,
            object_kind: "unite_contrat",
            object_id: self.unit.as_str(),
            before,
            after,
        };
        let notice = event.map(|event| Notice {
            event,
            about: About::Entity(self.entity.finess.as_str()),
            link: &link,
        });
        self.write
            .commit(&Actor::user(self.user), line, notice)
            .await
    }
}

fn objective_kind_code(kind: ObjectiveKind) -> &'static str {
    match kind {
        ObjectiveKind::Reduction => "reduction",
        ObjectiveKind::Target => "cible",
    }
}

fn text(d: Option<Decimal>) -> Option<String> {
    d.map(|d| d.normalize().to_string())
}

fn values_json(v: &YearValues) -> Value {
    json!({"montant": text(v.montant), "numerateur": text(v.numerateur), "denominateur": text(v.denominateur)})
}

impl Store {
    /// The unit must be one of the entity's contracting units in this campaign.
    pub(super) async fn g2_check_unit(
        &self,
        campaign: &Campaign,
        entity: &LegalEntity,
        unit: Finess,
    ) -> Result<()> {
        if entity.region != campaign.region {
            return Err(StoreError::NotFound("dossier"));
        }
        if self
            .g2_units(campaign, entity)
            .await?
            .iter()
            .any(|u| u.finess == unit)
        {
            Ok(())
        } else {
            Err(StoreError::NotFound("unité de contrat"))
        }
    }

    /// Checks that `unit` is one of the entity's contracting units ([`Store::g2_check_unit`]),
    /// then opens a write on it: what most writes begin with.
    pub(super) async fn g2_open_unit<'a>(
        &self,
        user: &'a User,
        campaign: &'a Campaign,
        entity: &'a LegalEntity,
        unit: Finess,
    ) -> Result<UnitWrite<'a>> {
        self.g2_check_unit(campaign, entity, unit).await?;
        self.g2_unit_write(user, campaign, entity, unit).await
    }

    /// Opens a write on `unit` (already checked with [`Store::g2_check_unit`]) and reads
    /// its file in the transaction.
    pub(super) async fn g2_unit_write<'a>(
        &self,
        user: &'a User,
        campaign: &'a Campaign,
        entity: &'a LegalEntity,
        unit: Finess,
    ) -> Result<UnitWrite<'a>> {
        let mut write = self.audited_write().await?;
        let before = unit_file_in(write.conn(), &campaign.id, unit).await?;
        Ok(UnitWrite {
            write,
            before,
            user,
            campaign,
            entity,
            unit,
        })
    }

    /// The region's choice of contracting unit, while no contract is proposed.
    pub async fn g2_set_unit_kind(
        &self,
        user: &User,
        campaign: &Campaign,
        kind: UnitKind,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Choisir l'unité de contrat")?;
        let before = self.g2_unit_kind(campaign).await?;
        let mut w = self.audited_write().await?;
        let n: i64 =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM g2_contracts WHERE campaign = $1")
                .bind(campaign.id.clone())
                .fetch_one(w.conn())
                .await?;
        if n > 0 {
            return Err(Generation2Conflict::UnitFrozen.into());
        }
        w.execute(
            sqlx::query("DELETE FROM g2_campaigns WHERE campaign = $1").bind(campaign.id.clone()),
        )
        .await?;
        w.execute(
            sqlx::query(
                "INSERT INTO g2_campaigns (campaign, unit, updated_by, updated_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(campaign.id.clone())
            .bind(kind.code().to_owned())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "g2.unite_contrat",
            object_kind: "campagne",
            object_id: campaign.id.as_str(),
            before: Some(json!({ "unite": before.code() })),
            after: Some(json!({ "unite": kind.code() })),
        };
        w.commit(&Actor::user(user), line, None).await
    }

    /// The ARS's targeting of a unit: the verdict is computed here from the measures
    /// (`regimes::targeting`), and a decision departing from it needs a motive
    /// (`targeting::confirm`). Frozen once a contract is proposed.
    pub async fn g2_confirm_targeting(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        decisions: &[TargetingInput],
    ) -> Result<()> {
        ensure_ars(user, campaign, "Confirmer le ciblage")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        if w.before.contract.is_some() {
            return Err(Generation2Conflict::TargetingFrozen.into());
        }
        let mut rows = Vec::with_capacity(decisions.len());
        for d in decisions {
            let ind = grid.indicator(&d.indicator).ok_or_else(|| {
                Generation2Conflict::UnknownIndicator {
                    indicator: d.indicator.clone(),
                }
            })?;
            let computed = targeting(ind, &d.measures).map_err(Generation2Conflict::Targeting)?;
            let decision = confirm(&ind.code, computed, d.retained, d.motive.as_deref())
                .map_err(Generation2Conflict::Targeting)?;
            if decision.retenu && !ind.actif {
                return Err(Generation2Conflict::Neutralised {
                    indicator: ind.code.to_string(),
                }
                .into());
            }
            rows.push((d, decision));
        }
        let now = now_text();
        w.execute(
            sqlx::query("DELETE FROM g2_targeting WHERE campaign = $1 AND unit = $2")
                .bind(campaign.id.clone())
                .bind(unit.as_str().to_owned()),
        )
        .await?;
        for (d, decision) in &rows {
            let measures = d
                .measures
                .iter()
                .map(|m| text(*m).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(";");
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_targeting (campaign, unit, entity, indicator, measures, computed, retained, \
                     motive, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(campaign.id.clone())
                .bind(unit.as_str().to_owned())
                .bind(entity.finess.as_str().to_owned())
                .bind(d.indicator.clone())
                .bind(measures)
                .bind(targeting_code(decision.calcule).to_owned())
                .bind(i64::from(decision.retenu))
                .bind(decision.motif.clone())
                .bind(user.id.clone())
                .bind(now.clone()),
            )
            .await?;
        }
        let describe = |ind: &str, computed: &str, retained: bool, motive: &Option<String>| json!({"indicateur": ind, "calcule": computed, "retenu": retained, "motif": motive});
        let before = Some(Value::Array(
            w.before
                .targeting
                .iter()
                .map(|t| {
                    describe(
                        &t.indicator,
                        targeting_code(t.computed),
                        t.retained,
                        &t.motive,
                    )
                })
                .collect(),
        ));
        let after = Some(Value::Array(
            rows.iter()
                .map(|(d, c)| describe(&d.indicator, targeting_code(c.calcule), c.retenu, &c.motif))
                .collect(),
        ));
        w.commit("g2.ciblage.confirmer", before, after, None).await
    }

    /// The ARS fixes the unit's own objective of a retained indicator (`value`: % of
    /// reduction a year, or the value to reach), or goes back to the grid's (`None`),
    /// as of `fixed_on`. Checked by `own_objective::check_own_objective`; frozen once
    /// the contract is proposed (the contract states the objectives) and, in any case,
    /// once the evaluation report is recorded.
    #[expect(clippy::too_many_arguments, reason = "who, where and what")]
    pub async fn g2_set_objective(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        indicator: &str,
        value: Option<Decimal>,
        fixed_on: Date,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Fixer l'objectif d'un établissement")?;
        self.g2_check_unit(campaign, entity, unit).await?;
        let ind =
            grid.indicator(indicator)
                .ok_or_else(|| Generation2Conflict::UnknownIndicator {
                    indicator: indicator.to_string(),
                })?;
        if let Some(v) = value {
            check_own_objective(ind, v).map_err(Generation2Conflict::OwnObjective)?;
        }
        let mut w = self.g2_unit_write(user, campaign, entity, unit).await?;
        if !w.before.is_retained(indicator) {
            return Err(Generation2Conflict::NotTargeted {
                indicator: indicator.to_string(),
            }
            .into());
        }
        if w.before.contract.is_some() {
            return Err(Generation2Conflict::ObjectivesFrozenByContract.into());
        }
        if w.before.evaluation.is_some() {
            return Err(Generation2Conflict::ObjectivesFrozenByReport.into());
        }
        let before = w.before.own_objective(indicator).cloned();
        if before.is_none() && value.is_none() {
            return Err(Generation2Conflict::GridObjective {
                indicator: indicator.to_string(),
            }
            .into());
        }
        w.execute(
            sqlx::query(
                "DELETE FROM g2_objectives WHERE campaign = $1 AND unit = $2 AND indicator = $3",
            )
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned())
            .bind(indicator.to_owned()),
        )
        .await?;
        if let Some(v) = value {
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_objectives (campaign, unit, entity, indicator, value, fixed_on, fixed_by, fixed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(campaign.id.clone())
                .bind(unit.as_str().to_owned())
                .bind(entity.finess.as_str().to_owned())
                .bind(indicator.to_owned())
                .bind(v.normalize().to_string())
                .bind(fixed_on.to_string())
                .bind(user.id.clone())
                .bind(now_text()),
            )
            .await?;
        }
        let grid_value = ind.objectif.valeur.normalize().to_string();
        let describe = |value: Option<Decimal>, on: Option<Date>| {
            json!({
                "indicateur": indicator,
                "type": objective_kind_code(ind.objectif.kind),
                "grille": grid_value,
                "objectif": value.map(|v| v.normalize().to_string()),
                "fixe_le": on.map(|d| d.to_string()),
            })
        };
        w.commit(
            "g2.objectif.fixer",
            Some(describe(
                before.as_ref().map(|o| o.value),
                before.as_ref().map(|o| o.fixed_on),
            )),
            Some(describe(value, value.map(|_| fixed_on))),
            Some(Event::ObjectifFixeG2),
        )
        .await
    }

    /// The établissement asks to be heard by the DG ARS on `subject`, on `today`: on the
    /// second proposal of its contract until the last day to sign it (D162-15), or on
    /// the evaluation report until the end of its month of observations (D162-16 III).
    /// Once.
    #[expect(clippy::too_many_arguments, reason = "who, where and what")]
    pub async fn g2_request_hearing(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        subject: HearingSubject,
        today: Date,
    ) -> Result<()> {
        ensure_own(user, entity, "Demander une audition")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let (table, window_end) = match subject {
            HearingSubject::Contrat => {
                let c = w
                    .before
                    .contract
                    .as_ref()
                    .ok_or(Generation2Conflict::NoContract)?;
                if c.state == ContractState2::Signe {
                    return Err(Generation2Conflict::ContractSigned.into());
                }
                if c.sanction.is_some() {
                    return Err(Generation2Conflict::RefusalSanctionDecided.into());
                }
                if c.hearing.requested_on.is_some() {
                    return Err(Generation2Conflict::ContractHearingRequested.into());
                }
                let end = c
                    .procedure(grid)
                    .and_then(|p| p.fin_second_delai)
                    .ok_or(Generation2Conflict::HearingBeforeSecondProposal)?;
                ("g2_contracts", end)
            }
            HearingSubject::Evaluation => {
                let e = w
                    .before
                    .evaluation
                    .as_ref()
                    .ok_or(Generation2Conflict::ReportNotReceived)?;
                if e.notified() {
                    return Err(Generation2Conflict::IncentiveNotified.into());
                }
                if e.hearing.requested_on.is_some() {
                    return Err(Generation2Conflict::ReportHearingRequested.into());
                }
                let end = e
                    .sequence()
                    .map_err(Generation2Conflict::Calendar)?
                    .fin_observations;
                ("g2_evaluations", end)
            }
        };
        if today > window_end {
            return Err(Generation2Conflict::HearingWindowClosed { end: window_end }.into());
        }
        w.guarded(
            sqlx::query(&format!(
                "UPDATE {table} SET hearing_requested_on = $1, updated_at = $2 \
                 WHERE campaign = $3 AND unit = $4 AND hearing_requested_on IS NULL"
            ))
            .bind(today.to_string())
            .bind(now_text())
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned()),
            StaleConflict::HearingRequested,
        )
        .await?;
        w.commit(
            "g2.audition.demander",
            None,
            Some(json!({ "objet": subject.code(), "demandee_le": today.to_string() })),
            Some(Event::AuditionDemandeeG2),
        )
        .await
    }

    /// The ARS fixes the day of the hearing asked for on `subject` (not before the
    /// request); the deadline moves as `calendar_2022` says. Again until the sanction or
    /// the notification.
    pub async fn g2_fix_hearing(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &LegalEntity,
        unit: Finess,
        subject: HearingSubject,
        held_on: Date,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Fixer la date de l'audition")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let (table, hearing) = match subject {
            HearingSubject::Contrat => {
                let c = w
                    .before
                    .contract
                    .as_ref()
                    .ok_or(Generation2Conflict::NoContract)?;
                if c.sanction.is_some() {
                    return Err(Generation2Conflict::RefusalSanctionDecided.into());
                }
                ("g2_contracts", c.hearing)
            }
            HearingSubject::Evaluation => {
                let e = w
                    .before
                    .evaluation
                    .as_ref()
                    .ok_or(Generation2Conflict::ReportNotReceived)?;
                if e.notified() {
                    return Err(Generation2Conflict::IncentiveNotified.into());
                }
                ("g2_evaluations", e.hearing)
            }
        };
        let requested = hearing
            .requested_on
            .ok_or(Generation2Conflict::NoHearingRequested)?;
        if held_on < requested {
            return Err(Generation2Conflict::HearingBeforeRequest { requested }.into());
        }
        w.guarded(
            sqlx::query(&format!(
                "UPDATE {table} SET hearing_on = $1, updated_at = $2 \
                 WHERE campaign = $3 AND unit = $4 AND hearing_requested_on IS NOT NULL"
            ))
            .bind(held_on.to_string())
            .bind(now_text())
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned()),
            StaleConflict::HearingRequestChanged,
        )
        .await?;
        w.commit(
            "g2.audition.fixer",
            Some(json!({ "objet": subject.code(), "audition_le": hearing.held_on.map(|d| d.to_string()) })),
            Some(json!({
                "objet": subject.code(),
                "demandee_le": requested.to_string(),
                "audition_le": held_on.to_string(),
            })),
            Some(Event::AuditionFixeeG2),
        )
        .await
    }

    /// The ARS proposes the contract of a unit: at least one indicator retained, a
    /// term of ≤ 5 years ending no later than 31 December 2026 (`ContractTerm::new`).
    #[expect(
        clippy::too_many_arguments,
        reason = "the contract's facts, all required"
    )]
    pub async fn g2_propose_contract(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        start: Date,
        end: Date,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Proposer le contrat")?;
        self.g2_check_unit(campaign, entity, unit).await?;
        let params = grid
            .contract
            .as_ref()
            .ok_or(Generation2Conflict::NoContractInRegime {
                regime: grid.regime,
            })?;
        let term = ContractTerm::new(params, start, end).map_err(Generation2Conflict::Contract)?;
        let mut w = self.g2_unit_write(user, campaign, entity, unit).await?;
        if w.before.retained().next().is_none() {
            return Err(Generation2Conflict::NothingRetained.into());
        }
        if w.before.contract.is_some() {
            return Err(Generation2Conflict::ContractExists.into());
        }
        w.execute(
            sqlx::query(
                "INSERT INTO g2_contracts (campaign, unit, entity, start_on, end_on, state, received_on, \
                 proposed_by, updated_at) VALUES ($1, $2, $3, $4, $5, 'propose', $6, $7, $8)",
            )
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned())
            .bind(entity.finess.as_str().to_owned())
            .bind(term.debut.to_string())
            .bind(term.fin.to_string())
            .bind(received_on.to_string())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        let after = json!({
            "campagne": campaign.id, "debut": term.debut.to_string(), "fin": term.fin.to_string(),
            "reception": received_on.to_string(),
            "indicateurs": w.before.retained().collect::<Vec<_>>(),
        });
        w.commit(
            "g2.contrat.proposer",
            None,
            Some(after),
            Some(Event::ContratProposeG2),
        )
        .await
    }

    /// The second proposal after a refusal or silence (D162-15): its receipt opens the
    /// 15 days.
    pub async fn g2_second_proposal(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Adresser la seconde proposition")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let contract = w
            .before
            .contract
            .clone()
            .ok_or(Generation2Conflict::NoContract)?;
        if contract.second_received_on.is_some() || contract.state == ContractState2::Signe {
            return Err(Generation2Conflict::SecondProposalImpossible.into());
        }
        if contract.sanction.is_some() {
            return Err(Generation2Conflict::RefusalSanctionDecided.into());
        }
        let params = grid
            .contract
            .as_ref()
            .ok_or(Generation2Conflict::NoContractTerms)?;
        refusal_procedure(params, contract.received_on, Some(received_on), None)
            .map_err(Generation2Conflict::Calendar)?;
        // A refusal of the first proposal is answered by the second: it is open again.
        w.execute(
            sqlx::query(
                "UPDATE g2_contracts SET second_received_on = $1, state = 'propose', decided_on = NULL, \
                 updated_at = $2 WHERE campaign = $3 AND unit = $4",
            )
            .bind(received_on.to_string())
            .bind(now_text())
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned()),
        )
        .await?;
        w.commit(
            "g2.contrat.seconde_proposition",
            Some(json!({ "etat": contract.state.code() })),
            Some(
                json!({ "etat": "propose", "reception_seconde_proposition": received_on.to_string() }),
            ),
            Some(Event::SecondePropositionG2),
        )
        .await
    }

    /// The établissement signs or refuses the proposal it received. After the second
    /// period a contract not signed is « réputé refusé »: signing is then refused.
    #[expect(
        clippy::too_many_arguments,
        reason = "the answer's facts, all required"
    )]
    pub async fn g2_answer_contract(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        sign: bool,
        on: Date,
    ) -> Result<()> {
        ensure_own(
            user,
            entity,
            if sign {
                "Signer le contrat"
            } else {
                "Refuser le contrat"
            },
        )?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let contract = w
            .before
            .contract
            .clone()
            .ok_or(Generation2Conflict::NoContract)?;
        if contract.state != ContractState2::Propose {
            return Err(Generation2Conflict::ContractAnswered {
                state: contract.state.label(),
            }
            .into());
        }
        if on < contract.received_on {
            return Err(Generation2Conflict::AnswerBeforeReception.into());
        }
        if sign
            && let Some(p) = contract.procedure(grid)
            && let Some(end) = p.fin_second_delai
            && on > end
        {
            return Err(Generation2Conflict::SecondProposalExpired { end }.into());
        }
        let state = if sign {
            ContractState2::Signe
        } else {
            ContractState2::Refuse
        };
        w.execute(
            sqlx::query(
                "UPDATE g2_contracts SET state = $1, decided_on = $2, updated_at = $3 \
                 WHERE campaign = $4 AND unit = $5",
            )
            .bind(state.code().to_owned())
            .bind(on.to_string())
            .bind(now_text())
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned()),
        )
        .await?;
        let (action, event) = if sign {
            ("g2.contrat.signer", Event::ContratSigne)
        } else {
            ("g2.contrat.refuser", Event::ContratRefuse)
        };
        w.commit(
            action,
            Some(json!({ "etat": "propose" })),
            Some(json!({ "etat": state.code(), "le": on.to_string() })),
            Some(event),
        )
        .await
    }

    /// The DG ARS's 1 % sanction for refusing to sign (L162-30-2): only once the second
    /// period is over (`sanction_a_partir_du`), the contract refused or réputé refusé; at
    /// most `sanction_refus_pct` % of the AM income; a lower amount is motivated.
    #[expect(
        clippy::too_many_arguments,
        reason = "the decision's facts, all required"
    )]
    pub async fn g2_decide_refusal_sanction(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        amount: Euros,
        motive: Option<&str>,
        on: Date,
    ) -> Result<Euros> {
        ensure_ars(user, campaign, "Décider la sanction du refus")?;
        self.g2_check_unit(campaign, entity, unit).await?;
        let params = grid
            .contract
            .as_ref()
            .ok_or(Generation2Conflict::NoContractTerms)?;
        let mut w = self.g2_unit_write(user, campaign, entity, unit).await?;
        let contract = w
            .before
            .contract
            .clone()
            .ok_or(Generation2Conflict::NoContract)?;
        if contract.state == ContractState2::Signe {
            return Err(Generation2Conflict::SignedNoSanction.into());
        }
        if contract.sanction.is_some() {
            return Err(Generation2Conflict::RefusalSanctionDecided.into());
        }
        if contract.hearing.awaiting_date() {
            return Err(Generation2Conflict::SanctionAwaitsHearing.into());
        }
        let from = contract
            .procedure(grid)
            .and_then(|p| p.sanction_a_partir_du)
            .ok_or(Generation2Conflict::SanctionBeforeSecondProposal)?;
        if on < from {
            return Err(Generation2Conflict::SanctionTooEarly { from }.into());
        }
        let income = self
            .am_figures(&entity.finess)
            .await?
            .am_revenue
            .ok_or(Generation2Conflict::AmRevenueMissing)?;
        let ceiling = refusal_sanction(params, income).map_err(Generation2Conflict::Contract)?;
        if amount.0 < Decimal::ZERO || amount > ceiling {
            return Err(Generation2Conflict::AmountOutsideBounds {
                amount,
                ceiling,
                percent: params.sanction_refus_pct.valeur,
            }
            .into());
        }
        let motive = motive.map(str::trim).filter(|m| !m.is_empty());
        if amount < ceiling && motive.is_none() {
            return Err(Generation2Conflict::UnmotivatedBelowCeiling.into());
        }
        w.execute(
            sqlx::query(
                "UPDATE g2_contracts SET state = 'refuse', decided_on = COALESCE(decided_on, $1), \
                 sanction_amount = $2, sanction_motive = $3, sanction_decided_on = $4, updated_at = $5 \
                 WHERE campaign = $6 AND unit = $7",
            )
            .bind(on.to_string())
            .bind(amount.0.to_string())
            .bind(motive.map(str::to_owned))
            .bind(on.to_string())
            .bind(now_text())
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned()),
        )
        .await?;
        w.commit(
            "g2.sanction_refus.decider",
            Some(json!({ "etat": contract.state.code() })),
            Some(json!({
                "etat": "refuse", "montant": amount.0.to_string(), "plafond": ceiling.0.to_string(),
                "motif": motive, "le": on.to_string(),
            })),
            Some(Event::SanctionRefusNotifiee),
        )
        .await?;
        Ok(ceiling)
    }

    /// Values of N and N−1 for the retained indicators of a signed contract, by the
    /// établissement or the ARS, until the intéressement is notified. An empty row
    /// deletes the stored one. The engine must accept the result (no negative value,
    /// no rate above 100 %).
    pub async fn g2_save_values(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        rows: &[(String, i16, YearValues)],
    ) -> Result<()> {
        match user.role {
            Role::Ars => ensure_ars(user, campaign, "Saisir les valeurs")?,
            _ => ensure_own(user, entity, "Saisir les valeurs")?,
        }
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let before = w.before.clone();
        if !before.engaged(grid) {
            return Err(Generation2Conflict::NotSignedNoValues.into());
        }
        if before.evaluation.as_ref().is_some_and(|e| e.notified()) {
            return Err(Generation2Conflict::ValuesFrozen.into());
        }
        let mut after: UnitFile = before.clone();
        for (code, year, v) in rows {
            if !before.is_retained(code) {
                return Err(Generation2Conflict::NotInContract {
                    indicator: code.to_string(),
                }
                .into());
            }
            if *year != campaign.year && *year != campaign.year - 1 {
                return Err(Generation2Conflict::YearOutside {
                    indicator: code.to_string(),
                    year: *year,
                    current: campaign.year,
                }
                .into());
            }
            after.values.retain(|(c, y, _)| !(c == code && y == year));
            if *v != YearValues::default() {
                after.values.push((code.clone(), *year, *v));
            }
        }
        evaluate(grid, campaign.year, &after).map_err(Generation2Conflict::Outcome)?;
        let now = now_text();
        for (code, year, v) in rows {
            w.execute(
                sqlx::query(
                    "DELETE FROM g2_values WHERE campaign = $1 AND unit = $2 AND indicator = $3 AND year = $4",
                )
                .bind(campaign.id.clone())
                .bind(unit.as_str().to_owned())
                .bind(code.clone())
                .bind(i64::from(*year)),
            )
            .await?;
            if *v == YearValues::default() {
                continue;
            }
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_values (campaign, unit, entity, indicator, year, montant, numerateur, \
                     denominateur, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(campaign.id.clone())
                .bind(unit.as_str().to_owned())
                .bind(entity.finess.as_str().to_owned())
                .bind(code.clone())
                .bind(i64::from(*year))
                .bind(text(v.montant))
                .bind(text(v.numerateur))
                .bind(text(v.denominateur))
                .bind(user.id.clone())
                .bind(now.clone()),
            )
            .await?;
        }
        let snapshot = |f: &UnitFile| {
            Value::Array(
                f.values
                    .iter()
                    .filter(|(c, y, _)| rows.iter().any(|(rc, ry, _)| rc == c && ry == y))
                    .map(
                        |(c, y, v)| json!({"indicateur": c, "annee": y, "valeurs": values_json(v)}),
                    )
                    .collect(),
            )
        };
        w.commit(
            "g2.valeurs.saisir",
            Some(snapshot(&before)),
            Some(snapshot(&after)),
            None,
        )
        .await
    }

    /// The ARS imports values of N and N−1 for the campaign's units (`file` names the
    /// file in the errors): every row is checked as `g2_save_values` checks a form —
    /// a contracting unit of the campaign, engaged and not notified, an indicator
    /// retained, year N or N−1, the engine accepting each unit's values — before
    /// anything is written; then all rows in one transaction with one audit line.
    /// Returns the rows written.
    pub async fn g2_import_values(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        file: &str,
        rows: &[ValueImportRow],
    ) -> Result<usize> {
        ensure_ars(user, campaign, "Importer les valeurs")?;
        let mut owners: HashMap<Finess, LegalEntity> = HashMap::new();
        for entity in self.legal_entities_in_region(&campaign.region).await? {
            for u in self.g2_units(campaign, &entity).await? {
                owners.insert(u.finess, entity.clone());
            }
        }
        let at = |line: u64, problem: ValueRowProblem| {
            StoreError::from(Generation2Conflict::ValueImport {
                file: file.to_string(),
                line,
                problem,
            })
        };
        let mut w = self.audited_write().await?;
        let mut files: BTreeMap<Finess, UnitFile> = BTreeMap::new();
        for r in rows {
            if !owners.contains_key(&r.unit) {
                return Err(at(
                    r.line,
                    ValueRowProblem::NotAUnit {
                        unit: r.unit.to_string(),
                    },
                ));
            }
            let after = match files.entry(r.unit) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(v) => {
                    let f = unit_file_in(w.conn(), &campaign.id, r.unit).await?;
                    if !f.engaged(grid) {
                        return Err(at(
                            r.line,
                            ValueRowProblem::NotSigned {
                                unit: r.unit.to_string(),
                            },
                        ));
                    }
                    if f.evaluation.as_ref().is_some_and(|e| e.notified()) {
                        return Err(at(
                            r.line,
                            ValueRowProblem::Notified {
                                unit: r.unit.to_string(),
                            },
                        ));
                    }
                    v.insert(f)
                }
            };
            if !after.is_retained(&r.indicator) {
                return Err(at(
                    r.line,
                    ValueRowProblem::NotRetained {
                        indicator: r.indicator.clone(),
                        unit: r.unit.to_string(),
                    },
                ));
            }
            if r.year != campaign.year && r.year != campaign.year - 1 {
                return Err(at(
                    r.line,
                    ValueRowProblem::YearOutside {
                        year: r.year,
                        current: campaign.year,
                    },
                ));
            }
            after
                .values
                .retain(|(c, y, _)| !(*c == r.indicator && *y == r.year));
            after.values.push((r.indicator.clone(), r.year, r.values));
        }
        for (unit, after) in &files {
            evaluate(grid, campaign.year, after).map_err(|source| {
                Generation2Conflict::ImportOutcome {
                    file: file.to_string(),
                    unit: unit.to_string(),
                    source,
                }
            })?;
        }
        let now = now_text();
        for r in rows {
            let entity = owners
                .get(&r.unit)
                .ok_or(StoreError::NotFound("unité de contrat"))?;
            w.execute(
                sqlx::query(
                    "DELETE FROM g2_values WHERE campaign = $1 AND unit = $2 AND indicator = $3 AND year = $4",
                )
                .bind(campaign.id.clone())
                .bind(r.unit.as_str().to_owned())
                .bind(r.indicator.clone())
                .bind(i64::from(r.year)),
            )
            .await?;
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_values (campaign, unit, entity, indicator, year, montant, numerateur, \
                     denominateur, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(campaign.id.clone())
                .bind(r.unit.as_str().to_owned())
                .bind(entity.finess.as_str().to_owned())
                .bind(r.indicator.clone())
                .bind(i64::from(r.year))
                .bind(text(r.values.montant))
                .bind(text(r.values.numerateur))
                .bind(text(r.values.denominateur))
                .bind(user.id.clone())
                .bind(now.clone()),
            )
            .await?;
        }
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "g2.valeurs.importer",
            object_kind: "campagne",
            object_id: campaign.id.as_str(),
            before: None,
            after: Some(json!({
                "fichier": file,
                "lignes": rows.len(),
                "unites": files.keys().map(Finess::as_str).collect::<Vec<_>>(),
            })),
        };
        w.commit(&Actor::user(user), line, None).await?;
        Ok(rows.len())
    }

    /// The DG ARS's motivated downward revision of one line (D162-16 V 2°), checked by
    /// the engine (`outcome::revise`: ≥ 0, ≤ the computed amount, a motive); `None`
    /// withdraws it. Refused once the intéressement is decided.
    #[expect(clippy::too_many_arguments, reason = "who, where and what")]
    pub async fn g2_revise(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        indicator: &str,
        revision: Option<Revision>,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Réviser l'intéressement")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let before = w.before.clone();
        if before
            .evaluation
            .as_ref()
            .is_some_and(|e| e.decided_amount.is_some())
        {
            return Err(Generation2Conflict::RevisionAfterIncentive.into());
        }
        let mut after = before.clone();
        after.revisions.retain(|(c, _)| c != indicator);
        if let Some(r) = &revision {
            after.revisions.push((indicator.to_owned(), r.clone()));
        }
        let outcome =
            evaluate(grid, campaign.year, &after).map_err(Generation2Conflict::Outcome)?;
        if !outcome.lignes.iter().any(|l| l.code == indicator) {
            return Err(Generation2Conflict::NoLineToRevise {
                indicator: indicator.to_string(),
            }
            .into());
        }
        w.execute(
            sqlx::query(
                "DELETE FROM g2_revisions WHERE campaign = $1 AND unit = $2 AND indicator = $3",
            )
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned())
            .bind(indicator.to_owned()),
        )
        .await?;
        if let Some(r) = &revision {
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_revisions (campaign, unit, indicator, amount, motive, decided_by, decided_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(campaign.id.clone())
                .bind(unit.as_str().to_owned())
                .bind(indicator.to_owned())
                .bind(r.amount.0.to_string())
                .bind(r.motive.trim().to_owned())
                .bind(user.id.clone())
                .bind(now_text()),
            )
            .await?;
        }
        let describe = |f: &UnitFile| {
            f.revisions
                .iter()
                .find(|(c, _)| c == indicator)
                .map(|(_, r)| json!({"montant_revise": r.amount.0.to_string(), "motif": r.motive}))
        };
        w.commit(
            "g2.interessement.reviser",
            Some(json!({ "indicateur": indicator, "revision": describe(&before) })),
            Some(json!({ "indicateur": indicator, "revision": describe(&after) })),
            None,
        )
        .await
    }

    /// The evaluation report's receipt by the établissement: day 0 of the sequence.
    pub async fn g2_record_report(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Enregistrer la réception du rapport")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let before = w.before.clone();
        if !before.engaged(grid) {
            return Err(Generation2Conflict::NotSignedNoEvaluation.into());
        }
        if before
            .evaluation
            .as_ref()
            .is_some_and(|e| e.decided_amount.is_some())
        {
            return Err(Generation2Conflict::IncentiveDecided.into());
        }
        w.execute(
            sqlx::query("DELETE FROM g2_evaluations WHERE campaign = $1 AND unit = $2")
                .bind(campaign.id.clone())
                .bind(unit.as_str().to_owned()),
        )
        .await?;
        w.execute(
            sqlx::query(
                "INSERT INTO g2_evaluations (campaign, unit, entity, report_received_on, updated_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned())
            .bind(entity.finess.as_str().to_owned())
            .bind(received_on.to_string())
            .bind(now_text()),
        )
        .await?;
        w.commit(
            "g2.rapport.reception",
            before
                .evaluation
                .map(|e| json!({ "reception_rapport": e.report_received_on.to_string() })),
            Some(json!({ "reception_rapport": received_on.to_string() })),
            Some(Event::RapportEvaluationG2),
        )
        .await
    }

    /// The DG ARS decides the intéressement: the engine's total, revisions included,
    /// recorded as the amount to notify. Returns it.
    pub async fn g2_decide_incentive(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        entity: &LegalEntity,
        unit: Finess,
    ) -> Result<Euros> {
        ensure_ars(user, campaign, "Décider l'intéressement")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let evaluation = w
            .before
            .evaluation
            .clone()
            .ok_or(Generation2Conflict::ReportReceiptMissing)?;
        if evaluation.decided_amount.is_some() {
            return Err(Generation2Conflict::IncentiveDecided.into());
        }
        let outcome =
            evaluate(grid, campaign.year, &w.before).map_err(Generation2Conflict::Outcome)?;
        w.execute(
            sqlx::query(
                "UPDATE g2_evaluations SET decided_amount = $1, decided_by = $2, decided_at = $3, \
                 updated_at = $3 WHERE campaign = $4 AND unit = $5",
            )
            .bind(outcome.total.0.to_string())
            .bind(user.id.clone())
            .bind(now_text())
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned()),
        )
        .await?;
        let after = json!({
            "annee": campaign.year,
            "national": outcome.national.0.to_string(),
            "regional": outcome.regional.0.to_string(),
            "total": outcome.total.0.to_string(),
            "lignes": outcome.lignes.iter().map(|l| json!({
                "indicateur": l.code, "calcule": l.interessement_calcule.0.to_string(),
                "retenu": l.interessement.0.to_string(),
            })).collect::<Vec<_>>(),
        });
        w.commit("g2.interessement.decider", None, Some(after), None)
            .await?;
        Ok(outcome.total)
    }

    /// The notification of the decided intéressement, with its receipt date: not before
    /// the end of the month of observations (`calendar_2022::evaluation_sequence`).
    pub async fn g2_notify_incentive(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &LegalEntity,
        unit: Finess,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Notifier l'intéressement")?;
        let mut w = self.g2_open_unit(user, campaign, entity, unit).await?;
        let mut evaluation = w
            .before
            .evaluation
            .clone()
            .ok_or(Generation2Conflict::NoEvaluation)?;
        let Some(amount) = evaluation.decided_amount else {
            return Err(Generation2Conflict::IncentiveUndecided.into());
        };
        if evaluation.notified() {
            return Err(Generation2Conflict::IncentiveNotified.into());
        }
        if evaluation.hearing.awaiting_date() {
            return Err(Generation2Conflict::NotificationAwaitsHearing.into());
        }
        evaluation.notification_received_on = Some(received_on);
        let sequence = evaluation
            .sequence()
            .map_err(Generation2Conflict::Calendar)?;
        w.execute(
            sqlx::query(
                "UPDATE g2_evaluations SET notification_received_on = $1, updated_at = $2 \
                 WHERE campaign = $3 AND unit = $4",
            )
            .bind(received_on.to_string())
            .bind(now_text())
            .bind(campaign.id.clone())
            .bind(unit.as_str().to_owned()),
        )
        .await?;
        w.commit(
            "g2.interessement.notifier",
            None,
            Some(json!({
                "montant": amount.0.to_string(), "reception": received_on.to_string(),
                "hors_delai": sequence.notification_hors_delai,
                "decision_finale_a_partir_du": sequence.decision_finale_a_partir_du.map(|d| d.to_string()),
            })),
            Some(Event::InteressementNotifie),
        )
        .await
    }
}
