//! `caqes evaluate`: scores of the volet obligatoire for one year.

use std::path::{Path, PathBuf};

use anyhow::Context;
use caqes_core::referentiel::{Applicability, Direction};
use caqes_core::sanction::{self, SanctionBasis};
use caqes_core::scoring::{self, Line, Score};
use caqes_core::value::Entry;
use caqes_data::evaluation_input::{self, EstablishmentRow};
use serde_json::{Value as Json, json};

use crate::exit::BadInput;
use crate::output::{json_number, text_number, write_output};

/// The output fields, for `caqes evaluate --help` (documented in docs/scoring.md).
const OUTPUT_HELP: &str = "\
Sortie JSON, par établissement : finess, score, bonus, total (null tous trois si rien n'est
concerné : établissement non évaluable), evaluable, score_bareme (le chiffre lu sur le barème
de sanction : total si le référentiel compte le bonus, sinon score ; null si non évaluable),
sanction_proposee (euros, selon produits_am ; null si non évaluable ou sans produits_am),
avertissements, et indicateurs[] :
  code, statut (concerne | NC | NM), points_max (en jeu après répartition), points, valeur,
  cible (contractualisée ou par défaut du référentiel), atteint (null si NC/NM ou cible manquante),
  numerateur, denominateur (parties de la valeur), origine_cible (contrat | referentiel |
  manquante | null si la ligne n'est pas comparée à une cible), regle (nc_categorie,
  nm_categorie, nc_declare, valeur_manquante, etat_des_lieux_valeur, etat_des_lieux_acte,
  comparaison_cible, cible_manquante, oui_non, en_cours_moitie), sens (hausse | baisse, si
  comparée), points_grille, facteur_repartition, motif et revue (NC déclaré), source
  (fichier:ligne de la valeur), echantillon_insuffisant, explication (une phrase).
valeurs.csv accepte une colonne facultative motif : NC sur un indicateur que la catégorie rend
concerné exige un motif ; NM ne se déclare pas (il découle de la catégorie).";

#[derive(clap::Args)]
#[command(after_long_help = OUTPUT_HELP)]
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
    /// valeurs.csv : finess;indicateur;annee;numerateur;denominateur;valeur[;motif]
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
            let s = scoring::evaluate(
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

    let ctx = OutputContext {
        values_file: &values_name,
        year: args.annee,
        bonus_counts: referentiel.parameters.sanction.bonus_compte_pour_bareme,
        sanction: &referentiel.parameters.sanction,
    };
    let bytes = match args.format {
        Format::Json => {
            let array: Vec<Json> = scores.iter().map(|(e, s)| to_json(&ctx, e, s)).collect();
            serde_json::to_string_pretty(&array)? + "\n"
        }
        Format::Csv => to_csv(&ctx, &scores)?,
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

/// What every line's output needs besides the line.
struct OutputContext<'a> {
    values_file: &'a str,
    year: i16,
    bonus_counts: bool,
    sanction: &'a caqes_core::sanction::SanctionParameters,
}

fn opt_number(d: Option<rust_decimal::Decimal>) -> Json {
    d.map(json_number).unwrap_or(Json::Null)
}

/// The explanation fields of a line (French snake_case names, see docs/scoring.md).
fn explanation_json(ctx: &OutputContext<'_>, l: &Line) -> serde_json::Map<String, Json> {
    let x = &l.explanation;
    let parts = match l.entry {
        Some(Entry::Value(v)) => v.parts(),
        _ => None,
    };
    let mut m = serde_json::Map::new();
    m.insert("numerateur".into(), opt_number(parts.map(|p| p.0)));
    m.insert("denominateur".into(), opt_number(parts.and_then(|p| p.1)));
    m.insert(
        "origine_cible".into(),
        x.target_origin.map_or(Json::Null, |o| Json::from(o.code())),
    );
    m.insert("regle".into(), Json::from(x.rule.code()));
    m.insert(
        "sens".into(),
        x.direction.map_or(Json::Null, |d| {
            Json::from(match d {
                Direction::HigherIsBetter => "hausse",
                Direction::LowerIsBetter => "baisse",
            })
        }),
    );
    m.insert("points_grille".into(), json_number(x.grid_points));
    m.insert("facteur_repartition".into(), factor_json(x.factor));
    m.insert(
        "motif".into(),
        x.declaration
            .as_ref()
            .map_or(Json::Null, |d| Json::from(d.motive())),
    );
    m.insert(
        "revue".into(),
        x.declaration
            .as_ref()
            .map_or(Json::Null, |d| Json::from(d.review.code())),
    );
    m.insert(
        "source".into(),
        x.source_line.map_or(Json::Null, |n| {
            Json::from(format!("{}:{n}", ctx.values_file))
        }),
    );
    m.insert("echantillon_insuffisant".into(), Json::from(x.small_sample));
    m.insert("explication".into(), Json::from(x.text(l, ctx.year)));
    m
}

/// The redistribution factor to 6 decimals (100/78 = 1.282051): 2 would hide it.
fn factor_json(f: rust_decimal::Decimal) -> Json {
    use rust_decimal::prelude::ToPrimitive;
    let r = caqes_core::rate::round_half_away(f, 6).normalize();
    match (r.fract().is_zero(), r.to_i64()) {
        (true, Some(i)) => Json::from(i),
        _ => r
            .to_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number),
    }
}

/// The socle sanction proposed from the score, in euros; `None` when the establishment is
/// not evaluable (« non évaluable »: no sanction) or its AM revenue is not given.
fn proposed_sanction(
    ctx: &OutputContext<'_>,
    e: &EstablishmentRow,
    s: &Score,
) -> Option<rust_decimal::Decimal> {
    let score = s.scale_score(ctx.bonus_counts)?;
    let revenue = e.am_revenue?;
    sanction::propose_socle_sanction(ctx.sanction, score, SanctionBasis::ProduitsAm(revenue))
        .ok()
        .map(|p| p.amount().0)
}

fn to_json(ctx: &OutputContext<'_>, e: &EstablishmentRow, s: &Score) -> Json {
    let lines: Vec<Json> = s
        .lines
        .iter()
        .map(|l| {
            let mut m = serde_json::Map::new();
            m.insert("code".into(), Json::from(l.code.as_str()));
            m.insert("statut".into(), Json::from(status(l)));
            m.insert("points_max".into(), json_number(l.max_points));
            m.insert("points".into(), json_number(l.points));
            m.insert("valeur".into(), entry_json(l.entry.as_ref()));
            m.insert("cible".into(), opt_number(l.target));
            m.insert("atteint".into(), l.met.map_or(Json::Null, Json::from));
            m.extend(explanation_json(ctx, l));
            Json::Object(m)
        })
        .collect();
    json!({
        "finess": e.finess.as_str(),
        "score": opt_number(s.value()),
        "bonus": opt_number(s.bonus_value()),
        "total": opt_number(s.total_value()),
        "evaluable": s.evaluable,
        "score_bareme": opt_number(s.scale_score(ctx.bonus_counts)),
        "sanction_proposee": opt_number(proposed_sanction(ctx, e, s)),
        "avertissements": s.warnings,
        "indicateurs": lines,
    })
}

/// One row per establishment and indicator, the establishment's totals repeated.
fn to_csv(
    ctx: &OutputContext<'_>,
    scores: &[(&EstablishmentRow, Score)],
) -> anyhow::Result<String> {
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
        "origine_cible",
        "regle",
        "points_grille",
        "facteur_repartition",
        "motif",
        "source",
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
                &s.value().map(text_number).unwrap_or_default(),
                &s.bonus_value().map(text_number).unwrap_or_default(),
                &s.total_value().map(text_number).unwrap_or_default(),
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
                l.explanation.target_origin.map_or("", |o| o.code()),
                l.explanation.rule.code(),
                &text_number(l.explanation.grid_points),
                &caqes_core::rate::round_half_away(l.explanation.factor, 6)
                    .normalize()
                    .to_string(),
                l.explanation
                    .declaration
                    .as_ref()
                    .map_or("", |d| d.motive()),
                &l.explanation
                    .source_line
                    .map(|n| format!("{}:{n}", ctx.values_file))
                    .unwrap_or_default(),
            ])?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("écriture CSV : {e}"))?;
    String::from_utf8(bytes).context("sortie CSV")
}
