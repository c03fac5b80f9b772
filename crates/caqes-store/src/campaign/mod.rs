//! Campaigns, values, targets, submissions and their transitions.

pub mod classes;
pub mod declarations;
pub mod entity_inputs;
pub mod imports;
pub mod late_dossier;
pub mod list_revision;
pub mod typed;

use crate::parse_region;
use caqes_core::RegionCode;
use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use caqes_core::Finess;
use caqes_core::notification::{Event, Milestone};
use caqes_core::volets::Volet;

use crate::admin::audit::{AuditLine, record};
use crate::conflict::{DossierConflict, EntityConflict, StaleConflict};
use crate::model::ids::{CampaignId, SubmissionId};
use crate::notify::{About, emit};
use crate::{
    Actor, Campaign, Evaluated, LegalEntity, NewCampaign, Result, ScoreRecord, Store, StoreError,
    StoredValue, Submission, SubmissionRow, Transition, User, new_id, now_text, parse_decimal,
    parse_finess,
};
use caqes_core::workflow::{Action, SubmissionState, next_state};
use declarations::Motives;

use crate::scores::revision::ScoreRevision;

/// One dossier's rows ([`Store::dossier_parts`]).
#[derive(Clone, Debug)]
pub struct DossierParts {
    pub campaign: Campaign,
    pub entity: LegalEntity,
    pub submission: Submission,
    /// The legal entity's score revision in its region, read in the same statement as the
    /// rest.
    pub revision: ScoreRevision,
}

pub(crate) const CAMPAIGN_COLUMNS: &str =
    "id, region, year, referentiel_id, title, submission_deadline, evaluation_deadline";
const SUBMISSION_COLUMNS: &str =
    "s.id, s.campaign, s.entity, s.state, s.score, s.bonus, s.total, s.last_comment, s.updated_at";

fn year_from(r: &AnyRow, col: &str) -> Result<i16> {
    let y: i64 = r.try_get(col)?;
    i16::try_from(y).map_err(|_| StoreError::Corrupt(format!("année hors limites {y}")))
}

fn date_from(r: &AnyRow, col: &str) -> Result<Date> {
    let t: String = r.try_get(col)?;
    t.parse()
        .map_err(|_| StoreError::Corrupt(format!("date illisible « {t} »")))
}

pub(crate) fn campaign_from_row(r: &AnyRow) -> Result<Campaign> {
    campaign_with_prefix(r, "")
}

/// A campaign from columns named `{prefix}id`, `{prefix}region`…
fn campaign_with_prefix(r: &AnyRow, prefix: &str) -> Result<Campaign> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(Campaign {
        id: r.try_get(col("id").as_str())?,
        region: parse_region(&r.try_get::<String, _>(col("region").as_str())?)?,
        year: year_from(r, &col("year"))?,
        referentiel_id: r.try_get(col("referentiel_id").as_str())?,
        title: r.try_get(col("title").as_str())?,
        submission_deadline: date_from(r, &col("submission_deadline"))?,
        evaluation_deadline: date_from(r, &col("evaluation_deadline"))?,
    })
}

/// A legal entity from the columns `e_finess`, `e_region`, `e_name`, `e_category`.
fn entity_from_prefixed(r: &AnyRow) -> Result<LegalEntity> {
    let category: String = r.try_get("e_category")?;
    Ok(LegalEntity {
        finess: parse_finess(&r.try_get::<String, _>("e_finess")?)?,
        region: parse_region(&r.try_get::<String, _>("e_region")?)?,
        name: r.try_get("e_name")?,
        category: category
            .parse()
            .map_err(crate::unreadable("catégorie d'établissement"))?,
    })
}

fn submission_from_row(r: &AnyRow) -> Result<Submission> {
    let state: String = r.try_get("state")?;
    Ok(Submission {
        id: r.try_get("id")?,
        campaign: r.try_get("campaign")?,
        entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
        state: state
            .parse()
            .map_err(crate::unreadable("état d'un dossier"))?,
        score: parse_decimal(r.try_get("score")?)?,
        bonus: parse_decimal(r.try_get("bonus")?)?,
        total: parse_decimal(r.try_get("total")?)?,
        last_comment: r.try_get("last_comment")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn value_json(v: &StoredValue) -> serde_json::Value {
    json!({
        "site": v.site.to_string(), "indicateur": v.indicator, "numerateur": v.numerator,
        "denominateur": v.denominator, "valeur": v.value, "declare": v.declared,
    })
}

/// The state of `entity`'s dossier in `campaign`, read inside the caller's transaction
/// (`None` when it has no dossier there).
pub(crate) async fn submission_state_in(
    conn: &mut sqlx::AnyConnection,
    campaign: &CampaignId,
    entity: &Finess,
) -> Result<Option<SubmissionState>> {
    let state: Option<String> =
        sqlx::query("SELECT state FROM submissions WHERE campaign = $1 AND entity = $2")
            .bind(campaign.to_owned())
            .bind(entity.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("state"))
            .transpose()?;
    state
        .map(|s| s.parse().map_err(crate::unreadable("état d'un dossier")))
        .transpose()
}

impl Store {
    /// Creates a campaign and, in the same transaction, one draft submission
    /// for every legal entity of the region.
    pub async fn create_campaign(&self, actor: &Actor, new: &NewCampaign) -> Result<Campaign> {
        let objectives = matches!(
            self.referentiel_any(&new.referentiel_id).await?,
            Some(caqes_core::regimes::AnyReferentiel::Objectives(_))
        );
        let id = new_id();
        let now = now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO campaigns (id, region, year, referentiel_id, title, submission_deadline, evaluation_deadline, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(new.region.to_string())
        .bind(i64::from(new.year))
        .bind(new.referentiel_id.clone())
        .bind(new.title.clone())
        .bind(new.submission_deadline.to_string())
        .bind(new.evaluation_deadline.to_string())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?;
        let entities: Vec<String> =
            sqlx::query("SELECT finess FROM legal_entities WHERE region = $1 ORDER BY finess")
                .bind(new.region.to_string())
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("finess"))
                .collect::<Result<_, _>>()?;
        for entity in &entities {
            sqlx::query("INSERT INTO submissions (id, campaign, entity, state, updated_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(new_id())
                .bind(id.clone())
                .bind(entity.clone())
                .bind(SubmissionState::Brouillon.code().to_owned())
                .bind(now.clone())
                .execute(&mut *tx)
                .await?;
        }
        let line = AuditLine {
            region: Some(&new.region),
            action: "campagne.creer",
            object_kind: "campagne",
            object_id: &id,
            before: None,
            after: Some(json!({
                "annee": new.year, "referentiel": new.referentiel_id, "titre": new.title,
                "date_limite_depot": new.submission_deadline.to_string(),
                "date_limite_evaluation": new.evaluation_deadline.to_string(),
                "dossiers": entities.len(),
            })),
        };
        record(&mut tx, actor, line).await?;
        // The Assurance Maladie's data are expected (PHEV import of a first-generation
        // campaign; a second-generation one takes its values on each dossier); the
        // OMEDIT follows the milestones.
        if !objectives {
            emit(
                &mut tx,
                Event::DonneesAmAttendues,
                About::Campaign(&id),
                &format!("/campagnes/{id}/phev"),
            )
            .await?;
        }
        emit(
            &mut tx,
            Event::Jalon {
                milestone: Milestone::Ouverture,
                on: crate::today(),
            },
            About::Campaign(&id),
            &format!("/campagnes/{id}"),
        )
        .await?;
        tx.commit().await?;
        self.campaign(&CampaignId::from(id))
            .await?
            .ok_or(StoreError::NotFound("campagne"))
    }

    pub async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>> {
        let row = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1"
        ))
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(campaign_from_row).transpose()
    }

    /// The campaign, the legal entity and its submission of one dossier, with the
    /// entity's score revision, in one query (every dossier page asks for them): `None`
    /// when any of them does not exist. The caller still checks the user's scope.
    pub async fn dossier_parts(
        &self,
        campaign: &CampaignId,
        entity: &Finess,
    ) -> Result<Option<DossierParts>> {
        let row = sqlx::query(&format!(
            "SELECT c.id AS c_id, c.region AS c_region, c.year AS c_year, \
             c.referentiel_id AS c_referentiel_id, c.title AS c_title, \
             c.submission_deadline AS c_submission_deadline, \
             c.evaluation_deadline AS c_evaluation_deadline, \
             e.finess AS e_finess, e.region AS e_region, e.name AS e_name, e.category AS e_category, \
             COALESCE((SELECT r.revision FROM entity_score_revisions r \
             WHERE r.entity = e.finess AND r.region = e.region), 0) AS revision, \
             {SUBMISSION_COLUMNS} \
             FROM submissions s JOIN campaigns c ON c.id = s.campaign \
             JOIN legal_entities e ON e.finess = s.entity \
             WHERE s.campaign = $1 AND s.entity = $2"
        ))
        .bind(campaign.to_owned())
        .bind(entity.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(DossierParts {
                campaign: campaign_with_prefix(&r, "c_")?,
                entity: entity_from_prefixed(&r)?,
                submission: submission_from_row(&r)?,
                revision: ScoreRevision(r.try_get("revision")?),
            })
        })
        .transpose()
    }

    /// Campaigns of a region, most recent year first.
    pub async fn campaigns_in_region(&self, region: &RegionCode) -> Result<Vec<Campaign>> {
        let rows = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE region = $1 ORDER BY year DESC"
        ))
        .bind(region.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(campaign_from_row).collect()
    }

    /// Every campaign of every region with its number of dossiers, by region and most
    /// recent year first: the administrator's home (no dossier's content).
    pub async fn campaigns_overview(&self) -> Result<Vec<(Campaign, i64)>> {
        let rows = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS}, (SELECT COUNT(*) FROM submissions s WHERE s.campaign = campaigns.id) \
             AS n_dossiers FROM campaigns ORDER BY region, year DESC, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((campaign_from_row(r)?, r.try_get("n_dossiers")?)))
            .collect()
    }

    /// Values of every site of `entity` for `year`.
    pub async fn values_for_entity(&self, entity: &Finess, year: i16) -> Result<Vec<StoredValue>> {
        let rows = sqlx::query(
            &format!(
                "SELECT v.site, v.year, v.indicator, v.numerator, v.denominator, v.value, v.declared, {} \
                 FROM indicator_values v JOIN sites s ON s.finess = v.site \
                 WHERE s.entity = $1 AND v.year = $2 ORDER BY v.indicator, v.site",
                typed::typed_columns("v.")
            ),
        )
        .bind(entity.to_string())
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredValue {
                    site: parse_finess(&r.try_get::<String, _>("site")?)?,
                    year: year_from(r, "year")?,
                    indicator: r.try_get("indicator")?,
                    numerator: r.try_get("numerator")?,
                    denominator: r.try_get("denominator")?,
                    value: r.try_get("value")?,
                    declared: r.try_get("declared")?,
                    typed: typed::typed_from_row(r)?,
                })
            })
            .collect()
    }

    /// Saves values of sites of `entity` in one transaction with one audit line
    /// holding every changed value before → after. A value whose fields are all
    /// empty is deleted. Every site must belong to `entity`, and the entity's
    /// submission for `campaign` must still be editable.
    pub async fn save_values(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        entity: &LegalEntity,
        values: &[StoredValue],
    ) -> Result<usize> {
        self.save_values_with_motives(actor, campaign, entity, values, &Motives::new())
            .await
    }

    /// [`Store::save_values`] with the motives of the NC values (by site and indicator):
    /// each NC keeps its motive in `nc_declarations`, reviewed by the ARS; a value that is
    /// no longer NC loses its declaration. One transaction, one audit line.
    pub async fn save_values_with_motives(
        &self,
        actor: &Actor,
        campaign: &Campaign,
        entity: &LegalEntity,
        values: &[StoredValue],
        motives: &Motives,
    ) -> Result<usize> {
        let entity_id = entity.finess.to_string();
        let mut tx = self.begin_write().await?;
        let state = submission_state_in(&mut tx, &campaign.id, &entity.finess)
            .await?
            .ok_or(StoreError::NotFound("dossier"))?;
        if !state.is_editable() {
            return Err(DossierConflict::ValuesFrozen { state }.into());
        }
        let mut before = Vec::new();
        let mut after = Vec::new();
        let now = now_text();
        for v in values {
            if v.year != campaign.year {
                return Err(DossierConflict::YearOutsideCampaign {
                    year: v.year,
                    campaign_year: campaign.year,
                }
                .into());
            }
            let owner: Option<String> = sqlx::query("SELECT entity FROM sites WHERE finess = $1")
                .bind(v.site.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("entity"))
                .transpose()?;
            if owner.as_deref() != Some(entity_id.as_str()) {
                return Err(EntityConflict::SiteNotOfEntity {
                    site: v.site.to_string(),
                    entity: entity_id.to_string(),
                }
                .into());
            }
            let old = sqlx::query(&format!(
                "SELECT numerator, denominator, value, declared, {} FROM indicator_values \
                 WHERE site = $1 AND year = $2 AND indicator = $3",
                typed::typed_columns("")
            ))
            .bind(v.site.to_string())
            .bind(i64::from(v.year))
            .bind(v.indicator.clone())
            .fetch_optional(&mut *tx)
            .await?;
            let old = old
                .map(|r| -> Result<StoredValue> {
                    Ok(StoredValue {
                        numerator: r.try_get("numerator")?,
                        denominator: r.try_get("denominator")?,
                        value: r.try_get("value")?,
                        declared: r.try_get("declared")?,
                        typed: typed::typed_from_row(&r)?,
                        ..v.clone()
                    })
                })
                .transpose()?;
            let empty = v.is_empty();
            if old.as_ref() == Some(v) || (old.is_none() && empty) {
                continue;
            }
            if empty {
                sqlx::query(
                    "DELETE FROM indicator_values WHERE site = $1 AND year = $2 AND indicator = $3",
                )
                .bind(v.site.to_string())
                .bind(i64::from(v.year))
                .bind(v.indicator.clone())
                .execute(&mut *tx)
                .await?;
            } else {
                typed::upsert_value(&mut tx, v, &now, actor.user_id.as_ref().map(|u| u.as_str()))
                    .await?;
            }
            before.push(
                old.as_ref()
                    .map(value_json)
                    .unwrap_or(serde_json::Value::Null),
            );
            after.push(if empty {
                serde_json::Value::Null
            } else {
                value_json(v)
            });
        }
        let motive_changes = declarations::write_motives(
            &mut tx,
            actor,
            values,
            motives,
            caqes_core::value::Review::Proposed,
        )
        .await?;
        let changed = after.len() + motive_changes.len();
        if changed > 0 {
            let line = AuditLine {
                region: Some(&entity.region),
                action: "valeurs.enregistrer",
                object_kind: "entite_juridique",
                object_id: &entity_id,
                before: Some(json!({ "campagne": campaign.id, "valeurs": before })),
                after: Some(
                    json!({ "campagne": campaign.id, "valeurs": after, "motifs_nc": motive_changes }),
                ),
            };
            record(&mut tx, actor, line).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Sets targets (in the indicator's unit) of an entity for a year, one transaction.
    pub async fn set_targets(
        &self,
        actor: &Actor,
        entity: &LegalEntity,
        year: i16,
        targets: &BTreeMap<String, Decimal>,
    ) -> Result<()> {
        let entity_id = entity.finess.to_string();
        let now = now_text();
        let mut tx = self.begin_write().await?;
        for (code, target) in targets {
            sqlx::query(
                "INSERT INTO targets (entity, year, indicator, target, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (entity, year, indicator) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at",
            )
            .bind(entity_id.clone())
            .bind(i64::from(year))
            .bind(code.clone())
            .bind(target.to_string())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
        }
        let after: BTreeMap<&String, String> =
            targets.iter().map(|(k, v)| (k, v.to_string())).collect();
        let line = AuditLine {
            region: Some(&entity.region),
            action: "cibles.enregistrer",
            object_kind: "entite_juridique",
            object_id: &entity_id,
            before: None,
            after: Some(json!({ "annee": year, "cibles": after })),
        };
        record(&mut tx, actor, line).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn targets_for(
        &self,
        entity: &Finess,
        year: i16,
    ) -> Result<BTreeMap<String, Decimal>> {
        let rows =
            sqlx::query("SELECT indicator, target FROM targets WHERE entity = $1 AND year = $2")
                .bind(entity.to_string())
                .bind(i64::from(year))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("indicator")?;
                let t = parse_decimal(Some(r.try_get("target")?))?.unwrap_or_default();
                Ok((code, t))
            })
            .collect()
    }

    pub async fn submission(
        &self,
        campaign: &CampaignId,
        entity: &Finess,
    ) -> Result<Option<Submission>> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.campaign = $1 AND s.entity = $2"
        ))
        .bind(campaign.to_owned())
        .bind(entity.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(submission_from_row).transpose()
    }

    /// The submissions of a campaign with their entities and progress.
    pub async fn submissions_of_campaign(&self, campaign: &Campaign) -> Result<Vec<SubmissionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS}, e.finess AS e_finess, e.region AS e_region, e.name AS e_name, e.category AS e_category, \
             (SELECT COUNT(*) FROM indicator_values v JOIN sites st ON st.finess = v.site \
              WHERE st.entity = s.entity AND v.year = $2) AS n_values \
             FROM submissions s JOIN legal_entities e ON e.finess = s.entity \
             WHERE s.campaign = $1 ORDER BY e.name, e.finess"
        ))
        .bind(campaign.id.clone())
        .bind(i64::from(campaign.year))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SubmissionRow {
                    submission: submission_from_row(r)?,
                    entity: entity_from_prefixed(r)?,
                    values_entered: r.try_get("n_values")?,
                })
            })
            .collect()
    }

    /// The dossiers of `campaign` with their legal entity, by name: what
    /// [`Store::submissions_of_campaign`] reads without its count of values per dossier (a
    /// sub-query per dossier), which [`crate::RegionScores::values_entered`] gives from the
    /// rows the scores were computed from.
    pub async fn campaign_dossiers(
        &self,
        campaign: &Campaign,
    ) -> Result<Vec<(Submission, LegalEntity)>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS}, e.finess AS e_finess, e.region AS e_region, e.name AS e_name, e.category AS e_category \
             FROM submissions s JOIN legal_entities e ON e.finess = s.entity \
             WHERE s.campaign = $1 ORDER BY e.name, e.finess"
        ))
        .bind(campaign.id.clone())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((submission_from_row(r)?, entity_from_prefixed(r)?)))
            .collect()
    }

    /// The legal entities with a dossier in `campaign` (what its scores are computed for),
    /// without [`Store::submissions_of_campaign`]'s count of values per dossier: the region's
    /// dashboard reads the previous campaigns' scores only.
    pub async fn campaign_entities(&self, campaign: &Campaign) -> Result<Vec<LegalEntity>> {
        let rows = sqlx::query(
            "SELECT e.finess AS e_finess, e.region AS e_region, e.name AS e_name, e.category AS e_category \
             FROM submissions s JOIN legal_entities e ON e.finess = s.entity \
             WHERE s.campaign = $1 ORDER BY e.name, e.finess",
        )
        .bind(campaign.id.clone())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entity_from_prefixed).collect()
    }

    /// Applies a workflow action: checks the role and the current state, moves
    /// the submission, records the transition and the audit line, all in one
    /// transaction. The state is checked again by the UPDATE itself, so two
    /// concurrent requests cannot both succeed from the same state.
    pub async fn apply_action(
        &self,
        user: &User,
        submission: &Submission,
        region: &RegionCode,
        action: Action,
        comment: Option<&str>,
        score: Option<ScoreRecord>,
    ) -> Result<Submission> {
        self.apply_evaluated_action(
            user,
            submission,
            region,
            action,
            comment,
            score.map(Evaluated::Scored),
        )
        .await
    }

    /// [`Store::apply_action`] where « Évaluer » may also record that the
    /// establishment is not evaluable (W5: no score, no sanction).
    pub async fn apply_evaluated_action(
        &self,
        user: &User,
        submission: &Submission,
        region: &RegionCode,
        action: Action,
        comment: Option<&str>,
        evaluated: Option<Evaluated>,
    ) -> Result<Submission> {
        let to = next_state(submission.state, action, user.role, comment)?;
        if action == Action::Notifier {
            // Notifying needs a decided sanction and freezes it in the same
            // transaction: see `Store::notify_decision`.
            return Err(DossierConflict::NotifyFromDecision.into());
        }
        if action == Action::Evaluer && evaluated.is_none() {
            return Err(DossierConflict::EvaluationWithoutScore.into());
        }
        let score = evaluated.and_then(Evaluated::record);
        let comment = comment
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE submissions SET state = $1, updated_at = $2, last_comment = COALESCE($3, last_comment), \
             score = COALESCE($4, score), bonus = COALESCE($5, bonus), total = COALESCE($6, total) \
             WHERE id = $7 AND state = $8",
        )
        .bind(to.code().to_owned())
        .bind(now.clone())
        .bind(comment.clone())
        .bind(score.map(|s| s.score.to_string()))
        .bind(score.map(|s| s.bonus.to_string()))
        .bind(score.map(|s| s.total.to_string()))
        .bind(submission.id.clone())
        .bind(submission.state.code().to_owned())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StaleConflict::DossierChanged.into());
        }
        let seq: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM submission_transitions WHERE submission = $1")
                .bind(submission.id.clone())
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        sqlx::query(
            "INSERT INTO submission_transitions (id, submission, seq, from_state, to_state, actor, at, comment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(submission.id.clone())
        .bind(seq + 1)
        .bind(submission.state.code().to_owned())
        .bind(to.code().to_owned())
        .bind(user.id.clone())
        .bind(now)
        .bind(comment.clone())
        .execute(&mut *tx)
        .await?;
        // The entity is named so that the log reads « … a validé le dossier de l'entité … ».
        let mut after = json!({ "etat": to.code(), "action": action.code(), "commentaire": comment,
                                "entite": submission.entity.to_string() });
        match evaluated {
            Some(Evaluated::Scored(s)) => {
                after["score"] = json!({ "score": s.score.to_string(), "bonus": s.bonus.to_string(), "total": s.total.to_string() });
            }
            Some(Evaluated::NotEvaluable) => {
                after["score"] = serde_json::Value::Null;
                after["non_evaluable"] = json!(true);
            }
            None => {}
        }
        let line = AuditLine {
            region: Some(region),
            action: "dossier.transition",
            object_kind: "dossier",
            object_id: submission.id.as_str(),
            before: Some(json!({ "etat": submission.state.code() })),
            after: Some(after),
        };
        record(&mut tx, &crate::Actor::user(user), line).await?;
        let entity = submission.entity.to_string();
        let dossier = format!("/campagnes/{}/dossiers/{entity}", submission.campaign);
        for (event, link) in transition_events(action, &dossier) {
            emit(&mut tx, event, About::Entity(&entity), &link).await?;
        }
        tx.commit().await?;
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions s WHERE s.id = $1"
        ))
        .bind(submission.id.clone())
        .fetch_one(&self.pool)
        .await?;
        submission_from_row(&row)
    }

    pub async fn transitions_of(&self, submission: &SubmissionId) -> Result<Vec<Transition>> {
        let rows = sqlx::query(
            "SELECT t.seq, t.from_state, t.to_state, u.display_name AS actor, t.at, t.comment \
             FROM submission_transitions t JOIN users u ON u.id = t.actor WHERE t.submission = $1 ORDER BY t.seq",
        )
        .bind(submission.to_owned())
        .fetch_all(&self.pool)
        .await?;
        let state = |s: String| -> Result<SubmissionState> {
            s.parse().map_err(crate::unreadable("état d'un dossier"))
        };
        rows.iter()
            .map(|r| {
                Ok(Transition {
                    seq: r.try_get("seq")?,
                    from: state(r.try_get("from_state")?)?,
                    to: state(r.try_get("to_state")?)?,
                    actor: r.try_get("actor")?,
                    at: r.try_get("at")?,
                    comment: r.try_get("comment")?,
                })
            })
            .collect()
    }
}

/// The notifications of a workflow action on the dossier at `dossier` (its
/// page): the établissement hears of a return, a validation, an evaluation;
/// the ARS of a submission and a contest; the Assurance Maladie that its
/// opinion is awaited on the evaluated dossier's sanction.
fn transition_events(action: Action, dossier: &str) -> Vec<(Event, String)> {
    let page = dossier.to_owned();
    match action {
        Action::Soumettre => vec![(Event::DossierSoumis, page)],
        Action::Renvoyer => vec![(Event::DossierRenvoye, page)],
        Action::Valider => vec![(Event::DossierValide, page)],
        Action::Evaluer => vec![
            (Event::DossierEvalue, page),
            (
                Event::AvisAmAttendu(Volet::Obligatoire),
                format!("{dossier}/decision"),
            ),
        ],
        Action::Contester => vec![(Event::DecisionContestee, format!("{dossier}/decision"))],
        Action::PrendreEnRevue | Action::Notifier | Action::Clore => Vec::new(),
    }
}
