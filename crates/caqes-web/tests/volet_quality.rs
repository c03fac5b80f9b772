//! The qualité volet page of a targeted entity through the router: the ARS
//! evaluates (French error on a bad field), the engine proposes 1 % of the AM
//! revenue × r(risks) × (1 − share met), the AM gives its opinion, the ARS
//! decides and notifies; the établissement sees only the notified version;
//! scope (404), roles (403) and CSRF (403).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_store::Role;
use caqes_store::volets::qualite::Qualite;

mod common;
use common::fixture::{self, FixtureApp};
use common::volet::{
    assert_evaluation_refused, assert_out_of_scope, assert_reached_once_targeted, euros,
    give_favourable_opinion, notify,
};

async fn story(t: &FixtureApp) {
    let own = t.own_entity();
    let campaign = t.campaign();
    let url = t.volet_url(own, "qualite");
    let eval = format!("{url}/evaluation");
    let mut ars = t.logged_in(Role::Ars).await;

    // The ARS confirms the quality targeting: ICALIN2 class D and D3.1 at
    // 8,5 % target the own entity on two risks.
    t.import_quality_indicators(campaign.year).await;
    let confirm = async || {
        t.store()
            .confirm_quality_targeting(
                t.user(Role::Ars),
                campaign,
                &BTreeMap::new(),
                &BTreeMap::new(),
            )
            .await
            .unwrap();
    };
    assert_reached_once_targeted(t, &mut ars, "qualite", "ciblage/qualite", confirm).await;
    let good = [
        ("libelle_0", "Réduction des infections"),
        ("poids_0", "1"),
        ("realisation_0", "50"),
        ("produits_am", "2 000 000"),
    ];
    let bad = [
        ("libelle_0", "Réduction des infections"),
        ("poids_0", "1"),
        ("realisation_0", "150"),
        ("produits_am", "2000000"),
    ];
    let p = ars.post(&eval, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Objectif 1") && p.body.contains("150"),
        "{}",
        p.body
    );
    assert!(t.own_versions::<Qualite>().await.is_empty());

    // Roles and CSRF.
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    assert_evaluation_refused(&mut am, &mut ars, &eval, &good).await;

    // Two risks, half met: 2 000 000 € × 1 % = 20 000 € × 75 % × 50 % = 7 500 €.
    let p = ars.post(&eval, &good).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let q = t.own_versions::<Qualite>().await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].evaluation.targeted_risks, 2);
    assert_eq!(q[0].proposal.unwrap().amount(), euros(7_500));
    assert_eq!(q[0].proposal.unwrap().ceiling(), euros(20_000));

    // The établissement sees nothing before the notification.
    let mut etab = t.logged_in(Role::Etablissement).await;
    let p = etab.get(&url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("version-1"), "{}", p.body);

    give_favourable_opinion(&mut am, &url, "").await;
    // Above the ceiling: a French refusal.
    let p = ars
        .post(
            &format!("{url}/decision"),
            &[("montant", "20000,01"), ("motivation", "au-delà")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = ars
        .post(
            &format!("{url}/decision"),
            &[("montant", "7500"), ("motivation", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    notify(&mut ars, &url, "2020-07-01").await;
    let p = etab.get(&url).await;
    assert!(p.body.contains("id=\"notifiee-1\""), "{}", p.body);
    assert!(!p.body.contains("form-"), "{}", p.body);
    let q = t.own_versions::<Qualite>().await;
    assert!(q[0].is_frozen());
    assert_eq!(q[0].final_amount, Some(euros(7_500)));

    // Correction: the reason is required (French message), then version 2.
    let correction = format!("{url}/correction");
    let p = ars.get(&url).await;
    assert!(p.body.contains("form-correction") && !p.body.contains("form-decision"));
    assert_eq!(
        am.post(
            &correction,
            &[("montant", "7000"), ("motivation", "x"), ("motif", "y")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let p = ars
        .post(
            &correction,
            &[
                ("montant", "7000"),
                ("motivation", "erreur de produits"),
                ("motif", " "),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("motif de la correction est obligatoire"),
        "{}",
        p.body
    );
    let p = ars
        .post(
            &correction,
            &[
                ("montant", "7000"),
                ("motivation", "erreur de produits"),
                ("motif", "produits AM rectifiés"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let q = t.own_versions::<Qualite>().await;
    assert_eq!(q.len(), 2);
    assert_eq!(q[1].final_amount, Some(euros(7_000)));
    assert!(q[0].is_frozen() && !q[1].is_frozen());

    // Scope: another entity for the établissement, an admin, another region: 404.
    assert_out_of_scope(t, &mut etab, "qualite", &good).await;
}

#[tokio::test]
async fn volet_quality_on_sqlite() {
    fixture::on_sqlite(common::volet::fixture(2019), story).await;
}

#[tokio::test]
async fn volet_quality_on_postgres() {
    fixture::on_postgres(common::volet::fixture(2019), story).await;
}
