//! Backup and restore: a populated database (fixture, a notified decision,
//! a comment, AM data) backed up, restored into a new database of each engine,
//! and compared table by table; a backup taken while writers run is one
//! consistent snapshot; a non-empty destination, a cut, altered or foreign
//! archive is refused and leaves the destination empty. SQLite always,
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

mod common;

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::Euros;
use caqes_store::backup::BackupError;
use caqes_store::testing::{Fixture, TestDb};
use caqes_store::{Actor, Backend, ChainVerdict, Role, Store, Visibility};
use common::evaluated::{evaluated_dossier, notified_decision};
use sqlx::Row;

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

/// Writes a little of everything: entities, users, a campaign, a dossier
/// through its whole life up to a notified decision, AM revenue, a comment.
async fn populate(store: &Store) {
    let fx = Fixture::builder()
        .entity_with_sites("Entité « guillemets » et accents é", 2)
        .entity("Autre")
        .other_region()
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let sub = evaluated_dossier(
        store,
        &fx,
        Euros(dec("200000000.00")),
        Some("ligne 1\nligne 2"),
    )
    .await;
    let omedit = fx.user(Role::Omedit).unwrap().clone();
    store
        .add_comment(
            &omedit,
            &sub,
            &REGION,
            None,
            Visibility::Partage,
            "Commentaire partagé",
        )
        .await
        .unwrap();
    notified_decision(store, &fx, &sub).await;
}

/// The tables of a database, from its own catalog.
async fn table_names(store: &Store) -> Vec<String> {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '_sqlx_migrations' AND name <> 'score_revisions' \
             AND name <> 'entity_score_revisions' AND name <> 'campaign_list_revisions' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations' AND table_name <> 'score_revisions' \
             AND table_name <> 'entity_score_revisions' \
             AND table_name <> 'campaign_list_revisions' ORDER BY 1"
        }
    };
    sqlx::query(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("name").unwrap())
        .collect()
}

/// Every row of every table, each value as text (integers written in
/// decimal), rows sorted: what two databases must agree on.
async fn contents(store: &Store) -> BTreeMap<String, Vec<Vec<Option<String>>>> {
    let mut all = BTreeMap::new();
    for table in table_names(store).await {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(store.pool())
            .await
            .unwrap();
        let mut values: Vec<Vec<Option<String>>> = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| match r.try_get::<Option<i64>, _>(i) {
                        Ok(v) => v.map(|n| n.to_string()),
                        Err(_) => r.try_get::<Option<String>, _>(i).unwrap(),
                    })
                    .collect()
            })
            .collect();
        values.sort();
        all.insert(table, values);
    }
    all
}

async fn backup_bytes(store: &Store) -> Vec<u8> {
    let mut out = Vec::new();
    store.backup(&mut out).await.unwrap();
    out
}

async fn fresh(backend: Backend) -> Option<TestDb> {
    match backend {
        Backend::Sqlite => Some(TestDb::sqlite().await.unwrap()),
        Backend::Postgres => TestDb::postgres().await.unwrap(),
    }
}

/// Backs up a populated database of `from`, restores into `to`, compares.
async fn round_trip(from: Backend, to: Backend) {
    let (Some(source), Some(target)) = (fresh(from).await, fresh(to).await) else {
        eprintln!("PostgreSQL ignoré : CAQES_TEST_POSTGRES_URL n'est pas défini");
        return;
    };
    populate(&source.store).await;
    let archive = backup_bytes(&source.store).await;
    // Two backups of the same state are the same but for their date (in the
    // header, and so in the footer's SHA-256).
    let again = backup_bytes(&source.store).await;
    let body = |a: &[u8]| {
        let text = String::from_utf8(a.to_vec()).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[1..lines.len() - 1].to_vec()
    };
    assert_eq!(body(&archive), body(&again));
    assert!(body(&archive).len() > 40);

    let counts = target.store.restore(archive.as_slice()).await.unwrap();
    let expected = contents(&source.store).await;
    assert!(expected["audit_log"].len() > 10);
    assert!(expected["sanction_decisions"].len() == 1);
    for (table, rows) in &expected {
        assert_eq!(counts.0[table], rows.len() as u64, "{table}");
    }
    assert_eq!(contents(&target.store).await, expected);
    // The score revisions (derived data, not in the archive) were rebuilt by the restore's
    // writes: a page of the restored database never serves a score from before it.
    let revised: i64 = sqlx::query("SELECT COUNT(*) AS n FROM score_revisions WHERE revision > 0")
        .fetch_one(target.store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert!(revised > 0);
    // The restored log is intact and the restored database is usable: its
    // chain goes on from the restored head.
    let head = source.store.audit_chain_head().await.unwrap();
    assert!(matches!(
        target
            .store
            .verify_audit_chain(std::slice::from_ref(&head.hash))
            .await
            .unwrap(),
        ChainVerdict::Intact { anchors: 1, .. }
    ));
    target
        .store
        .create_region(
            &Actor::system("après restauration"),
            &caqes_store::Region {
                code: caqes_core::RegionCode::from_static("84"),
                name: "Auvergne-Rhône-Alpes".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        target.store.audit_chain_head().await.unwrap().seq,
        head.seq + 1
    );
    // A database that is not empty any more is refused, and keeps its rows.
    let before = contents(&target.store).await;
    match target.store.restore(archive.as_slice()).await {
        Err(BackupError::NotEmpty { rows, .. }) => assert!(rows > 0),
        other => panic!("base non vide attendue, reçu {other:?}"),
    }
    assert_eq!(contents(&target.store).await, before);
    source.cleanup().await.unwrap();
    target.cleanup().await.unwrap();
}

#[tokio::test]
async fn sqlite_to_sqlite() {
    round_trip(Backend::Sqlite, Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_to_postgres() {
    round_trip(Backend::Postgres, Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_to_postgres() {
    round_trip(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test]
async fn postgres_to_sqlite() {
    round_trip(Backend::Postgres, Backend::Sqlite).await;
}

/// Archives that must be refused, each leaving the destination empty.
async fn refused(backend: Backend) {
    let (Some(source), Some(target)) = (fresh(backend).await, fresh(backend).await) else {
        eprintln!("PostgreSQL ignoré : CAQES_TEST_POSTGRES_URL n'est pas défini");
        return;
    };
    populate(&source.store).await;
    let archive = backup_bytes(&source.store).await;
    let text = String::from_utf8(archive.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Cut before its end (the last rows and the footer lost).
    let cut = lines[..lines.len() - 3].join("\n") + "\n";
    // One value changed inside (the footer's SHA-256 no longer matches).
    let altered = text.replacen("200000000.00", "200000000.02", 1);
    assert_ne!(altered, text);
    // Made by another schema.
    let foreign = text.replacen("\"schema\":[1,", "\"schema\":[0,1,", 1);
    assert_ne!(foreign, text);
    for (what, bad) in [
        ("tronquée", cut.as_str()),
        ("modifiée", altered.as_str()),
        ("autre schéma", foreign.as_str()),
        ("vide", ""),
        (
            "pas une sauvegarde",
            "{\"format\":\"autre\",\"version\":1,\"schema\":[],\"base\":\"x\",\"cree_le\":\"x\"}\n",
        ),
    ] {
        let err = target.store.restore(bad.as_bytes()).await.unwrap_err();
        let message = err.to_string();
        match what {
            "autre schéma" => assert!(
                matches!(err, BackupError::SchemaMismatch { .. }),
                "{message}"
            ),
            _ => assert!(
                matches!(err, BackupError::Format { .. }),
                "{what} : {message}"
            ),
        }
        if what == "modifiée" {
            assert!(message.contains("SHA-256"), "{message}");
        }
        assert!(
            contents(&target.store).await.values().all(Vec::is_empty),
            "{what} : la base de destination doit rester vide"
        );
    }
    source.cleanup().await.unwrap();
    target.cleanup().await.unwrap();
}

#[tokio::test]
async fn bad_archives_are_refused_on_sqlite() {
    refused(Backend::Sqlite).await;
}

#[tokio::test]
async fn bad_archives_are_refused_on_postgres() {
    refused(Backend::Postgres).await;
}

/// A backup taken while writers run is one snapshot: in the restored
/// database every audit line has its link and the chain is intact (a backup
/// reading tables at different moments would hold lines without links, or
/// links without lines), and entities and their sites agree.
async fn consistent_while_writing(backend: Backend) {
    let (Some(source), Some(target)) = (fresh(backend).await, fresh(backend).await) else {
        eprintln!("PostgreSQL ignoré : CAQES_TEST_POSTGRES_URL n'est pas défini");
        return;
    };
    Fixture::builder()
        .without_users()
        .build(&source.store)
        .await
        .unwrap();
    let writer = {
        let store = source.store.clone();
        tokio::spawn(async move {
            for b in 1..=30u32 {
                let batch: Vec<_> = (1..=5)
                    .map(|i| caqes_store::testing::numbered_entity(b * 5 + i, &REGION, 2))
                    .collect();
                store
                    .import_entities(&Actor::system("import"), &batch)
                    .await
                    .unwrap();
            }
        })
    };
    let mut archives = Vec::new();
    while !writer.is_finished() {
        archives.push(backup_bytes(&source.store).await);
    }
    writer.await.unwrap();
    archives.push(backup_bytes(&source.store).await);
    assert!(archives.len() >= 2);
    let middle = archives.swap_remove(archives.len() / 2);
    target.store.restore(middle.as_slice()).await.unwrap();
    let restored = contents(&target.store).await;
    assert_eq!(restored["audit_log"].len(), restored["audit_chain"].len());
    assert_eq!(
        restored["sites"].len(),
        2 * restored["legal_entities"].len()
    );
    assert!(matches!(
        target.store.verify_audit_chain(&[]).await.unwrap(),
        ChainVerdict::Intact { .. }
    ));
    source.cleanup().await.unwrap();
    target.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_while_writing_on_sqlite() {
    consistent_while_writing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_while_writing_on_postgres() {
    consistent_while_writing(Backend::Postgres).await;
}
