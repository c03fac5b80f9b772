//! The second-generation CAQES on the platform (issue 13), walked as each role on
//! SQLite and PostgreSQL: the ARS creates a campaign on `exemple-regional-2022`,
//! targets the CHU on N1–N3 (a departure without motive is refused), proposes the
//! contract (a term past 31 December 2026 is refused), the établissement signs and
//! enters its values of N−1 and N, the ARS revises N1 with a motive, records the
//! report, decides and notifies; the letter is downloaded; the AM and the OMEDIT
//! read; a refusal ends in the 1 % sanction. The other stories of the second
//! generation are in `generation2_*.rs`; what the demo seeds of it is checked in
//! `demo.rs`.
//!
//! The scenario is CH Alpha's of `crates/caqes/tests/cli_generation2.rs`, one year
//! later (N−1 = 2023, N = 2024), computed by hand:
//! - N1-IPP: 500 000 → 460 000 €; bound 500 000 × 0,95 = 475 000: met; savings
//!   40 000 €; 30 % → 12 000 €, revised to 10 000 € with a motive;
//! - N2-PERFADOM: 300 000 → 291 000 € (−3 %); bound 285 000: missed; no intéressement;
//! - N3-AMBU: 228 000 / 1 200 000 = 19 % ≤ 20 %: met; savings 300 000 − 228 000 =
//!   72 000 €; 20 % → 14 400 €;
//! - total 10 000 + 0 + 14 400 = 24 400 € (26 400 € before the revision).
//!
//! The same inputs, read as `caqes evaluate` reads its CSV files
//! (`caqes_data::objectives_input`, `outcome::contract_inputs`,
//! `evaluate_establishment`), give the same figures.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Euros;
use caqes_core::regimes::AnyReferentiel;
use caqes_core::regimes::outcome::{contract_inputs, evaluate_establishment};
use caqes_data::evaluation_input::read_establishments;
use caqes_data::objectives_input::{read_revisions, read_values};
use caqes_store::{Actor, Role};
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::generation2::{Unit, euros, fixture, step, stored_campaign};

/// The CLI's path on the same inputs: the total of CH Alpha for `year`.
fn cli_total(grid: &caqes_core::regimes::ObjectivesGrid, finess: &str, year: i16) -> Euros {
    let ets = format!(
        "finess;raison_sociale;categorie;region;produits_am\n{finess};CHU;MCO_PUBLIC_ESPIC;Exemple;50000000\n"
    );
    let (p, n) = (year - 1, year);
    let values = format!(
        "finess;indicateur;annee;montant;numerateur;denominateur\n\
         {finess};N1-IPP;{p};500000;;\n{finess};N1-IPP;{n};460000;;\n\
         {finess};N2-PERFADOM;{p};300000;;\n{finess};N2-PERFADOM;{n};291000;;\n\
         {finess};N3-AMBU;{p};300000;300000;1000000\n{finess};N3-AMBU;{n};228000;228000;1200000\n"
    );
    let revisions = format!(
        "finess;indicateur;annee;montant_revise;motif\n{finess};N1-IPP;{n};10000;Objectifs de pertinence non tenus\n"
    );
    let establishments = read_establishments("etablissements.csv", &ets).unwrap();
    let values = read_values("valeurs.csv", &values, grid, &establishments).unwrap();
    let revisions =
        read_revisions("revisions.csv", &revisions, grid, &establishments, year).unwrap();
    let e = &establishments[0];
    let inputs = contract_inputs(
        grid,
        year,
        |code, y| values.get(e.finess, code, y).copied(),
        |code| {
            revisions
                .get(&(e.finess, code.to_owned()))
                .map(|(r, _)| r.clone())
        },
    );
    evaluate_establishment(grid, &inputs).unwrap().total
}

async fn walk(t: &FixtureApp) {
    let [own, other] = t.fixture.finess().unwrap();
    let mut ars = t.logged_in(Role::Ars).await;

    // A campaign on an objectives grid: its years are checked (2027 is the 2026 scheme's).
    let p = ars.get("/campagnes/nouvelle").await;
    assert!(p.body.contains("exemple-regional-2022"), "{}", p.body);
    let form = |year: &'static str| {
        vec![
            ("year", year),
            ("referentiel", "exemple-regional-2022"),
            ("title", "CAQES deuxième génération — évaluation 2024"),
            ("submission_deadline", "2025-03-31"),
            ("evaluation_deadline", "2025-09-30"),
        ]
    };
    let p = ars.post("/campagnes", &form("2027")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("incitation-2026"), "{}", p.body);
    let p = ars.post("/campagnes", &form("2024")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let campaign_url = p.location.clone().unwrap();
    let page = ars.get(&campaign_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("deuxième génération"), "{}", page.body);
    assert!(page.body.contains("À CONFIRMER"));
    // No first-generation notion on its follow-up.
    for word in ["Score", "barème", "points"] {
        assert!(!page.body.contains(word), "« {word} » sur {campaign_url}");
    }
    let unit = Unit::new(&campaign_url, own);
    // A first-generation page of this campaign answers a French 409, not a 500.
    let p = ars.get(&format!("{}/decision", unit.dossier)).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("caqes-2022"), "{}", p.body);

    // Targeting: retaining N1 at 8 000 boxes (< 8 500: not targeted) needs a motive.
    let p = ars
        .post(
            &unit.at("ciblage"),
            &[("m:N1-IPP:0", "8000"), ("r:N1-IPP", "on")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("motif est obligatoire"), "{}", p.body);
    let page = step(
        &mut ars,
        &unit.at("ciblage"),
        &[
            ("m:N1-IPP:0", "9 500"),
            ("r:N1-IPP", "on"),
            ("m:N2-PERFADOM:0", "240000"),
            ("m:N2-PERFADOM:1", "86"),
            ("r:N2-PERFADOM", "on"),
            ("m:N3-AMBU:0", "30"),
            ("m:N3-AMBU:1", "450000"),
            ("r:N3-AMBU", "on"),
        ],
    )
    .await;
    assert!(page.body.contains("Ciblage confirmé."), "{}", page.body);
    assert!(page.body.contains("3 indicateur(s) retenu(s)"));

    // Contract: ≤ 5 years and no later than 31 December 2026.
    let p = ars
        .post(
            &unit.at("contrat/proposer"),
            &[
                ("debut", "2022-07-01"),
                ("fin", "2027-06-30"),
                ("reception", "2022-05-02"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("31 décembre 2026"), "{}", p.body);
    let page = unit
        .propose(&mut ars, "2022-07-01", "2026-12-31", "2022-05-02")
        .await;
    // 2 May 2022 + 21 days.
    assert!(page.body.contains("23 mai 2022"), "{}", page.body);

    // The établissement signs and enters its values; the ARS may not sign.
    let p = ars.post(&unit.at("contrat/signer"), &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let mut etab = t.logged_in(Role::Etablissement).await;
    let page = etab.get(&unit.dossier).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Signer le contrat"));
    let page = step(&mut etab, &unit.at("contrat/signer"), &[]).await;
    assert!(page.body.contains("Contrat signé."), "{}", page.body);
    let page = step(
        &mut etab,
        &unit.at("valeurs"),
        &[
            ("v:N1-IPP:2023:montant", "500 000"),
            ("v:N1-IPP:2024:montant", "460000"),
            ("v:N2-PERFADOM:2023:montant", "300000"),
            ("v:N2-PERFADOM:2024:montant", "291000"),
            ("v:N3-AMBU:2023:montant", "300000"),
            ("v:N3-AMBU:2023:numerateur", "300000"),
            ("v:N3-AMBU:2023:denominateur", "1000000"),
            ("v:N3-AMBU:2024:montant", "228000"),
            ("v:N3-AMBU:2024:numerateur", "228000"),
            ("v:N3-AMBU:2024:denominateur", "1200000"),
        ],
    )
    .await;
    assert!(page.body.contains("Valeurs enregistrées."));
    // Before the revision: 12 000 + 0 + 14 400 = 26 400 €.
    assert!(page.body.contains(&euros(26_400)), "{}", page.body);
    assert!(page.body.contains(&euros(14_400)));

    // The DG ARS revises N1 downward, with a motive, never above the computed amount.
    let p = ars
        .post(
            &unit.at("revision"),
            &[
                ("indicateur", "N1-IPP"),
                ("montant", "13000"),
                ("motif", "x"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let p = ars
        .post(
            &unit.at("revision"),
            &[
                ("indicateur", "N1-IPP"),
                ("montant", "10000"),
                ("motif", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "motif requis");
    let page = step(
        &mut ars,
        &unit.at("revision"),
        &[
            ("indicateur", "N1-IPP"),
            ("montant", "10000"),
            ("motif", "Objectifs de pertinence non tenus"),
        ],
    )
    .await;
    assert!(page.body.contains(&euros(24_400)), "{}", page.body);

    // The platform's figure is the CLI's on the same inputs, and the hand's.
    let campaign = stored_campaign(t, &campaign_url).await;
    let Some(AnyReferentiel::Objectives(grid)) = t
        .store()
        .referentiel_any("exemple-regional-2022")
        .await
        .unwrap()
    else {
        panic!("grille")
    };
    let file = t.store().g2_unit_file(&campaign, own).await.unwrap();
    let platform = caqes_store::generation2::evaluate(&grid, 2024, &file).unwrap();
    assert_eq!(platform.total, Euros(Decimal::from(24_400)));
    assert_eq!(platform.total, cli_total(&grid, own.as_str(), 2024));
    let line = |code: &str| {
        platform
            .lignes
            .iter()
            .find(|l| l.code == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        line("N1-IPP").interessement_calcule,
        Euros(Decimal::from(12_000))
    );
    assert_eq!(line("N1-IPP").interessement, Euros(Decimal::from(10_000)));
    assert_eq!(line("N2-PERFADOM").atteint, Some(false));
    assert_eq!(line("N2-PERFADOM").interessement, Euros::ZERO);
    assert_eq!(
        line("N3-AMBU").economies,
        Some(Euros(Decimal::from(72_000)))
    );

    // The yearly sequence: report 14 June 2025 → observations until 14 July; the
    // notification from 15 July to 14 September; received 1 September + 15 days.
    let page = step(
        &mut ars,
        &unit.at("rapport"),
        &[("reception", "2025-06-14")],
    )
    .await;
    assert!(page.body.contains("14 juillet 2025"), "{}", page.body);
    assert!(page.body.contains("15 juillet 2025"));
    assert!(page.body.contains("14 septembre 2025"));
    let p = ars
        .post(
            &unit.at("interessement/notifier"),
            &[("reception", "2025-09-01")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "pas encore décidé");
    let page = step(&mut ars, &unit.at("interessement/decider"), &[]).await;
    assert!(page.body.contains("Intéressement décidé."));
    let p = ars
        .post(
            &unit.at("interessement/notifier"),
            &[("reception", "2025-07-01")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "trop tôt");
    let page = step(
        &mut ars,
        &unit.at("interessement/notifier"),
        &[("reception", "2025-09-01")],
    )
    .await;
    assert!(page.body.contains("16 septembre 2025"), "{}", page.body);
    assert!(page.body.contains("17 septembre 2025"));
    assert!(page.body.contains("interessement.pdf"));

    // Frozen once notified; the letter for the établissement.
    let p = etab
        .post(&unit.at("valeurs"), &[("v:N1-IPP:2024:montant", "1")])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let pdf = etab.get(&unit.at("interessement.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with("%PDF"));
    // To look at the letter as pages (pdftoppm), when asked.
    if let Ok(dir) = std::env::var("CAQES_DOCUMENTS_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/interessement-g2.pdf"), &pdf.bytes).unwrap();
    }

    // The AM and the OMEDIT read the dossier without any form; the administrator does not.
    for role in [Role::AssuranceMaladie, Role::Omedit] {
        let mut c = t.logged_in(role).await;
        let page = c.get(&unit.dossier).await;
        assert_eq!(page.status, StatusCode::OK, "{role:?}");
        assert!(page.body.contains(&euros(24_400)), "{role:?}");
        assert!(!page.body.contains("Confirmer le ciblage"), "{role:?}");
        assert!(!page.body.contains("Enregistrer les valeurs"), "{role:?}");
        let p = c.get(&campaign_url).await;
        assert_eq!(p.status, StatusCode::OK, "{role:?}");
        assert!(p.body.contains(&euros(24_400)), "{role:?}");
    }
    let mut admin = t.logged_in(Role::Admin).await;
    assert_eq!(admin.get(&unit.dossier).await.status, StatusCode::NOT_FOUND);

    // A refusal: the second proposal's 15 days, then the 1 % sanction (at most) of the
    // AM revenue, read back below.
    t.store()
        .set_am_revenue(
            &Actor::system("test"),
            &t.fixture.entities[1].entity,
            Euros(Decimal::from(48_000_000)),
        )
        .await
        .unwrap();
    let other = Unit::new(&campaign_url, other);
    step(
        &mut ars,
        &other.at("ciblage"),
        &[("m:N1-IPP:0", "9000"), ("r:N1-IPP", "on")],
    )
    .await;
    other
        .propose(&mut ars, "2022-07-01", "2026-12-31", "2022-05-02")
        .await;
    let p = ars
        .post(&other.at("sanction-refus"), &[("montant", "1")])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "pas de seconde proposition");
    let page = step(
        &mut ars,
        &other.at("contrat/seconde-proposition"),
        &[("reception", "2022-05-30")],
    )
    .await;
    // 30 May + 15 days = 14 June; the sanction from 15 June 2022.
    assert!(page.body.contains("14 juin 2022"), "{}", page.body);
    assert!(page.body.contains("15 juin 2022"));
    let income = t
        .store()
        .am_figures(&t.fixture.entities[1].entity.finess)
        .await
        .unwrap()
        .am_revenue
        .unwrap();
    let ceiling = income.percent(Decimal::ONE);
    let above = (ceiling.0 + Decimal::ONE).to_string();
    let p = ars
        .post(&other.at("sanction-refus"), &[("montant", &above)])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let page = step(
        &mut ars,
        &other.at("sanction-refus"),
        &[("montant", &ceiling.0.to_string())],
    )
    .await;
    assert!(page.body.contains(&ceiling.to_string()), "{}", page.body);
    assert!(page.body.contains("refusé"));
}

#[tokio::test]
async fn second_generation_campaign_on_sqlite() {
    on_sqlite(fixture(), walk).await;
}

#[tokio::test]
async fn second_generation_campaign_on_postgres() {
    on_postgres(fixture(), walk).await;
}
