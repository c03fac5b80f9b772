//! `caqes evaluate`: scores of the volet obligatoire for one year.

use std::path::{Path, PathBuf};

use anyhow::Context;
use caqes_core::referentiel::Applicability;
use caqes_core::scoring::{self, Line, Score};
use caqes_core::value::Entry;
use caqes_data::evaluation_input::{self, EstablishmentRow};
use serde_json::{Value as Json, json};

use crate::exit::BadInput;
use crate::output::{json_number, text_number, write_output};

#[derive(clap::Args)]
pub struct Args {
    /// Identifiant du référentiel intégré (ex. occitanie-2018) ou chemin d'un fichier TOML.
    #[arg(long)]
    referentiel: String,
    /// Année évaluée.
    #[arg(long)]
    annee: i16,
    /// etablissements.csv : finess;raison_sociale;categorie;region;produits_am
    #[arg(long)]
    etablissements: PathBuf,
    /// valeurs.csv : finess;indicateur;annee;numerateur;denominateur;valeur
    #[arg(long)]
    valeurs: PathBuf,
    /// cibles.csv : finess;indicateur;annee;cible
    #[arg(long)]
    cibles: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Fichier de sortie (sortie standard par défaut). Rien n'est écrit en cas d'erreur.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Json,
    Csv,
}

fn read(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        BadInput(format!(
            "{} : le fichier n'est pas en UTF-8 (octet invalide à la position {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
        .into()
    })
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (referentiel, _) = super::referentiel::load(&args.referentiel)?;
    let ets_name = args.etablissements.display().to_string();
    let establishments =
        evaluation_input::read_establishments(&ets_name, &read(&args.etablissements)?)
            .map_err(|e| BadInput(e.to_string()))?;
    let values_text = read(&args.valeurs)?;
    let targets_text = args.cibles.as_deref().map(read).transpose()?;
    let values_name = args.valeurs.display().to_string();
    let targets_name = args.cibles.as_ref().map(|p| p.display().to_string());
    let data = evaluation_input::read_yearly_data(
        &referentiel,
        &establishments,
        (&values_name, &values_text),
        targets_name.as_deref().zip(targets_text.as_deref()),
    )
    .map_err(|e| BadInput(e.to_string()))?;

    let scores: Vec<(&EstablishmentRow, Score)> = establishments
        .iter()
        .map(|e| {
            let s = scoring::score(
                &referentiel,
                e.category,
                args.annee,
                &data.entries(e.finess, args.annee),
                &data.targets(e.finess, args.annee),
            );
            for w in &s.warnings {
                tracing::warn!("{} : {w}", e.finess);
            }
            (e, s)
        })
        .collect();

    let bytes = match args.format {
        Format::Json => {
            let array: Vec<Json> = scores.iter().map(|(e, s)| to_json(e, s)).collect();
            serde_json::to_string_pretty(&array)? + "\n"
        }
        Format::Csv => to_csv(&scores)?,
    };
    write_output(args.output.as_deref(), bytes.as_bytes())
}

/// The word or number given, as in the JSON output (`null` when absent).
fn entry_json(entry: Option<&Entry>) -> Json {
    match entry {
        None => Json::Null,
        Some(Entry::Declared(a)) => Json::from(a.code()),
        Some(Entry::Value(v)) => match (v.word(), v.number()) {
            (Some(w), _) => Json::from(w),
            (None, Some(n)) => json_number(n),
            (None, None) => Json::Null,
        },
    }
}

fn status(line: &Line) -> &'static str {
    match line.status {
        Applicability::Concerned => "concerne",
        Applicability::Nc => "NC",
        Applicability::Nm => "NM",
    }
}

fn to_json(e: &EstablishmentRow, s: &Score) -> Json {
    let lines: Vec<Json> = s
        .lines
        .iter()
        .map(|l| {
            json!({
                "code": l.code,
                "statut": status(l),
                "points_max": json_number(l.max_points),
                "points": json_number(l.points),
                "valeur": entry_json(l.entry.as_ref()),
                "cible": l.target.map(json_number).unwrap_or(Json::Null),
                "atteint": l.met,
            })
        })
        .collect();
    json!({
        "finess": e.finess.as_str(),
        "score": json_number(s.score),
        "bonus": json_number(s.bonus),
        "total": json_number(s.total),
        "indicateurs": lines,
    })
}

/// One row per establishment and indicator, the establishment's totals repeated.
fn to_csv(scores: &[(&EstablishmentRow, Score)]) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    w.write_record([
        "finess",
        "raison_sociale",
        "categorie",
        "score",
        "bonus",
        "total",
        "indicateur",
        "statut",
        "points_max",
        "points",
        "valeur",
        "cible",
        "atteint",
    ])?;
    for (e, s) in scores {
        for l in &s.lines {
            let valeur = match entry_json(l.entry.as_ref()) {
                Json::Null => String::new(),
                Json::String(s) => s,
                other => other.to_string(),
            };
            w.write_record([
                e.finess.as_str(),
                &e.name,
                e.category.code(),
                &text_number(s.score),
                &text_number(s.bonus),
                &text_number(s.total),
                &l.code,
                status(l),
                &text_number(l.max_points),
                &text_number(l.points),
                &valeur,
                &l.target.map(text_number).unwrap_or_default(),
                match l.met {
                    Some(true) => "oui",
                    Some(false) => "non",
                    None => "",
                },
            ])?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("écriture CSV : {e}"))?;
    String::from_utf8(bytes).context("sortie CSV")
}
