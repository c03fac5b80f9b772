//! Login throttling under concurrency: the check and the count of an attempt
//! are one transaction, so parallel attempts cannot all pass. Run on SQLite,
//! and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::Store;
use caqes_store::accounts::throttle::{ThrottleKey, ThrottlePolicy, Wait};
use caqes_store::testing::{on_postgres, on_sqlite};

/// An instant in milliseconds, and one second.
const NOW: i64 = 1_000_000_000;
const S: i64 = 1000;

/// 40 attempts at the same instant on one account: exactly the 5 free ones
/// are let through, the 35 others are told to wait 1 s and are not counted.
async fn parallel_attempts_are_counted_one_by_one(store: &Store) {
    let policy = ThrottlePolicy::default();
    let account = ThrottleKey::account("cible@exemple.fr");
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            let keys = vec![
                account.clone(),
                // Forty different addresses: only the account limits them.
                ThrottleKey::address(format!("198.51.100.{i}").parse().unwrap()),
            ];
            tokio::spawn(async move {
                store
                    .reserve_login_attempt(&keys, NOW, &policy)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut allowed = 0;
    let mut waits = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => allowed += 1,
            Err(Wait { seconds }) => waits.push(seconds),
        }
    }
    assert_eq!(allowed, 5);
    assert_eq!(waits.len(), 35);
    assert!(waits.iter().all(|w| *w == 1), "{waits:?}");
    assert_eq!(store.login_failures(&account).await.unwrap(), 5);

    // One second later one more attempt is checked, then 2 s, then 4 s.
    let fresh = |n: u8| ThrottleKey::address(format!("203.0.113.{n}").parse().unwrap());
    let try_at = |t: i64, n: u8| {
        let keys = vec![account.clone(), fresh(n)];
        let store = store.clone();
        async move {
            store
                .reserve_login_attempt(&keys, t, &policy)
                .await
                .unwrap()
        }
    };
    assert_eq!(try_at(NOW + S, 1).await, Ok(()));
    assert_eq!(try_at(NOW + S, 2).await, Err(Wait { seconds: 2 }));
    assert_eq!(try_at(NOW + 2 * S, 3).await, Err(Wait { seconds: 1 }));
    assert_eq!(try_at(NOW + 3 * S, 4).await, Ok(()));
    assert_eq!(try_at(NOW + 3 * S, 5).await, Err(Wait { seconds: 4 }));
    assert_eq!(store.login_failures(&account).await.unwrap(), 7);

    // After the delay, the right password from a fresh address: the account
    // starts again from zero.
    assert_eq!(try_at(NOW + 7 * S, 6).await, Ok(()));
    store
        .login_succeeded(&account, Some(&fresh(6)))
        .await
        .unwrap();
    assert_eq!(store.login_failures(&account).await.unwrap(), 0);
    assert_eq!(store.login_failures(&fresh(6)).await.unwrap(), 0);
    assert_eq!(try_at(NOW + 7 * S, 7).await, Ok(()));
}

/// 30 accounts tried from one address: its 10 free attempts, then delays.
async fn one_address_trying_many_accounts_is_slowed_down(store: &Store) {
    let policy = ThrottlePolicy::default();
    let address = ThrottleKey::address("192.0.2.50".parse().unwrap());
    let mut allowed = 0;
    for n in 0..30 {
        let keys = [
            ThrottleKey::account(&format!("compte{n}@exemple.fr")),
            address.clone(),
        ];
        if store
            .reserve_login_attempt(&keys, NOW, &policy)
            .await
            .unwrap()
            .is_ok()
        {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 10);
    // The accounts themselves were not touched by the refused attempts.
    assert_eq!(
        store
            .login_failures(&ThrottleKey::account("compte29@exemple.fr"))
            .await
            .unwrap(),
        0
    );
    // The address's delay is capped at 5 minutes, however long it goes on.
    let mut t = NOW;
    let mut last_wait = 0;
    for n in 0..20 {
        let keys = [
            ThrottleKey::account(&format!("autre{n}@exemple.fr")),
            address.clone(),
        ];
        match store
            .reserve_login_attempt(&keys, t, &policy)
            .await
            .unwrap()
        {
            Ok(()) => {}
            Err(Wait { seconds }) => {
                last_wait = seconds;
                t += seconds * S;
            }
        }
    }
    assert_eq!(last_wait, 300);
    // An hour of quiet (no attempt, delay over): a fresh start.
    let later = t + (3600 + 300) * S;
    assert!(store.purge_login_throttle(later, &policy).await.unwrap() >= 1);
    assert_eq!(store.login_failures(&address).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_attempts_on_sqlite() {
    on_sqlite(parallel_attempts_are_counted_one_by_one)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_attempts_on_postgres() {
    on_postgres(parallel_attempts_are_counted_one_by_one)
        .await
        .unwrap();
}

#[tokio::test]
async fn address_limit_on_sqlite() {
    on_sqlite(one_address_trying_many_accounts_is_slowed_down)
        .await
        .unwrap();
}

#[tokio::test]
async fn address_limit_on_postgres() {
    on_postgres(one_address_trying_many_accounts_is_slowed_down)
        .await
        .unwrap();
}
