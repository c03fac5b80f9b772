//! A web test on the store's [`Fixture`] rather than the whole demo region: the
//! region, the entities and the campaign a test asks for, served by the router
//! in-process, its users logging in with [`super::password`] of their role.

use std::collections::BTreeMap;

use axum::Router;
use caqes_core::Finess;
use caqes_store::testing::{Fixture, FixtureBuilder, POSTGRES_ENV, REGION, TestDb};
use caqes_store::{Actor, Campaign, NewCampaign, Role, Store, User};
use caqes_web::{AppState, Config, router};

use super::{Client, password};

pub struct FixtureApp {
    pub app: Router,
    pub db: TestDb,
    pub fixture: Fixture,
}

impl FixtureApp {
    /// `fixture` written to a fresh SQLite database.
    pub async fn sqlite(fixture: FixtureBuilder) -> FixtureApp {
        FixtureApp::new(TestDb::sqlite().await.unwrap(), fixture).await
    }

    /// `fixture` written to a fresh PostgreSQL database, or `None` when
    /// [`POSTGRES_ENV`] is unset.
    pub async fn postgres(fixture: FixtureBuilder) -> Option<FixtureApp> {
        let db = TestDb::postgres().await.unwrap()?;
        Some(FixtureApp::new(db, fixture).await)
    }

    /// `fixture` written to `db`, served with the default configuration.
    pub async fn new(db: TestDb, fixture: FixtureBuilder) -> FixtureApp {
        FixtureApp::with_config(db, fixture, Config::default()).await
    }

    /// `fixture` written to `db`, served with `config`; every user's password
    /// is [`password`] of its role (the fixture's own hash is not one a login
    /// accepts).
    pub async fn with_config(db: TestDb, fixture: FixtureBuilder, config: Config) -> FixtureApp {
        let fixture = fixture.build(&db.store).await.unwrap();
        let sys = Actor::system("test");
        // One hash per role, not per user: hashing is slow on purpose, and a
        // fixture may have hundreds of établissement users sharing a password.
        let mut hashes: BTreeMap<&str, String> = BTreeMap::new();
        for user in &fixture.users {
            let hash = hashes
                .entry(user.role.code())
                .or_insert_with(|| caqes_web::auth::hash_password(&password(user.role)).unwrap());
            db.store.set_password_hash(&sys, user, hash).await.unwrap();
        }
        let app = router::app(AppState {
            store: db.store.clone(),
            config,
        });
        FixtureApp { app, db, fixture }
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// The fixture's campaign (the test asked for one).
    pub fn campaign_id(&self) -> &caqes_store::CampaignId {
        &self.fixture.campaign.as_ref().unwrap().id
    }

    /// Another campaign of region 76, `year` on the grid `referentiel`, created
    /// by the ARS with the fixture campaign's deadlines (31 March, 30 June of
    /// the next year): each entity of the region gets its dossier in it.
    pub async fn add_campaign(&self, year: i16, referentiel: &str) -> Campaign {
        let new = NewCampaign {
            region: REGION,
            year,
            referentiel_id: referentiel.into(),
            title: format!("Campagne {year}"),
            submission_deadline: jiff::civil::date(year + 1, 3, 31),
            evaluation_deadline: jiff::civil::date(year + 1, 6, 30),
        };
        let ars = Actor::user(self.user(Role::Ars));
        self.store().create_campaign(&ars, &new).await.unwrap()
    }

    /// The dossier of `finess` in the fixture's campaign (it has one).
    pub async fn submission(&self, finess: &Finess) -> caqes_store::Submission {
        self.store()
            .submission(self.campaign_id(), finess)
            .await
            .unwrap()
            .unwrap()
    }

    /// The first legal entity of the region: the one whose établissement user
    /// [`FixtureApp::logged_in`] logs in.
    pub fn own_entity(&self) -> Finess {
        self.fixture.entities[0].entity.finess
    }

    /// The address of the dossier of `finess` in the fixture's campaign.
    pub fn dossier(&self, finess: impl std::fmt::Display) -> String {
        format!("/campagnes/{}/dossiers/{finess}", self.campaign_id())
    }

    pub fn client(&self) -> Client<'_> {
        Client::new(&self.app)
    }

    /// The fixture's user of `role` (for an établissement, the first entity's;
    /// the administrator when the fixture has one).
    pub fn user(&self, role: Role) -> &User {
        match role {
            Role::Admin => self.fixture.admin(),
            _ => self.fixture.user(role),
        }
        .unwrap_or_else(|| panic!("no {role:?} user in the fixture"))
    }

    /// The e-mail address of the fixture's user of `role`.
    pub fn email(&self, role: Role) -> String {
        self.user(role).email.clone()
    }

    /// The fixture's user of `role`, logged in.
    pub async fn logged_in(&self, role: Role) -> Client<'_> {
        self.login(self.user(role).email.as_str(), &password(role))
            .await
    }

    /// A client once `email` has logged in with `pass`.
    pub async fn login(&self, email: &str, pass: &str) -> Client<'_> {
        self.client().logged_in(email, pass).await
    }
}

/// Runs `story` on `fixture` on a fresh SQLite database, then drops the database.
pub async fn on_sqlite(fixture: FixtureBuilder, story: impl AsyncFnOnce(&FixtureApp)) {
    let t = FixtureApp::sqlite(fixture).await;
    story(&t).await;
    t.db.cleanup().await.unwrap();
}

/// Runs `story` on `fixture` on PostgreSQL, when [`POSTGRES_ENV`] gives its URL;
/// otherwise says so on stderr and runs nothing.
pub async fn on_postgres(fixture: FixtureBuilder, story: impl AsyncFnOnce(&FixtureApp)) {
    let Some(t) = FixtureApp::postgres(fixture).await else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    story(&t).await;
    t.db.cleanup().await.unwrap();
}
