//! OIDC logins under way and OIDC sessions, on SQLite always and on
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::oidc::PendingOidcLogin;
use caqes_store::testing::{POSTGRES_ENV, TestDb};
use caqes_store::{Actor, NewUser, Region, Role, Store};

fn login(n: u8) -> PendingOidcLogin {
    PendingOidcLogin {
        browser_hash: format!("navigateur-{n}"),
        nonce: format!("nonce-{n}"),
        pkce_verifier: format!("verifier-{n}"),
    }
}

async fn story(store: &Store) {
    // A login is taken once, with what was stored.
    store
        .create_oidc_login("s1", &login(1), 1000, 1600)
        .await
        .unwrap();
    store
        .create_oidc_login("s2", &login(2), 1000, 1600)
        .await
        .unwrap();
    assert_eq!(
        store.take_oidc_login("s1", 1100).await.unwrap(),
        Some(login(1))
    );
    assert_eq!(store.take_oidc_login("s1", 1100).await.unwrap(), None);
    assert_eq!(store.take_oidc_login("inconnu", 1100).await.unwrap(), None);
    // An expired login is refused, and spent all the same.
    assert_eq!(store.take_oidc_login("s2", 1600).await.unwrap(), None);
    store
        .create_oidc_login("s3", &login(3), 1000, 1600)
        .await
        .unwrap();
    // A new login forgets the expired ones.
    store
        .create_oidc_login("s4", &login(4), 2000, 2600)
        .await
        .unwrap();
    assert_eq!(store.take_oidc_login("s3", 1500).await.unwrap(), None);
    assert_eq!(
        store.take_oidc_login("s4", 2100).await.unwrap(),
        Some(login(4))
    );
    // The same state twice is a storage error, not a silent overwrite.
    store
        .create_oidc_login("s5", &login(5), 3000, 3600)
        .await
        .unwrap();
    assert!(
        store
            .create_oidc_login("s5", &login(6), 3000, 3600)
            .await
            .is_err()
    );
    assert_eq!(
        store.take_oidc_login("s5", 3100).await.unwrap(),
        Some(login(5))
    );

    // An OIDC session keeps its id_token, which goes with the session.
    let sys = Actor::system("test");
    store
        .create_region(
            &sys,
            &Region {
                code: "76".into(),
                name: "Occitanie".into(),
            },
        )
        .await
        .unwrap();
    let user = store
        .create_user(
            &sys,
            &NewUser {
                email: "agent@ars.gouv.fr".into(),
                display_name: "Agent".into(),
                role: Role::Ars,
                region: Some("76".into()),
                entity: None,
                password_hash: "x".into(),
            },
        )
        .await
        .unwrap();
    store
        .create_oidc_session("h1", &user.id, "csrf", 10, 1000, "jeton.id.signé")
        .await
        .unwrap();
    store
        .create_session("h2", &user.id, "csrf", 10, 1000)
        .await
        .unwrap();
    let (found, _) = store.session("h1", 20).await.unwrap().unwrap();
    assert_eq!(found.id, user.id);
    assert_eq!(
        store.oidc_id_token("h1").await.unwrap().as_deref(),
        Some("jeton.id.signé")
    );
    assert_eq!(store.oidc_id_token("h2").await.unwrap(), None);
    store.delete_session("h1").await.unwrap();
    assert_eq!(store.oidc_id_token("h1").await.unwrap(), None);
    // Both or neither: an id_token for a session that already exists fails whole.
    assert!(
        store
            .create_oidc_session("h2", &user.id, "csrf", 10, 1000, "autre")
            .await
            .is_err()
    );
    assert_eq!(store.oidc_id_token("h2").await.unwrap(), None);
}

#[tokio::test]
async fn oidc_store_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    story(&db.store).await;
}

#[tokio::test]
async fn oidc_store_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    story(&db.store).await;
    db.cleanup().await.unwrap();
}
