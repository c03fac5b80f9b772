//! The dashboards (issue 12) on a small region whose figures are computed by hand:
//! a grid of four concerned indicators and a bonus (the core what-if test's grid),
//! three MCO public establishments (one with two sites), campaigns 2018 and 2019.
//!
//! Grid for MCO public: A (proportion ↑, 30 points), B (OUI / EN COURS / NON, 30),
//! C (proportion ↓, 20), D (OUI/NON, 20, NC for the category), bonus E (4). D's points
//! are redistributed: maxima × 100/80, so A 37,5, B 37,5, C 25, E 4.
//! 2019, targets A 80 and C 10 for Alpha and Beta:
//! - Alpha: A 70/100 (< 80: 0), B EN COURS (18,75), C 5 (≤ 10: 25), E missing: 43,75;
//! - Beta: A 90/100 (37,5), B OUI (37,5), C 20 (> 10: 0), E missing: 75;
//! - Gamma (2 sites): nothing entered: 0.
//!
//! Region: mean (43,75 + 75 + 0) / 3 = 39,583… → « 39,58 », median 43,75; bands
//! 0–20: 1, 40–60: 1, 60–80: 1; missed: E 3/3, then A, B, C 2/3 each (grid order);
//! ranking Beta 1, Alpha 2, Gamma 3. 2018: nothing entered anywhere: 0 and 0.
//! Alpha's what-if: A + 37,5, B + 18,75 (the other half), E + 4: 60,25 in all.
//!
//! The region is the store's `Fixture` (its users, Alpha's établissement user
//! first); the test writes the grid, the campaigns, the values and the targets.
//! The batched scores' check stays on the demo region: it compares the two ways
//! of scoring on every dossier of the demo's two campaigns, whose variety of
//! values is the point.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::collections::BTreeMap;

use axum::http::StatusCode;
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::{Actor, Campaign, NewCampaign, Role, StoredValue};
use rust_decimal::Decimal;

mod common;
use common::TestApp;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

const GRID: &str = r#"
id = "mini-tableaux"
titre = "Mini tableaux de bord"
region = "Test"
annee_etat_des_lieux = 2017
redistribution = "proportionnelle"
categories = ["MCO_PUBLIC_ESPIC"]

[[parties]]
numero = "I"
titre = "Partie I"
points = 60

[[parties]]
numero = "II"
titre = "Partie II"
points = 40
points_bonus = 4

[[indicateurs]]
code = "A"
partie = "I"
libelle = "Indicateur A"
portee = "national"
type = "proportion"
sens = "hausse"
sources = ["ES"]
points = 30
unite = "%"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }

[[indicateurs]]
code = "B"
partie = "I"
libelle = "Indicateur B"
portee = "national"
type = "oui_en_cours_non"
sens = "hausse"
sources = ["ES"]
points = 30
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }

[[indicateurs]]
code = "C"
partie = "II"
libelle = "Indicateur C"
portee = "national"
type = "proportion"
sens = "baisse"
sources = ["ES"]
points = 20
unite = "%"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }

[[indicateurs]]
code = "D"
partie = "II"
libelle = "Indicateur D"
portee = "national"
type = "oui_non"
sens = "hausse"
sources = ["ES"]
points = 20
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "NC" }

[[indicateurs]]
code = "E"
partie = "II"
libelle = "Indicateur E"
portee = "regional"
type = "oui_non"
sens = "hausse"
sources = ["ES"]
points = 4
bonus = true
unite = "oui/non"
applicabilite = { MCO_PUBLIC_ESPIC = "concerne" }
"#;

/// Alpha, Beta and Gamma (two sites), MCO public, with their users.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity("Alpha")
        .entity("Beta")
        .entity_with_sites("Gamma", 2)
}

fn value(site: caqes_core::Finess, code: &str, n: &str, d: &str, v: &str) -> StoredValue {
    caqes_store::testing::value(site, 2019, code, n, d, v)
}

/// The grid, the campaigns 2018 and 2019 on it, and the 2019 values and
/// targets of Alpha and Beta; the campaign 2019.
async fn region(t: &FixtureApp) -> Campaign {
    let store = t.store();
    let fixture = &t.fixture;
    let sys = Actor::system("test");
    let grid = store
        .upload_referentiel(&sys, "mini.toml", GRID)
        .await
        .unwrap();
    let mut campaigns = Vec::new();
    for year in [2018, 2019] {
        let d = |m, day| jiff::civil::date(year + 1, m, day);
        campaigns.push(
            store
                .create_campaign(
                    &sys,
                    &NewCampaign {
                        region: REGION,
                        year,
                        referentiel_id: grid.key.clone(),
                        title: format!("Campagne {year}"),
                        submission_deadline: d(3, 31),
                        evaluation_deadline: d(6, 30),
                    },
                )
                .await
                .unwrap(),
        );
    }
    let current = campaigns.pop().unwrap();
    let e = |i: usize| fixture.entities[i].clone();
    let targets: BTreeMap<String, Decimal> = [
        ("A".to_owned(), Decimal::from(80)),
        ("C".to_owned(), Decimal::from(10)),
    ]
    .into();
    for (i, rows) in [
        vec![
            ("A", "70", "100", ""),
            ("B", "", "", "EN_COURS"),
            ("C", "", "", "5"),
        ],
        vec![
            ("A", "90", "100", ""),
            ("B", "", "", "OUI"),
            ("C", "", "", "20"),
        ],
    ]
    .into_iter()
    .enumerate()
    {
        let entity = e(i);
        let site = entity.sites[0].finess;
        let values: Vec<StoredValue> = rows
            .into_iter()
            .map(|(code, n, d, v)| value(site, code, n, d, v))
            .collect();
        store
            .save_values(&sys, &current, &entity.entity, &values)
            .await
            .unwrap();
        store
            .set_targets(&sys, &entity.entity, 2019, &targets)
            .await
            .unwrap();
    }
    current
}

/// The text of the element with this id, up to its closing tag `end`.
fn section<'a>(body: &'a str, id: &str, end: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &body[start..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The cells of one table row whose header (`<th scope="row">`) starts with `head`.
fn row(table: &str, head: &str) -> Vec<String> {
    let at = table
        .find(&format!("<th scope=\"row\">{head}"))
        .unwrap_or_else(|| panic!("no row {head} in {table}"));
    let tr = &table[at..table[at..].find("</tr>").map_or(table.len(), |e| at + e)];
    tr.split("<td>")
        .skip(1)
        .map(|c| c.split("</td>").next().unwrap_or_default().to_owned())
        .collect()
}

fn assert_accessible_svgs(body: &str, at_least: usize) {
    let svgs: Vec<&str> = body.split("<svg").skip(1).collect();
    assert!(svgs.len() >= at_least, "{} svg", svgs.len());
    for svg in svgs {
        let head = &svg[..svg.find('>').unwrap()];
        assert!(head.contains("role=\"img\""), "{head}");
        let ids = head.split("aria-labelledby=\"").nth(1).unwrap();
        let ids: Vec<&str> = ids[..ids.find('"').unwrap()].split(' ').collect();
        assert!(
            svg.contains(&format!("<title id=\"{}\">", ids[0])),
            "{head}"
        );
        assert!(svg.contains(&format!("<desc id=\"{}\">", ids[1])), "{head}");
    }
}

async fn region_story(t: &FixtureApp) {
    let current = region(t).await;
    let url = format!("/campagnes/{}/tableau-de-bord", current.id);
    for role in [Role::Ars, Role::AssuranceMaladie, Role::Omedit] {
        let mut c = t.logged_in(role).await;
        let p = c.get(&url).await;
        assert_eq!(p.status, StatusCode::OK, "{role:?}: {}", p.body);
    }
    let mut alpha = t.logged_in(Role::Etablissement).await;
    assert_eq!(alpha.get(&url).await.status, StatusCode::NOT_FOUND);

    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get(&url).await.body;
    assert_accessible_svgs(&page, 4);
    // Progress: three drafts of three.
    let states = section(&page, "tableau-etats", "</table>");
    assert_eq!(row(states, "Brouillon"), ["3", "100\u{202f}%"]);
    // Distribution: one per band 0–20, 40–60, 60–80.
    let distribution = section(&page, "tableau-distribution", "</table>");
    assert_eq!(
        row(distribution, "MCO public et ESPIC"),
        ["1", "0", "1", "1", "0", "0", "3"]
    );
    // Most missed: E by all three, then A, B, C by two of three.
    let missed = section(&page, "tableau-manques", "</table>");
    let order: Vec<usize> = ["E", "A", "B", "C"]
        .iter()
        .map(|c| missed.find(&format!("<th scope=\"row\">{c}</th>")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{missed}");
    assert_eq!(row(missed, "E"), ["Indicateur E", "3", "3", "100\u{202f}%"]);
    assert_eq!(
        row(missed, "A"),
        ["Indicateur A", "2", "3", "66,67\u{202f}%"]
    );
    // Year on year: 2018 nothing entered, 2019 mean 39,58 and median 43,75.
    let years = section(&page, "tableau-annees", "</table>");
    assert_eq!(row(years, "2018"), ["3", "0", "0"]);
    assert_eq!(row(years, "2019"), ["3", "39,58", "43,75"]);
    // Volets: nothing confirmed.
    assert!(section(&page, "tableau-volets", "</table>").contains("ciblage non confirmé"));
    // Ranking: Beta, Alpha, Gamma.
    let ranking = section(&page, "classement", "</table>");
    let (b, a, g) = (
        ranking.find("Beta").unwrap(),
        ranking.find("Alpha").unwrap(),
        ranking.find("Gamma").unwrap(),
    );
    assert!(b < a && a < g, "{ranking}");
    assert!(ranking.contains("<td>1</td><td>Beta</td>"), "{ranking}");
    assert!(ranking.contains("<td>43,75</td>"), "{ranking}");
    // Filters: the band 40–60 keeps Alpha alone, with its regional rank.
    let filtered = ars.get(&format!("{url}?tranche=40-60")).await.body;
    let ranking = section(&filtered, "classement", "</table>");
    assert!(ranking.contains("<td>2</td><td>Alpha</td>"), "{ranking}");
    assert!(!ranking.contains("Beta") && !ranking.contains("Gamma"));
    let none = ars.get(&format!("{url}?departement=75")).await.body;
    assert!(!section(&none, "classement", "</table>").contains("Alpha"));
    // The CSV export of the ranking.
    let csv = ars
        .get(&format!("{url}?format=csv&categorie=MCO_PUBLIC_ESPIC"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("Beta"), "{}", csv.body);
    assert_eq!(csv.body.lines().count(), 4, "{}", csv.body);
}

async fn establishment_story(t: &FixtureApp) {
    let current = region(t).await;
    let [alpha, beta, gamma] = t.fixture.finess().unwrap();
    let url =
        |f: caqes_core::Finess| format!("/campagnes/{}/dossiers/{f}/tableau-de-bord", current.id);
    let mut c = t.logged_in(Role::Etablissement).await;
    // Linked from the dossier page.
    let dossier = c
        .get(&format!("/campagnes/{}/dossiers/{alpha}", current.id))
        .await;
    assert!(dossier.body.contains(&url(alpha)));
    let p = c.get(&url(alpha)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(c.get(&url(beta)).await.status, StatusCode::NOT_FOUND);
    let page = p.body;
    assert_accessible_svgs(&page, 3);
    assert!(page.contains("<strong>43,75 / 100</strong>"), "score");
    // Parts: I = A 0 + B 18,75 of 75; II = C 25 of 25, bonus 0 of 4.
    let parts = section(&page, "tableau-parties", "</table>");
    assert_eq!(
        row(parts, "I<"),
        ["Partie I", "18,75", "75", "25\u{202f}%", ""]
    );
    assert_eq!(
        row(parts, "II"),
        ["Partie II", "25", "25", "100\u{202f}%", "0 / 4"]
    );
    // What-if: A + 37,5, B + 18,75, E + 4; 60,25 in all.
    let what_if = section(&page, "simulation", "</table>");
    assert_eq!(
        row(what_if, "A"),
        ["Indicateur A", "0", "37,5", "80\u{202f}%", "+ 37,5"]
    );
    assert_eq!(
        row(what_if, "B"),
        ["Indicateur B", "18,75", "37,5", "Oui", "+ 18,75"]
    );
    assert_eq!(
        row(what_if, "E (bonus)"),
        ["Indicateur E", "0", "4", "Oui", "+ 4"]
    );
    assert!(!what_if.contains("<th scope=\"row\">C"));
    assert!(page.contains("<strong id=\"simulation-total\">60,25</strong>"));
    // Missing: E not entered.
    let missing = section(&page, "valeurs-manquantes", "</ul>");
    assert!(
        missing.contains("E — Indicateur E : valeur non saisie"),
        "{missing}"
    );
    assert!(!missing.contains("A — "));
    // Years: 2018 and 2019 columns; A 70 % against 80 %, not met.
    let history = section(&page, "evolution", "</table>");
    assert!(history.contains("<th scope=\"col\">2018</th><th scope=\"col\">2019</th>"));
    assert!(
        history
            .contains("70\u{202f}% (cible 80\u{202f}%) <span aria-label=\"non atteint\">✗</span>"),
        "{history}"
    );
    assert!(!page.contains("id=\"sites-cibles\""));

    // The region's roles read any dossier's dashboard; Gamma shows its two sites.
    let mut ars = t.logged_in(Role::Ars).await;
    let p = ars.get(&url(gamma)).await;
    assert_eq!(p.status, StatusCode::OK);
    let sites = section(&p.body, "sites-cibles", "</table>");
    assert!(sites.matches("manquante").count() >= 2 * 4, "{sites}");
    assert!(p.body.contains("valeur manquante pour 2 site(s)"));
}

async fn batch_story(t: &TestApp) {
    // The batched scores equal the one-by-one scores for every dossier of the demo.
    let store = t.store();
    let mut checked = 0;
    for id in [&t.demo.campaign_id, &t.demo.previous_campaign_id] {
        let campaign = store.campaign(id).await.unwrap().unwrap();
        let grid = store.campaign_referentiel(&campaign).await.unwrap();
        let rows = store.submissions_of_campaign(&campaign).await.unwrap();
        let entities: Vec<_> = rows.iter().map(|r| r.entity.clone()).collect();
        let batch = store
            .evaluate_entities(&grid, &campaign.region, campaign.year, &entities)
            .await
            .unwrap();
        assert_eq!(batch.len(), entities.len());
        for (e, b) in entities.iter().zip(&batch) {
            let one = store
                .evaluate_entity(&grid, e, campaign.year)
                .await
                .unwrap();
            assert_eq!(b.score, one.score, "{}", e.finess);
            assert_eq!(b.pooled, one.pooled, "{}", e.finess);
            assert_eq!(b.given, one.given, "{}", e.finess);
            checked += 1;
        }
    }
    assert!(checked > 10, "{checked}");
}

#[tokio::test]
async fn region_dashboard_on_sqlite() {
    on_sqlite(fixture(), region_story).await;
}

#[tokio::test]
async fn region_dashboard_on_postgres() {
    on_postgres(fixture(), region_story).await;
}

#[tokio::test]
async fn establishment_dashboard_on_sqlite() {
    on_sqlite(fixture(), establishment_story).await;
}

#[tokio::test]
async fn establishment_dashboard_on_postgres() {
    on_postgres(fixture(), establishment_story).await;
}

#[tokio::test]
async fn batched_scores_equal_one_by_one_on_sqlite() {
    common::on_sqlite(batch_story).await;
}

#[tokio::test]
async fn batched_scores_equal_one_by_one_on_postgres() {
    common::on_postgres(batch_story).await;
}
