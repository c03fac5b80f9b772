//! The life cycle every additional volet's decision goes through, whatever the
//! volet: the ARS records the evaluation (the engine computes the consequence),
//! the Assurance Maladie gives its opinion, the DG ARS decides within the
//! engine's bounds and with a motivation when departing from the proposal, the
//! ARS notifies (the version is then frozen, by the store and by a trigger) and
//! a correction is version n+1 with its reason. Every write is audited in its
//! transaction, with the before and after values.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, IV.b: « Le directeur général de l'ARS […]
//! après avis de l'organisme local d'assurance maladie, […] notifie » and « les
//! modulations sont motivées par le directeur général de l'ARS ».
//!
//! One table (`volet_decisions`) holds every volet; what differs is the
//! evaluation, described by a [`VoletKind`]: `volet_decisions` (transports),
//! `quality_decisions` (qualité), `pertinence_decisions` (pertinence).

use std::fmt::Debug;

use caqes_core::referentiel::Referentiel;
use caqes_core::sanction::{Basis, Decision, Nature, Proposal};
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{MsapDecision, MsapPeriod, msap_period};
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use caqes_core::notification::Event;

use crate::accounts::require_role;
use crate::admin::audit::{AuditLine, ChainHead, chain_head};
use crate::admin::audited_write::{AuditedWrite, Notice};
use crate::conflict::{DecisionConflict, StaleConflict, VoletConflict};
use crate::dossier::decision::{Opinion, clean};
use crate::model::ids::{CampaignId, VoletDecisionId};
use crate::notify::About;
use crate::notify::receipt::{
    RECEIPT_COLUMNS, Receipt, ReceiptKind, receipt_from_row, receipt_join,
};
use crate::targeting::TargetingStatus;
use crate::{
    Actor, Campaign, Result, Role, Store, StoreError, User, new_id, now_text, parse_decimal,
};

/// The consequence the engine gives (column `outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoletOutcome {
    Interessement,
    NiInteressementNiSanction,
    Sanction,
    /// Pertinence volet only: no amount, a duration.
    MiseSousAccordPrealable,
}

impl VoletOutcome {
    const ALL: [VoletOutcome; 4] = [
        VoletOutcome::Interessement,
        VoletOutcome::NiInteressementNiSanction,
        VoletOutcome::Sanction,
        VoletOutcome::MiseSousAccordPrealable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            VoletOutcome::Interessement => "interessement",
            VoletOutcome::NiInteressementNiSanction => "ni_interessement_ni_sanction",
            VoletOutcome::Sanction => "sanction",
            VoletOutcome::MiseSousAccordPrealable => "mise_sous_accord_prealable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VoletOutcome::Interessement => "Intéressement",
            VoletOutcome::NiInteressementNiSanction => "Ni intéressement, ni sanction",
            VoletOutcome::Sanction => "Sanction",
            VoletOutcome::MiseSousAccordPrealable => "Mise sous accord préalable",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// A value written to one column of `volet_decisions`.
#[derive(Clone, Debug)]
pub(crate) enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Cell {
    pub(crate) fn text(value: impl ToString) -> Cell {
        Cell::Text(Some(value.to_string()))
    }
}

/// What the engine computed from an evaluation: the volet-specific columns and
/// the consequence.
pub(crate) struct Computed {
    pub(crate) cells: Vec<(&'static str, Cell)>,
    pub(crate) outcome: VoletOutcome,
    pub(crate) proposal: Option<Proposal>,
    pub(crate) am_revenue: Euros,
}

/// One additional volet: its code in the table, the engine's volet, and how its
/// evaluation is read back and shown in the audit log.
pub trait VoletKind: Send + Sync + 'static {
    type Evaluation: Clone + Debug + PartialEq + Send + Sync;
    /// The `volet` column.
    const CODE: &'static str;
    const VOLET: Volet;
    /// The action named when someone other than the ARS tries to decide.
    const DECIDE_ACTION: &'static str;
    fn evaluation_from_row(row: &AnyRow) -> Result<Self::Evaluation>;
    /// The evaluation's fields for the audit log (a JSON object).
    fn evaluation_json(evaluation: &Self::Evaluation) -> serde_json::Value;
    /// The MSAP duration the contract fixed, when the consequence is an MSAP.
    fn msap_months(_evaluation: &Self::Evaluation) -> Option<u8> {
        None
    }
}

/// One version of a volet's decision for an entity in a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoletVersion<E> {
    pub id: VoletDecisionId,
    pub campaign: CampaignId,
    pub entity: Finess,
    pub version: i64,
    pub evaluation: E,
    pub outcome: VoletOutcome,
    pub am_revenue: Euros,
    /// `None` for « ni intéressement, ni sanction » and for an MSAP.
    pub proposal: Option<Proposal>,
    pub opinion: Option<Opinion>,
    pub opinion_comment: Option<String>,
    pub opinion_by: Option<String>,
    pub final_amount: Option<Euros>,
    /// The MSAP duration decided (0: not pronounced); MSAP only.
    pub final_msap_months: Option<u8>,
    pub motivation: Option<String>,
    pub decided_by: Option<String>,
    pub notified_on: Option<Date>,
    pub correction_reason: Option<String>,
    pub created_at: String,
    /// When the establishment received the notified version: the appeal
    /// deadlines run from that day.
    pub receipt: Option<Receipt>,
}

impl<E> VoletVersion<E> {
    /// Once notified, a version never changes.
    pub fn is_frozen(&self) -> bool {
        self.notified_on.is_some()
    }

    /// Whether the DG ARS has decided on this version.
    pub fn is_decided(&self) -> bool {
        self.final_amount.is_some()
    }

    /// The days a notified MSAP runs.
    pub fn msap_period(&self) -> Option<MsapPeriod> {
        msap_period(self.notified_on?, self.final_msap_months?)
    }
}

/// What the DG ARS decides: an amount, or the duration of an MSAP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalDecision {
    Amount(Euros),
    MsapMonths(u8),
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} « {value} »"))
}

pub(crate) fn euros(r: &AnyRow, col: &str) -> Result<Euros> {
    Ok(Euros(
        parse_decimal(r.try_get(col)?)?.ok_or_else(|| corrupt("montant absent", col))?,
    ))
}

fn select() -> String {
    format!(
        "SELECT d.*, uo.display_name AS opinion_by_name, ud.display_name AS decided_by_name, \
         {RECEIPT_COLUMNS} FROM volet_decisions d \
         LEFT JOIN users uo ON uo.id = d.opinion_by LEFT JOIN users ud ON ud.id = d.decided_by {}",
        receipt_join(ReceiptKind::DecisionVolet, "d.id")
    )
}

fn from_row<V: VoletKind>(r: &AnyRow) -> Result<VoletVersion<V::Evaluation>> {
    let outcome: String = r.try_get("outcome")?;
    let outcome =
        VoletOutcome::parse(&outcome).ok_or_else(|| corrupt("issue inconnue", &outcome))?;
    let nature: Option<String> = r.try_get("nature")?;
    let basis: Option<String> = r.try_get("basis_kind")?;
    let proposal = match nature.as_deref() {
        None => None,
        Some(n) => {
            let nature = match n {
                "interessement" => Nature::Interessement,
                "sanction" => Nature::Sanction,
                other => return Err(corrupt("nature inconnue", other)),
            };
            let basis = match basis.as_deref() {
                Some("economies") => Basis::Economies,
                Some("produits_am") => Basis::ProduitsAm,
                Some("plafond_contractuel") => Basis::PlafondContractuel,
                other => return Err(corrupt("assiette inconnue", other.unwrap_or(""))),
            };
            Some(
                Proposal::new(
                    nature,
                    basis,
                    euros(r, "ceiling")?,
                    euros(r, "proposed_amount")?,
                )
                .map_err(crate::unreadable("proposition d'un volet"))?,
            )
        }
    };
    let opinion: Option<String> = r.try_get("opinion")?;
    let notified_on: Option<String> = r.try_get("notified_on")?;
    let final_msap: Option<i64> = r.try_get("final_msap_months")?;
    Ok(VoletVersion {
        id: r.try_get("id")?,
        campaign: r.try_get("campaign")?,
        entity: crate::parse_finess(&r.try_get::<String, _>("entity")?)?,
        version: r.try_get("version")?,
        evaluation: V::evaluation_from_row(r)?,
        outcome,
        am_revenue: euros(r, "am_revenue")?,
        proposal,
        opinion: opinion
            .map(|o| Opinion::parse(&o).ok_or_else(|| corrupt("avis inconnu", &o)))
            .transpose()?,
        opinion_comment: r.try_get("opinion_comment")?,
        opinion_by: r.try_get("opinion_by_name")?,
        final_amount: parse_decimal(r.try_get("final_amount")?)?.map(Euros),
        final_msap_months: final_msap
            .map(|m| u8::try_from(m).map_err(|_| corrupt("durée illisible", &m.to_string())))
            .transpose()?,
        motivation: r.try_get("motivation")?,
        decided_by: r.try_get("decided_by_name")?,
        notified_on: notified_on
            .map(|t| t.parse().map_err(|_| corrupt("date illisible", &t)))
            .transpose()?,
        correction_reason: r.try_get("correction_reason")?,
        created_at: r.try_get("created_at")?,
        receipt: receipt_from_row(r)?,
    })
}

fn version_json<V: VoletKind>(d: &VoletVersion<V::Evaluation>) -> serde_json::Value {
    let mut value = json!({
        "volet": V::CODE,
        "version": d.version,
        "issue": d.outcome.code(),
        "produits_am": d.am_revenue.amount().to_string(),
        "plafond": d.proposal.map(|p| p.ceiling().amount().to_string()),
        "montant_propose": d.proposal.map(|p| p.amount().amount().to_string()),
        "avis": d.opinion.map(Opinion::code),
        "commentaire_avis": d.opinion_comment,
        "montant_final": d.final_amount.map(|e| e.amount().to_string()),
        "duree_msap_decidee_mois": d.final_msap_months,
        "motivation": d.motivation,
        "notifiee_le": d.notified_on.map(|n| n.to_string()),
        "motif_correction": d.correction_reason,
    });
    if let (Some(all), serde_json::Value::Object(own)) =
        (value.as_object_mut(), V::evaluation_json(&d.evaluation))
    {
        all.extend(own);
    }
    value
}

pub(crate) async fn latest_in<V: VoletKind>(
    conn: &mut AnyConnection,
    campaign: &CampaignId,
    entity: &Finess,
) -> Result<Option<VoletVersion<V::Evaluation>>> {
    let row = sqlx::query(&format!(
        "{} WHERE d.campaign = $1 AND d.entity = $2 AND d.volet = $3 \
         ORDER BY d.version DESC LIMIT 1",
        select()
    ))
    .bind(campaign.to_owned())
    .bind(entity.to_string())
    .bind(V::CODE)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row::<V>).transpose()
}

/// The regional user's campaign check: another region is « not found ».
pub(crate) fn ensure_region(user: &User, campaign: &Campaign) -> Result<()> {
    if user.region != Some(campaign.region) {
        return Err(StoreError::NotFound("campagne"));
    }
    Ok(())
}

fn ensure_open<E>(d: &VoletVersion<E>) -> Result<()> {
    if d.is_frozen() {
        return Err(DecisionConflict::Frozen { version: d.version }.into());
    }
    Ok(())
}

/// The latest version if there is one (`missing` otherwise) and it is still
/// open.
fn open<E>(
    current: Option<&VoletVersion<E>>,
    missing: impl FnOnce() -> StoreError,
) -> Result<&VoletVersion<E>> {
    let current = current.ok_or_else(missing)?;
    ensure_open(current)?;
    Ok(current)
}

/// After a guarded write: exactly one row touched (otherwise the version was
/// notified in between), reload, and commit with the audit line (the before and
/// after values) and, for the steps someone waits for, the notification.
async fn commit_version<V: VoletKind>(
    mut w: AuditedWrite,
    rows_affected: u64,
    (user, campaign, entity): (&User, &Campaign, &Finess),
    action: &'static str,
    before: Option<serde_json::Value>,
) -> Result<VoletVersion<V::Evaluation>> {
    if rows_affected != 1 {
        return Err(StaleConflict::DecisionNotified.into());
    }
    let after = latest_in::<V>(w.conn(), &campaign.id, entity)
        .await?
        .ok_or(StoreError::NotFound("décision"))?;
    let object_id = format!("{}/{}/{}", campaign.id, entity, V::CODE);
    let line = AuditLine {
        region: Some(&campaign.region),
        action,
        object_kind: "volet_additionnel",
        object_id: &object_id,
        before,
        after: Some(version_json::<V>(&after)),
    };
    let event = match action {
        "volet.evaluer" => Some(Event::AvisAmAttendu(V::VOLET)),
        "volet.avis_am" => Some(Event::AvisAmDonne(V::VOLET)),
        "volet.notifier" => Some(Event::DecisionNotifiee(V::VOLET)),
        _ => None,
    };
    let finess = entity.to_string();
    let link = format!(
        "/campagnes/{}/dossiers/{finess}/volets/{}",
        campaign.id,
        V::CODE
    );
    let notice = event.map(|event| Notice {
        event,
        about: About::Entity(&finess),
        link: &link,
    });
    w.commit(&Actor::user(user), line, notice).await?;
    Ok(after)
}

/// The decision as stored: the amount (0 for an MSAP), the MSAP duration, the
/// motivation.
struct Bounded {
    amount: Euros,
    msap_months: Option<u8>,
    motivation: Option<String>,
}

/// The DG ARS's decision bounded by the engine: `Decision::modulated` on the
/// proposal; without a proposal (« ni intéressement, ni sanction ») only 0 €;
/// for an MSAP, `MsapDecision` on the contract's duration.
fn bounded<V: VoletKind>(
    d: &VoletVersion<V::Evaluation>,
    decision: FinalDecision,
    motivation: Option<&str>,
) -> Result<Bounded> {
    match (d.outcome, decision) {
        (VoletOutcome::MiseSousAccordPrealable, FinalDecision::MsapMonths(months)) => {
            let proposed = V::msap_months(&d.evaluation)
                .ok_or_else(|| StoreError::Corrupt("durée de MSAP absente".into()))?;
            let msap =
                MsapDecision::new(proposed, months, motivation).map_err(VoletConflict::Rules)?;
            Ok(Bounded {
                amount: Euros::ZERO,
                msap_months: Some(msap.months()),
                motivation: msap.motivation().map(str::to_owned),
            })
        }
        (VoletOutcome::MiseSousAccordPrealable, FinalDecision::Amount(_)) => {
            Err(VoletConflict::MsapInMonths.into())
        }
        (_, FinalDecision::MsapMonths(_)) => Err(VoletConflict::MonthsOnlyForMsap.into()),
        (_, FinalDecision::Amount(amount)) => {
            let proposal = match d.proposal {
                Some(p) => p,
                None if amount.amount().is_zero() => {
                    // A zero sanction with a zero ceiling records « ni… ni… » as a decision.
                    Proposal::new(
                        Nature::Sanction,
                        Basis::ProduitsAm,
                        Euros::ZERO,
                        Euros::ZERO,
                    )
                    .map_err(DecisionConflict::Sanction)?
                }
                None => {
                    return Err(VoletConflict::ZeroOnly.into());
                }
            };
            let decision = Decision::modulated(V::VOLET, proposal, amount, motivation)
                .map_err(DecisionConflict::Sanction)?;
            Ok(Bounded {
                amount: decision.final_amount(),
                msap_months: None,
                motivation: decision.motivation().map(str::to_owned),
            })
        }
    }
}

/// Every column of `volet_decisions` except the identity, version, decision,
/// notification and correction ones: what a correction copies from the frozen
/// version.
const COPIED: &str = "campaign, entity, volet, main_target_met, optional_objective, forecast_spending, \
     observed_spending, am_revenue, action_plan_progress, targeted_risks, objectives, share_met, \
     sanction_kind, msap_months, incentive_ceiling, modulation, outcome, savings, nature, basis_kind, \
     ceiling, proposed_amount, opinion, opinion_comment, opinion_by, opinion_at";

fn bind_cell<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    cell: Cell,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match cell {
        Cell::Text(t) => q.bind(t),
        Cell::Int(i) => q.bind(i),
    }
}

/// `UPDATE volet_decisions SET <cells> WHERE id = <id> AND <guard>`, the cells bound
/// in order; the rows touched (the caller's guard decides what 0 means).
async fn update_version(
    conn: &mut AnyConnection,
    cells: Vec<(&'static str, Cell)>,
    id: &VoletDecisionId,
    guard: &str,
) -> Result<u64> {
    let sets: Vec<String> = cells
        .iter()
        .enumerate()
        .map(|(i, (col, _))| format!("{col} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE volet_decisions SET {} WHERE id = ${} AND {guard}",
        sets.join(", "),
        cells.len() + 1
    );
    let mut q = sqlx::query(&sql);
    for (_, cell) in cells {
        q = bind_cell(q, cell);
    }
    Ok(q.bind(id.clone())
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

impl Store {
    /// Whether the ARS confirmed `entity` as targeted for the volet `V`.
    pub async fn is_volet_targeted<V: VoletKind>(
        &self,
        campaign: &CampaignId,
        entity: &Finess,
    ) -> Result<bool> {
        let status: Option<String> = sqlx::query(
            "SELECT status FROM volet_targeting WHERE campaign = $1 AND entity = $2 AND volet = $3",
        )
        .bind(campaign.to_owned())
        .bind(entity.to_string())
        .bind(V::CODE)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get("status"))
        .transpose()?;
        Ok(status.as_deref() == Some(TargetingStatus::Cible.code()))
    }

    /// What every evaluation of `V` checks first: the ARS of the campaign's
    /// region (`action` names the write in the refusal), an entity it confirmed
    /// as targeted; gives the campaign's référentiel, whose parameters the engine
    /// reads.
    pub(crate) async fn evaluation_referentiel<V: VoletKind>(
        &self,
        (user, campaign, entity): (&User, &Campaign, &Finess),
        action: &'static str,
    ) -> Result<Referentiel> {
        require_role(user, Role::Ars, action)?;
        ensure_region(user, campaign)?;
        if !self.is_volet_targeted::<V>(&campaign.id, entity).await? {
            return Err(VoletConflict::NotTargeted {
                entity: entity.to_string(),
                volet: V::VOLET,
            }
            .into());
        }
        self.referentiel(&campaign.referentiel_id)
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("référentiel {} inconnu", campaign.referentiel_id))
            })
    }

    /// Every version of a volet's decision for an entity, oldest first.
    pub async fn volet_versions<V: VoletKind>(
        &self,
        campaign: &CampaignId,
        entity: &Finess,
    ) -> Result<Vec<VoletVersion<V::Evaluation>>> {
        let rows = sqlx::query(&format!(
            "{} WHERE d.campaign = $1 AND d.entity = $2 AND d.volet = $3 ORDER BY d.version",
            select()
        ))
        .bind(campaign.to_owned())
        .bind(entity.to_string())
        .bind(V::CODE)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row::<V>).collect()
    }

    /// Writes an evaluation in its own transaction (`tx`): creates version 1, or
    /// replaces the open version's figures as long as the AM has not given its
    /// opinion on them. The caller checked role, region and targeting.
    pub(crate) async fn write_volet_evaluation<V: VoletKind>(
        &self,
        mut w: AuditedWrite,
        (user, campaign, entity): (&User, &Campaign, &Finess),
        computed: Computed,
    ) -> Result<VoletVersion<V::Evaluation>> {
        let current = latest_in::<V>(w.conn(), &campaign.id, entity).await?;
        let before = current.as_ref().map(version_json::<V>);
        let p = computed.proposal;
        let mut cells = computed.cells;
        cells.extend([
            ("am_revenue", Cell::text(computed.am_revenue.amount())),
            ("outcome", Cell::text(computed.outcome.code())),
            (
                "nature",
                Cell::Text(p.map(|p| {
                    match p.nature() {
                        Nature::Interessement => "interessement",
                        Nature::Sanction => "sanction",
                    }
                    .to_owned()
                })),
            ),
            (
                "basis_kind",
                Cell::Text(p.map(|p| {
                    match p.basis() {
                        Basis::Economies => "economies",
                        Basis::PlafondContractuel => "plafond_contractuel",
                        Basis::ProduitsAm | Basis::ListeEnSus => "produits_am",
                    }
                    .to_owned()
                })),
            ),
            (
                "ceiling",
                Cell::text(p.map_or(Decimal::ZERO, |p| p.ceiling().amount())),
            ),
            (
                "proposed_amount",
                Cell::text(p.map_or(Decimal::ZERO, |p| p.amount().amount())),
            ),
        ]);
        let updated = match &current {
            Some(d) => {
                ensure_open(d)?;
                if d.opinion.is_some() {
                    // The AM gave its opinion on these figures: changing them is a correction.
                    return Err(VoletConflict::OpinionGiven { version: d.version }.into());
                }
                update_version(
                    w.conn(),
                    cells,
                    &d.id,
                    "notified_on IS NULL AND opinion IS NULL",
                )
                .await?
            }
            None => {
                cells.extend([
                    ("id", Cell::text(new_id())),
                    ("campaign", Cell::text(&campaign.id)),
                    ("entity", Cell::text(entity)),
                    ("volet", Cell::text(V::CODE)),
                    ("version", Cell::Int(Some(1))),
                    ("created_by", Cell::text(&user.id)),
                    ("created_at", Cell::text(now_text())),
                ]);
                let columns: Vec<&str> = cells.iter().map(|(c, _)| *c).collect();
                let params: Vec<String> = (1..=cells.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO volet_decisions ({}) VALUES ({})",
                    columns.join(", "),
                    params.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for (_, cell) in cells {
                    q = bind_cell(q, cell);
                }
                w.execute(q).await?
            }
        };
        commit_version::<V>(
            w,
            updated,
            (user, campaign, entity),
            "volet.evaluer",
            before,
        )
        .await
    }

    /// One guarded write on the open version: `prepare` checks the latest
    /// version (see [`open`]) and gives the columns to set; the UPDATE touches it
    /// only while it is not notified, and the audit line is written in the same
    /// transaction. `prepare` also gets the audit chain's head, which the line
    /// written by this update will follow (a notification records it).
    async fn update_open<V: VoletKind>(
        &self,
        (user, campaign, entity): (&User, &Campaign, &Finess),
        action: &'static str,
        prepare: impl FnOnce(
            Option<&VoletVersion<V::Evaluation>>,
            ChainHead,
        ) -> Result<Vec<(&'static str, Cell)>>,
    ) -> Result<VoletVersion<V::Evaluation>> {
        let mut w = self.audited_write().await?;
        let current = latest_in::<V>(w.conn(), &campaign.id, entity).await?;
        let head = chain_head(w.conn()).await?;
        let cells = prepare(current.as_ref(), head)?;
        let Some(current) = current else {
            return Err(StoreError::NotFound("décision"));
        };
        let updated = update_version(w.conn(), cells, &current.id, "notified_on IS NULL").await?;
        commit_version::<V>(
            w,
            updated,
            (user, campaign, entity),
            action,
            Some(version_json::<V>(&current)),
        )
        .await
    }

    /// The Assurance Maladie gives its opinion on the open version.
    pub async fn record_volet_opinion<V: VoletKind>(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        opinion: Opinion,
        comment: Option<&str>,
    ) -> Result<VoletVersion<V::Evaluation>> {
        require_role(
            user,
            Role::AssuranceMaladie,
            "Donner l'avis de l'Assurance Maladie",
        )?;
        ensure_region(user, campaign)?;
        // The same rule as the volet obligatoire's opinion (`dossier::decision`): an
        // unfavourable opinion says why, or the ARS cannot answer it in its decision.
        if opinion == Opinion::Defavorable && clean(comment).is_none() {
            return Err(DecisionConflict::UnmotivatedUnfavourable.into());
        }
        self.update_open::<V>((user, campaign, entity), "volet.avis_am", |current, _| {
            open(current, || {
                StoreError::from(VoletConflict::EvaluationFirst { volet: V::VOLET })
            })?;
            Ok(vec![
                ("opinion", Cell::text(opinion.code())),
                ("opinion_comment", Cell::Text(clean(comment))),
                ("opinion_by", Cell::text(&user.id)),
                ("opinion_at", Cell::text(now_text())),
            ])
        })
        .await
    }

    /// The DG ARS decides, after the AM opinion, within the engine's bounds and
    /// with a motivation when departing from the proposal.
    pub async fn record_volet_decision<V: VoletKind>(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        decision: FinalDecision,
        motivation: Option<&str>,
    ) -> Result<VoletVersion<V::Evaluation>> {
        require_role(user, Role::Ars, V::DECIDE_ACTION)?;
        ensure_region(user, campaign)?;
        self.update_open::<V>((user, campaign, entity), "volet.decider", |current, _| {
            let current = open(
                current.filter(|d| d.opinion.is_some() || d.is_frozen()),
                || StoreError::from(DecisionConflict::OpinionFirst),
            )?;
            let b = bounded::<V>(current, decision, motivation)?;
            Ok(vec![
                ("final_amount", Cell::text(b.amount.amount())),
                ("final_msap_months", Cell::Int(b.msap_months.map(i64::from))),
                ("motivation", Cell::Text(b.motivation)),
                ("decided_by", Cell::text(&user.id)),
                ("decided_at", Cell::text(now_text())),
            ])
        })
        .await
    }

    /// The ARS notifies the decided version on `notified_on`: it is frozen (an
    /// MSAP starts on that day).
    pub async fn notify_volet_decision<V: VoletKind>(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        notified_on: Date,
    ) -> Result<VoletVersion<V::Evaluation>> {
        require_role(user, Role::Ars, "Notifier la décision")?;
        ensure_region(user, campaign)?;
        self.update_open::<V>(
            (user, campaign, entity),
            "volet.notifier",
            |current, head| {
                let current = open(current, || DecisionConflict::NothingToNotify.into())?;
                if !current.is_decided() {
                    return Err(DecisionConflict::UndecidedBeforeNotification.into());
                }
                Ok(vec![
                    ("notified_on", Cell::text(notified_on)),
                    ("notified_by", Cell::text(&user.id)),
                    ("notified_chain_head", Cell::text(head.hash)),
                ])
            },
        )
        .await
    }

    /// Corrects a notified decision: version n+1 with the same evaluation,
    /// proposal and opinion, the new decision and motivation, and the mandatory
    /// reason. It is decided but not notified: the ARS notifies it in turn.
    pub async fn correct_volet_decision<V: VoletKind>(
        &self,
        user: &User,
        campaign: &Campaign,
        entity: &Finess,
        decision: FinalDecision,
        motivation: Option<&str>,
        reason: &str,
    ) -> Result<VoletVersion<V::Evaluation>> {
        require_role(user, Role::Ars, "Corriger la décision")?;
        ensure_region(user, campaign)?;
        let reason = clean(Some(reason)).ok_or(DecisionConflict::CorrectionWithoutReason)?;
        let now = now_text();
        let mut w = self.audited_write().await?;
        let current = latest_in::<V>(w.conn(), &campaign.id, entity)
            .await?
            .ok_or(DecisionConflict::NothingToCorrect)?;
        if !current.is_frozen() {
            return Err(DecisionConflict::NotNotified.into());
        }
        let b = bounded::<V>(&current, decision, motivation)?;
        w.execute(sqlx::query(&format!(
            "INSERT INTO volet_decisions (id, version, {COPIED}, final_amount, final_msap_months, \
             motivation, decided_by, decided_at, correction_reason, created_by, created_at) \
             SELECT $1, version + 1, {COPIED}, $2, $3, $4, $5, $6, $7, $8, $9 \
             FROM volet_decisions WHERE id = $10"
        ))
        .bind(new_id())
        .bind(b.amount.amount().to_string())
        .bind(b.msap_months.map(i64::from))
        .bind(b.motivation)
        .bind(user.id.clone())
        .bind(now.clone())
        .bind(reason)
        .bind(user.id.clone())
        .bind(now)
        .bind(current.id.clone()))
        .await?;
        commit_version::<V>(
            w,
            1,
            (user, campaign, entity),
            "volet.corriger",
            Some(version_json::<V>(&current)),
        )
        .await
    }
}
