//! `caqes phmev` : indicateurs CAQES et palmarès à partir des fichiers Open PHMEV de
//! l'Assurance Maladie (CSV tel que publié par la CNAM, ou Parquet).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use caqes_core::Finess;
use caqes_data::phmev::aggregate::{TopLevel, TopSink};
use caqes_data::phmev::config::{self, Config, Iv02Classes, Rattachement};
use caqes_data::phmev::number::amount_2dp;
use caqes_data::phmev::report;
use caqes_data::phmev::{
    FileProvenance, PhmevError, ReadOptions, RowSink, ShaCache, decode_text, read_file,
};
use serde::Serialize;

use crate::exit::BadInput;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Indicateurs par établissement (III-01, III-03, IV-01, IV-02) : JSON, CSV ou valeurs.csv.
    Indicateurs(IndicateursArgs),
    /// Palmarès des classes ATC ou des produits par montant remboursé.
    Top(TopArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    /// Entrée du moteur (`valeurs.csv`, source AM).
    Valeurs,
}

#[derive(clap::Args)]
pub struct Common {
    /// Fichier Open PHMEV de l'année N (CSV de la CNAM ou Parquet) ; répétable.
    #[arg(long = "input", required = true)]
    input: Vec<PathBuf>,
    /// Rattachement des sites aux entités juridiques : `finess_site;finess_entite[;raison_sociale]`.
    #[arg(long)]
    rattachement: Option<PathBuf>,
    /// Écarte les lignes invalides (listées dans la provenance) au lieu d'échouer.
    #[arg(long)]
    ignorer_lignes_invalides: bool,
    /// Fils de lecture du CSV.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Ne calcule pas l'empreinte SHA-256 des fichiers (provenance sans empreinte ; environ
    /// 0,5 s de moins par Go).
    #[arg(long = "sans-sha256")]
    sans_sha256: bool,
}

impl Common {
    fn read_options(&self, sha_cache: Option<Arc<ShaCache>>) -> ReadOptions {
        ReadOptions {
            ignore_invalid: self.ignorer_lignes_invalides,
            threads: self.threads.max(1),
            sha256: !self.sans_sha256,
            sha_cache,
            ..Default::default()
        }
    }
}

#[derive(clap::Args)]
pub struct IndicateursArgs {
    #[command(flatten)]
    common: Common,
    /// Fichier(s) Open PHMEV de l'année N−1 (pour IV-01 et IV-02).
    #[arg(long = "annee-precedente")]
    annee_precedente: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Fichier de sortie (sinon la sortie standard). Écrit de façon atomique.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Année N des valeurs (format `valeurs`) ; déduite du nom des fichiers si absente.
    #[arg(long)]
    annee: Option<i32>,
    /// Format `valeurs` : III-03 calculé séparément par classe (`III-03/EPO`…, une colonne
    /// `motif` ; une classe sans aucune boîte est écrite NC avec son motif), comme le
    /// demande la grille occitanie-2018 ; sans cette option, une ligne III-03 globale.
    #[arg(long = "par-classe")]
    par_classe: bool,
    /// Classe ATC (niveau 1 à 5) suivie pour IV-02, pour tous les établissements.
    #[arg(long = "classe-iv02")]
    classe_iv02: Option<String>,
    /// Classe IV-02 par établissement : `finess;classe` (prioritaire sur --classe-iv02).
    #[arg(long = "classes-iv02")]
    classes_iv02: Option<PathBuf>,
    /// Classes de biosimilaires : `classe;libelle;atc5;cip13_comparables` (défaut : EPO,
    /// anti-TNF, insuline glargine, G-CSF).
    #[arg(long = "classes-biosimilaires")]
    classes_biosimilaires: Option<PathBuf>,
    /// Exclut aussi les associations contenant du paracétamol (N02BE51, N02BE71, N02AJ01/06/13).
    #[arg(long = "paracetamol-associations")]
    paracetamol_associations: bool,
    /// Fichier de provenance (défaut : `<sortie>.provenance.json` avec --output).
    #[arg(long)]
    provenance: Option<PathBuf>,
    /// Recalcule l'empreinte SHA-256 de chaque fichier sans lire ni écrire le cache des
    /// empreintes ($CAQES_CACHE_DIR, sinon $XDG_CACHE_HOME/caqes, sinon ~/.cache/caqes).
    #[arg(long = "sans-cache-sha256")]
    sans_cache_sha256: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Niveau {
    Atc2,
    Atc3,
    Atc4,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TopFormat {
    Texte,
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct TopArgs {
    #[command(flatten)]
    common: Common,
    /// Établissement (ou entité juridique avec --rattachement) ; sinon tout le fichier.
    #[arg(long)]
    finess: Option<String>,
    /// Région (code INSEE de `region_etb`, ex. 76).
    #[arg(long)]
    region: Option<String>,
    #[arg(long, value_enum, default_value = "atc4")]
    niveau: Niveau,
    /// Palmarès des produits (CIP13) au lieu des classes ATC.
    #[arg(long)]
    produits: bool,
    #[arg(long, default_value_t = 15)]
    n: usize,
    #[arg(long, value_enum, default_value = "texte")]
    format: TopFormat,
}

pub fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Indicateurs(a) => indicateurs(a),
        Command::Top(a) => top(a),
    }
}

fn bad(e: PhmevError) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.to_string()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        anyhow::Error::new(BadInput(format!(
            "{} : lecture impossible : {e}",
            path.display()
        )))
    })
}

fn read_all<S, F>(
    files: &[PathBuf],
    opts: &ReadOptions,
    make: F,
) -> anyhow::Result<(Option<S>, Vec<FileProvenance>)>
where
    S: RowSink,
    F: Fn() -> S + Sync,
{
    let mut acc: Option<S> = None;
    let mut prov = Vec::new();
    for f in files {
        let (s, p) = read_file(f, opts, &make).map_err(bad)?;
        prov.push(p);
        match acc.as_mut() {
            None => acc = Some(s),
            Some(a) => a.merge(s),
        }
    }
    Ok((acc, prov))
}

fn build_config(a: &IndicateursArgs) -> anyhow::Result<Config> {
    let mut cfg = Config::default();
    if a.paracetamol_associations {
        cfg = cfg.with_paracetamol_combinations();
    }
    if let Some(p) = &a.classes_biosimilaires {
        cfg.classes =
            config::parse_classes(&p.display().to_string(), &read_text(p)?).map_err(bad)?;
    }
    if let Some(p) = &a.common.rattachement {
        cfg.rattachement =
            Rattachement::parse(&p.display().to_string(), &read_text(p)?).map_err(bad)?;
    }
    let global = match &a.classe_iv02 {
        Some(c) => Some(
            config::check_atc(c)
                .map_err(|m| anyhow::Error::new(BadInput(format!("--classe-iv02 : {m}"))))?,
        ),
        None => None,
    };
    cfg.iv02 = match &a.classes_iv02 {
        Some(p) => Iv02Classes::parse_file(&p.display().to_string(), &read_text(p)?, global)
            .map_err(bad)?,
        None => Iv02Classes {
            global,
            ..Default::default()
        },
    };
    Ok(cfg)
}

/// The year written in the input file names (`OPEN_PHMEV_2024.CSV`), when they agree.
fn year_from_names(files: &[PathBuf]) -> Option<i32> {
    let mut found: Option<i32> = None;
    for f in files {
        let name = f.file_name()?.to_string_lossy().into_owned();
        let b = name.as_bytes();
        let mut years = Vec::new();
        for i in 0..b.len().saturating_sub(3) {
            let w = &b[i..i + 4];
            let left_ok = i == 0 || !b[i - 1].is_ascii_digit();
            let right_ok = b.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
            if w.iter().all(u8::is_ascii_digit) && left_ok && right_ok && w.starts_with(b"20") {
                years.push(std::str::from_utf8(w).ok()?.parse::<i32>().ok()?);
            }
        }
        match (years.as_slice(), found) {
            ([y], None) => found = Some(*y),
            ([y], Some(f)) if *y == f => {}
            _ => return None,
        }
    }
    found
}

const AVERTISSEMENT_IV01: &str = "IV-01 (partie médicaments) : Open PHMEV ne contient ni les dispositifs médicaux de la LPP ni la rétrocession hospitalière ; l'évolution calculée ne porte que sur les médicaments prescrits à l'hôpital et délivrés en ville, hors antiviraux de l'hépatite C (ATC4 J05AP).";

#[derive(Serialize)]
struct Parametres {
    paracetamol_atc5: Vec<String>,
    classes_biosimilaires: Vec<ClasseParam>,
    iii_03: &'static str,
    hepatite_c_atc4: String,
    classe_iv02: Option<String>,
    classes_iv02_par_finess: usize,
    sites_rattaches: usize,
}

#[derive(Serialize)]
struct ClasseParam {
    classe: String,
    libelle: String,
    atc5: Vec<String>,
    cip13_comparables: Vec<String>,
}

#[derive(Serialize)]
struct Provenance {
    annee: Option<i32>,
    fichiers: Vec<FileProvenance>,
    fichiers_annee_precedente: Vec<FileProvenance>,
    etablissements: usize,
    parametres: Parametres,
    avertissements: Vec<String>,
}

fn indicateurs(a: IndicateursArgs) -> anyhow::Result<()> {
    let cfg = build_config(&a)?;
    let annee = a.annee.or_else(|| year_from_names(&a.common.input));
    if a.format == Format::Valeurs && annee.is_none() {
        return Err(anyhow::Error::new(BadInput(
            "année introuvable dans le nom des fichiers : préciser --annee (ex. --annee 2024)"
                .into(),
        )));
    }
    if (a.classes_iv02.is_some() || a.classe_iv02.is_some()) && a.annee_precedente.is_empty() {
        return Err(anyhow::Error::new(BadInput("IV-02 est une évolution : --annee-precedente est nécessaire avec --classe-iv02 ou --classes-iv02".into())));
    }
    let sha_cache = if a.common.sans_sha256 || a.sans_cache_sha256 {
        None
    } else {
        cache_dir().map(|d| Arc::new(ShaCache::open(&d)))
    };
    let opts = a.common.read_options(sha_cache.clone());
    let computed =
        report::compute(&a.common.input, &a.annee_precedente, &cfg, &opts).map_err(bad)?;
    let entities = computed.entities;
    let (prov, prov_prev) = (computed.files, computed.previous_files);

    let mut out: Vec<u8> = Vec::new();
    match a.format {
        Format::Json => {
            let items: Vec<_> = entities.iter().map(|e| e.to_json(&cfg)).collect();
            serde_json::to_writer_pretty(&mut out, &items).context("écriture du JSON")?;
            out.push(b'\n');
        }
        Format::Csv => report::write_csv(&entities, &cfg, &mut out).context("écriture du CSV")?,
        Format::Valeurs => {
            // Checked above.
            let y = annee.unwrap_or_default();
            if a.par_classe {
                report::write_valeurs_par_classe(&entities, &cfg, y, &mut out)
            } else {
                report::write_valeurs(&entities, y, &mut out)
            }
            .context("écriture de valeurs.csv")?;
        }
    }
    let mut avertissements = Vec::new();
    if !a.annee_precedente.is_empty() {
        avertissements.push(AVERTISSEMENT_IV01.to_owned());
    }
    for p in prov.iter().chain(&prov_prev) {
        if p.lignes_rejetees > 0 {
            avertissements.push(format!(
                "{} : {} ligne(s) invalide(s) écartée(s)",
                p.fichier, p.lignes_rejetees
            ));
        }
    }
    let provenance = Provenance {
        annee,
        etablissements: entities.len(),
        parametres: parametres(&cfg),
        fichiers: prov,
        fichiers_annee_precedente: prov_prev,
        avertissements,
    };
    let prov_json = serde_json::to_vec_pretty(&provenance).context("écriture de la provenance")?;
    let prov_path = a.provenance.clone().or_else(|| {
        a.output.as_ref().map(|o| {
            let mut s = o.as_os_str().to_owned();
            s.push(".provenance.json");
            PathBuf::from(s)
        })
    });
    match &a.output {
        Some(p) => write_atomic(p, &out)?,
        None => std::io::stdout()
            .write_all(&out)
            .context("écriture sur la sortie standard")?,
    }
    if let Some(p) = &prov_path {
        write_atomic(p, &prov_json)?;
    }
    // Only after a successful run: a failed run records nothing.
    if let Some(c) = &sha_cache {
        c.save();
    }
    for w in &provenance.avertissements {
        eprintln!("avertissement : {w}");
    }
    let rows: u64 = provenance.fichiers.iter().map(|p| p.lignes_retenues).sum();
    eprintln!(
        "{} établissement(s), {} ligne(s) retenue(s)",
        entities.len(),
        rows
    );
    Ok(())
}

fn parametres(cfg: &Config) -> Parametres {
    Parametres {
        paracetamol_atc5: cfg.paracetamol_atc5.clone(),
        classes_biosimilaires: cfg
            .classes
            .iter()
            .map(|c| ClasseParam {
                classe: c.id.clone(),
                libelle: c.label.clone(),
                atc5: c.atc5.clone(),
                cip13_comparables: c.comparables.clone(),
            })
            .collect(),
        iii_03: "taux global : somme des boîtes de biosimilaires / somme des boîtes de biosimilaires et de références, toutes classes confondues",
        hepatite_c_atc4: cfg.hepatitis_c_atc4.clone(),
        classe_iv02: cfg.iv02.global.clone(),
        classes_iv02_par_finess: cfg.iv02.per_finess.len(),
        sites_rattaches: cfg.rattachement.entity_of.len(),
    }
}

/// The directory of the SHA-256 cache: `$CAQES_CACHE_DIR`, else `$XDG_CACHE_HOME/caqes`, else
/// `$HOME/.cache/caqes` (empty or, for XDG, relative values are ignored, as the XDG
/// specification asks). `None` when none is set: the hash is then always computed.
fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("CAQES_CACHE_DIR")
        .or_else(|| {
            var("XDG_CACHE_HOME")
                .filter(|p| p.is_absolute())
                .map(|p| p.join("caqes"))
        })
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("caqes")))
}

/// [`caqes_data::atomic::write_atomic`], with the file named in the error.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    caqes_data::atomic::write_atomic(path, bytes)
        .with_context(|| format!("écriture de {}", path.display()))
}

#[derive(Serialize)]
struct TopLine {
    rang: usize,
    code: String,
    libelle: String,
    montant_rembourse: String,
    part: Option<f64>,
    boites: i64,
}

fn top(a: TopArgs) -> anyhow::Result<()> {
    let level = match (a.produits, a.niveau) {
        (true, _) => TopLevel::Produit,
        (false, Niveau::Atc2) => TopLevel::Atc2,
        (false, Niveau::Atc3) => TopLevel::Atc3,
        (false, Niveau::Atc4) => TopLevel::Atc4,
    };
    let rattachement = match &a.common.rattachement {
        Some(p) => Rattachement::parse(&p.display().to_string(), &read_text(p)?).map_err(bad)?,
        None => Rattachement::default(),
    };
    let mut etabs = Vec::new();
    if let Some(f) = &a.finess {
        let f = Finess::parse(f)
            .map_err(|e| anyhow::Error::new(BadInput(format!("--finess : {e}"))))?;
        etabs.push(f);
        etabs.extend(
            rattachement
                .entity_of
                .iter()
                .filter(|(_, e)| **e == f)
                .map(|(s, _)| *s),
        );
    }
    let region = a.region.as_ref().map(|r| {
        let r = r.trim();
        if r.len() == 1 {
            format!("0{r}")
        } else {
            r.to_owned()
        }
    });
    // No provenance is written: no SHA-256 cache either.
    let opts = a.common.read_options(None);
    let proto = TopSink::new(level, etabs, region.clone());
    let (sink, prov) = read_all(&a.common.input, &opts, || proto.fresh())?;
    let sink = sink.unwrap_or_else(|| proto.fresh());
    if a.finess.is_some() && sink.rows == 0 {
        return Err(anyhow::Error::new(BadInput(format!(
            "aucune ligne pour l'établissement {} dans {}",
            a.finess.as_deref().unwrap_or_default(),
            prov.iter()
                .map(|p| p.fichier.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    let lines: Vec<TopLine> = sink
        .top(a.n)
        .into_iter()
        .enumerate()
        .map(|(i, (code, e))| TopLine {
            rang: i + 1,
            code: decode_text(&code),
            libelle: decode_text(&e.label),
            montant_rembourse: amount_2dp(e.rem),
            part: report::percent(e.rem, sink.rem_total).and_then(|d| d.to_string().parse().ok()),
            boites: e.boites,
        })
        .collect();
    let mut out = std::io::stdout().lock();
    match a.format {
        TopFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &lines).context("écriture du JSON")?;
            writeln!(out)?;
        }
        TopFormat::Csv => {
            writeln!(out, "rang;code;libelle;montant_rembourse;part;boites")?;
            for l in &lines {
                writeln!(
                    out,
                    "{};{};{};{};{};{}",
                    l.rang,
                    l.code,
                    l.libelle.replace(';', ","),
                    l.montant_rembourse,
                    l.part.map(|p| p.to_string()).unwrap_or_default(),
                    l.boites
                )?;
            }
        }
        TopFormat::Texte => {
            let what = match level {
                TopLevel::Produit => "produits (CIP13)".to_owned(),
                TopLevel::Atc2 => "classes ATC2".into(),
                TopLevel::Atc3 => "classes ATC3".into(),
                TopLevel::Atc4 => "classes ATC4".into(),
            };
            let scope = match (&a.finess, &region) {
                (Some(f), _) => format!("établissement {f}"),
                (None, Some(r)) => format!("région {r}"),
                (None, None) => "ensemble du fichier".into(),
            };
            writeln!(
                out,
                "Top {} des {what} par montant remboursé — {scope} (total {} €)",
                a.n,
                amount_2dp(sink.rem_total)
            )?;
            for l in &lines {
                writeln!(
                    out,
                    "{:>3}. {:<13} {:<50} {:>16} € {:>6} %  {:>10} boîtes",
                    l.rang,
                    l.code,
                    l.libelle.chars().take(50).collect::<String>(),
                    l.montant_rembourse,
                    l.part.map(|p| format!("{p:.2}")).unwrap_or_default(),
                    l.boites
                )?;
            }
        }
    }
    Ok(())
}
