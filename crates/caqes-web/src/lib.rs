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
use std::path::PathBuf;

use caqes_store::Store;
use caqes_store::accounts::throttle::ThrottlePolicy;

pub mod admin;
pub mod am;
pub mod auth;
pub mod campaign;
pub mod contract;
pub mod dossier;
pub mod engine;
pub mod error;
pub mod extract;
pub mod files;
pub mod imports;
pub mod notifications;
pub mod router;
pub mod targeting;
pub mod ui;
pub mod volets;

/// Settings of the web application.
#[derive(Clone, Debug)]
pub struct Config {
    /// Adds `Secure` to cookies: set it whenever the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Session lifetime in seconds.
    pub session_seconds: i64,
    /// The OIDC (ProConnect) login beside the local accounts, when configured.
    pub oidc: Option<auth::oidc::OidcConfig>,
    /// Where uploads wait for their confirmation (PHEV files), private to
    /// the service: directories 0700, files 0600.
    pub data_dir: PathBuf,
    /// The server is behind ONE trusted reverse proxy: the client address is
    /// the last one of `X-Forwarded-For` (the one the proxy appended) instead
    /// of the connection's peer. Off by default: anyone could forge the header.
    pub trusted_proxy: bool,
    /// The delays of login throttling.
    pub throttle: ThrottlePolicy,
    /// The folder of `.eml` files shown at `/courriels` (`caqes demo`'s
    /// `DATA_DIR/courriels/`); `None`: no such page.
    pub mailbox: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            session_seconds: 8 * 3600,
            oidc: None,
            // A directory of this process only; `caqes serve` always sets one.
            data_dir: std::env::temp_dir().join(format!("caqes-donnees-{}", std::process::id())),
            trusted_proxy: false,
            throttle: ThrottlePolicy::default(),
            mailbox: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
}

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
    let app = router::app(AppState { store, config });
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
