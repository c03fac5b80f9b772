//! FINESS numbers (Fichier national des établissements sanitaires et sociaux).
//!
//! A FINESS number has nine characters: a two-character department code
//! (`01`..`95`, `97` overseas, `2A`/`2B` for Corsica), six digits, and a Luhn
//! check digit. For Corsican numbers the key is computed with `2A` read as `21`
//! and `2B` as `22`: this rule was found from the data, as every one of the 118
//! Corsican numbers of the FINESS registry extract and of Open PHMEV 2024
//! validates with it and with no other simple substitution we tried.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A FINESS number whose Luhn key has been checked.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Finess([u8; 9]);

/// Why a text is not a valid FINESS number (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinessError {
    #[error("le numéro FINESS « {0} » doit comporter 9 caractères")]
    Length(String),
    #[error("le numéro FINESS « {0} » contient un caractère non autorisé")]
    Character(String),
    #[error("la clé du numéro FINESS « {0} » est invalide")]
    Key(String),
}

impl Finess {
    /// Parses and validates a FINESS number (surrounding spaces are ignored).
    pub fn parse(text: &str) -> Result<Self, FinessError> {
        let t = text.trim();
        let bytes = t.as_bytes();
        if bytes.len() != 9 {
            return Err(FinessError::Length(t.to_owned()));
        }
        let corsican = bytes[0] == b'2' && (bytes[1] == b'A' || bytes[1] == b'B');
        for (i, b) in bytes.iter().enumerate() {
            let ok = b.is_ascii_digit() || (i == 1 && corsican);
            if !ok {
                return Err(FinessError::Character(t.to_owned()));
            }
        }
        if !luhn_valid(bytes) {
            return Err(FinessError::Key(t.to_owned()));
        }
        let mut out = [0u8; 9];
        out.copy_from_slice(bytes);
        Ok(Finess(out))
    }

    /// The nine characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and `A`/`B` are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("?????????")
    }

    /// The department code (`31`, `2A`, `97`...).
    pub fn department(&self) -> &str {
        &self.as_str()[..2]
    }
}

fn luhn_valid(bytes: &[u8]) -> bool {
    let digit = |i: usize| -> u32 {
        match (i, bytes[i]) {
            (1, b'A') => 1,
            (1, b'B') => 2,
            (_, b) => u32::from(b - b'0'),
        }
    };
    let mut sum = 0;
    for (pos_from_right, i) in (0..bytes.len()).rev().enumerate() {
        let mut d = digit(i);
        if pos_from_right % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

impl FromStr for Finess {
    type Err = FinessError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Finess::parse(s)
    }
}

impl fmt::Display for Finess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Finess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Finess({})", self.as_str())
    }
}

impl Serialize for Finess {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Finess {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Finess::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_numbers() {
        for n in [
            "750712184",
            "690781810",
            "2A0000014",
            "2B0000020",
            "2A0000386",
            "2B0005342",
        ] {
            assert!(Finess::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn rejects_wrong_key_length_and_characters() {
        assert_eq!(
            Finess::parse("750712185"),
            Err(FinessError::Key("750712185".into()))
        );
        assert!(matches!(
            Finess::parse("75071218"),
            Err(FinessError::Length(_))
        ));
        assert!(matches!(
            Finess::parse("7507121X4"),
            Err(FinessError::Character(_))
        ));
        assert!(matches!(
            Finess::parse("2C0000014"),
            Err(FinessError::Character(_))
        ));
        // Corsican key uses 2A=21: the same digits with 2B must fail.
        assert!(Finess::parse("2B0000014").is_err());
    }

    #[test]
    fn department_and_display() {
        let f = Finess::parse(" 2A0000014 ").unwrap();
        assert_eq!(f.department(), "2A");
        assert_eq!(f.to_string(), "2A0000014");
    }

    proptest::proptest! {
        #[test]
        fn any_single_digit_change_is_detected(n in 100_000_000u32..999_999_999, pos in 0usize..9, delta in 1u8..10) {
            let s = n.to_string();
            if Finess::parse(&s).is_ok() {
                let mut b = s.into_bytes();
                b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
                let changed = String::from_utf8(b).unwrap();
                proptest::prop_assert!(Finess::parse(&changed).is_err());
            }
        }
    }
}
