//! The documents downloadable from the pages (issue 11): each one as the role
//! allowed to see its subject (200, a PDF whose text — read back by pdftotext —
//! names the establishment, its FINESS and the figure the page shows), as
//! forbidden roles (404, no foreign data), its issuance in the audit log with
//! the SHA-256 of the bytes handed over, the appeal deadline from the receipt
//! recorded on the platform (issue 15), and the refusal-to-sign procedure end
//! to end. SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.
//!
//! Every story runs on the store's `Fixture`, the test writing through the
//! store what the documents read: for the dossier's reports and the IRAPS
//! synthesis, the values entered (III-02 class by class, one indicator missed),
//! a target, the evaluation and the three additional volets notified; for the
//! letters, the evaluation or the notified volets; for the refusal-to-sign
//! procedure, the contracts.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caqes_core::calendar::{CalendarParameters, Contestation, appeal_deadline};
use caqes_core::referentiel::{Applicability, Kind, Source};
use caqes_core::{Euros, Finess};
use caqes_store::testing::{Fixture, FixtureBuilder, REFERENTIEL, REGION};
use caqes_store::volets::transport::Transports;
use caqes_store::{Action, Actor, Campaign, ContractState, Role, ScoreRecord, Store, StoredValue};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

mod common;
use common::contract_proposal::propose_contract;
use common::fixture::FixtureApp;
use common::volet::{euros, notify_three_volets, receive_on_paper};
use common::{Client, password};

/// A downloaded file: status, content type, disposition, bytes.
struct Download {
    status: StatusCode,
    content_type: String,
    disposition: String,
    bytes: Vec<u8>,
}

impl Download {
    fn body(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

async fn download(c: &Client<'_>, uri: &str) -> Download {
    let req = Request::get(uri)
        .header(header::COOKIE, c.cookie_header())
        .body(Body::empty())
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    let h = |name| {
        res.headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, content_type, disposition) = (
        res.status(),
        h(header::CONTENT_TYPE),
        h(header::CONTENT_DISPOSITION),
    );
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Download {
        status,
        content_type,
        disposition,
        bytes,
    }
}

/// The text of a PDF as pdftotext reads it, with every run of blanks (no-break
/// spaces included) as one space, so that a wrapped sentence reads whole.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("/usr/bin/pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext: {:?}", out);
    normalise(&String::from_utf8(out.stdout).unwrap())
}

fn normalise(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A PDF for the user, named as asked, whose text holds every one of `expected`.
fn assert_pdf(d: &Download, filename: &str, expected: &[&str]) -> String {
    assert_eq!(d.status, StatusCode::OK, "{}", d.body());
    assert_eq!(d.content_type, "application/pdf");
    assert!(d.bytes.starts_with(b"%PDF-"), "not a PDF");
    assert_eq!(
        d.disposition,
        format!("attachment; filename=\"{filename}\"")
    );
    // To look at the documents as pages (pdftoppm), when asked.
    if let Ok(dir) = std::env::var("CAQES_DOCUMENTS_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{filename}"), &d.bytes).unwrap();
    }
    let text = pdf_text(&d.bytes);
    for e in expected {
        assert!(text.contains(&normalise(e)), "« {e} » absent de : {text}");
    }
    text
}

/// The user may not have it: 404, and nothing of the subject in the answer.
async fn assert_hidden(c: &Client<'_>, uri: &str, foreign: &[&str]) {
    let d = download(c, uri).await;
    assert_eq!(d.status, StatusCode::NOT_FOUND, "{uri}");
    assert!(!d.bytes.starts_with(b"%PDF"));
    for f in foreign {
        assert!(!d.body().contains(f), "{uri} révèle « {f} »");
    }
}

/// The audit log holds the issuance of exactly these bytes.
async fn assert_issued(store: &Store, document: &str, bytes: &[u8]) {
    let hash = hex::encode(Sha256::digest(bytes));
    let audit = store.audit_in_region(&REGION, 1000).await.unwrap();
    let line = audit
        .iter()
        .find(|l| {
            l.action == "document.emettre" && l.after.as_deref().is_some_and(|a| a.contains(&hash))
        })
        .unwrap_or_else(|| panic!("aucune émission de {document} d'empreinte {hash}"));
    let after: serde_json::Value = serde_json::from_str(line.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["document"], document);
    assert_eq!(after["octets"], bytes.len());
    assert!(line.actor.is_some(), "émis sans utilisateur");
}

/// « 15 mars 2019 » as the documents write dates.
fn fr(d: jiff::civil::Date) -> String {
    caqes_documents::format::date(d)
}

async fn entity_name(store: &Store, finess: &str) -> String {
    store
        .legal_entity(&Finess::parse(finess).unwrap())
        .await
        .unwrap()
        .unwrap()
        .name
}

/// The text between `<strong>` and `</strong>` after `marker` in a page.
fn strong_after(page: &str, marker: &str) -> String {
    let rest = &page[page.find(marker).unwrap()..];
    let start = rest.find("<strong>").unwrap() + "<strong>".len();
    rest[start..start + rest[start..].find("</strong>").unwrap()].to_owned()
}

/// The indicator whose value the own entity answers « NON »: the one line
/// missed, that the IRAPS synthesis lists.
const MISSED: &str = "I-10";

/// III-02's contractual target of the own entity, shown on its classes' rows.
const III_02_TARGET: i64 = 60;

/// The own entity's values of `campaign`'s year for every line the
/// établissement enters (source ES, III-02 class by class), the same on each of
/// its two sites: proportions 45 / 60, ratios 20 / 60, growths 98 000 / 100 000,
/// words OUI but [`MISSED`] NON; and its target of III-02.
async fn enter_values(t: &FixtureApp, campaign: &Campaign) {
    let store = t.store();
    let grid = store.campaign_referentiel(campaign).await.unwrap();
    let own = &t.fixture.entities[0];
    let category = own.entity.category;
    let mut values = Vec::new();
    for line in grid.lines() {
        let ind = line.indicator;
        let entered = ind.sources.contains(&Source::ES)
            && ind.applicability(category) != Applicability::Nc
            // An indicator computed per class (D5) is entered class by class.
            && (ind.classes.is_empty() || line.class.is_some());
        if !entered {
            continue;
        }
        let word = if line.code == MISSED { "NON" } else { "OUI" };
        let (n, d, v) = match ind.kind {
            Kind::Proportion => (Some("45"), Some("60"), None),
            Kind::Ratio => (Some("20"), Some("60"), None),
            Kind::Growth => (Some("98000"), Some("100000"), None),
            Kind::YesNo | Kind::Document | Kind::TriState => (None, None, Some(word)),
        };
        for site in &own.sites {
            let value = StoredValue::typed_text(site.finess, campaign.year, line.code, n, d, v)
                .parsed_in(&grid, true)
                .unwrap();
            values.push(value);
        }
    }
    let etab = Actor::user(t.user(Role::Etablissement));
    store
        .save_values(&etab, campaign, &own.entity, &values)
        .await
        .unwrap();
    let targets = BTreeMap::from([("III-02".to_owned(), Decimal::from(III_02_TARGET))]);
    let ars = Actor::user(t.user(Role::Ars));
    store
        .set_targets(&ars, &own.entity, campaign.year, &targets)
        .await
        .unwrap();
}

/// The own entity's dossier of `campaign` submitted, taken in review, validated
/// and evaluated with the engine's score of its values (as the ARS's evaluation
/// computes it).
async fn evaluate_own(t: &FixtureApp, campaign: &Campaign) {
    let store = t.store();
    let grid = store.campaign_referentiel(campaign).await.unwrap();
    let own = &t.fixture.entities[0].entity;
    for action in [
        Action::Soumettre,
        Action::PrendreEnRevue,
        Action::Valider,
        Action::Evaluer,
    ] {
        let sub = store
            .submission(&campaign.id, &own.finess)
            .await
            .unwrap()
            .unwrap();
        let score = if action == Action::Evaluer {
            let s = store
                .evaluate_entity(&grid, own, campaign.year)
                .await
                .unwrap()
                .score;
            Some(ScoreRecord {
                score: s.score,
                bonus: s.bonus,
                total: s.total,
            })
        } else {
            None
        };
        store
            .apply_action(t.user(action.role()), &sub, &REGION, action, None, score)
            .await
            .unwrap();
    }
}

/// The dossier's reports and the IRAPS synthesis of the campaign 2018: the own
/// entity's values entered and its dossier evaluated, its three additional
/// volets notified ([`notify_three_volets`]); the campaign 2019, where its
/// dossier is still a draft.
async fn dossier_documents(t: &FixtureApp) {
    let previous = t.campaign().clone();
    enter_values(t, &previous).await;
    evaluate_own(t, &previous).await;
    notify_three_volets(t, &previous).await;
    let current = t.add_campaign(previous.year + 1, REFERENTIEL).await;
    let own = t.own_entity().to_string();
    let other = t.other_entity().to_string();
    let name = entity_name(t.store(), &own).await;
    let other_name = entity_name(t.store(), &other).await;
    let year = previous.year;
    let dossier = t.dossier(&own);
    let docs = format!("{dossier}/documents");
    let mut etab = t.logged_in(Role::Etablissement).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let admin = t.logged_in(Role::Admin).await;

    // The dossier page links each document; the report's score is the page's.
    let page = etab.get(&dossier).await;
    assert_eq!(page.status, StatusCode::OK);
    for id in [
        "document-fiche",
        "document-autoevaluation",
        "document-accuse-depot",
        "document-rapport-evaluation",
    ] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let score = strong_after(&page.body, "id=\"score\"");
    // What the engine gives for the values written (the état des lieux year: every
    // line entered met but MISSED; no AM nor ARS value): 79 points and a bonus of
    // 4, pinned here, stored by the evaluation and shown by the page alike.
    assert_eq!(score, "79", "{}", page.body);
    let evaluated = t
        .store()
        .submission(&previous.id, &t.own_entity())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (evaluated.score, evaluated.bonus, evaluated.total),
        (
            Some(Decimal::from(79)),
            Some(Decimal::from(4)),
            Some(Decimal::from(83))
        )
    );
    let report = download(&etab, &format!("{docs}/rapport-evaluation.pdf")).await;
    let text = assert_pdf(
        &report,
        &format!("rapport-evaluation-{own}-{year}.pdf"),
        &[&name, &own, &score],
    );
    assert!(text.contains("Rapport d'évaluation") || text.contains("rapport d'évaluation"));
    // III-02 is computed per class (D5): each class's row follows its indicator's, as on
    // the dossier page (codes wrap in their narrow column: looked for without blanks).
    let compact = |text: &str| text.chars().filter(|c| *c != ' ').collect::<String>();
    for expected in ["III-02/EPO", "III-02/G-CSF", "classeÉrythropoïétines(EPO)"] {
        assert!(compact(&text).contains(expected), "{expected}: {text}");
    }
    assert!(text.contains("par classe : "), "{text}");
    // The joint report: the grid carries each additional volet's notified decision of the
    // year (the transport incentive, qualité sanction and MSAP of 4 months written).
    for expected in [
        "+21 000,00 €",
        "-356 250,00 €",
        "intéressement de 21 000,00 €",
        "sanction de 356 250,00 €",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert_issued(t.store(), "rapport_evaluation", &report.bytes).await;
    // The joint yearly report across volets, linked beside it: the same grid and
    // consequences, each additional volet's section with its decision.
    assert!(page.body.contains("id=\"document-rapport-annuel\""));
    let joint = download(&etab, &format!("{docs}/rapport-annuel.pdf")).await;
    let joint_text = assert_pdf(
        &joint,
        &format!("rapport-annuel-{own}-{year}.pdf"),
        &[&name, &own, &score],
    );
    for expected in [
        "Rapport annuel d'évaluation",
        "+21 000,00 €",
        "-356 250,00 €",
        "intéressement de 21 000,00 €",
        "sanction de 356 250,00 €",
    ] {
        assert!(joint_text.contains(expected), "{expected}: {joint_text}");
    }
    assert_issued(t.store(), "rapport_annuel", &joint.bytes).await;
    // The ARS reads the same report (same stored data, same engine call).
    let by_ars = download(&ars, &format!("{docs}/rapport-evaluation.pdf")).await;
    assert_pdf(
        &by_ars,
        &format!("rapport-evaluation-{own}-{year}.pdf"),
        &[&name, &own, &score],
    );

    // Self-evaluation report and receipt of the submission.
    let d = download(&etab, &format!("{docs}/rapport-autoevaluation.pdf")).await;
    let self_text = assert_pdf(
        &d,
        &format!("rapport-autoevaluation-{own}-{year}.pdf"),
        &[&name, &own],
    );
    // The classes' values entered are in it, each under its code (a wrapped code loses
    // its hyphen in pdftotext: looked for by the class's name).
    for expected in [
        "III-02/EPO",
        "classeInsulineglargine",
        "classeÉrythropoïétines(EPO)",
    ] {
        assert!(
            compact(&self_text).contains(expected),
            "{expected}: {self_text}"
        );
    }
    // A class without its own target shows its indicator's (III-02's, shared).
    let shared = format!("{III_02_TARGET},00");
    let epo = self_text.find("classe Érythropoïétines (EPO)").unwrap();
    let epo_row: String = self_text[epo..].chars().take(160).collect();
    assert!(epo_row.contains(&shared), "{shared}: {epo_row}");
    assert_issued(t.store(), "rapport_autoevaluation", &d.bytes).await;
    let d = download(&etab, &format!("{docs}/accuse-depot.pdf")).await;
    let sub = t
        .store()
        .submission(&previous.id, &t.own_entity())
        .await
        .unwrap()
        .unwrap();
    let receipt = assert_pdf(
        &d,
        &format!("accuse-depot-{own}-{year}.pdf"),
        &[&name, &own, sub.id.as_str()],
    );
    assert!(compact(&receipt).contains("III-02/EPO"), "{receipt}");
    assert_issued(t.store(), "accuse_depot", &d.bytes).await;
    let d = download(&etab, &format!("{docs}/fiche-recapitulative.pdf")).await;
    assert_pdf(
        &d,
        &format!("fiche-recapitulative-{own}-{year}.pdf"),
        &[&name, &own],
    );
    assert_issued(t.store(), "fiche_recapitulative", &d.bytes).await;

    // Before submission there is neither self-evaluation nor receipt nor report:
    // the current campaign's own dossier is still a draft.
    let draft = t
        .store()
        .submission(&current.id, &t.own_entity())
        .await
        .unwrap()
        .unwrap();
    assert!(draft.state.is_editable(), "{:?}", draft.state);
    let current = format!("/campagnes/{}/dossiers/{own}/documents", current.id);
    for doc in [
        "rapport-autoevaluation",
        "accuse-depot",
        "rapport-evaluation",
    ] {
        assert_hidden(&etab, &format!("{current}/{doc}.pdf"), &[]).await;
    }

    // Forbidden: another entity's documents for the établissement, every
    // document for the administrator and for the other region's ARS.
    let other_docs = format!("{}/documents", t.dossier(&other));
    for doc in [
        "rapport-evaluation",
        "rapport-autoevaluation",
        "accuse-depot",
        "fiche-recapitulative",
    ] {
        assert_hidden(&etab, &format!("{other_docs}/{doc}.pdf"), &[&other_name]).await;
        assert_hidden(&admin, &format!("{docs}/{doc}.pdf"), &[&name]).await;
    }
    let idf = t.other_region_ars().await;
    assert_hidden(&idf, &format!("{docs}/rapport-evaluation.pdf"), &[&name]).await;

    // The IRAPS synthesis: campaign page, regional roles only.
    let campaign = format!("/campagnes/{}", previous.id);
    let page = ars.get(&campaign).await;
    assert!(page.body.contains("id=\"lien-synthese-iraps\""));
    assert!(page.body.contains("fiche-recapitulative.pdf"));
    let region = t.store().region(&REGION).await.unwrap().unwrap().name;
    for role in [Role::Ars, Role::AssuranceMaladie, Role::Omedit] {
        let c = t.logged_in(role).await;
        let d = download(&c, &format!("{campaign}/synthese-iraps.pdf")).await;
        let text = assert_pdf(
            &d,
            &format!("synthese-iraps-76-{year}.pdf"),
            &[&region, &year.to_string()],
        );
        // The indicators most often missed, from the evaluated dossiers' lines.
        let from = text
            .find("Indicateurs le plus souvent non atteints")
            .unwrap();
        let to = text.find("Sanctions et intéressements notifiés").unwrap();
        let section = &text[from..to];
        let referentiel = t
            .store()
            .referentiel(&previous.referentiel_id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            referentiel
                .indicators
                .iter()
                .any(|i| section.contains(&format!("{} ", i.code))),
            "{section}"
        );
        // The one line the own entity missed.
        assert!(section.contains(&format!("{MISSED} ")), "{section}");
        // The additional volets' decisions in total: the transport incentive
        // (21 000 €), qualité sanction (356 250 €) and mise sous accord préalable.
        let totals = &text[to..];
        for expected in [
            "Transports",
            "21 000,00 €",
            "Qualité",
            "356 250,00 €",
            "Pertinence",
        ] {
            assert!(totals.contains(expected), "{expected}: {totals}");
        }
        assert_issued(t.store(), "synthese_iraps", &d.bytes).await;
    }
    assert_hidden(&etab, &format!("{campaign}/synthese-iraps.pdf"), &[]).await;
    assert_hidden(&admin, &format!("{campaign}/synthese-iraps.pdf"), &[]).await;
    assert_hidden(&idf, &format!("{campaign}/synthese-iraps.pdf"), &[]).await;
}

/// The volet obligatoire's letter: the appeal deadline runs from the day the
/// établissement opened the decision (D + 2 months, by `caqes_core::calendar`).
async fn decision_letter(t: &FixtureApp) {
    let own = t.own_entity().to_string();
    let name = entity_name(t.store(), &own).await;
    let url = format!("{}/decision", t.dossier(&own));
    let letter = format!("{url}/notification.pdf");
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let etab = t.logged_in(Role::Etablissement).await;

    // No letter before the notification, for anyone.
    assert_hidden(&ars, &letter, &[]).await;
    am.get(&url).await;
    let p = am
        .post(
            &format!("{url}/avis"),
            &[("avis", "favorable"), ("commentaire", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    ars.get(&url).await;
    let p = ars
        .post(
            &format!("{url}/decider"),
            &[
                ("montant", "100 000"),
                ("motivation", "Plan d'action engagé"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_hidden(&etab, &letter, &[]).await;
    let p = ars
        .post(
            &format!("{url}/notifier"),
            &[("date_notification", "2019-09-02")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // Not yet received: the ARS's copy says the deadline runs from the receipt.
    let page = ars.get(&url).await;
    assert!(page.body.contains("id=\"lien-lettre-notification\""));
    let year = t.fixture.campaign.as_ref().unwrap().year;
    let filename = format!("notification-sanction-{own}-{year}-v1.pdf");
    let before = download(&ars, &letter).await;
    let text = assert_pdf(
        &before,
        &filename,
        &[&name, &own, "100 000,00 €", "2 septembre 2019"],
    );
    assert!(
        text.contains("court à compter de la date de sa réception"),
        "{text}"
    );
    assert!(!text.contains("ce délai expire le"));

    // The établissement opens the letter on day D: that is the receipt, and the
    // letter gives D + 2 months.
    let after = download(&etab, &letter).await;
    let received = caqes_store::today();
    let (_, deadline) = appeal_deadline(
        &CalendarParameters::default(),
        received,
        Contestation::MontantSanction,
    )
    .unwrap();
    let text = assert_pdf(&after, &filename, &[&name, &own, "100 000,00 €"]);
    let expected = normalise(&format!(
        "Pour une notification reçue le {}, ce délai expire le {} inclus.",
        fr(received),
        fr(deadline.date)
    ));
    assert!(
        text.contains(&expected),
        "« {expected} » absent de : {text}"
    );
    assert!(text.contains("tribunal administratif"));
    assert_issued(t.store(), "notification_sanction", &after.bytes).await;
    // The page shows the same receipt.
    let decisions = t
        .store()
        .decisions_of(&t.submission(&t.own_entity()).await.id)
        .await
        .unwrap();
    assert_eq!(decisions[0].receipt.as_ref().unwrap().on, received);
    // Another entity's letter stays hidden from the établissement.
    let other = format!(
        "{}/decision/notification.pdf",
        t.dossier(t.fixture.entities[1].entity.finess)
    );
    assert_hidden(&etab, &other, &[]).await;
}

/// The transport volet's letter: the three volets of the own entity decided and
/// notified, the transport decision received on paper; the letter names the
/// receipt, the objectives as evaluated and the incentive computed from the
/// data written (30 % × 140 000 € of savings × 50 % of the action plan).
async fn volet_letter(t: &FixtureApp) {
    notify_three_volets(t, t.campaign()).await;
    let received = jiff::civil::date(t.campaign().year + 1, 9, 20);
    let version = receive_on_paper::<Transports>(t, received).await;
    let own = t.own_entity();
    let finess = own.to_string();
    let name = entity_name(t.store(), &finess).await;
    let url = t.volet_url(own, "transports");
    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get(&url).await;
    assert!(
        page.body.contains("id=\"lien-lettre-volet\""),
        "{}",
        page.body
    );
    let letter = format!("{url}/notification.pdf");
    let d = download(&ars, &letter).await;
    let text = assert_pdf(
        &d,
        &format!(
            "notification-volet-transports-{finess}-{}-v{}.pdf",
            t.campaign().year,
            version.version
        ),
        &[&name, &finess, &fr(received)],
    );
    // The objectives of the evaluation, as the volet's page records them.
    assert!(
        text.contains("dans la cible du contrat – atteint"),
        "{text}"
    );
    let incentive = normalise(&caqes_documents::format::euros(euros(21_000)));
    assert!(text.contains(&incentive), "{incentive}: {text}");
    assert_eq!(
        version.final_amount.map(|a| a.amount()),
        Some(Decimal::from(21_000))
    );
    assert_issued(t.store(), "notification_decision_volet", &d.bytes).await;
    // Another entity's établissement, the administrator and the other region's
    // ARS do not see it.
    let other = t.fixture.etab(t.other_entity()).unwrap().email.clone();
    let other = t.login(&other, &password(Role::Etablissement)).await;
    assert_hidden(&other, &letter, &[&name]).await;
    let admin = t.logged_in(Role::Admin).await;
    assert_hidden(&admin, &letter, &[&name]).await;
    assert_hidden(&t.other_region_ars().await, &letter, &[&name]).await;
}

/// The refusal-to-sign procedure: refused contract → opened by the ARS →
/// sanction decided (1 % of the AM revenue) → notified (outbox) → received by
/// the établissement → letter with the appeal deadline from the receipt.
async fn refusal_flow(t: &FixtureApp) {
    propose_contracts(t).await;
    let contracts = t.store().contracts_in_region(&REGION).await.unwrap();
    let refused = contracts
        .iter()
        .find(|c| c.state == ContractState::Refuse)
        .expect("un contrat refusé");
    let finess = refused.entity.to_string();
    let name = refused.entity_name.clone();
    let url = format!("/contrats/{finess}");
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut owner = t
        .login(
            &t.fixture.etab(refused.entity).unwrap().email,
            &password(Role::Etablissement),
        )
        .await;

    // The établissement user's own contract is within its 15 days: not refusable.
    let own = format!("/contrats/{}", t.own_entity());
    let page = ars.get(&own).await;
    assert!(!page.body.contains("formulaire-ouverture-refus"));
    let p = ars.post(&format!("{own}/sanction-refus/ouvrir"), &[]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("délai de signature court"), "{}", p.body);

    // Only the ARS opens the procedure, once.
    let page = ars.get(&url).await;
    assert!(page.body.contains("id=\"formulaire-ouverture-refus\""));
    owner.get(&url).await;
    let p = owner
        .post(&format!("{url}/sanction-refus/ouvrir"), &[])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    am.get(&url).await;
    let p = am.post(&format!("{url}/sanction-refus/ouvrir"), &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    ars.get(&url).await;
    let p = ars.post(&format!("{url}/sanction-refus/ouvrir"), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = ars.post(&format!("{url}/sanction-refus/ouvrir"), &[]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Decided: 1 % of the AM revenue; a lower amount needs a motivation.
    let revenue = t
        .store()
        .am_figures(&Finess::parse(&finess).unwrap())
        .await
        .unwrap()
        .am_revenue
        .expect("produits AM de l'entité");
    let ceiling = caqes_core::Euros(revenue.amount() / rust_decimal::Decimal::ONE_HUNDRED);
    ars.get(&url).await;
    let p = ars
        .post(
            &format!("{url}/sanction-refus/decider"),
            &[
                ("assiette", "produits_am"),
                ("montant", "1"),
                ("motivation", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    let p = ars
        .post(
            &format!("{url}/sanction-refus/decider"),
            &[
                ("assiette", "produits_am"),
                ("montant", ""),
                ("motivation", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = ars.get(&url).await;
    assert!(page.body.contains(&ceiling.to_string()), "{}", page.body);
    // Not notified: the établissement sees nothing of it, and there is no letter.
    let page = owner.get(&url).await;
    assert!(!page.body.contains("id=\"sanction-refus\""));
    assert_hidden(
        &owner,
        &format!("{url}/sanction-refus/notification.pdf"),
        &[],
    )
    .await;

    // Notified not before the day after the end of the signature period.
    let period = refused
        .signature_period(&CalendarParameters::default())
        .unwrap();
    ars.get(&url).await;
    let p = ars
        .post(
            &format!("{url}/sanction-refus/notifier"),
            &[("date_notification", &period.fin.to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    let on = period.fin.tomorrow().unwrap();
    let p = ars
        .post(
            &format!("{url}/sanction-refus/notifier"),
            &[("date_notification", &on.to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = ars
        .post(
            &format!("{url}/sanction-refus/decider"),
            &[
                ("assiette", "produits_am"),
                ("montant", ""),
                ("motivation", ""),
            ],
        )
        .await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "figée une fois notifiée"
    );

    // The établissement is told (notification and outbox, in the event's transaction).
    let list = owner.get("/notifications").await;
    assert!(
        list.body
            .contains("Sanction pour refus de signature notifiée"),
        "{}",
        list.body
    );

    // Before the receipt, the ARS's letter says the deadline runs from it.
    let letter = format!("{url}/sanction-refus/notification.pdf");
    let filename = format!("notification-sanction-refus-{finess}.pdf");
    let d = download(&ars, &letter).await;
    let text = assert_pdf(
        &d,
        &filename,
        &[
            &name,
            &finess,
            &caqes_documents::format::euros(ceiling),
            &fr(refused.received_on().unwrap()),
            &fr(period.fin),
        ],
    );
    assert!(
        text.contains("court à compter de la date de sa réception"),
        "{text}"
    );

    // The établissement opens its contract page: received today; its letter
    // and the page give the deadline from that day.
    let page = owner.get(&url).await;
    assert!(page.body.contains("id=\"sanction-refus\""), "{}", page.body);
    let received = caqes_store::today();
    let (_, deadline) = appeal_deadline(
        &CalendarParameters::default(),
        received,
        Contestation::Sanction,
    )
    .unwrap();
    assert!(
        page.body.contains(&caqes_web::ui::fr::date(deadline.date)),
        "{}",
        page.body
    );
    let d = download(&owner, &letter).await;
    let text = assert_pdf(&d, &filename, &[&name, &finess]);
    let expected = normalise(&format!(
        "Pour une notification reçue le {}, ce délai expire le {} inclus.",
        fr(received),
        fr(deadline.date)
    ));
    assert!(
        text.contains(&expected),
        "« {expected} » absent de : {text}"
    );
    assert_issued(t.store(), "notification_sanction_refus", &d.bytes).await;
    // Another établissement, the administrator, the other region: nothing.
    let etab = t.logged_in(Role::Etablissement).await;
    assert_hidden(&etab, &letter, &[&name]).await;
    let admin = t.logged_in(Role::Admin).await;
    assert_hidden(&admin, &letter, &[&name]).await;

    let audit = t.store().audit_in_region(&REGION, 1000).await.unwrap();
    for action in [
        "sanction_refus.ouvrir",
        "sanction_refus.decider",
        "sanction_refus.notifier",
        "reception.electronique",
    ] {
        assert!(audit.iter().any(|l| l.action == action), "{action}");
    }
}

/// Two entities of region 76 with their AM revenue, their dossiers of the
/// campaign 2018 evaluated (50/100): the ground of a sanction decided in 2019.
fn evaluated() -> FixtureBuilder {
    Fixture::builder()
        .entities(2)
        .am_revenue(Euros(Decimal::from(150_000_000)))
        .campaign(2018)
        .evaluated(Decimal::from(50))
}

/// Two entities of region 76 with their AM revenue and the administrator, no
/// campaign: a contract is the subject.
fn with_am_revenue() -> FixtureBuilder {
    Fixture::builder()
        .entities(2)
        .admin()
        .am_revenue(Euros(Decimal::from(150_000_000)))
}

/// The ARS's contracts: the établissement user's received today (within its
/// signature period), the second entity's received on 10 January 2019 and
/// refused by its établissement ten days later.
async fn propose_contracts(t: &FixtureApp) {
    let [own, other] = t.fixture.finess().unwrap();
    propose_contract(t, own, Some(caqes_store::today())).await;
    let proposed = propose_contract(t, other, Some(jiff::civil::date(2019, 1, 10))).await;
    t.store()
        .refuse_contract(
            t.fixture.etab(other).unwrap(),
            &proposed,
            jiff::civil::date(2019, 1, 20),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn documents_on_sqlite() {
    common::fixture::on_sqlite(common::volet::fixture(2018), dossier_documents).await;
}

#[tokio::test]
async fn documents_on_postgres() {
    common::fixture::on_postgres(common::volet::fixture(2018), dossier_documents).await;
}

#[tokio::test]
async fn volet_letter_on_sqlite() {
    common::fixture::on_sqlite(common::volet::fixture(2019), volet_letter).await;
}

#[tokio::test]
async fn volet_letter_on_postgres() {
    common::fixture::on_postgres(common::volet::fixture(2019), volet_letter).await;
}

#[tokio::test]
async fn decision_letter_on_sqlite() {
    common::fixture::on_sqlite(evaluated(), decision_letter).await;
}

#[tokio::test]
async fn decision_letter_on_postgres() {
    common::fixture::on_postgres(evaluated(), decision_letter).await;
}

#[tokio::test]
async fn refusal_flow_on_sqlite() {
    common::fixture::on_sqlite(with_am_revenue(), refusal_flow).await;
}

#[tokio::test]
async fn refusal_flow_on_postgres() {
    common::fixture::on_postgres(with_am_revenue(), refusal_flow).await;
}
