//! The notification letters: rendered, then their text checked with `pdftotext`
//! against the input figures in French format.

mod common;

use caqes_core::Euros;
use caqes_core::sanction::{self, Decision, SanctionBasis, SanctionParameters};
use caqes_core::volets::Volet;
use caqes_documents::{AmOpinion, SocleSanctionNotification};
use common::*;
use jiff::civil::date;
use rust_decimal_macros::dec;

fn socle() -> SocleSanctionNotification {
    // Score 56,52 → scale step 40: 50 % of the ceiling; ceiling 1 % of 48 765 432,10 €
    // = 487 654,321 €; proposed 243 827,1605 € → 243 827,16 €; decided 200 000 €.
    let basis = SanctionBasis::ProduitsAm(Euros(dec!(48_765_432.10)));
    let proposal =
        sanction::propose_socle_sanction(&SanctionParameters::default(), dec!(56.52), basis)
            .unwrap();
    let decision = Decision::modulated(
        Volet::Obligatoire,
        proposal,
        Euros(dec!(200_000)),
        Some("plan d'actions engagé sur la conciliation médicamenteuse"),
    )
    .unwrap();
    SocleSanctionNotification {
        frame: frame(),
        establishment: establishment(),
        year: 2018,
        referentiel: "Grille d'engagement Occitanie 2018".into(),
        score: dec!(56.52),
        basis,
        basis_year: Some(2017),
        rate_of_ceiling: dec!(50),
        decision,
        am_opinion: Some(AmOpinion {
            favorable: true,
            given_on: Some(date(2019, 3, 1)),
            comment: Some("accord sur la modulation".into()),
        }),
        correction: None,
        appeals: appeals(),
    }
}

#[test]
fn socle_sanction_letter_states_the_figures_in_french() {
    let pdf = socle().render(&context()).unwrap();
    keep("notification-socle", &pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = assert_text(
        &pdf,
        &[
            "RÉPUBLIQUE",
            "FRANÇAISE",
            "Agence régionale de santé Occitanie",
            "Montpellier, le 15 mars 2019",
            "Centre hospitalier de Béziers",
            "FINESS\u{a0}340780477",
            "évaluation de l'année 2018",
            "obtient un score de 56,52 sur 100",
            "48\u{202f}765\u{202f}432,10\u{a0}€",
            "487\u{202f}654,32\u{a0}€",
            "50\u{202f}% du plafond",
            "243\u{202f}827,16\u{a0}€",
            "Montant de la sanction décidée 200\u{202f}000,00\u{a0}€",
            "«\u{a0}plan d'actions engagé sur la conciliation médicamenteuse\u{a0}»",
            "avis favorable le 1er mars 2019",
            "soit 0,41\u{202f}% des produits",
            "tribunal administratif de Montpellier",
            "pôle social du tribunal de grande instance de Béziers",
            "reçue le 18 mars 2019, ce délai expire le 18 mai 2019 inclus",
            "Pierre Ricordeau",
        ],
    ) else {
        return;
    };
    assert!(text.contains("1 / 2"), "{text}");
    assert_eq!(pages(&text), 2);
}
