//! Test scaffolding shared by the web test files: the demo region served by the
//! router in-process, and a browser-like client that keeps cookies and the CSRF token.
// Each test file is its own crate and uses a different part of this module.
#![allow(dead_code)]
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caqes_demo::{DemoRegion, seed};
use caqes_store::testing::{POSTGRES_ENV, TestDb};
use caqes_store::{Actor, NewUser, Region, Role, Store};
use caqes_web::{AppState, Config, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub mod contract_proposal;
pub mod fixture;
pub mod generation2;
pub mod targeting;
pub mod volet;

pub fn password(role: Role) -> String {
    format!("mot-de-passe-{}", role.code())
}

pub struct TestApp {
    pub app: Router,
    pub db: TestDb,
    pub demo: DemoRegion,
}

/// A browser-like client: keeps cookies, reads the CSRF token from the last page.
pub struct Client<'a> {
    pub app: &'a Router,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The HTML, with askama's `&#39;` turned back into `'` so assertions read French text.
    pub body: String,
    /// The bytes as received (a PDF).
    pub bytes: Vec<u8>,
}

impl TestApp {
    /// The demo region on a fresh SQLite database.
    pub async fn sqlite() -> TestApp {
        TestApp::new(TestDb::sqlite().await.unwrap()).await
    }

    pub async fn new(db: TestDb) -> TestApp {
        let demo = seed(&db.store, password).await.unwrap();
        let app = router::app(AppState {
            store: db.store.clone(),
            config: Config::default(),
        });
        TestApp { app, db, demo }
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub fn client(&self) -> Client<'_> {
        Client::new(&self.app)
    }

    pub async fn logged_in(&self, role: Role) -> Client<'_> {
        let email = self
            .demo
            .accounts
            .iter()
            .find(|a| a.role == role)
            .unwrap()
            .email
            .clone();
        self.login(&email, &password(role)).await
    }

    pub async fn login(&self, email: &str, pass: &str) -> Client<'_> {
        self.client().logged_in(email, pass).await
    }

    pub fn dossier(&self, finess: impl std::fmt::Display) -> String {
        format!("/campagnes/{}/dossiers/{finess}", self.demo.campaign_id)
    }
}

impl<'a> Client<'a> {
    /// A client without cookies on `app`.
    pub fn new(app: &'a Router) -> Client<'a> {
        Client {
            app,
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    /// This client once `email` has logged in with `pass`.
    pub async fn logged_in(mut self, email: &str, pass: &str) -> Client<'a> {
        self.get("/connexion").await;
        let p = self
            .post("/connexion", &[("email", email), ("password", pass)])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "login {email}: {}", p.body);
        assert_eq!(self.get("/").await.status, StatusCode::OK);
        self
    }

    pub async fn send(&mut self, req: Request<Body>) -> Page {
        let res = self.app.clone().oneshot(req).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let text = v.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).replace("&#39;", "'");
        if let Some(i) = body.find("name=\"_csrf\" value=\"") {
            let rest = &body[i + 20..];
            self.csrf = rest[..rest.find('"').unwrap()].to_owned();
        }
        Page {
            status,
            location,
            body,
            bytes: bytes.to_vec(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, uri: &str) -> Page {
        let req = Request::get(uri)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// A form POST carrying the current CSRF token.
    pub async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", "")];
        let csrf = self.csrf.clone();
        all[0].1 = &csrf;
        all.extend_from_slice(fields);
        self.post_raw(uri, &all).await
    }

    /// A form POST with exactly these fields (to forge requests).
    pub async fn post_raw(&mut self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = Request::post(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// A multipart POST (file upload): text fields first (the current CSRF
    /// token as `_csrf` unless `with_csrf` is false), then files as
    /// (field, file name, bytes).
    pub async fn post_multipart(
        &mut self,
        uri: &str,
        with_csrf: bool,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "----caqes-test-boundary-7d1f3a";
        let mut body: Vec<u8> = Vec::new();
        let csrf = self.csrf.clone();
        let mut all: Vec<(&str, &str)> = Vec::new();
        if with_csrf {
            all.push(("_csrf", &csrf));
        }
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::post(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

/// Both accounts of [`TestApp::other_region_accounts`], with their password.
pub const OTHER_REGION: [&str; 2] = ["ars@idf.test", "am@idf.test"];
pub const OTHER_PASSWORD: &str = "mot-de-passe-idf";

impl TestApp {
    /// Another region (11) with an ARS and an AM account ([`OTHER_REGION`]).
    pub async fn other_region_accounts(&self) {
        let sys = Actor::system("test");
        self.store()
            .create_region(
                &sys,
                &Region {
                    code: caqes_store::testing::OTHER_REGION,
                    name: "Île-de-France".into(),
                },
            )
            .await
            .unwrap();
        for (email, role) in OTHER_REGION
            .into_iter()
            .zip([Role::Ars, Role::AssuranceMaladie])
        {
            self.store()
                .create_user(
                    &sys,
                    &NewUser {
                        email: email.parse().unwrap(),
                        display_name: email.into(),
                        role,
                        region: Some(caqes_store::testing::OTHER_REGION),
                        entity: None,
                        password_hash: caqes_web::auth::hash_password(OTHER_PASSWORD).unwrap(),
                    },
                )
                .await
                .unwrap();
        }
    }

    /// The ARS of the other region, logged in.
    pub async fn other_region_ars(&self) -> Client<'_> {
        self.other_region_accounts().await;
        self.login(OTHER_REGION[0], OTHER_PASSWORD).await
    }
}

/// Runs `story` on the demo region on a fresh SQLite database.
pub async fn on_sqlite(story: impl AsyncFnOnce(&TestApp)) {
    let t = TestApp::sqlite().await;
    story(&t).await;
    t.db.cleanup().await.unwrap();
}

/// Runs `story` on the demo region on PostgreSQL, when [`POSTGRES_ENV`] gives
/// its URL.
pub async fn on_postgres(story: impl AsyncFnOnce(&TestApp)) {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    let t = TestApp::new(db).await;
    story(&t).await;
    t.db.cleanup().await.unwrap();
}

pub mod workbook;
