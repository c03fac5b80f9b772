//! Killing the process in the middle of an import leaves the database
//! consistent: each import is one transaction, so after a SIGKILL the
//! database holds whole batches only, and SQLite's integrity check passes.
//!
//! The test re-runs its own binary as a child (selected by an environment
//! variable) that imports batches in a loop; the parent kills it with SIGKILL
//! and inspects the database. Any kill moment is acceptable: what is checked
//! is that no batch is ever half-written.

use caqes_store::testing::make_finess;
use std::process::Command;
use std::time::Duration;

use caqes_core::Category;
use caqes_store::{Actor, LegalEntity, NewEntity, Region, Site, Store};
use sqlx::Row;

const CHILD_ENV: &str = "CAQES_CRASH_CHILD_DB";
const BATCH: u32 = 400;

fn batch(b: u32) -> Vec<NewEntity> {
    (0..BATCH)
        .map(|i| {
            let n = b * BATCH + i;
            let f = make_finess(10_000_000 + n * 2);
            NewEntity {
                entity: LegalEntity {
                    finess: f,
                    region: "76".into(),
                    name: format!("Entité {n}"),
                    category: Category::Had,
                },
                sites: vec![Site {
                    finess: make_finess(50_000_000 + n * 2),
                    entity: f,
                    name: format!("Site {n}"),
                }],
            }
        })
        .collect()
}

/// The child: imports batches until killed (or until 200 batches).
#[tokio::test]
async fn child_import_until_killed() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let sys = Actor::system("import");
    for b in 0..200 {
        store.import_entities(&sys, &batch(b)).await.unwrap();
        eprintln!("lot {b} importé");
    }
}

#[tokio::test]
async fn a_killed_import_leaves_whole_batches_only() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caqes.db").display());
    {
        let store = Store::connect(&url).await.unwrap();
        store
            .create_region(
                &Actor::system("t"),
                &Region {
                    code: "76".into(),
                    name: "Occitanie".into(),
                },
            )
            .await
            .unwrap();
        store.close().await;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_import_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until a first batch is committed, then kill in the middle of a later one.
    let stderr = child.stderr.take().unwrap();
    let first_batch = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stderr).lines();
        lines.any(|l| l.is_ok_and(|l| l.contains("lot 1 importé")))
    });
    let seen = first_batch.join().unwrap();
    std::thread::sleep(Duration::from_millis(37));
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback by the process itself
    child.wait().unwrap();
    assert!(seen, "the child never committed a batch");

    let store = Store::connect(&url).await.unwrap();
    let ok: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(ok, "ok");
    let entities = store.legal_entities_in_region("76").await.unwrap().len() as u32;
    let sites: i64 = sqlx::query("SELECT COUNT(*) FROM sites")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    let audit: i64 =
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'etablissement.creer'")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0);
    eprintln!("{entities} entités après l'arrêt brutal");
    assert!(entities >= 2 * BATCH, "{entities}");
    assert!(
        entities < 200 * BATCH,
        "the child finished before being killed"
    );
    assert_eq!(
        entities % BATCH,
        0,
        "a batch was half-written: {entities} entities"
    );
    assert_eq!(sites, i64::from(entities), "every entity has its site");
    assert_eq!(
        audit,
        i64::from(entities),
        "every entity has its audit line"
    );
    store.close().await;
}
