//! Backup and restore of a whole database as a portable archive.
//!
//! The archive is written by the store itself, inside ONE read transaction (a
//! snapshot: `REPEATABLE READ` on PostgreSQL, a deferred read transaction on
//! SQLite, whose WAL journal keeps the snapshot while writers go on), so it is
//! consistent while the server runs. Its format is the same for both engines,
//! so a SQLite backup restores into PostgreSQL and the other way round.
//!
//! Format (UTF-8 JSON lines):
//! 1. a header object: `{"format":"caqes-sauvegarde","version":1,"schema":[1,…,15],"base":…,"cree_le":…}`,
//!    `schema` being the migrations applied to the saved database;
//! 2. for each table, in an order where a table comes after those its foreign
//!    keys reference: `{"table":"regions","colonnes":["code","name"]}`, then one
//!    JSON array per row (integers as numbers, text as strings, NULL as null);
//! 3. a footer `{"fin":{"lignes":{"regions":2,…},"sha256":"…"}}`, the SHA-256
//!    being that of every byte before the footer: a cut or altered archive is
//!    refused.
//!
//! A restore goes into an empty database at the same schema (every migration
//! the archive names, no other), in one transaction: all of it or nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::{Backend, Store, StoreError, now_text};

/// The `format` of the header.
pub const FORMAT: &str = "caqes-sauvegarde";
/// The version of the archive format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Rows inserted per statement (a bound on the statement's parameters too).
const MAX_PARAMS: usize = 900;

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("écriture de la sauvegarde : {0}")]
    Write(#[source] std::io::Error),
    #[error("lecture de la sauvegarde : {0}")]
    Read(#[source] std::io::Error),
    #[error("sauvegarde illisible, ligne {line} : {message}")]
    Format { line: u64, message: String },
    #[error(
        "la base de destination n'est pas vide (table {table} : {rows} ligne(s)) : la restauration \
         se fait dans une base vide"
    )]
    NotEmpty { table: String, rows: i64 },
    #[error(
        "la sauvegarde a été faite au schéma {archive:?}, la base de destination est au schéma \
         {target:?} : utilisez la version de caqes qui a fait la sauvegarde"
    )]
    SchemaMismatch { archive: Vec<i64>, target: Vec<i64> },
    #[error("la base ne contient pas le schéma de caqes (aucune migration appliquée)")]
    NoSchema,
    #[error("colonne {table}.{column} : type « {kind} » non pris en charge par la sauvegarde")]
    UnsupportedType {
        table: String,
        column: String,
        kind: String,
    },
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Store(StoreError::Db(e))
    }
}

type BResult<T> = std::result::Result<T, BackupError>;

/// What a backup or a restore handled: rows per table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts(pub BTreeMap<String, u64>);

impl Counts {
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    schema: Vec<i64>,
    base: String,
    cree_le: String,
}

#[derive(Serialize, Deserialize)]
struct TableStart {
    table: String,
    colonnes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Footer {
    fin: FooterBody,
}

#[derive(Serialize, Deserialize)]
struct FooterBody {
    lignes: Counts,
    sha256: String,
}

/// The kinds of column the portable schema uses (see the first migration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Text,
}

#[derive(Clone, Debug)]
struct Column {
    name: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
    primary_key: Vec<String>,
    references: BTreeSet<String>,
}

/// Table and column names come from the database's own catalog, never from the
/// archive unchecked; quoting them keeps any name a name.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn kind_of(table: &str, column: &str, declared: &str) -> BResult<Kind> {
    let d = declared.to_ascii_lowercase();
    if d == "text" {
        Ok(Kind::Text)
    } else if d == "bigint" || d == "integer" {
        Ok(Kind::Integer)
    } else {
        Err(BackupError::UnsupportedType {
            table: table.to_owned(),
            column: column.to_owned(),
            kind: declared.to_owned(),
        })
    }
}

/// The tables of the schema (the migrations' bookkeeping aside), each after the
/// tables it references; ties by name, so the order is the same every time.
/// The tables saved and restored: all but the migrations' own, `score_revisions` and
/// `entity_score_revisions` and `campaign_list_revisions`, derived data that the triggers rebuild
/// while a restore inserts the rows.
async fn tables(conn: &mut AnyConnection, backend: Backend) -> BResult<Vec<Table>> {
    let names: Vec<String> = match backend {
        Backend::Sqlite => sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '_sqlx_migrations' AND name <> 'score_revisions' \
             AND name <> 'entity_score_revisions' AND name <> 'campaign_list_revisions' ORDER BY name",
        ),
        Backend::Postgres => sqlx::query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations' AND table_name <> 'score_revisions' \
             AND table_name <> 'entity_score_revisions' \
             AND table_name <> 'campaign_list_revisions' ORDER BY 1",
        ),
    }
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get("name"))
    .collect::<Result<_, _>>()?;
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        let (columns_sql, key_sql, references_sql) = match backend {
            Backend::Sqlite => (
                "SELECT name, type AS kind FROM pragma_table_info($1) ORDER BY cid",
                "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
                "SELECT DISTINCT \"table\" AS target FROM pragma_foreign_key_list($1)",
            ),
            Backend::Postgres => (
                "SELECT column_name::text AS name, data_type::text AS kind \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                "SELECT a.attname::text AS name FROM pg_index i \
                 JOIN pg_class t ON t.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 WHERE i.indisprimary AND n.nspname = current_schema() AND t.relname = $1 \
                 ORDER BY k.ord",
                "SELECT DISTINCT f.relname::text AS target FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid \
                 JOIN pg_class f ON f.oid = c.confrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1",
            ),
        };
        let mut columns = Vec::new();
        for r in sqlx::query(columns_sql)
            .bind(name.clone())
            .fetch_all(&mut *conn)
            .await?
        {
            let column: String = r.try_get("name")?;
            let declared: String = r.try_get("kind")?;
            let kind = kind_of(&name, &column, &declared)?;
            columns.push(Column { name: column, kind });
        }
        let primary_key = sqlx::query(key_sql)
            .bind(name.clone())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("name"))
            .collect::<Result<_, _>>()?;
        let references = sqlx::query(references_sql)
            .bind(name.clone())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("target"))
            .collect::<Result<BTreeSet<String>, _>>()?;
        found.push(Table {
            name,
            columns,
            primary_key,
            references,
        });
    }
    dependency_order(found)
}

/// Orders the tables so that each comes after the tables it references (a
/// table referencing itself needs nothing before it).
fn dependency_order(mut pending: Vec<Table>) -> BResult<Vec<Table>> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|t| {
            t.references
                .iter()
                .all(|r| *r == t.name || done.contains(r))
        });
        let Some(i) = ready else {
            let names: Vec<&str> = pending.iter().map(|t| t.name.as_str()).collect();
            return Err(StoreError::Corrupt(format!(
                "clés étrangères circulaires entre les tables {}",
                names.join(", ")
            ))
            .into());
        };
        let table = pending.remove(i);
        done.insert(table.name.clone());
        ordered.push(table);
    }
    Ok(ordered)
}

/// The migrations applied to the database, in order.
async fn applied_migrations(conn: &mut AnyConnection, backend: Backend) -> BResult<Vec<i64>> {
    let exists = match backend {
        Backend::Sqlite => sqlx::query(
            "SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        ),
        Backend::Postgres => sqlx::query(
            "SELECT 1 AS one FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
        ),
    }
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if !exists {
        return Err(BackupError::NoSchema);
    }
    let versions: Vec<i64> =
        sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("version"))
            .collect::<Result<_, _>>()?;
    if versions.is_empty() {
        return Err(BackupError::NoSchema);
    }
    Ok(versions)
}

/// A writer that hashes what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Hashing<W> {
    fn line(&mut self, value: &impl Serialize) -> BResult<()> {
        let mut bytes =
            serde_json::to_vec(value).map_err(|e| BackupError::Write(std::io::Error::other(e)))?;
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.inner.write_all(&bytes).map_err(BackupError::Write)
    }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    }
}

impl Store {
    /// Writes the whole database to `out` as an archive (see the module's
    /// documentation), from one snapshot. Returns the rows written per table.
    pub async fn backup(&self, out: impl Write) -> BResult<Counts> {
        let mut tx = self.begin_snapshot().await?;
        let schema = applied_migrations(&mut tx, self.backend).await?;
        let tables = tables(&mut tx, self.backend).await?;
        let mut out = Hashing {
            inner: out,
            hasher: Sha256::new(),
        };
        out.line(&Header {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            schema,
            base: backend_name(self.backend).to_owned(),
            cree_le: now_text(),
        })?;
        let mut counts = Counts::default();
        for table in &tables {
            out.line(&TableStart {
                table: table.name.clone(),
                colonnes: table.columns.iter().map(|c| c.name.clone()).collect(),
            })?;
            let columns: Vec<String> = table.columns.iter().map(|c| quoted(&c.name)).collect();
            let order = if table.primary_key.is_empty() {
                String::new()
            } else {
                let key: Vec<String> = table.primary_key.iter().map(|c| quoted(c)).collect();
                format!(" ORDER BY {}", key.join(", "))
            };
            let sql = format!(
                "SELECT {} FROM {}{order}",
                columns.join(", "),
                quoted(&table.name)
            );
            let mut rows = sqlx::query(&sql).fetch(&mut *tx);
            let mut n = 0u64;
            while let Some(row) = rows.try_next().await? {
                let mut values = Vec::with_capacity(table.columns.len());
                for (i, column) in table.columns.iter().enumerate() {
                    values.push(match column.kind {
                        Kind::Integer => row
                            .try_get::<Option<i64>, _>(i)?
                            .map_or(Value::Null, Value::from),
                        Kind::Text => row
                            .try_get::<Option<String>, _>(i)?
                            .map_or(Value::Null, Value::from),
                    });
                }
                out.line(&values)?;
                n += 1;
            }
            drop(rows);
            counts.0.insert(table.name.clone(), n);
        }
        let sha256 = hex::encode(out.hasher.clone().finalize());
        out.line(&Footer {
            fin: FooterBody {
                lignes: counts.clone(),
                sha256,
            },
        })?;
        out.inner.flush().map_err(BackupError::Write)?;
        tx.commit().await?;
        Ok(counts)
    }

    /// Restores an archive into this database, which must be empty and at the
    /// archive's schema. One transaction: on any error nothing stays.
    pub async fn restore(&self, mut input: impl BufRead) -> BResult<Counts> {
        let mut tx = self.begin_write().await?;
        let target_schema = applied_migrations(&mut tx, self.backend).await?;
        let tables: BTreeMap<String, Table> = tables(&mut tx, self.backend)
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        for name in tables.keys() {
            let rows: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {}", quoted(name)))
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
            if rows > 0 {
                return Err(BackupError::NotEmpty {
                    table: name.clone(),
                    rows,
                });
            }
        }
        let mut reader = Lines {
            input: &mut input,
            number: 0,
            buffer: String::new(),
            hasher: Sha256::new(),
        };
        let header: Header = reader.object("l'en-tête de la sauvegarde")?;
        if header.format != FORMAT || header.version != FORMAT_VERSION {
            return Err(reader.error(format!(
                "ce n'est pas une sauvegarde caqes de version {FORMAT_VERSION} (format « {} », version {})",
                header.format, header.version
            )));
        }
        if header.schema != target_schema {
            return Err(BackupError::SchemaMismatch {
                archive: header.schema,
                target: target_schema,
            });
        }
        let mut counts = Counts::default();
        let mut current: Option<(&Table, Vec<Vec<Value>>)> = None;
        let footer = loop {
            let before = reader.hasher.clone();
            let Some(value) = reader.next_value()? else {
                return Err(reader.error(
                    "fin de fichier avant la fin de la sauvegarde (fichier tronqué)".into(),
                ));
            };
            match value {
                Value::Array(row) => {
                    let Some((table, batch)) = current.as_mut() else {
                        return Err(reader.error("ligne de données avant toute table".into()));
                    };
                    if row.len() != table.columns.len() {
                        return Err(reader.error(format!(
                            "{} valeurs pour les {} colonnes de la table {}",
                            row.len(),
                            table.columns.len(),
                            table.name
                        )));
                    }
                    batch.push(row);
                    *counts.0.entry(table.name.clone()).or_default() += 1;
                    if batch.len() * table.columns.len() >= MAX_PARAMS {
                        insert_rows(&mut tx, table, batch, reader.number).await?;
                    }
                }
                Value::Object(ref map) if map.contains_key("table") => {
                    if let Some((table, batch)) = current.as_mut() {
                        insert_rows(&mut tx, table, batch, reader.number).await?;
                    }
                    let start: TableStart = serde_json::from_value(value)
                        .map_err(|e| reader.error(format!("début de table illisible : {e}")))?;
                    let Some(table) = tables.get(&start.table) else {
                        return Err(reader.error(format!(
                            "la table {} n'existe pas dans la base de destination",
                            start.table
                        )));
                    };
                    let expected: Vec<&str> =
                        table.columns.iter().map(|c| c.name.as_str()).collect();
                    if start.colonnes != expected {
                        return Err(reader.error(format!(
                            "colonnes de la table {} : la sauvegarde a {:?}, la base {:?}",
                            table.name, start.colonnes, expected
                        )));
                    }
                    if counts.0.insert(table.name.clone(), 0).is_some() {
                        return Err(reader.error(format!("table {} en double", table.name)));
                    }
                    current = Some((table, Vec::new()));
                }
                Value::Object(ref map) if map.contains_key("fin") => {
                    if let Some((table, batch)) = current.as_mut() {
                        insert_rows(&mut tx, table, batch, reader.number).await?;
                    }
                    let footer: Footer = serde_json::from_value(value)
                        .map_err(|e| reader.error(format!("fin de sauvegarde illisible : {e}")))?;
                    break (footer, before);
                }
                _ => return Err(reader.error("ligne inattendue".into())),
            }
        };
        let (footer, hasher) = footer;
        if hex::encode(hasher.finalize()) != footer.fin.sha256 {
            return Err(reader.error(
                "l'empreinte SHA-256 ne correspond pas : la sauvegarde a été modifiée ou abîmée"
                    .into(),
            ));
        }
        if footer.fin.lignes != counts {
            return Err(reader.error(
                "le nombre de lignes par table ne correspond pas à la fin de la sauvegarde".into(),
            ));
        }
        if let Some(missing) = tables.keys().find(|t| !counts.0.contains_key(*t)) {
            return Err(reader.error(format!("la table {missing} manque dans la sauvegarde")));
        }
        if reader.next_value()?.is_some() {
            return Err(reader.error("données après la fin de la sauvegarde".into()));
        }
        tx.commit().await?;
        Ok(counts)
    }
}

/// Inserts the rows of `batch` (emptied), several per statement.
async fn insert_rows(
    conn: &mut AnyConnection,
    table: &Table,
    batch: &mut Vec<Vec<Value>>,
    line: u64,
) -> BResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let width = table.columns.len();
    let columns: Vec<String> = table.columns.iter().map(|c| quoted(&c.name)).collect();
    let per_statement = (MAX_PARAMS / width.max(1)).max(1);
    for rows in batch.chunks(per_statement) {
        let tuples: Vec<String> = (0..rows.len())
            .map(|r| {
                let params: Vec<String> =
                    (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            quoted(&table.name),
            columns.join(", "),
            tuples.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for row in rows {
            for (value, column) in row.iter().zip(&table.columns) {
                q = match (column.kind, value) {
                    (Kind::Integer, Value::Null) => q.bind(None::<i64>),
                    (Kind::Text, Value::Null) => q.bind(None::<String>),
                    (Kind::Integer, Value::Number(n)) if n.is_i64() => q.bind(n.as_i64()),
                    (Kind::Text, Value::String(s)) => q.bind(s.clone()),
                    (_, other) => {
                        return Err(BackupError::Format {
                            line,
                            message: format!(
                                "valeur {other} inattendue pour la colonne {}.{}",
                                table.name, column.name
                            ),
                        });
                    }
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    batch.clear();
    Ok(())
}

/// Reads the archive line by line, hashing every byte read.
struct Lines<'a, R> {
    input: &'a mut R,
    number: u64,
    buffer: String,
    hasher: Sha256,
}

impl<R: BufRead> Lines<'_, R> {
    fn error(&self, message: String) -> BackupError {
        BackupError::Format {
            line: self.number,
            message,
        }
    }

    /// The next line as JSON, `None` at the end of the file.
    fn next_value(&mut self) -> BResult<Option<Value>> {
        self.buffer.clear();
        let n = self
            .input
            .read_line(&mut self.buffer)
            .map_err(BackupError::Read)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        self.hasher.update(self.buffer.as_bytes());
        if !self.buffer.ends_with('\n') {
            return Err(self.error("ligne incomplète (fichier tronqué)".into()));
        }
        serde_json::from_str(&self.buffer)
            .map(Some)
            .map_err(|e| self.error(format!("JSON invalide : {e}")))
    }

    fn object<T: for<'de> Deserialize<'de>>(&mut self, what: &str) -> BResult<T> {
        let value = self
            .next_value()?
            .ok_or_else(|| self.error(format!("fichier vide : {what} manque")))?;
        serde_json::from_value(value).map_err(|e| self.error(format!("{what} illisible : {e}")))
    }
}
