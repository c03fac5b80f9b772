//! Multi-site legal entities (AP-HP style): one contract, several sites.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, II.a.i: « la contractualisation doit donc
//! s'opérer au niveau de l'entité juridique […] Toutefois, il est recommandé que la
//! négociation du contrat se fasse au niveau local, en particulier lorsque
//! l'établissement dispose de plusieurs entités géographiques ».
//! AP-HP slides (seed 002): « L'AP-HP est considérée comme un établissement unique, mais
//! les cibles restent une référence vers laquelle chaque site hospitalier doit tendre »;
//! « RPPS mentionné dans 36% des ordonnances […] de l'AP-HP (6% à 53% selon les sites) ».
//!
//! The entity's rate for an indicator is Σ numerators / Σ denominators of its sites
//! ([`Rate::pooled`]), never a mean of the sites' rates: a small site must not weigh
//! as much as a large one. Sites keep their own rates for benchmarking ([`rank_sites`]).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::finess::Finess;
use crate::grid::referentiel::Indicator;
use crate::grid::value::{Entry, Field, Value, ValueError, parse_entry_in, reread_entry};
use crate::rate::Rate;

/// Errors of multi-site aggregation (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultisiteError {
    #[error("l'entité juridique {0} n'a aucun site")]
    NoSite(Finess),
    #[error("le site {site} figure deux fois dans l'entité juridique {entity}")]
    DuplicateSite { entity: Finess, site: Finess },
    #[error("le site {site} n'appartient pas à l'entité juridique {entity}")]
    UnknownSite { entity: Finess, site: Finess },
    #[error("le site {0} a deux valeurs pour le même indicateur")]
    DuplicateValue(Finess),
    #[error("aucun site de l'entité juridique {0} n'a de valeur pour cet indicateur")]
    NoValue(Finess),
}

/// A legal entity (FINESS juridique) and its sites (FINESS géographiques).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegalEntity {
    finess_juridique: Finess,
    sites: Vec<Finess>,
}

/// One site's value for one indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SiteRate {
    pub finess_geographique: Finess,
    pub taux: Rate,
}

/// The entity's pooled rate and what it was computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityRate {
    pub taux: Rate,
    pub sites_comptes: usize,
    /// Sites of the entity without a value (not counted, reported).
    pub sites_sans_valeur: Vec<Finess>,
}

impl LegalEntity {
    pub fn new(finess_juridique: Finess, sites: Vec<Finess>) -> Result<Self, MultisiteError> {
        if sites.is_empty() {
            return Err(MultisiteError::NoSite(finess_juridique));
        }
        let mut seen = BTreeSet::new();
        for s in &sites {
            if !seen.insert(*s) {
                return Err(MultisiteError::DuplicateSite {
                    entity: finess_juridique,
                    site: *s,
                });
            }
        }
        Ok(LegalEntity {
            finess_juridique,
            sites,
        })
    }

    pub fn finess_juridique(&self) -> Finess {
        self.finess_juridique
    }

    pub fn sites(&self) -> &[Finess] {
        &self.sites
    }

    /// Σ numerators / Σ denominators of the sites that have a value.
    pub fn rate(&self, values: &[SiteRate]) -> Result<EntityRate, MultisiteError> {
        let mut seen = BTreeSet::new();
        for v in values {
            if !self.sites.contains(&v.finess_geographique) {
                return Err(MultisiteError::UnknownSite {
                    entity: self.finess_juridique,
                    site: v.finess_geographique,
                });
            }
            if !seen.insert(v.finess_geographique) {
                return Err(MultisiteError::DuplicateValue(v.finess_geographique));
            }
        }
        let taux = Rate::pooled(values.iter().map(|v| &v.taux))
            .ok_or(MultisiteError::NoValue(self.finess_juridique))?;
        let sites_sans_valeur = self
            .sites
            .iter()
            .filter(|s| !seen.contains(s))
            .copied()
            .collect();
        Ok(EntityRate {
            taux,
            sites_comptes: values.len(),
            sites_sans_valeur,
        })
    }
}

/// Which way is better for the indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

/// A site's place among its entity's sites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RankedSite {
    pub finess_geographique: Finess,
    pub taux: Rate,
    /// 1 = best; equal rates share a rank (1, 2, 2, 4).
    pub rang: usize,
    /// Site's percentage − the entity's pooled percentage, in points.
    pub ecart_entite_points: Decimal,
}

/// Exact comparison of two rates by cross-multiplication.
fn cmp_rates(a: &Rate, b: &Rate) -> Ordering {
    (a.numerator() * b.denominator()).cmp(&(b.numerator() * a.denominator()))
}

/// Ranks the sites, best first, and gives each its gap to the entity's pooled rate.
pub fn rank_sites(values: &[SiteRate], better: Better) -> Vec<RankedSite> {
    let Some(pooled) = Rate::pooled(values.iter().map(|v| &v.taux)) else {
        return Vec::new();
    };
    let mut sorted: Vec<&SiteRate> = values.iter().collect();
    sorted.sort_by(|a, b| {
        let o = cmp_rates(&a.taux, &b.taux);
        let o = if better == Better::Higher {
            o.reverse()
        } else {
            o
        };
        o.then(a.finess_geographique.cmp(&b.finess_geographique))
    });
    let mut out: Vec<RankedSite> = Vec::with_capacity(sorted.len());
    for (i, v) in sorted.iter().enumerate() {
        let rang = match out.last() {
            Some(prev) if cmp_rates(&prev.taux, &v.taux) == Ordering::Equal => prev.rang,
            _ => i + 1,
        };
        out.push(RankedSite {
            finess_geographique: v.finess_geographique,
            taux: v.taux,
            rang,
            ecart_entite_points: v.taux.percent() - pooled.percent(),
        });
    }
    out
}

// ---------------------------------------------------------------------------------
// Entity = sum of its sites, from the values typed per site (moved from the web crate,
// behaviour unchanged: `caqes-web` and `caqes evaluate` must apply the same rule).
//
// A numeric indicator of an entity with several sites is Σ numerators / Σ denominators
// of its sites ([`LegalEntity::rate`]), so those sites must give a numerator and a
// denominator, not a bare percentage. For yes/no indicators the entity takes its least
// favourable site (the entity meets the commitment only if every site does); a
// declaration NC/NM counts only when every site that answered declares it.

/// Parses what was typed for one site, applying the multi-site rule.
pub fn parse_site_entry(
    indicator: &Indicator,
    multi_site: bool,
    numerator: Option<&str>,
    denominator: Option<&str>,
    value: Option<&str>,
) -> Result<Entry, ValueError> {
    parse_unit_entry(indicator, false, multi_site, numerator, denominator, value)
}

/// Like [`parse_site_entry`], for a value of the état des lieux year when `baseline` is
/// true (the grid may then ask another kind of value: see
/// [`crate::value::parse_entry_in`]). The platform and `caqes evaluate` read a stored or
/// typed value through this one function.
pub fn parse_unit_entry(
    indicator: &Indicator,
    baseline: bool,
    multi_site: bool,
    numerator: Option<&str>,
    denominator: Option<&str>,
    value: Option<&str>,
) -> Result<Entry, ValueError> {
    let entry = parse_entry_in(indicator, baseline, numerator, denominator, value)?;
    multi_site_rule(indicator, multi_site, entry)
}

/// Like [`parse_unit_entry`], for an entry parsed earlier (a value stored typed): read
/// again against `indicator` without text ([`crate::value::reread_entry`]), then the
/// multi-site rule, which follows the entity's sites of today (a site added since the
/// value was typed makes a bare percentage unusable, as it would refuse it if typed now).
pub fn read_unit_entry(
    indicator: &Indicator,
    baseline: bool,
    multi_site: bool,
    entry: Entry,
) -> Result<Entry, ValueError> {
    let entry = reread_entry(indicator, baseline, entry)?;
    multi_site_rule(indicator, multi_site, entry)
}

/// A multi-site entity's numeric value is Σ of its sites' components: a bare number
/// cannot be pooled.
fn multi_site_rule(
    indicator: &Indicator,
    multi_site: bool,
    entry: Entry,
) -> Result<Entry, ValueError> {
    if multi_site
        && indicator.is_numeric()
        && let Entry::Value(Value::Percent(_) | Value::GrowthPercent(_) | Value::RatioValue(_)) =
            entry
    {
        return Err(ValueError {
            field: Field::Value,
            message: "pour une entité à plusieurs sites, saisir le numérateur et le dénominateur de chaque site \
                      (la valeur de l'entité en est la somme)"
                .into(),
        });
    }
    Ok(entry)
}

/// Why the sites' entries of one indicator cannot be combined (French messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CombineError {
    #[error("les sites ne déclarent pas le même statut (NC / NM)")]
    DisagreeingDeclarations,
    #[error("les sites n'ont pas saisi des valeurs de même nature")]
    MixedKinds,
    #[error("{0}")]
    Entity(#[from] MultisiteError),
}

fn rate_of(value: &Value) -> Option<Rate> {
    match value {
        Value::Proportion(r) | Value::Growth(r) | Value::Ratio(r) => Some(*r),
        _ => None,
    }
}

fn with_rate(template: &Value, rate: Rate) -> Value {
    match template {
        Value::Growth(_) => Value::Growth(rate),
        Value::Ratio(_) => Value::Ratio(rate),
        _ => Value::Proportion(rate),
    }
}

/// Rank of a word answer: lower is less favourable.
fn word_rank(v: &Value) -> Option<u8> {
    match v {
        Value::No => Some(0),
        Value::InProgress => Some(1),
        Value::Yes => Some(2),
        _ => None,
    }
}

/// Combines the sites' entries of one indicator into the entity's entry.
pub fn combine(
    entity: Finess,
    site_entries: &[(Finess, Entry)],
) -> Result<Option<Entry>, CombineError> {
    match site_entries {
        [] => return Ok(None),
        [(_, only)] => return Ok(Some(*only)),
        _ => {}
    }
    let values: Vec<(Finess, Value)> = site_entries
        .iter()
        .filter_map(|(f, e)| match e {
            Entry::Value(v) => Some((*f, *v)),
            Entry::Declared(_) => None,
        })
        .collect();
    let Some(first_value) = values.first() else {
        // Only declarations: they count when they agree.
        let first = site_entries[0].1;
        return if site_entries.iter().all(|(_, e)| *e == first) {
            Ok(Some(first))
        } else {
            Err(CombineError::DisagreeingDeclarations)
        };
    };
    if rate_of(&first_value.1).is_some() {
        let rates: Option<Vec<SiteRate>> = values
            .iter()
            .map(|(f, v)| {
                rate_of(v).map(|taux| SiteRate {
                    finess_geographique: *f,
                    taux,
                })
            })
            .collect();
        let rates = rates.ok_or(CombineError::MixedKinds)?;
        let sites: Vec<Finess> = rates.iter().map(|r| r.finess_geographique).collect();
        let pooled = LegalEntity::new(entity, sites).and_then(|e| e.rate(&rates))?;
        return Ok(Some(Entry::Value(with_rate(&first_value.1, pooled.taux))));
    }
    let worst = values
        .iter()
        .min_by_key(|(_, v)| word_rank(v).unwrap_or(0))
        .map_or(first_value.1, |(_, v)| *v);
    Ok(Some(Entry::Value(worst)))
}

// ---------------------------------------------------------------------------------
// Pooling from components (issue 9, W6, W7, M7), used by `caqes evaluate --sites`.
//
// Every rate keeps its components, so the entity's value is computed from them:
// proportions and ratios Σ numerators / Σ denominators, growth rates Σ amounts N /
// Σ amounts N−1 − 1, and a year-over-year ratio (II-04, DDJ/1000 JH N over N−1) from
// the DDJ and patient-days of both years: (ΣDDJ_N / ΣJH_N) / (ΣDDJ_N−1 / ΣJH_N−1), never
// from the sites' ratios. A site without a value makes the entity's line incomplete: no
// value, so not met and 0 point, the missing sites named (the seed's « chaque site doit
// tendre vers la cible » needs every site).

/// A year-over-year ratio from the components of years N and N−1: (n_N / d_N) / (n_N−1 /
/// d_N−1) kept as the fraction (n_N × d_N−1) / (d_N × n_N−1). `None` when year N−1's
/// numerator is 0 (no consumption that year: the ratio is undefined).
pub fn year_over_year(current: &Rate, previous: &Rate) -> Option<Rate> {
    let n = current.numerator().checked_mul(previous.denominator())?;
    let d = current.denominator().checked_mul(previous.numerator())?;
    Rate::new(n, d).ok()
}

/// The value of `indicator`'s kind carrying `rate`.
fn value_of_kind(indicator: &Indicator, rate: Rate) -> Value {
    match indicator.kind {
        crate::grid::referentiel::Kind::Growth => Value::Growth(rate),
        crate::grid::referentiel::Kind::Proportion => Value::Proportion(rate),
        _ => Value::Ratio(rate),
    }
}

/// Why one unit (a site, or a single-site establishment) has no value for a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// No row for year N.
    NoRow,
    /// Year N is given but not year N−1 (year-over-year indicators).
    NoPreviousYear,
    /// Year N−1's numerator is 0: the year-over-year ratio is undefined.
    ZeroPreviousYear,
    /// The row gives a value that cannot be pooled (a bare number for a year-over-year
    /// indicator, whose components are needed).
    NotComponents,
}

impl Missing {
    /// In French, for warnings.
    pub fn label(self) -> &'static str {
        match self {
            Missing::NoRow => "aucune valeur",
            Missing::NoPreviousYear => "valeur de l'année N−1 manquante",
            Missing::ZeroPreviousYear => "numérateur nul l'année N−1 (rapport indéfini)",
            Missing::NotComponents => {
                "valeur donnée sans ses composantes (numérateur et dénominateur de l'année)"
            }
        }
    }
}

/// One unit's own value for a year, from its rows of years N and N−1: for a
/// year-over-year indicator, the row of each year gives that year's components and the
/// value is their ratio ([`year_over_year`]); otherwise the row of year N as it is.
/// Declarations (NC/NM) and words pass through.
pub fn unit_entry(
    indicator: &Indicator,
    current: Option<&Entry>,
    previous: Option<&Entry>,
) -> Result<Entry, Missing> {
    let current = current.ok_or(Missing::NoRow)?;
    if !indicator.year_over_year {
        return Ok(*current);
    }
    let cur = match current {
        Entry::Declared(_) => return Ok(*current),
        Entry::Value(v) => rate_of(v).ok_or(Missing::NotComponents)?,
    };
    let prev = match previous {
        Some(Entry::Value(v)) => rate_of(v).ok_or(Missing::NotComponents)?,
        _ => return Err(Missing::NoPreviousYear),
    };
    year_over_year(&cur, &prev)
        .map(|r| Entry::Value(value_of_kind(indicator, r)))
        .ok_or(Missing::ZeroPreviousYear)
}

/// One site's own result on the entity's line (M7: compared with the entity's target and
/// ranked among the sites).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteLine {
    pub finess_geographique: Finess,
    /// The site's value (`None` when missing, see `missing`).
    pub entry: Option<Entry>,
    pub missing: Option<Missing>,
    /// 1 = best among the sites with a number (equal values share a rank).
    pub rank: Option<usize>,
    /// The site's number minus the entity's, in the indicator's unit (%, growth points,
    /// ratio); `None` when either is missing.
    pub gap: Option<Decimal>,
    /// Whether the site's value reaches the entity's target (`None` without target or
    /// for words).
    pub reaches_target: Option<bool>,
}

/// The entity's line pooled from its sites.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PooledLine {
    /// The entity's entry for the scoring; `None` when a site is missing (incomplete line).
    pub entry: Option<Entry>,
    /// Every site of the entity, in the entity's order.
    pub sites: Vec<SiteLine>,
    /// The sites without a value (W7): the line is incomplete when this is not empty.
    pub missing_sites: Vec<Finess>,
}

/// Pools one indicator of a multi-site entity from its sites' rows of years N
/// (`current`) and N−1 (`previous`, read only for year-over-year indicators), and ranks
/// the sites against the entity's `target`.
///
/// A site missing makes the entity's entry `None` (the line earns nothing and says which
/// sites are missing); the sites that do have a value are still shown and ranked.
pub fn pool_line(
    indicator: &Indicator,
    entity: &LegalEntity,
    current: &[(Finess, Entry)],
    previous: &[(Finess, Entry)],
    target: Option<Decimal>,
) -> Result<PooledLine, CombineError> {
    let find = |list: &[(Finess, Entry)], site: Finess| {
        list.iter().find(|(f, _)| *f == site).map(|(_, e)| *e)
    };
    for (f, _) in current {
        if !entity.sites().contains(f) {
            return Err(CombineError::Entity(MultisiteError::UnknownSite {
                entity: entity.finess_juridique(),
                site: *f,
            }));
        }
    }
    let mut units: Vec<(Finess, Result<Entry, Missing>)> = Vec::with_capacity(entity.sites().len());
    for site in entity.sites() {
        let cur = find(current, *site);
        let prev = find(previous, *site);
        units.push((*site, unit_entry(indicator, cur.as_ref(), prev.as_ref())));
    }
    let missing_sites: Vec<Finess> = units
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(f, _)| *f)
        .collect();
    let entry = if missing_sites.is_empty() {
        if indicator.year_over_year {
            pooled_year_over_year(indicator, entity, current, previous, &units)?
        } else {
            let given: Vec<(Finess, Entry)> = units
                .iter()
                .filter_map(|(f, r)| r.ok().map(|e| (*f, e)))
                .collect();
            combine(entity.finess_juridique(), &given)?
        }
    } else {
        None
    };
    let entity_number = match entry {
        Some(Entry::Value(v)) => v.number(),
        _ => None,
    };
    let rates: Vec<SiteRate> = units
        .iter()
        .filter_map(|(f, r)| match r {
            Ok(Entry::Value(v)) => rate_of(v).map(|taux| SiteRate {
                finess_geographique: *f,
                taux,
            }),
            _ => None,
        })
        .collect();
    let better = match indicator.direction {
        crate::grid::referentiel::Direction::HigherIsBetter => Better::Higher,
        crate::grid::referentiel::Direction::LowerIsBetter => Better::Lower,
    };
    let ranked = rank_sites(&rates, better);
    let sites = units
        .iter()
        .map(|(f, r)| {
            let entry = r.ok();
            let value = match entry {
                Some(Entry::Value(v)) => Some(v),
                _ => None,
            };
            SiteLine {
                finess_geographique: *f,
                entry,
                missing: r.err(),
                rank: ranked
                    .iter()
                    .find(|k| k.finess_geographique == *f)
                    .map(|k| k.rang),
                gap: value
                    .and_then(|v| v.number())
                    .zip(entity_number)
                    .map(|(s, e)| s - e),
                reaches_target: value
                    .zip(target)
                    .and_then(|(v, t)| v.reaches(t, indicator.direction)),
            }
        })
        .collect();
    Ok(PooledLine {
        entry,
        sites,
        missing_sites,
    })
}

/// The entity's year-over-year value from the sites' components of both years:
/// (ΣDDJ_N / ΣJH_N) / (ΣDDJ_N−1 / ΣJH_N−1). Sites declaring NC/NM are left out; when every
/// site declares, the declarations must agree.
fn pooled_year_over_year(
    indicator: &Indicator,
    entity: &LegalEntity,
    current: &[(Finess, Entry)],
    previous: &[(Finess, Entry)],
    units: &[(Finess, Result<Entry, Missing>)],
) -> Result<Option<Entry>, CombineError> {
    let components = |list: &[(Finess, Entry)]| -> Vec<Rate> {
        units
            .iter()
            .filter(|(_, r)| matches!(r, Ok(Entry::Value(_))))
            .filter_map(|(site, _)| {
                list.iter()
                    .find(|(f, _)| f == site)
                    .and_then(|(_, e)| match e {
                        Entry::Value(v) => rate_of(v),
                        Entry::Declared(_) => None,
                    })
            })
            .collect()
    };
    let (cur, prev) = (components(current), components(previous));
    if cur.is_empty() {
        let declared: Vec<(Finess, Entry)> = units
            .iter()
            .filter_map(|(f, r)| r.ok().map(|e| (*f, e)))
            .collect();
        return combine(entity.finess_juridique(), &declared);
    }
    let pooled = Rate::pooled(cur.iter())
        .zip(Rate::pooled(prev.iter()))
        .and_then(|(c, p)| year_over_year(&c, &p))
        .ok_or(CombineError::Entity(MultisiteError::NoValue(
            entity.finess_juridique(),
        )))?;
    Ok(Some(Entry::Value(value_of_kind(indicator, pooled))))
}

#[cfg(test)]
mod tests;
