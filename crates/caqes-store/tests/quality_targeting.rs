//! Targeting of the quality volet: import of the indicators by the ARS, the
//! engine's verdict exactly at the seed's thresholds and just beyond, the ARS's
//! appreciation when D3.1 is not filled in, and the confirmed list; on SQLite
//! always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::volets::quality::{
    D31Result, DocResult, Icalin2Class, Icalin2Result, Risk, RiskStatus,
};
use caqes_core::{Finess, Rate};
use caqes_store::targeting::TargetingStatus;
use caqes_store::targeting::qualite::QUALITE;
use caqes_store::testing::{on_postgres, on_sqlite};
use caqes_store::{Store, StoreError};
use rust_decimal::Decimal;

mod common;
use common::targeting::{Targeting, assert_conflict, audit_lines, line, quality_row};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn d31(num: &str, den: &str) -> D31Result {
    D31Result::Taux(Rate::proportion(d(num), d(den)).unwrap())
}

fn doc(rate: &str, low: &str, high: &str) -> DocResult {
    DocResult::Resultat {
        taux_pct: d(rate),
        ic_borne_basse_pct: d(low),
        ic_borne_haute_pct: d(high),
    }
}

async fn story(store: &Store) {
    let t = Targeting::build(
        store,
        [
            "A at the thresholds",
            "B just beyond",
            "C non-répondant",
            "D D3.1 non renseigné",
        ],
    )
    .await;
    let [at, beyond, silent, unfilled] = t.entities;
    let (elsewhere, ars, campaign) = (t.elsewhere, &t.ars, &t.campaign);

    use Icalin2Result::Classe;
    let rows = vec![
        // Class B, D3.1 exactly 10 %, DOC upper bound exactly 10 %: no risk.
        quality_row(
            at,
            Classe(Icalin2Class::B),
            d31("10", "100"),
            doc("8", "6", "10"),
        ),
        // Class C, D3.1 9,99 %, DOC upper bound 9,99 %: the three risks.
        quality_row(
            beyond,
            Classe(Icalin2Class::C),
            d31("999", "10000"),
            doc("8", "6", "9.99"),
        ),
        quality_row(
            silent,
            Icalin2Result::NonRepondant,
            D31Result::NonSoumis,
            DocResult::NonRepondant,
        ),
        quality_row(
            unfilled,
            Classe(Icalin2Class::A),
            D31Result::NonRenseigne,
            DocResult::NonSoumis,
        ),
    ];

    // Only the ARS of the region imports.
    assert!(matches!(
        store
            .import_quality_indicators(&t.am, &REGION, "qualite.csv", &rows)
            .await
            .unwrap_err(),
        StoreError::Workflow(_)
    ));
    assert!(matches!(
        store
            .import_quality_indicators(&t.ars_other, &REGION, "qualite.csv", &rows)
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
    // An entity of another region, or a DOC rate outside its interval, stops
    // the whole file: nothing written.
    let mut bad = rows.clone();
    bad.push(quality_row(
        elsewhere,
        Icalin2Result::NonSoumis,
        D31Result::NonSoumis,
        DocResult::NonSoumis,
    ));
    let err = store
        .import_quality_indicators(ars, &REGION, "qualite.csv", &bad)
        .await
        .unwrap_err();
    assert_conflict(&err, &[&elsewhere.to_string()]);
    let mut bad = rows.clone();
    bad[3].doc = doc("12", "6", "10");
    let err = store
        .import_quality_indicators(ars, &REGION, "qualite.csv", &bad)
        .await
        .unwrap_err();
    assert_conflict(&err, &["DOC", "qualite.csv"]);
    assert!(
        store
            .quality_indicators(&REGION, 2018)
            .await
            .unwrap()
            .is_empty()
    );

    let n = store
        .import_quality_indicators(ars, &REGION, "qualite.csv", &rows)
        .await
        .unwrap();
    assert_eq!(n, 4);
    let stored = store.quality_indicators(&REGION, 2018).await.unwrap();
    assert_eq!(stored, rows);

    let verdicts = store.quality_verdicts(campaign).await.unwrap();
    let verdict = |f: Finess| verdicts.iter().find(|v| v.entity.finess == f).unwrap();
    assert!(verdict(at).targeting.targeted_risks().is_empty());
    assert!(
        verdict(at).reason.starts_with("non ciblé"),
        "{}",
        verdict(at).reason
    );
    assert_eq!(
        verdict(beyond).targeting.targeted_risks(),
        vec![Risk::Infectieux, Risk::Medicamenteux, Risk::RuptureParcours]
    );
    let reason_b = &verdict(beyond).reason;
    assert!(
        reason_b.starts_with("ciblé sur 3 risques") && reason_b.contains("ICALIN2 en classe C"),
        "{reason_b}"
    );
    assert_eq!(
        verdict(silent).targeting.targeted_risks(),
        vec![Risk::Infectieux, Risk::RuptureParcours]
    );
    assert_eq!(
        verdict(silent).targeting.risques[1].statut,
        RiskStatus::NonSoumis
    );
    assert!(verdict(unfilled).targeting.needs_ars_decision());
    assert!(!verdict(unfilled).targeting.targeted());

    // The ARS must choose for the unfilled D3.1, and only there.
    let none_b = BTreeMap::new();
    let none_s = BTreeMap::new();
    let err = store
        .confirm_quality_targeting(ars, campaign, &none_b, &none_s)
        .await
        .unwrap_err();
    assert_conflict(&err, &[&unfilled.to_string()]);
    let wrong = BTreeMap::from([(unfilled, true), (at, true)]);
    assert!(matches!(
        store
            .confirm_quality_targeting(ars, campaign, &wrong, &none_s)
            .await
            .unwrap_err(),
        StoreError::Conflict(_)
    ));
    // Only the ARS of the region confirms; with its choice made, an exclusion
    // needs a motivation and a targeted entity.
    let keep = BTreeMap::from([(unfilled, true)]);
    t.assert_confirm_refusals(
        store,
        QUALITE,
        (silent, at, "pas ciblé"),
        async |user, exclusions| {
            store
                .confirm_quality_targeting(user, campaign, &keep, exclusions)
                .await
        },
    )
    .await;

    let one = BTreeMap::from([(silent, "Certification HAS récente".to_owned())]);
    let list = store
        .confirm_quality_targeting(ars, campaign, &keep, &one)
        .await
        .unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(line(&list, at).status, TargetingStatus::NonCible);
    assert_eq!(line(&list, beyond).status, TargetingStatus::Cible);
    assert_eq!(line(&list, silent).status, TargetingStatus::Exclu);
    assert_eq!(
        line(&list, silent).motivation.as_deref(),
        Some("Certification HAS récente")
    );
    assert_eq!(line(&list, unfilled).status, TargetingStatus::Cible);
    assert!(
        line(&list, unfilled)
            .engine_reason
            .contains("risque médicamenteux retenu")
    );

    // The ARS changes its mind on D3.1: the unfilled entity is no longer targeted.
    let drop = BTreeMap::from([(unfilled, false)]);
    let list = store
        .confirm_quality_targeting(ars, campaign, &drop, &none_s)
        .await
        .unwrap();
    assert_eq!(line(&list, unfilled).status, TargetingStatus::NonCible);
    assert_eq!(line(&list, silent).status, TargetingStatus::Cible);
    let confirmations = audit_lines(store, "ciblage.confirmer").await;
    assert_eq!(confirmations.len(), 2);
    assert!(confirmations[0].0.contains("Certification HAS récente"));
    assert!(!confirmations[0].1.contains("Certification HAS"));

    // A re-import replaces a line and audits the old values.
    store
        .import_quality_indicators(
            ars,
            &REGION,
            "qualite.csv",
            &[quality_row(
                at,
                Classe(Icalin2Class::D),
                d31("10", "100"),
                doc("8", "6", "10"),
            )],
        )
        .await
        .unwrap();
    let imports = audit_lines(store, "qualite.importer").await;
    assert_eq!(imports.len(), 2);
    // Newest first.
    let (before, after) = &imports[0];
    assert!(before.contains("\"B\""));
    assert!(after.contains("\"D\""));
    assert!(
        store
            .quality_verdicts(campaign)
            .await
            .unwrap()
            .iter()
            .find(|v| v.entity.finess == at)
            .unwrap()
            .targeting
            .targeted()
    );
}

#[tokio::test]
async fn quality_targeting_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn quality_targeting_on_postgres() {
    on_postgres(story).await.unwrap();
}
