//! Who may do what: the one check of a user's role before an action.
//!
//! An action reserved to a role is refused with a 403 naming the role, so the
//! user knows whom to ask; the administration pages answer 404 to anyone else,
//! so their existence is not revealed.

use caqes_store::{Role, User};

use crate::request::error::{AppError, AppResult};

/// `what` (« La notification ») is reserved to `role`: a 403 with a French
/// message otherwise.
pub fn require(user: &User, role: Role, what: &str) -> AppResult<()> {
    if user.role == role {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{what} est réservé au rôle {}.",
            role.label()
        )))
    }
}

/// The administration pages: a 404 for anyone but an administrator.
pub fn require_admin(user: &User) -> AppResult<()> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
