//! The pertinence volet page of a targeted entity through the router: the ARS
//! evaluates (French errors on bad fields), the engine gives the consequence
//! (incentive, retention or mise sous accord préalable), the AM gives its
//! opinion, the ARS decides an MSAP in months and notifies it; the établissement
//! sees the notified version with the MSAP's period; scope (404), roles (403)
//! and CSRF (403).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_core::Euros;
use caqes_store::Role;
use caqes_store::volets::lifecycle::VoletOutcome;
use caqes_store::volets::pertinence::Pertinence;
use rust_decimal::Decimal;

mod common;
use common::TestApp;

fn euros(s: &str) -> Euros {
    Euros(s.parse::<Decimal>().unwrap())
}

async fn story(t: &TestApp) {
    let own = t.demo.own_entity;
    let url = format!("{}/volets/pertinence", t.dossier(own));
    let eval = format!("{url}/evaluation");
    let mut ars = t.logged_in(Role::Ars).await;

    // The demo's previous campaign has a notified MSAP: 6 months in the
    // contract, 4 pronounced (motivated), notified on 15 September 2019.
    let demo = t
        .store()
        .volet_versions::<Pertinence>(&t.demo.previous_campaign_id, &own)
        .await
        .unwrap();
    assert_eq!(demo.len(), 1);
    assert_eq!(demo[0].outcome, VoletOutcome::MiseSousAccordPrealable);
    assert_eq!(demo[0].final_msap_months, Some(4));
    let mut etab = t.logged_in(Role::Etablissement).await;
    let p = etab
        .get(&format!(
            "/campagnes/{}/dossiers/{own}/volets/pertinence",
            t.demo.previous_campaign_id
        ))
        .await;
    assert!(
        p.body.contains("id=\"notifiee-1\"")
            && p.body
                .contains("id=\"periode-msap-1\">du 15 septembre 2019 au 14 janvier 2020"),
        "{}",
        p.body
    );

    // The appeal deadlines: two months from the notification.
    assert!(
        p.body.contains("id=\"recours\"")
            && p.body.contains(
                "Contestation de la sanction et de son montant : tribunal administratif, jusqu'au <strong>15 novembre 2019</strong>"
            ),
        "{}",
        p.body
    );

    // The sum notified on the previous campaign, all volets together: the
    // transport incentive (+21 000 €), the qualité sanction (−356 250 €), the
    // MSAP listed without amount.
    let sum_url = format!(
        "/campagnes/{}/dossiers/{own}/volets",
        t.demo.previous_campaign_id
    );
    let p = etab.get(&sum_url).await;
    assert_eq!(p.status, StatusCode::OK);
    for expected in [
        format!("id=\"total-interessements\">{}<", euros("21000")),
        format!("id=\"total-sanctions\">{}<", euros("356250")),
        format!("id=\"somme-nette\">{}<", euros("-335250")),
        "4 mois, du 15 septembre 2019 au 14 janvier 2020".to_owned(),
    ] {
        assert!(p.body.contains(&expected), "{expected}: {}", p.body);
    }
    let other_sum = format!(
        "/campagnes/{}/dossiers/{}/volets",
        t.demo.previous_campaign_id, t.demo.other_entity
    );
    assert_eq!(etab.get(&other_sum).await.status, StatusCode::NOT_FOUND);
    let dossier = etab
        .get(&format!(
            "/campagnes/{}/dossiers/{own}",
            t.demo.previous_campaign_id
        ))
        .await;
    assert!(dossier.body.contains(&format!("href=\"{sum_url}\"")));

    // Not yet confirmed as targeted: a French message and no form.
    let p = ars.get(&url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"non-cible\""), "{}", p.body);
    assert!(!p.body.contains("form-evaluation"));

    // The ARS confirms the demo's pertinence targeting (the CHU is atypical).
    let campaign = t
        .store()
        .campaign(&t.demo.campaign_id)
        .await
        .unwrap()
        .unwrap();
    let ars_email = &t
        .demo
        .accounts
        .iter()
        .find(|a| a.role == Role::Ars)
        .unwrap()
        .email;
    let ars_user = t.store().user_by_email(ars_email).await.unwrap().unwrap();
    t.store()
        .confirm_pertinence_targeting(&ars_user, &campaign, &BTreeMap::new())
        .await
        .unwrap();

    // Reached from the targeting screen and from the dossier.
    let screen = ars
        .get(&format!(
            "/campagnes/{}/ciblage/pertinence",
            t.demo.campaign_id
        ))
        .await;
    assert!(
        screen.body.contains(&format!("href=\"{url}\"")),
        "{}",
        screen.body
    );
    let dossier = ars.get(&t.dossier(own)).await;
    assert!(
        dossier.body.contains(&format!("href=\"{url}\"")),
        "{}",
        dossier.body
    );
    let p = ars.get(&url).await;
    assert!(p.body.contains("form-evaluation"), "{}", p.body);

    let form = |principal: &'static str| {
        vec![
            ("objectif_principal", principal),
            ("libelle_0", "Taux de chirurgie ambulatoire"),
            ("poids_0", "1"),
            ("realisation_0", "100"),
            ("libelle_1", "Formation des prescripteurs"),
            ("poids_1", "1"),
            ("realisation_1", "50"),
            // W10: posted terms are not read; the contract's are.
            ("nature_sanction", "retenue"),
            ("plafond_interessement", "1"),
            ("produits_am", "20 000 000"),
        ]
    };
    // W10: the terms come from the signed contract; the demo's is only proposed.
    let p = ars.get(&url).await;
    assert!(
        p.body
            .contains("Termes du contrat indisponibles : aucun contrat signé"),
        "{}",
        p.body
    );
    let p = ars.post(&eval, &form("oui")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains("Évaluation impossible : aucun contrat signé"),
        "{}",
        p.body
    );
    let owner_email = &t
        .demo
        .accounts
        .iter()
        .find(|a| a.role == Role::Etablissement)
        .unwrap()
        .email;
    let owner = t.store().user_by_email(owner_email).await.unwrap().unwrap();
    let contract = t.store().contract_of(&own).await.unwrap().unwrap();
    t.store()
        .sign_contract(&owner, &contract, caqes_store::today())
        .await
        .unwrap();
    let p = ars.get(&url).await;
    assert!(
        p.body.contains(&format!(
            "Termes fixés au contrat signé : Sanction : mise sous accord préalable de 6 mois ; plafond de l&#x27;intéressement : {}.",
            euros("100000")
        )) || p.body.contains(&format!(
            "Termes fixés au contrat signé : Sanction : mise sous accord préalable de 6 mois ; plafond de l'intéressement : {}.",
            euros("100000")
        )),
        "{}",
        p.body
    );
    // French errors, nothing written.
    let p = ars.post(&eval, &form("")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Objectif principal"), "{}", p.body);
    assert!(
        t.store()
            .volet_versions::<Pertinence>(&campaign.id, &own)
            .await
            .unwrap()
            .is_empty()
    );

    // Roles and CSRF.
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let msap = form("non");
    assert_eq!(am.post(&eval, &msap).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ars.post_raw(&eval, &msap).await.status,
        StatusCode::FORBIDDEN
    );

    // Met: 100 000 (the contract's ceiling, not the posted 1 €) × (0.5 + 0.5 × 0.75)
    // = 87 500 € of incentive.
    let p = ars.post(&eval, &form("oui")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let v = t
        .store()
        .volet_versions::<Pertinence>(&campaign.id, &own)
        .await
        .unwrap();
    assert_eq!(v[0].outcome, VoletOutcome::Interessement);
    assert_eq!(v[0].proposal.unwrap().amount(), euros("87500"));
    let p = ars.get(&url).await;
    assert!(
        p.body.contains("id=\"modulation-1\">87,5\u{202f}%"),
        "{}",
        p.body
    );
    // Not met with an MSAP in the contract: the consequence is the MSAP.
    let p = ars.post(&eval, &msap).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = ars.get(&url).await;
    assert!(
        p.body.contains("Mise sous accord préalable")
            && p.body.contains("id=\"duree-prevue-1\">6 mois")
            && !p.body.contains("id=\"modulation-1\""),
        "{}",
        p.body
    );

    // The établissement sees nothing before the notification.
    let p = etab.get(&url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("version-1"), "{}", p.body);

    let p = am
        .post(
            &format!("{url}/avis"),
            &[("avis", "favorable"), ("commentaire", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // The decision form asks for months; shorter needs a motivation.
    let p = ars.get(&url).await;
    assert!(
        p.body.contains("name=\"duree_mois\" value=\"6\"") && !p.body.contains("name=\"montant\""),
        "{}",
        p.body
    );
    let decision = format!("{url}/decision");
    let p = ars
        .post(&decision, &[("duree_mois", "3"), ("motivation", "")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("motivation"), "{}", p.body);
    let p = ars
        .post(&decision, &[("montant", "0"), ("motivation", "")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("décidez de sa durée"), "{}", p.body);
    let p = ars
        .post(
            &decision,
            &[
                ("duree_mois", "3"),
                ("motivation", "Premiers résultats du plan d'actions"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = ars
        .post(
            &format!("{url}/notification"),
            &[("date_notification", "2020-01-31")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // The établissement sees the notified MSAP and its period: there is no 31
    // April, so 3 months from 31 January end on 30 April.
    let p = etab.get(&url).await;
    assert!(p.body.contains("id=\"notifiee-1\""), "{}", p.body);
    assert!(
        p.body.contains("id=\"duree-decidee-1\">3 mois")
            && p.body
                .contains("id=\"periode-msap-1\">du 31 janvier 2020 au 30 avril 2020"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("form-"), "{}", p.body);
    let v = t
        .store()
        .volet_versions::<Pertinence>(&campaign.id, &own)
        .await
        .unwrap();
    assert!(v[0].is_frozen());
    assert_eq!(v[0].final_msap_months, Some(3));

    // Correction in months too, with its reason.
    let p = ars
        .post(
            &format!("{url}/correction"),
            &[
                ("duree_mois", "0"),
                ("motivation", "recours gracieux"),
                ("motif", "mesures déjà prises"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let v = t
        .store()
        .volet_versions::<Pertinence>(&campaign.id, &own)
        .await
        .unwrap();
    assert_eq!((v.len(), v[1].final_msap_months), (2, Some(0)));

    // Scope: another entity for the établissement, an admin, another region: 404.
    let other_url = format!("{}/volets/pertinence", t.dossier(t.demo.other_entity));
    assert_eq!(etab.get(&other_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        etab.post(&format!("{other_url}/avis"), &[("avis", "favorable")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut admin = t.logged_in(Role::Admin).await;
    assert_eq!(admin.get(&url).await.status, StatusCode::NOT_FOUND);
    let mut other = t.other_region_ars().await;
    assert_eq!(other.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.post(&eval, &msap).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn volet_pertinence_on_sqlite() {
    common::on_sqlite(story).await;
}

#[tokio::test]
async fn volet_pertinence_on_postgres() {
    common::on_postgres(story).await;
}
