//! The issue's check (15), through the router on the store's `Fixture`: the ARS
//! returns a dossier and notifies a decision; the établissement finds the
//! e-mails (written by the worker as `.eml` files, shown at `/courriels`) and
//! its notifications (header badge, list, read-through links); the appeal
//! deadline runs from the day the établissement opened the decision, shown on
//! both sides; e-mail settings; the administrator's outbox. SQLite, and
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set. Without a mailbox folder
//! there is no mailbox page, and the receipts on paper (a pending contract, the
//! additional volets' decisions) are what the établissement's pages show.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Euros;
use caqes_core::calendar::{CalendarParameters, Contestation, appeal_deadline};
use caqes_core::volets::Volet;
use caqes_notify::{MailDir, Worker, WorkerSettings};
use caqes_store::notify::receipt::ReceiptKind;
use caqes_store::testing::{Fixture, FixtureBuilder, REFERENTIEL, REGION, TestDb};
use caqes_store::volets::transport::Transports;
use caqes_store::{Action, Actor, CampaignId, NewCampaign, ReceiptId, Role};
use caqes_web::Config;
use rust_decimal::Decimal;

mod common;
use common::contract_proposal::propose_contract;
use common::fixture::{self, FixtureApp};
use common::volet::{notify_three_volets, receive_on_paper};

/// The établissement user's entity, with its AM revenue, its dossier of the
/// campaign 2018 evaluated (50/100): the decision to notify; and the
/// administrator.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity("Centre hospitalier de Tolosa")
        .admin()
        .am_revenue(Euros(Decimal::from(150_000_000)))
        .campaign(2018)
        .evaluated(Decimal::from(50))
}

/// `fixture` served with the e-mails written to `dir`.
async fn app_with_mailbox(db: TestDb, dir: &std::path::Path) -> FixtureApp {
    let config = Config {
        mailbox: Some(dir.to_owned()),
        ..Config::default()
    };
    FixtureApp::with_config(db, fixture(), config).await
}

/// The worker writing the e-mails of the outbox to `dir`.
fn worker(t: &FixtureApp, dir: &std::path::Path) -> Worker<MailDir> {
    let settings = WorkerSettings::new(
        "CAQES <ne-pas-repondre@demo.caqes.fr>",
        "http://127.0.0.1:8080",
    );
    Worker::new(t.store().clone(), MailDir::new(dir), settings).unwrap()
}

/// The campaign 2019, still running (its deadlines 30 and 90 days away, no
/// reminder due), where the établissement's dossier is a draft; and its
/// contract, proposed then received today on paper: the end of its signature
/// period is 15 days away. What the établissement was told before (its
/// evaluation, the proposal) is sent by a first round of the worker, elsewhere
/// than `mails`.
async fn current_year(t: &FixtureApp) -> CampaignId {
    let store = t.store();
    let ars = t.user(Role::Ars);
    let today = caqes_store::today();
    let in_days = |n: i64| today.saturating_add(jiff::Span::new().days(n));
    let campaign = store
        .create_campaign(
            &Actor::user(ars),
            &NewCampaign {
                region: REGION,
                year: 2019,
                referentiel_id: REFERENTIEL.into(),
                title: "Campagne 2019".into(),
                submission_deadline: in_days(30),
                evaluation_deadline: in_days(90),
            },
        )
        .await
        .unwrap();
    let contract = propose_contract(t, t.own_entity(), None).await;
    let before = tempfile::tempdir().unwrap();
    worker(t, before.path()).round().await.unwrap();
    store
        .record_paper_receipt(
            ars,
            ReceiptKind::Contrat,
            &ReceiptId::from(&contract.id),
            today,
        )
        .await
        .unwrap();
    campaign.id
}

/// The number in the header's badge, if any.
fn badge(body: &str) -> Option<u32> {
    let i = body.find("id=\"notifications-non-lues\"")?;
    let rest = &body[i..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</span>")?;
    rest[start..end].trim().parse().ok()
}

async fn story(t: &FixtureApp, mails: &std::path::Path) {
    let current = current_year(t).await;
    let store = t.store();
    let own = t.own_entity();
    let etab_user = t.user(Role::Etablissement).clone();
    let etab_email = etab_user.email.to_string();
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let mut admin = t.logged_in(Role::Admin).await;
    let unread_before = badge(&etab.get("/").await.body).unwrap_or(0);

    // The établissement submits (its draft is partial: through the store), the ARS returns it.
    let sub = store.submission(&current, &own).await.unwrap().unwrap();
    store
        .apply_action(&etab_user, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
    let dossier = format!("/campagnes/{current}/dossiers/{own}");
    for fields in [
        vec![("action", "prendre_en_revue")],
        vec![
            ("action", "renvoyer"),
            ("commentaire", "Valeur A1 à justifier"),
        ],
    ] {
        let p = ars.post(&format!("{dossier}/actions"), &fields).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }

    // The ARS notifies the decision of the previous campaign (AM opinion, decision, notification).
    let decision = format!("{}/decision", t.dossier(own));
    am.get(&decision).await;
    let p = am
        .post(
            &format!("{decision}/avis"),
            &[("avis", "favorable"), ("commentaire", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    ars.get(&decision).await;
    let p = ars
        .post(
            &format!("{decision}/decider"),
            &[
                ("montant", "100 000"),
                ("motivation", "plan d'actions engagé"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = ars
        .post(
            &format!("{decision}/notifier"),
            &[("date_notification", "2019-09-02")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // Before the établissement opens it, the ARS sees that no deadline runs yet.
    let page = ars.get(&decision).await;
    assert!(
        page.body.contains("id=\"recours-en-attente\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("non encore reçu"));
    assert!(page.body.contains("formulaire-reception"));

    // The worker writes the e-mails; the établissement's are there.
    let round = worker(t, mails).round().await.unwrap();
    assert!(round.sent >= 2, "{round:?}");
    let box_etab = etab.get("/courriels").await;
    assert_eq!(box_etab.status, StatusCode::OK);
    assert!(
        box_etab.body.contains("Dossier renvoyé"),
        "{}",
        box_etab.body
    );
    assert!(
        box_etab.body.contains("Décision notifiée"),
        "{}",
        box_etab.body
    );
    assert!(box_etab.body.contains(&format!("à {etab_email}")));
    // Nothing of the dossier beyond the name and the event: not the ARS's comment, not the amount.
    assert!(!box_etab.body.contains("Valeur A1"));
    assert!(!box_etab.body.contains("100\u{202f}000") && !box_etab.body.contains("100 000"));
    let files: Vec<String> = std::fs::read_dir(mails)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|text| text.contains(&format!("To: {etab_email}")))
        .collect();
    // The return, the decision (a legal notice), and the J-15 reminder of the
    // pending contract, written by the worker's first round.
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(
        files
            .iter()
            .filter(|f| f.contains("Dossier renvoy"))
            .count(),
        1
    );
    assert_eq!(
        files
            .iter()
            .filter(|f| f.contains("(notification légale)"))
            .count(),
        1
    );
    assert_eq!(files.iter().filter(|f| f.contains("(J-15)")).count(), 1);
    assert!(
        files
            .iter()
            .all(|f| f.contains("http://127.0.0.1:8080/notifications/"))
    );
    // The ARS's mailbox shows only what is addressed to it (the AM opinion given).
    let box_ars = ars.get("/courriels").await;
    assert!(!box_ars.body.contains(&format!("à {etab_email}")));
    assert!(
        box_ars.body.contains("Avis de l'Assurance Maladie donné"),
        "{}",
        box_ars.body
    );

    // In the platform: the badge counts the three new notifications, the list shows them.
    let home = etab.get("/").await;
    assert_eq!(badge(&home.body), Some(unread_before + 3), "{}", home.body);
    let list = etab.get("/notifications").await;
    assert!(list.body.contains("Dossier renvoyé") && list.body.contains("Décision notifiée"));
    let n = store.notifications_of(&etab_user.id, 50).await.unwrap();
    let decided = n.iter().find(|n| n.title == "Décision notifiée").unwrap();
    assert!(decided.legal);
    // Opening the notification marks it read and leads to the decision, which is then received.
    let p = etab.get(&format!("/notifications/{}", decided.id)).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some(decision.as_str()));
    let page = etab.get(&decision).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(badge(&page.body), Some(unread_before + 2), "{}", page.body);
    // Another user's notification is not found.
    assert_eq!(
        ars.get(&format!("/notifications/{}", decided.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The appeal deadline runs from today (opening), not from the notification (2 September 2019).
    let today = caqes_store::today();
    let (_, deadline) = appeal_deadline(
        &CalendarParameters::default(),
        today,
        Contestation::MontantSanction,
    )
    .unwrap();
    let expected = caqes_documents::format::date(deadline.date);
    let received = format!("Reçu le {}", caqes_documents::format::date(today));
    for (who, page) in [("établissement", page), ("ARS", ars.get(&decision).await)] {
        assert!(
            page.body
                .contains(&format!("jusqu'au <strong>{expected}</strong>")),
            "{who}: {}",
            page.body
        );
        assert!(!page.body.contains("2 novembre 2019"), "{who}");
        assert!(page.body.contains(&received), "{who}: {}", page.body);
        assert!(
            page.body.contains("accusé de réception électronique"),
            "{who}"
        );
    }
    // The audit log records it.
    let audit = store.audit_in_region(&REGION, 20).await.unwrap();
    assert!(audit.iter().any(|l| l.action == "reception.electronique"));

    // E-mail settings: the choice is saved; a bad one is refused.
    let p = etab.get("/notifications/preferences").await;
    assert!(
        p.body
            .contains("id=\"courriels-immediat\" name=\"courriels\" value=\"immediat\" checked")
    );
    let p = etab
        .post("/notifications/preferences", &[("courriels", "desactive")])
        .await;
    assert!(p.body.contains("id=\"enregistre\""), "{}", p.body);
    let p = etab
        .post("/notifications/preferences", &[("courriels", "jamais")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Mark all read.
    let p = etab.post("/notifications/tout-lu", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(badge(&etab.get("/").await.body), None);

    // The administrator's outbox; nobody else's.
    let page = admin.get("/admin/courriels").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"compteurs\""));
    assert_eq!(
        etab.get("/admin/courriels").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_issue_check_on_sqlite() {
    let mails = tempfile::tempdir().unwrap();
    let t = app_with_mailbox(TestDb::sqlite().await.unwrap(), mails.path()).await;
    story(&t, mails.path()).await;
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn the_issue_check_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré");
        return;
    };
    let mails = tempfile::tempdir().unwrap();
    let t = app_with_mailbox(db, mails.path()).await;
    story(&t, mails.path()).await;
    t.db.cleanup().await.unwrap();
}

/// Without a mailbox folder (the default configuration), on the volets' fixture
/// of the campaign 2018: the établissement's contract proposed three days ago and
/// received on paper; its three additional volets decided and notified on
/// 15 September 2019, the transport decision received on paper that day.
async fn mailbox_story(t: &FixtureApp) {
    let own = t.own_entity();
    let three_days_ago = caqes_store::today().saturating_sub(jiff::Span::new().days(3));
    propose_contract(t, own, Some(three_days_ago)).await;
    let notified_on = notify_three_volets(t, t.campaign()).await;
    assert_eq!(notified_on, jiff::civil::date(2019, 9, 15));
    receive_on_paper::<Transports>(t, notified_on).await;

    let mut etab = t.logged_in(Role::Etablissement).await;
    assert_eq!(etab.get("/courriels").await.status, StatusCode::NOT_FOUND);
    assert!(!etab.get("/").await.body.contains("id=\"lien-courriels\""));
    // The pending contract was received on paper: the page says so.
    let page = etab.get(&format!("/contrats/{own}")).await;
    assert!(
        page.body.contains("accusé de réception papier"),
        "{}",
        page.body
    );
    // The volet decisions notified their établissement (legal notices, with the
    // volet's page), and the paper receipt starts the transport appeal deadlines.
    let user = t.user(Role::Etablissement);
    let notes = t.store().notifications_of(&user.id, 100).await.unwrap();
    for (volet, page) in [
        (Volet::Transports, "transports"),
        (Volet::Qualite, "qualite"),
        (Volet::Pertinence, "pertinence"),
    ] {
        let of_volet = format!("du volet {}", volet.label());
        let note = notes
            .iter()
            .find(|n| n.body.contains(&of_volet))
            .unwrap_or_else(|| panic!("{of_volet} : {notes:?}"));
        assert!(note.legal, "{note:?}");
        assert!(
            note.link.ends_with(&format!("/volets/{page}")),
            "{}",
            note.link
        );
    }
    let page = etab.get(&t.volet_url(own, "transports")).await;
    assert!(
        page.body
            .contains("Reçue le 15 septembre 2019 (accusé de réception papier"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_mailbox_page_exists_only_with_its_folder_on_sqlite() {
    fixture::on_sqlite(common::volet::fixture(2018), mailbox_story).await;
}

#[tokio::test]
async fn the_mailbox_page_exists_only_with_its_folder_on_postgres() {
    fixture::on_postgres(common::volet::fixture(2018), mailbox_story).await;
}
