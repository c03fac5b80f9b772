//! The evaluation report and the joint yearly report.
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

mod common;

use caqes_core::Euros;
use caqes_core::evaluation::dashboard::PartScore;
use caqes_core::evaluation_grid::{Achievement, EvaluationGrid, GridRow, Obligation};
use caqes_core::sanction::{Basis, Decision, Nature, Proposal};
use caqes_core::volets::Volet;
use caqes_documents::line_chart::{LineChart, LineSeries};
use caqes_documents::{
    ActionPlanItem, EvaluationReport, IndicatorExplanation, IndicatorOutcome, JointYearlyReport,
    ObjectiveResult, PartExplanation, ReportDecision, SocleScore, VoletReport,
};
use common::*;
use jiff::civil::date;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Socle: sanction 243 827,16 € proposed, 200 000 € decided; transports: incentive
/// 240 000 €; pertinence: MSAP; qualité not contracted. Total −200 000 + 240 000.
fn grid() -> EvaluationGrid {
    let mut grid = EvaluationGrid::new(establishment().finess, 2018);
    let proposal = Proposal::new(
        Nature::Sanction,
        Basis::ProduitsAm,
        Euros(dec!(487_654.321)),
        Euros(dec!(243_827.1605)),
    )
    .unwrap();
    let d = Decision::modulated(
        Volet::Obligatoire,
        proposal,
        Euros(dec!(200_000)),
        Some("plan d'actions engagé"),
    )
    .unwrap();
    grid.add(
        GridRow::with_decision(
            Volet::Obligatoire,
            vec![Obligation::new(
                "Score de la grille régionale",
                Achievement::Niveau("56,52/100".into()),
            )],
            vec![],
            d,
        )
        .unwrap(),
    )
    .unwrap();
    let p = Proposal::new(
        Nature::Interessement,
        Basis::Economies,
        Euros(dec!(300_000)),
        Euros(dec!(240_000)),
    )
    .unwrap();
    grid.add(
        GridRow::with_decision(
            Volet::Transports,
            vec![Obligation::new("Évolution ≤ +2,2 %", Achievement::Atteint)],
            vec![],
            Decision::as_proposed(Volet::Transports, p).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    grid.add(GridRow::without_amount(
        Volet::Pertinence,
        vec![Obligation::new(
            "Ambulatoire ≥ 60 %",
            Achievement::NonAtteint,
        )],
        vec![Obligation::new("Chemin clinique", Achievement::Atteint)],
        Some("MSAP de 4 mois".into()),
    ))
    .unwrap();
    grid
}

fn indicator(
    code: &str,
    outcome: IndicatorOutcome,
    max: Decimal,
    stake: Decimal,
    earned: Decimal,
) -> IndicatorExplanation {
    IndicatorExplanation {
        code: code.into(),
        label: format!("Indicateur {code}"),
        value: Some("85,00\u{202f}%".into()),
        parts: Some((dec!(85), dec!(100))),
        source: Some("saisie de l'établissement".into()),
        target: Some("≥\u{a0}80,00\u{202f}%".into()),
        target_source: "contrat".into(),
        rule: "atteint si valeur ≥ cible".into(),
        outcome,
        points_max: max,
        points_at_stake: stake,
        points_earned: earned,
        classes: Vec::new(),
    }
}

fn report() -> EvaluationReport {
    // 8 points NC/NM out of 100: each maximum × 100/92 (3 → 3,26 ; 2 → 2,17).
    let parts = vec![
        PartExplanation {
            title: "Partie 1 – Amélioration et sécurisation de la prise en charge".into(),
            short: "Partie 1".into(),
            indicators: vec![
                indicator(
                    "I-02",
                    IndicatorOutcome::Met,
                    dec!(3),
                    dec!(3.26),
                    dec!(3.26),
                ),
                indicator(
                    "I-05",
                    IndicatorOutcome::NotConcerned {
                        motive: "sans DMI".into(),
                    },
                    dec!(3),
                    dec!(0),
                    dec!(0),
                ),
                indicator(
                    "I-06",
                    IndicatorOutcome::InProgress,
                    dec!(2),
                    dec!(2.17),
                    dec!(1.09),
                ),
            ],
        },
        PartExplanation {
            title: "Partie 2 – Pratiques pluridisciplinaires".into(),
            short: "Partie 2".into(),
            indicators: vec![
                indicator(
                    "II-01",
                    IndicatorOutcome::NotMet,
                    dec!(3),
                    dec!(3.26),
                    dec!(0),
                ),
                indicator(
                    "III-02",
                    IndicatorOutcome::MissingTarget,
                    dec!(2),
                    dec!(2.17),
                    dec!(0),
                ),
            ],
        },
    ];
    EvaluationReport {
        establishment: establishment(),
        year: 2018,
        referentiel: "Grille d'engagement Occitanie 2018".into(),
        date: date(2019, 3, 15),
        grid: grid(),
        score: Some(SocleScore {
            score: dec!(56.52),
            bonus: dec!(1),
        }),
        redistribution: Some(
            "les 8 points des indicateurs non concernés ou non mesurables sont répartis proportionnellement (× 100/92)".into(),
        ),
        parts,
        part_scores: vec![
            PartScore {
                number: "1".into(),
                title: "Amélioration et sécurisation de la prise en charge".into(),
                points: dec!(4.35),
                max_points: dec!(5.43),
                bonus_points: dec!(0),
                bonus_max: dec!(0),
            },
            PartScore {
                number: "2".into(),
                title: "Pratiques pluridisciplinaires".into(),
                points: dec!(0),
                max_points: dec!(5.43),
                bonus_points: dec!(0),
                bonus_max: dec!(0),
            },
        ],
        history: vec![LineChart {
            id: "evolution-i-02".into(),
            title: "I-02 : valeur et cible par année".into(),
            y_label: "%".into(),
            x: vec!["2017".into(), "2018".into()],
            series: vec![
                LineSeries {
                    label: "Valeur".into(),
                    values: vec![Some(72.5), Some(85.0)],
                    dashed: false,
                },
                LineSeries {
                    label: "Cible".into(),
                    values: vec![None, Some(80.0)],
                    dashed: true,
                },
            ],
            digits: 2,
            small: true,
        }],
        action_plan: vec![ActionPlanItem {
            action: "Conciliation médicamenteuse à l'entrée en chirurgie".into(),
            indicators: Some("II-03".into()),
            owner: Some("PUI".into()),
            due: Some(date(2018, 12, 31)),
            status: "réalisée".into(),
            progress: Some(dec!(100)),
        }],
        decision: Some(ReportDecision {
            summary: "Sanction de 200\u{202f}000,00\u{a0}€ notifiée le 15 mars 2019.".into(),
            motivation: Some("plan d'actions engagé".into()),
        }),
        remarks: vec!["IV-01 est calculé sur les médicaments seuls (Open PHMEV).".into()],
    }
}

#[test]
fn evaluation_report_shows_the_grid_and_each_indicators_points() {
    let pdf = report().render(&context()).unwrap();
    keep("rapport-evaluation", &pdf);
    assert_text(
        &pdf,
        &[
            "Rapport d'évaluation 2018",
            "Centre hospitalier de Béziers, FINESS\u{a0}340780477",
            "56,52 sur 100, et 1 point(s) de bonus",
            // The instruction's grid, from caqes_core::evaluation_grid.
            "Volet du contrat",
            "-200\u{202f}000,00\u{a0}€",
            "+240\u{202f}000,00\u{a0}€",
            "MSAP de 4 mois",
            "non contractualisé",
            "TOTAL",
            "+40\u{202f}000,00\u{a0}€",
            "Somme notifiée : +40\u{202f}000,00\u{a0}€ (intéressements 240\u{202f}000,00\u{a0}€, sanctions 200\u{202f}000,00\u{a0}€)",
            "× 100/92",
            "I-02",
            "(85 / 100)",
            "(contrat)",
            "Règle : atteint si valeur ≥ cible",
            "NC : sans DMI",
            "(max. 3)",
            "en cours",
            // The cell wraps; pdftotext -layout may set other cells between its lines.
            "(moitié",
            "des points)",
            "cible",
            "manquante",
            "Total Partie 1 5,43 4,35",
            "Total Partie 2 5,43 0,00",
            "Score : 56,52 sur 100 (4,35 points obtenus)",
            "médicaments seuls",
            "Conciliation médicamenteuse",
            "Sanction de 200\u{202f}000,00\u{a0}€ notifiée le 15 mars 2019",
            // The établissement dashboard's charts, as vectors: their text is the PDF's.
            "Points obtenus par partie en 2018, sur le maximum de chaque partie",
            "4,35 / 5,43",
            "Évolution des indicateurs",
            "I-02 : valeur et cible par année",
            "Valeur",
            "2018 : valeur / cible",
            "I-02 (%) 72,5 / – 85 / 80",
        ],
    );
    // The charts are vectors, not images.
    assert!(!contains(&pdf, b"/Image"), "no raster image in the report");
}

#[test]
fn evaluation_report_with_its_charts_is_reproducible_under_source_date_epoch() {
    // Two runs at different clock times, the same SOURCE_DATE_EPOCH: the same bytes.
    let at = |now: i64| {
        let mut ctx = context();
        ctx.generated_at = caqes_documents::Context::generation_time(
            Some("1552608000"),
            jiff::Timestamp::from_second(now).unwrap(),
        )
        .unwrap();
        report().render(&ctx).unwrap()
    };
    let (a, b) = (at(1_700_000_000), at(1_800_000_000));
    assert_eq!(a, b);
    // Other data, other bytes: the chart follows the figures.
    let mut other = report();
    other.history[0].series[0].values[0] = Some(70.0);
    assert_ne!(other.render(&context()).unwrap(), a);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn evaluation_report_of_an_establishment_without_score_or_for_another_grid() {
    let mut r = report();
    r.score = None;
    r.parts.clear();
    let pdf = r.render(&context()).unwrap();
    assert_text(&pdf, &["non évaluable", "aucune sanction n'est proposée"]);
    let mut r = report();
    r.year = 2019;
    assert!(r.render(&context()).is_err(), "the grid is of 2018");
}

#[test]
fn joint_yearly_report_covers_every_volet() {
    let report = JointYearlyReport {
        establishment: establishment(),
        year: 2018,
        referentiel: "Grille d'engagement Occitanie 2018".into(),
        date: date(2019, 4, 2),
        grid: grid(),
        score: Some(SocleScore {
            score: dec!(56.52),
            bonus: dec!(0),
        }),
        volets: vec![
            VoletReport {
                volet: Volet::Obligatoire,
                objectives: vec![],
                action_plan_progress: Some(dec!(75)),
                consequence: "sanction de 200\u{202f}000,00\u{a0}€".into(),
                motivation: Some("plan d'actions engagé".into()),
            },
            VoletReport {
                volet: Volet::Transports,
                objectives: vec![ObjectiveResult {
                    main: true,
                    label: "Évolution des dépenses de transports".into(),
                    target: Some("≤ +2,2 %".into()),
                    result: "+1,8 %".into(),
                    met: Some(true),
                }],
                action_plan_progress: Some(dec!(80)),
                consequence: "intéressement de 240\u{202f}000,00\u{a0}€".into(),
                motivation: None,
            },
            VoletReport {
                volet: Volet::Pertinence,
                objectives: vec![],
                action_plan_progress: None,
                consequence: "mise sous accord préalable de 4 mois".into(),
                motivation: Some("chemin clinique mis en place".into()),
            },
        ],
        next_year: vec!["Cible de traçabilité de l'administration portée à 90 %".into()],
        am_body: "Caisse primaire d'assurance maladie de l'Hérault".into(),
    };
    let pdf = report.render(&context()).unwrap();
    keep("rapport-annuel-conjoint", &pdf);
    assert_text(
        &pdf,
        &[
            "Rapport annuel d'évaluation 2018",
            "Évaluation conjointe de l'agence régionale de santé Occitanie et de la caisse primaire d'assurance maladie de l'Hérault",
            "Somme notifiée : +40\u{202f}000,00\u{a0}€",
            "Volet obligatoire relatif au bon usage",
            "56,52 sur 100",
            "Plan d'actions réalisé à 75 %",
            "Conséquence : sanction de 200\u{202f}000,00\u{a0}€",
            "portant sur les transports",
            "de résultat Évolution des dépenses de transports ≤ +2,2 % +1,8 % oui",
            "mise sous accord préalable de 4 mois",
            "Perspectives pour 2019",
            "Pour la caisse primaire d'assurance maladie de l'Hérault",
        ],
    );
}
