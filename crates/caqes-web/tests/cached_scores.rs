//! The pages that score from the store's memo (`caqes_store::scores`): the dossier page,
//! the campaign follow-up and the region's dashboard show the new score after a write,
//! even a write the web process did not make (another process, the command line: here a
//! statement on the database), because the key is the region's revision read from the
//! database. Run on SQLite always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

mod common;

use axum::http::StatusCode;
use caqes_core::referentiel::{Applicability, Kind, Source};
use caqes_core::scoring::Score;
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder};
use caqes_web::dossier::fr;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// The établissement user's entity on two sites and a clinic, their dossiers in
/// the campaign 2019.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 2)
        .entity("Clinique du Parc")
        .campaign(2019)
}

/// The établissement answers « oui » on every site to each yes/no indicator it
/// types, so that its dossier has a score above zero.
async fn answer_yes(t: &FixtureApp) {
    let store = t.store();
    let own = t.own_entity();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let mut fields = Vec::new();
    for i in grid.indicators.iter().filter(|i| {
        i.kind == Kind::YesNo
            && i.classes.is_empty()
            && (i.sources.is_empty() || i.sources.contains(&Source::ES))
            && i.applicability(entity.category) == Applicability::Concerned
    }) {
        for site in store.sites_of(&own).await.unwrap() {
            fields.push((format!("v:{}:{}", site.finess, i.code), "oui"));
        }
    }
    assert!(!fields.is_empty());
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let mut etab = t.logged_in(Role::Etablissement).await;
    let p = etab
        .post(&format!("{}/valeurs", t.dossier(own)), &fields)
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
}

/// The row of the table that holds `needle`.
fn row_of<'a>(body: &'a str, needle: &str) -> &'a str {
    // In a table's body: the follow-up also names the rows shown in its bulk form.
    let table = body.find("<tbody").unwrap_or(0);
    let at = table
        + body[table..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} absent des tableaux de la page"));
    let start = body[..at].rfind("<tr").unwrap();
    let end = at + body[at..].find("</tr>").unwrap();
    &body[start..end]
}

/// The dossier page's sentence for `score`.
fn score_sentence(score: &Score) -> String {
    format!(
        "<strong>{}</strong> / 100 points, bonus <strong>{}</strong>, total <strong>{}</strong>",
        fr(score.score),
        fr(score.bonus),
        fr(score.total)
    )
}

async fn pages_follow_a_write(t: &FixtureApp) {
    answer_yes(t).await;
    let store = t.store();
    let own = t.own_entity();
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let engine = async || {
        store
            .evaluate_entity(&grid, &entity, campaign.year)
            .await
            .unwrap()
            .score
    };
    let before = engine().await;
    assert!(before.evaluable && before.total > rust_decimal::Decimal::ZERO);

    let mut etab = t.logged_in(Role::Etablissement).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let follow_up = format!("/campagnes/{}", campaign.id);
    let dashboard = format!("/campagnes/{}/tableau-de-bord", campaign.id);
    // Twice each: the second view is served from the memo.
    for _ in 0..2 {
        let page = etab.get(&t.dossier(own)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(&score_sentence(&before)),
            "{}",
            page.body
        );
        let page = ars.get(&follow_up).await;
        assert!(
            row_of(&page.body, own.as_str()).contains(&fr(before.total)),
            "{}",
            row_of(&page.body, own.as_str())
        );
        let page = ars.get(&dashboard).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            row_of(&page.body, own.as_str()).contains(&caqes_web::ui::fr::number(before.total))
        );
    }

    // Another process clears the entity's values of the campaign's year.
    sqlx::query(
        "DELETE FROM indicator_values WHERE year = $1 \
         AND site IN (SELECT finess FROM sites WHERE entity = $2)",
    )
    .bind(i64::from(campaign.year))
    .bind(own.to_string())
    .execute(store.pool())
    .await
    .unwrap();
    let after = engine().await;
    assert_ne!(after.total, before.total, "the write changes the score");

    let page = etab.get(&t.dossier(own)).await;
    assert_eq!(page.status, StatusCode::OK);
    if after.evaluable {
        assert!(page.body.contains(&score_sentence(&after)), "{}", page.body);
    }
    assert!(!page.body.contains(&score_sentence(&before)));
    let provisional = if after.evaluable {
        fr(after.total)
    } else {
        "non évaluable".to_owned()
    };
    let page = ars.get(&follow_up).await;
    let row = row_of(&page.body, own.as_str());
    assert!(row.contains(&provisional), "{row}");
    assert!(!row.contains(&format!(">{}<", fr(before.total))), "{row}");
    let page = ars.get(&dashboard).await;
    let row = row_of(&page.body, own.as_str());
    assert!(
        !row.contains(&format!(">{}<", caqes_web::ui::fr::number(before.total))),
        "{row}"
    );
}

#[tokio::test]
async fn pages_follow_a_write_on_sqlite() {
    on_sqlite(fixture(), pages_follow_a_write).await;
}

#[tokio::test]
async fn pages_follow_a_write_on_postgres() {
    on_postgres(fixture(), pages_follow_a_write).await;
}
