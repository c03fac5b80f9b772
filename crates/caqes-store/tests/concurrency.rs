//! Concurrent writers on the embedded SQLite database: every write waits its
//! turn (busy timeout) instead of failing with "database is locked", because
//! write transactions take the write lock when they begin.

use caqes_store::testing::{Fixture, numbered_entity};
use caqes_store::{Actor, NewEntity, Store};

fn batch(b: u32) -> Vec<NewEntity> {
    (1..=20)
        .map(|i| numbered_entity(b * 20 + i, "76", 1))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_imports_all_succeed_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caqes.db").display());
    let store = Store::connect(&url).await.unwrap();
    Fixture::builder()
        .without_users()
        .build(&store)
        .await
        .unwrap();
    // Each import reads the existing entities, then writes: with deferred
    // transactions, two of them interleaving made one fail at once.
    let tasks: Vec<_> = (0..16)
        .map(|b| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .import_entities(&Actor::system("import"), &batch(b))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        store.legal_entities_in_region("76").await.unwrap().len(),
        16 * 20
    );
    store.close().await;
}
