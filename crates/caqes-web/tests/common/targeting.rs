//! Arrange and check blocks shared by the targeting test files (transports,
//! qualité, pertinence): the same fixture, screen, import and confirmation routes
//! per volet, on the store's [`Fixture`].

use axum::http::StatusCode;
use caqes_core::Finess;
use caqes_store::targeting::ConfirmedTargeting;
use caqes_store::testing::{Fixture, FixtureBuilder, OTHER_REGION, REGION};
use caqes_store::{Actor, NewUser, Role};

use super::fixture::FixtureApp;
use super::{Client, Page, password};

/// The campaign year of the targeting stories.
pub const YEAR: i16 = 2019;

/// The Assurance Maladie of the other region (the fixture has its ARS only).
const AM_OTHER: &str = "am-autre@t.fr";

/// A targeting story's fixture: the établissement's own entity first (two sites),
/// then `others` entities of one site; another region with its ARS; the campaign
/// [`YEAR`].
pub fn fixture(others: usize) -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire", 2)
        .entities(others)
        .other_region()
        .campaign(YEAR)
}

impl FixtureApp {
    /// `/campagnes/{campaign}/{path}`.
    pub fn campaign_url(&self, path: &str) -> String {
        format!("/campagnes/{}/{path}", self.campaign_id())
    }

    /// The legal entities of the region, the own entity first.
    pub fn entities<const N: usize>(&self) -> [Finess; N] {
        self.fixture.finess().unwrap()
    }

    /// The first site of the établissement's entity.
    pub fn own_site(&self) -> Finess {
        self.fixture.entities[0].sites[0].finess
    }

    /// The list of `volet` confirmed in the campaign (empty before the first confirmation).
    pub async fn confirmed(&self, volet: &str) -> Vec<ConfirmedTargeting> {
        self.store()
            .confirmed_targeting(self.campaign_id(), volet)
            .await
            .unwrap()
    }

    pub async fn audit_count(&self) -> usize {
        self.store()
            .audit_in_region(&REGION, 100_000)
            .await
            .unwrap()
            .len()
    }

    /// The ARS and the AM of the other region, each logged in.
    async fn other_region_clients(&self) -> [Client<'_>; 2] {
        let am = NewUser {
            email: caqes_store::Email::parse(AM_OTHER).unwrap(),
            display_name: AM_OTHER.to_owned(),
            role: Role::AssuranceMaladie,
            region: Some(OTHER_REGION),
            entity: None,
            password_hash: caqes_web::auth::hash_password(&password(Role::AssuranceMaladie))
                .unwrap(),
        };
        self.store()
            .create_user(&Actor::system("test"), &am)
            .await
            .unwrap();
        let ars = self.fixture.ars_other().unwrap().email.clone();
        [
            self.login(&ars, &password(Role::Ars)).await,
            self.login(AM_OTHER, &password(Role::AssuranceMaladie))
                .await,
        ]
    }
}

/// The line of `finess` in the targeting table.
pub fn row<'a>(body: &'a str, finess: &Finess) -> &'a str {
    let start = body
        .find(&format!("id=\"ligne-{finess}\""))
        .unwrap_or_else(|| panic!("ligne {finess} absente"));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// One volet's import: its path (`…/import`) and the field holding the pasted file.
pub struct ImportForm {
    pub path: String,
    pub field: &'static str,
}

impl ImportForm {
    /// The import of the targeting screen `screen`, its file pasted in `field`.
    pub fn of(screen: &str, field: &'static str) -> ImportForm {
        ImportForm {
            path: format!("{screen}/import"),
            field,
        }
    }

    /// Posts `text` to the `step` (`apercu` or `confirmer`).
    pub async fn post(&self, c: &mut Client<'_>, step: &str, text: &str) -> Page {
        c.post(&format!("{}/{step}", self.path), &[(self.field, text)])
            .await
    }

    /// Both steps refuse `broken` (422) and name every expected error as
    /// (line, column, text) in the report of `file`.
    pub async fn assert_errors(
        &self,
        c: &mut Client<'_>,
        broken: &str,
        file: &str,
        expected: &[(&str, &str, &str)],
    ) {
        for step in ["apercu", "confirmer"] {
            let p = self.post(c, step, broken).await;
            assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
            for (line, column, text) in expected {
                let cells = format!("<td>{file}</td><td>{line}</td><td>{column}</td><td>");
                let at = p
                    .body
                    .find(&cells)
                    .unwrap_or_else(|| panic!("erreur ligne {line} absente : {}", p.body));
                assert!(p.body[at..].contains(text), "{text}");
            }
        }
    }

    /// A `header` lacking columns is refused, naming them; the audit log still
    /// has `before` lines.
    pub async fn assert_missing_columns(
        &self,
        t: &FixtureApp,
        c: &mut Client<'_>,
        header: &str,
        before: usize,
    ) {
        let p = self.post(c, "apercu", header).await;
        assert!(p.body.contains("colonne(s) manquante(s)"), "{}", p.body);
        assert_eq!(t.audit_count().await, before);
    }

    /// `good` is previewed (the preview says `summary`, nothing is written),
    /// then written with one audit line after the `before` ones.
    pub async fn assert_written(
        &self,
        t: &FixtureApp,
        c: &mut Client<'_>,
        good: &str,
        summary: &str,
        before: usize,
    ) {
        let p = self.post(c, "apercu", good).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains(summary), "{}", p.body);
        assert_eq!(t.audit_count().await, before);
        let p = self.post(c, "confirmer", good).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(t.audit_count().await, before + 1);
    }

    /// The form and the POSTs of `steps` with `line` answer 404.
    pub async fn assert_404(&self, c: &mut Client<'_>, steps: &[&str], line: &str) {
        assert_eq!(c.get(&self.path).await.status, StatusCode::NOT_FOUND);
        for step in steps {
            let p = self.post(c, step, line).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND);
        }
    }
}

/// The screen reads (200) but the confirmation answers 404.
pub async fn assert_reads_only(c: &mut Client<'_>, screen: &str, confirm: (&str, &[(&str, &str)])) {
    assert_eq!(c.get(screen).await.status, StatusCode::OK);
    assert_eq!(
        c.post(confirm.0, confirm.1).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The accounts of another region get 404 on the screen, the confirmation and
/// the import (form and both steps).
pub async fn assert_other_region_404(
    t: &FixtureApp,
    screen: &str,
    confirm: (&str, &[(&str, &str)]),
    import: (&ImportForm, &str),
) {
    let (import, line) = import;
    for mut c in t.other_region_clients().await {
        assert_eq!(c.get(screen).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            c.post(confirm.0, confirm.1).await.status,
            StatusCode::NOT_FOUND
        );
        import
            .assert_404(&mut c, &["apercu", "confirmer"], line)
            .await;
    }
}
