//! `caqes serve` keeps its files private (issue 14.6): the SQLite database
//! and its `-wal`/`-shm` 0600, the data directory 0700, an existing 0644
//! database put back to 0600; with PostgreSQL a data directory is required.
#![cfg(unix)]
#![expect(clippy::expect_used, reason = "a test fails loudly")]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}

/// Starts `caqes serve` on `url` until it listens, then stops it.
fn serve_until_listening(url: &str, extra: &[&str], check: impl FnOnce()) {
    let mut serve = Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args(["serve", "--database-url", url, "--addr", "127.0.0.1:0"])
        .args(extra)
        .env_remove("CAQES_DATA_DIR")
        .env_remove("CAQES_TRUSTED_PROXY")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut text = String::new();
    for line in BufReader::new(serve.stderr.take().expect("stderr")).lines() {
        let line = line.expect("a line");
        text.push_str(&line);
        text.push('\n');
        if line.contains("en écoute") {
            break;
        }
    }
    assert!(text.contains("en écoute"), "{text}");
    check();
    serve.kill().expect("stopped");
    serve.wait().expect("waited");
}

#[test]
fn the_database_and_the_data_directory_are_private() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let dir = root.path().join("base");
    let db = dir.join("caqes.db");
    let url = format!("sqlite://{}", db.display());
    serve_until_listening(&url, &[], || {
        assert_eq!(mode(&dir), 0o700);
        for file in ["caqes.db", "caqes.db-wal", "caqes.db-shm"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
        assert_eq!(mode(&dir.join("caqes-fichiers")), 0o700);
    });

    // A database left readable by others is made private again at start.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let data = root.path().join("fichiers");
    serve_until_listening(&url, &["--data", data.to_str().expect("utf-8")], || {
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&data), 0o700);
    });
}

#[test]
fn postgresql_needs_a_data_directory() {
    let out = Command::new(env!("CARGO_BIN_EXE_caqes"))
        .args([
            "serve",
            "--database-url",
            "postgres://personne@127.0.0.1:1/rien",
        ])
        .env_remove("CAQES_DATA_DIR")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--data"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
