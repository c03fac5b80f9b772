//! PHEV dashboards and the juste-prescription estimator through the router (issue 12), on
//! the store's `Fixture`: three legal entities of one category with their sites (the
//! établissement user's a CHU of three sites), another region and its ARS. The AM uploads
//! an Open PHMEV file made for the region's sites; the entity and region pages show exactly
//! the pipeline's figures on that file (`report::compute` = `caqes phmev indicateurs`,
//! `TopSink` = `caqes phmev top`), with accessible charts; the estimator shows the seed's
//! savings computed by hand; each role sees what it may. SQLite, and PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::path::Path;

use axum::http::StatusCode;
use caqes_core::{Euros, Finess};
use caqes_data::phmev::aggregate::{TopLevel, TopSink};
use caqes_data::phmev::report::{EntityFigures, compute, percent};
use caqes_data::phmev::{Config, Rattachement, ReadOptions, decode_text, read_file};
use caqes_documents::format;
use caqes_store::Role;
use caqes_store::testing::{Fixture, FixtureBuilder};
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// Three entities of the category MCO public/ESPIC, so that the entity page ranks its
/// own among comparables it does not name: the établissement user's CHU (three sites),
/// a hospital (two sites) and a clinic; another region with its ARS; the campaign 2019
/// (the référentiel's national III-01 rate is 49 %), its dossiers drafts taking AM values.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 3)
        .entity_with_sites("Centre hospitalier de Castres", 2)
        .entity("Clinique du Parc")
        .other_region()
        .campaign(2019)
}

#[tokio::test]
async fn phev_dashboards_on_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn phev_dashboards_on_postgres() {
    on_postgres(fixture(), story).await;
}

const HEADER: &str = "etb_rgt;raison_sociale_etb;region_etb;atc1;l_atc1;atc2;L_ATC2;atc3;L_ATC3;atc4;L_ATC4;ATC5;CIP13;l_cip13;TOP_GEN;BOITES;REM";

/// Twenty products over seventeen ATC4 classes (more than 15 of each), a paracetamol row,
/// biosimilar and reference anti-TNF rows, hepatitis C; figures vary by site and `salt`.
fn phmev_file(sites: &[Finess], salt: i64) -> Vec<u8> {
    let mut text = format!("{HEADER}\n");
    for (i, s) in sites.iter().enumerate() {
        let k = i as i64 + 1;
        for p in 0..20_i64 {
            let class = format!("C{:02}A{}", 1 + p % 17, char::from(b'A' + (p % 3) as u8));
            let atc5 = format!("{class}0{}", p % 9 + 1);
            let cip = 3_400_930_000_100 + p;
            let top = ["1", "0", "4", "9"][(p % 4) as usize];
            let boxes = 10 * k + p * 3 + salt;
            let rem = format!(
                "{},{:02}",
                1000 * (p + 1) + 37 * k + salt,
                (p * 7 + k) % 100
            );
            text.push_str(&format!(
                "{s};CH {k};76;C;Cardio;C{:02};L;{};L;{class};Classe {class};{atc5};{cip};Produit {p};{top};{boxes};{rem}\n",
                1 + p % 17,
                &class[..4]
            ));
        }
        for (atc4, atc5, cip, top, boxes, rem) in [
            ("N02BE", "N02BE01", "3400930000013", "1", 500, "99,10"),
            ("L04AB", "L04AB04", "3400930000014", "B", 7 * k, "12.000,00"),
            (
                "L04AB",
                "L04AB04",
                "3400930000015",
                "C",
                5 + salt,
                "8.000,25",
            ),
            ("J05AP", "J05AP55", "3400930000016", "0", 3, "30.000,00"),
        ] {
            text.push_str(&format!(
                "{s};CH {k};76;X;X;{};L;{};L;{atc4};Classe {atc4};{atc5};{cip};Produit {cip};{top};{boxes};{rem}\n",
                &atc4[..3],
                &atc4[..4]
            ));
        }
    }
    text.into_bytes()
}

struct Expected {
    entities: Vec<EntityFigures>,
    config: Config,
    dir: tempfile::TempDir,
}

fn pipeline(mapping: &[(Finess, Finess)], current: &[u8], previous: &[u8]) -> Expected {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("n.csv"), current).unwrap();
    std::fs::write(dir.path().join("n1.csv"), previous).unwrap();
    let mut r = Rattachement::default();
    for (s, e) in mapping {
        r.entity_of.insert(*s, *e);
    }
    let config = Config {
        rattachement: r,
        ..Config::default()
    };
    let c = compute(
        &[dir.path().join("n.csv")],
        &[dir.path().join("n1.csv")],
        &config,
        &ReadOptions::default(),
    )
    .unwrap();
    Expected {
        entities: c.entities,
        config,
        dir,
    }
}

/// `caqes phmev top` on the file: (code, amount, share) of the top 15.
fn pipeline_top(
    file: &Path,
    level: TopLevel,
    sites: Vec<Finess>,
) -> Vec<(String, Decimal, Option<Decimal>)> {
    let proto = TopSink::new(level, sites, Some("76".into()));
    let (sink, _) = read_file(file, &ReadOptions::default(), || proto.fresh()).unwrap();
    sink.top(15)
        .into_iter()
        .map(|(code, e)| {
            (
                decode_text(&code),
                Decimal::from_i128_with_scale(e.rem, 4),
                percent(e.rem, sink.rem_total),
            )
        })
        .collect()
}

fn rate(d: Option<Decimal>) -> String {
    format::percent_trimmed(d.unwrap(), 2)
}

/// The top table of the page lists these rows in this order.
fn assert_top(body: &str, table: &str, want: &[(String, Decimal, Option<Decimal>)]) {
    let start = body.find(&format!("id=\"{table}\"")).unwrap();
    let end = start + body[start..].find("</table>").unwrap();
    let html = &body[start..end];
    assert_eq!(want.len(), 15);
    assert_eq!(html.matches("<tr>").count(), 16, "{html}");
    let mut at = 0;
    for (i, (code, amount, share)) in want.iter().enumerate() {
        let cells = format!("<tr><td>{}</td><td>{code}</td>", i + 1,);
        let pos = html[at..]
            .find(&cells)
            .unwrap_or_else(|| panic!("{cells} : {html}"))
            + at;
        let row_end = pos + html[pos..].find("</tr>").unwrap();
        let row = &html[pos..row_end];
        assert!(row.contains(&Euros(*amount).to_string()), "{row}");
        assert!(row.contains(&rate(*share)), "{row}");
        at = row_end;
    }
}

async fn story(t: &FixtureApp) {
    let store = t.store();
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let mut mapping = Vec::new();
    for e in &t.fixture.entities {
        for s in &e.sites {
            mapping.push((s.finess, e.entity.finess));
        }
    }
    let sites: Vec<Finess> = mapping.iter().map(|(s, _)| *s).collect();
    assert_eq!(sites.len(), 6);
    let current = phmev_file(&sites, 0);
    let previous = phmev_file(&sites, 40);
    let want = pipeline(&mapping, &current, &previous);
    let own = t.own_entity();
    let mine = want.entities.iter().find(|e| e.finess == own).unwrap();
    assert_eq!(mine.sites.len(), 3);
    let mine_json = mine.to_json(&want.config);

    let mut am = t.logged_in(Role::AssuranceMaladie).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let entity_url = format!("{}/phev", t.dossier(own));
    let region_url = format!("/campagnes/{}/phev/tableau-de-bord", campaign.id);
    let url = format!("/campagnes/{}/phev", campaign.id);

    // Before any upload the campaign has no PHEV data: the page says so, and offers the
    // upload to the AM alone.
    let page = etab.get(&entity_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("id=\"aucune-donnee-phev\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"taux-repertoire\""));
    assert!(!page.body.contains(&format!("href=\"{url}\"")));
    let page = am.get(&entity_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"aucune-donnee-phev\""));
    assert!(
        page.body.contains(&format!("href=\"{url}\"")),
        "{}",
        page.body
    );

    // The AM uploads year N and N−1 and confirms.
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
    let token = {
        let i = page.body.find("name=\"jeton\" value=\"").unwrap() + 20;
        page.body[i..i + 64].to_owned()
    };
    let page = am
        .post(&format!("{url}/confirmer"), &[("jeton", &token)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // The entity page: the pipeline's figures for the entity (its sites summed).
    let page = etab.get(&entity_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(
        body.contains(&format!(
            "<td id=\"taux-repertoire\">{}</td>",
            rate(mine_json.taux_repertoire)
        )),
        "{body}"
    );
    let iv01 = mine_json.iv01.clone().unwrap();
    let growth = iv01.evolution.unwrap();
    let growth_text = if growth > Decimal::ZERO {
        format!("+{}", rate(Some(growth)))
    } else {
        rate(Some(growth))
    };
    assert!(
        body.contains(&format!("<td id=\"evolution\">{growth_text}</td>")),
        "{body}"
    );
    // 2019: the référentiel's national rate is 49 %.
    assert!(
        body.contains("<td id=\"cible-repertoire\">49\u{202f}%"),
        "{body}"
    );
    let anti_tnf = &mine_json
        .biosimilaires
        .0
        .iter()
        .find(|(id, _)| id == "anti_tnf")
        .unwrap()
        .1;
    assert!(
        body.contains(&format!(
            "<th scope=\"row\">Anti-TNF alpha</th><td>{}</td><td>{}</td><td>{}</td>",
            format::decimal(Decimal::from(anti_tnf.biosimilaires), 0),
            format::decimal(Decimal::from(anti_tnf.references), 0),
            rate(anti_tnf.taux)
        )),
        "{body}"
    );
    let file = want.dir.path().join("n.csv");
    let own_sites: Vec<Finess> = mine.sites.clone();
    assert_top(
        body,
        "top-classes-tableau",
        &pipeline_top(&file, TopLevel::Atc4, own_sites.clone()),
    );
    assert_top(
        body,
        "top-produits-tableau",
        &pipeline_top(&file, TopLevel::Produit, own_sites),
    );
    // Accessible charts: role, title and description tied by ids, the table behind.
    assert!(body.contains(
        r#"role="img" aria-labelledby="top-classes-graphique-t top-classes-graphique-d""#
    ));
    assert!(body.contains("<desc id=\"top-classes-graphique-d\">1. "));
    // Ranked among the three entities of its category, which are not named on its page.
    assert!(body.contains("id=\"rang\""), "{body}");
    assert!(body.contains(" sur 3</strong>"), "{body}");
    for other in &t.fixture.entities[1..] {
        assert!(!body.contains(&other.entity.name), "{body}");
    }
    // Another entity's page is not the établissement's.
    let page = etab
        .get(&format!("{}/phev", t.dossier(t.other_entity())))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // Nor is anything of this region the other region's ARS's.
    let mut other_ars = t.other_region_ars().await;
    assert_eq!(
        other_ars.get(&entity_url).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other_ars.get(&region_url).await.status,
        StatusCode::NOT_FOUND
    );

    // The region page: pooled over the region's entities, and its top lists.
    assert_eq!(etab.get(&region_url).await.status, StatusCode::NOT_FOUND);
    let page = ars.get(&region_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (n, d) = want.entities.iter().fold((0_i128, 0_i128), |(n, d), e| {
        (
            n + i128::from(e.totals.boites_repertoire),
            d + i128::from(e.totals.boites_hors_paracetamol),
        )
    });
    assert!(
        page.body.contains(&format!(
            "<td id=\"taux-repertoire\">{}</td>",
            rate(percent(n, d))
        )),
        "{}",
        page.body
    );
    assert_top(
        &page.body,
        "top-classes-tableau",
        &pipeline_top(&file, TopLevel::Atc4, Vec::new()),
    );
    assert_top(
        &page.body,
        "top-produits-tableau",
        &pipeline_top(&file, TopLevel::Produit, Vec::new()),
    );
    assert!(page.body.contains("taux-repertoire-categories-t"));
    for entity in &t.fixture.entities {
        let id = format!("id=\"entite-{}\"", entity.entity.finess);
        assert!(page.body.contains(&id), "{id}");
    }
    // The AM and the OMEDIT of the region read it too.
    let page = am.get(&region_url).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut omedit = t.logged_in(Role::Omedit).await;
    let page = omedit.get(&region_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);

    // The estimator: the seed's figures by default, hand-computed (see caqes_core::estimator).
    let est = format!("{}/estimateur", t.dossier(own));
    let page = etab.get(&est).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // IPP, 17 % relayed: 0,17 × 1 540 000 × 0,73 / 0,79 = 241 916,455… (oral 0,06 €) and
    // 0,17 × 1 540 000 × 0,71 / 0,79 = 235 288,607… (0,08 €).
    assert!(
        page.body.contains("241\u{202f}916,46\u{a0}€"),
        "{}",
        page.body
    );
    assert!(page.body.contains("235\u{202f}288,61\u{a0}€"));
    // Paracetamol: 0,17 × 730 000 × 0,685 / 0,69 = 123 200,724… and × 0,63 / 0,69 = 113 308,695…
    assert!(page.body.contains("123\u{202f}200,72\u{a0}€"));
    assert!(page.body.contains("113\u{202f}308,70\u{a0}€"));
    // Totals: 365 117,18 € and 348 597,30 €.
    assert!(
        page.body
            .contains("<td id=\"total-haut\">365\u{202f}117,18\u{a0}€</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<td id=\"total-bas\">348\u{202f}597,30\u{a0}€</td>")
    );
    assert!(
        page.body.contains(
            r#"role="img" aria-labelledby="estimateur-graphique-t estimateur-graphique-d""#
        )
    );
    assert!(page.body.contains("name=\"ipp_part\" value=\"17\""));
    // Edited assumptions: all IPP relayed, and the anti-TNF prices: the boxes to switch to
    // reach 80 % are 0,8 × (b + r) − b, at 100 € − 70 €.
    let page = etab
        .get(&format!(
            "{est}?ipp_part=100&bio_anti_tnf_prix_ref=100&bio_anti_tnf_prix_bio=70"
        ))
        .await;
    assert!(
        page.body.contains("1\u{202f}423\u{202f}037,97\u{a0}€"),
        "{}",
        page.body
    );
    let (b, r) = (
        Decimal::from(anti_tnf.biosimilaires),
        Decimal::from(anti_tnf.references),
    );
    let switched = (Decimal::new(8, 1) * (b + r) - b).max(Decimal::ZERO);
    // The CHU's boxes leave room to switch: the amount below is not a zero by chance.
    assert!(switched > Decimal::ZERO, "{b} {r}");
    assert!(
        page.body
            .contains(&Euros(switched * Decimal::from(30)).to_string()),
        "{}",
        page.body
    );
    // A wrong assumption is named, nothing else breaks.
    let page = etab.get(&format!("{est}?ipp_part=cent")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("« cent » n'est pas un nombre"),
        "{}",
        page.body
    );
    let page = etab.get(&format!("{est}?ipp_part=120")).await;
    assert!(
        page.body.contains("un taux s'exprime entre 0 et 100"),
        "{}",
        page.body
    );
}
