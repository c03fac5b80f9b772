//! From stored values to the engine. A dossier is scored by the same two calls as
//! `caqes evaluate`: [`caqes_core::evaluation::entity::inputs`] (the entity's values, a
//! multi-site entity pooled from its sites' components, II-04 from years N and N−1) then
//! [`caqes_core::scoring::evaluate`] (issue 9, « one engine »). Values are stored typed
//! (parsed once, at the edge that received them): they are read again against the grid
//! without any text parser ([`caqes_core::multisite::read_unit_entry`], which also applies
//! the multi-site rule to the entity's sites of today).

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::evaluation::entity::{self, Pooled};
use caqes_core::multisite::read_unit_entry;
use caqes_core::referentiel::{Applicability, Referentiel};
use caqes_core::scoring::{self, Given, Score};
use caqes_core::value::Entry;
use rust_decimal::Decimal;

use crate::Store;
use crate::{LegalEntity, Result, Site, StoreError, StoredDeclaration, StoredValue, Typed};

/// A dossier's evaluation: the score with its explained lines, the pooled lines of a
/// multi-site entity, and the warnings of reading and pooling the stored values.
#[derive(Debug, Clone)]
pub struct EntityEvaluation {
    pub score: Score,
    pub pooled: Pooled,
    /// The engine's inputs after reading and pooling, by indicator code: what the
    /// dashboards re-score (`caqes_core::evaluation::what_if`).
    pub given: BTreeMap<String, Given>,
    /// Values that could not be read, sites that could not be pooled, then the engine's
    /// warnings (French).
    pub warnings: Vec<String>,
}

/// The stored values of one entity (years N and N−1), parsed once and indexed.
struct StoredRows {
    /// The only site of a single-site entity: its rows are the entity's own.
    single_site: Option<Finess>,
    codes: Vec<String>,
    rows: BTreeMap<(Finess, i16, usize), Given>,
}

impl StoredRows {
    fn new(
        referentiel: &Referentiel,
        sites: &[Site],
        values: &[StoredValue],
        declarations: &[StoredDeclaration],
        warnings: &mut Vec<String>,
    ) -> StoredRows {
        let multi_site = sites.len() > 1;
        let mut rows = BTreeMap::new();
        for v in values {
            // An indicator, or one of its classes (`III-02/EPO`, D5).
            let Some(line) = referentiel
                .line_of(&v.indicator)
                .and_then(|n| referentiel.line_at(n))
            else {
                warnings.push(format!(
                    "indicateur {} inconnu du référentiel : ignoré",
                    v.indicator
                ));
                continue;
            };
            let (index, ind) = (line.number, line.indicator);
            let read = match &v.typed {
                Typed::Entry(e) => {
                    read_unit_entry(ind, v.year <= referentiel.baseline_year, multi_site, *e)
                        .map_err(|e| e.message)
                }
                // An old row its grid could not read: reported as any invalid value is.
                Typed::Unreadable(why) => Err(why.clone()),
                Typed::Nothing => Err("aucune valeur".to_owned()),
            };
            match read {
                Ok(e) => {
                    let mut given = Given::new(e);
                    if e == Entry::Declared(Applicability::Nc)
                        && let Some(d) = declarations.iter().find(|d| {
                            d.site == v.site && d.year == v.year && d.indicator == v.indicator
                        })
                    {
                        given = given.with_declaration(d.declaration.clone());
                    }
                    rows.insert((v.site, v.year, index), given);
                }
                Err(e) => warnings.push(format!("{} (site {}) : {e}", line.code, v.site)),
            }
        }
        StoredRows {
            single_site: match sites {
                [only] => Some(only.finess),
                _ => None,
            },
            codes: referentiel.lines().map(|l| l.code.to_owned()).collect(),
            rows,
        }
    }
}

impl entity::Rows for StoredRows {
    fn own(&self, year: i16) -> BTreeMap<String, Given> {
        let Some(site) = self.single_site else {
            return BTreeMap::new();
        };
        self.rows
            .range((site, year, 0)..=(site, year, usize::MAX))
            .filter_map(|((_, _, i), g)| self.codes.get(*i).map(|c| (c.clone(), g.clone())))
            .collect()
    }

    fn own_entry(&self, year: i16, index: usize) -> Option<Entry> {
        let site = self.single_site?;
        self.rows.get(&(site, year, index)).map(|g| g.entry)
    }

    fn site(&self, site: Finess, year: i16, index: usize) -> Option<Given> {
        self.rows.get(&(site, year, index)).cloned()
    }
}

/// Scores `entity` for `year` from stored (or typed) values of years N and N−1.
///
/// A single-site entity's values are read as given (II-04 as the rates of N and N−1, as
/// the form asks); a multi-site entity is pooled from its sites' components (II-04 from
/// each site's DDJ and patient-days of N and N−1), as `caqes evaluate --sites` does.
pub fn evaluate_entity(
    referentiel: &Referentiel,
    entity: &LegalEntity,
    sites: &[Site],
    year: i16,
    values: &[StoredValue],
    declarations: &[StoredDeclaration],
    targets: &BTreeMap<String, Decimal>,
) -> EntityEvaluation {
    let mut warnings = Vec::new();
    let rows = StoredRows::new(referentiel, sites, values, declarations, &mut warnings);
    let site_list: Vec<Finess> = sites.iter().map(|s| s.finess).collect();
    let pooling = (site_list.len() > 1).then_some(site_list.as_slice());
    let (given, pooled) = entity::inputs(referentiel, entity.finess, pooling, year, &rows, targets);
    let score = scoring::evaluate(referentiel, entity.category, year, &given, targets);
    warnings.extend(pooled.warnings.iter().cloned());
    warnings.extend(score.warnings.iter().cloned());
    EntityEvaluation {
        score,
        pooled,
        given,
        warnings,
    }
}

impl Store {
    /// Scores `entity` for `year` from what is stored: its sites' values of years N and
    /// N−1, its NC declarations and their review, its contracted targets.
    pub async fn evaluate_entity(
        &self,
        referentiel: &Referentiel,
        entity: &LegalEntity,
        year: i16,
    ) -> Result<EntityEvaluation> {
        let finess = &entity.finess;
        let sites = self.sites_of(finess).await?;
        let inputs = self.entity_inputs(finess, year).await?;
        if sites.is_empty() {
            return Err(StoreError::Corrupt(format!("entité {finess} sans site")));
        }
        Ok(evaluate_entity(
            referentiel,
            entity,
            &sites,
            year,
            &inputs.values,
            &inputs.declarations,
            &inputs.targets,
        ))
    }
}
