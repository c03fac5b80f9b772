//! Contract lifecycle: proposal, 15-day signature period extended by a hearing,
//! signature / refusal, avenants and résiliations, forbidden transitions and audit
//! lines, on SQLite always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.
//! The dates are the instruction's (III.b) examples.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::Euros;
use caqes_core::calendar::CalendarParameters;
use caqes_core::volets::Volet;
use caqes_core::volets::pertinence::{PertinenceSanctionKind, PertinenceTerms};
use caqes_store::contract::AmendmentKind;
use caqes_store::testing::OTHER_REGION;
use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{ContractState, NewContract, Role, Store, StoreError, VoletState, WorkflowError};
use jiff::civil::date;
use rust_decimal::Decimal;

mod common;
use common::conflict;

fn is_wrong_role<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(
            r,
            Err(StoreError::Workflow(WorkflowError::WrongRole { .. }))
        ),
        "{r:?}"
    );
}

async fn story(store: &Store) {
    let fx = Fixture::builder()
        .entities(2)
        .other_region()
        .build(store)
        .await
        .unwrap();
    let a = fx.entities[0].entity.clone();
    let b = fx.entities[1].entity.clone();
    let ars = fx.user(Role::Ars).unwrap().clone();
    let ars_other = fx.ars_other().unwrap().clone();
    let am = fx.user(Role::AssuranceMaladie).unwrap().clone();
    let etab_a = fx.etab(a.finess).unwrap().clone();
    let etab_b = fx.etab(b.finess).unwrap().clone();
    let params = CalendarParameters::default();

    // Proposal: only the ARS of the region; volet durations within 1..=5 years.
    let received = date(2017, 10, 2);
    let proposal = NewContract {
        pertinence_terms: Some(PertinenceTerms {
            nature_sanction: PertinenceSanctionKind::Msap { duree_mois: 6 },
            plafond_interessement: Euros::new(Decimal::new(100_000, 0)),
        }),
        received_on: Some(received),
        additional: vec![(Volet::Transports, 5), (Volet::Pertinence, 1)],
    };
    is_wrong_role(store.propose_contract(&am, &a, &proposal).await);
    assert!(matches!(
        store.propose_contract(&ars_other, &a, &proposal).await,
        Err(StoreError::NotFound(_))
    ));
    conflict(
        store
            .propose_contract(
                &ars,
                &a,
                &NewContract {
                    pertinence_terms: None,
                    received_on: Some(received),
                    additional: vec![(Volet::Qualite, 6)],
                },
            )
            .await,
        "entre 1 et 5 ans",
    );
    // W10: the volet pertinence fixes its terms in the contract — required with it,
    // refused without it, an MSAP of at most 6 months.
    for (terms, additional, expected) in [
        (None, vec![(Volet::Pertinence, 3)], "nature de la sanction"),
        (
            proposal.pertinence_terms,
            vec![(Volet::Transports, 3)],
            "sans le volet pertinence",
        ),
        (
            Some(PertinenceTerms {
                nature_sanction: PertinenceSanctionKind::Msap { duree_mois: 7 },
                plafond_interessement: Euros::new(Decimal::new(100_000, 0)),
            }),
            vec![(Volet::Pertinence, 3)],
            "(reçu 7)",
        ),
    ] {
        conflict(
            store
                .propose_contract(
                    &ars,
                    &a,
                    &NewContract {
                        pertinence_terms: terms,
                        received_on: Some(received),
                        additional,
                    },
                )
                .await,
            expected,
        );
    }
    assert!(store.contract_of(&a.finess).await.unwrap().is_none());
    let c = store.propose_contract(&ars, &a, &proposal).await.unwrap();
    assert_eq!(c.state, ContractState::Propose);
    assert_eq!(c.volets.len(), 3);
    assert_eq!(c.volets[0].volet, Volet::Obligatoire);
    assert_eq!(c.volets[0].duration_years, None);
    let pertinence = c
        .volets
        .iter()
        .find(|v| v.volet == Volet::Pertinence)
        .unwrap();
    assert_eq!(pertinence.pertinence_terms, proposal.pertinence_terms);
    assert!(
        c.volets
            .iter()
            .filter(|v| v.volet != Volet::Pertinence)
            .all(|v| v.pertinence_terms.is_none())
    );
    conflict(
        store.propose_contract(&ars, &a, &proposal).await,
        "déjà un contrat",
    );

    // 15 days from receipt: 2 October → 17 October 2017.
    let period = c.signature_period(&params).unwrap();
    assert_eq!(period.fin, date(2017, 10, 17));
    assert_eq!(period.deadline().days_left(date(2017, 10, 12)), 5);

    // Hearing: only the établissement of the entity asks, within the period.
    is_wrong_role(store.request_hearing(&ars, &c, date(2017, 10, 16)).await);
    assert!(matches!(
        store.request_hearing(&etab_b, &c, date(2017, 10, 16)).await,
        Err(StoreError::NotFound(_))
    ));
    conflict(
        store.request_hearing(&etab_a, &c, date(2017, 10, 18)).await,
        "expiré le 17 octobre 2017",
    );
    // Asked on the 14th day (16 October): the period runs until the hearing.
    let c = store
        .request_hearing(&etab_a, &c, date(2017, 10, 16))
        .await
        .unwrap();
    assert!(c.hearing_pending(&params).unwrap());
    conflict(
        store.request_hearing(&etab_a, &c, date(2017, 10, 16)).await,
        "déjà été demandée",
    );
    is_wrong_role(store.schedule_hearing(&etab_a, &c, date(2017, 11, 8)).await);
    conflict(
        store.schedule_hearing(&ars, &c, date(2017, 10, 10)).await,
        "ne peut pas précéder",
    );
    let c = store
        .schedule_hearing(&ars, &c, date(2017, 11, 8))
        .await
        .unwrap();
    let period = c.signature_period(&params).unwrap();
    assert!(period.prolonge);
    assert_eq!(period.fin, date(2017, 11, 8));
    assert!(!c.hearing_pending(&params).unwrap());

    // Signature: the établissement only, before the (extended) deadline.
    is_wrong_role(store.sign_contract(&ars, &c, date(2017, 11, 8)).await);
    conflict(
        store.sign_contract(&etab_a, &c, date(2017, 11, 9)).await,
        "expiré le 8 novembre 2017",
    );
    let c = store
        .sign_contract(&etab_a, &c, date(2017, 11, 8))
        .await
        .unwrap();
    assert_eq!(c.state, ContractState::Signe);
    assert_eq!(c.decided_on, Some(date(2017, 11, 8)));
    assert_eq!(c.decided_by.as_deref(), Some("etab1@t.fr"));
    assert_eq!(c.entry_into_force().unwrap(), Some(date(2018, 1, 1)));
    let transports = c
        .volets
        .iter()
        .find(|v| v.volet == Volet::Transports)
        .unwrap();
    let term = c.volet_term(&params, transports).unwrap().unwrap();
    assert_eq!(
        (term.debut, term.fin),
        (date(2018, 1, 1), date(2022, 12, 31))
    );

    // A signed contract can neither be signed, refused nor re-heard.
    conflict(
        store.refuse_contract(&etab_a, &c, date(2017, 11, 8)).await,
        "le contrat est signé",
    );
    conflict(
        store.sign_contract(&etab_a, &c, date(2017, 11, 8)).await,
        "le contrat est signé",
    );
    conflict(
        store.schedule_hearing(&ars, &c, date(2017, 11, 20)).await,
        "le contrat est signé",
    );

    // Avenant signed in 2018 → in force 1 January 2019; ARS only, object required.
    is_wrong_role(
        store
            .record_amendment(&etab_a, &c, "Ajout", date(2018, 6, 15))
            .await,
    );
    conflict(
        store
            .record_amendment(&ars, &c, "  ", date(2018, 6, 15))
            .await,
        "objet",
    );
    conflict(
        store
            .record_amendment(&ars, &c, "Trop tôt", date(2017, 11, 1))
            .await,
        "précéder la signature",
    );
    let c = store
        .record_amendment(
            &ars,
            &c,
            "Actualisation du plan d'actions",
            date(2018, 6, 15),
        )
        .await
        .unwrap();
    assert_eq!(c.amendments.len(), 1);
    assert_eq!(c.amendments[0].effective_on().unwrap(), date(2019, 1, 1));

    // Résiliation of the pertinence volet signed 4 March 2019 → effective 31 December 2019.
    conflict(
        store
            .terminate_volet(&ars, &c, Volet::Obligatoire, "x", date(2019, 3, 4))
            .await,
        "ne peut pas être résilié",
    );
    conflict(
        store
            .terminate_volet(&ars, &c, Volet::Qualite, "x", date(2019, 3, 4))
            .await,
        "ne fait pas partie",
    );
    is_wrong_role(
        store
            .terminate_volet(&am, &c, Volet::Pertinence, "x", date(2019, 3, 4))
            .await,
    );
    let c = store
        .terminate_volet(
            &ars,
            &c,
            Volet::Pertinence,
            "Décision consensuelle des parties",
            date(2019, 3, 4),
        )
        .await
        .unwrap();
    let pertinence = c
        .volets
        .iter()
        .find(|v| v.volet == Volet::Pertinence)
        .unwrap();
    assert_eq!(pertinence.state, VoletState::Resilie);
    let termination = c.termination_of(Volet::Pertinence).unwrap();
    assert_eq!(termination.kind, AmendmentKind::Resiliation);
    assert_eq!(termination.effective_on().unwrap(), date(2019, 12, 31));
    conflict(
        store
            .terminate_volet(&ars, &c, Volet::Pertinence, "x", date(2019, 5, 4))
            .await,
        "déjà résilié",
    );
    // The other volets are untouched.
    assert!(
        c.volets
            .iter()
            .filter(|v| v.volet != Volet::Pertinence)
            .all(|v| v.state == VoletState::Actif)
    );

    // Refusal by B; no avenant on a refused contract; a new proposal may follow.
    let cb = store
        .propose_contract(
            &ars,
            &b,
            &NewContract {
                received_on: Some(date(2017, 10, 2)),
                ..NewContract::default()
            },
        )
        .await
        .unwrap();
    conflict(
        store
            .record_amendment(&ars, &cb, "x", date(2018, 1, 2))
            .await,
        "le contrat est proposé",
    );
    let cb = store
        .refuse_contract(&etab_b, &cb, date(2017, 10, 10))
        .await
        .unwrap();
    assert_eq!(cb.state, ContractState::Refuse);
    assert_eq!(
        cb.signature_period(&params)
            .unwrap()
            .sanction_notifiable_from()
            .unwrap(),
        date(2017, 10, 18)
    );
    conflict(
        store.sign_contract(&etab_b, &cb, date(2017, 10, 11)).await,
        "le contrat est refusé",
    );
    conflict(
        store
            .record_amendment(&ars, &cb, "x", date(2018, 1, 2))
            .await,
        "le contrat est refusé",
    );
    let again = store
        .propose_contract(
            &ars,
            &b,
            &NewContract {
                pertinence_terms: None,
                received_on: Some(date(2018, 9, 3)),
                additional: vec![(Volet::Qualite, 3)],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.contract_of(&b.finess).await.unwrap().unwrap().id,
        again.id
    );

    // Listing: the region holds 3 contracts; the other region none.
    assert_eq!(store.contracts_in_region(&REGION).await.unwrap().len(), 3);
    assert!(
        store
            .contracts_in_region(&OTHER_REGION)
            .await
            .unwrap()
            .is_empty()
    );

    // Every write is audited with before → after.
    let audit = store.audit_in_region(&REGION, 200).await.unwrap();
    for action in [
        "contrat.proposer",
        "contrat.demander_audition",
        "contrat.fixer_audition",
        "contrat.signer",
        "contrat.refuser",
        "contrat.avenant",
        "contrat.resilier_volet",
    ] {
        assert!(
            audit.iter().any(|l| l.action == action),
            "ligne d'audit {action} absente"
        );
    }
    let signed = audit.iter().find(|l| l.action == "contrat.signer").unwrap();
    assert!(signed.before.as_deref().unwrap().contains("\"propose\""));
    assert!(signed.after.as_deref().unwrap().contains("\"signe\""));
    let term = audit
        .iter()
        .find(|l| l.action == "contrat.resilier_volet")
        .unwrap();
    assert!(term.after.as_deref().unwrap().contains("\"resilie\""));
    assert!(!term.before.as_deref().unwrap().contains("\"resilie\""));
    // Failed attempts left no line: one signature, one refusal, one proposal per contract.
    assert_eq!(
        audit
            .iter()
            .filter(|l| l.action == "contrat.signer")
            .count(),
        1
    );
    assert_eq!(
        audit
            .iter()
            .filter(|l| l.action == "contrat.proposer")
            .count(),
        3
    );
    assert_eq!(store.audit_count_for(c.id.as_str()).await.unwrap(), 6);
}

/// A proposal left unanswered past the deadline can no longer be signed, and a
/// hearing asked on the last day (15th) still extends it.
async fn late(store: &Store) {
    let fx = Fixture::builder().entities(1).build(store).await.unwrap();
    let a = fx.entities[0].entity.clone();
    let ars = fx.user(Role::Ars).unwrap().clone();
    let etab = fx.etab(a.finess).unwrap().clone();
    let c = store
        .propose_contract(
            &ars,
            &a,
            &NewContract {
                received_on: Some(date(2018, 2, 25)),
                ..NewContract::default()
            },
        )
        .await
        .unwrap();
    // 25 February + 15 days = 12 March 2018.
    conflict(
        store.sign_contract(&etab, &c, date(2018, 3, 13)).await,
        "expiré le 12 mars 2018",
    );
    let c = store
        .request_hearing(&etab, &c, date(2018, 3, 12))
        .await
        .unwrap();
    // Hearing pending (date not fixed yet): the period is not over.
    let c = store
        .sign_contract(&etab, &c, date(2018, 3, 20))
        .await
        .unwrap();
    assert_eq!(c.entry_into_force().unwrap(), Some(date(2019, 1, 1)));
}

#[tokio::test]
async fn contracts_on_sqlite() {
    on_sqlite(story).await.unwrap();
    on_sqlite(late).await.unwrap();
}

#[tokio::test]
async fn contracts_on_postgres() {
    on_postgres(story).await.unwrap();
    on_postgres(late).await.unwrap();
}
