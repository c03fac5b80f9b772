//! Test scaffolding, used by this crate's and the web crate's tests:
//! - test databases: a temporary SQLite file always, PostgreSQL when
//!   `CAQES_TEST_POSTGRES_URL` names a server (each test creates and drops its
//!   own uniquely named database); [`on_sqlite`] and [`on_postgres`] run a
//!   story on each;
//! - a [`Fixture`]: what most stories start from (a region, one user per
//!   role, legal entities with valid FINESS, a campaign), built by
//!   [`FixtureBuilder`].

use caqes_core::RegionCode;
use jiff::civil::date;

use caqes_core::{Category, Euros, Finess};
use rust_decimal::Decimal;

use crate::{
    Action, Actor, Campaign, Email, LegalEntity, NewCampaign, NewEntity, NewUser, Region, Result,
    Role, ScoreRecord, Site, Store, StoreError, User, new_id,
};

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
    Postgres(PostgresGuard),
}

/// A throw-away PostgreSQL database, dropped by [`TestDb::cleanup`] or, when a
/// test panics before reaching it, by this guard's `Drop`: without it every
/// failing test leaked a database on the server.
struct PostgresGuard {
    admin_url: String,
    name: String,
    dropped: bool,
}

impl PostgresGuard {
    async fn drop_database(admin_url: &str, name: &str) -> Result<()> {
        let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(admin_url).await?;
        // FORCE ends the connections a panicking test left open.
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
        sqlx::Connection::close(admin).await?;
        Ok(())
    }
}

impl Drop for PostgresGuard {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // `Drop` cannot await, and the test's runtime may be unwinding: a thread
        // with its own small runtime does the work and is waited for.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(PostgresGuard::drop_database(&admin_url, &name))
                .map_err(|e| e.to_string())
        })
        .join();
        if !matches!(done, Ok(Ok(()))) {
            eprintln!(
                "base de test PostgreSQL {} non supprimée : {done:?}",
                self.name
            );
        }
    }
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
        std::fs::create_dir_all(&dir)
            .map_err(crate::unreadable("répertoire de la base de test"))?;
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
            cleanup: Cleanup::Postgres(PostgresGuard {
                admin_url,
                name,
                dropped: false,
            }),
        }))
    }

    /// Closes the pool and drops the PostgreSQL database (the SQLite directory goes with `self`).
    pub async fn cleanup(mut self) -> Result<()> {
        self.store.close().await;
        if let Cleanup::Postgres(guard) = &mut self.cleanup {
            PostgresGuard::drop_database(&guard.admin_url, &guard.name).await?;
            guard.dropped = true;
        }
        Ok(())
    }
}

/// Runs `story` on a fresh SQLite database, then drops the database.
pub async fn on_sqlite(story: impl AsyncFnOnce(&Store)) -> Result<()> {
    let db = TestDb::sqlite().await?;
    story(&db.store).await;
    db.cleanup().await
}

/// Runs `story` on a fresh PostgreSQL database, then drops it; when
/// [`POSTGRES_ENV`] is unset, says so on stderr and runs nothing (the
/// `environnement` test tells it to whoever runs `cargo test`).
pub async fn on_postgres(story: impl AsyncFnOnce(&Store)) -> Result<()> {
    let Some(db) = TestDb::postgres().await? else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return Ok(());
    };
    story(&db.store).await;
    db.cleanup().await
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

/// The region of every fixture: Occitanie.
pub const REGION: RegionCode = RegionCode::from_static("76");
/// The region [`FixtureBuilder::other_region`] adds, to check that scopes stop at its border.
pub const OTHER_REGION: RegionCode = RegionCode::from_static("11");
/// The built-in référentiel of the fixture's campaign.
pub const REFERENTIEL: &str = "occitanie-2018";

/// Legal entity number `n` (from 1), of category MCO public/ESPIC: FINESS
/// `31 000 000 + n` named « Entité n », with `sites` sites numbered
/// `31 500 000 + 10 n + k` named « Site n-k ». Numbers stay distinct for n < 50 000
/// and up to 10 sites each.
pub fn numbered_entity(n: u32, region: &RegionCode, sites: u32) -> NewEntity {
    let finess = make_finess(31_000_000 + n);
    NewEntity {
        entity: LegalEntity {
            finess,
            region: *region,
            name: format!("Entité {n}"),
            category: Category::McoPublicEspic,
        },
        sites: (0..sites)
            .map(|k| Site {
                finess: make_finess(31_500_000 + n * 10 + k),
                entity: finess,
                name: format!("Site {n}-{k}"),
            })
            .collect(),
    }
}

/// What a store story starts from, built by [`Fixture::builder`]:
/// - region [`REGION`] (and [`OTHER_REGION`] when asked);
/// - unless [`FixtureBuilder::without_users`]: in region 76 one ARS
///   (`ars@t.fr`), one Assurance Maladie (`am@t.fr`) and one OMEDIT
///   (`omedit@t.fr`) user, one établissement user per legal entity of region 76
///   (`etab1@t.fr`, `etab2@t.fr`… in the entities' order), and an ARS of the
///   other region (`ars-autre@t.fr`) when there is one; no administrator
///   unless [`FixtureBuilder::admin`] (`admin@t.fr`, see [`Fixture::admin`]);
/// - the legal entities asked for, numbered from 1 by [`numbered_entity`]
///   (region 76 first, then the other region);
/// - a campaign of region 76 on the built-in référentiel when asked, created by
///   the ARS (or the system without users), so that each entity of region 76 has
///   its draft dossier.
///
/// Every user has the display name of its email and the password hash `x`.
#[derive(Debug)]
pub struct Fixture {
    /// The store the fixture was written to (a clone of the handle).
    pub store: Store,
    /// The legal entities of region 76 with their sites, in the order asked.
    pub entities: Vec<NewEntity>,
    /// The legal entities of the other region, in the order asked.
    pub elsewhere: Vec<NewEntity>,
    /// Every user created, in creation order; see [`Fixture::user`].
    pub users: Vec<User>,
    pub campaign: Option<Campaign>,
}

/// The options of a [`Fixture`]; [`FixtureBuilder::build`] writes it to a store.
#[derive(Debug)]
pub struct FixtureBuilder {
    /// (name, number of sites); `None` keeps the name « Entité n ».
    entities: Vec<(Option<String>, u32)>,
    elsewhere: Vec<(Option<String>, u32)>,
    other_region: bool,
    users: bool,
    admin: bool,
    campaign: Option<i16>,
    am_revenue: Option<Euros>,
    evaluated: Option<Decimal>,
    /// The campaign's deadlines when [`FixtureBuilder::running`] moved them.
    running: Option<(jiff::civil::Date, jiff::civil::Date)>,
}

impl Fixture {
    /// Region 76 and its users, nothing else until options are added.
    pub fn builder() -> FixtureBuilder {
        FixtureBuilder {
            entities: Vec::new(),
            elsewhere: Vec::new(),
            other_region: false,
            users: true,
            admin: false,
            campaign: None,
            am_revenue: None,
            evaluated: None,
            running: None,
        }
    }

    /// The user of `role` in region 76 (for [`Role::Etablissement`], the one of
    /// the first entity).
    pub fn user(&self, role: Role) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.role == role && u.region == Some(REGION))
    }

    /// The ARS user of the other region.
    pub fn ars_other(&self) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.role == Role::Ars && u.region == Some(OTHER_REGION))
    }

    /// The administrator, when [`FixtureBuilder::admin`] asked for one
    /// ([`Fixture::user`] looks in region 76 only, and an administrator has no region).
    pub fn admin(&self) -> Option<&User> {
        self.users.iter().find(|u| u.role == Role::Admin)
    }

    /// The établissement user of legal entity `finess`.
    pub fn etab(&self, finess: Finess) -> Option<&User> {
        self.users.iter().find(|u| u.entity == Some(finess))
    }

    /// The FINESS of the `N` legal entities of region 76, to name them at once:
    /// `let [a, b] = fixture.finess().unwrap();` (`None` if there are not `N`).
    pub fn finess<const N: usize>(&self) -> Option<[Finess; N]> {
        let all: Vec<Finess> = self.entities.iter().map(|e| e.entity.finess).collect();
        all.try_into().ok()
    }
}

impl FixtureBuilder {
    /// A legal entity of region 76 named `name`, with one site.
    pub fn entity(self, name: &str) -> Self {
        self.entity_with_sites(name, 1)
    }

    /// A legal entity of region 76 named `name`, with `sites` sites.
    pub fn entity_with_sites(mut self, name: &str, sites: u32) -> Self {
        self.entities.push((Some(name.to_owned()), sites));
        self
    }

    /// `n` legal entities of region 76 named « Entité n », with one site each.
    pub fn entities(mut self, n: usize) -> Self {
        self.entities.extend(std::iter::repeat_n((None, 1), n));
        self
    }

    /// Region [`OTHER_REGION`] (Île-de-France) and, with users, its ARS.
    pub fn other_region(mut self) -> Self {
        self.other_region = true;
        self
    }

    /// A legal entity of the other region named `name`, with one site (adds the region).
    pub fn entity_elsewhere(mut self, name: &str) -> Self {
        self.elsewhere.push((Some(name.to_owned()), 1));
        self.other_region()
    }

    /// An administrator too (`admin@t.fr`, no region), created last, even
    /// [`FixtureBuilder::without_users`]; for the pages of accounts and settings.
    pub fn admin(mut self) -> Self {
        self.admin = true;
        self
    }

    /// No user at all, for stories about the accounts themselves.
    pub fn without_users(mut self) -> Self {
        self.users = false;
        self
    }

    /// The campaign `year` of region 76 on [`REFERENTIEL`], titled « Campagne
    /// year », with the deadlines 31 March and 30 June of the next year.
    pub fn campaign(mut self, year: i16) -> Self {
        self.campaign = Some(year);
        self
    }

    /// Writes the fixture to `store`, with the system as actor except for the
    /// campaign, created by the ARS.
    pub async fn build(self, store: &Store) -> Result<Fixture> {
        let sys = Actor::system("test");
        let mut regions = vec![(REGION, "Occitanie")];
        if self.other_region {
            regions.push((OTHER_REGION, "Île-de-France"));
        }
        for (code, name) in regions {
            let region = Region {
                code,
                name: name.into(),
            };
            store.create_region(&sys, &region).await?;
        }

        // One numbering for both regions, so that FINESS never collide.
        let mut n = 0;
        let mut number = |asked: Vec<(Option<String>, u32)>, region: &RegionCode| {
            asked
                .into_iter()
                .map(|(name, sites)| {
                    n += 1;
                    let mut new = numbered_entity(n, region, sites);
                    if let Some(name) = name {
                        new.entity.name = name;
                    }
                    new
                })
                .collect::<Vec<_>>()
        };
        let entities = number(self.entities, &REGION);
        let elsewhere = number(self.elsewhere, &OTHER_REGION);
        for batch in [&entities, &elsewhere] {
            if !batch.is_empty() {
                store.import_entities(&sys, batch).await?;
            }
        }

        let mut users = Vec::new();
        if self.users {
            let mut wanted = vec![
                (Role::Ars, "ars@t.fr".to_owned(), REGION, None),
                (Role::AssuranceMaladie, "am@t.fr".into(), REGION, None),
                (Role::Omedit, "omedit@t.fr".into(), REGION, None),
            ];
            for (n, e) in (1..).zip(&entities) {
                let email = format!("etab{n}@t.fr");
                wanted.push((Role::Etablissement, email, REGION, Some(e.entity.finess)));
            }
            if self.other_region {
                wanted.push((Role::Ars, "ars-autre@t.fr".into(), OTHER_REGION, None));
            }
            for (role, email, region, entity) in wanted {
                let new = NewUser {
                    email: Email::parse(&email).map_err(crate::unreadable("adresse de test"))?,
                    display_name: email,
                    role,
                    region: Some(region),
                    entity,
                    password_hash: "x".into(),
                };
                users.push(store.create_user(&sys, &new).await?);
            }
        }

        if self.admin {
            let new = NewUser {
                email: Email::parse("admin@t.fr").map_err(crate::unreadable("adresse de test"))?,
                display_name: "admin@t.fr".into(),
                role: Role::Admin,
                region: None,
                entity: None,
                password_hash: "x".into(),
            };
            users.push(store.create_user(&sys, &new).await?);
        }

        let mut fixture = Fixture {
            store: store.clone(),
            entities,
            elsewhere,
            users,
            campaign: None,
        };
        if let Some(year) = self.campaign {
            let actor = fixture.user(Role::Ars).map_or(sys, Actor::user);
            let new = NewCampaign {
                region: REGION,
                year,
                referentiel_id: REFERENTIEL.into(),
                title: format!("Campagne {year}"),
                submission_deadline: self.running.map_or(date(year + 1, 3, 31), |d| d.0),
                evaluation_deadline: self.running.map_or(date(year + 1, 6, 30), |d| d.1),
            };
            fixture.campaign = Some(store.create_campaign(&actor, &new).await?);
        }
        FixtureBuilder::write_am_and_evaluations(&fixture, self.am_revenue, self.evaluated).await?;
        Ok(fixture)
    }

    /// The AM revenue `euros` for every legal entity of region 76, as the
    /// Assurance Maladie's figures give it (the basis of a sanction's ceiling).
    pub fn am_revenue(mut self, euros: Euros) -> Self {
        self.am_revenue = Some(euros);
        self
    }

    /// Every dossier of the campaign submitted by its établissement, then taken
    /// in review, validated and evaluated by the ARS with the score `score`
    /// (given, not computed: no value is typed), for the stories that start
    /// after an evaluation (decision, sanction basis). Needs the users.
    pub fn evaluated(mut self, score: Decimal) -> Self {
        self.evaluated = Some(score);
        self
    }

    /// The campaign's deadlines 30 and 90 days from today rather than in the
    /// next year: a campaign still running, none of its drafts late (as the
    /// demo's current campaign).
    pub fn running(mut self) -> Self {
        let today = crate::today();
        let in_days = |n: i64| today.saturating_add(jiff::Span::new().days(n));
        self.running = Some((in_days(30), in_days(90)));
        self
    }

    /// Writes what [`FixtureBuilder::am_revenue`] and
    /// [`FixtureBuilder::evaluated`] asked for, once the entities, users and
    /// campaign are written.
    async fn write_am_and_evaluations(
        fixture: &Fixture,
        am_revenue: Option<Euros>,
        evaluated: Option<Decimal>,
    ) -> Result<()> {
        let store = &fixture.store;
        if let Some(euros) = am_revenue {
            let sys = Actor::system("test");
            for e in &fixture.entities {
                store.set_am_revenue(&sys, &e.entity, euros).await?;
            }
        }
        let (Some(score), Some(campaign)) = (evaluated, &fixture.campaign) else {
            return Ok(());
        };
        let missing = |who: &str| StoreError::Corrupt(format!("fixture sans {who}"));
        let ars = fixture.user(Role::Ars).ok_or_else(|| missing("ARS"))?;
        for e in &fixture.entities {
            let finess = e.entity.finess;
            let etab = fixture
                .etab(finess)
                .ok_or_else(|| missing("établissement"))?;
            for action in [
                Action::Soumettre,
                Action::PrendreEnRevue,
                Action::Valider,
                Action::Evaluer,
            ] {
                let sub = store
                    .submission(&campaign.id, &finess)
                    .await?
                    .ok_or(StoreError::NotFound("dossier"))?;
                let who = if action.role() == Role::Etablissement {
                    etab
                } else {
                    ars
                };
                let record = (action == Action::Evaluer).then_some(ScoreRecord {
                    score,
                    bonus: Decimal::ZERO,
                    total: score,
                });
                store
                    .apply_action(who, &sub, &REGION, action, None, record)
                    .await?;
            }
        }
        Ok(())
    }
}

/// A value for the store's tests whose indicator codes belong to no grid (`A1`): typed
/// without a grid, as the shapes the parser gives (numerator and denominator as a ratio,
/// a number as a ratio's value, `OUI`/`NON`/`EN_COURS`, `NC`/`NM`); the evaluation reads
/// it again in its indicator's kind (`caqes_core::multisite::read_unit_entry`). Empty
/// texts count as absent; nothing at all is a deletion. Values for a real grid are
/// parsed with it: [`crate::StoredValue::parsed_in`].
pub fn value(
    site: Finess,
    year: i16,
    code: &str,
    numerator: &str,
    denominator: &str,
    value: &str,
) -> crate::StoredValue {
    use caqes_core::Rate;
    use caqes_core::referentiel::Applicability;
    use caqes_core::value::{Entry, Value, parse_decimal};
    let text = crate::StoredValue::typed_text(
        site,
        year,
        code,
        Some(numerator),
        Some(denominator),
        Some(value),
    );
    let number = |t: &Option<String>| t.as_deref().and_then(parse_decimal);
    let entry = match (
        number(&text.numerator),
        number(&text.denominator),
        text.declared.as_deref().or(text.value.as_deref()),
    ) {
        (Some(n), Some(d), None) => Rate::new(n, d).ok().map(|r| Entry::Value(Value::Ratio(r))),
        (None, None, Some("NC")) => Some(Entry::Declared(Applicability::Nc)),
        (None, None, Some("NM")) => Some(Entry::Declared(Applicability::Nm)),
        (None, None, Some("OUI")) => Some(Entry::Value(Value::Yes)),
        (None, None, Some("NON")) => Some(Entry::Value(Value::No)),
        (None, None, Some("EN_COURS")) => Some(Entry::Value(Value::InProgress)),
        (None, None, Some(v)) => parse_decimal(v).map(|p| Entry::Value(Value::RatioValue(p))),
        _ => None,
    };
    crate::StoredValue {
        typed: entry.map_or(crate::Typed::Nothing, crate::Typed::Entry),
        ..text
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbered_entities_and_their_sites_never_share_a_finess() {
        let mut seen = std::collections::BTreeSet::new();
        for n in 1..=200 {
            let e = super::numbered_entity(n, &super::REGION, 10);
            assert_eq!(e.entity.name, format!("Entité {n}"));
            for f in std::iter::once(e.entity.finess).chain(e.sites.iter().map(|s| s.finess)) {
                assert!(seen.insert(f), "{f} deux fois");
            }
        }
    }

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
