//! Every dossier of a campaign scored at once (issue 12): the region's dashboard and the
//! campaign follow-up score thousands of establishments per page. [`Store::evaluate_entity`]
//! asks about five queries per establishment; this loads the region's sites, values of
//! years N and N−1, NC declarations and targets in five queries in all, then scores each
//! establishment in memory with the same function, [`evaluate_entity`] (one engine: the
//! test `campaign_scores` checks both give the same score for every dossier).

use caqes_core::RegionCode;
use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::referentiel::Referentiel;
use rust_decimal::Decimal;
use sqlx::Row;

use crate::campaign::declarations::review_from_code;
use crate::campaign::typed::{typed_columns, typed_from_row};
use crate::dossier::evaluation::{EntityEvaluation, evaluate_entity};
use crate::{
    LegalEntity, Result, Site, Store, StoreError, StoredDeclaration, StoredValue, parse_decimal,
    parse_finess,
};
use caqes_core::value::NcDeclaration;

/// What the region holds, grouped by legal entity.
#[derive(Default)]
struct RegionRows {
    sites: BTreeMap<Finess, Vec<Site>>,
    values: BTreeMap<Finess, Vec<StoredValue>>,
    declarations: BTreeMap<Finess, Vec<StoredDeclaration>>,
    targets: BTreeMap<Finess, BTreeMap<String, Decimal>>,
}

/// What [`Store::score_region`] computes and counts.
pub(crate) struct ScoredRegion {
    /// In the order of the entities given.
    pub(crate) evaluations: Vec<EntityEvaluation>,
    /// Every entity of the region with sites.
    pub(crate) site_counts: BTreeMap<Finess, usize>,
    /// Values of the year scored, per entity given.
    pub(crate) values_entered: BTreeMap<Finess, usize>,
}

/// An entity without contracted targets.
static NO_TARGETS: BTreeMap<String, Decimal> = BTreeMap::new();

fn year_of(y: i64) -> Result<i16> {
    i16::try_from(y).map_err(|_| StoreError::Corrupt(format!("année hors limites {y}")))
}

impl Store {
    /// Scores every entity of `entities` (of `region`) for `year`, as
    /// [`Store::evaluate_entity`] would one by one, in the order given.
    pub async fn evaluate_entities(
        &self,
        referentiel: &Referentiel,
        region: &RegionCode,
        year: i16,
        entities: &[LegalEntity],
    ) -> Result<Vec<EntityEvaluation>> {
        Ok(self
            .score_region(referentiel, region, year, entities)
            .await?
            .evaluations)
    }

    /// [`Store::evaluate_entities`], with the number of sites of every entity of the
    /// region (read by the same query) and the number of values of year `year` of each
    /// of `entities` (read with the values).
    pub(crate) async fn score_region(
        &self,
        referentiel: &Referentiel,
        region: &RegionCode,
        year: i16,
        entities: &[LegalEntity],
    ) -> Result<ScoredRegion> {
        let mut rows = RegionRows::default();
        self.region_sites(region, &mut rows).await?;
        // N then N−1, each in the order `values_for_entity` reads them.
        for y in [year, year - 1] {
            self.region_values(region, y, &mut rows).await?;
        }
        self.region_declarations(region, year, &mut rows).await?;
        self.region_targets(region, year, &mut rows).await?;
        let evaluations = score_all(referentiel, year, &rows, entities)?;
        let values_entered = entities
            .iter()
            .map(|e| {
                let n = rows
                    .values
                    .get(&e.finess)
                    .map_or(0, |v| v.iter().filter(|v| v.year == year).count());
                (e.finess, n)
            })
            .collect();
        let site_counts = rows
            .sites
            .into_iter()
            .map(|(entity, sites)| (entity, sites.len()))
            .collect();
        Ok(ScoredRegion {
            evaluations,
            site_counts,
            values_entered,
        })
    }

    /// The number of sites of every legal entity of `region` (one query).
    pub async fn site_counts_in_region(
        &self,
        region: &RegionCode,
    ) -> Result<BTreeMap<Finess, usize>> {
        let mut rows = RegionRows::default();
        self.region_sites(region, &mut rows).await?;
        Ok(rows
            .sites
            .into_iter()
            .map(|(entity, sites)| (entity, sites.len()))
            .collect())
    }

    async fn region_sites(&self, region: &RegionCode, rows: &mut RegionRows) -> Result<()> {
        let found = sqlx::query(
            "SELECT s.finess, s.entity, s.name FROM sites s \
             JOIN legal_entities e ON e.finess = s.entity \
             WHERE e.region = $1 ORDER BY s.entity, s.finess",
        )
        .bind(region.to_string())
        .fetch_all(&self.pool)
        .await?;
        for r in &found {
            let site = Site {
                finess: parse_finess(&r.try_get::<String, _>("finess")?)?,
                entity: parse_finess(&r.try_get::<String, _>("entity")?)?,
                name: r.try_get("name")?,
            };
            rows.sites.entry(site.entity).or_default().push(site);
        }
        Ok(())
    }

    async fn region_values(
        &self,
        region: &RegionCode,
        year: i16,
        rows: &mut RegionRows,
    ) -> Result<()> {
        let found = sqlx::query(&format!(
            "SELECT s.entity, v.site, v.year, v.indicator, v.numerator, v.denominator, v.value, \
                 v.declared, {} FROM indicator_values v JOIN sites s ON s.finess = v.site \
                 JOIN legal_entities e ON e.finess = s.entity \
                 WHERE e.region = $1 AND v.year = $2 ORDER BY v.indicator, v.site",
            typed_columns("v.")
        ))
        .bind(region.to_string())
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        for r in &found {
            let entity = parse_finess(&r.try_get::<String, _>("entity")?)?;
            rows.values.entry(entity).or_default().push(StoredValue {
                site: parse_finess(&r.try_get::<String, _>("site")?)?,
                year: year_of(r.try_get("year")?)?,
                indicator: r.try_get("indicator")?,
                numerator: r.try_get("numerator")?,
                denominator: r.try_get("denominator")?,
                value: r.try_get("value")?,
                declared: r.try_get("declared")?,
                typed: typed_from_row(r)?,
            });
        }
        Ok(())
    }

    async fn region_declarations(
        &self,
        region: &RegionCode,
        year: i16,
        rows: &mut RegionRows,
    ) -> Result<()> {
        let found = sqlx::query(
            "SELECT s.entity, d.site, d.year, d.indicator, d.motive, d.review, d.review_comment \
             FROM nc_declarations d JOIN sites s ON s.finess = d.site \
             JOIN legal_entities e ON e.finess = s.entity \
             WHERE e.region = $1 AND d.year = $2 ORDER BY d.indicator, d.site",
        )
        .bind(region.to_string())
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        for r in &found {
            let entity = parse_finess(&r.try_get::<String, _>("entity")?)?;
            let motive: String = r.try_get("motive")?;
            let review = review_from_code(&r.try_get::<String, _>("review")?)?;
            let declaration = NcDeclaration::new(&motive, review)
                .map_err(crate::unreadable("déclaration de non-concernement"))?;
            rows.declarations
                .entry(entity)
                .or_default()
                .push(StoredDeclaration {
                    site: parse_finess(&r.try_get::<String, _>("site")?)?,
                    year: year_of(r.try_get("year")?)?,
                    indicator: r.try_get("indicator")?,
                    declaration,
                    review_comment: r.try_get("review_comment")?,
                });
        }
        Ok(())
    }

    async fn region_targets(
        &self,
        region: &RegionCode,
        year: i16,
        rows: &mut RegionRows,
    ) -> Result<()> {
        let found = sqlx::query(
            "SELECT t.entity, t.indicator, t.target FROM targets t \
             JOIN legal_entities e ON e.finess = t.entity \
             WHERE e.region = $1 AND t.year = $2",
        )
        .bind(region.to_string())
        .bind(i64::from(year))
        .fetch_all(&self.pool)
        .await?;
        for r in &found {
            let entity = parse_finess(&r.try_get::<String, _>("entity")?)?;
            let code: String = r.try_get("indicator")?;
            let t = parse_decimal(Some(r.try_get("target")?))?.unwrap_or_default();
            rows.targets.entry(entity).or_default().insert(code, t);
        }
        Ok(())
    }
}

/// Scores every entity of `entities` from the region's rows, in the order given.
fn score_all(
    referentiel: &Referentiel,
    year: i16,
    rows: &RegionRows,
    entities: &[LegalEntity],
) -> Result<Vec<EntityEvaluation>> {
    let score = |e: &LegalEntity| -> Result<EntityEvaluation> {
        let sites = rows
            .sites
            .get(&e.finess)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| StoreError::Corrupt(format!("entité {} sans site", e.finess)))?;
        Ok(evaluate_entity(
            referentiel,
            e,
            sites,
            year,
            rows.values.get(&e.finess).map_or(&[][..], Vec::as_slice),
            rows.declarations
                .get(&e.finess)
                .map_or(&[][..], Vec::as_slice),
            rows.targets.get(&e.finess).unwrap_or(&NO_TARGETS),
        ))
    };
    // The scoring is pure computation on what was loaded: spread over the cores
    // (a region of 3 000 establishments is scored per page view).
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = entities.len().div_ceil(threads.max(1)).max(1);
    // Below a few dozen the threads cost more than they save (the demo region, 40
    // dossiers, is scored in parallel: the tests go through both paths).
    if threads <= 1 || entities.len() < 32 {
        return entities.iter().map(score).collect();
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = entities
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(score).collect::<Result<Vec<_>>>()))
            .collect();
        let mut all = Vec::with_capacity(entities.len());
        for part in parts {
            let scored = part.join().map_err(|_| {
                StoreError::Corrupt("notation interrompue (fil de calcul)".to_owned())
            })??;
            all.extend(scored);
        }
        Ok(all)
    })
}
