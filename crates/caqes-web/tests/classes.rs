//! III-02 computed separately per class on the platform (D5): one row per class in the
//! dossier form, the classes pooled from the sites, the same engine as `caqes evaluate`.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::referentiel::Applicability;
use caqes_core::scoring::Rule;
use caqes_store::Role;
use rust_decimal::Decimal;

mod common;
use common::{TestApp, on_postgres, on_sqlite};

async fn story(t: &TestApp) {
    let store = t.store();
    let own = t.demo.own_entity;
    let url = t.dossier(own);
    let sites = store.sites_of(own.as_str()).await.unwrap();
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

    // A class declared NC needs its motive, like an indicator.
    let nc = format!("v:{}:III-02/INSULINE-GLARGINE", sites[0].finess);
    let p = etab
        .post(&format!("{url}/valeurs"), &[(nc.as_str(), "NC")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("NC sans motif"));

    // Every site: EPO 60/100, anti-TNF 10/100, insulin glargine NC with its motive, G-CSF
    // 55/100. The demo contracts 55 % for III-02, shared by its classes: EPO (60 %) and
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
    let entity = store.legal_entity(own.as_str()).await.unwrap().unwrap();
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
}

#[tokio::test]
async fn iii_02_per_class_on_the_platform_sqlite() {
    on_sqlite(story).await;
}

#[tokio::test]
async fn iii_02_per_class_on_the_platform_postgres() {
    on_postgres(story).await;
}
