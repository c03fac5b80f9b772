//! The bridge between forms or stored text and the engine (`caqes-core`):
//! parsing with the engine's rules, pooling the sites of a legal entity, scoring.
//!
//! Multi-site rule (instruction DSS/A1/CNAMTS/2017/234, II.a.i: the contract is
//! signed by the legal entity): a numeric indicator of an entity with several
//! sites is Σ numerators / Σ denominators of its sites (`multisite::LegalEntity::rate`),
//! so those sites must give a numerator and a denominator, not a bare
//! percentage. For yes/no indicators the entity takes its least favourable
//! site (the entity meets the commitment only if every site does); a
//! declaration NC/NM counts only when every site that answered declares it.

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::multisite::{self, SiteRate};
use caqes_core::referentiel::{Applicability, Indicator, Kind};
use caqes_core::value::{Entry, Value, ValueError, parse_entry};
use caqes_store::StoredValue;

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
            field: caqes_core::value::Field::Value,
            message: "pour une entité à plusieurs sites, saisir le numérateur et le dénominateur de chaque site \
                      (la valeur de l'entité en est la somme)"
                .into(),
        });
    }
    Ok(entry)
}

fn rate_of(value: &Value) -> Option<caqes_core::Rate> {
    match value {
        Value::Proportion(r) | Value::Growth(r) | Value::Ratio(r) => Some(*r),
        _ => None,
    }
}

fn with_rate(template: &Value, rate: caqes_core::Rate) -> Value {
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
pub fn combine(entity: Finess, site_entries: &[(Finess, Entry)]) -> Result<Option<Entry>, String> {
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
    if values.is_empty() {
        // Only declarations: they count when they agree.
        let first = site_entries[0].1;
        return if site_entries.iter().all(|(_, e)| *e == first) {
            Ok(Some(first))
        } else {
            Err("les sites ne déclarent pas le même statut (NC / NM)".into())
        };
    }
    if rate_of(&values[0].1).is_some() {
        let rates: Option<Vec<SiteRate>> = values
            .iter()
            .map(|(f, v)| {
                rate_of(v).map(|taux| SiteRate {
                    finess_geographique: *f,
                    taux,
                })
            })
            .collect();
        let rates = rates.ok_or("les sites n'ont pas saisi des valeurs de même nature")?;
        let sites: Vec<Finess> = rates.iter().map(|r| r.finess_geographique).collect();
        let pooled = multisite::LegalEntity::new(entity, sites)
            .and_then(|e| e.rate(&rates))
            .map_err(|e| e.to_string())?;
        return Ok(Some(Entry::Value(with_rate(&values[0].1, pooled.taux))));
    }
    let worst = values
        .iter()
        .min_by_key(|(_, v)| word_rank(v).unwrap_or(0))
        .map(|(_, v)| *v)
        .ok_or("aucune valeur")?;
    Ok(Some(Entry::Value(worst)))
}

/// The entity's entries for the scoring, from the stored values of its sites;
/// problems are returned as French warnings.
pub fn entity_entries(
    referentiel: &caqes_core::referentiel::Referentiel,
    entity: Finess,
    site_count: usize,
    stored: &[StoredValue],
) -> (BTreeMap<String, Entry>, Vec<String>) {
    let mut per_indicator: BTreeMap<&str, Vec<(Finess, Entry)>> = BTreeMap::new();
    let mut warnings = Vec::new();
    for v in stored {
        let Some(ind) = referentiel.indicator(&v.indicator) else {
            warnings.push(format!(
                "indicateur {} inconnu du référentiel : ignoré",
                v.indicator
            ));
            continue;
        };
        let value = v.declared.as_deref().or(v.value.as_deref());
        match parse_site_entry(
            ind,
            site_count > 1,
            v.numerator.as_deref(),
            v.denominator.as_deref(),
            value,
        ) {
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

/// French label of a status.
pub fn status_label(a: Applicability) -> &'static str {
    match a {
        Applicability::Concerned => "Concerné",
        Applicability::Nc => "Non concerné (NC)",
        Applicability::Nm => "Non mesurable (NM)",
    }
}

/// What the value field accepts, for the hint under it.
pub fn value_hint(ind: &Indicator) -> &'static str {
    match ind.kind {
        Kind::Proportion => {
            "Numérateur et dénominateur, ou un pourcentage (0 à 100). NC ou NM si non concerné / non mesurable."
        }
        Kind::Growth => {
            "Montants de l'année N et N−1, ou un taux d'évolution en %. NC ou NM possibles."
        }
        Kind::Ratio => "Numérateur et dénominateur, ou le ratio. NC ou NM possibles.",
        Kind::YesNo | Kind::Document => "OUI ou NON (ou NC, NM).",
        Kind::TriState => "OUI, EN_COURS ou NON (ou NC, NM).",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caqes_core::Rate;
    use caqes_core::referentiel::builtin_by_id;
    use rust_decimal::Decimal;

    fn f(s: &str) -> Finess {
        Finess::parse(s).unwrap()
    }

    fn first_of_kind(kind: Kind) -> Indicator {
        builtin_by_id("occitanie-2018")
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
        let ind = first_of_kind(Kind::Proportion);
        assert!(parse_site_entry(&ind, false, None, None, Some("45,5")).is_ok());
        let err = parse_site_entry(&ind, true, None, None, Some("45,5")).unwrap_err();
        assert!(err.message.contains("plusieurs sites"), "{err}");
        assert!(parse_site_entry(&ind, true, Some("3"), Some("4"), None).is_ok());
        assert!(parse_site_entry(&ind, true, None, None, Some("NC")).is_ok());
    }
}
