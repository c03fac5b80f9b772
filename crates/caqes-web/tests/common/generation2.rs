//! What the second-generation stories (`generation2*.rs`) share: the store's fixture they
//! start from, a campaign created on an objectives grid through the pages, the address
//! of a unit's actions, a step posted and its redirect followed, a refusal's French
//! page, and the kinds of notifications a role received.

use axum::http::StatusCode;
use caqes_core::{Euros, Finess};
use caqes_store::testing::{Fixture, FixtureBuilder};
use caqes_store::{Campaign, Role};
use rust_decimal::Decimal;

use super::fixture::FixtureApp;
use super::{Client, Page};

/// Two legal entities (the first is the établissement user's), the ARS, the AM, the
/// OMEDIT and an administrator; no campaign: each story creates its own on an
/// objectives grid, through the pages, as the ARS does.
pub fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity("Centre hospitalier universitaire")
        .entity("Centre hospitalier Beta")
        .admin()
}

/// `n` euros as the pages write them.
pub fn euros(n: i64) -> String {
    Euros(Decimal::from(n)).to_string()
}

/// The page a POST redirected to (its fragment dropped), with the flash.
pub async fn follow(c: &mut Client<'_>, p: &Page) -> Page {
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let to = p.location.clone().unwrap();
    let to = to.split('#').next().unwrap().to_owned();
    c.get(&to).await
}

/// A step that must succeed: `fields` posted to `url`, then the page it redirected to.
pub async fn step(c: &mut Client<'_>, url: &str, fields: &[(&str, &str)]) -> Page {
    let p = c.post(url, fields).await;
    follow(c, &p).await
}

/// A 409 whose French page says `why`.
pub fn refused(p: &Page, why: &str) {
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    assert!(p.body.contains(why), "« {why} » absent : {}", p.body);
}

/// A new campaign of the ARS on `grid` for `year`, titled `title`: its page's address.
pub async fn campaign_on(ars: &mut Client<'_>, grid: &str, year: &str, title: &str) -> String {
    let p = ars
        .post(
            "/campagnes",
            &[
                ("year", year),
                ("referentiel", grid),
                ("title", title),
                ("submission_deadline", "2028-03-31"),
                ("evaluation_deadline", "2028-09-30"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    p.location.clone().unwrap()
}

/// The addresses of an entity's dossier in a campaign and of its own unit (a legal
/// unit: the entity's FINESS).
pub struct Unit {
    pub campaign: String,
    pub dossier: String,
    pub url: String,
}

impl Unit {
    pub fn new(campaign: &str, entity: Finess) -> Unit {
        let dossier = format!("{campaign}/dossiers/{entity}");
        let url = format!("{dossier}/objectifs/{entity}");
        Unit {
            campaign: campaign.to_owned(),
            dossier,
            url,
        }
    }

    /// The address of `action` on the unit (`contrat/proposer`, `rapport`…).
    pub fn at(&self, action: &str) -> String {
        format!("{}/{action}", self.url)
    }

    /// The ARS proposes the contract from `start` to `end`, received on `received`:
    /// the unit's page then.
    pub async fn propose(
        &self,
        ars: &mut Client<'_>,
        start: &str,
        end: &str,
        received: &str,
    ) -> Page {
        let fields = [("debut", start), ("fin", end), ("reception", received)];
        step(ars, &self.at("contrat/proposer"), &fields).await
    }

    /// On `incitation-2026` (no contract): the ARS retains E1-IPP itself, then types its
    /// amounts of 2026 and 2027; the unit's page then.
    pub async fn retain_e1(
        &self,
        ars: &mut Client<'_>,
        amount_2026: &str,
        amount_2027: &str,
    ) -> Page {
        let retained = [
            ("r:E1-IPP", "on"),
            ("motif:E1-IPP", "Objectif fixé par le directeur général"),
        ];
        step(ars, &self.at("ciblage"), &retained).await;
        let values = [
            ("v:E1-IPP:2026:montant", amount_2026),
            ("v:E1-IPP:2027:montant", amount_2027),
        ];
        step(ars, &self.at("valeurs"), &values).await
    }
}

/// The kinds of the notifications of the fixture's user of `role`.
pub async fn kinds_of(t: &FixtureApp, role: Role) -> Vec<String> {
    t.store()
        .notifications_of(&t.user(role).id, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

/// The campaign whose page is `url` (`/campagnes/{id}`), as stored.
pub async fn stored_campaign(t: &FixtureApp, url: &str) -> Campaign {
    let id = url.trim_start_matches("/campagnes/");
    t.store().campaign(&id.into()).await.unwrap().unwrap()
}
