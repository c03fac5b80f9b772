//! Assurance Maladie data through the router: the PHEV upload (preview equal to
//! the `caqes_data::phmev` pipeline, confirmation, broken file refused with
//! nothing written), the AM revenue and liste en sus (form and CSV), the
//! liste en sus basis of the sanction (30 % ceiling), scope, roles and CSRF.
//! SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use caqes_store::testing::REGION;
use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_core::sanction::Basis;
use caqes_core::{Category, Finess};
use caqes_data::phmev::report::{MOTIF_CLASSE_SANS_BOITE, compute, write_valeurs_par_classe};
use caqes_data::phmev::{Config, Rattachement, ReadOptions};
use caqes_store::am::am_writable;
use caqes_store::testing::{POSTGRES_ENV, TestDb};
use caqes_store::{LegalEntity, Role};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sqlx::Row;

mod common;
use common::TestApp;

const HEADER: &str = "etb_rgt;raison_sociale_etb;region_etb;atc1;l_atc1;atc2;L_ATC2;atc3;L_ATC3;atc4;L_ATC4;ATC5;CIP13;l_cip13;TOP_GEN;BOITES;REM";
/// A FINESS of another region (AP-HP), present in the file, to be ignored and listed.
const OUTSIDE: &str = "750712184";

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Text to Windows-1252 bytes, as CNAM publishes the file (é is 0xE9, ’ is 0x92).
fn cp1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// An Open PHMEV file for `sites` (varying figures by site and `salt`), CRLF,
/// decimal comma with a `.` thousands separator, one paracetamol row, one
/// biosimilar and one reference row, and one row of another region.
fn phmev_file(sites: &[Finess], salt: i64) -> Vec<u8> {
    let mut text = format!("{HEADER}\r\n");
    for (i, s) in sites.iter().enumerate() {
        let k = i as i64 + 1;
        let rows = [
            // Répertoire (TOP_GEN 1), not in répertoire (0), paracetamol (excluded from III-01).
            (
                "C",
                "C09",
                "C09AA",
                "C09AA05",
                "3400930000011",
                "1",
                120 * k + salt,
                format!("1.234,5{k}"),
            ),
            (
                "C",
                "C10",
                "C10AA",
                "C10AA05",
                "3400930000012",
                "0",
                80 * k,
                format!("{},75", 300 + salt),
            ),
            (
                "N",
                "N02",
                "N02BE",
                "N02BE01",
                "3400930000013",
                "1",
                500,
                "99,10".to_owned(),
            ),
            // Biosimilar (B) and reference (C) boxes of the anti-TNF class.
            (
                "L",
                "L04",
                "L04AB",
                "L04AB04",
                "3400930000014",
                "B",
                7 * k,
                "12.000,00".to_owned(),
            ),
            (
                "L",
                "L04",
                "L04AB",
                "L04AB04",
                "3400930000015",
                "C",
                5 + salt,
                "8.000,25".to_owned(),
            ),
        ];
        for (atc1, atc2, atc4, atc5, cip, top, boites, rem) in rows {
            let atc3 = &atc4[..4];
            text.push_str(&format!(
                "{s};Centre hospitalier de Tolosa – site n°{k} l’hôpital;76;{atc1};Libellé;{atc2};L;{atc3};L;{atc4};L;{atc5};{cip};Produit é;{top};{boites};{rem}\r\n"
            ));
        }
    }
    text.push_str(&format!(
        "{OUTSIDE};Assistance publique;11;C;Cardio;C09;L;C09A;L;C09AA;L;C09AA05;3400930000011;P;1;40;10,00\r\n"
    ));
    cp1252(&text)
}

/// An entity of the demo region whose current dossier still takes AM values
/// and for which III-01 is measurable; the multi-site CHU when possible.
async fn target(t: &TestApp) -> (LegalEntity, Vec<Finess>) {
    let store = t.store();
    let mut entities = store.legal_entities_in_region(&REGION).await.unwrap();
    entities.sort_by_key(|e| e.finess != t.demo.own_entity);
    for e in entities {
        if e.category != Category::McoPublicEspic && e.category != Category::PsyPublicEspic {
            continue;
        }
        let sub = store
            .submission(&t.demo.campaign_id, &e.finess)
            .await
            .unwrap();
        if sub.is_some_and(|s| am_writable(s.state)) {
            let sites = store
                .sites_of(&e.finess)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.finess)
                .collect();
            return (e, sites);
        }
    }
    panic!("aucune entité de démonstration ne reçoit de valeurs AM");
}

/// What the pipeline itself computes for the files, keyed by (entity, indicator): III-03
/// per class, as `caqes phmev --par-classe` writes it (the demo's grid computes III-03 per
/// class, D5); a class without any box is `NC` with its motive (numerator and denominator
/// empty).
fn expected(
    t_sites: &[(Finess, Finess)],
    current: &[u8],
    previous: &[u8],
    year: i32,
) -> BTreeMap<(String, String), (String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("n.csv"), dir.path().join("n1.csv"));
    std::fs::write(&a, current).unwrap();
    std::fs::write(&b, previous).unwrap();
    let mut mapping = Rattachement::default();
    for (site, entity) in t_sites {
        mapping.entity_of.insert(*site, *entity);
    }
    let config = Config {
        rattachement: mapping,
        ..Config::default()
    };
    let c = compute(&[a], &[b], &config, &ReadOptions::default()).unwrap();
    let mut out = Vec::new();
    write_valeurs_par_classe(&c.entities, &config, year, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            (
                (f[0].to_owned(), f[1].to_owned()),
                (f[3].to_owned(), f[4].to_owned()),
            )
        })
        .collect()
}

async fn am_values(
    t: &TestApp,
    sites: &[Finess],
    year: i16,
) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for s in sites {
        let rows = sqlx::query(
            "SELECT site, indicator, numerator, denominator FROM indicator_values \
             WHERE site = $1 AND year = $2 \
             AND (indicator IN ('III-01', 'III-03', 'IV-01', 'IV-02') OR indicator LIKE 'III-03/%') \
             ORDER BY indicator",
        )
        .bind(s.to_string())
        .bind(i64::from(year))
        .fetch_all(t.store().pool())
        .await
        .unwrap();
        for r in rows {
            out.push((
                r.try_get("site").unwrap(),
                r.try_get("indicator").unwrap(),
                r.try_get::<Option<String>, _>("numerator")
                    .unwrap()
                    .unwrap_or_default(),
                r.try_get::<Option<String>, _>("denominator")
                    .unwrap()
                    .unwrap_or_default(),
            ));
        }
    }
    out
}

async fn value_count(t: &TestApp) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM indicator_values")
        .fetch_one(t.store().pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn phev_story(t: &TestApp) {
    let campaign = t
        .store()
        .campaign(&t.demo.campaign_id)
        .await
        .unwrap()
        .unwrap();
    let url = format!("/campagnes/{}/phev", campaign.id);
    let (entity, sites) = target(t).await;
    let current = phmev_file(&sites, 0);
    let previous = phmev_file(&sites, 40);
    let pairs: Vec<(Finess, Finess)> = sites.iter().map(|s| (*s, entity.finess)).collect();
    let want = expected(&pairs, &current, &previous, i32::from(campaign.year));
    let mine: Vec<_> = want
        .iter()
        .filter(|((f, _), _)| *f == entity.finess.to_string())
        .collect();
    assert!(mine.len() >= 3, "III-01, III-03, IV-01 attendus : {want:?}");
    // III-03 per class, never whole.
    assert!(
        mine.iter().any(|((_, c), _)| c.starts_with("III-03/")),
        "{mine:?}"
    );
    assert!(!mine.iter().any(|((_, c), _)| c == "III-03"), "{mine:?}");

    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;

    // Only the AM user of the region reaches the upload.
    assert_eq!(ars.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(etab.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        am.get("/campagnes/inconnue/phev").await.status,
        StatusCode::NOT_FOUND
    );
    let page = am.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));

    // A multipart upload without the CSRF token is refused.
    let refused = am
        .post_multipart(
            &format!("{url}/apercu"),
            false,
            &[],
            &[("annee_n", "OPEN_PHMEV_2019.CSV", &current)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    am.get(&url).await;

    // A broken file: French error naming the file, the line and the field; nothing written.
    let before = value_count(t).await;
    let mut broken = String::from_utf8_lossy(&cp1252(HEADER)).into_owned();
    broken.push_str(&format!(
        "\r\n{};CH;76;C;C;C09;L;C09A;L;C09AA;L;C09AA05;3400930000011;P;1;10;1,00\r\n{};CH;76;C;C;C09;L;C09A;L;C09AA;L;C09AA05;3400930000011;P;1;12O;1,00\r\n",
        sites[0], sites[0]
    ));
    let page = am
        .post_multipart(
            &format!("{url}/apercu"),
            true,
            &[],
            &[("annee_n", "OPEN_PHMEV_CASSE.CSV", broken.as_bytes())],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("rien n'a été enregistré"),
        "{}",
        page.body
    );
    assert!(page.body.contains("OPEN_PHMEV_CASSE.CSV"), "{}", page.body);
    assert!(page.body.contains("<td>3</td>"), "{}", page.body);
    assert!(page.body.contains("<td>BOITES</td>"), "{}", page.body);
    assert!(!page.body.contains("name=\"jeton\""));
    assert_eq!(value_count(t).await, before);
    // A bad IV-02 class is named as such.
    let page = am
        .post_multipart(
            &format!("{url}/apercu"),
            true,
            &[("classe_iv02", "L4")],
            &[("annee_n", "OPEN_PHMEV_2019.CSV", &current)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("classe IV-02"), "{}", page.body);

    // A file whose establishments are all absent from the platform writes nothing: no
    // « Confirmer » is offered, the page says why.
    let only_outside = cp1252(&format!(
        "{HEADER}\r\n{OUTSIDE};Assistance publique;11;C;Cardio;C09;L;C09A;L;C09AA;L;C09AA05;3400930000011;P;1;40;10,00\r\n"
    ));
    let page = am
        .post_multipart(
            &format!("{url}/apercu"),
            true,
            &[("classe_iv02", "")],
            &[("annee_n", "OPEN_PHMEV_2019.CSV", &only_outside)],
        )
        .await;
    assert!(
        page.body.contains("id=\"rien-a-enregistrer\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"confirmer\""));

    // A file whose name gives another year than the campaign's (2019): the preview warns,
    // as nothing in the figures would show the slip.
    let page = am
        .post_multipart(
            &format!("{url}/apercu"),
            true,
            &[("classe_iv02", "")],
            &[("annee_n", "OPEN_PHMEV_2017.CSV", &current)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"annee-fichier\""), "{}", page.body);
    assert!(
        page.body.contains(
            "Le fichier « OPEN_PHMEV_2017.CSV », déposé pour l'année N (2019), porte dans son nom l'année 2017"
        ),
        "{}",
        page.body
    );

    // The preview: the pipeline's figures, provenance, and the FINESS outside the region.
    let page = am
        .post_multipart(
            &format!("{url}/apercu"),
            true,
            &[("classe_iv02", "")],
            &[
                ("annee_n", "OPEN_PHMEV_2019.CSV", &current),
                ("annee_n_1", "OPEN_PHMEV_2018.CSV", &previous),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for ((_, code), (n, d)) in &mine {
        let cells = format!("<td>{code}</td><td>{n}</td><td>{d}</td>");
        assert!(page.body.contains(&cells), "{cells} absent : {}", page.body);
    }
    let sha = format!("{:x}", Sha256::digest(&current));
    assert!(page.body.contains(&sha), "{}", page.body);
    assert!(page.body.contains("OPEN_PHMEV_2018.CSV"));
    assert!(
        page.body
            .contains("1 FINESS non enregistré(s) sur la plateforme pour la région, ignoré(s)"),
        "{}",
        page.body
    );
    assert!(page.body.contains(OUTSIDE));
    // W9: IV-01 from Open PHMEV covers drugs only; the preview says it is partial.
    assert!(page.body.contains("id=\"iv01-partiel\""), "{}", page.body);
    assert!(page.body.contains("médicaments et produits et prestations"));
    // Files named after the campaign's years: no warning on the year.
    assert!(!page.body.contains("id=\"annee-fichier\""), "{}", page.body);
    assert_eq!(value_count(t).await, before, "l'aperçu n'écrit rien");
    let token = {
        let i = page.body.find("name=\"jeton\" value=\"").unwrap() + 20;
        page.body[i..i + 64].to_owned()
    };
    // The files wait in the service's private data directory (issue 14.6),
    // not in a shared /tmp: directories 0700, files 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let root = caqes_web::Config::default().data_dir.join("depots-phev");
        let dir = root.join(&token);
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(files.len() >= 2, "{files:?}");
        for f in files {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        assert!(
            !std::env::temp_dir()
                .join("caqes-phev")
                .join(&token)
                .exists()
        );
    }

    // A forged token or another role's confirmation is refused.
    let p = am
        .post(&format!("{url}/confirmer"), &[("jeton", "../../etc")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = ars
        .post(&format!("{url}/confirmer"), &[("jeton", &token)])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = am
        .post_raw(&format!("{url}/confirmer"), &[("jeton", &token)])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "sans jeton CSRF");
    am.get(&url).await;
    assert_eq!(value_count(t).await, before);

    let page = am
        .post(&format!("{url}/confirmer"), &[("jeton", &token)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let stored = am_values(t, &sites, campaign.year).await;
    for ((_, code), (n, d)) in &mine {
        let rows: Vec<_> = stored.iter().filter(|r| r.1 == *code).collect();
        assert_eq!(
            rows.len(),
            1,
            "{code} : une seule ligne, sur le site de référence"
        );
        assert_eq!((&rows[0].2, &rows[0].3), (n, d), "{code}");
    }
    // The dossier's values (pooled over the sites) are the pipeline's.
    let in_dossier = t
        .store()
        .values_for_entity(&entity.finess, campaign.year)
        .await
        .unwrap();
    let declarations = t
        .store()
        .entity_inputs(&entity.finess, campaign.year)
        .await
        .unwrap()
        .declarations;
    for ((_, code), (n, d)) in &mine {
        let v = in_dossier.iter().find(|v| v.indicator == *code).unwrap();
        if n.is_empty() {
            // A class without any box: NC, its motive recorded as accepted.
            assert_eq!(v.declared.as_deref(), Some("NC"), "{code}");
            let nc = declarations.iter().find(|x| x.indicator == *code).unwrap();
            assert_eq!(nc.declaration.motive(), MOTIF_CLASSE_SANS_BOITE);
            assert_eq!(nc.declaration.review, caqes_core::value::Review::Accepted);
            continue;
        }
        assert_eq!(v.numerator.as_deref(), Some(n.as_str()));
        assert_eq!(v.denominator.as_deref(), Some(d.as_str()));
    }
    let audit = t.store().audit_in_region(&REGION, 20).await.unwrap();
    let line = audit.iter().find(|a| a.action == "import.phev").unwrap();
    let after = line.after.clone().unwrap();
    assert!(after.contains(&sha) && after.contains("OPEN_PHMEV_2019.CSV"));
    assert!(after.contains(OUTSIDE));
    // The temporary upload is gone.
    let p = am
        .post(&format!("{url}/confirmer"), &[("jeton", &token)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn figures_story(t: &TestApp) {
    let other = t.demo.other_entity;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let before = t.store().am_figures(&other).await.unwrap();
    assert!(before.am_revenue.is_some(), "recettes de la démonstration");

    assert_eq!(ars.get("/donnees-am").await.status, StatusCode::NOT_FOUND);
    assert_eq!(etab.get("/donnees-am").await.status, StatusCode::NOT_FOUND);
    let page = am.get("/donnees-am").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("entite-{other}")));

    // Form per entity: exact decimals, audited; bad amounts refused with the field named.
    let url = format!("/donnees-am/{other}");
    let p = am
        .post_raw(
            &url,
            &[("produits_am", "1"), ("liste_en_sus", ""), ("annee", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "sans jeton CSRF");
    am.get("/donnees-am").await;
    let p = ars
        .post(
            &url,
            &[("produits_am", "1"), ("liste_en_sus", ""), ("annee", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = am
        .post(
            "/donnees-am/750712184",
            &[("produits_am", "1"), ("liste_en_sus", ""), ("annee", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "entité hors région");
    am.get("/donnees-am").await;
    let p = am
        .post(
            &url,
            &[
                ("produits_am", "12,345"),
                ("liste_en_sus", ""),
                ("annee", "2018"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Produits versés par l'assurance maladie"),
        "{}",
        p.body
    );
    assert!(p.body.contains("deux décimales"));
    assert_eq!(t.store().am_figures(&other).await.unwrap(), before);
    let p = am
        .post(
            &url,
            &[
                ("produits_am", "45 123 456,78"),
                ("liste_en_sus", "2 000 000,10"),
                ("annee", "2018"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let f = t.store().am_figures(&other).await.unwrap();
    assert_eq!(f.am_revenue.unwrap().amount(), dec("45123456.78"));
    assert_eq!(f.liste_en_sus.unwrap().amount(), dec("2000000.10"));
    assert_eq!(f.year, Some(2018));
    let audit = t.store().audit_in_region(&REGION, 5).await.unwrap();
    let line = audit
        .iter()
        .find(|a| a.action == "donnees_am.enregistrer")
        .unwrap();
    let after = line.after.clone().unwrap();
    assert!(
        after.contains("45123456.78") && after.contains("2000000.10"),
        "{after}"
    );
    let old = before.am_revenue.unwrap().amount().to_string();
    assert!(after.contains(&old), "valeur avant dans l'audit : {after}");

    // CSV: preview, errors naming file, line and column, all or nothing.
    let own = t.demo.own_entity;
    let bad = format!(
        "finess;produits_am;liste_en_sus;annee\n{own};1000,5;;2018\n{other};abc;3,999;20x8\n"
    );
    am.get("/donnees-am/import").await;
    let p = am
        .post("/donnees-am/import/apercu", &[("contenu", &bad)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("donnees_am.csv"));
    for col in ["produits_am", "liste_en_sus", "annee"] {
        assert!(
            p.body.contains(&format!("<td>3</td><td>{col}</td>")),
            "{col}: {}",
            p.body
        );
    }
    let p = am
        .post("/donnees-am/import/confirmer", &[("contenu", &bad)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.store().am_figures(&other).await.unwrap(), f);
    let good = format!(
        "finess;produits_am;liste_en_sus;annee\n{own};851000000,01;3500000;2018\n{other};;1500000.5;\n"
    );
    let p = am
        .post("/donnees-am/import/apercu", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body
            .contains("2 entité(s) juridique(s) seront mises à jour")
    );
    let p = am
        .post("/donnees-am/import/confirmer", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let o = t.store().am_figures(&own).await.unwrap();
    assert_eq!(o.am_revenue.unwrap().amount(), dec("851000000.01"));
    assert_eq!(o.liste_en_sus.unwrap().amount(), dec("3500000"));
    let f2 = t.store().am_figures(&other).await.unwrap();
    assert_eq!(f2.am_revenue, f.am_revenue, "cellule vide : valeur gardée");
    assert_eq!(f2.liste_en_sus.unwrap().amount(), dec("1500000.5"));
    assert_eq!(f2.year, Some(2018));
    let p = ars
        .post("/donnees-am/import/apercu", &[("contenu", &good)])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

async fn basis_story(t: &TestApp) {
    // An evaluated dossier of the previous campaign without any decision yet.
    let store = t.store();
    let mut chosen = None;
    for e in store.legal_entities_in_region(&REGION).await.unwrap() {
        let sub = store
            .submission(&t.demo.previous_campaign_id, &e.finess)
            .await
            .unwrap()
            .unwrap();
        if sub.score.is_some() && store.current_decision(&sub.id).await.unwrap().is_none() {
            chosen = Some((e, sub));
            break;
        }
    }
    let (entity, sub) = chosen.unwrap();
    let url = format!(
        "/campagnes/{}/dossiers/{}/decision",
        t.demo.previous_campaign_id, entity.finess
    );
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    // No liste en sus amount yet: only the AM basis, no choice offered.
    store
        .set_am_figures(
            &caqes_store::Actor::system("test"),
            &REGION,
            &[caqes_store::am::AmFigures {
                entity: entity.finess,
                am_revenue: None,
                liste_en_sus: None,
                year: None,
            }],
        )
        .await
        .unwrap();
    let page = ars.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"assiettes\""));
    if store
        .am_figures(&entity.finess)
        .await
        .unwrap()
        .liste_en_sus
        .is_none()
    {
        assert!(!page.body.contains("id=\"choisir-assiette\""));
        let p = ars
            .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
            .await;
        assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    }
    // The AM enters 2 000 000 € of liste en sus; the ARS chooses that basis.
    am.get("/donnees-am").await;
    let p = am
        .post(
            &format!("/donnees-am/{}", entity.finess),
            &[
                ("produits_am", ""),
                ("liste_en_sus", "2000000"),
                ("annee", "2018"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    ars.get(&url).await;
    let p = ars
        .post_raw(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "sans jeton CSRF");
    ars.get(&url).await;
    let p = am
        .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "réservé à l'ARS");
    let p = etab
        .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = ars
        .post(&format!("{url}/assiette"), &[("assiette", "liste_en_sus")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let computed = store.proposal_for(&sub, "occitanie-2018").await.unwrap();
    assert_eq!(computed.proposal.basis(), Basis::ListeEnSus);
    assert_eq!(computed.basis_amount.amount(), dec("2000000"));
    assert_eq!(computed.proposal.ceiling().amount(), dec("600000"), "30 %");
    let page = ars.get(&url).await;
    assert!(
        page.body.contains("liste en sus ; plafond 30\u{202f}%"),
        "{}",
        page.body
    );
    assert!(page.body.contains("600\u{202f}000,00"), "{}", page.body);
    // The AM opinion fixes the proposal on that basis; the basis can no longer change.
    let p = am
        .post(
            &format!("{url}/avis"),
            &[("avis", "favorable"), ("commentaire", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let v1 = store.current_decision(&sub.id).await.unwrap().unwrap();
    assert_eq!(v1.basis_kind, Basis::ListeEnSus);
    assert_eq!(v1.ceiling.amount(), dec("600000"));
    ars.get(&url).await;
    let p = ars
        .post(&format!("{url}/assiette"), &[("assiette", "produits_am")])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
}

/// Copies a sheet read by calamine into a rust_xlsxwriter sheet, with `edits`
/// ((row, column) → cell) applied.
fn copy_sheet(
    wb: &mut rust_xlsxwriter::Workbook,
    name: &str,
    range: &calamine::Range<calamine::Data>,
    edits: &BTreeMap<(u32, u16), calamine::Data>,
) {
    use calamine::Data;
    let ws = wb.add_worksheet();
    ws.set_name(name).unwrap();
    let (r0, c0) = range.start().unwrap();
    let mut cells: BTreeMap<(u32, u16), Data> = BTreeMap::new();
    for (i, row) in range.rows().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            cells.insert((r0 + i as u32, (c0 as usize + j) as u16), cell.clone());
        }
    }
    cells.extend(edits.clone());
    for ((r, c), cell) in cells {
        match cell {
            Data::String(t) => {
                ws.write_string(r, c, t).unwrap();
            }
            Data::Float(f) => {
                ws.write_number(r, c, f).unwrap();
            }
            Data::Int(i) => {
                ws.write_number(r, c, i as f64).unwrap();
            }
            Data::Bool(b) => {
                ws.write_boolean(r, c, b).unwrap();
            }
            _ => {}
        }
    }
}

fn column(range: &calamine::Range<calamine::Data>, name: &str) -> u16 {
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    header.iter().position(|h| h == name).unwrap() as u16
}

async fn xlsx_story(t: &TestApp) {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let campaign = t
        .store()
        .campaign(&t.demo.campaign_id)
        .await
        .unwrap()
        .unwrap();
    let base = format!("/campagnes/{}/imports", campaign.id);
    let mut ars = t.logged_in(Role::Ars).await;
    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let download = format!("{base}/fichier-a-remplir.xlsx");
    assert_eq!(am.get(&download).await.status, StatusCode::NOT_FOUND);
    assert_eq!(etab.get(&download).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        etab.get(&format!("{base}/xlsx")).await.status,
        StatusCode::NOT_FOUND
    );

    // Download (raw bytes: the client's page body is text).
    let req = axum::http::Request::get(&download)
        .header(axum::http::header::COOKIE, ars.cookie_header())
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(t.app.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let values = wb.worksheet_range("Valeurs").unwrap();
    let targets = wb.worksheet_range("Cibles").unwrap();
    assert!(values.height() > 10 && targets.height() > 10);
    let (vf, vi, vn, vd) = (
        column(&values, "finess"),
        column(&values, "indicateur"),
        column(&values, "numerateur"),
        column(&values, "denominateur"),
    );
    // A proportion row not yet filled, on a site of the region.
    let referentiel = caqes_core::referentiel::builtin_by_id("occitanie-2018").unwrap();
    let (row, site, code) = values
        .rows()
        .enumerate()
        .skip(1)
        .find_map(|(i, r)| {
            let code = r[vi as usize].to_string();
            let kind = referentiel.indicator(&code)?.kind;
            (kind == caqes_core::referentiel::Kind::Proportion
                && r[vn as usize] == Data::Empty
                && r[vd as usize] == Data::Empty)
                .then(|| (i as u32, r[vf as usize].to_string(), code))
        })
        .unwrap();
    let (tf, ti, tc) = (
        column(&targets, "finess"),
        column(&targets, "indicateur"),
        column(&targets, "cible"),
    );
    let target_row = 1u32;
    let target_entity = targets.get((1, tf as usize)).unwrap().to_string();
    let target_code = targets.get((1, ti as usize)).unwrap().to_string();

    // A bad cell (a boolean in « numerateur »): sheet, Excel row and column named.
    let mut edits = BTreeMap::new();
    edits.insert((row, vn), Data::Bool(true));
    let mut out = rust_xlsxwriter::Workbook::new();
    copy_sheet(&mut out, "Valeurs", &values, &edits);
    copy_sheet(&mut out, "Cibles", &targets, &BTreeMap::new());
    let bad = out.save_to_buffer().unwrap();
    ars.get(&format!("{base}/xlsx")).await;
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "rempli.xlsx", &bad)],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let letter = (b'A' + vn as u8) as char;
    let expected = format!(
        "<td>feuille « Valeurs »</td><td>{}</td><td>{letter}</td>",
        row + 1
    );
    assert!(page.body.contains(&expected), "{expected} : {}", page.body);
    // Not a workbook at all.
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "x.xlsx", b"pas un classeur")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without the CSRF token.
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            false,
            &[],
            &[("fichier", "rempli.xlsx", &bad)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    ars.get(&format!("{base}/xlsx")).await;

    // Filled: numbers written by rust_xlsxwriter, and 0.1 + 0.2 (a float artefact) as target.
    let mut edits = BTreeMap::new();
    edits.insert((row, vn), Data::Float(30.0));
    edits.insert((row, vd), Data::Float(40.0));
    let mut target_edits = BTreeMap::new();
    target_edits.insert((target_row, tc), Data::Float(0.1 + 0.2));
    let mut out = rust_xlsxwriter::Workbook::new();
    copy_sheet(&mut out, "Valeurs", &values, &edits);
    copy_sheet(&mut out, "Cibles", &targets, &target_edits);
    let good = out.save_to_buffer().unwrap();
    let page = ars
        .post_multipart(
            &format!("{base}/xlsx"),
            true,
            &[],
            &[("fichier", "rempli.xlsx", &good)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"apercu\""));
    assert!(page.body.contains("Valeurs, ligne 2<"), "{}", page.body);
    assert!(!page.body.contains("0,30000000000000004"));
    // Confirm: the hidden fields carry the converted CSV to the CSV import's confirmation.
    let field = |name: &str| {
        let marker = format!("type=\"hidden\" name=\"{name}\" value=\"");
        let i = page.body.find(&marker).unwrap() + marker.len();
        let raw = &page.body[i..i + page.body[i..].find('"').unwrap()];
        raw.replace("&#10;", "\n")
            .replace("&#x0A;", "\n")
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&amp;", "&")
    };
    let (v, c) = (field("valeurs"), field("cibles"));
    assert!(
        v.contains(&format!("{site};{code};{};30;40;", campaign.year)),
        "{v}"
    );
    let p = ars
        .post(
            &format!("{base}/confirmer"),
            &[("valeurs", &v), ("cibles", &c)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let site_f = Finess::parse(&site).unwrap();
    let mut found = false;
    for e in t.store().legal_entities_in_region(&REGION).await.unwrap() {
        for v in t
            .store()
            .values_for_entity(&e.finess, campaign.year)
            .await
            .unwrap()
        {
            if v.site == site_f && v.indicator == code {
                assert_eq!(v.numerator.as_deref(), Some("30"));
                assert_eq!(v.denominator.as_deref(), Some("40"));
                found = true;
            }
        }
    }
    assert!(found, "valeur {site} {code} enregistrée");
    let stored = t
        .store()
        .targets_for(&Finess::parse(&target_entity).unwrap(), campaign.year)
        .await
        .unwrap();
    assert_eq!(stored.get(&target_code), Some(&dec("0.3")), "cible exacte");
}

async fn story(t: &TestApp) {
    xlsx_story(t).await;
    phev_story(t).await;
    figures_story(t).await;
    basis_story(t).await;
}

#[tokio::test]
async fn am_data_on_sqlite() {
    let t = TestApp::new(TestDb::sqlite().await.unwrap()).await;
    story(&t).await;
}

#[tokio::test]
async fn am_data_on_postgres() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL ignoré : {POSTGRES_ENV} n'est pas défini");
        return;
    };
    let t = TestApp::new(db).await;
    story(&t).await;
    t.db.cleanup().await.unwrap();
}
