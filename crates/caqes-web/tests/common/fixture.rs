//! A web test on the store's [`Fixture`] rather than the whole demo region: the
//! region, the entities and the campaign a test asks for, served by the router
//! in-process, its users logging in with [`super::password`] of their role.

use axum::Router;
use caqes_store::testing::{Fixture, FixtureBuilder, TestDb};
use caqes_store::{Actor, Role, Store};
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
        for user in &fixture.users {
            let hash = caqes_web::auth::hash_password(&password(user.role)).unwrap();
            db.store.set_password_hash(&sys, user, &hash).await.unwrap();
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

    pub fn client(&self) -> Client<'_> {
        Client::new(&self.app)
    }

    /// The e-mail address of the fixture's user of `role`.
    pub fn email(&self, role: Role) -> String {
        self.fixture.user(role).unwrap().email.clone()
    }

    /// The fixture's user of `role` (for an établissement, the first entity's), logged in.
    pub async fn logged_in(&self, role: Role) -> Client<'_> {
        let user = self.fixture.user(role).unwrap();
        self.client()
            .logged_in(user.email.as_str(), &password(role))
            .await
    }
}
