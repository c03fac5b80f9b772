//! Where e-mails go: an SMTP server, or `.eml` files in a folder.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{SmtpSettings, TlsMode};
use crate::mail::Composed;

/// Why a message was not delivered (kept as the row's last error).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("serveur SMTP : {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("écriture de {path} : {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// Delivers one message. Implementations must be safe to call again with the
/// same message (same Message-ID) after a crash.
pub trait Transport: Send + Sync + 'static {
    fn send(&self, mail: &Composed) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// An SMTP server (lettre, rustls; one connection per message).
#[derive(Clone)]
pub struct Smtp {
    inner: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    /// `hello` is the name given in EHLO (the site's host name).
    pub fn new(settings: &SmtpSettings, hello: &str) -> Result<Smtp, SendError> {
        let builder = match settings.tls {
            TlsMode::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?
            }
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?,
            TlsMode::Aucun => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
        };
        let mut builder = builder
            .port(settings.port)
            .hello_name(ClientId::Domain(hello.to_owned()))
            .timeout(Some(Duration::from_secs(30)));
        if let Some(user) = &settings.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                settings.password.expose().to_owned(),
            ));
        }
        Ok(Smtp {
            inner: builder.build(),
        })
    }
}

impl Transport for Smtp {
    async fn send(&self, mail: &Composed) -> Result<(), SendError> {
        self.inner.send(mail.message.clone()).await?;
        Ok(())
    }
}

/// A folder of `.eml` files, one per message, named after its Message-ID:
/// `caqes demo` writes its e-mails to `DATA_DIR/courriels/`. Each file is
/// written to a temporary name, synced, then renamed: a reader never sees half
/// a message, and a message written again replaces itself (one file per
/// Message-ID, whatever the crashes).
#[derive(Clone, Debug)]
pub struct MailDir {
    dir: PathBuf,
}

impl MailDir {
    pub fn new(dir: impl Into<PathBuf>) -> MailDir {
        MailDir { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name of a Message-ID: its characters kept to `[A-Za-z0-9.@-]`.
    pub fn file_name(message_id: &str) -> String {
        let clean: String = message_id
            .trim_matches(|c| c == '<' || c == '>')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{clean}.eml")
    }

    fn write(&self, mail: &Composed) -> Result<(), SendError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SendError::File { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let name = Self::file_name(&mail.message_id);
        let target = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(&mail.bytes()).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, &target).map_err(io(&target))?;
        Ok(())
    }
}

impl Transport for MailDir {
    async fn send(&self, mail: &Composed) -> Result<(), SendError> {
        let this = self.clone();
        let mail = mail.clone();
        tokio::task::spawn_blocking(move || this.write(&mail))
            .await
            .map_err(|e| SendError::Other(format!("écriture interrompue : {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_message_id() {
        assert_eq!(
            MailDir::file_name("<0a1b@caqes.example>"),
            "0a1b@caqes.example.eml"
        );
        assert_eq!(MailDir::file_name("<../x/y@z>"), ".._x_y@z.eml");
    }
}
