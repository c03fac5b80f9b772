//! The issuance of a document (a PDF generated for a user): one audit line per
//! generation, with who, which document, its subject and the SHA-256 of the bytes
//! handed over, so that a letter produced in a dispute can be matched with the
//! one the platform issued.

use caqes_core::RegionCode;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::admin::audit::{AuditLine, record};
use crate::{Actor, Result, Store, User};

/// A document about to be handed to a user.
#[derive(Clone, Copy, Debug)]
pub struct Issuance<'a> {
    /// The kind of document (`rapport_evaluation`, `notification_decision`…).
    pub document: &'a str,
    /// What it is about: `dossier`, `decision`, `contrat`, `campagne`…
    pub subject_kind: &'a str,
    /// The id of the subject (a submission, a decision version, a contract…).
    pub subject_id: &'a str,
    /// The region of the subject (the audit page is read per region).
    pub region: Option<&'a RegionCode>,
    /// The FINESS of the establishment concerned, if any.
    pub finess: Option<&'a str>,
    /// The file name given to the user.
    pub filename: &'a str,
}

/// The SHA-256 of `bytes`, in hexadecimal (what the audit line records).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// Records that `bytes` were issued to `user` as `issuance`, in one write
    /// transaction with its audit line (`document.emettre`). The caller hands the
    /// bytes over only once this returned: a document is never issued unrecorded.
    pub async fn record_issuance(
        &self,
        user: &User,
        issuance: &Issuance<'_>,
        bytes: &[u8],
    ) -> Result<String> {
        let hash = sha256_hex(bytes);
        let mut tx = self.begin_write().await?;
        record(
            &mut tx,
            &Actor::user(user),
            AuditLine {
                region: issuance.region,
                action: "document.emettre",
                object_kind: issuance.subject_kind,
                object_id: issuance.subject_id,
                before: None,
                after: Some(json!({
                    "document": issuance.document,
                    "finess": issuance.finess,
                    "fichier": issuance.filename,
                    "octets": bytes.len(),
                    "sha256": hash,
                })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(hash)
    }
}
