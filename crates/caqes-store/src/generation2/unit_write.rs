//! What the writes on a contracting unit share (those of `write` and of `levers`): the
//! unit checked against the entity's units, the write opened on it with the unit's file
//! read in its transaction, its audit line and notification, and the text of a stored
//! decimal.

use caqes_core::Finess;
use caqes_core::notification::Event;
use rust_decimal::Decimal;
use serde_json::Value;

use super::read::unit_file_in;
use super::{UnitFile, UnitRef};
use crate::admin::audit::AuditLine;
use crate::admin::audited_write::{AuditedWrite, Notice, Statement};
use crate::conflict::StaleConflict;
use crate::notify::About;
use crate::{Actor, Campaign, LegalEntity, Result, Store, StoreError, User};

/// The page a notification about a unit opens: its section of the dossier.
fn unit_link(campaign: &Campaign, entity: &LegalEntity, unit: Finess) -> String {
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
    at: UnitRef<'a>,
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
        let UnitRef {
            campaign,
            entity,
            unit,
            ..
        } = self.at;
        let link = unit_link(campaign, entity, unit);
        let line = AuditLine {
            region: Some(&campaign.region),
            action,
            object_kind: "unite_contrat",
            object_id: unit.as_str(),
            before,
            after,
        };
        let notice = event.map(|event| Notice {
            event,
            about: About::Entity(entity.finess.as_str()),
            link: &link,
        });
        self.write
            .commit(&Actor::user(self.user), line, notice)
            .await
    }
}

/// A decimal as stored: normalised text (`1.5`, not `1.50`).
pub(super) fn text(d: Option<Decimal>) -> Option<String> {
    d.map(|d| d.normalize().to_string())
}

impl Store {
    /// The unit must be one of the entity's contracting units in this campaign.
    pub(super) async fn g2_check_unit(&self, at: UnitRef<'_>) -> Result<()> {
        let UnitRef {
            campaign,
            entity,
            unit,
            ..
        } = at;
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

    /// Checks that the unit is one of the entity's contracting units
    /// ([`Store::g2_check_unit`]), then opens a write on it: what most writes begin with.
    pub(super) async fn g2_open_unit<'a>(
        &self,
        user: &'a User,
        at: UnitRef<'a>,
    ) -> Result<UnitWrite<'a>> {
        self.g2_check_unit(at).await?;
        self.g2_unit_write(user, at).await
    }

    /// Opens a write on the unit (already checked with [`Store::g2_check_unit`]) and
    /// reads its file in the transaction.
    pub(super) async fn g2_unit_write<'a>(
        &self,
        user: &'a User,
        at: UnitRef<'a>,
    ) -> Result<UnitWrite<'a>> {
        let mut write = self.audited_write().await?;
        let before = unit_file_in(write.conn(), &at.campaign.id, at.unit).await?;
        Ok(UnitWrite {
            write,
            before,
            user,
            at,
        })
    }
}
