//! `caqes serve`: runs the platform against a given database.
//!
//! Settings come from, by precedence: command-line options, environment
//! variables (`CAQES_DATABASE_URL`, `CAQES_ADDR`, `CAQES_SECURE_COOKIES`,
//! `CAQES_DATA_DIR`, `CAQES_TRUSTED_PROXY`), a TOML file given by `--config`
//! (keys `database_url`, `addr`, `secure_cookies`, `data_dir`,
//! `trusted_proxy`), then defaults.
//!
//! Files: the SQLite database and its `-wal`/`-shm` are made 0600 before the
//! server opens them (SQLite gives its journal files the database's mode),
//! and the data directory (uploads waiting for confirmation; by default
//! `caqes-fichiers` next to the SQLite database, required with PostgreSQL)
//! 0700 with 0600 files.
//!
//! The OIDC (ProConnect) login is on when an issuer is given: table `[oidc]`
//! of the file (`issuer`, `client_id`, `redirect_url`,
//! `post_logout_redirect_url`, `scopes`, `acr_values`, `button_label`) or the
//! variables `CAQES_OIDC_<KEY>` (which win). The client secret comes from
//! `CAQES_OIDC_CLIENT_SECRET` only, never from the file.
//!
//! E-mails (notifications): table `[smtp]` (`host`, `port`, `tls` = starttls |
//! tls | aucun, `user`, `from`) or the variables `CAQES_SMTP_<KEY>` (which
//! win); the password comes from `CAQES_SMTP_PASSWORD` only. Without SMTP,
//! `--courriels DIR` (`CAQES_COURRIELS`, `courriels`) writes each e-mail as an
//! `.eml` file in DIR, as the demo does; with neither, e-mails wait in the
//! outbox. Links in e-mails start with `--public-url` (`CAQES_PUBLIC_URL`,
//! `public_url`), by default `http://ADDR`.

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
    /// Fichier de configuration TOML (database_url, addr, secure_cookies, data_dir, trusted_proxy, public_url, courriels, [smtp], [oidc]).
    #[arg(long, env = "CAQES_CONFIG")]
    config: Option<PathBuf>,
    /// Dossier privé des fichiers déposés en attente de confirmation (créé en 0700) ;
    /// par défaut caqes-fichiers à côté de la base SQLite, obligatoire avec PostgreSQL.
    #[arg(long = "data", env = "CAQES_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Le serveur est derrière UN mandataire inverse de confiance : l'adresse du client
    /// (limitation des tentatives de connexion) est la dernière de X-Forwarded-For.
    #[arg(long, env = "CAQES_TRUSTED_PROXY")]
    trusted_proxy: Option<bool>,
    /// Adresse publique du site, début des liens des courriels (par défaut http://ADDR).
    #[arg(long, env = "CAQES_PUBLIC_URL")]
    public_url: Option<String>,
    /// Sans serveur SMTP : écrit chaque courriel en fichier .eml dans ce dossier (affichés sur /courriels).
    #[arg(long, env = "CAQES_COURRIELS")]
    courriels: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    addr: Option<String>,
    secure_cookies: Option<bool>,
    data_dir: Option<PathBuf>,
    trusted_proxy: Option<bool>,
    public_url: Option<String>,
    courriels: Option<PathBuf>,
    oidc: Option<FileOidc>,
    smtp: Option<FileSmtp>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSmtp {
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    user: Option<String>,
    from: Option<String>,
}

/// The SMTP settings from the file and the environment (`env` reads a
/// variable), `None` when no host is given. The password is read from
/// `CAQES_SMTP_PASSWORD` only.
fn smtp_config(
    file: Option<FileSmtp>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<caqes_notify::SmtpSettings>> {
    let file = file.unwrap_or_default();
    let get = |key: &str, from_file: Option<String>| {
        env(&format!("CAQES_SMTP_{}", key.to_uppercase()))
            .filter(|v| !v.trim().is_empty())
            .or(from_file)
    };
    let Some(host) = get("host", file.host) else {
        return Ok(None);
    };
    let tls = match get("tls", file.tls) {
        None => caqes_notify::TlsMode::default(),
        Some(t) => caqes_notify::TlsMode::parse(&t).ok_or_else(|| {
            BadInput(format!(
                "SMTP : mode TLS inconnu « {t} » (attendu starttls, tls ou aucun)"
            ))
        })?,
    };
    let port = match get("port", file.port.map(|p| p.to_string())) {
        None => tls.default_port(),
        Some(p) => p
            .trim()
            .parse()
            .map_err(|_| BadInput(format!("SMTP : port invalide « {p} »")))?,
    };
    let from = get("from", file.from).ok_or_else(|| {
        BadInput(
            "SMTP : réglage « from » manquant (table [smtp] du fichier de configuration ou variable CAQES_SMTP_FROM)".into(),
        )
    })?;
    caqes_notify::mail::parse_mailbox(&from)
        .map_err(|e| BadInput(format!("SMTP : expéditeur invalide : {e}")))?;
    Ok(Some(caqes_notify::SmtpSettings {
        host,
        port,
        tls,
        user: get("user", file.user),
        password: caqes_notify::Secret::new(env("CAQES_SMTP_PASSWORD").unwrap_or_default()),
        from,
    }))
}

/// How the e-mails of the notifications leave.
pub enum Mailer {
    Smtp(caqes_notify::SmtpSettings),
    /// `.eml` files in this folder (the demo's `DATA_DIR/courriels/`).
    Folder(PathBuf),
    /// Nowhere yet: they wait in the outbox.
    None,
}

/// Starts the notification worker on the current runtime (the outbox of
/// `store`, links from `public_url`). Returns `None` when e-mails only wait.
pub fn start_worker(
    store: &caqes_store::Store,
    mailer: &Mailer,
    public_url: &str,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    use caqes_notify::{MailDir, Smtp, Worker, WorkerSettings};
    let host = public_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost")
        .to_owned();
    Ok(match mailer {
        Mailer::Smtp(settings) => {
            let transport = Smtp::new(settings, &host).context("réglages SMTP")?;
            let worker = Worker::new(
                store.clone(),
                transport,
                WorkerSettings::new(&settings.from, public_url),
            )
            .context("réglages SMTP")?;
            Some(worker.spawn())
        }
        Mailer::Folder(dir) => {
            let from = format!("CAQES <ne-pas-repondre@{host}>");
            let from = if host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
                "CAQES <ne-pas-repondre@caqes.invalid>".to_owned()
            } else {
                from
            };
            let worker = Worker::new(
                store.clone(),
                MailDir::new(dir),
                WorkerSettings::new(&from, public_url),
            )
            .context("dossier des courriels")?;
            Some(worker.spawn())
        }
        Mailer::None => None,
    })
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
    let data_dir = data_dir(args.data_dir.or(file.data_dir), &database_url)?;
    private_database(&database_url)?;
    caqes_web::files::private_dir(&data_dir)
        .with_context(|| format!("dossier de données {}", data_dir.display()))?;
    let public_url = args
        .public_url
        .or(file.public_url)
        .unwrap_or_else(|| format!("http://{addr}"));
    let courriels = args.courriels.or(file.courriels);
    let mailer = match smtp_config(file.smtp, |k| std::env::var(k).ok())? {
        Some(smtp) => Mailer::Smtp(smtp),
        None => match &courriels {
            Some(dir) => Mailer::Folder(dir.clone()),
            None => Mailer::None,
        },
    };
    let config = caqes_web::Config {
        secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
        oidc: oidc_config(file.oidc, |k| std::env::var(k).ok())?,
        data_dir,
        trusted_proxy: args.trusted_proxy.or(file.trusted_proxy).unwrap_or(false),
        mailbox: match &mailer {
            Mailer::Folder(dir) => Some(dir.clone()),
            _ => None,
        },
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
        match &mailer {
            Mailer::Smtp(s) => eprintln!("Courriels : serveur SMTP {}:{}", s.host, s.port),
            Mailer::Folder(dir) => {
                eprintln!("Courriels : fichiers .eml dans {}", dir.display())
            }
            Mailer::None => eprintln!(
                "Courriels : aucun serveur SMTP configuré ([smtp] ou CAQES_SMTP_HOST) : les courriels restent en file d'attente"
            ),
        }
        let _worker = start_worker(&store, &mailer, &public_url)?;
        eprintln!("CAQES en écoute sur http://{addr}/");
        caqes_web::serve(store, config, addr)
            .await
            .with_context(|| format!("écoute sur {addr}"))
    })
}

/// The file of a SQLite URL (`sqlite://chemin?options`), `None` for
/// PostgreSQL and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// Makes the SQLite database private to the service before it is opened:
/// created empty with mode 0600 when missing (SQLite gives the same mode to
/// the `-wal` and `-shm` files it creates next to it), set to 0600 with its
/// existing `-wal`/`-shm` otherwise.
pub fn private_database(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            caqes_web::files::private_dir(dir)
                .with_context(|| format!("création du dossier {}", dir.display()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&path)
            .with_context(|| format!("création de la base {}", path.display()))?;
        return Ok(());
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("droits de {}", file.display()))?;
        }
    }
    Ok(())
}

/// The data directory: given, or `caqes-fichiers` next to a SQLite database.
pub fn data_dir(given: Option<PathBuf>, database_url: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let Some(db) = sqlite_file(database_url) else {
        return Err(BadInput(
            "aucun dossier de données : donner --data, CAQES_DATA_DIR ou data_dir dans --config (obligatoire avec PostgreSQL)".into(),
        )
        .into());
    };
    let parent = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    Ok(parent.join("caqes-fichiers"))
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
    fn sqlite_files_and_default_data_directory() {
        use std::path::PathBuf;
        assert_eq!(
            super::sqlite_file("sqlite:///var/lib/caqes/caqes.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/caqes/caqes.db"))
        );
        assert_eq!(super::sqlite_file("sqlite::memory:"), None);
        assert_eq!(super::sqlite_file("postgres://h/db"), None);
        assert_eq!(
            super::data_dir(None, "sqlite:///var/lib/caqes/caqes.db").unwrap(),
            PathBuf::from("/var/lib/caqes/caqes-fichiers")
        );
        assert_eq!(
            super::data_dir(None, "sqlite://caqes.db").unwrap(),
            PathBuf::from("./caqes-fichiers")
        );
        let err = super::data_dir(None, "postgres://h/db").unwrap_err();
        assert!(err.chain().any(|c| c.is::<crate::exit::BadInput>()));
        assert_eq!(
            super::data_dir(Some("/srv/x".into()), "postgres://h/db").unwrap(),
            PathBuf::from("/srv/x")
        );
    }

    #[test]
    fn smtp_settings_from_file_and_environment() {
        let none = |_: &str| None;
        assert!(super::smtp_config(None, none).unwrap().is_none());
        let file: super::FileConfig = toml::from_str(
            "[smtp]\nhost = \"smtp.ars.example\"\ntls = \"tls\"\nuser = \"caqes\"\nfrom = \"CAQES <caqes@ars.example>\"\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            "CAQES_SMTP_PASSWORD" => Some("mot-de-passe-smtp".to_owned()),
            "CAQES_SMTP_USER" => Some("variable".to_owned()),
            _ => None,
        };
        let s = super::smtp_config(file.smtp, env).unwrap().unwrap();
        assert_eq!(s.host, "smtp.ars.example");
        assert_eq!(s.port, 465, "the TLS mode's port by default");
        assert_eq!(s.user.as_deref(), Some("variable"));
        assert_eq!(s.password.expose(), "mot-de-passe-smtp");
        assert!(!format!("{s:?}").contains("mot-de-passe-smtp"));
        // The password is not a file setting; a missing sender or a bad TLS mode is the user's error.
        assert!(toml::from_str::<super::FileConfig>("[smtp]\npassword = \"x\"\n").is_err());
        let env = |k: &str| (k == "CAQES_SMTP_HOST").then(|| "smtp.example".to_owned());
        let err = super::smtp_config(None, env).unwrap_err();
        assert!(err.chain().any(|c| c.is::<crate::exit::BadInput>()));
        assert!(err.to_string().contains("CAQES_SMTP_FROM"), "{err}");
        let env = |k: &str| match k {
            "CAQES_SMTP_HOST" => Some("smtp.example".to_owned()),
            "CAQES_SMTP_FROM" => Some("a@b.fr".to_owned()),
            "CAQES_SMTP_TLS" => Some("ssl2".to_owned()),
            "CAQES_SMTP_PORT" => Some("2525".to_owned()),
            _ => None,
        };
        assert!(
            super::smtp_config(None, env)
                .unwrap_err()
                .to_string()
                .contains("ssl2")
        );
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
