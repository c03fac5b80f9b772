//! Writing command outputs: numbers for JSON, and files written all-or-nothing.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use caqes_core::rate::round_half_away;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A decimal rounded half away from zero to 2 decimals, as a JSON number (an integer
/// when it has no fractional part, so `100` rather than `100.0`).
pub fn json_number(value: Decimal) -> serde_json::Value {
    let rounded = round_half_away(value, 2).normalize();
    if let (true, Some(i)) = (rounded.fract().is_zero(), rounded.to_i64()) {
        return serde_json::Value::from(i);
    }
    rounded
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// A decimal rounded half away from zero to 2 decimals, as text with a `.` separator.
pub fn text_number(value: Decimal) -> String {
    round_half_away(value, 2).normalize().to_string()
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename),
/// or to standard output when `path` is `None`. A failed run never leaves a partial file.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    write_output_with(path, |out| {
        out.write_all(bytes).context("écriture de la sortie")
    })
}

/// Streams an output produced by `produce` to `path` atomically (temporary file in the
/// same folder, then rename) or to standard output, through a buffer: a large output is
/// never held in memory. On error the temporary file is removed, so a failed run never
/// leaves a partial file (standard output may have received part of it).
pub fn write_output_with(
    path: Option<&Path>,
    produce: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Some(path) = path else {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        produce(&mut out)?;
        return out.flush().context("écriture sur la sortie standard");
    };
    // A path that exists and is not a regular file (`/dev/null`, a pipe) is written as it
    // is: a temporary file renamed over it would replace the device itself (as root,
    // `--output /dev/null` turned /dev/null into a regular file).
    if std::fs::metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("écriture de {}", path.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        produce(&mut out)?;
        return out
            .flush()
            .with_context(|| format!("écriture de {}", path.display()));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sortie".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .with_context(|| format!("écriture de {}", path.display()))
        .and_then(|file| {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
            produce(&mut out)?;
            out.into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("écriture de {}", path.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("écriture de {}", path.display()))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn json_numbers_are_rounded_half_away_from_zero() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(json_number(d("12.825")).to_string(), "12.83");
        assert_eq!(json_number(d("100.000")).to_string(), "100");
        assert_eq!(json_number(d("-2.345")).to_string(), "-2.35");
        assert_eq!(text_number(d("33.3333")), "33.33");
    }

    #[test]
    fn a_path_that_is_not_a_regular_file_is_written_in_place() {
        // A FIFO stands for /dev/null: renaming a temporary file over it would replace it.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("sortie");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo absent : test ignoré");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_output(Some(&fifo), b"bonjour").unwrap();
        assert_eq!(reader.join().unwrap(), b"bonjour");
        let kind = std::fs::metadata(&fifo).unwrap().file_type();
        assert!(!kind.is_file(), "still a FIFO");
    }
}
