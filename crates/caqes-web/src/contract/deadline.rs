//! A contract's state and next deadline as the pages say them: a proposal not signed
//! in its period counts as a refusal; the next of the signature's end, the entry into
//! force, an avenant's effect and a volet's end, with its countdown.

use caqes_core::calendar::CalendarParameters;
use caqes_store::contract::AmendmentKind;
use caqes_store::{Contract, ContractState, VoletState};
use jiff::civil::Date;

use crate::request::error::{AppError, AppResult};
use crate::ui::fr::date;

/// "J-5", "J0", or "échu depuis 3 jours".
fn countdown(days: i32) -> String {
    if days >= 0 {
        format!("J-{days}")
    } else {
        format!("échu depuis {} jour(s)", -days)
    }
}

/// The state as shown: a proposal whose period has ended unanswered counts as a refusal.
pub(super) fn state_label(
    c: &Contract,
    params: &CalendarParameters,
    today: Date,
) -> AppResult<String> {
    Ok(match c.state {
        ContractState::Propose if c.receipt.is_none() => {
            "proposé (en attente de réception)".to_owned()
        }
        ContractState::Propose => {
            let period = c.signature_period(params).map_err(AppError::from)?;
            if today > period.fin && !c.hearing_pending(params).map_err(AppError::from)? {
                "non signé dans le délai (vaut refus)".to_owned()
            } else {
                "proposé".to_owned()
            }
        }
        s => s.label().to_owned(),
    })
}

/// The next deadline of a contract, in words, or `None`.
pub(super) fn next_deadline(
    c: &Contract,
    params: &CalendarParameters,
    today: Date,
) -> AppResult<Option<String>> {
    match c.state {
        ContractState::Propose if c.receipt.is_none() => Ok(Some(
            "délai de signature de 15 jours à compter de la réception (en attente de l'accusé de réception)"
                .to_owned(),
        )),
        ContractState::Propose => {
            if c.hearing_pending(params).map_err(AppError::from)? {
                return Ok(Some(
                    "délai de signature prolongé jusqu'à l'audition (date à fixer par l'ARS)"
                        .to_owned(),
                ));
            }
            let deadline = c.signature_period(params).map_err(AppError::from)?.deadline();
            Ok(Some(format!(
                "fin du délai de signature : {} ({})",
                date(deadline.date),
                countdown(deadline.days_left(today))
            )))
        }
        ContractState::Refuse => Ok(None),
        ContractState::Signe => {
            let mut next: Option<(Date, String)> = None;
            let mut consider = |date: Date, what: String| {
                if date >= today && next.as_ref().is_none_or(|(d, _)| date < *d) {
                    next = Some((date, what));
                }
            };
            if let Some(force) = c.entry_into_force().map_err(AppError::from)? {
                consider(force, "entrée en vigueur".to_owned());
            }
            for a in &c.amendments {
                let on = a.effective_on().map_err(AppError::from)?;
                let what = match (a.kind, a.volet) {
                    (AmendmentKind::Resiliation, Some(v)) => {
                        format!("résiliation du volet {}", v.label())
                    }
                    _ => format!("entrée en vigueur de l'avenant « {} »", a.object),
                };
                consider(on, what);
            }
            for v in c.volets.iter().filter(|v| v.state == VoletState::Actif) {
                if let Some(term) = c.volet_term(params, v).map_err(AppError::from)? {
                    consider(term.fin, format!("fin du volet {}", v.volet.label()));
                }
            }
            Ok(next.map(|(d, what)| {
                format!(
                    "{what} : {} ({})",
                    date(d),
                    countdown(calendar_days(today, d))
                )
            }))
        }
    }
}

fn calendar_days(from: Date, to: Date) -> i32 {
    caqes_core::calendar::days_between(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdown_reads_like_the_brief() {
        assert_eq!(countdown(5), "J-5");
        assert_eq!(countdown(0), "J-0");
        assert_eq!(countdown(-3), "échu depuis 3 jour(s)");
    }
}
