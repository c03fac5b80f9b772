//! `caqes audit verifier`: checks the audit log's hash chain and prints its
//! head, to be kept outside the database for the next check.

use anyhow::Context;
use caqes_store::{ChainVerdict, Store};

use super::serve::{check_database_url, redact};
use crate::exit::BadInput;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Vérifie que le journal d'audit n'a été ni modifié ni amputé (chaîne
    /// d'empreintes SHA-256) ; code de sortie 2 en nommant la première ligne
    /// altérée.
    Verifier(VerifyArgs),
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Base de données : sqlite://chemin/caqes.db ou postgres://utilisateur@hôte/base.
    #[arg(long, env = "CAQES_DATABASE_URL")]
    database_url: String,
    /// Empreinte de tête relevée lors d'une vérification précédente : elle doit
    /// toujours figurer dans la chaîne (option répétable).
    #[arg(long = "tete-connue", value_name = "EMPREINTE")]
    known_heads: Vec<String>,
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Verifier(args) => verify(args),
    }
}

fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let url = check_database_url(&args.database_url)?;
    for head in &args.known_heads {
        if head.len() != 64 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadInput(format!(
                "--tete-connue : « {head} » n'est pas une empreinte SHA-256 (64 chiffres hexadécimaux)"
            ))
            .into());
        }
    }
    let known: Vec<String> = args
        .known_heads
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let runtime = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    runtime.block_on(async move {
        // Without migrating: the check never changes the database it checks.
        let store = Store::connect_existing(&url)
            .await
            .with_context(|| format!("connexion à la base {}", redact(&url)))?;
        let verdict = store
            .verify_audit_chain(&known)
            .await
            .context("lecture du journal d'audit")?;
        store.close().await;
        match verdict {
            ChainVerdict::Intact {
                lines,
                head,
                anchors,
            } => {
                println!(
                    "Journal d'audit intègre : {lines} ligne(s) chaînée(s), {anchors} décision(s) \
                     notifiée(s) retrouvée(s) à leur place."
                );
                println!(
                    "Tête de chaîne : ligne n° {}, empreinte {}",
                    head.seq, head.hash
                );
                println!(
                    "Conservez cette empreinte hors de la base : une vérification ultérieure avec \
                     --tete-connue {} détectera aussi la suppression des dernières lignes.",
                    head.hash
                );
                Ok(())
            }
            ChainVerdict::Broken(b) => {
                Err(BadInput(format!("journal d'audit altéré : {b}")).into())
            }
        }
    })
}
