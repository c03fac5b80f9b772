//! # caqes-web
//!
//! The CAQES web application: axum, server-rendered French HTML (askama
//! templates, DSFR design system embedded in the binary), local accounts with
//! argon2id, session cookies, CSRF tokens on every POST, and authorization
//! checked on the server for every route (anything outside the user's scope
//! answers 404, never the data).
//!
//! Map: [`router`] holds the route table; one module per resource
//! ([`auth`], [`dossiers`], [`campaigns`], [`audit`]); [`error`] turns every
//! failure into a French page; [`engine`] connects forms to `caqes-core`
//! (parsing, multi-site pooling, scoring); [`demo`] seeds a fictitious region.

use std::net::SocketAddr;

use caqes_store::Store;

pub mod admin;
pub mod am_data;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod contracts;
pub mod decisions;
pub mod demo;
pub mod demo_contracts;
pub mod demo_engagements;
pub mod demo_targeting;
pub mod demo_volets;
pub mod dossiers;
pub mod engagements;
pub mod engine;
pub mod error;
pub mod imports;
pub mod notified_sum;
pub mod oidc;
pub mod pages;
pub mod pertinence_targeting;
pub mod quality_targeting;
pub mod region_csv;
pub(crate) mod region_import;
pub mod router;
pub mod targeting;
pub mod volet_decisions;
mod volet_lifecycle;
mod volet_objectives;
pub mod volet_pertinence;
pub mod volet_quality;

/// Settings of the web application.
#[derive(Clone, Debug)]
pub struct Config {
    /// Adds `Secure` to cookies: set it whenever the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Session lifetime in seconds.
    pub session_seconds: i64,
    /// The OIDC (ProConnect) login beside the local accounts, when configured.
    pub oidc: Option<oidc::OidcConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            session_seconds: 8 * 3600,
            oidc: None,
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
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
