//! The DG ARS's notification of a second-generation intéressement (CSS D162-16 IV:
//! notified after the month of observations, then 15 days before the final decision),
//! in the layout of the other letters. The figures are the engine's
//! (`caqes_core::regimes::outcome`), passed in already computed.

use caqes_core::Euros;
use jiff::civil::Date;

use crate::common::{
    Appeals, Context, Establishment, LetterFrame, appeals_blocks, heading, letter_closing,
    letter_opening, para,
};
use crate::error::DocumentError;
use crate::render::format;
use crate::render::layout::{Block, Column, Row, Table};

/// One indicator of the letter's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncentiveLine {
    pub code: String,
    /// « −5 % par an », « ≤ 20 % ».
    pub objective: String,
    /// « oui », « non », « non évaluable ».
    pub met: String,
    /// « 40 000,00 € » or « non chiffrables ».
    pub savings: String,
    pub computed: Euros,
    pub retained: Euros,
    /// The motive of a downward revision.
    pub revision_motive: Option<String>,
}

/// Notification of the intéressement (or 2026 dotation) of one contracting unit.
#[derive(Clone, Debug, PartialEq)]
pub struct IncentiveNotification {
    pub frame: LetterFrame,
    pub establishment: Establishment,
    pub year: i16,
    /// « intéressement » or « dotation ».
    pub word: String,
    pub grid_title: String,
    pub report_received_on: Date,
    pub lines: Vec<IncentiveLine>,
    pub national: Euros,
    pub regional: Euros,
    pub total: Euros,
    /// (parameter, value, source) the figures depend on and no text fixes yet.
    pub to_confirm: Vec<(String, String, String)>,
    pub appeals: Appeals,
}

impl IncentiveNotification {
    const DOCUMENT: &'static str = "notification de l'intéressement";

    fn check(&self) -> Result<(), DocumentError> {
        if self.national + self.regional != self.total {
            return Err(DocumentError::inconsistent(
                Self::DOCUMENT,
                "le total ne fait pas la somme des parts nationale et régionale",
            ));
        }
        let retained: Euros = self.lines.iter().map(|l| l.retained).sum();
        if retained != self.total {
            return Err(DocumentError::inconsistent(
                Self::DOCUMENT,
                "le total ne fait pas la somme des lignes",
            ));
        }
        self.appeals.check(Self::DOCUMENT)
    }

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        self.check()?;
        let object = format!(
            "notification de l'{} au titre du contrat d'amélioration de la qualité et de l'efficience des soins (CAQES), année {}",
            self.word, self.year
        );
        let mut blocks = letter_opening(ctx, &self.frame, &self.establishment, &object);
        blocks.push(para(format!(
            "Le rapport d'évaluation de l'année {} de votre contrat (référentiel\u{a0}: {}) a été reçu par votre établissement le {}. À l'issue du délai d'un mois ouvert pour présenter vos observations, je vous notifie l'{} calculé sur les économies constatées de l'année {} par rapport à l'année {} (article D. 162-16 du code de la sécurité sociale). Un objectif non atteint ne donne lieu à aucune sanction.",
            self.year,
            self.grid_title,
            format::date(self.report_received_on),
            self.word,
            self.year,
            self.year - 1
        )));
        blocks.push(heading("Résultats par indicateur"));
        let rows = self
            .lines
            .iter()
            .map(|l| {
                Row::body(vec![
                    l.code.clone(),
                    l.objective.clone(),
                    l.met.clone(),
                    l.savings.clone(),
                    format::euros(l.computed),
                    format::euros(l.retained),
                ])
            })
            .chain(std::iter::once(Row::total(vec![
                "Total".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                format::euros(self.total),
            ])))
            .collect();
        blocks.push(Block::Table(Table::new(
            vec![
                Column::left("Indicateur", 1.4),
                Column::left("Objectif", 1.2),
                Column::left("Atteint", 0.9),
                Column::right("Économies", 1.3),
                Column::right("Calculé", 1.2),
                Column::right("Retenu", 1.2),
            ],
            rows,
        )));
        for l in &self.lines {
            if let Some(m) = &l.revision_motive {
                blocks.push(para(format!(
                    "{}\u{a0}: montant révisé à la baisse de {} à {}. Motif\u{a0}: {}.",
                    l.code,
                    format::euros(l.computed),
                    format::euros(l.retained),
                    m
                )));
            }
        }
        blocks.push(heading("Décision"));
        blocks.push(para(format!(
            "En conséquence, je vous notifie un {} d'un montant de {} (part nationale {}, part régionale {}). Vous disposez de quinze jours à compter de la réception de la présente notification pour présenter vos observations\u{a0}; la décision définitive vous sera ensuite adressée.",
            self.word,
            format::euros(self.total),
            format::euros(self.national),
            format::euros(self.regional)
        )));
        if !self.to_confirm.is_empty() {
            blocks.push(heading("Paramètres à confirmer"));
            for (name, value, source) in &self.to_confirm {
                blocks.push(para(format!(
                    "{name} = {value} (À CONFIRMER)\u{a0}; source\u{a0}: {source}."
                )));
            }
        }
        blocks.extend(appeals_blocks(&self.appeals));
        blocks.extend(letter_closing(&self.frame));
        let title = format!(
            "Notification – {} {} – {}",
            self.word, self.year, self.establishment.name
        );
        crate::common::render(ctx, &title, "CAQES – deuxième génération", &title, &blocks)
    }
}
