//! A validated e-mail address, the login of local accounts.
//!
//! Only what a hospital or an agency actually uses is accepted, in ASCII:
//! a local part of the "dot-atom" form of RFC 5322 (letters, digits and
//! `!#$%&'*+/=?^_`{|}~-`, dots only between characters, at most 64
//! characters) and a domain name of at least two labels (letters, digits and
//! inner hyphens, 63 characters each, 253 in all) whose last label is not
//! numeric. Quoted local parts, IP literals and non-ASCII addresses are
//! refused: an internationalised domain is typed in its `xn--` form. The
//! address is kept trimmed and in lower case, as logins compare it.

use std::fmt;

/// Why a text is not an e-mail address (French, shown to the administrator).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("l'adresse doit contenir un seul « @ » entre un nom et un domaine")]
    Shape,
    #[error("l'adresse dépasse 254 caractères")]
    TooLong,
    #[error(
        "la partie avant « @ » est vide, dépasse 64 caractères ou contient un caractère non admis"
    )]
    LocalPart,
    #[error(
        "le domaine « {0} » n'est pas un nom de domaine valide (par exemple ars-occitanie.sante.fr)"
    )]
    Domain(String),
}

/// An e-mail address checked by [`Email::parse`], trimmed and in lower case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

fn local_part_ok(local: &str) -> bool {
    const SPECIALS: &[u8] = b"!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || SPECIALS.contains(&b))
}

fn domain_ok(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

impl Email {
    pub fn parse(text: &str) -> Result<Email, EmailError> {
        let text = text.trim().to_ascii_lowercase();
        if text.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(EmailError::Shape);
        };
        if domain.contains('@') || local.is_empty() && domain.is_empty() {
            return Err(EmailError::Shape);
        }
        if !local_part_ok(local) {
            return Err(EmailError::LocalPart);
        }
        if !domain_ok(domain) {
            return Err(EmailError::Domain(domain.to_owned()));
        }
        Ok(Email(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(&self.0, |(l, _)| l)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_addresses_are_accepted_and_normalised() {
        for (text, kept) in [
            (" Jean.Dupont@ARS.sante.fr ", "jean.dupont@ars.sante.fr"),
            ("ars@demo.caqes.fr", "ars@demo.caqes.fr"),
            ("am@idf.test", "am@idf.test"),
            (
                "o'brien+caqes@chu-toulouse.fr",
                "o'brien+caqes@chu-toulouse.fr",
            ),
            ("x@xn--hpital-dva.fr", "x@xn--hpital-dva.fr"),
        ] {
            assert_eq!(
                Email::parse(text).map(|e| e.to_string()),
                Ok(kept.to_owned()),
                "{text}"
            );
        }
        assert_eq!(Email::parse("a.b@c.fr").unwrap().local_part(), "a.b");
    }

    #[test]
    fn an_at_sign_alone_is_not_enough() {
        for (text, err) in [
            ("@", EmailError::Shape),
            ("sans-arobase.fr", EmailError::Shape),
            ("a@b@c.fr", EmailError::Shape),
            ("@ars.fr", EmailError::LocalPart),
            (".jean@ars.fr", EmailError::LocalPart),
            ("jean.@ars.fr", EmailError::LocalPart),
            ("je..an@ars.fr", EmailError::LocalPart),
            ("jean dupont@ars.fr", EmailError::LocalPart),
            ("\"x\"@ars.fr", EmailError::LocalPart),
            ("jéan@ars.fr", EmailError::LocalPart),
            ("<script>@ars.fr", EmailError::LocalPart),
            ("jean@", EmailError::Domain(String::new())),
            ("jean@localhost", EmailError::Domain("localhost".into())),
            ("jean@ars..fr", EmailError::Domain("ars..fr".into())),
            ("jean@-ars.fr", EmailError::Domain("-ars.fr".into())),
            ("jean@ars_occ.fr", EmailError::Domain("ars_occ.fr".into())),
            ("jean@192.168.0.1", EmailError::Domain("192.168.0.1".into())),
            (
                "jean@[192.168.0.1]",
                EmailError::Domain("[192.168.0.1]".into()),
            ),
            ("jean@hôpital.fr", EmailError::Domain("hôpital.fr".into())),
        ] {
            assert_eq!(Email::parse(text), Err(err), "{text}");
        }
        let long_local = format!("{}@ars.fr", "a".repeat(65));
        assert_eq!(Email::parse(&long_local), Err(EmailError::LocalPart));
        let long_label = format!("a@{}.fr", "b".repeat(64));
        assert!(matches!(
            Email::parse(&long_label),
            Err(EmailError::Domain(_))
        ));
        let too_long = format!("a@{}.fr", vec!["c".repeat(60); 5].join("."));
        assert_eq!(Email::parse(&too_long), Err(EmailError::TooLong));
    }
}
