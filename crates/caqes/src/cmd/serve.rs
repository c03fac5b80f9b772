//! `caqes serve`: runs the platform against a given database.
//!
//! Settings come from, by precedence: command-line options, environment
//! variables (`CAQES_DATABASE_URL`, `CAQES_ADDR`, `CAQES_SECURE_COOKIES`), a
//! TOML file given by `--config` (keys `database_url`, `addr`,
//! `secure_cookies`), then defaults.

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
    fn passwords_are_hidden() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
