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
use common::TestApp;

async fn id_of(t: &TestApp, uri: &str, incoming: Option<&str>) -> (StatusCode, String) {
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
    let t = TestApp::sqlite().await;
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
    let t = TestApp::sqlite().await;
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
