//! Reads of the second generation: the region's unit choice, the units of an entity,
//! and everything stored for one unit.

use caqes_core::regimes::outcome::{Revision, YearValues};
use caqes_core::regimes::own_objective::OwnObjective;
use caqes_core::regimes::{AnyReferentiel, ObjectivesGrid};
use caqes_core::{Euros, Finess};
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::checks::date;
use super::{
    Contract2, ContractState2, Evaluation2, Hearing, TargetingRow, Unit, UnitFile, UnitKind,
    parse_targeting,
};
use crate::model::ids::CampaignId;
use crate::{Campaign, LegalEntity, Result, Store, StoreError, parse_decimal};

fn opt_date(row: &AnyRow, column: &str) -> Result<Option<Date>> {
    row.try_get::<Option<String>, _>(column)?
        .as_deref()
        .map(date)
        .transpose()
}

fn hearing(row: &AnyRow) -> Result<Hearing> {
    Ok(Hearing {
        requested_on: opt_date(row, "hearing_requested_on")?,
        held_on: opt_date(row, "hearing_on")?,
    })
}

fn decimal(row: &AnyRow, column: &str) -> Result<Option<rust_decimal::Decimal>> {
    parse_decimal(row.try_get(column)?)
}

impl Store {
    /// The objectives grid of a campaign, `None` for a first-generation campaign.
    pub async fn campaign_objectives(&self, campaign: &Campaign) -> Result<Option<ObjectivesGrid>> {
        // Every dossier and campaign page asks first: a builtin grid of points answers
        // without a connection (waiting for one was part of the pages' latency under load).
        if crate::admin::referentiel::is_builtin_points(&campaign.referentiel_id) {
            return Ok(None);
        }
        Ok(match self.campaign_any_referentiel(campaign).await? {
            AnyReferentiel::Objectives(g) => Some(g),
            AnyReferentiel::Points(_) => None,
        })
    }

    /// What the region signs with in this campaign (legal FINESS unless it chose otherwise).
    pub async fn g2_unit_kind(&self, campaign: &Campaign) -> Result<UnitKind> {
        let row = sqlx::query("SELECT unit FROM g2_campaigns WHERE campaign = $1")
            .bind(campaign.id.clone())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(UnitKind::Juridique),
            Some(r) => {
                let code: String = r.try_get("unit")?;
                UnitKind::parse(&code)
                    .ok_or_else(|| StoreError::Corrupt(format!("unité de contrat « {code} »")))
            }
        }
    }

    /// The contracting units of an entity: itself, or each of its sites.
    pub async fn g2_units(&self, campaign: &Campaign, entity: &LegalEntity) -> Result<Vec<Unit>> {
        Ok(match self.g2_unit_kind(campaign).await? {
            UnitKind::Juridique => vec![Unit {
                finess: entity.finess,
                name: entity.name.clone(),
            }],
            UnitKind::Geographique => self
                .sites_of(&entity.finess)
                .await?
                .into_iter()
                .map(|s| Unit {
                    finess: s.finess,
                    name: s.name,
                })
                .collect(),
        })
    }

    /// Everything stored for one unit of a campaign.
    pub async fn g2_unit_file(&self, campaign: &Campaign, unit: Finess) -> Result<UnitFile> {
        let mut conn = self.pool.acquire().await?;
        unit_file_in(&mut conn, &campaign.id, unit).await
    }
}

/// Everything stored for one unit of a campaign, read on `conn`: a pooled connection
/// for the pages, the transaction of an audited write for its checks.
pub(super) async fn unit_file_in(
    conn: &mut AnyConnection,
    campaign: &CampaignId,
    unit: Finess,
) -> Result<UnitFile> {
    let key = (campaign.to_owned(), unit.as_str().to_owned());
    let mut file = UnitFile::default();
    for r in sqlx::query(
        "SELECT indicator, measures, computed, retained, motive, decided_at FROM g2_targeting \
         WHERE campaign = $1 AND unit = $2 ORDER BY indicator",
    )
    .bind(key.0.clone())
    .bind(key.1.clone())
    .fetch_all(&mut *conn)
    .await?
    {
        let measures: String = r.try_get("measures")?;
        let computed: String = r.try_get("computed")?;
        file.targeting.push(TargetingRow {
            indicator: r.try_get("indicator")?,
            measures: measures
                .split(';')
                .map(|m| parse_decimal((!m.is_empty()).then(|| m.to_owned())))
                .collect::<Result<_>>()?,
            computed: parse_targeting(&computed)
                .ok_or_else(|| StoreError::Corrupt(format!("ciblage « {computed} »")))?,
            retained: r.try_get::<i64, _>("retained")? != 0,
            motive: r.try_get("motive")?,
            decided_at: r.try_get("decided_at")?,
        });
    }
    if let Some(r) = sqlx::query(
        "SELECT start_on, end_on, state, received_on, second_received_on, decided_on, \
         sanction_amount, sanction_motive, sanction_decided_on, hearing_requested_on, hearing_on \
         FROM g2_contracts \
         WHERE campaign = $1 AND unit = $2",
    )
    .bind(key.0.clone())
    .bind(key.1.clone())
    .fetch_optional(&mut *conn)
    .await?
    {
        let state: String = r.try_get("state")?;
        file.contract = Some(Contract2 {
            start: date(&r.try_get::<String, _>("start_on")?)?,
            end: date(&r.try_get::<String, _>("end_on")?)?,
            state: ContractState2::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("état de contrat « {state} »")))?,
            received_on: date(&r.try_get::<String, _>("received_on")?)?,
            second_received_on: opt_date(&r, "second_received_on")?,
            decided_on: opt_date(&r, "decided_on")?,
            sanction: decimal(&r, "sanction_amount")?.map(Euros),
            sanction_motive: r.try_get("sanction_motive")?,
            sanction_decided_on: opt_date(&r, "sanction_decided_on")?,
            hearing: hearing(&r)?,
        });
    }
    for r in sqlx::query(
        "SELECT indicator, year, montant, numerateur, denominateur FROM g2_values \
         WHERE campaign = $1 AND unit = $2 ORDER BY indicator, year",
    )
    .bind(key.0.clone())
    .bind(key.1.clone())
    .fetch_all(&mut *conn)
    .await?
    {
        let year: i64 = r.try_get("year")?;
        file.values.push((
            r.try_get("indicator")?,
            i16::try_from(year).map_err(crate::unreadable("année d'une valeur"))?,
            YearValues {
                montant: decimal(&r, "montant")?,
                numerateur: decimal(&r, "numerateur")?,
                denominateur: decimal(&r, "denominateur")?,
            },
        ));
    }
    for r in sqlx::query(
        "SELECT indicator, amount, motive FROM g2_revisions \
         WHERE campaign = $1 AND unit = $2 ORDER BY indicator",
    )
    .bind(key.0.clone())
    .bind(key.1.clone())
    .fetch_all(&mut *conn)
    .await?
    {
        let amount = decimal(&r, "amount")?
            .ok_or_else(|| StoreError::Corrupt("révision sans montant".into()))?;
        file.revisions.push((
            r.try_get("indicator")?,
            Revision {
                amount: Euros(amount),
                motive: r.try_get("motive")?,
            },
        ));
    }
    if let Some(r) = sqlx::query(
        "SELECT report_received_on, decided_amount, decided_at, notification_received_on, \
         hearing_requested_on, hearing_on FROM g2_evaluations WHERE campaign = $1 AND unit = $2",
    )
    .bind(key.0.clone())
    .bind(key.1.clone())
    .fetch_optional(&mut *conn)
    .await?
    {
        file.evaluation = Some(Evaluation2 {
            report_received_on: date(&r.try_get::<String, _>("report_received_on")?)?,
            decided_amount: decimal(&r, "decided_amount")?.map(Euros),
            decided_at: r.try_get("decided_at")?,
            notification_received_on: opt_date(&r, "notification_received_on")?,
            hearing: hearing(&r)?,
        });
    }
    for r in sqlx::query(
        "SELECT indicator, value, fixed_on FROM g2_objectives \
         WHERE campaign = $1 AND unit = $2 ORDER BY indicator",
    )
    .bind(key.0.clone())
    .bind(key.1.clone())
    .fetch_all(&mut *conn)
    .await?
    {
        file.objectives.push(OwnObjective {
            indicator: r.try_get("indicator")?,
            value: decimal(&r, "value")?
                .ok_or_else(|| StoreError::Corrupt("objectif sans valeur".into()))?,
            fixed_on: date(&r.try_get::<String, _>("fixed_on")?)?,
        });
    }
    super::levers::read_levers(conn, &key.0, unit, &mut file).await?;
    Ok(file)
}
