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
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// A valid FINESS number for `seed` (the key digit found by trying the ten).
    fn finess(seed: u32) -> Finess {
        let base = format!("75{:06}", seed % 1_000_000);
        (0..10)
            .find_map(|k| Finess::parse(&format!("{base}{k}")).ok())
            .unwrap()
    }

    fn rate(n: i64, d: i64) -> Rate {
        Rate::proportion(Decimal::from(n), Decimal::from(d)).unwrap()
    }

    fn aphp() -> (LegalEntity, Vec<SiteRate>) {
        // RPPS on prescriptions, « 6% à 53% selon les sites », 36 % overall: a large
        // site at 53 % and a small one at 6 % pool to 36 %, not to their 29.5 % mean.
        let entity = LegalEntity::new(
            Finess::parse("750712184").unwrap(),
            vec![finess(1), finess(2), finess(3)],
        )
        .unwrap();
        let values = vec![
            SiteRate {
                finess_geographique: finess(1),
                taux: rate(5_300, 10_000),
            },
            SiteRate {
                finess_geographique: finess(2),
                taux: rate(300, 5_000),
            },
            SiteRate {
                finess_geographique: finess(3),
                taux: rate(1_600, 5_000),
            },
        ];
        (entity, values)
    }

    #[test]
    fn entity_rate_is_pooled_not_a_mean_of_rates() {
        let (entity, values) = aphp();
        let r = entity.rate(&values).unwrap();
        assert_eq!(
            (r.taux.numerator(), r.taux.denominator()),
            (dec!(7_200), dec!(20_000))
        );
        assert_eq!(r.taux.percent(), dec!(36));
        let mean_of_rates = (dec!(53) + dec!(6) + dec!(32)) / dec!(3);
        assert_ne!(r.taux.percent(), mean_of_rates);
        assert!(r.sites_sans_valeur.is_empty());
        // A site without a value is reported, not counted as zero.
        let r = entity.rate(&values[..2]).unwrap();
        assert_eq!(r.sites_sans_valeur, vec![finess(3)]);
        assert_eq!(r.taux.percent(), dec!(5_600) * dec!(100) / dec!(15_000));
    }

    #[test]
    fn sites_keep_their_values_for_benchmarking() {
        let (_, values) = aphp();
        let ranked = rank_sites(&values, Better::Higher);
        let order: Vec<_> = ranked
            .iter()
            .map(|r| (r.finess_geographique, r.rang))
            .collect();
        assert_eq!(order, vec![(finess(1), 1), (finess(3), 2), (finess(2), 3)]);
        assert_eq!(ranked[0].ecart_entite_points, dec!(17));
        assert_eq!(ranked[2].ecart_entite_points, dec!(-30));
        let lower = rank_sites(&values, Better::Lower);
        assert_eq!(lower[0].finess_geographique, finess(2));
        // Equal rates share a rank, compared exactly (1/3 = 2/6).
        let ties = vec![
            SiteRate {
                finess_geographique: finess(4),
                taux: rate(1, 3),
            },
            SiteRate {
                finess_geographique: finess(5),
                taux: rate(2, 6),
            },
            SiteRate {
                finess_geographique: finess(6),
                taux: rate(1, 2),
            },
        ];
        let ranks: Vec<_> = rank_sites(&ties, Better::Higher)
            .iter()
            .map(|r| r.rang)
            .collect();
        assert_eq!(ranks, vec![1, 2, 2]);
    }

    #[test]
    fn inconsistent_entities_are_rejected() {
        let juridique = Finess::parse("750712184").unwrap();
        assert_eq!(
            LegalEntity::new(juridique, vec![]),
            Err(MultisiteError::NoSite(juridique))
        );
        assert!(LegalEntity::new(juridique, vec![finess(1), finess(1)]).is_err());
        let (entity, mut values) = aphp();
        values.push(SiteRate {
            finess_geographique: finess(9),
            taux: rate(1, 2),
        });
        assert_eq!(
            entity.rate(&values),
            Err(MultisiteError::UnknownSite {
                entity: juridique,
                site: finess(9)
            })
        );
        let (entity, mut values) = aphp();
        values.push(values[0]);
        assert_eq!(
            entity.rate(&values),
            Err(MultisiteError::DuplicateValue(finess(1)))
        );
        assert_eq!(entity.rate(&[]), Err(MultisiteError::NoValue(juridique)));
    }

    fn f(s: &str) -> Finess {
        Finess::parse(s).unwrap()
    }

    fn first_of_kind(kind: crate::grid::referentiel::Kind) -> Indicator {
        crate::grid::referentiel::builtin_by_id("occitanie-2018")
            .and_then(|r| r.indicators.iter().find(|i| i.kind == kind).cloned())
            .unwrap()
    }

    #[test]
    fn sites_are_pooled_not_averaged() {
        let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
        let r1 = Rate::proportion(Decimal::from(1), Decimal::from(2)).unwrap();
        let r2 = Rate::proportion(Decimal::from(90), Decimal::from(100)).unwrap();
        let got = combine(
            e,
            &[
                (a, Entry::Value(Value::Proportion(r1))),
                (b, Entry::Value(Value::Proportion(r2))),
            ],
        )
        .unwrap()
        .unwrap();
        let Entry::Value(Value::Proportion(p)) = got else {
            panic!("{got:?}")
        };
        assert_eq!(
            (p.numerator(), p.denominator()),
            (Decimal::from(91), Decimal::from(102))
        );
    }

    #[test]
    fn words_take_the_least_favourable_site_and_declarations_must_agree() {
        use crate::grid::referentiel::Applicability;
        let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
        let got = combine(
            e,
            &[
                (a, Entry::Value(Value::Yes)),
                (b, Entry::Value(Value::InProgress)),
            ],
        )
        .unwrap();
        assert_eq!(got, Some(Entry::Value(Value::InProgress)));
        let nc = Entry::Declared(Applicability::Nc);
        let nm = Entry::Declared(Applicability::Nm);
        assert_eq!(combine(e, &[(a, nc), (b, nc)]).unwrap(), Some(nc));
        assert!(combine(e, &[(a, nc), (b, nm)]).is_err());
        assert_eq!(combine(e, &[]).unwrap(), None);
    }

    /// Issue 9, « parsed once »: a value stored typed and read again (possibly by an
    /// indicator of another kind, another grid, another year's context or another number
    /// of sites) gives exactly what parsing its typed text again would give: the same
    /// entry, or a refusal on the same field. Every combination of kind, état des lieux
    /// kind and numerator-alone flag, on texts of every shape.
    #[test]
    fn rereading_a_stored_entry_equals_parsing_its_text_again() {
        use crate::grid::referentiel::Kind;
        let kinds = [
            Kind::Proportion,
            Kind::Growth,
            Kind::Ratio,
            Kind::YesNo,
            Kind::Document,
            Kind::TriState,
        ];
        let mut variants = Vec::new();
        for kind in kinds {
            for baseline_kind in std::iter::once(None).chain(kinds.map(Some)) {
                for alone in [false, true] {
                    let mut ind = first_of_kind(Kind::Proportion);
                    ind.kind = kind;
                    ind.baseline_kind = baseline_kind;
                    ind.numerator_alone_at_baseline = alone;
                    variants.push(ind);
                }
            }
        }
        let texts: &[(Option<&str>, Option<&str>, Option<&str>)] = &[
            (Some("12"), Some("100"), None),
            (Some("12,5"), Some("100"), None),
            (Some("150"), Some("100"), None),
            (Some("0"), Some("0"), None),
            (Some("0"), Some("7"), None),
            (Some("1200"), None, None),
            (None, None, Some("45,5")),
            (None, None, Some("12.50")),
            (None, None, Some("-2,2")),
            (None, None, Some("0")),
            (None, None, Some("100")),
            (None, None, Some("150")),
            (None, None, Some("OUI")),
            (None, None, Some("non")),
            (None, None, Some("EN_COURS")),
            (None, None, Some("EN COURS")),
            (None, None, Some("NC")),
            (None, None, Some("NM")),
        ];
        // What each text becomes when imported by any variant, in any context.
        let mut stored: Vec<(usize, Entry)> = Vec::new();
        for (t, (n, d, v)) in texts.iter().enumerate() {
            for a in &variants {
                for baseline in [false, true] {
                    if let Ok(e) = parse_unit_entry(a, baseline, false, *n, *d, *v)
                        && !stored.contains(&(t, e))
                    {
                        stored.push((t, e));
                    }
                }
            }
        }
        assert!(stored.len() > 25, "{}", stored.len());
        let mut compared = 0;
        for (t, e) in &stored {
            let (n, d, v) = texts[*t];
            for b in &variants {
                for baseline in [false, true] {
                    for multi in [false, true] {
                        let again = parse_unit_entry(b, baseline, multi, n, d, v);
                        let reread = read_unit_entry(b, baseline, multi, *e);
                        match (&again, &reread) {
                            (Ok(x), Ok(y)) => assert_eq!(x, y, "{:?} {e:?} {b:?}", texts[*t]),
                            (Err(x), Err(y)) => {
                                assert_eq!(x.field, y.field, "{:?} {e:?}", texts[*t])
                            }
                            _ => panic!(
                                "{:?} stored as {e:?}, read by {:?}/{:?} (état des lieux {baseline}, multi {multi}): {again:?} vs {reread:?}",
                                texts[*t], b.kind, b.baseline_kind
                            ),
                        }
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 5_000, "{compared}");
    }

    #[test]
    fn a_bare_percentage_is_refused_for_a_multi_site_entity_only() {
        let ind = first_of_kind(crate::grid::referentiel::Kind::Proportion);
        assert!(parse_site_entry(&ind, false, None, None, Some("45,5")).is_ok());
        let err = parse_site_entry(&ind, true, None, None, Some("45,5")).unwrap_err();
        assert!(err.message.contains("plusieurs sites"), "{err}");
        assert!(parse_site_entry(&ind, true, Some("3"), Some("4"), None).is_ok());
        assert!(parse_site_entry(&ind, true, None, None, Some("NC")).is_ok());
    }

    fn ratio(n: i64, d: i64) -> Entry {
        Entry::Value(Value::Ratio(
            Rate::new(Decimal::from(n), Decimal::from(d)).unwrap(),
        ))
    }

    fn grid_indicator(code: &str) -> Indicator {
        crate::grid::referentiel::builtin_by_id("occitanie-2018")
            .and_then(|r| r.indicator(code).cloned())
            .unwrap()
    }

    #[test]
    fn ii_04_is_pooled_from_ddj_and_patient_days_of_both_years() {
        // Issue 9, W6: site A 100 000 JH, 330 → 300 DDJ/1000 JH (33 000 → 30 000 DDJ);
        // site B 1 000 JH, 600 → 900 DDJ/1000 JH (600 → 900 DDJ).
        let ind = grid_indicator("II-04");
        assert!(ind.year_over_year);
        let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
        let entity = LegalEntity::new(e, vec![a, b]).unwrap();
        let current = [(a, ratio(30_000, 100_000)), (b, ratio(900, 1_000))];
        let previous = [(a, ratio(33_000, 100_000)), (b, ratio(600, 1_000))];
        let line = pool_line(&ind, &entity, &current, &previous, Some(dec!(1))).unwrap();
        let Some(Entry::Value(Value::Ratio(r))) = line.entry else {
            panic!("{line:?}")
        };
        // (30 900 / 101 000) / (33 600 / 101 000) = 30 900 / 33 600 = 0,9196… → 0,92, met (≤ 1).
        assert_eq!(r.numerator() / r.denominator(), dec!(30_900) / dec!(33_600));
        assert_eq!(crate::rate::round_half_away(r.value(), 3), dec!(0.920));
        assert_eq!(
            Value::Ratio(r).reaches(dec!(1), crate::grid::referentiel::Direction::LowerIsBetter),
            Some(true)
        );
        // Today's reading pooled the sites' rates: (300 + 900) / (330 + 600) = 1,29, not met.
        let rt = |n: i64, d: i64| Rate::new(Decimal::from(n), Decimal::from(d)).unwrap();
        let wrong = Rate::pooled([rt(300, 330), rt(900, 600)].iter()).unwrap();
        assert_eq!(crate::rate::round_half_away(wrong.value(), 2), dec!(1.29));
        assert!(line.missing_sites.is_empty());
        // Sites: A 300/330 = 0,909 (rank 1, reaches 1), B 900/600 = 1,5 (rank 2, misses).
        let a_line = &line.sites[0];
        assert_eq!((a_line.rank, a_line.reaches_target), (Some(1), Some(true)));
        assert_eq!(
            crate::rate::round_half_away(a_line.gap.unwrap(), 4),
            dec!(-0.0106) // 0,909091 − 0,919643 = −0,010552
        );
        let b_line = &line.sites[1];
        assert_eq!((b_line.rank, b_line.reaches_target), (Some(2), Some(false)));
        assert_eq!(
            crate::rate::round_half_away(b_line.gap.unwrap(), 4),
            dec!(0.5804) // 1,5 − 0,91964
        );
    }

    #[test]
    fn a_missing_site_leaves_the_line_incomplete_and_is_named() {
        let ind = grid_indicator("II-01");
        let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
        let entity = LegalEntity::new(e, vec![a, b]).unwrap();
        let prop = |n: i64, d: i64| {
            Entry::Value(Value::Proportion(
                Rate::proportion(Decimal::from(n), Decimal::from(d)).unwrap(),
            ))
        };
        let line = pool_line(&ind, &entity, &[(a, prop(40, 50))], &[], Some(dec!(50))).unwrap();
        // B is missing: no entity value (so 0 point), B named; A still shown (80 % ≥ 50).
        assert_eq!(line.entry, None);
        assert_eq!(line.missing_sites, vec![b]);
        assert_eq!(line.sites[1].missing, Some(Missing::NoRow));
        assert_eq!(line.sites[0].reaches_target, Some(true));
        assert_eq!(line.sites[0].rank, Some(1));
        assert_eq!(line.sites[0].gap, None);
        // Both given: 40/50 and 10/50 pool to 50/100 = 50 %, met; gaps +30 and −30 points.
        let line = pool_line(
            &ind,
            &entity,
            &[(a, prop(40, 50)), (b, prop(10, 50))],
            &[],
            Some(dec!(50)),
        )
        .unwrap();
        let Some(Entry::Value(v)) = line.entry else {
            panic!("{line:?}")
        };
        assert_eq!(v.number(), Some(dec!(50)));
        assert_eq!(line.sites[0].gap, Some(dec!(30)));
        assert_eq!(line.sites[1].gap, Some(dec!(-30)));
        assert_eq!(line.sites[1].reaches_target, Some(false));
        // A site of another entity is refused.
        assert!(pool_line(&ind, &entity, &[(e, prop(1, 2))], &[], None).is_err());
    }

    #[test]
    fn growth_is_pooled_from_amounts_and_year_n_minus_1_is_required_for_ii_04() {
        let ind = grid_indicator("IV-01");
        let (a, b, e) = (f("750712184"), f("690781810"), f("2A0000014"));
        let entity = LegalEntity::new(e, vec![a, b]).unwrap();
        let growth = |n: i64, d: i64| {
            Entry::Value(Value::Growth(
                Rate::new(Decimal::from(n), Decimal::from(d)).unwrap(),
            ))
        };
        // A +10 % on 1 000 000 €, B −50 % on 100 000 €: (1 100 000 + 50 000) / 1 100 000 − 1
        // = +4,545… %, not the mean of the rates (−20 %).
        let line = pool_line(
            &ind,
            &entity,
            &[
                (a, growth(1_100_000, 1_000_000)),
                (b, growth(50_000, 100_000)),
            ],
            &[],
            Some(dec!(4)),
        )
        .unwrap();
        let Some(Entry::Value(v)) = line.entry else {
            panic!("{line:?}")
        };
        assert_eq!(
            crate::rate::round_half_away(v.number().unwrap(), 3),
            dec!(4.545)
        );
        // II-04 with year N−1 missing for B: incomplete, B missing for that reason.
        let ii04 = grid_indicator("II-04");
        let line = pool_line(
            &ii04,
            &entity,
            &[(a, ratio(30_000, 100_000)), (b, ratio(900, 1_000))],
            &[(a, ratio(33_000, 100_000))],
            None,
        )
        .unwrap();
        assert_eq!(line.entry, None);
        assert_eq!(line.missing_sites, vec![b]);
        assert_eq!(line.sites[1].missing, Some(Missing::NoPreviousYear));
        assert_eq!(
            unit_entry(&ii04, Some(&ratio(5, 10)), Some(&ratio(0, 10))),
            Err(Missing::ZeroPreviousYear)
        );
        // A single unit: 300 DDJ over 1 000 JH after 330 over 1 100 → 0,3 / 0,3 = 1.
        let Ok(Entry::Value(v)) =
            unit_entry(&ii04, Some(&ratio(300, 1_000)), Some(&ratio(330, 1_100)))
        else {
            panic!()
        };
        assert_eq!(v.number(), Some(dec!(1)));
    }

    proptest! {
        #[test]
        fn pooled_rate_lies_between_the_sites_rates(parts in proptest::collection::vec((0u32..10_000, 1u32..10_000), 1..12)) {
            let values: Vec<SiteRate> = parts
                .iter()
                .enumerate()
                .map(|(i, (n, d))| SiteRate {
                    finess_geographique: finess(i as u32 + 1),
                    taux: Rate::new(Decimal::from(*n), Decimal::from(*d)).unwrap(),
                })
                .collect();
            let entity = LegalEntity::new(Finess::parse("750712184").unwrap(), values.iter().map(|v| v.finess_geographique).collect()).unwrap();
            let pooled = entity.rate(&values).unwrap().taux;
            let min = values.iter().map(|v| v.taux).min_by(cmp_rates).unwrap();
            let max = values.iter().map(|v| v.taux).max_by(cmp_rates).unwrap();
            prop_assert!(cmp_rates(&min, &pooled) != Ordering::Greater);
            prop_assert!(cmp_rates(&pooled, &max) != Ordering::Greater);
            let ranked = rank_sites(&values, Better::Higher);
            prop_assert_eq!(ranked.len(), values.len());
            prop_assert!(ranked.windows(2).all(|w| cmp_rates(&w[0].taux, &w[1].taux) != Ordering::Less && w[0].rang <= w[1].rang));
        }
    }
}
