//! III-02 computed separately per class on the platform (D5): one row per class in the
//! dossier form, the classes pooled from the sites, the same engine as `caqes evaluate`.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_core::referentiel::Applicability;
use caqes_core::scoring::Rule;
use caqes_store::testing::{Fixture, FixtureBuilder};
use caqes_store::{Actor, Role};
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::workbook::{column, download, filled, hidden};

/// The établissement user's entity on two sites, its dossier a draft of the
/// campaign 2019.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 2)
        .campaign(2019)
}

/// The ARS contracts 55 % for III-02 in 2019 with the établissement user's
/// entity, a target shared by its classes.
async fn contract_iii_02(t: &FixtureApp) {
    let targets = BTreeMap::from([("III-02".to_owned(), Decimal::from(55))]);
    t.store()
        .set_targets(
            &Actor::system("test"),
            &t.fixture.entities[0].entity,
            2019,
            &targets,
        )
        .await
        .unwrap();
}

async fn story(t: &FixtureApp) {
    contract_iii_02(t).await;
    let store = t.store();
    let own = t.own_entity();
    let url = t.dossier(own);
    let sites = store.sites_of(&own).await.unwrap();
    assert!(sites.len() > 1);
    let mut etab = t.logged_in(Role::Etablissement).await;

    // The form has one row per class under III-02, each with its fields per site.
    let page = etab.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    for class in ["EPO", "ANTI-TNF", "INSULINE-GLARGINE", "G-CSF"] {
        let field = format!("name=\"n:{}:III-02/{class}\"", sites[0].finess);
        assert!(page.body.contains(&field), "{field}");
    }
    assert!(page.body.contains("classe Érythropoïétines (EPO)"));
    // The indicator itself is typed class by class, not as a whole.
    assert!(
        !page
            .body
            .contains(&format!("name=\"n:{}:III-02\"", sites[0].finess))
    );

    // Nothing typed for any class yet: the dashboard names the indicator as a whole.
    let dashboard = format!("{url}/tableau-de-bord");
    let board = etab.get(&dashboard).await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("<li>III-02 — "), "{}", board.body);

    // A class declared NC needs its motive, like an indicator.
    let nc = format!("v:{}:III-02/INSULINE-GLARGINE", sites[0].finess);
    let p = etab
        .post(&format!("{url}/valeurs"), &[(nc.as_str(), "NC")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("NC sans motif"));

    // Every site: EPO 60/100, anti-TNF 10/100, insulin glargine NC with its motive, G-CSF
    // 55/100. The ARS contracts 55 % for III-02, shared by its classes: EPO (60 %) and
    // G-CSF (55 %, equality) met, anti-TNF (10 %) not, glargine left out: 2 of 3 concerned
    // classes → 4 × 2/3 = 2,67 points (MCO public: III-02 keeps its 4 points).
    let mut owned: Vec<(String, String)> = Vec::new();
    for s in &sites {
        let f = s.finess;
        for (kind, class, value) in [
            ("n", "EPO", "60"),
            ("d", "EPO", "100"),
            ("n", "ANTI-TNF", "10"),
            ("d", "ANTI-TNF", "100"),
            ("v", "INSULINE-GLARGINE", "NC"),
            (
                "m",
                "INSULINE-GLARGINE",
                "pas d'insuline glargine prescrite",
            ),
            ("n", "G-CSF", "55"),
            ("d", "G-CSF", "100"),
        ] {
            owned.push((format!("{kind}:{f}:III-02/{class}"), value.to_owned()));
        }
    }
    let fields: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = etab.post(&format!("{url}/valeurs"), &fields).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    let referentiel = store.referentiel("occitanie-2018").await.unwrap().unwrap();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let e = store
        .evaluate_entity(&referentiel, &entity, 2019)
        .await
        .unwrap();
    let line = e.score.lines.iter().find(|l| l.code == "III-02").unwrap();
    assert_eq!(line.explanation.rule, Rule::PerClass);
    assert_eq!(line.max_points, Decimal::from(4));
    assert_eq!(
        caqes_core::rate::round_half_away(line.points, 2),
        Decimal::new(267, 2)
    );
    let c = &line.explanation.classes;
    assert_eq!(
        c.iter().map(|c| c.met).collect::<Vec<_>>(),
        [Some(true), Some(false), None, Some(true)]
    );
    assert_eq!(c[0].target, Some(Decimal::from(55)));
    assert_eq!(c[2].status, Applicability::Nc);
    // The page shows each class's result and the line's sentence.
    let page = etab.get(&url).await;
    assert!(
        page.body.contains("2 classe(s) atteinte(s) sur 3"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"indicateur-III-02/EPO\""));
    // The dashboard: the classes typed are no longer missing, the class declared NC
    // waits for the ARS's review.
    let board = etab.get(&dashboard).await;
    assert!(!board.body.contains("III-02/EPO — "), "{}", board.body);
    let pending = &board.body[board.body.find("id=\"nc-en-attente\"").unwrap()..];
    assert!(
        pending.contains(
            "III-02/INSULINE-GLARGINE : NC déclaré (motif « pas d'insuline glargine prescrite »)"
        ),
        "{pending}"
    );
    // A class emptied on one site (the form is posted whole, that class left blank):
    // the dashboard names the class and the site.
    let site0 = sites[0].finess;
    let emptied = [
        format!("n:{site0}:III-02/ANTI-TNF"),
        format!("d:{site0}:III-02/ANTI-TNF"),
    ];
    let fields: Vec<(&str, &str)> = owned
        .iter()
        .filter(|(k, _)| !emptied.contains(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = etab.post(&format!("{url}/valeurs"), &fields).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let board = etab.get(&dashboard).await;
    let missing = &board.body[board.body.find("id=\"valeurs-manquantes\"").unwrap()..];
    let missing = &missing[..missing.find("</ul>").unwrap()];
    assert!(
        missing.contains(&format!(
            "III-02/ANTI-TNF — Taux de prescription des biosimilaires pour les prescriptions \
             intra-hospitalières (en UCD) — classe Anti-TNF alpha : valeur manquante pour 1 \
             site(s) ({site0})"
        )),
        "{missing}"
    );
}

#[tokio::test]
async fn iii_02_per_class_on_the_platform_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn iii_02_per_class_on_the_platform_postgres() {
    on_postgres(fixture(), story).await;
}

/// The « fichier à remplir » has one row per class (values and targets), and the filled
/// class rows come back through the ARS's XLSX import, stored per class and scored.
async fn xlsx_story(t: &FixtureApp) {
    use calamine::Data;
    contract_iii_02(t).await;
    let store = t.store();
    let own = t.own_entity();
    let sites = store.sites_of(&own).await.unwrap();
    let mut etab = t.logged_in(Role::Etablissement).await;
    let url = format!("{}/fichier-a-remplir.xlsx", t.dossier(own));
    let (values, targets) = download(&mut etab, &url).await;
    let (vf, vi, vn, vd, vv, vm, vl) = (
        column(&values, "finess"),
        column(&values, "indicateur"),
        column(&values, "numerateur"),
        column(&values, "denominateur"),
        column(&values, "valeur"),
        column(&values, "motif"),
        column(&values, "libelle"),
    );
    let text = |r: &[Data], c: u16| r[c as usize].to_string();
    // One row per site × class of III-02, labelled with the class, and no row for
    // III-02 as a whole (nothing is stored for it: it is typed class by class).
    let mut rows: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (i, r) in values.rows().enumerate().skip(1) {
        rows.insert((text(r, vf), text(r, vi)), i as u32);
        if text(r, vi) == "III-02/EPO" {
            assert!(
                text(r, vl).ends_with("— classe Érythropoïétines (EPO)"),
                "{}",
                text(r, vl)
            );
        }
    }
    for s in &sites {
        let f = s.finess.to_string();
        for class in ["EPO", "ANTI-TNF", "INSULINE-GLARGINE", "G-CSF"] {
            assert!(rows.contains_key(&(f.clone(), format!("III-02/{class}"))));
        }
        assert!(!rows.contains_key(&(f.clone(), "III-02".to_owned())));
    }
    // « Cibles »: III-02 (shared by its classes), then a row per class.
    let (tf, ti, tc) = (
        column(&targets, "finess"),
        column(&targets, "indicateur"),
        column(&targets, "cible"),
    );
    let target_rows: Vec<(u32, String)> = targets
        .rows()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| text(r, tf) == own.to_string())
        .map(|(i, r)| (i as u32, text(r, ti)))
        .collect();
    let at = |code: &str| target_rows.iter().position(|(_, c)| c == code).unwrap();
    assert_eq!(at("III-02") + 1, at("III-02/EPO"));
    let epo_target_row = target_rows[at("III-02/EPO")].0;

    // Filled: every site EPO 60/100, anti-TNF 10/100, glargine NC with its motive,
    // G-CSF 55/100; the EPO class gets its own target, 65.
    let mut edits = BTreeMap::new();
    for s in &sites {
        let f = s.finess.to_string();
        let row = |class: &str| rows[&(f.clone(), format!("III-02/{class}"))];
        for (class, n, d) in [
            ("EPO", 60.0, 100.0),
            ("ANTI-TNF", 10.0, 100.0),
            ("G-CSF", 55.0, 100.0),
        ] {
            edits.insert((row(class), vn), Data::Float(n));
            edits.insert((row(class), vd), Data::Float(d));
            edits.insert((row(class), vv), Data::Empty);
            edits.insert((row(class), vm), Data::Empty);
        }
        let g = row("INSULINE-GLARGINE");
        edits.insert((g, vn), Data::Empty);
        edits.insert((g, vd), Data::Empty);
        edits.insert((g, vv), Data::String("NC".into()));
        edits.insert(
            (g, vm),
            Data::String("pas d'insuline glargine prescrite".into()),
        );
    }
    let mut target_edits = BTreeMap::new();
    target_edits.insert((epo_target_row, tc), Data::Float(65.0));
    let workbook =
        |edits: &BTreeMap<(u32, u16), Data>| filled(&values, edits, &targets, &target_edits);
    let mut ars = t.logged_in(Role::Ars).await;
    let base = format!("/campagnes/{}/imports", t.campaign_id());

    // A class declared NC without its motive: sheet, Excel row and column named.
    let mut bad = edits.clone();
    let g = rows[&(
        sites[0].finess.to_string(),
        "III-02/INSULINE-GLARGINE".to_owned(),
    )];
    bad.insert((g, vm), Data::Empty);
    ars.get(&format!("{base}/xlsx")).await;
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "rempli.xlsx", &workbook(&bad))],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let letter = (b'A' + vm as u8) as char;
    let expected = format!(
        "<td>feuille « Valeurs »</td><td>{}</td><td>motif ({letter})</td>",
        g + 1
    );
    assert!(page.body.contains(&expected), "{expected} : {}", page.body);
    assert!(
        page.body.contains("III-02/INSULINE-GLARGINE"),
        "{}",
        page.body
    );

    // The good file: preview, then confirmation.
    ars.get(&format!("{base}/xlsx")).await;
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "rempli.xlsx", &workbook(&edits))],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (v, c) = (hidden(&page.body, "valeurs"), hidden(&page.body, "cibles"));
    let site0 = sites[0].finess;
    assert!(
        v.contains(&format!("{site0};III-02/EPO;2019;60;100;;")),
        "{v}"
    );
    assert!(
        v.contains(&format!(
            "{site0};III-02/INSULINE-GLARGINE;2019;;;NC;pas d'insuline glargine prescrite"
        )),
        "{v}"
    );
    let p = ars
        .post(
            &format!("{base}/confirmer"),
            &[("valeurs", &v), ("cibles", &c)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // Stored per class, with the class's motive and target.
    let stored = store.values_for_entity(&own, 2019).await.unwrap();
    for s in &sites {
        let epo = stored
            .iter()
            .find(|v| v.site == s.finess && v.indicator == "III-02/EPO")
            .unwrap();
        assert_eq!(
            (epo.numerator.as_deref(), epo.denominator.as_deref()),
            (Some("60"), Some("100"))
        );
    }
    let declarations = store.nc_declarations_for_entity(&own, 2019).await.unwrap();
    assert!(declarations.iter().any(|d| d.site == site0
        && d.indicator == "III-02/INSULINE-GLARGINE"
        && d.declaration.motive() == "pas d'insuline glargine prescrite"));
    let own_targets = store.targets_for(&own, 2019).await.unwrap();
    assert_eq!(own_targets.get("III-02/EPO"), Some(&Decimal::from(65)));

    // Scored as the engine says: EPO 60 % < its own target 65 not met, anti-TNF 10 % < 55
    // (III-02's shared target) not met, G-CSF 55 % ≥ 55 met, glargine NC left out:
    // 1 of 3 concerned classes → 4 × 1/3 = 1,33 points.
    let referentiel = store.referentiel("occitanie-2018").await.unwrap().unwrap();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let e = store
        .evaluate_entity(&referentiel, &entity, 2019)
        .await
        .unwrap();
    let line = e.score.lines.iter().find(|l| l.code == "III-02").unwrap();
    assert_eq!(line.explanation.rule, Rule::PerClass);
    let c = &line.explanation.classes;
    assert_eq!(
        c.iter().map(|c| c.met).collect::<Vec<_>>(),
        [Some(false), Some(false), None, Some(true)]
    );
    assert_eq!(c[0].target, Some(Decimal::from(65)));
    assert_eq!(c[1].target, Some(Decimal::from(55)));
    assert_eq!(
        caqes_core::rate::round_half_away(line.points, 2),
        Decimal::new(133, 2)
    );

    // Downloaded again: the class rows come back prefilled, the NC with its motive.
    let (values, _) = download(&mut etab, &url).await;
    let row_of = |code: &str| {
        values
            .rows()
            .find(|r| text(r, vf) == site0.to_string() && text(r, vi) == code)
            .unwrap()
            .to_vec()
    };
    let epo = row_of("III-02/EPO");
    assert_eq!(
        (text(&epo, vn), text(&epo, vd)),
        ("60".into(), "100".into())
    );
    let g = row_of("III-02/INSULINE-GLARGINE");
    assert_eq!(
        (text(&g, vv), text(&g, vm)),
        ("NC".into(), "pas d'insuline glargine prescrite".into())
    );
}

#[tokio::test]
async fn xlsx_has_one_row_per_class_and_imports_them_sqlite() {
    on_sqlite(fixture(), xlsx_story).await;
}

#[tokio::test]
async fn xlsx_has_one_row_per_class_and_imports_them_postgres() {
    on_postgres(fixture(), xlsx_story).await;
}
