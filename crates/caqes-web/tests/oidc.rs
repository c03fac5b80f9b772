//! OIDC (ProConnect) login against an in-process fake provider on
//! 127.0.0.1:0 (discovery, JWKS, token, userinfo as a signed JWT), with the
//! store's test fixture served in-process. Every refused answer must be a French page
//! and leave no session. Runs on SQLite, and on PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]
#![expect(
    clippy::disallowed_types,
    reason = "the fake identity provider is not the application: axum's own Form is fine there"
)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder, POSTGRES_ENV, TestDb};
use caqes_web::Config;
use caqes_web::auth::oidc::{DEFAULT_SCOPES, OidcConfig, OidcSettings, Secret};
use common::fixture::FixtureApp;
use common::{Client, Page};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const CLIENT_ID: &str = "caqes-test";
const CLIENT_SECRET: &str = "secret-de-test-jamais-affiche";
const SUBJECT: &str = "agent-42";

/// The provider's signing key, and another one for forged signatures
/// (generated once per test binary: no key committed).
static PROVIDER_KEY: LazyLock<RsaPrivateKey> =
    LazyLock::new(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap());
static FORGER_KEY: LazyLock<RsaPrivateKey> =
    LazyLock::new(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap());

/// What the next tokens will look like (each test changes one thing).
#[derive(Clone)]
struct Knobs {
    email: String,
    email_verified: Option<bool>,
    iss: Option<String>,
    aud: Value,
    exp_offset: i64,
    nonce: Option<String>,
    forged: bool,
    kid: String,
    userinfo_json: bool,
}

impl Knobs {
    fn for_email(email: &str) -> Knobs {
        Knobs {
            email: email.to_owned(),
            email_verified: None,
            iss: None,
            aud: json!(CLIENT_ID),
            exp_offset: 0,
            nonce: None,
            forged: false,
            kid: "k1".into(),
            userinfo_json: false,
        }
    }
}

struct Grant {
    nonce: String,
    challenge: String,
}

#[derive(Default)]
struct FakeState {
    issuer: String,
    knobs: Option<Knobs>,
    grants: HashMap<String, Grant>,
    access_tokens: HashMap<String, Knobs>,
    issued_id_tokens: Vec<String>,
    jwks_reads: usize,
}

type Fake = Arc<Mutex<FakeState>>;

fn sign(claims: &Value, key: &RsaPrivateKey, kid: &str) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn discovery(State(fake): State<Fake>) -> Json<Value> {
    let iss = fake.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/session/end"),
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(State(fake): State<Fake>) -> Json<Value> {
    fake.lock().unwrap().jwks_reads += 1;
    let public = RsaPublicKey::from(&*PROVIDER_KEY);
    Json(json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]}))
}

async fn token(State(fake): State<Fake>, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut f = fake.lock().unwrap();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    // A code serves once, and only with the PKCE verifier of its challenge.
    let Some(grant) = f.grants.remove(field("code")) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if challenge != grant.challenge || field("grant_type") != "authorization_code" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let knobs = f.knobs.clone().unwrap();
    let t = now();
    let claims = json!({
        "iss": knobs.iss.clone().unwrap_or(f.issuer.clone()),
        "sub": SUBJECT,
        "aud": knobs.aud,
        "exp": t + 60 + knobs.exp_offset,
        "iat": t + knobs.exp_offset,
        "nonce": knobs.nonce.clone().unwrap_or(grant.nonce),
        "acr": "eidas1",
    });
    let key = if knobs.forged {
        &*FORGER_KEY
    } else {
        &*PROVIDER_KEY
    };
    let id_token = sign(&claims, key, &knobs.kid);
    let access_token = format!("at-{}", f.access_tokens.len());
    f.access_tokens.insert(access_token.clone(), knobs);
    f.issued_id_tokens.push(id_token.clone());
    Json(json!({
        "access_token": access_token, "token_type": "Bearer", "expires_in": 60, "id_token": id_token,
    }))
    .into_response()
}

async fn userinfo(State(fake): State<Fake>, headers: HeaderMap) -> Response {
    let f = fake.lock().unwrap();
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let Some(knobs) = f.access_tokens.get(bearer) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut claims = json!({
        "iss": f.issuer, "aud": CLIENT_ID, "sub": SUBJECT, "email": knobs.email,
        "given_name": "Camille", "usual_name": "Agent", "uid": "42", "siret": "13002526500013",
    });
    if let Some(v) = knobs.email_verified {
        claims["email_verified"] = json!(v);
    }
    if knobs.userinfo_json {
        return Json(claims).into_response();
    }
    (
        [(CONTENT_TYPE, "application/jwt; charset=utf-8")],
        sign(&claims, &PROVIDER_KEY, "k1"),
    )
        .into_response()
}

/// Starts the fake provider on 127.0.0.1:0; returns its issuer and state.
async fn spawn_provider() -> (String, Fake) {
    let fake: Fake = Arc::default();
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/api/v2", listener.local_addr().unwrap());
    // The provider answers under /api/v2 like ProConnect.
    let app = Router::new().nest("/api/v2", app);
    fake.lock().unwrap().issuer = issuer.clone();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (issuer, fake)
}

/// The region, its users and one establishment: the logins' accounts.
fn fixture() -> FixtureBuilder {
    Fixture::builder().entity("Alpha")
}

struct Env {
    t: FixtureApp,
    fake: Fake,
    issuer: String,
}

async fn env(db: TestDb) -> Env {
    let (issuer, fake) = spawn_provider().await;
    let oidc = OidcConfig::new(OidcSettings {
        issuer: issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        redirect_url: "http://127.0.0.1:8080/connexion/oidc/retour".into(),
        post_logout_redirect_url: None,
        scopes: DEFAULT_SCOPES.into(),
        acr_values: Some("eidas1".into()),
        button_label: String::new(),
    })
    .unwrap();
    let config = Config {
        oidc: Some(oidc),
        ..Config::default()
    };
    Env {
        t: FixtureApp::with_config(db, fixture(), config).await,
        fake,
        issuer,
    }
}

impl Env {
    fn email(&self, role: Role) -> String {
        self.t.email(role)
    }

    /// Sends the browser to the provider, and plays the provider: the user
    /// authenticates and the provider issues a code for this login's nonce
    /// and PKCE challenge. Returns the callback URL.
    async fn authenticate(&self, c: &mut Client<'_>, knobs: Knobs) -> String {
        assert_eq!(c.get("/connexion").await.status, StatusCode::OK);
        let p = c.get("/connexion/oidc").await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let location = p.location.unwrap();
        let authorize = format!("{}/authorize?", self.issuer);
        assert!(location.starts_with(&authorize), "{location}");
        let params: HashMap<String, String> =
            serde_urlencoded::from_str(&location[authorize.len()..]).unwrap();
        assert_eq!(params["response_type"], "code");
        assert_eq!(params["client_id"], CLIENT_ID);
        assert_eq!(params["scope"], DEFAULT_SCOPES);
        assert_eq!(params["acr_values"], "eidas1");
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(
            params["redirect_uri"],
            "http://127.0.0.1:8080/connexion/oidc/retour"
        );
        assert!(params["state"].len() >= 32 && params["nonce"].len() >= 32);
        let code = format!("code-{}", params["state"]);
        let mut f = self.fake.lock().unwrap();
        f.knobs = Some(knobs);
        f.grants.insert(
            code.clone(),
            Grant {
                nonce: params["nonce"].clone(),
                challenge: params["code_challenge"].clone(),
            },
        );
        format!(
            "/connexion/oidc/retour?code={code}&state={}",
            params["state"]
        )
    }
}

/// A refusal: a French page, no session cookie, the home page still closed.
async fn assert_refused(c: &mut Client<'_>, p: &Page, status: StatusCode, text: &str) {
    assert_eq!(p.status, status, "{}", p.body);
    assert!(p.body.contains(text), "« {text} » absent : {}", p.body);
    assert!(p.body.contains("lang=\"fr\""), "{}", p.body);
    assert!(!p.body.contains("eyJ"), "jeton affiché : {}", p.body);
    assert!(!c.cookies.contains_key("caqes_session"));
    let home = c.get("/").await;
    assert_eq!(home.location.as_deref(), Some("/connexion"));
}

const UNVERIFIED: &str = "n'a pas pu être vérifiée";

async fn story(e: &Env) {
    let t = &e.t;
    let ars = e.email(Role::Ars);

    // The login page shows the ProConnect button beside the local form.
    let mut c = t.client();
    let page = c.get("/connexion").await;
    assert!(
        page.body.contains("fr-connect fr-connect--pro"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Qu’est-ce que ProConnect ?"));
    assert!(page.body.contains("id=\"password\""));

    // The pages allow their forms to end at the provider (CSP form-action).
    let res = t
        .app
        .clone()
        .oneshot(Request::get("/connexion").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let csp = res.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    let origin = e.issuer.trim_end_matches("/api/v2");
    assert!(
        csp.contains(&format!("form-action 'self' {origin};")),
        "{csp}"
    );

    // Full round trip: a session for the existing account, then logout at the provider.
    let callback = e
        .authenticate(&mut c, Knobs::for_email(&ars.to_uppercase()))
        .await;
    let p = c.get(&callback).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/"));
    assert!(c.cookies.contains_key("caqes_session"));
    let home = c.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    // The callback cannot be replayed, even from the same browser.
    let mut replay = t.client();
    replay
        .cookies
        .insert("caqes_csrf".into(), c.cookies["caqes_csrf"].clone());
    let p = replay.get(&callback).await;
    assert_refused(&mut replay, &p, StatusCode::BAD_REQUEST, "déjà servi").await;
    // Logout without the CSRF token is refused; with it, it ends at the provider.
    let p = c.post_raw("/deconnexion", &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = c.post("/deconnexion", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let location = p.location.unwrap();
    let end = format!("{}/session/end?", e.issuer);
    assert!(location.starts_with(&end), "{location}");
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(&location[end.len()..]).unwrap();
    let issued = e.fake.lock().unwrap().issued_id_tokens[0].clone();
    assert_eq!(params["id_token_hint"], issued);
    assert!(params["state"].len() >= 32);
    assert_eq!(
        params["post_logout_redirect_uri"],
        "http://127.0.0.1:8080/connexion"
    );
    assert_eq!(c.get("/").await.location.as_deref(), Some("/connexion"));

    // A local session logs out locally only.
    let mut local = t.logged_in(Role::Ars).await;
    let p = local.post("/deconnexion", &[]).await;
    assert_eq!(p.location.as_deref(), Some("/connexion"));

    // Every bad token is refused.
    let cases: Vec<(&str, Knobs)> = vec![
        (
            "nonce",
            Knobs {
                nonce: Some("x".repeat(64)),
                ..Knobs::for_email(&ars)
            },
        ),
        (
            "émetteur",
            Knobs {
                iss: Some("https://autre.example".into()),
                ..Knobs::for_email(&ars)
            },
        ),
        (
            "audience",
            Knobs {
                aud: json!("autre-client"),
                ..Knobs::for_email(&ars)
            },
        ),
        (
            "plusieurs audiences sans azp",
            Knobs {
                aud: json!([CLIENT_ID, "autre-client"]),
                ..Knobs::for_email(&ars)
            },
        ),
        (
            "expiré",
            Knobs {
                exp_offset: -3600,
                ..Knobs::for_email(&ars)
            },
        ),
        (
            "signature",
            Knobs {
                forged: true,
                ..Knobs::for_email(&ars)
            },
        ),
        (
            "clé inconnue",
            Knobs {
                forged: true,
                kid: "k2".into(),
                ..Knobs::for_email(&ars)
            },
        ),
    ];
    for (what, knobs) in cases {
        let mut c = t.client();
        let callback = e.authenticate(&mut c, knobs).await;
        let p = c.get(&callback).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "{what}: {}", p.body);
        assert_refused(&mut c, &p, StatusCode::UNAUTHORIZED, UNVERIFIED).await;
    }
    // The unknown kid made the JWKS be read again (key rotation), once.
    assert_eq!(e.fake.lock().unwrap().jwks_reads, 2);

    // An unknown address: no account is created, the user is told whom to ask.
    let users_before = t
        .store()
        .user_by_email("inconnu@agents.gouv.fr")
        .await
        .unwrap();
    assert!(users_before.is_none());
    let mut c = t.client();
    let callback = e
        .authenticate(&mut c, Knobs::for_email("inconnu@agents.gouv.fr"))
        .await;
    let p = c.get(&callback).await;
    assert_refused(
        &mut c,
        &p,
        StatusCode::FORBIDDEN,
        "demandez à l'administrateur",
    )
    .await;
    assert!(p.body.contains("inconnu@agents.gouv.fr"));
    assert!(
        t.store()
            .user_by_email("inconnu@agents.gouv.fr")
            .await
            .unwrap()
            .is_none()
    );

    // A deactivated account is refused like an unknown one, and opens no session.
    let omedit = e.email(Role::Omedit);
    let omedit_user = t.store().user_by_email(&omedit).await.unwrap().unwrap();
    t.store()
        .set_user_active(&caqes_store::Actor::system("test"), &omedit_user.id, false)
        .await
        .unwrap();
    let mut c = t.client();
    let callback = e.authenticate(&mut c, Knobs::for_email(&omedit)).await;
    let p = c.get(&callback).await;
    assert_refused(
        &mut c,
        &p,
        StatusCode::FORBIDDEN,
        "demandez à l'administrateur",
    )
    .await;

    // An address the provider says is not verified.
    let mut c = t.client();
    let knobs = Knobs {
        email_verified: Some(false),
        ..Knobs::for_email(&ars)
    };
    let callback = e.authenticate(&mut c, knobs).await;
    let p = c.get(&callback).await;
    assert_refused(
        &mut c,
        &p,
        StatusCode::FORBIDDEN,
        "adresse électronique vérifiée",
    )
    .await;

    // A plain JSON userinfo is accepted too.
    let mut c = t.client();
    let knobs = Knobs {
        userinfo_json: true,
        ..Knobs::for_email(&e.email(Role::Etablissement))
    };
    let callback = e.authenticate(&mut c, knobs).await;
    assert_eq!(c.get(&callback).await.location.as_deref(), Some("/"));
    assert_eq!(c.get("/").await.status, StatusCode::OK);

    // Unknown state, and a callback opened in another browser.
    let mut c = t.client();
    c.get("/connexion").await;
    let p = c
        .get(&format!(
            "/connexion/oidc/retour?code=abc&state={}",
            "0".repeat(64)
        ))
        .await;
    assert_refused(
        &mut c,
        &p,
        StatusCode::BAD_REQUEST,
        "recommencez la connexion",
    )
    .await;
    let mut first = t.client();
    let callback = e.authenticate(&mut first, Knobs::for_email(&ars)).await;
    let mut other = t.client();
    other.get("/connexion").await;
    let p = other.get(&callback).await;
    assert_refused(&mut other, &p, StatusCode::BAD_REQUEST, "autre navigateur").await;
    // ... and that login is spent for the first browser too.
    let p = first.get(&callback).await;
    assert_refused(&mut first, &p, StatusCode::BAD_REQUEST, "recommencez").await;

    // The provider reports an error (the user cancelled).
    let mut c = t.client();
    let callback = e.authenticate(&mut c, Knobs::for_email(&ars)).await;
    let state = callback.split("state=").nth(1).unwrap();
    let p = c
        .get(&format!(
            "/connexion/oidc/retour?error=access_denied&state={state}"
        ))
        .await;
    assert_refused(&mut c, &p, StatusCode::UNAUTHORIZED, "annulée ou refusée").await;
}

#[tokio::test]
async fn oidc_on_sqlite() {
    let e = env(TestDb::sqlite().await.unwrap()).await;
    story(&e).await;
}

#[tokio::test]
async fn oidc_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    let e = env(db).await;
    story(&e).await;
    e.t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn without_settings_the_login_page_is_unchanged_and_oidc_routes_404() {
    let t = FixtureApp::sqlite(fixture()).await;
    let mut c = t.client();
    let page = c.get("/connexion").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("fr-connect"));
    let res = t
        .app
        .clone()
        .oneshot(Request::get("/connexion").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let csp = res.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("form-action 'self';"), "{csp}");
    assert_eq!(c.get("/connexion/oidc").await.status, StatusCode::NOT_FOUND);
    let p = c.get("/connexion/oidc/retour?code=a&state=b").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unreachable_provider_gives_a_french_page() {
    // A port that was just free: nothing answers there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let db = TestDb::sqlite().await.unwrap();
    let oidc = OidcConfig::new(OidcSettings {
        issuer: format!("http://127.0.0.1:{port}"),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        redirect_url: "http://127.0.0.1:8080/connexion/oidc/retour".into(),
        post_logout_redirect_url: None,
        scopes: DEFAULT_SCOPES.into(),
        acr_values: None,
        button_label: "ProConnect".into(),
    })
    .unwrap();
    let config = Config {
        oidc: Some(oidc),
        ..Config::default()
    };
    let t = FixtureApp::with_config(db, fixture(), config).await;
    let mut c = t.client();
    let p = c.get("/connexion/oidc").await;
    assert_eq!(p.status, StatusCode::BAD_GATEWAY);
    assert!(
        p.body.contains("n'a pas répondu comme attendu"),
        "{}",
        p.body
    );
}
