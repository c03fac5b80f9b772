//! End-to-end tests of the second generation (regime caqes-2022) and of the 2026 scheme
//! (incitation-2026) through the binary: `caqes referentiel summary` and `caqes evaluate`
//! on a scenario computed by hand (savings, shares, downward revisions, a refusal).
//! Fixtures in tests/data/generation2/; the arithmetic is in each comment.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn caqes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn data(name: &str) -> String {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/generation2")
        .join(name);
    p.to_str().unwrap().to_owned()
}

fn run_ok(args: &[&str]) -> Vec<u8> {
    let out = caqes(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn scenario(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "evaluate",
        "--referentiel",
        "exemple-regional-2022",
        "--annee",
        "2023",
        "--etablissements",
        &data("etablissements.csv"),
        "--valeurs",
        &data("valeurs.csv"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn evaluate_json(args: &[String]) -> Vec<Value> {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    serde_json::from_slice::<Value>(&run_ok(&refs))
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

#[test]
fn summary_lists_the_seven_national_indicators() {
    let out = run_ok(&[
        "referentiel",
        "summary",
        "national-2022",
        "--format",
        "json",
    ]);
    let s: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(s["referentiel"], "national-2022");
    assert_eq!(s["regime"], "caqes-2022");
    let codes: Vec<&str> = s["indicateurs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "N1-IPP",
            "N2-PERFADOM",
            "N3-AMBU",
            "N4-EPA",
            "N5-EZE",
            "N6-PANS",
            "N7-IC"
        ]
    );
    assert_eq!(s["nombre_indicateurs"], 7);
    assert_eq!(s["indicateurs"][0]["objectif"]["valeur"], 5);
    assert_eq!(
        s["indicateurs"][0]["part_interessement"]["a_confirmer"],
        true
    );
    assert_eq!(s["parametres"]["contrat"]["duree_max_ans"]["valeur"], 5);
    assert!(!s["a_confirmer"].as_array().unwrap().is_empty());
    // Text: the open numbers are written « À CONFIRMER ».
    let text = String::from_utf8(run_ok(&["referentiel", "summary", "national-2022"])).unwrap();
    assert!(text.contains("À CONFIRMER"), "{text}");
}

#[test]
fn hand_computed_scenario_with_revisions_and_a_refusal() {
    let all = evaluate_json(&scenario(&[
        "--revisions",
        &data("revisions.csv"),
        "--refus",
        &data("refus.csv"),
    ]));
    assert_eq!(all.len(), 3);

    // CH Alpha, national indicators only.
    let a = establishment(&all, "750712184");
    assert_eq!(a["statut_contrat"], "signe");
    // N1-IPP: 500 000 → 460 000 €; bound 500 000 × 0,95 = 475 000: met.
    // Savings 40 000 €; 30 % → 12 000 €; revised to 10 000 € with a motive.
    let n1 = line(a, "N1-IPP");
    assert_eq!(n1["seuil"], 475000);
    assert_eq!(n1["atteint"], true);
    assert_eq!(n1["economies"], 40000);
    assert_eq!(n1["part_pct"], 30);
    assert_eq!(n1["interessement_calcule"], 12000);
    assert_eq!(n1["montant_revise"], 10000);
    assert!(
        n1["motif_revision"]
            .as_str()
            .unwrap()
            .starts_with("Objectifs de pertinence")
    );
    assert_eq!(n1["interessement"], 10000);
    // N2-PERFADOM: 300 000 → 291 000 € (−3 %); bound 285 000: missed; savings 9 000 €
    // but no intéressement (objective required), and no sanction.
    let n2 = line(a, "N2-PERFADOM");
    assert_eq!(n2["atteint"], false);
    assert_eq!(n2["economies"], 9000);
    assert_eq!(n2["evolution_pct"], -3);
    assert_eq!(n2["interessement"], 0);
    // N3-AMBU: rate N = 228 000 / 1 200 000 = 19 % ≤ 20 %: met; savings on the
    // ambulance spending 300 000 − 228 000 = 72 000 €; 20 % → 14 400 €.
    let n3 = line(a, "N3-AMBU");
    assert_eq!(n3["valeur_n"], 19);
    assert_eq!(n3["valeur_n_1"], 30);
    assert_eq!(n3["atteint"], true);
    assert_eq!(n3["economies"], 72000);
    assert_eq!(n3["interessement"], 14400);
    // N6-PANS: no value for 2023: not evaluable.
    assert_eq!(line(a, "N6-PANS")["statut"], "non_evaluable");
    // Indicators without any value are not in the contract: 4 lines.
    assert_eq!(a["indicateurs"].as_array().unwrap().len(), 4);
    // National: 10 000 + 0 + 14 400 + 0 = 24 400 €.
    assert_eq!(a["interessement_national"], 24400);
    assert_eq!(a["interessement_regional"], 0);
    assert_eq!(a["interessement_total"], 24400);
    assert_eq!(a["sanction_refus"], Value::Null);
    assert!(
        a["explication"]
            .as_str()
            .unwrap()
            .contains("aucune sanction")
    );

    // Clinique Beta, one national and three regional indicators.
    let b = establishment(&all, "690781810");
    // N1-IPP: 200 000 → 210 000 €: missed, savings max(0, −10 000) = 0.
    assert_eq!(line(b, "N1-IPP")["economies"], 0);
    assert_eq!(line(b, "N1-IPP")["interessement"], 0);
    // R1: 18/90 = 20 % ≤ 25 %: met. R2: 35/50 = 70 % < 80 %: missed.
    // R3: 150 000 → 144 000 ≤ 150 000 × 0,97 = 145 500: met.
    assert_eq!(line(b, "R1-ANTIBIO")["atteint"], true);
    assert_eq!(line(b, "R2-BIOSIM")["atteint"], false);
    assert_eq!(line(b, "R3-TRANSPORT")["seuil"], 145500);
    assert_eq!(b["objectifs_regionaux_atteints"], 2);
    assert_eq!(b["objectifs_regionaux_evalues"], 3);
    // Envelope 30 000 € ÷ 3 objectives = 10 000 € per objective met: R1 10 000 €,
    // R3 10 000 € revised to 5 000 €: regional 15 000 €.
    assert_eq!(line(b, "R1-ANTIBIO")["interessement"], 10000);
    assert_eq!(line(b, "R2-BIOSIM")["interessement"], 0);
    assert_eq!(line(b, "R3-TRANSPORT")["interessement_calcule"], 10000);
    assert_eq!(line(b, "R3-TRANSPORT")["interessement"], 5000);
    assert_eq!(b["interessement_regional"], 15000);
    assert_eq!(b["interessement_total"], 15000);
    let confirm: Vec<&str> = b["a_confirmer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["parametre"].as_str().unwrap())
        .collect();
    assert!(
        confirm.contains(&"interessement_regional.enveloppe"),
        "{confirm:?}"
    );

    // CH Gamma refused: received 2 May 2022 + 21 days = 23 May; second proposal
    // received 30 May + 15 days = 14 June; sanction from 15 June 2022;
    // 1 % × 80 000 000 € = 800 000 €.
    let g = establishment(&all, "310000013");
    assert_eq!(g["statut_contrat"], "refus");
    assert_eq!(g["refus"]["fin_premier_delai"], "2022-05-23");
    assert_eq!(g["refus"]["fin_second_delai"], "2022-06-14");
    assert_eq!(g["refus"]["sanction_a_partir_du"], "2022-06-15");
    assert_eq!(g["sanction_refus"], 800000);
    assert_eq!(g["interessement_total"], Value::Null);
    assert!(g["indicateurs"].as_array().unwrap().is_empty());
    let text = g["explication"].as_str().unwrap();
    assert!(text.contains("15 juin 2022"), "{text}");
    assert!(text.contains("800\u{202f}000,00\u{a0}€"), "{text}");
}

#[test]
fn without_revisions_the_computed_amounts_stay() {
    // N1 12 000 € + N3 14 400 € = 26 400 €; Beta: 2 × 10 000 € = 20 000 €.
    let all = evaluate_json(&scenario(&[]));
    assert_eq!(
        establishment(&all, "750712184")["interessement_total"],
        26400
    );
    assert_eq!(
        establishment(&all, "690781810")["interessement_regional"],
        20000
    );
    // Without --refus, Gamma has no value: evaluated with no line and a warning.
    let g = establishment(&all, "310000013");
    assert_eq!(g["statut_contrat"], "signe");
    assert_eq!(g["interessement_total"], 0);
    assert_eq!(g["avertissements"].as_array().unwrap().len(), 1);
}

#[test]
fn contracts_flag_a_partial_first_year() {
    let dir = std::env::temp_dir().join(format!("caqes-gen2-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let contracts = dir.join("contrats.csv");
    // Alpha from 1 July 2023 (2023 is partial), Beta 2022–2022 (2023 is outside).
    std::fs::write(
        &contracts,
        "finess;debut;fin\n750712184;01/07/2023;31/12/2026\n690781810;2022-07-01;2022-12-31\n",
    )
    .unwrap();
    let all = evaluate_json(&scenario(&["--contrats", contracts.to_str().unwrap()]));
    let warning = |f: &str| {
        establishment(&all, f)["avertissements"][0]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        warning("750712184").contains("1er juillet 2023"),
        "{}",
        warning("750712184")
    );
    assert!(
        warning("690781810").contains("hors du contrat"),
        "{}",
        warning("690781810")
    );
    // The amounts are not prorated: Alpha keeps 26 400 €.
    assert_eq!(
        establishment(&all, "750712184")["interessement_total"],
        26400
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn csv_has_one_row_per_establishment_and_indicator() {
    let mut args = scenario(&[
        "--revisions",
        &data("revisions.csv"),
        "--refus",
        &data("refus.csv"),
    ]);
    args.extend(["--format".to_owned(), "csv".to_owned()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = String::from_utf8(run_ok(&refs)).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    // Header + Alpha 4 + Beta 4 + Gamma 1.
    assert_eq!(rows.len(), 1 + 4 + 4 + 1, "{text}");
    let header: Vec<&str> = rows[0].split(';').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let n1: Vec<&str> = rows
        .iter()
        .find(|r| r.starts_with("750712184") && r.contains(";N1-IPP;"))
        .unwrap()
        .split(';')
        .collect();
    assert_eq!(n1[col("economies")], "40000");
    assert_eq!(n1[col("interessement_calcule")], "12000");
    assert_eq!(n1[col("montant_revise")], "10000");
    assert_eq!(n1[col("interessement")], "10000");
    assert!(n1[col("a_confirmer")].contains("À CONFIRMER"));
    let gamma: Vec<&str> = rows
        .iter()
        .find(|r| r.starts_with("310000013"))
        .unwrap()
        .split(';')
        .collect();
    assert_eq!(gamma[col("statut_contrat")], "refus");
    assert_eq!(gamma[col("sanction_refus")], "800000");
}

fn expect_bad_input(args: &[String], needles: &[&str]) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = caqes(&refs);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    for n in needles {
        assert!(err.contains(n), "{n} absent de : {err}");
    }
}

#[test]
fn bad_inputs_name_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("caqes-gen2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A revision above the computed amount (12 000 €): refused, with its line.
    let rev = dir.join("revisions.csv");
    std::fs::write(
        &rev,
        "finess;indicateur;annee;montant_revise;motif\n750712184;N1-IPP;2023;12000.01;hausse\n",
    )
    .unwrap();
    expect_bad_input(
        &scenario(&["--revisions", rev.to_str().unwrap()]),
        &[
            "revisions.csv, ligne 2, colonne « montant_revise »",
            "réviser à la baisse",
        ],
    );
    // A revision without motive.
    std::fs::write(
        &rev,
        "finess;indicateur;annee;montant_revise;motif\n750712184;N1-IPP;2023;100;\n",
    )
    .unwrap();
    expect_bad_input(
        &scenario(&["--revisions", rev.to_str().unwrap()]),
        &["ligne 2, colonne « motif »", "motivée"],
    );
    // A spending indicator without its amount.
    let values = dir.join("valeurs.csv");
    std::fs::write(
        &values,
        "finess;indicateur;annee;montant;numerateur;denominateur\n750712184;N1-IPP;2023;;;\n",
    )
    .unwrap();
    let mut args = scenario(&[]);
    let i = args.iter().position(|a| a == "--valeurs").unwrap();
    args[i + 1] = values.to_str().unwrap().to_owned();
    expect_bad_input(&args, &["valeurs.csv, ligne 2, colonne « montant »"]);
    // First-generation flags on an objectives grid, and the reverse.
    expect_bad_input(
        &scenario(&["--cibles", &data("revisions.csv")]),
        &["--cibles ne s'applique pas"],
    );
    let mut first = scenario(&["--revisions", &data("revisions.csv")]);
    first[2] = "occitanie-2018".to_owned();
    expect_bad_input(
        &first,
        &["--revisions ne s'applique qu'à une grille d'objectifs"],
    );
    // A contract of more than 5 years: 1 January 2021 + 5 years − 1 day = 31 December 2025.
    let contracts = dir.join("contrats.csv");
    std::fs::write(
        &contracts,
        "finess;debut;fin\n750712184;2021-01-01;2026-12-31\n",
    )
    .unwrap();
    expect_bad_input(
        &scenario(&["--contrats", contracts.to_str().unwrap()]),
        &["contrats.csv, ligne 2, colonne « fin »", "plus de 5 ans"],
    );
    // A year after the CAQES: refused, pointing at the 2026 scheme.
    let mut late = scenario(&[]);
    let i = late.iter().position(|a| a == "--annee").unwrap();
    late[i + 1] = "2027".to_owned();
    expect_bad_input(
        &late,
        &["--annee", "hors du régime caqes-2022", "incitation-2026"],
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn incitation_2026_penalty_ceiling_from_2027_only() {
    let run = |year: &str| {
        evaluate_json(
            &[
                "evaluate",
                "--referentiel",
                "incitation-2026",
                "--annee",
                year,
                "--etablissements",
                &data("etablissements.csv"),
                "--valeurs",
                &data("valeurs-2026.csv"),
            ]
            .map(str::to_owned),
        )
    };
    // 2026: 480 000 → 500 000 €: missed, but no penalty for 2026.
    let y2026 = run("2026");
    let a = establishment(&y2026, "750712184");
    assert_eq!(a["statut_contrat"], "sans_contrat");
    assert_eq!(a["objectifs_manques"], 1);
    assert_eq!(a["plafond_penalite"], Value::Null);
    // 2027: 500 000 → 490 000 € > 475 000: missed; savings 10 000 € but no dotation;
    // ceiling 2 % × 50 000 000 € = 1 000 000 €.
    let y2027 = run("2027");
    let a = establishment(&y2027, "750712184");
    assert_eq!(line(a, "E1-IPP")["economies"], 10000);
    assert_eq!(a["interessement_total"], 0);
    assert_eq!(a["plafond_penalite"], 1000000);
    assert!(a["explication"].as_str().unwrap().contains("observations"));
    // 2028: 490 000 → 430 000 ≤ 465 500: met; 60 000 € × 30 % = 18 000 € of dotation.
    let y2028 = run("2028");
    let a = establishment(&y2028, "750712184");
    assert_eq!(a["interessement_total"], 18000);
    assert_eq!(a["plafond_penalite"], Value::Null);
    // No contract in 2026: --refus is refused.
    let args: Vec<String> = [
        "evaluate",
        "--referentiel",
        "incitation-2026",
        "--annee",
        "2027",
        "--etablissements",
        &data("etablissements.csv"),
        "--valeurs",
        &data("valeurs-2026.csv"),
        "--refus",
        &data("refus.csv"),
    ]
    .map(str::to_owned)
    .to_vec();
    expect_bad_input(&args, &["pas de contrat"]);
}
