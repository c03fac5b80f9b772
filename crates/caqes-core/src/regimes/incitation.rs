//! The 2026 scheme (LFSS 2026, loi n° 2025-1403 art. 79): the efficiency and relevance
//! incentive of CSS L162-23-14 and the stand-alone mise sous surveillance of
//! L162-23-14-1 (spec §1.5, §5.3).
//!
//! - 1° from 1 January 2026: the DG ARS « peut » award a complementary dotation
//!   « calculée sur les économies constatées » on AM spending, against national or
//!   regional objectives in volume or rate of change. Computed like the 2022
//!   intéressement ([`super::outcome`]); the share per objective is « à confirmer » (the
//!   Conseil d'État decree and the arrêté are not published: spec §7 Q17).
//! - 2° from 1 January 2027: a penalty lowering the AM funding, « dans la limite de 2 % »
//!   of it ([`PenaltyParameters::plafond_pct`]).
//! - L162-23-14-1: before a penalty, the establishment must have been able to present
//!   its observations ([`decide_penalty`]).
//!
//! Our readings (listed in docs/scoring.md): the penalty concerns years evaluated from
//! `a_partir_de` on (no penalty for 2026, whose rules had no penalty), and only an
//! establishment that missed at least one objective can be penalised.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;

use super::grid::PenaltyParameters;
use crate::money::Euros;

/// Errors of the 2026 penalty (French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncitationError {
    #[error("pénalité impossible le {} : elle ne s'applique qu'à partir du {} (CSS L162-23-14 2°)", crate::regimes::french_date(*.decided_on), crate::regimes::french_date(*.from))]
    NotYetApplicable { decided_on: Date, from: Date },
    #[error(
        "pénalité impossible pour l'année {year} : elle ne vise que les années à partir de {from_year}"
    )]
    YearBeforePenalty { year: i16, from_year: i16 },
    #[error("la pénalité ({amount}) dépasse le plafond de {pct} % du financement AM ({ceiling})")]
    AboveCeiling {
        amount: Euros,
        pct: Decimal,
        ceiling: Euros,
    },
    #[error("une pénalité ne peut pas être négative (reçu {0})")]
    Negative(Euros),
    #[error(
        "l'établissement doit d'abord être mis en mesure de présenter ses observations (CSS L162-23-14-1) : invitation à présenter ses observations manquante"
    )]
    NoInvitation,
    #[error("les observations de l'établissement sont attendues jusqu'au {} : pas de pénalité avant (reçues : non)", crate::regimes::french_date(*.deadline))]
    ObservationsPending { deadline: Date },
    #[error("aucun objectif manqué : pas de pénalité")]
    NoObjectiveMissed,
}

/// The establishment's right to present observations before a penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Observations {
    /// Receipt of the invitation to present observations.
    pub invitee_le: Date,
    /// Last day to answer.
    pub date_limite: Date,
    /// Observations received (the penalty may then be decided without waiting).
    pub recues_le: Option<Date>,
}

impl Observations {
    /// Whether the right to answer is exhausted on `decided_on`: the observations are
    /// received by then, or their last day has passed. `Err` gives that last day.
    pub fn closed_on(&self, decided_on: Date) -> Result<(), Date> {
        let answered = self.recues_le.is_some_and(|r| r <= decided_on);
        if answered || decided_on > self.date_limite {
            Ok(())
        } else {
            Err(self.date_limite)
        }
    }
}

/// The penalty's ceiling for year `year` on `am_funding`: `None` before the penalty
/// applies (years before `a_partir_de`).
pub fn penalty_ceiling(params: &PenaltyParameters, year: i16, am_funding: Euros) -> Option<Euros> {
    (year >= params.a_partir_de.valeur.year())
        .then(|| am_funding.percent(params.plafond_pct.valeur))
}

/// Checks a penalty the DG ARS decides on `decided_on` for year `year`.
pub fn decide_penalty(
    params: &PenaltyParameters,
    year: i16,
    decided_on: Date,
    am_funding: Euros,
    objectives_missed: usize,
    observations: Option<Observations>,
    amount: Euros,
) -> Result<Euros, IncitationError> {
    let from = params.a_partir_de.valeur;
    if decided_on < from {
        return Err(IncitationError::NotYetApplicable { decided_on, from });
    }
    let Some(ceiling) = penalty_ceiling(params, year, am_funding) else {
        return Err(IncitationError::YearBeforePenalty {
            year,
            from_year: from.year(),
        });
    };
    if objectives_missed == 0 {
        return Err(IncitationError::NoObjectiveMissed);
    }
    let Some(obs) = observations else {
        return Err(IncitationError::NoInvitation);
    };
    obs.closed_on(decided_on)
        .map_err(|deadline| IncitationError::ObservationsPending { deadline })?;
    if amount.0 < Decimal::ZERO {
        return Err(IncitationError::Negative(amount));
    }
    if amount > ceiling {
        return Err(IncitationError::AboveCeiling {
            amount,
            pct: params.plafond_pct.valeur,
            ceiling,
        });
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regimes::{AnyReferentiel, builtin_any_by_id};
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    fn params() -> PenaltyParameters {
        match builtin_any_by_id("incitation-2026") {
            Some(AnyReferentiel::Objectives(g)) => g.penalty.unwrap(),
            _ => panic!("incitation-2026"),
        }
    }

    fn obs(received: Option<Date>) -> Option<Observations> {
        Some(Observations {
            invitee_le: date(2028, 3, 1),
            date_limite: date(2028, 3, 31),
            recues_le: received,
        })
    }

    #[test]
    fn ceiling_is_two_percent_from_2027() {
        // 50 000 000 € of AM funding × 2 % = 1 000 000 €.
        let p = params();
        assert_eq!(
            penalty_ceiling(&p, 2027, Euros(dec!(50000000))),
            Some(Euros(dec!(1000000)))
        );
        assert_eq!(penalty_ceiling(&p, 2026, Euros(dec!(50000000))), None);
    }

    #[test]
    fn penalty_waits_for_observations_and_stays_under_the_ceiling() {
        let p = params();
        let funding = Euros(dec!(50000000));
        let ok = |on, o, amount| decide_penalty(&p, 2027, on, funding, 1, o, Euros(amount));
        // Observations received on 10 March 2028: decision on 15 March is possible.
        assert_eq!(
            ok(
                date(2028, 3, 15),
                obs(Some(date(2028, 3, 10))),
                dec!(400000)
            ),
            Ok(Euros(dec!(400000)))
        );
        // No answer: not before 1 April 2028 (deadline 31 March included).
        assert_eq!(
            ok(date(2028, 3, 31), obs(None), dec!(400000)),
            Err(IncitationError::ObservationsPending {
                deadline: date(2028, 3, 31)
            })
        );
        assert!(ok(date(2028, 4, 1), obs(None), dec!(400000)).is_ok());
        assert_eq!(
            ok(date(2028, 4, 1), None, dec!(1)),
            Err(IncitationError::NoInvitation)
        );
        // 1 000 000,01 € > 2 % of 50 000 000 €.
        assert!(matches!(
            ok(date(2028, 4, 1), obs(None), dec!(1000000.01)),
            Err(IncitationError::AboveCeiling { .. })
        ));
        // Year 2026 and a decision in 2026: refused.
        assert!(matches!(
            decide_penalty(
                &p,
                2026,
                date(2027, 6, 1),
                funding,
                1,
                obs(None),
                Euros(dec!(1))
            ),
            Err(IncitationError::YearBeforePenalty { .. })
        ));
        assert!(matches!(
            decide_penalty(
                &p,
                2027,
                date(2026, 12, 31),
                funding,
                1,
                obs(None),
                Euros(dec!(1))
            ),
            Err(IncitationError::NotYetApplicable { .. })
        ));
        assert_eq!(
            decide_penalty(
                &p,
                2027,
                date(2028, 4, 1),
                funding,
                0,
                obs(None),
                Euros(dec!(1))
            ),
            Err(IncitationError::NoObjectiveMissed)
        );
    }
}
