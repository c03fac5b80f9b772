//! The fiche récapitulative and the regional synthesis for the IRAPS.
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

mod common;

use caqes_core::volets::Volet;
use caqes_core::{Euros, Finess};
use caqes_documents::charts::{Curve, FunnelChart, Point};
use caqes_documents::{
    Bound, CalendarStep, CategoryScores, FicheRecapitulative, IrapsSynthesis, MissedIndicator,
    Referent, RegionalTarget, TargetedEstablishment, TransmittedData, VoletTotals, When,
};
use common::*;
use jiff::civil::date;
use rust_decimal_macros::dec;

#[test]
fn fiche_recapitulative_gives_data_calendar_and_regional_targets() {
    let fiche = FicheRecapitulative {
        establishment: establishment(),
        year: 2019,
        date: date(2019, 1, 15),
        referentiel: "Grille d'engagement Occitanie 2018".into(),
        volets: vec![Volet::Obligatoire, Volet::Transports],
        data: vec![
            TransmittedData {
                data: "Liste en sus".into(),
                producer: "ATIH".into(),
                period: "Données M12 de l'année N-1 transmises en avril de l'année N".into(),
            },
            TransmittedData {
                data: "Prescriptions hospitalières exécutées en ville".into(),
                producer: "CNAMTS".into(),
                period: "M12 de N-1 en avril N ; M6 de N en septembre-octobre N".into(),
            },
        ],
        calendar: vec![
            CalendarStep {
                when: When::Day(date(2019, 6, 30)),
                step: "Transmission du rapport d'autoévaluation 2018".into(),
            },
            CalendarStep {
                when: When::Quarter {
                    year: 2019,
                    quarter: 2,
                },
                step: "Évaluation 2018 et échange annuel".into(),
            },
        ],
        targets: vec![
            RegionalTarget {
                code: Some("IV-01".into()),
                label: "Évolution des dépenses de PHMEV (médicaments et LPP)".into(),
                bound: Bound::AtMost,
                percent: dec!(4),
                growth: true,
                unit: "%".into(),
                source: "ARS Occitanie, cible régionale 2019".into(),
            },
            RegionalTarget {
                code: Some("III-01".into()),
                label: "Prescriptions dans le répertoire des génériques".into(),
                bound: Bound::AtLeast,
                percent: dec!(45.5),
                growth: false,
                unit: "%".into(),
                source: "arrêté du 27 avril 2017".into(),
            },
            RegionalTarget {
                code: Some("II-04".into()),
                label: "Consommation d'antibiotiques".into(),
                bound: Bound::AtMost,
                percent: dec!(0.9),
                growth: false,
                unit: "DDJ/1000 JH".into(),
                source: "cible contractualisée".into(),
            },
        ],
        referents: vec![Referent {
            role: "Volet obligatoire (ARS)".into(),
            name: "Claire Martin".into(),
            contact: "ars-oc-caqes@ars.sante.fr".into(),
        }],
    };
    let pdf = fiche.render(&context()).unwrap();
    keep("fiche-recapitulative", &pdf);
    assert_text(
        &pdf,
        &[
            "Fiche récapitulative 2019",
            "Montpellier, le 15 janvier 2019",
            "Centre hospitalier de Béziers, FINESS\u{a0}340780477",
            "Volet obligatoire relatif au bon usage",
            "Volet additionnel relatif à l'amélioration de la qualité et de l'organisation des soins portant sur les transports",
            "Liste en sus ATIH",
            "30 juin 2019 Transmission du rapport d'autoévaluation 2018",
            "2e trimestre 2019",
            // Seed 003: the regional rates of change of spending first, signed; the other
            // targets as levels, in their unit.
            "Objectifs : taux cibles régionaux d'évolution des dépenses",
            "IV-01",
            "≤\u{a0}+4,0\u{202f}%",
            "Autres objectifs de l'année",
            "≥\u{a0}45,5\u{202f}%",
            "≤\u{a0}0,9 DDJ/1000 JH",
            "Claire Martin",
        ],
    );
}

fn synthesis() -> IrapsSynthesis {
    IrapsSynthesis {
        region: "Occitanie".into(),
        year: 2019,
        date: date(2019, 11, 20),
        targeted: vec![
            TargetedEstablishment {
                name: "Clinique du Parc".into(),
                finess: Finess::parse("340780477").unwrap(),
                volet: Volet::Pertinence,
                theme: Some("cholécystectomie".into()),
                reason: "taux au-delà de la limite haute à 99,8 %".into(),
            },
            TargetedEstablishment {
                name: "Centre hospitalier de Béziers".into(),
                finess: Finess::parse("340780477").unwrap(),
                volet: Volet::Transports,
                theme: None,
                reason: "évolution des dépenses de +6,3 % (seuil 2,2 %)".into(),
            },
        ],
        score_bands: vec![
            "< 20".into(),
            "20 à 40".into(),
            "40 à 60".into(),
            "60 à 80".into(),
            "≥ 80".into(),
        ],
        scores: vec![
            CategoryScores {
                category: "MCO public et ESPIC".into(),
                counts: vec![1, 3, 12, 25, 9],
                not_evaluable: 0,
            },
            CategoryScores {
                category: "SSR privé".into(),
                counts: vec![0, 2, 5, 8, 4],
                not_evaluable: 1,
            },
        ],
        most_missed: vec![MissedIndicator {
            code: "I-04".into(),
            label: "Traçabilité de l'administration des médicaments".into(),
            missed: 27,
            concerned: 69,
        }],
        totals: vec![
            VoletTotals {
                volet: Volet::Obligatoire,
                sanctions: 6,
                sanctions_amount: Euros(dec!(1_234_567.89)),
                incentives: 0,
                incentives_amount: Euros::ZERO,
                msap: 0,
            },
            VoletTotals {
                volet: Volet::Transports,
                sanctions: 1,
                sanctions_amount: Euros(dec!(100_000)),
                incentives: 2,
                incentives_amount: Euros(dec!(340_000)),
                msap: 0,
            },
            VoletTotals {
                volet: Volet::Pertinence,
                sanctions: 0,
                sanctions_amount: Euros::ZERO,
                incentives: 0,
                incentives_amount: Euros::ZERO,
                msap: 1,
            },
        ],
        funnels: vec![FunnelChart {
            id: "entonnoir-cholecystectomie".into(),
            title: "Cholécystectomie".into(),
            x_label: "Séjours attendus".into(),
            y_label: "Observé / attendu".into(),
            reference: 1.0,
            curves: vec![Curve {
                label: "Limite haute de ciblage (99,8 %)".into(),
                dashed: false,
                points: (1..=40)
                    .map(|i| {
                        let e = f64::from(i) * 5.0;
                        (e, 1.0 + 3.09 / e.sqrt())
                    })
                    .collect(),
            }],
            points: vec![
                Point {
                    label: "Clinique du Parc".into(),
                    x: 40.0,
                    y: 1.7,
                    flagged: true,
                },
                Point {
                    label: "Centre hospitalier de Béziers".into(),
                    x: 120.0,
                    y: 0.9,
                    flagged: false,
                },
            ],
        }],
    }
}

#[test]
fn iraps_synthesis_lists_targets_and_aggregates_only() {
    let pdf = synthesis().render(&context()).unwrap();
    keep("synthese-iraps", &pdf);
    let text = assert_text(
        &pdf,
        &[
            "Synthèse régionale 2019 pour l'IRAPS",
            "Clinique du Parc",
            "cholécystectomie",
            "taux au-delà de la limite haute à 99,8 %",
            "évolution des dépenses de +6,3 % (seuil 2,2 %)",
            // Category rows and their totals: 50 and 20 establishments.
            "MCO public et ESPIC 1 3 12 25 9 0 50",
            "SSR privé 0 2 5 8 4 1 20",
            "Total 1 5 17 33 13 1 70",
            "I-04",
            "27 69 39,1\u{202f}%",
            "Total 7 1\u{202f}334\u{202f}567,89\u{a0}€ 2 340\u{202f}000,00\u{a0}€ 1",
        ],
    );
    if let Some(text) = text {
        // No individual judgement: the establishments' scores or amounts never appear
        // next to their names.
        assert!(!text.contains("Score de"));
        assert_eq!(pages(&text), 2, "{text}");
    }
    // The charts are drawn as vectors: their labels are text in the PDF, the funnel
    // plot's points are not named.
    if let Some(text) = pdftotext(&pdf) {
        assert!(text.contains("Score du volet obligatoire"));
        // The region dashboard's charts: distribution by category (legend: the
        // categories) and the most missed indicators (missed / concerned).
        let f = flat(&text);
        assert!(
            f.contains(
                "Répartition des scores du volet obligatoire par tranche et par catégorie, 2019"
            ),
            "{text}"
        );
        assert!(
            f.contains("établissements qui ne l'atteignent pas, sur les établissements concernés"),
            "{text}"
        );
        assert!(f.contains("27 / 69"), "{text}");
        assert!(text.contains("Séjours attendus"));
        assert!(text.contains("Observé / attendu"));
        assert!(!flat(&text).contains("Clinique du Parc :"));
    }
    // Same data, same bytes, charts included.
    assert_eq!(pdf, synthesis().render(&context()).unwrap());
}

#[test]
fn iraps_synthesis_refuses_counts_that_do_not_fit_the_bands() {
    let mut s = synthesis();
    s.scores[0].counts.pop();
    assert!(s.render(&context()).is_err());
    let mut s = synthesis();
    s.most_missed[0].missed = 70;
    assert!(s.render(&context()).is_err());
}
