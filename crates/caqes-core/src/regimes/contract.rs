//! The second-generation contract: its term and the refusal-to-sign sanction.
//!
//! CSS L162-30-2 (version of 28 December 2019): « Ce contrat … est conclu pour une durée
//! maximale de cinq ans. » « En cas de refus de l'établissement de conclure ce contrat, le
//! directeur général de l'agence régionale de santé … prononce à son encontre une
//! pénalité financière correspondant à 1 % des produits reçus des régimes obligatoires
//! d'assurance maladie par l'établissement de santé au titre du dernier exercice clos. »
//! LFSS 2026 (loi 2025-1403, art. 79) abrogates L162-30-2 on 1 January 2027: no contract
//! can run past 31 December 2026 (spec §1.2). The missed objectives carry no sanction
//! (REPSS 2.11.1; spec §5.2): only the refusal does.

use jiff::civil::Date;
use jiff::{Span, Unit};
use rust_decimal::Decimal;
use serde::Serialize;

use super::grid::ContractParameters;
use crate::money::Euros;

pub use super::grid::LEGAL_END;

/// Errors of the contract rules (French, for users).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("la fin du contrat ({}) précède son début ({})", crate::regimes::french_date(*.end), crate::regimes::french_date(*.start))]
    EndBeforeStart { start: Date, end: Date },
    #[error("contrat du {} au {} : plus de {max_years} ans (au plus jusqu'au {}, CSS L162-30-2)", crate::regimes::french_date(*.start), crate::regimes::french_date(*.end), crate::regimes::french_date(*.last_day))]
    TooLong {
        start: Date,
        end: Date,
        max_years: u8,
        last_day: Date,
    },
    #[error("contrat jusqu'au {} : un CAQES ne peut pas courir après le {} (L162-30-2 abrogé au 1er janvier 2027 par la loi n° 2025-1403, art. 79)", crate::regimes::french_date(*.end), crate::regimes::french_date(*.legal_end))]
    AfterLegalEnd { end: Date, legal_end: Date },
    #[error("les produits de l'assurance maladie ne peuvent pas être négatifs (reçu {0})")]
    NegativeIncome(Euros),
    #[error("date hors du calendrier pris en charge : {0}")]
    OutOfRange(String),
}

/// A validated contract term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContractTerm {
    pub debut: Date,
    pub fin: Date,
}

/// The last day of a contract of `years` years starting on `start`:
/// start + years − 1 day (1 July 2022 + 5 years − 1 day = 30 June 2027).
pub fn last_possible_day(start: Date, years: u8) -> Result<Date, ContractError> {
    start
        .checked_add(Span::new().years(i64::from(years)))
        .and_then(|d| d.yesterday())
        .map_err(|e| ContractError::OutOfRange(e.to_string()))
}

impl ContractTerm {
    /// Checks a contract's dates: end ≥ start, at most `duree_max_ans` years, and no
    /// later than `fin_au_plus_tard` (31 December 2026).
    pub fn new(
        params: &ContractParameters,
        start: Date,
        end: Date,
    ) -> Result<ContractTerm, ContractError> {
        if end < start {
            return Err(ContractError::EndBeforeStart { start, end });
        }
        let max_years = params.duree_max_ans.valeur;
        let last_day = last_possible_day(start, max_years)?;
        if end > last_day {
            return Err(ContractError::TooLong {
                start,
                end,
                max_years,
                last_day,
            });
        }
        let legal_end = params.fin_au_plus_tard.valeur;
        if end > legal_end {
            return Err(ContractError::AfterLegalEnd { end, legal_end });
        }
        Ok(ContractTerm {
            debut: start,
            fin: end,
        })
    }

    /// A contract signed before the law changed that would run past 31 December 2026 is
    /// cut there (spec §1.2 « 2027-06-30 must be truncated to 2026-12-31 »; how a
    /// running contract ends is our reading). Returns the term and whether it was cut.
    pub fn truncated(
        params: &ContractParameters,
        start: Date,
        end: Date,
    ) -> Result<(ContractTerm, bool), ContractError> {
        let legal_end = params.fin_au_plus_tard.valeur;
        let cut = end > legal_end;
        let term = ContractTerm::new(params, start, end.min(legal_end))?;
        Ok((term, cut))
    }

    /// The evaluation years the contract covers (each calendar year it touches).
    pub fn years(&self) -> std::ops::RangeInclusive<i16> {
        self.debut.year()..=self.fin.year()
    }

    /// Days in the contract (both ends counted).
    pub fn days(&self) -> i32 {
        self.debut
            .until((Unit::Day, self.fin))
            .map_or(0, |s| s.get_days() + 1)
    }
}

/// The refusal-to-sign sanction: `sanction_refus_pct` % (1 %) of the AM income of the
/// last closed year, exact (rounded to the cent only for display).
pub fn refusal_sanction(
    params: &ContractParameters,
    am_income_last_closed_year: Euros,
) -> Result<Euros, ContractError> {
    if am_income_last_closed_year.0 < Decimal::ZERO {
        return Err(ContractError::NegativeIncome(am_income_last_closed_year));
    }
    Ok(am_income_last_closed_year.percent(params.sanction_refus_pct.valeur))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regimes::{AnyReferentiel, builtin_any_by_id};
    use jiff::civil::date;
    use rust_decimal_macros::dec;

    fn params() -> ContractParameters {
        match builtin_any_by_id("national-2022") {
            Some(AnyReferentiel::Objectives(g)) => g.contract.unwrap(),
            _ => panic!("national-2022"),
        }
    }

    #[test]
    fn five_years_at_most_and_never_after_2026() {
        let p = params();
        // 1 July 2022 → 31 December 2024: the IDF contracts (2 years and a half).
        let t = ContractTerm::new(&p, date(2022, 7, 1), date(2024, 12, 31)).unwrap();
        assert_eq!(t.years(), 2022..=2024);
        // 1 July 2022 → 31 December 2026: 4 years and a half, allowed.
        assert!(ContractTerm::new(&p, date(2022, 7, 1), date(2026, 12, 31)).is_ok());
        // 1 January 2021 → 31 December 2026 is 6 years: 1 January 2021 + 5 years − 1 day
        // = 31 December 2025 is the last day.
        let e = ContractTerm::new(&p, date(2021, 1, 1), date(2026, 12, 31)).unwrap_err();
        assert_eq!(
            e,
            ContractError::TooLong {
                start: date(2021, 1, 1),
                end: date(2026, 12, 31),
                max_years: 5,
                last_day: date(2025, 12, 31)
            }
        );
        // 1 July 2022 + 5 years − 1 day = 30 June 2027: within 5 years but after 2026.
        let e = ContractTerm::new(&p, date(2022, 7, 1), date(2027, 6, 30)).unwrap_err();
        assert!(matches!(e, ContractError::AfterLegalEnd { .. }), "{e}");
        assert!(e.to_string().contains("abrogé au 1er janvier 2027"), "{e}");
        let (t, cut) = ContractTerm::truncated(&p, date(2022, 7, 1), date(2027, 6, 30)).unwrap();
        assert_eq!((t.fin, cut), (date(2026, 12, 31), true));
        assert!(ContractTerm::new(&p, date(2023, 1, 1), date(2022, 12, 31)).is_err());
    }

    #[test]
    fn refusal_costs_one_percent_of_last_years_am_income() {
        // Spec §1.3 worked example: 80 000 000 € × 1 % = 800 000 €.
        let s = refusal_sanction(&params(), Euros(dec!(80000000))).unwrap();
        assert_eq!(s, Euros(dec!(800000)));
        // 12 345 678,90 € × 1 % = 123 456,789 € (exact), 123 456,79 € displayed.
        let s = refusal_sanction(&params(), Euros(dec!(12345678.90))).unwrap();
        assert_eq!(s.0, dec!(123456.789));
        assert_eq!(s.to_string(), "123\u{202f}456,79\u{a0}€");
        assert!(refusal_sanction(&params(), Euros(dec!(-1))).is_err());
    }
}
