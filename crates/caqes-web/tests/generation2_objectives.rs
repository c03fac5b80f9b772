//! An establishment's own objective on the second-generation dossier (issue 13): the
//! ARS fixes it for a retained indicator, within the grid's bounds, until the contract
//! is proposed; the intéressement is computed against it. SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Euros;
use caqes_store::Role;
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::generation2::{Unit, campaign_on, euros, fixture, kinds_of, step, stored_campaign};

/// An establishment's own objective (issue 13): the ARS fixes N2-PERFADOM at −3 % a year
/// for the CHU instead of the grid's −5 %. By hand: 300 000 → 291 000 € is −3 %; bound
/// 300 000 × 0,97 = 291 000: met (on the grid's −5 %, 285 000: missed, nothing paid);
/// savings 9 000 €, 30 % → 2 700 €.
async fn own_objective(t: &FixtureApp) {
    let own = t.own_entity();
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let campaign_url =
        campaign_on(&mut ars, "exemple-regional-2022", "2024", "Objectif propre").await;
    let unit = Unit::new(&campaign_url, own);
    let page = step(
        &mut ars,
        &unit.at("ciblage"),
        &[
            ("m:N2-PERFADOM:0", "240000"),
            ("m:N2-PERFADOM:1", "86"),
            ("r:N2-PERFADOM", "on"),
        ],
    )
    .await;
    assert!(page.body.contains("Objectif de la grille"), "{}", page.body);
    assert!(page.body.contains("Fixer l'objectif"), "{}", page.body);

    let set = |value: &'static str| {
        vec![
            ("indicateur", "N2-PERFADOM"),
            ("valeur", value),
            ("date", "2024-03-15"),
        ]
    };
    let objective = unit.at("objectif");
    let p = etab.post(&objective, &set("3")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // More than 30 % a year: outside the bounds.
    let p = ars.post(&objective, &set("31")).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("au plus 30"), "{}", p.body);
    let page = step(&mut ars, &objective, &set("3")).await;
    assert!(
        page.body.contains("Objectif de l'établissement enregistré"),
        "{}",
        page.body
    );
    for expected in [
        "−3\u{a0}% par an",
        "fixé par l'ARS le 15 mars 2024",
        "grille : −5\u{a0}% par an",
    ] {
        assert!(
            page.body.contains(expected),
            "« {expected} » : {}",
            page.body
        );
    }
    let page = etab.get(&unit.dossier).await;
    assert!(
        page.body.contains("fixé par l'ARS le 15 mars 2024"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Fixer l'objectif"));

    // The contract states the objectives: they are frozen once it is proposed.
    unit.propose(&mut ars, "2024-01-01", "2026-12-31", "2024-01-15")
        .await;
    let p = ars.post(&objective, &set("4")).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("figés"), "{}", p.body);
    step(&mut etab, &unit.at("contrat/signer"), &[]).await;
    let page = step(
        &mut etab,
        &unit.at("valeurs"),
        &[
            ("v:N2-PERFADOM:2023:montant", "300000"),
            ("v:N2-PERFADOM:2024:montant", "291000"),
        ],
    )
    .await;
    // Met on its own objective: 9 000 € saved, 2 700 € of intéressement.
    assert!(page.body.contains(&euros(9_000)), "{}", page.body);
    assert!(page.body.contains(&euros(2_700)), "{}", page.body);
    let outcome = {
        let campaign = stored_campaign(t, &campaign_url).await;
        let grid = t
            .store()
            .campaign_objectives(&campaign)
            .await
            .unwrap()
            .unwrap();
        let file = t.store().g2_unit_file(&campaign, own).await.unwrap();
        let on_grid = caqes_store::generation2::UnitFile {
            objectives: Vec::new(),
            ..file.clone()
        };
        (
            caqes_store::generation2::evaluate(&grid, 2024, &file).unwrap(),
            caqes_store::generation2::evaluate(&grid, 2024, &on_grid).unwrap(),
        )
    };
    assert_eq!(outcome.0.total, Euros(Decimal::from(2_700)));
    assert_eq!(outcome.0.lignes[0].atteint, Some(true));
    // The grid's −5 % would have missed it: nothing paid.
    assert_eq!(outcome.1.total, Euros::ZERO);
    assert_eq!(outcome.1.lignes[0].atteint, Some(false));
    let kinds = kinds_of(t, Role::Etablissement).await;
    assert!(kinds.iter().any(|k| k == "g2_objectif_fixe"), "{kinds:?}");
}

#[tokio::test]
async fn own_objective_on_sqlite() {
    on_sqlite(fixture(), own_objective).await;
}

#[tokio::test]
async fn own_objective_on_postgres() {
    on_postgres(fixture(), own_objective).await;
}
