//! The transport volet page of a targeted entity through the router: the ARS
//! evaluates (French errors on bad fields), the AM gives its opinion, the ARS
//! decides within the ceiling and notifies; the établissement sees only the
//! notified version, the OMEDIT reads; scope (404), roles (403) and CSRF (403).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::sanction::Nature;
use caqes_store::Role;
use caqes_store::targeting::{TRANSPORTS, TargetingStatus};
use caqes_store::volets::transport::Transports;

mod common;
use common::fixture::{self, FixtureApp};
use common::volet::{
    OWN_SPENDING, assert_evaluation_refused, assert_out_of_scope, assert_reached_once_targeted,
    euros, give_favourable_opinion, notify,
};

async fn story(t: &FixtureApp) {
    let own = t.own_entity();
    let campaign = t.campaign();
    let url = t.volet_url(own, "transports");
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;

    // The ARS confirms the list (the own entity is targeted on its amount, the
    // other entity is not targeted).
    t.import_transport_spending(campaign.year).await;
    let screen = t.campaign_url("ciblage");
    let confirm = async || {
        let mut ars = t.logged_in(Role::Ars).await;
        ars.get(&screen).await;
        let p = ars.post(&format!("{screen}/confirmer"), &[]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    };
    assert_reached_once_targeted(t, &mut ars, "transports", "ciblage", confirm).await;
    let confirmed = t
        .store()
        .confirmed_targeting(&campaign.id, TRANSPORTS)
        .await
        .unwrap();
    let not_targeted = confirmed
        .iter()
        .find(|c| c.status == TargetingStatus::NonCible)
        .unwrap()
        .entity;
    let p = ars.get(&t.volet_url(not_targeted, "transports")).await;
    assert!(p.body.contains("id=\"non-cible\"") && !p.body.contains("form-evaluation"));

    // The observed spending is prefilled from the imported transport data.
    let p = ars.get(&url).await;
    assert!(
        p.body.contains(&format!("value=\"{}\"", OWN_SPENDING.1)),
        "{}",
        p.body
    );

    let eval = format!("{url}/evaluation");
    let good: Vec<(&str, &str)> = vec![
        ("cible_atteinte", "non"),
        ("objectif_supplementaire", "non_atteint"),
        ("depenses_previsionnelles", "1 200 000"),
        ("depenses_observees", "1000000"),
        ("produits_am", "80000000"),
        ("progression", "25"),
    ];

    // Wrong role and missing CSRF: refused, nothing written.
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    am.get(&url).await;
    assert_evaluation_refused(&mut am, &mut ars, &eval, &good).await;
    let mut bad = good.clone();
    bad[5] = ("progression", "120");
    let p = ars.post(&eval, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Progression du plan d'actions"),
        "{}",
        p.body
    );
    let mut bad = good.clone();
    bad[2] = ("depenses_previsionnelles", "beaucoup");
    let p = ars.post(&eval, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Dépenses prévisionnelles sans mesures"));
    assert!(t.own_versions::<Transports>().await.is_empty());

    // Target not met, objective not met → sanction, 1 % of 80 M€ × (1 − 25 %).
    assert_eq!(ars.post(&eval, &good).await.status, StatusCode::SEE_OTHER);
    let stored = t.own_versions::<Transports>().await;
    let proposal = stored[0].proposal.unwrap();
    assert_eq!(proposal.nature(), Nature::Sanction);
    assert_eq!(proposal.ceiling(), euros(800_000));
    assert_eq!(proposal.amount(), euros(600_000));
    let p = ars.get(&url).await;
    assert!(p.body.contains("id=\"issue-1\">Sanction<"), "{}", p.body);

    // The établissement does not see a version before its notification.
    let p = etab.get(&url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        !p.body.contains("version-1")
            && !p.body.contains("<form method=\"post\" action=\"/campagnes")
    );

    // AM opinion, then the bounded decision. The form is the volet obligatoire's:
    // radio buttons, and an unfavourable opinion without a comment is refused.
    let p = am.get(&url).await;
    assert!(
        p.body.contains("type=\"radio\" id=\"avis-defavorable\"")
            && p.body.contains("Défavorable (commentaire obligatoire)"),
        "{}",
        p.body
    );
    let p = am
        .post(
            &format!("{url}/avis"),
            &[("avis", "defavorable"), ("commentaire", " ")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("doit être motivé"), "{}", p.body);
    give_favourable_opinion(&mut am, &url, "ok").await;
    let decide = format!("{url}/decision");
    ars.get(&url).await;
    let p = ars
        .post(&decide, &[("montant", "800000,01"), ("motivation", "m")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = ars
        .post(&decide, &[("montant", "500000"), ("motivation", "")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = ars
        .post(
            &decide,
            &[("montant", "500 000"), ("motivation", "Plan engagé")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        etab.post(&decide, &[("montant", "0"), ("motivation", "x")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The notification date is prefilled with today (Europe/Paris), as on the volet
    // obligatoire's page.
    let p = ars.get(&url).await;
    assert!(
        p.body.contains(&format!(
            "name=\"date_notification\" value=\"{}\" required",
            caqes_store::today()
        )),
        "{}",
        p.body
    );
    notify(&mut ars, &url, "2019-09-15").await;

    // Frozen: another decision is refused with a French message.
    let p = ars
        .post(&decide, &[("montant", "1"), ("motivation", "x")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("notifiée"));

    let p = etab.get(&url).await;
    assert!(p.body.contains("id=\"notifiee-1\""), "{}", p.body);
    assert!(p.body.contains("Plan engagé"));
    let mut omedit = t.logged_in(Role::Omedit).await;
    let p = omedit.get(&url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("version-1") && !p.body.contains("form-correction"));

    // Scope: another entity for the établissement, an admin, another region: 404.
    assert_out_of_scope(t, &mut etab, "transports", &good).await;
    assert_eq!(
        ars.get(&format!(
            "/campagnes/inconnue/dossiers/{own}/volets/transports"
        ))
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn volet_transport_on_sqlite() {
    fixture::on_sqlite(common::volet::fixture(2019), story).await;
}

#[tokio::test]
async fn volet_transport_on_postgres() {
    fixture::on_postgres(common::volet::fixture(2019), story).await;
}
