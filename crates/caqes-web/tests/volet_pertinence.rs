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
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{PertinenceSanctionKind, PertinenceTerms};
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::volets::lifecycle::VoletOutcome;
use caqes_store::volets::pertinence::Pertinence;
use caqes_store::{NewContract, ReceiptId, Role};

mod common;
use common::fixture::{self, FixtureApp};
use common::volet::{
    assert_evaluation_refused, assert_out_of_scope, assert_reached_once_targeted, euros,
    give_favourable_opinion, notify,
};

async fn story(t: &FixtureApp) {
    let own = t.own_entity();
    let campaign = t.campaign();
    let url = t.volet_url(own, "pertinence");
    let eval = format!("{url}/evaluation");
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;

    // The contract proposed to the own entity and received today, not yet
    // signed, with the volet pertinence and its terms (W10): an MSAP of 6 months,
    // an incentive of at most 100 000 €.
    let proposal = NewContract {
        received_on: Some(caqes_store::today()),
        additional: vec![(Volet::Pertinence, 3)],
        pertinence_terms: Some(PertinenceTerms {
            nature_sanction: PertinenceSanctionKind::Msap { duree_mois: 6 },
            plafond_interessement: euros(100_000),
        }),
    };
    let contract = t
        .store()
        .propose_contract(t.user(Role::Ars), &t.fixture.entities[0].entity, &proposal)
        .await
        .unwrap();

    // The ARS confirms the pertinence targeting (the own entity is atypical).
    t.import_pertinence_data(campaign.year).await;
    let confirm = async || {
        t.store()
            .confirm_pertinence_targeting(t.user(Role::Ars), campaign, &BTreeMap::new())
            .await
            .unwrap();
    };
    assert_reached_once_targeted(t, &mut ars, "pertinence", "ciblage/pertinence", confirm).await;

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
    // W10: the terms come from the signed contract; this one is only proposed.
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
    t.store()
        .sign_contract(t.user(Role::Etablissement), &contract, caqes_store::today())
        .await
        .unwrap();
    let p = ars.get(&url).await;
    assert!(
        p.body.contains(&format!(
            "Termes fixés au contrat signé : Sanction : mise sous accord préalable de 6 mois ; plafond de l&#x27;intéressement : {}.",
            euros(100_000)
        )) || p.body.contains(&format!(
            "Termes fixés au contrat signé : Sanction : mise sous accord préalable de 6 mois ; plafond de l'intéressement : {}.",
            euros(100_000)
        )),
        "{}",
        p.body
    );
    // French errors, nothing written.
    let p = ars.post(&eval, &form("")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Objectif principal"), "{}", p.body);
    assert!(t.own_versions::<Pertinence>().await.is_empty());

    // Roles and CSRF.
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let msap = form("non");
    assert_evaluation_refused(&mut am, &mut ars, &eval, &msap).await;

    // Met: 100 000 (the contract's ceiling, not the posted 1 €) × (0.5 + 0.5 × 0.75)
    // = 87 500 € of incentive.
    let p = ars.post(&eval, &form("oui")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let v = t.own_versions::<Pertinence>().await;
    assert_eq!(v[0].outcome, VoletOutcome::Interessement);
    assert_eq!(v[0].proposal.unwrap().amount(), euros(87_500));
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

    give_favourable_opinion(&mut am, &url, "").await;
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
    notify(&mut ars, &url, "2020-01-31").await;
    // A decision of 2020 went out on paper: the ARS records its receipt, from
    // which the appeal deadlines run.
    let notified = t.own_versions::<Pertinence>().await;
    t.store()
        .record_paper_receipt(
            t.user(Role::Ars),
            ReceiptKind::DecisionVolet,
            &ReceiptId::from(&notified[0].id),
            jiff::civil::date(2020, 1, 31),
        )
        .await
        .unwrap();

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
    // The appeal deadlines: two months from the notification.
    assert!(
        p.body.contains("id=\"recours\"")
            && p.body.contains(
                "Contestation de la sanction et de son montant : tribunal administratif, jusqu'au <strong>31 mars 2020</strong>"
            ),
        "{}",
        p.body
    );
    // The sum notified on the campaign, all volets together, lists the MSAP
    // without amount; the dossier links to it; another entity's is out of scope.
    let sum_url = format!("{}/volets", t.dossier(own));
    let p = etab.get(&sum_url).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body
            .contains("3 mois, du 31 janvier 2020 au 30 avril 2020"),
        "{}",
        p.body
    );
    let other_sum = format!("{}/volets", t.dossier(t.other_entity()));
    assert_eq!(etab.get(&other_sum).await.status, StatusCode::NOT_FOUND);
    let dossier = etab.get(&t.dossier(own)).await;
    assert!(dossier.body.contains(&format!("href=\"{sum_url}\"")));
    let v = t.own_versions::<Pertinence>().await;
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
    let v = t.own_versions::<Pertinence>().await;
    assert_eq!((v.len(), v[1].final_msap_months), (2, Some(0)));

    // Scope: another entity for the établissement, an admin, another region: 404.
    assert_out_of_scope(t, &mut etab, "pertinence", &msap).await;
}

#[tokio::test]
async fn volet_pertinence_on_sqlite() {
    fixture::on_sqlite(common::volet::fixture(2019), story).await;
}

#[tokio::test]
async fn volet_pertinence_on_postgres() {
    fixture::on_postgres(common::volet::fixture(2019), story).await;
}
