//! (en cours d'écriture)

#[derive(clap::Subcommand)]
pub enum Command {
    /// (en cours d'écriture)
    Placeholder,
}

pub fn run(_cmd: Command) -> anyhow::Result<()> {
    anyhow::bail!("commande pas encore disponible")
}
