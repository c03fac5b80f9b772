//! The Assurance Maladie's figures through the router: the AM revenue and the
//! liste en sus (form per entity and CSV, exact decimals, audited, all or
//! nothing), and the liste en sus as the basis of the sanction (30 % ceiling,
//! chosen by the ARS only, fixed by the AM opinion); scope, roles and CSRF.
//! SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Euros;
use caqes_core::sanction::Basis;
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder, REFERENTIEL, REGION};
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Two entities of the region with their AM revenue, as the Assurance Maladie
/// gave it (the établissement user's first).
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity("Centre hospitalier de Sète")
        .entity("Clinique du Parc")
        .am_revenue(Euros(dec("150000000.25")))
}

#[tokio::test]
async fn am_figures_by_form_and_csv_on_sqlite() {
    on_sqlite(fixture(), figures_story).await;
}

#[tokio::test]
async fn am_figures_by_form_and_csv_on_postgres() {
    on_postgres(fixture(), figures_story).await;
}

/// The same entities, their dossiers of the campaign 2018 evaluated (score 50)
/// and without any decision yet.
fn evaluated() -> FixtureBuilder {
    fixture().campaign(2018).evaluated(Decimal::from(50))
}

#[tokio::test]
async fn the_liste_en_sus_as_the_sanctions_basis_on_sqlite() {
    on_sqlite(evaluated(), basis_story).await;
}

#[tokio::test]
async fn the_liste_en_sus_as_the_sanctions_basis_on_postgres() {
    on_postgres(evaluated(), basis_story).await;
}

async fn figures_story(t: &FixtureApp) {
    let [own, other] = t.fixture.finess().unwrap();
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let before = t.store().am_figures(&other).await.unwrap();
    assert!(
        before.am_revenue.is_some(),
        "recettes de l'assurance maladie"
    );

    assert_eq!(ars.get("/donnees-am").await.status, StatusCode::NOT_FOUND);
    assert_eq!(etab.get("/donnees-am").await.status, StatusCode::NOT_FOUND);
    let page = am.get("/donnees-am").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("entite-{other}")));

    // Form per entity: exact decimals, audited; bad amounts refused with the field named.
    let url = format!("/donnees-am/{other}");
    let p = am
        .post_raw(
            &url,
            &[("produits_am", "1"), ("liste_en_sus", ""), ("annee", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "sans jeton CSRF");
    am.get("/donnees-am").await;
    let p = ars
        .post(
            &url,
            &[("produits_am", "1"), ("liste_en_sus", ""), ("annee", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = am
        .post(
            "/donnees-am/750712184",
            &[("produits_am", "1"), ("liste_en_sus", ""), ("annee", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "entité hors région");
    am.get("/donnees-am").await;
    let p = am
        .post(
            &url,
            &[
                ("produits_am", "12,345"),
                ("liste_en_sus", ""),
                ("annee", "2018"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Produits versés par l'assurance maladie"),
        "{}",
        p.body
    );
    assert!(p.body.contains("deux décimales"));
    assert_eq!(t.store().am_figures(&other).await.unwrap(), before);
    let p = am
        .post(
            &url,
            &[
                ("produits_am", "45 123 456,78"),
                ("liste_en_sus", "2 000 000,10"),
                ("annee", "2018"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let f = t.store().am_figures(&other).await.unwrap();
    assert_eq!(f.am_revenue.unwrap().amount(), dec("45123456.78"));
    assert_eq!(f.liste_en_sus.unwrap().amount(), dec("2000000.10"));
    assert_eq!(f.year, Some(2018));
    let audit = t.store().audit_in_region(&REGION, 5).await.unwrap();
    let line = audit
        .iter()
        .find(|a| a.action == "donnees_am.enregistrer")
        .unwrap();
    let after = line.after.clone().unwrap();
    assert!(
        after.contains("45123456.78") && after.contains("2000000.10"),
        "{after}"
    );
    let old = before.am_revenue.unwrap().amount().to_string();
    assert!(after.contains(&old), "valeur avant dans l'audit : {after}");

    // CSV: preview, errors naming file, line and column, all or nothing.
    let bad = format!(
        "finess;produits_am;liste_en_sus;annee\n{own};1000,5;;2018\n{other};abc;3,999;20x8\n"
    );
    am.get("/donnees-am/import").await;
    let p = am
        .post("/donnees-am/import/apercu", &[("contenu", &bad)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("donnees_am.csv"));
    for col in ["produits_am", "liste_en_sus", "annee"] {
        assert!(
            p.body.contains(&format!("<td>3</td><td>{col}</td>")),
            "{col}: {}",
            p.body
        );
    }
    let p = am
        .post("/donnees-am/import/confirmer", &[("contenu", &bad)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.store().am_figures(&other).await.unwrap(), f);
    let good = format!(
        "finess;produits_am;liste_en_sus;annee\n{own};851000000,01;3500000;2018\n{other};;1500000.5;\n"
    );
    let p = am
        .post("/donnees-am/import/apercu", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body
            .contains("2 entité(s) juridique(s) seront mises à jour")
    );
    let p = am
        .post("/donnees-am/import/confirmer", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let o = t.store().am_figures(&own).await.unwrap();
    assert_eq!(o.am_revenue.unwrap().amount(), dec("851000000.01"));
    assert_eq!(o.liste_en_sus.unwrap().amount(), dec("3500000"));
    let f2 = t.store().am_figures(&other).await.unwrap();
    assert_eq!(f2.am_revenue, f.am_revenue, "cellule vide : valeur gardée");
    assert_eq!(f2.liste_en_sus.unwrap().amount(), dec("1500000.5"));
    assert_eq!(f2.year, Some(2018));
    let p = ars
        .post("/donnees-am/import/apercu", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

async fn basis_story(t: &FixtureApp) {
    // An evaluated dossier without any decision yet, of an entity other than the
    // établissement user's.
    let store = t.store();
    let entity = t.fixture.entities[1].entity.clone();
    let sub = t.submission(&entity.finess).await;
    assert!(sub.score.is_some());
    assert!(store.current_decision(&sub.id).await.unwrap().is_none());
    let url = format!(
        "/campagnes/{}/dossiers/{}/decision",
        t.campaign_id(),
        entity.finess
    );
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    // No liste en sus amount yet: only the AM basis, no choice offered.
    store
        .set_am_figures(
            &caqes_store::Actor::system("test"),
            &REGION,
            &[caqes_store::am::AmFigures {
                entity: entity.finess,
                am_revenue: None,
                liste_en_sus: None,
                year: None,
            }],
        )
        .await
        .unwrap();
    let page = ars.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"assiettes\""));
    if store
        .am_figures(&entity.finess)
        .await
        .unwrap()
        .liste_en_sus
        .is_none()
    {
        assert!(!page.body.contains("id=\"choisir-assiette\""));
        let p = ars
            .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
            .await;
        assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    }
    // The AM enters 2 000 000 € of liste en sus; the ARS chooses that basis.
    am.get("/donnees-am").await;
    let p = am
        .post(
            &format!("/donnees-am/{}", entity.finess),
            &[
                ("produits_am", ""),
                ("liste_en_sus", "2000000"),
                ("annee", "2018"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    ars.get(&url).await;
    let p = ars
        .post_raw(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "sans jeton CSRF");
    ars.get(&url).await;
    let p = am
        .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "réservé à l'ARS");
    let p = etab
        .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = ars
        .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let computed = store.proposal_for(&sub, REFERENTIEL).await.unwrap();
    assert_eq!(computed.proposal.basis(), Basis::ListeEnSus);
    assert_eq!(computed.basis_amount.amount(), dec("2000000"));
    assert_eq!(computed.proposal.ceiling().amount(), dec("600000"), "30 %");
    let page = ars.get(&url).await;
    assert!(
        page.body.contains("liste en sus ; plafond 30\u{202f}%"),
        "{}",
        page.body
    );
    assert!(page.body.contains("600\u{202f}000,00"), "{}", page.body);
    // The AM opinion fixes the proposal on that basis; the basis can no longer change.
    let p = am
        .post(
            &format!("{url}/avis"),
            &[("avis", "favorable"), ("commentaire", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let v1 = store.current_decision(&sub.id).await.unwrap().unwrap();
    assert_eq!(v1.basis_kind, Basis::ListeEnSus);
    assert_eq!(v1.ceiling.amount(), dec("600000"));
    ars.get(&url).await;
    let p = ars
        .post(&format!("{url}/assiette"), &[("assiette", "produits_am")])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
}
