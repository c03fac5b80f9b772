//! `caqes evaluate`: scores of the volet obligatoire for one year.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use caqes_core::Finess;
use caqes_core::multisite::{self, LegalEntity, PooledLine};
use caqes_core::referentiel::{Applicability, Referentiel};
use caqes_core::scoring::{self, Line, Score};
use caqes_core::value::{Entry, Value};
use caqes_data::evaluation_input::{self, EstablishmentRow, Sites, Targets, YearlyData};
use serde_json::{Value as Json, json};

use crate::exit::BadInput;
use crate::output::{json_number, text_number, write_output_with};

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
    /// sites.csv : finess_geographique;finess_juridique. Les valeurs peuvent alors être
    /// données par site et l'entité juridique est calculée à partir des composantes
    /// (Σ numérateurs / Σ dénominateurs ; II-04 : DDJ et journées des années N et N−1) ;
    /// un site sans valeur rend la ligne de l'entité incomplète (0 point) et est nommé
    /// dans `sites_manquants`.
    #[arg(long)]
    sites: Option<PathBuf>,
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
    let sites = match &args.sites {
        Some(path) => Some(
            evaluation_input::read_sites(
                &path.display().to_string(),
                &read(path)?,
                &establishments,
            )
            .map_err(|e| BadInput(e.to_string()))?,
        ),
        None => None,
    };
    let values_text = read(&args.valeurs)?;
    let targets_text = args.cibles.as_deref().map(read).transpose()?;
    let values_name = args.valeurs.display().to_string();
    let targets_name = args.cibles.as_ref().map(|p| p.display().to_string());
    let data = evaluation_input::read_yearly_data_with_sites(
        &referentiel,
        &establishments,
        sites.as_ref(),
        (&values_name, &values_text),
        targets_name.as_deref().zip(targets_text.as_deref()),
    )
    .map_err(|e| BadInput(e.to_string()))?;
    // The texts are indexed: free them before the output is produced.
    drop(values_text);
    drop(targets_text);

    // One establishment at a time: scored, turned into JSON or CSV rows and written, so
    // that memory holds the indexed inputs and one establishment's result, never the
    // whole output (a national campaign is ~100 000 lines).
    let year = args.annee;
    let evaluate = |e: &EstablishmentRow| -> (Score, Pooled) {
        let targets = data.targets(e.finess, year);
        let (entries, pooled) = match &sites {
            Some(sites) => entries_with_sites(&referentiel, &data, sites, e.finess, year, &targets),
            None => (data.entries(e.finess, year), Pooled::default()),
        };
        let s = scoring::score(&referentiel, e.category, year, &entries, &targets);
        for w in s.warnings.iter().chain(&pooled.warnings) {
            tracing::warn!("{} : {w}", e.finess);
        }
        (s, pooled)
    };
    let with_sites = sites.is_some();
    write_output_with(args.output.as_deref(), |out| match args.format {
        Format::Json => {
            let items = establishments.iter().map(|e| {
                let (s, pooled) = evaluate(e);
                let mut json = to_json(e, &s);
                if with_sites {
                    add_sites(&mut json, &s, &pooled);
                }
                json
            });
            serde_json::to_writer_pretty(&mut *out, &Streamed(RefCell::new(Some(items))))
                .context("écriture de la sortie JSON")?;
            out.write_all(b"\n").context("écriture de la sortie JSON")
        }
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
            write_csv_header(&mut w, with_sites)?;
            for e in &establishments {
                let (s, pooled) = evaluate(e);
                write_csv_rows(&mut w, e, &s, &pooled, with_sites)?;
            }
            w.flush().context("écriture de la sortie CSV")
        }
    })
}

/// A JSON array serialised as its items come (one establishment at a time).
struct Streamed<I>(RefCell<Option<I>>);

impl<I: Iterator<Item = Json>> serde::Serialize for Streamed<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        if let Some(items) = self.0.borrow_mut().take() {
            for item in items {
                seq.serialize_element(&item)?;
            }
        }
        seq.end()
    }
}

/// What `--sites` adds to an establishment's result: the pooled lines of a multi-site
/// entity, by indicator code, and the warnings of the pooling.
#[derive(Default)]
struct Pooled {
    /// Empty for an establishment without sites.
    lines: BTreeMap<String, PooledLine>,
    warnings: Vec<String>,
}

/// A number given as such (no numerator and denominator): kept as it is for an
/// establishment without sites, even for a year-over-year indicator.
fn is_bare_number(entry: &Entry) -> bool {
    matches!(
        entry,
        Entry::Value(Value::Percent(_) | Value::GrowthPercent(_) | Value::RatioValue(_))
    )
}

/// The entries of one establishment with `--sites`: year-over-year indicators (II-04)
/// computed from the components of years N and N−1, and for a multi-site entity, every
/// indicator it does not give itself pooled from its sites (`multisite::pool_line`).
fn entries_with_sites(
    referentiel: &Referentiel,
    data: &YearlyData,
    sites: &Sites,
    finess: Finess,
    year: i16,
    targets: &Targets,
) -> (BTreeMap<String, Entry>, Pooled) {
    let mut entries = data.entries(finess, year);
    let mut pooled = Pooled::default();
    for (index, ind) in referentiel.indicators.iter().enumerate() {
        if !ind.year_over_year {
            continue;
        }
        let Some(current) = entries.get(&ind.code).copied() else {
            continue;
        };
        if is_bare_number(&current) {
            continue;
        }
        let previous = data.entry(finess, year - 1, index);
        match multisite::unit_entry(ind, Some(&current), previous.as_ref()) {
            Ok(e) => {
                entries.insert(ind.code.clone(), e);
            }
            Err(missing) => {
                entries.remove(&ind.code);
                pooled.warnings.push(format!(
                    "{} {year} : {} ; la valeur de l'année ne peut pas être calculée",
                    ind.code,
                    missing.label()
                ));
            }
        }
    }
    let site_list = sites.of_entity(finess);
    if site_list.is_empty() {
        return (entries, pooled);
    }
    let Ok(entity) = LegalEntity::new(finess, site_list.to_vec()) else {
        // sites.csv was checked: no duplicate site, at least one site per entity.
        return (entries, pooled);
    };
    let rows = |y: i16, index: usize| -> Vec<(Finess, Entry)> {
        site_list
            .iter()
            .filter_map(|s| data.site_entry(*s, y, index).map(|e| (*s, e)))
            .collect()
    };
    for (index, ind) in referentiel.indicators.iter().enumerate() {
        if entries.contains_key(&ind.code) {
            continue; // given for the entity itself (a site row would have been refused)
        }
        let current = rows(year, index);
        let previous = if ind.year_over_year {
            rows(year - 1, index)
        } else {
            Vec::new()
        };
        let target = targets.get(&ind.code).copied();
        match multisite::pool_line(ind, &entity, &current, &previous, target) {
            Ok(line) => {
                if let Some(e) = line.entry {
                    entries.insert(ind.code.clone(), e);
                }
                pooled.lines.insert(ind.code.clone(), line);
            }
            Err(e) => pooled.warnings.push(format!("{} : {e}", ind.code)),
        }
    }
    (entries, pooled)
}

/// The sites' fields of a multi-site entity's lines: `sites_manquants` (the sites without
/// a value, which leave the line incomplete: no value, `atteint` false, 0 point) and
/// `sites` (each site's own value, its rank among the sites and whether it reaches the
/// entity's target). Both are empty for an establishment without sites, for a line the
/// entity gave itself and (`sites_manquants`) for a line NC/NM.
fn add_sites(json: &mut Json, score: &Score, pooled: &Pooled) {
    let Some(lines) = json.get_mut("indicateurs").and_then(Json::as_array_mut) else {
        return;
    };
    for (out, line) in lines.iter_mut().zip(&score.lines) {
        let Some(obj) = out.as_object_mut() else {
            continue;
        };
        let p = pooled.lines.get(&line.code);
        let missing: Vec<Json> = match p {
            Some(p) if line.status == Applicability::Concerned => p
                .missing_sites
                .iter()
                .map(|f| Json::from(f.as_str()))
                .collect(),
            _ => Vec::new(),
        };
        let sites: Vec<Json> = p
            .map(|p| {
                p.sites
                    .iter()
                    .map(|site| {
                        let (num, den) = match site.entry {
                            Some(Entry::Value(
                                Value::Proportion(r) | Value::Growth(r) | Value::Ratio(r),
                            )) => (json_number(r.numerator()), json_number(r.denominator())),
                            _ => (Json::Null, Json::Null),
                        };
                        json!({
                            "finess_geographique": site.finess_geographique.as_str(),
                            "valeur": entry_json(site.entry.as_ref()),
                            "numerateur": num,
                            "denominateur": den,
                            "manque": site.missing.map(|m| m.label()),
                            "rang": site.rank,
                            "ecart_entite": site.gap.map(json_number).unwrap_or(Json::Null),
                            "atteint_cible_entite": site.reaches_target,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        obj.insert("sites_manquants".into(), Json::Array(missing));
        obj.insert("sites".into(), Json::Array(sites));
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

/// The CSV header: one row per establishment and indicator, the establishment's totals
/// repeated; with `--sites`, a last column with the missing sites.
fn write_csv_header<W: Write>(w: &mut csv::Writer<W>, with_sites: bool) -> anyhow::Result<()> {
    let mut header = vec![
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
    ];
    if with_sites {
        // The missing sites, separated by commas (the per-site values are in the JSON).
        header.push("sites_manquants");
    }
    w.write_record(&header).context("écriture de la sortie CSV")
}

fn write_csv_rows<W: Write>(
    w: &mut csv::Writer<W>,
    e: &EstablishmentRow,
    s: &Score,
    pooled: &Pooled,
    with_sites: bool,
) -> anyhow::Result<()> {
    let (score, bonus, total) = (
        text_number(s.score),
        text_number(s.bonus),
        text_number(s.total),
    );
    for l in &s.lines {
        let valeur = match entry_json(l.entry.as_ref()) {
            Json::Null => String::new(),
            Json::String(s) => s,
            other => other.to_string(),
        };
        let missing = match pooled.lines.get(&l.code) {
            Some(p) if l.status == Applicability::Concerned => p
                .missing_sites
                .iter()
                .map(Finess::as_str)
                .collect::<Vec<_>>()
                .join(","),
            _ => String::new(),
        };
        let (max_points, points) = (text_number(l.max_points), text_number(l.points));
        let target = l.target.map(text_number).unwrap_or_default();
        let mut record = vec![
            e.finess.as_str(),
            &e.name,
            e.category.code(),
            &score,
            &bonus,
            &total,
            &l.code,
            status(l),
            &max_points,
            &points,
            &valeur,
            &target,
            match l.met {
                Some(true) => "oui",
                Some(false) => "non",
                None => "",
            },
        ];
        if with_sites {
            record.push(&missing);
        }
        w.write_record(&record)
            .context("écriture de la sortie CSV")?;
    }
    Ok(())
}
