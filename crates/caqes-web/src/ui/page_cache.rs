//! Rendered pages kept by what they were made of (issue 14: the dossier page is
//! ~230 Kio of HTML, and building and rendering it was most of its CPU under load).
//!
//! A page is a function of its inputs: the rows it read, the request's layout (user,
//! CSRF token, unread count, flash message, path) and the day (deadlines are counted
//! in days). [`PageKey::of`] hashes all of them, as their `Debug` text, so that any
//! change of any input — a value saved, a comment, a transition, the next day, another
//! session — is another key: nothing is ever invalidated, and a page served from here
//! is byte for byte the page rendering would give. Least recently used pages are
//! dropped beyond [`BUDGET`] bytes.
//!
//! One cache per process: every key contains the session's CSRF token (random per
//! login), so two stores in one process (tests) never meet in it.

use std::collections::HashMap;
use std::fmt::{self, Debug, Write as _};
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Mutex, OnceLock, PoisonError};

use axum::body::Bytes;

/// Bytes of HTML kept at most (≈ 140 dossier pages).
pub const BUDGET: usize = 32 << 20;

/// The hash of a page's name and inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageKey(u64);

impl PageKey {
    /// `page` names the page (two pages could be made of the same inputs); `inputs` is
    /// everything the page is made of, the layout included.
    pub fn of(page: &str, inputs: &dyn Debug) -> PageKey {
        let mut hasher = HashWriter(DefaultHasher::new());
        hasher.0.write(page.as_bytes());
        // Writing into a hasher cannot fail.
        let _ = write!(hasher, "{inputs:?}");
        PageKey(hasher.0.finish())
    }
}

/// Feeds formatted text to a hasher without building the string.
struct HashWriter(DefaultHasher);

impl fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

#[derive(Default)]
struct Pages {
    pages: HashMap<PageKey, Kept>,
    bytes: usize,
    clock: u64,
}

struct Kept {
    html: Bytes,
    used: u64,
}

fn pages() -> &'static Mutex<Pages> {
    static PAGES: OnceLock<Mutex<Pages>> = OnceLock::new();
    PAGES.get_or_init(Mutex::default)
}

/// The page rendered for `key`, if kept.
pub fn get(key: PageKey) -> Option<Bytes> {
    // A panic while the lock was held leaves a consistent map (every update is one
    // insert or remove): the cache stays usable.
    let mut p = pages().lock().unwrap_or_else(PoisonError::into_inner);
    p.clock += 1;
    let now = p.clock;
    p.pages.get_mut(&key).map(|k| {
        k.used = now;
        k.html.clone()
    })
}

/// Keeps `html` for `key`, dropping the least recently used pages beyond the budget.
pub fn put(key: PageKey, html: Bytes) {
    put_within(key, html, BUDGET);
}

fn put_within(key: PageKey, html: Bytes, budget: usize) {
    if html.len() > budget / 4 {
        return; // one page may not take the room of many
    }
    let mut p = pages().lock().unwrap_or_else(PoisonError::into_inner);
    p.clock += 1;
    let used = p.clock;
    p.bytes += html.len();
    if let Some(old) = p.pages.insert(key, Kept { html, used }) {
        p.bytes -= old.html.len();
    }
    while p.bytes > budget {
        // A linear scan: at most a few hundred pages, and only when the budget is full.
        let Some(oldest) = p.pages.iter().min_by_key(|(_, k)| k.used).map(|(k, _)| *k) else {
            break;
        };
        if let Some(k) = p.pages.remove(&oldest) {
            p.bytes -= k.html.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_changes_with_any_input_and_the_page_name() {
        let a = PageKey::of("dossier", &("session-1", 12, vec!["commentaire"]));
        assert_eq!(
            a,
            PageKey::of("dossier", &("session-1", 12, vec!["commentaire"]))
        );
        assert_ne!(
            a,
            PageKey::of("dossier", &("session-2", 12, vec!["commentaire"]))
        );
        assert_ne!(
            a,
            PageKey::of("dossier", &("session-1", 13, vec!["commentaire"]))
        );
        assert_ne!(
            a,
            PageKey::of("dossier", &("session-1", 12, vec!["commentaire."]))
        );
        assert_ne!(
            a,
            PageKey::of("campagne", &("session-1", 12, vec!["commentaire"]))
        );
    }

    #[test]
    fn pages_are_kept_and_the_least_recently_used_dropped_beyond_the_budget() {
        let key = |i: u32| PageKey::of("test-budget", &i);
        let page = |c: u8| Bytes::from(vec![c; 100]);
        put_within(key(1), page(1), 1000);
        put_within(key(2), page(2), 1000);
        assert_eq!(get(key(1)).as_deref(), Some(&[1u8; 100][..]));
        // Other tests share the process's cache: fill it past any budget with this
        // test's pages only, then check which of them survive.
        for i in 3..=10 {
            put_within(key(i), page(i as u8), 1000);
        }
        // Over 1 000 bytes with the pages of other tests too: the oldest go first. Page 1
        // was read after page 2 was kept, so page 2 goes before it.
        put_within(key(11), page(11), 1000);
        assert!(get(key(2)).is_none());
        assert_eq!(get(key(11)).as_deref(), Some(&[11u8; 100][..]));
    }

    #[test]
    fn a_page_larger_than_a_quarter_of_the_budget_is_not_kept() {
        let key = PageKey::of("test-large", &0);
        put_within(key, Bytes::from(vec![0u8; 300]), 1000);
        assert!(get(key).is_none());
    }
}
