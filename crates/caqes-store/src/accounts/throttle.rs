//! Login throttling: progressive delays per account and per client address.
//!
//! Before a password is checked, [`Store::reserve_login_attempt`] counts the
//! attempt for every subject (the account, the client address) in ONE write
//! transaction that also checks their delays: parallel requests are counted
//! one after the other, so at most a handful of them ever reach the password
//! hash. A successful login gives its attempt back
//! ([`Store::login_succeeded`]): the account's counter is cleared and the
//! address's decreased by one, so only failures slow anyone down.
//!
//! There is no lockout: after [`Delays::free`] counted failures, each further
//! attempt must wait 2^k seconds (k = failures beyond the free ones), capped
//! at [`Delays::max_seconds`]. A refused attempt (429) is not counted, so
//! someone hammering an account does not push the delay further; once the
//! delay has passed, the right password from any address logs in and clears
//! the account's counter.

use std::net::IpAddr;

use sqlx::Row;

use crate::accounts::normalize_email;
use crate::{Backend, Result, Store};

/// How counted failures of one subject delay its next attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delays {
    /// Failures allowed without any delay.
    pub free: i64,
    /// The longest delay, in seconds.
    pub max_seconds: i64,
}

impl Delays {
    /// Seconds to wait after the `failures`-th counted failure: none up to
    /// `free - 1`, then 1, 2, 4… up to `max_seconds`.
    pub fn wait_after(self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let k = failures - self.free;
        if k >= 62 {
            self.max_seconds
        } else {
            (1_i64 << k).min(self.max_seconds)
        }
    }
}

/// The delays of the platform (see `docs/platform.md`, « Sécurité »).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Per account: 5 free failures, then 1 s, 2 s, 4 s… up to 15 minutes.
    pub account: Delays,
    /// Per client address (all accounts together): 10 free failures, then up
    /// to 5 minutes. Several users behind one hospital proxy share it, so its
    /// cap is shorter than the account's.
    pub address: Delays,
    /// A subject without any attempt for this long starts again from zero
    /// (and its row is purged).
    pub quiet_seconds: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            account: Delays {
                free: 5,
                max_seconds: 15 * 60,
            },
            address: Delays {
                free: 10,
                max_seconds: 5 * 60,
            },
            quiet_seconds: 3600,
        }
    }
}

/// Whose attempts are counted: an account or a client address.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ThrottleKey {
    subject: String,
    is_address: bool,
}

impl ThrottleKey {
    /// The account of `email` (normalised as at login, whether it exists or not,
    /// so that an unknown address behaves exactly like a known one).
    pub fn account(email: &str) -> ThrottleKey {
        ThrottleKey {
            subject: format!("compte:{}", normalize_email(email)),
            is_address: false,
        }
    }

    /// A client address. An IPv6 client usually holds a whole /64, so the
    /// address counted is its /64 prefix.
    pub fn address(ip: IpAddr) -> ThrottleKey {
        let text = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        };
        ThrottleKey {
            subject: format!("adresse:{text}"),
            is_address: true,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.subject
    }

    fn delays(&self, policy: &ThrottlePolicy) -> Delays {
        if self.is_address {
            policy.address
        } else {
            policy.account
        }
    }
}

/// A refused attempt: how long to wait before the next one is checked
/// (whole seconds, rounded up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    pub seconds: i64,
}

/// Instants are counted in milliseconds, so that a delay of one second is one
/// second whatever the clock's second boundaries.
const MS: i64 = 1000;

impl Store {
    /// Counts one login attempt for every key, unless one of them must still
    /// wait: then nothing is counted and the longest wait is returned. The
    /// check and the count happen in one write transaction (rows locked on
    /// PostgreSQL, `BEGIN IMMEDIATE` on SQLite). `now_ms`: milliseconds since
    /// the epoch.
    pub async fn reserve_login_attempt(
        &self,
        keys: &[ThrottleKey],
        now_ms: i64,
        policy: &ThrottlePolicy,
    ) -> Result<Result<(), Wait>> {
        // Always lock in the same order, so that two transactions never wait
        // for each other's rows.
        let mut keys: Vec<&ThrottleKey> = keys.iter().collect();
        keys.sort();
        keys.dedup();
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let now = now_ms;
        let mut tx = self.begin_write().await?;
        let mut counts = Vec::with_capacity(keys.len());
        let mut wait = 0_i64;
        for key in &keys {
            // The row must exist to be locked on PostgreSQL; a concurrent
            // insert of the same key waits for this one's commit.
            sqlx::query(
                "INSERT INTO login_throttle (subject, failures, last_at, next_at) \
                 VALUES ($1, 0, $2, 0) ON CONFLICT (subject) DO NOTHING",
            )
            .bind(key.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query(&format!(
                "SELECT failures, last_at, next_at FROM login_throttle WHERE subject = $1{lock}"
            ))
            .bind(key.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let (failures, last_at, next_at) = match row {
                Some(r) => (
                    r.try_get::<i64, _>("failures")?,
                    r.try_get::<i64, _>("last_at")?,
                    r.try_get::<i64, _>("next_at")?,
                ),
                // Purged in between: a fresh subject.
                None => (0, now, 0),
            };
            let quiet = now - last_at >= policy.quiet_seconds * MS && next_at <= now;
            let failures = if quiet { 0 } else { failures };
            wait = wait.max(next_at - now);
            counts.push(failures);
        }
        if wait > 0 {
            tx.rollback().await?;
            return Ok(Err(Wait {
                seconds: (wait + MS - 1) / MS,
            }));
        }
        for (key, failures) in keys.iter().zip(counts) {
            let failures = failures + 1;
            let next_at = now + key.delays(policy).wait_after(failures) * MS;
            sqlx::query(
                "INSERT INTO login_throttle (subject, failures, last_at, next_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (subject) DO UPDATE SET failures = $2, last_at = $3, next_at = $4",
            )
            .bind(key.as_str().to_owned())
            .bind(failures)
            .bind(now)
            .bind(next_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// The password was right: the account starts again from zero and the
    /// attempt counted for the address is given back (its current delay stays).
    pub async fn login_succeeded(
        &self,
        account: &ThrottleKey,
        address: Option<&ThrottleKey>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_throttle WHERE subject = $1")
            .bind(account.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        if let Some(address) = address {
            sqlx::query(
                "UPDATE login_throttle SET failures = failures - 1 WHERE subject = $1 AND failures > 0",
            )
            .bind(address.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The counted failures of a subject (0 when it has no row).
    pub async fn login_failures(&self, key: &ThrottleKey) -> Result<i64> {
        let row = sqlx::query("SELECT failures FROM login_throttle WHERE subject = $1")
            .bind(key.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("failures")?,
            None => 0,
        })
    }

    /// Deletes the rows of subjects quiet for longer than the policy's quiet
    /// period and no longer delayed; the number of rows deleted.
    pub async fn purge_login_throttle(&self, now_ms: i64, policy: &ThrottlePolicy) -> Result<u64> {
        let done = sqlx::query("DELETE FROM login_throttle WHERE last_at <= $1 AND next_at <= $2")
            .bind(now_ms - policy.quiet_seconds * MS)
            .bind(now_ms)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_failures_up_to_the_cap() {
        let d = Delays {
            free: 5,
            max_seconds: 900,
        };
        let waits: Vec<i64> = (0..=16).map(|n| d.wait_after(n)).collect();
        assert_eq!(
            waits,
            [
                0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900
            ]
        );
        assert_eq!(d.wait_after(i64::MAX), 900);
    }

    #[test]
    fn keys_normalise_the_email_and_group_ipv6_by_64() {
        assert_eq!(
            ThrottleKey::account(" ARS@Demo.fr ").as_str(),
            "compte:ars@demo.fr"
        );
        let a = ThrottleKey::address("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = ThrottleKey::address("2001:db8:1:2:ffff::9".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "adresse:2001:db8:1:2::/64");
        assert_eq!(
            ThrottleKey::address("::ffff:192.0.2.7".parse().unwrap()).as_str(),
            "adresse:192.0.2.7"
        );
        assert_ne!(
            ThrottleKey::address("192.0.2.7".parse().unwrap()),
            ThrottleKey::address("192.0.2.8".parse().unwrap())
        );
    }
}
