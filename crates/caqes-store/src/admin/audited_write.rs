//! The audited write (issue 16): one transaction that begins as every write does
//! ([`Store::begin_write`]: `BEGIN IMMEDIATE` on SQLite, the audit chain's lock on
//! PostgreSQL), runs its checks and statements on the transaction's connection, and
//! can only commit with its audit line and, when someone must hear of it, its
//! notification in the outbox. Dropping it without committing rolls everything back,
//! so an error returned with `?` anywhere in between writes nothing.
//!
//! The checks read through [`AuditedWrite::conn`] inside the transaction: since the
//! write lock is taken first, no other write comes between what they saw and what is
//! written. A statement whose `WHERE` repeats the state the checks saw goes through
//! [`AuditedWrite::guarded`], which refuses to go on unless it touched exactly one row.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Transaction};

use caqes_core::notification::Event;

use crate::admin::audit::{AuditLine, record};
use crate::conflict::StaleConflict;
use crate::notify::{About, emit};
use crate::{Actor, Result, Store};

/// A statement of an audited write.
pub(crate) type Statement<'q> = Query<'q, Any, AnyArguments<'q>>;

/// Who hears of a write: the event, what it is about and the page it opens.
pub(crate) struct Notice<'a> {
    pub event: Event,
    pub about: About<'a>,
    pub link: &'a str,
}

/// An open write transaction that commits only with its audit line.
#[must_use = "an audited write writes nothing until `commit`"]
pub(crate) struct AuditedWrite {
    tx: Transaction<'static, Any>,
}

impl Store {
    /// Opens an audited write (see the module).
    pub(crate) async fn audited_write(&self) -> Result<AuditedWrite> {
        Ok(AuditedWrite {
            tx: self.begin_write().await?,
        })
    }
}

impl AuditedWrite {
    /// The transaction's connection: the reads that check the write, and statements
    /// built by helpers taking a connection.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Runs a statement; returns the rows it touched.
    pub(crate) async fn execute(&mut self, statement: Statement<'_>) -> Result<u64> {
        Ok(statement.execute(&mut *self.tx).await?.rows_affected())
    }

    /// Runs a statement that must touch exactly one row; otherwise the object is not
    /// in the state the checks saw and `changed` is the conflict.
    pub(crate) async fn guarded(
        &mut self,
        statement: Statement<'_>,
        changed: StaleConflict,
    ) -> Result<()> {
        if self.execute(statement).await? == 1 {
            Ok(())
        } else {
            Err(changed.into())
        }
    }

    /// Appends the audit line to the hash chain, writes the notification (if any) to
    /// the outbox, and commits: the three or nothing.
    pub(crate) async fn commit(
        mut self,
        actor: &Actor,
        line: AuditLine<'_>,
        notice: Option<Notice<'_>>,
    ) -> Result<()> {
        record(&mut self.tx, actor, line).await?;
        if let Some(n) = notice {
            emit(&mut self.tx, n.event, n.about, n.link).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
