//! (en cours d'écriture)

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("commande pas encore disponible")
}
