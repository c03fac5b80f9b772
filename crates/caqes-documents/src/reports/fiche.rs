//! The fiche récapitulative sent to each establishment.
//!
//! Seed 003 (obligations of the ARS and the local AM body): « transmettre à
//! l'établissement une fiche récapitulant les données transmises dans le cadre du suivi
//! du contrat, le calendrier prévisionnel de diffusion des éléments et points d'étape,
//! les objectifs notamment les taux cibles régionaux d'évolution des dépenses assurance
//! maladie quand ils existent » and « identifier un ou plusieurs référents ».

use caqes_core::volets::Volet;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::common::{
    Context, Establishment, Issuer, bullet, establishment_line, heading, labelled, note, para,
    report_opening,
};
use crate::error::DocumentError;
use crate::letters::notification::volet_title;
use crate::render::format;
use crate::render::layout::{Block, Column, Row, Table};

/// A kind of data transmitted for the follow-up of the contract (instruction II.b.ii).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransmittedData {
    /// « Liste en sus ».
    pub data: String,
    /// « ATIH », « CNAMTS », « établissement ».
    pub producer: String,
    /// « Données M12 de l'année N-1 transmises en avril N ».
    pub period: String,
}

/// When a step of the calendar falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Day(Date),
    Month { year: i16, month: i8 },
    Quarter { year: i16, quarter: u8 },
}

impl When {
    fn label(self) -> String {
        match self {
            When::Day(d) => format::date(d),
            When::Month { year, month } => {
                let d = Date::new(year, month, 1).ok();
                d.map(|d| format::date(d).replacen("1er ", "", 1))
                    .unwrap_or_else(|| format!("{month}/{year}"))
            }
            When::Quarter { year, quarter } => {
                let nth = if quarter == 1 { "1er" } else { "" };
                if nth.is_empty() {
                    format!("{quarter}e trimestre {year}")
                } else {
                    format!("{nth} trimestre {year}")
                }
            }
        }
    }
}

/// A step of the calendar (« transmission du rapport d'autoévaluation »).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarStep {
    pub when: When,
    pub step: String,
}

/// Whether a target is a ceiling or a floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    AtMost,
    AtLeast,
}

/// A regional target rate (« évolution des dépenses de PHMEV ≤ +4,0 % »).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionalTarget {
    /// Indicator code, when the target belongs to one (« IV-01 »).
    pub code: Option<String>,
    pub label: String,
    pub bound: Bound,
    /// The target, in `unit` (signed for a growth rate).
    pub percent: Decimal,
    /// A rate of change of spending (« taux cible régional d'évolution », seed 003):
    /// written signed, listed first.
    pub growth: bool,
    /// « % » for a rate; otherwise the indicator's unit (a ratio).
    pub unit: String,
    /// Where it comes from (« arrêté du 27 avril 2017 », « ARS Occitanie, ONDAM 2019 »).
    pub source: String,
}

/// A contact for the establishment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referent {
    /// « volet obligatoire (ARS) », « transports (assurance maladie) ».
    pub role: String,
    pub name: String,
    pub contact: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FicheRecapitulative {
    pub establishment: Establishment,
    pub year: i16,
    pub date: Date,
    pub referentiel: String,
    /// The volets of the signed contract.
    pub volets: Vec<Volet>,
    pub data: Vec<TransmittedData>,
    pub calendar: Vec<CalendarStep>,
    pub targets: Vec<RegionalTarget>,
    pub referents: Vec<Referent>,
}

impl FicheRecapitulative {
    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        let mut blocks = report_opening(
            ctx,
            Issuer::State,
            "Fiche récapitulative",
            self.date,
            &format!("Fiche récapitulative {}", self.year),
            Some("Contrat d'amélioration de la qualité et de l'efficience des soins (CAQES)"),
        );
        blocks.push(labelled(
            "Établissement",
            establishment_line(&self.establishment),
        ));
        blocks.push(labelled("Grille d'évaluation", self.referentiel.clone()));
        blocks.push(heading("Volets du contrat"));
        for v in &self.volets {
            blocks.push(bullet(capitalised(volet_title(*v))));
        }
        blocks.push(heading(
            "Données transmises dans le cadre du suivi du contrat",
        ));
        blocks.push(Block::Table(Table::new(
            vec![
                Column::left("Données", 2.0),
                Column::left("Producteur", 1.2),
                Column::left("Période de transmission", 3.5),
            ],
            self.data
                .iter()
                .map(|d| Row::body(vec![d.data.clone(), d.producer.clone(), d.period.clone()]))
                .collect(),
        )));
        blocks.push(note(
            "L'évaluation des objectifs annuels se fait sur la base des données disponibles à la date de l'évaluation.",
        ));
        blocks.push(heading("Calendrier prévisionnel et points d'étape"));
        blocks.push(Block::Table(Table::new(
            vec![Column::left("Échéance", 1.4), Column::left("Étape", 4.0)],
            self.calendar
                .iter()
                .map(|c| Row::body(vec![c.when.label(), c.step.clone()]))
                .collect(),
        )));
        // Seed 003: « les objectifs notamment les taux cibles régionaux d'évolution des
        // dépenses assurance maladie quand ils existent »: those first, then the other
        // targets of the year (a level is not written with a sign).
        let (growth, levels): (Vec<&RegionalTarget>, Vec<&RegionalTarget>) =
            self.targets.iter().partition(|t| t.growth);
        blocks.push(heading(
            "Objectifs : taux cibles régionaux d'évolution des dépenses",
        ));
        if growth.is_empty() {
            blocks.push(para(
                "Aucun taux cible régional d'évolution des dépenses n'est fixé pour cette année.",
            ));
        } else {
            blocks.push(targets_table(&growth));
        }
        if !levels.is_empty() {
            blocks.push(heading("Autres objectifs de l'année"));
            blocks.push(targets_table(&levels));
        }
        if !self.referents.is_empty() {
            blocks.push(heading("Vos référents"));
            blocks.push(Block::Table(Table::new(
                vec![
                    Column::left("Rôle", 2.2),
                    Column::left("Nom", 1.8),
                    Column::left("Contact", 2.4),
                ],
                self.referents
                    .iter()
                    .map(|r| Row::body(vec![r.role.clone(), r.name.clone(), r.contact.clone()]))
                    .collect(),
            )));
        }
        let title = format!(
            "Fiche récapitulative {} – {}",
            self.year, self.establishment.name
        );
        crate::common::render(ctx, &title, "CAQES – fiche récapitulative", &title, &blocks)
    }
}

/// « ≤ +4,0 % » for a growth rate, « ≥ 80 % » for a level, « ≤ 0,9 DDJ/1000 JH » for a ratio.
fn target_text(t: &RegionalTarget) -> String {
    let bound = match t.bound {
        Bound::AtMost => "≤",
        Bound::AtLeast => "≥",
    };
    let value = if t.growth {
        format::signed_percent(t.percent, 1)
    } else if t.unit.trim() == "%" {
        format::percent_trimmed(t.percent, 2)
    } else {
        format!(
            "{} {}",
            format::decimal_trimmed(t.percent, 2),
            t.unit.trim()
        )
        .trim_end()
        .to_owned()
    };
    format!("{bound}\u{a0}{value}")
}

fn targets_table(targets: &[&RegionalTarget]) -> Block {
    Block::Table(Table::new(
        vec![
            Column::left("Code", 0.7),
            Column::left("Objectif", 3.0),
            Column::right("Cible", 1.2),
            Column::left("Source", 2.0),
        ],
        targets
            .iter()
            .map(|t| {
                Row::body(vec![
                    t.code.clone().unwrap_or_default(),
                    t.label.clone(),
                    target_text(t),
                    t.source.clone(),
                ])
            })
            .collect(),
    ))
}

/// « Volet obligatoire … » from « volet obligatoire … ».
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn calendar_steps_are_french() {
        assert_eq!(When::Day(date(2019, 6, 30)).label(), "30 juin 2019");
        assert_eq!(
            When::Month {
                year: 2019,
                month: 4
            }
            .label(),
            "avril 2019"
        );
        assert_eq!(
            When::Quarter {
                year: 2020,
                quarter: 2
            }
            .label(),
            "2e trimestre 2020"
        );
        assert_eq!(
            When::Quarter {
                year: 2020,
                quarter: 1
            }
            .label(),
            "1er trimestre 2020"
        );
    }
}
