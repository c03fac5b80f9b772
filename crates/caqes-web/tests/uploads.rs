//! Files as people have them (issue 10): the import pages take a file next to
//! the paste option, streamed to the service's private data directory rather
//! than read whole in memory; the FINESS extract can leave out the entities
//! without a CAQES category (listed, not dropped silently); an entity
//! imported during a running campaign is given its dossier in it.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on an unexpected error"
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use caqes_store::testing::{Fixture, FixtureBuilder, REGION};
use caqes_store::{Role, SubmissionState};
use caqes_web::{AppState, Config, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod common;
use common::Client;
use common::fixture::{FixtureApp, on_postgres, on_sqlite};

/// The établissement user's entity on two sites and a clinic, their dossiers in
/// the running campaign 2019; no entity of the FINESS extract.
fn fixture() -> FixtureBuilder {
    Fixture::builder()
        .entity_with_sites("Centre hospitalier universitaire de Tolosa", 2)
        .entity("Clinique du Parc")
        .campaign(2019)
}

/// The fixture's application with its own data directory (the uploads of
/// other tests of this file are not in it).
fn app_with_data_dir(t: &FixtureApp, data_dir: &Path) -> axum::Router {
    router::app(AppState {
        store: t.store().clone(),
        config: Config {
            data_dir: data_dir.to_path_buf(),
            ..Config::default()
        },
    })
}

const ESTABLISHMENTS: &str = "/imports/etablissements";
/// A slice of the real FINESS extract (see `caqes-data/tests/finess.rs`):
/// the CHU de Nîmes (4 sites), a clinic, three entities without a CAQES
/// category and one line of another region.
const FIXTURE: &[u8] = include_bytes!("../../caqes-data/test_data/finess/extrait_occitanie.csv");
const BOUNDARY: &str = "----caqes-envoi-3f9a";

/// The value of the hidden field `name` of a page.
fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("type=\"hidden\" name=\"{name}\" value=\"");
    let i = body.find(&marker)? + marker.len();
    Some(body[i..i + body[i..].find('"')?].to_owned())
}

/// The FINESS extract with its option, previewed then confirmed with the
/// deposit's token; then the new entity's dossier in the running campaign.
async fn finess_file_then_dossier(t: &FixtureApp) {
    let mut ars = t.logged_in(Role::Ars).await;
    let form = ars.get(ESTABLISHMENTS).await;
    assert!(
        form.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        form.body
    );
    assert!(form.body.contains("type=\"file\""));
    assert!(form.body.contains("name=\"contenu_fichier\""));
    assert!(form.body.contains("<textarea"), "the paste option stays");
    assert!(
        form.body
            .contains("Ignorer les lignes sans catégorie CAQES")
    );
    assert!(form.body.contains("id=\"progression-envoi\""));

    // Without the option, the three entities without a category are refused, each named.
    let file = [("contenu_fichier", "extrait_occitanie.csv", FIXTURE)];
    let p = ars
        .post_multipart(&format!("{ESTABLISHMENTS}/apercu"), true, &[], &file)
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("3 erreur(s)"), "{}", p.body);
    for entity in ["640797395", "090003278", "090002338"] {
        assert!(
            p.body
                .contains(&format!("pour l'entité juridique {entity}")),
            "{entity}"
        );
    }
    assert!(
        p.body.contains("126 « Etablissement Thermal »"),
        "{}",
        p.body
    );

    // With it: skipped, counted and listed; the file's text is not echoed, its deposit is.
    let p = ars
        .post_multipart(
            &format!("{ESTABLISHMENTS}/apercu"),
            true,
            &[("ignorer_sans_categorie", "1")],
            &file,
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body.contains(
            "2 entité(s) juridique(s) lue(s) (extrait FINESS) : 2 à créer, 0 à mettre à jour, 0 inchangée(s) ; 5 site(s) à ajouter."
        ),
        "{}",
        p.body
    );
    assert!(p.body.contains("1 ligne(s) d'autres régions ignorée(s)."));
    assert!(p.body.contains(
        "3 ligne(s) sans catégorie CAQES ignorée(s) (3 entité(s) juridique(s)), listées ci-dessous."
    ));
    assert!(p.body.contains("id=\"lignes-ignorees\""));
    for line in [
        "<td>6</td><td>090781766</td><td>640797395</td><td>EUROTHERMES</td><td>126 « Etablissement Thermal »</td>",
        "<td>7</td><td>090003286</td><td>090003278</td>",
        "<td>8</td><td>090002379</td><td>090002338</td>",
    ] {
        assert!(p.body.contains(line), "{line} : {}", p.body);
    }
    assert!(
        !p.body.contains("name=\"contenu\" value="),
        "no echo of the file"
    );
    let token = hidden(&p.body, "jeton").unwrap();
    assert_eq!(
        hidden(&p.body, "ignorer_sans_categorie").as_deref(),
        Some("1")
    );
    assert_eq!(
        t.store()
            .legal_entity(&"300780038".parse().unwrap())
            .await
            .unwrap(),
        None
    );

    let p = ars
        .post(
            &format!("{ESTABLISHMENTS}/confirmer"),
            &[("jeton", &token), ("ignorer_sans_categorie", "1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(
        p.location.as_deref(),
        Some("/imports/etablissements?crees=2&modifies=0")
    );
    let chu = t
        .store()
        .legal_entity(&"300780038".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(chu.name, "CHU NIMES CAREMEAU");
    assert_eq!(
        t.store()
            .sites_of(&"300780038".parse().unwrap())
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        t.store()
            .legal_entity(&"640797395".parse().unwrap())
            .await
            .unwrap(),
        None
    );
    // The deposit went with the confirmation.
    let p = ars
        .post(
            &format!("{ESTABLISHMENTS}/confirmer"),
            &[("jeton", &token), ("ignorer_sans_categorie", "1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("ce dépôt n'existe plus"), "{}", p.body);

    // The running campaign was created before the import: the ARS sees the
    // CHU without a dossier there and opens it.
    let campaign = format!("/campagnes/{}", t.campaign_id());
    let page = ars.get(&campaign).await;
    assert!(page.body.contains("id=\"sans-dossier\""), "{}", page.body);
    assert!(page.body.contains("id=\"ouvrir-dossier-300780038\""));
    assert_eq!(
        t.store()
            .submission(t.campaign_id(), &"300780038".parse().unwrap())
            .await
            .unwrap(),
        None
    );
    // Nobody else opens dossiers: the établissement, the AM.
    for role in [Role::Etablissement, Role::AssuranceMaladie] {
        let mut other = t.logged_in(role).await;
        let p = other
            .post(&format!("{campaign}/dossiers"), &[("finess", "300780038")])
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{role:?}");
    }
    ars.get(&campaign).await;
    let p = ars
        .post(&format!("{campaign}/dossiers"), &[("finess", "300780038")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let dossier = format!("{campaign}/dossiers/300780038");
    assert_eq!(p.location.as_deref(), Some(dossier.as_str()));
    let page = ars.get(&dossier).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Dossier ouvert dans la campagne"),
        "{}",
        page.body
    );
    let sub = t
        .store()
        .submission(t.campaign_id(), &"300780038".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.state, SubmissionState::Brouillon);
    let audit = t.store().audit_in_region(&REGION, 3).await.unwrap();
    assert_eq!(audit[0].action, "dossier.ouvrir");
    // Once: the campaign page no longer offers it, a second request is refused in French.
    let page = ars.get(&campaign).await;
    assert!(!page.body.contains("id=\"ouvrir-dossier-300780038\""));
    let p = ars
        .post(&format!("{campaign}/dossiers"), &[("finess", "300780038")])
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    assert!(
        p.body
            .contains("l'entité juridique 300780038 a déjà un dossier dans cette campagne"),
        "{}",
        p.body
    );
}

#[tokio::test]
async fn finess_file_then_dossier_on_sqlite() {
    on_sqlite(fixture(), finess_file_then_dossier).await;
}

#[tokio::test]
async fn finess_file_then_dossier_on_postgres() {
    on_postgres(fixture(), finess_file_then_dossier).await;
}

/// An extract of `lines` lines of another region around one Occitanie
/// clinic: several megabytes that the preview reads whole.
fn big_extract(lines: usize) -> Vec<u8> {
    let text = String::from_utf8(FIXTURE.to_vec()).unwrap();
    let mut rows = text.split("\r\n");
    let header = rows.next().unwrap();
    let clinic = rows
        .clone()
        .find(|l| l.contains("CL DU GRAND AVIGNON"))
        .unwrap();
    let elsewhere = rows.find(|l| l.starts_with("010000024;")).unwrap();
    let mut out = format!("{header}\r\n{clinic}\r\n");
    for _ in 0..lines {
        out.push_str(elsewhere);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The largest upload being received in the data directory `data_dir`, and its path.
fn largest_incoming(data_dir: &Path) -> Option<(u64, PathBuf)> {
    std::fs::read_dir(data_dir.join("envois"))
        .ok()?
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter_map(|f| Some((f.metadata().ok()?.len(), f.path())))
        .max()
}

/// A multipart body sent in 64 Kio chunks; while it is being sent, the size
/// of the file already on disk is recorded.
fn streamed_multipart(
    csrf: &str,
    payload: Vec<u8>,
    data_dir: PathBuf,
    seen: Arc<Mutex<Option<(u64, PathBuf)>>>,
    sent: Arc<AtomicUsize>,
) -> Body {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"contenu_fichier\"; filename=\"finess.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&payload);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let chunks: Vec<Bytes> = body.chunks(64 * 1024).map(Bytes::copy_from_slice).collect();
    Body::from_stream(futures_util::stream::iter(chunks.into_iter().map(
        move |c| {
            let total = sent.fetch_add(c.len(), Ordering::SeqCst) + c.len();
            // Half-way through the body, what the server holds is on disk.
            if total >= 4 * 1024 * 1024 && seen.lock().unwrap().is_none() {
                *seen.lock().unwrap() = largest_incoming(&data_dir);
            }
            Ok::<_, std::io::Error>(c)
        },
    )))
}

/// A FINESS extract of several megabytes goes through the upload: streamed
/// to disk as it arrives (the file grows on disk while the body is still
/// being sent, and is deleted after), although the same text pasted in the
/// form is over the 2 Mo a request body may hold in memory.
#[tokio::test]
async fn a_large_file_is_streamed_to_disk() {
    let t = FixtureApp::sqlite(fixture()).await;
    let data_dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(&t, data_dir.path());
    let logged = t.logged_in(Role::Ars).await;
    let mut ars = Client {
        app: &app,
        cookies: logged.cookies.clone(),
        csrf: String::new(),
    };
    ars.get(ESTABLISHMENTS).await;
    let payload = big_extract(70_000);
    assert!(payload.len() > 6 * 1024 * 1024, "{}", payload.len());
    let seen = Arc::new(Mutex::new(None));
    let sent = Arc::new(AtomicUsize::new(0));
    let req = Request::post(format!("{ESTABLISHMENTS}/apercu"))
        .header(header::COOKIE, ars.cookie_header())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(streamed_multipart(
            &ars.csrf,
            payload.clone(),
            data_dir.path().to_path_buf(),
            seen.clone(),
            sent.clone(),
        ))
        .unwrap();
    let p = ars.send(req).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body
            .contains("1 entité(s) juridique(s) lue(s) (extrait FINESS) : 1 à créer"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("70000 ligne(s) d'autres régions ignorée(s)."),
        "{}",
        p.body
    );
    let (on_disk, path) = seen.lock().unwrap().clone().expect("a file being received");
    assert!(
        on_disk >= 2 * 1024 * 1024,
        "{on_disk} octets sur disque après 4 Mio envoyés"
    );
    assert!(
        !path.exists(),
        "the received file is deleted with its request"
    );
    // The preview kept a deposit: confirmed by its token, not by the file again.
    let token = hidden(&p.body, "jeton").unwrap();
    let p = ars
        .post(&format!("{ESTABLISHMENTS}/confirmer"), &[("jeton", &token)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(
        t.store()
            .legal_entity(&"300000213".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );

    // The same text pasted (urlencoded, read whole) is over the in-memory limit.
    let text = String::from_utf8(payload).unwrap();
    let p = ars
        .post(&format!("{ESTABLISHMENTS}/apercu"), &[("contenu", &text)])
        .await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(p.body.contains("dépasse la limite de 2 Mo"), "{}", p.body);
    t.db.cleanup().await.unwrap();
}

/// A body that counts what is taken from it: `chunks` × 64 Kio.
fn counted(read: Arc<AtomicU64>, chunks: usize) -> Body {
    Body::from_stream(futures_util::stream::iter((0..chunks).map(move |_| {
        read.fetch_add(64 * 1024, Ordering::SeqCst);
        Ok::<_, std::io::Error>(vec![b'a'; 64 * 1024])
    })))
}

/// Over the route's limit (32 Mo for an import file), an upload is refused
/// with a French page: unread when its length is declared, cut at the limit
/// when it is not. An anonymous body is refused before a byte is read.
#[tokio::test]
async fn uploads_over_the_limit_are_refused_in_french() {
    let t = FixtureApp::sqlite(fixture()).await;
    let mut ars = t.logged_in(Role::Ars).await;
    ars.get(ESTABLISHMENTS).await;
    let over = 33 * 16; // 33 Mio in chunks of 64 Kio
    let multipart = format!("multipart/form-data; boundary={BOUNDARY}");
    let send = async |cookie: String, length: Option<usize>, chunks: usize| {
        let read = Arc::new(AtomicU64::new(0));
        let mut req = Request::post(format!("{ESTABLISHMENTS}/apercu"))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, multipart.clone())
            .body(counted(read.clone(), chunks))
            .unwrap();
        if let Some(n) = length {
            req.headers_mut()
                .insert(header::CONTENT_LENGTH, n.to_string().parse().unwrap());
        }
        let res = t.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let page = String::from_utf8_lossy(&bytes).replace("&#39;", "'");
        (status, page, read.load(Ordering::SeqCst))
    };
    // Declared: refused unread.
    let (status, page, read) = send(ars.cookie_header(), Some(over * 64 * 1024), over).await;
    assert_eq!((status, read), (StatusCode::PAYLOAD_TOO_LARGE, 0));
    assert!(page.contains("dépasse la limite de 32 Mo"), "{page}");
    assert!(page.contains("rien n'a été enregistré"), "{page}");
    // Chunked: the head holds no CSRF token (the file comes first) — refused
    // after 64 Kio, nothing stored.
    let (status, page, read) = send(ars.cookie_header(), None, over).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(read <= 2 * 64 * 1024, "{read}");
    // Anonymous: 64 Kio, refused on the Content-Length before reading.
    let anonymous = format!("caqes_csrf={}", "a".repeat(64));
    let (status, page, read) = send(anonymous, Some(30 * 1024 * 1024), 30 * 16).await;
    assert_eq!((status, read), (StatusCode::PAYLOAD_TOO_LARGE, 0));
    assert!(page.contains("dépasse la limite de 64 Kio"), "{page}");
    t.db.cleanup().await.unwrap();
}

/// A chunked upload with its token first goes on past 64 Kio until the
/// route's limit, where it is cut: 413, French page, nothing stored.
#[tokio::test]
async fn a_chunked_upload_is_cut_at_the_limit() {
    let t = FixtureApp::sqlite(fixture()).await;
    let data_dir = tempfile::tempdir().unwrap();
    let app = app_with_data_dir(&t, data_dir.path());
    let logged = t.logged_in(Role::Ars).await;
    let mut ars = Client {
        app: &app,
        cookies: logged.cookies.clone(),
        csrf: String::new(),
    };
    ars.get(ESTABLISHMENTS).await;
    let payload = vec![b'x'; 33 * 1024 * 1024];
    let seen = Arc::new(Mutex::new(None));
    let sent = Arc::new(AtomicUsize::new(0));
    let req = Request::post(format!("{ESTABLISHMENTS}/apercu"))
        .header(header::COOKIE, ars.cookie_header())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(streamed_multipart(
            &ars.csrf,
            payload,
            data_dir.path().to_path_buf(),
            seen,
            sent.clone(),
        ))
        .unwrap();
    let p = ars.send(req).await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", p.body);
    assert!(p.body.contains("dépasse la limite"), "{}", p.body);
    assert!(sent.load(Ordering::SeqCst) <= 32 * 1024 * 1024 + 128 * 1024);
    assert_eq!(
        t.store()
            .legal_entities_in_region(&REGION)
            .await
            .unwrap()
            .len(),
        t.fixture.entities.len()
    );
    assert_eq!(
        largest_incoming(data_dir.path()),
        None,
        "nothing left on disk"
    );
    t.db.cleanup().await.unwrap();
}

/// The établissement's own « fichier à remplir »: its sites and its entity
/// only, pre-filled with its stored values; another entity's is not there
/// for it (404).
#[tokio::test]
async fn the_etablissement_downloads_its_own_workbook() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let t = FixtureApp::sqlite(fixture()).await;
    let mut etab = t.logged_in(Role::Etablissement).await;
    let own = t.own_entity();
    let page = etab.get(&t.dossier(own)).await;
    let link = format!("{}/fichier-a-remplir.xlsx", t.dossier(own));
    assert!(
        page.body.contains(&format!("href=\"{link}\"")),
        "{}",
        page.body
    );
    let req = Request::get(&link)
        .header(header::COOKIE, etab.cookie_header())
        .body(Body::empty())
        .unwrap();
    let res = t.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"fichier-a-remplir-{own}-2019.xlsx\"").as_str()
    );
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let values = wb.worksheet_range("Valeurs").unwrap();
    let targets = wb.worksheet_range("Cibles").unwrap();
    let sites: Vec<String> = t
        .store()
        .sites_of(&own)
        .await
        .unwrap()
        .iter()
        .map(|s| s.finess.to_string())
        .collect();
    assert!(
        sites.len() > 1,
        "the établissement's entity has several sites"
    );
    let rows: Vec<String> = values.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|f| sites.contains(f)), "{rows:?}");
    for site in &sites {
        assert!(rows.contains(site), "{site} absent");
    }
    let entities: Vec<String> = targets.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert!(!entities.is_empty());
    assert!(
        entities.iter().all(|f| *f == own.to_string()),
        "{entities:?}"
    );
    // Another entity of the region: not the établissement's.
    let other = t
        .store()
        .legal_entities_in_region(&REGION)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.finess != own)
        .unwrap();
    let p = etab
        .get(&format!(
            "{}/fichier-a-remplir.xlsx",
            t.dossier(other.finess)
        ))
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    t.db.cleanup().await.unwrap();
}
