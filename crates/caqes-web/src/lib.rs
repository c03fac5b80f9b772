//! # caqes-web
//!
//! The CAQES web application: axum, server-rendered French HTML (askama
//! templates, DSFR design system embedded in the binary), local accounts with
//! argon2id, session cookies, CSRF tokens on every POST, and authorization
//! checked on the server for every route (anything outside the user's scope
//! answers 404, never the data).
//!
//! Map: [`router`] holds the route table; one folder per topic ([`auth`],
//! [`campaign`], [`dossier`], [`contract`], [`imports`], [`am`], [`targeting`],
//! [`volets`], [`admin`]); [`ui`] holds the layout, assets and charts;
//! [`error`] turns every failure into a French page and [`extract`] holds the
//! extractors whose rejections go through it; [`files`] keeps uploads private
//! in the data directory; [`engine`] connects stored
//! values to `caqes-core` (parsing, multi-site pooling, scoring). The demo region
//! is seeded by the `caqes-demo` crate.

use std::net::SocketAddr;

use caqes_store::Store;

pub mod admin;
pub mod am;
pub mod auth;
pub mod campaign;
pub mod contract;
pub mod dashboards;
pub mod documents;
pub mod dossier;
pub mod imports;
pub mod notifications;
pub mod request;
pub mod router;
pub mod ui;
pub mod volets;

pub use campaign::generation2;
pub use dashboards::{dashboard, phev};
pub use request::{error, extract, files, limits, metrics, state};
pub use state::{AppState, Config};

/// Serves the application on `addr` until Ctrl-C.
pub async fn serve(store: Store, config: Config, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(listener, store, config).await
}

/// Serves on an already bound listener (tests bind port 0).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    store: Store,
    config: Config,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let app = router::app(AppState { store, config });
    // Pages are written in several segments: without TCP_NODELAY, Nagle's
    // algorithm holds the last one until the client acknowledges the
    // previous, which a client delaying its acknowledgements (40 ms on
    // Linux) turns into a 40 ms pause for the whole page.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY");
        }
    });
    // The peer's address is kept for login throttling (see `auth::address`).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
