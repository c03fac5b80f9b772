//! SHA-256 of the provenance computed once per file version, like git's index: a cache keyed
//! by the file's identity (canonical path, device, inode, size, mtime and ctime in ns).
//!
//! Why: on a 1.2 GB national file the hash is 0.65 s of sequential CPU while the whole parse
//! takes 0.42 s on two cores; hashing each version once keeps the SHA-256 in the default
//! provenance without paying it on every run.
//!
//! Why the key is safe: any write changes the mtime *and* the ctime, and a user can set the
//! mtime back (`touch -d`) but not the ctime. A file replaced by another (rename) changes the
//! inode. What the key cannot see is a write within the same timestamp tick as the moment it
//! was hashed, so, as git does ("racy clean"), an entry is not stored when the file's mtime
//! or ctime is less than [`RACY_WINDOW`] before hashing started.
//!
//! The cache is one text file, `sha256.tsv`, in the cache directory: a header line, then one
//! line per file, tab-separated (shown as ␉ below), most recently used last:
//!
//! ```text
//! caqes-sha256 v1␉chemin␉peripherique␉inode␉octets␉mtime_ns␉ctime_ns␉sha256
//! /data/OPEN_PHMEV_2024.CSV␉2049␉1311␉1234567890␉1732312800123456789␉1732312800123456789␉9f86d0…
//! ```
//!
//! Paths are bytes: `%`, tab, line feed and the other control bytes are written `%XX`. A
//! cache that cannot be read or parsed is ignored with a warning (the run never fails because
//! of it), and so is a failure to write it. It keeps the [`DEFAULT_CAPACITY`] most recently
//! used entries. On non-unix targets there is no file identity ([`FileKey::of`] gives `None`)
//! and the cache is never used.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Name of the cache file in the cache directory.
pub const FILE_NAME: &str = "sha256.tsv";
/// Entries kept (the most recently used).
pub const DEFAULT_CAPACITY: usize = 1000;
/// A file whose mtime or ctime is this close to the moment hashing started is not cached:
/// it could still change within the same timestamp tick without changing its key.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

const HEADER: &str =
    "caqes-sha256 v1\tchemin\tperipherique\tinode\toctets\tmtime_ns\tctime_ns\tsha256";

/// Identity of one version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKey {
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

impl FileKey {
    /// The identity of the file at `path` now (symbolic links followed).
    #[cfg(unix)]
    pub fn of(path: &Path) -> std::io::Result<Option<FileKey>> {
        use std::os::unix::fs::MetadataExt;
        let canonical = std::fs::canonicalize(path)?;
        let m = std::fs::metadata(&canonical)?;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Ok(Some(FileKey {
            path: canonical,
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
        }))
    }

    /// No file identity off unix: the cache is never used.
    #[cfg(not(unix))]
    pub fn of(_path: &Path) -> std::io::Result<Option<FileKey>> {
        Ok(None)
    }

    /// Whether the file could still change without changing its key: its mtime or ctime is
    /// less than `window` before `started` (or after it).
    pub fn is_racy(&self, started: SystemTime, window: Duration) -> bool {
        let Ok(since_epoch) = started.duration_since(SystemTime::UNIX_EPOCH) else {
            return true;
        };
        let limit = since_epoch.as_nanos() as i128 - window.as_nanos() as i128;
        self.mtime_ns >= limit || self.ctime_ns >= limit
    }
}

#[derive(Debug, Default)]
struct State {
    /// Oldest use first.
    entries: Vec<(FileKey, String)>,
    /// Whether `entries` differ from the file.
    dirty: bool,
}

/// The SHA-256 cache of one directory, loaded in memory; written back by [`ShaCache::save`].
#[derive(Debug)]
pub struct ShaCache {
    file: PathBuf,
    racy_window: Duration,
    capacity: usize,
    state: Mutex<State>,
}

impl ShaCache {
    /// Loads the cache of `dir` (empty if there is none yet; ignored with a warning if it
    /// cannot be read or is not ours).
    pub fn open(dir: &Path) -> ShaCache {
        let file = dir.join(FILE_NAME);
        let entries = match std::fs::read(&file) {
            Ok(bytes) => parse(&bytes).unwrap_or_else(|line| {
                tracing::warn!(
                    "cache SHA-256 {} ignoré : ligne {line} illisible",
                    file.display()
                );
                Vec::new()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                tracing::warn!("cache SHA-256 {} ignoré : {e}", file.display());
                Vec::new()
            }
        };
        ShaCache {
            file,
            racy_window: RACY_WINDOW,
            capacity: DEFAULT_CAPACITY,
            state: Mutex::new(State {
                entries,
                dirty: false,
            }),
        }
    }

    /// Another racy window (tests: 0, since a test cannot set a file's ctime back).
    pub fn with_racy_window(mut self, window: Duration) -> Self {
        self.racy_window = window;
        self
    }

    /// Another number of entries kept.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// The path of the cache file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The cached SHA-256 of this version of the file, if any (it becomes the most recent).
    pub fn lookup(&self, key: &FileKey) -> Option<String> {
        let mut state = self.lock();
        let i = state.entries.iter().position(|(k, _)| k == key)?;
        if i + 1 != state.entries.len() {
            let entry = state.entries.remove(i);
            state.entries.push(entry);
            state.dirty = true;
        }
        state.entries.last().map(|(_, sha)| sha.clone())
    }

    /// Records the hash of a file, computed from a read that started at `started`, unless the
    /// file is racy (see [`FileKey::is_racy`]). Replaces any entry for the same path.
    pub fn record(&self, key: FileKey, sha256: String, started: SystemTime) {
        if key.is_racy(started, self.racy_window) {
            tracing::debug!(
                "{} modifié il y a moins de {:?} : empreinte non mise en cache",
                key.path.display(),
                self.racy_window
            );
            return;
        }
        let mut state = self.lock();
        state.entries.retain(|(k, _)| k.path != key.path);
        state.entries.push((key, sha256));
        state.dirty = true;
    }

    /// Writes the cache back if it changed (atomically: temporary file, then rename); a
    /// failure is only a warning. To be called after a successful run.
    pub fn save(&self) {
        if let Err(e) = self.write() {
            tracing::warn!("cache SHA-256 {} non enregistré : {e}", self.file.display());
        }
    }

    /// [`ShaCache::save`], with the error.
    pub fn write(&self) -> std::io::Result<()> {
        let mut state = self.lock();
        if !state.dirty {
            return Ok(());
        }
        let skip = state.entries.len().saturating_sub(self.capacity);
        state.entries.drain(..skip);
        let mut out = Vec::with_capacity(HEADER.len() + 1 + state.entries.len() * 200);
        out.extend_from_slice(HEADER.as_bytes());
        out.push(b'\n');
        for (k, sha) in &state.entries {
            escape_path(&k.path, &mut out);
            let fields = format!(
                "\t{}\t{}\t{}\t{}\t{}\t{sha}\n",
                k.dev, k.ino, k.size, k.mtime_ns, k.ctime_ns
            );
            out.extend_from_slice(fields.as_bytes());
        }
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::atomic::write_atomic(&self.file, &out)?;
        state.dirty = false;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the entries half-changed in a way that
        // matters: at worst a stale order.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The entries of a cache file, or the number of its first bad line.
fn parse(bytes: &[u8]) -> Result<Vec<(FileKey, String)>, usize> {
    let mut lines = bytes.split(|&b| b == b'\n');
    if lines.next() != Some(HEADER.as_bytes()) {
        return Err(1);
    }
    let mut entries = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        entries.push(parse_line(line).ok_or(i + 2)?);
    }
    Ok(entries)
}

fn parse_line(line: &[u8]) -> Option<(FileKey, String)> {
    let mut fields = line.split(|&b| b == b'\t');
    let path = unescape_path(fields.next()?)?;
    let mut number = || std::str::from_utf8(fields.next()?).ok();
    let dev = number()?.parse().ok()?;
    let ino = number()?.parse().ok()?;
    let size = number()?.parse().ok()?;
    let mtime_ns = number()?.parse().ok()?;
    let ctime_ns = number()?.parse().ok()?;
    let sha = number()?;
    if sha.len() != 64 || !sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let sha = sha.to_owned();
    if fields.next().is_some() {
        return None;
    }
    let key = FileKey {
        path,
        dev,
        ino,
        size,
        mtime_ns,
        ctime_ns,
    };
    Some((key, sha))
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> &[u8] {
    // Never called off unix (no keys); kept lossless enough for UTF-8 paths.
    path.to_str().map(str::as_bytes).unwrap_or_default()
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

fn escape_path(path: &Path, out: &mut Vec<u8>) {
    for &b in path_bytes(path) {
        if b == b'%' || b < 0x20 || b == 0x7f {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
}

fn unescape_path(field: &[u8]) -> Option<PathBuf> {
    let mut bytes = Vec::with_capacity(field.len());
    let mut i = 0;
    while let Some(&b) = field.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(field.get(i + 1..i + 3)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            bytes.push(b);
            i += 1;
        }
    }
    if bytes.is_empty() {
        return None;
    }
    path_from_bytes(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn key(path: &str, mtime_s: i128) -> FileKey {
        FileKey {
            path: PathBuf::from(path),
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: mtime_s * 1_000_000_000,
            ctime_ns: mtime_s * 1_000_000_000,
        }
    }

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn racy_when_mtime_or_ctime_is_within_the_window() {
        let window = Duration::from_secs(2);
        assert!(!key("/a", 100).is_racy(at(103), window));
        assert!(key("/a", 101).is_racy(at(103), window));
        assert!(key("/a", 104).is_racy(at(103), window));
        let mut k = key("/a", 100);
        k.ctime_ns = 102 * 1_000_000_000;
        assert!(k.is_racy(at(103), window), "ctime counts");
        assert!(!k.is_racy(at(103), Duration::ZERO));
    }

    #[test]
    fn entries_survive_a_write_and_odd_paths_are_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ShaCache::open(dir.path());
        let odd = "/d/100%\tsûr\nOPEN.csv";
        cache.record(key(odd, 100), SHA.into(), at(200));
        cache.record(key("/d/b.csv", 100), SHA.replace('9', "8"), at(200));
        cache.record(key("/d/racy.csv", 199), SHA.into(), at(200));
        cache.write().unwrap();
        let text = std::fs::read(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(
            text.split(|&b| b == b'\n').count(),
            4,
            "header, 2 lines, end"
        );
        let again = ShaCache::open(dir.path());
        assert_eq!(again.lookup(&key(odd, 100)).as_deref(), Some(SHA));
        assert_eq!(
            again.lookup(&key("/d/b.csv", 100)),
            Some(SHA.replace('9', "8"))
        );
        assert_eq!(again.lookup(&key("/d/racy.csv", 199)), None);
        assert_eq!(again.lookup(&key(odd, 101)), None, "another version");
    }

    #[test]
    fn a_new_version_replaces_the_old_one_and_the_oldest_entries_go() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ShaCache::open(dir.path()).with_capacity(2);
        cache.record(key("/a", 100), SHA.into(), at(200));
        cache.record(key("/a", 110), SHA.into(), at(200));
        assert_eq!(cache.lookup(&key("/a", 100)), None);
        cache.record(key("/b", 100), SHA.into(), at(200));
        cache.record(key("/c", 100), SHA.into(), at(200));
        // /b used after /c: /a is now the least recently used.
        assert!(cache.lookup(&key("/b", 100)).is_some());
        cache.write().unwrap();
        let again = ShaCache::open(dir.path());
        assert_eq!(again.lookup(&key("/a", 110)), None);
        assert!(again.lookup(&key("/b", 100)).is_some());
        assert!(again.lookup(&key("/c", 100)).is_some());
    }

    #[test]
    fn a_corrupt_or_foreign_cache_is_ignored() {
        for text in [
            "pas un cache\n".to_owned(),
            format!("{HEADER}\n/a\t1\t2\t3\t4\n"),
            format!("{HEADER}\n/a\t1\t2\t3\t4\t5\tzz\n"),
            format!("{HEADER}\n/a\t1\t2\tx\t4\t5\t{SHA}\n"),
            format!("{HEADER}\n/a%G\t1\t2\t3\t4\t5\t{SHA}\n"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(FILE_NAME), &text).unwrap();
            let cache = ShaCache::open(dir.path());
            assert!(cache.lock().entries.is_empty(), "{text}");
            // And it is replaced by a good one.
            cache.record(key("/a", 100), SHA.into(), at(200));
            cache.write().unwrap();
            assert!(ShaCache::open(dir.path()).lookup(&key("/a", 100)).is_some());
        }
    }

    #[test]
    fn an_unchanged_cache_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ShaCache::open(dir.path());
        cache.write().unwrap();
        assert!(!dir.path().join(FILE_NAME).exists());
    }
}
