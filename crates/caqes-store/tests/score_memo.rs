//! The scores kept in memory (`caqes_store::scores`, migrations 0026 and 0031): every
//! write the engine reads moves the region's revision and the written entity's in the same
//! transaction, and a view at the new revision gets the new score, equal to the one
//! computed from the database without the memo; the other entities' scores stay in memory.
//! Run on SQLite always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::RegionCode;
use std::collections::BTreeMap;
use std::sync::Arc;

use caqes_core::Finess;
use caqes_core::scoring::Score;
use caqes_core::value::Review;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{
    Action, Actor, Campaign, LegalEntity, Motives, Role, ScoreRevision, Store, StoredValue,
};
use rust_decimal::Decimal;

fn value(site: Finess, year: i16, code: &str, num: &str, den: &str) -> StoredValue {
    caqes_store::testing::value(site, year, code, num, den, "")
}

fn line<'a>(score: &'a Score, code: &str) -> &'a caqes_core::scoring::Line {
    score.lines.iter().find(|l| l.code == code).unwrap()
}

async fn revision(store: &Store, region: &RegionCode) -> ScoreRevision {
    store.score_revision(region).await.unwrap()
}

async fn entity_revision(store: &Store, entity: &LegalEntity) -> ScoreRevision {
    store
        .entity_score_revision(&entity.finess, &entity.region)
        .await
        .unwrap()
}

/// The memoised evaluation of `entity` at the region's current revision, checked against
/// the store's evaluation without the memo.
async fn memo_score(store: &Store, campaign: &Campaign, entity: &LegalEntity) -> Score {
    let parts = store
        .dossier_parts(&campaign.id, &entity.finess)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parts.revision, entity_revision(store, entity).await);
    let grid = store.campaign_referentiel(campaign).await.unwrap();
    let memo = store
        .entity_scoring(campaign, &grid, entity, parts.revision)
        .await
        .unwrap();
    let direct = store
        .evaluate_entity(&grid, entity, campaign.year)
        .await
        .unwrap();
    assert_eq!(memo.evaluation.score, direct.score);
    memo.evaluation.score.clone()
}

async fn a_write_changes_the_score_afterwards(store: &Store) {
    let f = Fixture::builder()
        .entity("A")
        .entity("B")
        .other_region()
        .entity_elsewhere("C")
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let campaign = f.campaign.clone().unwrap();
    let (a, b) = (f.entities[0].clone(), f.entities[1].clone());
    let other_region = f.elsewhere[0].entity.region;
    let etab = Actor::user(f.etab(a.entity.finess).unwrap());
    let ars = Actor::user(f.user(Role::Ars).unwrap());
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let site = a.sites[0].finess;

    // Same revision: the same result, not a new computation.
    let r0 = revision(store, &campaign.region).await;
    let first = store
        .entity_scoring(&campaign, &grid, &a.entity, r0)
        .await
        .unwrap();
    let again = store
        .entity_scoring(&campaign, &grid, &a.entity, r0)
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&first, &again), "served from the memo");
    let before = memo_score(store, &campaign, &a.entity).await;
    assert_ne!(line(&before, "I-03").met, Some(true));

    // A target: the revision moves (in this region only).
    let other_before = revision(store, &other_region).await;
    let targets = BTreeMap::from([("I-03".to_owned(), Decimal::new(50, 0))]);
    store
        .set_targets(&ars, &a.entity, 2019, &targets)
        .await
        .unwrap();
    let r1 = revision(store, &campaign.region).await;
    assert!(r1 > r0, "{r1:?} after {r0:?}");
    assert_eq!(revision(store, &other_region).await, other_before);

    // A value meeting the target: the next view scores it.
    let region_first = store
        .campaign_scores(&campaign, &grid, &[a.entity.clone(), b.entity.clone()])
        .await
        .unwrap();
    let region_again = store
        .campaign_scores(&campaign, &grid, &[a.entity.clone(), b.entity.clone()])
        .await
        .unwrap();
    assert!(
        Arc::ptr_eq(&region_first, &region_again),
        "served from the memo"
    );
    store
        .save_values(
            &etab,
            &campaign,
            &a.entity,
            &[value(site, 2019, "I-03", "90", "100")],
        )
        .await
        .unwrap();
    let r2 = revision(store, &campaign.region).await;
    assert!(r2 > r1);
    let after = memo_score(store, &campaign, &a.entity).await;
    assert_eq!(line(&after, "I-03").met, Some(true));
    assert!(line(&after, "I-03").points > line(&before, "I-03").points);
    assert_ne!(after, before);
    // The campaign's scores too, and the other establishment's is unchanged.
    let region_after = store
        .campaign_scores(&campaign, &grid, &[a.entity.clone(), b.entity.clone()])
        .await
        .unwrap();
    assert!(!Arc::ptr_eq(&region_first, &region_after));
    assert_eq!(region_after.score(&a.entity), Some(&after));
    assert_eq!(region_after.score(&b.entity), region_first.score(&b.entity));
    assert_eq!(region_after.site_count(&a.entity.finess), a.sites.len());
    // An entity asked for with another category than the one scored is not served.
    let mut recategorised = a.entity.clone();
    recategorised.category = if a.entity.category == caqes_core::Category::Had {
        caqes_core::Category::Dialyse
    } else {
        caqes_core::Category::Had
    };
    assert_eq!(region_after.score(&recategorised), None);

    // A value of year N−1 (read for the year-over-year lines; written by the previous
    // campaign, here directly) moves it too.
    sqlx::query(
        "INSERT INTO indicator_values (site, year, indicator, numerator, denominator, updated_at) \
         VALUES ($1, 2018, 'I-03', '1', '2', '2019-01-01T00:00:00.000000Z')",
    )
    .bind(site.to_string())
    .execute(store.pool())
    .await
    .unwrap();
    let r3 = revision(store, &campaign.region).await;
    assert!(r3 > r2);

    // An NC declared, then reviewed by the ARS.
    let nc = caqes_store::testing::value(site, 2019, "I-04", "", "", "NC");
    let motives: Motives = BTreeMap::from([((site, "I-04".to_owned()), "pas de LAP".to_owned())]);
    store
        .save_values_with_motives(&etab, &campaign, &a.entity, &[nc], &motives)
        .await
        .unwrap();
    let r4 = revision(store, &campaign.region).await;
    assert!(r4 > r3);
    let proposed = memo_score(store, &campaign, &a.entity).await;
    // The ARS reviews NC motives of a submitted dossier; a submission changes no score.
    let submission = store
        .submission(&campaign.id, &a.entity.finess)
        .await
        .unwrap()
        .unwrap();
    store
        .apply_action(
            f.etab(a.entity.finess).unwrap(),
            &submission,
            &campaign.region,
            Action::Soumettre,
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(revision(store, &campaign.region).await, r4);
    store
        .review_nc(
            &ars,
            &campaign,
            &a.entity,
            site,
            "I-04",
            Review::Refused,
            Some("activité de prescription constatée"),
        )
        .await
        .unwrap_or_else(|e| panic!("revue du NC : {e}"));
    let r5 = revision(store, &campaign.region).await;
    assert!(r5 > r4);
    let reviewed = memo_score(store, &campaign, &a.entity).await;
    assert_ne!(
        line(&proposed, "I-04").explanation,
        line(&reviewed, "I-04").explanation,
        "the refused NC is scored differently"
    );

    // The entity's category and its sites move it; its name does not.
    let pool = store.pool();
    sqlx::query("UPDATE legal_entities SET name = 'Autre nom' WHERE finess = $1")
        .bind(a.entity.finess.to_string())
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(revision(store, &campaign.region).await, r5);
    let category = if a.entity.category == caqes_core::Category::Had {
        "DIALYSE"
    } else {
        "HAD"
    };
    sqlx::query("UPDATE legal_entities SET category = $1 WHERE finess = $2")
        .bind(category)
        .bind(a.entity.finess.to_string())
        .execute(pool)
        .await
        .unwrap();
    let r6 = revision(store, &campaign.region).await;
    assert!(r6 > r5);
    sqlx::query("DELETE FROM targets WHERE entity = $1")
        .bind(a.entity.finess.to_string())
        .execute(pool)
        .await
        .unwrap();
    let r7 = revision(store, &campaign.region).await;
    assert!(r7 > r6);
    let new_site = caqes_store::testing::make_finess(31_900_001);
    sqlx::query("INSERT INTO sites (finess, entity, name) VALUES ($1, $2, 'Nouveau site')")
        .bind(new_site.to_string())
        .bind(a.entity.finess.to_string())
        .execute(pool)
        .await
        .unwrap();
    assert!(revision(store, &campaign.region).await > r7);
    let parts = store
        .dossier_parts(&campaign.id, &a.entity.finess)
        .await
        .unwrap()
        .unwrap();
    let scoring = store
        .entity_scoring(&campaign, &grid, &parts.entity, parts.revision)
        .await
        .unwrap();
    assert_eq!(
        scoring.sites.len(),
        a.sites.len() + 1,
        "the new site is read"
    );
    assert_eq!(revision(store, &other_region).await, other_before);
}

#[tokio::test]
async fn a_write_changes_the_score_afterwards_on_sqlite() {
    on_sqlite(a_write_changes_the_score_afterwards)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_write_changes_the_score_afterwards_on_postgres() {
    on_postgres(a_write_changes_the_score_afterwards)
        .await
        .unwrap();
}

/// Under PostgreSQL a transaction writing many rows bumps the revision once (SQLite once
/// per row): the revision only has to change.
async fn one_import_one_change(store: &Store) {
    let f = Fixture::builder()
        .entity_with_sites("A", 3)
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let campaign = f.campaign.clone().unwrap();
    let a = f.entities[0].clone();
    let etab = Actor::user(f.etab(a.entity.finess).unwrap());
    let before = revision(store, &campaign.region).await;
    let values: Vec<StoredValue> = a
        .sites
        .iter()
        .flat_map(|s| {
            ["I-03", "I-04", "I-05"]
                .into_iter()
                .map(|code| value(s.finess, 2019, code, "1", "2"))
        })
        .collect();
    store
        .save_values(&etab, &campaign, &a.entity, &values)
        .await
        .unwrap();
    let after = revision(store, &campaign.region).await;
    match store.backend() {
        caqes_store::Backend::Postgres => assert_eq!(after.0, before.0 + 1),
        caqes_store::Backend::Sqlite => assert!(after.0 >= before.0 + 9, "{after:?}"),
    }
    // The entity's revision is the region's at its last write.
    assert_eq!(entity_revision(store, &a.entity).await, after);
}

#[tokio::test]
async fn one_import_one_change_on_sqlite() {
    on_sqlite(one_import_one_change).await.unwrap();
}

#[tokio::test]
async fn one_import_one_change_on_postgres() {
    on_postgres(one_import_one_change).await.unwrap();
}

/// A write to one entity: the region's next view scores that entity again and keeps the
/// others' scores (the same allocation: not computed again); the other entity's dossier
/// is still served from the memo, the written one's is fresh.
async fn a_write_to_one_entity_keeps_the_others(store: &Store) {
    let f = Fixture::builder()
        .entity("A")
        .entity_with_sites("B", 3)
        .entity("C")
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let campaign = f.campaign.clone().unwrap();
    let entities: Vec<LegalEntity> = f.entities.iter().map(|e| e.entity.clone()).collect();
    let (a, b, c) = (&entities[0], &entities[1], &entities[2]);
    let etab = Actor::user(f.etab(a.finess).unwrap());
    let ars = Actor::user(f.user(Role::Ars).unwrap());
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let targets = BTreeMap::from([("I-03".to_owned(), Decimal::new(50, 0))]);
    for e in &entities {
        store.set_targets(&ars, e, 2019, &targets).await.unwrap();
    }

    let first = store
        .campaign_scores(&campaign, &grid, &entities)
        .await
        .unwrap();
    let b_revision = entity_revision(store, b).await;
    let b_dossier = store
        .entity_scoring(&campaign, &grid, b, b_revision)
        .await
        .unwrap();
    let a_before = memo_score(store, &campaign, a).await;
    assert_ne!(line(&a_before, "I-03").met, Some(true));
    assert_eq!(first.score(a), Some(&a_before));

    let site = f.entities[0].sites[0].finess;
    store
        .save_values(
            &etab,
            &campaign,
            a,
            &[value(site, 2019, "I-03", "90", "100")],
        )
        .await
        .unwrap();
    assert_eq!(
        entity_revision(store, b).await,
        b_revision,
        "B was not written"
    );
    assert!(entity_revision(store, a).await > b_revision);

    let second = store
        .campaign_scores(&campaign, &grid, &entities)
        .await
        .unwrap();
    assert!(!Arc::ptr_eq(&first, &second), "the region has moved on");
    // A: scored again, as the engine scores it from the database.
    let a_after = memo_score(store, &campaign, a).await;
    assert_eq!(line(&a_after, "I-03").met, Some(true));
    assert_eq!(second.score(a), Some(&a_after));
    assert!(!std::ptr::eq(
        first.score(a).unwrap(),
        second.score(a).unwrap()
    ));
    // B and C: the very scores kept before the write.
    for e in [b, c] {
        assert!(
            std::ptr::eq(first.score(e).unwrap(), second.score(e).unwrap()),
            "{} scored again",
            e.name
        );
        assert_eq!(second.site_count(&e.finess), first.site_count(&e.finess));
    }
    assert_eq!(second.site_count(&b.finess), 3);
    let again = store
        .entity_scoring(&campaign, &grid, b, entity_revision(store, b).await)
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&b_dossier, &again), "B's dossier from the memo");

    // The values entered, counted in the rows scored, as the follow-up's query counts them.
    let rows = store.submissions_of_campaign(&campaign).await.unwrap();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let counted = i64::try_from(second.values_entered(&r.entity.finess)).unwrap();
        assert_eq!(counted, r.values_entered, "{}", r.entity.name);
    }
    assert!(
        second.values_entered(&a.finess) >= 1,
        "the value saved is counted"
    );
    let dossiers = store.campaign_dossiers(&campaign).await.unwrap();
    assert_eq!(
        dossiers,
        rows.iter()
            .map(|r| (r.submission.clone(), r.entity.clone()))
            .collect::<Vec<_>>()
    );

    // A view at the same revision: the same scores.
    let third = store
        .campaign_scores(&campaign, &grid, &entities)
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&second, &third));
}

#[tokio::test]
async fn a_write_to_one_entity_keeps_the_others_on_sqlite() {
    on_sqlite(a_write_to_one_entity_keeps_the_others)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_write_to_one_entity_keeps_the_others_on_postgres() {
    on_postgres(a_write_to_one_entity_keeps_the_others)
        .await
        .unwrap();
}

/// A write that concerns every entity of the region (one statement over all the sites, as
/// an import or a restore does) scores them all again, each as the database says; an
/// entity that changes region is scored in its new region's view.
async fn a_write_to_all_scores_all_again(store: &Store) {
    let f = Fixture::builder()
        .entity("A")
        .entity("B")
        .other_region()
        .entity_elsewhere("C")
        .campaign(2019)
        .build(store)
        .await
        .unwrap();
    let campaign = f.campaign.clone().unwrap();
    let entities: Vec<LegalEntity> = f.entities.iter().map(|e| e.entity.clone()).collect();
    let ars = Actor::user(f.user(Role::Ars).unwrap());
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let targets = BTreeMap::from([("I-03".to_owned(), Decimal::new(50, 0))]);
    for e in &entities {
        store.set_targets(&ars, e, 2019, &targets).await.unwrap();
    }
    let first = store
        .campaign_scores(&campaign, &grid, &entities)
        .await
        .unwrap();
    let mut dossiers = Vec::new();
    for e in &entities {
        let rev = entity_revision(store, e).await;
        dossiers.push(
            store
                .entity_scoring(&campaign, &grid, e, rev)
                .await
                .unwrap(),
        );
    }

    let region_sites: Vec<String> = f
        .entities
        .iter()
        .flat_map(|e| e.sites.iter().map(|s| s.finess.to_string()))
        .collect();
    sqlx::query(&format!(
        "INSERT INTO indicator_values (site, year, indicator, numerator, denominator, updated_at, \
         typed_kind, typed_numerator, typed_denominator) \
         SELECT finess, 2019, 'I-03', '90', '100', '2019-01-01T00:00:00.000000Z', \
         'proportion', '90', '100' FROM sites WHERE finess IN ('{}')",
        region_sites.join("', '")
    ))
    .execute(store.pool())
    .await
    .unwrap();

    let second = store
        .campaign_scores(&campaign, &grid, &entities)
        .await
        .unwrap();
    for (e, dossier) in entities.iter().zip(&dossiers) {
        let fresh = memo_score(store, &campaign, e).await;
        assert_eq!(line(&fresh, "I-03").met, Some(true), "{}", e.name);
        assert_eq!(second.score(e), Some(&fresh));
        assert_ne!(first.score(e), second.score(e));
        let rev = entity_revision(store, e).await;
        let now = store
            .entity_scoring(&campaign, &grid, e, rev)
            .await
            .unwrap();
        assert!(
            !Arc::ptr_eq(dossier, &now),
            "{}: dossier scored again",
            e.name
        );
    }

    // C moves into the campaign's region: the region's next view scores it there.
    let mut c = f.elsewhere[0].entity.clone();
    sqlx::query("UPDATE legal_entities SET region = $1 WHERE finess = $2")
        .bind(campaign.region.to_string())
        .bind(c.finess.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    c.region = campaign.region;
    let mut with_c = entities.clone();
    with_c.push(c.clone());
    let third = store
        .campaign_scores(&campaign, &grid, &with_c)
        .await
        .unwrap();
    let direct = store.evaluate_entity(&grid, &c, 2019).await.unwrap();
    assert_eq!(third.score(&c), Some(&direct.score));
    for e in &entities {
        assert!(std::ptr::eq(
            second.score(e).unwrap(),
            third.score(e).unwrap()
        ));
    }
}

#[tokio::test]
async fn a_write_to_all_scores_all_again_on_sqlite() {
    on_sqlite(a_write_to_all_scores_all_again).await.unwrap();
}

#[tokio::test]
async fn a_write_to_all_scores_all_again_on_postgres() {
    on_postgres(a_write_to_all_scores_all_again).await.unwrap();
}
