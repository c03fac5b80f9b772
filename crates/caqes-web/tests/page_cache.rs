//! Issue 14: the dossier page is kept once rendered, by everything it is made of
//! (`ui::page_cache`). What is served from there must be what rendering would give:
//! never a page older than the data, nor another session's. SQLite, and PostgreSQL
//! when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder};

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// Two MCO public entities of the region, their dossiers in the campaign 2019.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity("Centre hospitalier de Sète")
        .entity("Clinique du Parc")
        .campaign(2019)
}

/// The page's CSRF token (the session's).
fn csrf_of(body: &str) -> &str {
    let from = &body[body.find("name=\"_csrf\" value=\"").unwrap() + 20..];
    &from[..from.find('"').unwrap()]
}

#[tokio::test]
async fn a_dossier_page_kept_is_never_older_than_its_data_nor_another_sessions() {
    on_sqlite(fixture(), story).await;
    on_postgres(fixture(), story).await;
}

async fn story(t: &FixtureApp) {
    let own = t.own_entity();
    let dossier = t.dossier(own);
    let mut etab = t.logged_in(Role::Etablissement).await;
    let first = etab.get(&dossier).await;
    assert_eq!(first.status, StatusCode::OK);
    let again = etab.get(&dossier).await;
    assert_eq!(first.body, again.body, "the page kept is the page rendered");

    // Another process renames the establishment (a FINESS import): the next view says so.
    sqlx::query("UPDATE legal_entities SET name = $1 WHERE finess = $2")
        .bind("Centre renommé ailleurs")
        .bind(own.to_string())
        .execute(t.store().pool())
        .await
        .unwrap();
    let renamed = etab.get(&dossier).await;
    assert!(renamed.body.contains("Centre renommé ailleurs"));

    // A comment of another user on a line: the next view shows it.
    let mut omedit = t.logged_in(Role::Omedit).await;
    let p = omedit
        .post(
            &format!("{dossier}/commentaires"),
            &[
                ("indicator", "IV-02"),
                ("visibility", "partage"),
                ("body", "Quelle classe retenez-vous ?"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let commented = etab.get(&dossier).await;
    assert!(commented.body.contains("Quelle classe retenez-vous ?"));

    // The same user logged in twice: each session's page carries its own token.
    let mut etab2 = t.logged_in(Role::Etablissement).await;
    let other_session = etab2.get(&dossier).await;
    assert_eq!(other_session.status, StatusCode::OK);
    assert_ne!(csrf_of(&other_session.body), csrf_of(&commented.body));
    let mine = etab.get(&dossier).await;
    assert_eq!(csrf_of(&mine.body), csrf_of(&commented.body));
}

#[tokio::test]
async fn a_campaign_page_kept_is_never_older_than_its_data() {
    on_sqlite(fixture(), campaign_story).await;
    on_postgres(fixture(), campaign_story).await;
}

async fn campaign_story(t: &FixtureApp) {
    let page = format!("/campagnes/{}", t.campaign_id());
    let mut ars = t.logged_in(Role::Ars).await;
    let first = ars.get(&page).await;
    assert_eq!(first.status, StatusCode::OK);
    let again = ars.get(&page).await;
    assert_eq!(first.body, again.body, "the page kept is the page rendered");
    // Another process renames an establishment of the campaign: the next view says so.
    sqlx::query("UPDATE legal_entities SET name = $1 WHERE finess = $2")
        .bind("Clinique renommée ailleurs")
        .bind(t.fixture.entities[1].entity.finess.to_string())
        .execute(t.store().pool())
        .await
        .unwrap();
    let renamed = ars.get(&page).await;
    assert!(renamed.body.contains("Clinique renommée ailleurs"));
    // Another process closes every dossier of the campaign: the counts say so at once.
    assert!(!renamed.body.contains("?etat=clos"));
    sqlx::query("UPDATE submissions SET state = $1 WHERE campaign = $2")
        .bind("clos")
        .bind(t.campaign_id().to_string())
        .execute(t.store().pool())
        .await
        .unwrap();
    let closed = ars.get(&page).await;
    assert!(closed.body.contains("?etat=clos"), "the counts are fresh");
    // Then reopens them as drafts: fresh again.
    sqlx::query("UPDATE submissions SET state = $1 WHERE campaign = $2")
        .bind("brouillon")
        .bind(t.campaign_id().to_string())
        .execute(t.store().pool())
        .await
        .unwrap();
    let reopened = ars.get(&page).await;
    assert!(!reopened.body.contains("?etat=clos"));
    // A filtered view is another page, not the one kept for the whole list.
    let filtered = ars.get(&format!("{page}?etat=brouillon")).await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert_ne!(filtered.body, renamed.body);
    // The CSV export is never a kept page.
    let csv = ars.get(&format!("{page}?format=csv")).await;
    assert!(
        !csv.body.contains("<html"),
        "{}",
        &csv.body[..csv.body.len().min(200)]
    );
}
