//! `caqes admin creer-compte`: creates an account directly in the database,
//! the way to get the first administrator of an empty platform.
//!
//! The password comes from `CAQES_MOT_DE_PASSE` (never from the command line,
//! where it would be visible in the process list and the shell history);
//! without it a random one is generated, printed once, and must be changed at
//! the first login.

use anyhow::Context;
use caqes_core::RegionCode;
use caqes_store::accounts::policy;
use caqes_store::{Actor, Email, NewUser, Role};

use super::serve::{check_database_url, redact};
use crate::exit::BadInput;

pub const PASSWORD_ENV: &str = "CAQES_MOT_DE_PASSE";

#[derive(clap::Subcommand)]
pub enum Command {
    /// Crée un compte (le premier administrateur d'une base vide, par exemple).
    CreerCompte(CreateArgs),
}

#[derive(clap::Args)]
pub struct CreateArgs {
    /// Base de données : sqlite://chemin/caqes.db ou postgres://utilisateur@hôte/base.
    #[arg(long, env = "CAQES_DATABASE_URL")]
    database_url: String,
    /// Adresse électronique (identifiant de connexion).
    #[arg(long)]
    email: String,
    /// Nom affiché.
    #[arg(long)]
    nom: String,
    /// Rôle : admin, ars, assurance_maladie, omedit ou etablissement.
    #[arg(long, default_value = "admin")]
    role: String,
    /// Code de la région (rôles régionaux).
    #[arg(long)]
    region: Option<String>,
    /// FINESS juridique de l'entité (rôle etablissement).
    #[arg(long)]
    entite: Option<String>,
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::CreerCompte(args) => create(args),
    }
}

fn create(args: CreateArgs) -> anyhow::Result<()> {
    let url = check_database_url(&args.database_url)?;
    let role: Role = args
        .role
        .parse()
        .map_err(|e: String| BadInput(format!("--role : {e}")))?;
    let email = Email::parse(&args.email).map_err(|e| {
        BadInput(format!(
            "--email : adresse invalide « {} » ({e})",
            args.email.trim()
        ))
    })?;
    if args.nom.trim().is_empty() {
        return Err(BadInput("--nom : obligatoire".into()).into());
    }
    let entity = match (role, args.entite.as_deref()) {
        (Role::Etablissement, Some(f)) => Some(
            caqes_core::Finess::parse(f.trim()).map_err(|e| BadInput(format!("--entite : {e}")))?,
        ),
        (Role::Etablissement, None) => {
            return Err(
                BadInput("--entite : obligatoire pour le rôle etablissement".into()).into(),
            );
        }
        (_, Some(_)) => {
            return Err(BadInput("--entite : réservé au rôle etablissement".into()).into());
        }
        (_, None) => None,
    };
    let (password, generated) = match std::env::var(PASSWORD_ENV) {
        Ok(p) => {
            // The same policy as the web forms (ANSSI: length, no trivial password).
            let owner = policy::Owner {
                email: email.as_str(),
                name: args.nom.trim(),
                current_hash: None,
            };
            policy::check(&p, owner).map_err(|e| BadInput(format!("{PASSWORD_ENV} : {e}")))?;
            (p, false)
        }
        Err(_) => (caqes_store::new_id()[..20].to_owned(), true),
    };
    let runtime = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    runtime.block_on(async move {
        let store = caqes_store::Store::connect(&url)
            .await
            .with_context(|| format!("connexion à la base {}", redact(&url)))?;
        let region = match (role, args.region.as_deref().map(str::trim)) {
            (Role::Etablissement, _) => {
                let finess = entity.map(|f| f.to_string()).unwrap_or_default();
                let e = match &entity {
                    Some(f) => store.legal_entity(f).await?,
                    None => None,
                };
                let e = e.ok_or_else(|| {
                    BadInput(format!("--entite : l'entité juridique {finess} n'est pas enregistrée"))
                })?;
                Some(e.region)
            }
            (Role::Admin, _) => None,
            (_, None | Some("")) => {
                return Err(BadInput("--region : obligatoire pour un rôle régional".into()).into());
            }
            (_, Some(text)) => {
                // A malformed code is as unknown as a well-formed one not registered.
                let unknown = || BadInput(format!("--region : région « {text} » inconnue"));
                let code = RegionCode::parse(text).map_err(|_| unknown())?;
                if store.region(&code).await?.is_none() {
                    return Err(unknown().into());
                }
                Some(code)
            }
        };
        if store.user_by_email(email.as_str()).await?.is_some() {
            return Err(BadInput(format!("--email : un compte existe déjà pour {email}")).into());
        }
        let hash = caqes_web::auth::hash_password(&password)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let new = NewUser {
            email: email.clone(),
            display_name: args.nom.trim().to_owned(),
            role,
            region,
            entity,
            password_hash: hash,
        };
        let actor = Actor::system("ligne de commande (caqes admin creer-compte)");
        // A generated password was shown on a terminal: the user replaces it at once.
        let user = if generated {
            store.create_user_with_temporary_password(&actor, &new).await?
        } else {
            store.create_user(&actor, &new).await?
        };
        println!("Compte créé : {} ({})", user.email, user.role.label());
        if generated {
            println!("Mot de passe temporaire (affiché une seule fois, à changer à la première connexion) : {password}");
        }
        store.close().await;
        Ok(())
    })
}
