//! `caqes referentiel list|show|summary|check`.

use std::path::Path;

use anyhow::Context;
use caqes_core::Category;
use caqes_core::referentiel::{self, Applicability, Referentiel};
use caqes_core::regimes::{self, AnyReferentiel, Regime};

use super::referentiel_objectives as objectives;
use crate::exit::BadInput;
use crate::output::{json_number, write_output};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Liste les référentiels intégrés.
    List,
    /// Affiche un référentiel : parties, indicateurs, applicabilité par catégorie.
    Show {
        /// Identifiant d'un référentiel intégré, ou chemin d'un fichier TOML.
        id: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Synthèse : nombre d'indicateurs, points, décompte par catégorie.
    Summary {
        /// Identifiant d'un référentiel intégré, ou chemin d'un fichier TOML.
        id: String,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
        format: SummaryFormat,
    },
    /// Vérifie un fichier de référentiel (points, codes, catégories) sans l'installer.
    Check {
        /// Chemin du fichier TOML.
        path: std::path::PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
    Toml,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

/// A built-in référentiel by id, or a file by path, whatever its regime.
pub fn load_any(id_or_path: &str) -> anyhow::Result<(AnyReferentiel, String)> {
    if let Some((file, text)) = referentiel::builtin_sources()
        .iter()
        .find(|(_, text)| regimes::load("", text).is_ok_and(|r| r.id() == id_or_path))
    {
        let r = regimes::load(file, text).map_err(|e| BadInput(e.to_string()))?;
        return Ok((r, (*text).to_owned()));
    }
    let path = Path::new(id_or_path);
    if !path.exists() {
        let known: Vec<String> = regimes::builtin_any()
            .iter()
            .map(|r| r.id().to_owned())
            .collect();
        return Err(BadInput(format!(
            "référentiel « {id_or_path} » inconnu : ni un référentiel intégré ({}), ni un fichier existant",
            known.join(", ")
        ))
        .into());
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("lecture du référentiel {}", path.display()))?;
    let r =
        regimes::load(&path.display().to_string(), &text).map_err(|e| BadInput(e.to_string()))?;
    Ok((r, text))
}

/// A first-generation (points) référentiel by id or path; an objectives grid is refused
/// with a message naming its regime.
pub fn load(id_or_path: &str) -> anyhow::Result<(Referentiel, String)> {
    match load_any(id_or_path)? {
        (AnyReferentiel::Points(r), text) => Ok((r, text)),
        (AnyReferentiel::Objectives(g), _) => Err(BadInput(format!(
            "référentiel « {} » : régime « {} » (objectifs et intéressement), sans points ; cette commande ne s'applique qu'aux grilles en points (caqes-2018)",
            g.id, g.regime
        ))
        .into()),
    }
}

pub fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::List => {
            let mut out = String::from("identifiant\tannée\tindicateurs\tpoints\ttitre\trégime\n");
            for any in regimes::builtin_any() {
                match any {
                    AnyReferentiel::Points(r) => out.push_str(&format!(
                        "{}\t{}\t{}\t{} + {} bonus\t{}\t{}\n",
                        r.id,
                        r.baseline_year,
                        r.indicators.len(),
                        r.points().normalize(),
                        r.bonus_points().normalize(),
                        r.title,
                        Regime::Caqes2018
                    )),
                    AnyReferentiel::Objectives(g) => out.push_str(&format!(
                        "{}\t-\t{}\tobjectifs\t{}\t{}\n",
                        g.id,
                        g.indicators.len(),
                        g.title,
                        g.regime
                    )),
                }
            }
            write_output(None, out.as_bytes())
        }
        Command::Show { id, format } => {
            let (any, text) = load_any(&id)?;
            let r = match any {
                AnyReferentiel::Points(r) => r,
                AnyReferentiel::Objectives(g) => {
                    let out = match format {
                        ShowFormat::Toml => text,
                        ShowFormat::Json => serde_json::to_string_pretty(&g)? + "\n",
                        ShowFormat::Text => objectives::show_text(&g),
                    };
                    return write_output(None, out.as_bytes());
                }
            };
            let out = match format {
                ShowFormat::Toml => text,
                ShowFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
                ShowFormat::Text => show_text(&r),
            };
            write_output(None, out.as_bytes())
        }
        Command::Summary { id, format } => {
            let (any, _) = load_any(&id)?;
            let r = match any {
                AnyReferentiel::Points(r) => r,
                AnyReferentiel::Objectives(g) => {
                    let out = match format {
                        SummaryFormat::Json => {
                            serde_json::to_string(&objectives::summary_json(&g))? + "\n"
                        }
                        SummaryFormat::Text => objectives::summary_text(&g),
                    };
                    return write_output(None, out.as_bytes());
                }
            };
            let s = r.summary();
            let out = match format {
                SummaryFormat::Json => serde_json::to_string(&summary_json(&s))? + "\n",
                SummaryFormat::Text => {
                    let mut out = format!(
                        "{} : {} indicateurs, {} points + {} points bonus\n\ncatégorie\tcomptés\tbonus\tNC\tNM\n",
                        s.referentiel, s.indicateurs, s.points, s.points_bonus
                    );
                    for (cat, c) in &s.categories {
                        out.push_str(&format!(
                            "{cat}\t{}\t{}\t{}\t{}\n",
                            c.total, c.bonus, c.nc, c.nm
                        ));
                    }
                    out
                }
            };
            write_output(None, out.as_bytes())
        }
        Command::Check { path } => {
            let (any, _) = load_any(&path.display().to_string())?;
            let r = match any {
                AnyReferentiel::Points(r) => r,
                AnyReferentiel::Objectives(g) => {
                    let out = format!(
                        "{} : référentiel « {} » valide (régime {}, {} indicateurs, {} paramètre(s) À CONFIRMER)\n",
                        path.display(),
                        g.id,
                        g.regime,
                        g.indicators.len(),
                        g.to_confirm().len()
                    );
                    return write_output(None, out.as_bytes());
                }
            };
            let out = format!(
                "{} : référentiel « {} » valide ({} indicateurs, {} points + {} bonus)\n",
                path.display(),
                r.id,
                r.indicators.len(),
                r.points().normalize(),
                r.bonus_points().normalize()
            );
            write_output(None, out.as_bytes())
        }
    }
}

fn show_text(r: &Referentiel) -> String {
    let mut out = format!(
        "{} — {}\nRégion : {} ; état des lieux : {} ; redistribution NC/NM : {}\n",
        r.id,
        r.title,
        r.region,
        r.baseline_year,
        match r.redistribution {
            referentiel::Redistribution::Proportional => "proportionnelle",
            referentiel::Redistribution::Equal => "égale",
        }
    );
    let header: Vec<&str> = r.categories.iter().map(|c| short(*c)).collect();
    for part in &r.parts {
        out.push_str(&format!(
            "\nPartie {} — {} ({} points{})\n",
            part.number,
            part.title,
            part.points.normalize(),
            if part.bonus_points.is_zero() {
                String::new()
            } else {
                format!(" + {} bonus", part.bonus_points.normalize())
            }
        ));
        out.push_str(&format!(
            "  code\tpts\tportée\tsource\t{}\tlibellé\n",
            header.join("\t")
        ));
        for ind in r.indicators.iter().filter(|i| i.part == part.number) {
            let cells: Vec<&str> = r
                .categories
                .iter()
                .map(|c| match ind.applicability(*c) {
                    Applicability::Concerned => "C",
                    Applicability::Nc => "NC",
                    Applicability::Nm => "NM",
                })
                .collect();
            let sources: Vec<String> = ind.sources.iter().map(|s| format!("{s:?}")).collect();
            out.push_str(&format!(
                "  {}\t{}{}\t{}\t{}\t{}\t{}\n",
                ind.code,
                ind.points.normalize(),
                if ind.bonus { "B" } else { "" },
                ind.scope,
                sources.join("/"),
                cells.join("\t"),
                ind.label
            ));
            // D5: the classes computed separately, each a line of its own in the files.
            for class in &ind.classes {
                out.push_str(&format!(
                    "    {}\tclasse ({})\t{}\n",
                    class.line_code,
                    ind.class_rule.code(),
                    class.label
                ));
            }
        }
    }
    out
}

fn short(c: Category) -> &'static str {
    match c {
        Category::McoPublicEspic => "MCOpub",
        Category::McoPrive => "MCOpri",
        Category::SsrPublicEspic => "SSRpub",
        Category::SsrPrive => "SSRpri",
        Category::PsyPublicEspic => "PSYpub",
        Category::PsyPrive => "PSYpri",
        Category::Had => "HAD",
        Category::HadSansPui => "HADsP",
        Category::Dialyse => "DIA",
        Category::Usld => "USLD",
    }
}

/// The summary as JSON, numbers as numbers and categories in the grid's order.
fn summary_json(s: &referentiel::Summary) -> serde_json::Value {
    let categories: serde_json::Map<String, serde_json::Value> = s
        .categories
        .iter()
        .map(|(cat, c)| {
            (
                cat.clone(),
                serde_json::json!({"total": c.total, "bonus": c.bonus, "nc": c.nc, "nm": c.nm}),
            )
        })
        .collect();
    serde_json::json!({
        "referentiel": s.referentiel,
        "indicateurs": s.indicateurs,
        "points": json_number(s.points),
        "points_bonus": json_number(s.points_bonus),
        "categories": categories,
    })
}
