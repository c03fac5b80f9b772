//! Administration: accounts (`users`), référentiels uploaded into the database
//! (versioned, never overwritten) and THE référentiel resolver (`referentiel`), dossier
//! comments (append-only, `comments`) and what the dossier page reads with them
//! (`dossier_page`), the audit log (`audit`: the hash chain; `audit_page`: paged and
//! filtered); the regions, legal entities and sites of the platform (`establishments`);
//! the online backup and its restoration (`backup`).

pub mod audit;
pub mod audit_page;
pub(crate) mod audited_write;
pub mod backup;
pub mod comments;
pub mod documents;
pub mod dossier_page;
pub(crate) mod establishments;
pub mod referentiel;
pub mod users;

pub use audit_page::{AuditFilter, AuditPage};
pub use comments::{Comment, Visibility};
pub use dossier_page::DossierPageRows;
pub use referentiel::StoredReferentiel;
pub(crate) use referentiel::campaign_referentiel_in;
pub use users::UserSummary;
