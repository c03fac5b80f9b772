//! Test databases: a temporary SQLite file always, PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` names a server (each test creates and drops its
//! own uniquely named database). Used by this crate's and the web crate's tests.

use crate::{Result, Store, new_id};

/// The environment variable naming a PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "CAQES_TEST_POSTGRES_URL";

/// A store on a throw-away database, dropped by [`TestDb::cleanup`].
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The directory holding the SQLite file is removed when dropped.
    Sqlite(#[allow(dead_code)] tempdir::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

mod tempdir {
    /// A directory removed on drop (kept tiny to avoid a dependency outside tests).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl TestDb {
    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite() -> Result<TestDb> {
        let dir = std::env::temp_dir().join(format!("caqes-test-{}", new_id()));
        std::fs::create_dir_all(&dir).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        let url = format!("sqlite://{}", dir.join("caqes.db").display());
        let store = Store::connect(&url).await?;
        Ok(TestDb {
            store,
            url,
            cleanup: Cleanup::Sqlite(tempdir::TempDir(dir)),
        })
    }

    /// A fresh PostgreSQL database, or `None` when [`POSTGRES_ENV`] is unset.
    pub async fn postgres() -> Result<Option<TestDb>> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            return Ok(None);
        };
        sqlx::any::install_default_drivers();
        let name = format!("caqes_test_{}", &new_id()[..16]);
        let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url).await?;
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        sqlx::Connection::close(admin).await?;
        let url = replace_database(&admin_url, &name);
        let store = Store::connect(&url).await?;
        Ok(Some(TestDb {
            store,
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        }))
    }

    /// Closes the pool and drops the PostgreSQL database (the SQLite directory goes with `self`).
    pub async fn cleanup(self) -> Result<()> {
        self.store.close().await;
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(admin_url).await?;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await?;
            sqlx::Connection::close(admin).await?;
        }
        Ok(())
    }
}

/// `postgres://user@host:5432/postgres?x=y` → same with the database `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

/// A valid FINESS built from an 8-digit body (the key digit is searched), so
/// that tests can number their establishments freely.
pub fn make_finess(body: u32) -> caqes_core::Finess {
    let body = format!("{body:08}");
    (0..10)
        .find_map(|k| caqes_core::Finess::parse(&format!("{body}{k}")).ok())
        // The Luhn key admits exactly one last digit for any body.
        .unwrap_or_else(|| unreachable!("aucune clé FINESS pour {body}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://h", "x"),
            "postgres://h/x"
        );
    }
}
