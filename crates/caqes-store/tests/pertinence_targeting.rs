//! Targeting of the pertinence volet: import of the per-theme data by the ARS or
//! the AM, the engine's funnel test exactly at its targeting limit and one count
//! inside, and the confirmed list with motivated exclusions; on SQLite always and
//! on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use caqes_core::volets::pertinence::{PertinenceParameters, ratio_test};
use caqes_core::{Category, Finess, Rate};
use caqes_store::pertinence_targeting::{Measure, PERTINENCE, PertinenceData};
use caqes_store::targeting::TargetingStatus;
use caqes_store::testing::{POSTGRES_ENV, TestDb, make_finess};
use caqes_store::{
    Actor, Campaign, LegalEntity, NewCampaign, NewEntity, NewUser, Region, Role, Site, Store,
    StoreError, User,
};
use jiff::civil::date;
use rust_decimal::Decimal;

async fn user(store: &Store, role: Role, email: &str, region: &str) -> User {
    store
        .create_user(
            &Actor::system("test"),
            &NewUser {
                email: email.into(),
                display_name: email.into(),
                role,
                region: Some(region.into()),
                entity: None,
                password_hash: "x".into(),
            },
        )
        .await
        .unwrap()
}

async fn entity(store: &Store, body: u32, region: &str, name: &str) -> Finess {
    let f = make_finess(body);
    store
        .import_entities(
            &Actor::system("test"),
            &[NewEntity {
                entity: LegalEntity {
                    finess: f,
                    region: region.into(),
                    name: name.into(),
                    category: Category::McoPublicEspic,
                },
                sites: vec![Site {
                    finess: make_finess(body + 500_000),
                    entity: f,
                    name: format!("Site {name}"),
                }],
            }],
        )
        .await
        .unwrap();
    f
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn ratio(entity: Finess, theme: &str, observed: u64, expected: &str) -> PertinenceData {
    PertinenceData {
        entity,
        year: 2018,
        theme: theme.into(),
        measure: Measure::Ratio {
            observed,
            expected: d(expected),
        },
    }
}

fn proportion(entity: Finess, theme: &str, observed: u64, population: u64) -> PertinenceData {
    PertinenceData {
        entity,
        year: 2018,
        theme: theme.into(),
        measure: Measure::Proportion {
            observed,
            population,
            reference: Rate::proportion(d("1"), d("10")).unwrap(),
        },
    }
}

async fn story(store: &Store) {
    let sys = Actor::system("test");
    for (code, name) in [("76", "Occitanie"), ("84", "Auvergne-Rhône-Alpes")] {
        store
            .create_region(
                &sys,
                &Region {
                    code: code.into(),
                    name: name.into(),
                },
            )
            .await
            .unwrap();
    }
    let at = entity(store, 31_000_001, "76", "A at the limit").await;
    let inside = entity(store, 31_000_002, "76", "B one inside").await;
    let low = entity(store, 31_000_003, "76", "C under-use").await;
    let elsewhere = entity(store, 69_000_001, "84", "E other region").await;
    let ars = user(store, Role::Ars, "ars@t.fr", "76").await;
    let am = user(store, Role::AssuranceMaladie, "am@t.fr", "76").await;
    let ars_other = user(store, Role::Ars, "ars84@t.fr", "84").await;
    let omedit = user(store, Role::Omedit, "omedit@t.fr", "76").await;
    let campaign: Campaign = store
        .create_campaign(
            &Actor::user(&ars),
            &NewCampaign {
                region: "76".into(),
                year: 2018,
                referentiel_id: "occitanie-2018".into(),
                title: "Campagne 2018".into(),
                submission_deadline: date(2019, 3, 31),
                evaluation_deadline: date(2019, 6, 30),
            },
        )
        .await
        .unwrap();

    // The upper targeting limit of a Poisson count expected at 10 (99.8 %):
    // for Poisson(10), P(X ≥ 22) ≈ 0.07 % ≤ 0.1 % < P(X ≥ 21) ≈ 0.16 %, so 22.
    let params = PertinenceParameters::default();
    let high = ratio_test(&params, 0, d("10"))
        .unwrap()
        .ciblage
        .limite_haute
        .unwrap();
    assert_eq!(high, 22);
    let rows = vec![
        ratio(at, "Cholécystectomie", high, "10"),
        ratio(inside, "Cholécystectomie", high - 1, "10"),
        // 1000 stays at a reference 1/10: 60 is far below 100 expected.
        proportion(inside, "Chirurgie ambulatoire", 100, 1000),
        proportion(low, "Chirurgie ambulatoire", 60, 1000),
    ];

    // The ARS and the AM of the region import; not the OMEDIT, nor another region.
    assert!(matches!(
        store
            .import_pertinence_data(&omedit, "76", "pertinence.csv", &rows)
            .await
            .unwrap_err(),
        StoreError::Workflow(_)
    ));
    assert!(matches!(
        store
            .import_pertinence_data(&ars_other, "76", "pertinence.csv", &rows)
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
    // An entity of another region, or a count above its population, stops the
    // whole file: nothing written.
    let mut bad = rows.clone();
    bad.push(ratio(elsewhere, "Cholécystectomie", 3, "10"));
    let err = store
        .import_pertinence_data(&ars, "76", "pertinence.csv", &bad)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains(&elsewhere.to_string())),
        "{err}"
    );
    let mut bad = rows.clone();
    bad[3] = proportion(low, "Chirurgie ambulatoire", 1001, 1000);
    let err = store
        .import_pertinence_data(&am, "76", "pertinence.csv", &bad)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("pertinence.csv") && m.contains("Chirurgie ambulatoire")),
        "{err}"
    );
    assert!(store.pertinence_data("76", 2018).await.unwrap().is_empty());

    let n = store
        .import_pertinence_data(&am, "76", "pertinence.csv", &rows)
        .await
        .unwrap();
    assert_eq!(n, 4);
    let stored = store.pertinence_data("76", 2018).await.unwrap();
    assert_eq!(stored.len(), 4);
    for r in &rows {
        assert!(stored.contains(r), "{r:?}");
    }

    let verdicts = store.pertinence_verdicts(&campaign).await.unwrap();
    assert_eq!(verdicts.len(), 3);
    let verdict = |f: Finess| verdicts.iter().find(|v| v.entity.finess == f).unwrap();
    assert!(verdict(at).targeted);
    assert!(
        verdict(at).reason.starts_with("atypique sur 1 thème")
            && verdict(at).reason.contains("observé 22")
            && verdict(at).reason.contains("au-dessus"),
        "{}",
        verdict(at).reason
    );
    assert!(!verdict(inside).targeted);
    assert_eq!(verdict(inside).themes.len(), 2);
    assert!(
        verdict(inside).reason.starts_with("non atypique"),
        "{}",
        verdict(inside).reason
    );
    assert!(verdict(low).targeted);
    assert!(
        verdict(low).reason.contains("en dessous"),
        "{}",
        verdict(low).reason
    );

    // Only the ARS of the region confirms.
    let none = BTreeMap::new();
    assert!(matches!(
        store
            .confirm_pertinence_targeting(&am, &campaign, &none)
            .await
            .unwrap_err(),
        StoreError::Workflow(_)
    ));
    assert!(matches!(
        store
            .confirm_pertinence_targeting(&ars_other, &campaign, &none)
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
    // An exclusion needs a motivation and an atypical entity.
    for (f, why) in [(low, "  "), (inside, "pas atypique")] {
        let one = BTreeMap::from([(f, why.to_owned())]);
        let err = store
            .confirm_pertinence_targeting(&ars, &campaign, &one)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    }
    assert!(
        store
            .confirmed_targeting(&campaign.id, PERTINENCE)
            .await
            .unwrap()
            .is_empty()
    );

    let one = BTreeMap::from([(low, "Activité ambulatoire en montée".to_owned())]);
    let list = store
        .confirm_pertinence_targeting(&ars, &campaign, &one)
        .await
        .unwrap();
    let line = |list: &[caqes_store::targeting::ConfirmedTargeting], f: Finess| {
        list.iter().find(|c| c.entity == f).unwrap().clone()
    };
    assert_eq!(list.len(), 3);
    assert_eq!(line(&list, at).status, TargetingStatus::Cible);
    assert_eq!(line(&list, inside).status, TargetingStatus::NonCible);
    assert_eq!(line(&list, low).status, TargetingStatus::Exclu);
    assert_eq!(
        line(&list, low).motivation.as_deref(),
        Some("Activité ambulatoire en montée")
    );

    // A re-confirmation replaces the list; the audit keeps before and after.
    let list = store
        .confirm_pertinence_targeting(&ars, &campaign, &none)
        .await
        .unwrap();
    assert_eq!(line(&list, low).status, TargetingStatus::Cible);
    let audit = store.audit_in_region("76", 100).await.unwrap();
    let confirmations: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "ciblage.confirmer")
        .collect();
    assert_eq!(confirmations.len(), 2);
    assert!(
        confirmations[0]
            .before
            .as_deref()
            .unwrap()
            .contains("Activité ambulatoire en montée")
    );

    // A re-import replaces a line and audits the old values.
    store
        .import_pertinence_data(
            &ars,
            "76",
            "pertinence.csv",
            &[ratio(at, "Cholécystectomie", 12, "10")],
        )
        .await
        .unwrap();
    let audit = store.audit_in_region("76", 100).await.unwrap();
    let imports: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "pertinence.importer")
        .collect();
    assert_eq!(imports.len(), 2);
    let last = imports[0];
    assert!(last.before.as_deref().unwrap().contains("\"observe\":22"));
    assert!(last.after.as_deref().unwrap().contains("\"observe\":12"));
    assert!(
        !store
            .pertinence_verdicts(&campaign)
            .await
            .unwrap()
            .iter()
            .find(|v| v.entity.finess == at)
            .unwrap()
            .targeted
    );
}

#[tokio::test]
async fn pertinence_targeting_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    story(&db.store).await;
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn pertinence_targeting_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    story(&db.store).await;
    db.cleanup().await.unwrap();
}
