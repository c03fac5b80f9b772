//! How many bytes a request body may have, per route and role: decided from
//! the route, the session and the Content-Length before any byte is read.

use caqes_store::Role;

/// The body of an ordinary form, and of any request from someone who may not
/// upload to the route (anonymous users included).
pub const FORM_BYTES: usize = 64 * 1024;
/// A file pasted into a text area (CSV imports, a référentiel's TOML), or a
/// form with one field per entity of the region.
pub const PASTED_FILE_BYTES: usize = 2 * 1024 * 1024;
/// Open PHMEV extracts of a region (years N and N−1, CSV or Parquet).
pub const PHEV_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
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
}

impl BodyLimit {
    /// The bytes a request of a user of `role` (`None`: not logged in) may send.
    pub fn bytes_for(self, role: Option<Role>) -> usize {
        match self {
            BodyLimit::None => 0,
            BodyLimit::Form => FORM_BYTES,
            BodyLimit::Large { max, roles } => match role {
                Some(r) if roles.contains(&r) => max,
                _ => FORM_BYTES,
            },
        }
    }
}
