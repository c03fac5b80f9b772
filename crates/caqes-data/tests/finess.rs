//! The FINESS extract reader on a slice of the real extract of 8 January 2021
//! (`test_data/finess/extrait_occitanie.csv`, CRLF line ends as published):
//! the CHU de Nîmes (four sites, its day hospitals listed first), a clinic,
//! three entities without a CAQES category (thermal establishment, GCS,
//! « entité ayant autorisation ») and one line of another region.

use caqes_core::{Category, Finess, RegionCode};
use caqes_data::finess::read_finess;

const OCCITANIE: RegionCode = RegionCode::from_static("76");

const FIXTURE: &str = include_str!("../test_data/finess/extrait_occitanie.csv");

fn finess(s: &str) -> Finess {
    Finess::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn the_occitanie_slice() {
    let read =
        read_finess("extrait FINESS", &OCCITANIE, FIXTURE).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(read.other_regions, 1, "CH DE FLEYRIAT (01)");
    let summary: Vec<(String, Option<Category>, usize, u64)> = read
        .entities
        .iter()
        .map(|e| (e.name.clone(), e.category, e.sites.len(), e.line))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "CHU NIMES CAREMEAU".to_owned(),
                Some(Category::McoPublicEspic),
                4,
                2
            ),
            ("EUROTHERMES".to_owned(), None, 1, 6),
            ("GCS BIOLOGIE TERRITOIRE DE L'ARIEGE".to_owned(), None, 1, 7),
            ("GIE IRM DE L'ARIEGE SITE CHIVA".to_owned(), None, 1, 8),
            (
                "CL DU GRAND AVIGNON".to_owned(),
                Some(Category::McoPrive),
                1,
                9
            ),
        ]
    );
    let chu = &read.entities[0];
    assert_eq!(chu.finess, finess("300780038"));
    assert_eq!(chu.sites[3].finess, finess("300782117"));
    assert_eq!(chu.sites[3].entity, chu.finess);
    let thermal = &read.entities[1].sites[0];
    assert_eq!(thermal.finess_category, "126 « Etablissement Thermal »");
    assert_eq!(thermal.entity, finess("640797395"));
}

#[test]
fn a_broken_line_is_named() {
    let broken = FIXTURE.replace("300002508;300000213", "300002508;30000021X");
    let errors = read_finess("extrait FINESS", &OCCITANIE, &broken).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, Some(9));
    assert_eq!(errors[0].column.as_deref(), Some("nofinessej"));
    assert!(
        errors[0]
            .to_string()
            .starts_with("extrait FINESS, ligne 9, colonne « nofinessej » : "),
        "{}",
        errors[0]
    );
}
