//! Bulk imports are all-or-nothing: a failing establishments or values import
//! writes nothing (not even its audit line). Run on SQLite always and on
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::Finess;
use caqes_core::RegionCode;
use caqes_store::testing::OTHER_REGION;
use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, numbered_entity, on_postgres, on_sqlite};
use caqes_store::{
    Actor, EntityChange, ImportedTarget, NewCampaign, Site, Store, StoreError, StoredValue,
};
use rust_decimal::Decimal;

fn value(site: Finess, year: i16, code: &str) -> StoredValue {
    caqes_store::testing::value(site, year, code, "12", "50", "")
}

async fn audit_lines(store: &Store, region: &RegionCode) -> usize {
    store.audit_in_region(region, 10_000).await.unwrap().len()
}

async fn imports_are_all_or_nothing(store: &Store) {
    let sys = Actor::system("test");
    Fixture::builder()
        .without_users()
        .other_region()
        .build(store)
        .await
        .unwrap();
    let e1 = numbered_entity(1, &REGION, 2);
    let e2 = numbered_entity(2, &REGION, 1);
    let plans = store
        .import_establishments(&sys, &REGION, "a.csv", &[e1.clone(), e2.clone()])
        .await
        .unwrap();
    assert!(plans.iter().all(|p| p.change == EntityChange::Create));
    assert_eq!(
        store.legal_entities_in_region(&REGION).await.unwrap().len(),
        2
    );
    let audit_before = audit_lines(store, &REGION).await;

    // Second batch: a new entity, a renamed e1, and an entity claiming e2's site.
    let e3 = numbered_entity(3, &REGION, 1);
    let mut renamed = e1.clone();
    renamed.entity.name = "Nouveau nom".into();
    let mut thief = numbered_entity(4, &REGION, 0);
    thief.sites.push(Site {
        finess: e2.sites[0].finess,
        entity: thief.entity.finess,
        name: "volé".into(),
    });
    let batch = [e3.clone(), renamed.clone(), thief];
    let err = store
        .import_establishments(&sys, &REGION, "b.csv", &batch)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(c) if c.to_string().contains("déjà rattaché")),
        "{err}"
    );
    // The plan (preview) refuses the same batch without writing either.
    assert!(store.plan_establishments(&REGION, &batch).await.is_err());
    assert_eq!(store.legal_entity(&e3.entity.finess).await.unwrap(), None);
    assert_eq!(
        store
            .legal_entity(&e1.entity.finess)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Entité 1"
    );
    assert_eq!(
        store.legal_entities_in_region(&REGION).await.unwrap().len(),
        2
    );
    assert_eq!(audit_lines(store, &REGION).await, audit_before);

    // A site whose row names another legal entity than the one it is listed under:
    // refused by the region's import and by the national one, nothing written.
    let mut misfiled = numbered_entity(5, &REGION, 1);
    misfiled.sites[0].entity = e1.entity.finess;
    let by_region = store
        .import_establishments(&sys, &REGION, "d.csv", std::slice::from_ref(&misfiled))
        .await;
    let national = store
        .import_entities(&sys, std::slice::from_ref(&misfiled))
        .await;
    for err in [by_region.unwrap_err(), national.unwrap_err()] {
        assert!(
            matches!(&err, StoreError::Conflict(c) if c.to_string().contains("et non à")),
            "{err}"
        );
    }
    assert_eq!(
        store.legal_entity(&misfiled.entity.finess).await.unwrap(),
        None
    );
    assert_eq!(audit_lines(store, &REGION).await, audit_before);

    // Without the faulty entity, the rename goes through and the new one is created.
    let plans = store
        .plan_establishments(&REGION, &[e3.clone(), renamed.clone(), e2.clone()])
        .await
        .unwrap();
    let changes: Vec<EntityChange> = plans.iter().map(|p| p.change).collect();
    assert_eq!(
        changes,
        [
            EntityChange::Create,
            EntityChange::Update,
            EntityChange::Unchanged
        ]
    );
    store
        .import_establishments(
            &sys,
            &REGION,
            "c.csv",
            &[e3.clone(), renamed.clone(), e2.clone()],
        )
        .await
        .unwrap();
    assert_eq!(audit_lines(store, &REGION).await, audit_before + 1);
    // An entity of another region is refused.
    let err = store
        .import_establishments(&sys, &OTHER_REGION, "d.csv", std::slice::from_ref(&e1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");

    // Values: a batch with one site outside the campaign's region writes nothing.
    let campaign = store
        .create_campaign(
            &sys,
            &NewCampaign {
                region: REGION,
                year: 2019,
                referentiel_id: "occitanie-2018".into(),
                title: "Campagne 2020".into(),
                submission_deadline: "2020-03-31".parse().unwrap(),
                evaluation_deadline: "2020-06-30".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let other = numbered_entity(5, &OTHER_REGION, 1);
    store
        .import_establishments(&sys, &OTHER_REGION, "e.csv", std::slice::from_ref(&other))
        .await
        .unwrap();
    let audit_before = audit_lines(store, &REGION).await;
    let target = ImportedTarget {
        entity: e2.entity.finess,
        indicator: "II-01".into(),
        target: Decimal::new(20, 0),
    };
    let good = value(e2.sites[0].finess, 2019, "II-01");
    let err = store
        .import_yearly(
            &sys,
            &campaign,
            "valeurs.csv",
            &[good.clone(), value(other.sites[0].finess, 2019, "II-01")],
            std::slice::from_ref(&target),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let wrong_year = store
        .import_yearly(
            &sys,
            &campaign,
            "valeurs.csv",
            &[value(e2.sites[0].finess, 2018, "II-01")],
            &[],
        )
        .await;
    assert!(wrong_year.is_err());
    assert!(
        store
            .values_for_entity(&e2.entity.finess, 2019)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .targets_for(&e2.entity.finess, 2019)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(audit_lines(store, &REGION).await, audit_before);

    let n = store
        .import_yearly(
            &sys,
            &campaign,
            "valeurs.csv",
            std::slice::from_ref(&good),
            &[target],
        )
        .await
        .unwrap();
    assert_eq!((n.values, n.targets), (1, 1));
    assert_eq!(
        store
            .values_for_entity(&e2.entity.finess, 2019)
            .await
            .unwrap(),
        vec![good]
    );
    assert_eq!(
        store
            .targets_for(&e2.entity.finess, 2019)
            .await
            .unwrap()
            .get("II-01"),
        Some(&Decimal::new(20, 0))
    );
    assert_eq!(audit_lines(store, &REGION).await, audit_before + 1);
}

#[tokio::test]
async fn imports_are_all_or_nothing_on_sqlite() {
    on_sqlite(imports_are_all_or_nothing).await.unwrap();
}

#[tokio::test]
async fn imports_are_all_or_nothing_on_postgres() {
    on_postgres(imports_are_all_or_nothing).await.unwrap();
}
