//! The notification letters: rendered, then their text checked with `pdftotext`
//! against the input figures in French format.
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

mod common;

use caqes_core::Euros;
use caqes_core::sanction::{
    self, Basis, Decision, Nature, Proposal, SanctionBasis, SanctionParameters,
};
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::MsapDecision;
use caqes_documents::{
    AmOpinion, Hearing, ObjectiveResult, RefusalSanctionNotification, SocleSanctionNotification,
    VoletConsequence, VoletDecisionNotification,
};
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

#[test]
fn socle_letter_is_reproducible_and_dated_by_its_context() {
    let letter = socle();
    let a = letter.render(&context()).unwrap();
    let b = letter.render(&context()).unwrap();
    assert_eq!(a, b, "same data, same bytes");
    // The generation time goes into the metadata, nowhere else.
    let text = String::from_utf8_lossy(&a);
    assert!(
        text.contains("/CreationDate (D:20190315000000Z"),
        "no fixed date"
    );
    let mut later = context();
    later.generated_at = jiff::Timestamp::from_second(1_600_000_000).unwrap();
    let c = letter.render(&later).unwrap();
    assert_ne!(a, c);
    assert!(String::from_utf8_lossy(&c).contains("/CreationDate (D:20200913"));
}

#[test]
fn socle_letter_refuses_a_decision_of_another_volet_or_basis() {
    let mut letter = socle();
    letter.basis = SanctionBasis::ListeEnSus(Euros(dec!(2_000_000)));
    assert!(matches!(
        letter.render(&context()),
        Err(caqes_documents::DocumentError::Inconsistent { .. })
    ));
    let mut letter = socle();
    letter.decision = Decision::as_proposed(
        Volet::Qualite,
        sanction::Proposal::new(
            sanction::Nature::Sanction,
            sanction::Basis::ProduitsAm,
            Euros(dec!(100)),
            Euros(dec!(10)),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(letter.render(&context()).is_err());
}

#[test]
fn socle_letter_without_sanction_says_so() {
    // Score 85 → 0 % of the ceiling.
    let mut letter = socle();
    let proposal =
        sanction::propose_socle_sanction(&SanctionParameters::default(), dec!(85), letter.basis)
            .unwrap();
    letter.score = dec!(85);
    letter.rate_of_ceiling = dec!(0);
    letter.decision = Decision::as_proposed(Volet::Obligatoire, proposal).unwrap();
    letter.am_opinion = None;
    letter.correction = Some(caqes_documents::Correction {
        replaces_notification_of: date(2019, 2, 1),
        reason: "score recalculé après correction de l'indicateur I-03".into(),
    });
    let pdf = letter.render(&context()).unwrap();
    assert_text(
        &pdf,
        &[
            "score de 85,00 sur 100",
            "0 % du plafond",
            "aucune sanction n'est prononcée",
            "annule et remplace celle du 1er février 2019",
            "correction de l'indicateur I-03",
        ],
    );
}

fn volet_letter(volet: Volet, consequence: VoletConsequence) -> VoletDecisionNotification {
    VoletDecisionNotification {
        frame: frame(),
        establishment: establishment(),
        year: 2018,
        volet,
        objectives: vec![
            ObjectiveResult {
                main: true,
                label: "Évolution des dépenses de transports prescrits".into(),
                target: Some("≤ +2,2 %".into()),
                result: "+1,8 %".into(),
                met: Some(true),
            },
            ObjectiveResult {
                main: false,
                label: "Plateforme de commande des transports".into(),
                target: None,
                result: "mise en service en juin".into(),
                met: None,
            },
        ],
        action_plan_progress: Some(dec!(80)),
        consequence,
        am_opinion: None,
        correction: None,
        appeals: appeals(),
    }
}

#[test]
fn transport_incentive_letter() {
    // Savings 1 000 000 € → ceiling 30 % = 300 000 €, plan 80 % → 240 000 €.
    let proposal = Proposal::new(
        Nature::Interessement,
        Basis::Economies,
        Euros(dec!(300_000)),
        Euros(dec!(240_000)),
    )
    .unwrap();
    let letter = volet_letter(
        Volet::Transports,
        VoletConsequence::Amount {
            decision: Decision::as_proposed(Volet::Transports, proposal).unwrap(),
            basis_amount: Euros(dec!(1_000_000)),
        },
    );
    let pdf = letter.render(&context()).unwrap();
    keep("notification-transports", &pdf);
    assert_text(
        &pdf,
        &[
            "volet additionnel «\u{a0}Transports\u{a0}»",
            "de résultat Évolution des dépenses de transports",
            "≤ +2,2 %",
            "+1,8 %",
            "réalisé à 80 %",
            "Économies réalisées",
            "1\u{202f}000\u{202f}000,00\u{a0}€",
            "Plafond : 30 % de l'assiette 300\u{202f}000,00\u{a0}€",
            "Montant de l'intéressement décidé 240\u{202f}000,00\u{a0}€",
            "je vous notifie un intéressement d'un montant de 240\u{202f}000,00\u{a0}€",
            "moindre prescription de transports",
            "tribunal administratif de Montpellier",
        ],
    );
}

#[test]
fn pertinence_msap_letter_gives_its_period() {
    let decision = MsapDecision::new(6, 4, Some("chemin clinique mis en place")).unwrap();
    let letter = volet_letter(
        Volet::Pertinence,
        VoletConsequence::Msap {
            theme: "cholécystectomie".into(),
            decision,
            notified_on: date(2019, 3, 15),
        },
    );
    let pdf = letter.render(&context()).unwrap();
    keep("notification-msap", &pdf);
    assert_text(
        &pdf,
        &[
            "mise sous accord préalable",
            "cholécystectomie",
            "durée de 4 mois (le contrat en prévoit 6)",
            "du 15 mars 2019 au 14 juillet 2019 inclus",
            "«\u{a0}chemin clinique mis en place\u{a0}»",
        ],
    );
    // An MSAP on another volet is refused.
    let mut wrong = letter.clone();
    wrong.volet = Volet::Transports;
    assert!(wrong.render(&context()).is_err());
}

#[test]
fn quality_sanction_and_neither_letters() {
    let proposal = Proposal::new(
        Nature::Sanction,
        Basis::ProduitsAm,
        Euros(dec!(487_654.321)),
        Euros(dec!(121_913.58025)),
    )
    .unwrap();
    let mut letter = volet_letter(
        Volet::Qualite,
        VoletConsequence::Amount {
            decision: Decision::as_proposed(Volet::Qualite, proposal).unwrap(),
            basis_amount: Euros(dec!(48_765_432.10)),
        },
    );
    letter.am_opinion = Some(AmOpinion {
        favorable: false,
        given_on: None,
        comment: None,
    });
    let pdf = letter.render(&context()).unwrap();
    assert_text(
        &pdf,
        &[
            "«\u{a0}Qualité\u{a0}»",
            "Montant de la sanction décidée 121\u{202f}913,58\u{a0}€",
            "avis défavorable.",
            "soit 0,25 % des produits",
        ],
    );
    letter.consequence = VoletConsequence::Neither;
    let pdf = letter.render(&context()).unwrap();
    assert_text(
        &pdf,
        &["ne perçoit pas d'intéressement et ne fait pas l'objet d'une sanction"],
    );
}

#[test]
fn refusal_to_sign_letter_with_hearing_and_liste_en_sus() {
    let basis = SanctionBasis::ListeEnSus(Euros(dec!(2_345_678.90)));
    let sanction = sanction::refusal_sanction(&SanctionParameters::default(), basis).unwrap();
    let letter = RefusalSanctionNotification {
        frame: frame(),
        establishment: establishment(),
        volets: vec![Volet::Obligatoire, Volet::Transports],
        proposal_received_on: date(2017, 11, 20),
        signature_deadline: date(2017, 12, 12),
        hearing: Some(Hearing {
            requested_on: date(2017, 12, 1),
            held_on: date(2017, 12, 12),
        }),
        basis,
        basis_year: Some(2016),
        sanction,
        motivation: None,
        am_opinion: None,
        appeals: appeals(),
    };
    let pdf = letter.render(&context()).unwrap();
    keep("notification-refus", &pdf);
    assert_text(
        &pdf,
        &[
            "refus de signature",
            "Le 20 novembre 2017, votre établissement a reçu la proposition",
            "volet obligatoire relatif au bon usage",
            "portant sur les transports",
            "demandée le 1er décembre 2017",
            "a eu lieu le 12 décembre 2017",
            "le 12 décembre 2017, le contrat n'a pas été signé",
            "2\u{202f}345\u{202f}678,90\u{a0}€",
            "Taux appliqué : 30 % de l'assiette 703\u{202f}703,67\u{a0}€",
            "Montant de la sanction 703\u{202f}703,67\u{a0}€",
        ],
    );
    // The liste en sus alternative only applies when the volet obligatoire is refused.
    let mut wrong = letter.clone();
    wrong.volets = vec![Volet::Transports];
    assert!(wrong.render(&context()).is_err());
}

#[test]
fn a_letter_without_appeal_route_or_with_a_past_deadline_is_refused() {
    let mut letter = socle();
    letter.appeals.routes.clear();
    assert!(letter.render(&context()).is_err());
    let mut letter = socle();
    letter.appeals.deadline = Some(caqes_documents::AppealDeadline {
        received_on: date(2019, 3, 18),
        last_day: date(2019, 3, 18),
    });
    assert!(letter.render(&context()).is_err());
    let mut letter = socle();
    letter.appeals.deadline = None;
    let pdf = letter.render(&context()).unwrap();
    if let Some(text) = pdftotext(&pdf) {
        assert!(!text.contains("ce délai expire"));
        assert!(flat(&text).contains("dans un délai de deux mois à compter de la réception"));
    }
}
