//! The sanction for refusing to sign: a proposal left unsigned at the end of its
//! period is réputé refusé when the ARS opens the procedure (the contract is then
//! refused on the period's last day, in the same transaction); the sanction is
//! decided on either basis, notified after the period, frozen, audited and told
//! to the établissement. SQLite always, PostgreSQL when `CAQES_TEST_POSTGRES_URL`
//! is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::Euros;
use caqes_core::refusal::{RefusalGround, RefusalState};
use caqes_core::sanction::{Basis, SanctionBasis};
use caqes_core::volets::Volet;
use caqes_store::am::AmFigures;
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{Actor, ContractState, NewContract, ReceiptId, Role, Store, StoreError};
use jiff::civil::date;
use rust_decimal::Decimal;

mod common;
use common::conflict;

async fn story(store: &Store) {
    let fx = Fixture::builder()
        .entities(2)
        .other_region()
        .build(store)
        .await
        .unwrap();
    let a = fx.entities[0].entity.clone();
    let ars = fx.user(Role::Ars).unwrap().clone();
    let ars_other = fx.ars_other().unwrap().clone();
    let am = fx.user(Role::AssuranceMaladie).unwrap().clone();
    let etab = fx.etab(a.finess).unwrap().clone();

    // Received on paper on 1 March 2019: the period ends on 16 March.
    let c = store
        .propose_contract(
            &ars,
            &a,
            &NewContract {
                pertinence_terms: None,
                received_on: Some(date(2019, 3, 1)),
                additional: vec![(Volet::Transports, 3)],
            },
        )
        .await
        .unwrap();
    conflict(
        store.open_refusal(&ars, &c, date(2019, 3, 16)).await,
        "court jusqu'au 16 mars 2019",
    );
    assert!(matches!(
        store.open_refusal(&ars_other, &c, date(2019, 3, 20)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.open_refusal(&am, &c, date(2019, 3, 20)).await,
        Err(StoreError::Workflow(_))
    ));
    // No step before the procedure is opened.
    conflict(
        store
            .decide_refusal(&ars, &c, Basis::ProduitsAm, None, None)
            .await,
        "n'est pas ouverte",
    );

    let r = store
        .open_refusal(&ars, &c, date(2019, 3, 17))
        .await
        .unwrap();
    assert_eq!(r.ground, RefusalGround::DeemedRefused);
    assert_eq!(r.state, RefusalState::Ouverte);
    let c = store.contract_of(&a.finess).await.unwrap().unwrap();
    assert_eq!(c.state, ContractState::Refuse);
    assert_eq!(c.decided_on, Some(date(2019, 3, 16)));
    conflict(
        store.open_refusal(&ars, &c, date(2019, 3, 17)).await,
        "déjà ouverte",
    );

    // Without AM figures there is no basis to decide on.
    conflict(
        store
            .decide_refusal(&ars, &c, Basis::ProduitsAm, None, None)
            .await,
        "assiette n'est pas connu",
    );
    store
        .set_am_figures(
            &Actor::user(&am),
            &a.region,
            &[AmFigures {
                entity: a.finess,
                am_revenue: Some(Euros(Decimal::from(20_000_000))),
                liste_en_sus: Some(Euros(Decimal::from(2_000_000))),
                year: Some(2018),
            }],
        )
        .await
        .unwrap();
    let r = store
        .decide_refusal(&ars, &c, Basis::ProduitsAm, None, None)
        .await
        .unwrap();
    assert_eq!(r.amount, Some(Euros(Decimal::from(200_000))));
    conflict(
        store
            .decide_refusal(
                &ars,
                &c,
                Basis::ListeEnSus,
                Some(Euros(Decimal::from(100_000))),
                Some("  "),
            )
            .await,
        "motivation",
    );
    let r = store
        .decide_refusal(
            &ars,
            &c,
            Basis::ListeEnSus,
            Some(Euros(Decimal::from(100_000))),
            Some("Premier refus, engagement écrit de signer l'an prochain"),
        )
        .await
        .unwrap();
    assert_eq!(
        r.basis,
        Some(SanctionBasis::ListeEnSus(Euros(Decimal::from(2_000_000))))
    );
    assert_eq!(r.ceiling, Some(Euros(Decimal::from(600_000))));
    assert_eq!(r.amount, Some(Euros(Decimal::from(100_000))));
    assert_eq!(r.state, RefusalState::Decidee);

    // Notified from the day after the period's end, never in the future.
    conflict(
        store.notify_refusal(&ars, &c, date(2019, 3, 16)).await,
        "17 mars 2019",
    );
    conflict(
        store.notify_refusal(&ars, &c, date(2999, 1, 1)).await,
        "futur",
    );
    let r = store
        .notify_refusal(&ars, &c, date(2019, 3, 20))
        .await
        .unwrap();
    assert_eq!(r.state, RefusalState::Notifiee);
    assert_eq!(r.notified_on, Some(date(2019, 3, 20)));
    conflict(
        store
            .decide_refusal(&ars, &c, Basis::ProduitsAm, None, None)
            .await,
        "notifiée",
    );
    conflict(
        store.notify_refusal(&ars, &c, date(2019, 3, 21)).await,
        "notifiée",
    );

    // The établissement opens it: its receipt, once.
    let n = store
        .acknowledge_opening(
            &etab,
            &[(ReceiptKind::SanctionRefus, ReceiptId::from(&r.id))],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let r = store.refusal_of(&c.id).await.unwrap().unwrap();
    assert_eq!(r.receipt.unwrap().on, caqes_store::today());

    let audit = store.audit_in_region(&a.region, 200).await.unwrap();
    for action in [
        "sanction_refus.ouvrir",
        "sanction_refus.decider",
        "sanction_refus.notifier",
        "reception.electronique",
    ] {
        assert!(audit.iter().any(|l| l.action == action), "{action}");
    }
    let unread = store.unread_count(&etab.id).await.unwrap();
    assert!(unread >= 1, "l'établissement n'a pas été notifié");
}

#[tokio::test]
async fn refusal_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn refusal_on_postgres() {
    on_postgres(story).await.unwrap();
}
