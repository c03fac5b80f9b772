//! Demo data of the targeting: transport spending of a few entities of the demo
//! region for the current campaign year, chosen so that the engine targets some
//! of them (by growth, by amount, by both) and leaves the others, including one
//! exactly at each threshold of the référentiel (2,2 % and 500 000 €), which
//! « dépasse » read strictly does not target. The ARS confirms the list itself.

use caqes_core::Euros;
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::targeting::TransportSpending;
use caqes_store::volets::lifecycle::FinalDecision;
use caqes_store::volets::transport::Transports;
use caqes_store::{Actor, NewEntity, ReceiptId, Store};
use rust_decimal::Decimal;

use crate::{DemoError, DemoResult, refused};

/// (previous year, year) in euros, for the first entities of the region in order.
const SPENDING: [(i64, i64); 7] = [
    // The CHU: amount above 500 000 €, growth below 2,2 %: targeted by amount.
    (1_850_000, 1_860_000),
    // Growth exactly 2,2 % on a small amount: not targeted.
    (100_000, 102_200),
    // Amount exactly 500 000 €, growth about 1 %: not targeted.
    (495_000, 500_000),
    // Growth +8 % on a small amount: targeted by growth.
    (150_000, 162_000),
    // Both thresholds exceeded.
    (620_000, 700_000),
    // Below both.
    (80_000, 80_500),
    // Decrease, small amount.
    (300_000, 290_000),
];

pub async fn seed(store: &Store, entities: &[NewEntity], year: i16) -> DemoResult<()> {
    let rows: Vec<TransportSpending> = entities
        .iter()
        .zip(SPENDING)
        .map(|(e, (previous, amount))| TransportSpending {
            entity: e.entity.finess,
            year,
            previous: Euros(Decimal::from(previous)),
            amount: Euros(Decimal::from(amount)),
        })
        .collect();
    store
        .import_transport_spending(
            &Actor::system("initialisation de la démonstration"),
            &crate::REGION,
            "démonstration",
            &rows,
        )
        .await?;
    seed_quality(store, entities, year).await?;
    seed_pertinence(store, entities, year).await
}

/// Quality indicators (volet qualité) of the first four entities, imported by
/// the demo ARS: the CHU targeted on two risks (ICALIN2 class D, D3.1 8,5 %),
/// one borderline entity exactly at both thresholds (D3.1 10 %, DOC upper bound
/// 10 %: not targeted), one whose D3.1 is not filled in (the ARS must choose),
/// one not subject to ICALIN2 nor D3.1 and non-respondent to DOC (one risk).
/// The ARS confirms the list itself.
async fn seed_quality(store: &Store, entities: &[NewEntity], year: i16) -> DemoResult<()> {
    use caqes_core::Rate;
    use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Class, Icalin2Result};
    use caqes_store::targeting::qualite::QualityIndicators;

    let Some(ars) = store.user_by_email("ars@demo.caqes.fr").await? else {
        return Err(DemoError::Invalid("compte ARS de démonstration".into()));
    };
    let rate = |n: i64, d: i64| {
        Rate::proportion(Decimal::from(n), Decimal::from(d))
            .map(D31Result::Taux)
            .map_err(refused("taux D3.1 de démonstration"))
    };
    let doc = |t: Decimal, low: Decimal, high: Decimal| DocResult::Resultat {
        taux_pct: t,
        ic_borne_basse_pct: low,
        ic_borne_haute_pct: high,
    };
    let data = [
        (
            Icalin2Result::Classe(Icalin2Class::D),
            rate(85, 1000)?,
            doc(
                Decimal::new(72, 0),
                Decimal::new(651, 1),
                Decimal::new(784, 1),
            ),
        ),
        (
            Icalin2Result::Classe(Icalin2Class::B),
            rate(120, 1200)?,
            doc(Decimal::new(9, 0), Decimal::new(45, 1), Decimal::TEN),
        ),
        (
            Icalin2Result::Classe(Icalin2Class::A),
            D31Result::NonRenseigne,
            doc(
                Decimal::new(55, 0),
                Decimal::new(48, 0),
                Decimal::new(62, 0),
            ),
        ),
        (
            Icalin2Result::NonSoumis,
            D31Result::NonSoumis,
            DocResult::NonRepondant,
        ),
    ];
    let rows: Vec<QualityIndicators> = entities
        .iter()
        .zip(data)
        .map(|(e, (icalin2, d31, doc))| QualityIndicators {
            entity: e.entity.finess,
            year,
            icalin2,
            d31,
            doc,
        })
        .collect();
    store
        .import_quality_indicators(&ars, &crate::REGION, "démonstration", &rows)
        .await?;
    Ok(())
}

/// Pertinence data (volet pertinence) of the first three entities, imported by
/// the demo AM: the CHU clearly atypical on ambulatory surgery (15 % of 2 000 stays
/// against a reference of 1 / 4: a low rate, the side the grid targets for this theme), one entity one count inside the upper targeting
/// limit of a Poisson count expected at 10 (21: not atypical), one exactly at that
/// limit (22: atypical). The ARS confirms the list itself.
async fn seed_pertinence(store: &Store, entities: &[NewEntity], year: i16) -> DemoResult<()> {
    use caqes_core::Rate;
    use caqes_store::targeting::pertinence::{Measure, PertinenceData};

    let Some(am) = store
        .user_by_email("assurance-maladie@demo.caqes.fr")
        .await?
    else {
        return Err(DemoError::Invalid(
            "compte assurance maladie de démonstration".into(),
        ));
    };
    let reference = Rate::proportion(Decimal::ONE, Decimal::from(4))
        .map_err(refused("taux de référence de pertinence"))?;
    let measures = [
        (
            "Chirurgie ambulatoire",
            Measure::Proportion {
                observed: 300,
                population: 2000,
                reference,
            },
        ),
        (
            "Cholécystectomie",
            Measure::Ratio {
                observed: 21,
                expected: Decimal::TEN,
            },
        ),
        (
            "Cholécystectomie",
            Measure::Ratio {
                observed: 22,
                expected: Decimal::TEN,
            },
        ),
    ];
    let rows: Vec<PertinenceData> = entities
        .iter()
        .zip(measures)
        .map(|(e, (theme, measure))| PertinenceData {
            entity: e.entity.finess,
            year,
            theme: theme.to_owned(),
            measure,
        })
        .collect();
    store
        .import_pertinence_data(&am, &crate::REGION, "démonstration", &rows)
        .await?;
    Ok(())
}

/// A decided transport volet on the previous campaign: the CHU (first entity),
/// targeted on its amount, is confirmed by the ARS, evaluated (target met,
/// optional objective met, savings 140 000 €, action plan at 50 %: incentive of
/// 30 % × 140 000 × 50 % = 21 000 €), given a favourable AM opinion, decided at
/// the proposal and notified. The current campaign's targeting stays for the
/// ARS to confirm (the demo of the targeting screen needs it unconfirmed).
pub async fn seed_decided_volet(
    store: &Store,
    entities: &[NewEntity],
    ars: &caqes_store::User,
    previous: &caqes_store::Campaign,
) -> DemoResult<()> {
    use caqes_core::volets::Progress;
    use caqes_core::volets::transport::{OptionalObjective, TransportEvaluationInput};

    let Some(chu) = entities.first() else {
        return Ok(());
    };
    let (previous_amount, amount) = SPENDING[0];
    let finess = chu.entity.finess;
    store
        .import_transport_spending(
            &Actor::system("initialisation de la démonstration"),
            &crate::REGION,
            "démonstration",
            &[TransportSpending {
                entity: finess,
                year: previous.year,
                previous: Euros(Decimal::from(previous_amount)),
                amount: Euros(Decimal::from(amount)),
            }],
        )
        .await?;
    store
        .confirm_transport_targeting(ars, previous, &std::collections::BTreeMap::new())
        .await?;
    let input = TransportEvaluationInput {
        cible_atteinte: true,
        objectif_supplementaire: OptionalObjective::Atteint,
        depenses_previsionnelles_sans_mesures: Euros(Decimal::from(2_000_000)),
        depenses_observees: Euros(Decimal::from(amount)),
        produits_am: Euros(Decimal::from(95_000_000)),
        progression_plan_actions: Progress::from_percent(Decimal::from(50))
            .map_err(refused("avancement du plan d'actions"))?,
    };
    let evaluated = store
        .record_transport_evaluation(ars, previous, &finess, &input)
        .await?;
    let am = store
        .user_by_email("assurance-maladie@demo.caqes.fr")
        .await?
        .ok_or_else(|| DemoError::Invalid("compte AM de démonstration".into()))?;
    store
        .record_volet_opinion::<Transports>(
            &am,
            previous,
            &finess,
            caqes_store::Opinion::Favorable,
            Some("Économies constatées sur les transports prescrits."),
        )
        .await?;
    let proposed = evaluated.proposal.map_or(Euros::ZERO, |p| p.amount());
    store
        .record_volet_decision::<Transports>(
            ars,
            previous,
            &finess,
            FinalDecision::Amount(proposed),
            None,
        )
        .await?;
    let notified_on = jiff::civil::date(previous.year.saturating_add(1), 9, 15);
    let notified = store
        .notify_volet_decision::<Transports>(ars, previous, &finess, notified_on)
        .await?;
    // A decision of 2019 went out on paper: its receipt is the ARS's record.
    store
        .record_paper_receipt(
            ars,
            ReceiptKind::DecisionVolet,
            &ReceiptId::from(&notified.id),
            notified_on,
        )
        .await?;
    Ok(())
}
