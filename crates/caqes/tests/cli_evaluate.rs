//! End-to-end tests of `caqes evaluate` and `caqes referentiel`, through the binary.
//!
//! The expected scores are computed by hand from the rules (see each comment), not
//! copied from the program's output.
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

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios")
}

fn evaluate(year: &str, with_targets: bool) -> Vec<Value> {
    let dir = scenarios();
    let e = dir.join("etablissements.csv");
    let v = dir.join("valeurs.csv");
    let c = dir.join("cibles.csv");
    let mut args = vec![
        "evaluate",
        "--referentiel",
        "occitanie-2018",
        "--annee",
        year,
        "--etablissements",
        e.to_str().unwrap(),
        "--valeurs",
        v.to_str().unwrap(),
    ];
    if with_targets {
        args.extend(["--cibles", c.to_str().unwrap()]);
    }
    let out = caqes(&args);
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
fn summary_reproduces_the_seed_table() {
    let out = caqes(&[
        "referentiel",
        "summary",
        "occitanie-2018",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["referentiel"], "occitanie-2018");
    assert_eq!(s["indicateurs"], 36);
    assert_eq!(s["points"], 100);
    assert_eq!(s["points_bonus"], 4);
    let expected = [
        ("MCO_PUBLIC_ESPIC", [34, 2, 0, 0]),
        ("MCO_PRIVE", [29, 2, 0, 5]),
        ("SSR_PUBLIC_ESPIC", [27, 1, 8, 0]),
        ("SSR_PRIVE", [22, 1, 8, 5]),
        ("PSY_PUBLIC_ESPIC", [27, 1, 8, 0]),
        ("PSY_PRIVE", [22, 1, 8, 5]),
        ("HAD", [27, 2, 2, 5]),
        ("HAD_SANS_PUI", [23, 2, 2, 9]),
        ("DIALYSE", [22, 2, 7, 5]),
        // M8: USLD, outside the seed's table, reads like a SSR public (our reading).
        ("USLD", [27, 1, 8, 0]),
    ];
    for (cat, [total, bonus, nc, nm]) in expected {
        let c = &s["categories"][cat];
        assert_eq!(
            [&c["total"], &c["bonus"], &c["nc"], &c["nm"]],
            [total, bonus, nc, nm],
            "{cat}"
        );
    }
}

#[test]
fn baseline_year_scores_every_category_by_hand() {
    let all = evaluate("2018", true);
    // Input order is kept.
    let order: Vec<&str> = all.iter().map(|e| e["finess"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        [
            "750712184",
            "690781810",
            "310000013",
            "310000310",
            "310000336",
            "310000369"
        ]
    );

    // MCO public, nothing redistributed: II-01 provided (5) + I-05 given as "45,5" (3) +
    // II-08 OUI (3) + IV-04 EN_COURS (4 / 2) + VI-01 NON (0) + III-04 OUI, the 2018 answer
    // « capacité à calculer le ratio » (1) + IV-02, the act « proposition de la classe »
    // (6) + I-01 numerator alone (0 point) + IV-01 +10 % against the 2018 default 4 %
    // (not met, 0) = 20; bonus I-12 provided (2).
    let aphp = establishment(&all, "750712184");
    assert_eq!(
        (
            num(&aphp["score"]),
            num(&aphp["bonus"]),
            num(&aphp["total"])
        ),
        (20.0, 2.0, 22.0)
    );
    // W1: IV-01 compared in 2018 with the référentiel's default.
    let iv01 = line(aphp, "IV-01");
    assert_eq!(
        (
            &iv01["atteint"],
            &iv01["cible"],
            &iv01["origine_cible"],
            &iv01["points"]
        ),
        (
            &Value::from(false),
            &Value::from(4),
            &Value::from("referentiel"),
            &Value::from(0)
        )
    );
    assert_eq!(iv01["numerateur"], 110);
    assert_eq!(iv01["denominateur"], 100);
    assert_eq!(iv01["sens"], "baisse");
    assert_eq!(iv01["regle"], "comparaison_cible");
    // W2: IV-02's 2018 deliverable is the establishment's act; the batch value stands for it.
    assert_eq!(line(aphp, "IV-02")["regle"], "etat_des_lieux_acte");
    assert_eq!(line(aphp, "IV-02")["points"], 6);
    assert_eq!(line(aphp, "IV-02")["origine_cible"], Value::Null);
    // W8 and M1.
    assert_eq!(line(aphp, "III-04")["valeur"], "OUI");
    assert_eq!(line(aphp, "III-04")["points"], 1);
    let i01 = line(aphp, "I-01");
    assert_eq!(
        (&i01["numerateur"], &i01["denominateur"], &i01["atteint"]),
        (&Value::from(1200), &Value::Null, &Value::from(true))
    );
    // Explanation of a line: rule, grid points, factor (1: nothing redistributed), source.
    let vi01 = line(aphp, "VI-01");
    assert_eq!(vi01["regle"], "oui_non");
    assert_eq!(vi01["points_grille"], 10);
    assert_eq!(vi01["facteur_repartition"], 1);
    assert!(
        vi01["source"].as_str().unwrap().ends_with("valeurs.csv:6"),
        "{}",
        vi01["source"]
    );
    assert!(
        vi01["explication"]
            .as_str()
            .unwrap()
            .contains("Réponse NON")
    );
    assert_eq!(aphp["evaluable"], true);
    // 1 % of 5 000 000 000 € = 50 M€; total 22 < 40 on the default scale → 75 % (≥ 20): 37,5 M€.
    assert_eq!(aphp["sanction_proposee"], 37_500_000);
    assert_eq!(line(aphp, "I-05")["valeur"], 45.5);
    assert_eq!(line(aphp, "II-01")["valeur"], 50);
    assert_eq!(line(aphp, "IV-04")["valeur"], "EN_COURS");
    assert_eq!(line(aphp, "IV-04")["points"], 2);
    assert_eq!(line(aphp, "IV-04")["atteint"], false);
    assert_eq!(line(aphp, "VI-01")["atteint"], false);
    assert_eq!(line(aphp, "I-02")["valeur"], Value::Null);

    // MCO privé: NM on the 5 PHEV indicators (22 points) → 78 remain;
    // VI-01 + V-05 = 18 × 100 / 78 = 23.0769…
    let prive = establishment(&all, "690781810");
    assert_eq!(num(&prive["score"]), 23.08);
    assert_eq!(line(prive, "VI-01")["points_max"], 12.82);
    // 100 / 78 = 1.282051…
    assert_eq!(line(prive, "VI-01")["facteur_repartition"], 1.282051);
    assert_eq!(line(prive, "III-01")["regle"], "nm_categorie");
    assert_eq!(line(prive, "III-01")["statut"], "NM");
    assert_eq!(line(prive, "III-01")["atteint"], Value::Null);

    // SSR public: NC on I-06, I-07, part V (22 points) and II-02 declared NC (1) → 77;
    // VI-01 = 10 × 100 / 77 = 12.987…; the V-05 value is ignored (NC by category).
    let ssr = establishment(&all, "310000013");
    assert_eq!(num(&ssr["score"]), 12.99);
    assert_eq!(line(ssr, "II-02")["statut"], "NC");
    assert_eq!(line(ssr, "II-02")["valeur"], "NC");
    assert_eq!(line(ssr, "II-02")["regle"], "nc_declare");
    assert_eq!(
        line(ssr, "II-02")["motif"],
        "aucun traitement antibiotique de plus de 7 jours"
    );
    assert_eq!(line(ssr, "II-02")["revue"], "acceptee");
    assert_eq!(line(ssr, "V-05")["statut"], "NC");
    assert_eq!(line(ssr, "V-05")["valeur"], Value::Null);

    // Dialyse: NC I-01, I-02, I-06, I-07, I-08, II-02, II-04 (10 points) and NM PHEV (22)
    // → 68 remain; VI-01 + V-05 = 18 × 100 / 68 = 26.470…; I-12 "0/10" is provided: bonus 2.
    let dia = establishment(&all, "310000310");
    assert_eq!(
        (num(&dia["score"]), num(&dia["bonus"]), num(&dia["total"])),
        (26.47, 2.0, 28.47)
    );
    assert_eq!(line(dia, "I-12")["valeur"], 0);

    // HAD sans PUI: NC I-06, I-07 (4), NM PHEV (22) + III-02, III-04, III-05, II-04 (7) → 67;
    // VI-01 = 10 × 100 / 67 = 14.925…
    assert_eq!(num(&establishment(&all, "310000336")["score"]), 14.93);

    // PSY privé: V-01 already NC by category (the NM declaration does not change it) and the
    // III-01 value is ignored (NM): nothing earned.
    let psy = establishment(&all, "310000369");
    assert_eq!(num(&psy["total"]), 0.0);
    assert_eq!(line(psy, "V-01")["statut"], "NC");
}

#[test]
fn target_year_compares_with_targets_exactly() {
    let all = evaluate("2019", true);
    let aphp = establishment(&all, "750712184");
    // II-01 25 % vs 25 (met, equality), II-02 10 % vs ≤ 10 (met), II-04 0.95 vs ≤ 1 (met),
    // IV-01 +2.2 % vs ≤ 2.2 (met), V-01 4.2 vs ≤ 4.1 (not met), I-05 49.99 vs 50 (not met),
    // III-01 without target: met because provided. 5 + 1 + 1 + 2 + 4 = 13.
    for (code, met) in [
        ("II-01", true),
        ("II-02", true),
        ("II-04", true),
        ("IV-01", true),
        ("V-01", false),
        ("I-05", false),
        ("III-01", true),
    ] {
        assert_eq!(line(aphp, code)["atteint"], met, "{code}");
    }
    assert_eq!(num(&aphp["score"]), 13.0);
    assert_eq!(line(aphp, "IV-01")["valeur"], 2.2);
    assert_eq!(line(aphp, "IV-01")["cible"], 2.2);
    assert_eq!(line(aphp, "IV-01")["origine_cible"], "contrat");
    assert_eq!(line(aphp, "I-05")["cible"], 50);
    // III-01 without contracted target: the 2019 default 49 % (50 % ≥ 49: met).
    assert_eq!(line(aphp, "III-01")["cible"], 49);
    assert_eq!(line(aphp, "III-01")["origine_cible"], "referentiel");
    // Without the targets file nothing is met silently (W3): II-04 0.95 ≤ 1 « nul ou
    // négatif » (1) + IV-01 +2.2 % ≤ 3.3 % (2) + III-01 50 % ≥ 49 % (4) = 7; V-01 +4.2 % >
    // 3.0 %: not met; II-01, II-02 and I-05 have no default target: « cible manquante ».
    let all = evaluate("2019", false);
    let aphp = establishment(&all, "750712184");
    assert_eq!(num(&aphp["score"]), 7.0);
    let ii01 = line(aphp, "II-01");
    assert_eq!(
        (
            &ii01["cible"],
            &ii01["points"],
            &ii01["atteint"],
            &ii01["origine_cible"],
            &ii01["regle"]
        ),
        (
            &Value::Null,
            &Value::from(0),
            &Value::Null,
            &Value::from("manquante"),
            &Value::from("cible_manquante")
        )
    );
    assert!(
        aphp["avertissements"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("II-01 : cible manquante pour 2019")),
        "{}",
        aphp["avertissements"]
    );
    assert_eq!(line(aphp, "II-04")["origine_cible"], "referentiel");
    assert_eq!(line(aphp, "V-01")["atteint"], false);
}

/// A grid with one indicator, concerned for MCO public only.
const MINI_GRID: &str = r#"
id = "mini"
titre = "Mini"
region = "Test"
annee_etat_des_lieux = 2018
redistribution = "proportionnelle"
categories = ["MCO_PUBLIC_ESPIC", "DIALYSE"]

[[parties]]
numero = "I"
titre = "Partie I"
points = 10

[[indicateurs]]
code = "A"
partie = "I"
libelle = "A"
portee = "national"
type = "oui_non"
sens = "hausse"
sources = ["ES"]
points = 10
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne", DIALYSE = "NC" }
"#;

#[test]
fn nothing_concerned_has_no_score_and_no_sanction() {
    // W5: the dialysis centre has nothing concerned: « non évaluable », not 0.
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    std::fs::write(p("grille.toml"), MINI_GRID).unwrap();
    std::fs::write(
        p("e.csv"),
        "finess;raison_sociale;categorie;region;produits_am\n310000310;Dialyse;DIALYSE;Occitanie;1000000\n750712184;AP-HP;MCO_PUBLIC_ESPIC;IDF;1000000\n",
    )
    .unwrap();
    std::fs::write(
        p("v.csv"),
        "finess;indicateur;annee;numerateur;denominateur;valeur\n750712184;A;2019;;;NON\n",
    )
    .unwrap();
    let out = caqes(&[
        "evaluate",
        "--referentiel",
        &p("grille.toml"),
        "--annee",
        "2019",
        "--etablissements",
        &p("e.csv"),
        "--valeurs",
        &p("v.csv"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let dia = establishment(&all, "310000310");
    for field in [
        "score",
        "bonus",
        "total",
        "score_bareme",
        "sanction_proposee",
    ] {
        assert_eq!(dia[field], Value::Null, "{field}");
    }
    assert_eq!(dia["evaluable"], false);
    // The MCO public scores 0 and is sanctioned at 100 % of 1 % of 1 M€ = 10 000 €.
    let mco = establishment(&all, "750712184");
    assert_eq!(
        (&mco["score"], &mco["sanction_proposee"]),
        (&Value::from(0), &Value::from(10_000))
    );
}

#[test]
fn help_lists_the_explanation_fields() {
    let out = caqes(&["evaluate", "--help"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for field in [
        "origine_cible",
        "facteur_repartition",
        "regle",
        "motif",
        "explication",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
}

struct Case {
    file: &'static str,
    find: &'static str,
    replace: &'static str,
    expected: &'static str,
}

#[test]
fn bad_input_stops_with_file_line_column_and_writes_nothing() {
    let cases = [
        Case {
            file: "etablissements.csv",
            find: "690781810;Clinique privée fictive;MCO_PRIVE",
            replace: "690781810;Clinique privée fictive;MCO_PRIVEE",
            expected: "etablissements.csv, ligne 3, colonne « categorie » : catégorie d'établissement inconnue « MCO_PRIVEE »",
        },
        Case {
            file: "etablissements.csv",
            find: "310000336;",
            replace: "310000337;",
            expected: "etablissements.csv, ligne 6, colonne « finess » : la clé du numéro FINESS « 310000337 » est invalide",
        },
        Case {
            file: "valeurs.csv",
            find: "750712184;VI-01;2018",
            replace: "750712184;VI-99;2018",
            expected: "valeurs.csv, ligne 6, colonne « indicateur » : indicateur « VI-99 » inconnu du référentiel occitanie-2018",
        },
        Case {
            file: "valeurs.csv",
            find: "750712184;II-01;2018;10;20;",
            replace: "750712184;II-01;2018;30;20;",
            expected: "valeurs.csv, ligne 2, colonne « numerateur » : II-01 : le numérateur (30) dépasse le dénominateur (20) pour une proportion",
        },
        Case {
            file: "valeurs.csv",
            find: "750712184;II-01;2018;10;20;",
            replace: "750712184;II-01;2018;10;0;",
            expected: "valeurs.csv, ligne 2, colonne « denominateur » : II-01 : le dénominateur doit être strictement positif (reçu 0)",
        },
        Case {
            file: "valeurs.csv",
            find: ";;;45,5",
            replace: ";;;45,5x",
            expected: "valeurs.csv, ligne 3, colonne « valeur »",
        },
        Case {
            file: "valeurs.csv",
            find: "310000336;VI-01;2018;;;OUI",
            replace: "310000336;VI-01;2018;;;OUI;\n310000336;VI-01;2018;;;NON",
            expected: "valeurs.csv, ligne 18, colonne « indicateur » : ligne en double : 310000336 VI-01 2018 déjà donné ligne 17",
        },
        // W4: NC without its motive, NM on an indicator the category makes concerned.
        Case {
            file: "valeurs.csv",
            find: ";NC;aucun traitement antibiotique de plus de 7 jours",
            replace: ";NC;",
            expected: "valeurs.csv, ligne 11, colonne « motif » : II-02 : NC sans motif",
        },
        Case {
            file: "valeurs.csv",
            find: "750712184;II-08;2018;;;OUI",
            replace: "750712184;II-08;2018;;;NM",
            expected: "valeurs.csv, ligne 4, colonne « valeur » : II-08 : NM refusé",
        },
        Case {
            file: "cibles.csv",
            find: "750712184;II-02;2019;10",
            replace: "750712184;II-02;2019;dix",
            expected: "cibles.csv, ligne 3, colonne « cible » : « dix » n'est pas un nombre",
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        for f in ["etablissements.csv", "valeurs.csv", "cibles.csv"] {
            let mut text = std::fs::read_to_string(scenarios().join(f)).unwrap();
            if f == case.file {
                assert!(text.contains(case.find), "{}", case.find);
                text = text.replacen(case.find, case.replace, 1);
            }
            std::fs::write(dir.path().join(f), text).unwrap();
        }
        let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
        let output = p("sortie.json");
        let out = caqes(&[
            "evaluate",
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
            "--output",
            &output,
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case.expected);
        assert!(
            stderr.contains(case.expected),
            "expected «{}» in: {stderr}",
            case.expected
        );
        assert!(!Path::new(&output).exists(), "no output file on error");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            3,
            "no temporary file left"
        );
    }
}

#[test]
fn output_file_and_csv_format() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenarios();
    let out_path = dir.path().join("scores.csv");
    let out = caqes(&[
        "evaluate",
        "--referentiel",
        "occitanie-2018",
        "--annee",
        "2018",
        "--etablissements",
        s.join("etablissements.csv").to_str().unwrap(),
        "--valeurs",
        s.join("valeurs.csv").to_str().unwrap(),
        "--format",
        "csv",
        "--output",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(out_path).unwrap();
    assert_eq!(text.lines().count(), 1 + 6 * 36);
    assert!(text.contains("690781810;Clinique privée fictive;MCO_PRIVE;23.08;0;23.08;VI-01;concerne;12.82;12.82;OUI;;oui"), "{text}");
}

#[test]
fn referentiel_from_a_path_and_check_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = caqes(&["referentiel", "show", "occitanie-2018", "--format", "toml"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let broken = text.replacen("points = 10\n", "points = 11\n", 1);
    assert_ne!(broken, text);
    let path = dir.path().join("ma-grille.toml");
    std::fs::write(&path, &broken).unwrap();
    let out = caqes(&["referentiel", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ma-grille.toml, ligne "), "{stderr}");
    assert!(stderr.contains("partie VI"), "{stderr}");
    std::fs::write(&path, &text).unwrap();
    let out = caqes(&[
        "referentiel",
        "summary",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let out = caqes(&["referentiel", "show", "inconnu"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sanction_follows_the_scale_and_the_aphp_ceiling() {
    // AP-HP: 1 % of about 5 billion € of AM revenue ≈ 50 M€ (seed 002).
    let out = caqes(&[
        "sanction",
        "--referentiel",
        "occitanie-2018",
        "--score",
        "55",
        "--produits-am",
        "5000000000",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Plafond légal : 50\u{202f}000\u{202f}000,00\u{a0}€"),
        "{text}"
    );
    assert!(
        text.contains("Sanction en cas de refus de signer : 50\u{202f}000\u{202f}000,00\u{a0}€"),
        "{text}"
    );
    // Liste en sus: at most 30 % of the insurance share.
    let out = caqes(&[
        "sanction",
        "--referentiel",
        "occitanie-2018",
        "--score",
        "0",
        "--liste-en-sus",
        "1000000",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Plafond légal : 300\u{202f}000,00\u{a0}€"),
        "{text}"
    );
    let out = caqes(&[
        "sanction",
        "--referentiel",
        "occitanie-2018",
        "--score",
        "cinquante",
        "--produits-am",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn calendar_dates() {
    let out = caqes(&[
        "calendrier",
        "--signature",
        "2017-12-31",
        "--duree-volet",
        "5",
        "--reception",
        "2017-10-02",
        "--audition-demandee",
        "2017-10-16",
        "--audition",
        "2017-11-03",
        "--notification",
        "2019-12-31",
        "--aujourdhui",
        "2017-10-10",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "Entrée en vigueur du contrat ou de l'avenant : 01/01/2018",
        "Volet additionnel de 5 an(s) : du 01/01/2018 au 31/12/2022",
        "Délai de signature : jusqu'au 03/11/2017, prolongé jusqu'à l'audition (24 jour(s) restant(s) au 10/10/2017)",
        "Recours devant le tribunal administratif : jusqu'au 29/02/2020",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let out = caqes(&[
        "calendrier",
        "--signature",
        "2017-12-31",
        "--duree-volet",
        "6",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// A valid FINESS (Luhn key) made from an 8-digit stem.
fn finess_of(stem: u32) -> String {
    let digits: Vec<u32> = format!("{stem:08}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    // The key makes the Luhn sum of the nine digits a multiple of 10 (every second digit
    // from the right, the key excluded, doubled).
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    format!("{stem:08}{}", (10 - sum % 10) % 10)
}

/// Establishments are scored on several threads by chunks: the output keeps the file's
/// order across chunk boundaries, and each establishment gets its own values.
#[test]
fn many_establishments_come_out_in_the_files_order_with_their_own_values() {
    let dir = tempfile::tempdir().unwrap();
    // 101 establishments, listed out of numeric order: more than three chunks.
    let stems: Vec<u32> = (0..101u32)
        .map(|i| 10_000_000 + (i * 7919) % 1000)
        .collect();
    let finess: Vec<String> = stems.iter().map(|s| finess_of(*s)).collect();
    let mut ets = String::from("finess;raison_sociale;categorie;region;produits_am\n");
    let mut values = String::from("finess;indicateur;annee;numerateur;denominateur;valeur\n");
    for (i, f) in finess.iter().enumerate() {
        ets.push_str(&format!(
            "{f};Etablissement {i};MCO_PUBLIC_ESPIC;Occitanie;1000000\n"
        ));
        // I-01's numerator alone is the value (M1): i, so each line is recognisable.
        values.push_str(&format!("{f};I-01;2018;{i};;\n"));
    }
    std::fs::write(dir.path().join("e.csv"), ets).unwrap();
    std::fs::write(dir.path().join("v.csv"), values).unwrap();
    let out = caqes(&[
        "evaluate",
        "--referentiel",
        "occitanie-2018",
        "--annee",
        "2018",
        "--etablissements",
        dir.path().join("e.csv").to_str().unwrap(),
        "--valeurs",
        dir.path().join("v.csv").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<&str> = all.iter().map(|e| e["finess"].as_str().unwrap()).collect();
    assert_eq!(got, finess.iter().map(String::as_str).collect::<Vec<_>>());
    for (i, e) in all.iter().enumerate() {
        let line = e["indicateurs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == "I-01")
            .unwrap();
        assert_eq!(line["numerateur"], serde_json::json!(i), "{}", e["finess"]);
    }
}
