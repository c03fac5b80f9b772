//! Killing the process (SIGKILL) while e-mails are being sent, then starting
//! again: every e-mail is delivered, none twice. The test re-runs its own
//! binary as a child that sends the outbox to `.eml` files slowly; the parent
//! kills it after a few messages, runs it again to the end, then counts the
//! files (one per outbox row, named by Message-ID) and the rows marked sent.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::process::{Command, Stdio};
use std::time::Duration;

use caqes_notify::mail::Composed;
use caqes_notify::{MailDir, SendError, Transport, Worker, WorkerSettings};
use caqes_store::testing::Fixture;
use caqes_store::{MailId, NewContract, Role, Store};

const CHILD_DB: &str = "CAQES_NOTIFY_CRASH_DB";
const CHILD_DIR: &str = "CAQES_NOTIFY_CRASH_DIR";
const MAILS: usize = 12;

/// `.eml` files, 150 ms each, with a line on stderr after each one.
struct Slow(MailDir);

impl Transport for Slow {
    async fn send(&self, mail: &Composed) -> Result<(), SendError> {
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.0.send(mail).await?;
        eprintln!("courriel écrit {}", mail.message_id);
        Ok(())
    }
}

/// The child: sends the whole outbox, then exits.
#[tokio::test]
async fn child_sends_until_killed() {
    let (Ok(url), Ok(dir)) = (std::env::var(CHILD_DB), std::env::var(CHILD_DIR)) else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let settings = WorkerSettings {
        lease_seconds: 1,
        batch: 4,
        ..WorkerSettings::new("CAQES <caqes@t.fr>", "http://127.0.0.1:8080")
    };
    let mut worker = Worker::new(store, Slow(MailDir::new(dir)), settings).unwrap();
    let round = worker.round().await.unwrap();
    eprintln!("tour terminé : {} envoyé(s)", round.sent);
}

fn child(url: &str, dir: &std::path::Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_sends_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, url)
        .env(CHILD_DIR, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_killed_sender_loses_and_doubles_nothing() {
    let db = tempfile::tempdir().unwrap();
    let mails = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", db.path().join("caqes.db").display());
    let ids: Vec<MailId> = {
        let store = Store::connect(&url).await.unwrap();
        let fx = Fixture::builder()
            .entities(MAILS)
            .build(&store)
            .await
            .unwrap();
        let ars = fx.user(Role::Ars).unwrap().clone();
        for e in &fx.entities {
            let proposal = NewContract {
                pertinence_terms: None,
                received_on: None,
                additional: vec![],
            };
            store
                .propose_contract(&ars, &e.entity, &proposal)
                .await
                .unwrap();
        }
        let (unsent, _) = store.outbox_rows(0).await.unwrap();
        store.close().await;
        unsent.into_iter().map(|r| r.id).collect()
    };
    assert_eq!(ids.len(), MAILS);

    // First run: killed after the third e-mail is written.
    let mut first = child(&url, mails.path());
    let stderr = first.stderr.take().unwrap();
    let seen = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .filter(|l| l.contains("courriel écrit"))
            .nth(2)
            .is_some()
    });
    assert!(seen.join().unwrap(), "the child never wrote three e-mails");
    first.kill().unwrap(); // SIGKILL: no destructor, no "sent" mark for the message in flight
    first.wait().unwrap();
    let written = std::fs::read_dir(mails.path()).unwrap().count();
    assert!(written < MAILS, "killed too late: {written} files");

    // Second run, after the lease (1 s) of the claimed rows: it finishes the outbox.
    std::thread::sleep(Duration::from_millis(1500));
    let second = child(&url, mails.path()).wait_with_output().unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    let store = Store::connect(&url).await.unwrap();
    let c = store.outbox_counts().await.unwrap();
    assert_eq!(
        (c.envoye, c.envoi, c.en_attente, c.echec),
        (MAILS as i64, 0, 0, 0)
    );
    let mut files: Vec<String> = std::fs::read_dir(mails.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut wanted: Vec<String> = ids
        .iter()
        .map(|id| MailDir::file_name(&format!("<{id}@t.fr>")))
        .collect();
    wanted.sort();
    assert_eq!(files, wanted, "one file per e-mail, no temporary file left");
    // Each file is a whole message addressed to its établissement.
    for f in &files {
        let text = std::fs::read_to_string(mails.path().join(f)).unwrap();
        assert!(
            text.contains("To: etab") && text.contains("Contrat propos"),
            "{text}"
        );
    }
}
