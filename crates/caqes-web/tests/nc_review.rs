//! NC « en fonction de son activité » on the platform (issue 9, W4): the établissement
//! declares it with its motive, NM is never declared, the ARS accepts or refuses the motive,
//! and the score follows the review (the same `Explanation` as `caqes evaluate`).
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::referentiel::Applicability;
use caqes_core::value::Review;
use caqes_store::testing::{Fixture, FixtureBuilder};
use caqes_store::{Action, Role};

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// I-03 is concerned for the fixture's entity (MCO public, three sites).
const CODE: &str = "I-03";
const MOTIVE: &str = "Aucune activité de chirurgie ambulatoire en 2019";

/// One MCO public entity with three sites, its dossier in the campaign 2019.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier de Tolosa", 3)
        .campaign(2019)
}

async fn story(t: &FixtureApp) {
    let store = t.store();
    let own = t.own_entity();
    let url = t.dossier(own);
    let sites = store.sites_of(&own).await.unwrap();
    assert!(sites.len() > 1);
    let field = |kind: &str, site: &caqes_store::Site| format!("{kind}:{}:{CODE}", site.finess);
    let mut etab = t.logged_in(Role::Etablissement).await;

    // NM follows from the category: refused where the category makes the indicator concerned.
    let nm = field("v", &sites[0]);
    let p = etab
        .post(&format!("{url}/valeurs"), &[(nm.as_str(), "NM")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("NM ne se déclare pas"), "{}", p.body);

    // NC without motive: refused, nothing saved.
    let p = etab
        .post(&format!("{url}/valeurs"), &[(nm.as_str(), "NC")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("NC sans motif"));
    assert!(
        store
            .nc_declarations_for_entity(&own, 2019)
            .await
            .unwrap()
            .is_empty()
    );

    // NC with its motive on every site: saved, proposed, applied provisionally.
    let owned: Vec<(String, &str)> = sites
        .iter()
        .flat_map(|s| [(field("v", s), "NC"), (field("m", s), MOTIVE)])
        .collect();
    let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let p = etab.post(&format!("{url}/valeurs"), &fields).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let declarations = store.nc_declarations_for_entity(&own, 2019).await.unwrap();
    assert_eq!(declarations.len(), sites.len());
    assert!(
        declarations
            .iter()
            .all(|d| d.declaration.review == Review::Proposed && d.declaration.motive() == MOTIVE)
    );
    let page = etab.get(&url).await;
    assert!(
        page.body
            .contains("NC proposé, en attente de la revue de l")
    );
    let referentiel = store.referentiel("occitanie-2018").await.unwrap().unwrap();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let line = |e: &caqes_store::EntityEvaluation| {
        e.score
            .lines
            .iter()
            .find(|l| l.code == CODE)
            .cloned()
            .unwrap()
    };
    let proposed = store
        .evaluate_entity(&referentiel, &entity, 2019)
        .await
        .unwrap();
    assert_eq!(line(&proposed).status, Applicability::Nc);
    assert_eq!(
        line(&proposed).explanation.declaration.map(|d| d.review),
        Some(Review::Proposed)
    );

    // The ARS reviews once the dossier is submitted: not on a draft.
    let mut ars = t.logged_in(Role::Ars).await;
    let site = sites[0].finess.to_string();
    let review = |decision: &str, comment: &str| -> Vec<(String, String)> {
        [
            ("site", site.as_str()),
            ("indicateur", CODE),
            ("decision", decision),
            ("commentaire", comment),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let draft = review("accepter", "");
    let draft: Vec<(&str, &str)> = draft
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = ars.post(&format!("{url}/nc"), &draft).await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);

    let owner = store
        .user_by_email(&t.email(Role::Etablissement))
        .await
        .unwrap()
        .unwrap();
    let sub = t.submission(&own).await;
    store
        .apply_action(&owner, &sub, &entity.region, Action::Soumettre, None, None)
        .await
        .unwrap();

    // A refusal needs its comment; with it, the NC is refused and the line is concerned again.
    let bare = review("refuser", "");
    let bare: Vec<(&str, &str)> = bare.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        ars.post(&format!("{url}/nc"), &bare).await.status,
        StatusCode::CONFLICT
    );
    let refused = review(
        "refuser",
        "Le service de chirurgie ambulatoire a ouvert en 2019",
    );
    let refused: Vec<(&str, &str)> = refused
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = ars.post(&format!("{url}/nc"), &refused).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let after = store
        .evaluate_entity(&referentiel, &entity, 2019)
        .await
        .unwrap();
    // One site's NC refused: the entity's NC is not applied, the line is concerned again.
    assert_eq!(line(&after).status, Applicability::Concerned);
    let d = store.nc_declarations_for_entity(&own, 2019).await.unwrap();
    let first = d.iter().find(|x| x.site == sites[0].finess).unwrap();
    assert_eq!(first.declaration.review, Review::Refused);
    assert!(after.warnings.iter().any(|w| w.contains(CODE)));
    let page = etab.get(&url).await;
    assert!(
        page.body
            .contains("NC refusé par l&#39;ARS : Le service de chirurgie ambulatoire")
            || page
                .body
                .contains("NC refusé par l'ARS : Le service de chirurgie ambulatoire"),
        "the établissement reads the refusal and its reason"
    );
}

#[tokio::test]
async fn nc_declared_with_motive_and_reviewed_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn nc_declared_with_motive_and_reviewed_postgres() {
    on_postgres(fixture(), story).await;
}
