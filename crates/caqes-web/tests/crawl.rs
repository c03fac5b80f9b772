//! A crawl of the demo region as each role (issue 10): from the home page,
//! every link of the site is followed (GET only, bounded), and every page is
//! checked as a person reads it — its visible text, not its markup:
//! - no ISO date (`2019-03-15`): dates are written « 15 mars 2019 »;
//! - no court abolished on 1 January 2019 (« TASS », « tribunal des affaires
//!   de sécurité sociale »): the demo's decisions are all later;
//! - no code word (`EN_COURS`) nor a parser's message (`expected one of`);
//! - the footer's mandatory links, the favicon and the mobile menu button
//!   (the DSFR header's `fr-header__menu-links`, which its script fills);
//! - one element per id.

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;
use caqes_store::Role;

mod common;
use common::{TestApp, on_sqlite};

/// Pages visited per role at most: the demo region has about sixty per role.
const MAX_PAGES: usize = 250;

/// The text a person sees: markup, scripts and styles removed, entities of
/// spaces read as spaces.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        let after = &rest[i..];
        let lower = after.get(..8).unwrap_or(after).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            after.find("</script>").map(|j| j + 9)
        } else if lower.starts_with("<style") {
            after.find("</style>").map(|j| j + 8)
        } else {
            after.find('>').map(|j| j + 1)
        };
        match skip_to {
            Some(j) => rest = &after[j..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&#32;", " ")
        .replace("&amp;", "&")
}

/// `\b\d{4}-\d{2}-\d{2}\b`, without a regex dependency.
fn iso_dates(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let shape = |s: &[u8]| {
        s.len() == 10
            && s.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            })
    };
    let word = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
    for i in 0..b.len().saturating_sub(9) {
        if shape(&b[i..i + 10])
            && !word(i.checked_sub(1).and_then(|j| b.get(j)))
            && !word(b.get(i + 10))
        {
            found.push(String::from_utf8_lossy(&b[i..i + 10]).into_owned());
        }
    }
    found
}

/// Words like `EN_COURS`: capitals joined by underscores.
fn code_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.contains('_')
                && w.chars().any(|c| c.is_ascii_uppercase())
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
                && w.len() >= 4
        })
        .map(str::to_owned)
        .collect()
}

/// A whole word « TASS ».
fn mentions_tass(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "TASS")
        || text
            .to_lowercase()
            .contains("tribunal des affaires de sécurité sociale")
}

/// The site's own links of a page, to follow: GET pages only (no assets,
/// downloads, logout or OIDC round trip).
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let href = part[..end].replace("&amp;", "&");
        let href = href.split('#').next().unwrap_or_default().to_owned();
        if !href.starts_with('/') || href.starts_with("//") {
            continue;
        }
        let skipped = href.starts_with("/static/")
            || href.starts_with("/connexion/oidc")
            || href.starts_with("/notifications/")
                && !href.starts_with("/notifications/preferences")
            || href == "/favicon.ico"
            || href == "/metrics"
            || href.contains("/documents/")
            || href.ends_with(".xlsx")
            || href.ends_with(".pdf")
            || href.ends_with(".csv");
        if !skipped {
            out.push(href);
        }
    }
    out
}

/// The words around the first `needle` of `text`, to find it in the page.
fn around(text: &str, needle: &str) -> String {
    let Some(i) = text.find(needle) else {
        return String::new();
    };
    let start = text[..i].char_indices().rev().nth(60).map_or(0, |(j, _)| j);
    let end = text[i..]
        .char_indices()
        .nth(needle.chars().count() + 60)
        .map_or(text.len(), |(j, _)| i + j);
    text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn check_page(url: &str, body: &str, problems: &mut Vec<String>) {
    let text = visible_text(body);
    for d in iso_dates(&text) {
        problems.push(format!("{url}: date ISO « {d} » : {}", around(&text, &d)));
    }
    if mentions_tass(&text) {
        problems.push(format!("{url}: juridiction supprimée (TASS)"));
    }
    for w in code_words(&text) {
        problems.push(format!(
            "{url}: mot de code « {w} » : {}",
            around(&text, &w)
        ));
    }
    if text.contains("expected one of") || text.contains("Failed to deserialize") {
        problems.push(format!("{url}: message d'analyseur"));
    }
    for footer in [
        "href=\"/accessibilite\"",
        "href=\"/mentions-legales\"",
        "href=\"/donnees-personnelles\"",
        "href=\"/plan-du-site\"",
    ] {
        if !body.contains(footer) {
            problems.push(format!("{url}: lien de pied de page absent {footer}"));
        }
    }
    if !text.contains("Accessibilité : non conforme") {
        problems.push(format!(
            "{url}: état d'accessibilité absent du pied de page"
        ));
    }
    let mut ids = BTreeSet::new();
    for part in body.split(" id=\"").skip(1) {
        if let Some(end) = part.find('"')
            && !ids.insert(&part[..end])
        {
            problems.push(format!("{url}: id « {} » en double", &part[..end]));
        }
    }
    if !body.contains("rel=\"icon\"") {
        problems.push(format!("{url}: favicon absente"));
    }
    if !body.contains("fr-btn--menu") || !body.contains("fr-header__menu-links") {
        problems.push(format!("{url}: menu mobile absent"));
    }
}

async fn crawl(t: &TestApp) {
    let mut problems = Vec::new();
    let mut counts = Vec::new();
    for role in [
        Role::Etablissement,
        Role::Ars,
        Role::AssuranceMaladie,
        Role::Omedit,
        Role::Admin,
    ] {
        let mut c = t.logged_in(role).await;
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from(["/".to_owned()]);
        let mut pages = 0;
        while let Some(url) = queue.pop_front() {
            if !seen.insert(url.clone()) || pages >= MAX_PAGES {
                continue;
            }
            let p = c.get(&url).await;
            if p.status.is_server_error() {
                problems.push(format!("{role:?} {url}: {}", p.status));
                continue;
            }
            if p.status != StatusCode::OK || !p.body.trim_start().starts_with("<!doctype html") {
                continue;
            }
            pages += 1;
            check_page(&format!("{role:?} {url}"), &p.body, &mut problems);
            for l in links(&p.body) {
                if !seen.contains(&l) {
                    queue.push_back(l);
                }
            }
        }
        counts.push((role, pages));
    }
    // Anonymous: the login page and the footer's pages.
    let mut anon = t.client();
    for url in [
        "/connexion",
        "/accessibilite",
        "/mentions-legales",
        "/donnees-personnelles",
        "/plan-du-site",
    ] {
        let p = anon.get(url).await;
        assert_eq!(p.status, StatusCode::OK, "{url}");
        check_page(&format!("anonyme {url}"), &p.body, &mut problems);
    }
    for (role, pages) in &counts {
        // Every role reaches more than its home and the footer's pages; the
        // regional roles reach the dossiers of the region.
        let least = match role {
            Role::Ars | Role::AssuranceMaladie | Role::Omedit => 40,
            _ => 8,
        };
        assert!(*pages >= least, "{role:?}: {pages} pages seulement");
    }
    assert!(
        problems.is_empty(),
        "{} problème(s) :\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn every_page_of_every_role_reads_in_french_with_the_shell() {
    on_sqlite(crawl).await;
}

#[test]
fn the_checks_catch_what_they_look_for() {
    assert_eq!(iso_dates("le 2019-03-15."), vec!["2019-03-15"]);
    assert!(iso_dates("15 mars 2019, n° 12019-03-150").is_empty());
    assert_eq!(code_words("état EN_COURS ou B2B"), vec!["EN_COURS"]);
    assert!(code_words("caqes_session").is_empty());
    assert!(mentions_tass("devant le TASS de Nîmes"));
    assert!(mentions_tass("Tribunal des affaires de sécurité sociale"));
    assert!(!mentions_tass(
        "le pôle social du tribunal judiciaire (TASSE)"
    ));
    let text = visible_text(
        "<p title=\"2019-01-01\">a<script>x='2019-01-01'</script><input value=\"2019-01-01\">b</p>",
    );
    assert!(iso_dates(&text).is_empty(), "{text}");
    assert_eq!(
        links(
            "<a href=\"/a#x\">…<a href=\"https://x\"><a href=\"/static/y\"><a href=\"/b?c=1&amp;d=2\">"
        ),
        vec!["/a", "/b?c=1&d=2"]
    );
}
