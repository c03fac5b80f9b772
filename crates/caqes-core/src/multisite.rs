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
use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::finess::Finess;
use crate::rate::Rate;
use crate::referentiel::{Indicator, Referentiel};
use crate::value::{Entry, Field, Value, ValueError, parse_entry};

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
    let entry = parse_entry(indicator, numerator, denominator, value)?;
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

/// What was typed for one site, one indicator (the text kept by the platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteText<'a> {
    pub site: Finess,
    pub indicator: &'a str,
    pub numerator: Option<&'a str>,
    pub denominator: Option<&'a str>,
    /// The value typed, or the declaration `NC` / `NM`.
    pub value: Option<&'a str>,
}

/// The entity's entries for the scoring, from the texts typed for its sites;
/// problems are returned as French warnings.
pub fn entity_entries<'a>(
    referentiel: &Referentiel,
    entity: Finess,
    site_count: usize,
    typed: impl IntoIterator<Item = SiteText<'a>>,
) -> (BTreeMap<String, Entry>, Vec<String>) {
    let mut per_indicator: BTreeMap<&str, Vec<(Finess, Entry)>> = BTreeMap::new();
    let mut warnings = Vec::new();
    for v in typed {
        let Some(ind) = referentiel.indicator(v.indicator) else {
            warnings.push(format!(
                "indicateur {} inconnu du référentiel : ignoré",
                v.indicator
            ));
            continue;
        };
        match parse_site_entry(ind, site_count > 1, v.numerator, v.denominator, v.value) {
            Ok(e) => per_indicator
                .entry(ind.code.as_str())
                .or_default()
                .push((v.site, e)),
            Err(e) => warnings.push(format!("{} (site {}) : {e}", ind.code, v.site)),
        }
    }
    let mut entries = BTreeMap::new();
    for (code, list) in per_indicator {
        match combine(entity, &list) {
            Ok(Some(e)) => {
                entries.insert(code.to_owned(), e);
            }
            Ok(None) => {}
            Err(m) => warnings.push(format!("{code} : {m}")),
        }
    }
    (entries, warnings)
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

    fn first_of_kind(kind: crate::referentiel::Kind) -> Indicator {
        crate::referentiel::builtin_by_id("occitanie-2018")
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
        use crate::referentiel::Applicability;
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

    #[test]
    fn a_bare_percentage_is_refused_for_a_multi_site_entity_only() {
        let ind = first_of_kind(crate::referentiel::Kind::Proportion);
        assert!(parse_site_entry(&ind, false, None, None, Some("45,5")).is_ok());
        let err = parse_site_entry(&ind, true, None, None, Some("45,5")).unwrap_err();
        assert!(err.message.contains("plusieurs sites"), "{err}");
        assert!(parse_site_entry(&ind, true, Some("3"), Some("4"), None).is_ok());
        assert!(parse_site_entry(&ind, true, None, None, Some("NC")).is_ok());
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
