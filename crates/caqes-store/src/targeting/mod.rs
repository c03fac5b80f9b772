//! Targeting of the additional volets: the transport spending imported by the
//! Assurance Maladie, the engine's verdict (`caqes_core::volets::transport::target`,
//! thresholds from the campaign's référentiel) and the list confirmed by the ARS.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, annex 4: « Les établissements sont ciblés
//! lorsque leur taux d'évolution annuel […] ou leur montant annuel […] dépasse le
//! seuil ». The verdict is always recomputed here from the stored data: the form
//! only says which targeted entities the ARS excludes and why, so a forged
//! request cannot target or clear anyone against the engine.

mod import;
pub mod pertinence;
pub mod qualite;

use caqes_core::RegionCode;
use std::collections::BTreeMap;

pub use caqes_core::volets::transport::TransportSpending;
use caqes_core::volets::transport::{TransportParameters, TransportTargeting, target};
use caqes_core::{Euros, Finess};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::admin::audit::{AuditLine, record};
use crate::admin::establishments::{region_entities_in, region_entity};
use crate::conflict::TargetingConflict;
use crate::model::ids::CampaignId;
use crate::targeting::import::RegionRow;
use crate::{
    Actor, Campaign, LegalEntity, Result, Role, Store, StoreError, User, WorkflowError, new_id,
    now_text, parse_finess,
};

/// The volet whose targeting this module handles (the others need their own data).
pub const TRANSPORTS: &str = "transports";

/// The ARS's status of an entity in the confirmed list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetingStatus {
    /// Targeted by the engine and kept by the ARS.
    Cible,
    /// Targeted by the engine, excluded by the ARS with a motivation.
    Exclu,
    /// Not targeted by the engine.
    NonCible,
}

impl TargetingStatus {
    pub fn code(self) -> &'static str {
        match self {
            TargetingStatus::Cible => "cible",
            TargetingStatus::Exclu => "exclu",
            TargetingStatus::NonCible => "non_cible",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TargetingStatus::Cible => "Ciblé",
            TargetingStatus::Exclu => "Exclu par l'ARS",
            TargetingStatus::NonCible => "Non ciblé",
        }
    }

    fn parse(code: &str) -> Result<TargetingStatus> {
        match code {
            "cible" => Ok(TargetingStatus::Cible),
            "exclu" => Ok(TargetingStatus::Exclu),
            "non_cible" => Ok(TargetingStatus::NonCible),
            other => Err(StoreError::Corrupt(format!(
                "statut de ciblage « {other} »"
            ))),
        }
    }
}

/// The engine's verdict on one entity, with its reason in French.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportVerdict {
    pub entity: LegalEntity,
    pub targeting: TransportTargeting,
    pub reason: String,
}

/// What the engine says of one entity, whatever the volet: the entity, whether
/// it is targeted and why, in French.
pub trait EngineVerdict {
    fn entity(&self) -> &LegalEntity;
    fn engine_targeted(&self) -> bool;
    fn reason(&self) -> &str;
}

impl EngineVerdict for TransportVerdict {
    fn entity(&self) -> &LegalEntity {
        &self.entity
    }
    fn engine_targeted(&self) -> bool {
        self.targeting.targeted()
    }
    fn reason(&self) -> &str {
        &self.reason
    }
}

/// A row of the confirmed list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmedTargeting {
    pub entity: Finess,
    pub engine_targeted: bool,
    pub engine_reason: String,
    pub status: TargetingStatus,
    pub motivation: Option<String>,
    pub confirmed_at: String,
}

/// The French reason of a verdict, naming each threshold and its comparison.
pub fn transport_reason(params: &TransportParameters, t: &TransportTargeting) -> String {
    let growth = match t.evolution_pct {
        Some(g) => {
            let sign = if t.depasse_seuil_evolution {
                ">"
            } else {
                "≤"
            };
            format!(
                "évolution {} % {sign} seuil {} %",
                french(g),
                french(params.seuil_evolution_pct)
            )
        }
        None => "évolution non calculable (aucune dépense l'année précédente)".to_owned(),
    };
    let sign = if t.depasse_seuil_montant { ">" } else { "≤" };
    let amount = format!(
        "montant {} {sign} seuil {}",
        t.depenses, params.seuil_montant
    );
    let verdict = if t.targeted() { "ciblé" } else { "non ciblé" };
    format!("{verdict} : {growth} ; {amount}")
}

/// A decimal rounded to two places with a decimal comma.
fn french(d: rust_decimal::Decimal) -> String {
    caqes_core::rate::round_half_away(d, 2)
        .normalize()
        .to_string()
        .replace('.', ",")
}

/// The transports parameters of the campaign's référentiel (builtin or uploaded).
async fn parameters(conn: &mut AnyConnection, campaign: &Campaign) -> Result<TransportParameters> {
    Ok(crate::admin::campaign_referentiel_in(conn, campaign)
        .await?
        .parameters
        .transports)
}

fn euros(text: String) -> Result<Euros> {
    text.parse()
        .map(Euros)
        .map_err(|_| StoreError::Corrupt(format!("montant illisible « {text} »")))
}

async fn spending_in(
    conn: &mut AnyConnection,
    region: &RegionCode,
    year: i16,
) -> Result<Vec<TransportSpending>> {
    let rows = sqlx::query(
        "SELECT t.entity, t.year, t.previous_amount, t.amount FROM transport_spending t \
         JOIN legal_entities e ON e.finess = t.entity \
         WHERE e.region = $1 AND t.year = $2 ORDER BY e.name, t.entity",
    )
    .bind(region.to_string())
    .bind(i64::from(year))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let year: i64 = r.try_get("year")?;
            Ok(TransportSpending {
                entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                year: i16::try_from(year)
                    .map_err(|_| StoreError::Corrupt(format!("année {year}")))?,
                previous: euros(r.try_get("previous_amount")?)?,
                amount: euros(r.try_get("amount")?)?,
            })
        })
        .collect()
}

fn spending_json(rows: &[TransportSpending]) -> serde_json::Value {
    json!(
        rows.iter()
            .map(|s| json!({
                "finess": s.entity.to_string(),
                "annee": s.year,
                "depenses_annee_precedente": s.previous.amount().to_string(),
                "depenses": s.amount.amount().to_string(),
            }))
            .collect::<Vec<_>>()
    )
}

impl RegionRow for TransportSpending {
    const ACTION: &'static str = "transports.importer";
    const OBJECT_KIND: &'static str = "depenses_transport";

    fn entity(&self) -> Finess {
        self.entity
    }

    fn check(&self, file: &str) -> Result<()> {
        if self.previous.amount().is_sign_negative() || self.amount.amount().is_sign_negative() {
            return Err(TargetingConflict::NegativeSpending {
                file: file.to_string(),
                entity: self.entity.to_string(),
            }
            .into());
        }
        Ok(())
    }

    async fn stored(&self, conn: &mut AnyConnection, _: &RegionCode) -> Result<Option<Self>> {
        let old = sqlx::query(
            "SELECT previous_amount, amount FROM transport_spending WHERE entity = $1 AND year = $2",
        )
        .bind(self.entity.to_string())
        .bind(i64::from(self.year))
        .fetch_optional(&mut *conn)
        .await?;
        old.map(|r| {
            Ok(TransportSpending {
                entity: self.entity,
                year: self.year,
                previous: euros(r.try_get("previous_amount")?)?,
                amount: euros(r.try_get("amount")?)?,
            })
        })
        .transpose()
    }

    async fn upsert(&self, conn: &mut AnyConnection, _: &str, by: &Actor) -> Result<()> {
        sqlx::query(
            "INSERT INTO transport_spending (entity, year, previous_amount, amount, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (entity, year) DO UPDATE SET previous_amount = excluded.previous_amount, \
             amount = excluded.amount, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(self.entity.to_string())
        .bind(i64::from(self.year))
        .bind(self.previous.amount().to_string())
        .bind(self.amount.amount().to_string())
        .bind(now_text())
        .bind(by.user_id.clone())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    fn json(rows: &[Self]) -> serde_json::Value {
        spending_json(rows)
    }
}

pub(crate) async fn confirmed_in(
    conn: &mut AnyConnection,
    campaign: &CampaignId,
    volet: &str,
) -> Result<Vec<ConfirmedTargeting>> {
    let rows = sqlx::query(
        "SELECT entity, engine_targeted, engine_reason, status, motivation, confirmed_at \
         FROM volet_targeting WHERE campaign = $1 AND volet = $2 ORDER BY entity",
    )
    .bind(campaign.to_owned())
    .bind(volet.to_owned())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ConfirmedTargeting {
                entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                engine_targeted: r.try_get::<i64, _>("engine_targeted")? == 1,
                engine_reason: r.try_get("engine_reason")?,
                status: TargetingStatus::parse(&r.try_get::<String, _>("status")?)?,
                motivation: r.try_get("motivation")?,
                confirmed_at: r.try_get("confirmed_at")?,
            })
        })
        .collect()
}

pub(crate) fn confirmed_json(rows: &[ConfirmedTargeting]) -> serde_json::Value {
    json!(
        rows.iter()
            .map(|c| json!({
                "finess": c.entity.to_string(),
                "ciblage_moteur": c.engine_targeted,
                "motif_moteur": c.engine_reason,
                "statut": c.status.code(),
                "motivation": c.motivation,
            }))
            .collect::<Vec<_>>()
    )
}

/// One entity's line of a targeting list about to be confirmed.
pub(crate) struct Candidate {
    pub(crate) finess: Finess,
    pub(crate) name: String,
    pub(crate) engine_targeted: bool,
    pub(crate) reason: String,
    /// The risks confirmed (qualité only, JSON).
    pub(crate) risks: Option<String>,
}

impl Candidate {
    /// Every verdict as the engine gives it (no choice of the ARS on top).
    pub(crate) fn all(verdicts: &[impl EngineVerdict]) -> Vec<Candidate> {
        verdicts
            .iter()
            .map(|v| Candidate {
                finess: v.entity().finess,
                name: v.entity().name.clone(),
                engine_targeted: v.engine_targeted(),
                reason: v.reason().to_owned(),
                risks: None,
            })
            .collect()
    }
}

/// What the French refusals of an exclusion name for a volet.
pub(crate) struct ExclusionWords {
    /// « de données de transport », after « l'entité … n'a pas ».
    pub(crate) no_data: &'static str,
    /// « n'est pas ciblé par le moteur », before « : il n'y a rien à exclure ».
    pub(crate) not_targeted: &'static str,
}

/// Only the ARS of the campaign's region confirms a targeting list.
pub(crate) fn ensure_confirmer(user: &User, campaign: &Campaign) -> Result<()> {
    if user.role != Role::Ars {
        return Err(WorkflowError::WrongRole {
            action: "Confirmer le ciblage",
            role: Role::Ars.label(),
        }
        .into());
    }
    if user.region != Some(campaign.region) {
        return Err(StoreError::NotFound("campagne"));
    }
    Ok(())
}

/// Each exclusion names an entity of the list that the engine targets, with a
/// motivation.
fn check_exclusions(
    campaign: &Campaign,
    candidates: &[Candidate],
    exclusions: &BTreeMap<Finess, String>,
    words: &ExclusionWords,
) -> Result<()> {
    for (finess, motivation) in exclusions {
        let Some(c) = candidates.iter().find(|c| c.finess == *finess) else {
            return Err(TargetingConflict::NoData {
                entity: finess.to_string(),
                no_data: words.no_data,
                year: campaign.year,
            }
            .into());
        };
        if !c.engine_targeted {
            return Err(TargetingConflict::NothingToExclude {
                name: c.name.clone(),
                entity: finess.to_string(),
                not_targeted: words.not_targeted,
            }
            .into());
        }
        if motivation.trim().is_empty() {
            return Err(TargetingConflict::UnmotivatedExclusion {
                name: c.name.clone(),
                entity: finess.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

/// Replaces the confirmed list of `volet` with `candidates` (the targeted ones
/// excluded by `exclusions`, checked first with the volet's `words`), with one audit
/// line holding the list before and after.
pub(crate) async fn replace_confirmed(
    conn: &mut AnyConnection,
    (user, campaign, volet, words): (&User, &Campaign, &'static str, &ExclusionWords),
    candidates: &[Candidate],
    exclusions: &BTreeMap<Finess, String>,
) -> Result<Vec<ConfirmedTargeting>> {
    check_exclusions(campaign, candidates, exclusions, words)?;
    let before = confirmed_in(&mut *conn, &campaign.id, volet).await?;
    sqlx::query("DELETE FROM volet_targeting WHERE campaign = $1 AND volet = $2")
        .bind(campaign.id.clone())
        .bind(volet)
        .execute(&mut *conn)
        .await?;
    let now = now_text();
    for c in candidates {
        let motivation = exclusions.get(&c.finess).map(|m| m.trim().to_owned());
        let status = match (c.engine_targeted, &motivation) {
            (false, _) => TargetingStatus::NonCible,
            (true, Some(_)) => TargetingStatus::Exclu,
            (true, None) => TargetingStatus::Cible,
        };
        sqlx::query(
            "INSERT INTO volet_targeting (id, campaign, entity, volet, engine_targeted, engine_reason, \
             status, motivation, confirmed_by, confirmed_at, risks) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(new_id())
        .bind(campaign.id.clone())
        .bind(c.finess.to_string())
        .bind(volet)
        .bind(i64::from(c.engine_targeted))
        .bind(c.reason.clone())
        .bind(status.code())
        .bind(motivation)
        .bind(user.id.clone())
        .bind(now.clone())
        .bind(c.risks.clone())
        .execute(&mut *conn)
        .await?;
    }
    let after = confirmed_in(&mut *conn, &campaign.id, volet).await?;
    let line = AuditLine {
        region: Some(&campaign.region),
        action: "ciblage.confirmer",
        object_kind: "campagne",
        object_id: campaign.id.as_str(),
        before: Some(json!({ "volet": volet, "liste": confirmed_json(&before) })),
        after: Some(json!({ "volet": volet, "liste": confirmed_json(&after) })),
    };
    record(conn, &Actor::user(user), line).await?;
    Ok(after)
}

impl Store {
    /// Writes a transport spending file of `region` (all rows or none) with one
    /// audit line holding the replaced and the new rows. Every entity must be a
    /// legal entity of the region; a row replaces the same entity and year.
    pub async fn import_transport_spending(
        &self,
        actor: &Actor,
        region: &RegionCode,
        file: &str,
        rows: &[TransportSpending],
    ) -> Result<usize> {
        self.import_region_rows(actor, region, file, rows).await
    }

    /// The transport spending of the region's entities for `year`.
    pub async fn transport_spending(
        &self,
        region: &RegionCode,
        year: i16,
    ) -> Result<Vec<TransportSpending>> {
        let mut conn = self.pool.acquire().await?;
        spending_in(&mut conn, region, year).await
    }

    /// The engine's verdict for every entity of the campaign's region that has
    /// transport data for the campaign year, with the référentiel's thresholds.
    pub async fn transport_verdicts(&self, campaign: &Campaign) -> Result<Vec<TransportVerdict>> {
        let mut conn = self.pool.acquire().await?;
        verdicts_in(&mut conn, campaign).await
    }

    /// The list confirmed by the ARS (empty before the first confirmation).
    pub async fn confirmed_targeting(
        &self,
        campaign: &CampaignId,
        volet: &str,
    ) -> Result<Vec<ConfirmedTargeting>> {
        let mut conn = self.pool.acquire().await?;
        confirmed_in(&mut conn, campaign, volet).await
    }

    /// The ARS confirms the transport targeting of a campaign: every entity
    /// with data gets its engine verdict; the engine-targeted entities named in
    /// `exclusions` (with their motivation) are excluded. Replaces a previous
    /// confirmation; one audit line holds the list before and after.
    pub async fn confirm_transport_targeting(
        &self,
        user: &User,
        campaign: &Campaign,
        exclusions: &BTreeMap<Finess, String>,
    ) -> Result<Vec<ConfirmedTargeting>> {
        const WORDS: ExclusionWords = ExclusionWords {
            no_data: "de données de transport",
            not_targeted: "n'est pas ciblé par le moteur",
        };
        self.confirm_targeting(
            (user, campaign, TRANSPORTS, &WORDS),
            async |conn| Ok(Candidate::all(&verdicts_in(conn, campaign).await?)),
            exclusions,
        )
        .await
    }

    /// Replaces the confirmed list of `volet` with the `candidates` read in the
    /// transaction, the ARS of the campaign's region excluding the targeted ones
    /// named in `exclusions` (see [`replace_confirmed`]); the list after.
    pub(crate) async fn confirm_targeting(
        &self,
        (user, campaign, volet, words): (&User, &Campaign, &'static str, &ExclusionWords),
        candidates: impl AsyncFnOnce(&mut AnyConnection) -> Result<Vec<Candidate>>,
        exclusions: &BTreeMap<Finess, String>,
    ) -> Result<Vec<ConfirmedTargeting>> {
        ensure_confirmer(user, campaign)?;
        let mut tx = self.begin_write().await?;
        let candidates = candidates(&mut tx).await?;
        let after = replace_confirmed(
            &mut tx,
            (user, campaign, volet, words),
            &candidates,
            exclusions,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

async fn verdicts_in(
    conn: &mut AnyConnection,
    campaign: &Campaign,
) -> Result<Vec<TransportVerdict>> {
    let params = parameters(&mut *conn, campaign).await?;
    let spending = spending_in(&mut *conn, &campaign.region, campaign.year).await?;
    let entities = region_entities_in(&mut *conn, &campaign.region).await?;
    let mut out = Vec::with_capacity(spending.len());
    for s in spending {
        let entity = region_entity(&entities, s.entity)?;
        let targeting = target(&params, s.previous, s.amount)
            .map_err(crate::unreadable("ciblage transports"))?;
        let reason = transport_reason(&params, &targeting);
        out.push(TransportVerdict {
            entity,
            targeting,
            reason,
        });
    }
    Ok(out)
}
