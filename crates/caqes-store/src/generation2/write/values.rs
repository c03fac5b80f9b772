//! The values of N and N−1 of a unit's retained indicators: typed by the établissement or
//! the ARS, or imported by the ARS for the campaign's units.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use caqes_core::Finess;
use caqes_core::regimes::ObjectivesGrid;
use caqes_core::regimes::outcome::YearValues;
use serde_json::{Value, json};

use crate::admin::audit::AuditLine;
use crate::conflict::{Generation2Conflict, ValueRowProblem, ValuesConflict};
use crate::generation2::checks::{ensure_ars, ensure_own};
use crate::generation2::read::unit_file_in;
use crate::generation2::unit_write::text;
use crate::generation2::{UnitFile, UnitRef, evaluate};
use crate::{Actor, Campaign, LegalEntity, Result, Role, Store, StoreError, User, now_text};

/// One row of an import of values (`caqes_data::objectives_input::read_value_rows`):
/// a unit's values of one indicator and year, and the file's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueImportRow {
    pub unit: Finess,
    pub indicator: String,
    pub year: i16,
    pub values: YearValues,
    pub line: u64,
}

fn values_json(v: &YearValues) -> Value {
    json!({"montant": text(v.montant), "numerateur": text(v.numerateur), "denominateur": text(v.denominateur)})
}

impl Store {
    /// Values of N and N−1 for the retained indicators of a signed contract, by the
    /// établissement or the ARS, until the intéressement is notified. An empty row
    /// deletes the stored one. The engine must accept the result (no negative value,
    /// no rate above 100 %).
    pub async fn g2_save_values(
        &self,
        user: &User,
        at: UnitRef<'_>,
        rows: &[(String, i16, YearValues)],
    ) -> Result<()> {
        match user.role {
            Role::Ars => ensure_ars(user, at.campaign, "Saisir les valeurs")?,
            _ => ensure_own(user, at.entity, "Saisir les valeurs")?,
        }
        let mut w = self.g2_open_unit(user, at).await?;
        let before = w.before.clone();
        if !before.engaged(at.grid) {
            return Err(ValuesConflict::NotSignedNoValues.into());
        }
        if before.evaluation.as_ref().is_some_and(|e| e.notified()) {
            return Err(ValuesConflict::ValuesFrozen.into());
        }
        let mut after: UnitFile = before.clone();
        for (code, year, v) in rows {
            if !before.is_retained(code) {
                return Err(ValuesConflict::NotInContract {
                    indicator: code.to_string(),
                }
                .into());
            }
            if *year != at.campaign.year && *year != at.campaign.year - 1 {
                return Err(ValuesConflict::YearOutside {
                    indicator: code.to_string(),
                    year: *year,
                    current: at.campaign.year,
                }
                .into());
            }
            after.values.retain(|(c, y, _)| !(c == code && y == year));
            if *v != YearValues::default() {
                after.values.push((code.clone(), *year, *v));
            }
        }
        evaluate(at.grid, at.campaign.year, &after).map_err(Generation2Conflict::Outcome)?;
        let now = now_text();
        for (code, year, v) in rows {
            w.execute(
                sqlx::query(
                    "DELETE FROM g2_values WHERE campaign = $1 AND unit = $2 AND indicator = $3 AND year = $4",
                )
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned())
                .bind(code.clone())
                .bind(i64::from(*year)),
            )
            .await?;
            if *v == YearValues::default() {
                continue;
            }
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_values (campaign, unit, entity, indicator, year, montant, numerateur, \
                     denominateur, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(at.campaign.id.clone())
                .bind(at.unit.as_str().to_owned())
                .bind(at.entity.finess.as_str().to_owned())
                .bind(code.clone())
                .bind(i64::from(*year))
                .bind(text(v.montant))
                .bind(text(v.numerateur))
                .bind(text(v.denominateur))
                .bind(user.id.clone())
                .bind(now.clone()),
            )
            .await?;
        }
        let snapshot = |f: &UnitFile| {
            Value::Array(
                f.values
                    .iter()
                    .filter(|(c, y, _)| rows.iter().any(|(rc, ry, _)| rc == c && ry == y))
                    .map(
                        |(c, y, v)| json!({"indicateur": c, "annee": y, "valeurs": values_json(v)}),
                    )
                    .collect(),
            )
        };
        w.commit(
            "g2.valeurs.saisir",
            Some(snapshot(&before)),
            Some(snapshot(&after)),
            None,
        )
        .await
    }

    /// The ARS imports values of N and N−1 for the campaign's units (`file` names the
    /// file in the errors): every row is checked as `g2_save_values` checks a form —
    /// a contracting unit of the campaign, engaged and not notified, an indicator
    /// retained, year N or N−1, the engine accepting each unit's values — before
    /// anything is written; then all rows in one transaction with one audit line.
    /// Returns the rows written.
    pub async fn g2_import_values(
        &self,
        user: &User,
        campaign: &Campaign,
        grid: &ObjectivesGrid,
        file: &str,
        rows: &[ValueImportRow],
    ) -> Result<usize> {
        ensure_ars(user, campaign, "Importer les valeurs")?;
        let mut owners: HashMap<Finess, LegalEntity> = HashMap::new();
        for entity in self.legal_entities_in_region(&campaign.region).await? {
            for u in self.g2_units(campaign, &entity).await? {
                owners.insert(u.finess, entity.clone());
            }
        }
        let at = |line: u64, problem: ValueRowProblem| {
            StoreError::from(ValuesConflict::ValueImport {
                file: file.to_string(),
                line,
                problem,
            })
        };
        let mut w = self.audited_write().await?;
        let mut files: BTreeMap<Finess, UnitFile> = BTreeMap::new();
        for r in rows {
            if !owners.contains_key(&r.unit) {
                return Err(at(r.line, ValueRowProblem::NotAUnit { unit: r.unit }));
            }
            let after = match files.entry(r.unit) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(v) => {
                    let f = unit_file_in(w.conn(), &campaign.id, r.unit).await?;
                    if !f.engaged(grid) {
                        return Err(at(r.line, ValueRowProblem::NotSigned { unit: r.unit }));
                    }
                    if f.evaluation.as_ref().is_some_and(|e| e.notified()) {
                        return Err(at(r.line, ValueRowProblem::Notified { unit: r.unit }));
                    }
                    v.insert(f)
                }
            };
            if !after.is_retained(&r.indicator) {
                return Err(at(
                    r.line,
                    ValueRowProblem::NotRetained {
                        indicator: r.indicator.clone(),
                        unit: r.unit,
                    },
                ));
            }
            if r.year != campaign.year && r.year != campaign.year - 1 {
                return Err(at(
                    r.line,
                    ValueRowProblem::YearOutside {
                        year: r.year,
                        current: campaign.year,
                    },
                ));
            }
            after
                .values
                .retain(|(c, y, _)| !(*c == r.indicator && *y == r.year));
            after.values.push((r.indicator.clone(), r.year, r.values));
        }
        for (unit, after) in &files {
            evaluate(grid, campaign.year, after).map_err(|source| {
                ValuesConflict::ImportOutcome {
                    file: file.to_string(),
                    unit: *unit,
                    source,
                }
            })?;
        }
        let now = now_text();
        for r in rows {
            let entity = owners
                .get(&r.unit)
                .ok_or(StoreError::NotFound("unité de contrat"))?;
            w.execute(
                sqlx::query(
                    "DELETE FROM g2_values WHERE campaign = $1 AND unit = $2 AND indicator = $3 AND year = $4",
                )
                .bind(campaign.id.clone())
                .bind(r.unit.as_str().to_owned())
                .bind(r.indicator.clone())
                .bind(i64::from(r.year)),
            )
            .await?;
            w.execute(
                sqlx::query(
                    "INSERT INTO g2_values (campaign, unit, entity, indicator, year, montant, numerateur, \
                     denominateur, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(campaign.id.clone())
                .bind(r.unit.as_str().to_owned())
                .bind(entity.finess.as_str().to_owned())
                .bind(r.indicator.clone())
                .bind(i64::from(r.year))
                .bind(text(r.values.montant))
                .bind(text(r.values.numerateur))
                .bind(text(r.values.denominateur))
                .bind(user.id.clone())
                .bind(now.clone()),
            )
            .await?;
        }
        let line = AuditLine {
            region: Some(&campaign.region),
            action: "g2.valeurs.importer",
            object_kind: "campagne",
            object_id: campaign.id.as_str(),
            before: None,
            after: Some(json!({
                "fichier": file,
                "lignes": rows.len(),
                "unites": files.keys().map(Finess::as_str).collect::<Vec<_>>(),
            })),
        };
        w.commit(&Actor::user(user), line, None).await?;
        Ok(rows.len())
    }
}
