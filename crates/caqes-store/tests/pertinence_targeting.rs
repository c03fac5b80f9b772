//! Targeting of the pertinence volet: import of the per-theme data by the ARS or
//! the AM, the engine's funnel test exactly at its targeting limit and one count
//! inside, and the confirmed list with motivated exclusions; on SQLite always and
//! on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::volets::pertinence::{PertinenceParameters, ratio_test};
use caqes_core::{Finess, Rate};
use caqes_store::targeting::TargetingStatus;
use caqes_store::targeting::pertinence::{Measure, PERTINENCE, PertinenceData};
use caqes_store::testing::{on_postgres, on_sqlite};
use caqes_store::{Store, StoreError};
use rust_decimal::Decimal;

mod common;
use common::targeting::{Targeting, assert_conflict, audit_lines, line};

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
    let t = Targeting::build(store, ["A at the limit", "B one inside", "C under-use"]).await;
    let [at, inside, low] = t.entities;
    let (elsewhere, ars, am, campaign) = (t.elsewhere, &t.ars, &t.am, &t.campaign);

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
            .import_pertinence_data(&t.omedit, &REGION, "pertinence.csv", &rows)
            .await
            .unwrap_err(),
        StoreError::Workflow(_)
    ));
    assert!(matches!(
        store
            .import_pertinence_data(&t.ars_other, &REGION, "pertinence.csv", &rows)
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
    // An entity of another region, or a count above its population, stops the
    // whole file: nothing written.
    let mut bad = rows.clone();
    bad.push(ratio(elsewhere, "Cholécystectomie", 3, "10"));
    let err = store
        .import_pertinence_data(ars, &REGION, "pertinence.csv", &bad)
        .await
        .unwrap_err();
    assert_conflict(&err, &[&elsewhere.to_string()]);
    let mut bad = rows.clone();
    bad[3] = proportion(low, "Chirurgie ambulatoire", 1001, 1000);
    let err = store
        .import_pertinence_data(am, &REGION, "pertinence.csv", &bad)
        .await
        .unwrap_err();
    assert_conflict(&err, &["pertinence.csv", "Chirurgie ambulatoire"]);
    assert!(
        store
            .pertinence_data(&REGION, 2018)
            .await
            .unwrap()
            .is_empty()
    );

    let n = store
        .import_pertinence_data(am, &REGION, "pertinence.csv", &rows)
        .await
        .unwrap();
    assert_eq!(n, 4);
    let stored = store.pertinence_data(&REGION, 2018).await.unwrap();
    assert_eq!(stored.len(), 4);
    for r in &rows {
        assert!(stored.contains(r), "{r:?}");
    }

    let verdicts = store.pertinence_verdicts(campaign).await.unwrap();
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

    // Only the ARS of the region confirms; an exclusion needs a motivation and an
    // atypical entity.
    t.assert_confirm_refusals(
        store,
        PERTINENCE,
        (low, inside, "pas atypique"),
        async |user, exclusions| {
            store
                .confirm_pertinence_targeting(user, campaign, exclusions)
                .await
        },
    )
    .await;
    let none = BTreeMap::new();

    let one = BTreeMap::from([(low, "Activité ambulatoire en montée".to_owned())]);
    let list = store
        .confirm_pertinence_targeting(ars, campaign, &one)
        .await
        .unwrap();
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
        .confirm_pertinence_targeting(ars, campaign, &none)
        .await
        .unwrap();
    assert_eq!(line(&list, low).status, TargetingStatus::Cible);
    let confirmations = audit_lines(store, "ciblage.confirmer").await;
    assert_eq!(confirmations.len(), 2);
    assert!(
        confirmations[0]
            .0
            .contains("Activité ambulatoire en montée")
    );

    // A re-import replaces a line and audits the old values.
    store
        .import_pertinence_data(
            ars,
            &REGION,
            "pertinence.csv",
            &[ratio(at, "Cholécystectomie", 12, "10")],
        )
        .await
        .unwrap();
    let imports = audit_lines(store, "pertinence.importer").await;
    assert_eq!(imports.len(), 2);
    let (before, after) = &imports[0];
    assert!(before.contains("\"observe\":22"));
    assert!(after.contains("\"observe\":12"));
    assert!(
        !store
            .pertinence_verdicts(campaign)
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
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn pertinence_targeting_on_postgres() {
    on_postgres(story).await.unwrap();
}
