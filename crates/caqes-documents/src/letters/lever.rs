//! The DG ARS's decision at the end of a mise sous surveillance (CSS L162-30-4) or the
//! 2026 penalty (CSS L162-23-14 2° and L162-23-14-1), in the layout of the other
//! letters. The figures are checked by `caqes_core::regimes::{surveillance, incitation}`
//! when the decision is recorded; the letter states them, with the observations the
//! establishment could present first.

use caqes_core::Euros;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::common::{
    Appeals, Context, Establishment, LetterFrame, appeals_blocks, heading, labelled,
    letter_closing, letter_opening, para, quoted,
};
use crate::error::DocumentError;
use crate::render::format;
use crate::render::layout::{Block, Column, Row, Table};

/// The establishment's observations before the decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservationsRecord {
    pub invited_on: Date,
    pub until: Date,
    pub received_on: Option<Date>,
}

/// What was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeverDecision {
    /// L162-30-4: abattement of the national tariff and minoration of the AM share of the
    /// liste en sus, in % (0: none).
    Surveillance {
        scope: String,
        saisine: Date,
        previous: Decimal,
        target: Decimal,
        observed: Decimal,
        above: Decimal,
        abattement_pct: Decimal,
        minoration_pct: Decimal,
    },
    /// L162-23-14 2°: a penalty within `ceiling_pct` % of the AM funding.
    Penalty {
        year: i16,
        funding: Euros,
        ceiling_pct: Decimal,
        ceiling: Euros,
        objectives_missed: usize,
        amount: Euros,
    },
}

/// Notification of a surveillance's decision or of a 2026 penalty.
#[derive(Clone, Debug, PartialEq)]
pub struct LeverNotification {
    pub frame: LetterFrame,
    pub establishment: Establishment,
    pub decision: LeverDecision,
    pub decided_on: Date,
    pub observations: Option<ObservationsRecord>,
    pub motive: Option<String>,
    pub appeals: Appeals,
}

impl LeverNotification {
    const DOCUMENT: &'static str = "notification de la mise sous surveillance ou de la pénalité";

    fn check(&self) -> Result<(), DocumentError> {
        if let LeverDecision::Penalty {
            amount, ceiling, ..
        } = &self.decision
            && amount > ceiling
        {
            return Err(DocumentError::inconsistent(
                Self::DOCUMENT,
                "la pénalité dépasse son plafond",
            ));
        }
        self.appeals.check(Self::DOCUMENT)
    }

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        self.check()?;
        let (object, title) = match &self.decision {
            LeverDecision::Surveillance { .. } => (
                "notification de la décision prise à l'issue de la mise sous surveillance (article L. 162-30-4 du code de la sécurité sociale)".to_owned(),
                "mise sous surveillance".to_owned(),
            ),
            LeverDecision::Penalty { year, .. } => (
                format!(
                    "notification d'une pénalité au titre de l'incitation à l'efficience et à la pertinence, année {year} (article L. 162-23-14 du code de la sécurité sociale)"
                ),
                format!("pénalité {year}"),
            ),
        };
        let mut blocks = letter_opening(ctx, &self.frame, &self.establishment, &object);
        let mut rows: Vec<Row> = Vec::new();
        let mut row = |k: &str, v: String| rows.push(Row::body(vec![k.to_owned(), v]));
        match &self.decision {
            LeverDecision::Surveillance {
                scope,
                saisine,
                previous,
                target,
                observed,
                above,
                abattement_pct,
                minoration_pct,
            } => {
                blocks.push(para(format!(
                    "Votre établissement a été saisi le {} au titre de la mise sous surveillance prévue à l'article L. 162-30-3 du code de la sécurité sociale pour les actes, prestations ou prescriptions suivants\u{a0}: {scope}. Le nombre annuel cible a été fixé à {} pour {} constatés l'année précédente.",
                    format::date(*saisine),
                    format::decimal_trimmed(*target, 2),
                    format::decimal_trimmed(*previous, 2),
                )));
                blocks.push(heading("Constat"));
                row("Nombre constaté", format::decimal_trimmed(*observed, 2));
                row("Cible annuelle", format::decimal_trimmed(*target, 2));
                row("Au-delà de la cible", format::decimal_trimmed(*above, 2));
                row(
                    "Abattement forfaitaire du tarif national",
                    format::percent_trimmed(*abattement_pct, 2),
                );
                row(
                    "Minoration de la prise en charge de la liste en sus",
                    format::percent_trimmed(*minoration_pct, 2),
                );
            }
            LeverDecision::Penalty {
                funding,
                ceiling_pct,
                ceiling,
                objectives_missed,
                amount,
                ..
            } => {
                blocks.push(para(format!(
                    "Au regard des objectifs d'efficience et de pertinence fixés à votre établissement, {objectives_missed} objectif(s) n'ont pas été atteints. L'article L. 162-23-14 du code de la sécurité sociale permet une pénalité dans la limite de {} des financements de l'assurance maladie.",
                    format::percent_trimmed(*ceiling_pct, 2)
                )));
                blocks.push(heading("Calcul de la pénalité"));
                row(
                    "Financements de l'assurance maladie",
                    format::euros(*funding),
                );
                row(
                    &format!(
                        "Plafond ({} des financements)",
                        format::percent_trimmed(*ceiling_pct, 2)
                    ),
                    format::euros(*ceiling),
                );
                row("Pénalité décidée", format::euros(*amount));
            }
        }
        blocks.push(Block::Table(Table::new(
            vec![Column::left("Élément", 3.0), Column::right("Valeur", 1.4)],
            rows,
        )));
        if let Some(o) = &self.observations {
            blocks.push(para(match o.received_on {
                Some(r) => format!(
                    "Invité le {} à présenter vos observations jusqu'au {}, vous les avez présentées le {}\u{a0}; elles ont été prises en compte.",
                    format::date(o.invited_on),
                    format::date(o.until),
                    format::date(r)
                ),
                None => format!(
                    "Invité le {} à présenter vos observations jusqu'au {}, vous n'en avez pas présenté.",
                    format::date(o.invited_on),
                    format::date(o.until)
                ),
            }));
        }
        blocks.push(heading("Décision"));
        blocks.push(para(match &self.decision {
            LeverDecision::Surveillance {
                abattement_pct,
                minoration_pct,
                ..
            } if abattement_pct.is_zero() && minoration_pct.is_zero() => format!(
                "Par décision du {}, aucune réduction n'est prononcée.",
                format::date(self.decided_on)
            ),
            LeverDecision::Surveillance {
                abattement_pct,
                minoration_pct,
                ..
            } => format!(
                "Par décision du {}, je fixe un abattement forfaitaire de {} du tarif national des actes et prestations réalisés au-delà du nombre cible et une minoration forfaitaire de {} de la prise en charge par l'assurance maladie des produits de la liste en sus. La différence ne peut pas être facturée aux patients.",
                format::date(self.decided_on),
                format::percent_trimmed(*abattement_pct, 2),
                format::percent_trimmed(*minoration_pct, 2)
            ),
            LeverDecision::Penalty { amount, .. } => format!(
                "Par décision du {}, je vous notifie une pénalité d'un montant de {}, qui minore les financements de l'assurance maladie de votre établissement.",
                format::date(self.decided_on),
                format::euros(*amount)
            ),
        }));
        if let Some(m) = &self.motive {
            blocks.push(labelled("Motivation", quoted(m)));
        }
        blocks.extend(appeals_blocks(&self.appeals));
        blocks.extend(letter_closing(&self.frame));
        let title = format!("Notification – {title} – {}", self.establishment.name);
        crate::common::render(ctx, &title, "CAQES – deuxième génération", &title, &blocks)
    }
}
