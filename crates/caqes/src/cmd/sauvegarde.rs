//! `caqes sauvegarde` and `caqes restauration`: a consistent backup of a
//! running platform's database into one portable archive file (readable by
//! the service user only), and its restoration into an empty database of
//! either engine. The archive's format is described in `caqes_store::backup`.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use caqes_store::backup::BackupError;
use caqes_store::{ChainVerdict, Store};

use super::serve::{check_database_url, redact};
use crate::exit::BadInput;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// Base de données à sauvegarder : sqlite://chemin/caqes.db ou postgres://utilisateur@hôte/base.
    #[arg(long, env = "CAQES_DATABASE_URL")]
    database_url: String,
    /// Fichier de sauvegarde à écrire (droits 0600 ; remplacé d'un coup s'il existe).
    #[arg(long, value_name = "FICHIER")]
    sortie: PathBuf,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// Base de données de destination, vide : sqlite://chemin/caqes.db ou postgres://utilisateur@hôte/base.
    #[arg(long, env = "CAQES_DATABASE_URL")]
    database_url: String,
    /// Fichier de sauvegarde écrit par `caqes sauvegarde`.
    #[arg(long, value_name = "FICHIER")]
    entree: PathBuf,
}

/// The user's side of a backup error (a bad archive, a non-empty or other
/// database: exit code 2); the rest stays a failure of the system.
fn classify(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::Format { .. }
        | BackupError::NotEmpty { .. }
        | BackupError::SchemaMismatch { .. }
        | BackupError::NoSchema => BadInput(e.to_string()).into(),
        other => other.into(),
    }
}

pub fn run_backup(args: BackupArgs) -> anyhow::Result<()> {
    let url = check_database_url(&args.database_url)?;
    let runtime = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    runtime.block_on(async move {
        // Without migrating: a backup taken while the server runs changes nothing.
        let store = Store::connect_existing(&url)
            .await
            .with_context(|| format!("connexion à la base {}", redact(&url)))?;
        let (tmp, file) = private_temporary(&args.sortie)?;
        let mut out = BufWriter::new(file);
        let written = store.backup(&mut out).await;
        store.close().await;
        let finished = written.map_err(classify).and_then(|counts| {
            let file = out
                .into_inner()
                .map_err(|e| e.into_error())
                .context("écriture de la sauvegarde")?;
            file.sync_all()
                .context("écriture de la sauvegarde sur le disque")?;
            std::fs::rename(&tmp, &args.sortie)
                .with_context(|| format!("renommage en {}", args.sortie.display()))?;
            Ok(counts)
        });
        let counts = match finished {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        println!(
            "Sauvegarde écrite : {} ({} ligne(s) dans {} table(s)).",
            args.sortie.display(),
            counts.total(),
            counts.0.len()
        );
        Ok(())
    })
}

/// A new file beside `path`, created readable and writable by its owner only
/// (the backup holds health data and password hashes).
fn private_temporary(path: &Path) -> anyhow::Result<(PathBuf, File)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| {
            BadInput(format!(
                "--sortie : « {} » n'est pas un fichier",
                path.display()
            ))
        })?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("création de {}", tmp.display()))?;
    Ok((tmp, file))
}

pub fn run_restore(args: RestoreArgs) -> anyhow::Result<()> {
    let url = check_database_url(&args.database_url)?;
    let file = File::open(&args.entree).map_err(|e| {
        BadInput(format!(
            "--entree : lecture de {} impossible : {e}",
            args.entree.display()
        ))
    })?;
    let runtime = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    runtime.block_on(async move {
        // The schema is created (migrations) on the empty database, then filled.
        let store = Store::connect(&url)
            .await
            .with_context(|| format!("connexion à la base {}", redact(&url)))?;
        let restored = store.restore(BufReader::new(file)).await;
        let counts = match restored {
            Ok(c) => c,
            Err(e) => {
                store.close().await;
                return Err(classify(e))
                    .with_context(|| format!("restauration de {}", args.entree.display()));
            }
        };
        let verdict = store.verify_audit_chain(&[]).await;
        store.close().await;
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "Restauration terminée : {} ligne(s) dans {} table(s).",
            counts.total(),
            counts.0.len()
        )?;
        match verdict.context("vérification du journal d'audit restauré")? {
            ChainVerdict::Intact { lines, head, .. } => writeln!(
                stdout,
                "Journal d'audit restauré intègre : {lines} ligne(s), tête {}.",
                head.hash
            )?,
            ChainVerdict::Broken(b) => {
                return Err(BadInput(format!(
                    "le journal d'audit de la sauvegarde est altéré : {b}"
                ))
                .into());
            }
        }
        Ok(())
    })
}
