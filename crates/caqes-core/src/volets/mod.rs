//! The volets of a CAQES contract and what the additional volets share.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, I: « un contrat socle, obligatoire pour tous
//! les établissements […] et de trois volets additionnels facultatifs portants sur la
//! pertinence des soins, les transports et la qualité et la sécurité des soins ».
//! III: for the additional volets, « des obligations de résultat dont la réalisation
//! (ou l'absence de réalisation) sera à l'origine du déclenchement de l'intéressement
//! ou de la sanction […], ainsi que des obligations complémentaires qui permettront de
//! pondérer le niveau d'intéressement ou de sanction ».
//!
//! The rules of each additional volet live in [`transport`] (annex 4), [`pertinence`]
//! (annex 5) and [`quality`] (annex 6, the former CAPES). Their parameters are
//! gathered in [`VoletsParameters`], which can be read from a référentiel TOML file.

pub mod pertinence;
pub mod quality;
pub mod transport;
pub mod volet;

pub use volet::Volet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::procedure::calendar::CalendarParameters;
use crate::sanction::SanctionParameters;

/// Errors of the volet rules (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoletError {
    #[error("le taux de réalisation doit être compris entre 0 et 1 (reçu {0})")]
    ProgressOutOfRange(Decimal),
    #[error("le poids de l'objectif « {0} » doit être strictement positif")]
    NonPositiveWeight(String),
    #[error("le montant « {label} » ne peut pas être négatif (reçu {amount})")]
    NegativeAmount {
        label: &'static str,
        amount: Decimal,
    },
    #[error(
        "les dépenses de l'année précédente doivent être strictement positives pour calculer une évolution"
    )]
    NoPreviousSpending,
    #[error("paramètre invalide « {name} » : {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error(
        "la durée de mise sous accord préalable doit être comprise entre 1 et {max} mois (reçu {got})"
    )]
    MsapDuration { got: u8, max: u8 },
    #[error(
        "la durée de mise sous accord préalable décidée ({got} mois) dépasse celle que prévoit le contrat ({proposed} mois)"
    )]
    MsapAboveProposal { got: u8, proposed: u8 },
    #[error(
        "une motivation du directeur général de l'ARS est requise lorsque la durée décidée ({got} mois) diffère de celle que prévoit le contrat ({proposed} mois)"
    )]
    MsapMotivationRequired { got: u8, proposed: u8 },
    #[error("test statistique impossible : {0}")]
    Statistics(String),
}

/// A degree of achievement in [0, 1]: progress of an action plan, or how far a
/// complementary objective is met (1 = met, 0 = not met, or a level in between).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Progress(Decimal);

impl Progress {
    pub const NONE: Progress = Progress(Decimal::ZERO);
    pub const FULL: Progress = Progress(Decimal::ONE);

    /// From a fraction in [0, 1].
    pub fn from_fraction(value: Decimal) -> Result<Self, VoletError> {
        if value < Decimal::ZERO || value > Decimal::ONE {
            return Err(VoletError::ProgressOutOfRange(value));
        }
        Ok(Progress(value))
    }

    /// From a percentage in [0, 100].
    pub fn from_percent(value: Decimal) -> Result<Self, VoletError> {
        Progress::from_fraction(value / Decimal::ONE_HUNDRED)
            .map_err(|_| VoletError::ProgressOutOfRange(value))
    }

    /// Actions carried out among the actions planned (an action plan with no
    /// action is not a progress: it is an error of the plan).
    pub fn from_actions(done: u32, planned: u32) -> Result<Self, VoletError> {
        if planned == 0 || done > planned {
            return Err(VoletError::ProgressOutOfRange(if planned == 0 {
                Decimal::from(done)
            } else {
                Decimal::from(done) / Decimal::from(planned)
            }));
        }
        Ok(Progress(Decimal::from(done) / Decimal::from(planned)))
    }

    pub fn from_met(met: bool) -> Self {
        if met { Progress::FULL } else { Progress::NONE }
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// `1 − self`.
    pub fn complement(self) -> Progress {
        Progress(Decimal::ONE - self.0)
    }
}

impl<'de> Deserialize<'de> for Progress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <Decimal as Deserialize>::deserialize(d)?;
        Progress::from_fraction(v).map_err(serde::de::Error::custom)
    }
}

/// A complementary objective (« obligation complémentaire ») and its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objective {
    pub libelle: String,
    /// Relative weight among the complementary objectives of the volet.
    #[serde(default = "one")]
    pub poids: Decimal,
    /// 1 when met, 0 when not, or a level in between (« atteinte oui/non ou niveau »).
    pub realisation: Progress,
}

fn one() -> Decimal {
    Decimal::ONE
}

impl Objective {
    pub fn met(libelle: impl Into<String>, met: bool) -> Self {
        Objective {
            libelle: libelle.into(),
            poids: Decimal::ONE,
            realisation: Progress::from_met(met),
        }
    }
}

/// Weighted share of the complementary objectives that is achieved:
/// Σ poids × réalisation / Σ poids. `None` when there is no objective.
pub fn achievement_share(objectives: &[Objective]) -> Result<Option<Progress>, VoletError> {
    let mut weights = Decimal::ZERO;
    let mut achieved = Decimal::ZERO;
    for o in objectives {
        if o.poids <= Decimal::ZERO {
            return Err(VoletError::NonPositiveWeight(o.libelle.clone()));
        }
        weights += o.poids;
        achieved += o.poids * o.realisation.value();
    }
    if objectives.is_empty() {
        return Ok(None);
    }
    // Each term is at most its weight, so the share is in [0, 1]; `min` guards the
    // last digit of a 28-digit division.
    Progress::from_fraction((achieved / weights).min(Decimal::ONE)).map(Some)
}

/// Every parameter of the rules beyond the socle, as it appears in a référentiel
/// TOML file (`[sanction]`, `[transports]`, `[pertinence]`, `[qualite]`,
/// `[calendrier]`). Each section is optional and defaults to the seeds' values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoletsParameters {
    pub sanction: SanctionParameters,
    pub transports: transport::TransportParameters,
    pub pertinence: pertinence::PertinenceParameters,
    pub qualite: quality::QualityParameters,
    pub calendrier: CalendarParameters,
}

/// A parameter problem, with the section it comes from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParametersError {
    #[error("section [sanction] : {0}")]
    Sanction(#[from] crate::sanction::SanctionError),
    #[error("section [transports|pertinence|qualite] : {0}")]
    Volet(#[from] VoletError),
    #[error("section [calendrier] : {0}")]
    Calendar(#[from] crate::procedure::calendar::CalendarError),
}

impl VoletsParameters {
    /// Checks every section (ceilings within 0-100 %, a complete and monotonic scale…).
    pub fn validate(&self) -> Result<(), ParametersError> {
        self.sanction.validate()?;
        self.transports.validate()?;
        self.pertinence.validate()?;
        self.qualite.validate()?;
        self.calendrier.validate()?;
        Ok(())
    }
}

/// Checks that a percentage parameter is within [0, 100].
pub(crate) fn check_pct(name: &'static str, value: Decimal) -> Result<(), VoletError> {
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        return Err(VoletError::InvalidParameter {
            name,
            reason: format!("{value} n'est pas un pourcentage entre 0 et 100"),
        });
    }
    Ok(())
}

pub(crate) fn check_non_negative(
    label: &'static str,
    amount: crate::Euros,
) -> Result<(), VoletError> {
    if amount.amount() < Decimal::ZERO {
        return Err(VoletError::NegativeAmount {
            label,
            amount: amount.amount(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn only_transport_and_pertinence_allow_incentives() {
        let allowed: Vec<_> = Volet::ALL
            .into_iter()
            .filter(|v| v.allows_incentive())
            .collect();
        assert_eq!(allowed, vec![Volet::Transports, Volet::Pertinence]);
    }

    #[test]
    fn progress_bounds() {
        assert!(Progress::from_fraction(dec!(1.01)).is_err());
        assert!(Progress::from_fraction(dec!(-0.01)).is_err());
        assert_eq!(Progress::from_percent(dec!(40)).unwrap().value(), dec!(0.4));
        assert!(Progress::from_percent(dec!(101)).is_err());
        assert_eq!(Progress::from_actions(3, 4).unwrap().value(), dec!(0.75));
        assert!(Progress::from_actions(5, 4).is_err());
        assert!(Progress::from_actions(0, 0).is_err());
        assert_eq!(
            Progress::from_percent(dec!(40))
                .unwrap()
                .complement()
                .value(),
            dec!(0.6)
        );
    }

    #[test]
    fn achievement_share_is_weighted() {
        let objectives = vec![
            Objective {
                libelle: "a".into(),
                poids: dec!(3),
                realisation: Progress::FULL,
            },
            Objective {
                libelle: "b".into(),
                poids: dec!(1),
                realisation: Progress::NONE,
            },
        ];
        assert_eq!(
            achievement_share(&objectives).unwrap().unwrap().value(),
            dec!(0.75)
        );
        assert_eq!(achievement_share(&[]).unwrap(), None);
        let bad = vec![Objective {
            libelle: "c".into(),
            poids: dec!(0),
            realisation: Progress::FULL,
        }];
        assert_eq!(
            achievement_share(&bad),
            Err(VoletError::NonPositiveWeight("c".into()))
        );
    }

    #[test]
    fn parameters_default_to_seeds_and_read_from_toml() {
        let text = r#"
            [sanction]
            plafond_produits_am_pct = "1"
            plafond_liste_en_sus_pct = "30"
            [[sanction.bareme]]
            score_min = "70"
            taux_du_plafond_pct = "0"
            [[sanction.bareme]]
            score_min = "0"
            taux_du_plafond_pct = "100"

            [transports]
            seuil_evolution_pct = "2.2"
            seuil_montant = "500000"
        "#;
        let p: VoletsParameters = toml::from_str(text).unwrap();
        assert_eq!(p.sanction.bareme.len(), 2);
        assert_eq!(p.transports, transport::TransportParameters::default());
        assert_eq!(p.qualite, quality::QualityParameters::default());
        p.validate().unwrap();
        assert!(
            toml::from_str::<VoletsParameters>("[transports]\nseuil_evolutoin_pct = \"2\"")
                .is_err()
        );
        VoletsParameters::default().validate().unwrap();
    }

    #[test]
    fn default_parameters_round_trip_through_toml() {
        let text = toml::to_string(&VoletsParameters::default()).unwrap();
        assert!(text.contains("[[sanction.bareme]]"), "{text}");
        let back: VoletsParameters = toml::from_str(&text).unwrap();
        assert_eq!(back, VoletsParameters::default());
    }
}
