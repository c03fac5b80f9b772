//! The worker killed while sending loses nothing and doubles nothing: each
//! outbox row is delivered once per Message-ID, after a restart too. On SQLite
//! always, on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.
//!
//! "Killed" here is the worker's task aborted while a transport is stuck in
//! the middle of a batch (before or after the message left); the process-level
//! SIGKILL is `tests/crash.rs`.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use caqes_notify::mail::Composed;
use caqes_notify::{MailDir, SendError, Transport, Worker, WorkerSettings};
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{NewContract, Role, Store};
use tokio::sync::Notify;

/// When the recording transport gets stuck.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stuck {
    Never,
    /// On the n-th message (from 0), before it leaves.
    Before(usize),
    /// On the n-th message, after it left (the crash before the "sent" mark).
    After(usize),
}

#[derive(Clone)]
struct Recording {
    /// Message-IDs in delivery order (shared by every transport of a test).
    delivered: Arc<Mutex<Vec<String>>>,
    /// Also writes the .eml files, when set.
    dir: Option<MailDir>,
    stuck: Stuck,
    calls: Arc<Mutex<usize>>,
    at_stuck: Arc<Notify>,
}

impl Recording {
    fn new(delivered: &Arc<Mutex<Vec<String>>>, dir: Option<MailDir>, stuck: Stuck) -> Self {
        Recording {
            delivered: delivered.clone(),
            dir,
            stuck,
            calls: Arc::new(Mutex::new(0)),
            at_stuck: Arc::new(Notify::new()),
        }
    }
}

impl Transport for Recording {
    async fn send(&self, mail: &Composed) -> Result<(), SendError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            *calls - 1
        };
        if self.stuck == Stuck::Before(n) {
            self.at_stuck.notify_one();
            std::future::pending::<()>().await;
        }
        if let Some(dir) = &self.dir {
            dir.send(mail).await?;
        }
        self.delivered.lock().unwrap().push(mail.message_id.clone());
        if self.stuck == Stuck::After(n) {
            self.at_stuck.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

fn settings() -> WorkerSettings {
    WorkerSettings {
        lease_seconds: 1,
        reminder_every: Duration::from_secs(3600),
        ..WorkerSettings::new("CAQES <caqes@t.fr>", "http://127.0.0.1:8080")
    }
}

/// Six legal notices (one contract proposed to each of six entities) in the outbox.
async fn six_mails(store: &Store) -> Vec<String> {
    let fx = Fixture::builder().entities(6).build(store).await.unwrap();
    let ars = fx.user(Role::Ars).unwrap().clone();
    for e in &fx.entities {
        store
            .propose_contract(
                &ars,
                &e.entity,
                &NewContract {
                    pertinence_terms: None,
                    received_on: None,
                    additional: vec![],
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(store.outbox_counts().await.unwrap().en_attente, 6);
    let (unsent, _) = store.outbox_rows(0).await.unwrap();
    unsent.iter().map(|r| format!("<{}@t.fr>", r.id)).collect()
}

fn counts(ids: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for id in ids {
        *m.entry(id.clone()).or_insert(0) += 1;
    }
    m
}

/// Kills the first worker when its transport is stuck, waits for the lease,
/// and lets a second worker finish.
async fn kill_then_restart(store: &Store, first: Recording, second: Recording) {
    let stuck = first.at_stuck.clone();
    let mut worker = Worker::new(store.clone(), first, settings()).unwrap();
    let task = tokio::spawn(async move { worker.round().await });
    tokio::time::timeout(Duration::from_secs(30), stuck.notified())
        .await
        .unwrap();
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let c = store.outbox_counts().await.unwrap();
    assert_eq!((c.envoye, c.envoi), (2, 4), "two marked sent, four claimed");
    // The claimed rows wait for their lease (1 s) to expire, then go again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut worker = Worker::new(store.clone(), second, settings()).unwrap();
    let round = worker.round().await.unwrap();
    assert_eq!(round.sent, 4);
    let c = store.outbox_counts().await.unwrap();
    assert_eq!((c.envoye, c.envoi, c.en_attente, c.echec), (6, 0, 0, 0));
}

async fn stuck_before_sending(store: &Store) {
    let expected = six_mails(store).await;
    let delivered = Arc::new(Mutex::new(Vec::new()));
    kill_then_restart(
        store,
        Recording::new(&delivered, None, Stuck::Before(2)),
        Recording::new(&delivered, None, Stuck::Never),
    )
    .await;
    // Every row delivered exactly once, with the Message-ID of its row.
    let got = counts(&delivered.lock().unwrap());
    assert_eq!(got.len(), 6);
    assert!(got.values().all(|n| *n == 1), "{got:?}");
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        counts(&expected).keys().cloned().collect::<Vec<_>>()
    );
}

async fn stuck_after_sending(store: &Store) {
    let expected = six_mails(store).await;
    let dir = tempfile::tempdir().unwrap();
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let maildir = MailDir::new(dir.path());
    kill_then_restart(
        store,
        Recording::new(&delivered, Some(maildir.clone()), Stuck::After(2)),
        Recording::new(&delivered, Some(maildir), Stuck::Never),
    )
    .await;
    // The third message left before the crash and leaves again after it: the
    // same Message-ID (a receiver sees one message), and one file in the folder.
    let got = counts(&delivered.lock().unwrap());
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got.values().sum::<usize>(), 7);
    assert_eq!(got.values().filter(|n| **n == 2).count(), 1);
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut wanted: Vec<String> = expected.iter().map(|id| MailDir::file_name(id)).collect();
    wanted.sort();
    assert_eq!(files, wanted, "one .eml per row, no temporary file left");
}

/// A transport that fails: retried with back-off, never marked sent.
struct Failing;

impl Transport for Failing {
    async fn send(&self, _: &Composed) -> Result<(), SendError> {
        Err(SendError::Other("421 service indisponible".into()))
    }
}

async fn failures_wait_for_their_back_off(store: &Store) {
    six_mails(store).await;
    let mut worker = Worker::new(store.clone(), Failing, settings()).unwrap();
    let round = worker.round().await.unwrap();
    assert_eq!((round.sent, round.failed), (0, 6));
    // Nothing is due before the back-off (one minute): a second round sends nothing.
    let round = worker.round().await.unwrap();
    assert_eq!((round.sent, round.failed), (0, 0));
    let (unsent, _) = store.outbox_rows(0).await.unwrap();
    assert!(unsent.iter().all(|r| r.attempts == 1
        && r.last_error.as_deref() == Some("421 service indisponible")));
}

#[tokio::test]
async fn killed_worker_on_sqlite() {
    on_sqlite(stuck_before_sending).await.unwrap();
    on_sqlite(stuck_after_sending).await.unwrap();
    on_sqlite(failures_wait_for_their_back_off).await.unwrap();
}

#[tokio::test]
async fn killed_worker_on_postgres() {
    on_postgres(stuck_before_sending).await.unwrap();
    on_postgres(stuck_after_sending).await.unwrap();
    on_postgres(failures_wait_for_their_back_off).await.unwrap();
}
