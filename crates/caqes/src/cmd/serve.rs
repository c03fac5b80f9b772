//! `caqes serve`: runs the platform against a given database.
//!
//! Settings come from, by precedence: command-line options, environment
//! variables (`CAQES_DATABASE_URL`, `CAQES_ADDR`, `CAQES_SECURE_COOKIES`), a
//! TOML file given by `--config` (keys `database_url`, `addr`,
//! `secure_cookies`), then defaults.
//!
//! The OIDC (ProConnect) login is on when an issuer is given: table `[oidc]`
//! of the file (`issuer`, `client_id`, `redirect_url`,
//! `post_logout_redirect_url`, `scopes`, `acr_values`, `button_label`) or the
//! variables `CAQES_OIDC_<KEY>` (which win). The client secret comes from
//! `CAQES_OIDC_CLIENT_SECRET` only, never from the file.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

use crate::exit::BadInput;

#[derive(clap::Args)]
pub struct Args {
    /// Base de données : sqlite://chemin/caqes.db ou postgres://utilisateur@hôte/base.
    #[arg(long, env = "CAQES_DATABASE_URL")]
    database_url: Option<String>,
    /// Adresse d'écoute (HÔTE:PORT) ; par défaut 127.0.0.1:8080.
    #[arg(long, env = "CAQES_ADDR")]
    addr: Option<String>,
    /// Ajoute l'attribut Secure aux cookies (à activer derrière HTTPS).
    #[arg(long, env = "CAQES_SECURE_COOKIES")]
    secure_cookies: Option<bool>,
    /// Fichier de configuration TOML (database_url, addr, secure_cookies).
    #[arg(long, env = "CAQES_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    addr: Option<String>,
    secure_cookies: Option<bool>,
    oidc: Option<FileOidc>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileOidc {
    issuer: Option<String>,
    client_id: Option<String>,
    redirect_url: Option<String>,
    post_logout_redirect_url: Option<String>,
    scopes: Option<String>,
    acr_values: Option<String>,
    button_label: Option<String>,
}

/// The OIDC settings from the file and the environment (`env` reads a
/// variable), `None` when no issuer is given.
fn oidc_config(
    file: Option<FileOidc>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<caqes_web::auth::oidc::OidcConfig>> {
    let file = file.unwrap_or_default();
    let get = |key: &str, from_file: Option<String>| {
        env(&format!("CAQES_OIDC_{}", key.to_uppercase()))
            .filter(|v| !v.trim().is_empty())
            .or(from_file)
    };
    let Some(issuer) = get("issuer", file.issuer) else {
        return Ok(None);
    };
    let required = |key: &str, value: Option<String>| {
        value.ok_or_else(|| {
            BadInput(format!(
                "connexion OIDC : réglage « {key} » manquant (table [oidc] du fichier de configuration ou variable CAQES_OIDC_{})",
                key.to_uppercase()
            ))
        })
    };
    let settings = caqes_web::auth::oidc::OidcSettings {
        issuer,
        client_id: required("client_id", get("client_id", file.client_id))?,
        client_secret: caqes_web::auth::oidc::Secret::new(
            env("CAQES_OIDC_CLIENT_SECRET").unwrap_or_default(),
        ),
        redirect_url: required("redirect_url", get("redirect_url", file.redirect_url))?,
        post_logout_redirect_url: get("post_logout_redirect_url", file.post_logout_redirect_url),
        scopes: get("scopes", file.scopes)
            .unwrap_or_else(|| caqes_web::auth::oidc::DEFAULT_SCOPES.to_owned()),
        acr_values: get("acr_values", file.acr_values),
        button_label: get("button_label", file.button_label).unwrap_or_default(),
    };
    caqes_web::auth::oidc::OidcConfig::new(settings)
        .map(Some)
        .map_err(|e| BadInput(format!("connexion OIDC : {e}")).into())
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

pub fn parse_addr(text: &str) -> anyhow::Result<SocketAddr> {
    text.parse()
        .map_err(|_| BadInput(format!("adresse d'écoute invalide « {text} » (attendu HÔTE:PORT, par exemple 127.0.0.1:8080)")))
        .map_err(anyhow::Error::from)
}

/// Refuses, as the user's error, a URL that is neither SQLite nor PostgreSQL.
pub fn check_database_url(url: &str) -> anyhow::Result<String> {
    let known = ["sqlite:", "postgres:", "postgresql:"];
    if known.iter().any(|p| url.starts_with(p)) {
        Ok(url.to_owned())
    } else {
        Err(BadInput(format!(
            "adresse de base de données non prise en charge « {} » (attendu : sqlite://chemin ou postgres://…)",
            redact(url)
        ))
        .into())
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("lecture du fichier de configuration {}", path.display())
            })?;
            toml::from_str::<FileConfig>(&text)
                .map_err(|e| BadInput(format!("{} : {e}", path.display())))
                .context("fichier de configuration invalide")?
        }
        None => FileConfig::default(),
    };
    let database_url = args.database_url.or(file.database_url).ok_or_else(|| {
        BadInput("aucune base de données : donner --database-url, CAQES_DATABASE_URL ou database_url dans --config".into())
    })?;
    let database_url = check_database_url(&database_url)?;
    let addr = parse_addr(args.addr.or(file.addr).as_deref().unwrap_or(DEFAULT_ADDR))?;
    let config = caqes_web::Config {
        secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
        oidc: oidc_config(file.oidc, |k| std::env::var(k).ok())?,
        ..caqes_web::Config::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    runtime.block_on(async move {
        let store = caqes_store::Store::connect(&database_url)
            .await
            .with_context(|| format!("connexion à la base {}", redact(&database_url)))?;
        if !store.has_active_admin().await? {
            eprintln!(
                "Aucun compte administrateur actif dans cette base. Pour en créer un :\n  \
                 CAQES_MOT_DE_PASSE='…' caqes admin creer-compte --database-url {} --email EMAIL --nom NOM --role admin\n  \
                 (sans CAQES_MOT_DE_PASSE, un mot de passe temporaire est généré et affiché une fois)",
                redact(&database_url)
            );
        }
        eprintln!("CAQES en écoute sur http://{addr}/");
        caqes_web::serve(store, config, addr)
            .await
            .with_context(|| format!("écoute sur {addr}"))
    })
}

/// Hides a password in a database URL before printing it.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sqlite_and_postgres_urls_are_accepted_and_as_bad_input() {
        for ok in [
            "sqlite:///tmp/x.db",
            "postgres://u@h/db",
            "postgresql://h/db",
        ] {
            assert!(super::check_database_url(ok).is_ok(), "{ok}");
        }
        let err = super::check_database_url("mysql://u:secret@h/db").unwrap_err();
        assert!(err.chain().any(|c| c.is::<crate::exit::BadInput>()));
        assert!(!err.to_string().contains("secret"), "{err}");
        let err = super::parse_addr("localhost").unwrap_err();
        assert!(err.chain().any(|c| c.is::<crate::exit::BadInput>()));
        assert_eq!(super::parse_addr("0.0.0.0:80").unwrap().port(), 80);
    }

    #[test]
    fn oidc_settings_from_file_and_environment() {
        let none = |_: &str| None;
        assert!(super::oidc_config(None, none).unwrap().is_none());
        let file: super::FileConfig = toml::from_str(
            "[oidc]\nissuer = \"https://idp.example/api/v2\"\nclient_id = \"fichier\"\nredirect_url = \"https://caqes.example/connexion/oidc/retour\"\n",
        )
        .unwrap();
        // No secret in the environment: refused, as the user's error.
        let err = super::oidc_config(file.oidc, none).unwrap_err();
        assert!(err.chain().any(|c| c.is::<crate::exit::BadInput>()));
        assert!(
            err.to_string().contains("CAQES_OIDC_CLIENT_SECRET"),
            "{err}"
        );
        let file: super::FileConfig = toml::from_str(
            "[oidc]\nissuer = \"https://idp.example/api/v2\"\nclient_id = \"fichier\"\nredirect_url = \"https://caqes.example/connexion/oidc/retour\"\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            "CAQES_OIDC_CLIENT_SECRET" => Some("tres-secret".to_owned()),
            "CAQES_OIDC_CLIENT_ID" => Some("variable".to_owned()),
            _ => None,
        };
        let cfg = super::oidc_config(file.oidc, env).unwrap().unwrap();
        assert_eq!(cfg.settings().client_id, "variable");
        assert!(!format!("{cfg:?}").contains("tres-secret"));
        // The secret is not a file setting, and a plain-HTTP issuer is refused.
        assert!(toml::from_str::<super::FileConfig>("[oidc]\nclient_secret = \"x\"\n").is_err());
        let env = |k: &str| match k {
            "CAQES_OIDC_ISSUER" => Some("http://idp.example".to_owned()),
            "CAQES_OIDC_CLIENT_ID" | "CAQES_OIDC_CLIENT_SECRET" => Some("x".to_owned()),
            "CAQES_OIDC_REDIRECT_URL" => Some("https://caqes.example/r".to_owned()),
            _ => None,
        };
        let err = super::oidc_config(None, env).unwrap_err();
        assert!(err.to_string().contains("HTTPS"), "{err}");
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
