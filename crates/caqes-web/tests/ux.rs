//! Issue 10, what people do many times and read every day: bulk actions on the
//! campaign follow-up and on proposed targets, comments on an indicator line
//! answered by the établissement, the region chosen from a list and the
//! administrator's home, the dossier page (sticky score, subtotals, table of
//! contents, « en attente de l'Assurance Maladie », IV-02's class), the audit
//! log searched, sorted and read as sentences. SQLite, and PostgreSQL when
//! `CAQES_TEST_POSTGRES_URL` is set; each story on the store's `Fixture`, the
//! states, proposals and decisions it reads written by the test itself.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::http::StatusCode;
use caqes_core::referentiel::{Applicability, Source};
use caqes_core::{Finess, RegionCode};
use caqes_store::am::AmValue;
use caqes_store::dossier::engagements::{NewTargetProposal, ProposalState};
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::{Action, Actor, Role, SubmissionState};
use rust_decimal::Decimal;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// Six entities of region 76 (the établissement user's is the first), their
/// dossiers in a campaign still running, and the administrator.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entities(6)
        .admin()
        .campaign(2019)
        .running()
}

/// The indicators of the campaign's grid that the Assurance Maladie gives and
/// that concern `entity`.
async fn am_codes(t: &FixtureApp, entity: Finess) -> Vec<String> {
    let store = t.store();
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let category = store.legal_entity(&entity).await.unwrap().unwrap().category;
    grid.indicators
        .iter()
        .filter(|i| {
            i.sources.contains(&Source::AM) && i.applicability(category) == Applicability::Concerned
        })
        .map(|i| i.code.clone())
        .collect()
}

/// The Assurance Maladie's value 1/2 of `entity` for each of `codes`, imported
/// as the PHEV files are.
async fn import_am(t: &FixtureApp, entity: Finess, codes: &[String]) {
    let campaign = t.fixture.campaign.as_ref().unwrap();
    let values: Vec<AmValue> = codes
        .iter()
        .map(|code| AmValue {
            entity,
            indicator: code.clone(),
            numerator: "1".into(),
            denominator: "2".into(),
            entry: caqes_store::testing::value(entity, campaign.year, code, "1", "2", "")
                .entry()
                .unwrap(),
            motive: None,
        })
        .collect();
    let am = Actor::user(t.user(Role::AssuranceMaladie));
    let provenance = serde_json::json!({ "fichier": "OPEN_PHMEV.CSV" });
    t.store()
        .import_am_values(&am, campaign, provenance, &values)
        .await
        .unwrap();
}

/// The dossiers' states spread as the follow-up shows them: the établissement
/// user's own dossier stays a draft, the next three are in review, the last two
/// submitted; each with the Assurance Maladie's values (a validation in bulk
/// waits for them, so a refusal is for the state alone).
async fn spread_states(t: &FixtureApp) {
    let store = t.store();
    let ars = t.user(Role::Ars);
    for (n, e) in t.fixture.entities.iter().enumerate().skip(1) {
        let finess = e.entity.finess;
        let etab = t.fixture.etab(finess).unwrap();
        import_am(t, finess, &am_codes(t, finess).await).await;
        let mut steps = vec![(etab, Action::Soumettre)];
        if n <= 3 {
            steps.push((ars, Action::PrendreEnRevue));
        }
        for (who, action) in steps {
            let sub = t.submission(&finess).await;
            store
                .apply_action(who, &sub, &REGION, action, None, None)
                .await
                .unwrap();
        }
    }
}

/// The établissement's four target proposals for I-04 (2019 to 2022), the
/// ARS accepting the first: one accepted, three pending.
async fn propose_targets(t: &FixtureApp) {
    let store = t.store();
    let own = store.legal_entity(&t.own_entity()).await.unwrap().unwrap();
    let proposals: Vec<NewTargetProposal> = (2019..=2022)
        .map(|year| NewTargetProposal {
            indicator: "I-04".into(),
            year,
            raw: "85".into(),
            target: Decimal::from(85),
        })
        .collect();
    let ids = store
        .propose_targets(t.user(Role::Etablissement), &own, &proposals)
        .await
        .unwrap();
    store
        .accept_target_proposal(t.user(Role::Ars), &own, &ids[0], None)
        .await
        .unwrap();
}

/// The values of the hidden `affiche` fields of a page (the rows shown).
fn shown(body: &str) -> Vec<String> {
    body.split("name=\"affiche\" value=\"")
        .skip(1)
        .map(|r| r[..r.find('"').unwrap()].to_owned())
        .collect()
}

async fn state_of(t: &FixtureApp, finess: &str) -> SubmissionState {
    t.store()
        .submission(t.campaign_id(), &finess.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .state
}

#[tokio::test]
async fn bulk_actions_apply_each_item_and_list_the_refused() {
    on_sqlite(fixture(), story_bulk).await;
    on_postgres(fixture(), story_bulk).await;
}

async fn story_bulk(t: &FixtureApp) {
    spread_states(t).await;
    propose_targets(t).await;
    let store = t.store();
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let rows = store.submissions_of_campaign(&campaign).await.unwrap();
    let of_state = |st: SubmissionState, n: usize| -> Vec<(String, String)> {
        rows.iter()
            .filter(|r| r.submission.state == st)
            .take(n)
            .map(|r| (r.entity.finess.to_string(), r.submission.id.to_string()))
            .collect()
    };
    let in_review = of_state(SubmissionState::EnRevue, 3);
    let submitted = of_state(SubmissionState::Soumis, 2);
    assert!(
        in_review.len() >= 2 && !submitted.is_empty(),
        "the states are spread"
    );
    let follow_up = format!("/campagnes/{}", campaign.id);
    let bulk = format!("{follow_up}/actions-groupees");

    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get(&follow_up).await;
    assert!(page.body.contains("id=\"actions-groupees\""), "bulk form");
    assert!(page.body.contains("id=\"tout-selectionner\""));
    assert!(
        page.body
            .contains(&format!("name=\"dossier\" value=\"{}\"", in_review[0].0))
    );
    // Other roles see no selection and cannot post it.
    for role in [Role::Omedit, Role::AssuranceMaladie, Role::Etablissement] {
        let mut c = t.logged_in(role).await;
        let p = c.get(&follow_up).await;
        assert!(!p.body.contains("id=\"actions-groupees\""), "{role:?}");
        let p = c
            .post(
                &bulk,
                &[("action", "valider"), ("dossier", &in_review[0].0)],
            )
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{role:?}");
    }

    // Validate the dossiers in review and the submitted ones together: the first
    // are validated, the others refused with the reason, nothing else moves.
    ars.get(&follow_up).await;
    let mut fields: Vec<(&str, &str)> = vec![("action", "valider")];
    for (f, _) in in_review.iter().chain(&submitted) {
        fields.push(("dossier", f));
    }
    let started = std::time::Instant::now();
    let p = ars.post(&bulk, &fields).await;
    eprintln!(
        "validation groupée de {} dossier(s) en {:?}",
        fields.len() - 1,
        started.elapsed()
    );
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let asked = in_review.len() + submitted.len();
    assert!(
        p.body.contains(&format!(
            "<strong id=\"nombre-reussis\">{}</strong> dossier(s) validé(s) sur {asked}",
            in_review.len()
        )),
        "{}",
        p.body
    );
    assert!(p.body.contains(&format!(
        "<strong id=\"nombre-refuses\">{}</strong> refusé(s)",
        submitted.len()
    )));
    assert!(
        p.body
            .contains("impossible de « Valider » un dossier à l'état « Soumis »"),
        "{}",
        p.body
    );
    for (f, _) in &in_review {
        assert_eq!(state_of(t, f).await, SubmissionState::Valide);
    }
    for (f, _) in &submitted {
        assert_eq!(state_of(t, f).await, SubmissionState::Soumis);
    }
    // One audit line per dossier, as the single action writes it.
    let audit = store.audit_in_region(&REGION, 500).await.unwrap();
    for (_, id) in &in_review {
        let lines: Vec<_> = audit
            .iter()
            .filter(|a| a.action == "dossier.transition" && a.object_id == *id)
            .filter(|a| {
                a.after
                    .as_deref()
                    .unwrap_or_default()
                    .contains("\"valider\"")
            })
            .collect();
        assert_eq!(lines.len(), 1, "one audit line for {id}");
    }
    for (_, id) in &submitted {
        assert!(
            !audit.iter().any(|a| a.object_id == *id
                && a.after
                    .as_deref()
                    .unwrap_or_default()
                    .contains("\"valider\"")),
            "nothing written for the refused {id}"
        );
    }

    // « Tout sélectionner » of the rows shown (the submitted ones, filtered),
    // without JavaScript: the server takes every row shown.
    let page = ars.get(&format!("{follow_up}?etat=soumis")).await;
    let rows_shown = shown(&page.body);
    assert!(!rows_shown.is_empty());
    let mut fields: Vec<(&str, &str)> = vec![("action", "prendre_en_revue"), ("tout", "oui")];
    for f in &rows_shown {
        fields.push(("affiche", f));
    }
    let p = ars.post(&bulk, &fields).await;
    assert!(
        p.body.contains(&format!(
            "<strong id=\"nombre-reussis\">{0}</strong> dossier(s) pris en revue sur {0}",
            rows_shown.len()
        )),
        "{}",
        p.body
    );
    for f in &rows_shown {
        assert_eq!(state_of(t, f).await, SubmissionState::EnRevue);
    }
    // An action that is not offered in bulk, or nothing selected: refused.
    let p = ars
        .post(&bulk, &[("action", "evaluer"), ("dossier", &rows_shown[0])])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let p = ars.post(&bulk, &[("action", "valider")]).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("Aucun dossier sélectionné"));
    // Without the CSRF token, nothing happens.
    let p = ars
        .post_raw(&bulk, &[("action", "valider"), ("dossier", &rows_shown[0])])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(t, &rows_shown[0]).await, SubmissionState::EnRevue);

    // Targets: several of one dossier, then the rest of the campaign at once.
    let own = t.own_entity().to_string();
    let proposals = store.target_proposals(&t.own_entity()).await.unwrap();
    let pending: Vec<String> = proposals
        .iter()
        .filter(|p| p.state == ProposalState::Proposee)
        .map(|p| p.id.to_string())
        .collect();
    let accepted = proposals
        .iter()
        .find(|p| p.state == ProposalState::Acceptee)
        .map(|p| p.id.to_string())
        .unwrap();
    assert!(pending.len() >= 3, "proposals left pending");
    let engagements = format!("{}/engagements", t.dossier(&own));
    let page = ars.get(&engagements).await;
    assert!(page.body.contains("id=\"acceptation-groupee\""));
    assert!(page.body.contains(&format!("value=\"{}\"", pending[0])));
    let p = ars
        .post(
            &format!("{engagements}/cibles/accepter"),
            &[
                ("proposition", &pending[0]),
                ("proposition", &pending[1]),
                ("proposition", &accepted),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body
            .contains("<strong id=\"nombre-reussis\">2</strong> cible(s) acceptée(s) sur 3"),
        "{}",
        p.body
    );
    assert!(p.body.contains("déjà « Acceptée »") || p.body.contains("déjà « acceptée »"));
    let after = store.target_proposals(&t.own_entity()).await.unwrap();
    for id in &pending[..2] {
        let p = after.iter().find(|p| p.id == id.as_str()).unwrap();
        assert_eq!(p.state, ProposalState::Acceptee);
    }
    let audit = store.audit_in_region(&REGION, 50).await.unwrap();
    for id in &pending[..2] {
        assert_eq!(
            audit
                .iter()
                .filter(|a| a.action == "cibles.accepter" && a.object_id == *id)
                .count(),
            1
        );
    }
    // The établissement cannot accept its own proposals.
    let mut etab = t.logged_in(Role::Etablissement).await;
    etab.get(&engagements).await;
    let p = etab
        .post(
            &format!("{engagements}/cibles/accepter"),
            &[("proposition", &pending[2])],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The campaign's page: every pending proposal of the region, « tout sélectionner ».
    let region_page = format!("{follow_up}/cibles");
    let page = ars.get(&region_page).await;
    let all = shown(&page.body);
    assert!(all.iter().any(|k| k.ends_with(&format!(":{}", pending[2]))));
    let mut fields: Vec<(&str, &str)> = vec![("tout", "oui")];
    for k in &all {
        fields.push(("affiche", k));
    }
    let p = ars
        .post(&format!("{follow_up}/cibles/accepter"), &fields)
        .await;
    assert!(
        p.body.contains(&format!(
            "<strong id=\"nombre-reussis\">{0}</strong> cible(s) acceptée(s) sur {0}",
            all.len()
        )),
        "{}",
        p.body
    );
    let page = ars.get(&region_page).await;
    assert!(page.body.contains("id=\"aucune-proposition\""));
}

#[tokio::test]
async fn a_comment_on_an_indicator_is_answered_by_the_etablissement() {
    on_sqlite(fixture(), story_comments).await;
    on_postgres(fixture(), story_comments).await;
}

async fn story_comments(t: &FixtureApp) {
    let own = t.own_entity();
    let dossier = t.dossier(own);
    let comments = format!("{dossier}/commentaires");
    let mut omedit = t.logged_in(Role::Omedit).await;
    let page = omedit.get(&dossier).await;
    assert!(
        page.body.contains("id=\"commenter-IV-02\""),
        "a form per line"
    );
    let p = omedit
        .post(
            &comments,
            &[
                ("indicator", "IV-02"),
                ("visibility", "partage"),
                ("body", "Quelle classe ATC retenez-vous pour IV-02 ?"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(p.location.unwrap().ends_with("#indicateur-IV-02"));
    omedit
        .post(
            &comments,
            &[
                ("indicator", "IV-02"),
                ("visibility", "interne"),
                ("body", "Note interne sur IV-02"),
            ],
        )
        .await;

    // The établissement reads the shared comment on the line, not the internal one, and answers.
    let mut etab = t.logged_in(Role::Etablissement).await;
    let page = etab.get(&dossier).await;
    let line = &page.body[page.body.find("id=\"indicateur-IV-02\"").unwrap()..];
    let line = &line[..line.find("id=\"indicateur-IV-03\"").unwrap()];
    assert!(line.contains("Quelle classe ATC retenez-vous pour IV-02 ?"));
    assert!(!page.body.contains("Note interne sur IV-02"));
    assert!(
        line.contains("id=\"reponse-IV-02\""),
        "answer field on the line"
    );
    assert!(page.body.contains("id=\"fil-IV-02\""));
    // No shared comment on IV-01: no answer there, and a forged one is refused.
    assert!(!page.body.contains("id=\"reponse-IV-01\""));
    let p = etab
        .post(
            &comments,
            &[("indicator", "IV-01"), ("body", "Rien à dire")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let p = etab
        .post(
            &comments,
            &[
                ("indicator", "IV-02"),
                ("visibility", "interne"),
                ("body", "Nous retenons L04AB."),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = etab.get(&dossier).await;
    assert!(page.body.contains("Réponse envoyée"));
    let line = &page.body[page.body.find("id=\"indicateur-IV-02\"").unwrap()..];
    assert!(line[..line.find("id=\"indicateur-IV-03\"").unwrap()].contains("Nous retenons L04AB."));
    // The answer is shared (the OMEDIT reads it on the line) and the OMEDIT hears of it.
    let page = omedit.get(&dossier).await;
    assert!(page.body.contains("Nous retenons L04AB."));
    let notifications = omedit.get("/notifications").await;
    assert!(
        notifications.body.contains("a répondu à un commentaire"),
        "{}",
        notifications.body
    );
    let audit = t.store().audit_in_region(&REGION, 10).await.unwrap();
    let line = audit
        .iter()
        .find(|a| a.action == "dossier.commenter")
        .unwrap();
    let after = line.after.as_deref().unwrap();
    assert!(
        after.contains("\"reponse\":true") && after.contains("\"partage\""),
        "{after}"
    );
    // Another établissement's dossier: 404.
    let other = t.dossier(t.fixture.entities[1].entity.finess);
    etab.get(&dossier).await;
    let p = etab
        .post(
            &format!("{other}/commentaires"),
            &[("indicator", "IV-02"), ("body", "x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_region_is_chosen_from_a_list_and_the_admin_home_lists_campaigns() {
    on_sqlite(fixture(), story_admin).await;
    on_postgres(fixture(), story_admin).await;
}

async fn story_admin(t: &FixtureApp) {
    let mut admin = t.logged_in(Role::Admin).await;
    let page = admin.get("/admin/utilisateurs").await;
    assert!(
        page.body
            .contains("<select class=\"fr-select\" id=\"region\" name=\"region\">")
    );
    assert!(
        page.body
            .contains("<option value=\"53\">Bretagne (53)</option>")
    );
    assert!(
        page.body.contains("76 — Occitanie"),
        "region named in the list"
    );
    let bretagne = RegionCode::from_static("53");
    assert!(t.store().region(&bretagne).await.unwrap().is_none());
    let p = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", "omedit@bretagne.test"),
                ("name", "OMEDIT Bretagne"),
                ("role", "omedit"),
                ("region", "53"),
                ("entity", ""),
                ("password", "Un-mot-de-passe-solide-2026"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let region = t.store().region(&bretagne).await.unwrap().unwrap();
    assert_eq!(region.name, "Bretagne");
    let user = t
        .store()
        .user_by_email("omedit@bretagne.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.region, Some(bretagne));
    admin.get("/admin/utilisateurs").await;
    let p = admin
        .post(
            "/admin/utilisateurs",
            &[
                ("email", "x@exemple.test"),
                ("name", "X"),
                ("role", "ars"),
                ("region", "99"),
                ("password", "Un-mot-de-passe-solide-2026"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("choisir une région de la liste"),
        "{}",
        p.body
    );

    // The home: every region's campaigns, without their titles nor dossiers.
    let home = admin.get("/").await;
    assert!(
        home.body.contains("id=\"campagnes-admin\""),
        "{}",
        home.body
    );
    let region_76 = t.store().region(&REGION).await.unwrap().unwrap();
    assert!(
        home.body.contains(&format!("{} (76)", region_76.name)),
        "{}",
        home.body
    );
    let campaign = t.store().campaign(t.campaign_id()).await.unwrap().unwrap();
    assert!(home.body.contains(&format!("<td>{}</td>", campaign.year)));
    assert!(!home.body.contains(&campaign.title));
    // Its own account is not offered for deactivation.
    let page = admin.get("/admin/utilisateurs").await;
    assert!(
        page.body
            .contains("Votre propre compte ne peut pas être désactivé ici.")
    );
}

#[tokio::test]
async fn the_dossier_page_has_its_sticky_score_parts_and_class() {
    on_sqlite(fixture(), story_dossier).await;
    on_postgres(fixture(), story_dossier).await;
}

async fn story_dossier(t: &FixtureApp) {
    let store = t.store();
    let own = t.own_entity();
    // One of the Assurance Maladie's values given, the others awaited.
    import_am(t, own, &am_codes(t, own).await[..1]).await;
    let dossier = t.dossier(own);
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let grid = store.campaign_referentiel(&campaign).await.unwrap();
    let mut etab = t.logged_in(Role::Etablissement).await;
    let page = etab.get(&dossier).await;
    assert!(page.body.contains("id=\"score-direct\""));
    assert!(page.body.contains("position:sticky;top:0"));
    assert!(page.body.contains("(valeurs enregistrées)"));
    // A table of contents with each part's link and subtotal, the same subtotal on the part.
    assert!(page.body.contains("id=\"sommaire\""));
    for part in &grid.parts {
        assert!(
            page.body
                .contains(&format!("href=\"#partie-{}\"", part.number)),
            "{}",
            part.number
        );
        assert!(
            page.body
                .contains(&format!("<h3 id=\"partie-{}\">", part.number))
        );
        assert!(
            page.body
                .contains(&format!("data-partie=\"{}\">", part.number))
        );
    }
    assert!(page.body.contains(" points</span>"));
    // The live preview sends the subtotals too.
    let p = etab.post(&format!("{dossier}/apercu"), &[]).await;
    assert_eq!(p.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&p.body).unwrap();
    assert_eq!(
        json["parts"].as_object().unwrap().len(),
        grid.parts.len(),
        "{json}"
    );

    // « En attente de l'Assurance Maladie » exactly where an AM value is missing.
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let values = store.values_for_entity(&own, campaign.year).await.unwrap();
    let mut pending = 0;
    for ind in &grid.indicators {
        if !ind.sources.contains(&Source::AM)
            || ind.applicability(entity.category) != Applicability::Concerned
        {
            continue;
        }
        let has = values.iter().any(|v| v.indicator == ind.code);
        let marked = page
            .body
            .contains(&format!("id=\"attente-am-{}\"", ind.code));
        assert_eq!(marked, !has, "{}", ind.code);
        pending += usize::from(!has);
    }
    assert!(page.body.contains("en attente de l'Assurance Maladie") == (pending > 0));

    // IV-02's class: a field, checked as an ATC code, stored and shown.
    assert!(
        page.body.contains("name=\"classe:IV-02\""),
        "IV-02 class field"
    );
    assert!(page.body.contains("name=\"classe:IV-03\""));
    let p = etab
        .post(
            &format!("{dossier}/valeurs"),
            &[("classe:IV-02", "antibiotiques")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("n'est pas un code ATC"), "{}", p.body);
    assert!(
        store
            .chosen_classes(&own, campaign.year)
            .await
            .unwrap()
            .is_empty()
    );
    // The form sends every field: here the stored ones again, with the class.
    let page = etab.get(&dossier).await;
    let mut fields: Vec<(String, String)> = Vec::new();
    for chunk in page
        .body
        .split("<input class=\"fr-input\" type=\"text\"")
        .skip(1)
    {
        let name = chunk
            .split("name=\"")
            .nth(1)
            .map(|r| r[..r.find('"').unwrap()].to_owned());
        let value = chunk
            .split("value=\"")
            .nth(1)
            .map(|r| r[..r.find('"').unwrap()].to_owned());
        if let (Some(n), Some(v)) = (name, value)
            && (n.starts_with("n:")
                || n.starts_with("d:")
                || n.starts_with("v:")
                || n.starts_with("m:"))
        {
            fields.push((n, v.replace("&#x2F;", "/")));
        }
    }
    fields.push(("classe:IV-02".into(), "l04ab".into()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = etab.post(&format!("{dossier}/valeurs"), &borrowed).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let classes = store.chosen_classes(&own, campaign.year).await.unwrap();
    assert_eq!(classes.get("IV-02").map(String::as_str), Some("L04AB"));
    let page = etab.get(&dossier).await;
    assert!(page.body.contains("name=\"classe:IV-02\" value=\"L04AB\""));
    let audit = store.audit_in_region(&REGION, 5).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "classe.choisir"));
    // The ARS reads it.
    let mut ars = t.logged_in(Role::Ars).await;
    let page = ars.get(&dossier).await;
    assert!(page.body.contains("<strong>L04AB</strong>"));
    let in_region = store
        .chosen_classes_in_region(&REGION, campaign.year, "IV-02")
        .await
        .unwrap();
    assert_eq!(in_region.get(&own).map(String::as_str), Some("L04AB"));
}

#[tokio::test]
async fn the_audit_log_reads_as_sentences_searched_and_sorted() {
    on_sqlite(fixture().evaluated(Decimal::from(80)), story_audit).await;
    on_postgres(fixture().evaluated(Decimal::from(80)), story_audit).await;
}

async fn story_audit(t: &FixtureApp) {
    let mut ars = t.logged_in(Role::Ars).await;
    // Timed for the record (debug build, no assertion): the page reads the whole
    // filter window (≤ 10 000 lines) to search and sort it.
    let started = std::time::Instant::now();
    let page = ars.get("/audit").await;
    let lines = t
        .store()
        .audit_in_region(&REGION, 100_000)
        .await
        .unwrap()
        .len();
    eprintln!(
        "journal : {lines} écritures de la région, GET /audit en {:?}",
        started.elapsed()
    );
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"liste-q\""), "search box");
    assert!(page.body.contains("aria-sort") || page.body.contains("(trier)"));
    assert!(
        page.body.contains("class=\"audit-phrase\">Le "),
        "sentences"
    );
    // Search: only the lines whose text holds the words (accents ignored);
    // the dossier is named by its entity.
    let found = ars.get("/audit?q=a%20valide%20le%20dossier").await;
    assert!(
        found.body.contains("a validé le dossier de l'entité"),
        "{}",
        found.body
    );
    let table = &found.body[found.body.find("id=\"journal\"").unwrap()..];
    let tbody = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    let rows: Vec<&str> = tbody.split("<tr>").skip(1).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains("a validé le dossier")));
    // Sort by author, ascending then descending.
    let sorted = ars.get("/audit?tri=auteur").await;
    assert!(sorted.body.contains("aria-sort=\"ascending\""));
    let authors = |body: &str| -> Vec<String> {
        let table = &body[body.find("id=\"journal\"").unwrap()..];
        let tbody = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
        tbody
            .split("<tr>")
            .skip(1)
            .map(|r| {
                let cells: Vec<&str> = r.split("<td>").collect();
                cells[2][..cells[2].find("</td>").unwrap()].to_lowercase()
            })
            .collect()
    };
    let up = authors(&sorted.body);
    let mut expected = up.clone();
    expected.sort();
    assert_eq!(up, expected);
    let down = ars.get("/audit?tri=auteur&ordre=desc").await;
    assert!(down.body.contains("aria-sort=\"descending\""));
    // The filters stay in the search's hidden fields and the export keeps the search.
    let filtered = ars.get("/audit?objet=dossier&q=valide").await;
    assert!(filtered.body.contains("name=\"objet\" value=\"dossier\""));
    assert!(filtered.body.contains("format=csv"));
}
