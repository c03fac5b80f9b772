//! `caqes rapport evaluation`: the evaluation report (PDF) from the same inputs as
//! `caqes evaluate`, checked against `caqes evaluate`'s own JSON through pdftotext.
#![expect(clippy::expect_used, reason = "a test fails loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn caqes(args: &[&str], epoch: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", epoch)
        .output()
        .expect("the binary runs")
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios")
}

fn inputs(year: &str) -> Vec<String> {
    let dir = scenarios();
    vec![
        "--referentiel".into(),
        "occitanie-2018".into(),
        "--annee".into(),
        year.into(),
        "--etablissements".into(),
        dir.join("etablissements.csv").display().to_string(),
        "--valeurs".into(),
        dir.join("valeurs.csv").display().to_string(),
        "--cibles".into(),
        dir.join("cibles.csv").display().to_string(),
    ]
}

fn report(year: &str, finess: &str, out: &Path) -> Output {
    let mut args: Vec<String> = vec!["rapport".into(), "evaluation".into()];
    args.extend(inputs(year));
    args.extend([
        "--finess".into(),
        finess.into(),
        "--output".into(),
        out.display().to_string(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    caqes(&refs, "1552608000")
}

/// The score as the report writes it: two decimals with a comma (« 56,52 »).
fn french(n: f64) -> String {
    format!("{n:.2}").replace('.', ",")
}

#[test]
fn the_report_shows_what_evaluate_computes_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.pdf"), dir.path().join("b.pdf"));
    let finess = "690781810"; // Clinique privée fictive, MCO privé: 23,08 in 2018 (NM on the PHEV indicators)
    for path in [&a, &b] {
        let out = report("2018", finess, path);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (pa, pb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(pa.starts_with(b"%PDF-"));
    assert_eq!(
        pa, pb,
        "mêmes données, même SOURCE_DATE_EPOCH : mêmes octets"
    );

    // What caqes evaluate gives for the same inputs.
    let mut args: Vec<String> = vec!["evaluate".into()];
    args.extend(inputs("2018"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = caqes(&refs, "1552608000");
    assert!(out.status.success());
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let e = all.iter().find(|e| e["finess"] == finess).unwrap();

    let Ok(text) = Command::new("pdftotext")
        .args([a.to_str().unwrap(), "-"])
        .output()
    else {
        eprintln!("pdftotext absent (poppler-utils) : texte du rapport non vérifié");
        return;
    };
    let text = String::from_utf8_lossy(&text.stdout).replace('\u{a0}', " ");
    assert!(text.contains("Clinique privée fictive"), "{text}");
    assert!(text.contains(finess), "{text}");
    let score = french(e["score"].as_f64().unwrap());
    assert!(text.contains(&score), "score {score} absent : {text}");
    for line in e["indicateurs"].as_array().unwrap() {
        if line["statut"] == "concerne" {
            let code = line["code"].as_str().unwrap();
            assert!(text.contains(code), "indicateur {code} absent : {text}");
        }
    }
}

#[test]
fn an_unknown_finess_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("r.pdf");
    let out = report("2019", "010000024", &out_path);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("010000024"));
    assert!(!out_path.exists());
}

#[test]
fn the_report_draws_the_dashboard_charts_with_the_history_of_the_values_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    // 750712184 has values in 2018 and 2019 for I-05 (45,5 then 49,99) and II-01
    // (10/20 = 50 % then 12,5/50 = 25 %): both have a history in the 2019 report.
    let out = report("2019", "750712184", &path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let Ok(text) = Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
    else {
        eprintln!("pdftotext absent (poppler-utils) : texte du rapport non vérifié");
        return;
    };
    let text = String::from_utf8_lossy(&text.stdout)
        .replace(['\u{a0}', '\u{202f}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "Points obtenus par partie en 2019, sur le maximum de chaque partie",
        "Évolution des indicateurs",
        "I-05 : valeur et cible par année",
        "II-01 : valeur et cible par année",
        "2018 : valeur / cible",
        "2019 : valeur / cible",
        "45,5 /",
        "49,99 /",
    ] {
        assert!(text.contains(expected), "« {expected} » absent : {text}");
    }
    // An indicator given in 2019 only has no history to draw.
    assert!(
        !text.contains("II-02 : valeur et cible par année"),
        "{text}"
    );
}
