//! Errors of document generation (messages in French, for users).

/// Why a document could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// An embedded font could not be read (a build problem, not the user's).
    #[error("police {font} illisible : {reason}")]
    Font { font: &'static str, reason: String },
    /// The font subsetter failed on the glyphs of the document.
    #[error("sous-ensemble de la police {font} impossible : {reason}")]
    Subset { font: &'static str, reason: String },
    /// The input contradicts itself (a decision on another volet, a basis that does
    /// not match the decision…): the document would state something false.
    #[error("données incohérentes pour « {document} » : {reason}")]
    Inconsistent {
        document: &'static str,
        reason: String,
    },
    /// `SOURCE_DATE_EPOCH` is not a number of seconds since 1970.
    #[error("SOURCE_DATE_EPOCH invalide « {value} » : {reason}")]
    SourceDateEpoch { value: String, reason: String },
}

impl DocumentError {
    pub(crate) fn inconsistent(document: &'static str, reason: impl Into<String>) -> Self {
        DocumentError::Inconsistent {
            document,
            reason: reason.into(),
        }
    }
}
