//! The levers after the intéressement (issue 13, migration 0028): the mise sous
//! surveillance of a unit (CSS L162-30-3 and L162-30-4, `caqes-2022` grids), the
//! establishment's observations before any reduction or penalty, and the 2026 penalty
//! (CSS L162-23-14 2° and L162-23-14-1, grids with a `[penalite]` section).
//!
//! The bounds are `caqes_core::regimes::{surveillance, incitation}`'s, checked here on
//! every write; who may act is checked here too (the pages only show the forms). Each
//! write is one transaction with its audit line and, for the establishment or the ARS to
//! hear of it, its notification (`notify::emit`).

use caqes_core::notification::Event;
use caqes_core::regimes::Regime;
use caqes_core::regimes::incitation::decide_penalty;
use caqes_core::regimes::surveillance::{
    OpinionBody, ReductionDecision, check_opinions, check_target, decide_reduction,
};
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::checks::{date, ensure_ars, ensure_own};
// The levers' rows are part of the unit's file (`super`), which must not import this
// module back; the pages still name them here.
pub use super::{ObservationSubject, ObservationsRecord, Opinion, Penalty, Surveillance};
use super::{UnitFile, UnitRef, evaluate};
use crate::conflict::LeverConflict;
use crate::model::ids::CampaignId;
use crate::notify::receipt::{RECEIPT_COLUMNS, ReceiptKind, receipt_from_row, receipt_join};
use crate::{Result, Store, StoreError, User, now_text, parse_decimal};

/// The id of a unit's lever in the receipts: « campaign:unit » (as the documents'
/// subject).
pub fn lever_object_id(campaign: &CampaignId, unit: Finess) -> String {
    format!("{campaign}:{unit}")
}

fn opt_decimal(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<Decimal>> {
    parse_decimal(row.try_get(column)?)
}

fn required_decimal(row: &sqlx::any::AnyRow, column: &str) -> Result<Decimal> {
    opt_decimal(row, column)?.ok_or_else(|| StoreError::Corrupt(format!("{column} vide")))
}

fn opt_date(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|t| date(&t))
        .transpose()
}

/// Reads the levers of a unit into its file (from `read::unit_file_in`).
pub(super) async fn read_levers(
    conn: &mut AnyConnection,
    campaign: &CampaignId,
    unit: Finess,
    file: &mut UnitFile,
) -> Result<()> {
    if let Some(r) = sqlx::query(&format!(
        "SELECT s.scope, s.saisine_on, s.previous_count, s.target_count, s.observed_count, s.abattement_pct, \
         s.minoration_pct, s.decision_motive, s.decided_on, {RECEIPT_COLUMNS} FROM g2_surveillance s {} \
         WHERE s.campaign = $1 AND s.unit = $2",
        receipt_join(ReceiptKind::SurveillanceG2, "(s.campaign || ':' || s.unit)")
    ))
    .bind(campaign.to_owned())
    .bind(unit.to_string())
    .fetch_optional(&mut *conn)
    .await?
    {
        let decision = match (opt_decimal(&r, "observed_count")?, opt_date(&r, "decided_on")?) {
            (Some(observed), Some(decided_on)) => Some(ReductionDecision {
                observed,
                abattement_pct: opt_decimal(&r, "abattement_pct")?.unwrap_or_default(),
                minoration_pct: opt_decimal(&r, "minoration_pct")?.unwrap_or_default(),
                decided_on,
                motive: r.try_get("decision_motive")?,
            }),
            _ => None,
        };
        file.surveillance = Some(Surveillance {
            scope: r.try_get("scope")?,
            saisine_on: date(&r.try_get::<String, _>("saisine_on")?)?,
            previous_count: required_decimal(&r, "previous_count")?,
            target_count: required_decimal(&r, "target_count")?,
            decision,
            receipt: receipt_from_row(&r)?,
        });
    }
    for r in sqlx::query(
        "SELECT subject, invited_on, until_on, body, received_on FROM g2_observations \
         WHERE campaign = $1 AND unit = $2 ORDER BY subject",
    )
    .bind(campaign.to_owned())
    .bind(unit.to_string())
    .fetch_all(&mut *conn)
    .await?
    {
        let subject: String = r.try_get("subject")?;
        file.observations.push((
            ObservationSubject::parse(&subject)
                .ok_or_else(|| StoreError::Corrupt(format!("objet « {subject} »")))?,
            ObservationsRecord {
                invited_on: date(&r.try_get::<String, _>("invited_on")?)?,
                until_on: date(&r.try_get::<String, _>("until_on")?)?,
                body: r.try_get("body")?,
                received_on: opt_date(&r, "received_on")?,
            },
        ));
    }
    for r in sqlx::query(
        "SELECT body, outcome, given_on, summary FROM g2_opinions \
         WHERE campaign = $1 AND unit = $2 ORDER BY body",
    )
    .bind(campaign.to_owned())
    .bind(unit.to_string())
    .fetch_all(&mut *conn)
    .await?
    {
        let body: String = r.try_get("body")?;
        let outcome: String = r.try_get("outcome")?;
        file.opinions.push(Opinion {
            body: OpinionBody::parse(&body)
                .ok_or_else(|| StoreError::Corrupt(format!("organisme « {body} »")))?,
            given: outcome == "avis",
            on: date(&r.try_get::<String, _>("given_on")?)?,
            summary: r.try_get("summary")?,
        });
    }
    if let Some(r) = sqlx::query(&format!(
        "SELECT p.am_funding, p.amount, p.motive, p.decided_on, {RECEIPT_COLUMNS} FROM g2_penalties p {} \
         WHERE p.campaign = $1 AND p.unit = $2",
        receipt_join(ReceiptKind::PenaliteG2, "(p.campaign || ':' || p.unit)")
    ))
    .bind(campaign.to_owned())
    .bind(unit.to_string())
    .fetch_optional(&mut *conn)
    .await?
    {
        file.penalty = Some(Penalty {
            am_funding: Euros(required_decimal(&r, "am_funding")?),
            amount: Euros(required_decimal(&r, "amount")?),
            motive: r.try_get("motive")?,
            decided_on: date(&r.try_get::<String, _>("decided_on")?)?,
            receipt: receipt_from_row(&r)?,
        });
    }
    Ok(())
}

impl Store {
    /// The ARS places a unit under surveillance (L162-30-3): the acts concerned, the
    /// saisine, the number of N−1 and the annual target (≥ 70 % of it). It may be set
    /// again until the decision. `caqes-2022` grids only (the lever ends with them on
    /// 31 December 2026; the 2026 scheme's own surveillance ends in its penalty).
    pub async fn g2_set_surveillance(
        &self,
        user: &User,
        at: UnitRef<'_>,
        scope: &str,
        saisine_on: Date,
        previous_count: Decimal,
        target_count: Decimal,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Mettre sous surveillance")?;
        self.g2_check_unit(at).await?;
        if at.grid.regime != Regime::Caqes2022 {
            return Err(LeverConflict::SurveillanceSecondGenerationOnly.into());
        }
        let scope = scope.trim();
        if scope.is_empty() {
            return Err(LeverConflict::ScopeMissing.into());
        }
        check_target(previous_count, target_count).map_err(LeverConflict::Surveillance)?;
        let mut w = self.g2_unit_write(user, at).await?;
        let before = w.before.surveillance.clone();
        if before.as_ref().is_some_and(|s| s.decision.is_some()) {
            return Err(LeverConflict::SurveillanceFrozen.into());
        }
        w.execute(
            sqlx::query("DELETE FROM g2_surveillance WHERE campaign = $1 AND unit = $2")
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned()),
        )
        .await?;
        w.execute(
            sqlx::query(
                "INSERT INTO g2_surveillance (campaign, unit, entity, scope, saisine_on, previous_count, \
                 target_count, proposed_by, proposed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(at.entity.finess.as_str().to_owned())
            .bind(scope.to_owned())
            .bind(saisine_on.to_string())
            .bind(previous_count.normalize().to_string())
            .bind(target_count.normalize().to_string())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        let describe = |s: &Surveillance| json!({"actes": s.scope, "saisine": s.saisine_on.to_string(), "precedent": s.previous_count.to_string(), "cible": s.target_count.to_string()});
        w.commit(
            "g2.surveillance.fixer",
            before.as_ref().map(describe),
            Some(
                json!({"actes": scope, "saisine": saisine_on.to_string(), "precedent": previous_count.normalize().to_string(), "cible": target_count.normalize().to_string()}),
            ),
            Some(Event::SurveillanceObjectif),
        )
        .await
    }

    /// The ARS invites the establishment to present its observations before a
    /// reduction or a penalty, until `until_on` (its receipt `invited_on`). Again while
    /// nothing is written nor decided.
    pub async fn g2_invite_observations(
        &self,
        user: &User,
        at: UnitRef<'_>,
        subject: ObservationSubject,
        invited_on: Date,
        until_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Inviter à présenter des observations")?;
        self.g2_check_unit(at).await?;
        if until_on < invited_on {
            return Err(LeverConflict::ObservationsBeforeInvitation.into());
        }
        let mut w = self.g2_unit_write(user, at).await?;
        let file = &w.before;
        match subject {
            ObservationSubject::Surveillance => match &file.surveillance {
                None => return Err(LeverConflict::NoSurveillance.into()),
                Some(s) if s.decision.is_some() => {
                    return Err(LeverConflict::SurveillanceDecided.into());
                }
                Some(_) => {}
            },
            ObservationSubject::Penalite => {
                if at.grid.penalty.is_none() {
                    return Err(LeverConflict::NoPenalty.into());
                }
                if file.penalty.is_some() {
                    return Err(LeverConflict::PenaltyDecided.into());
                }
            }
        }
        if file
            .observations_on(subject)
            .is_some_and(|o| o.received_on.is_some())
        {
            return Err(LeverConflict::InvitationFrozen.into());
        }
        w.execute(
            sqlx::query(
                "DELETE FROM g2_observations WHERE campaign = $1 AND unit = $2 AND subject = $3",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(subject.code()),
        )
        .await?;
        w.execute(
            sqlx::query(
                "INSERT INTO g2_observations (campaign, unit, subject, entity, invited_on, until_on, invited_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(subject.code())
            .bind(at.entity.finess.as_str().to_owned())
            .bind(invited_on.to_string())
            .bind(until_on.to_string())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        w.commit(
            "g2.observations.inviter",
            None,
            Some(
                json!({"objet": subject.code(), "reception": invited_on.to_string(), "jusqu_au": until_on.to_string()}),
            ),
            Some(Event::ObservationsInvitees { until: until_on }),
        )
        .await
    }

    /// The establishment presents its observations, once, by the last day.
    pub async fn g2_present_observations(
        &self,
        user: &User,
        at: UnitRef<'_>,
        subject: ObservationSubject,
        body: &str,
        today: Date,
    ) -> Result<()> {
        ensure_own(user, at.entity, "Présenter des observations")?;
        self.g2_check_unit(at).await?;
        let body = body.trim();
        if body.is_empty() {
            return Err(LeverConflict::EmptyObservations.into());
        }
        let mut w = self.g2_unit_write(user, at).await?;
        let Some(invitation) = w.before.observations_on(subject) else {
            return Err(LeverConflict::NotInvited.into());
        };
        if invitation.received_on.is_some() {
            return Err(LeverConflict::ObservationsPresented.into());
        }
        if today > invitation.until_on {
            return Err(LeverConflict::ObservationsExpired {
                until: invitation.until_on,
            }
            .into());
        }
        w.execute(
            sqlx::query(
                "UPDATE g2_observations SET body = $1, received_on = $2, written_by = $3, updated_at = $4 \
                 WHERE campaign = $5 AND unit = $6 AND subject = $7",
            )
            .bind(body.to_owned())
            .bind(today.to_string())
            .bind(user.id.clone())
            .bind(now_text())
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(subject.code()),
        )
        .await?;
        w.commit(
            "g2.observations.presenter",
            None,
            Some(json!({"objet": subject.code(), "recues_le": today.to_string(), "texte": body})),
            Some(Event::ObservationsPresentees),
        )
        .await
    }

    /// The ARS records the opinion of the AM body or of the CRSA before a reduction
    /// (L162-30-4): given on `on` (with `summary`), or its delay passed on `on`
    /// (`given` false). Again while the surveillance is not decided.
    pub async fn g2_record_opinion(
        &self,
        user: &User,
        at: UnitRef<'_>,
        body: OpinionBody,
        given: bool,
        on: Date,
        summary: Option<&str>,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Enregistrer un avis avant la réduction")?;
        self.g2_check_unit(at).await?;
        let summary = summary.map(str::trim).filter(|s| !s.is_empty());
        if given && summary.is_none() {
            return Err(LeverConflict::OpinionSummaryMissing.into());
        }
        let mut w = self.g2_unit_write(user, at).await?;
        match &w.before.surveillance {
            None => return Err(LeverConflict::NoSurveillance.into()),
            Some(s) if s.decision.is_some() => {
                return Err(LeverConflict::SurveillanceDecided.into());
            }
            Some(s) if on < s.saisine_on => {
                return Err(LeverConflict::OpinionBeforeSaisine.into());
            }
            Some(_) => {}
        }
        let describe = |o: &Opinion| json!({"organisme": o.body.code(), "avis": o.given, "le": o.on.to_string(), "resume": o.summary});
        let before = w
            .before
            .opinions
            .iter()
            .find(|o| o.body == body)
            .map(describe);
        let after = Opinion {
            body,
            given,
            on,
            summary: summary.map(str::to_owned),
        };
        w.execute(
            sqlx::query("DELETE FROM g2_opinions WHERE campaign = $1 AND unit = $2 AND body = $3")
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned())
                .bind(body.code()),
        )
        .await?;
        w.execute(
            sqlx::query(
                "INSERT INTO g2_opinions (campaign, unit, body, entity, outcome, given_on, summary, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(body.code())
            .bind(at.entity.finess.as_str().to_owned())
            .bind(if given { "avis" } else { "delai_echu" })
            .bind(on.to_string())
            .bind(after.summary.clone())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        w.commit(
            "g2.surveillance.avis",
            before,
            Some(describe(&after)),
            Some(Event::AvisSurveillanceEnregistre),
        )
        .await
    }

    /// The DG ARS's decision at the end of the surveillance (L162-30-4), checked by
    /// `surveillance::decide_reduction`; recorded once. Returns the acts above target.
    pub async fn g2_decide_surveillance(
        &self,
        user: &User,
        at: UnitRef<'_>,
        decision: &ReductionDecision,
    ) -> Result<Decimal> {
        ensure_ars(user, at.campaign, "Décider de la mise sous surveillance")?;
        let mut w = self.g2_open_unit(user, at).await?;
        let file = &w.before;
        let Some(s) = &file.surveillance else {
            return Err(LeverConflict::NoSurveillance.into());
        };
        if s.decision.is_some() {
            return Err(LeverConflict::SurveillanceDecided.into());
        }
        let observations = file
            .observations_on(ObservationSubject::Surveillance)
            .map(ObservationsRecord::rule);
        let above = decide_reduction(s.saisine_on, s.target_count, decision, observations)
            .map_err(LeverConflict::Surveillance)?;
        if decision.reduces() {
            let steps: Vec<_> = file.opinions.iter().map(Opinion::step).collect();
            check_opinions(&steps, decision.decided_on).map_err(LeverConflict::Surveillance)?;
        }
        let motive = decision
            .motive
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        w.execute(
            sqlx::query(
                "UPDATE g2_surveillance SET observed_count = $1, abattement_pct = $2, minoration_pct = $3, \
                 decision_motive = $4, decided_on = $5, decided_by = $6, updated_at = $7 \
                 WHERE campaign = $8 AND unit = $9",
            )
            .bind(decision.observed.normalize().to_string())
            .bind(decision.abattement_pct.normalize().to_string())
            .bind(decision.minoration_pct.normalize().to_string())
            .bind(motive.clone())
            .bind(decision.decided_on.to_string())
            .bind(user.id.clone())
            .bind(now_text())
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned()),
        )
        .await?;
        let after = json!({
            "constate": decision.observed.normalize().to_string(),
            "au_dela_de_la_cible": above.normalize().to_string(),
            "abattement_pct": decision.abattement_pct.normalize().to_string(),
            "minoration_pct": decision.minoration_pct.normalize().to_string(),
            "motif": motive, "date": decision.decided_on.to_string(),
        });
        w.commit(
            "g2.surveillance.decider",
            None,
            Some(after),
            Some(Event::SurveillanceDecidee),
        )
        .await?;
        Ok(above)
    }

    /// The DG ARS's 2026 penalty for the campaign's year (L162-23-14 2°), checked by
    /// `incitation::decide_penalty` against the unit's evaluation (objectives missed),
    /// the observations and the ceiling of the AM funding; recorded once.
    pub async fn g2_decide_penalty(
        &self,
        user: &User,
        at: UnitRef<'_>,
        am_funding: Euros,
        amount: Euros,
        motive: Option<&str>,
        decided_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Décider la pénalité")?;
        self.g2_check_unit(at).await?;
        let Some(params) = &at.grid.penalty else {
            return Err(LeverConflict::NoPenalty.into());
        };
        let mut w = self.g2_unit_write(user, at).await?;
        let file = &w.before;
        if file.penalty.is_some() {
            return Err(LeverConflict::PenaltyDecided.into());
        }
        let missed = if file.engaged(at.grid) {
            evaluate(at.grid, at.campaign.year, file)
                .map_err(LeverConflict::Outcome)?
                .objectifs_manques
        } else {
            0
        };
        let observations = file
            .observations_on(ObservationSubject::Penalite)
            .map(ObservationsRecord::rule);
        decide_penalty(
            params,
            at.campaign.year,
            decided_on,
            am_funding,
            missed,
            observations,
            amount,
        )
        .map_err(LeverConflict::Incitation)?;
        let motive = motive
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned);
        w.execute(
            sqlx::query(
                "INSERT INTO g2_penalties (campaign, unit, entity, am_funding, amount, motive, decided_on, \
                 decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(at.entity.finess.as_str().to_owned())
            .bind(am_funding.0.normalize().to_string())
            .bind(amount.0.normalize().to_string())
            .bind(motive.clone())
            .bind(decided_on.to_string())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        let after = json!({
            "annee": at.campaign.year, "financement_am": am_funding.0.normalize().to_string(),
            "montant": amount.0.normalize().to_string(), "objectifs_manques": missed,
            "motif": motive, "date": decided_on.to_string(),
        });
        w.commit(
            "g2.penalite.decider",
            None,
            Some(after),
            Some(Event::PenaliteNotifiee),
        )
        .await
    }
}
