//! Evaluation and decision of the transport volet for a targeted entity: the
//! instruction's table on hand numbers, the bounds of the ARS decision, the
//! freeze after notification and corrections; on SQLite always and on
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::sanction::Nature;
use caqes_core::volets::Progress;
use caqes_core::volets::transport::{
    OptionalObjective, TransportEvaluationInput, TransportOutcome,
};
use caqes_store::Opinion;
use caqes_store::targeting::TransportSpending;
use caqes_store::testing::{Fixture, POSTGRES_ENV, TestDb};
use caqes_store::volets::lifecycle::VoletOutcome;
use caqes_store::volets::transport::Transports;
use caqes_store::{Actor, Store, StoreError};
use jiff::civil::date;

mod common;
use common::conflict;
use common::volet::{Life, amount, deciders, euros, refused};

fn spending(entity: Finess, previous: &str, amount: &str) -> TransportSpending {
    TransportSpending {
        entity,
        year: 2018,
        previous: euros(previous),
        amount: euros(amount),
    }
}

fn input(met: bool, opt: OptionalObjective, progress: &str) -> TransportEvaluationInput {
    TransportEvaluationInput {
        cible_atteinte: met,
        objectif_supplementaire: opt,
        depenses_previsionnelles_sans_mesures: euros("1200000"),
        depenses_observees: euros("1000000"),
        produits_am: euros("80000000"),
        progression_plan_actions: Progress::from_fraction(progress.parse().unwrap()).unwrap(),
    }
}

async fn story(store: &Store) {
    let fx = Fixture::builder()
        .entity_with_sites("A ciblé", 1)
        .entity_with_sites("B non ciblé", 1)
        .other_region()
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let [targeted, not_targeted] = fx.finess().unwrap();
    let (ars, am, ars_other, campaign) = deciders(&fx);
    store
        .import_transport_spending(
            &Actor::user(&am),
            &REGION,
            "transports.csv",
            &[
                spending(targeted, "900000", "1000000"),
                spending(not_targeted, "100000", "100000"),
            ],
        )
        .await
        .unwrap();

    // Before the ARS confirms the list, nobody can be evaluated.
    let i = input(true, OptionalObjective::Absent, "0.5");
    conflict(
        store
            .record_transport_evaluation(&ars, &campaign, &targeted, &i)
            .await,
        "n'est pas ciblé",
    );
    store
        .confirm_transport_targeting(&ars, &campaign, &BTreeMap::new())
        .await
        .unwrap();
    assert!(
        store
            .is_volet_targeted::<Transports>(&campaign.id, &targeted)
            .await
            .unwrap()
    );
    conflict(
        store
            .record_transport_evaluation(&ars, &campaign, &not_targeted, &i)
            .await,
        "",
    );
    // Roles and region.
    assert!(matches!(
        refused(
            store
                .record_transport_evaluation(&am, &campaign, &targeted, &i)
                .await
        ),
        StoreError::Workflow(_)
    ));
    assert!(matches!(
        refused(
            store
                .record_transport_evaluation(&ars_other, &campaign, &targeted, &i)
                .await
        ),
        StoreError::NotFound(_)
    ));

    // The instruction's table on hand numbers: savings 1 200 000 − 1 000 000 =
    // 200 000 €, incentive ceiling 30 % = 60 000 €, sanction ceiling 1 % of
    // 80 M€ = 800 000 €; progress p: incentive 60 000 × p, sanction 800 000 × (1 − p).
    use OptionalObjective::{Absent, Atteint, NonAtteint};
    let cases = [
        (
            true,
            Atteint,
            "0.5",
            TransportOutcome::Interessement,
            Some("30000"),
        ),
        (
            false,
            Atteint,
            "0.5",
            TransportOutcome::NiInteressementNiSanction,
            None,
        ),
        (
            true,
            NonAtteint,
            "0.25",
            TransportOutcome::Sanction,
            Some("600000"),
        ),
        (
            false,
            NonAtteint,
            "0.25",
            TransportOutcome::Sanction,
            Some("600000"),
        ),
        (
            true,
            Absent,
            "1",
            TransportOutcome::Interessement,
            Some("60000"),
        ),
        (false, Absent, "1", TransportOutcome::Sanction, Some("0")),
    ];
    for (met, opt, progress, outcome, amount) in cases {
        let d = store
            .record_transport_evaluation(&ars, &campaign, &targeted, &input(met, opt, progress))
            .await
            .unwrap();
        assert_eq!(d.version, 1);
        assert_eq!(
            d.outcome,
            VoletOutcome::from(outcome),
            "cible {met}, objectif {opt:?}"
        );
        assert_eq!(d.evaluation.savings, euros("200000"));
        assert_eq!(
            d.proposal.map(|p| p.amount()),
            amount.map(euros),
            "{outcome:?}"
        );
    }
    let life = Life::<Transports>::of(store, &campaign, targeted);
    assert_eq!(life.versions().await.len(), 1);

    // Final evaluation: sanction, progress 0,25 → 600 000 € of 800 000 €.
    let d = store
        .record_transport_evaluation(
            &ars,
            &campaign,
            &targeted,
            &input(false, NonAtteint, "0.25"),
        )
        .await
        .unwrap();
    let p = d.proposal.unwrap();
    assert_eq!(
        (p.nature(), p.ceiling(), p.amount()),
        (Nature::Sanction, euros("800000"), euros("600000"))
    );

    // Decision before the AM opinion: refused.
    conflict(life.decide(&ars, amount("600000"), None).await, "avis");
    assert!(matches!(
        refused(life.opinion(&ars, Opinion::Favorable, None).await),
        StoreError::Workflow(_)
    ));
    let d = life
        .opinion(&am, Opinion::Favorable, Some("  conforme "))
        .await
        .unwrap();
    assert_eq!(d.opinion, Some(Opinion::Favorable));
    assert_eq!(d.opinion_comment.as_deref(), Some("conforme"));
    // The figures the AM gave its opinion on can no longer change.
    conflict(
        store
            .record_transport_evaluation(&ars, &campaign, &targeted, &i)
            .await,
        "",
    );

    // Bounds: above the ceiling refused; a modulation needs a motivation.
    conflict(
        life.decide(&ars, amount("800000.01"), Some("trop")).await,
        "",
    );
    conflict(life.decide(&ars, amount("500000"), Some("   ")).await, "");
    let d = life
        .decide(&ars, amount("500000"), Some("Plan d'actions engagé"))
        .await
        .unwrap();
    assert_eq!(d.final_amount, Some(euros("500000")));
    assert_eq!(d.motivation.as_deref(), Some("Plan d'actions engagé"));

    // Notification freezes the version, in the store and in the database.
    let d = life.notify(&ars, date(2019, 9, 15)).await.unwrap();
    assert!(d.is_frozen());
    conflict(life.decide(&ars, amount("600000"), None).await, "notifiée");
    assert!(
        sqlx::query("UPDATE volet_decisions SET final_amount = '1' WHERE id = $1")
            .bind(d.id.clone())
            .execute(store.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM volet_decisions WHERE id = $1")
            .bind(d.id.clone())
            .execute(store.pool())
            .await
            .is_err()
    );

    // A correction is version 2 with its reason, open until notified.
    conflict(
        life.correct(&ars, amount("400000"), Some("m"), " ").await,
        "",
    );
    conflict(
        life.correct(&ars, amount("900000"), Some("m"), "erreur")
            .await,
        "",
    );
    let v2 = life
        .correct(
            &ars,
            amount("400000"),
            Some("Recours gracieux"),
            "Erreur matérielle",
        )
        .await
        .unwrap();
    assert_eq!((v2.version, v2.is_frozen()), (2, false));
    assert_eq!(v2.correction_reason.as_deref(), Some("Erreur matérielle"));
    assert_eq!(v2.opinion, Some(Opinion::Favorable));
    assert_eq!(v2.evaluation.input, d.evaluation.input);
    let all = life.versions().await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].final_amount, Some(euros("500000")));
    life.notify(&ars, date(2019, 10, 1)).await.unwrap();

    // Every write audited with before and after.
    let lines = store.audit_in_region(&REGION, 200).await.unwrap();
    for action in [
        "volet.evaluer",
        "volet.avis_am",
        "volet.decider",
        "volet.notifier",
        "volet.corriger",
    ] {
        let line = lines.iter().find(|a| a.action == action).unwrap();
        assert!(
            line.after.as_deref().unwrap_or("").contains("\"issue\""),
            "{action}"
        );
    }
    let decide = lines.iter().find(|a| a.action == "volet.decider").unwrap();
    assert!(
        decide
            .before
            .as_deref()
            .unwrap()
            .contains("\"montant_final\":null")
    );
    assert!(
        decide
            .after
            .as_deref()
            .unwrap()
            .contains("\"montant_final\":\"500000\"")
    );

    // Both notified versions recorded the audit chain's head at their
    // notification, and the verifier finds each followed by its notification.
    let heads: Vec<Option<String>> = sqlx::query(
        "SELECT notified_chain_head FROM volet_decisions WHERE notified_on IS NOT NULL ORDER BY version",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| sqlx::Row::try_get(r, "notified_chain_head").unwrap())
    .collect();
    assert_eq!(heads.len(), 2);
    assert!(
        heads
            .iter()
            .all(|h| h.as_ref().is_some_and(|h| h.len() == 64))
    );
    assert_ne!(heads[0], heads[1]);
    assert!(matches!(
        store.verify_audit_chain(&[]).await.unwrap(),
        caqes_store::ChainVerdict::Intact { anchors: 2, .. }
    ));
}

#[tokio::test]
async fn volet_decisions_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    story(&db.store).await;
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn volet_decisions_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    story(&db.store).await;
    db.cleanup().await.unwrap();
}
