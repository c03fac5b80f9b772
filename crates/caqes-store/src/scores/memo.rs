//! The engine's results kept in the process, keyed by what they are computed from: the
//! campaign's grid key, the year, the entity (or region) and their [`ScoreRevision`]s. A
//! view whose key matches serves the stored result instead of reading the values again and
//! scoring (bench/web/RESULTS.md: scoring and the values' query were most of a dossier
//! page). A write to an entity's values, declarations, targets, sites or category moves
//! that entity's revision and its region's: the next dossier view of that entity
//! recomputes, and the next view of the region's scores recomputes that entity only (the
//! others keep their entry: bench/dashboard/RESULTS.md).
//!
//! Bounded: at most [`ENTITY_CAPACITY`] dossiers and [`REGION_CAPACITY`] region-years,
//! the oldest entry leaving first; one entry per key (a new revision replaces the old
//! one), so a busy region does not fill the memo with stale results.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use caqes_core::referentiel::Referentiel;
use caqes_core::scoring::Score;
use caqes_core::{Category, Finess, RegionCode};

use super::revision::ScoreRevision;
use crate::dossier::evaluation::{EntityEvaluation, evaluate_entity};
use crate::{Campaign, EntityInputs, LegalEntity, Result, Site, Store, StoreError};

/// Dossiers kept (a three-site entity's entry is about 100 KiB: values of N and N−1 and
/// the explained score).
pub const ENTITY_CAPACITY: usize = 512;
/// Region-years kept (measured: ~10 MiB of scores for a campaign of 3 000 establishments,
/// bench/dashboard/RESULTS.md).
pub const REGION_CAPACITY: usize = 8;
/// Up to this many entities to score again, a region's scores are updated entity by entity
/// (two queries each, through the dossiers' memo); beyond, in one batch for the region
/// (five queries reading the whole region: measured ~1 s for 3 000 establishments in
/// release on a loaded machine, bench/dashboard/RESULTS.md, i.e. the cost of some hundred
/// entities one by one).
pub const ONE_BY_ONE: usize = 64;

/// What a dossier page shows and scores, as read and computed at one revision.
#[derive(Debug)]
pub struct EntityScoring {
    /// The entity's revision it was computed at: its other campaigns' scorings at the
    /// same revision are as fresh (the revision covers every year).
    pub revision: ScoreRevision,
    pub sites: Vec<Site>,
    /// Values of years N and N−1, NC declarations and targets of year N.
    pub inputs: EntityInputs,
    pub evaluation: EntityEvaluation,
}

/// The provisional scores of a region's establishments for one campaign, their number
/// of sites and of values entered.
#[derive(Debug, Default)]
pub struct RegionScores {
    scores: HashMap<Finess, (Category, Arc<Score>)>,
    site_counts: BTreeMap<Finess, usize>,
    /// Values of the campaign's year of each entity scored, counted in the rows scored
    /// (the follow-up's « valeurs saisies »: no query of its own).
    values_entered: HashMap<Finess, usize>,
}

impl RegionScores {
    /// The score of `entity`, as computed for its category.
    pub fn score(&self, entity: &LegalEntity) -> Option<&Score> {
        self.scores
            .get(&entity.finess)
            .filter(|(category, _)| *category == entity.category)
            .map(|(_, s)| s.as_ref())
    }

    /// The number of sites of `entity` (0 when it has none).
    pub fn site_count(&self, entity: &Finess) -> usize {
        self.site_counts.get(entity).copied().unwrap_or(0)
    }

    /// The number of values of the campaign's year entered for the sites of `entity`
    /// (0 when it was not scored).
    pub fn values_entered(&self, entity: &Finess) -> usize {
        self.values_entered.get(entity).copied().unwrap_or(0)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct EntityKey {
    grid: String,
    entity: Finess,
    year: i16,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct RegionKey {
    grid: String,
    region: RegionCode,
    year: i16,
}

/// A map of at most `capacity` entries, the oldest key leaving first.
struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Clone + Eq + Hash, V: Clone> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        self.map.get(key).cloned()
    }

    fn insert(&mut self, key: K, value: V) {
        if self.map.insert(key.clone(), value).is_some() {
            return;
        }
        self.order.push_back(key);
        while self.map.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.map.remove(&oldest);
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// Valid for the entity's region, revision and category (an entity's revision is a value
/// of its region's: the region is part of it).
type EntityEntry = (RegionCode, ScoreRevision, Category, Arc<EntityScoring>);
type RegionEntry = (ScoreRevision, Arc<RegionScores>);

/// The store's memo (one per [`Store`], shared by its clones).
pub(crate) struct Memo {
    entities: Mutex<Bounded<EntityKey, EntityEntry>>,
    regions: Mutex<Bounded<RegionKey, RegionEntry>>,
    /// One region scored at a time: a dashboard opened by several people at once after a
    /// write scores the region once, the others wait and read the result.
    region_turn: futures_util::lock::Mutex<()>,
}

impl Memo {
    pub(crate) fn new() -> Memo {
        Memo {
            entities: Mutex::new(Bounded::new(ENTITY_CAPACITY)),
            regions: Mutex::new(Bounded::new(REGION_CAPACITY)),
            region_turn: futures_util::lock::Mutex::new(()),
        }
    }

    fn entity(&self, key: &EntityKey) -> Option<EntityEntry> {
        // A poisoned lock only means a panic elsewhere while holding it: the map is whole.
        self.entities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
    }

    fn region(&self, key: &RegionKey) -> Option<RegionEntry> {
        self.regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entities = self.entities.lock().map_or(0, |m| m.len());
        let regions = self.regions.lock().map_or(0, |m| m.len());
        f.debug_struct("Memo")
            .field("entities", &entities)
            .field("regions", &regions)
            .finish()
    }
}

impl Store {
    /// The sites, stored inputs and evaluation of `entity` in `campaign` (whose grid is
    /// `referentiel`), as of `revision` — the entity's [`ScoreRevision`] in its region,
    /// read BEFORE this call (with the dossier, `Store::dossier_parts`, or
    /// [`Store::entity_score_revision`]): computed once per revision.
    pub async fn entity_scoring(
        &self,
        campaign: &Campaign,
        referentiel: &Referentiel,
        entity: &LegalEntity,
        revision: ScoreRevision,
    ) -> Result<Arc<EntityScoring>> {
        let key = EntityKey {
            grid: campaign.referentiel_id.clone(),
            entity: entity.finess,
            year: campaign.year,
        };
        if let Some((region, r, category, found)) = self.memo.entity(&key)
            && region == entity.region
            && r == revision
            && category == entity.category
        {
            return Ok(found);
        }
        let finess = &entity.finess;
        let sites = self.sites_of(finess).await?;
        let inputs = self.entity_inputs(finess, campaign.year).await?;
        let evaluation = evaluate_entity(
            referentiel,
            entity,
            &sites,
            campaign.year,
            &inputs.values,
            &inputs.declarations,
            &inputs.targets,
        );
        let scoring = Arc::new(EntityScoring {
            revision,
            sites,
            inputs,
            evaluation,
        });
        self.memo
            .entities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                key,
                (
                    entity.region,
                    revision,
                    entity.category,
                    Arc::clone(&scoring),
                ),
            );
        Ok(scoring)
    }

    /// The provisional scores of `entities` (of the campaign's region) in `campaign`,
    /// whose grid is `referentiel`, with their number of sites. The region's revision is
    /// read here, before anything it guards; when it has not moved since the last view,
    /// the scores come from memory. When it has, only the entities written since (their
    /// revision is above the one of the scores kept) and those not scored yet are scored
    /// again: one by one through the dossiers' memo ([`Store::entity_scoring`]) when they
    /// are few, else in one batch for the region (five queries and the engine on every
    /// core, [`Store::evaluate_entities`]).
    pub async fn campaign_scores(
        &self,
        campaign: &Campaign,
        referentiel: &Referentiel,
        entities: &[LegalEntity],
    ) -> Result<Arc<RegionScores>> {
        let key = RegionKey {
            grid: campaign.referentiel_id.clone(),
            region: campaign.region,
            year: campaign.year,
        };
        let revision = self.score_revision(&campaign.region).await?;
        let complete = |scores: &RegionScores| entities.iter().all(|e| scores.score(e).is_some());
        if let Some((r, found)) = self.memo.region(&key)
            && r == revision
            && complete(found.as_ref())
        {
            return Ok(found);
        }
        let _turn = self.memo.region_turn.lock().await;
        // What was kept, if it is not more recent than this view's revision (it may be when
        // a view that read a later revision stored its scores while this one waited: then
        // score from scratch rather than compare revisions read at different times).
        let known = self.memo.region(&key).filter(|(r, _)| *r <= revision);
        if let Some((r, found)) = &known
            && *r == revision
            && complete(found.as_ref())
        {
            return Ok(Arc::clone(found));
        }
        // Entities written since the kept scores, with their revision (read before their
        // rows, as `entity_scoring` wants).
        let revised: HashMap<Finess, ScoreRevision> = match &known {
            Some((r, _)) => self
                .entities_revised_since(&campaign.region, *r)
                .await?
                .into_iter()
                .filter_map(|(e, rev)| Finess::parse(&e).ok().map(|f| (f, rev)))
                .collect(),
            None => HashMap::new(),
        };
        let kept = known.as_ref().map(|(_, k)| k.as_ref());
        let missing: Vec<&LegalEntity> = entities
            .iter()
            .filter(|e| {
                revised.contains_key(&e.finess) || kept.is_none_or(|k| k.score(e).is_none())
            })
            .collect();
        let mut scores = kept.map(|k| k.scores.clone()).unwrap_or_default();
        let mut site_counts = kept.map(|k| k.site_counts.clone()).unwrap_or_default();
        let mut values_entered = kept.map(|k| k.values_entered.clone()).unwrap_or_default();
        // The first view scores the region in one batch; later ones the entities written.
        if known.is_some() && missing.len() <= ONE_BY_ONE {
            for e in missing {
                // An entity not written since the kept scores, but not among them (a new
                // dossier): its own revision.
                let rev = match revised.get(&e.finess) {
                    Some(r) => *r,
                    None => self.entity_score_revision(&e.finess, &e.region).await?,
                };
                let scoring = self.entity_scoring(campaign, referentiel, e, rev).await?;
                // As the batch says it (`score_region`).
                if scoring.sites.is_empty() {
                    return Err(StoreError::Corrupt(format!(
                        "entité {} sans site",
                        e.finess
                    )));
                }
                scores.insert(
                    e.finess,
                    (e.category, Arc::new(scoring.evaluation.score.clone())),
                );
                site_counts.insert(e.finess, scoring.sites.len());
                let year = campaign.year;
                let entered = scoring.inputs.values.iter().filter(|v| v.year == year);
                values_entered.insert(e.finess, entered.count());
            }
        } else {
            let missing: Vec<LegalEntity> = missing.into_iter().cloned().collect();
            let scored = self
                .score_region(referentiel, &campaign.region, campaign.year, &missing)
                .await?;
            for (e, evaluation) in missing.iter().zip(scored.evaluations) {
                scores.insert(e.finess, (e.category, Arc::new(evaluation.score)));
            }
            // Read for the whole region by the same queries.
            site_counts = scored.site_counts;
            values_entered.extend(scored.values_entered);
        }
        let region = Arc::new(RegionScores {
            scores,
            site_counts,
            values_entered,
        });
        self.memo
            .regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, (revision, Arc::clone(&region)));
        Ok(region)
    }
}

#[cfg(test)]
mod tests {
    use super::Bounded;

    #[test]
    fn the_oldest_key_leaves_first_and_a_replaced_key_keeps_its_place() {
        let mut m = Bounded::new(2);
        m.insert("a", 1);
        m.insert("b", 2);
        m.insert("a", 3);
        assert_eq!(m.get(&"a"), Some(3));
        m.insert("c", 4);
        assert_eq!(m.get(&"a"), None, "a was the oldest key");
        assert_eq!(m.get(&"b"), Some(2));
        assert_eq!(m.get(&"c"), Some(4));
        assert_eq!(m.len(), 2);
    }
}
