//! Demo data: a decided qualité volet and a decided pertinence volet on the
//! previous campaign, for the CHU (first entity of the region), so that every
//! additional volet shows a notified decision (the transport one is in
//! `demo_targeting`). The current campaign's targeting stays for the ARS to
//! confirm.
//!
//! - Qualité: ICALIN2 class D and D3.1 at 8,5 % target two risks; two
//!   complementary objectives of weight 1, one met, one not: half met. With AM
//!   revenue of 95 000 000 €: 1 % = 950 000 € × r(2 risks) 75 % × (1 − 50 %)
//!   = 356 250 €, decided at the proposal, notified.
//! - Pertinence: ambulatory surgery at 15 % of 2 000 stays against a reference
//!   of 1/4 is atypical (a low rate: the side the grid targets for this theme); the main objective is not met and the contract chose a
//!   mise sous accord préalable of 6 months; the DG ARS pronounces 4 months
//!   (motivated), notified on 15 September: it runs to 14 January.

use std::collections::BTreeMap;

use caqes_core::volets::Objective;
use caqes_core::volets::pertinence::{PertinenceEvaluationInput, PertinenceSanctionKind};
use caqes_core::{Euros, Rate};
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::targeting::pertinence::{Measure, PertinenceData};
use caqes_store::targeting::qualite::QualityIndicators;
use caqes_store::volets::lifecycle::FinalDecision;
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::volets::qualite::Qualite;
use caqes_store::{Campaign, NewEntity, Opinion, ReceiptId, Store, User};
use rust_decimal::Decimal;

use crate::{DemoError, DemoResult, refused};

pub async fn seed_decided(
    store: &Store,
    entities: &[NewEntity],
    ars: &User,
    previous: &Campaign,
) -> DemoResult<()> {
    use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Class, Icalin2Result};

    let Some(chu) = entities.first() else {
        return Ok(());
    };
    let finess = chu.entity.finess;
    let am = store
        .user_by_email("assurance-maladie@demo.caqes.fr")
        .await?
        .ok_or_else(|| DemoError::Invalid("compte AM de démonstration".into()))?;
    let revenue = Euros(Decimal::from(95_000_000));
    let notified_on = jiff::civil::date(previous.year.saturating_add(1), 9, 15);

    // Qualité.
    store
        .import_quality_indicators(
            ars,
            &crate::REGION,
            "démonstration",
            &[QualityIndicators {
                entity: finess,
                year: previous.year,
                icalin2: Icalin2Result::Classe(Icalin2Class::D),
                d31: D31Result::Taux(
                    Rate::proportion(Decimal::from(85), Decimal::from(1000))
                        .map_err(refused("taux D3.1 de démonstration"))?,
                ),
                doc: DocResult::Resultat {
                    taux_pct: Decimal::from(72),
                    ic_borne_basse_pct: Decimal::new(651, 1),
                    ic_borne_haute_pct: Decimal::new(784, 1),
                },
            }],
        )
        .await?;
    store
        .confirm_quality_targeting(ars, previous, &BTreeMap::new(), &BTreeMap::new())
        .await?;
    let objectives = [
        Objective::met(
            "Bon usage des antibiotiques : audit des prescriptions",
            true,
        ),
        Objective::met("Conciliation médicamenteuse à l'admission", false),
    ];
    let evaluated = store
        .record_quality_evaluation(ars, previous, &finess, &objectives, revenue)
        .await?;
    let proposed = evaluated.proposal.map_or(Euros::ZERO, |p| p.amount());
    store
        .record_volet_opinion::<Qualite>(
            &am,
            previous,
            &finess,
            Opinion::Favorable,
            Some("Résultats constatés sur les indicateurs CAPES."),
        )
        .await?;
    store
        .record_volet_decision::<Qualite>(
            ars,
            previous,
            &finess,
            FinalDecision::Amount(proposed),
            None,
        )
        .await?;
    let notified = store
        .notify_volet_decision::<Qualite>(ars, previous, &finess, notified_on)
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

    // Pertinence.
    store
        .import_pertinence_data(
            &am,
            &crate::REGION,
            "démonstration",
            &[PertinenceData {
                entity: finess,
                year: previous.year,
                theme: "Chirurgie ambulatoire".into(),
                measure: Measure::Proportion {
                    observed: 300,
                    population: 2000,
                    reference: Rate::proportion(Decimal::ONE, Decimal::from(4))
                        .map_err(refused("taux de référence de pertinence"))?,
                },
            }],
        )
        .await?;
    store
        .confirm_pertinence_targeting(ars, previous, &BTreeMap::new())
        .await?;
    let input = PertinenceEvaluationInput {
        objectif_principal_atteint: false,
        objectifs_complementaires: vec![Objective::met(
            "Information des chirurgiens sur les gestes ambulatoires",
            true,
        )],
        nature_sanction: PertinenceSanctionKind::Msap { duree_mois: 6 },
        plafond_interessement: Euros(Decimal::from(150_000)),
        produits_am: revenue,
    };
    store
        .record_pertinence_evaluation(ars, previous, &finess, &input)
        .await?;
    store
        .record_volet_opinion::<Pertinence>(
            &am,
            previous,
            &finess,
            Opinion::Favorable,
            Some("Taux de chirurgie ambulatoire très inférieur à la référence régionale."),
        )
        .await?;
    store
        .record_volet_decision::<Pertinence>(
            ars,
            previous,
            &finess,
            FinalDecision::MsapMonths(4),
            Some("Plan d'actions engagé : durée ramenée à 4 mois."),
        )
        .await?;
    let notified = store
        .notify_volet_decision::<Pertinence>(ars, previous, &finess, notified_on)
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
