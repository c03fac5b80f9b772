//! The établissement's internal action plan.

use caqes_core::Finess;
use caqes_core::volets::Progress;
use jiff::civil::Date;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::require_own_entity;
use crate::admin::audit::{AuditLine, record};
use crate::model::ids::ActionItemId;
use crate::{Actor, LegalEntity, Result, Store, StoreError, User, new_id, now_text, parse_finess};

/// Status of an action of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionStatus {
    AFaire,
    EnCours,
    Realisee,
    Abandonnee,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 4] = [
        ActionStatus::AFaire,
        ActionStatus::EnCours,
        ActionStatus::Realisee,
        ActionStatus::Abandonnee,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ActionStatus::AFaire => "a_faire",
            ActionStatus::EnCours => "en_cours",
            ActionStatus::Realisee => "realisee",
            ActionStatus::Abandonnee => "abandonnee",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::AFaire => "À faire",
            ActionStatus::EnCours => "En cours",
            ActionStatus::Realisee => "Réalisée",
            ActionStatus::Abandonnee => "Abandonnée",
        }
    }

    pub fn parse(code: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One action of the internal action plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionItem {
    pub id: ActionItemId,
    pub entity: Finess,
    pub action: String,
    pub serves: String,
    pub pilot: String,
    pub due_on: Option<Date>,
    pub status: ActionStatus,
    pub progress_comment: Option<String>,
    pub updated_at: String,
}

/// What the établissement writes about an action.
#[derive(Clone, Debug)]
pub struct ActionInput {
    pub action: String,
    pub serves: String,
    pub pilot: String,
    pub due_on: Option<Date>,
    pub status: ActionStatus,
    pub progress_comment: Option<String>,
}

/// Counts of the plan: abandoned actions are neither done nor planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanCounts {
    pub done: u32,
    pub planned: u32,
}

impl PlanCounts {
    pub fn of(items: &[ActionItem]) -> PlanCounts {
        let planned = items
            .iter()
            .filter(|i| i.status != ActionStatus::Abandonnee)
            .count();
        let done = items
            .iter()
            .filter(|i| i.status == ActionStatus::Realisee)
            .count();
        PlanCounts {
            done: u32::try_from(done).unwrap_or(u32::MAX),
            planned: u32::try_from(planned).unwrap_or(u32::MAX),
        }
    }

    /// The engine's progress (done / planned); `None` for an empty plan.
    pub fn progress(self) -> Option<Progress> {
        Progress::from_actions(self.done, self.planned).ok()
    }
}

const ACTION_COLUMNS: &str =
    "id, entity, action, serves, pilot, due_on, status, progress_comment, updated_at";

fn action_from_row(r: &AnyRow) -> Result<ActionItem> {
    let status: String = r.try_get("status")?;
    let due: Option<String> = r.try_get("due_on")?;
    Ok(ActionItem {
        id: r.try_get("id")?,
        entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
        action: r.try_get("action")?,
        serves: r.try_get("serves")?,
        pilot: r.try_get("pilot")?,
        due_on: due
            .map(|t| {
                t.parse()
                    .map_err(|_| StoreError::Corrupt(format!("date illisible « {t} »")))
            })
            .transpose()?,
        status: ActionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("statut d'action inconnu « {status} »")))?,
        progress_comment: r.try_get("progress_comment")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn action_json(a: &ActionInput) -> serde_json::Value {
    json!({
        "action": a.action, "sert": a.serves, "pilote": a.pilot,
        "echeance": a.due_on.map(|d| d.to_string()), "statut": a.status.code(),
        "avancement": a.progress_comment,
    })
}

fn action_item_json(a: &ActionItem) -> serde_json::Value {
    json!({
        "action": a.action, "sert": a.serves, "pilote": a.pilot,
        "echeance": a.due_on.map(|d| d.to_string()), "statut": a.status.code(),
        "avancement": a.progress_comment,
    })
}

impl Store {
    pub async fn action_items(&self, entity: &Finess) -> Result<Vec<ActionItem>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM action_items WHERE entity = $1 ORDER BY created_at, id"
        ))
        .bind(entity.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(action_from_row).collect()
    }

    pub async fn add_action_item(
        &self,
        user: &User,
        entity: &LegalEntity,
        input: &ActionInput,
    ) -> Result<ActionItemId> {
        require_own_entity(user, entity, "modifier le plan d'actions")?;
        let id = ActionItemId::from(new_id());
        let now = now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO action_items (id, entity, action, serves, pilot, due_on, status, progress_comment, created_at, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
        )
        .bind(id.clone())
        .bind(entity.finess.to_string())
        .bind(input.action.clone())
        .bind(input.serves.clone())
        .bind(input.pilot.clone())
        .bind(input.due_on.map(|d| d.to_string()))
        .bind(input.status.code())
        .bind(input.progress_comment.clone())
        .bind(now)
        .bind(user.id.clone())
        .execute(&mut *tx)
        .await?;
        let line = AuditLine {
            region: Some(&entity.region),
            action: "plan_actions.ajouter",
            object_kind: "action",
            object_id: id.as_str(),
            before: None,
            after: Some(action_json(input)),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_action_item(
        &self,
        user: &User,
        entity: &LegalEntity,
        id: &ActionItemId,
        input: &ActionInput,
    ) -> Result<()> {
        require_own_entity(user, entity, "modifier le plan d'actions")?;
        let entity_id = entity.finess.to_string();
        let mut tx = self.begin_write().await?;
        let before = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM action_items WHERE id = $1 AND entity = $2"
        ))
        .bind(id.clone())
        .bind(entity_id.clone())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(action_from_row)
        .transpose()?
        .ok_or(StoreError::NotFound("action"))?;
        sqlx::query(
            "UPDATE action_items SET action = $1, serves = $2, pilot = $3, due_on = $4, status = $5, \
             progress_comment = $6, updated_at = $7, updated_by = $8 WHERE id = $9 AND entity = $10",
        )
        .bind(input.action.clone())
        .bind(input.serves.clone())
        .bind(input.pilot.clone())
        .bind(input.due_on.map(|d| d.to_string()))
        .bind(input.status.code())
        .bind(input.progress_comment.clone())
        .bind(now_text())
        .bind(user.id.clone())
        .bind(id.clone())
        .bind(entity_id)
        .execute(&mut *tx)
        .await?;
        let line = AuditLine {
            region: Some(&entity.region),
            action: "plan_actions.modifier",
            object_kind: "action",
            object_id: id.as_str(),
            before: Some(action_item_json(&before)),
            after: Some(action_json(input)),
        };
        record(&mut tx, &Actor::user(user), line).await?;
        tx.commit().await?;
        Ok(())
    }
}
