//! Long lists people can work with (issue 10): on the campaign follow-up, the
//! search narrows the rows, the headers sort them, pages hold 50 rows, and the
//! CSV export gives the rows shown (all pages), safe to open in a spreadsheet.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caqes_core::Category;
use caqes_store::testing::{Fixture, FixtureBuilder, make_finess};
use caqes_store::{Actor, LegalEntity, NewCampaign, NewEntity, Role, Site};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod common;
use common::Client;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// Forty entities with their dossiers in one campaign (one page of the
/// follow-up), the first one with an accented name to search for, and an
/// administrator for the accounts' list.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .admin()
        .entity("Centre hospitalier de Sète")
        .entities(39)
        .campaign(2019)
}

/// The rows of the follow-up table: the text of each `<tr>` of its body.
fn rows(body: &str) -> Vec<&str> {
    let table = &body[body.find("<table id=\"dossiers\"").unwrap()..];
    let tbody = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    tbody.split("<tr>").skip(1).collect()
}

/// The first cell (the établissement's name) of a row.
fn name(row: &str) -> &str {
    let start = row.find("<td>").unwrap() + 4;
    &row[start..start + row[start..].find("</td>").unwrap()]
}

/// A raw GET answer: status, headers and bytes (the CSV is not a page).
async fn raw_get(c: &Client<'_>, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::get(uri)
        .header(header::COOKIE, c.cookie_header())
        .body(Body::empty())
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

#[tokio::test]
async fn the_follow_up_is_searched_sorted_and_exported() {
    on_sqlite(
        fixture(),
        story_the_follow_up_is_searched_sorted_and_exported,
    )
    .await;
    on_postgres(
        fixture(),
        story_the_follow_up_is_searched_sorted_and_exported,
    )
    .await;
}

async fn story_the_follow_up_is_searched_sorted_and_exported(t: &FixtureApp) {
    let mut ars = t.logged_in(Role::Ars).await;
    let base = format!("/campagnes/{}", t.campaign_id());
    let all = ars.get(&base).await;
    assert_eq!(all.status, StatusCode::OK);
    let all_rows = rows(&all.body);
    assert_eq!(all_rows.len(), 40, "the fixture's 40 dossiers on one page");
    assert!(all.body.contains("Score provisoire"), "{}", all.body);
    assert!(all.body.contains("Valeurs saisies / attendues"));
    // Every row shows its count of values out of an expected count.
    assert!(all_rows.iter().all(|r| r.contains(" / ")));
    assert!(!all.body.contains("fr-pagination__list"), "one page only");

    // Search: part of one name, without its accents and in capitals.
    let own = t
        .store()
        .legal_entity(&t.own_entity())
        .await
        .unwrap()
        .unwrap();
    let word = own.name.split_whitespace().last().unwrap().to_uppercase();
    let found = ars
        .get(&format!("{base}?q={}", urlencode(&fold_accents(&word))))
        .await;
    let found_rows = rows(&found.body);
    assert!(!found_rows.is_empty() && found_rows.len() < 40, "{word}");
    assert!(found_rows.iter().any(|r| name(r) == own.name.as_str()));
    assert!(
        found_rows
            .iter()
            .all(|r| { fold_accents(&r.to_uppercase()).contains(&fold_accents(&word)) })
    );

    // Sort by name, both ways.
    let asc = ars.get(&format!("{base}?tri=etablissement")).await;
    let names: Vec<String> = rows(&asc.body).iter().map(|r| name(r).to_owned()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| fold_accents(&n.to_lowercase()));
    assert_eq!(names, sorted);
    assert!(asc.body.contains("aria-sort=\"ascending\""));
    let desc = ars
        .get(&format!("{base}?tri=etablissement&ordre=desc"))
        .await;
    let mut reversed: Vec<String> = rows(&desc.body)
        .iter()
        .map(|r| name(r).to_owned())
        .collect();
    reversed.reverse();
    assert_eq!(reversed, names);
    assert!(desc.body.contains("aria-sort=\"descending\""));

    // The export: the rows shown, sorted the same way, all pages.
    let (status, headers, bytes) = raw_get(
        &ars,
        &format!("{base}?tri=etablissement&ordre=desc&format=csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let text = String::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("Établissement;FINESS juridique;"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 41);
    let first_names: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(';').next().unwrap())
        .collect();
    let mut expected: Vec<String> = names.clone();
    expected.reverse();
    assert_eq!(first_names, expected);
}

#[tokio::test]
async fn a_long_follow_up_has_pages_and_a_safe_export() {
    on_sqlite(
        fixture(),
        story_a_long_follow_up_has_pages_and_a_safe_export,
    )
    .await;
    on_postgres(
        fixture(),
        story_a_long_follow_up_has_pages_and_a_safe_export,
    )
    .await;
}

async fn story_a_long_follow_up_has_pages_and_a_safe_export(t: &FixtureApp) {
    let current = t.store().campaign(t.campaign_id()).await.unwrap().unwrap();
    let sys = Actor::system("test des listes");
    // 15 more entities (55 in all), one named like a formula.
    let extra: Vec<NewEntity> = (0..15)
        .map(|i| {
            let finess = make_finess(99_100_000 + i);
            NewEntity {
                entity: LegalEntity {
                    finess,
                    region: current.region,
                    name: if i == 0 {
                        "=HYPERLINK(\"http://x\")".to_owned()
                    } else {
                        format!("Clinique des listes {i}")
                    },
                    category: Category::McoPrive,
                },
                sites: vec![Site {
                    finess: make_finess(99_200_000 + i),
                    entity: finess,
                    name: format!("Site des listes {i}"),
                }],
            }
        })
        .collect();
    t.store().import_entities(&sys, &extra).await.unwrap();
    let campaign = t
        .store()
        .create_campaign(
            &sys,
            &NewCampaign {
                region: current.region,
                year: 2021,
                referentiel_id: current.referentiel_id.clone(),
                title: "Campagne 2021".to_owned(),
                submission_deadline: "2022-03-31".parse().unwrap(),
                evaluation_deadline: "2022-06-30".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    let base = format!("/campagnes/{}", campaign.id);
    let mut ars = t.logged_in(Role::Ars).await;
    let first = ars.get(&base).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(rows(&first.body).len(), 50);
    assert!(first.body.contains("fr-pagination"), "pagination shown");
    assert!(first.body.contains("page=2"));
    let second = ars.get(&format!("{base}?page=2")).await;
    let second_rows = rows(&second.body);
    assert_eq!(second_rows.len(), 5);
    let first_names: Vec<&str> = rows(&first.body).iter().map(|r| name(r)).collect();
    assert!(second_rows.iter().all(|r| !first_names.contains(&name(r))));

    // The export holds all 55 rows, the formula neutralised.
    let (status, _, bytes) = raw_get(&ars, &format!("{base}?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), 56);
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\")\";"),
        "{text}"
    );
    assert!(!text.contains("\n=HYPERLINK"), "{text}");
}

fn fold_accents(text: &str) -> String {
    caqes_web::ui::list::fold(text)
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap()[2..].to_owned()
}

/// The body rows of the table `id`.
fn table_rows<'a>(body: &'a str, id: &str) -> Vec<&'a str> {
    let table = &body[body.find(&format!("<table id=\"{id}\"")).unwrap()..];
    let tbody = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    tbody.split("<tr").skip(1).collect()
}

#[tokio::test]
async fn the_other_lists_are_searched_sorted_and_exported() {
    on_sqlite(
        fixture(),
        story_the_other_lists_are_searched_sorted_and_exported,
    )
    .await;
    on_postgres(
        fixture(),
        story_the_other_lists_are_searched_sorted_and_exported,
    )
    .await;
}

async fn story_the_other_lists_are_searched_sorted_and_exported(t: &FixtureApp) {
    // The contracts' list shows contracts: the ARS proposes one to three entities.
    let ars = t.user(Role::Ars);
    for e in &t.fixture.entities[..3] {
        let proposal = caqes_store::NewContract {
            received_on: None,
            additional: Vec::new(),
            pertinence_terms: None,
        };
        t.store()
            .propose_contract(ars, &e.entity, &proposal)
            .await
            .unwrap();
    }
    // (role, path, table id, a sort key, the export's first column)
    let lists = [
        (
            Role::Admin,
            "/admin/utilisateurs",
            "utilisateurs",
            "courriel",
            "Nom",
        ),
        (
            Role::Ars,
            "/contrats",
            "contrats",
            "entite",
            "Entité juridique",
        ),
        (
            Role::AssuranceMaladie,
            "/donnees-am",
            "entites",
            "produits",
            "Entité",
        ),
    ];
    for (role, path, id, key, first_column) in lists {
        let mut c = t.logged_in(role).await;
        let page = c.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let all = table_rows(&page.body, id);
        assert!(all.len() > 1, "{path}: {} rows", all.len());
        assert!(page.body.contains("id=\"liste-recherche\""), "{path}");

        // A search for text in no row empties the table; one row's own
        // text keeps that row and drops others.
        let none = c.get(&format!("{path}?q=zzzz-introuvable")).await;
        assert_eq!(table_rows(&none.body, id).len(), 0, "{path}");
        let sorted = c.get(&format!("{path}?tri={key}&ordre=desc")).await;
        assert!(
            sorted.body.contains("aria-sort=\"descending\""),
            "{path}: no descending header"
        );
        assert_eq!(table_rows(&sorted.body, id).len(), all.len(), "{path}");

        let (status, headers, bytes) = raw_get(&c, &format!("{path}?format=csv")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with(&format!("\u{feff}{first_column};")),
            "{path}: {}",
            text.lines().next().unwrap_or_default()
        );
        assert_eq!(text.lines().count(), all.len() + 1, "{path}");
    }

    // The accounts' search finds one account from part of its address.
    let mut admin = t.logged_in(Role::Admin).await;
    let ars_email = &t.email(Role::Ars);
    let part = &ars_email[..ars_email.find('@').unwrap()];
    let found = admin
        .get(&format!("/admin/utilisateurs?q={}", urlencode(part)))
        .await;
    let rows = table_rows(&found.body, "utilisateurs");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains(part)), "{part}");
    assert!(rows.iter().any(|r| r.contains(ars_email.as_str())));
}

#[tokio::test]
async fn the_audit_log_exports_every_line_of_its_filter() {
    on_sqlite(
        fixture(),
        story_the_audit_log_exports_every_line_of_its_filter,
    )
    .await;
    on_postgres(
        fixture(),
        story_the_audit_log_exports_every_line_of_its_filter,
    )
    .await;
}

async fn story_the_audit_log_exports_every_line_of_its_filter(t: &FixtureApp) {
    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get("/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("format=csv"), "export link");
    let marker = "id=\"pagination-resume\">";
    let summary = &page.body[page.body.find(marker).unwrap() + marker.len()..];
    let total: usize = summary[..summary.find(' ').unwrap()].parse().unwrap();
    assert!(total > 50, "the fixture's log spans pages: {total}");

    let (status, headers, bytes) = raw_get(&ars, "/audit?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}Date (heure de Paris);Auteur;"));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.records().count(), total, "all pages exported");
}
