//! Imports through the router (no port bound): preview, French error report
//! (file, line, column), all-or-nothing confirmation, scope (404) and CSRF.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::Category;
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::{Action, Role};

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// A CHU on three sites (the établissement user's entity), a clinic whose
/// dossier of the campaign 2019 is a draft, a centre whose dossier is
/// submitted (see [`submit_third`]), and the other region with its ARS.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 3)
        .entity("Clinique du Parc")
        .entity("Centre de soins de suite du Lauragais")
        .campaign(2019)
        .other_region()
}

/// The third entity's établissement user submits its dossier.
async fn submit_third(t: &FixtureApp) {
    let [_, _, submitted] = t.fixture.finess().unwrap();
    let store = t.store();
    let sub = t.submission(&submitted).await;
    let etab = t.fixture.etab(submitted).unwrap();
    store
        .apply_action(etab, &sub, &REGION, Action::Soumettre, None, None)
        .await
        .unwrap();
}

fn values_url(t: &FixtureApp) -> String {
    format!("/campagnes/{}/imports", t.campaign_id())
}

async fn audit_lines(t: &FixtureApp) -> usize {
    t.store()
        .audit_in_region(&REGION, 100_000)
        .await
        .unwrap()
        .len()
}

/// The error report's row for one error: file, line, column.
fn report_row(file: &str, line: u64, column: &str) -> String {
    format!("<td>{file}</td><td>{line}</td><td>{column}</td>")
}

/// The value of the hidden field `name` of a page, unescaped.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("type=\"hidden\" name=\"{name}\" value=\"");
    let start = body.find(&marker).unwrap() + marker.len();
    let raw = &body[start..start + body[start..].find('"').unwrap()];
    raw.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

const OWN_HEADER: &str = "finess;raison_sociale;categorie;region;produits_am\n";

#[tokio::test]
async fn bad_establishments_file_reports_file_line_column_and_writes_nothing() {
    let t = FixtureApp::sqlite(fixture()).await;
    let mut c = t.logged_in(Role::Ars).await;
    assert_eq!(
        c.get("/imports/etablissements").await.status,
        StatusCode::OK
    );
    let before = audit_lines(&t).await;
    // Line 3 has a wrong Luhn key (310782446 is valid, 310782447 is not).
    let bad =
        format!("{OWN_HEADER}310000633;AAIR;DIALYSE;76;\n310782447;ARSEAA;PSY_PUBLIC_ESPIC;76;\n");
    for step in ["apercu", "confirmer"] {
        let p = c
            .post(
                &format!("/imports/etablissements/{step}"),
                &[("contenu", &bad)],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{step}");
        assert!(
            p.body
                .contains(&report_row("etablissements.csv", 3, "finess")),
            "{}",
            p.body
        );
        assert!(p.body.contains("rien n'a été enregistré"));
        assert!(!p.body.contains("Confirmer l'import"));
    }
    // A browser sends the text area with CRLF line ends: same line numbers.
    let p = c
        .post(
            "/imports/etablissements/apercu",
            &[("contenu", &bad.replace('\n', "\r\n"))],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains(&report_row("etablissements.csv", 3, "finess")),
        "{}",
        p.body
    );
    // Another region's line is refused with its line and column.
    let other_region = format!("{OWN_HEADER}310000633;AAIR;DIALYSE;11;\n");
    let p = c
        .post(
            "/imports/etablissements/confirmer",
            &[("contenu", &other_region)],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains(&report_row("etablissements.csv", 2, "region")),
        "{}",
        p.body
    );

    // FINESS extract: an entity whose only line has no obvious CAQES category.
    let extract = "nofinesset;nofinessej;rs;departement_from_finess;categetab;libcategetab\n\
        310020169;310000633;AAIR UAD UDM CTRE COLOMIERS MONTHIEU;31;146;Structure d'Alternative à la dialyse en centre\n\
        310001383;310786256;USLD CH MURET;31;362;Etablissement de Soins Longue Durée\n";
    let p = c
        .post("/imports/etablissements/confirmer", &[("contenu", extract)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains(&report_row("extrait FINESS", 3, "categetab")),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("ajouter une colonne « categorie »"),
        "{}",
        p.body
    );

    assert_eq!(
        t.store()
            .legal_entity(&"310000633".parse().unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        t.store()
            .legal_entities_in_region(&REGION)
            .await
            .unwrap()
            .len(),
        t.fixture.entities.len()
    );
    assert_eq!(audit_lines(&t).await, before);
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn good_establishments_files_preview_then_import() {
    let t = FixtureApp::sqlite(fixture()).await;
    let mut c = t.logged_in(Role::Ars).await;
    let home = c.get("/").await;
    assert!(home.body.contains("href=\"/imports/etablissements\""));
    let [_, renamed, _] = t.fixture.finess().unwrap();
    let good = format!(
        "{OWN_HEADER}310000633;AAIR;DIALYSE;76;1 234,5\n{renamed};Nouveau nom;SSR_PUBLIC_ESPIC;76;\n"
    );
    let p = c
        .post("/imports/etablissements/apercu", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body
            .contains("1 à créer, 1 à mettre à jour, 0 inchangée(s) ; 1 site(s) à ajouter"),
        "{}",
        p.body
    );
    assert!(p.body.contains("id=\"confirmer\""));
    // The preview writes nothing.
    assert_eq!(
        t.store()
            .legal_entity(&"310000633".parse().unwrap())
            .await
            .unwrap(),
        None
    );

    let p = c
        .post("/imports/etablissements/confirmer", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        p.location.as_deref(),
        Some("/imports/etablissements?crees=1&modifies=1")
    );
    let created = t
        .store()
        .legal_entity(&"310000633".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.category, Category::Dialyse);
    let sites = t
        .store()
        .sites_of(&"310000633".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].finess.as_str(), "310000633");
    let updated = t.store().legal_entity(&renamed).await.unwrap().unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.category),
        ("Nouveau nom", Category::SsrPublicEspic)
    );
    // The renamed entity keeps its single site.
    assert_eq!(t.store().sites_of(&renamed).await.unwrap().len(), 1);
    let audit = t.store().audit_in_region(&REGION, 5).await.unwrap();
    assert_eq!(audit[0].action, "import.etablissements");

    // FINESS extract: sites grouped by legal entity, other regions skipped, a
    // `categorie` column for the category FINESS cannot give.
    let extract = "nofinesset;nofinessej;rs;departement_from_finess;categetab;libcategetab;categorie\n\
        310011358;310782446;CMP PIJ CASTANET PGI ARSEAA;31;156;Centre Médico-Psychologique (C.M.P.);\n\
        310018676;310782446;SECTORISATION PIJ PGI ARSEAA;31;292;Centre Hospitalier Spécialisé lutte Maladies Mentales;\n\
        310020169;310000633;AAIR UAD UDM CTRE COLOMIERS MONTHIEU;31;146;Structure d'Alternative à la dialyse en centre;\n\
        010000024;010780054;CH DE FLEYRIAT;01;355;Centre Hospitalier (C.H.);\n\
        310001383;310786256;USLD CH MURET;31;362;Etablissement de Soins Longue Durée;MCO_PUBLIC_ESPIC\n";
    let p = c
        .post("/imports/etablissements/apercu", &[("contenu", extract)])
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("3 entité(s) juridique(s) lue(s) (extrait FINESS) : 2 à créer, 1 à mettre à jour, 0 inchangée(s) ; 4 site(s) à ajouter"), "{}", p.body);
    assert!(
        p.body.contains("1 ligne(s) d'autres régions ignorée(s)"),
        "{}",
        p.body
    );
    let p = c
        .post("/imports/etablissements/confirmer", &[("contenu", extract)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let psy = t
        .store()
        .legal_entity(&"310782446".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(psy.category, Category::PsyPublicEspic);
    assert_eq!(psy.name, "SECTORISATION PIJ PGI ARSEAA");
    assert_eq!(
        t.store()
            .sites_of(&"310782446".parse().unwrap())
            .await
            .unwrap()
            .len(),
        2
    );
    let muret = t
        .store()
        .legal_entity(&"310786256".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(muret.category, Category::McoPublicEspic);
    // An already registered entity keeps its name; its new site is added.
    assert_eq!(
        t.store()
            .legal_entity(&"310000633".parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .name,
        "AAIR"
    );
    assert_eq!(
        t.store()
            .sites_of(&"310000633".parse().unwrap())
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        t.store()
            .legal_entity(&"010780054".parse().unwrap())
            .await
            .unwrap(),
        None
    );
    t.db.cleanup().await.unwrap();
}

#[tokio::test]
async fn values_and_targets_on_sqlite() {
    on_sqlite(fixture(), values_and_targets_story).await;
}

#[tokio::test]
async fn values_and_targets_on_postgres() {
    on_postgres(fixture(), values_and_targets_story).await;
}

async fn values_and_targets_story(t: &FixtureApp) {
    submit_third(t).await;
    let campaign = t.store().campaign(t.campaign_id()).await.unwrap().unwrap();
    let year = campaign.year;
    let mut c = t.logged_in(Role::Ars).await;
    let home = c.get("/").await;
    assert!(home.body.contains(&format!("href=\"{}\"", values_url(t))));
    assert_eq!(c.get(&values_url(t)).await.status, StatusCode::OK);

    // The clinic is a single-site draft; the centre was submitted; the CHU has three sites.
    let [multi, draft, submitted] = t.fixture.finess().unwrap();
    let draft_site = t.fixture.entities[1].sites[0].finess;
    let chu_sites = t.store().sites_of(&multi).await.unwrap();
    let head = "finess;indicateur;annee;numerateur;denominateur;valeur\n";
    let stored_before = t.store().values_for_entity(&draft, year).await.unwrap();
    let audit_before = audit_lines(t).await;

    let bad = format!(
        "{head}{draft};II-01;{year};12;50;\n{submitted};II-01;{year};1;2;\n{multi};II-01;{year};1;2;\n{draft};II-02;{};1;2;\n",
        year - 1
    );
    for step in ["apercu", "confirmer"] {
        let p = c
            .post(
                &format!("{}/{step}", values_url(t)),
                &[("valeurs", &bad), ("cibles", "")],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(
            p.body.contains(&report_row("valeurs.csv", 3, "finess")),
            "{}",
            p.body
        );
        assert!(p.body.contains("à l'état « Soumis »"), "{}", p.body);
        assert!(
            p.body.contains(&report_row("valeurs.csv", 4, "finess")),
            "{}",
            p.body
        );
        assert!(p.body.contains("a 3 sites"), "{}", p.body);
        assert!(
            p.body.contains(&report_row("valeurs.csv", 5, "annee")),
            "{}",
            p.body
        );
    }
    // An engine rule (numerator above denominator) is reported by the engine's reader.
    let over = format!("{head}{draft};II-01;{year};60;50;\n");
    let p = c
        .post(
            &format!("{}/apercu", values_url(t)),
            &[("valeurs", &over), ("cibles", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains(&report_row("valeurs.csv", 2, "numerateur")),
        "{}",
        p.body
    );
    assert_eq!(
        t.store().values_for_entity(&draft, year).await.unwrap(),
        stored_before
    );
    assert_eq!(audit_lines(t).await, audit_before);

    // A good file: the draft entity by its legal FINESS, the multi-site one by site.
    let good = format!(
        "{head}{draft};II-01;{year};12;50;\n{};II-01;{year};30;40;\n",
        chu_sites[1].finess
    );
    let targets = format!("finess;indicateur;annee;cible\n{draft};II-01;{year};55,5\n");
    let fields = [("valeurs", good.as_str()), ("cibles", targets.as_str())];
    let p = c.post(&format!("{}/apercu", values_url(t)), &fields).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body.contains("2 valeur(s) pour 2 site(s) et 1 cible(s)"),
        "{}",
        p.body
    );
    assert!(p.body.contains("cible 55,5"));
    assert_eq!(audit_lines(t).await, audit_before);
    // Confirm with what the preview page sends back: its hidden fields.
    let (sent_values, sent_targets) = (hidden(&p.body, "valeurs"), hidden(&p.body, "cibles"));
    assert_eq!(
        (sent_values.as_str(), sent_targets.as_str()),
        (good.as_str(), targets.as_str())
    );
    let p = c
        .post(
            &format!("{}/confirmer", values_url(t)),
            &[("valeurs", &sent_values), ("cibles", &sent_targets)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        p.location,
        Some(format!("{}?valeurs=2&cibles=1", values_url(t)))
    );
    let stored = t.store().values_for_entity(&draft, year).await.unwrap();
    let v = stored.iter().find(|v| v.indicator == "II-01").unwrap();
    assert_eq!(v.site, draft_site);
    assert_eq!(
        (v.numerator.as_deref(), v.denominator.as_deref()),
        (Some("12"), Some("50"))
    );
    let chu = t.store().values_for_entity(&multi, year).await.unwrap();
    assert!(
        chu.iter()
            .any(|v| v.site == chu_sites[1].finess && v.numerator.as_deref() == Some("30"))
    );
    assert_eq!(
        t.store()
            .targets_for(&draft, year)
            .await
            .unwrap()
            .get("II-01")
            .map(ToString::to_string),
        Some("55.5".to_owned())
    );
    assert_eq!(audit_lines(t).await, audit_before + 1);
}

#[tokio::test]
async fn import_routes_are_404_outside_the_ars_region_and_403_without_csrf() {
    let t = FixtureApp::sqlite(fixture()).await;
    let [_, draft, _] = t.fixture.finess().unwrap();
    let values = format!(
        "finess;indicateur;annee;numerateur;denominateur;valeur\n{draft};II-01;2019;12;50;\n"
    );
    let own = format!("{OWN_HEADER}310000633;AAIR;DIALYSE;76;\n");
    let before = audit_lines(&t).await;

    for role in [Role::Etablissement, Role::AssuranceMaladie] {
        let mut c = t.logged_in(role).await;
        for uri in ["/imports/etablissements".to_owned(), values_url(&t)] {
            assert_eq!(
                c.get(&uri).await.status,
                StatusCode::NOT_FOUND,
                "{role:?} {uri}"
            );
        }
        for step in ["apercu", "confirmer"] {
            let p = c
                .post(
                    &format!("/imports/etablissements/{step}"),
                    &[("contenu", &own)],
                )
                .await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{role:?} {step}");
            let p = c
                .post(
                    &format!("{}/{step}", values_url(&t)),
                    &[("valeurs", &values), ("cibles", "")],
                )
                .await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{role:?} {step}");
        }
    }
    let other = t.fixture.ars_other().unwrap().email.clone();
    let mut idf = t.login(other.as_str(), &common::password(Role::Ars)).await;
    assert_eq!(idf.get(&values_url(&t)).await.status, StatusCode::NOT_FOUND);
    for step in ["apercu", "confirmer"] {
        let p = idf
            .post(
                &format!("{}/{step}", values_url(&t)),
                &[("valeurs", &values), ("cibles", "")],
            )
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{step}");
    }
    // Its own establishments page answers, but an Occitanie file is refused.
    assert_eq!(
        idf.get("/imports/etablissements").await.status,
        StatusCode::OK
    );
    let p = idf
        .post("/imports/etablissements/confirmer", &[("contenu", &own)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The region's ARS without (or with a wrong) CSRF token: 403, nothing written.
    let mut ars = t.logged_in(Role::Ars).await;
    let p = ars
        .post_raw("/imports/etablissements/confirmer", &[("contenu", &own)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = ars
        .post_raw(
            &format!("{}/confirmer", values_url(&t)),
            &[("_csrf", "faux"), ("valeurs", &values), ("cibles", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.store()
            .legal_entity(&"310000633".parse().unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(audit_lines(&t).await, before);
    t.db.cleanup().await.unwrap();
}

/// The real FINESS extract of 8 January 2021 (`/work/shared/data/finess/`),
/// when present: Occitanie's lines are grouped into legal entities, the other
/// regions' lines skipped, and only entities without an obvious category are
/// reported (column `categetab`, with their line).
#[test]
fn real_finess_extract_of_a_region() {
    let path = std::env::var("CAQES_FINESS_EXTRACT")
        .unwrap_or_else(|_| "/work/shared/data/finess/finess_sanitaire_2021-01-08.csv".to_owned());
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("extrait FINESS absent ({path}) : test ignoré");
        return;
    };
    let occitanie: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| {
            let dep = l.split(';').nth(3).unwrap_or("");
            [
                "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
            ]
            .contains(&dep)
        })
        .collect();
    let started = std::time::Instant::now();
    let errors = match caqes_web::imports::read_establishment_text(
        &REGION,
        &text,
        &std::collections::HashMap::new(),
    ) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    };
    eprintln!(
        "{} lignes d'Occitanie sur {} ; {} entité(s) sans catégorie évidente ; lu en {:?}",
        occitanie.len(),
        text.lines().count() - 1,
        errors.len(),
        started.elapsed()
    );
    assert!(occitanie.len() > 500, "{}", occitanie.len());
    assert!(!errors.is_empty());
    for e in &errors {
        assert_eq!(e.column.as_deref(), Some("categetab"), "{e}");
        let line = usize::try_from(e.line.unwrap()).unwrap();
        let fields: Vec<&str> = text.lines().nth(line - 1).unwrap().split(';').collect();
        assert!(
            caqes_web::imports::category_of_finess(fields[4]).is_none(),
            "{e}"
        );
        assert!(e.message.contains(fields[1]), "{e}");
    }
    // « Ignorer les lignes sans catégorie CAQES »: the 232 entities refused above are
    // left out, their 298 lines listed; every other line of the region is kept.
    let skipping = caqes_web::imports::read_establishment_text_with(
        &REGION,
        &text,
        &std::collections::HashMap::new(),
        true,
    )
    .unwrap();
    let left_out: std::collections::BTreeSet<_> =
        skipping.without_category.iter().map(|l| l.entity).collect();
    assert_eq!((errors.len(), left_out.len()), (232, 232));
    assert_eq!(skipping.without_category.len(), 298);
    let kept: usize = skipping.entities.iter().map(|e| e.sites.len()).sum();
    assert_eq!(kept + skipping.without_category.len(), occitanie.len());
    // With every missing category given, the region reads without error.
    let header = format!("{};categorie", text.lines().next().unwrap());
    let mut completed = vec![header];
    completed.extend(occitanie.iter().map(|l| format!("{l};SSR_PRIVE")));
    let parsed = caqes_web::imports::read_establishment_text(
        &REGION,
        &completed.join("\n"),
        &std::collections::HashMap::new(),
    )
    .unwrap();
    assert_eq!(parsed.skipped, 0);
    let sites: usize = parsed.entities.iter().map(|e| e.sites.len()).sum();
    assert_eq!(sites, occitanie.len());
    eprintln!(
        "{} entités juridiques, {sites} sites",
        parsed.entities.len()
    );
    // The CHU de Nîmes is named after its main site, not its first listed day hospital.
    let nimes = parsed
        .entities
        .iter()
        .find(|e| e.entity.finess.as_str() == "300780038")
        .unwrap();
    assert_eq!(nimes.entity.name, "CHU NIMES CAREMEAU");
    // With the legal entity's own name (column `rsej`), that name wins.
    let named = format!(
        "{};rsej\n{}",
        text.lines().next().unwrap(),
        occitanie
            .iter()
            .filter(|l| l.split(';').nth(1) == Some("300780038"))
            .map(|l| format!("{l};CENTRE HOSPITALIER UNIVERSITAIRE DE NIMES"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let parsed_named = caqes_web::imports::read_establishment_text(
        &REGION,
        &named,
        &std::collections::HashMap::new(),
    )
    .unwrap();
    assert_eq!(
        parsed_named.entities[0].entity.name,
        "CENTRE HOSPITALIER UNIVERSITAIRE DE NIMES"
    );

    // Through the web application: preview, then one transaction for the whole region.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Users only: no entity of the fixture stands in the real extract's way.
        let t = FixtureApp::sqlite(Fixture::builder()).await;
        let mut c = t.logged_in(Role::Ars).await;
        let content = completed.join("\r\n");
        let started = std::time::Instant::now();
        let p = c
            .post("/imports/etablissements/apercu", &[("contenu", &content)])
            .await;
        let preview_time = started.elapsed();
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains(&format!(
            "{} entité(s) juridique(s) lue(s)",
            parsed.entities.len()
        )));
        let started = std::time::Instant::now();
        let p = c
            .post(
                "/imports/etablissements/confirmer",
                &[("contenu", &content)],
            )
            .await;
        let import_time = started.elapsed();
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(
            t.store()
                .legal_entities_in_region(&REGION)
                .await
                .unwrap()
                .len(),
            parsed.entities.len()
        );
        eprintln!(
            "{} octets : aperçu {preview_time:?}, import {import_time:?} (SQLite)",
            content.len()
        );
        t.db.cleanup().await.unwrap();
    });
}
