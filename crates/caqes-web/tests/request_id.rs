//! Request ids: every response carries `x-request-id`; a proxy's short token
//! is kept, anything else is replaced by 16 random hexadecimal digits.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

mod common;
use caqes_store::testing::Fixture;
use common::fixture::FixtureApp;

/// The region and its users: no entity, no campaign (requests and metrics only).
async fn app() -> FixtureApp {
    FixtureApp::sqlite(Fixture::builder()).await
}

async fn id_of(t: &FixtureApp, uri: &str, incoming: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::get(uri);
    if let Some(v) = incoming {
        req = req.header("x-request-id", v);
    }
    let res = t
        .app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    (res.status(), id)
}

fn random_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let t = app().await;
    let (status, a) = id_of(&t, "/connexion", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(random_id(&a), "{a}");
    let (_, b) = id_of(&t, "/connexion", None).await;
    assert!(random_id(&b) && a != b, "{a} {b}");
    // A 404 (no route) and a redirect to the login page have one too.
    let (status, c) = id_of(&t, "/nulle-part", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(random_id(&c), "{c}");
    let (status, d) = id_of(&t, "/", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(random_id(&d), "{d}");
    // A reverse proxy's id is kept.
    let (_, e) = id_of(&t, "/connexion", Some("proxy-42_a.b")).await;
    assert_eq!(e, "proxy-42_a.b");
    // A hostile or overlong one is replaced (65 characters > 64).
    let (_, f) = id_of(&t, "/connexion", Some("<script>")).await;
    assert!(random_id(&f), "{f}");
    let long = "a".repeat(65);
    let (_, g) = id_of(&t, "/connexion", Some(&long)).await;
    assert!(random_id(&g), "{g}");
}

#[tokio::test]
async fn metrics_answer_loopback_only() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let t = app().await;
    // Two counted requests before (a 200 and a 404).
    id_of(&t, "/connexion", None).await;
    id_of(&t, "/nulle-part", None).await;
    let get = |peer: Option<[u8; 4]>, forwarded: bool| {
        let mut req = Request::get("/metrics");
        if forwarded {
            req = req.header("x-forwarded-for", "203.0.113.9");
        }
        let mut req = req.body(Body::empty()).unwrap();
        if let Some(ip) = peer {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
        }
        t.app.clone().oneshot(req)
    };
    // No peer (in-process), a remote peer, loopback behind a proxy: 404.
    for (peer, fwd) in [
        (None, false),
        (Some([192, 0, 2, 1]), false),
        (Some([127, 0, 0, 1]), true),
    ] {
        let res = get(peer, fwd).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{peer:?} {fwd}");
    }
    let res = get(Some([127, 0, 0, 1]), false).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.contains("caqes_requetes_total{route=\"/connexion\",statut=\"2xx\"}"),
        "{text}"
    );
    assert!(
        text.contains("caqes_requetes_total{route=\"(aucune)\",statut=\"4xx\"}"),
        "{text}"
    );
    assert!(
        text.contains("caqes_duree_requete_secondes_bucket{le=\"+Inf\"}"),
        "{text}"
    );
    // The real path of a request never appears, only its template.
    assert!(!text.contains("nulle-part"), "{text}");
}

/// The value of the sample `name` (with its labels) in a Prometheus text.
fn sample(text: &str, name: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} absent de\n{text}"))
        .parse()
        .unwrap()
}

async fn scrape(t: &FixtureApp) -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let mut req = Request::get("/metrics").body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    let res = t.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

async fn count(t: &FixtureApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(t.store().pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// The gauges of `/metrics`: the outbox as the table says (pending, failed,
/// age of the oldest pending), the pools as the store has them.
#[tokio::test]
async fn metrics_gauges_follow_the_outbox_and_the_pools() {
    let t = app().await;
    // Daily digests of one account, one per state: waiting since 2000, being
    // sent since now, given up, sent (the last one is not pending).
    let user = &t.fixture.users[0];
    let user_id = t
        .store()
        .user_by_email(&user.email)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = jiff::Timestamp::now();
    let now_text = now.strftime("%Y-%m-%dT%H:%M:%S.000000Z").to_string();
    for (day, state, created) in [
        ("2000-01-01", "en_attente", "2000-01-01T00:00:00.000000Z"),
        ("2000-01-02", "envoi", now_text.as_str()),
        ("2000-01-03", "echec", "1999-01-01T00:00:00.000000Z"),
        ("2000-01-04", "envoye", "1998-01-01T00:00:00.000000Z"),
    ] {
        sqlx::query(
            "INSERT INTO email_outbox (id, user_id, to_address, notification, digest_day, state, \
             attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, NULL, $4, $5, 0, 0, $6)",
        )
        .bind(format!("test-{day}"))
        .bind(user_id.clone())
        .bind(user.email.clone())
        .bind(day)
        .bind(state)
        .bind(created)
        .execute(t.store().pool())
        .await
        .unwrap();
    }
    let pending = count(
        &t,
        "SELECT COUNT(*) AS n FROM email_outbox WHERE state IN ('en_attente', 'envoi')",
    )
    .await;
    assert!(pending >= 2);
    let text = scrape(&t).await;
    assert_eq!(sample(&text, "caqes_courriels_en_attente"), pending);
    assert_eq!(
        sample(&text, "caqes_courriels_echec"),
        count(
            &t,
            "SELECT COUNT(*) AS n FROM email_outbox WHERE state = 'echec'"
        )
        .await
    );
    assert!(sample(&text, "caqes_courriels_echec") >= 1);
    let since_2000 = jiff::Timestamp::now().as_second() - 946_684_800;
    let age = sample(&text, "caqes_courriels_attente_max_secondes");
    assert!(
        (since_2000 - 60..=since_2000).contains(&age),
        "{age} {since_2000}"
    );
    assert!(
        text.contains("# TYPE caqes_courriels_en_attente gauge"),
        "{text}"
    );

    // The pools: as many reading connections as the store allows, one writer
    // (opened by the fixture's writes), as the store reports them.
    let pools = t.store().pool_gauges();
    assert_eq!(
        sample(&text, "caqes_base_connexions_max{pool=\"lecture\"}"),
        i64::from(pools.readers_max)
    );
    assert_eq!(
        sample(&text, "caqes_base_connexions_max{pool=\"ecriture\"}"),
        1
    );
    assert_eq!(sample(&text, "caqes_base_connexions{pool=\"ecriture\"}"), 1);
    let open = sample(&text, "caqes_base_connexions{pool=\"lecture\"}");
    let idle = sample(&text, "caqes_base_connexions_libres{pool=\"lecture\"}");
    assert!(
        (1..=i64::from(pools.readers_max)).contains(&open) && (0..=open).contains(&idle),
        "{open} {idle}"
    );

    // Nothing pending: the age falls back to 0.
    sqlx::query("UPDATE email_outbox SET state = 'envoye' WHERE state IN ('en_attente', 'envoi')")
        .execute(t.store().pool())
        .await
        .unwrap();
    let text = scrape(&t).await;
    assert_eq!(sample(&text, "caqes_courriels_en_attente"), 0);
    assert_eq!(sample(&text, "caqes_courriels_attente_max_secondes"), 0);
}
