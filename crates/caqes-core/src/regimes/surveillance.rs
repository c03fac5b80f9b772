//! Mise sous surveillance (CSS L162-30-3 and L162-30-4, in force until 31 December 2026;
//! spec §5.1).
//!
//! L162-30-3: the relevance volet sets an annual target number of acts, services or
//! prescriptions, « qui ne peut être inférieur de plus de 30 % au nombre constaté
//! l'année précédente ». L162-30-4: two years after the saisine, if the establishment is
//! still well above the target, the DG ARS may set an abattement of the national tariff
//! « dans la limite de 50 % » and a minoration of the AM-covered share of the liste en
//! sus « dans la limite de 50 % ». The application records decisions: it never computes
//! a reduction on its own (spec §5.1 data model).
//!
//! These three numbers are written in the law (tag P of the spec), hence constants here, each quoted.

use jiff::Span;
use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use super::incitation::Observations;

/// The target may be at most 30 % below the previous year's number (L162-30-3).
pub const MAX_TARGET_CUT_PCT: u8 = 30;
/// Abattement and minoration are each capped at 50 % (L162-30-4).
pub const MAX_REDUCTION_PCT: u8 = 50;
/// The device can apply two years after the saisine (L162-30-4).
pub const YEARS_AFTER_SAISINE: i64 = 2;

/// Errors of the mise sous surveillance (French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveillanceError {
    #[error(
        "cible annuelle {target} : inférieure de plus de 30 % au nombre de l'année précédente ({previous}) ; minimum {minimum} (CSS L162-30-3)"
    )]
    TargetTooLow {
        target: Decimal,
        previous: Decimal,
        minimum: Decimal,
    },
    #[error("{what} de {pct} % : au plus 50 % (CSS L162-30-4)")]
    ReductionTooHigh { what: &'static str, pct: Decimal },
    #[error("{what} négatif ({value})")]
    Negative { what: &'static str, value: Decimal },
    #[error("mise sous surveillance possible à partir du {} seulement (deux ans après la saisine)", crate::regimes::french_date(*.from))]
    TooEarly { from: Date },
    #[error("date hors du calendrier pris en charge : {0}")]
    OutOfRange(String),
    #[error(
        "aucune réduction : le nombre constaté ({observed}) ne dépasse pas la cible annuelle ({target}) (CSS L162-30-4)"
    )]
    NotAboveTarget { observed: Decimal, target: Decimal },
    #[error(
        "l'établissement doit d'abord être mis en mesure de présenter ses observations (CSS L162-30-4) : invitation à présenter ses observations manquante"
    )]
    NoInvitation,
    #[error("les observations de l'établissement sont attendues jusqu'au {} : pas de réduction avant (reçues : non)", crate::regimes::french_date(*.deadline))]
    ObservationsPending { deadline: Date },
    #[error(
        "une réduction doit être motivée (caractéristiques du territoire et de l'établissement, CSS L162-30-4)"
    )]
    MotiveRequired,
    #[error(
        "la réduction suit l'avis {} (CSS L162-30-4) : ni l'avis ni l'expiration de son délai ne sont enregistrés", .0.of()
    )]
    OpinionMissing(OpinionBody),
    #[error(
        "l'avis {} est enregistré au {} : après la date de la décision", .0.of(), crate::regimes::french_date(*.1)
    )]
    OpinionAfterDecision(OpinionBody, Date),
}

/// Who gives an opinion before a reduction (L162-30-4: « après avis de l'organisme local
/// d'assurance maladie et de la conférence régionale de la santé et de l'autonomie »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OpinionBody {
    AssuranceMaladie,
    Crsa,
}

impl OpinionBody {
    pub const ALL: [OpinionBody; 2] = [OpinionBody::AssuranceMaladie, OpinionBody::Crsa];

    pub fn code(self) -> &'static str {
        match self {
            OpinionBody::AssuranceMaladie => "am",
            OpinionBody::Crsa => "crsa",
        }
    }

    pub fn parse(code: &str) -> Option<OpinionBody> {
        OpinionBody::ALL.into_iter().find(|b| b.code() == code)
    }

    /// « de l'organisme local d'assurance maladie », « de la CRSA ».
    pub fn of(self) -> &'static str {
        match self {
            OpinionBody::AssuranceMaladie => "de l'organisme local d'assurance maladie",
            OpinionBody::Crsa => "de la conférence régionale de la santé et de l'autonomie (CRSA)",
        }
    }
}

/// The step of an opinion is closed on `on`: the opinion was given, or the delay to
/// give it passed without an answer (the ARS records either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpinionStep {
    pub body: OpinionBody,
    pub on: Date,
}

/// Checks that a reduction decided on `decided_on` follows both opinions (each given, or
/// its delay passed) on or before that day. A decision without reduction needs none.
pub fn check_opinions(steps: &[OpinionStep], decided_on: Date) -> Result<(), SurveillanceError> {
    for body in OpinionBody::ALL {
        let step = steps
            .iter()
            .find(|s| s.body == body)
            .ok_or(SurveillanceError::OpinionMissing(body))?;
        if step.on > decided_on {
            return Err(SurveillanceError::OpinionAfterDecision(body, step.on));
        }
    }
    Ok(())
}

/// The lowest annual target allowed: previous × (100 − 30) / 100.
pub fn minimum_target(previous_count: Decimal) -> Decimal {
    previous_count * Decimal::from(100 - MAX_TARGET_CUT_PCT) / Decimal::ONE_HUNDRED
}

/// Checks an annual target against the previous year's number.
pub fn check_target(previous_count: Decimal, target: Decimal) -> Result<(), SurveillanceError> {
    for (what, value) in [
        ("nombre de l'année précédente", previous_count),
        ("cible", target),
    ] {
        if value < Decimal::ZERO {
            return Err(SurveillanceError::Negative { what, value });
        }
    }
    let minimum = minimum_target(previous_count);
    if target < minimum {
        return Err(SurveillanceError::TargetTooLow {
            target,
            previous: previous_count,
            minimum,
        });
    }
    Ok(())
}

/// Checks the abattement (of the national tariff) and the minoration (of the AM share of
/// the liste en sus), in %.
pub fn check_reductions(
    abattement_pct: Decimal,
    minoration_pct: Decimal,
) -> Result<(), SurveillanceError> {
    let cap = Decimal::from_u8(MAX_REDUCTION_PCT).unwrap_or(Decimal::ZERO);
    for (what, pct) in [
        ("abattement du tarif national", abattement_pct),
        ("minoration de la prise en charge", minoration_pct),
    ] {
        if pct < Decimal::ZERO {
            return Err(SurveillanceError::Negative { what, value: pct });
        }
        if pct > cap {
            return Err(SurveillanceError::ReductionTooHigh { what, pct });
        }
    }
    Ok(())
}

/// The first day a reduction may be decided: saisine + 2 years.
pub fn eligible_from(saisine: Date) -> Result<Date, SurveillanceError> {
    saisine
        .checked_add(Span::new().years(YEARS_AFTER_SAISINE))
        .map_err(|e| SurveillanceError::OutOfRange(e.to_string()))
}

/// Checks that a reduction decided on `decided_on` comes two years after the saisine.
pub fn check_decision_date(saisine: Date, decided_on: Date) -> Result<(), SurveillanceError> {
    let from = eligible_from(saisine)?;
    if decided_on < from {
        return Err(SurveillanceError::TooEarly { from });
    }
    Ok(())
}

/// The DG ARS's decision at the end of a surveillance: the number observed, and the
/// abattement and minoration (in %, 0 for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReductionDecision {
    pub observed: Decimal,
    pub abattement_pct: Decimal,
    pub minoration_pct: Decimal,
    pub decided_on: Date,
    pub motive: Option<String>,
}

impl ReductionDecision {
    /// Whether the decision reduces anything.
    pub fn reduces(&self) -> bool {
        self.abattement_pct > Decimal::ZERO || self.minoration_pct > Decimal::ZERO
    }
}

/// Checks a decision on a surveillance opened on `saisine` with the annual `target`,
/// and returns the acts above the target. A decision without reduction only records the
/// number observed. A reduction needs (L162-30-4): two years since the saisine, a number
/// above the target, the establishment's observations received or their time over, a
/// motive, and each rate within 50 %. The application records the rates; it computes no
/// amount (spec §5.1).
pub fn decide_reduction(
    saisine: Date,
    target: Decimal,
    decision: &ReductionDecision,
    observations: Option<Observations>,
) -> Result<Decimal, SurveillanceError> {
    if decision.observed < Decimal::ZERO {
        return Err(SurveillanceError::Negative {
            what: "nombre constaté",
            value: decision.observed,
        });
    }
    check_reductions(decision.abattement_pct, decision.minoration_pct)?;
    let above = acts_above_target(decision.observed, target);
    if !decision.reduces() {
        return Ok(above);
    }
    check_decision_date(saisine, decision.decided_on)?;
    if above.is_zero() {
        return Err(SurveillanceError::NotAboveTarget {
            observed: decision.observed,
            target,
        });
    }
    let obs = observations.ok_or(SurveillanceError::NoInvitation)?;
    obs.closed_on(decision.decided_on)
        .map_err(|deadline| SurveillanceError::ObservationsPending { deadline })?;
    if decision
        .motive
        .as_deref()
        .is_none_or(|m| m.trim().is_empty())
    {
        return Err(SurveillanceError::MotiveRequired);
    }
    Ok(above)
}

/// Acts above the target (what the reduction would apply to), never negative.
pub fn acts_above_target(observed: Decimal, target: Decimal) -> Decimal {
    (observed - target).max(Decimal::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    #[test]
    fn target_at_most_thirty_percent_below_last_year() {
        // 1 000 acts in N−1: the target may not be under 1 000 × 0,70 = 700.
        assert_eq!(minimum_target(dec!(1000)), dec!(700));
        assert!(check_target(dec!(1000), dec!(700)).is_ok());
        assert_eq!(
            check_target(dec!(1000), dec!(699)),
            Err(SurveillanceError::TargetTooLow {
                target: dec!(699),
                previous: dec!(1000),
                minimum: dec!(700)
            })
        );
        // 333 × 0,70 = 233,1: a target of 233 is too low, 234 is fine.
        assert!(check_target(dec!(333), dec!(233)).is_err());
        assert!(check_target(dec!(333), dec!(234)).is_ok());
    }

    #[test]
    fn reductions_capped_at_fifty_percent_two_years_after_saisine() {
        assert!(check_reductions(dec!(50), dec!(50)).is_ok());
        assert!(matches!(
            check_reductions(dec!(50.5), dec!(0)),
            Err(SurveillanceError::ReductionTooHigh { .. })
        ));
        assert!(matches!(
            check_reductions(dec!(10), dec!(51)),
            Err(SurveillanceError::ReductionTooHigh { .. })
        ));
        // Saisine on 29 February 2024 + 2 years = 28 February 2026 (end of month).
        assert_eq!(eligible_from(date(2024, 2, 29)).unwrap(), date(2026, 2, 28));
        assert!(check_decision_date(date(2023, 3, 15), date(2025, 3, 14)).is_err());
        assert!(check_decision_date(date(2023, 3, 15), date(2025, 3, 15)).is_ok());
        // 1 180 acts observed against a target of 900: 280 above.
        assert_eq!(acts_above_target(dec!(1180), dec!(900)), dec!(280));
        assert_eq!(acts_above_target(dec!(800), dec!(900)), dec!(0));
    }

    #[test]
    fn a_reduction_follows_the_opinions_of_the_am_and_of_the_crsa() {
        let on = date(2025, 5, 2);
        let am = OpinionStep {
            body: OpinionBody::AssuranceMaladie,
            on: date(2025, 4, 10),
        };
        let crsa = OpinionStep {
            body: OpinionBody::Crsa,
            on: date(2025, 4, 20),
        };
        assert_eq!(check_opinions(&[am, crsa], on), Ok(()));
        assert_eq!(
            check_opinions(&[am], on),
            Err(SurveillanceError::OpinionMissing(OpinionBody::Crsa))
        );
        let late = OpinionStep {
            on: date(2025, 5, 3),
            ..crsa
        };
        let err = check_opinions(&[am, late], on).unwrap_err();
        assert_eq!(
            err,
            SurveillanceError::OpinionAfterDecision(OpinionBody::Crsa, date(2025, 5, 3))
        );
        assert!(err.to_string().contains("3 mai 2025"), "{err}");
    }

    #[test]
    fn a_reduction_waits_two_years_the_observations_and_a_motive() {
        let saisine = date(2023, 3, 15);
        let decision = |on, abattement, minoration, motive: Option<&str>| ReductionDecision {
            observed: dec!(1180),
            abattement_pct: abattement,
            minoration_pct: minoration,
            decided_on: on,
            motive: motive.map(str::to_owned),
        };
        let invited = Some(Observations {
            invitee_le: date(2025, 4, 1),
            date_limite: date(2025, 4, 30),
            recues_le: None,
        });
        // No reduction: the number observed is recorded whenever (280 above 900).
        assert_eq!(
            decide_reduction(
                saisine,
                dec!(900),
                &decision(date(2024, 1, 10), dec!(0), dec!(0), None),
                None
            ),
            Ok(dec!(280))
        );
        let ok = decision(
            date(2025, 5, 2),
            dec!(20),
            dec!(10),
            Some("sur-activité persistante"),
        );
        assert_eq!(
            decide_reduction(saisine, dec!(900), &ok, invited),
            Ok(dec!(280))
        );
        // Before two years after the saisine.
        assert!(matches!(
            decide_reduction(
                saisine,
                dec!(900),
                &decision(date(2025, 3, 14), dec!(20), dec!(0), Some("m")),
                invited
            ),
            Err(SurveillanceError::TooEarly { .. })
        ));
        // Observations still awaited on 30 April 2025; none asked at all.
        assert_eq!(
            decide_reduction(
                saisine,
                dec!(900),
                &decision(date(2025, 4, 30), dec!(20), dec!(0), Some("m")),
                invited
            ),
            Err(SurveillanceError::ObservationsPending {
                deadline: date(2025, 4, 30)
            })
        );
        assert_eq!(
            decide_reduction(saisine, dec!(900), &ok, None),
            Err(SurveillanceError::NoInvitation)
        );
        // Above 50 %, without motive, or under the target.
        assert!(matches!(
            decide_reduction(
                saisine,
                dec!(900),
                &decision(date(2025, 5, 2), dec!(50.01), dec!(0), Some("m")),
                invited
            ),
            Err(SurveillanceError::ReductionTooHigh { .. })
        ));
        assert_eq!(
            decide_reduction(
                saisine,
                dec!(900),
                &decision(date(2025, 5, 2), dec!(20), dec!(0), Some(" ")),
                invited
            ),
            Err(SurveillanceError::MotiveRequired)
        );
        assert_eq!(
            decide_reduction(saisine, dec!(1200), &ok, invited),
            Err(SurveillanceError::NotAboveTarget {
                observed: dec!(1180),
                target: dec!(1200)
            })
        );
    }
}
