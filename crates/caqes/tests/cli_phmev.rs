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

/// Runs `caqes` with an empty SHA-256 cache of its own (never the user's).
fn caqes(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    caqes_cached(args, cache.path())
}

fn caqes_cached(args: &[&str], cache_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(args)
        .env("CAQES_CACHE_DIR", cache_dir)
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

/// Runs `indicateurs` on the test files of years N and N−1 and returns the provenance's
/// (`sha256_origine`, `sha256`) of each file, and the standard error.
fn hashes(dir: &Path, cache_dir: &Path, extra: &[&str]) -> (Vec<(Value, Value)>, String) {
    let out_path = dir.join("out.json");
    let (current, previous) = stable_copies(dir);
    let mut args = vec![
        "phmev",
        "indicateurs",
        "--input",
        s(&current),
        "--annee-precedente",
        s(&previous),
        "--output",
        s(&out_path),
    ];
    args.extend_from_slice(extra);
    let out = caqes_cached(&args, cache_dir);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let prov: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("out.json.provenance.json")).unwrap(),
    )
    .unwrap();
    let files = prov["fichiers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(prov["fichiers_annee_precedente"].as_array().unwrap())
        .map(|f| (f["sha256_origine"].clone(), f["sha256"].clone()))
        .collect();
    (files, stderr)
}

/// Copies of the test files of years N and N−1 in `dir`, made once and older than
/// the cache's 2 s racy window (their ctime cannot be set back: the test waits),
/// so the test does not depend on when the checkout wrote them.
fn stable_copies(dir: &Path) -> (PathBuf, PathBuf) {
    let (current, previous) = (dir.join("small.csv"), dir.join("previous.csv"));
    if !current.exists() {
        std::fs::copy(data("small.csv"), &current).unwrap();
        std::fs::copy(data("previous.csv"), &previous).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2_200));
    }
    (current, previous)
}

fn origins(files: &[(Value, Value)]) -> Vec<&Value> {
    files.iter().map(|(o, _)| o).collect()
}

#[test]
fn the_sha256_is_computed_once_per_file_version() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (first, _) = hashes(dir.path(), &cache, &[]);
    assert_eq!(origins(&first), ["calculee", "calculee"]);
    assert!(first.iter().all(|(_, h)| h.as_str().unwrap().len() == 64));
    let text = std::fs::read_to_string(cache.join("sha256.tsv")).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("caqes-sha256 v1\t"));

    let (second, _) = hashes(dir.path(), &cache, &[]);
    assert_eq!(origins(&second), ["cache", "cache"]);
    assert_eq!(
        second.iter().map(|(_, h)| h).collect::<Vec<_>>(),
        first.iter().map(|(_, h)| h).collect::<Vec<_>>()
    );

    // --sans-cache-sha256 recomputes and neither reads nor writes the cache.
    std::fs::write(cache.join("sha256.tsv"), &text).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let (third, _) = hashes(dir.path(), fresh.path(), &["--sans-cache-sha256"]);
    assert_eq!(origins(&third), ["calculee", "calculee"]);
    assert_eq!(third, first);
    assert!(files_in(fresh.path()).is_empty());
    let (third, _) = hashes(dir.path(), &cache, &["--sans-cache-sha256"]);
    assert_eq!(third, first, "the cache is not read");

    // --sans-sha256: no hash, no cache.
    let (none, _) = hashes(dir.path(), fresh.path(), &["--sans-sha256"]);
    assert!(
        none.iter().all(|(o, h)| o.is_null() && h.is_null()),
        "{none:?}"
    );
    assert!(files_in(fresh.path()).is_empty());
}

#[test]
fn a_corrupt_or_unwritable_cache_only_warns() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::write(cache.join("sha256.tsv"), "n'importe quoi\n").unwrap();
    let (first, stderr) = hashes(dir.path(), &cache, &[]);
    assert_eq!(origins(&first), ["calculee", "calculee"]);
    assert!(stderr.contains("sha256.tsv ignoré"), "{stderr}");
    // Replaced by a good one.
    let (second, _) = hashes(dir.path(), &cache, &[]);
    assert_eq!(origins(&second), ["cache", "cache"]);

    // A cache directory that cannot be created (under a plain file, even for root).
    let plain = dir.path().join("fichier");
    std::fs::write(&plain, "").unwrap();
    let (third, stderr) = hashes(dir.path(), &plain.join("cache"), &[]);
    assert_eq!(origins(&third), ["calculee", "calculee"]);
    assert_eq!(third, first);
    assert!(stderr.contains("non enregistré"), "{stderr}");
}

#[test]
fn a_failed_run_records_nothing_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // small.csv is hashed, then bad_boites.csv stops the run.
    let out = caqes_cached(
        &[
            "phmev",
            "indicateurs",
            "--input",
            s(&data("small.csv")),
            "--input",
            s(&data("bad_boites.csv")),
            "--output",
            s(&dir.path().join("out.json")),
        ],
        &cache,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!cache.exists());
}
