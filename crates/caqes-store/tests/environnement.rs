//! Prints which optional parts of the test suite run in this environment. It has no
//! test harness, so its output is shown by `cargo test` even when everything passes.

fn main() {
    match std::env::var("CAQES_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let shown = url.split('@').next_back().unwrap_or("?");
            println!("caqes : suite de stockage exécutée sur SQLite et sur PostgreSQL ({shown})");
        }
        _ => println!(
            "caqes : PostgreSQL IGNORÉ (CAQES_TEST_POSTGRES_URL non défini) : la suite de stockage n'a tourné que sur SQLite"
        ),
    }
    let driver = std::process::Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_ok();
    if driver {
        println!("caqes : test navigateur exécuté (chromedriver présent)");
    } else {
        println!(
            "caqes : test navigateur IGNORÉ (chromedriver absent ; Debian : apt-get install chromium chromium-driver)"
        );
    }
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if !shared.is_dir() {
        println!(
            "caqes : tests sur les données publiques partagées IGNORÉS ({} absent)",
            shared.display()
        );
    }
}
