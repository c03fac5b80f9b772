//! The e-mails, in French: one notification, or the day's digest.
//!
//! The body holds the notification's title and sentence (the establishment's
//! name and the kind of event, nothing else: no score, amount nor comment)
//! and a link through `/notifications/{id}`, which marks the notification
//! read and opens the page. The Message-ID is `<{outbox row id}@{domain}>`:
//! every attempt at one row sends the same message.

use askama::Template;
use caqes_store::notify::outbox::OutgoingMail;
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

/// Why an e-mail cannot be built (a bad address: retrying will not help,
/// but the row stays visible to the administrator with this error).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("adresse électronique invalide « {address} » : {source}")]
    Address {
        address: String,
        source: lettre::address::AddressError,
    },
    #[error("courriel impossible à construire : {0}")]
    Build(#[from] lettre::error::Error),
    #[error("gabarit du courriel : {0}")]
    Template(#[from] askama::Error),
}

/// A built e-mail, ready for a [`crate::Transport`].
#[derive(Clone, Debug)]
pub struct Composed {
    /// With its angle brackets, as in the header.
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub message: Message,
}

impl Composed {
    /// The whole message (RFC 5322), as written to an `.eml` file.
    pub fn bytes(&self) -> Vec<u8> {
        self.message.formatted()
    }
}

struct ItemView {
    title: String,
    body: String,
    url: String,
    legal: bool,
}

#[derive(Template)]
#[template(path = "courriel.txt")]
struct TextMail<'a> {
    items: &'a [ItemView],
    digest_day: Option<String>,
    preferences_url: String,
}

#[derive(Template)]
#[template(path = "courriel.html")]
struct HtmlMail<'a> {
    subject: &'a str,
    items: &'a [ItemView],
    digest_day: Option<String>,
    preferences_url: String,
}

/// `CAQES <ne-pas-repondre@…>` or a bare address.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, ComposeError> {
    text.trim().parse().map_err(|source| ComposeError::Address {
        address: text.to_owned(),
        source,
    })
}

/// Wraps each line at `width` bytes on spaces (a longer word stays whole), so
/// that the text part fits the 76-byte lines lettre sends as 8 bits (an
/// accented letter is two bytes).
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut current = String::new();
        for word in line.split(' ') {
            let len = current.len();
            if len > 0 && len + 1 + word.len() > width {
                out.push_str(current.trim_end());
                out.push('\n');
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push_str(current.trim_end());
        out.push('\n');
    }
    out
}

/// A UTF-8 part sent as 8 bits (readable as is in an `.eml` file and on the
/// demo's mailbox page); quoted-printable if a line were too long for 8 bits.
fn part(content_type: ContentType, text: String) -> SinglePart {
    let body =
        Body::new_with_encoding(text, ContentTransferEncoding::EightBit).unwrap_or_else(Body::new);
    SinglePart::builder().content_type(content_type).body(body)
}

/// The Message-ID of an outbox row sent from `from`.
pub fn message_id(row_id: &str, from: &Mailbox) -> String {
    format!("<{row_id}@{}>", from.email.domain())
}

/// Builds the e-mail of a claimed outbox row; `base_url` is the site's public
/// address (links are absolute).
pub fn compose(
    mail: &OutgoingMail,
    from: &Mailbox,
    base_url: &str,
) -> Result<Composed, ComposeError> {
    let base = base_url.trim_end_matches('/');
    let items: Vec<ItemView> = mail
        .items
        .iter()
        .map(|i| ItemView {
            title: i.title.clone(),
            body: i.body.clone(),
            url: format!("{base}/notifications/{}", i.notification),
            legal: i.legal,
        })
        .collect();
    let digest_day = mail.digest_day.map(caqes_core::regimes::french_date);
    let subject = match (&digest_day, mail.items.as_slice()) {
        (Some(day), items) => format!(
            "CAQES — résumé du {day} ({} notification{})",
            items.len(),
            if items.len() > 1 { "s" } else { "" }
        ),
        (None, [one]) => match &one.entity_name {
            Some(name) => format!("CAQES — {} — {name}", one.title),
            None => format!("CAQES — {}", one.title),
        },
        (None, _) => "CAQES — notification".to_owned(),
    };
    let preferences_url = format!("{base}/notifications/preferences");
    let text = TextMail {
        items: &items,
        digest_day: digest_day.clone(),
        preferences_url: preferences_url.clone(),
    }
    .render()?;
    let html = HtmlMail {
        subject: &subject,
        items: &items,
        digest_day,
        preferences_url,
    }
    .render()?;
    let to = parse_mailbox(&mail.to)?;
    let id = message_id(mail.id.as_str(), from);
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.clone())
        .message_id(Some(id.clone()))
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, wrap(&text, 70)))
                .singlepart(part(ContentType::TEXT_HTML, html)),
        )?;
    Ok(Composed {
        message_id: id,
        to: mail.to.clone(),
        subject,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use caqes_store::notify::outbox::MailItem;

    fn item(id: &str, title: &str, legal: bool) -> MailItem {
        MailItem {
            notification: id.into(),
            title: title.into(),
            body: format!("{title} pour le CHU de Tolosa."),
            entity_name: Some("CHU de Tolosa".into()),
            legal,
        }
    }

    #[test]
    fn one_notification_one_mail_with_its_link_and_a_stable_message_id() {
        let from = parse_mailbox("CAQES <ne-pas-repondre@ars.example>").unwrap();
        let mail = OutgoingMail {
            id: "abc123".into(),
            claim: "c".into(),
            to: "etab@chu.example".into(),
            attempts: 0,
            digest_day: None,
            items: vec![item("n1", "Décision notifiée", true)],
        };
        let c = compose(&mail, &from, "https://caqes.example/").unwrap();
        assert_eq!(c.message_id, "<abc123@ars.example>");
        assert_eq!(c.subject, "CAQES — Décision notifiée — CHU de Tolosa");
        let text = String::from_utf8(c.bytes()).unwrap();
        assert!(text.contains("Message-ID: <abc123@ars.example>"), "{text}");
        assert!(
            text.contains("https://caqes.example/notifications/n1"),
            "{text}"
        );
        assert!(text.contains("To: etab@chu.example"), "{text}");
        // The same row composed again keeps its Message-ID.
        let again = compose(&mail, &from, "https://caqes.example").unwrap();
        assert_eq!(again.message_id, c.message_id);
    }

    #[test]
    fn text_lines_are_wrapped_for_eight_bit_mail() {
        let long = "Fin du délai de signature du contrat de Centre hospitalier universitaire de Tolosa : le 16 décembre 2026 (J-15).";
        let wrapped = wrap(long, 72);
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 72),
            "{wrapped}"
        );
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>(),
            long.split_whitespace().collect::<Vec<_>>()
        );
        let from = parse_mailbox("caqes@ars.example").unwrap();
        let mail = OutgoingMail {
            id: "r1".into(),
            claim: "c".into(),
            to: "etab@chu.example".into(),
            attempts: 0,
            digest_day: None,
            items: vec![MailItem {
                notification: "0123456789abcdef0123456789abcdef".into(),
                title: "Échéance (J-15)".into(),
                body: long.into(),
                entity_name: None,
                legal: false,
            }],
        };
        let text = String::from_utf8(
            compose(&mail, &from, "http://127.0.0.1:8080")
                .unwrap()
                .bytes(),
        )
        .unwrap();
        assert!(text.contains("Content-Transfer-Encoding: 8bit"), "{text}");
        assert!(text.contains("Fin du délai de signature"), "{text}");
    }

    #[test]
    fn a_digest_lists_every_notification() {
        let from = parse_mailbox("caqes@ars.example").unwrap();
        let mail = OutgoingMail {
            id: "d1".into(),
            claim: "c".into(),
            to: "ars@ars.example".into(),
            attempts: 0,
            digest_day: Some(jiff::civil::date(2020, 3, 2)),
            items: vec![
                item("n1", "Dossier soumis", false),
                item("n2", "Audition demandée", false),
            ],
        };
        let c = compose(&mail, &from, "http://127.0.0.1:8080").unwrap();
        assert_eq!(c.subject, "CAQES — résumé du 2 mars 2020 (2 notifications)");
        let text = String::from_utf8(c.bytes()).unwrap();
        assert!(text.contains("/notifications/n1") && text.contains("/notifications/n2"));
        let bad = OutgoingMail {
            to: "pas une adresse".into(),
            ..mail
        };
        assert!(matches!(
            compose(&bad, &from, "http://x"),
            Err(ComposeError::Address { .. })
        ));
    }
}
