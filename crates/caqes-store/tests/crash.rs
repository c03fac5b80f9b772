//! Killing the process in the middle of an import leaves the database
//! consistent: each import is one transaction, so after a SIGKILL the
//! database holds whole batches only, and SQLite's integrity check passes.
//!
//! The test re-runs its own binary as a child (selected by an environment
//! variable) that imports batches in a loop; the parent kills it with SIGKILL
//! and inspects the database. Any kill moment is acceptable: what is checked
//! is that no batch is ever half-written.

use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, make_finess, numbered_entity};
use std::process::Command;
use std::time::Duration;

use caqes_store::{Action, Actor, NewEntity, Store};
use sqlx::Row;

const CHILD_ENV: &str = "CAQES_CRASH_CHILD_DB";
const BATCH: u32 = 400;

fn batch(b: u32) -> Vec<NewEntity> {
    (1..=BATCH)
        .map(|i| numbered_entity(b * BATCH + i, &REGION, 1))
        .collect()
}

/// Runs this binary's test `child` with `env` naming its database, waits until the
/// child writes a line containing `marker` on its standard error, then kills it
/// `after` that: SIGKILL, no destructor, no rollback by the process itself. Returns
/// whether the marker was seen (the child may also end before writing it).
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]
fn kill_child_after(
    child: &str,
    (env, url): (&str, &str),
    marker: &'static str,
    after: Duration,
) -> bool {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", child, "--nocapture", "--test-threads=1"])
        .env(env, url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stderr).lines();
        lines.any(|l| l.is_ok_and(|l| l.contains(marker)))
    });
    let seen = reader.join().unwrap();
    std::thread::sleep(after);
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}

/// The database the killed child wrote, opened again: SQLite's integrity check passes.
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]
async fn reopened_intact(url: &str) -> Store {
    let store = Store::connect(url).await.unwrap();
    let ok: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(ok, "ok");
    store
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
        Fixture::builder()
            .without_users()
            .build(&store)
            .await
            .unwrap();
        store.close().await;
    }
    // Wait until a first batch is committed, then kill in the middle of a later one.
    let seen = kill_child_after(
        "child_import_until_killed",
        (CHILD_ENV, &url),
        "lot 1 importé",
        Duration::from_millis(37),
    );
    assert!(seen, "the child never committed a batch");

    let store = reopened_intact(&url).await;
    let entities = store.legal_entities_in_region(&REGION).await.unwrap().len() as u32;
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

const SUBMISSION_CHILD_ENV: &str = "CAQES_CRASH_SUBMISSION_DB";
const ROUNDS: u32 = 300;

/// The child: submits, takes in review and returns the same dossier in a loop
/// until killed (or until `ROUNDS` rounds).
#[tokio::test]
async fn child_submit_until_killed() {
    let Ok(url) = std::env::var(SUBMISSION_CHILD_ENV) else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let etab = store.user_by_email("etab1@t.fr").await.unwrap().unwrap();
    let ars = store.user_by_email("ars@t.fr").await.unwrap().unwrap();
    let campaign = store.campaigns_in_region(&REGION).await.unwrap().remove(0);
    let entity = make_finess(31_000_001);
    let mut n = 0;
    for _ in 0..ROUNDS {
        for (who, action, comment) in [
            (&etab, Action::Soumettre, None),
            (&ars, Action::PrendreEnRevue, None),
            (&ars, Action::Renvoyer, Some("à compléter")),
        ] {
            let sub = store
                .submission(&campaign.id, &entity)
                .await
                .unwrap()
                .unwrap();
            store
                .apply_action(who, &sub, &REGION, action, comment, None)
                .await
                .unwrap();
            n += 1;
            eprintln!("transition {n}");
        }
    }
}

/// Killing the server in the middle of a submission: the dossier's state, its
/// transitions and their audit lines always agree.
#[tokio::test]
async fn a_killed_submission_leaves_state_transitions_and_audit_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caqes.db").display());
    {
        let store = Store::connect(&url).await.unwrap();
        // The child finds the users by email (`etab1@t.fr`, `ars@t.fr`) and the
        // entity by its FINESS (numbered 1: body 31 000 001).
        Fixture::builder()
            .entity("Entité")
            .campaign(2018)
            .build(&store)
            .await
            .unwrap();
        store.close().await;
    }
    // Kill in the middle of some transition.
    let seen = kill_child_after(
        "child_submit_until_killed",
        (SUBMISSION_CHILD_ENV, &url),
        "transition 20",
        Duration::from_millis(23),
    );
    assert!(seen, "the child never moved the dossier");

    let store = reopened_intact(&url).await;
    let campaign = store.campaigns_in_region(&REGION).await.unwrap().remove(0);
    let sub = store
        .submission(&campaign.id, &make_finess(31_000_001))
        .await
        .unwrap()
        .unwrap();
    let transitions = store.transitions_of(&sub.id).await.unwrap();
    let n = transitions.len();
    assert!(n >= 20, "{n}");
    assert!(
        n < (3 * ROUNDS) as usize,
        "the child finished before being killed"
    );
    // The dossier is in the state its last recorded transition leads to.
    assert_eq!(transitions.last().unwrap().to, sub.state);
    // Every transition has exactly one audit line, none is missing or extra.
    let audit: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'dossier.transition' AND object_id = $1",
    )
    .bind(sub.id.clone())
    .fetch_one(store.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(audit, n as i64);
    // Transitions chain: each starts where the previous one ended.
    for pair in transitions.windows(2) {
        assert_eq!(pair[0].to, pair[1].from);
        assert_eq!(pair[0].seq + 1, pair[1].seq);
    }
    store.close().await;
}
