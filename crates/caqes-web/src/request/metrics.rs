//! `GET /metrics`: counters in the Prometheus text format (issue 14,
//! observability), hand-written: requests by route template and status class,
//! and a latency histogram, counted by `request_id::layer` for every request
//! of this process; and gauges read when scraped: the e-mail outbox (pending,
//! failed, age of the oldest pending) and the database's connection pools.
//!
//! **Who may read it**: only a client on the same machine — the TCP peer is a
//! loopback address and the request has no `X-Forwarded-For` (a reverse
//! proxy on the same host would otherwise make every visitor local). Anyone
//! else, logged in or not, gets the 404 of a page that does not exist. A
//! Prometheus on another host scrapes through an SSH tunnel or a local agent.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use caqes_store::PoolGauges;
use caqes_store::notify::outbox::OutboxGauges;

use crate::request::error::AppError;
use crate::request::state::AppState;

/// Upper bounds of the latency buckets, in milliseconds (then +Inf).
const BUCKETS_MS: [u64; 10] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000];

struct Counters {
    /// (route template, status class "2xx"…) → requests.
    requests: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// Requests at or below each bound of `BUCKETS_MS`, then all of them.
    latency: [AtomicU64; BUCKETS_MS.len() + 1],
    latency_sum_us: AtomicU64,
}

static COUNTERS: Counters = Counters {
    requests: Mutex::new(BTreeMap::new()),
    latency: [const { AtomicU64::new(0) }; BUCKETS_MS.len() + 1],
    latency_sum_us: AtomicU64::new(0),
};

fn class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Counts one answered request (`route`: the template, never the real path).
pub fn record(route: &str, status: StatusCode, elapsed: Duration) {
    if let Ok(mut map) = COUNTERS.requests.lock() {
        *map.entry((route.to_owned(), class(status))).or_insert(0) += 1;
    }
    let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    for (i, bound) in BUCKETS_MS.iter().enumerate() {
        if ms <= *bound {
            COUNTERS.latency[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    COUNTERS.latency[BUCKETS_MS.len()].fetch_add(1, Ordering::Relaxed);
    let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    COUNTERS.latency_sum_us.fetch_add(us, Ordering::Relaxed);
}

/// The text exposition format.
pub fn render() -> String {
    let mut out = String::from(
        "# HELP caqes_requetes_total Requêtes traitées, par modèle de route et classe de statut.\n\
         # TYPE caqes_requetes_total counter\n",
    );
    if let Ok(map) = COUNTERS.requests.lock() {
        for ((route, class), n) in map.iter() {
            let route = route.replace('\\', "\\\\").replace('"', "\\\"");
            out.push_str(&format!(
                "caqes_requetes_total{{route=\"{route}\",statut=\"{class}\"}} {n}\n"
            ));
        }
    }
    out.push_str(
        "# HELP caqes_duree_requete_secondes Durée des requêtes.\n\
         # TYPE caqes_duree_requete_secondes histogram\n",
    );
    for (i, bound) in BUCKETS_MS.iter().enumerate() {
        let n = COUNTERS.latency[i].load(Ordering::Relaxed);
        out.push_str(&format!(
            "caqes_duree_requete_secondes_bucket{{le=\"{}\"}} {n}\n",
            *bound as f64 / 1000.0
        ));
    }
    let count = COUNTERS.latency[BUCKETS_MS.len()].load(Ordering::Relaxed);
    let sum = COUNTERS.latency_sum_us.load(Ordering::Relaxed) as f64 / 1_000_000.0;
    out.push_str(&format!(
        "caqes_duree_requete_secondes_bucket{{le=\"+Inf\"}} {count}\n\
         caqes_duree_requete_secondes_sum {sum}\n\
         caqes_duree_requete_secondes_count {count}\n"
    ));
    out
}

/// One gauge with its help line.
fn gauge(out: &mut String, name: &str, help: &str, samples: &[(&str, i64)]) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
    for (labels, value) in samples {
        out.push_str(&format!("{name}{labels} {value}\n"));
    }
}

/// The gauges of the outbox (when the database answered) and of the pools,
/// in the text format.
pub fn render_gauges(outbox: Option<&OutboxGauges>, pools: &PoolGauges) -> String {
    let mut out = String::new();
    if let Some(outbox) = outbox {
        outbox_gauges(&mut out, outbox);
    }
    pool_gauges(&mut out, pools);
    out
}

fn outbox_gauges(out: &mut String, outbox: &OutboxGauges) {
    gauge(
        out,
        "caqes_courriels_en_attente",
        "Courriels à envoyer (en attente ou en cours d'envoi).",
        &[("", outbox.pending)],
    );
    gauge(
        out,
        "caqes_courriels_echec",
        "Courriels abandonnés après toutes leurs tentatives (à relancer par l'administrateur).",
        &[("", outbox.failed)],
    );
    gauge(
        out,
        "caqes_courriels_attente_max_secondes",
        "Âge du plus ancien courriel à envoyer (0 s'il n'y en a pas).",
        &[("", outbox.oldest_pending_seconds)],
    );
}

fn pool_gauges(out: &mut String, pools: &PoolGauges) {
    let reader = "{pool=\"lecture\"}";
    let writer = "{pool=\"ecriture\"}";
    gauge(
        out,
        "caqes_base_connexions_max",
        "Connexions que le pool peut ouvrir.",
        &[
            (reader, i64::from(pools.readers_max)),
            (writer, i64::from(pools.writer_max)),
        ],
    );
    gauge(
        out,
        "caqes_base_connexions",
        "Connexions ouvertes (occupées ou libres).",
        &[
            (reader, i64::from(pools.readers_open)),
            (writer, i64::from(pools.writer_open)),
        ],
    );
    gauge(
        out,
        "caqes_base_connexions_libres",
        "Connexions ouvertes et libres.",
        &[
            (reader, i64::from(pools.readers_idle)),
            (writer, i64::from(pools.writer_idle)),
        ],
    );
}

/// `GET /metrics` (see the module's rule on who may read it).
pub async fn metrics(State(state): State<AppState>, req: Request) -> Result<Response, AppError> {
    let local = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback())
        && !req.headers().contains_key("x-forwarded-for");
    if !local {
        return Err(AppError::NotFound);
    }
    let mut text = render();
    // The pools first: they are read before the outbox query takes a connection.
    let pools = state.store.pool_gauges();
    let outbox = match state.store.outbox_gauges(jiff::Timestamp::now()).await {
        Ok(outbox) => Some(outbox),
        // The counters stay readable when the database is not; the missing
        // gauges tell the scraper something is wrong, as `/sante` does.
        Err(e) => {
            tracing::error!(error = %e, "jauges de la file des courriels");
            None
        }
    };
    text.push_str(&render_gauges(outbox.as_ref(), &pools));
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
