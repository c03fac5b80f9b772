//! The region files of the targeting screens and the AM figures, read from
//! fixture files (`test_data/region/`) into typed rows.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::HashMap;
use std::path::PathBuf;

use caqes_core::volets::pertinence::Measure;
use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Class, Icalin2Result};
use caqes_core::{Euros, Finess, Rate};
use caqes_data::am_figures;
use caqes_data::region_csv::{RegionEntities, pertinence, quality, transport};
use rust_decimal_macros::dec;

fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "test_data", "region", name]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap()
}

fn entities() -> (RegionEntities, Finess, Finess) {
    let a = Finess::parse("310000013").unwrap();
    let b = Finess::parse("310000021").unwrap();
    (
        RegionEntities::legal([a, b]).with_sites(HashMap::new(), "les valeurs"),
        a,
        b,
    )
}

#[test]
fn transport_spending_as_exact_euros() {
    let (entities, a, b) = entities();
    let rows = transport::read(&fixture("transports.csv"), &entities, 2019).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].0, rows[0].1.entity), (2, a));
    assert_eq!(rows[0].1.amount, Euros(dec!(1234567.89)));
    assert_eq!(rows[0].1.previous, Euros(dec!(1200000)));
    assert_eq!(
        (rows[1].1.entity, rows[1].1.amount),
        (b, Euros(dec!(980000.5)))
    );
    // Another year than the campaign's: every line refused, none returned.
    let errors = transport::read(&fixture("transports.csv"), &entities, 2020).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0]
            .to_string()
            .starts_with("transports.csv, ligne 2, colonne « annee »")
    );
}

#[test]
fn transport_amounts_through_the_one_french_amount_reader() {
    let (entities, _, _) = entities();
    let read = |current: &str, previous: &str| {
        let text = format!(
            "finess;annee;depenses_transport_prescrites;depenses_annee_precedente\n\
             310000013;2019;{current};{previous}\n"
        );
        transport::read(&text, &entities, 2019)
    };
    let rows = read("1 234 567,89 €", "1200000").unwrap();
    assert_eq!(rows[0].1.amount, Euros(dec!(1234567.89)));
    // Negative, thousandths (maybe a thousands separator), unreadable: refused with the
    // column and the reason, never rounded nor taken as zero.
    for (current, reason) in [
        ("-5000", "ne peut pas être négatif"),
        ("1,234", "au plus deux décimales"),
        ("12 abc", "montant illisible"),
    ] {
        let errors = read(current, "1200000").unwrap_err();
        let text = errors[0].to_string();
        assert!(
            text.contains("colonne « depenses_transport_prescrites »") && text.contains(reason),
            "{text}"
        );
    }
}

#[test]
fn quality_indicators_with_their_words() {
    let (entities, a, b) = entities();
    let rows = quality::read(&fixture("qualite.csv"), &entities, 2019).unwrap();
    assert_eq!(rows.len(), 2);
    let first = &rows[0].1;
    assert_eq!(first.entity, a);
    assert_eq!(first.icalin2, Icalin2Result::Classe(Icalin2Class::B));
    assert_eq!(
        first.d31,
        D31Result::Taux(Rate::proportion(dec!(10), dec!(100)).unwrap())
    );
    assert_eq!(
        first.doc,
        DocResult::Resultat {
            taux_pct: dec!(8),
            ic_borne_basse_pct: dec!(6),
            ic_borne_haute_pct: dec!(10),
        }
    );
    let second = &rows[1].1;
    assert_eq!(second.entity, b);
    assert_eq!(second.icalin2, Icalin2Result::NonRepondant);
    assert_eq!(second.doc, DocResult::NonRepondant);
}

#[test]
fn pertinence_proportion_and_ratio() {
    let (entities, a, b) = entities();
    let rows = pertinence::read(&fixture("pertinence.csv"), &entities, 2019).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].1.entity, a);
    assert_eq!(rows[0].1.theme, "Chirurgie ambulatoire");
    assert_eq!(
        rows[0].1.measure,
        Measure::Proportion {
            observed: 60,
            population: 1000,
            reference: Rate::proportion(dec!(1), dec!(10)).unwrap(),
        }
    );
    assert_eq!(rows[1].1.entity, b);
    assert_eq!(
        rows[1].1.measure,
        Measure::Ratio {
            observed: 12,
            expected: dec!(10.0),
        }
    );
}

#[test]
fn am_figures_with_empty_cells_not_given() {
    let (_, a, b) = entities();
    let rows = am_figures::read(&fixture("donnees_am.csv"), |f| *f == a || *f == b).unwrap();
    assert_eq!(rows[0].1.am_revenue, Some(Euros(dec!(250000000.00))));
    assert_eq!(rows[0].1.liste_en_sus, Some(Euros(dec!(12500000.50))));
    assert_eq!(rows[0].1.year, Some(2018));
    assert_eq!(
        (rows[1].1.am_revenue, rows[1].1.liste_en_sus, rows[1].1.year),
        (None, None, None)
    );
}
