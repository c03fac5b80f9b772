//! The demo's mailbox: `caqes demo` has no mail server and writes each e-mail
//! as an `.eml` file under `DATA_DIR/courriels/`; `/courriels` shows a demo
//! account the ones addressed to it (the administrator sees them all). The
//! page exists only when the application is given that folder
//! (`Config::mailbox`): elsewhere it answers 404.

use std::path::Path;

use askama::Template;
use axum::extract::State;
use base64::Engine;
use caqes_store::Role;

use crate::auth::CurrentUser;
use crate::request::error::{AppError, AppResult};
use crate::request::state::AppState;
use crate::ui::Layout;
use crate::ui::page::impl_page;

/// One `.eml` file as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailFile {
    pub file: String,
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    /// The text/plain part.
    pub text: String,
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) of a header.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    // Whether the last token was an encoded word: the space between two
    // encoded words is folding, not text.
    let mut previous_was_word = false;
    for token in value.split_whitespace() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let _charset = parts.next()?;
                let encoding = parts.next()?.to_ascii_lowercase();
                let text = parts.next()?;
                let bytes = match encoding.as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    "q" => decode_q(text)?,
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match decoded {
            // Whitespace between two encoded words is not part of the text.
            Some(d) => {
                if !out.is_empty() && !previous_was_word {
                    out.push(' ');
                }
                out.push_str(&d);
                previous_was_word = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
                previous_was_word = false;
            }
        }
    }
    out
}

fn decode_q(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// Quoted-printable content: `=XX` bytes, `=` at a line end joins the lines.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], joined.get(i + 1..i + 3)) {
            (b'=', Some(hex)) if u8::from_str_radix(hex, 16).is_ok() => {
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads the headers and the text part of an e-mail as written by
/// `caqes-notify` (8-bit parts, CRLF line ends).
pub fn parse_eml(file: &str, raw: &str) -> MailFile {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    // Unfolds the header lines.
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| decode_words(v))
            .unwrap_or_default()
    };
    // The text/plain part: its headers, then its content up to the next boundary.
    let text = body
        .split_once("Content-Type: text/plain")
        .and_then(|(_, rest)| rest.split_once("\n\n"))
        .map(|(part_head, rest)| {
            let content = rest.split("\n--").next().unwrap_or(rest);
            let encoding = part_head.to_ascii_lowercase();
            if encoding.contains("content-transfer-encoding: base64") {
                let joined: String = content.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default()
            } else if encoding.contains("content-transfer-encoding: quoted-printable") {
                decode_quoted_printable(content)
            } else {
                content.to_owned()
            }
        })
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    MailFile {
        file: file.to_owned(),
        message_id: get("message-id"),
        to: get("to"),
        subject: get("subject"),
        date: get("date"),
        text,
    }
}

/// Every `.eml` of `dir`, newest file first.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<MailFile>> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".eml") {
            continue;
        }
        let modified = entry.metadata()?.modified()?;
        let raw = std::fs::read_to_string(entry.path())?;
        found.push((modified, parse_eml(&name, &raw)));
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.file.cmp(&b.1.file)));
    Ok(found.into_iter().map(|(_, m)| m).collect())
}

#[derive(Template)]
#[template(path = "courriels.html")]
pub struct MailboxPage {
    pub layout: Layout,
    pub dir: String,
    pub mails: Vec<MailFile>,
}

impl_page!(MailboxPage);

pub async fn show(
    State(state): State<AppState>,
    CurrentUser(s): CurrentUser,
) -> AppResult<MailboxPage> {
    let Some(dir) = state.config.mailbox.clone() else {
        return Err(AppError::NotFound);
    };
    let read = dir.clone();
    let all = tokio::task::spawn_blocking(move || read_dir(&read))
        .await
        .map_err(AppError::failed("lecture des courriels (tâche)"))?
        .map_err(|e| AppError::Internal(format!("lecture de {} : {e}", dir.display())))?;
    let email = s.user.email.to_lowercase();
    let mails = all
        .into_iter()
        .filter(|m| s.user.role == Role::Admin || m.to.to_lowercase().contains(&email))
        .collect();
    let page = MailboxPage {
        layout: Layout::for_user("Courriels reçus (démonstration)", &s.user, &s.csrf),
        dir: dir.display().to_string(),
        mails,
    };
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_subjects_are_decoded() {
        assert_eq!(
            decode_words("=?utf-8?b?Q0FRRVMg4oCUIETDqWNpc2lvbg==?="),
            "CAQES — Décision"
        );
        assert_eq!(
            decode_words("=?utf-8?q?d=C3=A9cision_notifi=C3=A9e?="),
            "décision notifiée"
        );
        assert_eq!(
            decode_words("Bonjour  tout le monde"),
            "Bonjour tout le monde"
        );
        // Two encoded words in a row join without the space between them.
        assert_eq!(decode_words("=?utf-8?q?a?= =?utf-8?q?b?="), "ab");
    }

    #[test]
    fn an_eml_gives_its_headers_and_text() {
        let raw = "From: caqes@x.fr\r\nTo: etab@x.fr\r\nSubject: =?utf-8?b?w6l0w6k=?=\r\nMessage-ID: <a1@x.fr>\r\n\
                   Date: Mon, 2 Mar 2020 10:00:00 +0000\r\nContent-Type: multipart/alternative; boundary=\"B\"\r\n\r\n\
                   --B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour,\r\nDécision notifiée\r\n--B\r\n\
                   Content-Type: text/html; charset=utf-8\r\n\r\n<p>x</p>\r\n--B--\r\n";
        let m = parse_eml("a1@x.fr.eml", raw);
        assert_eq!(m.subject, "été");
        assert_eq!(m.to, "etab@x.fr");
        assert_eq!(m.message_id, "<a1@x.fr>");
        assert_eq!(m.text, "Bonjour,\nDécision notifiée");
        // Base64 and quoted-printable parts are decoded.
        let b64 = raw.replace(
            "Content-Transfer-Encoding: 8bit\r\n\r\nBonjour,\r\nDécision notifiée",
            "Content-Transfer-Encoding: base64\r\n\r\nQm9uam91ciwKw6l0w6k=",
        );
        assert_eq!(parse_eml("x.eml", &b64).text, "Bonjour,\nété");
        assert_eq!(
            decode_quoted_printable("d=C3=A9cision longue=\n suite"),
            "décision longue suite"
        );
    }
}
