//! A contract from its proposal to its answer: the ARS proposes it (with its volets and,
//! for the volet pertinence, its terms), the établissement asks for a hearing within the
//! signature period and the ARS fixes its day, then the établissement signs or refuses.
//! Every step is one transaction with its audit line and its notification.

use caqes_core::calendar::{self, CalendarError, CalendarParameters, HearingRequest};
use caqes_core::contract::{ContractState, VoletState, volet_code};
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{PertinenceParameters, PertinenceTerms};
use jiff::civil::Date;
use sqlx::Row;

use caqes_core::notification::Event;

use crate::accounts::require_role;
use crate::admin::audit::{AuditLine, record};
use crate::admin::audited_write::Statement;
use crate::conflict::ContractConflict;
use crate::model::ids::{ContractId, ReceiptId};
use crate::notify::receipt::{ReceiptKind, ReceiptMode};
use crate::notify::{About, emit};
use crate::{Actor, LegalEntity, Result, Role, Store, StoreError, User, new_id, now_text};

use super::{
    Contract, NewContract, calendar_conflict, contract_json, finish, load_in, require_scope,
    require_state, terms_columns,
};

impl Store {
    /// The ARS of the entity's region proposes a contract: the volet obligatoire
    /// always, and the chosen additional volets with their duration (1 to 5 years).
    pub async fn propose_contract(
        &self,
        user: &User,
        entity: &LegalEntity,
        proposal: &NewContract,
    ) -> Result<Contract> {
        require_role(user, Role::Ars, "Proposer un contrat")?;
        if user.region != Some(entity.region) {
            return Err(StoreError::NotFound("entité juridique"));
        }
        let params = CalendarParameters::default();
        let mut seen = Vec::new();
        for (volet, years) in &proposal.additional {
            if *volet == Volet::Obligatoire {
                return Err(ContractConflict::MandatoryVoletTerm.into());
            }
            if seen.contains(volet) {
                return Err(ContractConflict::VoletTwice { volet: *volet }.into());
            }
            seen.push(*volet);
            // Checks the duration against the decree's bounds (1 to 5 years).
            calendar::additional_volet_term(
                &params,
                proposal.received_on.unwrap_or_else(crate::today),
                *years,
            )
            .map_err(|source| ContractConflict::VoletTerm {
                volet: *volet,
                source,
            })?;
        }
        // W10: the volet pertinence carries its terms from the contract on.
        match (seen.contains(&Volet::Pertinence), proposal.pertinence_terms) {
            (true, None) => {
                return Err(ContractConflict::PertinenceTermsMissing.into());
            }
            (false, Some(_)) => {
                return Err(ContractConflict::PertinenceTermsWithoutVolet.into());
            }
            (true, Some(t)) => {
                PertinenceTerms::new(
                    &PertinenceParameters::default(),
                    t.nature_sanction,
                    t.plafond_interessement,
                )
                .map_err(ContractConflict::PertinenceTerms)?;
            }
            (false, None) => {}
        }
        let finess = entity.finess.to_string();
        let id = ContractId::from(new_id());
        let mut tx = self.begin_write().await?;
        let live: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM contracts WHERE entity = $1 AND state <> 'refuse'",
        )
        .bind(finess.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if live > 0 {
            return Err(ContractConflict::AlreadyLive {
                name: entity.name.clone(),
            }
            .into());
        }
        sqlx::query(
            "INSERT INTO contracts (id, entity, region, state, proposed_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.clone())
        .bind(finess.clone())
        .bind(entity.region.to_string())
        .bind(ContractState::Propose.code().to_owned())
        .bind(user.id.clone())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        let volets = std::iter::once((Volet::Obligatoire, None))
            .chain(proposal.additional.iter().map(|(v, y)| (*v, Some(*y))));
        for (volet, years) in volets {
            let terms = proposal
                .pertinence_terms
                .filter(|_| volet == Volet::Pertinence);
            let (kind, months) = terms.map(terms_columns).unzip();
            sqlx::query(
                "INSERT INTO contract_volets (contract, volet, duration_years, state, sanction_kind, msap_months, incentive_ceiling) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id.clone())
            .bind(volet_code(volet).to_owned())
            .bind(years.map(i64::from))
            .bind(VoletState::Actif.code().to_owned())
            .bind(kind.map(str::to_owned))
            .bind(months.flatten())
            .bind(terms.map(|t| t.plafond_interessement.amount().to_string()))
            .execute(&mut *tx)
            .await?;
        }
        if let Some(on) = proposal.received_on {
            crate::notify::receipt::insert(
                &mut tx,
                ReceiptKind::Contrat,
                &ReceiptId::from(&id),
                on,
                ReceiptMode::Papier,
                Some(user.id.as_str()),
            )
            .await?;
        }
        let after = load_in(&mut tx, &id).await?;
        let line = AuditLine {
            region: Some(&after.region),
            action: "contrat.proposer",
            object_kind: "contrat",
            object_id: id.as_str(),
            before: None,
            after: Some(contract_json(&after)),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        emit(
            &mut tx,
            Event::ContratPropose,
            About::Entity(&finess),
            &format!("/contrats/{finess}"),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The établissement asks for a hearing. Asked within the 15 days, it
    /// extends the signature period to the hearing; asked later it is refused,
    /// since it could no longer extend anything.
    pub async fn request_hearing(
        &self,
        user: &User,
        contract: &Contract,
        requested_on: Date,
    ) -> Result<Contract> {
        require_role(user, Role::Etablissement, "Demander une audition")?;
        require_scope(user, contract)?;
        require_state(contract, ContractState::Propose, "demander une audition")?;
        if contract.hearing_requested_on.is_some() {
            return Err(ContractConflict::HearingAlreadyRequested.into());
        }
        let period = contract.signature_period(&CalendarParameters::default())?;
        let received = contract.received()?;
        if requested_on < received {
            return Err(calendar_conflict(CalendarError::BeforeReception {
                date: requested_on,
                reception: received,
            }));
        }
        if requested_on > period.fin_initiale {
            return Err(ContractConflict::HearingTooLate {
                until: period.fin_initiale,
            }
            .into());
        }
        self.update_contract(
            user,
            contract,
            "contrat.demander_audition",
            sqlx::query(
                "UPDATE contracts SET hearing_requested_on = $1 \
                 WHERE id = $2 AND state = 'propose' AND hearing_requested_on IS NULL",
            )
            .bind(requested_on.to_string())
            .bind(contract.id.clone()),
        )
        .await
    }

    /// The ARS fixes the date of the hearing asked for (the end of the
    /// signature period follows it).
    pub async fn schedule_hearing(
        &self,
        user: &User,
        contract: &Contract,
        hearing_on: Date,
    ) -> Result<Contract> {
        require_role(user, Role::Ars, "Fixer la date de l'audition")?;
        require_scope(user, contract)?;
        require_state(contract, ContractState::Propose, "fixer l'audition")?;
        let Some(requested_on) = contract.hearing_requested_on else {
            return Err(ContractConflict::NoHearingRequested.into());
        };
        calendar::signature_period(
            &CalendarParameters::default(),
            contract.received()?,
            Some(HearingRequest {
                demandee_le: requested_on,
                audition_le: hearing_on,
            }),
        )
        .map_err(calendar_conflict)?;
        self.update_contract(
            user,
            contract,
            "contrat.fixer_audition",
            sqlx::query("UPDATE contracts SET hearing_on = $1 WHERE id = $2 AND state = 'propose'")
                .bind(hearing_on.to_string())
                .bind(contract.id.clone()),
        )
        .await
    }

    /// The établissement signs, within the (possibly extended) period.
    pub async fn sign_contract(
        &self,
        user: &User,
        contract: &Contract,
        signed_on: Date,
    ) -> Result<Contract> {
        require_role(user, Role::Etablissement, "Signer le contrat")?;
        self.answer(user, contract, signed_on, ContractState::Signe)
            .await
    }

    /// The établissement refuses: the sanction for not contracting becomes
    /// notifiable from the day after the end of the signature period.
    pub async fn refuse_contract(
        &self,
        user: &User,
        contract: &Contract,
        refused_on: Date,
    ) -> Result<Contract> {
        require_role(user, Role::Etablissement, "Refuser le contrat")?;
        self.answer(user, contract, refused_on, ContractState::Refuse)
            .await
    }

    async fn answer(
        &self,
        user: &User,
        contract: &Contract,
        on: Date,
        to: ContractState,
    ) -> Result<Contract> {
        let (verb, action) = match to {
            ContractState::Signe => ("signer", "contrat.signer"),
            _ => ("refuser", "contrat.refuser"),
        };
        require_scope(user, contract)?;
        require_state(contract, ContractState::Propose, verb)?;
        let params = CalendarParameters::default();
        let period = contract.signature_period(&params)?;
        let received = contract.received()?;
        if on < received {
            return Err(calendar_conflict(CalendarError::BeforeReception {
                date: on,
                reception: received,
            }));
        }
        // With a hearing pending, the period runs until the (future) hearing.
        if on > period.fin && !contract.hearing_pending(&params)? {
            return Err(ContractConflict::SignatureExpired { until: period.fin }.into());
        }
        self.update_contract(
            user,
            contract,
            action,
            sqlx::query(
                "UPDATE contracts SET state = $1, decided_on = $2, decided_by = $3 \
                 WHERE id = $4 AND state = 'propose'",
            )
            .bind(to.code().to_owned())
            .bind(on.to_string())
            .bind(user.id.clone())
            .bind(contract.id.clone()),
        )
        .await
    }

    /// One step of a proposed contract in its own transaction: `statement`, guarded by
    /// the state it expects, must update the contract's row (otherwise the contract
    /// changed meanwhile), then its audit line `action` and its notification.
    async fn update_contract(
        &self,
        user: &User,
        contract: &Contract,
        action: &'static str,
        statement: Statement<'_>,
    ) -> Result<Contract> {
        let mut tx = self.begin_write().await?;
        let updated = statement.execute(&mut *tx).await?.rows_affected();
        let after = finish(&mut tx, updated, user, action, contract).await?;
        tx.commit().await?;
        Ok(after)
    }
}
