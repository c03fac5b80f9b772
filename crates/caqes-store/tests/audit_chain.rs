//! The audit log's hash chain: intact after ordinary writes; an edited line, a
//! deleted line, a line written around the platform and a log cut after a
//! notification are each found, with the first broken line; lines written before
//! migration 0015 are chained in (at, id) order. On SQLite always and on
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set. The tamperings drop the
//! append-only triggers first, as someone with the database's password could.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

mod common;

use caqes_core::Euros;
use caqes_store::testing::{Fixture, POSTGRES_ENV, TestDb, on_postgres, on_sqlite};
use caqes_store::{Backend, ChainBreak, ChainVerdict, GENESIS, Store};
use common::evaluated::{evaluated_dossier, notified_decision};
use sqlx::Row;

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

/// A fixture, AM revenue, and a dossier evaluated, decided and notified: some
/// eighteen audit lines, the last one being the notification's.
async fn notified_dossier(store: &Store) -> String {
    let fx = Fixture::builder()
        .entity("Entité")
        .entity("Autre")
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let sub = evaluated_dossier(store, &fx, Euros(dec("200000000")), None).await;
    let notified = notified_decision(store, &fx, &sub).await;
    notified.id.into_string()
}

async fn verdict(store: &Store) -> ChainVerdict {
    store.verify_audit_chain(&[]).await.unwrap()
}

async fn audit_lines(store: &Store) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// The id of the line at position `seq`.
async fn line_at(store: &Store, seq: i64) -> String {
    sqlx::query("SELECT line FROM audit_chain WHERE seq = $1")
        .bind(seq)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("line")
        .unwrap()
}

/// Drops the append-only triggers of `table`, as an intruder would.
async fn drop_guards(store: &Store, table: &str) {
    let statements = match store.backend() {
        Backend::Sqlite => vec![
            format!("DROP TRIGGER {table}_no_UPDATE"),
            format!("DROP TRIGGER {table}_no_DELETE"),
        ],
        Backend::Postgres => vec![format!("DROP TRIGGER {table}_append_only ON {table}")],
    };
    for sql in statements {
        sqlx::raw_sql(&sql).execute(store.pool()).await.unwrap();
    }
}

async fn exec(store: &Store, sql: &str) {
    sqlx::raw_sql(sql).execute(store.pool()).await.unwrap();
}

async fn intact_then_edited(store: &Store) {
    let decision = notified_dossier(store).await;
    let lines = audit_lines(store).await;
    assert!(lines >= 15, "{lines} lignes");
    let ChainVerdict::Intact {
        lines: chained,
        head,
        anchors,
    } = verdict(store).await
    else {
        panic!("chaîne intacte attendue");
    };
    assert_eq!(chained, lines);
    assert_eq!(head, store.audit_chain_head().await.unwrap());
    assert_eq!(head.seq, lines);
    assert_ne!(head.hash, GENESIS);
    assert_eq!(anchors, 1);

    // The notified decision recorded the head before its notification line,
    // which is followed by that line.
    let anchor: String =
        sqlx::query("SELECT notified_chain_head FROM sanction_decisions WHERE id = $1")
            .bind(decision.clone())
            .fetch_one(store.pool())
            .await
            .unwrap()
            .try_get("notified_chain_head")
            .unwrap();
    let anchor_seq: i64 = sqlx::query("SELECT seq FROM audit_chain WHERE hash = $1")
        .bind(anchor.clone())
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("seq")
        .unwrap();
    let next = line_at(store, anchor_seq + 1).await;
    let action: String = sqlx::query("SELECT action FROM audit_log WHERE id = $1")
        .bind(next)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("action")
        .unwrap();
    assert_eq!(action, "decision.notifier");

    // A head the operator kept is found; an unknown one is reported.
    assert!(matches!(
        store
            .verify_audit_chain(std::slice::from_ref(&anchor))
            .await
            .unwrap(),
        ChainVerdict::Intact { .. }
    ));
    let unknown = "ab".repeat(32);
    assert_eq!(
        store
            .verify_audit_chain(std::slice::from_ref(&unknown))
            .await
            .unwrap(),
        ChainVerdict::Broken(ChainBreak::KnownHeadLost { hash: unknown })
    );

    // The append-only trigger refuses the edit...
    let victim = line_at(store, 7).await;
    let edit =
        format!("UPDATE audit_log SET actor_label = 'quelqu''un d''autre' WHERE id = '{victim}'");
    assert!(sqlx::raw_sql(&edit).execute(store.pool()).await.is_err());
    // ...and once dropped, the edit is found at its line, whatever the field.
    drop_guards(store, "audit_log").await;
    exec(store, &edit).await;
    match verdict(store).await {
        ChainVerdict::Broken(ChainBreak::Edited { seq, line }) => {
            assert_eq!(seq, 7);
            assert_eq!(line.id, victim.as_str());
            let message = ChainBreak::Edited { seq, line }.to_string();
            assert!(message.contains("ligne n° 7"), "{message}");
            assert!(message.contains("modifiée"), "{message}");
        }
        other => panic!("modification attendue, reçu {other:?}"),
    }
}

async fn deleted(store: &Store) {
    notified_dossier(store).await;
    drop_guards(store, "audit_log").await;
    drop_guards(store, "audit_chain").await;
    // A line and its link deleted: the position is missing.
    let victim = line_at(store, 5).await;
    exec(store, "DELETE FROM audit_chain WHERE seq = 5").await;
    exec(
        store,
        &format!("DELETE FROM audit_log WHERE id = '{victim}'"),
    )
    .await;
    let v = verdict(store).await;
    assert_eq!(
        v,
        ChainVerdict::Broken(ChainBreak::Deleted { seq: 5, line: None })
    );
    let ChainVerdict::Broken(b) = v else {
        unreachable!()
    };
    assert!(b.to_string().contains("ligne n° 5"), "{b}");
    assert!(b.to_string().contains("supprimée"), "{b}");
}

async fn renumbered(store: &Store) {
    notified_dossier(store).await;
    drop_guards(store, "audit_log").await;
    drop_guards(store, "audit_chain").await;
    // Deleting a line and closing the gap still breaks the next line's hash.
    let victim = line_at(store, 9).await;
    exec(store, "DELETE FROM audit_chain WHERE seq = 9").await;
    exec(
        store,
        &format!("DELETE FROM audit_log WHERE id = '{victim}'"),
    )
    .await;
    // In two steps: the primary key is checked row by row.
    exec(
        store,
        "UPDATE audit_chain SET seq = seq + 999999 WHERE seq > 9",
    )
    .await;
    exec(
        store,
        "UPDATE audit_chain SET seq = seq - 1000000 WHERE seq > 1000000",
    )
    .await;
    assert!(matches!(
        verdict(store).await,
        ChainVerdict::Broken(ChainBreak::Edited { seq: 9, .. })
    ));
}

async fn written_around(store: &Store) {
    notified_dossier(store).await;
    // An INSERT needs no dropped trigger: the line is outside the chain.
    exec(
        store,
        "INSERT INTO audit_log (id, at, actor, actor_label, region, action, object_kind, object_id) \
         VALUES ('intrus', '2019-01-01T00:00:00.000000Z', NULL, 'x', '76', 'dossier.soumettre', 'dossier', 'x')",
    )
    .await;
    match verdict(store).await {
        ChainVerdict::Broken(ChainBreak::Unchained { line }) => assert_eq!(line.id, "intrus"),
        other => panic!("ligne hors chaîne attendue, reçu {other:?}"),
    }
}

async fn cut_after_notification(store: &Store) {
    notified_dossier(store).await;
    drop_guards(store, "audit_log").await;
    drop_guards(store, "audit_chain").await;
    // The end of the log cut from the notification's line on: every remaining
    // line is intact, but the decision's recorded head is no longer followed by
    // its notification.
    let head = store.audit_chain_head().await.unwrap();
    let notification = line_at(store, head.seq).await;
    exec(
        store,
        &format!("DELETE FROM audit_chain WHERE seq = {}", head.seq),
    )
    .await;
    exec(
        store,
        &format!("DELETE FROM audit_log WHERE id = '{notification}'"),
    )
    .await;
    match verdict(store).await {
        ChainVerdict::Broken(ChainBreak::NotificationLost { seq, anchor }) => {
            assert_eq!(seq, head.seq);
            assert_eq!(anchor.table, "sanction_decisions");
        }
        other => panic!("notification perdue attendue, reçu {other:?}"),
    }
}

#[tokio::test]
async fn edited_line_found_on_sqlite() {
    on_sqlite(intact_then_edited).await.unwrap();
}

#[tokio::test]
async fn edited_line_found_on_postgres() {
    on_postgres(intact_then_edited).await.unwrap();
}

#[tokio::test]
async fn deleted_line_found_on_sqlite() {
    on_sqlite(deleted).await.unwrap();
}

#[tokio::test]
async fn deleted_line_found_on_postgres() {
    on_postgres(deleted).await.unwrap();
}

#[tokio::test]
async fn renumbered_chain_found_on_sqlite() {
    on_sqlite(renumbered).await.unwrap();
}

#[tokio::test]
async fn renumbered_chain_found_on_postgres() {
    on_postgres(renumbered).await.unwrap();
}

#[tokio::test]
async fn line_written_around_found_on_sqlite() {
    on_sqlite(written_around).await.unwrap();
}

#[tokio::test]
async fn line_written_around_found_on_postgres() {
    on_postgres(written_around).await.unwrap();
}

#[tokio::test]
async fn cut_after_notification_found_on_sqlite() {
    on_sqlite(cut_after_notification).await.unwrap();
}

#[tokio::test]
async fn cut_after_notification_found_on_postgres() {
    on_postgres(cut_after_notification).await.unwrap();
}

/// A database written before migration 0015: its lines join the chain in
/// (at, id) order when the store first connects, and the chain goes on from
/// them.
async fn legacy_lines_are_chained(url: &str) {
    sqlx::any::install_default_drivers();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
    let before_chain: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 15)
        .cloned()
        .collect();
    assert_eq!(before_chain.len(), 14);
    migrator.migrations = before_chain.into();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    migrator.run(&pool).await.unwrap();
    // Three lines, inserted out of time order; two share the same instant.
    for (id, at) in [
        ("c", "2019-01-02T00:00:00.000000Z"),
        ("b", "2019-01-01T00:00:00.000000Z"),
        ("a", "2019-01-02T00:00:00.000000Z"),
    ] {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, actor_label, region, action, object_kind, object_id, before_json, after_json) \
             VALUES ($1, $2, NULL, 'ancien', NULL, 'region.creer', 'region', $1, NULL, '{}')",
        )
        .bind(id)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = Store::connect(url).await.unwrap();
    let order: Vec<String> = sqlx::query("SELECT line FROM audit_chain ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("line").unwrap())
        .collect();
    assert_eq!(order, ["b", "a", "c"]);
    assert!(matches!(
        verdict(&store).await,
        ChainVerdict::Intact { lines: 3, .. }
    ));
    // New lines follow the old ones; connecting again hashes nothing twice.
    Fixture::builder()
        .without_users()
        .build(&store)
        .await
        .unwrap();
    store.close().await;
    let store = Store::connect(url).await.unwrap();
    let ChainVerdict::Intact { lines, .. } = verdict(&store).await else {
        panic!("chaîne intacte attendue");
    };
    assert!(lines > 3);
    assert_eq!(lines, audit_lines(&store).await);
    // The chain's links are append-only too.
    assert!(
        sqlx::raw_sql("UPDATE audit_chain SET hash = NULL WHERE seq = 1")
            .execute(store.pool())
            .await
            .is_err()
    );
    store.close().await;
}

#[tokio::test]
async fn legacy_lines_are_chained_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("ancienne.db").display()
    );
    legacy_lines_are_chained(&url).await;
}

#[tokio::test]
async fn legacy_lines_are_chained_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    // An empty database of our own: the fresh one is already migrated.
    let url = db.url.clone();
    sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        .execute(db.store.pool())
        .await
        .unwrap();
    db.store.close().await;
    legacy_lines_are_chained(&url).await;
    db.cleanup().await.unwrap();
}
