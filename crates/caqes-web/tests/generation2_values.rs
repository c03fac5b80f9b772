//! The import of the values of N and N−1 (`valeurs.csv`, the CLI's format) on a
//! second-generation campaign's page: all rows or none, each problem named with its
//! file, line and column. SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_store::Role;

mod common;
use common::Client;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::generation2::{Unit, campaign_on, euros, fixture, follow, step, stored_campaign};

/// A refused import: the campaign's page again (422) with the refusal above the
/// import form, which is still there to send the corrected file.
fn assert_refused(p: &common::Page) {
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    let alert = p
        .body
        .find("id=\"erreurs-import-valeurs\"")
        .unwrap_or_else(|| panic!("{}", p.body));
    let form = p
        .body
        .find("id=\"formulaire-import-valeurs\"")
        .unwrap_or_else(|| panic!("{}", p.body));
    assert!(alert < form, "the refusal comes before the form");
    let refusal = &p.body[alert..form];
    assert!(
        refusal.contains("aucune valeur n'a été enregistrée"),
        "{refusal}"
    );
    // One sentence per refusal, ended once.
    assert!(!refusal.contains(".."), "{refusal}");
}

/// The ARS imports `valeurs.csv` (the CLI's format) on the campaign's page: the first
/// problem names the file, the line and the column, shown above the form again, and
/// nothing is written; a good file is written whole. By hand: N1 500 000 → 460 000 € met, 40 000 € × 30 % = 12 000 €;
/// N2 300 000 → 291 000 € (−3 %) misses −5 %: 0 €.
async fn values_import(t: &FixtureApp) {
    let own = t.own_entity();
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let campaign = campaign_on(&mut ars, "exemple-regional-2022", "2024", "Import").await;
    let unit = Unit::new(&campaign, own);
    step(
        &mut ars,
        &unit.at("ciblage"),
        &[
            ("m:N1-IPP:0", "9 500"),
            ("r:N1-IPP", "on"),
            ("m:N2-PERFADOM:0", "240000"),
            ("m:N2-PERFADOM:1", "86"),
            ("r:N2-PERFADOM", "on"),
        ],
    )
    .await;
    unit.propose(&mut ars, "2024-01-01", "2026-12-31", "2024-01-15")
        .await;
    step(&mut etab, &unit.at("contrat/signer"), &[]).await;

    let import = format!("{campaign}/objectifs/valeurs/import");
    let header = "finess;indicateur;annee;montant;numerateur;denominateur";
    let send = async |c: &mut Client<'_>, body: String| {
        c.post_multipart(
            &import,
            true,
            &[],
            &[("valeurs_fichier", "valeurs.csv", body.as_bytes())],
        )
        .await
    };
    let stored = async || {
        let c = stored_campaign(t, &campaign).await;
        t.store().g2_unit_file(&c, own).await.unwrap().values.len()
    };
    // An unknown indicator on line 3, named by the reader.
    let p = send(
        &mut ars,
        format!("{header}\n{own};N1-IPP;2023;500000;;\n{own};N9-XX;2024;1;;\n"),
    )
    .await;
    assert_refused(&p);
    for expected in ["valeurs.csv", "ligne 3", "indicateur", "N9-XX"] {
        assert!(p.body.contains(expected), "« {expected} » : {}", p.body);
    }
    // An indicator not retained (N3), a year outside 2023–2024: named by the store.
    let p = send(
        &mut ars,
        format!("{header}\n{own};N1-IPP;2023;500000;;\n{own};N3-AMBU;2024;1;1;2\n"),
    )
    .await;
    assert_refused(&p);
    for expected in ["ligne 3", "« indicateur »", "N3-AMBU non retenu"] {
        assert!(p.body.contains(expected), "« {expected} » : {}", p.body);
    }
    let p = send(&mut ars, format!("{header}\n{own};N1-IPP;2022;500000;;\n")).await;
    assert_refused(&p);
    assert!(p.body.contains("ligne 2, colonne « annee »"), "{}", p.body);
    // Nothing half-written: the good first lines were not kept.
    assert_eq!(stored().await, 0);
    // The établissement does not import.
    let p = send(&mut etab, format!("{header}\n{own};N1-IPP;2023;500000;;\n")).await;
    assert!(
        matches!(p.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        p.status
    );
    assert_eq!(stored().await, 0);

    let p = send(
        &mut ars,
        format!(
            "{header}\n{own};N1-IPP;2023;500000;;\n{own};N1-IPP;2024;460000;;\n\
             {own};N2-PERFADOM;2023;300000;;\n{own};N2-PERFADOM;2024;291000;;\n"
        ),
    )
    .await;
    let page = follow(&mut ars, &p).await;
    assert!(page.body.contains("Valeurs importées"), "{}", page.body);
    assert_eq!(stored().await, 4);
    let page = ars.get(&unit.dossier).await;
    assert!(page.body.contains(&euros(12_000)), "{}", page.body);
}

#[tokio::test]
async fn values_import_on_sqlite() {
    on_sqlite(fixture(), values_import).await;
}

#[tokio::test]
async fn values_import_on_postgres() {
    on_postgres(fixture(), values_import).await;
}
