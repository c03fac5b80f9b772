//! What the layout's header shows beyond the user, known for the whole
//! request (set by the notifications' layer, read by [`super::Layout`]).

/// What every page's header shows beyond the user: set for the whole request
/// by `notifications::header_layer`, read by `Layout::for_user`, so that no handler has to
/// ask for it.
#[derive(Clone, Debug)]
pub struct HeaderInfo {
    pub unread: Option<i64>,
    pub mailbox: bool,
    /// The page's path: its navigation entry is marked `aria-current`.
    pub path: String,
}

tokio::task_local! {
    pub static HEADER: HeaderInfo;
}

/// The unread count of the current request's user, if `notifications::header_layer` counted it.
pub fn unread_in_request() -> Option<i64> {
    HEADER.try_with(|h| h.unread).ok().flatten()
}

/// The current request's path, if the layer ran.
pub fn path_in_request() -> String {
    HEADER.try_with(|h| h.path.clone()).unwrap_or_default()
}

/// Whether the demo's mailbox page exists (for the header's link).
pub fn mailbox_in_request() -> bool {
    HEADER.try_with(|h| h.mailbox).unwrap_or(false)
}
