//! Evaluation and decision of the pertinence volet (annex 5 of the instruction):
//! only for an entity of the confirmed targeting; an incentive and a retention
//! modulated by the complementary objectives (amounts checked by hand below); a
//! mise sous accord préalable decided in months, at most the contract's, and
//! running from its notification; the shared life cycle (AM opinion, decision,
//! notification freezing the version, correction as version 2) with every write
//! audited; on SQLite always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is
//! set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::sanction::{Basis, Nature};
use caqes_core::volets::pertinence::{PertinenceEvaluationInput, PertinenceSanctionKind};
use caqes_core::volets::{Objective, Progress};
use caqes_core::{Euros, Finess};
use caqes_store::targeting::pertinence::{Measure, PertinenceData};
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::volets::lifecycle::{FinalDecision, VoletOutcome};
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::{Opinion, Store, StoreError};
use jiff::civil::date;
use rust_decimal::Decimal;

mod common;
use common::conflict;
use common::volet::{Life, amount, deciders, euros, refused};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn ratio(entity: Finess, observed: u64) -> PertinenceData {
    PertinenceData {
        entity,
        year: 2018,
        theme: "Cholécystectomie".into(),
        measure: Measure::Ratio {
            observed,
            expected: d("10"),
        },
    }
}

/// Main objective `met`; complementary objectives: one met (weight 1), one at
/// 50 % (weight 1): weighted share 0.75.
fn input(met: bool, sanction: PertinenceSanctionKind) -> PertinenceEvaluationInput {
    PertinenceEvaluationInput {
        objectif_principal_atteint: met,
        objectifs_complementaires: vec![
            Objective::met("Taux de chirurgie ambulatoire", true),
            Objective {
                libelle: "Formation des prescripteurs".into(),
                poids: Decimal::ONE,
                realisation: Progress::from_fraction(d("0.5")).unwrap(),
            },
        ],
        nature_sanction: sanction,
        plafond_interessement: euros("100000"),
        produits_am: euros("20000000"),
    }
}

async fn story(store: &Store) {
    let fx = Fixture::builder()
        .entity("A atypique")
        .entity("B dans la norme")
        .other_region()
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let [targeted, inside] = fx.finess().unwrap();
    let (ars, am, ars_other, campaign) = deciders(&fx);

    // Targeting: 22 observed for 10 expected is atypical, 15 is not.
    store
        .import_pertinence_data(
            &ars,
            &REGION,
            "pertinence.csv",
            &[ratio(targeted, 22), ratio(inside, 15)],
        )
        .await
        .unwrap();
    store
        .confirm_pertinence_targeting(&ars, &campaign, &BTreeMap::new())
        .await
        .unwrap();
    assert!(
        store
            .is_volet_targeted::<Pertinence>(&campaign.id, &targeted)
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_volet_targeted::<Pertinence>(&campaign.id, &inside)
            .await
            .unwrap()
    );

    // Only the ARS of the region evaluates, only a targeted entity.
    let retenue = PertinenceSanctionKind::Retenue;
    conflict(
        store
            .record_pertinence_evaluation(&ars, &campaign, &inside, &input(true, retenue))
            .await,
        "n'est pas ciblé",
    );
    assert!(matches!(
        refused(
            store
                .record_pertinence_evaluation(&am, &campaign, &targeted, &input(true, retenue))
                .await
        ),
        StoreError::Workflow(_)
    ));
    assert!(matches!(
        refused(
            store
                .record_pertinence_evaluation(
                    &ars_other,
                    &campaign,
                    &targeted,
                    &input(true, retenue)
                )
                .await
        ),
        StoreError::NotFound(_)
    ));

    // Main objective met: incentive on the contract's ceiling, modulated with
    // m = 50 %: 100 000 × (0.5 + 0.5 × 0.75) = 87 500 €.
    let v = store
        .record_pertinence_evaluation(&ars, &campaign, &targeted, &input(true, retenue))
        .await
        .unwrap();
    assert_eq!(v.version, 1);
    assert_eq!(v.outcome, VoletOutcome::Interessement);
    let p = v.proposal.unwrap();
    assert_eq!(p.nature(), Nature::Interessement);
    assert_eq!(p.basis(), Basis::PlafondContractuel);
    assert_eq!(p.ceiling(), euros("100000"));
    assert_eq!(p.amount(), euros("87500"));
    assert_eq!(v.evaluation.modulation, d("0.875"));

    // Replaced before the AM opinion: not met, retention: ceiling 1 % of
    // 20 000 000 = 200 000 €, favourable share 1 − 0.75 = 0.25, so
    // 200 000 × (0.5 + 0.5 × 0.25) = 125 000 €.
    let v = store
        .record_pertinence_evaluation(&ars, &campaign, &targeted, &input(false, retenue))
        .await
        .unwrap();
    assert_eq!(v.version, 1);
    assert_eq!(v.outcome, VoletOutcome::Sanction);
    let p = v.proposal.unwrap();
    assert_eq!(
        (p.nature(), p.basis()),
        (Nature::Sanction, Basis::ProduitsAm)
    );
    assert_eq!(
        (p.ceiling(), p.amount()),
        (euros("200000"), euros("125000"))
    );

    // The contract chose an MSAP: at most 6 months (the référentiel's maximum).
    conflict(
        store
            .record_pertinence_evaluation(
                &ars,
                &campaign,
                &targeted,
                &input(false, PertinenceSanctionKind::Msap { duree_mois: 7 }),
            )
            .await,
        "entre 1 et 6 mois",
    );
    let msap = PertinenceSanctionKind::Msap { duree_mois: 6 };
    let v = store
        .record_pertinence_evaluation(&ars, &campaign, &targeted, &input(false, msap))
        .await
        .unwrap();
    assert_eq!(v.outcome, VoletOutcome::MiseSousAccordPrealable);
    assert_eq!(v.proposal, None);
    assert_eq!(v.evaluation.input, input(false, msap));

    // The life cycle: the AM opinion first.
    let life = Life::<Pertinence>::of(store, &campaign, targeted);
    conflict(
        life.decide(&ars, FinalDecision::MsapMonths(6), None).await,
        "avis",
    );
    life.opinion(&am, Opinion::Favorable, Some("Dépassement confirmé"))
        .await
        .unwrap();
    // Figures judged by the AM no longer change.
    conflict(
        store
            .record_pertinence_evaluation(&ars, &campaign, &targeted, &input(true, msap))
            .await,
        "",
    );
    // An MSAP is decided in months, at most the contract's, motivated when shorter.
    for (decision, motivation, expected) in [
        (amount("0"), None, "décidez de sa durée"),
        (FinalDecision::MsapMonths(7), Some("plus"), "dépasse"),
        (FinalDecision::MsapMonths(4), None, "motivation"),
    ] {
        conflict(life.decide(&ars, decision, motivation).await, expected);
    }
    let decided = life
        .decide(
            &ars,
            FinalDecision::MsapMonths(4),
            Some("Plan d'actions engagé sur la thématique"),
        )
        .await
        .unwrap();
    assert_eq!(decided.final_msap_months, Some(4));
    assert_eq!(decided.final_amount, Some(Euros::ZERO));
    assert_eq!(decided.msap_period(), None);

    // Notified on 15 March 2019: the MSAP runs to 14 July 2019 included.
    let notified = life.notify(&ars, date(2019, 3, 15)).await.unwrap();
    let period = notified.msap_period().unwrap();
    assert_eq!(
        (period.start, period.end),
        (date(2019, 3, 15), date(2019, 7, 14))
    );
    // Frozen: by the store and by the trigger.
    conflict(
        life.decide(&ars, FinalDecision::MsapMonths(6), None).await,
        "",
    );
    assert!(
        sqlx::query("UPDATE volet_decisions SET final_msap_months = 6 WHERE id = $1")
            .bind(notified.id.clone())
            .execute(store.pool())
            .await
            .is_err()
    );

    // A correction: version 2 with the same evaluation and opinion, waived.
    conflict(
        life.correct(
            &ars,
            FinalDecision::MsapMonths(0),
            Some("Recours gracieux"),
            "  ",
        )
        .await,
        "",
    );
    let v2 = life
        .correct(
            &ars,
            FinalDecision::MsapMonths(0),
            Some("Recours gracieux : mesures déjà prises"),
            "Recours gracieux",
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.evaluation, notified.evaluation);
    assert_eq!(v2.opinion, Some(Opinion::Favorable));
    assert_eq!(v2.final_msap_months, Some(0));
    assert_eq!(v2.notified_on, None);
    let v2 = life.notify(&ars, date(2019, 5, 2)).await.unwrap();
    assert_eq!(v2.msap_period(), None, "not pronounced: no period");
    let all = life.versions().await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], notified);

    // The sum notified: the latest notified pertinence version (the MSAP not
    // pronounced), no amount, and nothing for the volets without a decision.
    let sum = store.notified_sum(&campaign.id, &targeted).await.unwrap();
    assert_eq!(sum.lines.len(), 1);
    assert_eq!(sum.lines[0].version, 2);
    assert_eq!(sum.lines[0].decision, None);
    assert_eq!(sum.lines[0].msap, Some((0, None)));
    assert_eq!(sum.notification.net(), Euros::ZERO);

    // Every write audited with its before and after values.
    let object = format!("{}/{}/pertinence", campaign.id, targeted);
    let lines = store.audit_in_region(&REGION, 200).await.unwrap();
    let actions: Vec<&str> = lines
        .iter()
        .filter(|l| l.object_id == object)
        .map(|l| l.action.as_str())
        .collect();
    for action in [
        "volet.evaluer",
        "volet.avis_am",
        "volet.decider",
        "volet.notifier",
        "volet.corriger",
    ] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| **a == "volet.evaluer").count(), 3);

    // The schema keeps an MSAP to the pertinence volet.
    assert!(
        sqlx::query(
            "INSERT INTO volet_decisions (id, campaign, entity, volet, version, main_target_met, \
             optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress, \
             outcome, savings, ceiling, proposed_amount, created_at) VALUES ('x', $1, $2, 'transports', 1, \
             0, 'absent', '1', '1', '1', '0', 'mise_sous_accord_prealable', '0', '0', '0', 'now')",
        )
        .bind(campaign.id.clone())
        .bind(inside.to_string())
        .execute(store.pool())
        .await
        .is_err()
    );
}

#[tokio::test]
async fn pertinence_decisions_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn pertinence_decisions_on_postgres() {
    on_postgres(story).await.unwrap();
}
