//! The multi-year targets the établissement proposes and the ARS accepts or returns.

use caqes_core::Finess;
use caqes_core::RegionCode;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{clean, require_own_entity};
use crate::accounts::require_role;
use crate::admin::audit::{AuditLine, record};
use crate::conflict::{DossierConflict, StaleConflict};
use crate::model::ids::ProposalId;
use crate::{
    Actor, LegalEntity, Result, Role, Store, StoreError, User, new_id, now_text, parse_decimal,
    parse_finess,
};
use caqes_core::workflow::WorkflowError;

/// Where a target proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalState {
    Proposee,
    Acceptee,
    ARevoir,
}

impl ProposalState {
    pub fn code(self) -> &'static str {
        match self {
            ProposalState::Proposee => "proposee",
            ProposalState::Acceptee => "acceptee",
            ProposalState::ARevoir => "a_revoir",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProposalState::Proposee => "Proposée",
            ProposalState::Acceptee => "Acceptée",
            ProposalState::ARevoir => "À revoir",
        }
    }

    fn parse(code: &str) -> Result<ProposalState> {
        [
            ProposalState::Proposee,
            ProposalState::Acceptee,
            ProposalState::ARevoir,
        ]
        .into_iter()
        .find(|s| s.code() == code)
        .ok_or_else(|| StoreError::Corrupt(format!("état de proposition inconnu « {code} »")))
    }
}

/// A target proposed for one indicator and one year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetProposal {
    pub id: ProposalId,
    pub entity: Finess,
    pub indicator: String,
    pub year: i16,
    pub raw: String,
    pub target: Decimal,
    pub state: ProposalState,
    /// Display names.
    pub proposed_by: Option<String>,
    pub proposed_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_comment: Option<String>,
}

/// A target to propose, already read by the engine's parser.
#[derive(Clone, Debug)]
pub struct NewTargetProposal {
    pub indicator: String,
    pub year: i16,
    pub raw: String,
    pub target: Decimal,
}

const PROPOSAL_COLUMNS: &str = "p.id, p.entity, p.indicator, p.year, p.raw, p.target, p.state, \
     up.display_name AS proposed_by_name, p.proposed_at, ur.display_name AS reviewed_by_name, \
     p.reviewed_at, p.review_comment";
const PROPOSAL_FROM: &str = "FROM target_proposals p \
     LEFT JOIN users up ON up.id = p.proposed_by LEFT JOIN users ur ON ur.id = p.reviewed_by";

fn proposal_from_row(r: &AnyRow) -> Result<TargetProposal> {
    let year: i64 = r.try_get("year")?;
    Ok(TargetProposal {
        id: r.try_get("id")?,
        entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
        indicator: r.try_get("indicator")?,
        year: i16::try_from(year).map_err(|_| StoreError::Corrupt(format!("année {year}")))?,
        raw: r.try_get("raw")?,
        target: parse_decimal(Some(r.try_get("target")?))?.unwrap_or_default(),
        state: ProposalState::parse(&r.try_get::<String, _>("state")?)?,
        proposed_by: r.try_get("proposed_by_name")?,
        proposed_at: r.try_get("proposed_at")?,
        reviewed_by: r.try_get("reviewed_by_name")?,
        reviewed_at: r.try_get("reviewed_at")?,
        review_comment: r.try_get("review_comment")?,
    })
}

fn proposal_json(p: &TargetProposal) -> serde_json::Value {
    json!({
        "indicateur": p.indicator, "annee": p.year, "saisie": p.raw,
        "cible": p.target.to_string(), "etat": p.state.code(),
        "commentaire_ars": p.review_comment,
    })
}

impl Store {
    /// Records the établissement's proposals (all or nothing, one audit line).
    pub async fn propose_targets(
        &self,
        user: &User,
        entity: &LegalEntity,
        proposals: &[NewTargetProposal],
    ) -> Result<Vec<ProposalId>> {
        require_own_entity(user, entity, "proposer des cibles")?;
        if proposals.is_empty() {
            return Err(DossierConflict::NoTarget.into());
        }
        let entity_id = entity.finess.to_string();
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::new();
        for p in proposals {
            let id = ProposalId::from(new_id());
            sqlx::query(
                "INSERT INTO target_proposals (id, entity, indicator, year, raw, target, state, proposed_by, proposed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'proposee', $7, $8)",
            )
            .bind(id.clone())
            .bind(entity_id.clone())
            .bind(p.indicator.clone())
            .bind(i64::from(p.year))
            .bind(p.raw.clone())
            .bind(p.target.to_string())
            .bind(user.id.clone())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
            ids.push(id);
        }
        let after: Vec<_> = proposals
            .iter()
            .zip(&ids)
            .map(|(p, id)| {
                json!({ "id": id, "indicateur": p.indicator, "annee": p.year,
                        "saisie": p.raw, "cible": p.target.to_string(), "etat": "proposee" })
            })
            .collect();
        let line = AuditLine {
            region: Some(&entity.region),
            action: "cibles.proposer",
            object_kind: "entite_juridique",
            object_id: &entity_id,
            before: None,
            after: Some(json!({ "propositions": after })),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Every proposal of an entity, newest first (the negotiation history).
    pub async fn target_proposals(&self, entity: &Finess) -> Result<Vec<TargetProposal>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} {PROPOSAL_FROM} WHERE p.entity = $1 \
             ORDER BY p.proposed_at DESC, p.indicator, p.year, p.id"
        ))
        .bind(entity.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(proposal_from_row).collect()
    }

    /// Proposals awaiting the ARS in a region, with their entity's name.
    pub async fn pending_target_proposals_in_region(
        &self,
        region: &RegionCode,
    ) -> Result<Vec<(TargetProposal, String)>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS}, e.name AS entity_name {PROPOSAL_FROM} \
             JOIN legal_entities e ON e.finess = p.entity \
             WHERE e.region = $1 AND p.state = 'proposee' \
             ORDER BY e.name, p.entity, p.indicator, p.year"
        ))
        .bind(region.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((proposal_from_row(r)?, r.try_get("entity_name")?)))
            .collect()
    }

    async fn proposal_of(
        conn: &mut sqlx::AnyConnection,
        entity: &Finess,
        id: &ProposalId,
    ) -> Result<TargetProposal> {
        let row = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} {PROPOSAL_FROM} WHERE p.id = $1 AND p.entity = $2"
        ))
        .bind(id.clone())
        .bind(entity.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref()
            .map(proposal_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound("proposition de cible"))
    }

    /// The ARS accepts a proposal: the target becomes the one the scoring reads.
    pub async fn accept_target_proposal(
        &self,
        user: &User,
        entity: &LegalEntity,
        id: &ProposalId,
        comment: Option<&str>,
    ) -> Result<TargetProposal> {
        self.review_target_proposal(user, entity, id, ProposalState::Acceptee, comment)
            .await
    }

    /// The ARS returns a proposal for revision; the comment is required.
    pub async fn return_target_proposal(
        &self,
        user: &User,
        entity: &LegalEntity,
        id: &ProposalId,
        comment: &str,
    ) -> Result<TargetProposal> {
        self.review_target_proposal(user, entity, id, ProposalState::ARevoir, Some(comment))
            .await
    }

    async fn review_target_proposal(
        &self,
        user: &User,
        entity: &LegalEntity,
        id: &ProposalId,
        to: ProposalState,
        comment: Option<&str>,
    ) -> Result<TargetProposal> {
        let action = match to {
            ProposalState::Acceptee => "accepter une cible",
            _ => "renvoyer une cible",
        };
        require_role(user, Role::Ars, action)?;
        if user.region != Some(entity.region) {
            return Err(StoreError::NotFound("établissement"));
        }
        let comment = clean(comment);
        if to == ProposalState::ARevoir && comment.is_none() {
            return Err(WorkflowError::CommentRequired("renvoyer une cible à revoir").into());
        }
        let entity_id = entity.finess.to_string();
        let mut tx = self.begin_write().await?;
        let before = Self::proposal_of(&mut tx, &entity.finess, id).await?;
        // Guarded on the state read: a concurrent review makes this update a no-op.
        let updated = sqlx::query(
            "UPDATE target_proposals SET state = $1, reviewed_by = $2, reviewed_at = $3, review_comment = $4 \
             WHERE id = $5 AND state = 'proposee'",
        )
        .bind(to.code())
        .bind(user.id.clone())
        .bind(now_text())
        .bind(comment)
        .bind(id.clone())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StaleConflict::TargetProposal {
                state: before.state,
            }
            .into());
        }
        let mut target_change = serde_json::Value::Null;
        if to == ProposalState::Acceptee {
            let previous: Option<String> = sqlx::query(
                "SELECT target FROM targets WHERE entity = $1 AND year = $2 AND indicator = $3",
            )
            .bind(entity_id.clone())
            .bind(i64::from(before.year))
            .bind(before.indicator.clone())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("target"))
            .transpose()?;
            sqlx::query(
                "INSERT INTO targets (entity, year, indicator, target, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (entity, year, indicator) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at",
            )
            .bind(entity_id.clone())
            .bind(i64::from(before.year))
            .bind(before.indicator.clone())
            .bind(before.target.to_string())
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
            target_change = json!({ "avant": previous, "apres": before.target.to_string() });
        }
        let after = Self::proposal_of(&mut tx, &entity.finess, id).await?;
        let mut after_json = proposal_json(&after);
        if let Some(o) = after_json.as_object_mut() {
            o.insert("cible_retenue".into(), target_change);
        }
        let line = AuditLine {
            region: Some(&entity.region),
            action: if to == ProposalState::Acceptee {
                "cibles.accepter"
            } else {
                "cibles.renvoyer"
            },
            object_kind: "proposition_cible",
            object_id: id.as_str(),
            before: Some(proposal_json(&before)),
            after: Some(after_json),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        if to == ProposalState::ARevoir {
            // Targets belong to the entity, not to a campaign: the link opens
            // them from the region's latest campaign.
            let campaign: Option<String> = sqlx::query(
                "SELECT id FROM campaigns WHERE region = $1 ORDER BY year DESC LIMIT 1",
            )
            .bind(entity.region.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?;
            let link = match campaign {
                Some(c) => format!("/campagnes/{c}/dossiers/{entity_id}/engagements"),
                None => "/".to_owned(),
            };
            crate::notify::emit(
                &mut tx,
                caqes_core::notification::Event::CibleRenvoyee,
                crate::notify::About::Entity(&entity_id),
                &link,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }
}
