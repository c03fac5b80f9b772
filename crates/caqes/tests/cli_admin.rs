//! `caqes admin creer-compte` and the hint of `caqes serve` on a database
//! without an administrator, through the binary.
#![expect(clippy::expect_used, reason = "a test fails loudly")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use caqes_store::{Role, Store};

fn caqes(args: &[&str], password: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_caqes"));
    c.args(args)
        .env_remove("CAQES_MOT_DE_PASSE")
        .env_remove("CAQES_DATABASE_URL");
    if let Some(p) = password {
        c.env("CAQES_MOT_DE_PASSE", p);
    }
    c.output().expect("the binary runs")
}

fn create(url: &str, email: &str, role: &str, password: Option<&str>) -> Output {
    caqes(
        &[
            "admin",
            "creer-compte",
            "--database-url",
            url,
            "--email",
            email,
            "--nom",
            "Premier admin",
            "--role",
            role,
        ],
        password,
    )
}

#[tokio::test]
async fn first_admin_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caqes.db").display());

    // `serve` on an empty database tells how to create the first account.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(["serve", "--database-url", &url, "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut text = String::new();
    for line in BufReader::new(serve.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if line.contains("en écoute") {
            break;
        }
    }
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert!(text.contains("Aucun compte administrateur actif"), "{text}");
    assert!(
        text.contains("caqes admin creer-compte --database-url"),
        "{text}"
    );

    // A password too short is the user's error (exit 2), nothing created.
    let out = create(&url, "admin@exemple.fr", "admin", Some("court"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CAQES_MOT_DE_PASSE"));

    // With the password from the environment: created, not printed, not to be changed.
    let out = create(
        &url,
        "Admin@Exemple.fr",
        "admin",
        Some("un-mot-de-passe-solide"),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Compte créé : admin@exemple.fr"));
    assert!(!stdout.contains("un-mot-de-passe-solide"));

    // The same address again: refused.
    let out = create(
        &url,
        "admin@exemple.fr",
        "admin",
        Some("un-mot-de-passe-solide"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("existe déjà"));
    // A regional role needs a region.
    let out = create(
        &url,
        "ars@exemple.fr",
        "ars",
        Some("un-mot-de-passe-solide"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--region"));

    // Without a password: one is generated, printed once, and must be changed.
    let out = create(&url, "second@exemple.fr", "admin", None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let generated = stdout
        .lines()
        .find_map(|l| {
            l.split_once("première connexion) : ")
                .map(|(_, p)| p.trim().to_owned())
        })
        .expect("mot de passe affiché");
    assert_eq!(generated.len(), 20);

    let store = Store::connect(&url).await.unwrap();
    let first = store
        .user_by_email("admin@exemple.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.role, Role::Admin);
    assert!(first.active && !first.must_change_password);
    assert!(caqes_web::auth::verify_password(
        "un-mot-de-passe-solide",
        &first.password_hash
    ));
    let second = store
        .user_by_email("second@exemple.fr")
        .await
        .unwrap()
        .unwrap();
    assert!(second.must_change_password);
    assert!(caqes_web::auth::verify_password(
        &generated,
        &second.password_hash
    ));
    assert!(
        store
            .user_by_email("ars@exemple.fr")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.has_active_admin().await.unwrap());
    store.close().await;
}
