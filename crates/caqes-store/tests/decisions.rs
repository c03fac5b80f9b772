//! Sanction decisions: AM opinion, DG ARS decision, notification and frozen
//! versions, on SQLite always and on PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

mod common;

use caqes_core::Euros;
use caqes_store::CampaignId;
use caqes_store::conflict::{DecisionConflict, DossierConflict, StaleConflict};
use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{
    Action, Conflict, LegalEntity, Opinion, Role, SanctionDecision, Store, StoreError, Submission,
    SubmissionState, User, WorkflowError,
};
use common::evaluated::evaluated_dossier;
use jiff::civil::date;
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Asserts that `result` is the refusal `pattern` (a [`Conflict`]); shows what came
/// otherwise.
macro_rules! assert_refusal {
    ($result:expr, $pattern:pat) => {{
        let result = &$result;
        assert!(
            matches!(result, Err(StoreError::Conflict($pattern))),
            "{result:?}"
        );
    }};
}

struct Setup {
    ars: User,
    am: User,
    etab: User,
    entity: LegalEntity,
    campaign: CampaignId,
}

/// One entity with 200 M€ of AM revenue, its dossier evaluated with a score of 50
/// (default scale: ≥ 40 → 50 % of the 1 % ceiling, i.e. 1 M€ proposed on a 2 M€ ceiling).
async fn setup(store: &Store) -> Setup {
    let fx = Fixture::builder()
        .entity("Entité")
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let entity = fx.entities[0].entity.clone();
    let f = entity.finess;
    assert_eq!(store.am_revenue(&f).await.unwrap(), None);
    evaluated_dossier(store, &fx, Euros(dec("200000000")), None).await;
    let ars = fx.user(Role::Ars).unwrap().clone();
    let am = fx.user(Role::AssuranceMaladie).unwrap().clone();
    let etab = fx.etab(f).unwrap().clone();
    let campaign = fx.campaign.unwrap();
    Setup {
        ars,
        am,
        etab,
        entity,
        campaign: campaign.id,
    }
}

/// The AM's opinion (or someone else's attempt) on the dossier's current version.
async fn opinion(
    store: &Store,
    who: &User,
    sub: &Submission,
    opinion: Opinion,
    comment: Option<&str>,
) -> Result<SanctionDecision, StoreError> {
    store
        .record_opinion(who, &REGION, sub, "occitanie-2018", opinion, comment)
        .await
}

fn conflict(r: Result<impl std::fmt::Debug, StoreError>) -> String {
    match r {
        Err(StoreError::Conflict(c)) => c.to_string(),
        other => panic!("conflit attendu, reçu {other:?}"),
    }
}

async fn story(store: &Store) {
    let s = setup(store).await;
    let f = s.entity.finess;
    let sub = store.submission(&s.campaign, &f).await.unwrap().unwrap();
    assert_eq!(sub.state, SubmissionState::Evalue);

    let computed = store.proposal_for(&sub, "occitanie-2018").await.unwrap();
    assert_eq!(computed.proposal.ceiling(), Euros(dec("2000000")));
    assert_eq!(computed.rate_of_ceiling, dec("50"));
    assert_eq!(computed.proposal.amount(), Euros(dec("1000000")));

    // Only the AM gives the opinion; nothing is decided or notified before it.
    let wrong = opinion(store, &s.ars, &sub, Opinion::Favorable, None).await;
    assert!(matches!(
        wrong,
        Err(StoreError::Workflow(WorkflowError::WrongRole { .. }))
    ));
    assert!(
        conflict(
            store
                .record_decision(&s.ars, &REGION, &sub, Euros(dec("1000000")), None)
                .await
        )
        .contains("avis")
    );
    assert!(
        conflict(
            store
                .notify_decision(&s.ars, &REGION, &sub, date(2019, 9, 2))
                .await
        )
        .contains("aucune")
    );
    // The generic workflow action cannot notify without a decision.
    conflict(
        store
            .apply_action(&s.ars, &sub, &REGION, Action::Notifier, None, None)
            .await,
    );
    // A défavorable opinion must say why.
    conflict(opinion(store, &s.am, &sub, Opinion::Defavorable, Some("  ")).await);
    let v1 = opinion(
        store,
        &s.am,
        &sub,
        Opinion::Defavorable,
        Some("Montant excessif au regard des efforts engagés"),
    )
    .await
    .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.opinion, Some(Opinion::Defavorable));
    assert_eq!(v1.proposed_amount, Euros(dec("1000000")));

    // The DG ARS: the ceiling is the legal limit, a modulation needs a motivation.
    let above = conflict(
        store
            .record_decision(&s.ars, &REGION, &sub, Euros(dec("2000000.01")), Some("x"))
            .await,
    );
    assert!(above.contains("plafond"), "{above}");
    assert!(
        conflict(
            store
                .record_decision(&s.ars, &REGION, &sub, Euros(dec("600000")), None)
                .await
        )
        .contains("motivation")
    );
    assert!(matches!(
        store
            .record_decision(&s.am, &REGION, &sub, Euros(dec("1000000")), None)
            .await,
        Err(StoreError::Workflow(WorkflowError::WrongRole { .. }))
    ));
    let decided = store
        .record_decision(
            &s.ars,
            &REGION,
            &sub,
            Euros(dec("600000")),
            Some("Plan d'action engagé"),
        )
        .await
        .unwrap();
    assert_eq!(decided.final_amount, Some(Euros(dec("600000"))));
    assert!(
        store.decisions_of(&sub.id).await.unwrap()[0]
            .final_amount
            .is_some()
    );

    // Notification: évalué → notifié in the same transaction.
    let notified = store
        .notify_decision(&s.ars, &REGION, &sub, date(2019, 9, 2))
        .await
        .unwrap();
    assert_eq!(notified.notified_on, Some(date(2019, 9, 2)));
    let sub = store.submission(&s.campaign, &f).await.unwrap().unwrap();
    assert_eq!(sub.state, SubmissionState::Notifie);
    let history = store.transitions_of(&sub.id).await.unwrap();
    assert_eq!(history.last().unwrap().to, SubmissionState::Notifie);

    // Frozen: no new opinion, no new decision, no second notification.
    conflict(
        store
            .record_decision(&s.ars, &REGION, &sub, Euros(dec("0")), Some("revu"))
            .await,
    );
    conflict(opinion(store, &s.am, &sub, Opinion::Favorable, None).await);
    conflict(
        store
            .notify_decision(&s.ars, &REGION, &sub, date(2019, 9, 3))
            .await,
    );
    // …and the database itself refuses, even bypassing the store.
    let raw = sqlx::query("UPDATE sanction_decisions SET final_amount = '0' WHERE id = $1")
        .bind(v1.id.clone())
        .execute(store.pool())
        .await;
    assert!(raw.is_err(), "le déclencheur doit refuser la modification");
    let raw = sqlx::query("DELETE FROM sanction_decisions WHERE id = $1")
        .bind(v1.id.clone())
        .execute(store.pool())
        .await;
    assert!(raw.is_err(), "le déclencheur doit refuser la suppression");
    assert_eq!(
        store.decisions_of(&sub.id).await.unwrap()[0].final_amount,
        Some(Euros(dec("600000")))
    );

    // A correction is version 2 with its reason; version 1 stays as notified.
    conflict(
        store
            .correct_decision(&s.ars, &REGION, &sub, Euros(dec("500000")), Some("m"), " ")
            .await,
    );
    conflict(
        store
            .correct_decision(
                &s.ars,
                &REGION,
                &sub,
                Euros(dec("3000000")),
                Some("m"),
                "erreur",
            )
            .await,
    );
    let v2 = store
        .correct_decision(
            &s.ars,
            &REGION,
            &sub,
            Euros(dec("500000")),
            Some("Plan d'action engagé, erreur matérielle de calcul"),
            "Erreur matérielle dans le montant notifié",
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(
        v2.correction_reason.as_deref(),
        Some("Erreur matérielle dans le montant notifié")
    );
    assert_eq!(v2.opinion, Some(Opinion::Defavorable));
    assert!(!v2.is_frozen());
    // The établissement contests; the correction is still notified afterwards.
    let sub = store
        .apply_action(
            &s.etab,
            &sub,
            &REGION,
            Action::Contester,
            Some("Nous contestons"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(sub.state, SubmissionState::Conteste);
    let v2 = store
        .notify_decision(&s.ars, &REGION, &sub, date(2019, 10, 1))
        .await
        .unwrap();
    assert!(v2.is_frozen());
    let all = store.decisions_of(&sub.id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].final_amount, Some(Euros(dec("600000"))));
    assert_eq!(all[0].notified_on, Some(date(2019, 9, 2)));
    assert_eq!(all[1].final_amount, Some(Euros(dec("500000"))));
    assert_eq!(
        store
            .submission(&s.campaign, &f)
            .await
            .unwrap()
            .unwrap()
            .state,
        SubmissionState::Conteste
    );

    // Every write is audited: opinion, decision, notification (+ transition), correction, notification.
    let audit = store.audit_in_region(&REGION, 100).await.unwrap();
    for action in [
        "decision.avis_am",
        "decision.decider",
        "decision.notifier",
        "decision.corriger",
        "recettes_am.enregistrer",
    ] {
        assert!(
            audit.iter().any(|a| a.action == action),
            "ligne d'audit {action} absente"
        );
    }
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "decision.notifier")
            .count(),
        2
    );
}

#[tokio::test]
async fn decisions_on_sqlite() {
    on_sqlite(story).await.unwrap();
}

#[tokio::test]
async fn decisions_on_postgres() {
    on_postgres(story).await.unwrap();
}

/// The refusals are typed: a caller tells them apart by their variant, and their text is
/// the one the pages have always shown.
async fn typed_conflicts(store: &Store) {
    let s = setup(store).await;
    let f = s.entity.finess;
    let sub = store.submission(&s.campaign, &f).await.unwrap().unwrap();
    assert_refusal!(
        store
            .apply_action(&s.ars, &sub, &REGION, Action::Notifier, None, None)
            .await,
        Conflict::Dossier(DossierConflict::NotifyFromDecision)
    );
    let early = store
        .record_decision(&s.ars, &REGION, &sub, Euros(dec("1000000")), None)
        .await;
    assert_refusal!(early, Conflict::Decision(DecisionConflict::OpinionFirst));
    opinion(store, &s.am, &sub, Opinion::Favorable, None)
        .await
        .unwrap();
    store
        .record_decision(&s.ars, &REGION, &sub, Euros(dec("1000000")), None)
        .await
        .unwrap();
    store
        .notify_decision(&s.ars, &REGION, &sub, date(2019, 9, 2))
        .await
        .unwrap();
    // The notified version 1 is frozen: the refusal names it.
    let frozen = store
        .record_decision(&s.ars, &REGION, &sub, Euros(dec("0")), Some("revu"))
        .await;
    assert_refusal!(
        frozen,
        Conflict::Decision(DecisionConflict::Frozen { version: 1 })
    );
    assert_eq!(
        frozen.unwrap_err().to_string(),
        "la décision (version 1) a été notifiée : elle ne peut plus être modifiée ; \
         une correction crée une nouvelle version motivée"
    );
    let uncorrected = store
        .correct_decision(&s.ars, &REGION, &sub, Euros(dec("0")), Some("m"), " ")
        .await;
    assert_refusal!(
        uncorrected,
        Conflict::Decision(DecisionConflict::CorrectionWithoutReason)
    );
}

/// A write from a page read before another write moved the dossier: stale.
async fn stale_dossier(store: &Store) {
    let fx = Fixture::builder()
        .entity("Entité")
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let f = fx.entities[0].entity.finess;
    let etab = fx.etab(f).unwrap().clone();
    let campaign = fx.campaign.unwrap();
    let read = store.submission(&campaign.id, &f).await.unwrap().unwrap();
    store
        .apply_action(&etab, &read, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    let again = store
        .apply_action(&etab, &read, &REGION, Action::Soumettre, None, None)
        .await;
    assert_refusal!(again, Conflict::Stale(StaleConflict::DossierChanged));
    assert_eq!(
        again.unwrap_err().to_string(),
        "le dossier a été modifié entre-temps : rechargez la page"
    );
}

#[tokio::test]
async fn typed_conflicts_on_sqlite() {
    on_sqlite(typed_conflicts).await.unwrap();
    on_sqlite(stale_dossier).await.unwrap();
}

#[tokio::test]
async fn typed_conflicts_on_postgres() {
    on_postgres(typed_conflicts).await.unwrap();
    on_postgres(stale_dossier).await.unwrap();
}
