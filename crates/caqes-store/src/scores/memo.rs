//! The engine's results kept in the process, keyed by what they are computed from: the
//! campaign's grid key, the year, the entity (or region) and the region's
//! [`ScoreRevision`]. A view whose key matches serves the stored result instead of
//! reading the values again and scoring (bench/web/RESULTS.md: scoring and the values'
//! query were most of a dossier page). Any write to the region's values, declarations,
//! targets, sites or entities moves the revision, so the next view recomputes.
//!
//! Bounded: at most [`ENTITY_CAPACITY`] dossiers and [`REGION_CAPACITY`] region-years,
//! the oldest entry leaving first; one entry per key (a new revision replaces the old
//! one), so a busy region does not fill the memo with stale results.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use caqes_core::referentiel::Referentiel;
use caqes_core::scoring::Score;
use caqes_core::{Category, Finess};

use super::revision::ScoreRevision;
use crate::dossier::evaluation::{EntityEvaluation, evaluate_entity};
use crate::{Campaign, EntityInputs, LegalEntity, Result, Site, Store};

/// Dossiers kept (a three-site entity's entry is about 100 KiB: values of N and N−1 and
/// the explained score).
pub const ENTITY_CAPACITY: usize = 512;
/// Region-years kept (measured: ~10 MiB of scores for a campaign of 3 000 establishments,
/// bench/dashboard/RESULTS.md).
pub const REGION_CAPACITY: usize = 8;

/// What a dossier page shows and scores, as read and computed at one revision.
#[derive(Debug)]
pub struct EntityScoring {
    pub sites: Vec<Site>,
    /// Values of years N and N−1, NC declarations and targets of year N.
    pub inputs: EntityInputs,
    pub evaluation: EntityEvaluation,
}

/// The provisional scores of a region's establishments for one campaign, and their number
/// of sites.
#[derive(Debug, Default)]
pub struct RegionScores {
    scores: HashMap<Finess, (Category, Arc<Score>)>,
    site_counts: BTreeMap<Finess, usize>,
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
    region: String,
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

type EntityEntry = (ScoreRevision, Category, Arc<EntityScoring>);
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
    /// `referentiel`), as of `revision` — the region's [`ScoreRevision`] read BEFORE this
    /// call (with the dossier, `Store::dossier_parts`): computed once per revision.
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
        if let Some((r, category, found)) = self.memo.entity(&key)
            && r == revision
            && category == entity.category
        {
            return Ok(found);
        }
        let finess = entity.finess.as_str();
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
            sites,
            inputs,
            evaluation,
        });
        self.memo
            .entities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, (revision, entity.category, Arc::clone(&scoring)));
        Ok(scoring)
    }

    /// The provisional scores of `entities` (of the campaign's region) in `campaign`,
    /// whose grid is `referentiel`, with their number of sites: computed once per revision
    /// of the region (five queries and the engine on every core,
    /// [`Store::evaluate_entities`]), then read from memory. The region's revision is read
    /// here, before anything it guards.
    pub async fn campaign_scores(
        &self,
        campaign: &Campaign,
        referentiel: &Referentiel,
        entities: &[LegalEntity],
    ) -> Result<Arc<RegionScores>> {
        let key = RegionKey {
            grid: campaign.referentiel_id.clone(),
            region: campaign.region.clone(),
            year: campaign.year,
        };
        let revision = self.score_revision(&campaign.region).await?;
        let fresh =
            |entry: Option<RegionEntry>| entry.filter(|(r, _)| *r == revision).map(|(_, s)| s);
        let complete = |scores: &RegionScores| entities.iter().all(|e| scores.score(e).is_some());
        if let Some(found) = fresh(self.memo.region(&key))
            && complete(found.as_ref())
        {
            return Ok(found);
        }
        let _turn = self.memo.region_turn.lock().await;
        // Someone else may have scored it while this view waited for its turn.
        let known = fresh(self.memo.region(&key));
        if let Some(found) = &known
            && complete(found.as_ref())
        {
            return Ok(Arc::clone(found));
        }
        let missing: Vec<LegalEntity> = entities
            .iter()
            .filter(|e| known.as_ref().is_none_or(|k| k.score(e).is_none()))
            .cloned()
            .collect();
        let (evaluations, site_counts) = self
            .score_region(referentiel, &campaign.region, campaign.year, &missing)
            .await?;
        let mut scores = known.map(|k| k.scores.clone()).unwrap_or_default();
        for (e, evaluation) in missing.iter().zip(evaluations) {
            scores.insert(e.finess, (e.category, Arc::new(evaluation.score)));
        }
        let region = Arc::new(RegionScores {
            scores,
            site_counts,
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
