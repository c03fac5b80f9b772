//! The establishment's documents: the submission receipt and the self-evaluation report.

mod common;

use caqes_documents::{
    ActionPlanItem, SelfEvaluationPart, SelfEvaluationReport, SelfEvaluationValue,
    SubmissionReceipt, SubmittedDocument, SubmittedValue,
};
use common::*;
use jiff::civil::date;
use rust_decimal_macros::dec;

fn values() -> Vec<SubmittedValue> {
    vec![
        SubmittedValue {
            code: "I-02".into(),
            label: "Taux d'équipement en logiciels d'aide à la prescription certifiés (lits)"
                .into(),
            value: "85 / 100".into(),
        },
        SubmittedValue {
            code: "II-01".into(),
            label: "Mise en œuvre d'une AAPP sur la prise en charge médicamenteuse".into(),
            value: "OUI".into(),
        },
        SubmittedValue {
            code: "III-02".into(),
            label: "Taux de prescription de biosimilaires chez les patients naïfs".into(),
            value: "NC : pas d'activité".into(),
        },
    ]
}

#[test]
fn submission_receipt_names_what_when_and_who() {
    let receipt = SubmissionReceipt {
        establishment: establishment(),
        year: 2019,
        referentiel: "Grille d'engagement Occitanie 2018".into(),
        number: "T-2019-0042".into(),
        submitted_at: date(2019, 6, 30).at(9, 5, 0, 0),
        submitted_by: "Jeanne Dupont".into(),
        submitted_by_role: Some("établissement".into()),
        values: values(),
        action_plan_actions: 4,
        documents: vec![SubmittedDocument {
            name: "procedure-never-events.pdf".into(),
            bytes: 245_760,
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        }],
        comment: Some("Valeurs validées en CME le 25 juin".into()),
    };
    let pdf = receipt.render(&context()).unwrap();
    keep("accuse-reception", &pdf);
    assert_text(
        &pdf,
        &[
            "Accusé de réception de la transmission",
            "Montpellier, le 30 juin 2019",
            "le 30 juin 2019 à 9\u{a0}h\u{a0}05 par Jeanne Dupont (établissement)",
            "Centre hospitalier de Béziers, FINESS\u{a0}340780477",
            "T-2019-0042",
            "3 valeur(s), 4 action(s) du plan d'actions, 1 pièce(s) jointe(s)",
            "I-02",
            "85 / 100",
            "NC : pas d'activité",
            "procedure-never-events.pdf 240,0\u{a0}ko",
            "9f86d081884c7d659a2feaa0c55ad015",
            "Valeurs validées en CME le 25 juin",
        ],
    );
}

#[test]
fn self_evaluation_report_lists_values_action_plan_and_comments() {
    let report = SelfEvaluationReport {
        establishment: establishment(),
        year: 2019,
        referentiel: "Grille d'engagement Occitanie 2018".into(),
        date: date(2019, 6, 30),
        author: Some("Jeanne Dupont, pharmacienne gérante".into()),
        parts: vec![
            SelfEvaluationPart {
                title:
                    "Partie 1 – Amélioration et sécurisation de la prise en charge thérapeutique"
                        .into(),
                values: vec![SelfEvaluationValue {
                    code: "I-02".into(),
                    label: "Taux d'équipement en LAP certifiés (lits)".into(),
                    value: "85,00\u{202f}%".into(),
                    target: Some("80,00\u{202f}%".into()),
                    comment: Some("déploiement achevé en pneumologie".into()),
                }],
            },
            SelfEvaluationPart {
                title: "Partie 3 – Génériques et biosimilaires".into(),
                values: vec![SelfEvaluationValue {
                    code: "III-02".into(),
                    label: "Biosimilaires chez les patients naïfs".into(),
                    value: "NC".into(),
                    target: None,
                    comment: None,
                }],
            },
        ],
        action_plan: vec![ActionPlanItem {
            action: "Informatiser la traçabilité de l'administration en SSR".into(),
            indicators: Some("I-04".into()),
            owner: Some("Direction des soins".into()),
            due: Some(date(2019, 12, 31)),
            status: "en cours".into(),
            progress: Some(dec!(60)),
        }],
        comments: vec![
            "La conciliation médicamenteuse est étendue à la chirurgie orthopédique.".into(),
        ],
    };
    let pdf = report.render(&context()).unwrap();
    keep("rapport-autoevaluation", &pdf);
    let text = assert_text(
        &pdf,
        &[
            "Rapport d'autoévaluation 2019",
            "Le 30 juin 2019",
            "Jeanne Dupont, pharmacienne gérante",
            "Partie 1 – Amélioration et sécurisation",
            "I-02",
            "85,00\u{202f}% 80,00\u{202f}%",
            "Partie 3 – Génériques et biosimilaires",
            "Informatiser la traçabilité",
            "31/12/2019",
            "en cours 60\u{202f}%",
            "chirurgie orthopédique",
        ],
    );
    // The establishment's report carries neither the État's brand block nor the
    // agency's footer.
    if let Some(text) = text {
        assert!(!text.contains("RÉPUBLIQUE"));
        assert!(!text.contains("parc Club du Millénaire"));
        assert!(flat(&text).contains("Centre hospitalier de Béziers – FINESS 340780477"));
    }
}
