//! `caqes sauvegarde`, `caqes restauration` and `caqes audit verifier` through
//! the binary, on the demo region: a backup taken while `caqes serve` runs on
//! the database, private to its owner, restored into a new SQLite database
//! (and into PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set) with the same
//! rows; a non-empty destination refused; the audit log's check passing, then
//! naming the line an intruder edited.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use caqes_store::Store;
use caqes_store::testing::TestDb;

fn caqes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(args)
        .env_remove("CAQES_DATABASE_URL")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The rows of a backup file, table by table, sorted (the header's date and
/// the footer's hash aside): equal for two databases with the same rows, on
/// either engine.
fn rows_of(backup: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(backup).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut sections: Vec<Vec<String>> = Vec::new();
    for line in &lines[1..lines.len() - 1] {
        if line.starts_with('{') {
            sections.push(vec![(*line).to_owned()]);
        } else {
            sections.last_mut().unwrap().push((*line).to_owned());
        }
    }
    for s in &mut sections {
        s[1..].sort();
    }
    sections.concat()
}

fn backup(url: &str, file: &Path) {
    let out = caqes(&[
        "sauvegarde",
        "--database-url",
        url,
        "--sortie",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Sauvegarde écrite"),
        "{}",
        stdout(&out)
    );
}

fn restore(url: &str, file: &Path) -> Output {
    caqes(&[
        "restauration",
        "--database-url",
        url,
        "--entree",
        file.to_str().unwrap(),
    ])
}

fn verify(url: &str) -> Output {
    caqes(&["audit", "verifier", "--database-url", url])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_and_audit_check_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}", dir.path().join("demo.db").display());
    {
        let store = Store::connect(&source).await.unwrap();
        caqes_demo::seed(&store, |_| "mot-de-passe-demo".into())
            .await
            .unwrap();
        store.close().await;
    }

    // The log of the demo is intact; the head is printed for the operator.
    let checked = verify(&source);
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(
        stdout(&checked).contains("Journal d'audit intègre"),
        "{}",
        stdout(&checked)
    );
    assert!(
        stdout(&checked).contains("Tête de chaîne"),
        "{}",
        stdout(&checked)
    );

    // Backed up while the server runs on the database.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(["serve", "--database-url", &source, "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for line in BufReader::new(serve.stderr.take().unwrap()).lines() {
        if line.unwrap().contains("en écoute") {
            break;
        }
    }
    let file = dir.path().join("sauvegarde.jsonl");
    backup(&source, &file);
    serve.kill().unwrap();
    serve.wait().unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let saved = rows_of(&file);
    assert!(saved.len() > 500, "{} lignes", saved.len());

    // Restored into a new database: the same rows, an intact log.
    let target = format!("sqlite://{}", dir.path().join("restauree.db").display());
    let out = restore(&target, &file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Restauration terminée"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("intègre"), "{}", stdout(&out));
    let again = dir.path().join("depuis-restauree.jsonl");
    backup(&target, &again);
    assert_eq!(rows_of(&again), saved);
    assert!(verify(&target).status.success());

    // A database that is not empty is refused (exit 2), and says why.
    let out = restore(&target, &file);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("n'est pas vide"), "{}", stderr(&out));

    // PostgreSQL: the SQLite backup restores there with the same rows.
    if let Some(db) = TestDb::postgres().await.unwrap() {
        // An empty database: the fresh one's schema is dropped, `restauration` makes it.
        sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            .execute(db.store.pool())
            .await
            .unwrap();
        db.store.close().await;
        let out = restore(&db.url, &file);
        assert!(out.status.success(), "{}", stderr(&out));
        let from_postgres = dir.path().join("postgres.jsonl");
        backup(&db.url, &from_postgres);
        assert_eq!(rows_of(&from_postgres), saved);
        assert!(verify(&db.url).status.success());
        db.cleanup().await.unwrap();
    }

    // An intruder edits a line of the log (after dropping its trigger): the
    // check fails with exit 2 and names the line.
    {
        let store = Store::connect(&target).await.unwrap();
        sqlx::raw_sql(
            "DROP TRIGGER audit_log_no_UPDATE; \
             UPDATE audit_log SET after_json = '{}' WHERE id = \
             (SELECT line FROM audit_chain WHERE seq = 3)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
    }
    let out = verify(&target);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ligne n° 3 du journal d'audit"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("modifiée"), "{}", stderr(&out));
}
