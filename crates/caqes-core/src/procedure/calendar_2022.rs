//! The second generation's calendar (CSS D162-15 and D162-16, décret 2021-1231; spec
//! §1.3 and §1.4), next to the first generation's ([`super::calendar`]), with the same
//! day counting: a period of N days from a receipt R ends on R + N (the day of receipt
//! is not counted); a period of months ends on the same day number, or on the last day
//! of a shorter month. Dates are calendar dates (Europe/Paris).
//!
//! Refusal (D162-15): « Le représentant légal de l'établissement dispose d'un délai de
//! trois semaines à compter de la réception de la proposition » to sign, or to refuse and
//! ask to be heard or send observations; then a second proposal naming the 1 % sanction;
//! « quinze jours » from its receipt; then the sanction, at the earliest after the
//! hearing when one was requested within the period.
//!
//! Evaluation (D162-16 III–IV): the evaluation report; « un mois » to ask for a hearing or
//! send observations (a hearing requested within the month delays the notification until
//! it is held); the intéressement notified « dans un délai de deux mois » after that
//! month; « quinze jours » to answer; then the final decision with the final amount.

use jiff::Span;
use jiff::civil::Date;
use serde::Serialize;

use super::calendar::HearingRequest;
use crate::regimes::grid::ContractParameters;

/// Errors of the second-generation calendar (French).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Calendar2022Error {
    #[error("{what} ({}) précède {reference} ({})", crate::regimes::french_date(*.date), crate::regimes::french_date(*.reference_date))]
    Before {
        what: &'static str,
        date: Date,
        reference: &'static str,
        reference_date: Date,
    },
    #[error("notification de l'intéressement le {} : trop tôt, la période d'observations court jusqu'au {}", crate::regimes::french_date(*.date), crate::regimes::french_date(*.earliest_minus_one))]
    NotificationTooEarly {
        date: Date,
        earliest_minus_one: Date,
    },
    #[error("date hors du calendrier pris en charge : {0}")]
    OutOfRange(String),
}

fn add_days(d: Date, days: u16) -> Result<Date, Calendar2022Error> {
    d.checked_add(Span::new().days(i64::from(days)))
        .map_err(|e| Calendar2022Error::OutOfRange(e.to_string()))
}

fn add_months(d: Date, months: i64) -> Result<Date, Calendar2022Error> {
    d.checked_add(Span::new().months(months))
        .map_err(|e| Calendar2022Error::OutOfRange(e.to_string()))
}

fn next_day(d: Date) -> Result<Date, Calendar2022Error> {
    d.tomorrow()
        .map_err(|e| Calendar2022Error::OutOfRange(e.to_string()))
}

fn not_before(
    what: &'static str,
    date: Date,
    reference: &'static str,
    reference_date: Date,
) -> Result<(), Calendar2022Error> {
    if date < reference_date {
        return Err(Calendar2022Error::Before {
            what,
            date,
            reference,
            reference_date,
        });
    }
    Ok(())
}

/// The refusal procedure's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RefusalProcedure {
    pub reception_proposition: Date,
    /// Receipt + 21 days: last day to sign the first proposal.
    pub fin_premier_delai: Date,
    pub reception_seconde_proposition: Option<Date>,
    /// Receipt of the second proposal + 15 days (or the hearing, if later and requested
    /// within the period): last day to sign.
    pub fin_second_delai: Option<Date>,
    pub audition: Option<HearingRequest>,
    /// The day after the second period: the DG ARS may pronounce the 1 % sanction.
    pub sanction_a_partir_du: Option<Date>,
}

/// Computes the refusal procedure from the receipts of the two proposals (the second
/// may not be sent yet) and a hearing requested on the second proposal.
pub fn refusal_procedure(
    params: &ContractParameters,
    first_receipt: Date,
    second_receipt: Option<Date>,
    hearing: Option<HearingRequest>,
) -> Result<RefusalProcedure, Calendar2022Error> {
    let fin_premier_delai = add_days(first_receipt, params.delai_reponse_jours.valeur)?;
    let mut out = RefusalProcedure {
        reception_proposition: first_receipt,
        fin_premier_delai,
        reception_seconde_proposition: second_receipt,
        fin_second_delai: None,
        audition: hearing,
        sanction_a_partir_du: None,
    };
    let Some(second) = second_receipt else {
        return Ok(out);
    };
    // The second proposal follows the first period, or the DG ARS's answer to the
    // observations sent within it: it can come before day 21, never before the first.
    if second <= first_receipt {
        return Err(Calendar2022Error::Before {
            what: "la réception de la seconde proposition",
            date: second,
            reference: "le lendemain de la réception de la première",
            reference_date: next_day(first_receipt)?,
        });
    }
    let initial_end = add_days(second, params.delai_seconde_proposition_jours.valeur)?;
    let mut end = initial_end;
    if let Some(h) = hearing {
        not_before(
            "la demande d'audition",
            h.demandee_le,
            "la réception de la seconde proposition",
            second,
        )?;
        not_before("l'audition", h.audition_le, "sa demande", h.demandee_le)?;
        if h.demandee_le <= initial_end {
            end = end.max(h.audition_le);
        }
    }
    out.fin_second_delai = Some(end);
    out.sanction_a_partir_du = Some(next_day(end)?);
    Ok(out)
}

/// The yearly evaluation sequence's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EvaluationSequence {
    pub reception_rapport: Date,
    /// Receipt of the report + 1 month: last day for observations or a hearing request.
    pub fin_observations: Date,
    pub audition: Option<HearingRequest>,
    /// First day the intéressement may be notified (after the month, and after the
    /// hearing when one was requested within it).
    pub notification_au_plus_tot: Date,
    /// Last day of the 2 months after the observation period.
    pub notification_au_plus_tard: Date,
    pub reception_notification: Option<Date>,
    /// The notification came after the 2 months.
    pub notification_hors_delai: bool,
    /// Receipt of the notification + 15 days.
    pub fin_second_delai: Option<Date>,
    /// The day after: the final decision (final amount, appeal routes).
    pub decision_finale_a_partir_du: Option<Date>,
}

/// Computes the evaluation sequence from the receipt of the report, a hearing requested
/// on the report and the receipt of the notification of the intéressement.
pub fn evaluation_sequence(
    report_receipt: Date,
    hearing: Option<HearingRequest>,
    notification_receipt: Option<Date>,
) -> Result<EvaluationSequence, Calendar2022Error> {
    let fin_observations = add_months(report_receipt, 1)?;
    let mut earliest = next_day(fin_observations)?;
    if let Some(h) = hearing {
        not_before(
            "la demande d'audition",
            h.demandee_le,
            "la réception du rapport",
            report_receipt,
        )?;
        not_before("l'audition", h.audition_le, "sa demande", h.demandee_le)?;
        if h.demandee_le <= fin_observations {
            earliest = earliest.max(h.audition_le);
        }
    }
    let latest = add_months(fin_observations, 2)?.max(earliest);
    let mut out = EvaluationSequence {
        reception_rapport: report_receipt,
        fin_observations,
        audition: hearing,
        notification_au_plus_tot: earliest,
        notification_au_plus_tard: latest,
        reception_notification: notification_receipt,
        notification_hors_delai: false,
        fin_second_delai: None,
        decision_finale_a_partir_du: None,
    };
    if let Some(n) = notification_receipt {
        if n < earliest {
            return Err(Calendar2022Error::NotificationTooEarly {
                date: n,
                earliest_minus_one: earliest.yesterday().unwrap_or(earliest),
            });
        }
        out.notification_hors_delai = n > latest;
        let end = add_days(n, 15)?;
        out.fin_second_delai = Some(end);
        out.decision_finale_a_partir_du = Some(next_day(end)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regimes::{AnyReferentiel, builtin_any_by_id};
    use jiff::civil::date;

    fn params() -> ContractParameters {
        match builtin_any_by_id("national-2022") {
            Some(AnyReferentiel::Objectives(g)) => g.contract.unwrap(),
            _ => panic!("national-2022"),
        }
    }

    #[test]
    fn refusal_follows_the_spec_worked_example() {
        // Spec §1.3: received 2 May 2022 + 21 days = 23 May 2022; second proposal
        // received 30 May 2022 + 15 days = 14 June 2022; sanction from 15 June 2022.
        let p =
            refusal_procedure(&params(), date(2022, 5, 2), Some(date(2022, 5, 30)), None).unwrap();
        assert_eq!(p.fin_premier_delai, date(2022, 5, 23));
        assert_eq!(p.fin_second_delai, Some(date(2022, 6, 14)));
        assert_eq!(p.sanction_a_partir_du, Some(date(2022, 6, 15)));
        let first_only = refusal_procedure(&params(), date(2022, 5, 2), None, None).unwrap();
        assert_eq!(first_only.sanction_a_partir_du, None);
    }

    #[test]
    fn a_hearing_requested_in_time_delays_the_sanction() {
        // Requested on 10 June (within the period ending 14 June), held on 20 June:
        // the sanction can come from 21 June. Requested on 15 June: no effect.
        let h = |asked, held| {
            Some(HearingRequest {
                demandee_le: asked,
                audition_le: held,
            })
        };
        let p = refusal_procedure(
            &params(),
            date(2022, 5, 2),
            Some(date(2022, 5, 30)),
            h(date(2022, 6, 10), date(2022, 6, 20)),
        )
        .unwrap();
        assert_eq!(p.sanction_a_partir_du, Some(date(2022, 6, 21)));
        let p = refusal_procedure(
            &params(),
            date(2022, 5, 2),
            Some(date(2022, 5, 30)),
            h(date(2022, 6, 15), date(2022, 6, 20)),
        )
        .unwrap();
        assert_eq!(p.sanction_a_partir_du, Some(date(2022, 6, 15)));
        assert!(
            refusal_procedure(&params(), date(2022, 5, 2), Some(date(2022, 5, 2)), None).is_err()
        );
    }

    #[test]
    fn evaluation_sequence_month_two_months_fifteen_days() {
        // Report received 15 June 2023 → observations until 15 July 2023; notification
        // from 16 July to 15 September 2023; received 1 September + 15 days = 16
        // September; final decision from 17 September 2023.
        let s = evaluation_sequence(date(2023, 6, 15), None, Some(date(2023, 9, 1))).unwrap();
        assert_eq!(s.fin_observations, date(2023, 7, 15));
        assert_eq!(s.notification_au_plus_tot, date(2023, 7, 16));
        assert_eq!(s.notification_au_plus_tard, date(2023, 9, 15));
        assert_eq!(s.fin_second_delai, Some(date(2023, 9, 16)));
        assert_eq!(s.decision_finale_a_partir_du, Some(date(2023, 9, 17)));
        assert!(!s.notification_hors_delai);
        // 31 July + 1 month = 31 August; + 2 months = 31 October.
        let s = evaluation_sequence(date(2023, 7, 31), None, Some(date(2023, 11, 2))).unwrap();
        assert_eq!(
            (s.fin_observations, s.notification_au_plus_tard),
            (date(2023, 8, 31), date(2023, 10, 31))
        );
        assert!(s.notification_hors_delai);
        // A hearing requested within the month and held on 25 July: no notification before.
        let h = HearingRequest {
            demandee_le: date(2023, 7, 1),
            audition_le: date(2023, 7, 25),
        };
        let s = evaluation_sequence(date(2023, 6, 15), Some(h), None).unwrap();
        assert_eq!(s.notification_au_plus_tot, date(2023, 7, 25));
        assert!(matches!(
            evaluation_sequence(date(2023, 6, 15), Some(h), Some(date(2023, 7, 20))),
            Err(Calendar2022Error::NotificationTooEarly { .. })
        ));
    }
}
