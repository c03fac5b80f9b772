//! An establishment's inputs to the scoring, from what it gave itself and what its sites
//! gave: the one function `caqes evaluate`, `caqes rapport` and the platform call, so that
//! they cannot disagree on a multi-site entity or on a year-over-year indicator (issue 9,
//! « one engine »).
//!
//! Two readings of the rows, chosen by the caller:
//! - **as given** (`sites = None`): each row is the establishment's value for the year, as
//!   typed (for II-04 the rates of N and N−1 as numerator and denominator, the platform's
//!   form and `caqes evaluate` without `--sites`);
//! - **from components** (`sites = Some(list)`): a year-over-year indicator is computed from
//!   the components of years N and N−1 ([`multisite::unit_entry`]), and a multi-site entity
//!   (a non-empty list) has every indicator it does not give itself pooled from its sites
//!   ([`multisite::pool_line`]: Σ components, a missing site leaves the line incomplete).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::Finess;
use crate::evaluation::multisite::{self, LegalEntity, PooledLine};
use crate::evaluation::scoring::Given;
use crate::grid::referentiel::{Applicability, Referentiel};
use crate::grid::value::{Entry, Review, Value};

/// Where the rows of one establishment come from (the CLI's indexed CSV files, the
/// platform's stored values).
pub trait Rows {
    /// Everything the establishment gave itself for `year`, by indicator code.
    fn own(&self, year: i16) -> BTreeMap<String, Given>;
    /// What it gave itself for `year` and the grid's line `index` (an indicator's position
    /// in the grid, or a class line's number: [`Referentiel::line_at`]).
    fn own_entry(&self, year: i16, index: usize) -> Option<Entry>;
    /// What `site` (a geographic FINESS of the entity) gave for `year` and the grid's line
    /// `index`.
    fn site(&self, site: Finess, year: i16, index: usize) -> Option<Given>;
}

/// What the pooling adds to an establishment's result: the pooled lines of a multi-site
/// entity, by indicator code, and the warnings (French) of the computation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pooled {
    /// Empty for an establishment without sites.
    pub lines: BTreeMap<String, PooledLine>,
    pub warnings: Vec<String>,
}

/// A number given as such (no numerator and denominator): kept as it is for an
/// establishment without sites, even for a year-over-year indicator.
fn is_bare_number(entry: &Entry) -> bool {
    matches!(
        entry,
        Entry::Value(Value::Percent(_) | Value::GrowthPercent(_) | Value::RatioValue(_))
    )
}

/// The scoring's inputs of `entity` for `year`: see the module's documentation for the
/// two readings. `targets` are the entity's (contracted) targets, used to rank its sites.
pub fn inputs(
    referentiel: &Referentiel,
    entity: Finess,
    sites: Option<&[Finess]>,
    year: i16,
    rows: &impl Rows,
    targets: &BTreeMap<String, Decimal>,
) -> (BTreeMap<String, Given>, Pooled) {
    let mut entries = rows.own(year);
    let mut pooled = Pooled::default();
    let Some(site_list) = sites else {
        return (entries, pooled);
    };
    for (index, ind) in referentiel.indicators.iter().enumerate() {
        if !ind.year_over_year {
            continue;
        }
        let Some(current) = entries.get(&ind.code).map(|g| g.entry) else {
            continue;
        };
        if is_bare_number(&current) {
            continue;
        }
        let previous = rows.own_entry(year - 1, index);
        match multisite::unit_entry(ind, Some(&current), previous.as_ref()) {
            Ok(e) => {
                // The year's value computed from N and N−1: the line (source, motive) stays.
                if let Some(g) = entries.get_mut(&ind.code) {
                    g.entry = e;
                }
            }
            Err(missing) => {
                entries.remove(&ind.code);
                pooled.warnings.push(format!(
                    "{} {year} : {} ; la valeur de l'année ne peut pas être calculée",
                    ind.code,
                    missing.label()
                ));
            }
        }
    }
    if site_list.is_empty() {
        return (entries, pooled);
    }
    let Ok(legal) = LegalEntity::new(entity, site_list.to_vec()) else {
        pooled.warnings.push(format!(
            "liste des sites de {entity} invalide (site en double ou vide) : sites non agrégés"
        ));
        return (entries, pooled);
    };
    let site_rows = |y: i16, index: usize| -> Vec<(Finess, Given)> {
        site_list
            .iter()
            .filter_map(|s| rows.site(*s, y, index).map(|g| (*s, g)))
            .collect()
    };
    // Every line, the classes of an indicator computed per class included (D5: each
    // class pooled from its sites' components, like an indicator).
    // The indicators computed per class some site gave a class of: their classes are pooled
    // (a site without the class leaves it incomplete), not the indicator's single value.
    let with_classes: Vec<usize> = referentiel
        .lines()
        .filter(|l| l.class.is_some() && !site_rows(year, l.number).is_empty())
        .map(|l| l.indicator_index)
        .collect();
    for grid_line in referentiel.lines() {
        let (index, ind, code) = (grid_line.number, grid_line.indicator, grid_line.code);
        if entries.contains_key(code) {
            continue; // given for the entity itself
        }
        let classes_given = with_classes.contains(&grid_line.indicator_index);
        match grid_line.class {
            // The entity gave its indicator one value, or a declaration, or no site gave a
            // class: the classes are not pooled (the engine reads the indicator's value).
            Some(_) if entries.contains_key(&ind.code) || !classes_given => continue,
            // The sites gave classes: the indicator's single value is not pooled.
            None if classes_given => continue,
            _ => {}
        }
        let current = site_rows(year, index);
        let previous = if ind.year_over_year {
            site_rows(year - 1, index)
        } else {
            Vec::new()
        };
        let entries_of =
            |list: &[(Finess, Given)]| list.iter().map(|(f, g)| (*f, g.entry)).collect::<Vec<_>>();
        let target = targets
            .get(code)
            .or_else(|| targets.get(&ind.code))
            .copied();
        match multisite::pool_line(
            ind,
            &legal,
            &entries_of(&current),
            &entries_of(&previous),
            target,
        ) {
            Ok(line) => {
                if let Some(e) = line.entry {
                    let mut given = Given::new(e);
                    // An NC the sites agree on carries their least favourable review (the
                    // platform collects motives per site): one site refused and the entity's
                    // NC is refused; one still proposed and it is only proposed.
                    if e == Entry::Declared(Applicability::Nc)
                        && let Some(d) = current
                            .iter()
                            .filter_map(|(_, g)| g.declaration.as_ref())
                            .min_by_key(|d| match d.review {
                                Review::Refused => 0,
                                Review::Proposed => 1,
                                Review::Accepted => 2,
                            })
                    {
                        given = given.with_declaration(d.clone());
                    }
                    entries.insert(code.to_owned(), given);
                }
                pooled.lines.insert(code.to_owned(), line);
            }
            Err(e) => pooled.warnings.push(format!("{code} : {e}")),
        }
    }
    (entries, pooled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::referentiel::builtin_by_id;
    use crate::grid::value::NcDeclaration;
    use crate::rate::Rate;

    /// Rows given in memory: (unit, year, index) → given.
    struct Mem(BTreeMap<(Finess, i16, usize), Given>, Finess);

    impl Rows for Mem {
        fn own(&self, year: i16) -> BTreeMap<String, Given> {
            let grid = builtin_by_id("occitanie-2018").unwrap();
            self.0
                .iter()
                .filter(|((u, y, _), _)| *u == self.1 && *y == year)
                .filter_map(|((_, _, i), g)| {
                    grid.line_at(*i).map(|l| (l.code.to_owned(), g.clone()))
                })
                .collect()
        }
        fn own_entry(&self, year: i16, index: usize) -> Option<Entry> {
            self.0.get(&(self.1, year, index)).map(|g| g.entry)
        }
        fn site(&self, site: Finess, year: i16, index: usize) -> Option<Given> {
            self.0.get(&(site, year, index)).cloned()
        }
    }

    fn f(text: &str) -> Finess {
        Finess::parse(text).unwrap()
    }

    fn nc(review: Review) -> Given {
        Given::new(Entry::Declared(Applicability::Nc))
            .with_declaration(NcDeclaration::new("pas d'activité", review).unwrap())
    }

    #[test]
    fn an_nc_refused_for_one_site_is_refused_for_the_entity() {
        let grid = builtin_by_id("occitanie-2018").unwrap();
        let i03 = grid
            .indicators
            .iter()
            .position(|i| i.code == "I-03")
            .unwrap();
        let (entity, a, b) = (f("750712184"), f("751000019"), f("751000027"));
        let rows = Mem(
            [
                ((a, 2019, i03), nc(Review::Accepted)),
                ((b, 2019, i03), nc(Review::Refused)),
            ]
            .into(),
            entity,
        );
        let (given, _) = inputs(&grid, entity, Some(&[a, b]), 2019, &rows, &BTreeMap::new());
        let d = given["I-03"].declaration.clone().unwrap();
        assert_eq!(d.review, Review::Refused);
    }

    #[test]
    fn as_given_keeps_rows_and_from_components_computes_ii04() {
        let grid = builtin_by_id("occitanie-2018").unwrap();
        let ii04 = grid
            .indicators
            .iter()
            .position(|i| i.code == "II-04")
            .unwrap();
        let e = f("690781810");
        let comp = |n: i64, d: i64| {
            Given::new(Entry::Value(Value::Ratio(
                Rate::new(Decimal::from(n), Decimal::from(d)).unwrap(),
            )))
        };
        // 330 DDJ / 1 100 JH in 2018, 300 / 1 000 in 2019: (300/1000) / (330/1100) = 1.
        let rows = Mem(
            [
                ((e, 2018, ii04), comp(330, 1100)),
                ((e, 2019, ii04), comp(300, 1000)),
            ]
            .into(),
            e,
        );
        let (as_given, _) = inputs(&grid, e, None, 2019, &rows, &BTreeMap::new());
        assert_eq!(as_given["II-04"].entry, comp(300, 1000).entry);
        let (computed, _) = inputs(&grid, e, Some(&[]), 2019, &rows, &BTreeMap::new());
        let Entry::Value(v) = computed["II-04"].entry else {
            panic!("a value")
        };
        assert_eq!(v.number(), Some(Decimal::ONE));
    }

    #[test]
    fn classes_are_pooled_per_class_and_a_missing_site_is_named() {
        // D5 and W6/W7: each class of III-02 pooled from its sites' components.
        let grid = builtin_by_id("occitanie-2018").unwrap();
        let (entity, a, b) = (f("750712184"), f("751000019"), f("751000027"));
        let number = |code: &str| grid.line_of(code).unwrap();
        let p = |n: i64, d: i64| {
            Given::new(Entry::Value(Value::Proportion(
                Rate::proportion(Decimal::from(n), Decimal::from(d)).unwrap(),
            )))
        };
        let rows = Mem(
            [
                ((a, 2019, number("III-02/EPO")), p(10, 100)),
                ((b, 2019, number("III-02/EPO")), p(30, 100)),
                ((a, 2019, number("III-02/ANTI-TNF")), p(5, 10)),
            ]
            .into(),
            entity,
        );
        let (given, pooled) = inputs(&grid, entity, Some(&[a, b]), 2019, &rows, &BTreeMap::new());
        // EPO: (10 + 30) / (100 + 100) = 20 %.
        let Entry::Value(v) = given["III-02/EPO"].entry else {
            panic!("a value")
        };
        assert_eq!(v.number(), Some(Decimal::from(20)));
        // ANTI-TNF: site B gave nothing, the class has no value and names it.
        assert!(!given.contains_key("III-02/ANTI-TNF"));
        assert_eq!(pooled.lines["III-02/ANTI-TNF"].missing_sites, vec![b]);
        // The indicator's single value is not pooled when the sites give classes.
        assert!(!pooled.lines.contains_key("III-02"));
    }
}
