//! OIDC logins under way and OIDC sessions, on SQLite always and on
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::accounts::oidc::PendingOidcLogin;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{Role, Store};

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
    let fx = Fixture::builder().build(store).await.unwrap();
    let user = fx.user(Role::Ars).unwrap();
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
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn oidc_store_on_postgres() {
    on_postgres(story).await.unwrap();
}
