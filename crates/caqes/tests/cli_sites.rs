//! End-to-end tests of `caqes evaluate --sites`: multi-site entities pooled from their
//! sites' components (issue 9, W6, W7, M7). Expected figures are computed by hand in the
//! comments, not copied from the program's output.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const ETS: &str = "finess;raison_sociale;categorie;region;produits_am\n\
    750712184;AP-HP;MCO_PUBLIC_ESPIC;IDF;5000000000\n\
    690781810;Clinique;MCO_PRIVE;ARA;12000000\n";

/// AP-HP has two sites: A (751000019, 100 000 patient-days) and B (751000027, 1 000).
const SITES: &str = "finess_geographique;finess_juridique\n\
    751000019;750712184\n\
    751000027;750712184\n";

/// II-04 per year: DDJ in `numerateur`, patient-days in `denominateur`.
/// A: 330 → 300 DDJ/1000 JH (33 000 → 30 000 DDJ); B: 600 → 900 (600 → 900 DDJ).
/// II-01 given by A only (B missing); II-02 by both. The clinic (no site) gives its own
/// II-04 components: 330 DDJ / 1 100 JH in 2018, 300 / 1 000 in 2019.
const VALUES: &str = "finess;indicateur;annee;numerateur;denominateur;valeur\n\
    751000019;II-04;2018;33000;100000;\n\
    751000019;II-04;2019;30000;100000;\n\
    751000027;II-04;2018;600;1000;\n\
    751000027;II-04;2019;900;1000;\n\
    751000019;II-01;2019;40;50;\n\
    751000019;II-02;2019;3;30;\n\
    751000027;II-02;2019;1;20;\n\
    690781810;II-04;2018;330;1100;\n\
    690781810;II-04;2019;300;1000;\n";

const TARGETS: &str = "finess;indicateur;annee;cible\n\
    750712184;II-04;2019;1\n\
    750712184;II-01;2019;50\n\
    750712184;II-02;2019;10\n\
    690781810;II-04;2019;1\n";

fn caqes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(args)
        .output()
        .expect("the binary runs")
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(ets: &str, sites: &str, values: &str, targets: &str) -> Files {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("etablissements.csv", ets),
            ("sites.csv", sites),
            ("valeurs.csv", values),
            ("cibles.csv", targets),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Files { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, with_sites: bool, extra: &[&str]) -> Output {
        let p = |n: &str| self.path(n).to_str().unwrap().to_owned();
        let (e, v, c, s) = (
            p("etablissements.csv"),
            p("valeurs.csv"),
            p("cibles.csv"),
            p("sites.csv"),
        );
        let mut args = vec![
            "evaluate",
            "--referentiel",
            "occitanie-2018",
            "--annee",
            "2019",
            "--etablissements",
            &e,
            "--valeurs",
            &v,
            "--cibles",
            &c,
        ];
        if with_sites {
            args.extend(["--sites", &s]);
        }
        args.extend(extra);
        caqes(&args)
    }
}

fn json(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn establishment<'a>(all: &'a [Value], finess: &str) -> &'a Value {
    all.iter().find(|e| e["finess"] == finess).unwrap()
}

fn line<'a>(e: &'a Value, code: &str) -> &'a Value {
    e["indicateurs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn ii_04_entity_is_pooled_from_ddj_and_patient_days() {
    let files = Files::new(ETS, SITES, VALUES, TARGETS);
    let all = json(&files.run(true, &[]));
    let aphp = establishment(&all, "750712184");
    let ii04 = line(aphp, "II-04");
    // (30 900 DDJ / 101 000 JH) / (33 600 / 101 000) = 0,9196 → 0,92 ≤ 1: met, 1 point
    // (MCO public, nothing redistributed). Pooling the sites' rates would give
    // (300 + 900) / (330 + 600) = 1,29, not met.
    assert_eq!(num(&ii04["valeur"]), 0.92);
    assert_eq!(ii04["atteint"], true);
    assert_eq!(num(&ii04["points"]), 1.0);
    assert_eq!(ii04["sites_manquants"].as_array().unwrap().len(), 0);
    // M7: each site's own ratio against the entity's target, ranked (lower is better).
    let sites = ii04["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 2);
    // A: 300 / 330 = 0,909 (rank 1, reaches ≤ 1); gap 0,9091 − 0,9196 = −0,01.
    assert_eq!(sites[0]["finess_geographique"], "751000019");
    assert_eq!(num(&sites[0]["valeur"]), 0.91);
    assert_eq!(sites[0]["rang"], 1);
    assert_eq!(sites[0]["atteint_cible_entite"], true);
    assert_eq!(num(&sites[0]["ecart_entite"]), -0.01);
    // B: 900 / 600 = 1,5 (rank 2, misses); gap 1,5 − 0,9196 = 0,58.
    assert_eq!(sites[1]["finess_geographique"], "751000027");
    assert_eq!(num(&sites[1]["valeur"]), 1.5);
    assert_eq!(sites[1]["rang"], 2);
    assert_eq!(sites[1]["atteint_cible_entite"], false);
    assert_eq!(num(&sites[1]["ecart_entite"]), 0.58);

    // II-02 (lower is better, target 10 %): 3/30 and 1/20 pool to 4/50 = 8 %, met;
    // site A at 10 % reaches (equality), B at 5 % ranks first.
    let ii02 = line(aphp, "II-02");
    assert_eq!(num(&ii02["valeur"]), 8.0);
    assert_eq!(ii02["atteint"], true);
    assert_eq!(ii02["sites"][1]["rang"], 1);
    assert_eq!(ii02["sites"][0]["atteint_cible_entite"], true);

    // AP-HP scores II-02 (1) + II-04 (1) = 2 points; II-01 (5) is incomplete (below).
    assert_eq!(num(&aphp["score"]), 2.0);

    // The clinic without sites: (300 / 1 000) / (330 / 1 100) = 0,3 / 0,3 = 1 ≤ 1, met;
    // MCO privé: 1 point × 100 / 78 = 1,28.
    let clinic = establishment(&all, "690781810");
    assert_eq!(num(&line(clinic, "II-04")["valeur"]), 1.0);
    assert_eq!(line(clinic, "II-04")["atteint"], true);
    assert_eq!(num(&clinic["score"]), 1.28);
    assert_eq!(line(clinic, "II-04")["sites"].as_array().unwrap().len(), 0);
}

#[test]
fn a_missing_site_makes_the_line_incomplete_and_is_named() {
    let files = Files::new(ETS, SITES, VALUES, TARGETS);
    let all = json(&files.run(true, &[]));
    let ii01 = line(establishment(&all, "750712184"), "II-01");
    // Site B gave no II-01: no entity value (A's 80 % alone is not the entity), not met,
    // 0 of its 5 points, B named.
    assert_eq!(ii01["valeur"], Value::Null);
    assert_eq!(ii01["atteint"], false);
    assert_eq!(num(&ii01["points"]), 0.0);
    assert_eq!(ii01["sites_manquants"], serde_json::json!(["751000027"]));
    let sites = ii01["sites"].as_array().unwrap();
    assert_eq!(num(&sites[0]["valeur"]), 80.0);
    assert_eq!(sites[0]["atteint_cible_entite"], true);
    assert_eq!(sites[1]["valeur"], Value::Null);
    assert_eq!(sites[1]["manque"], "aucune valeur");

    // Year N−1 missing for site B's II-04: incomplete too.
    let values = VALUES.replace("751000027;II-04;2018;600;1000;\n", "");
    let files = Files::new(ETS, SITES, &values, TARGETS);
    let out = files.run(true, &[]);
    let all = json(&out);
    let ii04 = line(establishment(&all, "750712184"), "II-04");
    assert_eq!(ii04["valeur"], Value::Null);
    assert_eq!(ii04["sites_manquants"], serde_json::json!(["751000027"]));
    assert_eq!(
        ii04["sites"][1]["manque"],
        "valeur de l'année N−1 manquante"
    );
    // The CSV output names the missing sites in its last column.
    let out = files.run(true, &["--format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().next().unwrap().ends_with(";sites_manquants"));
    let row = text
        .lines()
        .find(|l| l.starts_with("750712184;") && l.contains(";II-04;"))
        .unwrap();
    assert!(row.ends_with(";751000027"), "{row}");
}

fn assert_refused(out: &Output, words: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    for w in words {
        assert!(err.contains(w), "« {w} » absent de : {err}");
    }
}

#[test]
fn bad_sites_and_conflicting_values_are_refused_with_exit_2() {
    // A bad FINESS key on line 3 of sites.csv.
    let files = Files::new(
        ETS,
        &SITES.replace("751000027", "751000028"),
        VALUES,
        TARGETS,
    );
    let out_file = files.path("sortie.json");
    let out = files.run(true, &["--output", out_file.to_str().unwrap()]);
    assert_refused(
        &out,
        &["sites.csv, ligne 3, colonne « finess_geographique »", "clé"],
    );
    assert!(!Path::new(&out_file).exists(), "nothing written on error");
    // A legal entity that is not an establishment of the file.
    let files = Files::new(
        ETS,
        &format!("{SITES}751000035;130786049\n"),
        VALUES,
        TARGETS,
    );
    assert_refused(
        &files.run(true, &[]),
        &["ligne 4, colonne « finess_juridique »", "130786049"],
    );
    // A value for a FINESS that is neither an establishment nor a site (line 11).
    let files = Files::new(
        ETS,
        SITES,
        &format!("{VALUES}751000035;II-01;2019;1;2;\n"),
        TARGETS,
    );
    assert_refused(
        &files.run(true, &[]),
        &[
            "valeurs.csv, ligne 11, colonne « finess »",
            "ni dans le fichier des sites",
        ],
    );
    // The same value for the entity and one of its sites (line 11 conflicts with line 5).
    let files = Files::new(
        ETS,
        SITES,
        &format!("{VALUES}750712184;II-01;2019;50;100;\n"),
        TARGETS,
    );
    assert_refused(
        &files.run(true, &[]),
        &["valeurs.csv, ligne 11", "à la fois", "déjà ligne 6"],
    );
    // Without --sites, a site's FINESS is unknown.
    let files = Files::new(ETS, SITES, VALUES, TARGETS);
    assert_refused(
        &files.run(false, &[]),
        &["valeurs.csv, ligne 2, colonne « finess »"],
    );
}
