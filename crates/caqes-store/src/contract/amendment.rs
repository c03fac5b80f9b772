//! The avenants of a signed contract: a modification, or the termination of an additional
//! volet by mutual agreement (effective on 31 December of the year of signature, instruction
//! III.b); the volet obligatoire cannot be terminated.

use caqes_core::contract::{AmendmentKind, ContractState, VoletState, volet_code};
use caqes_core::volets::Volet;
use jiff::civil::Date;
use sqlx::Row;

use crate::accounts::require_role;
use crate::conflict::ContractConflict;
use crate::model::ids::AmendmentId;
use crate::{Result, Role, Store, User, new_id, now_text};

use super::{Contract, finish, require_scope, require_state};

impl Store {
    /// The ARS records an avenant signed on `signed_on` (in force on 1 January
    /// of the next year). Only a signed contract can be amended.
    pub async fn record_amendment(
        &self,
        user: &User,
        contract: &Contract,
        object: &str,
        signed_on: Date,
    ) -> Result<Contract> {
        require_role(user, Role::Ars, "Enregistrer un avenant")?;
        self.insert_amendment(
            user,
            contract,
            AmendmentKind::Modification,
            None,
            object,
            signed_on,
        )
        .await
    }

    /// The ARS records the avenant de résiliation of an additional volet,
    /// signed on `signed_on` by both parties (effective 31 December of that year).
    pub async fn terminate_volet(
        &self,
        user: &User,
        contract: &Contract,
        volet: Volet,
        reason: &str,
        signed_on: Date,
    ) -> Result<Contract> {
        require_role(user, Role::Ars, "Résilier un volet")?;
        self.insert_amendment(
            user,
            contract,
            AmendmentKind::Resiliation,
            Some(volet),
            reason,
            signed_on,
        )
        .await
    }

    async fn insert_amendment(
        &self,
        user: &User,
        contract: &Contract,
        kind: AmendmentKind,
        volet: Option<Volet>,
        object: &str,
        signed_on: Date,
    ) -> Result<Contract> {
        require_scope(user, contract)?;
        require_state(contract, ContractState::Signe, "signer un avenant")?;
        let object = object.trim();
        if object.is_empty() {
            return Err(ContractConflict::AmendmentWithoutObject.into());
        }
        if let Some(signed) = contract.decided_on
            && signed_on < signed
        {
            return Err(ContractConflict::AmendmentBeforeSignature { signed }.into());
        }
        if let Some(v) = volet {
            if v == Volet::Obligatoire {
                return Err(ContractConflict::MandatoryVoletTermination.into());
            }
            match contract.volets.iter().find(|cv| cv.volet == v) {
                None => {
                    return Err(ContractConflict::VoletNotInContract { volet: v }.into());
                }
                Some(cv) if cv.state == VoletState::Resilie => {
                    return Err(ContractConflict::VoletTerminated { volet: v }.into());
                }
                Some(_) => {}
            }
        }
        let mut tx = self.begin_write().await?;
        // Re-checks the state inside the transaction (no UPDATE of the contract itself).
        let still: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM contracts WHERE id = $1 AND state = 'signe'")
                .bind(contract.id.clone())
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        let mut touched = u64::try_from(still).unwrap_or(0);
        if let Some(v) = volet {
            let terminated = sqlx::query(
                "UPDATE contract_volets SET state = 'resilie' \
                 WHERE contract = $1 AND volet = $2 AND state = 'actif'",
            )
            .bind(contract.id.clone())
            .bind(volet_code(v).to_owned())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // The contract must still be signed and the volet still active.
            touched = touched.min(terminated);
        }
        sqlx::query(
            "INSERT INTO contract_amendments (id, contract, kind, volet, object, signed_on, recorded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(AmendmentId::from(new_id()))
        .bind(contract.id.clone())
        .bind(kind.code().to_owned())
        .bind(volet.map(|v| volet_code(v).to_owned()))
        .bind(object.to_owned())
        .bind(signed_on.to_string())
        .bind(user.id.clone())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        let action = match kind {
            AmendmentKind::Modification => "contrat.avenant",
            AmendmentKind::Resiliation => "contrat.resilier_volet",
        };
        let after = finish(&mut tx, touched, user, action, contract).await?;
        tx.commit().await?;
        Ok(after)
    }
}
