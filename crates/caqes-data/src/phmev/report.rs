//! From sums per site to figures per legal entity, and the outputs: JSON and CSV reports,
//! `valeurs.csv` rows for the engine (source AM).

use std::collections::BTreeMap;

use caqes_core::Finess;
use caqes_core::rate::round_half_away;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::aggregate::EtabTotals;
use super::config::Config;
use super::number::amount_2dp;

/// One reported establishment: a legal entity (its sites summed) or an `etb_rgt` that is
/// not mapped.
#[derive(Debug, Clone)]
pub struct EntityFigures {
    pub finess: Finess,
    pub raison_sociale: String,
    /// The `etb_rgt` summed here (itself alone when not mapped).
    pub sites: Vec<Finess>,
    pub totals: EtabTotals,
    /// Same sums for year N−1, when given.
    pub previous: Option<EtabTotals>,
    /// The IV-02 class of this entity.
    pub classe_iv02: Option<String>,
}

/// An entity being built: its sites, their summed totals, and each site's raw name.
type EntitySites = (Vec<Finess>, EtabTotals, Vec<(Finess, Vec<u8>)>);

/// Sums per site and the provenance of the files read.
type YearRead = (Vec<(Finess, EtabTotals)>, Vec<super::FileProvenance>);

/// Groups sites into entities: each entity's figures are the sums of its sites' numerators
/// and denominators. Sorted by FINESS.
pub fn group(
    sites: Vec<(Finess, EtabTotals)>,
    previous: Option<Vec<(Finess, EtabTotals)>>,
    config: &Config,
) -> Vec<EntityFigures> {
    let classes = config.classes.len();
    let mut current: BTreeMap<Finess, EntitySites> = BTreeMap::new();
    for (site, t) in sites {
        let e = config.rattachement.entity(site);
        let slot = current
            .entry(e)
            .or_insert_with(|| (Vec::new(), EtabTotals::new(classes), Vec::new()));
        slot.0.push(site);
        slot.2.push((site, t.name.clone()));
        slot.1.add(&t);
    }
    let mut prev: Option<BTreeMap<Finess, EtabTotals>> = previous.map(|p| {
        let mut m: BTreeMap<Finess, EtabTotals> = BTreeMap::new();
        for (site, t) in p {
            let e = config.rattachement.entity(site);
            m.entry(e)
                .or_insert_with(|| EtabTotals::new(classes))
                .add(&t);
        }
        m
    });
    let with_previous = prev.is_some();
    let mut out = Vec::new();
    for (finess, (mut sites, totals, names)) in current {
        sites.sort();
        let name = config
            .rattachement
            .names
            .get(&finess)
            .cloned()
            .unwrap_or_else(|| {
                // The entity's own row name when it appears itself, else its sites' smallest.
                names
                    .iter()
                    .find(|(s, _)| *s == finess)
                    .map(|(_, n)| super::decode_text(n))
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| super::decode_text(&totals.name))
            });
        let previous = prev.as_mut().map(|m| {
            m.remove(&finess)
                .unwrap_or_else(|| EtabTotals::new(classes))
        });
        out.push(EntityFigures {
            finess,
            raison_sociale: name,
            classe_iv02: config.iv02.class_for(finess, finess).map(str::to_owned),
            sites,
            totals,
            previous: if with_previous { previous } else { None },
        });
    }
    out
}

/// `100 × n / d` rounded half away from zero to 2 decimals; `None` when `d` is 0.
pub fn percent(n: i128, d: i128) -> Option<Decimal> {
    if d == 0 {
        return None;
    }
    let n = Decimal::from_i128_with_scale(n, 0);
    let d = Decimal::from_i128_with_scale(d, 0);
    Some(round_half_away(n * Decimal::ONE_HUNDRED / d, 2))
}

/// `100 × (n / d − 1)` rounded to 2 decimals; `None` when `d` is 0.
pub fn growth(n: i128, d: i128) -> Option<Decimal> {
    if d == 0 {
        return None;
    }
    let n = Decimal::from_i128_with_scale(n, 0);
    let d = Decimal::from_i128_with_scale(d, 0);
    Some(round_half_away(
        (n / d - Decimal::ONE) * Decimal::ONE_HUNDRED,
        2,
    ))
}

fn serialize_rate<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        // A JSON number: the f64 nearest to a 2-decimal value prints back as that value.
        Some(d) => s.serialize_f64(d.to_string().parse::<f64>().unwrap_or(f64::NAN)),
        None => s.serialize_none(),
    }
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct BiosimilarJson {
    pub biosimilaires: i64,
    pub references: i64,
    #[serde(serialize_with = "serialize_rate")]
    pub taux: Option<Decimal>,
}

/// Class id → figures, in configuration order.
#[derive(Debug, Clone, PartialEq)]
pub struct BiosimilarMap(pub Vec<(String, BiosimilarJson)>);

impl Serialize for BiosimilarMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct GrowthJson {
    /// ATC class (IV-02 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classe: Option<String>,
    pub montant_n: String,
    pub montant_n_1: String,
    #[serde(serialize_with = "serialize_rate")]
    pub evolution: Option<Decimal>,
}

/// One element of the JSON report (the exact shape; `iv01`, `iv02` and `sites`
/// appear only when a previous year, an IV-02 class or a multi-site mapping is given).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct EntityJson {
    pub finess: String,
    pub raison_sociale: String,
    pub boites_total: i64,
    pub boites_hors_paracetamol: i64,
    pub boites_repertoire: i64,
    #[serde(serialize_with = "serialize_rate")]
    pub taux_repertoire: Option<Decimal>,
    pub boites_non_restituees: i64,
    pub montant_rembourse: String,
    pub biosimilaires: BiosimilarMap,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv01: Option<GrowthJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv02: Option<GrowthJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
}

impl EntityFigures {
    pub fn biosimilar_rates(&self, config: &Config) -> BiosimilarMap {
        BiosimilarMap(
            config
                .classes
                .iter()
                .zip(&self.totals.biosimilaires)
                .map(|(c, &(b, r))| {
                    (
                        c.id.clone(),
                        BiosimilarJson {
                            biosimilaires: b,
                            references: r,
                            taux: percent(i128::from(b), i128::from(b) + i128::from(r)),
                        },
                    )
                })
                .collect(),
        )
    }

    /// III-03 over all classes: Σ biosimilar / Σ (biosimilar + reference).
    pub fn biosimilar_pooled(&self) -> (i64, i64) {
        let b: i64 = self.totals.biosimilaires.iter().map(|x| x.0).sum();
        let r: i64 = self.totals.biosimilaires.iter().map(|x| x.1).sum();
        (b, b + r)
    }

    pub fn iv01(&self) -> Option<GrowthJson> {
        let p = self.previous.as_ref()?;
        Some(GrowthJson {
            classe: None,
            montant_n: amount_2dp(self.totals.rem_hors_hepatite_c),
            montant_n_1: amount_2dp(p.rem_hors_hepatite_c),
            evolution: growth(self.totals.rem_hors_hepatite_c, p.rem_hors_hepatite_c),
        })
    }

    pub fn iv02(&self) -> Option<GrowthJson> {
        let p = self.previous.as_ref()?;
        let classe = self.classe_iv02.clone()?;
        Some(GrowthJson {
            classe: Some(classe),
            montant_n: amount_2dp(self.totals.rem_classe_iv02),
            montant_n_1: amount_2dp(p.rem_classe_iv02),
            evolution: growth(self.totals.rem_classe_iv02, p.rem_classe_iv02),
        })
    }

    pub fn to_json(&self, config: &Config) -> EntityJson {
        let t = &self.totals;
        let multi = self.sites.len() > 1 || self.sites.first() != Some(&self.finess);
        EntityJson {
            finess: self.finess.to_string(),
            raison_sociale: self.raison_sociale.clone(),
            boites_total: t.boites_total,
            boites_hors_paracetamol: t.boites_hors_paracetamol,
            boites_repertoire: t.boites_repertoire,
            taux_repertoire: percent(
                i128::from(t.boites_repertoire),
                i128::from(t.boites_hors_paracetamol),
            ),
            boites_non_restituees: t.boites_non_restituees,
            montant_rembourse: amount_2dp(t.rem_total),
            biosimilaires: self.biosimilar_rates(config),
            iv01: self.iv01(),
            iv02: self.iv02(),
            sites: if multi {
                self.sites.iter().map(Finess::to_string).collect()
            } else {
                Vec::new()
            },
        }
    }
}

fn opt(d: Option<Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The CSV report (`;`, UTF-8, decimal point), one line per entity.
pub fn write_csv(
    entities: &[EntityFigures],
    config: &Config,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut head = vec![
        "finess".to_owned(),
        "raison_sociale".into(),
        "boites_total".into(),
        "boites_hors_paracetamol".into(),
        "boites_repertoire".into(),
        "taux_repertoire".into(),
        "boites_non_restituees".into(),
        "montant_rembourse".into(),
        "montant_hors_hepatite_c".into(),
    ];
    for c in &config.classes {
        head.push(format!("{}_biosimilaires", c.id));
        head.push(format!("{}_references", c.id));
        head.push(format!("{}_taux", c.id));
    }
    head.extend([
        "biosimilaires_total".into(),
        "biosimilaires_et_references_total".into(),
        "taux_biosimilaires".into(),
    ]);
    let with_prev = entities.iter().any(|e| e.previous.is_some());
    if with_prev {
        head.extend([
            "montant_hors_hepatite_c_n_1".into(),
            "evolution_iv01".into(),
        ]);
        head.extend([
            "classe_iv02".into(),
            "montant_classe_iv02".into(),
            "montant_classe_iv02_n_1".into(),
            "evolution_iv02".into(),
        ]);
    }
    head.push("sites".into());
    writeln!(out, "{}", head.join(";"))?;
    for e in entities {
        let t = &e.totals;
        let mut f = vec![
            e.finess.to_string(),
            csv_text(&e.raison_sociale),
            t.boites_total.to_string(),
            t.boites_hors_paracetamol.to_string(),
            t.boites_repertoire.to_string(),
            opt(percent(
                i128::from(t.boites_repertoire),
                i128::from(t.boites_hors_paracetamol),
            )),
            t.boites_non_restituees.to_string(),
            amount_2dp(t.rem_total),
            amount_2dp(t.rem_hors_hepatite_c),
        ];
        for (_, b) in e.biosimilar_rates(config).0 {
            f.push(b.biosimilaires.to_string());
            f.push(b.references.to_string());
            f.push(opt(b.taux));
        }
        let (b, d) = e.biosimilar_pooled();
        f.extend([
            b.to_string(),
            d.to_string(),
            opt(percent(i128::from(b), i128::from(d))),
        ]);
        if with_prev {
            match e.iv01() {
                Some(g) => f.extend([g.montant_n_1, opt(g.evolution)]),
                None => f.extend([String::new(), String::new()]),
            }
            match e.iv02() {
                Some(g) => f.extend([
                    g.classe.unwrap_or_default(),
                    g.montant_n,
                    g.montant_n_1,
                    opt(g.evolution),
                ]),
                None => f.extend([
                    e.classe_iv02.clone().unwrap_or_default(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]),
            }
        }
        f.push(
            e.sites
                .iter()
                .map(Finess::to_string)
                .collect::<Vec<_>>()
                .join(","),
        );
        writeln!(out, "{}", f.join(";"))?;
    }
    Ok(())
}

fn csv_text(s: &str) -> String {
    if s.contains([';', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Rows of `valeurs.csv` (engine input, source AM): `finess;indicateur;annee;numerateur;denominateur;valeur`.
/// A row is written only when its denominator is positive (the engine refuses a zero
/// denominator; a missing row reads as "no AM value").
pub fn write_valeurs(
    entities: &[EntityFigures],
    annee: i32,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    write_rows(entities, None, annee, out)
}

/// The rows of [`write_valeurs`], with III-03 per class when `per_class` gives the classes
/// (then every row has a last `motif` column).
fn write_rows(
    entities: &[EntityFigures],
    per_class: Option<&Config>,
    annee: i32,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let end = if per_class.is_some() { ";" } else { "" };
    writeln!(
        out,
        "finess;indicateur;annee;numerateur;denominateur;valeur{}",
        if per_class.is_some() { ";motif" } else { "" }
    )?;
    for e in entities {
        let t = &e.totals;
        let f = e.finess;
        if t.boites_hors_paracetamol > 0 && t.boites_repertoire >= 0 {
            writeln!(
                out,
                "{f};III-01;{annee};{};{};{end}",
                t.boites_repertoire, t.boites_hors_paracetamol
            )?;
        }
        match per_class {
            Some(config) => write_classes(e, config, annee, out)?,
            None => {
                let (b, d) = e.biosimilar_pooled();
                if d > 0 && b >= 0 {
                    writeln!(out, "{f};III-03;{annee};{b};{d};")?;
                }
            }
        }
        if let Some(p) = &e.previous {
            if p.rem_hors_hepatite_c > 0 && t.rem_hors_hepatite_c >= 0 {
                writeln!(
                    out,
                    "{f};IV-01;{annee};{};{};{end}",
                    amount_2dp(t.rem_hors_hepatite_c),
                    amount_2dp(p.rem_hors_hepatite_c)
                )?;
            }
            if e.classe_iv02.is_some() && p.rem_classe_iv02 > 0 && t.rem_classe_iv02 >= 0 {
                writeln!(
                    out,
                    "{f};IV-02;{annee};{};{};{end}",
                    amount_2dp(t.rem_classe_iv02),
                    amount_2dp(p.rem_classe_iv02)
                )?;
            }
        }
    }
    Ok(())
}

/// The motive written for a class without any box in PHEV (D5): the establishment does not
/// prescribe it, as « 1 ES MCO sans consommation de MO => NC » (seed 003).
pub const MOTIF_CLASSE_SANS_BOITE: &str =
    "aucune boîte de la classe prescrite en PHEV (Open PHMEV, Assurance Maladie)";

/// [`write_valeurs`] with III-03 computed separately per class, as the grid asks (« Ce taux
/// est calculé séparément pour les médicaments des classes suivantes », D5): one row per
/// configured class, coded `III-03/{CLASS}` (the class's id in capitals, `-` for `_`:
/// `III-03/EPO`, `III-03/ANTI-TNF`), its
/// biosimilar boxes and its biosimilar + reference boxes as numerator and denominator; a
/// class without any box is written `NC` with [`MOTIF_CLASSE_SANS_BOITE`] in the `motif`
/// column (the ARS's batch file: an accepted declaration). No pooled III-03 row.
pub fn write_valeurs_par_classe(
    entities: &[EntityFigures],
    config: &Config,
    annee: i32,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    write_rows(entities, Some(config), annee, out)
}

/// III-03's rows per class of one entity.
fn write_classes(
    e: &EntityFigures,
    config: &Config,
    annee: i32,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let f = e.finess;
    for (class, &(b, r)) in config.classes.iter().zip(&e.totals.biosimilaires) {
        // The grid's class code: the id in capitals, `-` for `_` (`anti_tnf` → `ANTI-TNF`).
        let code = class.id.to_uppercase().replace('_', "-");
        let d = b + r;
        if d > 0 && b >= 0 {
            writeln!(out, "{f};III-03/{code};{annee};{b};{d};;")?;
        } else {
            writeln!(
                out,
                "{f};III-03/{code};{annee};;;NC;{MOTIF_CLASSE_SANS_BOITE}"
            )?;
        }
    }
    Ok(())
}

/// The figures of a run: entities and the provenance of every file read.
#[derive(Debug, Clone)]
pub struct Computed {
    pub entities: Vec<EntityFigures>,
    pub files: Vec<super::FileProvenance>,
    pub previous_files: Vec<super::FileProvenance>,
}

fn read_year(
    files: &[std::path::PathBuf],
    proto: &super::IndicatorSink,
    opts: &super::ReadOptions,
) -> Result<YearRead, super::PhmevError> {
    use super::RowSink;
    let mut acc: Option<super::IndicatorSink> = None;
    let mut prov = Vec::new();
    for f in files {
        let (s, p) = super::read_file(f, opts, || proto.fresh())?;
        prov.push(p);
        match acc.as_mut() {
            None => acc = Some(s),
            Some(a) => a.merge(s),
        }
    }
    Ok((
        acc.map(super::IndicatorSink::into_totals)
            .unwrap_or_default(),
        prov,
    ))
}

/// Reads year N (`inputs`, summed) and optionally year N−1, and groups sites into
/// entities. Fails on the first invalid line unless `opts.ignore_invalid`.
pub fn compute(
    inputs: &[std::path::PathBuf],
    previous: &[std::path::PathBuf],
    config: &Config,
    opts: &super::ReadOptions,
) -> Result<Computed, super::PhmevError> {
    let proto = super::IndicatorSink::new(config.clone());
    let (current, files) = read_year(inputs, &proto, opts)?;
    let (prev, previous_files) = if previous.is_empty() {
        (None, Vec::new())
    } else {
        let (p, f) = read_year(previous, &proto, opts)?;
        (Some(p), f)
    };
    Ok(Computed {
        entities: group(current, prev, config),
        files,
        previous_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iii_03_is_written_per_class_with_nc_for_a_class_without_boxes() {
        // EPO 30 biosimilar + 70 reference boxes → 30/100; anti-TNF 5 + 15 → 5/20; insulin
        // glargine none → NC with its motive; G-CSF 0 + 8 → 0/8. Pooled: 35/128.
        let mut totals = EtabTotals::new(4);
        totals.boites_hors_paracetamol = 1000;
        totals.boites_repertoire = 455;
        totals.biosimilaires = vec![(30, 70), (5, 15), (0, 0), (0, 8)];
        let e = EntityFigures {
            finess: Finess::parse("690781810").unwrap(),
            raison_sociale: "HCL".into(),
            sites: Vec::new(),
            totals,
            previous: None,
            classe_iv02: None,
        };
        let mut out = Vec::new();
        write_valeurs_par_classe(std::slice::from_ref(&e), &Config::default(), 2019, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                "finess;indicateur;annee;numerateur;denominateur;valeur;motif",
                "690781810;III-01;2019;455;1000;;",
                "690781810;III-03/EPO;2019;30;100;;",
                "690781810;III-03/ANTI-TNF;2019;5;20;;",
                &format!("690781810;III-03/INSULINE-GLARGINE;2019;;;NC;{MOTIF_CLASSE_SANS_BOITE}"),
                "690781810;III-03/G-CSF;2019;0;8;;",
            ]
        );
        let mut pooled = Vec::new();
        write_valeurs(std::slice::from_ref(&e), 2019, &mut pooled).unwrap();
        assert!(
            String::from_utf8(pooled)
                .unwrap()
                .contains("690781810;III-03;2019;35;128;\n")
        );
    }
}
