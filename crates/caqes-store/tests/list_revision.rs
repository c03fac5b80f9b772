//! The list revisions (`caqes_store::campaign::list_revision`, migration 0032): every write
//! to what a campaign page lists — the region's campaigns, their dossiers, its legal
//! entities — moves the region's number in the same transaction, whoever writes (the raw
//! statements below stand for another process), and leaves the other regions' alone. The
//! web keys its kept campaign page on it. Run on SQLite always and on PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{Backend, CampaignId, ListRevision, Store};

async fn list(store: &Store, campaign: &CampaignId) -> ListRevision {
    let read = store
        .campaign_with_revisions(campaign)
        .await
        .unwrap()
        .unwrap();
    // The one-query read agrees with the separate reads.
    assert_eq!(
        read.list,
        store.list_revision(&read.campaign.region).await.unwrap()
    );
    assert_eq!(
        read.scores,
        store.score_revision(&read.campaign.region).await.unwrap()
    );
    read.list
}

async fn execute(store: &Store, sql: &str, binds: &[&str]) {
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(b.to_string());
    }
    let done = query.execute(store.pool()).await.unwrap();
    assert!(done.rows_affected() > 0, "{sql}");
}

async fn every_listed_write_moves_the_region(store: &Store) {
    let f = Fixture::builder()
        .entity("A")
        .entity("B")
        .other_region()
        .entity_elsewhere("C")
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let campaign = f.campaign.clone().unwrap();
    let a = f.entities[0].entity.finess.to_string();
    let c = f.elsewhere[0].entity.finess.to_string();
    let other_region = f.elsewhere[0].entity.region;
    assert!(
        store
            .campaign_with_revisions(&CampaignId::from("pas-une-campagne"))
            .await
            .unwrap()
            .is_none()
    );

    let r0 = list(store, &campaign.id).await;
    let elsewhere0 = store.list_revision(&other_region).await.unwrap();

    // An establishment renamed.
    execute(
        store,
        "UPDATE legal_entities SET name = $1 WHERE finess = $2",
        &["Clinique renommée", &a],
    )
    .await;
    let r1 = list(store, &campaign.id).await;
    assert!(r1 > r0, "{r1:?} after {r0:?}");

    // A dossier's state changed.
    execute(
        store,
        "UPDATE submissions SET state = $1 WHERE entity = $2",
        &["soumis", &a],
    )
    .await;
    let r2 = list(store, &campaign.id).await;
    assert!(r2 > r1, "{r2:?} after {r1:?}");

    // The campaign itself.
    execute(
        store,
        "UPDATE campaigns SET title = $1 WHERE id = $2",
        &["Campagne renommée", campaign.id.as_str()],
    )
    .await;
    let r3 = list(store, &campaign.id).await;
    assert!(r3 > r2, "{r3:?} after {r2:?}");

    // None of this moved the other region; its own establishment moves it, not this one.
    assert_eq!(
        store.list_revision(&other_region).await.unwrap(),
        elsewhere0
    );
    execute(
        store,
        "UPDATE legal_entities SET name = $1 WHERE finess = $2",
        &["Ailleurs renommée", &c],
    )
    .await;
    assert!(store.list_revision(&other_region).await.unwrap() > elsewhere0);
    assert_eq!(list(store, &campaign.id).await, r3);

    // A dossier deleted.
    execute(store, "DELETE FROM submissions WHERE entity = $1", &[&a]).await;
    assert!(list(store, &campaign.id).await > r3);
}

#[tokio::test]
async fn every_listed_write_moves_the_region_on_sqlite() {
    on_sqlite(every_listed_write_moves_the_region)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_listed_write_moves_the_region_on_postgres() {
    on_postgres(every_listed_write_moves_the_region)
        .await
        .unwrap();
}

/// Under PostgreSQL one transaction writing many rows bumps the number once (SQLite once
/// per row): the number only has to change.
async fn one_transaction_one_change(store: &Store) {
    let f = Fixture::builder()
        .entities(5)
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let campaign = f.campaign.clone().unwrap();
    let before = list(store, &campaign.id).await;
    execute(
        store,
        "UPDATE submissions SET state = $1 WHERE campaign = $2",
        &["soumis", campaign.id.as_str()],
    )
    .await;
    let after = list(store, &campaign.id).await;
    match store.backend() {
        Backend::Postgres => assert_eq!(after.0, before.0 + 1),
        Backend::Sqlite => assert!(after.0 >= before.0 + 5, "{after:?}"),
    }
}

#[tokio::test]
async fn one_transaction_one_change_on_sqlite() {
    on_sqlite(one_transaction_one_change).await.unwrap();
}

#[tokio::test]
async fn one_transaction_one_change_on_postgres() {
    on_postgres(one_transaction_one_change).await.unwrap();
}
