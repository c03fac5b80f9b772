//! Password hashes of local accounts: argon2id in the PHC format with the crate's
//! default (OWASP) parameters. The web checks logins with [`verify`]; the demo and
//! the command line create accounts with [`hash`].

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The hash could not be computed (the message of the argon2 crate).
#[derive(Debug, thiserror::Error)]
#[error("hachage du mot de passe : {0}")]
pub struct HashError(String);

/// A new salted hash of `password`.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches `hash` (false for a malformed hash).
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}
