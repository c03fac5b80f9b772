//! `caqes`: the command line of the CAQES platform.
//!
//! Exit codes: 0 success, 2 bad input (a French message names the file, line and
//! field; nothing is written), 1 any other failure.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod exit;
mod ordered;
mod output;

/// CAQES : contrat d'amélioration de la qualité et de l'efficience des soins.
#[derive(Parser)]
#[command(name = "caqes", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lance la plateforme sur une base de démonstration (région fictive).
    Demo(cmd::demo::Args),
    /// Lance la plateforme sur une base de données donnée.
    Serve(cmd::serve::Args),
    /// Administration : création d'un compte (le premier administrateur).
    #[command(subcommand)]
    Admin(cmd::admin::Command),
    /// Référentiels (grilles d'engagement) : liste, détail, synthèse.
    #[command(subcommand)]
    Referentiel(cmd::referentiel::Command),
    /// Calcule les scores du volet obligatoire pour une année.
    Evaluate(cmd::evaluate::Args),
    /// Documents de la procédure en PDF (rapport d'évaluation…).
    #[command(subcommand)]
    Rapport(cmd::rapport::Command),
    /// Propose la sanction du volet obligatoire selon le barème du référentiel.
    Sanction(cmd::contrat::SanctionArgs),
    /// Dates du contrat : entrée en vigueur, délai de signature, recours.
    Calendrier(cmd::contrat::CalendarArgs),
    /// Données Open PHMEV de l'Assurance Maladie : indicateurs et palmarès.
    #[command(subcommand)]
    Phmev(cmd::phmev::Command),
    /// Journal d'audit : vérification de la chaîne d'empreintes.
    #[command(subcommand)]
    Audit(cmd::audit::Command),
    /// Sauvegarde cohérente de la base (serveur en marche) dans un fichier portable.
    Sauvegarde(cmd::sauvegarde::BackupArgs),
    /// Restauration d'une sauvegarde dans une base vide (SQLite ou PostgreSQL).
    Restauration(cmd::sauvegarde::RestoreArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Admin(c) => cmd::admin::run(c),
        Command::Referentiel(c) => cmd::referentiel::run(c),
        Command::Evaluate(args) => cmd::evaluate::run(args),
        Command::Rapport(c) => cmd::rapport::run(c),
        Command::Sanction(args) => cmd::contrat::run_sanction(args),
        Command::Calendrier(args) => cmd::contrat::run_calendar(args),
        Command::Phmev(c) => cmd::phmev::run(c),
        Command::Audit(c) => cmd::audit::run(c),
        Command::Sauvegarde(args) => cmd::sauvegarde::run_backup(args),
        Command::Restauration(args) => cmd::sauvegarde::run_restore(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::report(&err),
    }
}
