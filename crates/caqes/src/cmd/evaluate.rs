//! `caqes evaluate`: scores of the volet obligatoire for one year.

use std::path::{Path, PathBuf};

use anyhow::Context;
use caqes_core::rate::round_half_away;
use caqes_core::referentiel::{Applicability, Direction};
use caqes_core::sanction::{self, SanctionBasis};
use caqes_core::scoring::{self, Line, Score};
use caqes_core::value::Entry;
use caqes_data::evaluation_input::{self, EstablishmentRow};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;

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
            // Serialized straight from the scores: no JSON tree of every line in memory.
            let array = Establishments(&ctx, &scores);
            serde_json::to_string_pretty(&array)? + "\n"
        }
        Format::Csv => to_csv(&ctx, &scores)?,
    };
    write_output(args.output.as_deref(), bytes.as_bytes())
}

/// A decimal in the JSON output: rounded half away from zero to 2 decimals, an integer
/// when it has no fractional part (`100`, not `100.0`), as `json_number` writes it.
struct Num(Decimal);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json_number(self.0).serialize(s)
    }
}

/// The redistribution factor, to 6 decimals (100/78 = 1.282051): 2 would hide it.
struct Factor(Decimal);

impl Serialize for Factor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = round_half_away(self.0, 6).normalize();
        match (r.fract().is_zero(), r.to_i64(), r.to_f64()) {
            (true, Some(i), _) => s.serialize_i64(i),
            (_, _, Some(f)) => s.serialize_f64(f),
            _ => s.serialize_none(),
        }
    }
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

/// The socle sanction proposed from the score, in euros; `None` when the establishment is
/// not evaluable (« non évaluable »: no sanction) or its AM revenue is not given.
fn proposed_sanction(ctx: &OutputContext<'_>, e: &EstablishmentRow, s: &Score) -> Option<Decimal> {
    let score = s.scale_score(ctx.bonus_counts)?;
    let revenue = e.am_revenue?;
    sanction::propose_socle_sanction(ctx.sanction, score, SanctionBasis::ProduitsAm(revenue))
        .ok()
        .map(|p| p.amount().0)
}

/// Every establishment, as a JSON array.
struct Establishments<'a>(&'a OutputContext<'a>, &'a [(&'a EstablishmentRow, Score)]);

impl Serialize for Establishments<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.1.iter().map(|(e, score)| EstablishmentJson {
            ctx: self.0,
            e,
            s: score,
        }))
    }
}

/// One establishment: its totals, warnings and lines.
struct EstablishmentJson<'a> {
    ctx: &'a OutputContext<'a>,
    e: &'a EstablishmentRow,
    s: &'a Score,
}

impl Serialize for EstablishmentJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (ctx, e, s) = (self.ctx, self.e, self.s);
        let mut m = ser.serialize_map(Some(9))?;
        m.serialize_entry("finess", e.finess.as_str())?;
        m.serialize_entry("score", &s.value().map(Num))?;
        m.serialize_entry("bonus", &s.bonus_value().map(Num))?;
        m.serialize_entry("total", &s.total_value().map(Num))?;
        m.serialize_entry("evaluable", &s.evaluable)?;
        m.serialize_entry("score_bareme", &s.scale_score(ctx.bonus_counts).map(Num))?;
        m.serialize_entry("sanction_proposee", &proposed_sanction(ctx, e, s).map(Num))?;
        m.serialize_entry("avertissements", &s.warnings)?;
        m.serialize_entry("indicateurs", &Lines(ctx, s))?;
        m.end()
    }
}

struct Lines<'a>(&'a OutputContext<'a>, &'a Score);

impl Serialize for Lines<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.1.lines.iter().map(|l| LineJson(self.0, l)))
    }
}

/// One indicator line: the historical fields, then the explanation (see docs/scoring.md).
struct LineJson<'a>(&'a OutputContext<'a>, &'a Line);

impl Serialize for LineJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (ctx, l) = (self.0, self.1);
        let x = &l.explanation;
        let parts = match l.entry {
            Some(Entry::Value(v)) => v.parts(),
            _ => None,
        };
        let mut m = ser.serialize_map(Some(20))?;
        m.serialize_entry("code", &l.code)?;
        m.serialize_entry("statut", status(l))?;
        m.serialize_entry("points_max", &Num(l.max_points))?;
        m.serialize_entry("points", &Num(l.points))?;
        m.serialize_entry("valeur", &entry_json(l.entry.as_ref()))?;
        m.serialize_entry("cible", &l.target.map(Num))?;
        m.serialize_entry("atteint", &l.met)?;
        m.serialize_entry("numerateur", &parts.map(|p| Num(p.0)))?;
        m.serialize_entry("denominateur", &parts.and_then(|p| p.1).map(Num))?;
        m.serialize_entry("origine_cible", &x.target_origin.map(|o| o.code()))?;
        m.serialize_entry("regle", x.rule.code())?;
        m.serialize_entry(
            "sens",
            &x.direction.map(|d| match d {
                Direction::HigherIsBetter => "hausse",
                Direction::LowerIsBetter => "baisse",
            }),
        )?;
        m.serialize_entry("points_grille", &Num(x.grid_points))?;
        m.serialize_entry("facteur_repartition", &Factor(x.factor))?;
        m.serialize_entry("motif", &x.declaration.as_ref().map(|d| d.motive()))?;
        m.serialize_entry("revue", &x.declaration.as_ref().map(|d| d.review.code()))?;
        m.serialize_entry(
            "source",
            &x.source_line.map(|n| SourceRef(ctx.values_file, n)),
        )?;
        m.serialize_entry("echantillon_insuffisant", &x.small_sample)?;
        m.serialize_entry("explication", &Text(x.display(l, ctx.year)))?;
        m.end()
    }
}

/// `file:line`, written without an intermediate string.
struct SourceRef<'a>(&'a str, u64);

impl Serialize for SourceRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}:{}", self.0, self.1))
    }
}

/// A `Display` written as a JSON string.
struct Text<T>(T);

impl<T: std::fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
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
                &round_half_away(l.explanation.factor, 6)
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
