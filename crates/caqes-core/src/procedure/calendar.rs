//! The contract calendar: entry into force, amendments, termination, durations,
//! the signature period and appeals. Dates are calendar dates (`jiff::civil::Date`).
//!
//! Instruction DSS/A1/CNAMTS/2017/234, II.a.ii: « le délai de 15 jours pour
//! contractualiser est prolongé jusqu'à l'audition de l'établissement de santé, si elle
//! a été demandée avant l'expiration de ce délai. En d'autres termes, si le représentant
//! légal de l'établissement demande une audition au 14ème jour du délai, ce dernier
//! court jusqu'au jour de l'audition. » « Les avenants, comme les contrats, entrent en
//! vigueur le 1er janvier de l'année suivant leur signature. » « un avenant de
//! résiliation du volet est signé. Il prend effet au 31 décembre de l'année en cours. »
//! « À défaut de contractualisation, l'établissement de santé est passible d'une
//! sanction mécanique » (see [`crate::sanction::refusal_sanction`]).
//! II.a.iv: « Les volets additionnels sont signés pour une durée entre 1 et 5 ans ».
//! IV.b.iii (voies de recours): tribunal administratif for « la sanction » and « le
//! montant de la sanction ou de l'intéressement », TASS for « les modalités de
//! recouvrement », « délai de 2 mois à compter de la réception de la notification ».
//! Seed 003 (Occitanie): « Le contrat entre en vigueur au 1er janvier suivant la date de
//! signature. »
//!
//! Day counting (our reading): a period of N days starting on the day of receipt R ends
//! on R + N days (the day of receipt is not counted, as usual in French procedure), so
//! « day 14 » is R + 14. A period of months ends on the same day number M months later,
//! or on the last day of that month when it is shorter (31 December + 2 months = 28 or
//! 29 February). Administrative courts treat the 2-month appeal period as a *délai
//! franc*, which moves its last day one day later: set `delai_franc = true` to apply it.
//! Neither rule moves a deadline falling on a weekend or public holiday: that needs a
//! holiday calendar, which is not modelled.
//!
//! The instruction (2017) names the TASS for the recovery terms; the court follows the
//! date ([`appeal_court`]): the TASS was abolished on 1 January 2019 and its disputes went
//! to the pôle social of the tribunal de grande instance (loi n° 2016-1547 du 18 novembre
//! 2016, ordonnance n° 2018-358 du 16 mai 2018), which became the pôle social of the
//! tribunal judiciaire on 1 January 2020 (loi n° 2019-222 du 23 mars 2019). The sanction,
//! its amount and the incentive's amount stay before the tribunal administratif (the
//! instruction's table, seed 003 « contestation de la sanction, de son montant ou du
//! montant de l'intéressement = tribunal administratif »). The date used is the one from
//! which the appeal can be lodged: the reception of the notification.

use jiff::civil::Date;
use jiff::{Span, Unit};
use serde::{Deserialize, Serialize};

/// Errors of the calendar rules (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "la durée d'un volet additionnel doit être comprise entre {min} et {max} ans (reçu {got})"
    )]
    VoletDuration { got: u8, min: u8, max: u8 },
    #[error("l'audition ({hearing}) ne peut pas précéder sa demande ({request})")]
    HearingBeforeRequest { request: Date, hearing: Date },
    #[error("la date {date} précède la réception de la proposition de contrat ({reception})")]
    BeforeReception { date: Date, reception: Date },
    #[error("paramètre invalide « {name} » : {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("date hors du calendrier pris en charge : {0}")]
    OutOfRange(String),
}

fn out_of_range(e: jiff::Error) -> CalendarError {
    CalendarError::OutOfRange(e.to_string())
}

/// Durations of the procedure (section `[calendrier]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarParameters {
    /// Period to sign after receiving the contract proposal, in days (15).
    pub delai_signature_jours: u16,
    pub duree_min_volet_additionnel_ans: u8,
    pub duree_max_volet_additionnel_ans: u8,
    /// Appeal period after receiving the notification, in months (2).
    pub delai_recours_mois: u8,
    /// Count the appeal period as a délai franc (one more day).
    pub delai_franc: bool,
}

impl Default for CalendarParameters {
    fn default() -> Self {
        CalendarParameters {
            delai_signature_jours: 15,
            duree_min_volet_additionnel_ans: 1,
            duree_max_volet_additionnel_ans: 5,
            delai_recours_mois: 2,
            delai_franc: false,
        }
    }
}

impl CalendarParameters {
    pub fn validate(&self) -> Result<(), CalendarError> {
        if self.duree_min_volet_additionnel_ans == 0
            || self.duree_min_volet_additionnel_ans > self.duree_max_volet_additionnel_ans
        {
            return Err(CalendarError::InvalidParameter {
                name: "duree_min_volet_additionnel_ans",
                reason: "il faut 1 ≤ durée minimale ≤ durée maximale".into(),
            });
        }
        if self.delai_signature_jours == 0 || self.delai_recours_mois == 0 {
            return Err(CalendarError::InvalidParameter {
                name: "delai_signature_jours / delai_recours_mois",
                reason: "un délai ne peut pas être nul".into(),
            });
        }
        Ok(())
    }
}

/// What a deadline is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Signature,
    RecoursTribunalAdministratif,
    RecoursTass,
}

/// A last day to act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub nature: DeadlineKind,
    /// The last day (included).
    pub date: Date,
}

impl Deadline {
    /// Days from `today` to the last day: 0 on the last day, negative once passed.
    pub fn days_left(&self, today: Date) -> i32 {
        days_between(today, self.date)
    }

    pub fn is_passed(&self, today: Date) -> bool {
        today > self.date
    }
}

/// Days from `from` to `to` (negative when `to` is earlier), for any date of the
/// calendar (entry into force, end of a volet…).
pub fn days_between(from: Date, to: Date) -> i32 {
    // Two civil dates are always within jiff's span limits, in days.
    from.until((Unit::Day, to)).map_or(0, |s| s.get_days())
}

/// 1 January of the year after `signature`: for a contract and for an amendment.
pub fn entry_into_force(signature: Date) -> Result<Date, CalendarError> {
    Date::new(signature.year() + 1, 1, 1).map_err(out_of_range)
}

/// Amendments enter into force like contracts (« Les avenants, comme les contrats »).
pub fn amendment_entry_into_force(signature: Date) -> Result<Date, CalendarError> {
    entry_into_force(signature)
}

/// A termination amendment of a volet takes effect on 31 December of the current year.
pub fn volet_termination_effective(termination_signed: Date) -> Date {
    termination_signed.last_of_year()
}

/// The term of an additional volet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VoletTerm {
    pub debut: Date,
    pub fin: Date,
    pub duree_ans: u8,
}

/// An additional volet signed on `signature` for `years` years: from the 1 January
/// after signature to 31 December of its last year.
pub fn additional_volet_term(
    params: &CalendarParameters,
    signature: Date,
    years: u8,
) -> Result<VoletTerm, CalendarError> {
    let (min, max) = (
        params.duree_min_volet_additionnel_ans,
        params.duree_max_volet_additionnel_ans,
    );
    if years < min || years > max {
        return Err(CalendarError::VoletDuration {
            got: years,
            min,
            max,
        });
    }
    let debut = entry_into_force(signature)?;
    let fin = Date::new(debut.year() + i16::from(years) - 1, 12, 31).map_err(out_of_range)?;
    Ok(VoletTerm {
        debut,
        fin,
        duree_ans: years,
    })
}

/// A hearing requested by the establishment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HearingRequest {
    pub demandee_le: Date,
    pub audition_le: Date,
}

/// The signature period after receipt of the contract proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SignaturePeriod {
    pub reception: Date,
    /// Receipt + 15 days.
    pub fin_initiale: Date,
    pub audition: Option<HearingRequest>,
    /// The hearing was requested within the period, which then runs until it.
    pub prolonge: bool,
    /// The last day to sign.
    pub fin: Date,
}

impl SignaturePeriod {
    pub fn deadline(&self) -> Deadline {
        Deadline {
            nature: DeadlineKind::Signature,
            date: self.fin,
        }
    }

    /// The first day the DG ARS may notify the sanction for want of signature.
    pub fn sanction_notifiable_from(&self) -> Result<Date, CalendarError> {
        self.fin.tomorrow().map_err(out_of_range)
    }
}

/// Computes the signature period. A hearing requested on or before the initial last
/// day extends the period to the hearing (never shortens it); one requested later does
/// not extend it.
pub fn signature_period(
    params: &CalendarParameters,
    reception: Date,
    hearing: Option<HearingRequest>,
) -> Result<SignaturePeriod, CalendarError> {
    let fin_initiale = reception
        .checked_add(Span::new().days(i64::from(params.delai_signature_jours)))
        .map_err(out_of_range)?;
    let mut fin = fin_initiale;
    let mut prolonge = false;
    if let Some(h) = hearing {
        if h.demandee_le < reception {
            return Err(CalendarError::BeforeReception {
                date: h.demandee_le,
                reception,
            });
        }
        if h.audition_le < h.demandee_le {
            return Err(CalendarError::HearingBeforeRequest {
                request: h.demandee_le,
                hearing: h.audition_le,
            });
        }
        if h.demandee_le <= fin_initiale {
            prolonge = h.audition_le > fin_initiale;
            fin = fin_initiale.max(h.audition_le);
        }
    }
    Ok(SignaturePeriod {
        reception,
        fin_initiale,
        audition: hearing,
        prolonge,
        fin,
    })
}

/// Where the signature stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureOutcome {
    Signe {
        le: Date,
        entree_en_vigueur: Date,
        hors_delai: bool,
    },
    EnCours {
        jours_restants: i32,
    },
    /// Not signed by the end of the period: the DG ARS may notify the sanction.
    Refus {
        sanction_notifiable_a_partir_du: Date,
    },
}

/// The outcome on `today`, given the signature date if any.
pub fn signature_outcome(
    period: &SignaturePeriod,
    signed_on: Option<Date>,
    today: Date,
) -> Result<SignatureOutcome, CalendarError> {
    match signed_on {
        Some(le) => {
            if le < period.reception {
                return Err(CalendarError::BeforeReception {
                    date: le,
                    reception: period.reception,
                });
            }
            Ok(SignatureOutcome::Signe {
                le,
                entree_en_vigueur: entry_into_force(le)?,
                hors_delai: le > period.fin,
            })
        }
        None if today <= period.fin => Ok(SignatureOutcome::EnCours {
            jours_restants: period.deadline().days_left(today),
        }),
        None => Ok(SignatureOutcome::Refus {
            sanction_notifiable_a_partir_du: period.sanction_notifiable_from()?,
        }),
    }
}

/// What is contested (« Type de contestation »).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contestation {
    Sanction,
    MontantSanction,
    MontantInteressement,
    ModalitesRecouvrement,
}

/// The court (« Voie de recours »).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Juridiction {
    TribunalAdministratif,
    /// Tribunal des affaires de sécurité sociale (until 31 December 2018).
    Tass,
    /// Pôle social du tribunal de grande instance (2019).
    PoleSocialTgi,
    /// Pôle social du tribunal judiciaire (from 1 January 2020).
    PoleSocialTribunalJudiciaire,
}

impl Juridiction {
    pub fn label(self) -> &'static str {
        match self {
            Juridiction::TribunalAdministratif => "tribunal administratif",
            Juridiction::Tass => "tribunal des affaires de sécurité sociale",
            Juridiction::PoleSocialTgi => "pôle social du tribunal de grande instance",
            Juridiction::PoleSocialTribunalJudiciaire => "pôle social du tribunal judiciaire",
        }
    }
}

/// The social-security court competent on `on`: TASS before 2019, pôle social of the
/// TGI in 2019, pôle social of the tribunal judiciaire from 2020.
pub fn social_court(on: Date) -> Juridiction {
    match on.year() {
        ..=2018 => Juridiction::Tass,
        2019 => Juridiction::PoleSocialTgi,
        _ => Juridiction::PoleSocialTribunalJudiciaire,
    }
}

/// The court hearing `contestation` for an appeal lodged from `on` (the reception of
/// the notified decision).
pub fn appeal_court(contestation: Contestation, on: Date) -> Juridiction {
    match contestation {
        Contestation::Sanction
        | Contestation::MontantSanction
        | Contestation::MontantInteressement => Juridiction::TribunalAdministratif,
        Contestation::ModalitesRecouvrement => social_court(on),
    }
}

impl Contestation {
    /// The court named by the 2017 instruction (TASS for the recovery terms); a notified
    /// decision uses [`appeal_court`], which follows the date.
    pub fn juridiction(self) -> Juridiction {
        match self {
            Contestation::Sanction
            | Contestation::MontantSanction
            | Contestation::MontantInteressement => Juridiction::TribunalAdministratif,
            Contestation::ModalitesRecouvrement => Juridiction::Tass,
        }
    }
}

/// The court and last day of an appeal against a notified decision.
pub fn appeal_deadline(
    params: &CalendarParameters,
    notification_received: Date,
    contestation: Contestation,
) -> Result<(Juridiction, Deadline), CalendarError> {
    let mut date = notification_received
        .checked_add(Span::new().months(i64::from(params.delai_recours_mois)))
        .map_err(out_of_range)?;
    if params.delai_franc {
        date = date.tomorrow().map_err(out_of_range)?;
    }
    let juridiction = appeal_court(contestation, notification_received);
    let nature = match juridiction {
        Juridiction::TribunalAdministratif => DeadlineKind::RecoursTribunalAdministratif,
        // The social-security court, whatever its name at the date.
        Juridiction::Tass
        | Juridiction::PoleSocialTgi
        | Juridiction::PoleSocialTribunalJudiciaire => DeadlineKind::RecoursTass,
    };
    Ok((juridiction, Deadline { nature, date }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn contract_signed_on_31_december_2017_enters_into_force_on_1_january_2018() {
        assert_eq!(
            entry_into_force(date(2017, 12, 31)).unwrap(),
            date(2018, 1, 1)
        );
        assert_eq!(
            entry_into_force(date(2017, 1, 1)).unwrap(),
            date(2018, 1, 1)
        );
        assert_eq!(
            amendment_entry_into_force(date(2018, 6, 15)).unwrap(),
            date(2019, 1, 1)
        );
        assert!(entry_into_force(date(9999, 3, 1)).is_err());
    }

    #[test]
    fn termination_takes_effect_on_31_december_of_the_current_year() {
        assert_eq!(
            volet_termination_effective(date(2019, 3, 4)),
            date(2019, 12, 31)
        );
        assert_eq!(
            volet_termination_effective(date(2019, 12, 31)),
            date(2019, 12, 31)
        );
    }

    #[test]
    fn additional_volets_last_one_to_five_years() {
        let p = CalendarParameters::default();
        let t = additional_volet_term(&p, date(2017, 12, 31), 5).unwrap();
        assert_eq!((t.debut, t.fin), (date(2018, 1, 1), date(2022, 12, 31)));
        let t = additional_volet_term(&p, date(2017, 11, 20), 1).unwrap();
        assert_eq!((t.debut, t.fin), (date(2018, 1, 1), date(2018, 12, 31)));
        for bad in [0, 6] {
            assert_eq!(
                additional_volet_term(&p, date(2017, 11, 20), bad),
                Err(CalendarError::VoletDuration {
                    got: bad,
                    min: 1,
                    max: 5
                })
            );
        }
    }

    #[test]
    fn hearing_requested_on_day_14_extends_the_period_to_the_hearing() {
        let p = CalendarParameters::default();
        let reception = date(2017, 10, 2);
        let plain = signature_period(&p, reception, None).unwrap();
        assert_eq!(plain.fin, date(2017, 10, 17));
        assert_eq!(plain.deadline().days_left(reception), 15);
        // The instruction's example: requested on day 14, hearing later.
        let h = HearingRequest {
            demandee_le: date(2017, 10, 16),
            audition_le: date(2017, 11, 8),
        };
        let ext = signature_period(&p, reception, Some(h)).unwrap();
        assert!(ext.prolonge);
        assert_eq!(ext.fin, date(2017, 11, 8));
        assert_eq!(ext.deadline().days_left(date(2017, 11, 8)), 0);
        assert_eq!(ext.sanction_notifiable_from().unwrap(), date(2017, 11, 9));
        // Requested on the last day (day 15): still within the period.
        let h = HearingRequest {
            demandee_le: date(2017, 10, 17),
            audition_le: date(2017, 10, 30),
        };
        assert_eq!(
            signature_period(&p, reception, Some(h)).unwrap().fin,
            date(2017, 10, 30)
        );
        // Requested on day 16: too late, no extension.
        let h = HearingRequest {
            demandee_le: date(2017, 10, 18),
            audition_le: date(2017, 10, 30),
        };
        let late = signature_period(&p, reception, Some(h)).unwrap();
        assert!(!late.prolonge);
        assert_eq!(late.fin, date(2017, 10, 17));
        // A hearing before the initial end does not shorten the period.
        let h = HearingRequest {
            demandee_le: date(2017, 10, 3),
            audition_le: date(2017, 10, 5),
        };
        assert_eq!(
            signature_period(&p, reception, Some(h)).unwrap().fin,
            date(2017, 10, 17)
        );
        let h = HearingRequest {
            demandee_le: date(2017, 10, 10),
            audition_le: date(2017, 10, 9),
        };
        assert!(signature_period(&p, reception, Some(h)).is_err());
    }

    #[test]
    fn refusal_leads_to_the_notified_sanction() {
        let p = CalendarParameters::default();
        let period = signature_period(&p, date(2017, 10, 2), None).unwrap();
        assert_eq!(
            signature_outcome(&period, None, date(2017, 10, 10)).unwrap(),
            SignatureOutcome::EnCours { jours_restants: 7 }
        );
        assert_eq!(
            signature_outcome(&period, None, date(2017, 10, 18)).unwrap(),
            SignatureOutcome::Refus {
                sanction_notifiable_a_partir_du: date(2017, 10, 18)
            }
        );
        assert_eq!(
            signature_outcome(&period, Some(date(2017, 10, 12)), date(2017, 12, 1)).unwrap(),
            SignatureOutcome::Signe {
                le: date(2017, 10, 12),
                entree_en_vigueur: date(2018, 1, 1),
                hors_delai: false
            }
        );
    }

    #[test]
    fn the_social_court_follows_the_date() {
        // TASS until 31 December 2018, pôle social of the TGI in 2019, of the tribunal
        // judiciaire from 1 January 2020; the sanction stays before the tribunal administratif.
        let r = Contestation::ModalitesRecouvrement;
        assert_eq!(appeal_court(r, date(2018, 12, 31)), Juridiction::Tass);
        assert_eq!(
            appeal_court(r, date(2019, 1, 1)),
            Juridiction::PoleSocialTgi
        );
        assert_eq!(
            appeal_court(r, date(2019, 12, 31)),
            Juridiction::PoleSocialTgi
        );
        assert_eq!(
            appeal_court(r, date(2020, 1, 1)),
            Juridiction::PoleSocialTribunalJudiciaire
        );
        assert_eq!(
            appeal_court(r, date(2026, 12, 4)),
            Juridiction::PoleSocialTribunalJudiciaire
        );
        for on in [date(2018, 6, 1), date(2019, 6, 1), date(2026, 6, 1)] {
            assert_eq!(
                appeal_court(Contestation::Sanction, on),
                Juridiction::TribunalAdministratif
            );
        }
        let p = CalendarParameters::default();
        let (j, _) = appeal_deadline(&p, date(2026, 3, 2), r).unwrap();
        assert_eq!(j.label(), "pôle social du tribunal judiciaire");
    }

    #[test]
    fn appeals_within_two_months_before_the_right_court() {
        let p = CalendarParameters::default();
        let (j, d) = appeal_deadline(&p, date(2018, 3, 15), Contestation::MontantSanction).unwrap();
        assert_eq!(
            (j, d.date, d.nature),
            (
                Juridiction::TribunalAdministratif,
                date(2018, 5, 15),
                DeadlineKind::RecoursTribunalAdministratif
            )
        );
        assert_eq!(d.days_left(date(2018, 5, 1)), 14);
        assert!(d.is_passed(date(2018, 5, 16)) && !d.is_passed(date(2018, 5, 15)));
        assert_eq!(d.days_left(date(2018, 5, 20)), -5);
        let (j, _) =
            appeal_deadline(&p, date(2018, 3, 15), Contestation::ModalitesRecouvrement).unwrap();
        assert_eq!(j, Juridiction::Tass);
        assert_eq!(
            Contestation::MontantInteressement.juridiction(),
            Juridiction::TribunalAdministratif
        );
        assert_eq!(
            Contestation::Sanction.juridiction(),
            Juridiction::TribunalAdministratif
        );
        // Month ends: 31 December + 2 months = end of February (leap year included).
        assert_eq!(
            appeal_deadline(&p, date(2018, 12, 31), Contestation::Sanction)
                .unwrap()
                .1
                .date,
            date(2019, 2, 28)
        );
        assert_eq!(
            appeal_deadline(&p, date(2019, 12, 31), Contestation::Sanction)
                .unwrap()
                .1
                .date,
            date(2020, 2, 29)
        );
        let franc = CalendarParameters {
            delai_franc: true,
            ..p
        };
        assert_eq!(
            appeal_deadline(&franc, date(2018, 3, 15), Contestation::Sanction)
                .unwrap()
                .1
                .date,
            date(2018, 5, 16)
        );
    }

    proptest! {
        #[test]
        fn entry_into_force_is_always_the_next_first_of_january(y in 1900i16..2500, doy in 1i16..=365) {
            let signed = date(y, 1, 1).checked_add(Span::new().days(i64::from(doy - 1))).unwrap();
            let e = entry_into_force(signed).unwrap();
            prop_assert!(e > signed);
            prop_assert_eq!((e.year(), e.month(), e.day()), (y + 1, 1, 1));
            prop_assert!(days_between(signed, e) <= 366);
        }

        #[test]
        fn the_signature_period_never_ends_before_fifteen_days(req in 0i64..30, wait in 0i64..60) {
            let p = CalendarParameters::default();
            let r = date(2017, 10, 2);
            let h = HearingRequest {
                demandee_le: r.checked_add(Span::new().days(req)).unwrap(),
                audition_le: r.checked_add(Span::new().days(req + wait)).unwrap(),
            };
            let period = signature_period(&p, r, Some(h)).unwrap();
            prop_assert!(period.fin >= period.fin_initiale);
            prop_assert_eq!(period.fin > period.fin_initiale, req <= 15 && req + wait > 15);
        }
    }
}

// ---------------------------------------------------------------------------
// Calendar dates in Europe/Paris (notifications, acknowledgements of receipt).

/// The time zone of every calendar date of the platform: a day of receipt,
/// a deadline or a reminder is a day in Paris, whatever the server's zone.
/// Compiled in (jiff's `static` feature), so reading it cannot fail at run time.
pub fn paris() -> jiff::tz::TimeZone {
    jiff::tz::get!("Europe/Paris")
}

/// The calendar day in Paris at instant `at`.
pub fn paris_date(at: jiff::Timestamp) -> Date {
    at.to_zoned(paris()).date()
}

#[cfg(test)]
mod paris_tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_paris_day_follows_daylight_saving_time() {
        // 22:30 UTC is already the next day in Paris in summer (UTC+2), not in
        // winter (UTC+1); 23:30 UTC is the next day in both.
        let summer: jiff::Timestamp = "2025-07-14T22:30:00Z".parse().unwrap();
        assert_eq!(paris_date(summer), date(2025, 7, 15));
        let winter: jiff::Timestamp = "2025-01-14T22:30:00Z".parse().unwrap();
        assert_eq!(paris_date(winter), date(2025, 1, 14));
        let winter: jiff::Timestamp = "2025-01-14T23:30:00Z".parse().unwrap();
        assert_eq!(paris_date(winter), date(2025, 1, 15));
        // 22:59 UTC in winter is 23:59 in Paris: still the same day.
        let late: jiff::Timestamp = "2025-01-14T22:59:00Z".parse().unwrap();
        assert_eq!(paris_date(late), date(2025, 1, 14));
        // The night of the change to summer time (30 March 2025, 01:00 UTC).
        let before: jiff::Timestamp = "2025-03-29T22:59:00Z".parse().unwrap();
        assert_eq!(paris_date(before), date(2025, 3, 29));
        let after: jiff::Timestamp = "2025-03-30T22:00:00Z".parse().unwrap();
        assert_eq!(paris_date(after), date(2025, 3, 31));
    }
}
