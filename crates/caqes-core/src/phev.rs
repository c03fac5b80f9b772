//! The figures of the PHEV dashboards (Open PHMEV: prescriptions hospitalières exécutées
//! en ville), as the platform keeps them per upload, and the pure aggregations the pages
//! draw from them: top lists of classes and products, pooled rates of a set of entities
//! (a region), rank among comparable entities.
//!
//! `caqes_data::phmev::dashboard` builds these rows from the files; the rounding is the
//! pipeline's (`caqes phmev indicateurs`, `caqes phmev top`): rates and shares in % to two
//! decimals, half away from zero, computed from exact sums.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::Finess;
use crate::rate::round_half_away;

/// `100 × n / d` rounded half away from zero to 2 decimals; `None` when `d` is 0.
pub fn percent(n: Decimal, d: Decimal) -> Option<Decimal> {
    if d.is_zero() {
        return None;
    }
    Some(round_half_away(n * Decimal::ONE_HUNDRED / d, 2))
}

/// What an amount row is about: the seed's « classes médicamenteuses » are ATC level 4
/// (the default level of `caqes phmev top`), products are CIP13.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AmountKind {
    Classe,
    Produit,
}

impl AmountKind {
    /// The stored code (`classe`, `produit`).
    pub fn code(self) -> &'static str {
        match self {
            AmountKind::Classe => "classe",
            AmountKind::Produit => "produit",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "classe" => Some(AmountKind::Classe),
            "produit" => Some(AmountKind::Produit),
            _ => None,
        }
    }
}

/// Amount reimbursed and boxes of one entity for one ATC4 class or one product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountRow {
    pub entity: Finess,
    pub kind: AmountKind,
    pub code: String,
    pub label: String,
    /// Exact sum (4 decimals at most).
    pub amount: Decimal,
    pub boxes: i64,
}

/// Boxes of one biosimilar class: biosimilars and references (`TOP_GEN` C and comparables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassBoxes {
    pub id: String,
    pub label: String,
    pub biosimilars: i64,
    pub references: i64,
}

impl ClassBoxes {
    /// Biosimilar rate in % (2 decimals, half away from zero), `None` without boxes.
    pub fn rate(&self) -> Option<Decimal> {
        percent(
            Decimal::from(self.biosimilars),
            Decimal::from(self.biosimilars) + Decimal::from(self.references),
        )
    }
}

/// The indicator sums of one entity that the dashboards show (what `caqes phmev
/// indicateurs` reports), kept per upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitySummary {
    pub entity: Finess,
    pub name: String,
    pub boxes_total: i64,
    pub boxes_excluding_paracetamol: i64,
    pub boxes_repertoire: i64,
    pub amount: Decimal,
    pub amount_excluding_hepatitis_c: Decimal,
    /// Same for year N−1 when its files were given.
    pub previous_amount_excluding_hepatitis_c: Option<Decimal>,
    pub biosimilars: Vec<ClassBoxes>,
}

impl EntitySummary {
    /// Generic-repertoire rate (III-01) in %, as the pipeline rounds it.
    pub fn repertoire_rate(&self) -> Option<Decimal> {
        percent(
            Decimal::from(self.boxes_repertoire),
            Decimal::from(self.boxes_excluding_paracetamol),
        )
    }

    /// Growth excluding hepatitis C (IV-01) in %, as the pipeline rounds it.
    pub fn growth(&self) -> Option<Decimal> {
        let prev = self.previous_amount_excluding_hepatitis_c?;
        decimal_growth(self.amount_excluding_hepatitis_c, prev)
    }

    /// III-03 over all classes: Σ biosimilars / Σ (biosimilars + references).
    pub fn biosimilar_pooled(&self) -> ClassBoxes {
        ClassBoxes {
            id: "ensemble".into(),
            label: "Ensemble des classes".into(),
            biosimilars: self.biosimilars.iter().map(|c| c.biosimilars).sum(),
            references: self.biosimilars.iter().map(|c| c.references).sum(),
        }
    }
}

/// `100 × (n / d − 1)` rounded half away from zero to 2 decimals, `None` when `d` is 0:
/// the pipeline's growth on exact decimals (the same quotient as on its integer
/// ten-thousandths).
fn decimal_growth(n: Decimal, d: Decimal) -> Option<Decimal> {
    if d.is_zero() {
        return None;
    }
    Some(round_half_away(
        (n / d - Decimal::ONE) * Decimal::ONE_HUNDRED,
        2,
    ))
}

/// The pooled figures of several entities (a region): sums of numerators and
/// denominators; the growth only over the entities that have year N−1.
pub fn pool(name: &str, entity: Finess, summaries: &[&EntitySummary]) -> EntitySummary {
    let mut out = EntitySummary {
        entity,
        name: name.to_owned(),
        boxes_total: 0,
        boxes_excluding_paracetamol: 0,
        boxes_repertoire: 0,
        amount: Decimal::ZERO,
        amount_excluding_hepatitis_c: Decimal::ZERO,
        previous_amount_excluding_hepatitis_c: None,
        biosimilars: Vec::new(),
    };
    let mut with_previous = (Decimal::ZERO, Decimal::ZERO);
    for s in summaries {
        out.boxes_total += s.boxes_total;
        out.boxes_excluding_paracetamol += s.boxes_excluding_paracetamol;
        out.boxes_repertoire += s.boxes_repertoire;
        out.amount += s.amount;
        out.amount_excluding_hepatitis_c += s.amount_excluding_hepatitis_c;
        if let Some(p) = s.previous_amount_excluding_hepatitis_c {
            with_previous.0 += s.amount_excluding_hepatitis_c;
            with_previous.1 += p;
            out.previous_amount_excluding_hepatitis_c = Some(with_previous.1);
        }
        for c in &s.biosimilars {
            match out.biosimilars.iter_mut().find(|o| o.id == c.id) {
                Some(o) => {
                    o.biosimilars += c.biosimilars;
                    o.references += c.references;
                }
                None => out.biosimilars.push(c.clone()),
            }
        }
    }
    // A growth compares like with like: entities without N−1 are left out of it.
    if out.previous_amount_excluding_hepatitis_c.is_some() {
        out.amount_excluding_hepatitis_c = with_previous.0;
    }
    out
}

/// One line of a top list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopLine {
    pub rank: usize,
    pub code: String,
    pub label: String,
    pub amount: Decimal,
    /// Share of the amount of the rows selected, in % (2 decimals).
    pub share: Option<Decimal>,
    pub boxes: i64,
}

/// The `n` largest classes or products by amount over the rows of the entities `keep`
/// accepts (summed when several), ties by code: `caqes phmev top`'s order and shares.
pub fn top(
    rows: &[AmountRow],
    kind: AmountKind,
    keep: impl Fn(Finess) -> bool,
    n: usize,
) -> Vec<TopLine> {
    let mut sums: BTreeMap<&str, (Decimal, i64, &str)> = BTreeMap::new();
    let mut total = Decimal::ZERO;
    for r in rows.iter().filter(|r| r.kind == kind && keep(r.entity)) {
        total += r.amount;
        let e = sums
            .entry(r.code.as_str())
            .or_insert((Decimal::ZERO, 0, r.label.as_str()));
        e.0 += r.amount;
        e.1 += r.boxes;
        if !r.label.is_empty() && (e.2.is_empty() || r.label.as_str() < e.2) {
            e.2 = r.label.as_str();
        }
    }
    let mut v: Vec<(&str, (Decimal, i64, &str))> = sums.into_iter().collect();
    // BTreeMap order is by code; a stable sort by amount keeps ties by code.
    v.sort_by_key(|e| std::cmp::Reverse(e.1.0));
    v.truncate(n);
    v.into_iter()
        .enumerate()
        .map(|(i, (code, (amount, boxes, label)))| TopLine {
            rank: i + 1,
            code: code.to_owned(),
            label: label.to_owned(),
            amount,
            share: share(amount, total),
            boxes,
        })
        .collect()
}

/// `100 × part / total` rounded half away from zero to 2 decimals.
fn share(part: Decimal, total: Decimal) -> Option<Decimal> {
    percent(part, total)
}

/// Where one entity stands among comparable ones on a rate (higher is better).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// 1 = the highest rate; ties share the better rank.
    pub rank: usize,
    /// Entities with a rate.
    pub of: usize,
    /// Share of the others whose rate is strictly lower, in % (0 decimals).
    pub percentile: Decimal,
}

/// Rank of `who` among `rates` (entities without a rate are left out).
pub fn standing(rates: &[(Finess, Option<Decimal>)], who: Finess) -> Option<Standing> {
    let mine = rates.iter().find(|(f, _)| *f == who)?.1?;
    let known: Vec<Decimal> = rates.iter().filter_map(|(_, r)| *r).collect();
    let above = known.iter().filter(|r| **r > mine).count();
    let below = known.iter().filter(|r| **r < mine).count();
    let others = known.len().saturating_sub(1);
    let percentile = if others == 0 {
        Decimal::ONE_HUNDRED
    } else {
        round_half_away(
            Decimal::from(below as u64) * Decimal::ONE_HUNDRED / Decimal::from(others as u64),
            0,
        )
    };
    Some(Standing {
        rank: above + 1,
        of: known.len(),
        percentile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Finess {
        Finess::parse(s).unwrap()
    }

    fn row(entity: &str, kind: AmountKind, code: &str, amount: &str, boxes: i64) -> AmountRow {
        AmountRow {
            entity: f(entity),
            kind,
            code: code.into(),
            label: format!("L {code}"),
            amount: amount.parse().unwrap(),
            boxes,
        }
    }

    #[test]
    fn top_sums_entities_sorts_by_amount_then_code_and_shares_the_selected_total() {
        let a = "690781810";
        let b = "750712184";
        let rows = vec![
            row(a, AmountKind::Classe, "L04AB", "100.50", 10),
            row(b, AmountKind::Classe, "L04AB", "50", 5),
            row(a, AmountKind::Classe, "A02BC", "150.50", 7),
            row(a, AmountKind::Classe, "N02BE", "99", 1),
            row(a, AmountKind::Produit, "3400930007990", "1000", 1),
        ];
        // Both entities: L04AB 150,50 and A02BC 150,50 tie: A02BC first (code order).
        let both = top(&rows, AmountKind::Classe, |_| true, 15);
        assert_eq!(
            both.iter().map(|l| l.code.as_str()).collect::<Vec<_>>(),
            ["A02BC", "L04AB", "N02BE"]
        );
        // Total 400: 150,5 / 400 = 37,625 % → 37,63 (half away from zero).
        assert_eq!(both[0].share, Some("37.63".parse().unwrap()));
        assert_eq!(both[1].amount, "150.50".parse().unwrap());
        assert_eq!(both[1].boxes, 15);
        assert_eq!(both[2].rank, 3);
        // One entity, top 1: A02BC 150,50 of 350 = 43,00 %.
        let one = top(&rows, AmountKind::Classe, |e| e == f(b), 1);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].code, "L04AB");
        assert_eq!(one[0].share, Some(Decimal::ONE_HUNDRED));
    }

    fn summary(entity: &str, rep: i64, den: i64, n: &str, prev: Option<&str>) -> EntitySummary {
        EntitySummary {
            entity: f(entity),
            name: entity.into(),
            boxes_total: den + 10,
            boxes_excluding_paracetamol: den,
            boxes_repertoire: rep,
            amount: n.parse().unwrap(),
            amount_excluding_hepatitis_c: n.parse().unwrap(),
            previous_amount_excluding_hepatitis_c: prev.map(|p| p.parse().unwrap()),
            biosimilars: vec![ClassBoxes {
                id: "epo".into(),
                label: "EPO".into(),
                biosimilars: rep / 10,
                references: den / 10,
            }],
        }
    }

    #[test]
    fn pooled_rates_are_sums_of_numerators_over_sums_of_denominators() {
        let a = summary("690781810", 455, 1000, "110", Some("100"));
        let b = summary("750712184", 300, 500, "50", None);
        let p = pool("Région", f("750712184"), &[&a, &b]);
        // (455 + 300) / 1500 = 50,333… → 50,33 %.
        assert_eq!(p.repertoire_rate(), Some("50.33".parse().unwrap()));
        assert_eq!(a.repertoire_rate(), Some("45.5".parse().unwrap()));
        // Growth over the entity with N−1 only: 110 / 100 − 1 = 10 %.
        assert_eq!(p.growth(), Some("10".parse().unwrap()));
        assert_eq!(p.amount, "160".parse().unwrap());
        // EPO: (45 + 30) / (45 + 30 + 100 + 50) = 75 / 225 = 33,33 %.
        assert_eq!(p.biosimilars[0].rate(), Some("33.33".parse().unwrap()));
        assert_eq!(b.growth(), None);
    }

    #[test]
    fn growth_of_decimals_matches_the_pipeline_rounding() {
        // 1 000,01 / 900,00 − 1 = 11,112… % → 11,11.
        assert_eq!(
            decimal_growth("1000.01".parse().unwrap(), "900".parse().unwrap()),
            Some("11.11".parse().unwrap())
        );
        assert_eq!(
            decimal_growth(Decimal::ONE, Decimal::ZERO),
            None,
            "no growth from zero"
        );
    }

    #[test]
    fn standing_ranks_ties_together_and_skips_unknown_rates() {
        let r = |s: &str| Some(s.parse::<Decimal>().unwrap());
        let rates = vec![
            (f("690781810"), r("50")),
            (f("750712184"), r("40")),
            (f("310781406"), r("50")),
            (f("340780477"), None),
        ];
        let s = standing(&rates, f("750712184")).unwrap();
        assert_eq!((s.rank, s.of), (3, 3));
        assert_eq!(s.percentile, Decimal::ZERO);
        let s = standing(&rates, f("310781406")).unwrap();
        assert_eq!((s.rank, s.of), (1, 3));
        // One of the two others is lower: 50 %.
        assert_eq!(s.percentile, Decimal::from(50));
        assert_eq!(standing(&rates, f("340780477")), None);
    }
}
