//! Targeting of the transport volet: import of the spending, the engine's
//! verdict at the thresholds, and the list confirmed by the ARS; on SQLite always
//! and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::{Euros, Finess};
use caqes_store::targeting::{TRANSPORTS, TargetingStatus, TransportSpending};
use caqes_store::testing::{on_postgres, on_sqlite};
use caqes_store::{Actor, Store};
use rust_decimal::Decimal;

mod common;
use common::targeting::{Targeting, assert_conflict, audit_lines, line};

fn euros(s: &str) -> Euros {
    Euros(s.parse::<Decimal>().unwrap())
}

fn spending(entity: Finess, previous: &str, amount: &str) -> TransportSpending {
    TransportSpending {
        entity,
        year: 2018,
        previous: euros(previous),
        amount: euros(amount),
    }
}

async fn story(store: &Store) {
    // Exactly 2,2 % of growth; exactly 500 000 €; just above each threshold.
    let t = Targeting::build(
        store,
        [
            "A growth at threshold",
            "B amount at threshold",
            "C growth above",
            "D amount above",
        ],
    )
    .await;
    let [at_growth, at_amount, over_growth, over_amount] = t.entities;
    let (elsewhere, ars, am, campaign) = (t.elsewhere, &t.ars, &t.am, &t.campaign);

    // An entity of another region stops the whole file: nothing written.
    let rows = vec![
        spending(at_growth, "100000", "102200"),
        spending(at_amount, "495000", "500000"),
        spending(over_growth, "100000", "102200.01"),
        spending(over_amount, "500000", "500000.01"),
    ];
    let mut bad = rows.clone();
    bad.push(spending(elsewhere, "1", "2"));
    let err = store
        .import_transport_spending(&Actor::user(am), &REGION, "transports.csv", &bad)
        .await
        .unwrap_err();
    assert_conflict(&err, &[&elsewhere.to_string()]);
    assert!(
        store
            .transport_spending(&REGION, 2018)
            .await
            .unwrap()
            .is_empty()
    );

    let n = store
        .import_transport_spending(&Actor::user(am), &REGION, "transports.csv", &rows)
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        store.transport_spending(&REGION, 2018).await.unwrap().len(),
        4
    );

    // The engine's verdict with the référentiel's thresholds (strictly above).
    let verdicts = store.transport_verdicts(campaign).await.unwrap();
    let targeted = |f: Finess| {
        verdicts
            .iter()
            .find(|v| v.entity.finess == f)
            .unwrap()
            .targeting
            .targeted()
    };
    assert!(!targeted(at_growth));
    assert!(!targeted(at_amount));
    assert!(targeted(over_growth));
    assert!(targeted(over_amount));
    let reason_a = &verdicts
        .iter()
        .find(|v| v.entity.finess == at_growth)
        .unwrap()
        .reason;
    assert!(
        reason_a.starts_with("non ciblé") && reason_a.contains("évolution 2,2 % ≤ seuil 2,2 %"),
        "{reason_a}"
    );
    let reason_d = &verdicts
        .iter()
        .find(|v| v.entity.finess == over_amount)
        .unwrap()
        .reason;
    assert!(
        reason_d.starts_with("ciblé") && reason_d.contains("> seuil 500"),
        "{reason_d}"
    );

    // Only the ARS of the region confirms; an exclusion needs a motivation and a
    // targeted entity.
    t.assert_confirm_refusals(
        store,
        TRANSPORTS,
        (over_growth, at_growth, "pas ciblé"),
        async |user, exclusions| {
            store
                .confirm_transport_targeting(user, campaign, exclusions)
                .await
        },
    )
    .await;
    let none = BTreeMap::new();

    let one = BTreeMap::from([(over_amount, "Plan d'actions déjà engagé".to_owned())]);
    let list = store
        .confirm_transport_targeting(ars, campaign, &one)
        .await
        .unwrap();
    let status = |f: Finess| line(&list, f).status;
    assert_eq!(list.len(), 4);
    assert_eq!(status(at_growth), TargetingStatus::NonCible);
    assert_eq!(status(at_amount), TargetingStatus::NonCible);
    assert_eq!(status(over_growth), TargetingStatus::Cible);
    assert_eq!(status(over_amount), TargetingStatus::Exclu);
    let excluded = line(&list, over_amount);
    assert_eq!(
        excluded.motivation.as_deref(),
        Some("Plan d'actions déjà engagé")
    );

    // A second confirmation replaces the first; the audit line holds both lists.
    let list = store
        .confirm_transport_targeting(ars, campaign, &none)
        .await
        .unwrap();
    assert!(
        list.iter()
            .all(|c| c.status != TargetingStatus::Exclu && c.motivation.is_none())
    );
    let confirmations = audit_lines(store, "ciblage.confirmer").await;
    assert_eq!(confirmations.len(), 2);
    // Newest first: its "before" is the list with the exclusion.
    assert!(confirmations[0].0.contains("Plan d'actions déjà engagé"));
    assert!(!confirmations[0].1.contains("Plan d'actions"));

    // A re-import replaces a line and audits the old amounts.
    store
        .import_transport_spending(
            &Actor::user(am),
            &REGION,
            "transports.csv",
            &[spending(at_growth, "100000", "130000")],
        )
        .await
        .unwrap();
    let imports: Vec<_> = audit_lines(store, "transports.importer").await;
    assert_eq!(imports.len(), 2);
    assert!(imports[0].0.contains("102200") && imports[0].1.contains("130000"));
    assert!(
        store
            .transport_verdicts(campaign)
            .await
            .unwrap()
            .iter()
            .find(|v| v.entity.finess == at_growth)
            .unwrap()
            .targeting
            .targeted()
    );
}

#[tokio::test]
async fn targeting_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn targeting_on_postgres() {
    on_postgres(story).await.unwrap();
}
