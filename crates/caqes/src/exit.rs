//! Mapping errors to exit codes and French messages.

use std::process::ExitCode;

/// Marks an error caused by the user's input (bad file, bad value): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Prints the error chain in French on stderr and picks the exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    eprintln!("erreur : {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  cause : {cause}");
    }
    if err.chain().any(|c| c.is::<BadInput>()) {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
