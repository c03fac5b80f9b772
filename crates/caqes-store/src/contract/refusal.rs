//! The procedure of the sanction for refusing to sign the contract (issue 11):
//! the ARS opens it once the contract is refused, or réputé refusé at the end
//! of the signature period (the contract is then recorded as refused on the
//! period's last day), decides the sanction (basis, amount, motivation) and
//! notifies it; the notification goes to the établissement through the outbox,
//! and its receipt (electronic or paper) starts the appeal deadline. Every rule
//! is `caqes_core::refusal`'s; every write is one transaction with its audit line.

use crate::parse_region;
use caqes_core::calendar::{CalendarParameters, paris_date};
use caqes_core::notification::Event;
use caqes_core::refusal::{
    self, RefusalError, RefusalGround, RefusalState, RefusalStep, check_notification, may_open,
};
use caqes_core::sanction::{Basis, SanctionBasis, SanctionParameters};
use caqes_core::{Euros, Finess, RegionCode};
use jiff::civil::Date;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::accounts::require_role;
use crate::admin::audit::AuditLine;
use crate::admin::audited_write::Notice;
use crate::conflict::{ContractConflict, StaleConflict};
use crate::contract::Contract;
use crate::model::ids::{ContractId, RefusalId};
use crate::notify::About;
use crate::notify::receipt::{
    RECEIPT_COLUMNS, Receipt, ReceiptKind, receipt_from_row, receipt_join,
};
use crate::{Actor, Result, Role, Store, StoreError, User, new_id, now_text, parse_decimal};

/// A refusal procedure as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalSanction {
    pub id: RefusalId,
    pub contract: ContractId,
    pub entity: Finess,
    pub region: RegionCode,
    pub ground: RefusalGround,
    pub state: RefusalState,
    pub opened_at: String,
    /// The basis chosen, with its amount (once decided).
    pub basis: Option<SanctionBasis>,
    /// The ceiling of the basis (once decided).
    pub ceiling: Option<Euros>,
    pub amount: Option<Euros>,
    pub motivation: Option<String>,
    /// Display name of the decider.
    pub decided_by: Option<String>,
    pub notified_on: Option<Date>,
    /// When the établissement received the notification: the appeal deadline runs from it.
    pub receipt: Option<Receipt>,
}

impl RefusalSanction {
    pub fn is_notified(&self) -> bool {
        self.state == RefusalState::Notifiee
    }
}

/// A step asked before the procedure is opened: the user's mistake, in scope.
fn not_opened() -> StoreError {
    StoreError::from(ContractConflict::RefusalNotOpened)
}

fn rule(e: RefusalError) -> StoreError {
    ContractConflict::Refusal(e).into()
}

fn basis_code(b: SanctionBasis) -> &'static str {
    match b {
        SanctionBasis::ProduitsAm(_) => "produits_am",
        SanctionBasis::ListeEnSus(_) => "liste_en_sus",
    }
}

fn json_of(r: &RefusalSanction) -> serde_json::Value {
    json!({
        "contrat": r.contract,
        "motif": r.ground.code(),
        "etat": r.state.code(),
        "assiette": r.basis.map(basis_code),
        "montant_assiette": r.basis.map(|b| b.amount().amount().to_string()),
        "plafond": r.ceiling.map(|e| e.amount().to_string()),
        "montant": r.amount.map(|e| e.amount().to_string()),
        "motivation": r.motivation,
        "notifie_le": r.notified_on.map(|d| d.to_string()),
    })
}

fn from_row(r: &AnyRow) -> Result<RefusalSanction> {
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("{what} « {v} »"));
    let ground: String = r.try_get("ground")?;
    let state: String = r.try_get("state")?;
    let basis_kind: Option<String> = r.try_get("basis_kind")?;
    let basis_amount = parse_decimal(r.try_get("basis_amount")?)?.map(Euros);
    let basis = match (basis_kind.as_deref(), basis_amount) {
        (Some("produits_am"), Some(a)) => Some(SanctionBasis::ProduitsAm(a)),
        (Some("liste_en_sus"), Some(a)) => Some(SanctionBasis::ListeEnSus(a)),
        (None, _) => None,
        (Some(k), _) => return Err(corrupt("assiette", k)),
    };
    let notified: Option<String> = r.try_get("notified_on")?;
    let entity: String = r.try_get("entity")?;
    Ok(RefusalSanction {
        id: r.try_get("id")?,
        contract: r.try_get("contract")?,
        entity: crate::parse_finess(&entity)?,
        region: parse_region(&r.try_get::<String, _>("region")?)?,
        ground: RefusalGround::parse(&ground).ok_or_else(|| corrupt("motif", &ground))?,
        state: RefusalState::parse(&state).ok_or_else(|| corrupt("état", &state))?,
        opened_at: r.try_get("opened_at")?,
        basis,
        ceiling: parse_decimal(r.try_get("ceiling")?)?.map(Euros),
        amount: parse_decimal(r.try_get("amount")?)?.map(Euros),
        motivation: r.try_get("motivation")?,
        decided_by: r.try_get("decided_by_name")?,
        notified_on: notified
            .map(|t| t.parse().map_err(|_| corrupt("date", &t)))
            .transpose()?,
        receipt: receipt_from_row(r)?,
    })
}

async fn load_in(
    conn: &mut AnyConnection,
    contract: &ContractId,
) -> Result<Option<RefusalSanction>> {
    let row = sqlx::query(&format!(
        "SELECT r.*, u.display_name AS decided_by_name, {RECEIPT_COLUMNS} \
         FROM refusal_sanctions r LEFT JOIN users u ON u.id = r.decided_by {} \
         WHERE r.contract = $1",
        receipt_join(ReceiptKind::SanctionRefus, "r.id")
    ))
    .bind(contract.clone())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The ARS of the contract's region; anyone else in the region is refused
/// (403 on the page), anyone outside it gets « not found ».
fn require_ars(user: &User, contract: &Contract, action: &'static str) -> Result<()> {
    let in_scope = match user.role {
        Role::Etablissement => user.entity == Some(contract.entity),
        Role::Ars | Role::AssuranceMaladie | Role::Omedit => user.region == Some(contract.region),
        Role::Admin => false,
    };
    if !in_scope {
        return Err(StoreError::NotFound("contrat"));
    }
    require_role(user, Role::Ars, action)
}

/// The procedure of `contract` as read in a write's transaction: none is a refusal (not
/// opened).
async fn opened_in(conn: &mut AnyConnection, contract: &ContractId) -> Result<RefusalSanction> {
    load_in(conn, contract).await?.ok_or_else(not_opened)
}

/// The procedure as the write left it, read again in its transaction for its audit line.
async fn written_in(conn: &mut AnyConnection, contract: &ContractId) -> Result<RefusalSanction> {
    load_in(conn, contract)
        .await?
        .ok_or(StoreError::NotFound("procédure de refus"))
}

/// The audit line of a step of the procedure: the procedure before and after it.
fn audit_line<'a>(
    action: &'a str,
    before: Option<&RefusalSanction>,
    after: &'a RefusalSanction,
) -> AuditLine<'a> {
    AuditLine {
        region: Some(&after.region),
        action,
        object_kind: "sanction_refus",
        object_id: after.id.as_str(),
        before: before.map(json_of),
        after: Some(json_of(after)),
    }
}

impl Store {
    /// The refusal procedure of a contract, if opened.
    pub async fn refusal_of(&self, contract: &ContractId) -> Result<Option<RefusalSanction>> {
        let mut conn = self.pool.acquire().await?;
        load_in(&mut conn, contract).await
    }

    /// The ARS opens the procedure on `today`: the contract is refused, or its
    /// signature period ended without a signature (réputé refusé: the contract
    /// is then recorded as refused on the period's last day, in the same
    /// transaction).
    pub async fn open_refusal(
        &self,
        user: &User,
        contract: &Contract,
        today: Date,
    ) -> Result<RefusalSanction> {
        require_ars(user, contract, "Ouvrir la procédure de sanction pour refus")?;
        let params = CalendarParameters::default();
        let period = match contract.received_on() {
            Some(_) => Some(contract.signature_period(&params)?),
            None => None,
        };
        let pending = period.is_some() && contract.hearing_pending(&params)?;
        let ground = may_open(contract.state, period.as_ref(), pending, today).map_err(rule)?;
        let mut w = self.audited_write().await?;
        if load_in(w.conn(), &contract.id).await?.is_some() {
            return Err(ContractConflict::RefusalAlreadyOpened.into());
        }
        if ground == RefusalGround::DeemedRefused {
            let last_day = period
                .map(|p| p.fin)
                .ok_or_else(|| rule(RefusalError::NotReceived))?;
            w.guarded(
                sqlx::query(
                    "UPDATE contracts SET state = 'refuse', decided_on = $1 WHERE id = $2 AND state = 'propose'",
                )
                .bind(last_day.to_string())
                .bind(contract.id.clone()),
                StaleConflict::ContractChanged,
            )
            .await?;
        }
        let id = RefusalId::from(new_id());
        w.execute(
            sqlx::query(
                "INSERT INTO refusal_sanctions (id, contract, entity, region, ground, state, opened_by, opened_at) \
                 VALUES ($1, $2, $3, $4, $5, 'ouverte', $6, $7)",
            )
            .bind(id.clone())
            .bind(contract.id.clone())
            .bind(contract.entity.to_string())
            .bind(contract.region.to_string())
            .bind(ground.code())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        let after = written_in(w.conn(), &contract.id).await?;
        w.commit(
            &Actor::user(user),
            audit_line("sanction_refus.ouvrir", None, &after),
            None,
        )
        .await?;
        Ok(after)
    }

    /// The DG ARS decides the sanction on `basis` (its amount is the entity's
    /// AM figure): the ceiling, or a lower `amount` with a motivation. May be
    /// decided again until notified.
    pub async fn decide_refusal(
        &self,
        user: &User,
        contract: &Contract,
        basis: Basis,
        amount: Option<Euros>,
        motivation: Option<&str>,
    ) -> Result<RefusalSanction> {
        require_ars(user, contract, "Décider la sanction pour refus")?;
        // The procedure first (checked again in the transaction), then its basis.
        if self.refusal_of(&contract.id).await?.is_none() {
            return Err(not_opened());
        }
        let figures = self.am_figures(&contract.entity).await?;
        let basis = match basis {
            Basis::ListeEnSus => figures.liste_en_sus.map(SanctionBasis::ListeEnSus),
            _ => figures.am_revenue.map(SanctionBasis::ProduitsAm),
        }
        .ok_or(ContractConflict::BasisUnknown)?;
        let volets: Vec<_> = contract.volets.iter().map(|v| v.volet).collect();
        let decision = refusal::decide(
            &SanctionParameters::default(),
            basis,
            &volets,
            amount,
            motivation,
        )
        .map_err(rule)?;
        let mut w = self.audited_write().await?;
        let before = opened_in(w.conn(), &contract.id).await?;
        let to = refusal::next(before.state, RefusalStep::Decide).map_err(rule)?;
        w.guarded(
            sqlx::query(
            "UPDATE refusal_sanctions SET state = $1, basis_kind = $2, basis_amount = $3, ceiling = $4, \
             amount = $5, motivation = $6, decided_by = $7, decided_at = $8 \
             WHERE id = $9 AND state <> 'notifiee'",
        )
        .bind(to.code())
        .bind(basis_code(basis))
        .bind(basis.amount().amount().to_string())
        .bind(decision.proposal().ceiling().amount().to_string())
        .bind(decision.final_amount().amount().to_string())
        .bind(decision.motivation().map(str::to_owned))
        .bind(user.id.clone())
        .bind(now_text())
        .bind(before.id.clone()),
            StaleConflict::RefusalSanctionNotified,
        )
        .await?;
        let after = written_in(w.conn(), &contract.id).await?;
        w.commit(
            &Actor::user(user),
            audit_line("sanction_refus.decider", Some(&before), &after),
            None,
        )
        .await?;
        Ok(after)
    }

    /// The ARS notifies the decided sanction on `on` (not before the day after
    /// the end of the signature period, not in the future); the établissement
    /// is told through the outbox, in the same transaction.
    pub async fn notify_refusal(
        &self,
        user: &User,
        contract: &Contract,
        on: Date,
    ) -> Result<RefusalSanction> {
        require_ars(user, contract, "Notifier la sanction pour refus")?;
        let period = contract.signature_period(&CalendarParameters::default())?;
        check_notification(&period, on).map_err(rule)?;
        if on > paris_date(jiff::Timestamp::now()) {
            return Err(ContractConflict::NotificationInFuture.into());
        }
        let mut w = self.audited_write().await?;
        let before = opened_in(w.conn(), &contract.id).await?;
        let to = refusal::next(before.state, RefusalStep::Notify).map_err(rule)?;
        w.guarded(
            sqlx::query(
                "UPDATE refusal_sanctions SET state = $1, notified_on = $2 WHERE id = $3 AND state = 'decidee'",
            )
            .bind(to.code())
            .bind(on.to_string())
            .bind(before.id.clone()),
            StaleConflict::RefusalProcedureChanged,
        )
        .await?;
        let after = written_in(w.conn(), &contract.id).await?;
        let finess = after.entity.to_string();
        let link = format!("/contrats/{finess}");
        let notice = Notice {
            event: Event::SanctionRefusNotifiee,
            about: About::Entity(&finess),
            link: &link,
        };
        w.commit(
            &Actor::user(user),
            audit_line("sanction_refus.notifier", Some(&before), &after),
            Some(notice),
        )
        .await?;
        Ok(after)
    }
}
