//! The Assurance Maladie's PHEV upload through the router: only the AM user of
//! the region reaches it, a broken file is refused with nothing written, the
//! preview equals the `caqes_data::phmev` pipeline (III-03 per class, provenance,
//! FINESS outside the region), the files wait in the private data directory, and
//! the confirmation writes the pipeline's figures with its audit line. SQLite, and
//! PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_core::Finess;
use caqes_data::phmev::report::{MOTIF_CLASSE_SANS_BOITE, compute, write_valeurs_par_classe};
use caqes_data::phmev::{Config, Rattachement, ReadOptions};
use caqes_store::am::am_writable;
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::{LegalEntity, Role};
use sha2::{Digest, Sha256};
use sqlx::Row;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// A multi-site CHU (the établissement user's entity) and a single-site clinic,
/// their dossiers drafts of the campaign 2019, so still open to AM values.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 3)
        .entity("Clinique du Parc")
        .campaign(2019)
}

#[tokio::test]
async fn the_phev_upload_writes_the_pipelines_figures_on_sqlite() {
    on_sqlite(fixture(), phev_story).await;
}

#[tokio::test]
async fn the_phev_upload_writes_the_pipelines_figures_on_postgres() {
    on_postgres(fixture(), phev_story).await;
}

const HEADER: &str = "etb_rgt;raison_sociale_etb;region_etb;atc1;l_atc1;atc2;L_ATC2;atc3;L_ATC3;atc4;L_ATC4;ATC5;CIP13;l_cip13;TOP_GEN;BOITES;REM";
/// A FINESS of another region (AP-HP), present in the file, to be ignored and listed.
const OUTSIDE: &str = "750712184";

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

/// The établissement user's entity, the multi-site CHU, with its sites; its
/// dossier still takes AM values.
async fn target(t: &FixtureApp) -> (LegalEntity, Vec<Finess>) {
    let own = &t.fixture.entities[0];
    let sub = t.submission(&own.entity.finess).await;
    assert!(am_writable(sub.state), "{:?}", sub.state);
    let sites = own.sites.iter().map(|s| s.finess).collect();
    (own.entity.clone(), sites)
}

/// What the pipeline itself computes for the files, keyed by (entity, indicator): III-03
/// per class, as `caqes phmev --par-classe` writes it (the campaign's grid computes III-03 per
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
    t: &FixtureApp,
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

async fn value_count(t: &FixtureApp) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM indicator_values")
        .fetch_one(t.store().pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn phev_story(t: &FixtureApp) {
    let campaign = t.store().campaign(t.campaign_id()).await.unwrap().unwrap();
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
