//! `caqes evaluate`: scores of the volet obligatoire for one year.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use caqes_core::Finess;
use caqes_core::evaluation::entity::{self, Pooled};
use caqes_core::rate::round_half_away;
use caqes_core::referentiel::{Applicability, Direction, Referentiel};
use caqes_core::regimes::AnyReferentiel;
use caqes_core::sanction::{self, SanctionBasis};
use caqes_core::scoring::{ClassPart, Given, Line, Score, Scorer};
use caqes_core::value::{Entry, Value};
use caqes_data::evaluation_input::{self, EstablishmentRow, Sites, YearlyData};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value as Json, json};

use crate::exit::BadInput;
use crate::ordered::map_in_order;
use crate::output::{json_number, text_number, write_output_with};

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
  (fichier:ligne de la valeur), echantillon_insuffisant, explication (une phrase) ; pour un
  indicateur calculé séparément par classe (III-02, III-03) : regle (par_classe),
  regle_classes (part_egale | toutes) et classes[] : code (III-03/EPO), classe, statut,
  points_max, points, valeur, numerateur, denominateur, cible, origine_cible, atteint, regle,
  motif, revue, source, echantillon_insuffisant (et sites_manquants avec --sites). En CSV,
  une ligne par classe après celle de l'indicateur.
valeurs.csv accepte une colonne facultative motif : NC sur un indicateur que la catégorie rend
concerné exige un motif ; NM ne se déclare pas (il découle de la catégorie).
valeurs.csv et cibles.csv acceptent les sous-lignes par classe (III-03/EPO, codes listés par
`caqes referentiel show`) ; une classe non prescrite se déclare NC avec son motif ; une seule
valeur pour l'indicateur entier reste lue (avertissement).

GRILLE D'OBJECTIFS (régimes caqes-2022 et incitation-2026 : national-2022,
exemple-regional-2022, incitation-2026, ou un fichier avec regime = ...) :
  valeurs.csv : finess;indicateur;annee;montant;numerateur;denominateur, une ligne par
    établissement, indicateur et année (N et N−1). montant = euros de dépense AM du
    périmètre (objectif d'un indicateur « depense », économies de tous) ; numerateur et
    denominateur pour un « taux », numerateur seul pour un « volume ». Un indicateur sans
    aucune valeur pour l'établissement n'est pas dans son contrat (pas de ligne).
  --revisions revisions.csv : finess;indicateur;annee;montant_revise;motif — révision à
    la baisse par le DG ARS (≤ montant calculé, motif obligatoire).
  --refus refus.csv (caqes-2022) : finess;reception_proposition;reception_seconde_proposition
    [;audition_demandee_le;audition_le] — dates AAAA-MM-JJ ou JJ/MM/AAAA ; sanction de 1 %
    des produits_am d'etablissements.csv.
  --contrats contrats.csv (caqes-2022) : finess;debut;fin — durée vérifiée (5 ans au plus,
    fin au plus tard le 31 décembre 2026) ; année hors contrat ou partielle signalée.
  --cibles et --sites ne s'appliquent pas (l'objectif vient de la grille).
Sortie JSON, par établissement : finess, raison_sociale, categorie, regime, referentiel,
annee, statut_contrat (signe | refus | sans_contrat), interessement_national,
interessement_regional, interessement_total, objectifs_regionaux_atteints,
objectifs_regionaux_evalues, objectifs_manques, sanction_refus, refus (dates de la
procédure), plafond_penalite (2026 : 2 % des produits_am à partir de 2027),
a_confirmer[] (paramètres « À CONFIRMER » dont dépend le résultat), avertissements,
explication, et indicateurs[] : code, portee, volet, mesure, statut (evalue |
non_evaluable | neutralise), valeur_n_1, valeur_n, numerateur, denominateur, montant_n_1,
montant_n, evolution_pct, objectif (reduction | cible), objectif_valeur,
objectif_a_confirmer, seuil (borne que la valeur N doit respecter), sens, atteint,
economies (euros, max(0, montant N−1 − montant N)), part_pct, part_a_confirmer, plafond,
interessement_calcule, montant_revise, motif_revision, interessement (retenu),
explication. CSV : une ligne par établissement et indicateur (une ligne pour un refus).";

/// The inputs of an evaluation, shared with `caqes rapport evaluation`.
#[derive(clap::Args)]
pub struct Inputs {
    /// Identifiant du référentiel intégré (ex. occitanie-2018) ou chemin d'un fichier TOML.
    #[arg(long)]
    pub referentiel: String,
    /// Année évaluée.
    #[arg(long)]
    pub annee: i16,
    /// etablissements.csv : finess;raison_sociale;categorie;region;produits_am
    #[arg(long)]
    pub etablissements: PathBuf,
    /// valeurs.csv : finess;indicateur;annee;numerateur;denominateur;valeur[;motif]
    /// (grille en points) ou finess;indicateur;annee;montant;numerateur;denominateur
    /// (grille d'objectifs caqes-2022 / incitation-2026 : années N et N−1).
    #[arg(long)]
    pub valeurs: PathBuf,
    /// cibles.csv : finess;indicateur;annee;cible
    #[arg(long)]
    pub cibles: Option<PathBuf>,
    /// sites.csv : finess_geographique;finess_juridique. Les valeurs peuvent alors être
    /// données par site et l'entité juridique est calculée à partir des composantes
    /// (Σ numérateurs / Σ dénominateurs ; II-04 : DDJ et journées des années N et N−1) ;
    /// un site sans valeur rend la ligne de l'entité incomplète (0 point) et est nommé
    /// dans `sites_manquants`.
    #[arg(long)]
    pub sites: Option<PathBuf>,
}

#[derive(clap::Args)]
#[command(after_long_help = OUTPUT_HELP)]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// Grille d'objectifs seulement — revisions.csv :
    /// finess;indicateur;annee;montant_revise;motif (révision à la baisse motivée du DG ARS).
    #[arg(long)]
    revisions: Option<PathBuf>,
    /// Grille caqes-2022 seulement — refus.csv :
    /// finess;reception_proposition;reception_seconde_proposition[;audition_demandee_le;audition_le]
    /// (refus de signer : procédure et sanction de 1 % des produits_am).
    #[arg(long)]
    refus: Option<PathBuf>,
    /// Grille caqes-2022 seulement — contrats.csv : finess;debut;fin (5 ans au plus, fin au
    /// plus tard le 31 décembre 2026) ; une année hors du contrat ou partielle est signalée.
    #[arg(long)]
    contrats: Option<PathBuf>,
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

/// Everything read and checked, indexed once: the evaluation of one establishment is
/// then a lookup and the engine.
pub struct Loaded {
    pub referentiel: Referentiel,
    pub establishments: Vec<EstablishmentRow>,
    sites: Option<Sites>,
    data: YearlyData,
    /// The name of `valeurs.csv` as given (the explanation's `source`).
    pub values_name: String,
}

/// Reads and checks every input file (French errors with file, line and field: exit 2).
pub fn load(inputs: &Inputs) -> anyhow::Result<Loaded> {
    let (referentiel, _) = super::referentiel::load(&inputs.referentiel)?;
    let ets_name = inputs.etablissements.display().to_string();
    let establishments =
        evaluation_input::read_establishments(&ets_name, &read(&inputs.etablissements)?)
            .map_err(|e| BadInput(e.to_string()))?;
    let sites = match &inputs.sites {
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
    let values_text = read(&inputs.valeurs)?;
    let targets_text = inputs.cibles.as_deref().map(read).transpose()?;
    let values_name = inputs.valeurs.display().to_string();
    let targets_name = inputs.cibles.as_ref().map(|p| p.display().to_string());
    let data = evaluation_input::read_yearly_data_with_sites(
        &referentiel,
        &establishments,
        sites.as_ref(),
        (&values_name, &values_text),
        targets_name.as_deref().zip(targets_text.as_deref()),
    )
    .map_err(|e| BadInput(e.to_string()))?;
    Ok(Loaded {
        referentiel,
        establishments,
        sites,
        data,
        values_name,
    })
}

impl Loaded {
    /// Scores one establishment for `year` (with `--sites`: pooled from its sites), its
    /// warnings written on standard error.
    /// `scorer`: [`Scorer::new`] of `self.referentiel`, made once for every establishment.
    pub fn evaluate(
        &self,
        scorer: &Scorer<'_>,
        e: &EstablishmentRow,
        year: i16,
    ) -> (Score, Option<Pooled>) {
        let (s, pooled) = self.evaluate_quietly(scorer, e, year);
        for w in warnings_of(&s, pooled.as_ref()) {
            tracing::warn!("{} : {w}", e.finess);
        }
        (s, pooled)
    }

    /// [`Loaded::evaluate`] without writing the warnings (they are in the result): a
    /// national file has tens of thousands, written by the caller through one buffer.
    fn evaluate_quietly(
        &self,
        scorer: &Scorer<'_>,
        e: &EstablishmentRow,
        year: i16,
    ) -> (Score, Option<Pooled>) {
        let targets = self.data.targets(e.finess, year);
        let rows = FileRows {
            data: &self.data,
            finess: e.finess,
        };
        let sites = self.sites.as_ref().map(|s| s.of_entity(e.finess));
        let (entries, pooled) =
            entity::inputs(&self.referentiel, e.finess, sites, year, &rows, &targets);
        let pooled = self.sites.as_ref().map(|_| pooled);
        let s = scorer.evaluate(e.category, year, &entries, &targets);
        (s, pooled)
    }

    /// Whether the values file gives anything for this establishment in `year` (the
    /// evaluation report draws a history only over such years).
    pub fn has_values(&self, finess: Finess, year: i16) -> bool {
        !self.data.entries(finess, year).is_empty()
    }
}

/// The engine's then the pooling's warnings of one establishment.
fn warnings_of<'a>(s: &'a Score, pooled: Option<&'a Pooled>) -> impl Iterator<Item = &'a String> {
    s.warnings
        .iter()
        .chain(pooled.into_iter().flat_map(|p| &p.warnings))
}

/// One establishment's warnings, in the log's format, appended to `out`.
fn write_warnings(out: &mut Vec<u8>, e: &EstablishmentRow, s: &Score, pooled: Option<&Pooled>) {
    for w in warnings_of(s, pooled) {
        // Writing into a vector cannot fail.
        let _ = writeln!(out, " WARN caqes::cmd::evaluate: {} : {w}", e.finess);
    }
}

/// The warnings of a whole run on standard error, through one buffer (one write per 64 KiB
/// instead of one per warning: 35 000 on a national file).
struct WarningLog(RefCell<std::io::BufWriter<std::io::Stderr>>);

impl WarningLog {
    fn new() -> WarningLog {
        WarningLog(RefCell::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stderr(),
        )))
    }

    fn write_all(&self, warnings: &[u8]) {
        // A warning that cannot be written is not worth failing the evaluation.
        let _ = self.0.borrow_mut().write_all(warnings);
    }
}

impl Drop for WarningLog {
    fn drop(&mut self) {
        let _ = self.0.get_mut().flush();
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let (AnyReferentiel::Objectives(grid), _) =
        super::referentiel::load_any(&args.inputs.referentiel)?
    {
        for (flag, given) in [
            ("--cibles", args.inputs.cibles.is_some()),
            ("--sites", args.inputs.sites.is_some()),
        ] {
            if given {
                return Err(BadInput(format!(
                    "{flag} ne s'applique pas à une grille d'objectifs (régime {}) : l'objectif vient de la grille",
                    grid.regime
                ))
                .into());
            }
        }
        return super::evaluate_objectives::run(
            grid,
            super::evaluate_objectives::Request {
                annee: args.inputs.annee,
                etablissements: &args.inputs.etablissements,
                valeurs: &args.inputs.valeurs,
                revisions: args.revisions.as_deref(),
                refus: args.refus.as_deref(),
                contrats: args.contrats.as_deref(),
                csv: matches!(args.format, Format::Csv),
                output: args.output.as_ref(),
            },
        );
    }
    for (flag, given) in [
        ("--revisions", args.revisions.is_some()),
        ("--refus", args.refus.is_some()),
        ("--contrats", args.contrats.is_some()),
    ] {
        if given {
            return Err(BadInput(format!(
                "{flag} ne s'applique qu'à une grille d'objectifs (régimes caqes-2022 et incitation-2026)"
            ))
            .into());
        }
    }
    let loaded = load(&args.inputs)?;
    let year = args.inputs.annee;
    let ctx = OutputContext {
        values_file: &loaded.values_name,
        year,
        bonus_counts: loaded
            .referentiel
            .parameters
            .sanction
            .bonus_compte_pour_bareme,
        sanction: &loaded.referentiel.parameters.sanction,
    };
    let with_sites = loaded.sites.is_some();
    // The grid's tables are computed once for the whole file.
    let scorer = Scorer::new(&loaded.referentiel);
    let log = WarningLog::new();
    // Establishments are scored and turned into JSON or CSV rows on every core, chunk by
    // chunk, and written in the file's order: memory holds the indexed inputs and a few
    // chunks' results, never the whole output (a national campaign is ~100 000 lines).
    let evaluate_chunk = |chunk: &[EstablishmentRow], mut write: Writer<'_>| {
        let mut warnings = Vec::new();
        for e in chunk {
            let (s, pooled) = loaded.evaluate_quietly(&scorer, e, year);
            write_warnings(&mut warnings, e, &s, pooled.as_ref());
            write(e, s, pooled)?;
        }
        anyhow::Ok(warnings)
    };
    write_output_with(args.output.as_deref(), |out| match args.format {
        Format::Json => {
            out.write_all(b"[").context("écriture de la sortie JSON")?;
            map_in_order(
                &loaded.establishments,
                CHUNK,
                |start, chunk| {
                    let mut json = Vec::new();
                    let warnings = evaluate_chunk(
                        chunk,
                        Box::new(|e, s, pooled| {
                            // As `to_writer_pretty` writes an array's elements: each on a
                            // new line, indented once.
                            let first = start == 0 && json.is_empty();
                            json.extend_from_slice(if first { b"\n  " } else { b",\n  " });
                            let item = EstablishmentJson {
                                ctx: &ctx,
                                e,
                                s,
                                pooled,
                            };
                            item.serialize(&mut serde_json::Serializer::with_formatter(
                                &mut json,
                                array_element_formatter(),
                            ))?;
                            Ok(())
                        }),
                    )?;
                    Ok((json, warnings))
                },
                |(json, warnings)| {
                    log.write_all(&warnings);
                    out.write_all(&json).context("écriture de la sortie JSON")
                },
            )?;
            let end: &[u8] = if loaded.establishments.is_empty() {
                b"]\n"
            } else {
                b"\n]\n"
            };
            out.write_all(end).context("écriture de la sortie JSON")
        }
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .from_writer(&mut *out);
            write_csv_header(&mut w, with_sites)?;
            w.flush().context("écriture de la sortie CSV")?;
            drop(w);
            map_in_order(
                &loaded.establishments,
                CHUNK,
                |_, chunk| {
                    let mut w = csv::WriterBuilder::new()
                        .delimiter(b';')
                        .has_headers(false)
                        .from_writer(Vec::new());
                    let warnings = evaluate_chunk(
                        chunk,
                        Box::new(|e, s, pooled| {
                            write_csv_rows(&mut w, &ctx, e, &s, pooled.as_ref())
                        }),
                    )?;
                    let rows = w
                        .into_inner()
                        .map_err(|e| e.into_error())
                        .context("écriture de la sortie CSV")?;
                    Ok((rows, warnings))
                },
                |(rows, warnings)| {
                    log.write_all(&warnings);
                    out.write_all(&rows).context("écriture de la sortie CSV")
                },
            )
        }
    })
}

/// Establishments per chunk of work: large enough that the hand-over costs nothing, small
/// enough that a few chunks in flight weigh little (≈ 200 KB of JSON each).
const CHUNK: usize = 32;

/// Writes one establishment's result (JSON or CSV) into the chunk's buffer.
type Writer<'a> =
    Box<dyn FnMut(&EstablishmentRow, Score, Option<Pooled>) -> anyhow::Result<()> + 'a>;

/// The pretty formatter as it stands inside the output's array: one level indented, so
/// that an establishment serialised alone is byte for byte what `to_writer_pretty` writes
/// for an element of the whole array (each worker writes its establishments apart).
fn array_element_formatter() -> serde_json::ser::PrettyFormatter<'static> {
    use serde_json::ser::Formatter;
    let mut formatter = serde_json::ser::PrettyFormatter::new();
    // Opening the array moves the indentation one level in; its "[" goes nowhere (the
    // writer of the whole output writes the array's brackets).
    let _ = formatter.begin_array(&mut std::io::sink());
    formatter
}

/// One establishment's rows in the indexed input files, for the core's
/// [`entity::inputs`].
struct FileRows<'a> {
    data: &'a YearlyData,
    finess: Finess,
}

impl entity::Rows for FileRows<'_> {
    fn own(&self, year: i16) -> BTreeMap<String, Given> {
        self.data.entries(self.finess, year)
    }

    fn own_entry(&self, year: i16, index: usize) -> Option<Entry> {
        self.data.entry(self.finess, year, index)
    }

    fn site(&self, site: Finess, year: i16, index: usize) -> Option<Given> {
        self.data.site_entry(site, year, index).map(Given::new)
    }
}

/// The sites' fields of a multi-site entity's line: `sites_manquants` (the sites without
/// a value, which leave the line incomplete: no value, 0 point) and `sites` (each site's
/// own value, its rank among the sites and whether it reaches the entity's target). Both
/// are empty for an establishment without sites, for a line the entity gave itself and
/// (`sites_manquants`) for a line NC/NM.
fn site_fields(line: &Line, pooled: &Pooled) -> (Vec<Json>, Vec<Json>) {
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
    (missing, sites)
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

/// One establishment: its totals, warnings and lines.
struct EstablishmentJson<'a> {
    ctx: &'a OutputContext<'a>,
    e: &'a EstablishmentRow,
    s: Score,
    /// `Some` with `--sites`.
    pooled: Option<Pooled>,
}

impl Serialize for EstablishmentJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (ctx, e, s) = (self.ctx, self.e, &self.s);
        let mut m = ser.serialize_map(Some(9))?;
        m.serialize_entry("finess", e.finess.as_str())?;
        m.serialize_entry("score", &s.value().map(Num))?;
        m.serialize_entry("bonus", &s.bonus_value().map(Num))?;
        m.serialize_entry("total", &s.total_value().map(Num))?;
        m.serialize_entry("evaluable", &s.evaluable)?;
        m.serialize_entry("score_bareme", &s.scale_score(ctx.bonus_counts).map(Num))?;
        m.serialize_entry("sanction_proposee", &proposed_sanction(ctx, e, s).map(Num))?;
        m.serialize_entry("avertissements", &s.warnings)?;
        m.serialize_entry("indicateurs", &Lines(ctx, s, self.pooled.as_ref()))?;
        m.end()
    }
}

struct Lines<'a>(&'a OutputContext<'a>, &'a Score, Option<&'a Pooled>);

impl Serialize for Lines<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.1.lines.iter().map(|l| LineJson(self.0, l, self.2)))
    }
}

/// One indicator line: the historical fields, then the explanation (see docs/scoring.md),
/// then with `--sites` the sites' fields.
struct LineJson<'a>(&'a OutputContext<'a>, &'a Line, Option<&'a Pooled>);

impl Serialize for LineJson<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (ctx, l, pooled) = (self.0, self.1, self.2);
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
        // D5: an indicator computed per class gives each class's sub-line.
        if !x.classes.is_empty() {
            m.serialize_entry("regle_classes", &x.class_rule.map(|r| r.code()))?;
            let classes: Vec<Json> = x
                .classes
                .iter()
                .map(|c| class_json(ctx, c, pooled))
                .collect();
            m.serialize_entry("classes", &classes)?;
        }
        if let Some(pooled) = pooled {
            let (missing, sites) = site_fields(l, pooled);
            m.serialize_entry("sites_manquants", &missing)?;
            m.serialize_entry("sites", &sites)?;
        }
        m.end()
    }
}

/// One class of a line computed per class (D5), as the JSON's `classes[]`.
fn class_json(ctx: &OutputContext<'_>, c: &ClassPart, pooled: Option<&Pooled>) -> Json {
    let parts = match c.entry {
        Some(Entry::Value(v)) => v.parts(),
        _ => None,
    };
    let mut o = json!({
        "code": c.code,
        "classe": c.label,
        "statut": c.status.code(),
        "points_max": c.max_points.map(json_number),
        "points": c.points.map(json_number),
        "valeur": entry_json(c.entry.as_ref()),
        "numerateur": parts.map(|p| json_number(p.0)),
        "denominateur": parts.and_then(|p| p.1).map(json_number),
        "cible": c.target.map(json_number),
        "origine_cible": c.target_origin.map(|o| o.code()),
        "atteint": c.met,
        "regle": c.rule.code(),
        "motif": c.declaration.as_ref().map(|d| d.motive()),
        "revue": c.declaration.as_ref().map(|d| d.review.code()),
        "source": c.source_line.map(|n| format!("{}:{n}", ctx.values_file)),
        "echantillon_insuffisant": c.small_sample,
    });
    if let (Some(pooled), Json::Object(map)) = (pooled, &mut o) {
        let missing: Vec<Json> = match pooled.lines.get(&c.code) {
            Some(p) if c.status == Applicability::Concerned => p
                .missing_sites
                .iter()
                .map(|f| Json::from(f.as_str()))
                .collect(),
            _ => Vec::new(),
        };
        map.insert("sites_manquants".into(), Json::from(missing));
    }
    o
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

/// The CSV header: one row per establishment and indicator, the establishment's totals
/// repeated, the explanation's columns; with `--sites`, a last column with the missing sites.
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
        "origine_cible",
        "regle",
        "points_grille",
        "facteur_repartition",
        "motif",
        "source",
    ];
    if with_sites {
        // The missing sites, separated by commas (the per-site values are in the JSON).
        header.push("sites_manquants");
    }
    w.write_record(&header).context("écriture de la sortie CSV")
}

fn write_csv_rows<W: Write>(
    w: &mut csv::Writer<W>,
    ctx: &OutputContext<'_>,
    e: &EstablishmentRow,
    s: &Score,
    pooled: Option<&Pooled>,
) -> anyhow::Result<()> {
    let (score, bonus, total) = (
        s.value().map(text_number).unwrap_or_default(),
        s.bonus_value().map(text_number).unwrap_or_default(),
        s.total_value().map(text_number).unwrap_or_default(),
    );
    for l in &s.lines {
        let valeur = match entry_json(l.entry.as_ref()) {
            Json::Null => String::new(),
            Json::String(s) => s,
            other => other.to_string(),
        };
        let (max_points, points) = (text_number(l.max_points), text_number(l.points));
        let target = l.target.map(text_number).unwrap_or_default();
        let x = &l.explanation;
        let grid_points = text_number(x.grid_points);
        let factor = round_half_away(x.factor, 6).normalize().to_string();
        let source = x
            .source_line
            .map(|n| format!("{}:{n}", ctx.values_file))
            .unwrap_or_default();
        let missing = match pooled.and_then(|p| p.lines.get(&l.code)) {
            Some(p) if l.status == Applicability::Concerned => p
                .missing_sites
                .iter()
                .map(Finess::as_str)
                .collect::<Vec<_>>()
                .join(","),
            _ => String::new(),
        };
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
            x.target_origin.map_or("", |o| o.code()),
            x.rule.code(),
            &grid_points,
            &factor,
            x.declaration.as_ref().map_or("", |d| d.motive()),
            &source,
        ];
        if pooled.is_some() {
            record.push(&missing);
        }
        w.write_record(&record)
            .context("écriture de la sortie CSV")?;
        // D5: one row per class after its indicator's, coded `III-03/EPO`.
        for c in &x.classes {
            let valeur = match entry_json(c.entry.as_ref()) {
                Json::Null => String::new(),
                Json::String(s) => s,
                other => other.to_string(),
            };
            let (max_points, points) = (
                c.max_points.map(text_number).unwrap_or_default(),
                c.points.map(text_number).unwrap_or_default(),
            );
            let target = c.target.map(text_number).unwrap_or_default();
            let source = c
                .source_line
                .map(|n| format!("{}:{n}", ctx.values_file))
                .unwrap_or_default();
            let missing = match pooled.and_then(|p| p.lines.get(&c.code)) {
                Some(p) if c.status == Applicability::Concerned => p
                    .missing_sites
                    .iter()
                    .map(Finess::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                _ => String::new(),
            };
            let mut record = vec![
                e.finess.as_str(),
                &e.name,
                e.category.code(),
                &score,
                &bonus,
                &total,
                &c.code,
                c.status.code(),
                &max_points,
                &points,
                &valeur,
                &target,
                match c.met {
                    Some(true) => "oui",
                    Some(false) => "non",
                    None => "",
                },
                c.target_origin.map_or("", |o| o.code()),
                c.rule.code(),
                "",
                "",
                c.declaration.as_ref().map_or("", |d| d.motive()),
                &source,
            ];
            if pooled.is_some() {
                record.push(&missing);
            }
            w.write_record(&record)
                .context("écriture de la sortie CSV")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
