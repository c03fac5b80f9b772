//! The levers after the intéressement on the second-generation dossier page (issue 13),
//! walked as each role on SQLite and PostgreSQL:
//! - mise sous surveillance (`exemple-regional-2022`, CSS L162-30-3/4): the ARS sets
//!   the target (699 for 1 000 the year before is refused: at most 30 % below), the
//!   établissement sees it without any form; a reduction waits for the invitation to
//!   present observations and for them (or their last day), and for the opinions of the
//!   AM body and of the CRSA (each given, or its delay passed); 60 % is refused (≤ 50 %);
//!   1 180 acts against 900 with 20 % and 10 % is decided: 280 above the target; the
//!   établissement opening the letter receives it, and the appeal runs from that day;
//! - the 2026 penalty (`incitation-2026`, year 2027, no contract: the ARS retains the
//!   objectives directly): E1-IPP 500 000 → 520 000 € misses its −5 % objective; the
//!   penalty waits for the observations, is refused before 1 January 2027 and above
//!   2 % of 50 000 000 € (1 000 000 €), then 400 000 € is decided;
//! - every step the établissement must hear of is in its notifications, legal ones with
//!   their e-mail in the outbox (and the ARS hears of the observations), as the
//!   second generation's contract proposal now is.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_store::Role;

mod common;
use common::Client;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::generation2::{Unit, campaign_on, fixture, kinds_of, refused, step};

/// A letter downloaded by `c`: a PDF whose text (pdftotext, blanks as one space) is
/// returned; written under `CAQES_DOCUMENTS_OUT` when set, to look at it.
async fn letter_text(c: &mut Client<'_>, url: &str, name: &str) -> String {
    let p = c.get(url).await;
    assert_eq!(p.status, StatusCode::OK, "{url}");
    assert!(p.bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lettre.pdf");
    std::fs::write(&path, &p.bytes).unwrap();
    if let Ok(out) = std::env::var("CAQES_DOCUMENTS_OUT") {
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(format!("{out}/{name}.pdf"), &p.bytes).unwrap();
    }
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .replace(['\u{a0}', '\u{202f}'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn iso(d: jiff::civil::Date) -> String {
    d.to_string()
}

async fn surveillance(t: &FixtureApp) {
    let own = t.own_entity();
    let today = caqes_store::today();
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let campaign = campaign_on(&mut ars, "exemple-regional-2022", "2024", "Leviers").await;
    let unit = Unit::new(&campaign, own);

    let page = ars.get(&unit.dossier).await;
    assert!(
        page.body.contains("Mise sous surveillance"),
        "{}",
        page.body
    );
    assert!(page.body.contains("L'unité n'est pas sous surveillance."));
    let set = |target: &'static str| {
        vec![
            ("actes", "Cholécystectomies"),
            ("saisine", "2022-03-15"),
            ("precedent", "1 000"),
            ("cible", target),
        ]
    };
    // 699 < 1 000 × 0,70.
    refused(
        &ars.post(&unit.at("surveillance"), &set("699")).await,
        "30 %",
    );
    // The établissement may not set it.
    let p = etab.post(&unit.at("surveillance"), &set("900")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let page = step(&mut ars, &unit.at("surveillance"), &set("900")).await;
    assert!(
        page.body.contains("Mise sous surveillance enregistrée"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"id="cible-surveillance-"#));
    assert!(page.body.contains("au moins 700"), "{}", page.body);
    assert!(
        page.body.contains("15 mars 2024"),
        "two years after the saisine"
    );

    // The ARS sees it on the campaign's follow-up.
    let follow_up = ars.get(&campaign).await;
    assert!(
        follow_up.body.contains("sous surveillance (cible 900)"),
        "{}",
        follow_up.body
    );
    // The établissement sees it, with no form of the ARS.
    let page = etab.get(&unit.dossier).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Cholécystectomies"), "{}", page.body);
    assert!(!page.body.contains("Mettre sous surveillance"));
    assert!(!page.body.contains("Décider et notifier"));

    // No reduction before the invitation to present observations.
    let decision = unit.at("surveillance/decider");
    let today_text = iso(today);
    let decide = |abattement: &'static str| {
        vec![
            ("constate", "1 180"),
            ("abattement", abattement),
            ("minoration", "10"),
            ("date", today_text.as_str()),
            ("motif", "Sur-activité persistante malgré le programme"),
        ]
    };
    refused(&ars.post(&decision, &decide("20")).await, "observations");
    let until = today.checked_add(jiff::Span::new().days(10)).unwrap();
    step(
        &mut ars,
        &unit.at("observations/inviter"),
        &[
            ("objet", "surveillance"),
            ("reception", &iso(today)),
            ("jusqu_au", &iso(until)),
        ],
    )
    .await;
    // Still awaited: no reduction before their last day.
    refused(&ars.post(&decision, &decide("20")).await, "attendues jusqu");

    // The établissement presents them once.
    let page = etab.get(&unit.dossier).await;
    assert!(
        page.body.contains("Présenter mes observations"),
        "{}",
        page.body
    );
    let page = step(
        &mut etab,
        &unit.at("observations"),
        &[
            ("objet", "surveillance"),
            ("texte", "Ouverture de deux salles de bloc en 2023."),
        ],
    )
    .await;
    assert!(
        page.body.contains("Observations transmises"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Ouverture de deux salles de bloc en 2023.")
    );
    let p = etab
        .post(
            &unit.at("observations"),
            &[("objet", "surveillance"), ("texte", "Encore")],
        )
        .await;
    refused(&p, "déjà présentées");

    // A reduction follows the opinions of the AM body and of the CRSA (L162-30-4): each
    // given, or its delay passed.
    refused(
        &ars.post(&decision, &decide("20")).await,
        "avis de l'organisme local d'assurance maladie",
    );
    let opinion = unit.at("surveillance/avis");
    let p = etab
        .post(
            &opinion,
            &[
                ("organisme", "am"),
                ("issue", "avis"),
                ("date", &today_text),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "the ARS records them");
    refused(
        &ars.post(
            &opinion,
            &[
                ("organisme", "am"),
                ("issue", "avis"),
                ("date", &today_text),
            ],
        )
        .await,
        "résumer",
    );
    let page = step(
        &mut ars,
        &opinion,
        &[
            ("organisme", "am"),
            ("issue", "avis"),
            ("date", &today_text),
            ("resume", "Favorable à un abattement limité"),
        ],
    )
    .await;
    assert!(page.body.contains("Avis enregistré."), "{}", page.body);
    assert!(
        page.body.contains("Favorable à un abattement limité"),
        "{}",
        page.body
    );
    refused(
        &ars.post(&decision, &decide("20")).await,
        "avis de la conférence régionale",
    );
    let page = step(
        &mut ars,
        &opinion,
        &[
            ("organisme", "crsa"),
            ("issue", "delai_echu"),
            ("date", &today_text),
        ],
    )
    .await;
    assert!(
        page.body.contains("délai expiré sans avis le"),
        "{}",
        page.body
    );

    // Above 50 %: refused; 20 % and 10 %: decided, 280 acts above 900.
    refused(&ars.post(&decision, &decide("60")).await, "50 %");
    let page = step(&mut ars, &decision, &decide("20")).await;
    assert!(
        page.body.contains("280 au-delà de la cible"),
        "{}",
        page.body
    );
    assert!(page.body.contains("20\u{202f}%"), "{}", page.body);
    assert!(!page.body.contains("Décider et notifier"), "decided once");
    assert!(
        !page.body.contains("Enregistrer l'avis"),
        "decided: no more opinion"
    );
    // The letter is not received yet: no appeal deadline runs.
    assert!(
        page.body.contains(r#"id="reception-surveillance-"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("non encore reçu"), "{}", page.body);
    assert!(!page.body.contains("tribunal administratif, jusqu"));
    refused(
        &ars.post(&unit.at("surveillance"), &set("950")).await,
        "décision",
    );
    let page = etab.get(&unit.dossier).await;
    assert!(
        page.body.contains("280 au-delà de la cible"),
        "{}",
        page.body
    );
    // The letter of the decision, for the établissement.
    let letter = letter_text(&mut etab, &unit.at("surveillance.pdf"), "surveillance").await;
    for expected in [
        "1 180",
        "280",
        "20 %",
        "10 %",
        "Cholécystectomies",
        "Sur-activité persistante malgré le programme",
        "vous les avez présentées le",
    ] {
        assert!(
            letter.contains(expected),
            "« {expected} » absent : {letter}"
        );
    }

    // Opening the letter is its receipt (today): the appeal runs two months from it.
    let (_, deadline) = caqes_core::calendar::appeal_deadline(
        &caqes_core::calendar::CalendarParameters::default(),
        today,
        caqes_core::calendar::Contestation::Sanction,
    )
    .unwrap();
    let page = ars.get(&unit.dossier).await;
    assert!(
        page.body.contains("accusé de réception électronique"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "tribunal administratif, jusqu'au <strong>{}</strong>",
            caqes_documents::format::date(deadline.date)
        )),
        "{}",
        page.body
    );

    // Who heard of what: the établissement of each step (legal notices, e-mailed), the ARS
    // of the observations.
    let etab_kinds = kinds_of(t, Role::Etablissement).await;
    for k in [
        "surveillance_objectif",
        "observations_invitees",
        "surveillance_avis",
        "surveillance_decidee",
    ] {
        assert!(etab_kinds.iter().any(|x| x == k), "{k} : {etab_kinds:?}");
    }
    let ars_kinds = kinds_of(t, Role::Ars).await;
    assert!(
        ars_kinds.iter().any(|x| x == "observations_presentees"),
        "{ars_kinds:?}"
    );
    let (pending, sent) = t.store().outbox_rows(500).await.unwrap();
    let etab_email = t.email(Role::Etablissement);
    assert!(
        pending
            .iter()
            .chain(&sent)
            .any(|m| m.to == etab_email && m.subject.contains("Mise sous surveillance")),
        "e-mail of the surveillance"
    );

    // The contract proposal of the second generation is a legal notice too (21 days).
    step(
        &mut ars,
        &unit.at("ciblage"),
        &[("m:N1-IPP:0", "9 500"), ("r:N1-IPP", "on")],
    )
    .await;
    unit.propose(&mut ars, "2024-01-01", "2026-12-31", "2024-01-15")
        .await;
    let etab_kinds = kinds_of(t, Role::Etablissement).await;
    assert!(
        etab_kinds.iter().any(|x| x == "g2_contrat_propose"),
        "{etab_kinds:?}"
    );
}

async fn penalty(t: &FixtureApp) {
    let own = t.own_entity();
    let today = caqes_store::today();
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let campaign = campaign_on(&mut ars, "incitation-2026", "2027", "Leviers").await;
    let unit = Unit::new(&campaign, own);
    let page = ars.get(&unit.dossier).await;
    assert!(page.body.contains("Pénalité (incitation"), "{}", page.body);
    assert!(
        page.body.contains("dans la limite de 2\u{a0}%")
            || page.body.contains("dans la limite de 2\u{202f}%"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Mettre sous surveillance"),
        "L162-30-3 is the 2022 regime's"
    );

    // No contract in the 2026 scheme: the ARS retains the objective, values follow.
    let page = unit.retain_e1(&mut ars, "500 000", "520 000").await;
    assert!(
        page.body.contains(r#"id="objectifs-manques-"#),
        "{}",
        page.body
    );

    let decide = |amount: &'static str, on: &'static str| {
        vec![
            ("financement", "50 000 000"),
            ("montant", amount),
            ("date", on),
            ("motif", "Dépenses IPP en hausse de 4 %"),
        ]
    };
    refused(
        &ars.post(&unit.at("penalite"), &decide("400 000", "2028-04-02"))
            .await,
        "observations",
    );
    let until = today.checked_add(jiff::Span::new().days(15)).unwrap();
    step(
        &mut ars,
        &unit.at("observations/inviter"),
        &[
            ("objet", "penalite"),
            ("reception", &iso(today)),
            ("jusqu_au", &iso(until)),
        ],
    )
    .await;
    step(
        &mut etab,
        &unit.at("observations"),
        &[
            ("objet", "penalite"),
            ("texte", "Hausse liée à une file active plus large."),
        ],
    )
    .await;
    // Before 1 January 2027, above 2 % of 50 000 000 €: refused.
    refused(
        &ars.post(&unit.at("penalite"), &decide("400 000", "2026-12-31"))
            .await,
        "1er janvier 2027",
    );
    refused(
        &ars.post(&unit.at("penalite"), &decide("1 000 000,01", "2028-04-02"))
            .await,
        "plafond",
    );
    // The amount goes through the one French amount reader: a negative amount and
    // « 1,234 € » (thousandths, or a thousand?) are refused with the field's name,
    // and nothing is saved (the penalty is still to decide below).
    for (amount, why) in [
        (
            "-400 000",
            "Montant de la pénalité : « -400 000 » : un montant ne peut pas être négatif.",
        ),
        (
            "1,234 €",
            "Montant de la pénalité : « 1,234 € » : au plus deux décimales (centimes).",
        ),
    ] {
        let p = ars
            .post(&unit.at("penalite"), &decide(amount, "2028-04-02"))
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{}", p.body);
        assert!(p.body.contains(why), "« {why} » absent : {}", p.body);
    }
    let page = step(
        &mut ars,
        &unit.at("penalite"),
        &decide("400 000", "2028-04-02"),
    )
    .await;
    assert!(
        page.body.contains("Pénalité décidée et notifiée"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("400\u{202f}000,00\u{a0}€"),
        "{}",
        page.body
    );
    refused(
        &ars.post(&unit.at("penalite"), &decide("1", "2028-04-02"))
            .await,
        "déjà décidée",
    );
    let page = etab.get(&unit.dossier).await;
    assert!(
        page.body
            .contains("Hausse liée à une file active plus large.")
    );
    assert!(
        page.body.contains("400\u{202f}000,00\u{a0}€"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Décider et notifier la pénalité"));
    let etab_kinds = kinds_of(t, Role::Etablissement).await;
    assert!(
        etab_kinds.iter().any(|x| x == "penalite_notifiee"),
        "{etab_kinds:?}"
    );
    let follow_up = ars.get(&campaign).await;
    assert!(
        follow_up
            .body
            .contains("pénalité de 400\u{202f}000,00\u{a0}€"),
        "{}",
        follow_up.body
    );
    let letter = letter_text(&mut etab, &unit.at("penalite.pdf"), "penalite").await;
    for expected in [
        "50 000 000,00 €",
        "1 000 000,00 €",
        "400 000,00 €",
        "2 avril 2028",
        "1 objectif(s)",
    ] {
        assert!(
            letter.contains(expected),
            "« {expected} » absent : {letter}"
        );
    }
    // The AM reads the dossier and its penalty, without any form.
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let page = am.get(&unit.dossier).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("400\u{202f}000,00\u{a0}€"));
    assert!(!page.body.contains("Inviter à présenter des observations"));
}

async fn walk(t: &FixtureApp) {
    surveillance(t).await;
    penalty(t).await;
}

#[tokio::test]
async fn levers_on_sqlite() {
    on_sqlite(fixture(), walk).await;
}

#[tokio::test]
async fn levers_on_postgres() {
    on_postgres(fixture(), walk).await;
}
