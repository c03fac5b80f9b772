//! The contract of a unit: proposed by the ARS, the second proposal, the établissement's
//! answer, and the sanction for refusing to sign (L162-30-2, D162-15).

use caqes_core::Euros;
use caqes_core::notification::Event;
use caqes_core::procedure::calendar_2022::refusal_procedure;
use caqes_core::regimes::contract::{ContractTerm, refusal_sanction};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;

use crate::conflict::{Contract2Conflict, Generation2Conflict};
use crate::generation2::checks::{ensure_ars, ensure_own};
use crate::generation2::{ContractState2, UnitRef};
use crate::{Result, Store, User, now_text};

impl Store {
    /// The ARS proposes the contract of a unit: at least one indicator retained, a
    /// term of ≤ 5 years ending no later than 31 December 2026 (`ContractTerm::new`).
    pub async fn g2_propose_contract(
        &self,
        user: &User,
        at: UnitRef<'_>,
        start: Date,
        end: Date,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Proposer le contrat")?;
        self.g2_check_unit(at).await?;
        let params = at
            .grid
            .contract
            .as_ref()
            .ok_or(Contract2Conflict::NoContractInRegime {
                regime: at.grid.regime,
            })?;
        let term = ContractTerm::new(params, start, end).map_err(Contract2Conflict::Terms)?;
        let mut w = self.g2_unit_write(user, at).await?;
        if w.before.retained().next().is_none() {
            return Err(Contract2Conflict::NothingRetained.into());
        }
        if w.before.contract.is_some() {
            return Err(Contract2Conflict::ContractExists.into());
        }
        w.execute(
            sqlx::query(
                "INSERT INTO g2_contracts (campaign, unit, entity, start_on, end_on, state, received_on, \
                 proposed_by, updated_at) VALUES ($1, $2, $3, $4, $5, 'propose', $6, $7, $8)",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(at.entity.finess.as_str().to_owned())
            .bind(term.debut.to_string())
            .bind(term.fin.to_string())
            .bind(received_on.to_string())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        let after = json!({
            "campagne": at.campaign.id, "debut": term.debut.to_string(), "fin": term.fin.to_string(),
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
        at: UnitRef<'_>,
        received_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Adresser la seconde proposition")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let contract = w
            .before
            .contract
            .clone()
            .ok_or(Contract2Conflict::NoContract)?;
        if contract.second_received_on.is_some() || contract.state == ContractState2::Signe {
            return Err(Contract2Conflict::SecondProposalImpossible.into());
        }
        if contract.sanction.is_some() {
            return Err(Contract2Conflict::RefusalSanctionDecided.into());
        }
        let params = at
            .grid
            .contract
            .as_ref()
            .ok_or(Contract2Conflict::NoContractTerms)?;
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
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
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
    pub async fn g2_answer_contract(
        &self,
        user: &User,
        at: UnitRef<'_>,
        sign: bool,
        on: Date,
    ) -> Result<()> {
        ensure_own(
            user,
            at.entity,
            if sign {
                "Signer le contrat"
            } else {
                "Refuser le contrat"
            },
        )?;
        let mut w = self.g2_open_unit(user, at).await?;
        let contract = w
            .before
            .contract
            .clone()
            .ok_or(Contract2Conflict::NoContract)?;
        if contract.state != ContractState2::Propose {
            return Err(Contract2Conflict::ContractAnswered {
                state: contract.state.label(),
            }
            .into());
        }
        if on < contract.received_on {
            return Err(Contract2Conflict::AnswerBeforeReception.into());
        }
        if sign
            && let Some(p) = contract.procedure(at.grid)
            && let Some(end) = p.fin_second_delai
            && on > end
        {
            return Err(Contract2Conflict::SecondProposalExpired { end }.into());
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
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
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
    pub async fn g2_decide_refusal_sanction(
        &self,
        user: &User,
        at: UnitRef<'_>,
        amount: Euros,
        motive: Option<&str>,
        on: Date,
    ) -> Result<Euros> {
        ensure_ars(user, at.campaign, "Décider la sanction du refus")?;
        self.g2_check_unit(at).await?;
        let params = at
            .grid
            .contract
            .as_ref()
            .ok_or(Contract2Conflict::NoContractTerms)?;
        let mut w = self.g2_unit_write(user, at).await?;
        let contract = w
            .before
            .contract
            .clone()
            .ok_or(Contract2Conflict::NoContract)?;
        if contract.state == ContractState2::Signe {
            return Err(Contract2Conflict::SignedNoSanction.into());
        }
        if contract.sanction.is_some() {
            return Err(Contract2Conflict::RefusalSanctionDecided.into());
        }
        if contract.hearing.awaiting_date() {
            return Err(Contract2Conflict::SanctionAwaitsHearing.into());
        }
        let from = contract
            .procedure(at.grid)
            .and_then(|p| p.sanction_a_partir_du)
            .ok_or(Contract2Conflict::SanctionBeforeSecondProposal)?;
        if on < from {
            return Err(Contract2Conflict::SanctionTooEarly { from }.into());
        }
        let income = self
            .am_figures(&at.entity.finess)
            .await?
            .am_revenue
            .ok_or(Contract2Conflict::AmRevenueMissing)?;
        let ceiling = refusal_sanction(params, income).map_err(Contract2Conflict::Terms)?;
        if amount.0 < Decimal::ZERO || amount > ceiling {
            return Err(Contract2Conflict::AmountOutsideBounds {
                amount,
                ceiling,
                percent: params.sanction_refus_pct.valeur,
            }
            .into());
        }
        let motive = motive.map(str::trim).filter(|m| !m.is_empty());
        if amount < ceiling && motive.is_none() {
            return Err(Contract2Conflict::UnmotivatedBelowCeiling.into());
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
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
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
}
