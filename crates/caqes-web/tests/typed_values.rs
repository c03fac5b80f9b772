//! Values parsed once and stored typed (issue 9, « one engine »; migration 0027): the form
//! writes the typed columns, rows written as text before the migration are typed at
//! connection (an unreadable one kept and reported, not dropped), a value typed under one
//! grid is read right under another, and the demo's dossiers score exactly as when the
//! stored text was parsed at every evaluation (that story is about the demo's data: it
//! stays on the demo region; the others start from the store's fixture). SQLite, and
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_core::multisite::parse_unit_entry;
use caqes_core::referentiel::{Applicability, Kind, Referentiel, Source};
use caqes_core::scoring::Score;
use caqes_core::value::{Entry, Value};
use caqes_core::{Finess, Rate};
use caqes_store::testing::{Fixture, FixtureBuilder};
use caqes_store::{CampaignId, Role, Store, Typed};
use rust_decimal::Decimal;
use sqlx::Row;

mod common;
use common::fixture::FixtureApp;
use common::{TestApp, on_postgres, on_sqlite};

/// The établissement user's entity on two sites, its dossier a draft of the campaign 2019.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 2)
        .campaign(2019)
}

/// The typed columns of one stored value: (kind, numerator, denominator, number, error).
type Columns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn columns(store: &Store, site: Finess, year: i16, code: &str) -> Option<Columns> {
    sqlx::query(
        "SELECT typed_kind, typed_numerator, typed_denominator, typed_number, typed_error \
         FROM indicator_values WHERE site = $1 AND year = $2 AND indicator = $3",
    )
    .bind(site.to_string())
    .bind(i64::from(year))
    .bind(code.to_owned())
    .fetch_optional(store.pool())
    .await
    .unwrap()
    .map(|r| {
        (
            r.try_get("typed_kind").unwrap(),
            r.try_get("typed_numerator").unwrap(),
            r.try_get("typed_denominator").unwrap(),
            r.try_get("typed_number").unwrap(),
            r.try_get("typed_error").unwrap(),
        )
    })
}

fn some(t: &str) -> Option<String> {
    Some(t.to_owned())
}

/// The first indicator of `kind` the établissement types, concerned by `category`.
fn typed_by_establishment(
    grid: &Referentiel,
    category: caqes_core::Category,
    kind: Kind,
) -> String {
    grid.indicators
        .iter()
        .find(|i| {
            i.kind == kind
                && i.classes.is_empty()
                && (i.sources.is_empty() || i.sources.contains(&Source::ES))
                && i.applicability(category) == Applicability::Concerned
        })
        .unwrap()
        .code
        .clone()
}

/// (a) A value saved through the dossier's form is stored typed: its kind and its parts
/// as exact decimal text, next to the text as typed (« 12,5 » kept for the form).
async fn form_stores_typed(t: &FixtureApp) {
    let store = t.store();
    let own = t.own_entity();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let site = store.sites_of(&own).await.unwrap()[0].finess;
    let rate = typed_by_establishment(&grid, entity.category, Kind::Proportion);
    let word = typed_by_establishment(&grid, entity.category, Kind::YesNo);
    let mut etab = t.logged_in(Role::Etablissement).await;
    let (n, d, v) = (
        format!("n:{site}:{rate}"),
        format!("d:{site}:{rate}"),
        format!("v:{site}:{word}"),
    );
    let p = etab
        .post(
            &format!("{}/valeurs", t.dossier(own)),
            &[
                (n.as_str(), "12,5"),
                (d.as_str(), "50"),
                (v.as_str(), "oui"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        columns(store, site, 2019, &rate).await,
        Some((some("proportion"), some("12.5"), some("50"), None, None))
    );
    assert_eq!(
        columns(store, site, 2019, &word).await,
        Some((some("oui"), None, None, None, None))
    );
    // The text as typed stays for the form's redisplay and the audit.
    let stored = store.values_for_entity(&own, 2019).await.unwrap();
    let kept = stored
        .iter()
        .find(|v| v.site == site && v.indicator == rate)
        .unwrap();
    assert_eq!(kept.numerator.as_deref(), Some("12,5"));
    assert_eq!(
        kept.typed,
        Typed::Entry(Entry::Value(Value::Proportion(
            Rate::proportion(Decimal::new(125, 1), Decimal::from(50)).unwrap()
        )))
    );
    let page = etab.get(&t.dossier(own)).await;
    assert!(page.body.contains("value=\"12,5\""), "shown as typed");
    // The store writes only parsed values: text handed over unparsed is refused, and
    // nothing changes.
    let unparsed =
        caqes_store::StoredValue::typed_text(site, 2019, &rate, Some("13"), Some("50"), None);
    let refused = store
        .save_values(
            &caqes_store::Actor::system("test"),
            &campaign,
            &entity,
            &[unparsed],
        )
        .await;
    assert!(
        matches!(
            &refused,
            Err(caqes_store::StoreError::Conflict(c @ caqes_store::Conflict::Dossier(
                caqes_store::conflict::DossierConflict::ValueNotRead { .. }
            ))) if c.to_string().contains("non lue")
        ),
        "{refused:?}"
    );
    assert_eq!(
        columns(store, site, 2019, &rate).await,
        Some((some("proportion"), some("12.5"), some("50"), None, None))
    );
}

#[tokio::test]
async fn a_value_saved_through_the_form_is_stored_typed_sqlite() {
    common::fixture::on_sqlite(fixture(), form_stores_typed).await;
}

#[tokio::test]
async fn a_value_saved_through_the_form_is_stored_typed_postgres() {
    common::fixture::on_postgres(fixture(), form_stores_typed).await;
}

/// Every dossier of the demo's first-generation campaigns, scored from the store.
async fn demo_scores(store: &Store, t: &TestApp) -> BTreeMap<(CampaignId, Finess), Score> {
    let mut out = BTreeMap::new();
    for id in [&t.demo.campaign_id, &t.demo.previous_campaign_id] {
        let campaign = store.campaign(id).await.unwrap().unwrap();
        let grid = store.campaign_referentiel(&campaign).await.unwrap();
        for entity in store.campaign_entities(&campaign).await.unwrap() {
            let e = store
                .evaluate_entity(&grid, &entity, campaign.year)
                .await
                .unwrap();
            out.insert((id.clone(), entity.finess), e.score);
        }
    }
    out
}

/// The same dossiers scored the way the platform did before values were stored typed:
/// the stored text parsed again by the evaluation, with the campaign's grid.
async fn demo_scores_from_text(t: &TestApp) -> BTreeMap<(CampaignId, Finess), Score> {
    let store = t.store();
    let mut out = BTreeMap::new();
    for id in [&t.demo.campaign_id, &t.demo.previous_campaign_id] {
        let campaign = store.campaign(id).await.unwrap().unwrap();
        let grid = store.campaign_referentiel(&campaign).await.unwrap();
        for entity in store.campaign_entities(&campaign).await.unwrap() {
            let sites = store.sites_of(&entity.finess).await.unwrap();
            let mut inputs = store
                .entity_inputs(&entity.finess, campaign.year)
                .await
                .unwrap();
            for v in &mut inputs.values {
                let line = grid
                    .line_of(&v.indicator)
                    .and_then(|n| grid.line_at(n))
                    .unwrap();
                v.typed = match parse_unit_entry(
                    line.indicator,
                    v.year <= grid.baseline_year,
                    sites.len() > 1,
                    v.numerator.as_deref(),
                    v.denominator.as_deref(),
                    v.declared.as_deref().or(v.value.as_deref()),
                ) {
                    Ok(e) => Typed::Entry(e),
                    Err(e) => Typed::Unreadable(e.message),
                };
            }
            let e = caqes_store::evaluate_entity(
                &grid,
                &entity,
                &sites,
                campaign.year,
                &inputs.values,
                &inputs.declarations,
                &inputs.targets,
            );
            out.insert((id.clone(), entity.finess), e.score);
        }
    }
    out
}

/// (b), (c), (e): the demo's values made old-format rows (typed columns empty, as
/// migration 0027 leaves the rows written before it), plus one row its grid cannot read;
/// a new connection types them: every demo dossier scores as before, and the unreadable
/// row is kept and reported.
async fn legacy_rows_are_typed_at_connect(t: &TestApp) {
    let store = t.store();
    let typed_scores = demo_scores(store, t).await;
    assert!(typed_scores.len() > 40, "{}", typed_scores.len());
    assert!(
        typed_scores
            .values()
            .any(|s| s.value().is_some_and(|p| p > Decimal::ZERO)),
        "the demo has scored dossiers"
    );
    // (e) Scores from the typed columns = scores from the text parsed at every evaluation.
    assert_eq!(demo_scores_from_text(t).await, typed_scores);

    let own = t.demo.own_entity;
    let site = store.sites_of(&own).await.unwrap()[0].finess;
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let campaign = store.campaign(&t.demo.campaign_id).await.unwrap().unwrap();
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let rate = typed_by_establishment(&grid, entity.category, Kind::Proportion);
    let before = columns(store, site, 2019, &rate).await.unwrap();
    assert_eq!(before.0.as_deref(), Some("proportion"));
    let count = async |s: &Store, filter: &str| -> i64 {
        sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM indicator_values {filter}"
        ))
        .fetch_one(s.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
    };
    let untyped = "WHERE typed_kind IS NULL AND typed_error IS NULL";
    let rows = count(store, "").await;

    // (b) Old-format rows (text only), typed by the next connection with their
    // campaign's grid: the same columns, and (e) every demo dossier scores as before.
    sqlx::query(
        "UPDATE indicator_values SET typed_kind = NULL, typed_numerator = NULL, \
         typed_denominator = NULL, typed_number = NULL, typed_error = NULL",
    )
    .execute(store.pool())
    .await
    .unwrap();
    assert_eq!(count(store, untyped).await, rows);
    let reconnected = Store::connect(&t.db.url).await.unwrap();
    assert_eq!(count(&reconnected, untyped).await, 0);
    assert_eq!(count(&reconnected, "").await, rows);
    assert_eq!(
        columns(&reconnected, site, 2019, &rate).await.unwrap(),
        before
    );
    assert_eq!(demo_scores(&reconnected, t).await, typed_scores);
    reconnected.close().await;

    // (c) An old row its grid cannot read (a word on a proportion): kept, marked with
    // why, and reported by the evaluation and on the dossier page.
    sqlx::query(
        "UPDATE indicator_values SET numerator = NULL, denominator = NULL, value = 'OUI', \
         typed_kind = NULL, typed_numerator = NULL, typed_denominator = NULL \
         WHERE site = $1 AND year = 2019 AND indicator = $2",
    )
    .bind(site.to_string())
    .bind(rate.clone())
    .execute(store.pool())
    .await
    .unwrap();
    let reconnected = Store::connect(&t.db.url).await.unwrap();
    assert_eq!(count(&reconnected, "").await, rows, "nothing dropped");
    let (kind, _, _, _, error) = columns(&reconnected, site, 2019, &rate).await.unwrap();
    assert_eq!(kind, None);
    let error = error.unwrap();
    assert!(
        error.contains("« OUI » n'est pas une valeur possible"),
        "{error}"
    );
    let evaluation = reconnected
        .evaluate_entity(&grid, &entity, 2019)
        .await
        .unwrap();
    let expected = format!("{rate} (site {site}) : {error}");
    assert!(
        evaluation.warnings.contains(&expected),
        "{expected} in {:?}",
        evaluation.warnings
    );
    reconnected.close().await;
    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get(&t.dossier(own)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("« OUI » n'est pas une valeur possible"));
}

#[tokio::test]
async fn old_rows_are_typed_at_connect_and_unreadable_ones_reported_sqlite() {
    on_sqlite(legacy_rows_are_typed_at_connect).await;
}

#[tokio::test]
async fn old_rows_are_typed_at_connect_and_unreadable_ones_reported_postgres() {
    on_postgres(legacy_rows_are_typed_at_connect).await;
}

/// (d) A value typed under one grid and read by a campaign whose grid gives the same
/// indicator another kind (an uploaded grid of a later campaign): read in the reading
/// grid's kind from its stored parts, as parsing its text again would.
#[tokio::test]
async fn a_value_is_read_in_the_kind_of_the_grid_that_reads_it() {
    common::fixture::on_sqlite(fixture(), async |t: &FixtureApp| {
        let store = t.store();
        let own = t.own_entity();
        let entity = store.legal_entity(&own).await.unwrap().unwrap();
        let sites = store.sites_of(&own).await.unwrap();
        let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
        let grid = store.campaign_referentiel(&campaign).await.unwrap();
        let code = typed_by_establishment(&grid, entity.category, Kind::Proportion);
        // The établissement types the proportion on each of its sites.
        let fields: Vec<(String, &str)> = sites
            .iter()
            .zip([("12,5", "50"), ("30", "40")])
            .flat_map(|(s, (n, d))| {
                [
                    (format!("n:{}:{code}", s.finess), n),
                    (format!("d:{}:{code}", s.finess), d),
                ]
            })
            .collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let mut etab = t.logged_in(Role::Etablissement).await;
        let p = etab
            .post(&format!("{}/valeurs", t.dossier(own)), &fields)
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        // And the ARS contracts its target, so that reading it warns of nothing.
        let target = BTreeMap::from([(code.clone(), Decimal::from(55))]);
        store
            .set_targets(&caqes_store::Actor::system("test"), &entity, 2019, &target)
            .await
            .unwrap();
        let inputs = store.entity_inputs(&own, 2019).await.unwrap();
        let stored: Vec<_> = inputs
            .values
            .iter()
            .filter(|v| v.indicator == code && v.year == 2019)
            .collect();
        assert!(!stored.is_empty());
        assert!(
            stored
                .iter()
                .all(|v| matches!(v.typed, Typed::Entry(Entry::Value(Value::Proportion(_)))))
        );
        // The same grid with this indicator as a ratio.
        let mut as_ratio = grid.clone();
        let i = as_ratio
            .indicators
            .iter_mut()
            .find(|i| i.code == code)
            .unwrap();
        i.kind = Kind::Ratio;
        let read = caqes_store::evaluate_entity(
            &as_ratio,
            &entity,
            &sites,
            2019,
            &inputs.values,
            &inputs.declarations,
            &inputs.targets,
        );
        let given = read.given.get(&code).unwrap();
        let Entry::Value(Value::Ratio(r)) = given.entry else {
            panic!("{:?}", given.entry)
        };
        // The entity's ratio pooled from the stored parts of its sites.
        let (n, d) = stored
            .iter()
            .fold((Decimal::ZERO, Decimal::ZERO), |(n, d), v| {
                let Typed::Entry(Entry::Value(Value::Proportion(p))) = v.typed else {
                    unreachable!()
                };
                (n + p.numerator(), d + p.denominator())
            });
        assert_eq!((r.numerator(), r.denominator()), (n, d));
        assert!(
            !read.warnings.iter().any(|w| w.starts_with(&code)),
            "{:?}",
            read.warnings
        );
    })
    .await;
}
