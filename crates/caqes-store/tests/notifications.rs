//! Notifications (issue 15): each event notifies the active users of its
//! audience in the event's own transaction, with its e-mail in the outbox
//! (or waiting for the digest, or none, as the user chose, except legal
//! notices); reminders are idempotent; the outbox is claimed with a lease and
//! retried with a back-off; receipts (electronic on opening, paper by the ARS)
//! start the deadlines. On SQLite always, on PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_core::notification::EmailPreference;
use caqes_store::notify::outbox::{MAX_ATTEMPTS, OutboxState};
use caqes_store::notify::receipt::{ReceiptKind, ReceiptMode};
use caqes_store::testing::REGION;
use caqes_store::testing::{Fixture, on_postgres, on_sqlite};
use caqes_store::{
    Action, Actor, NewContract, ReceiptId, Role, Store, StoreError, User, Visibility,
};
use jiff::civil::date;

async fn titles(store: &Store, user: &User) -> Vec<String> {
    store
        .notifications_of(&user.id, 100)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|n| n.title)
        .collect()
}

async fn events_reach_their_audience(store: &Store) {
    let fx = Fixture::builder()
        .entities(2)
        .other_region()
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let [a, b] = fx.finess().unwrap();
    let ars = fx.user(Role::Ars).unwrap().clone();
    let am = fx.user(Role::AssuranceMaladie).unwrap().clone();
    let omedit = fx.user(Role::Omedit).unwrap().clone();
    let etab_a = fx.etab(a).unwrap().clone();
    let etab_b = fx.etab(b).unwrap().clone();
    let ars_other = fx.ars_other().unwrap().clone();
    let campaign = fx.campaign.clone().unwrap();

    // The campaign's creation: the AM's data are expected, the OMEDIT's milestone.
    assert_eq!(titles(store, &am).await, ["Données attendues"]);
    assert_eq!(titles(store, &omedit).await, ["Étape de campagne"]);
    assert!(titles(store, &ars_other).await.is_empty());

    // Submission → the region's ARS; a return → the entity's users only.
    let sub = store.submission(&campaign.id, &a).await.unwrap().unwrap();
    let sub = store
        .apply_action(&etab_a, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    assert_eq!(titles(store, &ars).await, ["Dossier soumis"]);
    assert!(titles(store, &ars_other).await.is_empty());
    let sub = store
        .apply_action(&ars, &sub, &REGION, Action::PrendreEnRevue, None, None)
        .await
        .unwrap();
    // A refused event (no comment) notifies nobody: same transaction.
    let refused = store
        .apply_action(&ars, &sub, &REGION, Action::Renvoyer, None, None)
        .await;
    assert!(refused.is_err());
    assert!(titles(store, &etab_a).await.is_empty());
    store
        .apply_action(
            &ars,
            &sub,
            &REGION,
            Action::Renvoyer,
            Some("A1 manquant"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(titles(store, &etab_a).await, ["Dossier renvoyé"]);
    assert!(titles(store, &etab_b).await.is_empty());
    let n = &store.notifications_of(&etab_a.id, 10).await.unwrap()[0];
    assert_eq!(n.link, format!("/campagnes/{}/dossiers/{a}", campaign.id));
    assert!(n.body.contains("Entité 1"), "{}", n.body);
    // The comment of the return is not in the notification (no data beyond the event).
    assert!(!n.body.contains("A1 manquant"));
    assert!(!n.legal);

    // Comments: shared → the entity; internal → nobody.
    let sub_b = store.submission(&campaign.id, &b).await.unwrap().unwrap();
    store
        .add_comment(
            &omedit,
            &sub_b,
            &REGION,
            None,
            Visibility::Interne,
            "interne",
        )
        .await
        .unwrap();
    assert!(titles(store, &etab_b).await.is_empty());
    store
        .add_comment(
            &omedit,
            &sub_b,
            &REGION,
            None,
            Visibility::Partage,
            "partagé",
        )
        .await
        .unwrap();
    assert_eq!(titles(store, &etab_b).await, ["Nouveau commentaire"]);

    // A contract proposed is a legal notice to the entity; its answer goes to the ARS.
    let entity_b = store.legal_entity(&b).await.unwrap().unwrap();
    let c = store
        .propose_contract(&ars, &entity_b, &NewContract::default())
        .await
        .unwrap();
    let last = &store.notifications_of(&etab_b.id, 10).await.unwrap()[0];
    assert_eq!(last.title, "Contrat proposé");
    assert!(last.legal);
    // Not received yet: no period, so no hearing nor signature.
    assert!(c.receipt.is_none());
    match store.sign_contract(&etab_b, &c, caqes_store::today()).await {
        Err(StoreError::Conflict(c)) => {
            assert!(c.to_string().contains("pas encore été reçue"), "{c}")
        }
        other => panic!("{other:?}"),
    }
    // Opening it by another entity's user records nothing; by its own, today.
    let n = store
        .acknowledge_opening(&etab_a, &[(ReceiptKind::Contrat, ReceiptId::from(&c.id))])
        .await
        .unwrap();
    assert_eq!(n, 0);
    let n = store
        .acknowledge_opening(&etab_b, &[(ReceiptKind::Contrat, ReceiptId::from(&c.id))])
        .await
        .unwrap();
    assert_eq!(n, 1);
    let c = store.contract_of(&b).await.unwrap().unwrap();
    let receipt = c.receipt.clone().unwrap();
    assert_eq!(receipt.on, caqes_store::today());
    assert_eq!(receipt.mode, ReceiptMode::Electronique);
    assert_eq!(receipt.by.as_deref(), Some("etab2@t.fr"));
    // The 15 days run from that day.
    let period = c
        .signature_period(&caqes_core::calendar::CalendarParameters::default())
        .unwrap();
    assert_eq!(
        caqes_core::calendar::days_between(receipt.on, period.fin_initiale),
        15
    );
    // A second opening changes nothing; the paper form is then refused.
    assert_eq!(
        store
            .acknowledge_opening(&etab_b, &[(ReceiptKind::Contrat, ReceiptId::from(&c.id))])
            .await
            .unwrap(),
        0
    );
    match store
        .record_paper_receipt(
            &ars,
            ReceiptKind::Contrat,
            &ReceiptId::from(&c.id),
            caqes_store::today(),
        )
        .await
    {
        Err(StoreError::Conflict(c)) => assert!(c.to_string().contains("déjà enregistrée"), "{c}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.audit_count_for(c.id.as_str()).await.unwrap(), 2); // proposal, receipt
    store
        .request_hearing(&etab_b, &c, caqes_store::today())
        .await
        .unwrap();
    assert_eq!(
        titles(store, &ars).await,
        ["Dossier soumis", "Audition demandée"]
    );

    // A deactivated user hears of nothing more.
    store
        .set_user_active(&Actor::system("test"), &etab_a.id, false)
        .await
        .unwrap();
    let entity_a = store.legal_entity(&a).await.unwrap().unwrap();
    store
        .propose_contract(
            &ars,
            &entity_a,
            &NewContract {
                received_on: Some(date(2019, 1, 2)),
                ..NewContract::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(titles(store, &etab_a).await, ["Dossier renvoyé"]);
    // The paper receipt given at the proposal is the contract's receipt.
    let ca = store.contract_of(&a).await.unwrap().unwrap();
    assert_eq!(ca.received_on(), Some(date(2019, 1, 2)));
    assert_eq!(ca.receipt.unwrap().mode, ReceiptMode::Papier);

    // Unread count, opening (marks read, gives the page), another user's: not found.
    assert_eq!(store.unread_count(&ars.id).await.unwrap(), 2);
    let first = store.notifications_of(&ars.id, 10).await.unwrap();
    let link = store.open_notification(&ars, &first[0].id).await.unwrap();
    assert_eq!(link, first[0].link);
    assert_eq!(store.unread_count(&ars.id).await.unwrap(), 1);
    assert!(matches!(
        store.open_notification(&etab_b, &first[1].id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.mark_all_read(&ars).await.unwrap(), 1);
    assert_eq!(store.unread_count(&ars.id).await.unwrap(), 0);
}

async fn preferences_and_digests(store: &Store) {
    let fx = Fixture::builder()
        .entities(1)
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let [a] = fx.finess().unwrap();
    let ars = fx.user(Role::Ars).unwrap().clone();
    let omedit = fx.user(Role::Omedit).unwrap().clone();
    let etab = fx.etab(a).unwrap().clone();
    let campaign = fx.campaign.clone().unwrap();
    let sub = store.submission(&campaign.id, &a).await.unwrap().unwrap();
    let entity = store.legal_entity(&a).await.unwrap().unwrap();

    // Désactivé: a plain event is not e-mailed, a legal notice is.
    assert_eq!(
        store.email_preference(&etab.id).await.unwrap(),
        EmailPreference::Immediat
    );
    store
        .set_email_preference(&etab, EmailPreference::Desactive)
        .await
        .unwrap();
    assert_eq!(
        store.email_preference(&etab.id).await.unwrap(),
        EmailPreference::Desactive
    );
    let before = store.outbox_counts().await.unwrap().en_attente;
    store
        .add_comment(&omedit, &sub, &REGION, None, Visibility::Partage, "x")
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap().en_attente, before);
    store
        .propose_contract(&ars, &entity, &NewContract::default())
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap().en_attente, before + 1);
    // Both are in the platform.
    assert_eq!(
        titles(store, &etab).await,
        ["Nouveau commentaire", "Contrat proposé"]
    );

    // Résumé quotidien: waiting until the digest, one e-mail for the day's notifications.
    store
        .set_email_preference(&etab, EmailPreference::ResumeQuotidien)
        .await
        .unwrap();
    for text in ["un", "deux"] {
        store
            .add_comment(&omedit, &sub, &REGION, None, Visibility::Partage, text)
            .await
            .unwrap();
    }
    assert_eq!(store.outbox_counts().await.unwrap().en_attente, before + 1);
    let day = date(2020, 3, 2);
    assert_eq!(store.prepare_digests(day).await.unwrap(), 1);
    assert_eq!(store.prepare_digests(day).await.unwrap(), 0);
    let claimed = store.claim_mail(i64::MAX / 2, 60, 50).await.unwrap();
    let digest = claimed.iter().find(|m| m.digest_day == Some(day)).unwrap();
    assert_eq!(digest.to, "etab1@t.fr");
    assert_eq!(digest.items.len(), 2);
    assert!(
        digest
            .items
            .iter()
            .all(|i| i.title == "Nouveau commentaire")
    );
    // A notification after the day's digest waits for the next day's.
    store
        .add_comment(&omedit, &sub, &REGION, None, Visibility::Partage, "trois")
        .await
        .unwrap();
    assert_eq!(store.prepare_digests(day).await.unwrap(), 0);
    assert_eq!(store.prepare_digests(date(2020, 3, 3)).await.unwrap(), 1);
    // The audit log records the choice.
    assert_eq!(store.audit_count_for(etab.id.as_str()).await.unwrap(), 3); // creation + 2 choices
}

async fn outbox_leases_and_retries(store: &Store) {
    let fx = Fixture::builder().entities(3).build(store).await.unwrap();
    let ars = fx.user(Role::Ars).unwrap().clone();
    for e in &fx.entities {
        store
            .propose_contract(&ars, &e.entity, &NewContract::default())
            .await
            .unwrap();
    }
    let now = caqes_store::notify::now_seconds() + 1;
    let claimed = store.claim_mail(now, 300, 2).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!((counts.envoi, counts.en_attente), (2, 1));
    // Claimed rows are not claimed again while their lease runs.
    let more = store.claim_mail(now + 10, 300, 10).await.unwrap();
    assert_eq!(more.len(), 1);
    assert!(more.iter().all(|m| claimed.iter().all(|c| c.id != m.id)));
    // After the lease, another worker takes a row again, and the first claim is void.
    let again = store.claim_mail(now + 301, 300, 10).await.unwrap();
    assert_eq!(again.len(), 2);
    assert!(!store.mark_mail_sent(&claimed[0]).await.unwrap());
    let retaken = again.iter().find(|m| m.id == claimed[0].id).unwrap();
    assert!(store.mark_mail_sent(retaken).await.unwrap());
    assert!(!store.mark_mail_sent(retaken).await.unwrap());
    // A failure waits for its back-off; after MAX_ATTEMPTS it is « échec ».
    let mut failing = again.into_iter().find(|m| m.id != claimed[0].id).unwrap();
    let mut t = now + 400;
    for attempt in 1..=MAX_ATTEMPTS {
        store
            .mark_mail_failed(&failing, "550 boîte inconnue", t)
            .await
            .unwrap();
        assert!(
            store
                .claim_mail(t + 59, 300, 10)
                .await
                .unwrap()
                .iter()
                .all(|m| m.id != failing.id)
        );
        t += 7 * 3600;
        let next = store.claim_mail(t, 300, 10).await.unwrap();
        let found = next.into_iter().find(|m| m.id == failing.id);
        if attempt < MAX_ATTEMPTS {
            failing = found.unwrap();
            assert_eq!(failing.attempts, attempt);
        } else {
            assert!(found.is_none());
        }
    }
    let (unsent, _) = store.outbox_rows(10).await.unwrap();
    let row = unsent.iter().find(|r| r.id == failing.id).unwrap();
    assert_eq!(row.state, OutboxState::Echec);
    assert_eq!(row.last_error.as_deref(), Some("550 boîte inconnue"));
    // Only an administrator puts it back in the queue.
    assert!(store.retry_mail(&ars, &failing.id).await.is_err());
    let admin = store
        .create_user(
            &Actor::system("test"),
            &caqes_store::NewUser {
                email: caqes_store::Email::parse("admin@t.fr").unwrap(),
                display_name: "admin".into(),
                role: Role::Admin,
                region: None,
                entity: None,
                password_hash: "x".into(),
            },
        )
        .await
        .unwrap();
    store.retry_mail(&admin, &failing.id).await.unwrap();
    assert_eq!(store.outbox_counts().await.unwrap().echec, 0);
}

async fn reminders_are_written_once(store: &Store) {
    let fx = Fixture::builder()
        .entities(2)
        .campaign(2018)
        .build(store)
        .await
        .unwrap();
    let [a, b] = fx.finess().unwrap();
    let etab_a = fx.etab(a).unwrap().clone();
    let etab_b = fx.etab(b).unwrap().clone();
    let omedit = fx.user(Role::Omedit).unwrap().clone();
    let campaign = fx.campaign.clone().unwrap();
    // B has submitted: only A is reminded of the 31 March 2019 deadline.
    let sub_b = store.submission(&campaign.id, &b).await.unwrap().unwrap();
    store
        .apply_action(&etab_b, &sub_b, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    let j15 = date(2019, 3, 16);
    assert_eq!(store.schedule_reminders(j15).await.unwrap(), 1);
    assert_eq!(store.schedule_reminders(j15).await.unwrap(), 0);
    assert_eq!(
        store.schedule_reminders(date(2019, 3, 20)).await.unwrap(),
        0
    );
    assert_eq!(
        store.schedule_reminders(date(2019, 3, 24)).await.unwrap(),
        1
    );
    assert_eq!(
        titles(store, &etab_a).await,
        ["Échéance (J-15)", "Échéance (J-7)"]
    );
    assert!(titles(store, &etab_b).await.is_empty());
    // The OMEDIT's milestone on the day, once.
    assert_eq!(
        store.schedule_reminders(date(2019, 3, 31)).await.unwrap(),
        1
    );
    assert_eq!(store.schedule_reminders(date(2019, 4, 1)).await.unwrap(), 0);
    assert_eq!(
        titles(store, &omedit).await,
        ["Étape de campagne", "Étape de campagne"]
    );
}

#[tokio::test]
async fn notifications_on_sqlite() {
    on_sqlite(events_reach_their_audience).await.unwrap();
    on_sqlite(preferences_and_digests).await.unwrap();
    on_sqlite(outbox_leases_and_retries).await.unwrap();
    on_sqlite(reminders_are_written_once).await.unwrap();
}

#[tokio::test]
async fn notifications_on_postgres() {
    on_postgres(events_reach_their_audience).await.unwrap();
    on_postgres(preferences_and_digests).await.unwrap();
    on_postgres(outbox_leases_and_retries).await.unwrap();
    on_postgres(reminders_are_written_once).await.unwrap();
}
