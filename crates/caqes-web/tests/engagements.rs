//! Engagements through the router (no port bound): targets proposed by the
//! établissement and accepted by the ARS change the score the dossier shows,
//! invalid targets are refused in French, the action plan and its counts,
//! evidence documents (byte-exact round trip, headers, size and type limits,
//! deletion only while the dossier is being written), and authorization:
//! another entity → 404 on every route, wrong role → 403, no CSRF → 403.
//! SQLite, and PostgreSQL when `CAQES_TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caqes_core::Finess;
use caqes_core::referentiel::{Applicability, Direction, builtin_by_id};
use caqes_store::dossier::engagements::{ActionInput, ActionStatus, NewDocument, ProposalState};
use caqes_store::testing::{Fixture, FixtureBuilder, REFERENTIEL, REGION};
use caqes_store::{
    Action, Actor, CampaignId, Motives, NewCampaign, Role, ScoreRecord, Store, StoredValue,
};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use tower::ServiceExt;

mod common;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};
use common::{Client, Page, password};

const BOUNDARY: &str = "----caqes-test-boundary";

fn multipart_body(csrf: Option<&str>, file_name: &str, content: &[u8], indicator: &str) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(token) = csrf {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"indicateur\"\r\n\r\n{indicator}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(c: &mut Client<'_>, url: &str, body: Vec<u8>) -> Page {
    let req = Request::post(url)
        .header(header::COOKIE, c.cookie_header())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    c.send(req).await
}

/// A GET keeping the raw bytes and headers (downloads).
async fn download(c: &Client<'_>, url: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::get(url)
        .header(header::COOKIE, c.cookie_header())
        .body(Body::empty())
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

/// The live score shown on the dossier page.
fn score_of(page: &Page) -> Decimal {
    let i = page.body.find("id=\"score\"").unwrap();
    let rest = &page.body[i..];
    let start = rest.find("<strong>").unwrap() + 8;
    let end = rest[start..].find("</strong>").unwrap();
    rest[start..start + end].replace(',', ".").parse().unwrap()
}

async fn proposals_of(
    store: &Store,
    entity: &Finess,
) -> Vec<caqes_store::dossier::engagements::TargetProposal> {
    store.target_proposals(entity).await.unwrap()
}

/// The établissement user's CHU on two sites and a clinic, their dossiers in
/// the campaign 2019.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 2)
        .entity("Clinique du Parc")
        .campaign(2019)
}

/// The numeric proportions, higher is better, that concern `category`: the
/// indicators whose accepted target can change the score.
fn target_candidates(category: caqes_core::Category) -> Vec<String> {
    builtin_by_id(REFERENTIEL)
        .unwrap()
        .indicators
        .iter()
        .filter(|i| {
            i.is_numeric()
                && i.direction == Direction::HigherIsBetter
                && i.kind == caqes_core::referentiel::Kind::Proportion
                && i.applicability(category) == Applicability::Concerned
        })
        .map(|i| i.code.clone())
        .collect()
}

/// What the story finds in the CHU's engagements, as the demo seeds them: a plan
/// of three actions, one done, and one document in its dossier of 2019; its
/// values of 2019 (50 % on each site for every target candidate, imported by the
/// ARS), so that an accepted target changes its score; and its dossier of a
/// campaign 2018, evaluated, whose id is returned.
async fn seed_engagements(t: &FixtureApp) -> CampaignId {
    let store = t.store();
    let own = t.own_entity();
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let etab = t.user(Role::Etablissement);
    let ars = t.user(Role::Ars);
    let campaign = store.campaign(t.campaign_id()).await.unwrap().unwrap();
    let candidates = target_candidates(entity.category);
    let sites = store.sites_of(&own).await.unwrap();
    let values: Vec<StoredValue> = candidates
        .iter()
        .flat_map(|code| {
            sites
                .iter()
                .map(|s| caqes_store::testing::value(s.finess, 2019, code, "50", "100", ""))
        })
        .collect();
    store
        .import_yearly_with_motives(
            &Actor::user(ars),
            &campaign,
            "valeurs.csv",
            &values,
            &Motives::new(),
            &[],
        )
        .await
        .unwrap();
    for (action, status) in [
        (
            "Informatiser le circuit du médicament",
            ActionStatus::Realisee,
        ),
        ("Former les prescripteurs en DCI", ActionStatus::EnCours),
        ("Auditer la traçabilité des DMI", ActionStatus::AFaire),
    ] {
        let input = ActionInput {
            action: action.into(),
            serves: "Circuit du médicament".into(),
            pilot: "Pharmacien chef de service".into(),
            due_on: Some("2026-12-31".parse().unwrap()),
            status,
            progress_comment: None,
        };
        store.add_action_item(etab, &entity, &input).await.unwrap();
    }
    let sub = t.submission(&own).await;
    let document = NewDocument {
        file_name: "rapport-etape-comedims.pdf",
        indicator: candidates.first().cloned(),
        content: b"%PDF-1.4\n%%EOF\n",
    };
    store
        .add_document(etab, &entity, &sub, document)
        .await
        .unwrap()
        .unwrap();

    let previous = store
        .create_campaign(
            &Actor::user(ars),
            &NewCampaign {
                region: REGION,
                year: 2018,
                referentiel_id: REFERENTIEL.into(),
                title: "Campagne 2018".into(),
                submission_deadline: "2019-03-31".parse().unwrap(),
                evaluation_deadline: "2019-06-30".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    for action in [
        Action::Soumettre,
        Action::PrendreEnRevue,
        Action::Valider,
        Action::Evaluer,
    ] {
        let sub = store.submission(&previous.id, &own).await.unwrap().unwrap();
        let who = if action.role() == Role::Etablissement {
            etab
        } else {
            ars
        };
        let score = (action == Action::Evaluer).then_some(ScoreRecord {
            score: Decimal::from(50),
            bonus: Decimal::ZERO,
            total: Decimal::from(50),
        });
        store
            .apply_action(who, &sub, &REGION, action, None, score)
            .await
            .unwrap();
    }
    previous.id
}

async fn story(t: &FixtureApp) {
    let previous_campaign = seed_engagements(t).await;
    let [own, other] = t.fixture.finess().unwrap();
    let other_email = t.fixture.etab(other).unwrap().email.clone();
    let store = t.store();
    let year = 2019i16;
    let dossier = t.dossier(own);
    let url = format!("{dossier}/engagements");
    let other_url = format!("{}/engagements", t.dossier(other));
    let mut etab = t.logged_in(Role::Etablissement).await;
    let mut ars = t.logged_in(Role::Ars).await;
    let mut omedit = t.logged_in(Role::Omedit).await;
    let mut other_etab = t.login(&other_email, &password(Role::Etablissement)).await;

    // Linked from the dossier page and the home page.
    let page = etab.get(&dossier).await;
    assert!(
        page.body.contains("id=\"lien-engagements\""),
        "{}",
        page.body
    );
    assert!(etab.get("/").await.body.contains("/engagements\""));
    assert!(ars.get("/").await.body.contains("/cibles\""));
    let page = etab.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // As the demo seeds it: a plan with one action done out of three, one document.
    assert!(
        page.body
            .contains("<strong>1</strong> sur <strong>3</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("rapport-etape-comedims.pdf"));
    assert!(page.body.contains("id=\"formulaire-cibles\""));
    assert!(!page.body.contains("id=\"accepter-"));

    // Targets: accepted targets are the ones the score reads.
    let entity = store.legal_entity(&own).await.unwrap().unwrap();
    let candidates = target_candidates(entity.category);
    assert!(!candidates.is_empty());
    let mut changed = false;
    for code in &candidates {
        let field = format!("cible:{code}:{year}");
        let mut scores = Vec::new();
        for target in ["0", "100"] {
            let before = store.targets_for(&own, year).await.unwrap();
            let p = etab
                .post(&format!("{url}/cibles"), &[(&field, target)])
                .await;
            assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
            // Proposed only: the scoring table is untouched.
            assert_eq!(store.targets_for(&own, year).await.unwrap(), before);
            let pending = proposals_of(store, &own).await;
            let mine = pending
                .iter()
                .find(|p| {
                    p.indicator == *code
                        && p.year == year
                        && p.state == ProposalState::Proposee
                        && p.raw == target
                })
                .unwrap();
            // The ARS sees it in the region list and on the page, then accepts it.
            assert!(
                ars.get(&format!("/campagnes/{}/cibles", t.campaign_id()))
                    .await
                    .body
                    .contains(code.as_str())
            );
            let page = ars.get(&url).await;
            assert!(page.body.contains(&format!("id=\"accepter-{}\"", mine.id)));
            let p = ars
                .post(&format!("{url}/cibles/{}/accepter", mine.id), &[])
                .await;
            assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
            let after = store.targets_for(&own, year).await.unwrap();
            assert_eq!(after.get(code), Some(&target.parse::<Decimal>().unwrap()));
            // Accepting twice is refused (the proposal is no longer pending).
            let again = ars
                .post(&format!("{url}/cibles/{}/accepter", mine.id), &[])
                .await;
            assert_eq!(again.status, StatusCode::CONFLICT);
            // Audited with before → after.
            assert!(store.audit_count_for(mine.id.as_str()).await.unwrap() >= 1);
            scores.push(score_of(&etab.get(&dossier).await));
        }
        if scores[0] != scores[1] {
            assert!(scores[0] > scores[1], "{code}: {scores:?}");
            changed = true;
            break;
        }
    }
    assert!(changed, "aucune cible acceptée n'a changé le score");

    // Invalid targets: French message naming the field, nothing written.
    let code = &candidates[0];
    let count = proposals_of(store, &own).await.len();
    let p = etab
        .post(
            &format!("{url}/cibles"),
            &[(&format!("cible:{code}:{year}"), "douze")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains(&format!(
            "cible {code} pour {year} : « douze » n'est pas un nombre"
        )),
        "{}",
        p.body
    );
    let p = etab
        .post(
            &format!("{url}/cibles"),
            &[
                (&format!("cible:{code}:2020"), "150"),
                (&format!("cible:{code}:2021"), "80"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("hors des bornes"), "{}", p.body);
    let p = etab.post(&format!("{url}/cibles"), &[]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(proposals_of(store, &own).await.len(), count);

    // Returned for revision: the comment is required; history is kept.
    let p = etab
        .post(
            &format!("{url}/cibles"),
            &[(&format!("cible:{code}:2021"), "97,5")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let id = proposals_of(store, &own)
        .await
        .into_iter()
        .find(|p| p.raw == "97,5")
        .unwrap()
        .id;
    let p = ars
        .post(
            &format!("{url}/cibles/{id}/renvoyer"),
            &[("commentaire", "  ")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("commentaire est obligatoire"), "{}", p.body);
    let targets_before = store.targets_for(&own, 2021).await.unwrap();
    let p = ars
        .post(
            &format!("{url}/cibles/{id}/renvoyer"),
            &[("commentaire", "Trop ambitieux au regard de 2018")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(store.targets_for(&own, 2021).await.unwrap(), targets_before);
    let page = etab.get(&url).await;
    assert!(page.body.contains("Trop ambitieux au regard de 2018"));
    assert!(page.body.contains("À revoir"));
    assert_eq!(proposals_of(store, &own).await.len(), count + 1);

    // Roles: the ARS does not propose, the établissement does not accept.
    let p = ars
        .post(
            &format!("{url}/cibles"),
            &[(&format!("cible:{code}:{year}"), "50")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    etab.post(
        &format!("{url}/cibles"),
        &[(&format!("cible:{code}:{year}"), "55")],
    )
    .await;
    let pending = proposals_of(store, &own)
        .await
        .into_iter()
        .find(|p| p.raw == "55")
        .unwrap()
        .id;
    let p = etab
        .post(&format!("{url}/cibles/{pending}/accepter"), &[])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = omedit
        .post(&format!("{url}/cibles/{pending}/accepter"), &[])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // No CSRF token: refused, nothing accepted.
    let p = ars
        .post_raw(&format!("{url}/cibles/{pending}/accepter"), &[])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(
        proposals_of(store, &own)
            .await
            .iter()
            .any(|p| p.id == pending && p.state == ProposalState::Proposee)
    );

    // Action plan: counts done / planned (abandoned actions count for neither).
    let fields = |statut: &'static str| {
        vec![
            ("action", "Sécuriser l'armoire à pharmacie"),
            ("sert", "Sécurisation"),
            ("pilote", "Cadre de santé"),
            ("echeance", "2026-12-01"),
            ("statut", statut),
            ("avancement", ""),
        ]
    };
    let p = etab
        .post(&format!("{url}/actions"), &fields("realisee"))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = etab.get(&url).await;
    assert!(
        page.body
            .contains("<strong>2</strong> sur <strong>4</strong>"),
        "{}",
        page.body
    );
    let items = store.action_items(&own).await.unwrap();
    let last = items.last().unwrap().id.clone();
    let p = etab
        .post(&format!("{url}/actions/{last}"), &fields("abandonnee"))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(
        etab.get(&url)
            .await
            .body
            .contains("<strong>1</strong> sur <strong>3</strong>")
    );
    let mut missing = fields("a_faire");
    missing[2].1 = " ";
    let p = etab.post(&format!("{url}/actions"), &missing).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("« Pilote » est obligatoire"), "{}", p.body);
    let mut bad_date = fields("a_faire");
    bad_date[3].1 = "31/12/2026";
    let p = etab.post(&format!("{url}/actions"), &bad_date).await;
    assert!(p.body.contains("« Échéance »"), "{}", p.body);
    assert_eq!(store.action_items(&own).await.unwrap().len(), items.len());
    // Readable by the region, writable only by the établissement.
    assert!(
        omedit
            .get(&url)
            .await
            .body
            .contains("Sécuriser l'armoire à pharmacie")
    );
    let p = ars
        .post(&format!("{url}/actions"), &fields("a_faire"))
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // Documents: byte-exact round trip with safe headers.
    let mut content = b"%PDF-1.7\n".to_vec();
    content.extend((0u32..50_000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    etab.get(&url).await;
    let csrf = etab.csrf.clone();
    let p = upload(
        &mut etab,
        &format!("{url}/documents"),
        multipart_body(Some(&csrf), "Bilan 2019 été (v2).pdf", &content, code),
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let sub = t.submission(&own).await;
    let doc = store
        .documents(&sub.id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.file_name.starts_with("Bilan"))
        .unwrap();
    assert_eq!(doc.size, content.len() as i64);
    assert_eq!(doc.indicator.as_deref(), Some(code.as_str()));
    let doc_url = format!("{url}/documents/{}", doc.id);
    for c in [&etab, &ars, &omedit] {
        let (status, headers, bytes) = download(c, &doc_url).await;
        assert_eq!(status, StatusCode::OK);
        assert!(bytes == content, "contenu différent");
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"Bilan_2019__t___v2_.pdf\""),
            "{disposition}"
        );
        assert!(
            disposition.contains("filename*=UTF-8''Bilan%202019%20%C3%A9t%C3%A9%20%28v2%29.pdf"),
            "{disposition}"
        );
    }
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&content))
    };
    assert_eq!(doc.sha256, sha);

    // Oversize: refused with a French message, nothing written.
    let count = store.documents(&sub.id).await.unwrap().len();
    let mut big = b"%PDF-".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'a');
    let p = upload(
        &mut etab,
        &format!("{url}/documents"),
        multipart_body(Some(&csrf), "gros.pdf", &big, ""),
    )
    .await;
    assert_eq!(
        p.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        &p.body[..p.body.len().min(500)]
    );
    assert!(p.body.contains("limite de 10 Mo"), "{}", p.body);
    big.resize(12 * 1024 * 1024, b'a');
    let p = upload(
        &mut etab,
        &format!("{url}/documents"),
        multipart_body(Some(&csrf), "enorme.pdf", &big, ""),
    )
    .await;
    // Over the route's body limit (10 Mo + 256 Kio, issue 14.3) the session
    // layer refuses the body on its Content-Length, before reading it: 413.
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(p.body.contains("limite de 10 Mo"), "{}", p.body);
    // Wrong type, or content not matching the extension.
    let p = upload(
        &mut etab,
        &format!("{url}/documents"),
        multipart_body(Some(&csrf), "outil.exe", b"MZ\x90\x00", ""),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("« outil.exe » n'est pas d'un type accepté"),
        "{}",
        p.body
    );
    let p = upload(
        &mut etab,
        &format!("{url}/documents"),
        multipart_body(Some(&csrf), "faux.pdf", b"MZ\x90\x00", ""),
    )
    .await;
    assert!(
        p.body.contains("ne correspond pas à son extension"),
        "{}",
        p.body
    );
    // No CSRF field, or a wrong one: refused.
    let p = upload(
        &mut etab,
        &format!("{url}/documents"),
        multipart_body(None, "a.csv", b"a;b\n", ""),
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = upload(
        &mut etab,
        &format!("{url}/documents"),
        multipart_body(Some("faux"), "a.csv", b"a;b\n", ""),
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // Regional roles do not upload.
    ars.get(&url).await;
    let ars_csrf = ars.csrf.clone();
    let p = upload(
        &mut ars,
        &format!("{url}/documents"),
        multipart_body(Some(&ars_csrf), "a.csv", b"a;b\n", ""),
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(store.documents(&sub.id).await.unwrap().len(), count);

    // Another entity's document, asked through our own dossier: 404.
    let other_entity = store.legal_entity(&other).await.unwrap().unwrap();
    let other_user = store.user_by_email(&other_email).await.unwrap().unwrap();
    let other_sub = t.submission(&other).await;
    let foreign = store
        .add_document(
            &other_user,
            &other_entity,
            &other_sub,
            NewDocument {
                file_name: "autre.csv",
                indicator: None,
                content: b"x;y\n",
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        download(&etab, &format!("{url}/documents/{}", foreign.id))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(&ars, &format!("{url}/documents/{}", foreign.id))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let p = etab
        .post(&format!("{url}/documents/{}/supprimer", foreign.id), &[])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(store.documents(&other_sub.id).await.unwrap().len(), 1);

    // Every route of another entity's dossier: 404 for our établissement user.
    let any_id = &doc.id;
    for path in [
        "".to_owned(),
        format!("/documents/{}", foreign.id),
        format!("/documents/{any_id}"),
    ] {
        assert_eq!(
            etab.get(&format!("{other_url}{path}")).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    etab.get(&url).await;
    for path in [
        "/cibles".to_owned(),
        format!("/cibles/{pending}/accepter"),
        format!("/cibles/{pending}/renvoyer"),
        "/actions".to_owned(),
        format!("/actions/{last}"),
        format!("/documents/{}/supprimer", foreign.id),
    ] {
        let p = etab
            .post(
                &format!("{other_url}{path}"),
                &[
                    (&format!("cible:{code}:{year}"), "10"),
                    ("commentaire", "x"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
    }
    let p = upload(
        &mut etab,
        &format!("{other_url}/documents"),
        multipart_body(Some(&csrf), "a.csv", b"a;b\n", ""),
    )
    .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    // And the other établissement sees nothing of ours.
    assert_eq!(other_etab.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        download(&other_etab, &doc_url).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other_etab
            .get(&format!("/campagnes/{}/cibles", t.campaign_id()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Deletion: by the établissement while the dossier is a draft…
    let p = omedit
        .post(&format!("{url}/documents/{}/supprimer", doc.id), &[])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = etab
        .post(&format!("{url}/documents/{}/supprimer", doc.id), &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(download(&etab, &doc_url).await.0, StatusCode::NOT_FOUND);
    // …not once it is submitted (the previous campaign's dossier is evaluated).
    let previous = store
        .submission(&previous_campaign, &own)
        .await
        .unwrap()
        .unwrap();
    let etab_user = store
        .user_by_email(&t.email(Role::Etablissement))
        .await
        .unwrap()
        .unwrap();
    // Since issue 14.8 nothing is added to an evaluated dossier (store and
    // web); the document whose deletion is tried is one stored before that
    // rule, written directly.
    let refused = store
        .add_document(
            &etab_user,
            &entity,
            &previous,
            NewDocument {
                file_name: "preuve.csv",
                indicator: None,
                content: b"a;b\n",
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, caqes_store::StoreError::Workflow(_)),
        "{refused}"
    );
    let prev_url = format!(
        "/campagnes/{}/dossiers/{own}/engagements",
        previous_campaign
    );
    let page = etab.get(&prev_url).await;
    assert!(
        !page.body.contains("formulaire-piece"),
        "no upload form once evaluated"
    );
    let token = etab.csrf.clone();
    let p = upload(
        &mut etab,
        &format!("{prev_url}/documents"),
        multipart_body(Some(&token), "tardif.pdf", b"%PDF-1.7", ""),
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(p.body.contains("Évalué"), "{}", p.body);
    assert!(store.documents(&previous.id).await.unwrap().is_empty());
    use sha2::Digest;
    let kept_id = "0123456789abcdef0123456789abcdef";
    let content = b"a;b\n";
    sqlx::query(
        "INSERT INTO evidence_documents (id, submission, file_name, content_type, size, sha256, indicator, content_base64, uploaded_by, uploaded_at) \
         VALUES ($1, $2, 'preuve.csv', 'text/csv; charset=utf-8', 4, $3, NULL, $4, $5, '2025-01-01T00:00:00.000000Z')",
    )
    .bind(kept_id)
    .bind(previous.id.clone())
    .bind(hex::encode(sha2::Sha256::digest(content)))
    .bind(caqes_store::dossier::engagements::base64_encode(content))
    .bind(etab_user.id.clone())
    .execute(store.pool())
    .await
    .unwrap();
    etab.get(&prev_url).await;
    let p = etab
        .post(&format!("{prev_url}/documents/{kept_id}/supprimer"), &[])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert_eq!(store.documents(&previous.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn engagements_on_sqlite() {
    on_sqlite(fixture(), story).await;
}

#[tokio::test]
async fn engagements_on_postgres() {
    on_postgres(fixture(), story).await;
}
