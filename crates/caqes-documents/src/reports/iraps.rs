//! The regional synthesis presented to the IRAPS.
//!
//! Instruction, annex 5 (glossary, IRAPS): « La liste des établissements de santé ayant
//! été ciblés en application du PAPRAPS devra être présentée chaque année aux membres de
//! l'IRAPS ainsi qu'une synthèse des résultats obtenus, de manière générale […]. En
//! revanche, l'instance n'a pas vocation à examiner la situation individuelle des
//! établissements de santé. » Hence: the targeted establishments with the reason, then
//! aggregates only (no score, amount or decision of a named establishment).

use caqes_core::volets::Volet;
use caqes_core::{Euros, Finess, Rate};
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::common::{Context, Issuer, heading, note, para, report_opening};
use crate::error::DocumentError;
use crate::render::charts::FunnelChart;
use crate::render::dashboard::{distribution_chart, missed_chart};
use crate::render::format;
use crate::render::layout::CONTENT_WIDTH;
use crate::render::layout::{Block, Column, Row, Table};

/// An establishment targeted for an additional volet, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetedEstablishment {
    pub name: String,
    pub finess: Finess,
    pub volet: Volet,
    /// Theme of the pertinence volet (« chirurgie ambulatoire »), risk of the qualité volet.
    pub theme: Option<String>,
    /// The targeting criterion met (« taux atypique au-delà de la limite à 99,8 % »).
    pub reason: String,
}

/// The socle scores of one category, counted per band.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryScores {
    pub category: String,
    /// One count per band of [`IrapsSynthesis::score_bands`].
    pub counts: Vec<u32>,
    /// Establishments without a score (nothing concerned, evaluation pending).
    pub not_evaluable: u32,
}

/// An indicator and how often it was missed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissedIndicator {
    pub code: String,
    pub label: String,
    pub missed: u32,
    /// Establishments for which it was concerned and measured.
    pub concerned: u32,
}

/// Decisions of one volet, in total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoletTotals {
    pub volet: Volet,
    pub sanctions: u32,
    pub sanctions_amount: Euros,
    pub incentives: u32,
    pub incentives_amount: Euros,
    pub msap: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IrapsSynthesis {
    /// « Occitanie ».
    pub region: String,
    pub year: i16,
    pub date: Date,
    pub targeted: Vec<TargetedEstablishment>,
    /// Labels of the score bands (« moins de 20 », « 20 à moins de 40 »…).
    pub score_bands: Vec<String>,
    pub scores: Vec<CategoryScores>,
    pub most_missed: Vec<MissedIndicator>,
    pub totals: Vec<VoletTotals>,
    /// The pertinence targeting's funnel plots, one per theme (the same charts as the
    /// targeting page). Points are not named in the PDF.
    pub funnels: Vec<FunnelChart>,
}

impl IrapsSynthesis {
    const DOCUMENT: &'static str = "synthèse régionale pour l'IRAPS";

    fn check(&self) -> Result<(), DocumentError> {
        for c in &self.scores {
            if c.counts.len() != self.score_bands.len() {
                return Err(DocumentError::inconsistent(
                    Self::DOCUMENT,
                    format!(
                        "la catégorie « {} » a {} effectifs pour {} tranches de score",
                        c.category,
                        c.counts.len(),
                        self.score_bands.len()
                    ),
                ));
            }
        }
        for m in &self.most_missed {
            if m.missed > m.concerned {
                return Err(DocumentError::inconsistent(
                    Self::DOCUMENT,
                    format!(
                        "l'indicateur {} est manqué par plus d'établissements qu'il n'en concerne",
                        m.code
                    ),
                ));
            }
        }
        Ok(())
    }

    fn band_totals(&self) -> Vec<u32> {
        (0..self.score_bands.len())
            .map(|i| self.scores.iter().map(|c| c.counts[i]).sum())
            .collect()
    }

    pub fn render(&self, ctx: &Context) -> Result<Vec<u8>, DocumentError> {
        self.check()?;
        let mut blocks = report_opening(
            ctx,
            Issuer::State,
            "Synthèse régionale",
            self.date,
            &format!("Synthèse régionale {} pour l'IRAPS", self.year),
            Some(&format!(
                "Instance régionale d'amélioration de la pertinence des soins – {}",
                self.region
            )),
        );
        blocks.push(para(format!(
            "Cette synthèse présente aux membres de l'instance la liste des établissements ciblés en {} et les résultats obtenus de manière générale dans le cadre des contrats d'amélioration de la qualité et de l'efficience des soins. L'instance n'ayant pas vocation à examiner la situation individuelle des établissements, les résultats sont agrégés\u{a0}: aucun score, montant ni décision n'y est rapporté à un établissement.",
            self.year
        )));

        blocks.push(heading("Établissements ciblés"));
        if self.targeted.is_empty() {
            blocks.push(para("Aucun établissement n'a été ciblé."));
        } else {
            blocks.push(Block::Table(Table::new(
                vec![
                    Column::left("Établissement", 2.4),
                    Column::left("FINESS", 1.0),
                    Column::left("Volet", 1.0),
                    Column::left("Thème ou risque", 1.5),
                    Column::left("Motif du ciblage", 2.6),
                ],
                self.targeted
                    .iter()
                    .map(|t| {
                        Row::body(vec![
                            t.name.clone(),
                            t.finess.to_string(),
                            t.volet.label().to_owned(),
                            t.theme.clone().unwrap_or_else(|| "–".into()),
                            t.reason.clone(),
                        ])
                    })
                    .collect(),
            )));
        }

        for f in &self.funnels {
            blocks.push(Block::Figure {
                drawing: f.to_drawing(),
                width: 400.0,
                caption: Some(format!(
                    "{} : taux observés des établissements de la région et limites de ciblage.",
                    f.title
                )),
            });
        }

        blocks.push(heading("Scores du volet obligatoire par catégorie"));
        let mut columns = vec![Column::left("Catégorie", 2.2)];
        columns.extend(
            self.score_bands
                .iter()
                .map(|b| Column::right(b.clone(), 1.0)),
        );
        columns.push(Column::right("Non évaluable", 1.0));
        columns.push(Column::right("Total", 0.8));
        let mut rows: Vec<Row> = self
            .scores
            .iter()
            .map(|c| {
                let mut cells = vec![c.category.clone()];
                cells.extend(c.counts.iter().map(|n| format::count(u64::from(*n))));
                cells.push(format::count(u64::from(c.not_evaluable)));
                cells.push(format::count(u64::from(
                    c.counts.iter().sum::<u32>() + c.not_evaluable,
                )));
                Row::body(cells)
            })
            .collect();
        let totals = self.band_totals();
        let not_evaluable: u32 = self.scores.iter().map(|c| c.not_evaluable).sum();
        let mut cells = vec!["Total".to_owned()];
        cells.extend(totals.iter().map(|n| format::count(u64::from(*n))));
        cells.push(format::count(u64::from(not_evaluable)));
        cells.push(format::count(u64::from(
            totals.iter().sum::<u32>() + not_evaluable,
        )));
        rows.push(Row::total(cells));
        blocks.push(Block::Table(Table::new(columns, rows)));
        // The region dashboard's chart: one series per category.
        let chart = distribution_chart(
            "iraps-scores",
            &format!(
                "Répartition des scores du volet obligatoire par tranche et par catégorie, {}",
                self.year
            ),
            "Score du volet obligatoire",
            &self.score_bands,
            &self
                .scores
                .iter()
                .map(|c| (c.category.clone(), c.counts.clone()))
                .collect::<Vec<_>>(),
        );
        blocks.push(Block::Figure {
            drawing: chart.to_drawing(),
            width: CONTENT_WIDTH.min(440.0),
            caption: Some(format!("{}.", chart.title)),
        });

        blocks.push(heading("Indicateurs le plus souvent non atteints"));
        blocks.push(Block::Table(Table::new(
            vec![
                Column::left("Code", 0.7),
                Column::left("Indicateur", 3.6),
                Column::right("Non atteint", 1.0),
                Column::right("Concernés", 1.0),
                Column::right("Part", 1.0),
            ],
            self.most_missed
                .iter()
                .map(|m| {
                    let share = Rate::new(Decimal::from(m.missed), Decimal::from(m.concerned))
                        .map(|r| format::percent(r.percent(), 1))
                        .unwrap_or_else(|_| "–".into());
                    Row::body(vec![
                        m.code.clone(),
                        m.label.clone(),
                        format::count(u64::from(m.missed)),
                        format::count(u64::from(m.concerned)),
                        share,
                    ])
                })
                .collect(),
        )));

        if !self.most_missed.is_empty() {
            let chart = missed_chart(
                "iraps-manques",
                "Indicateurs les plus souvent non atteints : établissements qui ne l'atteignent pas, sur les établissements concernés",
                &self
                    .most_missed
                    .iter()
                    .map(|m| (m.code.clone(), m.missed, m.concerned))
                    .collect::<Vec<_>>(),
            );
            blocks.push(Block::Figure {
                drawing: chart.to_drawing(),
                width: CONTENT_WIDTH.min(440.0),
                caption: Some(format!("{}.", chart.title)),
            });
        }

        blocks.push(heading("Sanctions et intéressements notifiés"));
        let mut rows: Vec<Row> = self
            .totals
            .iter()
            .map(|t| {
                Row::body(vec![
                    t.volet.label().to_owned(),
                    format::count(u64::from(t.sanctions)),
                    format::euros(t.sanctions_amount),
                    format::count(u64::from(t.incentives)),
                    format::euros(t.incentives_amount),
                    format::count(u64::from(t.msap)),
                ])
            })
            .collect();
        rows.push(Row::total(vec![
            "Total".into(),
            format::count(u64::from(
                self.totals.iter().map(|t| t.sanctions).sum::<u32>(),
            )),
            format::euros(self.totals.iter().map(|t| t.sanctions_amount).sum()),
            format::count(u64::from(
                self.totals.iter().map(|t| t.incentives).sum::<u32>(),
            )),
            format::euros(self.totals.iter().map(|t| t.incentives_amount).sum()),
            format::count(u64::from(self.totals.iter().map(|t| t.msap).sum::<u32>())),
        ]));
        blocks.push(Block::Table(Table::new(
            vec![
                Column::left("Volet", 1.5),
                Column::right("Sanctions", 1.0),
                Column::right("Montant des sanctions", 1.7),
                Column::right("Intéressements", 1.2),
                Column::right("Montant des intéressements", 1.7),
                Column::right("MSAP", 0.7),
            ],
            rows,
        )));
        blocks.push(note(
            "Montants notifiés par le directeur général de l'agence régionale de santé, après avis de l'assurance maladie ; MSAP : mises sous accord préalable prononcées.",
        ));
        let title = format!(
            "Synthèse régionale {} pour l'IRAPS – {}",
            self.year, self.region
        );
        crate::common::render(ctx, &title, "CAQES – synthèse IRAPS", &title, &blocks)
    }
}
