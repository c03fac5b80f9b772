//! Request ids (issue 14, observability): every request gets an id, kept
//! from an incoming `x-request-id` when it is a short token (a reverse proxy's
//! id), else drawn at random; it is echoed in the response's `x-request-id`
//! and every log line written while the request is handled carries it, through
//! the `requete` span (with the method and the route template, never the path
//! with its identifiers nor the query string).

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// An incoming id is kept only if it cannot forge a log line or a header:
/// 1 to 64 characters among letters, digits, `-`, `_` and `.`.
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// 16 hexadecimal digits (64 random bits).
fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The outermost layer of `router::app`.
pub async fn layer(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(new_id);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "(aucune)".to_owned());
    let span = tracing::info_span!("requete", id = %id, methode = %req.method(), route = %route);
    let started = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    crate::request::metrics::record(&route, response.status(), started.elapsed());
    span.in_scope(|| {
        tracing::info!(
            statut = response.status().as_u16(),
            duree_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "réponse"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
