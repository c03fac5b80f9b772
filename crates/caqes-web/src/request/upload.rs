//! File uploads, streamed: an import page's file (the national FINESS
//! extract, 3,3 Mo) or the Open PHMEV extracts (1,2 Go a year) go from the
//! connection to the private data directory as they arrive, never whole in
//! memory.
//!
//! On a route whose limit is [`BodyLimit::Upload`](crate::request::limits::BodyLimit)
//! and for a user who may upload there, the session layer reads only the
//! head of the body ([`checked_stream`]): the CSRF token, which the forms send
//! as their first field, is checked before a byte of a file is written. The
//! handler then reads the form with [`UploadForm`]: text fields in memory
//! (bounded), files to disk. An urlencoded body (a pasted text, no file) is
//! read as an ordinary form.
//!
//! An import checked in its preview is kept as a [`deposit`] until its
//! confirmation: the confirmation sends a token, not the file again.

pub mod deposit;

use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};
use http_body_util::BodyExt;

use crate::request::error::AppError;
use crate::request::extract::{Form, Multipart};
use crate::request::files;
use crate::request::limits::{PASTED_FILE_BYTES, too_large};
use crate::request::state::AppState;

/// How much of an upload the session layer reads for its CSRF token.
const HEAD_BYTES: usize = 64 * 1024;
/// Bytes of a file gathered in memory before each write to disk.
const WRITE_BUFFER: usize = 1024 * 1024;

const CSRF_REFUSED: &str =
    "Jeton de sécurité (CSRF) absent ou invalide : rechargez la page et recommencez.";

/// The `_csrf` field of a multipart body. Browsers send fields in document
/// order and every upload form puts the hidden field first, so only the first
/// 64 Kio are parsed: the file that follows is never scanned twice, and a
/// token placed after it is refused.
#[expect(
    clippy::disallowed_types,
    reason = "only the CSRF field is read here; a rejection is a refused token"
)]
pub async fn multipart_csrf(content_type: &str, body: Bytes) -> Option<String> {
    let head = body.slice(..body.len().min(HEAD_BYTES));
    let req = axum::http::Request::builder()
        .header(CONTENT_TYPE, content_type)
        .body(Body::from(head))
        .ok()?;
    let mut multipart = <axum::extract::Multipart as FromRequest<()>>::from_request(req, &())
        .await
        .ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("_csrf") {
            return field.text().await.ok();
        }
    }
    None
}

/// Reads the head of a multipart upload, checks its CSRF token against
/// `expected`, and gives back the whole body as a stream cut at `limit`
/// bytes (the head first, the rest as it arrives).
pub async fn checked_stream(
    mut body: Body,
    content_type: &str,
    expected: &str,
    limit: usize,
) -> Result<Body, AppError> {
    let mut head = Vec::new();
    let mut ended = false;
    while head.len() < HEAD_BYTES {
        match body.frame().await {
            None => {
                ended = true;
                break;
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                tracing::info!(error = %e, "envoi interrompu");
                return Err(AppError::BadRequest(
                    "L'envoi est incomplet (connexion interrompue) : recommencez.".into(),
                ));
            }
        }
        if head.len() > limit {
            return Err(too_large(limit));
        }
    }
    let head = Bytes::from(head);
    let given = multipart_csrf(content_type, head.clone()).await;
    if expected.is_empty() || given.as_deref() != Some(expected) {
        return Err(AppError::Forbidden(CSRF_REFUSED.into()));
    }
    let first = futures_util::stream::iter([Ok::<_, axum::Error>(head)]);
    let whole: ChunkStream = if ended {
        Box::pin(first)
    } else {
        Box::pin(first.chain(body.into_data_stream()))
    };
    let paced = Body::from_stream(OneChunkPerPoll {
        inner: whole,
        yielded: false,
    });
    Ok(Body::new(http_body_util::Limited::new(paced, limit)))
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>;

/// Gives one chunk per poll: the multipart parser (multer) takes every
/// chunk that is ready each time it is polled, so a fast client's body
/// would pile up in its buffer while a chunk is being written to disk.
/// After a chunk, `Pending` once (the task woken at once): what is held in
/// memory stays about one chunk ahead of the disk.
struct OneChunkPerPoll {
    inner: ChunkStream,
    yielded: bool,
}

impl Stream for OneChunkPerPoll {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.yielded {
            self.yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let item = std::task::ready!(self.inner.as_mut().poll_next(cx));
        self.yielded = item.is_some();
        Poll::Ready(item)
    }
}

/// A file of an [`UploadForm`], on disk (0600, in a 0700 directory).
#[derive(Debug)]
pub struct UploadedFile {
    /// The form field.
    pub field: String,
    /// The name the user's file had.
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
}

/// A directory of the data directory deleted when dropped, unless kept.
#[derive(Debug)]
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            tracing::warn!(error = %e, dir = %dir.display(), "envoi non supprimé");
        }
    }
}

/// The form of an import page: text fields (a pasted text, options) and the
/// files chosen, streamed to the private data directory and deleted with
/// the form.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
    dir: Option<TempDir>,
}

/// The directory of uploads being received, in the data directory.
pub fn incoming_root(data_dir: &Path) -> PathBuf {
    data_dir.join("envois")
}

/// A fresh random name (64 lowercase hex digits).
pub fn random_name() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

impl UploadForm {
    /// The text field `name` (empty when absent).
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The non-empty file chosen in the field `name`.
    pub fn file(&self, name: &str) -> Option<&UploadedFile> {
        self.files.iter().find(|f| f.field == name && f.size > 0)
    }

    /// The files chosen in the field `name`, in the form's order.
    pub fn files_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a UploadedFile> {
        self.files.iter().filter(move |f| f.field == name)
    }

    /// The text of the file chosen in `name`'s file field (`{name}_fichier`)
    /// when there is one, else the text pasted in `name`. A file that is not
    /// UTF-8 is refused with a French sentence naming it.
    pub async fn content(&self, name: &str) -> Result<String, AppError> {
        let Some(file) = self.file(&format!("{name}_fichier")) else {
            return Ok(self.text(name).to_owned());
        };
        let path = file.path.clone();
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(AppError::failed("lecture du fichier déposé (tâche)"))?
            .map_err(AppError::failed("lecture du fichier déposé"))?;
        String::from_utf8(bytes).map_err(|e| {
            AppError::BadRequest(format!(
                "Le fichier « {} » n'est pas encodé en UTF-8 (octet illisible à la position {}) : \
                 enregistrez-le en UTF-8 (CSV UTF-8 dans un tableur) et déposez-le de nouveau.",
                file.name,
                e.utf8_error().valid_up_to() + 1
            ))
        })
    }

    /// Keeps the files on disk after the form is dropped (their new owner
    /// deletes them).
    pub fn keep_files(&mut self) {
        if let Some(dir) = &mut self.dir {
            dir.0 = None;
        }
    }

    async fn read_multipart(
        data_dir: &Path,
        mut multipart: Multipart,
    ) -> Result<UploadForm, AppError> {
        let mut form = UploadForm::default();
        let mut text_bytes = 0usize;
        while let Some(mut field) = multipart.next_field().await.map_err(read_error)? {
            let name = field.name().unwrap_or_default().to_owned();
            let Some(original) = field.file_name().map(str::to_owned) else {
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(read_error)? {
                    text_bytes += chunk.len();
                    if text_bytes > PASTED_FILE_BYTES {
                        return Err(too_large(PASTED_FILE_BYTES));
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value).map_err(|_| {
                    AppError::BadRequest(format!(
                        "Le champ « {name} » contient un texte qui n'est pas en UTF-8 : \
                         collez un texte UTF-8 ou déposez le fichier."
                    ))
                })?;
                form.fields.push((name, value));
                continue;
            };
            if original.is_empty() {
                // A file input left empty: nothing to keep.
                while field.chunk().await.map_err(read_error)?.is_some() {}
                continue;
            }
            let dir = match &form.dir {
                Some(TempDir(Some(d))) => d.clone(),
                _ => {
                    let root = incoming_root(data_dir);
                    let dir = root.join(random_name());
                    files::private_dir(&root)
                        .and_then(|_| files::private_dir(&dir))
                        .map_err(AppError::failed("répertoire des fichiers déposés"))?;
                    form.dir = Some(TempDir(Some(dir.clone())));
                    dir
                }
            };
            let path = dir.join(format!("fichier-{}", form.files.len()));
            let file = files::create_private(&path)
                .map_err(AppError::failed("création du fichier déposé"))?;
            let mut file = Some(file);
            let mut buffer = Vec::with_capacity(WRITE_BUFFER);
            let mut size = 0u64;
            loop {
                let chunk = field.chunk().await.map_err(read_error)?;
                let last = chunk.is_none();
                if let Some(chunk) = chunk {
                    size += chunk.len() as u64;
                    buffer.extend_from_slice(&chunk);
                }
                if buffer.len() >= WRITE_BUFFER || (last && !buffer.is_empty()) {
                    let mut f = file
                        .take()
                        .ok_or_else(|| AppError::Internal("fichier".into()))?;
                    let full = std::mem::replace(&mut buffer, Vec::with_capacity(WRITE_BUFFER));
                    // Written off the async threads: a slow disk must not stall the server.
                    let f = tokio::task::spawn_blocking(move || {
                        std::io::Write::write_all(&mut f, &full).map(|()| f)
                    })
                    .await
                    .map_err(AppError::failed("écriture du fichier déposé (tâche)"))?
                    .map_err(AppError::failed("écriture du fichier déposé"))?;
                    file = Some(f);
                }
                if last {
                    break;
                }
            }
            form.files.push(UploadedFile {
                field: name,
                name: original,
                path,
                size,
            });
        }
        Ok(form)
    }
}

/// A multipart body that broke while being read: over the route's limit
/// (413, French), or cut.
fn read_error(e: axum::extract::multipart::MultipartError) -> AppError {
    let message = crate::request::extract::multipart_error_message(&e);
    // The session layer's limit sits under axum's own: its error is a few
    // sources down the chain, where axum's status does not look.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut over_limit = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    while let Some(c) = cause {
        over_limit |= c.is::<http_body_util::LengthLimitError>();
        cause = c.source();
    }
    if over_limit {
        AppError::PayloadTooLarge(format!(
            "L'envoi dépasse la limite de taille de ce formulaire ({message}) : rien n'a été enregistré."
        ))
    } else {
        AppError::BadRequest(format!("L'envoi a été refusé : {message}."))
    }
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if multipart {
            let multipart = Multipart::from_request(req, state).await?;
            UploadForm::read_multipart(&state.config.data_dir, multipart).await
        } else {
            let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, state).await?;
            Ok(UploadForm {
                fields,
                ..UploadForm::default()
            })
        }
    }
}
