//! # caqes-notify
//!
//! Sends the platform's notifications by e-mail. The notifications and their
//! outbox rows are written by `caqes-store` in the transaction of each event;
//! this crate reads the outbox and delivers it:
//!
//! - [`worker`]: the background task started by `caqes serve` and `caqes demo`:
//!   schedules the reminders (J-15, J-7, J-1) and the daily digests, claims the
//!   due e-mails with a lease, sends them, marks them sent, or retries them
//!   with an exponential back-off; a worker killed while sending loses nothing
//!   (the lease expires, another claim takes the row again);
//! - [`mail`]: the French e-mails (askama templates, plain text and HTML), with
//!   a Message-ID derived from the outbox row, so that a message sent again
//!   after a crash is the same message;
//! - [`transport`]: SMTP with `lettre` (rustls, no OpenSSL), or `.eml` files in a
//!   folder (the demo's `DATA_DIR/courriels/`, written atomically and named by
//!   Message-ID, so a message written twice is one file);
//! - [`config`]: the `[smtp]` settings, whose password never prints.
//!
//! Layering: this crate depends on `caqes-store` and `caqes-core` only; the
//! store knows nothing of it, and the web crate needs none of it (its pages read
//! the store). The binary starts the worker.

pub mod config;
pub mod mail;
pub mod transport;
pub mod worker;

pub use config::{Secret, SmtpSettings, TlsMode};
pub use transport::{MailDir, SendError, Smtp, Transport};
pub use worker::{Worker, WorkerSettings};
