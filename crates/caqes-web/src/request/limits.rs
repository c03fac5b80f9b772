//! How many bytes a request body may have, per route and role: decided from
//! the route, the session and the Content-Length before any byte is read.

use caqes_store::Role;

use crate::request::error::AppError;

/// The body of an ordinary form, and of any request from someone who may not
/// upload to the route (anonymous users included).
pub const FORM_BYTES: usize = 64 * 1024;
/// A file pasted into a text area (CSV imports, a référentiel's TOML), or a
/// form with one field per entity of the region.
pub const PASTED_FILE_BYTES: usize = 2 * 1024 * 1024;
/// Open PHMEV extracts (years N and N−1, CSV or Parquet): a national CSV
/// of one year weighs 1,2 Go. Streamed to disk, never held in memory.
pub const PHEV_UPLOAD_BYTES: usize = 3 * 1024 * 1024 * 1024;
/// A CSV file chosen on an import page (the national FINESS extract weighs
/// 3,3 Mo; a region's values a few Mo). Streamed to disk, then read.
pub const IMPORT_FILE_BYTES: usize = 32 * 1024 * 1024;
/// The XLSX « fichier à remplir » read back (a region's pre-filled workbook
/// weighs a few hundred Kio).
pub const XLSX_UPLOAD_BYTES: usize = 10 * 1024 * 1024 + 256 * 1024;

/// How much of a request body the session layer reads, decided from the
/// route, the session cookie and the Content-Length BEFORE reading any of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLimit {
    /// GET: the body is never read.
    None,
    /// An ordinary form: [`FORM_BYTES`], for anyone (the CSRF token is checked next).
    Form,
    /// Up to `max` bytes for a logged-in user of one of `roles`;
    /// [`FORM_BYTES`] for anyone else.
    Large { max: usize, roles: &'static [Role] },
    /// A file upload (multipart) of up to `max` bytes for a logged-in user of
    /// one of `roles`, streamed: the session layer reads only its head (the
    /// CSRF token, first field of the form) and the handler writes the files
    /// to the private data directory as they arrive. [`FORM_BYTES`], read
    /// whole, for anyone else.
    Upload { max: usize, roles: &'static [Role] },
}

impl BodyLimit {
    /// The bytes a request of a user of `role` (`None`: not logged in) may send.
    pub fn bytes_for(self, role: Option<Role>) -> usize {
        match self {
            BodyLimit::None => 0,
            BodyLimit::Form => FORM_BYTES,
            BodyLimit::Large { max, roles } | BodyLimit::Upload { max, roles } => match role {
                Some(r) if roles.contains(&r) => max,
                _ => FORM_BYTES,
            },
        }
    }

    /// Whether a body of a user of `role` is streamed to the handler rather
    /// than read whole by the session layer.
    pub fn streams_for(self, role: Option<Role>) -> bool {
        match (self, role) {
            (BodyLimit::Upload { roles, .. }, Some(r)) => roles.contains(&r),
            _ => false,
        }
    }
}

/// A size for the user: « 64 Kio », « 10 Mo ».
fn size_text(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB {
        format!("{} Mo", bytes / MIB)
    } else {
        format!("{} Kio", bytes.div_ceil(1024))
    }
}

/// The refusal of a body over `limit` bytes (413, French page).
pub fn too_large(limit: usize) -> AppError {
    AppError::PayloadTooLarge(format!(
        "L'envoi dépasse la limite de {} pour ce formulaire : rien n'a été enregistré. \
         Revenez à la page précédente et envoyez un contenu plus petit.",
        size_text(limit)
    ))
}
