//! The dashboard rows of an Open PHMEV file: amounts per legal entity × ATC4 class and per
//! legal entity × product (CIP13) ([`BreakdownSink`], [`breakdown`]), and the indicator
//! sums of each entity ([`summary`]), as `caqes_core::phev` types. The aggregations the
//! pages draw from them (top lists, pooled rates, rank) are `caqes_core::phev`'s, so a page
//! computes from stored rows exactly what `caqes phmev top` and `caqes phmev indicateurs`
//! compute from the file.

use std::collections::{BTreeMap, HashMap};

use caqes_core::Finess;
use caqes_core::phev::{AmountKind, AmountRow, ClassBoxes, EntitySummary};

use super::aggregate::{FxBuild, trim};
use super::config::{Config, Rattachement};
use super::number::amount_decimal;
use super::report::EntityFigures;
use super::{Row, RowError, RowSink, col, decode_text};

#[derive(Default, Clone)]
struct Sums {
    rem: i128,
    boxes: i64,
    label: Vec<u8>,
}

impl Sums {
    fn add(&mut self, rem: i128, boxes: i64, label: &[u8]) {
        self.rem += rem;
        self.boxes += boxes;
        // The smallest label, as `TopSink` does: independent of thread scheduling.
        if !label.is_empty() && (self.label.is_empty() || label < self.label.as_slice()) {
            self.label = label.to_vec();
        }
    }
}

type Key = (Vec<u8>, AmountKind, Vec<u8>);

/// Sums REM and boxes per `etb_rgt` × ATC4 class and per `etb_rgt` × CIP13.
#[derive(Default)]
pub struct BreakdownSink {
    sums: HashMap<Key, Sums, FxBuild>,
}

impl BreakdownSink {
    pub fn new() -> Self {
        Self::default()
    }

    /// Groups the sites into their legal entities (`rattachement`) and keeps the
    /// entities `keep` accepts. Sorted by entity, kind, code.
    pub fn into_rows(
        self,
        rattachement: &Rattachement,
        keep: impl Fn(Finess) -> bool,
    ) -> Result<Vec<AmountRow>, RowError> {
        let mut grouped: BTreeMap<(Finess, AmountKind, Vec<u8>), Sums> = BTreeMap::new();
        let mut parsed: HashMap<Vec<u8>, Finess> = HashMap::new();
        for ((etb, kind, code), s) in self.sums {
            let site = match parsed.get(&etb) {
                Some(f) => *f,
                None => {
                    let f = Finess::parse(&decode_text(&etb))
                        .map_err(|e| RowError::new(Some("etb_rgt"), e.to_string()))?;
                    parsed.insert(etb, f);
                    f
                }
            };
            let entity = rattachement.entity(site);
            if !keep(entity) {
                continue;
            }
            grouped
                .entry((entity, kind, code))
                .or_default()
                .add(s.rem, s.boxes, &s.label);
        }
        Ok(grouped
            .into_iter()
            .map(|((entity, kind, code), s)| AmountRow {
                entity,
                kind,
                code: decode_text(&code),
                label: decode_text(&s.label),
                amount: amount_decimal(s.rem),
                boxes: s.boxes,
            })
            .collect())
    }
}

impl RowSink for BreakdownSink {
    fn accept(&mut self, row: &Row<'_>) -> Result<(), RowError> {
        let etb = trim(row.get(col::ETB));
        let rem = i128::from(row.rem);
        for (kind, code_col, label_col) in [
            (AmountKind::Classe, col::ATC4, col::L_ATC4),
            (AmountKind::Produit, col::CIP13, col::L_CIP13),
        ] {
            let key = (etb.to_vec(), kind, trim(row.get(code_col)).to_vec());
            self.sums
                .entry(key)
                .or_default()
                .add(rem, row.boites, trim(row.get(label_col)));
        }
        Ok(())
    }

    fn merge(&mut self, other: Self) {
        for (k, s) in other.sums {
            self.sums
                .entry(k)
                .or_default()
                .add(s.rem, s.boxes, &s.label);
        }
    }
}

/// Reads the files of year N and returns the amount rows of the entities `keep` accepts.
pub fn breakdown(
    inputs: &[std::path::PathBuf],
    config: &Config,
    opts: &super::ReadOptions,
    keep: impl Fn(Finess) -> bool,
) -> Result<Vec<AmountRow>, super::PhmevError> {
    let mut acc = BreakdownSink::new();
    for f in inputs {
        let (s, _) = super::read_file(f, opts, BreakdownSink::new)?;
        acc.merge(s);
    }
    acc.into_rows(&config.rattachement, keep)
        .map_err(|e| super::PhmevError::Row {
            file: inputs
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            line: 0,
            field: e.field.map(str::to_owned),
            message: e.message,
            others: 0,
        })
}

/// The indicator sums of one entity, as the dashboards keep them.
pub fn summary(e: &EntityFigures, config: &Config) -> EntitySummary {
    let t = &e.totals;
    EntitySummary {
        entity: e.finess,
        name: e.raison_sociale.clone(),
        boxes_total: t.boites_total,
        boxes_excluding_paracetamol: t.boites_hors_paracetamol,
        boxes_repertoire: t.boites_repertoire,
        amount: amount_decimal(t.rem_total),
        amount_excluding_hepatitis_c: amount_decimal(t.rem_hors_hepatite_c),
        previous_amount_excluding_hepatitis_c: e
            .previous
            .as_ref()
            .map(|p| amount_decimal(p.rem_hors_hepatite_c)),
        biosimilars: config
            .classes
            .iter()
            .zip(&t.biosimilaires)
            .map(|(c, &(b, r))| ClassBoxes {
                id: c.id.clone(),
                label: c.label.clone(),
                biosimilars: b,
                references: r,
            })
            .collect(),
    }
}
