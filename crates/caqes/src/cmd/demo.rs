//! `caqes demo`: a fresh database with a fictitious region, one account per
//! role (credentials printed), served at once. Embedded SQLite by default;
//! `--database-url` seeds an empty PostgreSQL (or SQLite) database instead.

use std::path::PathBuf;

use anyhow::Context;

use super::serve::{DEFAULT_ADDR, check_database_url, parse_addr, private_database};
use crate::exit::BadInput;

#[derive(clap::Args)]
pub struct Args {
    /// Adresse d'écoute (HÔTE:PORT).
    #[arg(long, env = "CAQES_ADDR", default_value = DEFAULT_ADDR)]
    addr: String,
    /// Dossier où créer la base SQLite (sans base existante) ; par défaut un nouveau dossier temporaire.
    #[arg(long, conflicts_with = "database_url")]
    data: Option<PathBuf>,
    /// Remplit plutôt cette base, qui doit être vide (par exemple postgres://postgres@127.0.0.1/caqes_demo).
    #[arg(long)]
    database_url: Option<String>,
}

/// A random password of 20 hexadecimal characters (80 bits), easy to copy.
fn random_password() -> String {
    caqes_store::new_id()[..20].to_owned()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let addr = parse_addr(&args.addr)?;
    // The demo's uploads and e-mails (no mail server: each e-mail becomes an
    // .eml file under DATA_DIR/courriels/) go to private directories next to
    // its SQLite database, or to a new private temporary one with PostgreSQL.
    let (url, data_dir, courriels) = match args.database_url {
        Some(url) => {
            let base =
                std::env::temp_dir().join(format!("caqes-demo-fichiers-{}", caqes_store::new_id()));
            (
                check_database_url(&url)?,
                base.join("caqes-fichiers"),
                base.join("courriels"),
            )
        }
        None => {
            let dir = match args.data {
                Some(dir) => dir,
                None => std::env::temp_dir().join(format!("caqes-demo-{}", caqes_store::new_id())),
            };
            let db = dir.join("caqes.db");
            if db.exists() {
                return Err(BadInput(format!(
                    "{} existe déjà : la démonstration crée une base neuve (choisir un autre --data, ou `caqes serve --database-url sqlite://{}`)",
                    db.display(),
                    db.display()
                ))
                .into());
            }
            caqes_web::files::private_dir(&dir)
                .with_context(|| format!("création du dossier {}", dir.display()))?;
            (
                format!("sqlite://{}", db.display()),
                dir.join("caqes-fichiers"),
                dir.join("courriels"),
            )
        }
    };
    private_database(&url)?;
    caqes_web::files::private_dir(&data_dir)
        .with_context(|| format!("dossier de données {}", data_dir.display()))?;
    let runtime = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    runtime.block_on(async move {
        let store = caqes_store::Store::connect(&url)
            .await
            .context("ouverture de la base de démonstration")?;
        if store
            .region(&caqes_demo::REGION)
            .await
            .context("lecture de la base")?
            .is_some()
        {
            return Err(BadInput(
                "la base contient déjà la région de démonstration : donner une base vide".into(),
            )
            .into());
        }
        let passwords: std::collections::BTreeMap<&str, String> = caqes_store::Role::ALL
            .into_iter()
            .map(|r| (r.code(), random_password()))
            .collect();
        eprintln!("Création de la région de démonstration…");
        let region = caqes_demo::seed(&store, |role| {
            passwords.get(role.code()).cloned().unwrap_or_default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("remplissage de la base de démonstration")?;
        println!("Base de démonstration : {}", super::serve::redact(&url));
        println!(
            "(relancer plus tard avec : caqes serve --database-url {} --courriels {})",
            super::serve::redact(&url),
            courriels.display()
        );
        println!(
            "Courriels : aucun serveur SMTP, chaque courriel est écrit dans {} (page /courriels)",
            courriels.display()
        );
        println!();
        println!("Comptes (adresse électronique / mot de passe) :");
        for a in &region.accounts {
            println!(
                "  {:<18} {:<34} {}   — {}",
                a.role.label(),
                a.email,
                a.password,
                a.description
            );
        }
        println!();
        println!("Ouvrir http://{addr}/ (Ctrl-C pour arrêter)");
        let mailer = super::serve::Mailer::Folder(courriels.clone());
        let _worker = super::serve::start_worker(&store, &mailer, &format!("http://{addr}"))?;
        let config = caqes_web::Config {
            data_dir,
            mailbox: Some(courriels),
            ..caqes_web::Config::default()
        };
        caqes_web::serve(store, config, addr)
            .await
            .with_context(|| format!("écoute sur {addr}"))
    })
}
