//! Where an import's text comes from: a text pasted in the form, a file
//! chosen next to it (streamed to disk by
//! [`UploadForm`](crate::request::upload::UploadForm), then read), or — on
//! confirmation — the deposit its preview kept, named by a token (see
//! [`deposit`]). A pasted text comes back from the preview in a hidden field
//! as before; a file stays on the server.

use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::request::upload::UploadForm;
use crate::request::upload::deposit;
use caqes_store::UserId;

/// The form field carrying a deposit's token.
pub const TOKEN_FIELD: &str = "jeton";

/// The texts of an import, in the order of the names asked for.
pub struct Source {
    pub texts: Vec<String>,
    /// The deposit they were read from (confirmation of an uploaded file).
    pub token: Option<String>,
    /// Whether one of them came from a file.
    pub from_file: bool,
}

/// The texts of the fields `names` of an import page `page`: from the
/// deposit named in the form, else from each field's file or pasted text.
/// `Ok(Err(sentence))`: the deposit is gone (confirmed or expired).
pub async fn read(
    state: &AppState,
    user_id: &UserId,
    page: &str,
    form: &UploadForm,
    names: &[&str],
) -> AppResult<Result<Source, String>> {
    let token = form.text(TOKEN_FIELD);
    if !token.is_empty() {
        let data_dir = state.config.data_dir.clone();
        let (token, user_id, page) = (token.to_owned(), user_id.to_owned(), page.to_owned());
        let loaded = tokio::task::spawn_blocking({
            let token = token.clone();
            move || deposit::load(&data_dir, &token, user_id.as_str(), &page)
        })
        .await
        .map_err(AppError::failed("lecture du dépôt (tâche)"))?;
        let Some(kept) = loaded else {
            return Ok(Err(
                "ce dépôt n'existe plus (déjà confirmé ou expiré) : déposez de nouveau le fichier"
                    .into(),
            ));
        };
        let texts = names
            .iter()
            .map(|n| {
                kept.iter()
                    .find(|(k, _)| k == n)
                    .map_or_else(String::new, |(_, v)| v.clone())
            })
            .collect();
        return Ok(Ok(Source {
            texts,
            token: Some(token),
            from_file: true,
        }));
    }
    let mut texts = Vec::new();
    for name in names {
        texts.push(form.content(name).await?);
    }
    Ok(Ok(Source {
        texts,
        token: None,
        from_file: names
            .iter()
            .any(|n| form.file(&format!("{n}_fichier")).is_some()),
    }))
}

/// After a preview: the deposit's token when the texts came from a file (the
/// confirmation sends it back), `None` for pasted texts (sent back as hidden
/// fields). A deposit being confirmed keeps its token.
pub async fn keep(
    state: &AppState,
    user_id: &UserId,
    page: &str,
    names: &[&str],
    source: &Source,
) -> AppResult<Option<String>> {
    if let Some(t) = &source.token {
        return Ok(Some(t.clone()));
    }
    if !source.from_file {
        return Ok(None);
    }
    let data_dir = state.config.data_dir.clone();
    let (user_id, page) = (user_id.to_owned(), page.to_owned());
    let contents: Vec<(String, String)> = names
        .iter()
        .map(|n| (*n).to_owned())
        .zip(source.texts.iter().cloned())
        .collect();
    let token = tokio::task::spawn_blocking(move || {
        let refs: Vec<(&str, &str)> = contents
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        deposit::save(&data_dir, user_id.as_str(), &page, &refs)
    })
    .await
    .map_err(AppError::failed("enregistrement du dépôt (tâche)"))?
    .map_err(AppError::failed("enregistrement du dépôt"))?;
    Ok(Some(token))
}

/// After a confirmation written: its deposit is deleted.
pub fn forget(state: &AppState, source: &Source) {
    if let Some(t) = &source.token {
        deposit::remove(&state.config.data_dir, t);
    }
}
