//! `caqes phmev` end to end: outputs, exit codes, nothing written on bad input.
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../caqes-data/test_data/phmev")
        .join(name)
}

fn caqes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn json_output_has_the_exact_shape_and_duckdb_figures() {
    let out = caqes(&["phmev", "indicateurs", "--input", s(&data("small.csv"))]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(data("small.expected.json")).unwrap())
            .unwrap();
    // Exactly the issue's keys, in its order, and the oracle's values.
    assert_eq!(ours, expected);
    let mut keys: Vec<&str> = ours[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    let issue_order = [
        "finess",
        "raison_sociale",
        "boites_total",
        "boites_hors_paracetamol",
        "boites_repertoire",
        "taux_repertoire",
        "boites_non_restituees",
        "montant_rembourse",
        "biosimilaires",
    ];
    let mut sorted_issue = issue_order.to_vec();
    sorted_issue.sort();
    assert_eq!(keys, sorted_issue);
    // And written in the issue's order.
    let text = String::from_utf8(out.stdout).unwrap();
    let first = &text[..text.find('}').unwrap()];
    let positions: Vec<usize> = issue_order
        .iter()
        .map(|k| first.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let finess: Vec<&str> = ours.iter().map(|e| e["finess"].as_str().unwrap()).collect();
    let mut sorted = finess.clone();
    sorted.sort();
    assert_eq!(finess, sorted);
}

#[test]
fn valeurs_with_previous_year_are_written_atomically_with_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("valeurs.csv");
    let out = caqes(&[
        "phmev",
        "indicateurs",
        "--input",
        s(&data("small.csv")),
        "--annee-precedente",
        s(&data("previous.csv")),
        "--classe-iv02",
        "L04AB",
        "--format",
        "valeurs",
        "--annee",
        "2024",
        "--output",
        s(&out_path),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("ni les dispositifs médicaux de la LPP ni la rétrocession")
    );
    assert_eq!(
        files_in(dir.path()),
        ["valeurs.csv", "valeurs.csv.provenance.json"]
    );
    let text = std::fs::read_to_string(&out_path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("finess;indicateur;annee;numerateur;denominateur;valeur")
    );
    let codes: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(';').nth(1).unwrap())
        .collect();
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["III-01", "III-03", "IV-01", "IV-02"]
    );
    // IV-02 for the anti-TNF class, compared with the oracle's amounts.
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(data("small_iv.expected.json")).unwrap())
            .unwrap();
    for e in expected
        .iter()
        .filter(|e| e["iv02"]["montant_n_1"].as_str() != Some("0.00"))
    {
        let row = format!(
            "{};IV-02;2024;{};{};",
            e["finess"].as_str().unwrap(),
            e["iv02"]["montant_n"].as_str().unwrap(),
            e["iv02"]["montant_n_1"].as_str().unwrap()
        );
        assert!(text.lines().any(|l| l == row), "{row} absent de\n{text}");
    }
    let prov: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("valeurs.csv.provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(prov["annee"], 2024);
    assert_eq!(prov["fichiers"][0]["lignes_lues"], 29);
    assert_eq!(prov["fichiers"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(prov["fichiers_annee_precedente"][0]["lignes_lues"], 29);
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    for (file, needle) in [
        (
            "bad_boites.csv",
            "bad_boites.csv, ligne 4, champ « BOITES »",
        ),
        ("wrong_field_count.csv", "ligne 6 : 30 champs au lieu de 31"),
        ("unbalanced_quotes.csv", "ligne 3 : guillemets non appariés"),
        ("missing_column.csv", "colonne « BOITES » absente"),
        ("empty.csv", "fichier vide"),
        ("not_phmev.csv", "ce n'est pas un fichier Open PHMEV"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out_path = dir.path().join("out.json");
        let out = caqes(&[
            "phmev",
            "indicateurs",
            "--input",
            s(&data(file)),
            "--output",
            s(&out_path),
        ]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{file}: {err}");
        assert!(
            files_in(dir.path()).is_empty(),
            "{file}: {:?}",
            files_in(dir.path())
        );
    }
}

#[test]
fn ignoring_invalid_lines_lists_them_in_the_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.csv");
    let out = caqes(&[
        "phmev",
        "indicateurs",
        "--input",
        s(&data("bad_boites.csv")),
        "--format",
        "csv",
        "--output",
        s(&out_path),
        "--ignorer-lignes-invalides",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prov: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out.csv.provenance.json")).unwrap(),
    )
    .unwrap();
    let f = &prov["fichiers"][0];
    assert_eq!(f["lignes_rejetees"], 1);
    assert_eq!(f["rejets"][0]["ligne"], 4);
    assert_eq!(f["rejets"][0]["champ"], "BOITES");
    let csv = std::fs::read_to_string(&out_path).unwrap();
    assert!(csv.starts_with("finess;raison_sociale;boites_total;"));
}

#[test]
fn valeurs_need_a_year() {
    let out = caqes(&[
        "phmev",
        "indicateurs",
        "--input",
        s(&data("small.csv")),
        "--format",
        "valeurs",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--annee"));
}

#[test]
fn top_lists_products_by_amount() {
    let out = caqes(&[
        "phmev",
        "top",
        "--input",
        s(&data("small.csv")),
        "--produits",
        "--n",
        "2",
        "--format",
        "csv",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with("1;3400930080061;EPCLUSA 400MG/100MG CPR 28;12345678.91;"),
        "{text}"
    );
    let out = caqes(&[
        "phmev",
        "top",
        "--input",
        s(&data("small.csv")),
        "--finess",
        "690781810",
        "--niveau",
        "atc2",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("établissement 690781810"));
    let out = caqes(&[
        "phmev",
        "top",
        "--input",
        s(&data("small.csv")),
        "--finess",
        "690781811",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
