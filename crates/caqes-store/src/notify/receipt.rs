//! Acknowledgements of receipt (« accusé de réception »).
//!
//! The law counts the 15 days to sign a contract and the 2 months to appeal a
//! decision from the day the establishment **received** it; since décret
//! 2025-1392 « tout moyen permettant de rapporter la preuve de sa date de
//! réception » will do. A proposal, an avenant or a notified decision version
//! is received:
//! - electronically, the day (Europe/Paris) one of the establishment's users
//!   first opens it on the platform (who and when are kept);
//! - on paper, at the date the ARS records.
//!
//! The first receipt counts and never changes; each one has its audit line.

use caqes_core::RegionCode;
use caqes_core::calendar::paris_date;
use jiff::civil::Date;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::conflict::ReceiptConflict;
use crate::model::ids::ReceiptId;
use crate::{Actor, Result, Role, Store, StoreError, User, now_text};

/// What is received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptKind {
    /// A contract proposal.
    Contrat,
    Avenant,
    /// A notified version of a decision of the volet obligatoire.
    Decision,
    /// A notified version of a decision of an additional volet.
    DecisionVolet,
    /// The notified sanction for refusing to sign the contract.
    SanctionRefus,
    /// The decision at the end of a second-generation mise sous surveillance (object
    /// id « campaign:unit »).
    SurveillanceG2,
    /// The 2026 penalty of a unit (object id « campaign:unit »).
    PenaliteG2,
}

impl ReceiptKind {
    pub fn code(self) -> &'static str {
        match self {
            ReceiptKind::Contrat => "contrat",
            ReceiptKind::Avenant => "avenant",
            ReceiptKind::Decision => "decision",
            ReceiptKind::DecisionVolet => "decision_volet",
            ReceiptKind::SanctionRefus => "sanction_refus",
            ReceiptKind::SurveillanceG2 => "g2_surveillance",
            ReceiptKind::PenaliteG2 => "g2_penalite",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            ReceiptKind::Contrat => "la proposition de contrat",
            ReceiptKind::Avenant => "l'avenant",
            ReceiptKind::Decision
            | ReceiptKind::DecisionVolet
            | ReceiptKind::SanctionRefus
            | ReceiptKind::SurveillanceG2
            | ReceiptKind::PenaliteG2 => "la décision",
        }
    }
}

/// How the receipt was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptMode {
    /// First opening on the platform by a user of the establishment.
    Electronique,
    /// Date recorded by the ARS (paper acknowledgement).
    Papier,
}

impl ReceiptMode {
    pub fn code(self) -> &'static str {
        match self {
            ReceiptMode::Electronique => "electronique",
            ReceiptMode::Papier => "papier",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReceiptMode::Electronique => "accusé de réception électronique",
            ReceiptMode::Papier => "accusé de réception papier",
        }
    }
}

/// A recorded receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The day of receipt (Europe/Paris): day 0 of the deadlines.
    pub on: Date,
    pub mode: ReceiptMode,
    /// Display name of who opened it (electronic) or recorded it (paper).
    pub by: Option<String>,
    /// The instant recorded (UTC text).
    pub at: String,
}

/// The SQL joining an object's receipt: `LEFT JOIN` on alias `rc` (receipt)
/// and `urc` (its author); `{kind}` and `{id}` are the kind literal and the
/// object's id column.
pub(crate) fn receipt_join(kind: ReceiptKind, id_column: &str) -> String {
    format!(
        "LEFT JOIN receipts rc ON rc.object_kind = '{}' AND rc.object_id = {id_column} \
         LEFT JOIN users urc ON urc.id = rc.recorded_by",
        kind.code()
    )
}

/// The receipt columns selected with [`receipt_join`].
pub(crate) const RECEIPT_COLUMNS: &str = "rc.received_on AS receipt_on, rc.mode AS receipt_mode, \
     urc.display_name AS receipt_by, rc.recorded_at AS receipt_at";

/// Reads the [`RECEIPT_COLUMNS`] of a row.
pub(crate) fn receipt_from_row(r: &AnyRow) -> Result<Option<Receipt>> {
    let on: Option<String> = r.try_get("receipt_on")?;
    let Some(on) = on else {
        return Ok(None);
    };
    let mode: String = r.try_get("receipt_mode")?;
    Ok(Some(Receipt {
        on: on
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("date illisible « {on} »")))?,
        mode: match mode.as_str() {
            "papier" => ReceiptMode::Papier,
            "electronique" => ReceiptMode::Electronique,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "mode de réception inconnu « {other} »"
                )));
            }
        },
        by: r.try_get("receipt_by")?,
        at: r.try_get("receipt_at")?,
    }))
}

/// Inserts a receipt unless the object has one; `true` when written.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    kind: ReceiptKind,
    id: &ReceiptId,
    on: Date,
    mode: ReceiptMode,
    by: Option<&str>,
) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO receipts (object_kind, object_id, received_on, mode, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (object_kind, object_id) DO NOTHING",
    )
    .bind(kind.code())
    .bind(id.clone())
    .bind(on.to_string())
    .bind(mode.code())
    .bind(by.map(str::to_owned))
    .bind(now_text())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Who an object belongs to: (entity FINESS, region, the earliest day it can
/// have been received). A decision version counts only once notified.
async fn owner(
    conn: &mut AnyConnection,
    kind: ReceiptKind,
    id: &ReceiptId,
) -> Result<Option<(String, RegionCode, Date)>> {
    let sql = match kind {
        ReceiptKind::Contrat => {
            "SELECT entity, region, substr(created_at, 1, 10) AS since FROM contracts WHERE id = $1"
        }
        ReceiptKind::Avenant => {
            "SELECT c.entity, c.region, a.signed_on AS since FROM contract_amendments a \
             JOIN contracts c ON c.id = a.contract WHERE a.id = $1"
        }
        ReceiptKind::Decision => {
            "SELECT s.entity, e.region, d.notified_on AS since FROM sanction_decisions d \
             JOIN submissions s ON s.id = d.submission JOIN legal_entities e ON e.finess = s.entity \
             WHERE d.id = $1 AND d.notified_on IS NOT NULL"
        }
        ReceiptKind::DecisionVolet => {
            "SELECT d.entity, e.region, d.notified_on AS since FROM volet_decisions d \
             JOIN legal_entities e ON e.finess = d.entity WHERE d.id = $1 AND d.notified_on IS NOT NULL"
        }
        ReceiptKind::SanctionRefus => {
            "SELECT entity, region, notified_on AS since FROM refusal_sanctions \
             WHERE id = $1 AND notified_on IS NOT NULL"
        }
        ReceiptKind::SurveillanceG2 => {
            "SELECT s.entity, e.region, s.decided_on AS since FROM g2_surveillance s \
             JOIN legal_entities e ON e.finess = s.entity \
             WHERE s.campaign || ':' || s.unit = $1 AND s.decided_on IS NOT NULL"
        }
        ReceiptKind::PenaliteG2 => {
            "SELECT p.entity, e.region, p.decided_on AS since FROM g2_penalties p \
             JOIN legal_entities e ON e.finess = p.entity WHERE p.campaign || ':' || p.unit = $1"
        }
    };
    let Some(r) = sqlx::query(sql)
        .bind(id.clone())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let since: String = r.try_get("since")?;
    Ok(Some((
        r.try_get("entity")?,
        crate::parse_region(&r.try_get::<String, _>("region")?)?,
        since
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("date illisible « {since} »")))?,
    )))
}

/// The audit line of a receipt.
fn receipt_line<'a>(
    region: &'a RegionCode,
    kind: ReceiptKind,
    id: &'a ReceiptId,
    on: Date,
    mode: ReceiptMode,
) -> AuditLine<'a> {
    AuditLine {
        region: Some(region),
        action: match mode {
            ReceiptMode::Electronique => "reception.electronique",
            ReceiptMode::Papier => "reception.papier",
        },
        object_kind: kind.code(),
        object_id: id.as_str(),
        before: None,
        after: Some(json!({ "recu_le": on.to_string(), "mode": mode.code() })),
    }
}

impl Store {
    /// An établissement user opens objects of its own entity: each one without
    /// a receipt is received today (Paris), electronically, by this user.
    /// Anything else (another role, another entity, a decision not notified)
    /// records nothing. Returns how many receipts were written.
    pub async fn acknowledge_opening(
        &self,
        user: &User,
        objects: &[(ReceiptKind, ReceiptId)],
    ) -> Result<usize> {
        let Some(own) = user.entity.filter(|_| user.role == Role::Etablissement) else {
            return Ok(0);
        };
        if objects.is_empty() {
            return Ok(0);
        }
        let today = paris_date(jiff::Timestamp::now());
        let mut tx = self.begin_write().await?;
        let mut written = 0;
        for (kind, id) in objects {
            let Some((entity, region, since)) = owner(&mut tx, *kind, id).await? else {
                continue;
            };
            // A decision dated later than today (the ARS dates the levers' decisions
            // itself) is not received before its date.
            if entity != own.as_str() || since > today {
                continue;
            }
            if insert(
                &mut tx,
                *kind,
                id,
                today,
                ReceiptMode::Electronique,
                Some(user.id.as_str()),
            )
            .await?
            {
                // Several receipts in one transaction: one audit line each.
                let line = receipt_line(&region, *kind, id, today, ReceiptMode::Electronique);
                record(&mut tx, &Actor::user(user), line).await?;
                written += 1;
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    /// The ARS of the region records the date of a paper acknowledgement of
    /// receipt: not before the object existed (notification, proposal,
    /// signature of the avenant), not in the future, and only while no receipt
    /// is recorded.
    pub async fn record_paper_receipt(
        &self,
        user: &User,
        kind: ReceiptKind,
        id: &ReceiptId,
        on: Date,
    ) -> Result<()> {
        crate::accounts::require_role(
            user,
            Role::Ars,
            "Enregistrer un accusé de réception papier",
        )?;
        let mut w = self.audited_write().await?;
        let (_, region, since) = owner(w.conn(), kind, id)
            .await?
            .filter(|(_, region, _)| user.region.as_ref() == Some(region))
            .ok_or(StoreError::NotFound("document"))?;
        let today = paris_date(jiff::Timestamp::now());
        if on > today {
            return Err(ReceiptConflict::InFuture.into());
        }
        if on < since {
            return Err(ReceiptConflict::BeforeSent {
                since,
                document: kind.label(),
            }
            .into());
        }
        if !insert(
            w.conn(),
            kind,
            id,
            on,
            ReceiptMode::Papier,
            Some(user.id.as_str()),
        )
        .await?
        {
            return Err(ReceiptConflict::AlreadyRecorded {
                document: kind.label(),
            }
            .into());
        }
        w.commit(
            &Actor::user(user),
            receipt_line(&region, kind, id, on, ReceiptMode::Papier),
            None,
        )
        .await
    }
}
