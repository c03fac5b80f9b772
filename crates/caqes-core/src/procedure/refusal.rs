//! The sanction for refusing to sign the contract (issue 11): when the ARS may
//! open the procedure, what it may decide, when it may notify, and the order of
//! the steps. The store records the facts; every rule is here.
//!
//! Instruction DSS/A1/CNAMTS/2017/234, II.a.ii: an establishment that does not
//! sign within 15 days of receiving the proposal (extended to its hearing when
//! asked for in time) incurs « une sanction mécanique de 1% de ses recettes
//! d'assurance maladie ou d'une réduction de 30% du remboursement des produits
//! de la liste en sus » (article L. 162-22-7 of the code de la sécurité sociale
//! for the latter, when the volet obligatoire is refused). The absence of a
//! signature at the end of the period is a refusal (« réputé refusé »).
//!
//! Our reading, stated for the lead: the amount is the ceiling of the basis
//! chosen (the « sanction mécanique »); the DG ARS may set a lower amount only
//! with a motivation, as for every other sanction (`Decision::modulated`).

use jiff::civil::Date;

use crate::money::Euros;
use crate::procedure::calendar::SignaturePeriod;
use crate::procedure::contract::ContractState;
use crate::regimes::french_date;
use crate::sanction::{Decision, Proposal, SanctionBasis, SanctionParameters, refusal_sanction};
use crate::volets::Volet;

/// Why a refusal procedure may not go on (messages in French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefusalError {
    #[error("le contrat est signé : aucune sanction pour refus de signature")]
    Signed,
    #[error(
        "le délai de signature court jusqu'au {0} inclus : le contrat n'est pas encore réputé refusé"
    )]
    PeriodRunning(String),
    #[error(
        "une audition a été demandée dans le délai et sa date n'est pas fixée : le délai de signature court jusqu'à elle"
    )]
    HearingPending,
    #[error(
        "la proposition n'a pas été reçue par l'établissement : le délai de signature n'a pas commencé"
    )]
    NotReceived,
    #[error("impossible de {action} : la procédure est {state}")]
    WrongState {
        action: &'static str,
        state: &'static str,
    },
    #[error(
        "la sanction ne peut pas être notifiée avant le {0} (lendemain de la fin du délai de signature)"
    )]
    TooEarly(String),
    #[error("la réduction de la liste en sus ne s'applique qu'au refus du volet obligatoire")]
    ListeEnSusWithoutSocle,
    #[error("{0}")]
    Sanction(#[from] crate::sanction::SanctionError),
}

/// Why the procedure is open: an explicit refusal, or the end of the period
/// without a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalGround {
    Refused,
    /// « Réputé refusé »: not signed by the end of the signature period.
    DeemedRefused,
}

impl RefusalGround {
    pub fn code(self) -> &'static str {
        match self {
            RefusalGround::Refused => "refus",
            RefusalGround::DeemedRefused => "refus_repute",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RefusalGround::Refused => "contrat refusé par l'établissement",
            RefusalGround::DeemedRefused => {
                "contrat réputé refusé (non signé à la fin du délai de signature)"
            }
        }
    }

    pub fn parse(code: &str) -> Option<RefusalGround> {
        [RefusalGround::Refused, RefusalGround::DeemedRefused]
            .into_iter()
            .find(|g| g.code() == code)
    }
}

/// Where a refusal procedure stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalState {
    /// Opened by the ARS: the sanction is to be decided.
    Ouverte,
    /// The DG ARS decided the basis and the amount (may still change them).
    Decidee,
    /// Notified: frozen; the appeal deadline runs from its receipt.
    Notifiee,
}

impl RefusalState {
    pub fn code(self) -> &'static str {
        match self {
            RefusalState::Ouverte => "ouverte",
            RefusalState::Decidee => "decidee",
            RefusalState::Notifiee => "notifiee",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RefusalState::Ouverte => "ouverte",
            RefusalState::Decidee => "décidée",
            RefusalState::Notifiee => "notifiée",
        }
    }

    pub fn parse(code: &str) -> Option<RefusalState> {
        [
            RefusalState::Ouverte,
            RefusalState::Decidee,
            RefusalState::Notifiee,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Whether the ARS may open the procedure on `today`, for a contract in
/// `state` whose signature period is `period` (`None`: not received yet) and
/// with a hearing asked for in time but not dated (`hearing_pending`).
pub fn may_open(
    state: ContractState,
    period: Option<&SignaturePeriod>,
    hearing_pending: bool,
    today: Date,
) -> Result<RefusalGround, RefusalError> {
    match state {
        ContractState::Signe => Err(RefusalError::Signed),
        ContractState::Refuse => Ok(RefusalGround::Refused),
        ContractState::Propose => {
            let period = period.ok_or(RefusalError::NotReceived)?;
            if hearing_pending {
                return Err(RefusalError::HearingPending);
            }
            if today <= period.fin {
                return Err(RefusalError::PeriodRunning(french_date(period.fin)));
            }
            Ok(RefusalGround::DeemedRefused)
        }
    }
}

/// The sanction decided: the ceiling of `basis` (1 % of the AM revenue, or
/// 30 % of the liste en sus), or a lower `amount` with a motivation. The liste
/// en sus applies only when the refused contract holds the volet obligatoire
/// (every contract does).
pub fn decide(
    params: &SanctionParameters,
    basis: SanctionBasis,
    refused_volets: &[Volet],
    amount: Option<Euros>,
    motivation: Option<&str>,
) -> Result<Decision, RefusalError> {
    let proposal: Proposal = refusal_sanction(params, basis)?;
    if matches!(basis, SanctionBasis::ListeEnSus(_))
        && !refused_volets.contains(&Volet::Obligatoire)
    {
        return Err(RefusalError::ListeEnSusWithoutSocle);
    }
    Ok(Decision::modulated(
        Volet::Obligatoire,
        proposal,
        amount.unwrap_or(proposal.amount()),
        motivation,
    )?)
}

/// The first day the sanction may be notified: the day after the end of the
/// signature period; an explicit refusal before that day does not shorten the
/// period the law gives.
pub fn check_notification(period: &SignaturePeriod, on: Date) -> Result<(), RefusalError> {
    let from = period
        .sanction_notifiable_from()
        .map_err(|_| RefusalError::TooEarly(french_date(period.fin)))?;
    if on < from {
        return Err(RefusalError::TooEarly(french_date(from)));
    }
    Ok(())
}

/// The steps of the procedure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalStep {
    Decide,
    Notify,
}

/// The state after `step` from `state`: decide while not notified (a decision
/// may be changed until then), notify once decided; nothing after notification.
pub fn next(state: RefusalState, step: RefusalStep) -> Result<RefusalState, RefusalError> {
    match (state, step) {
        (RefusalState::Ouverte | RefusalState::Decidee, RefusalStep::Decide) => {
            Ok(RefusalState::Decidee)
        }
        (RefusalState::Decidee, RefusalStep::Notify) => Ok(RefusalState::Notifiee),
        (s, RefusalStep::Decide) => Err(RefusalError::WrongState {
            action: "décider la sanction",
            state: s.label(),
        }),
        (s, RefusalStep::Notify) => Err(RefusalError::WrongState {
            action: "notifier la sanction",
            state: s.label(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procedure::calendar::{CalendarParameters, HearingRequest, signature_period};
    use jiff::civil::date;
    use rust_decimal::Decimal;

    fn period(hearing: Option<HearingRequest>) -> SignaturePeriod {
        signature_period(&CalendarParameters::default(), date(2019, 3, 1), hearing).unwrap()
    }

    #[test]
    fn a_proposed_contract_is_deemed_refused_only_after_its_period() {
        let p = period(None);
        assert_eq!(p.fin, date(2019, 3, 16));
        assert!(matches!(
            may_open(ContractState::Propose, Some(&p), false, date(2019, 3, 16)),
            Err(RefusalError::PeriodRunning(_))
        ));
        assert_eq!(
            may_open(ContractState::Propose, Some(&p), false, date(2019, 3, 17)),
            Ok(RefusalGround::DeemedRefused)
        );
        assert_eq!(
            may_open(ContractState::Propose, Some(&p), true, date(2019, 4, 17)),
            Err(RefusalError::HearingPending)
        );
        assert_eq!(
            may_open(ContractState::Propose, None, false, date(2019, 4, 17)),
            Err(RefusalError::NotReceived)
        );
        assert_eq!(
            may_open(ContractState::Refuse, Some(&p), false, date(2019, 3, 2)),
            Ok(RefusalGround::Refused)
        );
        assert_eq!(
            may_open(ContractState::Signe, Some(&p), false, date(2019, 5, 2)),
            Err(RefusalError::Signed)
        );
    }

    #[test]
    fn the_sanction_is_the_ceiling_unless_motivated() {
        let params = SanctionParameters::default();
        let am = SanctionBasis::ProduitsAm(Euros(Decimal::from(10_000_000)));
        let d = decide(&params, am, &[Volet::Obligatoire], None, None).unwrap();
        assert_eq!(d.final_amount(), Euros(Decimal::from(100_000)));
        let lsus = SanctionBasis::ListeEnSus(Euros(Decimal::from(1_000_000)));
        let d = decide(&params, lsus, &[Volet::Obligatoire], None, None).unwrap();
        assert_eq!(d.final_amount(), Euros(Decimal::from(300_000)));
        assert!(
            decide(
                &params,
                am,
                &[Volet::Obligatoire],
                Some(Euros(Decimal::from(50_000))),
                None
            )
            .is_err()
        );
        let lower = decide(
            &params,
            am,
            &[Volet::Obligatoire],
            Some(Euros(Decimal::from(50_000))),
            Some("première année"),
        )
        .unwrap();
        assert_eq!(lower.final_amount(), Euros(Decimal::from(50_000)));
        assert!(
            decide(
                &params,
                am,
                &[Volet::Obligatoire],
                Some(Euros(Decimal::from(100_001))),
                Some("trop")
            )
            .is_err()
        );
    }

    #[test]
    fn notification_waits_for_the_end_of_the_period_extended_by_the_hearing() {
        let p = period(Some(HearingRequest {
            demandee_le: date(2019, 3, 10),
            audition_le: date(2019, 3, 28),
        }));
        assert_eq!(p.fin, date(2019, 3, 28));
        assert!(check_notification(&p, date(2019, 3, 28)).is_err());
        assert!(check_notification(&p, date(2019, 3, 29)).is_ok());
    }

    #[test]
    fn steps_follow_each_other() {
        assert_eq!(
            next(RefusalState::Ouverte, RefusalStep::Decide),
            Ok(RefusalState::Decidee)
        );
        assert_eq!(
            next(RefusalState::Decidee, RefusalStep::Decide),
            Ok(RefusalState::Decidee)
        );
        assert!(next(RefusalState::Ouverte, RefusalStep::Notify).is_err());
        assert_eq!(
            next(RefusalState::Decidee, RefusalStep::Notify),
            Ok(RefusalState::Notifiee)
        );
        assert!(next(RefusalState::Notifiee, RefusalStep::Decide).is_err());
        assert!(next(RefusalState::Notifiee, RefusalStep::Notify).is_err());
    }
}
