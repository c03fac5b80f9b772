//! The ARS's « fichier à remplir » (XLSX) through the router: downloaded by the
//! ARS only, a bad cell named by sheet, Excel row and column, a file that is no
//! workbook and a missing CSRF token refused, then a filled file previewed and
//! confirmed as the CSV import, its numbers stored exactly. SQLite, and
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use calamine::Data;
use caqes_core::Finess;
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder, REFERENTIEL};
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::workbook::{column, download, filled, hidden};

/// A multi-site entity and a single-site one, their dossiers in the campaign 2019:
/// enough rows in both sheets.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier de Tolosa", 2)
        .entity("Clinique du Parc")
        .campaign(2019)
}

#[tokio::test]
async fn the_fichier_a_remplir_is_downloaded_filled_and_imported_on_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn the_fichier_a_remplir_is_downloaded_filled_and_imported_on_postgres() {
    on_postgres(fixture(), story).await;
}

async fn story(t: &FixtureApp) {
    let campaign = t.store().campaign(t.campaign_id()).await.unwrap().unwrap();
    let base = format!("/campagnes/{}/imports", campaign.id);
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let url = format!("{base}/fichier-a-remplir.xlsx");
    assert_eq!(am.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(etab.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        etab.get(&format!("{base}/xlsx")).await.status,
        StatusCode::NOT_FOUND
    );

    let (values, targets) = download(&mut ars, &url).await;
    assert!(values.height() > 10 && targets.height() > 10);
    let (vf, vi, vn, vd) = (
        column(&values, "finess"),
        column(&values, "indicateur"),
        column(&values, "numerateur"),
        column(&values, "denominateur"),
    );
    // A proportion row not yet filled, on a site of the region.
    let referentiel = caqes_core::referentiel::builtin_by_id(REFERENTIEL).unwrap();
    let (row, site, code) = values
        .rows()
        .enumerate()
        .skip(1)
        .find_map(|(i, r)| {
            let code = r[vi as usize].to_string();
            let kind = referentiel.indicator(&code)?.kind;
            (kind == caqes_core::referentiel::Kind::Proportion
                && r[vn as usize] == Data::Empty
                && r[vd as usize] == Data::Empty)
                .then(|| (i as u32, r[vf as usize].to_string(), code))
        })
        .unwrap();
    let (tf, ti, tc) = (
        column(&targets, "finess"),
        column(&targets, "indicateur"),
        column(&targets, "cible"),
    );
    let target_row = 1u32;
    let target_entity = targets.get((1, tf as usize)).unwrap().to_string();
    let target_code = targets.get((1, ti as usize)).unwrap().to_string();

    // A bad cell (a boolean in « numerateur »): sheet, Excel row and column named.
    let mut edits = BTreeMap::new();
    edits.insert((row, vn), Data::Bool(true));
    let bad = filled(&values, &edits, &targets, &BTreeMap::new());
    ars.get(&format!("{base}/xlsx")).await;
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "rempli.xlsx", &bad)],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let letter = (b'A' + vn as u8) as char;
    let expected = format!(
        "<td>feuille « Valeurs »</td><td>{}</td><td>{letter}</td>",
        row + 1
    );
    assert!(page.body.contains(&expected), "{expected} : {}", page.body);
    // Not a workbook at all.
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "x.xlsx", b"pas un classeur")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without the CSRF token.
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            false,
            &[],
            &[("fichier", "rempli.xlsx", &bad)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    ars.get(&format!("{base}/xlsx")).await;

    // Filled: numbers written by rust_xlsxwriter, and 0.1 + 0.2 (a float artefact) as target.
    let mut edits = BTreeMap::new();
    edits.insert((row, vn), Data::Float(30.0));
    edits.insert((row, vd), Data::Float(40.0));
    let mut target_edits = BTreeMap::new();
    target_edits.insert((target_row, tc), Data::Float(0.1 + 0.2));
    let good = filled(&values, &edits, &targets, &target_edits);
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "rempli.xlsx", &good)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"apercu\""));
    assert!(page.body.contains("Valeurs, ligne 2<"), "{}", page.body);
    assert!(!page.body.contains("0,30000000000000004"));
    // Confirm: the hidden fields carry the converted CSV to the CSV import's confirmation.
    let (v, c) = (hidden(&page.body, "valeurs"), hidden(&page.body, "cibles"));
    assert!(
        v.contains(&format!("{site};{code};{};30;40;", campaign.year)),
        "{v}"
    );
    let p = ars
        .post(
            &format!("{base}/confirmer"),
            &[("valeurs", &v), ("cibles", &c)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let site_f = Finess::parse(&site).unwrap();
    let mut found = false;
    for e in &t.fixture.entities {
        for v in t
            .store()
            .values_for_entity(&e.entity.finess, campaign.year)
            .await
            .unwrap()
        {
            if v.site == site_f && v.indicator == code {
                assert_eq!(v.numerator.as_deref(), Some("30"));
                assert_eq!(v.denominator.as_deref(), Some("40"));
                found = true;
            }
        }
    }
    assert!(found, "valeur {site} {code} enregistrée");
    let stored = t
        .store()
        .targets_for(&Finess::parse(&target_entity).unwrap(), campaign.year)
        .await
        .unwrap();
    assert_eq!(
        stored.get(&target_code),
        Some(&"0.3".parse::<Decimal>().unwrap()),
        "cible exacte"
    );
}
