//! What the fuzz targets share: turning the fuzzer's bytes into the files and
//! texts the parsers take.

use std::path::PathBuf;

/// Writes `data` to this process's scratch file (in /dev/shm when it exists,
/// so that a run does not wear a disk) and returns its path. The file is
/// overwritten at each input: libFuzzer runs one input at a time per process.
pub fn scratch_file(data: &[u8], extension: &str) -> PathBuf {
    let dir = ["/dev/shm"]
        .iter()
        .map(PathBuf::from)
        .find(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("caqes-fuzz-{}.{extension}", std::process::id()));
    // A write failure is the machine's, not the parser's: stop loudly.
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("écriture de {}: {e}", path.display()));
    path
}

/// Splits `data` into at most `N` parts at the separator byte 0xFF (never in
/// UTF-8 text), missing parts being empty: one input becomes several files.
pub fn split<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut parts = [&data[..0]; N];
    let mut rest = data;
    for (i, part) in parts.iter_mut().enumerate() {
        if i + 1 == N {
            *part = rest;
            break;
        }
        match rest.iter().position(|&b| b == 0xFF) {
            Some(k) => {
                *part = &rest[..k];
                rest = &rest[k + 1..];
            }
            None => {
                *part = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    parts
}

/// The text the parsers of text files take: invalid UTF-8 is replaced, as the
/// callers do when they read a file they were given.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
