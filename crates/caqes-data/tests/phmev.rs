//! Open PHMEV pipeline on small CNAM-like files (expected figures computed by DuckDB with
//! `bench/phmev/oracle.py`, see `bench/phmev/make_test_data.py`) and on the shared extract.
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

use std::path::{Path, PathBuf};

use caqes_core::Finess;
use caqes_data::phmev::aggregate::{TopLevel, TopSink};
use caqes_data::phmev::config::{Config, Iv02Classes, Rattachement};
use caqes_data::phmev::report::{self, Computed};
use caqes_data::phmev::{PhmevError, ReadOptions, read_file};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data/phmev")
        .join(name)
}

fn compute(
    inputs: &[&str],
    previous: &[&str],
    config: &Config,
    opts: &ReadOptions,
) -> Result<Computed, PhmevError> {
    let i: Vec<PathBuf> = inputs.iter().map(|n| data(n)).collect();
    let p: Vec<PathBuf> = previous.iter().map(|n| data(n)).collect();
    report::compute(&i, &p, config, opts)
}

fn as_json(c: &Computed, config: &Config) -> Vec<Value> {
    c.entities
        .iter()
        .map(|e| serde_json::to_value(e.to_json(config)).unwrap())
        .collect()
}

/// Every key of the oracle's objects must be equal in ours (same establishments, same order).
fn assert_matches_oracle(ours: &[Value], expected_file: &Path) {
    let text = std::fs::read_to_string(expected_file).unwrap();
    let expected: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(ours.len(), expected.len(), "nombre d'établissements");
    for (a, b) in ours.iter().zip(&expected) {
        for (k, v) in b.as_object().unwrap() {
            assert_eq!(&a[k], v, "{} : {k}", b["finess"]);
        }
    }
}

#[test]
fn small_csv_matches_duckdb() {
    let cfg = Config::default();
    let c = compute(&["small.csv"], &[], &cfg, &ReadOptions::default()).unwrap();
    assert_matches_oracle(&as_json(&c, &cfg), &data("small.expected.json"));
    let p = &c.files[0];
    assert_eq!((p.format, p.lignes_lues, p.lignes_rejetees), ("csv", 29, 0));
    assert_eq!(p.sha256.as_ref().map(String::len), Some(64));
}

#[test]
fn windows_1252_quotes_thousands_and_hepatitis_c() {
    let cfg = Config::default();
    let c = compute(&["small.csv"], &[], &cfg, &ReadOptions::default()).unwrap();
    let bastia = c
        .entities
        .iter()
        .find(|e| e.finess.as_str() == "2B0000020")
        .unwrap();
    // Byte 0x92 is ’ and 0xCE is Î in Windows-1252.
    assert_eq!(bastia.raison_sociale, "CENTRE HOSPITALIER DE BASTIA L’ÎLE");
    let hcl = c
        .entities
        .iter()
        .find(|e| e.finess.as_str() == "690781810")
        .unwrap();
    // The hand-made hepatitis C row: 1.025 boxes, 12.345.678,91 € with thousands separators.
    assert_eq!(
        hcl.totals.rem_total - hcl.totals.rem_hors_hepatite_c,
        123_456_789_100
    );
    assert_eq!(
        report::percent(1, 3),
        Some(rust_decimal::Decimal::new(3333, 2))
    );
}

#[test]
fn reordered_columns_lf_and_upper_case_header_give_the_same_figures() {
    let cfg = Config::default();
    let c = compute(&["reordered.csv"], &[], &cfg, &ReadOptions::default()).unwrap();
    assert_matches_oracle(&as_json(&c, &cfg), &data("small.expected.json"));
}

#[test]
fn block_boundaries_and_thread_count_do_not_change_results() {
    let cfg = Config::default();
    let reference = as_json(
        &compute(&["small.csv"], &[], &cfg, &ReadOptions::default()).unwrap(),
        &cfg,
    );
    for (threads, block_size) in [(1, 64), (2, 100), (3, 1000), (2, 4096)] {
        let opts = ReadOptions {
            threads,
            block_size,
            ..Default::default()
        };
        let c = compute(&["small.csv"], &[], &cfg, &opts).unwrap();
        assert_eq!(
            as_json(&c, &cfg),
            reference,
            "threads={threads} block={block_size}"
        );
    }
}

#[test]
fn growth_iv01_and_iv02_match_duckdb() {
    let cfg = Config {
        iv02: Iv02Classes {
            global: Some("L04AB".into()),
            ..Default::default()
        },
        ..Config::default()
    };
    let c = compute(
        &["small.csv"],
        &["previous.csv"],
        &cfg,
        &ReadOptions::default(),
    )
    .unwrap();
    assert_matches_oracle(&as_json(&c, &cfg), &data("small_iv.expected.json"));
    let mut out = Vec::new();
    report::write_valeurs(&c.entities, 2024, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let hcl: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("690781810;"))
        .collect();
    // III-01 numerator/denominator, III-03 pooled, IV-01 amounts N and N−1 excluding J05AP.
    let e = c
        .entities
        .iter()
        .find(|e| e.finess.as_str() == "690781810")
        .unwrap();
    let t = &e.totals;
    assert_eq!(
        hcl[0],
        format!(
            "690781810;III-01;2024;{};{};",
            t.boites_repertoire, t.boites_hors_paracetamol
        )
    );
    assert!(hcl[1].starts_with("690781810;III-03;2024;"), "{hcl:?}");
    let iv01 = e.iv01().unwrap();
    assert_eq!(
        hcl[2],
        format!(
            "690781810;IV-01;2024;{};{};",
            iv01.montant_n, iv01.montant_n_1
        )
    );
    assert_eq!(
        text.lines().next(),
        Some("finess;indicateur;annee;numerateur;denominateur;valeur")
    );
}

#[test]
fn sites_are_summed_into_their_legal_entity() {
    let text = std::fs::read_to_string(data("rattachement.csv")).unwrap();
    let cfg = Config {
        rattachement: Rattachement::parse("rattachement.csv", &text).unwrap(),
        ..Config::default()
    };
    let plain = compute(
        &["small.csv"],
        &[],
        &Config::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    let grouped = compute(&["small.csv"], &[], &cfg, &ReadOptions::default()).unwrap();
    assert_eq!(grouped.entities.len(), plain.entities.len() - 1);
    let sites: Vec<_> = plain
        .entities
        .iter()
        .filter(|e| ["750100125", "750100232"].contains(&e.finess.as_str()))
        .collect();
    assert_eq!(sites.len(), 2);
    let aphp = grouped
        .entities
        .iter()
        .find(|e| e.finess.as_str() == "750712184")
        .unwrap();
    assert_eq!(
        aphp.raison_sociale,
        "ASSISTANCE PUBLIQUE - HÔPITAUX DE PARIS"
    );
    assert_eq!(
        aphp.totals.boites_total,
        sites[0].totals.boites_total + sites[1].totals.boites_total
    );
    assert_eq!(
        aphp.totals.boites_repertoire,
        sites[0].totals.boites_repertoire + sites[1].totals.boites_repertoire
    );
    assert_eq!(
        aphp.totals.rem_total,
        sites[0].totals.rem_total + sites[1].totals.rem_total
    );
    assert_eq!(aphp.sites.len(), 2);
    let j = serde_json::to_value(aphp.to_json(&cfg)).unwrap();
    assert_eq!(j["sites"], serde_json::json!(["750100125", "750100232"]));
}

fn error_of(file: &str) -> PhmevError {
    compute(&[file], &[], &Config::default(), &ReadOptions::default()).unwrap_err()
}

#[test]
fn bad_files_fail_with_line_and_field() {
    let cases: [(&str, Option<u64>, Option<&str>, &str); 5] = [
        (
            "bad_boites.csv",
            Some(4),
            Some("BOITES"),
            "« 12O » n'est pas un nombre entier de boîtes",
        ),
        (
            "wrong_field_count.csv",
            Some(6),
            None,
            "30 champs au lieu de 31",
        ),
        (
            "unbalanced_quotes.csv",
            Some(3),
            None,
            "guillemets non appariés",
        ),
        (
            "invalid_finess.csv",
            Some(7),
            Some("etb_rgt"),
            "la clé du numéro FINESS « 690781811 » est invalide",
        ),
        (
            "missing_column.csv",
            None,
            None,
            "colonne « BOITES » absente",
        ),
    ];
    for (file, line, field, msg) in cases {
        let e = error_of(file);
        let text = e.to_string();
        assert!(text.contains(file) && text.contains(msg), "{file}: {text}");
        match e {
            PhmevError::Row {
                line: l, field: f, ..
            } => {
                assert_eq!(Some(l), line, "{file}");
                assert_eq!(f.as_deref(), field, "{file}");
            }
            PhmevError::MissingColumn { column, .. } => assert_eq!(column, "BOITES"),
            other => panic!("{file}: {other:?}"),
        }
    }
    assert!(matches!(error_of("empty.csv"), PhmevError::Empty { .. }));
    assert!(matches!(
        error_of("header_only.csv"),
        PhmevError::NoRows { .. }
    ));
    assert!(
        matches!(error_of("not_phmev.csv"), PhmevError::MissingColumn { ref column, .. } if column == "etb_rgt")
    );
    assert!(matches!(error_of("absent.csv"), PhmevError::Io { .. }));
    // A comma-separated export.
    let dir = tempfile::tempdir().unwrap();
    let comma = dir.path().join("virgules.csv");
    let text = std::fs::read_to_string(data("not_phmev.csv"))
        .unwrap()
        .replace(';', ",");
    std::fs::write(&comma, text).unwrap();
    let e =
        report::compute(&[comma], &[], &Config::default(), &ReadOptions::default()).unwrap_err();
    assert!(matches!(e, PhmevError::NoSeparator { .. }), "{e}");
}

#[test]
fn invalid_lines_can_be_ignored_and_are_listed() {
    let opts = ReadOptions {
        ignore_invalid: true,
        ..Default::default()
    };
    for (file, line, field) in [
        ("bad_boites.csv", 4, Some("BOITES")),
        ("invalid_finess.csv", 7, Some("etb_rgt")),
        ("wrong_field_count.csv", 6, None),
    ] {
        let c = compute(&[file], &[], &Config::default(), &opts).unwrap();
        let p = &c.files[0];
        assert_eq!(p.lignes_rejetees, 1, "{file}");
        assert_eq!(p.lignes_retenues, p.lignes_lues - 1);
        assert_eq!(p.rejets[0].ligne, line, "{file}");
        assert_eq!(p.rejets[0].champ.as_deref(), field, "{file}");
        let rows: u64 = c.entities.iter().map(|e| e.totals.rows).sum();
        assert_eq!(rows, p.lignes_retenues);
    }
}

#[test]
fn top_products_and_classes() {
    let proto = TopSink::new(TopLevel::Produit, vec![], None);
    let (sink, _) = read_file(&data("small.csv"), &ReadOptions::default(), || {
        proto.fresh()
    })
    .unwrap();
    let top = sink.top(3);
    // The hand-made hepatitis C row has by far the largest amount.
    assert_eq!(top[0].0, b"3400930080061");
    assert_eq!(top[0].1.rem, 123_456_789_100);
    assert!(top[0].1.rem >= top[1].1.rem && top[1].1.rem >= top[2].1.rem);
    let hcl = Finess::parse("690781810").unwrap();
    let proto = TopSink::new(TopLevel::Atc2, vec![hcl], None);
    let (sink, _) = read_file(&data("small.csv"), &ReadOptions::default(), || {
        proto.fresh()
    })
    .unwrap();
    let all: i128 = sink.top(100).iter().map(|(_, e)| e.rem).sum();
    let c = compute(
        &["small.csv"],
        &[],
        &Config::default(),
        &ReadOptions::default(),
    )
    .unwrap();
    let e = c.entities.iter().find(|e| e.finess == hcl).unwrap();
    assert_eq!(all, e.totals.rem_total);
    assert_eq!(sink.rem_total, e.totals.rem_total);
}

fn shared_extract() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/open-phmev/open_phmev_2024_extract.parquet");
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "IGNORÉ : {} absent (données partagées non disponibles)",
            p.display()
        );
        None
    }
}

#[test]
fn shared_extract_matches_duckdb_for_all_695_establishments() {
    let Some(path) = shared_extract() else { return };
    let cfg = Config::default();
    let c = report::compute(&[path], &[], &cfg, &ReadOptions::default()).unwrap();
    assert_eq!(c.entities.len(), 695);
    assert_eq!(c.files[0].lignes_lues, 50_000);
    assert_eq!(c.files[0].format, "parquet");
    assert_matches_oracle(&as_json(&c, &cfg), &data("extract.expected.json"));
    // The README's own figures.
    let total: i64 = c.entities.iter().map(|e| e.totals.boites_total).sum();
    assert_eq!(total, 108_944_594);
    let rem: i128 = c.entities.iter().map(|e| e.totals.rem_total).sum();
    assert_eq!(caqes_data::phmev::number::amount_2dp(rem), "1558580296.02");
    let hcl = c
        .entities
        .iter()
        .find(|e| e.finess.as_str() == "690781810")
        .unwrap();
    assert_eq!(hcl.totals.boites_total, 4_736_017);
    let rep: i64 = c.entities.iter().map(|e| e.totals.boites_repertoire).sum();
    let den: i64 = c
        .entities
        .iter()
        .map(|e| e.totals.boites_hors_paracetamol)
        .sum();
    assert_eq!(
        report::percent(rep.into(), den.into())
            .unwrap()
            .round_dp(1)
            .to_string(),
        "53.3"
    );
}

/// Fuzzing found Parquet files on which the `parquet` crate panics (here an
/// `Option::unwrap()` on a required field missing from the footer's metadata):
/// the reader answers with a French error naming the file, and the process
/// goes on.
#[test]
fn a_malformed_parquet_footer_is_an_error_not_a_panic() {
    let e = error_of("fuzz-metadata-panic.parquet");
    assert!(matches!(e, PhmevError::Parquet { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("fuzz-metadata-panic.parquet"), "{message}");
    assert!(message.contains("fichier Parquet illisible"), "{message}");
}

/// Fuzzing found a 3 KB Parquet file whose footer announces a list of 13 GB
/// of schema elements: parquet 57 allocated it before reading (the process
/// died); parquet 60 checks the list's element type and announced size
/// against the bytes left before allocating, and the reader answers with an
/// error.
#[test]
fn a_parquet_footer_announcing_a_huge_list_is_refused_before_allocating() {
    let e = error_of("fuzz-schema-list-oom.parquet");
    let message = e.to_string();
    assert!(matches!(e, PhmevError::Parquet { .. }), "{e:?}");
    assert!(
        message.contains("fuzz-schema-list-oom.parquet"),
        "{message}"
    );
    assert!(message.contains("fichier Parquet illisible"), "{message}");
}

/// Fuzzing found a 10 KB Parquet file whose page header announces a list of
/// about two billion elements: parquet 60 skips them one read at a time past
/// the end of the file (134 s here before the error). The reader stops reading
/// at the end of the file and answers at once.
#[test]
fn a_parquet_page_header_skipping_past_the_end_fails_fast() {
    let started = std::time::Instant::now();
    let e = error_of("fuzz-page-header-skip-slow.parquet");
    let elapsed = started.elapsed();
    assert!(matches!(e, PhmevError::Parquet { .. }), "{e:?}");
    assert!(
        e.to_string().contains("fuzz-page-header-skip-slow.parquet"),
        "{e}"
    );
    // Milliseconds when guarded; minutes without the guard.
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
}

/// Fuzzing found a 10 KB Parquet file whose dictionary page announces 100
/// million values: parquet 60 allocates them (3.2 GB) before decoding. The
/// reader checks each dictionary's count against its bytes first.
#[test]
fn a_parquet_dictionary_announcing_more_values_than_its_bytes_is_refused() {
    let e = error_of("fuzz-dictionary-oom.parquet");
    let message = e.to_string();
    assert!(matches!(e, PhmevError::Parquet { .. }), "{e:?}");
    assert!(
        message.contains("le dictionnaire de la colonne"),
        "{message}"
    );
}
