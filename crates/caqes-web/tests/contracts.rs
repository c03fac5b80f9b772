//! Contract pages through the router (no port bound): each role's view, the
//! établissement's signature / refusal (with confirmation) / hearing, the ARS's
//! proposal, hearing date, avenant and résiliation, 404 outside the scope and
//! CSRF refused. On the store's fixture, each contract's history written
//! through the store as the ARS and the établissement would (see
//! [`contract_history`]); SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL`
//! is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeSet;

use axum::http::StatusCode;
use caqes_core::Finess;
use caqes_core::volets::Volet;
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::{Contract, ContractState, NewContract, Role};
use jiff::Span;
use jiff::civil::{Date, date};

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::password;

fn fr(d: jiff::civil::Date) -> String {
    caqes_documents::format::date(d)
}

fn today() -> jiff::civil::Date {
    caqes_web::dossier::today()
}

fn plus(days: i64) -> jiff::civil::Date {
    today().checked_add(Span::new().days(days)).unwrap()
}

/// The story's region: the établissement user's own entity, the entity whose
/// contract the ARS amends, the one that refused, the one whose volet qualité
/// was terminated; an administrator, the other region and a campaign (the
/// dossier links to the contract).
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity("Centre hospitalier universitaire")
        .entity("Clinique du Canal")
        .entity("Clinique du Refus")
        .entity("Hôpital de la Résiliation")
        .other_region()
        .admin()
        .campaign(2018)
}

/// The entity that refused its contract in 2017 (the third).
fn refused(t: &FixtureApp) -> Finess {
    t.fixture.entities[2].entity.finess
}

/// `additional` proposed by the ARS to `finess`, received on `received_on`.
async fn propose(
    t: &FixtureApp,
    finess: Finess,
    additional: Vec<(Volet, u8)>,
    received_on: Date,
) -> Contract {
    let entity = t.store().legal_entity(&finess).await.unwrap().unwrap();
    let proposal = NewContract {
        received_on: Some(received_on),
        additional,
        pertinence_terms: None,
    };
    t.store()
        .propose_contract(t.user(Role::Ars), &entity, &proposal)
        .await
        .unwrap()
}

/// The contracts the story starts from, written through the store:
/// - own entity: the volet obligatoire proposed, received 3 days ago (J-12);
/// - second entity: the volet transports for 5 years too, received on
///   6 November 2017, signed on the 13th, an avenant signed on 15 June 2018 (in
///   force on 1 January 2019);
/// - third entity: received on 6 November 2017, refused on the 10th;
/// - fourth entity: transports and qualité, signed on 13 November 2017, the
///   volet qualité terminated on 4 March 2019.
async fn contract_history(t: &FixtureApp) {
    let store = t.store();
    let ars = t.user(Role::Ars);
    let [own, other, refused, terminated] = t.fixture.finess().unwrap();
    let etab = |finess| t.fixture.etab(finess).unwrap();
    let received_2017 = date(2017, 11, 6);
    let three_days_ago = today().checked_sub(Span::new().days(3)).unwrap();
    propose(t, own, Vec::new(), three_days_ago).await;

    let c = propose(t, other, vec![(Volet::Transports, 5)], received_2017).await;
    let c = store
        .sign_contract(etab(other), &c, date(2017, 11, 13))
        .await
        .unwrap();
    store
        .record_amendment(
            ars,
            &c,
            "Actualisation annuelle du plan d'actions du contrat socle",
            date(2018, 6, 15),
        )
        .await
        .unwrap();

    let c = propose(t, refused, Vec::new(), received_2017).await;
    store
        .refuse_contract(etab(refused), &c, date(2017, 11, 10))
        .await
        .unwrap();

    let volets = vec![(Volet::Transports, 5), (Volet::Qualite, 3)];
    let c = propose(t, terminated, volets, received_2017).await;
    let c = store
        .sign_contract(etab(terminated), &c, date(2017, 11, 13))
        .await
        .unwrap();
    store
        .terminate_volet(
            ars,
            &c,
            Volet::Qualite,
            "Résiliation d'un commun accord : objectifs repris dans le volet obligatoire",
            date(2019, 3, 4),
        )
        .await
        .unwrap();
}

async fn story(t: &FixtureApp) {
    contract_history(t).await;
    // The audit lines written before the web actions, left out of the check at the end.
    let before: BTreeSet<_> = t
        .store()
        .audit_in_region(&REGION, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    let own = t.own_entity();
    let other = t.other_entity();
    let refused = refused(t);
    let own_url = format!("/contrats/{own}");
    let other_url = format!("/contrats/{other}");
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut omedit = t.logged_in(Role::Omedit).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let mut admin = t.logged_in(Role::Admin).await;

    // Home links to the contracts; the dossier links to the entity's contract.
    assert!(ars.get("/").await.body.contains("id=\"lien-contrats\""));
    let dossier = etab.get(&t.dossier(own)).await;
    assert!(dossier.body.contains(&format!("href=\"{own_url}\"")));

    // ARS: the region's table with the pending proposal's deadline (received 3 days ago).
    let list = ars.get("/contrats").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains(&format!(
            "fin du délai de signature : {} (J-12)",
            fr(plus(12))
        )),
        "{}",
        list.body
    );
    assert!(list.body.contains("refusé"));
    assert!(list.body.contains("Qualité (résilié)"), "{}", list.body);
    assert!(list.body.contains("id=\"formulaire-proposition\""));
    // AM and OMEDIT read the region, without any form.
    for c in [&mut am, &mut omedit] {
        let p = c.get("/contrats").await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("J-12"));
        assert!(!p.body.contains("formulaire-proposition"));
        let p = c.get(&other_url).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("1er janvier 2019"), "{}", p.body);
        assert!(!p.body.contains("formulaire-avenant"));
    }
    // The admin has no regional scope here; the établissement is sent to its own contract.
    assert_eq!(admin.get("/contrats").await.status, StatusCode::NOT_FOUND);
    let p = etab.get("/contrats").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some(own_url.as_str()));

    // The établissement sees its contract only.
    let page = etab.get(&own_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"signer\""));
    assert!(page.body.contains("id=\"formulaire-audition\""));
    assert_eq!(etab.get(&other_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        etab.post(&format!("{other_url}/signer"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    // Unknown entity: 404 too.
    assert_eq!(
        ars.get("/contrats/310009999").await.status,
        StatusCode::NOT_FOUND
    );

    // Signing / refusing / asking a hearing belong to the établissement.
    ars.get(&own_url).await;
    for path in ["signer", "refuser", "audition"] {
        let p = ars.post(&format!("{own_url}/{path}"), &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        let p = am.post(&format!("{own_url}/{path}"), &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
    }
    // CSRF is checked before anything.
    etab.get(&own_url).await;
    let forged = etab
        .post_raw(&format!("{own_url}/signer"), &[("_csrf", "faux")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Refusal first asks for confirmation and explains the sanction.
    let confirm = etab.post(&format!("{own_url}/refuser"), &[]).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("id=\"confirmation-refus\""));
    assert!(
        confirm.body.contains(&format!(
            "notifiée à partir du <strong>{}</strong>",
            fr(plus(13))
        )),
        "{}",
        confirm.body
    );
    let contract = t.store().contract_of(&own).await.unwrap().unwrap();
    assert_eq!(contract.state, ContractState::Propose);

    // Hearing asked today; the ARS fixes it in 20 days: the deadline follows.
    let p = etab.post(&format!("{own_url}/audition"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // Issue 10: the page confirms the request and states one deadline: the
    // hearing's day, not also the initial 15 days' last day.
    let page = etab.get(&own_url).await;
    assert!(
        page.body.contains("id=\"confirmation\"")
            && page.body.contains("Demande d'audition enregistrée"),
        "{}",
        page.body
    );
    let initial_end = t
        .store()
        .contract_of(&own)
        .await
        .unwrap()
        .unwrap()
        .signature_period(&caqes_core::calendar::CalendarParameters::default())
        .unwrap()
        .fin_initiale;
    assert!(
        page.body.contains("id=\"delai-reponse\">Vous pouvez signer le contrat ou le refuser jusqu'au jour de l'audition"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&fr(initial_end)), "{}", page.body);
    assert!(page.body.contains("prolongé jusqu'à l'audition"));
    // The message is shown once.
    assert!(
        !etab
            .get(&own_url)
            .await
            .body
            .contains("id=\"confirmation\"")
    );
    let again = etab.post(&format!("{own_url}/audition"), &[]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("déjà été demandée"));
    let p = ars.get("/contrats").await;
    assert!(p.body.contains("prolongé jusqu'à l'audition"), "{}", p.body);
    let bad = ars
        .post(
            &format!("{own_url}/audition/date"),
            &[("date_audition", "demain")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Champ « date de l'audition »"));
    let hearing = plus(20).to_string();
    let p = ars
        .post(
            &format!("{own_url}/audition/date"),
            &[("date_audition", hearing.as_str())],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let list = ars.get("/contrats").await;
    assert!(
        list.body.contains(&format!(
            "fin du délai de signature : {} (J-20)",
            fr(plus(20))
        )),
        "{}",
        list.body
    );

    // Signature: in force on 1 January of next year; nothing more to answer.
    let p = etab.post(&format!("{own_url}/signer"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = etab.get(&own_url).await;
    let next_year = jiff::civil::date(today().year() + 1, 1, 1);
    assert!(
        page.body
            .contains(&format!("Entrée en vigueur : {}", fr(next_year))),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"signer\""));
    let late = etab
        .post(&format!("{own_url}/refuser"), &[("confirmation", "oui")])
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("le contrat est signé"), "{}", late.body);
    assert_eq!(
        t.store().contract_of(&own).await.unwrap().unwrap().state,
        ContractState::Signe
    );

    // Avenant and résiliation: ARS only, dates computed by the calendar.
    for c in [&mut am, &mut omedit, &mut etab] {
        let p = c
            .post(
                &format!("{other_url}/avenants"),
                &[("objet", "x"), ("date_signature", "2018-09-01")],
            )
            .await;
        assert!(
            matches!(p.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}",
            p.status
        );
    }
    ars.get(&other_url).await;
    let bad = ars
        .post(
            &format!("{other_url}/avenants"),
            &[("objet", "Ajustement"), ("date_signature", "01/09/2018")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("Champ « date de signature de l'avenant »")
    );
    let p = ars
        .post(
            &format!("{other_url}/avenants"),
            &[
                ("objet", "Ajustement des objectifs de pertinence"),
                ("date_signature", "2020-09-01"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = ars.get(&other_url).await;
    assert!(page.body.contains("Ajustement des objectifs de pertinence"));
    assert!(page.body.contains("1er janvier 2021"));
    let p = ars
        .post(
            &format!("{other_url}/resiliations"),
            &[
                ("volet", "transports"),
                ("motif", "Décision consensuelle"),
                ("date_signature", "2020-05-02"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = ars.get(&other_url).await;
    assert!(
        page.body.contains("résilié au 31 décembre 2020"),
        "{}",
        page.body
    );
    // The volet obligatoire cannot be terminated.
    let p = ars
        .post(
            &format!("{other_url}/resiliations"),
            &[
                ("volet", "obligatoire"),
                ("motif", "x"),
                ("date_signature", "2020-05-02"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("ne peut pas être résilié"));

    // A new proposal to the entity that refused: durations checked, then created.
    ars.get("/contrats").await;
    let reception = today().to_string();
    let bad = ars
        .post(
            "/contrats",
            &[
                ("finess", refused.as_str()),
                ("reception", reception.as_str()),
                ("transports", "oui"),
                ("duree_transports", "9"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("entre 1 et 5 ans"), "{}", bad.body);
    // W10: the volet pertinence needs its terms (nature of the sanction, ceiling).
    let with_pertinence = |nature: &'static str, months: &'static str| {
        vec![
            ("finess", refused.as_str()),
            ("reception", reception.as_str()),
            ("qualite", "oui"),
            ("duree_qualite", "2"),
            ("pertinence", "oui"),
            ("duree_pertinence", "3"),
            ("nature_pertinence", nature),
            ("duree_msap_pertinence", months),
            ("plafond_pertinence", "50 000"),
        ]
    };
    for (fields, expected) in [
        (
            with_pertinence("", ""),
            "choisissez la nature de la sanction",
        ),
        (with_pertinence("msap", "9"), "entre 1 et 6 mois"),
    ] {
        let bad = ars.post("/contrats", &fields).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{expected}");
        assert!(bad.body.contains(expected), "{expected}: {}", bad.body);
    }
    let p = ars.post("/contrats", &with_pertinence("retenue", "")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let c = t.store().contract_of(&refused).await.unwrap().unwrap();
    assert_eq!(c.state, ContractState::Propose);
    assert_eq!(c.volets.len(), 3);
    let page = ars.get(&format!("/contrats/{refused}")).await;
    let terms = format!(
        "id=\"termes-pertinence\">Sanction : retenue sur les produits de l'assurance maladie (au plus 1 %) ; plafond de l'intéressement : {}",
        caqes_core::Euros(rust_decimal::Decimal::new(50_000, 0))
    );
    assert!(page.body.contains(&terms), "{terms}: {}", page.body);
    // That entity's own user answers it; the own entity's établissement user cannot.
    let refuser_email = t.fixture.etab(refused).unwrap().email.clone();
    let mut refuser = t
        .login(refuser_email.as_str(), &password(Role::Etablissement))
        .await;
    refuser.get(&format!("/contrats/{refused}")).await;
    let p = refuser
        .post(
            &format!("/contrats/{refused}/refuser"),
            &[("confirmation", "oui")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        etab.post(&format!("/contrats/{refused}/signer"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Audit lines of the web actions (not of the history written before them).
    let audit: Vec<_> = t
        .store()
        .audit_in_region(&REGION, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| !before.contains(&l.id))
        .collect();
    for action in [
        "contrat.demander_audition",
        "contrat.fixer_audition",
        "contrat.signer",
        "contrat.avenant",
        "contrat.resilier_volet",
        "contrat.refuser",
        "contrat.proposer",
    ] {
        assert!(audit.iter().any(|l| l.action == action), "{action}");
    }
}

#[tokio::test]
async fn contracts_on_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn contracts_on_postgres() {
    on_postgres(fixture(), story).await;
}

/// The ARS of another region sees nothing of this region's contracts: 404 on a contract
/// and on its actions, the entity absent from its list. On the store's fixture: one
/// entity with a proposed contract, and the other region's ARS.
#[tokio::test]
async fn another_region_gets_404() {
    let t = FixtureApp::sqlite(
        Fixture::builder()
            .entity("Centre hospitalier Alpha")
            .other_region(),
    )
    .await;
    let own = t.own_entity();
    t.store()
        .propose_contract(
            t.user(Role::Ars),
            &t.fixture.entities[0].entity,
            &NewContract {
                pertinence_terms: None,
                received_on: None,
                additional: Vec::new(),
            },
        )
        .await
        .unwrap();
    // The region's own ARS sees it.
    let mut ars = t.logged_in(Role::Ars).await;
    assert_eq!(
        ars.get(&format!("/contrats/{own}")).await.status,
        StatusCode::OK
    );
    let idf_ars = t.fixture.ars_other().unwrap();
    let mut idf = t.login(idf_ars.email.as_str(), &password(Role::Ars)).await;
    assert_eq!(
        idf.get(&format!("/contrats/{own}")).await.status,
        StatusCode::NOT_FOUND
    );
    let list = idf.get("/contrats").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(own.as_str()));
    for (path, fields) in [
        (
            "avenants",
            vec![("objet", "x"), ("date_signature", "2020-01-02")],
        ),
        ("audition/date", vec![("date_audition", "2030-01-02")]),
    ] {
        let p = idf.post(&format!("/contrats/{own}/{path}"), &fields).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
    }
    let own_text = own.to_string();
    let p = idf
        .post(
            "/contrats",
            &[("finess", own_text.as_str()), ("reception", "2020-01-02")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    t.db.cleanup().await.unwrap();
}
