//! Evaluation of the qualité volet for an entity confirmed as targeted: the
//! seed's rule (1 % of the AM revenue × r(number of risks) × (1 − share met)) on
//! hand numbers, the number of risks taken from the confirmed targeting
//! (including the ARS's D3.1 appreciation), bounds, roles and scope; on SQLite
//! always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use caqes_core::sanction::Nature;
use caqes_core::volets::quality::{D31Result, DocResult, Icalin2Class, Icalin2Result};
use caqes_core::volets::{Objective, Progress};
use caqes_core::{Euros, Rate};
use caqes_store::Opinion;
use caqes_store::testing::{Fixture, POSTGRES_ENV, TestDb};
use caqes_store::volets::qualite::Qualite;
use caqes_store::volets::transport::Transports;
use caqes_store::{Store, StoreError};
use jiff::civil::date;
use rust_decimal::Decimal;

mod common;
use common::conflict;
use common::targeting::quality_row;
use common::volet::{Life, amount, deciders, euros, refused};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn objective(label: &str, weight: &str, met: &str) -> Objective {
    Objective {
        libelle: label.into(),
        poids: d(weight),
        realisation: Progress::from_fraction(d(met)).unwrap(),
    }
}

async fn story(db: &TestDb) {
    let store = &db.store;
    let fx = Fixture::builder()
        .entity_with_sites("A sans risque", 1)
        .entity_with_sites("B trois risques", 1)
        .entity_with_sites("C non-répondant", 1)
        .entity_with_sites("D D3.1 non renseigné", 1)
        .other_region()
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let [none, three, two, kept] = fx.finess().unwrap();
    let (ars, am, ars_other, campaign) = deciders(&fx);

    // Migrations 0012 and 0013 rebuild the table over existing rows: a notified transport
    // row written before them (replayed here by forgetting they were applied, then
    // reconnecting: `Store::connect` runs them again and reinstalls the triggers)
    // keeps its values and stays frozen.
    sqlx::query(
        "INSERT INTO volet_decisions (id, campaign, entity, volet, version, main_target_met, \
         optional_objective, forecast_spending, observed_spending, am_revenue, action_plan_progress, \
         outcome, savings, nature, basis_kind, ceiling, proposed_amount, final_amount, notified_on, \
         created_at) VALUES ('t1', $1, $2, 'transports', 1, 0, 'absent', '100', '120', '1000', '0', \
         'sanction', '-20', 'sanction', 'produits_am', '10', '10', '10', '2019-07-01', 'now')",
    )
    .bind(campaign.id.clone())
    .bind(none.to_string())
    .execute(store.pool())
    .await
    .unwrap();
    let before = store
        .volet_versions::<Transports>(&campaign.id, &none)
        .await
        .unwrap();
    assert_eq!(before.len(), 1);
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version IN (12, 13)")
        .execute(store.pool())
        .await
        .unwrap();
    let reopened = Store::connect(&db.url).await.unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version IN (12, 13)")
            .fetch_one(reopened.pool())
            .await
            .unwrap();
    assert_eq!(n, 2, "0012 and 0013 replayed");
    // Replaying 0013 rebuilt the table with 0013's columns: the column that
    // 0015 added after it (the audit chain's head at notification) comes back
    // as 0015 made it, and the store reconnects (SQLite connections opened
    // before the ALTER would keep the former column list).
    sqlx::query("ALTER TABLE volet_decisions ADD COLUMN notified_chain_head TEXT")
        .execute(reopened.pool())
        .await
        .unwrap();
    reopened.close().await;
    let reopened = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        reopened
            .volet_versions::<Transports>(&campaign.id, &none)
            .await
            .unwrap(),
        before
    );
    for sql in [
        "UPDATE volet_decisions SET am_revenue = '1' WHERE id = 't1'",
        "DELETE FROM volet_decisions WHERE id = 't1'",
    ] {
        assert!(
            sqlx::query(sql).execute(reopened.pool()).await.is_err(),
            "{sql}"
        );
    }
    reopened.close().await;
    let rate = |n: &str, den: &str| D31Result::Taux(Rate::proportion(d(n), d(den)).unwrap());
    let doc = |r: &str, lo: &str, hi: &str| DocResult::Resultat {
        taux_pct: d(r),
        ic_borne_basse_pct: d(lo),
        ic_borne_haute_pct: d(hi),
    };
    let rows = vec![
        quality_row(
            none,
            Icalin2Result::Classe(Icalin2Class::B),
            rate("10", "100"),
            doc("8", "6", "10"),
        ),
        quality_row(
            three,
            Icalin2Result::Classe(Icalin2Class::C),
            rate("999", "10000"),
            doc("8", "6", "9.99"),
        ),
        quality_row(
            two,
            Icalin2Result::NonRepondant,
            D31Result::NonSoumis,
            DocResult::NonRepondant,
        ),
        quality_row(
            kept,
            Icalin2Result::Classe(Icalin2Class::A),
            D31Result::NonRenseigne,
            DocResult::NonSoumis,
        ),
    ];
    store
        .import_quality_indicators(&ars, &REGION, "qualite.csv", &rows)
        .await
        .unwrap();
    let objectives = [
        objective("Objectif 1", "1", "1"),
        objective("Objectif 2", "1", "0"),
    ];

    // Before the confirmation, nobody is targeted.
    conflict(
        store
            .record_quality_evaluation(&ars, &campaign, &three, &objectives, euros("10000000"))
            .await,
        "pas ciblé",
    );

    // The ARS keeps the medication risk of D (D3.1 not filled in).
    let choices = BTreeMap::from([(kept, true)]);
    store
        .confirm_quality_targeting(&ars, &campaign, &choices, &BTreeMap::new())
        .await
        .unwrap();

    // The risks are those the ARS confirmed: indicators re-imported since (C
    // now without any risk) do not change the count.
    let mut improved = rows.clone();
    improved[1] = quality_row(
        three,
        Icalin2Result::Classe(Icalin2Class::A),
        rate("500", "1000"),
        doc("80", "70", "90"),
    );
    store
        .import_quality_indicators(&ars, &REGION, "qualite.csv", &improved)
        .await
        .unwrap();
    let q = store
        .record_quality_evaluation(&ars, &campaign, &three, &objectives, euros("10000000"))
        .await
        .unwrap();
    assert_eq!(q.evaluation.targeted_risks, 3);
    store
        .import_quality_indicators(&ars, &REGION, "qualite.csv", &rows)
        .await
        .unwrap();

    // Roles and scope: the AM cannot evaluate, another region's ARS sees nothing,
    // an entity without risk is not targeted.
    assert!(matches!(
        refused(
            store
                .record_quality_evaluation(&am, &campaign, &three, &objectives, euros("10000000"))
                .await
        ),
        StoreError::Workflow(_)
    ));
    assert!(matches!(
        refused(
            store
                .record_quality_evaluation(
                    &ars_other,
                    &campaign,
                    &three,
                    &objectives,
                    euros("10000000")
                )
                .await
        ),
        StoreError::NotFound(_)
    ));
    conflict(
        store
            .record_quality_evaluation(&ars, &campaign, &none, &objectives, euros("10000000"))
            .await,
        "pas ciblé",
    );

    // Three risks, half the objectives met: 10 000 000 € × 1 % = 100 000 € ceiling,
    // × r(3) = 100 % × (1 − 1/2) = 50 000 €.
    let q = store
        .record_quality_evaluation(&ars, &campaign, &three, &objectives, euros("10000000"))
        .await
        .unwrap();
    assert_eq!(q.evaluation.targeted_risks, 3);
    assert_eq!(q.version, 1);
    assert_eq!(q.evaluation.share_met.value(), d("0.5"));
    let p = q.proposal.unwrap();
    assert_eq!(p.nature(), Nature::Sanction);
    assert_eq!(p.ceiling(), euros("100000"));
    assert_eq!(p.amount(), euros("50000"));
    assert_eq!(q.evaluation.objectives, objectives.to_vec());

    // Two risks (non-répondant), weighted share (3 × 0,25 + 1 × 1) / 4 = 0,4375:
    // 2 000 000 € × 1 % = 20 000 € × r(2) = 75 % × 0,5625 = 8 437,50 €.
    let weighted = [
        objective("Pondéré", "3", "0.25"),
        objective("Atteint", "1", "1"),
    ];
    let q = store
        .record_quality_evaluation(&ars, &campaign, &two, &weighted, euros("2000000"))
        .await
        .unwrap();
    assert_eq!(q.evaluation.targeted_risks, 2);
    assert_eq!(q.evaluation.share_met.value(), d("0.4375"));
    assert_eq!(q.proposal.unwrap().amount(), euros("8437.50"));

    // One risk kept by the ARS, no complementary objective (share 0):
    // 1 000 000 € × 1 % × r(1) = 50 % × 1 = 5 000 €.
    let q = store
        .record_quality_evaluation(&ars, &campaign, &kept, &[], euros("1000000"))
        .await
        .unwrap();
    assert_eq!(q.evaluation.targeted_risks, 1);
    assert_eq!(q.proposal.unwrap().amount(), euros("5000"));

    // Bounds: a negative AM revenue or a zero weight is refused, nothing written.
    conflict(
        store
            .record_quality_evaluation(&ars, &campaign, &three, &objectives, euros("-1"))
            .await,
        "produits AM",
    );
    conflict(
        store
            .record_quality_evaluation(
                &ars,
                &campaign,
                &three,
                &[objective("Nul", "0", "1")],
                euros("10000000"),
            )
            .await,
        "",
    );
    let versions = store
        .volet_versions::<Qualite>(&campaign.id, &three)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].proposal.unwrap().amount(), euros("50000"));

    // Before the AM opinion the ARS may replace its figures, in place: all
    // objectives met gives a zero sanction, at the same ceiling.
    let all_met = [
        objective("Objectif 1", "1", "1"),
        objective("Objectif 2", "1", "1"),
    ];
    let q = store
        .record_quality_evaluation(&ars, &campaign, &three, &all_met, euros("10000000"))
        .await
        .unwrap();
    assert_eq!(q.version, 1);
    let p = q.proposal.unwrap();
    assert_eq!(p.amount(), Euros::ZERO);
    assert_eq!(p.ceiling(), euros("100000"));
    assert_eq!(
        store
            .volet_versions::<Qualite>(&campaign.id, &three)
            .await
            .unwrap()
            .len(),
        1
    );
    // The transport decisions of the same entity are not mixed with the qualité rows.
    assert!(
        store
            .volet_versions::<Transports>(&campaign.id, &three)
            .await
            .unwrap()
            .is_empty()
    );

    // Life cycle on C (proposal 8 437,50 €, ceiling 20 000 €): no decision before
    // the AM opinion; only the AM gives it, only the ARS decides.
    let life = Life::<Qualite>::of(store, &campaign, two);
    conflict(life.decide(&ars, amount("8437.50"), None).await, "avis");
    assert!(matches!(
        refused(life.opinion(&ars, Opinion::Favorable, None).await),
        StoreError::Workflow(_)
    ));
    // As on the volet obligatoire, an unfavourable opinion says why.
    for blank in [None, Some("   ")] {
        conflict(
            life.opinion(&am, Opinion::Defavorable, blank).await,
            "motivé",
        );
    }
    let q = life
        .opinion(&am, Opinion::Defavorable, Some("trop élevé"))
        .await
        .unwrap();
    assert_eq!(q.opinion, Some(Opinion::Defavorable));
    // The figures the AM judged can no longer be replaced.
    conflict(
        store
            .record_quality_evaluation(&ars, &campaign, &two, &weighted, euros("3000000"))
            .await,
        "avis",
    );
    assert!(matches!(
        refused(life.decide(&am, amount("8437.50"), None).await),
        StoreError::Workflow(_)
    ));
    // Bounds: above the ceiling is refused; another amount needs a motivation.
    conflict(
        life.decide(&ars, amount("20000.01"), Some("au-delà")).await,
        "",
    );
    conflict(life.decide(&ars, amount("4000"), None).await, "");
    let q = life
        .decide(&ars, amount("20000"), Some("récidive"))
        .await
        .unwrap();
    assert_eq!(q.final_amount, Some(euros("20000")));
    assert!(matches!(
        refused(life.notify(&am, date(2019, 7, 1)).await),
        StoreError::Workflow(_)
    ));
    let q = life.notify(&ars, date(2019, 7, 1)).await.unwrap();
    assert!(q.is_frozen());
    conflict(life.decide(&ars, amount("8437.50"), None).await, "notifiée");
    conflict(life.correct(&ars, amount("8437.50"), None, "  ").await, "");
    let v2 = life
        .correct(&ars, amount("8437.50"), None, "erreur matérielle")
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert!(!v2.is_frozen());
    assert_eq!(v2.final_amount, Some(euros("8437.50")));
    assert_eq!(v2.evaluation.objectives, weighted.to_vec());
    assert_eq!(v2.opinion, Some(Opinion::Defavorable));
    assert_eq!(v2.correction_reason.as_deref(), Some("erreur matérielle"));
    let history = life.versions().await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].final_amount, Some(euros("20000")));

    // The open version 2 is still writable (the trigger only guards notified rows).
    let v2 = life
        .decide(&ars, amount("8000"), Some("ajustement"))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    // A transport row still needs its transport inputs on the rebuilt table.
    assert!(
        sqlx::query(
            "INSERT INTO volet_decisions (id, campaign, entity, volet, version, am_revenue, outcome, \
             ceiling, proposed_amount, created_at) \
             VALUES ('x', $1, $2, 'transports', 1, '0', 'ni_interessement_ni_sanction', '0', '0', 'now')",
        )
        .bind(campaign.id.clone())
        .bind(two.to_string())
        .execute(store.pool())
        .await
        .is_err()
    );
    let frozen = life.versions().await;
    assert!(
        sqlx::query("UPDATE volet_decisions SET am_revenue = '1' WHERE id = $1")
            .bind(frozen[0].id.clone())
            .execute(store.pool())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn quality_decisions_on_sqlite() {
    let db = TestDb::sqlite().await.unwrap();
    story(&db).await;
    db.cleanup().await.unwrap();
}

#[tokio::test]
async fn quality_decisions_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    story(&db).await;
    db.cleanup().await.unwrap();
}
