//! One storage story, run on SQLite always and on PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::RegionCode;
use caqes_store::testing::OTHER_REGION;
use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_store::accounts::throttle::{ThrottleKey, ThrottlePolicy};
use caqes_store::testing::{Fixture, POSTGRES_ENV, TestDb, numbered_entity};
use caqes_store::{
    Action, Actor, Backend, NewCampaign, NewUser, Role, ScoreRecord, Store, StoreError,
    StoredValue, SubmissionState, WorkflowError,
};
use rust_decimal::Decimal;

fn finess(s: &str) -> Finess {
    Finess::parse(s).unwrap()
}

fn value(site: Finess, year: i16, code: &str, num: &str, den: &str) -> StoredValue {
    caqes_store::testing::value(site, year, code, num, den, "")
}

async fn story(store: &Store) {
    let sys = Actor::system("test");
    store.ping().await.unwrap();
    Fixture::builder()
        .without_users()
        .other_region()
        .build(store)
        .await
        .unwrap();

    // All-or-nothing import: the second batch repeats an entity, so nothing of it is kept.
    let e1 = numbered_entity(1, &REGION, 2);
    let e2 = numbered_entity(2, &REGION, 1);
    let other = numbered_entity(3, &OTHER_REGION, 1);
    store
        .import_entities(&sys, &[e1.clone(), e2.clone(), other.clone()])
        .await
        .unwrap();
    let e4 = numbered_entity(4, &REGION, 1);
    let err = store
        .import_entities(&sys, &[e4.clone(), e1.clone()])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.legal_entity(&e4.entity.finess).await.unwrap(), None);
    assert_eq!(
        store.legal_entities_in_region(&REGION).await.unwrap().len(),
        2
    );
    assert_eq!(store.sites_of(&e1.entity.finess).await.unwrap().len(), 2);
    assert_eq!(
        store.legal_entity(&e1.entity.finess).await.unwrap(),
        Some(e1.entity.clone())
    );

    // Users and their scope constraint.
    let etab = store
        .create_user(
            &sys,
            &NewUser {
                email: " Etab@Exemple.fr ".parse().unwrap(),
                display_name: "Établissement 1".into(),
                role: Role::Etablissement,
                region: Some(REGION),
                entity: Some(e1.entity.finess),
                password_hash: "h".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_email("etab@exemple.fr")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(etab.id.clone())
    );
    let ars = store
        .create_user(
            &sys,
            &NewUser {
                email: "ars@exemple.fr".parse().unwrap(),
                display_name: "ARS".into(),
                role: Role::Ars,
                region: Some(REGION),
                entity: None,
                password_hash: "h".into(),
            },
        )
        .await
        .unwrap();
    let bad = store
        .create_user(
            &sys,
            &NewUser {
                email: "x@exemple.fr".parse().unwrap(),
                display_name: "Sans entité".into(),
                role: Role::Etablissement,
                region: Some(REGION),
                entity: None,
                password_hash: "h".into(),
            },
        )
        .await;
    assert!(
        bad.is_err(),
        "an établissement user without an entity must be refused"
    );
    assert!(etab.can_read_entity(&e1.entity));
    assert!(!etab.can_read_entity(&e2.entity));
    assert!(ars.can_read_entity(&e2.entity));
    assert!(!ars.can_read_entity(&other.entity));

    // Sessions and throttling.
    store
        .create_session("tok", &etab.id, "csrf", 100, 200)
        .await
        .unwrap();
    assert_eq!(
        store
            .session("tok", 150)
            .await
            .unwrap()
            .map(|(u, c)| (u.id, c)),
        Some((etab.id.clone(), "csrf".into()))
    );
    assert_eq!(store.session("tok", 200).await.unwrap(), None, "expired");
    // Throttling (migration 0016 replaced the per-failure rows by one counter
    // per account and per address): attempts are counted per subject, case
    // and spaces of the e-mail ignored, and a success clears the account.
    let policy = ThrottlePolicy::default();
    let account = ThrottleKey::account("ETAB@exemple.fr ");
    let address = ThrottleKey::address("192.0.2.1".parse().unwrap());
    for t in [10, 20, 30] {
        store
            .reserve_login_attempt(&[account.clone(), address.clone()], t, &policy)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        store
            .login_failures(&ThrottleKey::account("etab@exemple.fr"))
            .await
            .unwrap(),
        3
    );
    store
        .login_succeeded(&account, Some(&address))
        .await
        .unwrap();
    assert_eq!(store.login_failures(&account).await.unwrap(), 0);
    assert_eq!(
        store.login_failures(&address).await.unwrap(),
        2,
        "one attempt given back"
    );
    // Quiet for an hour (instants in milliseconds): purged.
    assert_eq!(
        store
            .purge_login_throttle(30 + 3_599_999, &policy)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .purge_login_throttle(30 + 3_600_000, &policy)
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.login_failures(&address).await.unwrap(), 0);
    store
        .set_password_hash(&Actor::user(&etab), &etab, "h2")
        .await
        .unwrap();
    assert_eq!(
        store.session("tok", 150).await.unwrap(),
        None,
        "password change ends sessions"
    );

    // Campaign: one draft per entity of the region, none for the other region.
    let date = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
    let campaign = store
        .create_campaign(
            &Actor::user(&ars),
            &NewCampaign {
                region: REGION,
                year: 2018,
                referentiel_id: "occitanie-2018".into(),
                title: "Campagne 2018".into(),
                submission_deadline: date("2019-03-31"),
                evaluation_deadline: date("2019-06-30"),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.campaigns_in_region(&REGION).await.unwrap(),
        vec![campaign.clone()]
    );
    let rows = store.submissions_of_campaign(&campaign).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.submission.state == SubmissionState::Brouillon)
    );

    // Values: exact text kept, per site; a site of another entity is refused and nothing is written.
    let [s1, s2] = [e1.sites[0].finess, e1.sites[1].finess];
    let n = store
        .save_values(
            &Actor::user(&etab),
            &campaign,
            &e1.entity,
            &[
                value(s1, 2018, "A1", "1", "2"),
                value(s2, 2018, "A1", "90", "100,5"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let foreign = value(e2.sites[0].finess, 2018, "A1", "1", "1");
    let err = store
        .save_values(
            &Actor::user(&etab),
            &campaign,
            &e1.entity,
            &[value(s1, 2018, "A2", "3", "4"), foreign],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    let stored = store
        .values_for_entity(&e1.entity.finess, 2018)
        .await
        .unwrap();
    assert_eq!(
        stored.len(),
        2,
        "the refused batch left nothing: {stored:?}"
    );
    assert_eq!(stored[1].denominator.as_deref(), Some("100,5"));
    // Saving the same values again changes nothing and writes no audit line.
    let audit_before = store
        .audit_count_for(e1.entity.finess.as_str())
        .await
        .unwrap();
    let n = store
        .save_values(
            &Actor::user(&etab),
            &campaign,
            &e1.entity,
            &[value(s1, 2018, "A1", "1", "2")],
        )
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(
        store
            .audit_count_for(e1.entity.finess.as_str())
            .await
            .unwrap(),
        audit_before
    );
    // Clearing a value deletes it.
    let cleared = caqes_store::testing::value(s2, 2018, "A1", "", "", "");
    store
        .save_values(&Actor::user(&etab), &campaign, &e1.entity, &[cleared])
        .await
        .unwrap();
    assert_eq!(
        store
            .values_for_entity(&e1.entity.finess, 2018)
            .await
            .unwrap()
            .len(),
        1
    );

    let mut targets = BTreeMap::new();
    targets.insert("A1".to_string(), Decimal::new(755, 1));
    store
        .set_targets(&Actor::user(&ars), &e1.entity, 2018, &targets)
        .await
        .unwrap();
    assert_eq!(
        store.targets_for(&e1.entity.finess, 2018).await.unwrap(),
        targets
    );

    // Workflow: each step by its role, each recorded.
    let sub = store
        .submission(&campaign.id, &e1.entity.finess)
        .await
        .unwrap()
        .unwrap();
    let err = store
        .apply_action(&ars, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Workflow(WorkflowError::WrongRole { .. })
    ));
    let sub = store
        .apply_action(&etab, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    assert_eq!(sub.state, SubmissionState::Soumis);
    // Submitted values are frozen.
    let err = store
        .save_values(
            &Actor::user(&etab),
            &campaign,
            &e1.entity,
            &[value(s1, 2018, "A1", "2", "2")],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    // A stale copy (still « brouillon ») cannot be used to submit twice.
    let stale = store
        .submission(&campaign.id, &e2.entity.finess)
        .await
        .unwrap()
        .unwrap();
    let mut stale_e1 = stale.clone();
    stale_e1.id = sub.id.clone();
    let err = store
        .apply_action(&etab, &stale_e1, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");

    let sub = store
        .apply_action(&ars, &sub, &REGION, Action::PrendreEnRevue, None, None)
        .await
        .unwrap();
    let sub = store
        .apply_action(
            &ars,
            &sub,
            &REGION,
            Action::Renvoyer,
            Some("A1 : dénominateur à vérifier"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(sub.state, SubmissionState::Renvoye);
    assert_eq!(
        sub.last_comment.as_deref(),
        Some("A1 : dénominateur à vérifier")
    );
    let sub = store
        .apply_action(&etab, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    let sub = store
        .apply_action(&ars, &sub, &REGION, Action::PrendreEnRevue, None, None)
        .await
        .unwrap();
    let sub = store
        .apply_action(&ars, &sub, &REGION, Action::Valider, None, None)
        .await
        .unwrap();
    let score = ScoreRecord {
        score: Decimal::new(6250, 2),
        bonus: Decimal::new(5, 0),
        total: Decimal::new(6750, 2),
    };
    let sub = store
        .apply_action(&ars, &sub, &REGION, Action::Evaluer, None, Some(score))
        .await
        .unwrap();
    assert_eq!(sub.state, SubmissionState::Evalue);
    assert_eq!(
        (sub.score, sub.bonus, sub.total),
        (Some(score.score), Some(score.bonus), Some(score.total))
    );

    let history = store.transitions_of(&sub.id).await.unwrap();
    let path: Vec<_> = history.iter().map(|t| (t.seq, t.to)).collect();
    assert_eq!(
        path,
        vec![
            (1, SubmissionState::Soumis),
            (2, SubmissionState::EnRevue),
            (3, SubmissionState::Renvoye),
            (4, SubmissionState::Soumis),
            (5, SubmissionState::EnRevue),
            (6, SubmissionState::Valide),
            (7, SubmissionState::Evalue),
        ]
    );
    assert_eq!(store.audit_count_for(sub.id.as_str()).await.unwrap(), 7);

    // Audit: scoped by region, newest first, append-only at the database level.
    let audit = store.audit_in_region(&REGION, 1000).await.unwrap();
    assert!(audit.iter().all(|a| a.region == Some(REGION)));
    assert_eq!(audit[0].action, "dossier.transition");
    assert!(audit[0].after.as_deref().unwrap_or("").contains("67.50"));
    assert!(
        store
            .audit_in_region(&OTHER_REGION, 1000)
            .await
            .unwrap()
            .iter()
            .all(|a| a.object_id != sub.id.as_str())
    );
    for sql in [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "DELETE FROM submission_transitions",
    ] {
        assert!(
            sqlx::query(sql).execute(store.pool()).await.is_err(),
            "{sql} must be refused"
        );
    }
}

#[tokio::test]
async fn story_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    assert_eq!(db.store.backend(), Backend::Sqlite);
    story(&db.store).await;
    // The embedded database runs with WAL, foreign keys and a busy timeout.
    use sqlx::Row;
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(db.store.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(db.store.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query("PRAGMA busy_timeout")
        .fetch_one(db.store.pool())
        .await
        .unwrap()
        .get(0);
    // 30 s: only another process (a backup, the command line) can hold the
    // lock; this process's writers queue for its one writing connection.
    assert_eq!(busy, 30_000);
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn story_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    assert_eq!(db.store.backend(), Backend::Postgres);
    story(&db.store).await;
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn reopening_an_existing_database_keeps_data_and_reruns_no_migration() {
    let db = TestDb::sqlite().await.unwrap();
    Fixture::builder()
        .without_users()
        .build(&db.store)
        .await
        .unwrap();
    let again = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        again.region(&REGION).await.unwrap().map(|r| r.name),
        Some("Occitanie".into())
    );
    again.close().await;
    db.cleanup().await.unwrap();
}

/// A row altered outside the application reads as an error that says what was
/// unreadable and keeps the parser's refusal as its source.
#[tokio::test]
async fn a_row_altered_outside_reads_as_unreadable_with_its_source() {
    let db = TestDb::sqlite().await.unwrap();
    let fixture = Fixture::builder()
        .entity("Centre hospitalier")
        .build(&db.store)
        .await
        .unwrap();
    let finess = fixture.entities[0].entity.finess;
    sqlx::query("UPDATE legal_entities SET category = 'XYZ' WHERE finess = $1")
        .bind(finess.to_string())
        .execute(db.store.pool())
        .await
        .unwrap();
    let err = db.store.legal_entity(&finess).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "donnée incohérente en base : catégorie d'établissement"
    );
    assert!(matches!(
        err,
        caqes_store::StoreError::Unreadable {
            what: "catégorie d'établissement",
            ..
        }
    ));
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("XYZ"), "{source}");
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    let db = TestDb::sqlite().await.unwrap();
    // A legal entity in a region that does not exist.
    let err = db
        .store
        .import_entities(
            &Actor::system("t"),
            &[numbered_entity(9, &RegionCode::from_static("99"), 1)],
        )
        .await;
    assert!(err.is_err());
    let _ = finess("750712184");
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn unknown_url_scheme_is_refused() {
    let err = Store::connect("mysql://localhost/x").await.unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl(_)));
}

/// A test that panics never reaches `cleanup`: the database must still go, or
/// every failing run leaves one more database on the server.
#[tokio::test]
async fn a_postgres_test_database_is_dropped_even_without_cleanup() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let admin_url = std::env::var(POSTGRES_ENV).unwrap();
    let exists = async |name: &str| {
        sqlx::any::install_default_drivers();
        let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        n == 1
    };
    assert!(exists(&name).await);
    // What unwinding does: the value is dropped, `cleanup` never called.
    drop(db);
    assert!(!exists(&name).await, "{name} a survécu à son test");
}
