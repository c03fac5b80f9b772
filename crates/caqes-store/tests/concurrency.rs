//! Concurrent writers on the embedded SQLite database: every write waits its
//! turn (busy timeout) instead of failing with "database is locked", because
//! write transactions take the write lock when they begin. And the audit
//! chain stays linear under parallel writers, on SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, numbered_entity};
use caqes_store::{Actor, NewEntity, Store};

fn batch(b: u32) -> Vec<NewEntity> {
    (1..=20)
        .map(|i| numbered_entity(b * 20 + i, &REGION, 1))
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
        store.legal_entities_in_region(&REGION).await.unwrap().len(),
        16 * 20
    );
    store.close().await;
}

/// Parallel writers of several kinds append to the audit chain: every write
/// succeeds (on PostgreSQL two writers reading the same head would collide on
/// the chain's primary key: the advisory lock taken by `begin_write` prevents
/// it), and the chain stays one line: positions 1..n, each hash following the
/// previous one, every audit line in it.
async fn chain_stays_linear(store: &Store) {
    use caqes_core::Euros;
    use caqes_store::ChainVerdict;
    use sqlx::Row;

    let fx = Fixture::builder().entities(8).build(store).await.unwrap();
    let before = store.audit_chain_head().await.unwrap();
    let mut tasks = Vec::new();
    for b in 0..12u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .import_entities(&Actor::system("import"), &batch(b + 1))
                .await
        }));
    }
    for (i, e) in fx.entities.iter().enumerate() {
        for k in 0..3u32 {
            let store = store.clone();
            let entity = e.entity.clone();
            let amount = Euros(rust_decimal::Decimal::from(1_000_000 + i as u32 * 10 + k));
            tasks.push(tokio::spawn(async move {
                store
                    .set_am_revenue(&Actor::system("recettes"), &entity, amount)
                    .await
            }));
        }
    }
    let writes = tasks.len() as i64;
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let lines: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    // Every write added at least one line, each with its own position.
    assert!(lines >= before.seq + writes, "{lines} lignes");
    match store
        .verify_audit_chain(std::slice::from_ref(&before.hash))
        .await
        .unwrap()
    {
        ChainVerdict::Intact {
            lines: chained,
            head,
            ..
        } => {
            assert_eq!(chained, lines);
            assert_eq!(head.seq, lines);
        }
        other => panic!("chaîne linéaire attendue, reçu {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_chain_stays_linear_under_parallel_writes_on_sqlite() {
    caqes_store::testing::on_sqlite(chain_stays_linear)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_chain_stays_linear_under_parallel_writes_on_postgres() {
    caqes_store::testing::on_postgres(chain_stays_linear)
        .await
        .unwrap();
}
