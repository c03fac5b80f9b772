//! The contract of a legal entity and its lifecycle: proposal by the ARS (with
//! its volets), hearing, signature or refusal by the établissement, then
//! amendments (avenants) and terminations of a volet by mutual agreement.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, III.b: « le délai de 15 jours pour
//! contractualiser est prolongé jusqu'à l'audition de l'établissement de santé,
//! si elle a été demandée avant l'expiration de ce délai » ; « Les avenants,
//! comme les contrats, entrent en vigueur le 1er janvier de l'année suivant leur
//! signature » ; « un avenant de résiliation du volet est signé. Il prend effet
//! au 31 décembre de l'année en cours ». Every date rule is `caqes_core::calendar`'s;
//! this module stores facts and enforces who may do what, in which state.
//!
//! States: contract proposé → signé | refusé; volet actif → résilié. A signed
//! contract never changes except through amendments (every UPDATE of a
//! contract is guarded by `state = 'propose'`).

mod amendment;
mod proposal;
pub mod refusal;

use crate::parse_region;
use caqes_core::Euros;
use caqes_core::calendar::{
    self, CalendarError, CalendarParameters, HearingRequest, SignaturePeriod, VoletTerm,
};
pub use caqes_core::contract::{AmendmentKind, ContractState, VoletState, parse_volet, volet_code};
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{PertinenceSanctionKind, PertinenceTerms};
use caqes_core::{Finess, RegionCode};
use jiff::civil::Date;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use caqes_core::notification::Event;

use crate::admin::audit::{AuditLine, record};
use crate::conflict::{ContractConflict, StaleConflict};
use crate::model::ids::{AmendmentId, ContractId};
use crate::notify::receipt::{
    RECEIPT_COLUMNS, Receipt, ReceiptKind, receipt_from_row, receipt_join,
};
use crate::notify::{About, emit};
use crate::{Actor, Result, Role, Store, StoreError, User};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractVolet {
    pub volet: Volet,
    /// `None` for the volet obligatoire (signed for an indefinite term).
    pub duration_years: Option<u8>,
    pub state: VoletState,
    /// The volet pertinence's terms (W10); `None` on the other volets, and on a
    /// pertinence volet proposed before the terms were recorded.
    pub pertinence_terms: Option<PertinenceTerms>,
}

/// An avenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amendment {
    pub id: AmendmentId,
    pub kind: AmendmentKind,
    /// The terminated volet (résiliation only).
    pub volet: Option<Volet>,
    /// Object or reason of the avenant.
    pub object: String,
    pub signed_on: Date,
    pub created_at: String,
    /// When the establishment received it (electronically or on paper).
    pub receipt: Option<Receipt>,
}

impl Amendment {
    /// 1 January of the next year for a modification, 31 December of the year
    /// of signature for a résiliation.
    pub fn effective_on(&self) -> Result<Date> {
        match self.kind {
            AmendmentKind::Modification => {
                calendar::amendment_entry_into_force(self.signed_on).map_err(calendar_conflict)
            }
            AmendmentKind::Resiliation => Ok(calendar::volet_termination_effective(self.signed_on)),
        }
    }
}

/// A contract as stored, with its volets and avenants (oldest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    pub id: ContractId,
    pub entity: Finess,
    pub entity_name: String,
    pub region: RegionCode,
    pub state: ContractState,
    /// The receipt of the proposal: day 0 of the 15 days to sign. `None`
    /// while the establishment has not opened it (nor the ARS recorded a
    /// paper receipt): the period has not started.
    pub receipt: Option<Receipt>,
    pub hearing_requested_on: Option<Date>,
    pub hearing_on: Option<Date>,
    /// Date of signature or refusal.
    pub decided_on: Option<Date>,
    /// Display name of who signed or refused.
    pub decided_by: Option<String>,
    pub volets: Vec<ContractVolet>,
    pub amendments: Vec<Amendment>,
}

impl Contract {
    /// The day the proposal was received, if it was.
    pub fn received_on(&self) -> Option<Date> {
        self.receipt.as_ref().map(|r| r.on)
    }

    /// The day of receipt, or a conflict saying the period has not started.
    fn received(&self) -> Result<Date> {
        self.received_on()
            .ok_or_else(|| ContractConflict::NotReceived.into())
    }

    /// The signature period, extended to the hearing once its date is known;
    /// a conflict before the receipt.
    pub fn signature_period(&self, params: &CalendarParameters) -> Result<SignaturePeriod> {
        let hearing = match (self.hearing_requested_on, self.hearing_on) {
            (Some(demandee_le), Some(audition_le)) => Some(HearingRequest {
                demandee_le,
                audition_le,
            }),
            _ => None,
        };
        calendar::signature_period(params, self.received()?, hearing).map_err(calendar_conflict)
    }

    /// A hearing asked for in time whose date the ARS has not fixed yet: the
    /// period then runs until that (unknown) date.
    pub fn hearing_pending(&self, params: &CalendarParameters) -> Result<bool> {
        Ok(match (self.hearing_requested_on, self.hearing_on) {
            (Some(asked), None) => asked <= self.signature_period(params)?.fin_initiale,
            _ => false,
        })
    }

    /// 1 January following the signature.
    pub fn entry_into_force(&self) -> Result<Option<Date>> {
        match (self.state, self.decided_on) {
            (ContractState::Signe, Some(on)) => calendar::entry_into_force(on)
                .map(Some)
                .map_err(calendar_conflict),
            _ => Ok(None),
        }
    }

    /// The term of an additional volet of a signed contract.
    pub fn volet_term(
        &self,
        params: &CalendarParameters,
        volet: &ContractVolet,
    ) -> Result<Option<VoletTerm>> {
        match (self.state, self.decided_on, volet.duration_years) {
            (ContractState::Signe, Some(on), Some(years)) => {
                calendar::additional_volet_term(params, on, years)
                    .map(Some)
                    .map_err(calendar_conflict)
            }
            _ => Ok(None),
        }
    }

    /// The avenant de résiliation of a volet, if any.
    pub fn termination_of(&self, volet: Volet) -> Option<&Amendment> {
        self.amendments
            .iter()
            .find(|a| a.kind == AmendmentKind::Resiliation && a.volet == Some(volet))
    }
}

/// What the ARS proposes: each volet with its duration in years (none for the
/// volet obligatoire, which is always included), and the date of a paper
/// receipt when the proposal went out on paper; without it, the proposal is
/// received when the establishment opens it on the platform. The default is the volet
/// obligatoire alone, proposed on the platform.
#[derive(Clone, Debug, Default)]
pub struct NewContract {
    pub received_on: Option<Date>,
    pub additional: Vec<(Volet, u8)>,
    /// Required when the volet pertinence is proposed, refused otherwise (W10).
    pub pertinence_terms: Option<PertinenceTerms>,
}

fn calendar_conflict(e: CalendarError) -> StoreError {
    ContractConflict::Calendar(e).into()
}

/// The user's scope, checked again here so that no caller can forget it:
/// anything outside answers "not found", like the web layer.
fn require_scope(user: &User, contract: &Contract) -> Result<()> {
    let ok = match user.role {
        Role::Etablissement => user.entity == Some(contract.entity),
        Role::Ars | Role::AssuranceMaladie | Role::Omedit => user.region == Some(contract.region),
        // No health data for the accounts' manager (see `Role::Admin`).
        Role::Admin => false,
    };
    if ok {
        Ok(())
    } else {
        Err(StoreError::NotFound("contrat"))
    }
}

fn require_state(contract: &Contract, state: ContractState, action: &str) -> Result<()> {
    if contract.state != state {
        return Err(ContractConflict::WrongState {
            action: action.to_string(),
            state: contract.state,
            expected: state,
        }
        .into());
    }
    Ok(())
}

fn terms_json(t: PertinenceTerms) -> serde_json::Value {
    let (kind, months) = terms_columns(t);
    json!({
        "nature_sanction": kind,
        "duree_msap_mois": months,
        "plafond_interessement": t.plafond_interessement.amount().to_string(),
    })
}

/// (sanction_kind, msap_months) as stored.
fn terms_columns(t: PertinenceTerms) -> (&'static str, Option<i64>) {
    match t.nature_sanction {
        PertinenceSanctionKind::Retenue => ("retenue", None),
        PertinenceSanctionKind::Msap { duree_mois } => ("msap", Some(i64::from(duree_mois))),
    }
}

fn terms_from_row(r: &AnyRow) -> Result<Option<PertinenceTerms>> {
    let kind: Option<String> = r.try_get("sanction_kind")?;
    let Some(kind) = kind else { return Ok(None) };
    let months: Option<i64> = r.try_get("msap_months")?;
    let ceiling: Option<String> = r.try_get("incentive_ceiling")?;
    let nature_sanction = match (kind.as_str(), months) {
        ("retenue", None) => PertinenceSanctionKind::Retenue,
        ("msap", Some(m)) => PertinenceSanctionKind::Msap {
            duree_mois: u8::try_from(m)
                .map_err(|_| StoreError::Corrupt(format!("durée de MSAP {m} mois")))?,
        },
        (other, _) => {
            return Err(StoreError::Corrupt(format!(
                "termes du volet pertinence : nature « {other} »"
            )));
        }
    };
    let ceiling = ceiling.ok_or_else(|| {
        StoreError::Corrupt("termes du volet pertinence sans plafond d'intéressement".into())
    })?;
    let plafond_interessement = ceiling
        .parse::<rust_decimal::Decimal>()
        .map(Euros::new)
        .map_err(|_| StoreError::Corrupt(format!("plafond d'intéressement « {ceiling} »")))?;
    Ok(Some(PertinenceTerms {
        nature_sanction,
        plafond_interessement,
    }))
}

fn date_text(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn parse_date(text: Option<String>) -> Result<Option<Date>> {
    text.map(|t| {
        t.parse()
            .map_err(|_| StoreError::Corrupt(format!("date illisible « {t} »")))
    })
    .transpose()
}

/// The audit picture of a contract (before → after).
fn contract_json(c: &Contract) -> serde_json::Value {
    json!({
        "etat": c.state.code(),
        "reception": c.received_on().map(|d| d.to_string()),
        "audition_demandee_le": date_text(c.hearing_requested_on),
        "audition_le": date_text(c.hearing_on),
        "decide_le": date_text(c.decided_on),
        "volets": c.volets.iter().map(|v| {
            let mut line = json!({
                "volet": volet_code(v.volet),
                "duree_ans": v.duration_years,
                "etat": v.state.code(),
            });
            if let Some(t) = v.pertinence_terms {
                line["termes_pertinence"] = terms_json(t);
            }
            line
        }).collect::<Vec<_>>(),
        "avenants": c.amendments.iter().map(|a| json!({
            "nature": a.kind.code(),
            "volet": a.volet.map(volet_code),
            "objet": a.object,
            "signe_le": a.signed_on.to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// The contracts `filter` keeps (`WHERE …`, then `ORDER BY …`), their entity's name,
/// who decided and their receipt, one row each ([`complete`] adds volets and avenants).
fn select_contracts(filter: &str) -> String {
    format!(
        "SELECT c.id, c.entity, e.name AS entity_name, c.region, c.state, \
         c.hearing_requested_on, c.hearing_on, c.decided_on, u.display_name AS decided_by_name, {RECEIPT_COLUMNS} \
         FROM contracts c JOIN legal_entities e ON e.finess = c.entity \
         LEFT JOIN users u ON u.id = c.decided_by {} {filter}",
        receipt_join(ReceiptKind::Contrat, "c.id")
    )
}

async fn complete(conn: &mut AnyConnection, r: &AnyRow) -> Result<Contract> {
    let id: ContractId = r.try_get("id")?;
    let entity: String = r.try_get("entity")?;
    let volet_rows =
        sqlx::query("SELECT volet, duration_years, state, sanction_kind, msap_months, incentive_ceiling FROM contract_volets WHERE contract = $1")
            .bind(id.clone())
            .fetch_all(&mut *conn)
            .await?;
    let mut volets = Vec::new();
    for v in &volet_rows {
        let code: String = v.try_get("volet")?;
        let years: Option<i64> = v.try_get("duration_years")?;
        let state: String = v.try_get("state")?;
        volets.push(ContractVolet {
            volet: parse_volet(&code)
                .ok_or_else(|| StoreError::Corrupt(format!("volet inconnu « {code} »")))?,
            duration_years: years
                .map(|y| u8::try_from(y).map_err(|_| StoreError::Corrupt(format!("durée {y} ans"))))
                .transpose()?,
            state: if state == "resilie" {
                VoletState::Resilie
            } else {
                VoletState::Actif
            },
            pertinence_terms: terms_from_row(v)?,
        });
    }
    // The grid's order: obligatoire first, then the additional volets.
    volets.sort_by_key(|v| v.volet);
    let amendment_rows = sqlx::query(&format!(
        "SELECT a.id, a.kind, a.volet, a.object, a.signed_on, a.created_at, {RECEIPT_COLUMNS} \
         FROM contract_amendments a {} WHERE a.contract = $1 ORDER BY a.signed_on, a.created_at",
        receipt_join(ReceiptKind::Avenant, "a.id")
    ))
    .bind(id.clone())
    .fetch_all(&mut *conn)
    .await?;
    let mut amendments = Vec::new();
    for a in &amendment_rows {
        let kind: String = a.try_get("kind")?;
        let volet: Option<String> = a.try_get("volet")?;
        amendments.push(Amendment {
            id: a.try_get("id")?,
            kind: if kind == "resiliation" {
                AmendmentKind::Resiliation
            } else {
                AmendmentKind::Modification
            },
            volet: volet.as_deref().and_then(parse_volet),
            object: a.try_get("object")?,
            signed_on: parse_date(Some(a.try_get("signed_on")?))?
                .ok_or_else(|| StoreError::Corrupt("avenant sans date".into()))?,
            created_at: a.try_get("created_at")?,
            receipt: receipt_from_row(a)?,
        });
    }
    Ok(Contract {
        id,
        entity: crate::parse_finess(&entity)?,
        entity_name: r.try_get("entity_name")?,
        region: parse_region(&r.try_get::<String, _>("region")?)?,
        state: {
            let code: String = r.try_get("state")?;
            ContractState::parse(&code)
                .ok_or_else(|| StoreError::Corrupt(format!("état de contrat inconnu « {code} »")))?
        },
        receipt: receipt_from_row(r)?,
        hearing_requested_on: parse_date(r.try_get("hearing_requested_on")?)?,
        hearing_on: parse_date(r.try_get("hearing_on")?)?,
        decided_on: parse_date(r.try_get("decided_on")?)?,
        decided_by: r.try_get("decided_by_name")?,
        volets,
        amendments,
    })
}

/// Each row of [`select_contracts`] completed.
async fn complete_all(conn: &mut AnyConnection, rows: &[AnyRow]) -> Result<Vec<Contract>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(complete(conn, r).await?);
    }
    Ok(out)
}

async fn load_in(conn: &mut AnyConnection, id: &ContractId) -> Result<Contract> {
    let row = sqlx::query(&select_contracts("WHERE c.id = $1"))
        .bind(id.clone())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("contrat"))?;
    complete(conn, &row).await
}

/// Ends a write in its transaction: the guarded UPDATE must have touched the
/// row (someone may have answered in between), then the audit line.
async fn finish(
    conn: &mut AnyConnection,
    rows_affected: u64,
    user: &User,
    action: &'static str,
    before: &Contract,
) -> Result<Contract> {
    if rows_affected != 1 {
        return Err(StaleConflict::ContractChanged.into());
    }
    let after = load_in(conn, &before.id).await?;
    let line = AuditLine {
        region: Some(&after.region),
        action,
        object_kind: "contrat",
        object_id: after.id.as_str(),
        before: Some(contract_json(before)),
        after: Some(contract_json(&after)),
    };
    record(conn, &Actor::user(user), line).await?;
    let event = match action {
        "contrat.demander_audition" => Some(Event::AuditionDemandee),
        "contrat.fixer_audition" => Some(Event::AuditionFixee),
        "contrat.signer" => Some(Event::ContratSigne),
        "contrat.refuser" => Some(Event::ContratRefuse),
        "contrat.avenant" | "contrat.resilier_volet" => Some(Event::AvenantEnregistre),
        _ => None,
    };
    if let Some(event) = event {
        let finess = after.entity.to_string();
        emit(
            conn,
            event,
            About::Entity(&finess),
            &format!("/contrats/{finess}"),
        )
        .await?;
    }
    Ok(after)
}

impl Store {
    /// Every proposed contract (for the signature and hearing reminders).
    pub async fn proposed_contracts(&self) -> Result<Vec<Contract>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(&select_contracts(
            "WHERE c.state = 'propose' ORDER BY c.created_at, c.id",
        ))
        .fetch_all(&mut *conn)
        .await?;
        complete_all(&mut conn, &rows).await
    }

    /// Every contract of a region (latest first per entity), for the ARS's table.
    pub async fn contracts_in_region(&self, region: &RegionCode) -> Result<Vec<Contract>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(&select_contracts(
            "WHERE c.region = $1 ORDER BY e.name, c.created_at DESC",
        ))
        .bind(region.to_string())
        .fetch_all(&mut *conn)
        .await?;
        complete_all(&mut conn, &rows).await
    }

    /// The current contract of an entity: the live one (proposed or signed),
    /// otherwise the latest refused one.
    pub async fn contract_of(&self, entity: &Finess) -> Result<Option<Contract>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&select_contracts(
            "WHERE c.entity = $1 \
             ORDER BY CASE WHEN c.state = 'refuse' THEN 1 ELSE 0 END, c.created_at DESC LIMIT 1",
        ))
        .bind(entity.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            Some(r) => Ok(Some(complete(&mut conn, &r).await?)),
            None => Ok(None),
        }
    }
}
