//! The password policy of local accounts, after ANSSI's « Recommandations
//! relatives à l'authentification multifacteur et aux mots de passe » (2021):
//! a minimum length (12 characters) and no composition rule (no imposed
//! digit, capital or symbol), but trivial passwords refused:
//!
//! - made only of spaces, of one unit repeated (`aaaaaaaaaaaa`,
//!   `azertyazerty`, `202420242024`) or of a run of consecutive characters
//!   (`123456789012`, `abcdefghijkl`);
//! - found in a list of common passwords, as typed or once the digits,
//!   punctuation and spaces around a word are removed (`Marseille13!!` and
//!   `motdepasse2024` are `marseille` and `motdepasse`);
//! - equal to the current password (a temporary password set by an
//!   administrator cannot be "changed" into itself);
//! - containing the account's e-mail address, the part before its `@` or the
//!   user's name.
//!
//! The list (`common-passwords.txt`, 19 640 lower-case passwords) is the one
//! Django ships (`django/contrib/auth/common-passwords.txt.gz`, Django 5.2.19,
//! BSD-3-Clause licence, © Django Software Foundation), built by Royce Williams
//! from public breach corpora; it holds French ones (`azerty`, `motdepasse`,
//! `soleil`, `marseille`…). See `docs/platform.md`, « Sécurité ».

use std::collections::HashSet;
use std::sync::LazyLock;

/// The minimum length, in characters.
pub const MIN_CHARS: usize = 12;
/// The maximum length, in characters (hashing is bounded, passphrases fit).
pub const MAX_CHARS: usize = 256;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Why a new password is refused (French, shown on the form).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("le mot de passe doit comporter au moins {MIN_CHARS} caractères")]
    TooShort,
    #[error("le mot de passe ne peut pas dépasser {MAX_CHARS} caractères")]
    TooLong,
    #[error("le mot de passe ne peut pas être fait que d'espaces")]
    Blank,
    #[error(
        "le mot de passe répète un même motif ou suit une suite (1234…, abcd…) : choisissez une phrase ou une suite moins prévisible"
    )]
    Predictable,
    #[error(
        "ce mot de passe figure dans la liste des mots de passe les plus courants : choisissez-en un autre"
    )]
    Common,
    #[error("le nouveau mot de passe doit être différent de l'actuel")]
    SameAsCurrent,
    #[error("le mot de passe ne doit pas reprendre votre adresse électronique ou votre nom")]
    Personal,
}

/// Whose password it is: what it must not contain or repeat.
#[derive(Clone, Copy, Debug)]
pub struct Owner<'a> {
    pub email: &'a str,
    pub name: &'a str,
    /// The hash of the password in force, if any: the new one must differ.
    pub current_hash: Option<&'a str>,
}

/// Lower case, letters and digits only: how personal details are compared.
fn letters_and_digits(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether the text is one shorter unit repeated (at least twice).
fn is_repetition(chars: &[char]) -> bool {
    let n = chars.len();
    (1..=n / 2)
        .any(|unit| n.is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit]))
}

/// Whether every character follows the previous one (`1234…`, `abcd…`, and
/// `…7890` as on a keyboard's row of digits), in either direction.
fn is_run(chars: &[char]) -> bool {
    let step = |a: char, b: char| -> Option<i64> {
        match (a.to_digit(10), b.to_digit(10)) {
            (Some(9), Some(0)) => Some(1),
            (Some(0), Some(9)) => Some(-1),
            _ => Some(i64::from(u32::from(b)) - i64::from(u32::from(a))),
        }
    };
    let steps: Vec<Option<i64>> = chars.windows(2).map(|w| step(w[0], w[1])).collect();
    !steps.is_empty()
        && (steps.iter().all(|s| *s == Some(1)) || steps.iter().all(|s| *s == Some(-1)))
}

/// Checks a password about to be set for `owner`. The cost is one password
/// verification when `owner.current_hash` is given.
pub fn check(password: &str, owner: Owner<'_>) -> Result<(), PasswordError> {
    let count = password.chars().count();
    if password.trim().is_empty() {
        return Err(PasswordError::Blank);
    }
    if count < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if count > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    if is_repetition(&chars) || is_run(&chars) {
        return Err(PasswordError::Predictable);
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let core_chars: Vec<char> = core.chars().collect();
    if COMMON.contains(lower.as_str())
        || COMMON.contains(lower.trim())
        || (core_chars.len() >= 4 && COMMON.contains(core))
    {
        return Err(PasswordError::Common);
    }
    if core_chars.len() >= 4 && is_repetition(&core_chars) {
        return Err(PasswordError::Predictable);
    }
    let flat = letters_and_digits(password);
    let email = owner.email.trim().to_lowercase();
    let local = letters_and_digits(email.split_once('@').map_or(email.as_str(), |(l, _)| l));
    let name = letters_and_digits(owner.name);
    if lower.contains(&email)
        || (local.chars().count() >= 3 && flat.contains(&local))
        || (name.chars().count() >= 4 && flat.contains(&name))
    {
        return Err(PasswordError::Personal);
    }
    if owner
        .current_hash
        .is_some_and(|h| crate::accounts::password::verify(password, h))
    {
        return Err(PasswordError::SameAsCurrent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner<'static> {
        Owner {
            email: "Jeanne.Martin@ars.sante.fr",
            name: "Jeanne Martin",
            current_hash: None,
        }
    }

    #[test]
    fn the_list_is_the_committed_one() {
        assert_eq!(COMMON.len(), 19_640);
        for p in ["azerty", "motdepasse", "marseille", "qwerty123456"] {
            assert!(COMMON.contains(p), "{p}");
        }
    }

    #[test]
    fn length_is_the_only_composition_rule() {
        assert_eq!(check("court", owner()), Err(PasswordError::TooShort));
        assert_eq!(check("onze caract", owner()), Err(PasswordError::TooShort));
        // Twelve characters, lower-case letters and spaces only: accepted.
        assert_eq!(check("lune de miel", owner()), Ok(()));
        assert_eq!(check("cheval agrafe pile", owner()), Ok(()));
        assert_eq!(check("côte d'émeraude", owner()), Ok(()));
        assert_eq!(
            check(&"x".repeat(257), owner()),
            Err(PasswordError::TooLong)
        );
        let longest: String =
            (0..200).map(|i| i.to_string()).collect::<String>()[..MAX_CHARS].to_owned();
        assert_eq!(check(&longest, owner()), Ok(()));
    }

    #[test]
    fn trivial_passwords_are_refused() {
        for (p, e) in [
            ("            ", PasswordError::Blank),
            ("\t\t\t\t\t\t\t\t\t\t\t\t", PasswordError::Blank),
            ("aaaaaaaaaaaa", PasswordError::Predictable),
            ("azertyazerty", PasswordError::Predictable),
            ("202420242024", PasswordError::Predictable),
            ("123456789012", PasswordError::Predictable),
            ("987654321098", PasswordError::Predictable),
            ("abcdefghijklm", PasswordError::Predictable),
            ("qwerty123456", PasswordError::Common),
            ("motdepasse2024", PasswordError::Common),
            ("Marseille13!!", PasswordError::Common),
            ("!!AzertyUiop!!", PasswordError::Common),
            ("1234soleil1234", PasswordError::Common),
            ("!!!!bonjourbonjour!!", PasswordError::Predictable),
        ] {
            assert_eq!(check(p, owner()), Err(e), "{p}");
        }
    }

    #[test]
    fn personal_details_are_refused() {
        for p in [
            "jeanne.martin@ars.sante.fr",
            "jeannemartin2024",
            "Jeanne-Martin!!",
            "X-jeanne.martin-X",
        ] {
            assert_eq!(check(p, owner()), Err(PasswordError::Personal), "{p}");
        }
        // A short name part alone is not refused (too many false alarms).
        let short = Owner {
            email: "al@ars.fr",
            name: "Al",
            current_hash: None,
        };
        assert_eq!(check("al dente al forno", short), Ok(()));
    }

    #[test]
    fn the_current_password_cannot_be_kept() {
        let hash = crate::accounts::password::hash("temporaire-4815-abc").unwrap();
        let with_current = Owner {
            current_hash: Some(&hash),
            ..owner()
        };
        assert_eq!(
            check("temporaire-4815-abc", with_current),
            Err(PasswordError::SameAsCurrent)
        );
        assert_eq!(check("temporaire-4815-abd", with_current), Ok(()));
    }
}
