//! `caqes evaluate` on indicators computed separately per class (D5: III-02 and III-03 of
//! occitanie-2018, « Ce taux est calculé séparément pour les médicaments des classes
//! suivantes : EPO, anti TNF, insuline glargine, G-CSF »). Expected figures by hand.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly"
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

const ETS: &str = "finess;raison_sociale;categorie;region;produits_am\n\
    750712184;AP-HP;MCO_PUBLIC_ESPIC;Île-de-France;\n\
    690781810;Clinique privée fictive;MCO_PRIVE;Occitanie;\n";

const VALUES: &str = "finess;indicateur;annee;numerateur;denominateur;valeur;motif\n\
    750712184;III-02/EPO;2019;30;100;;\n\
    750712184;III-02/ANTI-TNF;2019;10;100;;\n\
    750712184;III-02/INSULINE-GLARGINE;2019;;;NC;aucune prescription d'insuline glargine\n\
    750712184;III-02/G-CSF;2019;50;100;;\n\
    750712184;III-03/EPO;2019;3;10;;\n\
    750712184;III-03/ANTI-TNF;2019;1;2;;\n\
    750712184;III-03/INSULINE-GLARGINE;2019;2;8;;\n\
    750712184;III-03/G-CSF;2019;0;8;;\n\
    690781810;III-02;2019;45;100;;\n";

const TARGETS: &str = "finess;indicateur;annee;cible\n\
    750712184;III-02/EPO;2019;25\n\
    750712184;III-02/ANTI-TNF;2019;20\n\
    750712184;III-02;2019;40\n\
    750712184;III-03;2019;25\n\
    690781810;III-02;2019;40\n";

/// The three files in a fresh directory.
fn files(name: &str, values: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caqes-classes-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("etablissements.csv"), ETS).unwrap();
    std::fs::write(dir.join("valeurs.csv"), values).unwrap();
    std::fs::write(dir.join("cibles.csv"), TARGETS).unwrap();
    dir
}

fn evaluate(dir: &std::path::Path, extra: &[&str]) -> Output {
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let mut args = vec![
        "evaluate".to_owned(),
        "--referentiel".into(),
        "occitanie-2018".into(),
        "--annee".into(),
        "2019".into(),
        "--etablissements".into(),
        p("etablissements.csv"),
        "--valeurs".into(),
        p("valeurs.csv"),
        "--cibles".into(),
        p("cibles.csv"),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(&args)
        .output()
        .expect("the binary runs")
}

fn line<'a>(e: &'a Value, code: &str) -> &'a Value {
    e["indicateurs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap()
}

#[test]
fn classes_are_scored_separately_and_explained() {
    let dir = files("json", VALUES);
    let out = evaluate(&dir, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let aphp = &all[0];
    // III-02: EPO 30 % ≥ 25 met; ANTI-TNF 10 % < 20 not met; INSULINE-GLARGINE NC (left
    // out); G-CSF 50 % ≥ III-02's own target 40 met: 2 of 3 → 4 × 2/3 = 2.67.
    let iii02 = line(aphp, "III-02");
    assert_eq!(iii02["regle"], "par_classe");
    assert_eq!(iii02["regle_classes"], "part_egale");
    assert_eq!(iii02["points"].as_f64(), Some(2.67));
    assert_eq!(iii02["atteint"], false);
    let c = iii02["classes"].as_array().unwrap();
    assert_eq!(c.len(), 4);
    assert_eq!(c[0]["code"], "III-02/EPO");
    assert_eq!(c[0]["classe"], "Érythropoïétines (EPO)");
    assert_eq!(
        (c[0]["cible"].as_f64(), c[0]["atteint"].as_bool()),
        (Some(25.0), Some(true))
    );
    assert_eq!(
        (c[0]["points_max"].as_f64(), c[0]["points"].as_f64()),
        (Some(1.33), Some(1.33))
    );
    assert_eq!(
        (c[1]["atteint"].as_bool(), c[1]["points"].as_f64()),
        (Some(false), Some(0.0))
    );
    assert_eq!(c[2]["statut"], "NC");
    assert_eq!(c[2]["motif"], "aucune prescription d'insuline glargine");
    assert_eq!(c[2]["revue"], "acceptee");
    assert_eq!(c[3]["cible"].as_f64(), Some(40.0));
    assert_eq!(c[3]["origine_cible"], "contrat");
    assert_eq!(
        (c[3]["numerateur"].as_f64(), c[3]["denominateur"].as_f64()),
        (Some(50.0), Some(100.0))
    );
    assert!(c[0]["source"].as_str().unwrap().ends_with("valeurs.csv:2"));
    let text = iii02["explication"].as_str().unwrap();
    assert!(text.contains("2 classe(s) atteinte(s) sur 3"), "{text}");
    // III-03 against III-03's target 25 for every class: EPO 30 %, ANTI-TNF 50 % and
    // INSULINE-GLARGINE 25 % (equality) met, G-CSF 0 % not: 3 of 4 → 3 points.
    let iii03 = line(aphp, "III-03");
    assert_eq!(iii03["points"].as_f64(), Some(3.0));
    // Nothing else earns: 8/3 + 3 = 5.67.
    assert_eq!(aphp["score"].as_f64(), Some(5.67));
    // An older file: one III-02 value for every class, scored as before (4 × 100/78 for a
    // MCO privé) with a warning.
    let clinic = &all[1];
    let old = line(clinic, "III-02");
    assert_eq!(
        (old["regle"].as_str(), old["points"].as_f64()),
        (Some("comparaison_cible"), Some(5.13))
    );
    assert!(old.get("classes").is_none());
    assert!(
        clinic["avertissements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("séparément par classe"))
    );
}

#[test]
fn csv_output_has_one_row_per_class() {
    let dir = files("csv", VALUES);
    let out = evaluate(&dir, &["--format", "csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("750712184;"))
        .map(|l| l.split(';').collect())
        .collect();
    let codes: Vec<&str> = rows.iter().map(|r| r[6]).collect();
    let at = codes.iter().position(|c| *c == "III-02").unwrap();
    assert_eq!(
        &codes[at..at + 5],
        [
            "III-02",
            "III-02/EPO",
            "III-02/ANTI-TNF",
            "III-02/INSULINE-GLARGINE",
            "III-02/G-CSF"
        ]
    );
    // indicateur;statut;points_max;points;valeur;cible;atteint
    assert_eq!(
        &rows[at + 1][6..13],
        ["III-02/EPO", "concerne", "1.33", "1.33", "30", "25", "oui"]
    );
    assert_eq!(rows[at + 3][7], "NC");
}

#[test]
fn class_errors_name_the_line() {
    let unknown = VALUES.replace("III-02/EPO;", "III-02/XYZ;");
    let out = evaluate(&files("unknown", &unknown), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ligne 2, colonne « indicateur » : indicateur « III-02/XYZ » inconnu du référentiel occitanie-2018"),
        "{err}"
    );
    let no_motive = VALUES.replace(";NC;aucune prescription d'insuline glargine", ";NC;");
    let out = evaluate(&files("motive", &no_motive), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ligne 4, colonne « motif » : III-02/INSULINE-GLARGINE : NC sans motif"),
        "{err}"
    );
}

#[test]
fn the_grid_lists_its_class_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(["referentiel", "show", "occitanie-2018"])
        .output()
        .expect("the binary runs");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("    III-03/INSULINE-GLARGINE\tclasse (part_egale)\tInsuline glargine\n"),
        "{text}"
    );
}

/// The evaluation report (PDF) shows each class under its indicator as `caqes evaluate`
/// computes it: value and parts, target and origin, result (NC with its motive), share
/// of the points. Read back with pdftotext.
#[test]
fn the_evaluation_report_details_each_class() {
    let dir = files("rapport", VALUES);
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let pdf = dir.join("rapport.pdf");
    let out = Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args([
            "rapport",
            "evaluation",
            "--referentiel",
            "occitanie-2018",
            "--annee",
            "2019",
            "--etablissements",
            &p("etablissements.csv"),
            "--valeurs",
            &p("valeurs.csv"),
            "--cibles",
            &p("cibles.csv"),
            "--finess",
            "750712184",
            "--output",
            pdf.to_str().unwrap(),
        ])
        .env("SOURCE_DATE_EPOCH", "1552608000")
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new("/usr/bin/pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&text.stdout)
        .replace(['\u{a0}', '\u{202f}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // A class's code wraps in its narrow column: looked for without blanks.
    let compact: String = text.chars().filter(|c| *c != ' ').collect();
    for code in ["III-02/EPO", "III-02/INSULINE-GLARGINE", "III-03/G-CSF"] {
        assert!(compact.contains(code), "{code} absent : {text}");
    }
    // The classes' rows follow their indicator's.
    let at = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("« {s} » absent : {text}"))
    };
    assert!(at("III-02 Taux de prescription des biosimilaires") < at("classe Érythropoïétines"));
    assert!(at("classe Facteurs de croissance G-CSF") < at("III-03 Taux de prescription"));
    for expected in [
        // III-02, 4 points shared by its 3 concerned classes: 1,33 each; 2 met → 2,67.
        "par classe : 2 atteinte(s) sur 3 4,00 2,67",
        "classe Érythropoïétines (EPO)",
        "30,00 % (30 / 100) ≥ 25,00 % (contrat) atteint (1,33) (1,33)",
        "10,00 % (10 / 100) ≥ 20,00 % (contrat) non atteint (1,33) (0,00)",
        "classe Insuline glargine",
        "NC : aucune prescription d'insuline glargine",
        // III-03: its 4 classes against III-03's shared target 25: G-CSF 0 % not met,
        // 3 of 4 → 3 points.
        "par classe : 3 atteinte(s) sur 4 4,00 3,00",
        "0,00 % (0 / 8) ≥ 25,00 % (contrat) non atteint (1,00) (0,00)",
    ] {
        assert!(text.contains(expected), "« {expected} » absent : {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
