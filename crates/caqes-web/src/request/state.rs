//! What every handler can reach: the store and the site's settings. A leaf of
//! the crate (handlers import it; it imports no handler).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;

use caqes_store::Store;
use caqes_store::accounts::throttle::ThrottlePolicy;

use crate::auth::oidc::provider::OidcConfig;

/// XLSX uploads parsed at once (the machine has 2 cores to share).
pub const XLSX_PARSERS: usize = 2;

/// Settings of the web application.
#[derive(Clone, Debug)]
pub struct Config {
    /// Adds `Secure` to cookies: set it whenever the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Session lifetime in seconds.
    pub session_seconds: i64,
    /// The OIDC (ProConnect) login beside the local accounts, when configured.
    pub oidc: Option<OidcConfig>,
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
    /// Permits to parse an uploaded XLSX workbook (CPU and up to tens of Mo
    /// each): 2 by default; shared by the clones of this configuration.
    pub xlsx_parsing: Arc<Semaphore>,
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
            xlsx_parsing: Arc::new(Semaphore::new(XLSX_PARSERS)),
        }
    }
}

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
}
