//! The append-only audit log: every write records who, when, what, before → after.
//!
//! The log is a hash chain (table `audit_chain`, migration 0015): line n has the
//! position `seq = n` and the hash
//! `SHA-256(canonical encoding of (n, hash of line n−1, the line's fields))`,
//! the hash before line 1 being [`GENESIS`]. Editing a line changes its hash;
//! deleting one leaves a gap in the positions; so [`Store::verify_audit_chain`]
//! finds the first broken line. Rewriting the whole chain after an edit is
//! possible to whoever holds the database, which is why notified decisions
//! record the chain head (`notified_chain_head`) and the verifier prints the head
//! for the operator to keep outside the database.
//!
//! Appends are serialised so that two writers never take the same position: on
//! SQLite by `BEGIN IMMEDIATE` (one writer at a time), on PostgreSQL by a
//! transaction-scoped advisory lock taken when a write transaction begins
//! ([`lock_chain`], from `Store::begin_write`). The primary key on `seq` makes a
//! fork impossible even if a writer forgot the lock: it would fail instead.

use caqes_core::RegionCode;
use std::collections::HashMap;
use std::fmt;

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::admin::audit_page::audit_entry_from_row;
use crate::{Actor, AuditEntry, AuditLineId, Result, Store, StoreError, UserId, new_id, now_text};

/// The hash "before" the first line of the chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Tag at the start of every hashed encoding: changing the encoding means a new tag.
const ENCODING_TAG: &[u8] = b"caqes-journal-v1\n";

/// Key of PostgreSQL's advisory lock serialising the appends to the chain (an
/// arbitrary constant, "CAQES" in ASCII).
const CHAIN_LOCK_KEY: i64 = 0x0043_4151_4553;

/// Links hashed or checked per query (bounded memory whatever the log's size).
const PAGE: i64 = 1000;

/// What one audit line says; written in the same transaction as the change it describes.
pub(crate) struct AuditLine<'a> {
    pub region: Option<&'a RegionCode>,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The last link of the chain: its position and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// 0 when the log is empty.
    pub seq: i64,
    /// [`GENESIS`] when the log is empty.
    pub hash: String,
}

/// The stored fields of one line, in the order they are hashed.
struct StoredLine {
    id: String,
    at: String,
    actor: Option<String>,
    actor_label: String,
    region: Option<String>,
    action: String,
    object_kind: String,
    object_id: String,
    before: Option<String>,
    after: Option<String>,
}

impl StoredLine {
    fn from_row(r: &sqlx::any::AnyRow) -> Result<StoredLine> {
        Ok(StoredLine {
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            actor_label: r.try_get("actor_label")?,
            region: r.try_get("region")?,
            action: r.try_get("action")?,
            object_kind: r.try_get("object_kind")?,
            object_id: r.try_get("object_id")?,
            before: r.try_get("before_json")?,
            after: r.try_get("after_json")?,
        })
    }

    fn reference(&self) -> LineRef {
        LineRef {
            id: AuditLineId::from(self.id.as_str()),
            at: self.at.clone(),
            action: self.action.clone(),
            object_id: self.object_id.clone(),
        }
    }
}

/// The hash of link `seq`: SHA-256 over a canonical encoding of the position,
/// the previous hash and every field of the line. Each field is written as a
/// presence byte (0 for NULL, 1 otherwise) followed, when present, by its
/// length in bytes (8 bytes, big-endian) and its UTF-8 bytes, so that no two
/// different lines share an encoding (a field cannot "borrow" characters from
/// its neighbour, NULL differs from the empty text).
fn link_hash(prev: &str, seq: i64, line: &StoredLine) -> String {
    let mut h = Sha256::new();
    h.update(ENCODING_TAG);
    let seq = seq.to_string();
    let fields: [Option<&str>; 12] = [
        Some(&seq),
        Some(prev),
        Some(&line.id),
        Some(&line.at),
        line.actor.as_deref(),
        Some(&line.actor_label),
        line.region.as_deref(),
        Some(&line.action),
        Some(&line.object_kind),
        Some(&line.object_id),
        line.before.as_deref(),
        line.after.as_deref(),
    ];
    for field in fields {
        match field {
            None => h.update([0u8]),
            Some(text) => {
                h.update([1u8]);
                h.update((text.len() as u64).to_be_bytes());
                h.update(text.as_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

/// Serialises the appends to the chain until the end of the transaction: a
/// transaction-scoped advisory lock on PostgreSQL (re-entrant, so taking it
/// again in the same transaction is free); nothing on SQLite, where
/// `BEGIN IMMEDIATE` already admits one writer at a time.
pub(crate) async fn lock_chain(conn: &mut AnyConnection) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CHAIN_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The current head of the chain, read in the caller's (locked) transaction.
pub(crate) async fn chain_head(conn: &mut AnyConnection) -> Result<ChainHead> {
    let row = sqlx::query("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(ChainHead {
            seq: 0,
            hash: GENESIS.to_owned(),
        });
    };
    let seq: i64 = row.try_get("seq")?;
    let hash: Option<String> = row.try_get("hash")?;
    let hash = hash.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "journal d'audit : le maillon n° {seq} n'a pas d'empreinte"
        ))
    })?;
    Ok(ChainHead { seq, hash })
}

pub(crate) async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    line: AuditLine<'_>,
) -> Result<()> {
    lock_chain(conn).await?;
    let head = chain_head(conn).await?;
    let stored = StoredLine {
        id: new_id(),
        at: now_text(),
        actor: actor.user_id.clone().map(UserId::into_string),
        actor_label: actor.label.clone(),
        region: line.region.map(|code| code.to_string()),
        action: line.action.to_owned(),
        object_kind: line.object_kind.to_owned(),
        object_id: line.object_id.to_owned(),
        before: line.before.map(|v| v.to_string()),
        after: line.after.map(|v| v.to_string()),
    };
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, actor_label, region, action, object_kind, object_id, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(stored.id.clone())
    .bind(stored.at.clone())
    .bind(stored.actor.clone())
    .bind(stored.actor_label.clone())
    .bind(stored.region.clone())
    .bind(stored.action.clone())
    .bind(stored.object_kind.clone())
    .bind(stored.object_id.clone())
    .bind(stored.before.clone())
    .bind(stored.after.clone())
    .execute(&mut *conn)
    .await?;
    let seq = head.seq + 1;
    sqlx::query("INSERT INTO audit_chain (seq, line, hash) VALUES ($1, $2, $3)")
        .bind(seq)
        .bind(stored.id.clone())
        .bind(link_hash(&head.hash, seq, &stored))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const LINE_COLUMNS: &str = "l.id, l.at, l.actor, l.actor_label, l.region, l.action, l.object_kind, l.object_id, \
     l.before_json, l.after_json";

/// An audit line, as the verifier names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRef {
    pub id: AuditLineId,
    pub at: String,
    pub action: String,
    pub object_id: String,
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "écrite le {}, action « {} », objet {}, identifiant {}",
            self.at, self.action, self.object_id, self.id
        )
    }
}

/// A notified decision and the chain head it recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// `sanction_decisions` or `volet_decisions`.
    pub table: &'static str,
    pub decision: String,
    pub head: String,
}

/// The first thing found wrong in the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainBreak {
    /// Position `seq` is missing: its line was deleted (with its link, or alone).
    Deleted { seq: i64, line: Option<String> },
    /// Line `seq` no longer matches its hash: it was edited (or the chain was
    /// rewritten from it).
    Edited { seq: i64, line: LineRef },
    /// Link `seq` has no hash.
    Unhashed { seq: i64, line: LineRef },
    /// A line that is in no link: written around the platform.
    Unchained { line: LineRef },
    /// A notified decision's recorded head is no longer a link of the chain.
    AnchorLost(Anchor),
    /// A notified decision's recorded head is not followed by a notification
    /// line (the end of the log was cut).
    NotificationLost { anchor: Anchor, seq: i64 },
    /// The head the operator kept is no longer in the chain.
    KnownHeadLost { hash: String },
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainBreak::Deleted { seq, line: None } => write!(
                f,
                "la ligne n° {seq} du journal d'audit a été supprimée (la chaîne saute cette position)"
            ),
            ChainBreak::Deleted {
                seq,
                line: Some(id),
            } => write!(
                f,
                "la ligne n° {seq} du journal d'audit (identifiant {id}) a été supprimée (son maillon reste)"
            ),
            ChainBreak::Edited { seq, line } => write!(
                f,
                "la ligne n° {seq} du journal d'audit ({line}) a été modifiée : son empreinte ne \
                 correspond plus à son contenu et à la ligne précédente"
            ),
            ChainBreak::Unhashed { seq, line } => write!(
                f,
                "la ligne n° {seq} du journal d'audit ({line}) n'a pas d'empreinte"
            ),
            ChainBreak::Unchained { line } => write!(
                f,
                "une ligne du journal d'audit ({line}) est hors de la chaîne : elle a été ajoutée \
                 sans passer par la plateforme"
            ),
            ChainBreak::AnchorLost(a) => write!(
                f,
                "la décision notifiée {} ({}) a enregistré la tête de chaîne {}, qui n'est plus \
                 dans le journal d'audit",
                a.decision, a.table, a.head
            ),
            ChainBreak::NotificationLost { anchor, seq } => write!(
                f,
                "la ligne n° {seq} du journal d'audit, qui doit enregistrer la notification de la \
                 décision {} ({}), a été supprimée ou remplacée",
                anchor.decision, anchor.table
            ),
            ChainBreak::KnownHeadLost { hash } => write!(
                f,
                "la tête de chaîne connue {hash} n'est plus dans le journal d'audit : des lignes \
                 ont été supprimées ou modifiées"
            ),
        }
    }
}

/// What [`Store::verify_audit_chain`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainVerdict {
    /// Every line is in place: the number of lines, the head, and the number of
    /// notified decisions whose recorded head was found followed by their
    /// notification.
    Intact {
        lines: i64,
        head: ChainHead,
        anchors: usize,
    },
    Broken(ChainBreak),
}

impl Store {
    /// The latest `limit` audit lines of a region, newest first.
    pub async fn audit_in_region(
        &self,
        region: &RegionCode,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, actor_label, region, action, object_kind, object_id, before_json, after_json \
             FROM audit_log WHERE region = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(region.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_entry_from_row).collect()
    }

    /// The number of audit lines about one object (used by tests and the UI).
    pub async fn audit_count_for(&self, object_id: &str) -> Result<i64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE object_id = $1")
            .bind(object_id.to_owned())
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(n)
    }

    /// The current head of the audit chain.
    pub async fn audit_chain_head(&self) -> Result<ChainHead> {
        let mut conn = self.pool.acquire().await?;
        chain_head(&mut conn).await
    }

    /// Hashes the links of the lines written before migration 0015 (which gave
    /// them their positions in (at, id) order, without hash since SQLite's SQL
    /// has no SHA-256). Runs in `Store::connect` before the chain's append-only
    /// guard is installed; does nothing once every link has its hash.
    pub(crate) async fn hash_legacy_links(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let mut hashed = 0u64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT c.seq, {LINE_COLUMNS} FROM audit_chain c JOIN audit_log l ON l.id = c.line \
                 WHERE c.hash IS NULL ORDER BY c.seq LIMIT {PAGE}"
            ))
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let seq: i64 = row.try_get("seq")?;
                let prev = if seq == 1 {
                    GENESIS.to_owned()
                } else {
                    let prev: Option<String> =
                        sqlx::query("SELECT hash FROM audit_chain WHERE seq = $1")
                            .bind(seq - 1)
                            .fetch_optional(&mut *tx)
                            .await?
                            .map(|r| r.try_get("hash"))
                            .transpose()?
                            .flatten();
                    prev.ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "journal d'audit : le maillon n° {} manque ou n'a pas d'empreinte",
                            seq - 1
                        ))
                    })?
                };
                let line = StoredLine::from_row(&row)?;
                sqlx::query("UPDATE audit_chain SET hash = $1 WHERE seq = $2")
                    .bind(link_hash(&prev, seq, &line))
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                hashed += 1;
            }
        }
        tx.commit().await?;
        if hashed > 0 {
            tracing::info!(
                lignes = hashed,
                "journal d'audit : lignes antérieures à la chaîne chaînées"
            );
        }
        Ok(())
    }

    /// Checks the whole audit log in one consistent snapshot: every position
    /// from 1 to the head present, every line matching its hash, no line outside
    /// the chain, every notified decision's recorded head still a link followed
    /// by a notification line, and `known_heads` (heads the operator kept) still
    /// links. Reads the log in pages: memory does not grow with its size.
    pub async fn verify_audit_chain(&self, known_heads: &[String]) -> Result<ChainVerdict> {
        let mut tx = self.begin_snapshot().await?;
        let mut anchors: HashMap<String, Vec<Anchor>> = HashMap::new();
        for table in ["sanction_decisions", "volet_decisions"] {
            let rows = sqlx::query(&format!(
                "SELECT id, notified_chain_head FROM {table} WHERE notified_chain_head IS NOT NULL"
            ))
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                let head: String = r.try_get("notified_chain_head")?;
                anchors.entry(head.clone()).or_default().push(Anchor {
                    table,
                    decision: r.try_get("id")?,
                    head,
                });
            }
        }
        let mut known: HashMap<&str, bool> =
            known_heads.iter().map(|h| (h.as_str(), false)).collect();
        let anchor_count: usize = anchors.values().map(Vec::len).sum();
        // Anchors found at the previous link: the current line must be their notification.
        let mut awaiting: Vec<Anchor> = anchors.remove(GENESIS).unwrap_or_default();
        if let Some(seen) = known.get_mut(GENESIS) {
            *seen = true;
        }
        let mut head = ChainHead {
            seq: 0,
            hash: GENESIS.to_owned(),
        };
        loop {
            let rows = sqlx::query(&format!(
                "SELECT c.seq, c.line AS link_line, c.hash, {LINE_COLUMNS} FROM audit_chain c \
                 LEFT JOIN audit_log l ON l.id = c.line WHERE c.seq > $1 ORDER BY c.seq LIMIT {PAGE}"
            ))
            .bind(head.seq)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let seq: i64 = row.try_get("seq")?;
                if seq != head.seq + 1 {
                    return Ok(ChainVerdict::Broken(ChainBreak::Deleted {
                        seq: head.seq + 1,
                        line: None,
                    }));
                }
                let present: Option<String> = row.try_get("id")?;
                if present.is_none() {
                    return Ok(ChainVerdict::Broken(ChainBreak::Deleted {
                        seq,
                        line: Some(row.try_get("link_line")?),
                    }));
                }
                let line = StoredLine::from_row(&row)?;
                let Some(stored): Option<String> = row.try_get("hash")? else {
                    return Ok(ChainVerdict::Broken(ChainBreak::Unhashed {
                        seq,
                        line: line.reference(),
                    }));
                };
                if link_hash(&head.hash, seq, &line) != stored {
                    return Ok(ChainVerdict::Broken(ChainBreak::Edited {
                        seq,
                        line: line.reference(),
                    }));
                }
                if let Some(anchor) = awaiting.pop()
                    && !line.action.ends_with(".notifier")
                {
                    return Ok(ChainVerdict::Broken(ChainBreak::NotificationLost {
                        anchor,
                        seq,
                    }));
                }
                awaiting = anchors.remove(&stored).unwrap_or_default();
                if let Some(seen) = known.get_mut(stored.as_str()) {
                    *seen = true;
                }
                head = ChainHead { seq, hash: stored };
            }
        }
        if let Some(anchor) = awaiting.pop() {
            return Ok(ChainVerdict::Broken(ChainBreak::NotificationLost {
                anchor,
                seq: head.seq + 1,
            }));
        }
        let outside = sqlx::query(&format!(
            "SELECT {LINE_COLUMNS} FROM audit_log l LEFT JOIN audit_chain c ON c.line = l.id \
             WHERE c.line IS NULL ORDER BY l.at, l.id LIMIT 1"
        ))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = outside {
            return Ok(ChainVerdict::Broken(ChainBreak::Unchained {
                line: StoredLine::from_row(&row)?.reference(),
            }));
        }
        if let Some(anchor) = anchors
            .into_values()
            .flatten()
            .min_by(|a, b| (a.table, &a.decision).cmp(&(b.table, &b.decision)))
        {
            return Ok(ChainVerdict::Broken(ChainBreak::AnchorLost(anchor)));
        }
        if let Some(hash) = known_heads
            .iter()
            .find(|h| known.get(h.as_str()) != Some(&true))
        {
            return Ok(ChainVerdict::Broken(ChainBreak::KnownHeadLost {
                hash: hash.clone(),
            }));
        }
        tx.commit().await?;
        Ok(ChainVerdict::Intact {
            lines: head.seq,
            head,
            anchors: anchor_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{GENESIS, StoredLine, link_hash};

    fn line() -> StoredLine {
        StoredLine {
            id: "l1".into(),
            at: "2019-01-01T00:00:00.000000Z".into(),
            actor: None,
            actor_label: "système".into(),
            region: Some("76".into()),
            action: "region.creer".into(),
            object_kind: "region".into(),
            object_id: "76".into(),
            before: None,
            after: Some("{}".into()),
        }
    }

    #[test]
    fn the_hash_commits_to_every_field_the_position_and_the_previous_hash() {
        let base = link_hash(GENESIS, 1, &line());
        assert_eq!(base.len(), 64);
        assert_eq!(base, link_hash(GENESIS, 1, &line()), "déterministe");
        assert_ne!(base, link_hash(GENESIS, 2, &line()));
        assert_ne!(base, link_hash(&"1".repeat(64), 1, &line()));
        let edits: [fn(&mut StoredLine); 10] = [
            |l| l.id.push('x'),
            |l| l.at.push('x'),
            |l| l.actor = Some("u".into()),
            |l| l.actor_label.push('x'),
            |l| l.region = None,
            |l| l.action.push('x'),
            |l| l.object_kind.push('x'),
            |l| l.object_id.push('x'),
            |l| l.before = Some("{}".into()),
            |l| l.after = None,
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut l = line();
            edit(&mut l);
            assert_ne!(base, link_hash(GENESIS, 1, &l), "champ n° {i}");
        }
    }

    #[test]
    fn the_encoding_tells_null_from_empty_and_keeps_field_boundaries() {
        let mut empty = line();
        empty.before = Some(String::new());
        assert_ne!(
            link_hash(GENESIS, 1, &line()),
            link_hash(GENESIS, 1, &empty)
        );
        // The same characters split differently between two fields.
        let mut a = line();
        a.object_kind = "regio".into();
        a.object_id = "n76".into();
        let mut b = line();
        b.object_kind = "region7".into();
        b.object_id = "6".into();
        assert_ne!(link_hash(GENESIS, 1, &a), link_hash(GENESIS, 1, &b));
    }
}
