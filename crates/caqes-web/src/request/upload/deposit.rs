//! An import checked in its preview, kept in the private data directory
//! until its confirmation: the confirmation form sends the deposit's token
//! instead of the file again (a 3,3 Mo FINESS extract is not sent twice, nor
//! echoed in a hidden field). A deposit belongs to one user and one import
//! page; it is deleted by the confirmation, or after [`TTL`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::request::files;
use crate::request::upload::random_name;

/// Deposits not confirmed within this delay are deleted.
pub const TTL: Duration = Duration::from_secs(3600);

#[derive(Serialize, Deserialize)]
struct Meta {
    user: String,
    page: String,
    fields: Vec<String>,
}

fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("depots-imports")
}

/// The directory of a token (64 lowercase hex digits only: a token never
/// names another path).
fn dir_of(data_dir: &Path, token: &str) -> Option<PathBuf> {
    token_dir(&root(data_dir), token)
}

/// The directory of `token` under `root`: `None` unless the token is 64 lowercase hex
/// digits, so that a token sent back by a browser can never name another path. Shared
/// with the PHEV upload's previews.
pub(crate) fn token_dir(root: &Path, token: &str) -> Option<PathBuf> {
    (token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then(|| root.join(token))
}

/// Deletes deposits older than [`TTL`] (abandoned previews).
fn sweep(data_dir: &Path) {
    sweep_older_than(&root(data_dir), TTL);
}

/// Deletes the directories under `root` last changed more than `ttl` ago (abandoned
/// previews); an error leaves the directory for the next sweep.
pub(crate) fn sweep_older_than(root: &Path, ttl: Duration) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ttl);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Keeps `contents` (field name, text) for `user` on the import page `page`;
/// the token to send back.
pub fn save(
    data_dir: &Path,
    user: &str,
    page: &str,
    contents: &[(&str, &str)],
) -> std::io::Result<String> {
    sweep(data_dir);
    let token = random_name();
    let dir =
        dir_of(data_dir, &token).ok_or_else(|| std::io::Error::other("jeton de dépôt invalide"))?;
    files::private_dir(&root(data_dir))?;
    files::private_dir(&dir)?;
    for (i, (_, text)) in contents.iter().enumerate() {
        files::write_private(&dir.join(format!("champ-{i}")), text.as_bytes())?;
    }
    let meta = Meta {
        user: user.to_owned(),
        page: page.to_owned(),
        fields: contents
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect(),
    };
    let json = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
    files::write_private(&dir.join("meta.json"), &json)?;
    Ok(token)
}

/// The texts of the deposit `token` if it exists and is `user`'s on `page`
/// (another user's or another page's deposit is not there for them).
pub fn load(data_dir: &Path, token: &str, user: &str, page: &str) -> Option<Vec<(String, String)>> {
    let dir = dir_of(data_dir, token)?;
    let meta: Meta = serde_json::from_slice(&std::fs::read(dir.join("meta.json")).ok()?).ok()?;
    if meta.user != user || meta.page != page {
        return None;
    }
    meta.fields
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let text = std::fs::read_to_string(dir.join(format!("champ-{i}"))).ok()?;
            Some((name, text))
        })
        .collect()
}

/// Deletes the deposit `token` (after its confirmation).
pub fn remove(data_dir: &Path, token: &str) {
    if let Some(dir) = dir_of(data_dir, token)
        && dir.exists()
        && let Err(e) = std::fs::remove_dir_all(&dir)
    {
        tracing::warn!(error = %e, "dépôt d'import non supprimé");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deposit_is_its_owners_on_its_page() {
        let root = tempfile::tempdir().unwrap();
        let token = save(
            root.path(),
            "u1",
            "/imports/etablissements",
            &[("contenu", "a;b\n")],
        )
        .unwrap();
        assert_eq!(
            load(root.path(), &token, "u1", "/imports/etablissements"),
            Some(vec![("contenu".to_owned(), "a;b\n".to_owned())])
        );
        assert_eq!(
            load(root.path(), &token, "u2", "/imports/etablissements"),
            None
        );
        assert_eq!(load(root.path(), &token, "u1", "/donnees-am/import"), None);
        assert_eq!(
            load(root.path(), "../../etc", "u1", "/imports/etablissements"),
            None
        );
        remove(root.path(), &token);
        assert_eq!(
            load(root.path(), &token, "u1", "/imports/etablissements"),
            None
        );
    }
}
