//! One engine (issue 9, §1): the same campaign evaluated by `caqes evaluate` and by the
//! platform gives the same line for every indicator of every establishment.
//!
//! The platform side goes the way an ARS's data goes: the web's import reader
//! (`caqes_web::imports::yearly::read_yearly_text`, the same `valeurs.csv` / `cibles.csv` as the
//! CLI), the store's import (values, NC motives, targets), then the score the dossier page
//! shows (`Store::evaluate_entity`). The CLI side runs the binary on the same files with
//! `--sites`. The scenario covers a multi-site entity (pooled proportions, a yes/no word,
//! a missing site, II-04 from the sites' DDJ and patient-days of 2018 and 2019), an NC
//! with its motive, bare percentages, a contracted target, a default target of the
//! référentiel and a missing one. SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL` is
//! set.
#![expect(clippy::unwrap_used, reason = "a test fails loudly")]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;
use std::process::Command;
use std::str::FromStr;

use caqes_core::rate::round_half_away;
use caqes_core::{Category, Finess};
use caqes_store::testing::{TestDb, make_finess};
use caqes_store::{Actor, LegalEntity, NewCampaign, NewEntity, Region, Site, Store};
use caqes_web::state::{AppState, Config};
use jiff::civil::date;
use rust_decimal::Decimal;
use serde_json::Value;

struct Scenario {
    /// (legal entity, category, sites; an empty list = one site with the entity's number
    /// + 1, the values naming the entity).
    entities: Vec<(Finess, Category, Vec<Finess>)>,
    values: String,
    targets: String,
}

fn scenario() -> Scenario {
    let a = make_finess(31_000_001);
    let (a1, a2) = (make_finess(31_500_011), make_finess(31_500_012));
    let b = make_finess(31_000_002);
    let c = make_finess(31_000_003);
    let d = make_finess(31_000_004);
    let values = format!(
        "finess;indicateur;annee;numerateur;denominateur;valeur;motif\n\
         {a1};I-03;2019;40;50;;\n\
         {a2};I-03;2019;10;50;;\n\
         {a1};II-01;2019;40;50;;\n\
         {a1};I-10;2019;;;OUI;\n\
         {a2};I-10;2019;;;NON;\n\
         {a1};II-02;2019;3;30;;\n\
         {a2};II-02;2019;1;20;;\n\
         {a1};II-04;2018;33000;100000;;\n\
         {a1};II-04;2019;30000;100000;;\n\
         {a2};II-04;2018;600;1000;;\n\
         {a2};II-04;2019;900;1000;;\n\
         {b};I-03;2019;;;45,5;\n\
         {b};I-04;2019;;;NC;pas de chimiothérapie dans l'établissement\n\
         {b};II-04;2019;;;0,95;\n\
         {b};I-10;2019;;;OUI;\n\
         {c};II-01;2019;30;60;;\n\
         {c};III-01;2019;50;100;;\n\
         {d};I-02;2019;;;OUI;\n"
    );
    let targets = format!(
        "finess;indicateur;annee;cible\n\
         {a};I-03;2019;60\n\
         {a};II-01;2019;50\n\
         {a};II-02;2019;10\n\
         {a};II-04;2019;1\n\
         {b};I-03;2019;40\n\
         {b};II-04;2019;1\n"
    );
    Scenario {
        entities: vec![
            (a, Category::McoPublicEspic, vec![a1, a2]),
            (b, Category::McoPrive, vec![]),
            (c, Category::SsrPublicEspic, vec![]),
            (d, Category::Dialyse, vec![]),
        ],
        values,
        targets,
    }
}

/// One indicator line, as compared: every field both sides give.
#[derive(Debug, PartialEq)]
struct Compared {
    code: String,
    status: String,
    max_points: String,
    points: String,
    target: Option<String>,
    met: Option<bool>,
    rule: String,
    origin: Option<String>,
    motive: Option<String>,
    review: Option<String>,
}

fn two_decimals(d: Decimal) -> String {
    round_half_away(d, 2).normalize().to_string()
}

fn json_decimal(v: &Value) -> Option<String> {
    (!v.is_null()).then(|| two_decimals(Decimal::from_str(&v.to_string()).unwrap()))
}

fn cli_results(s: &Scenario) -> BTreeMap<String, (Option<String>, Vec<Compared>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut ets = "finess;raison_sociale;categorie;region;produits_am\n".to_owned();
    let mut sites = "finess_geographique;finess_juridique\n".to_owned();
    for (f, cat, list) in &s.entities {
        ets.push_str(&format!("{f};Entité {f};{};76;\n", cat.code()));
        for site in list {
            sites.push_str(&format!("{site};{f}\n"));
        }
    }
    for (name, text) in [
        ("etablissements.csv", ets.as_str()),
        ("sites.csv", sites.as_str()),
        ("valeurs.csv", s.values.as_str()),
        ("cibles.csv", s.targets.as_str()),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let p = |n: &str| dir.path().join(n).display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args([
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
            "--sites",
            &p("sites.csv"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "caqes evaluate : {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let lines = e["indicateurs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| Compared {
                    code: l["code"].as_str().unwrap().to_owned(),
                    status: l["statut"].as_str().unwrap().to_owned(),
                    max_points: json_decimal(&l["points_max"]).unwrap(),
                    points: json_decimal(&l["points"]).unwrap(),
                    target: json_decimal(&l["cible"]),
                    met: l["atteint"].as_bool(),
                    rule: l["regle"].as_str().unwrap().to_owned(),
                    origin: l["origine_cible"].as_str().map(str::to_owned),
                    motive: l["motif"].as_str().map(str::to_owned),
                    review: l["revue"].as_str().map(str::to_owned),
                })
                .collect();
            (
                e["finess"].as_str().unwrap().to_owned(),
                (json_decimal(&e["total"]), lines),
            )
        })
        .collect()
}

async fn platform_results(
    store: &Store,
    s: &Scenario,
) -> BTreeMap<String, (Option<String>, Vec<Compared>)> {
    let sys = Actor::system("test");
    store
        .create_region(
            &sys,
            &Region {
                code: REGION,
                name: "Occitanie".into(),
            },
        )
        .await
        .unwrap();
    let entities: Vec<NewEntity> = s
        .entities
        .iter()
        .map(|(f, cat, list)| {
            let entity = LegalEntity {
                finess: *f,
                region: REGION,
                name: format!("Entité {f}"),
                category: *cat,
            };
            let sites = if list.is_empty() {
                vec![make_finess(
                    f.as_str()[..8].parse::<u32>().unwrap() + 500_000,
                )]
            } else {
                list.clone()
            };
            NewEntity {
                entity,
                sites: sites
                    .into_iter()
                    .map(|site| Site {
                        finess: site,
                        entity: *f,
                        name: format!("Site {site}"),
                    })
                    .collect(),
            }
        })
        .collect();
    store.import_entities(&sys, &entities).await.unwrap();
    let state = AppState {
        store: store.clone(),
        config: Config::default(),
    };
    // One campaign per year: the platform keeps each year's values in its campaign.
    for year in [2018_i16, 2019] {
        let campaign = store
            .create_campaign(
                &sys,
                &NewCampaign {
                    region: REGION,
                    year,
                    referentiel_id: "occitanie-2018".into(),
                    title: format!("Campagne {year}"),
                    submission_deadline: date(year + 1, 3, 31),
                    evaluation_deadline: date(year + 1, 6, 30),
                },
            )
            .await
            .unwrap();
        let header = s.values.lines().next().unwrap();
        let values: String = std::iter::once(header)
            .chain(
                s.values
                    .lines()
                    .skip(1)
                    .filter(|l| l.split(';').nth(2) == Some(&year.to_string())),
            )
            .map(|l| format!("{l}\n"))
            .collect();
        let targets = if year == 2019 { s.targets.as_str() } else { "" };
        let parsed =
            caqes_web::imports::yearly::read_yearly_text(&state, &campaign, &values, targets)
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("import {year} refusé : {e:?}"));
        let rows: Vec<_> = parsed.values.into_iter().map(|(_, v)| v).collect();
        let targets: Vec<_> = parsed.targets.into_iter().map(|(_, t)| t).collect();
        store
            .import_yearly_with_motives(
                &sys,
                &campaign,
                "valeurs.csv",
                &rows,
                &parsed.motives,
                &targets,
            )
            .await
            .unwrap();
    }
    let referentiel = store.referentiel("occitanie-2018").await.unwrap().unwrap();
    let mut out = BTreeMap::new();
    for new in &entities {
        let evaluation = store
            .evaluate_entity(&referentiel, &new.entity, 2019)
            .await
            .unwrap();
        let score = evaluation.score;
        let lines = score
            .lines
            .iter()
            .map(|l| Compared {
                code: l.code.clone(),
                status: l.status.code().to_owned(),
                max_points: two_decimals(l.max_points),
                points: two_decimals(l.points),
                target: l.target.map(two_decimals),
                met: l.met,
                rule: l.explanation.rule.code().to_owned(),
                origin: l.explanation.target_origin.map(|o| o.code().to_owned()),
                motive: l
                    .explanation
                    .declaration
                    .as_ref()
                    .map(|d| d.motive().to_owned()),
                review: l
                    .explanation
                    .declaration
                    .as_ref()
                    .map(|d| d.review.code().to_owned()),
            })
            .collect();
        out.insert(
            new.entity.finess.to_string(),
            (score.total_value().map(two_decimals), lines),
        );
    }
    out
}

fn compare(
    cli: &BTreeMap<String, (Option<String>, Vec<Compared>)>,
    platform: &BTreeMap<String, (Option<String>, Vec<Compared>)>,
) {
    assert_eq!(
        cli.keys().collect::<Vec<_>>(),
        platform.keys().collect::<Vec<_>>()
    );
    for (finess, (cli_total, cli_lines)) in cli {
        let (total, lines) = &platform[finess];
        assert_eq!(cli_lines.len(), lines.len(), "{finess} : nombre de lignes");
        for (c, p) in cli_lines.iter().zip(lines) {
            assert_eq!(c, p, "{finess} : ligne {} différente", c.code);
        }
        assert_eq!(cli_total, total, "{finess} : total");
    }
}

/// The scenario's figures that make the comparison meaningful: each one would differ if
/// a side pooled, defaulted or declared differently.
fn check_figures(results: &BTreeMap<String, (Option<String>, Vec<Compared>)>) {
    let s = scenario();
    let line = |f: Finess, code: &str| -> &Compared {
        results[&f.to_string()]
            .1
            .iter()
            .find(|l| l.code == code)
            .unwrap()
    };
    let (a, b, c) = (s.entities[0].0, s.entities[1].0, s.entities[2].0);
    // A, I-03: (40 + 10) / (50 + 50) = 50 % against 60 %: not met.
    assert_eq!(line(a, "I-03").met, Some(false));
    // A, II-01: site A2 has no value: the line is incomplete, nothing earned.
    assert_eq!(line(a, "II-01").points, "0");
    assert_eq!(line(a, "II-01").met, Some(false));
    // A, I-10: OUI and NON: the least favourable site, NON: 0 point.
    assert_eq!(line(a, "I-10").points, "0");
    // A, II-04: (30 900 / 101 000) / (33 600 / 101 000) = 0,92 ≤ 1: met.
    assert_eq!(line(a, "II-04").met, Some(true));
    // A, II-02: (3 + 1) / (30 + 20) = 8 % ≤ 10 %: met.
    assert_eq!(line(a, "II-02").met, Some(true));
    // B, I-04: NC with its motive, imported by the ARS (accepted).
    assert_eq!(line(b, "I-04").status, "NC");
    assert_eq!(line(b, "I-04").review.as_deref(), Some("acceptee"));
    // C, II-01 without target: « cible manquante »; III-01 against the référentiel's 49 %.
    assert_eq!(line(c, "II-01").origin.as_deref(), Some("manquante"));
    assert_eq!(line(c, "III-01").target.as_deref(), Some("49"));
}

#[tokio::test]
async fn cli_and_platform_agree_on_every_line_sqlite() {
    let s = scenario();
    let cli = cli_results(&s);
    check_figures(&cli);
    let db = TestDb::sqlite().await.unwrap();
    let platform = platform_results(&db.store, &s).await;
    compare(&cli, &platform);
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn cli_and_platform_agree_on_every_line_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : CAQES_TEST_POSTGRES_URL n'est pas défini");
        return;
    };
    let s = scenario();
    let cli = cli_results(&s);
    let platform = platform_results(&db.store, &s).await;
    compare(&cli, &platform);
    db.cleanup().await.unwrap();
}
