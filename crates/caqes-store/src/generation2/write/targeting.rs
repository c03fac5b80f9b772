//! Before the contract: the region's choice of contracting unit, the ARS's targeting of
//! each unit and the unit's own objectives.

use caqes_core::notification::Event;
use caqes_core::regimes::grid::ObjectiveKind;
use caqes_core::regimes::own_objective::check_own_objective;
use caqes_core::regimes::targeting::{confirm, targeting};
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::admin::audit::AuditLine;
use crate::conflict::UnitConflict;
use crate::generation2::checks::ensure_ars;
use crate::generation2::unit_write::text;
use crate::generation2::{UnitKind, UnitRef, targeting_code};
use crate::{Actor, Campaign, Result, Store, User, now_text};

/// One indicator of the ARS's targeting form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetingInput {
    pub indicator: String,
    pub measures: Vec<Option<Decimal>>,
    pub retained: bool,
    pub motive: Option<String>,
}

fn objective_kind_code(kind: ObjectiveKind) -> &'static str {
    match kind {
        ObjectiveKind::Reduction => "reduction",
        ObjectiveKind::Target => "cible",
    }
}

impl Store {
    /// The region's choice of contracting unit, while no contract is proposed.
    pub async fn g2_set_unit_kind(
        &self,
        user: &User,
        campaign: &Campaign,
        kind: UnitKind,
    ) -> Result<()> {
        ensure_ars(user, campaign, "Choisir l'unité de contrat")?;
        let before = self.g2_unit_kind(campaign).await?;
        let mut w = self.audited_write().await?;
        let n: i64 =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM g2_contracts WHERE campaign = $1")
                .bind(campaign.id.clone())
                .fetch_one(w.conn())
                .await?;
        if n > 0 {
            return Err(UnitConflict::UnitFrozen.into());
        }
        w.execute(
            sqlx::query("DELETE FROM g2_campaigns WHERE campaign = $1").bind(campaign.id.clone()),
        )
        .await?;
        w.execute(
            sqlx::query(
                "INSERT INTO g2_campaigns (campaign, unit, updated_by, updated_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(campaign.id.clone())
            .bind(kind.code().to_owned())
            .bind(user.id.clone())
            .bind(now_text()),
        )
        .await?;
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "g2.unite_contrat",
            object_kind: "campagne",
            object_id: campaign.id.as_str(),
            before: Some(json!({ "unite": before.code() })),
            after: Some(json!({ "unite": kind.code() })),
        };
        w.commit(&Actor::user(user), line, None).await
    }

    /// The ARS's targeting of a unit: the verdict is computed here from the measures
    /// (`regimes::targeting`), and a decision departing from it needs a motive
    /// (`targeting::confirm`). Frozen once a contract is proposed.
    pub async fn g2_confirm_targeting(
        &self,
        user: &User,
        at: UnitRef<'_>,
        decisions: &[TargetingInput],
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Confirmer le ciblage")?;
        let mut w = self.g2_open_unit(user, at).await?;
        if w.before.contract.is_some() {
            return Err(UnitConflict::TargetingFrozen.into());
        }
        let mut rows = Vec::with_capacity(decisions.len());
        for d in decisions {
            let ind =
                at.grid
                    .indicator(&d.indicator)
                    .ok_or_else(|| UnitConflict::UnknownIndicator {
                        indicator: d.indicator.clone(),
                    })?;
            let computed = targeting(ind, &d.measures).map_err(UnitConflict::Targeting)?;
            let decision = confirm(&ind.code, computed, d.retained, d.motive.as_deref())
                .map_err(UnitConflict::Targeting)?;
            if decision.retenu && !ind.actif {
                return Err(UnitConflict::Neutralised {
                    indicator: ind.code.to_string(),
                }
                .into());
            }
            rows.push((d, decision));
        }
        let now = now_text();
        w.execute(
            sqlx::query("DELETE FROM g2_targeting WHERE campaign = $1 AND unit = $2")
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned()),
        )
        .await?;
        for (d, decision) in &rows {
            let measures = d
                .measures
                .iter()
                .map(|m| text(*m).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(";");
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_targeting (campaign, unit, entity, indicator, measures, computed, retained, \
                     motive, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned())
                .bind(at.entity.finess.as_str().to_owned())
                .bind(d.indicator.clone())
                .bind(measures)
                .bind(targeting_code(decision.calcule).to_owned())
                .bind(i64::from(decision.retenu))
                .bind(decision.motif.clone())
                .bind(user.id.clone())
                .bind(now.clone()),
            )
            .await?;
        }
        let describe = |ind: &str, computed: &str, retained: bool, motive: &Option<String>| json!({"indicateur": ind, "calcule": computed, "retenu": retained, "motif": motive});
        let before = Some(Value::Array(
            w.before
                .targeting
                .iter()
                .map(|t| {
                    describe(
                        &t.indicator,
                        targeting_code(t.computed),
                        t.retained,
                        &t.motive,
                    )
                })
                .collect(),
        ));
        let after = Some(Value::Array(
            rows.iter()
                .map(|(d, c)| describe(&d.indicator, targeting_code(c.calcule), c.retenu, &c.motif))
                .collect(),
        ));
        w.commit("g2.ciblage.confirmer", before, after, None).await
    }

    /// The ARS fixes the unit's own objective of a retained indicator (`value`: % of
    /// reduction a year, or the value to reach), or goes back to the grid's (`None`),
    /// as of `fixed_on`. Checked by `own_objective::check_own_objective`; frozen once
    /// the contract is proposed (the contract states the objectives) and, in any case,
    /// once the evaluation report is recorded.
    pub async fn g2_set_objective(
        &self,
        user: &User,
        at: UnitRef<'_>,
        indicator: &str,
        value: Option<Decimal>,
        fixed_on: Date,
    ) -> Result<()> {
        ensure_ars(user, at.campaign, "Fixer l'objectif d'un établissement")?;
        self.g2_check_unit(at).await?;
        let ind = at
            .grid
            .indicator(indicator)
            .ok_or_else(|| UnitConflict::UnknownIndicator {
                indicator: indicator.to_string(),
            })?;
        if let Some(v) = value {
            check_own_objective(ind, v).map_err(UnitConflict::OwnObjective)?;
        }
        let mut w = self.g2_unit_write(user, at).await?;
        if !w.before.is_retained(indicator) {
            return Err(UnitConflict::NotTargeted {
                indicator: indicator.to_string(),
            }
            .into());
        }
        if w.before.contract.is_some() {
            return Err(UnitConflict::ObjectivesFrozenByContract.into());
        }
        if w.before.evaluation.is_some() {
            return Err(UnitConflict::ObjectivesFrozenByReport.into());
        }
        let before = w.before.own_objective(indicator).cloned();
        if before.is_none() && value.is_none() {
            return Err(UnitConflict::GridObjective {
                indicator: indicator.to_string(),
            }
            .into());
        }
        w.execute(
            sqlx::query(
                "DELETE FROM g2_objectives WHERE campaign = $1 AND unit = $2 AND indicator = $3",
            )
            .bind(at.campaign.id.clone())
            .bind(at.unit.as_str().to_owned())
            .bind(indicator.to_owned()),
        )
        .await?;
        if let Some(v) = value {
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_objectives (campaign, unit, entity, indicator, value, fixed_on, fixed_by, fixed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned())
                .bind(at.entity.finess.as_str().to_owned())
                .bind(indicator.to_owned())
                .bind(v.normalize().to_string())
                .bind(fixed_on.to_string())
                .bind(user.id.clone())
                .bind(now_text()),
            )
            .await?;
        }
        let grid_value = ind.objectif.valeur.normalize().to_string();
        let describe = |value: Option<Decimal>, on: Option<Date>| {
            json!({
                "indicateur": indicator,
                "type": objective_kind_code(ind.objectif.kind),
                "grille": grid_value,
                "objectif": value.map(|v| v.normalize().to_string()),
                "fixe_le": on.map(|d| d.to_string()),
            })
        };
        w.commit(
            "g2.objectif.fixer",
            Some(describe(
                before.as_ref().map(|o| o.value),
                before.as_ref().map(|o| o.fixed_on),
            )),
            Some(describe(value, value.map(|_| fixed_on))),
            Some(Event::ObjectifFixeG2),
        )
        .await
    }
}
