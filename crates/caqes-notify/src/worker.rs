//! The background worker: reminders, digests, and the outbox's delivery.
//!
//! One loop, every `tick`: write the reminders due today (at most every
//! `reminder_every`; idempotent), build the day's digests after
//! `caqes_core::notification::DIGEST_HOUR` (Paris), then claim the due e-mails
//! and send them one by one, marking each sent as soon as it is delivered
//! (the window in which a crash makes a message go twice is one message, and
//! that message keeps its Message-ID). A failure is retried with an
//! exponential back-off (`caqes_store::notify::outbox::backoff_seconds`) and
//! shown to the administrator with its last error.

use std::time::Duration;

use caqes_core::calendar::{paris, paris_date};
use caqes_core::notification::DIGEST_HOUR;
use caqes_store::Store;
use caqes_store::notify::now_seconds;
use lettre::message::Mailbox;
use tokio::task::JoinHandle;

use crate::mail::{ComposeError, compose, parse_mailbox};
use crate::transport::Transport;

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// The sender of every e-mail.
    pub from: String,
    /// The site's public address, for the links (`https://caqes.ars.example`).
    pub base_url: String,
    /// Pause between two rounds when the outbox is empty.
    pub tick: Duration,
    /// How long a claimed e-mail stays reserved to its worker.
    pub lease_seconds: i64,
    /// E-mails claimed at once.
    pub batch: i64,
    /// Pause between two reminder passes.
    pub reminder_every: Duration,
}

impl WorkerSettings {
    pub fn new(from: &str, base_url: &str) -> WorkerSettings {
        WorkerSettings {
            from: from.to_owned(),
            base_url: base_url.to_owned(),
            tick: Duration::from_secs(5),
            lease_seconds: 300,
            batch: 20,
            reminder_every: Duration::from_secs(600),
        }
    }
}

/// What one round did (for the log and the tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub reminders: u64,
    pub digests: u64,
    pub sent: u64,
    pub failed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] caqes_store::StoreError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// Sends the outbox through `T`.
pub struct Worker<T> {
    store: Store,
    transport: T,
    settings: WorkerSettings,
    from: Mailbox,
    last_reminders: Option<std::time::Instant>,
}

impl<T: Transport> Worker<T> {
    pub fn new(store: Store, transport: T, settings: WorkerSettings) -> Result<Self, WorkerError> {
        let from = parse_mailbox(&settings.from)?;
        Ok(Worker {
            store,
            transport,
            settings,
            from,
            last_reminders: None,
        })
    }

    /// One round: reminders (when due), digests (after the digest hour),
    /// then every e-mail due now, batch after batch.
    pub async fn round(&mut self) -> Result<Round, WorkerError> {
        let mut round = Round::default();
        let now = jiff::Timestamp::now();
        let today = paris_date(now);
        if self
            .last_reminders
            .is_none_or(|t| t.elapsed() >= self.settings.reminder_every)
        {
            round.reminders = self.store.schedule_reminders(today).await?;
            self.last_reminders = Some(std::time::Instant::now());
        }
        if now.to_zoned(paris()).hour() >= DIGEST_HOUR {
            round.digests = self.store.prepare_digests(today).await?;
        }
        loop {
            let claimed = self
                .store
                .claim_mail(
                    now_seconds(),
                    self.settings.lease_seconds,
                    self.settings.batch,
                )
                .await?;
            if claimed.is_empty() {
                break;
            }
            for mail in &claimed {
                let outcome = match compose(mail, &self.from, &self.settings.base_url) {
                    Ok(composed) => self
                        .transport
                        .send(&composed)
                        .await
                        .map(|()| composed.message_id)
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match outcome {
                    Ok(message_id) => {
                        if self.store.mark_mail_sent(mail).await? {
                            tracing::info!(%message_id, to = %mail.to, "courriel envoyé");
                            round.sent += 1;
                        } else {
                            tracing::warn!(%message_id, "courriel repris par un autre envoi (bail expiré)");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(id = %mail.id, %error, "échec d'envoi d'un courriel");
                        self.store
                            .mark_mail_failed(mail, &error, now_seconds())
                            .await?;
                        round.failed += 1;
                    }
                }
            }
        }
        Ok(round)
    }

    /// Runs rounds until the task is dropped; a failing round (database
    /// unreachable…) is logged and retried at the next tick.
    pub async fn run(mut self) {
        loop {
            match self.round().await {
                Ok(r) if r != Round::default() => {
                    tracing::debug!(?r, "tour d'envoi des notifications");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "envoi des notifications"),
            }
            tokio::time::sleep(self.settings.tick).await;
        }
    }

    /// Starts [`Worker::run`] on the current runtime.
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(self.run())
    }
}
