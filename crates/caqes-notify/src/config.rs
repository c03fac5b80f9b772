//! The SMTP settings of `caqes serve` (`[smtp]` of the configuration file and
//! `CAQES_SMTP_*` variables, read by the binary).

use std::fmt;

/// A password: never printed, not even by `{:?}`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that needs it (the SMTP login).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    Aucun,
}

impl TlsMode {
    pub fn parse(text: &str) -> Option<TlsMode> {
        match text.trim().to_lowercase().as_str() {
            "starttls" => Some(TlsMode::Starttls),
            "tls" | "smtps" => Some(TlsMode::Tls),
            "aucun" | "none" => Some(TlsMode::Aucun),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::Aucun => 25,
        }
    }
}

/// Where and as whom the e-mails are sent.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// Login, when the server asks for one.
    pub user: Option<String>,
    pub password: Secret,
    /// The sender, e.g. `CAQES <ne-pas-repondre@ars.example>`.
    pub from: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_prints() {
        let s = SmtpSettings {
            host: "smtp.example".into(),
            port: 587,
            tls: TlsMode::Starttls,
            user: Some("caqes".into()),
            password: Secret::new("tres-secret"),
            from: "caqes@example.org".into(),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("tres-secret"), "{shown}");
        assert!(shown.contains("Secret(***)"), "{shown}");
        assert_eq!(s.password.expose(), "tres-secret");
    }

    #[test]
    fn tls_modes_and_their_ports() {
        assert_eq!(TlsMode::parse("STARTTLS"), Some(TlsMode::Starttls));
        assert_eq!(TlsMode::parse("tls"), Some(TlsMode::Tls));
        assert_eq!(TlsMode::parse("aucun"), Some(TlsMode::Aucun));
        assert_eq!(TlsMode::parse("ssl3"), None);
        assert_eq!(TlsMode::Tls.default_port(), 465);
        assert_eq!(TlsMode::Starttls.default_port(), 587);
    }
}
