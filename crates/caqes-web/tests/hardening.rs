//! Hardening of issue 14 through the router (no port bound): login throttling
//! under parallel attempts (per account and per address), body limits decided
//! before the body is read, French pages for every rejection, the password
//! policy and the forced change, e-mail validation, HSTS, private upload files.
//! SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder};
use caqes_web::{AppState, Config, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::password;

/// What these stories need: the users, an administrator, one entity and its
/// dossier in a campaign.
fn fixture() -> FixtureBuilder {
    Fixture::builder().admin().entity("Alpha").campaign(2019)
}

/// A login POST from `peer`, with the anonymous CSRF cookie and token.
fn login_request(csrf: &str, email: &str, pass: &str, peer: &str) -> Request<Body> {
    let body = serde_urlencoded::to_string([("_csrf", csrf), ("email", email), ("password", pass)])
        .unwrap();
    let mut req = Request::post("/connexion")
        .header(header::COOKIE, format!("caqes_csrf={csrf}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    req
}

async fn anon_csrf(t: &FixtureApp) -> String {
    let mut c = t.client();
    c.get("/connexion").await;
    c.csrf
}

async fn body_text(res: axum::response::Response) -> String {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).replace("&#39;", "'")
}

/// 40 wrong passwords at once on one account, from 40 addresses: at most 10
/// are checked against the hash (401), the others wait (429, French page,
/// Retry-After). After the delay the right password from a fresh address logs
/// in; 30 accounts tried from one address are slowed down as well.
async fn parallel_logins(t: &FixtureApp) {
    let csrf = anon_csrf(t).await;
    let ars = t.email(Role::Ars);
    let ars = ars.as_str();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let app = t.app.clone();
            let req = login_request(
                &csrf,
                ars,
                "mauvais-mot-de-passe",
                &format!("198.51.100.{i}:5000"),
            );
            tokio::spawn(async move { app.oneshot(req).await.unwrap() })
        })
        .collect();
    let (mut checked, mut delayed) = (0, 0);
    let mut longest_wait = 0_u64;
    for task in tasks {
        let res = task.await.unwrap();
        match res.status() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                delayed += 1;
                let wait: u64 = res.headers()[header::RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=32).contains(&wait), "{wait}");
                longest_wait = longest_wait.max(wait);
                let body = body_text(res).await;
                assert!(
                    body.contains("Trop de tentatives de connexion : réessayez dans"),
                    "{body}"
                );
                assert!(body.contains("<html"), "the page has the layout");
            }
            other => panic!("unexpected {other}"),
        }
    }
    // The five free failures, and at most a few more if the burst outlasted
    // a delay on a loaded machine (the store test checks the exact count).
    assert!(
        (5..=10).contains(&checked),
        "{checked} attempts reached the hash"
    );
    assert_eq!(checked + delayed, 40);
    // Even the right password waits for the delay…
    let res = t
        .app
        .clone()
        .oneshot(login_request(
            &csrf,
            ars,
            &password(Role::Ars),
            "203.0.113.1:5000",
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // …and then logs in from a fresh address, which clears the account.
    let mut wait = longest_wait;
    let mut status = StatusCode::TOO_MANY_REQUESTS;
    for n in 2..5 {
        tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 100)).await;
        let res = t
            .app
            .clone()
            .oneshot(login_request(
                &csrf,
                ars,
                &password(Role::Ars),
                &format!("203.0.113.{n}:5000"),
            ))
            .await
            .unwrap();
        status = res.status();
        if status != StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        wait = res.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
    }
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.store()
            .login_failures(&caqes_store::accounts::throttle::ThrottleKey::account(ars))
            .await
            .unwrap(),
        0
    );

    // One address, 30 accounts: its 10 free failures, then it waits.
    let mut checked = 0;
    for n in 0..30 {
        let req = login_request(
            &csrf,
            &format!("compte{n}@demo.caqes.fr"),
            "x",
            "192.0.2.66:5000",
        );
        if t.app.clone().oneshot(req).await.unwrap().status() == StatusCode::UNAUTHORIZED {
            checked += 1;
        }
    }
    // Its ten free failures (one more if a hash outlasted the first delay).
    assert!((10..=12).contains(&checked), "{checked}");
    // Another address is not slowed down by it.
    let req = login_request(
        &csrf,
        &t.email(Role::Omedit),
        &password(Role::Omedit),
        "192.0.2.67:5000",
    );
    assert_eq!(
        t.app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_logins_on_sqlite() {
    on_sqlite(fixture(), parallel_logins).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_logins_on_postgres() {
    on_postgres(fixture(), parallel_logins).await;
}

/// A body of `chunks` × 64 Kio that counts what is taken from it.
fn counted_body(read: Arc<AtomicUsize>, chunks: usize) -> Body {
    Body::from_stream(futures_util::stream::iter((0..chunks).map(move |_| {
        read.fetch_add(64 * 1024, Ordering::SeqCst);
        Ok::<_, std::io::Error>(vec![b'a'; 64 * 1024])
    })))
}

/// Sends `req` and returns its status, page, and how much of the body was read.
async fn send_counted(
    t: &FixtureApp,
    mut req: Request<Body>,
    chunks: usize,
    announce: bool,
) -> (StatusCode, String, usize) {
    let read = Arc::new(AtomicUsize::new(0));
    if announce {
        req.headers_mut().insert(
            header::CONTENT_LENGTH,
            (chunks * 64 * 1024).to_string().parse().unwrap(),
        );
    }
    *req.body_mut() = counted_body(read.clone(), chunks);
    let res = t.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = body_text(res).await;
    (status, body, read.load(Ordering::SeqCst))
}

const THIRTY_MO: usize = 30 * 16; // chunks of 64 Kio

/// Bodies are limited by route and by role before they are read: an
/// anonymous 30 Mo multipart body is refused on its Content-Length, unread,
/// on a form, on an upload route and on an unknown address; without a
/// Content-Length, reading stops at 64 Kio. An établissement still uploads
/// its evidence, an ARS cannot send 1 Mo there.
async fn body_limits(t: &FixtureApp) {
    let csrf = anon_csrf(t).await;
    let dossier = t.dossier(t.own_entity());
    let multipart = "multipart/form-data; boundary=----x";
    for uri in [
        "/connexion".to_owned(),
        format!("/campagnes/{}/phev/apercu", t.campaign_id()),
        format!("{dossier}/engagements/documents"),
        "/nulle-part".to_owned(),
    ] {
        let req = Request::post(&uri)
            .header(header::COOKIE, format!("caqes_csrf={csrf}"))
            .header(header::CONTENT_TYPE, multipart)
            .body(Body::empty())
            .unwrap();
        let (status, page, read) = send_counted(t, req, THIRTY_MO, true).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert_eq!(read, 0, "{uri}: nothing read");
        assert!(page.contains("dépasse la limite de 64 Kio"), "{page}");
        assert!(page.contains("Retour à l'accueil"), "{page}");
        // Chunked, without Content-Length: reading stops at the limit.
        let req = Request::post(&uri)
            .header(header::COOKIE, format!("caqes_csrf={csrf}"))
            .header(header::CONTENT_TYPE, multipart)
            .body(Body::empty())
            .unwrap();
        let (status, _, read) = send_counted(t, req, THIRTY_MO, false).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert!(read <= 2 * 64 * 1024, "{uri}: {read} bytes read");
    }
    // A GET body is never read.
    let req = Request::get("/connexion").body(Body::empty()).unwrap();
    let (status, _, read) = send_counted(t, req, THIRTY_MO, true).await;
    assert_eq!((status, read), (StatusCode::OK, 0));

    // The ARS may not upload evidence: 64 Kio for it there.
    let ars = t.logged_in(Role::Ars).await;
    let req = Request::post(format!("{dossier}/engagements/documents"))
        .header(header::COOKIE, ars.cookie_header())
        .header(header::CONTENT_TYPE, multipart)
        .body(Body::empty())
        .unwrap();
    let (status, _, read) = send_counted(t, req, 16, true).await;
    assert_eq!((status, read), (StatusCode::PAYLOAD_TOO_LARGE, 0));

    // The établissement uploads a 5 Mo PDF: through the layer, stored.
    let mut etab = t.logged_in(Role::Etablissement).await;
    etab.get(&format!("{dossier}/engagements")).await;
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(5 * 1024 * 1024, b'a');
    let p = etab
        .post_multipart(
            &format!("{dossier}/engagements/documents"),
            true,
            &[],
            &[("fichier", "rapport.pdf", &pdf)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // A 64 Kio ordinary form of the établissement is refused, French page.
    let long = "x".repeat(70 * 1024);
    let p = etab
        .post(
            &format!("{dossier}/actions"),
            &[("action", "soumettre"), ("commentaire", &long)],
        )
        .await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(p.body.contains("Envoi trop volumineux"), "{}", p.body);
    assert!(!p.body.contains("formulaire trop volumineux"));
}

#[tokio::test]
async fn body_limits_on_sqlite() {
    on_sqlite(fixture(), body_limits).await;
}

/// Every rejection is a French page with the layout and a way back.
async fn french_rejections(t: &FixtureApp) {
    let mut anon = t.client();
    anon.get("/connexion").await;
    let check = |what: &str, p: &common::Page, status: StatusCode, words: &str| {
        assert_eq!(p.status, status, "{what}: {}", p.body);
        assert!(p.body.contains(words), "{what}: {}", p.body);
        assert!(
            p.body.contains("<html") && p.body.contains("Retour à l'accueil"),
            "{what}: {}",
            p.body
        );
        for english in [
            "Failed to",
            "deserialize",
            "missing field",
            "Zip error",
            "max recursion",
        ] {
            assert!(!p.body.contains(english), "{what}: {}", p.body);
        }
    };
    // A form without its fields (was « Failed to deserialize form body »).
    let p = anon.post("/connexion", &[("email", "x@y.fr")]).await;
    check(
        "formulaire",
        &p,
        StatusCode::BAD_REQUEST,
        "Le formulaire envoyé est incomplet",
    );
    let p = anon.get("/page-inexistante").await;
    check("404", &p, StatusCode::NOT_FOUND, "Page introuvable");
    let p = anon.get("/deconnexion").await;
    check(
        "405",
        &p,
        StatusCode::METHOD_NOT_ALLOWED,
        "ne s'ouvre pas ainsi",
    );

    // A query string that does not parse (was « Failed to deserialize query string »).
    let mut etab = t.logged_in(Role::Etablissement).await;
    let dossier = t.dossier(t.own_entity());
    let p = etab
        .get(&format!("{dossier}?enregistre=1&enregistre=2"))
        .await;
    check(
        "requête",
        &p,
        StatusCode::BAD_REQUEST,
        "paramètre illisible",
    );
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let p = am
        .get(&format!(
            "/campagnes/{}/ciblage/import?lignes=beaucoup",
            t.campaign_id()
        ))
        .await;
    check(
        "requête d'import",
        &p,
        StatusCode::BAD_REQUEST,
        "paramètre illisible",
    );
    // A form sent where a file upload is expected.
    etab.get(&format!("{dossier}/engagements")).await;
    let p = etab
        .post(
            &format!("{dossier}/engagements/documents"),
            &[("fichier", "x")],
        )
        .await;
    check(
        "multipart",
        &p,
        StatusCode::BAD_REQUEST,
        "attend un envoi de fichier",
    );
}

#[tokio::test]
async fn french_rejections_on_sqlite() {
    on_sqlite(fixture(), french_rejections).await;
}

/// ANSSI's rules on the password form: length, no blank, no common password,
/// no personal detail, and never the current one — so a temporary password
/// set by an administrator cannot be "changed" into itself.
async fn password_policy(t: &FixtureApp) {
    let omedit = t.email(Role::Omedit);
    let mut admin = t.logged_in(Role::Admin).await;
    let users = admin.get("/admin/utilisateurs").await.body;
    let row = &users[users.find(&format!("<td>{omedit}</td>")).unwrap()..];
    let start = row.find("/admin/utilisateurs/").unwrap() + "/admin/utilisateurs/".len();
    let id = row[start..start + 32].to_owned();
    // The administrator's temporary password follows the rules too.
    for bad in ["            ", "azertyuiop12", "omedit-omedit"] {
        let p = admin
            .post(
                &format!("/admin/utilisateurs/{id}/mot-de-passe"),
                &[("password", bad)],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let temporary = "Provisoire-7391-relais";
    let p = admin
        .post(
            &format!("/admin/utilisateurs/{id}/mot-de-passe"),
            &[("password", temporary)],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);

    let mut c = t.client();
    c.get("/connexion").await;
    let p = c
        .post(
            "/connexion",
            &[("email", omedit.as_str()), ("password", temporary)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/").await.location.as_deref(), Some("/mot-de-passe"));
    c.get("/mot-de-passe").await;
    for (new, words) in [
        (temporary, "différent de l'actuel"),
        ("            ", "que d'espaces"),
        ("court", "au moins 12 caractères"),
        ("motdepasse2024", "mots de passe les plus courants"),
        ("aaaaaaaaaaaaaaaa", "motif"),
        ("omedit.demo-2025!", "adresse électronique ou votre nom"),
    ] {
        let p = c
            .post(
                "/mot-de-passe",
                &[("current", temporary), ("new", new), ("confirm", new)],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{new}");
        assert!(p.body.contains(words), "{new}: {}", p.body);
    }
    // Still forced to change it.
    assert_eq!(c.get("/").await.location.as_deref(), Some("/mot-de-passe"));
    c.get("/mot-de-passe").await;
    let chosen = "trois chats sur le toit";
    let p = c
        .post(
            "/mot-de-passe",
            &[("current", temporary), ("new", chosen), ("confirm", chosen)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    t.login(&omedit, chosen).await;

    // An e-mail address must be one, not just contain an @.
    admin.get("/admin/utilisateurs").await;
    for bad in [
        "x@y",
        "@demo.fr",
        "jean dupont@ars.fr",
        "a@b@c.fr",
        "jean@192.168.0.1",
    ] {
        let p = admin
            .post(
                "/admin/utilisateurs",
                &[
                    ("email", bad),
                    ("name", "X"),
                    ("role", "admin"),
                    ("password", "une phrase assez longue"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            p.body.contains("Adresse électronique :"),
            "{bad}: {}",
            p.body
        );
    }
}

#[tokio::test]
async fn password_policy_on_sqlite() {
    on_sqlite(fixture(), password_policy).await;
}

#[tokio::test]
async fn password_policy_on_postgres() {
    on_postgres(fixture(), password_policy).await;
}

/// HSTS only when the site is served over HTTPS (secure cookies).
#[tokio::test]
async fn hsts_with_secure_cookies() {
    let t = FixtureApp::sqlite(Fixture::builder()).await;
    for secure in [false, true] {
        let app = router::app(AppState {
            store: t.store().clone(),
            config: Config {
                secure_cookies: secure,
                ..Config::default()
            },
        });
        let res = app
            .oneshot(Request::get("/connexion").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            res.headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap().to_owned()),
            secure.then(|| "max-age=31536000".to_owned())
        );
    }
    t.db.cleanup().await.unwrap();
}

/// The form fields of a complete dossier of `entity`: every indicator the
/// établissement enters and that concerns its category, with a plausible
/// value of its kind (one site: numerator and denominator, or OUI).
fn complete_values(
    referentiel: &caqes_core::referentiel::Referentiel,
    entity: &caqes_store::NewEntity,
    salt: u32,
) -> Vec<(String, String)> {
    use caqes_core::referentiel::{Applicability, Kind, Source};
    let site = entity.sites[0].finess;
    let mut fields = Vec::new();
    for ind in &referentiel.indicators {
        let by_establishment = ind.sources.is_empty() || ind.sources.contains(&Source::ES);
        if !by_establishment || ind.applicability(entity.entity.category) == Applicability::Nc {
            continue;
        }
        // An indicator computed per class (D5) is typed class by class.
        let codes: Vec<String> = if ind.classes.is_empty() {
            vec![ind.code.clone()]
        } else {
            ind.classes
                .iter()
                .map(|c| format!("{}/{}", ind.code, c.code))
                .collect()
        };
        for code in codes {
            let key = |kind: &str| format!("{kind}:{site}:{code}");
            let denominator = 200 + (salt * 37) % 800;
            match ind.kind {
                Kind::Proportion | Kind::Ratio => {
                    fields.push((key("n"), (denominator * (40 + salt % 55) / 100).to_string()));
                    fields.push((key("d"), denominator.to_string()));
                }
                Kind::Growth => {
                    fields.push((key("n"), (100_000 + salt * 1_234).to_string()));
                    fields.push((key("d"), "100000".to_owned()));
                }
                Kind::YesNo | Kind::Document | Kind::TriState => {
                    fields.push((key("v"), "OUI".to_owned()));
                }
            }
        }
    }
    fields
}

/// A form POST with a session cookie.
fn session_post(uri: &str, cookie: &str, fields: &[(String, String)]) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
        .unwrap()
}

async fn count(store: &caqes_store::Store, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// Establishments of the deadline burst.
const BURST: usize = 300;

/// The deadline burst (issue 14): 300 establishments, released together,
/// each save their values then click « Soumettre » twice at once (a double
/// click, or a second tab). Nobody sees a 5xx nor « database is locked »;
/// every dossier is submitted exactly once (one transition, one audit line,
/// one notification to the ARS), the second click is refused in French, and
/// the audit chain is intact.
async fn deadline_burst(store: &caqes_store::Store) {
    use caqes_store::SubmissionState;

    let fx = Fixture::builder()
        .entities(BURST)
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let campaign = fx.campaign.clone().unwrap();
    let referentiel = store.campaign_referentiel(&campaign).await.unwrap();
    let app = router::app(AppState {
        store: store.clone(),
        config: Config::default(),
    });
    let lines_before = count(store, "SELECT COUNT(*) AS n FROM audit_log").await;
    let ars = fx.user(Role::Ars).unwrap();
    let to_ars = format!(
        "SELECT COUNT(*) AS n FROM notifications WHERE user_id = '{}'",
        ars.id
    );
    let ars_before = count(store, &to_ars).await;
    let head_before = store.audit_chain_head().await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(BURST));
    let mut tasks = Vec::new();
    let mut expected_values = 0;
    for (i, e) in fx.entities.iter().enumerate() {
        let user = fx.etab(e.entity.finess).unwrap();
        let (token, csrf) = (
            caqes_web::auth::random_token(),
            caqes_web::auth::random_token(),
        );
        let now = caqes_web::auth::now_seconds();
        store
            .create_session(
                &caqes_web::auth::token_hash(&token),
                &user.id,
                &csrf,
                now,
                now + 3600,
            )
            .await
            .unwrap();
        let cookie = format!("caqes_session={token}");
        let dossier = format!("/campagnes/{}/dossiers/{}", campaign.id, e.entity.finess);
        let mut values = vec![("_csrf".to_owned(), csrf.clone())];
        let fields = complete_values(&referentiel, e, i as u32);
        expected_values += fields.iter().filter(|(k, _)| !k.starts_with("d:")).count();
        values.extend(fields);
        let submit = vec![
            ("_csrf".to_owned(), csrf),
            ("action".to_owned(), "soumettre".to_owned()),
        ];
        let (app, barrier) = (app.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let saved = app
                .clone()
                .oneshot(session_post(
                    &format!("{dossier}/valeurs"),
                    &cookie,
                    &values,
                ))
                .await
                .unwrap();
            let saved_status = saved.status();
            let saved_body = body_text(saved).await;
            let click = |app: axum::Router| {
                let req = session_post(&format!("{dossier}/actions"), &cookie, &submit);
                async move {
                    let res = app.oneshot(req).await.unwrap();
                    (res.status(), body_text(res).await)
                }
            };
            let (first, second) = tokio::join!(click(app.clone()), click(app));
            ((saved_status, saved_body), first, second)
        }));
    }
    let mut refused = 0;
    for task in tasks {
        let ((saved, saved_body), first, second) = task.await.unwrap();
        assert_eq!(saved, StatusCode::SEE_OTHER, "{saved_body}");
        for (status, body) in [&first, &second] {
            assert!(
                !status.is_server_error() && !body.contains("locked"),
                "{status} {body}"
            );
        }
        let statuses = [first.0, second.0];
        assert!(statuses.contains(&StatusCode::SEE_OTHER), "{statuses:?}");
        // The other click finds the dossier submitted (403: no such action
        // now) or changed under it (409): a French page either way.
        let (other, body) = if first.0 == StatusCode::SEE_OTHER {
            &second
        } else {
            &first
        };
        assert!(
            [StatusCode::FORBIDDEN, StatusCode::CONFLICT].contains(other),
            "{other} {body}"
        );
        assert!(body.contains("<html"), "{body}");
        refused += 1;
    }
    assert_eq!(refused, BURST);

    // Every dossier submitted, once.
    let rows = store.submissions_of_campaign(&campaign).await.unwrap();
    assert_eq!(rows.len(), BURST);
    assert!(
        rows.iter()
            .all(|r| r.submission.state == SubmissionState::Soumis),
        "{:?}",
        rows.iter().map(|r| r.submission.state).collect::<Vec<_>>()
    );
    let burst = BURST as i64;
    assert_eq!(
        count(store, "SELECT COUNT(*) AS n FROM submission_transitions").await,
        burst
    );
    assert_eq!(
        count(
            store,
            "SELECT COUNT(DISTINCT submission) AS n FROM submission_transitions \
             WHERE from_state = 'brouillon' AND to_state = 'soumis'"
        )
        .await,
        burst
    );
    assert_eq!(
        count(store, "SELECT COUNT(*) AS n FROM indicator_values").await,
        expected_values as i64
    );
    // One audit line per save and per submission, nothing else.
    for action in ["valeurs.enregistrer", "dossier.transition"] {
        assert_eq!(
            count(
                store,
                &format!("SELECT COUNT(*) AS n FROM audit_log WHERE action = '{action}'")
            )
            .await,
            burst,
            "{action}"
        );
    }
    assert_eq!(
        count(store, "SELECT COUNT(*) AS n FROM audit_log").await,
        lines_before + 2 * burst
    );
    // The ARS hears of each submission once.
    assert_eq!(count(store, &to_ars).await, ars_before + burst);
    match store
        .verify_audit_chain(std::slice::from_ref(&head_before.hash))
        .await
        .unwrap()
    {
        caqes_store::ChainVerdict::Intact { lines, .. } => {
            assert_eq!(lines, lines_before + 2 * burst)
        }
        other => panic!("chaîne intacte attendue, reçu {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deadline_burst_on_sqlite() {
    caqes_store::testing::on_sqlite(deadline_burst)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deadline_burst_on_postgres() {
    caqes_store::testing::on_postgres(deadline_burst)
        .await
        .unwrap();
}
