//! Sums per establishment (`etb_rgt`) and per ATC class or product.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use caqes_core::Finess;

use super::config::Config;
use super::{Row, RowError, RowSink, col};

/// A small multiplicative hasher for short byte keys (FINESS, codes): the keys come from a
/// public file, so denial-of-service resistance is not needed, speed is.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(K);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        // The product's low bits depend only on the key's low bits (the first characters
        // of a FINESS); the table indexes by the low bits: bring the mixed high bits down.
        self.0.rotate_left(26)
    }
}

/// A 9-byte `etb_rgt` as two integers: compared and hashed in a few instructions (the
/// generated benchmark file changes establishment on nearly every row).
#[derive(Clone, Copy, PartialEq, Eq)]
struct EtbKey(u64, u8);

impl EtbKey {
    fn new(bytes: &[u8; 9]) -> Self {
        let mut head = [0u8; 8];
        head.copy_from_slice(&bytes[..8]);
        EtbKey(u64::from_le_bytes(head), bytes[8])
    }
}

impl std::hash::Hash for EtbKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0 ^ (u64::from(self.1) << 56).rotate_left(3));
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;

/// Exact sums for one `etb_rgt` (or, after grouping, one legal entity).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EtabTotals {
    pub rows: u64,
    pub boites_total: i64,
    /// Boxes excluding paracetamol (III-01 denominator).
    pub boites_hors_paracetamol: i64,
    /// Boxes with TOP_GEN 1 or 4, excluding paracetamol (III-01 numerator).
    pub boites_repertoire: i64,
    /// Boxes with TOP_GEN 9 (not published), excluding paracetamol: they stay in the
    /// III-01 denominator.
    pub boites_non_restituees: i64,
    /// Amounts in ten-thousandths of a euro.
    pub rem_total: i128,
    /// REM excluding hepatitis C (IV-01).
    pub rem_hors_hepatite_c: i128,
    /// REM of the IV-02 class chosen for this establishment.
    pub rem_classe_iv02: i128,
    /// `(biosimilar boxes, reference boxes)` per configured class, in configuration order.
    pub biosimilaires: Vec<(i64, i64)>,
    /// Raw `raison_sociale_etb` (smallest non-empty value seen, so the result does not
    /// depend on thread scheduling).
    pub name: Vec<u8>,
}

impl EtabTotals {
    pub fn new(classes: usize) -> Self {
        EtabTotals {
            biosimilaires: vec![(0, 0); classes],
            ..Default::default()
        }
    }

    pub fn add(&mut self, o: &EtabTotals) {
        self.rows += o.rows;
        self.boites_total += o.boites_total;
        self.boites_hors_paracetamol += o.boites_hors_paracetamol;
        self.boites_repertoire += o.boites_repertoire;
        self.boites_non_restituees += o.boites_non_restituees;
        self.rem_total += o.rem_total;
        self.rem_hors_hepatite_c += o.rem_hors_hepatite_c;
        self.rem_classe_iv02 += o.rem_classe_iv02;
        if self.biosimilaires.len() < o.biosimilaires.len() {
            self.biosimilaires.resize(o.biosimilaires.len(), (0, 0));
        }
        for (a, b) in self.biosimilaires.iter_mut().zip(&o.biosimilaires) {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.take_name(&o.name);
    }

    fn take_name(&mut self, name: &[u8]) {
        if !name.is_empty() && (self.name.is_empty() || name < self.name.as_slice()) {
            self.name = name.to_vec();
        }
    }
}

/// Per-class lookup prepared once: ATC5 → (class index, comparables).
struct Prepared {
    config: Config,
    paracetamol: Vec<Vec<u8>>,
    class_of_atc5: HashMap<Vec<u8>, usize, FxBuild>,
    /// First letters of the class codes: most rows are rejected without a hash lookup.
    class_first: [bool; 256],
    comparables: Vec<Vec<Vec<u8>>>,
    hepatitis_c: Vec<u8>,
}

/// Sums the indicator figures per `etb_rgt`.
pub struct IndicatorSink {
    prep: Arc<Prepared>,
    index: HashMap<EtbKey, usize, FxBuild>,
    etabs: Vec<(Finess, Option<Vec<u8>>, EtabTotals)>,
    /// The last `etb_rgt` seen and its slot: consecutive rows often share it.
    last: Option<(EtbKey, usize)>,
}

impl IndicatorSink {
    pub fn new(config: Config) -> Self {
        let mut class_of_atc5 = HashMap::default();
        let mut comparables = Vec::new();
        for (i, c) in config.classes.iter().enumerate() {
            for a in &c.atc5 {
                class_of_atc5.insert(a.as_bytes().to_vec(), i);
            }
            comparables.push(
                c.comparables
                    .iter()
                    .map(|s| s.as_bytes().to_vec())
                    .collect(),
            );
        }
        let mut class_first = [false; 256];
        for c in &config.classes {
            for a in &c.atc5 {
                if let Some(&b) = a.as_bytes().first() {
                    class_first[usize::from(b)] = true;
                }
            }
        }
        let prep = Prepared {
            class_first,
            paracetamol: config
                .paracetamol_atc5
                .iter()
                .map(|s| s.as_bytes().to_vec())
                .collect(),
            hepatitis_c: config.hepatitis_c_atc4.as_bytes().to_vec(),
            class_of_atc5,
            comparables,
            config,
        };
        IndicatorSink {
            prep: Arc::new(prep),
            index: HashMap::default(),
            etabs: Vec::new(),
            last: None,
        }
    }

    /// Another empty sink sharing this one's configuration (one per thread).
    pub fn fresh(&self) -> Self {
        IndicatorSink {
            prep: Arc::clone(&self.prep),
            index: HashMap::default(),
            etabs: Vec::new(),
            last: None,
        }
    }

    pub fn config(&self) -> &Config {
        &self.prep.config
    }

    /// The sums per `etb_rgt` (site), sorted by FINESS.
    pub fn into_totals(self) -> Vec<(Finess, EtabTotals)> {
        let mut v: Vec<(Finess, EtabTotals)> =
            self.etabs.into_iter().map(|(f, _, t)| (f, t)).collect();
        v.sort_by_key(|(f, _)| *f);
        v
    }

    fn slot(&mut self, etb: &[u8]) -> Result<usize, RowError> {
        let key: Option<&[u8; 9]> = etb.try_into().ok();
        if let Some(k) = key.map(EtbKey::new) {
            if let Some((lk, li)) = self.last
                && lk == k
            {
                return Ok(li);
            }
            if let Some(&i) = self.index.get(&k) {
                self.last = Some((k, i));
                return Ok(i);
            }
        }
        let text = super::decode_text(etb);
        let finess =
            Finess::parse(&text).map_err(|e| RowError::new(Some("etb_rgt"), e.to_string()))?;
        let mut k = [0u8; 9];
        k.copy_from_slice(finess.as_str().as_bytes());
        let k = EtbKey::new(&k);
        if let Some(&i) = self.index.get(&k) {
            // Same number written with surrounding spaces.
            return Ok(i);
        }
        let cfg = &self.prep.config;
        let entity = cfg.rattachement.entity(finess);
        let iv02 = cfg
            .iv02
            .class_for(finess, entity)
            .map(|s| s.as_bytes().to_vec());
        self.etabs
            .push((finess, iv02, EtabTotals::new(cfg.classes.len())));
        self.index.insert(k, self.etabs.len() - 1);
        Ok(self.etabs.len() - 1)
    }
}

/// `a == b` for short codes, most often decided on the length and first byte without
/// calling `memcmp` (most rows' codes differ from the configured ones at once).
#[inline(always)]
fn same_code(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a == b
}

/// Does the row belong to the ATC class `class` (any level)? The class is compared with
/// the row's code of the same level, so that `L04AB` matches `atc4` exactly.
pub fn row_in_class(row: &Row<'_>, class: &[u8]) -> bool {
    let column = match class.len() {
        1 => col::ATC1,
        3 => col::ATC2,
        4 => col::ATC3,
        5 => col::ATC4,
        _ => col::ATC5,
    };
    trim(row.get(column)) == class
}

#[inline]
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    // Fast path: CNAM's fields have no surrounding spaces.
    match (b.first(), b.last()) {
        (None, _) => return b,
        (Some(&f), Some(&l)) if f != b' ' && l != b' ' => return b,
        _ => {}
    }
    let s = b.iter().position(|x| *x != b' ').unwrap_or(b.len());
    let e = b.iter().rposition(|x| *x != b' ').map_or(s, |e| e + 1);
    &b[s..e]
}

impl RowSink for IndicatorSink {
    #[inline]
    fn accept(&mut self, row: &Row<'_>) -> Result<(), RowError> {
        let i = self.slot(trim(row.get(col::ETB)))?;
        let prep = &*self.prep;
        let atc5 = trim(row.get(col::ATC5));
        let top_gen = trim(row.get(col::TOP_GEN));
        let (_, iv02, t) = &mut self.etabs[i];
        let b = row.boites;
        let rem = i128::from(row.rem);
        t.rows += 1;
        t.boites_total += b;
        t.rem_total += rem;
        let paracetamol = prep.paracetamol.iter().any(|p| same_code(p, atc5));
        if !paracetamol {
            t.boites_hors_paracetamol += b;
            match top_gen {
                b"1" | b"4" => t.boites_repertoire += b,
                b"9" => t.boites_non_restituees += b,
                _ => {}
            }
        }
        if !same_code(&prep.hepatitis_c, trim(row.get(col::ATC4))) {
            t.rem_hors_hepatite_c += rem;
        }
        if atc5
            .first()
            .is_some_and(|&b| prep.class_first[usize::from(b)])
            && let Some(&c) = prep.class_of_atc5.get(atc5)
        {
            match top_gen {
                b"B" | b"b" => t.biosimilaires[c].0 += b,
                b"C" | b"c" => t.biosimilaires[c].1 += b,
                _ => {
                    let cip = trim(row.get(col::CIP13));
                    if prep.comparables[c].iter().any(|x| x.as_slice() == cip) {
                        t.biosimilaires[c].1 += b;
                    }
                }
            }
        }
        if let Some(class) = iv02
            && row_in_class(row, class)
        {
            t.rem_classe_iv02 += rem;
        }
        t.take_name(trim(row.get(col::NAME)));
        Ok(())
    }

    fn merge(&mut self, other: Self) {
        for (f, iv02, t) in other.etabs {
            let mut k = [0u8; 9];
            k.copy_from_slice(f.as_str().as_bytes());
            let k = EtbKey::new(&k);
            match self.index.get(&k) {
                Some(&i) => self.etabs[i].2.add(&t),
                None => {
                    self.etabs.push((f, iv02, t));
                    self.index.insert(k, self.etabs.len() - 1);
                }
            }
        }
    }
}

/// What a top list ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopLevel {
    Atc2,
    Atc3,
    Atc4,
    /// Products (CIP13).
    Produit,
}

impl TopLevel {
    fn columns(self) -> (usize, usize) {
        match self {
            TopLevel::Atc2 => (col::ATC2, col::L_ATC2),
            TopLevel::Atc3 => (col::ATC3, col::L_ATC3),
            TopLevel::Atc4 => (col::ATC4, col::L_ATC4),
            TopLevel::Produit => (col::CIP13, col::L_CIP13),
        }
    }
}

/// One entry of a top list (raw bytes until the end).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopEntry {
    pub rem: i128,
    pub boites: i64,
    pub label: Vec<u8>,
}

/// Sums REM and boxes per ATC class or product, for the rows of some establishments
/// (all when `etabs` is empty) and optionally one region (`region_etb`).
pub struct TopSink {
    level: TopLevel,
    etabs: Arc<Vec<Vec<u8>>>,
    region: Option<Arc<Vec<u8>>>,
    pub entries: HashMap<Vec<u8>, TopEntry, FxBuild>,
    /// Totals of the selected rows (for shares).
    pub rem_total: i128,
    pub rows: u64,
}

impl TopSink {
    pub fn new(level: TopLevel, etabs: Vec<Finess>, region: Option<String>) -> Self {
        TopSink {
            level,
            etabs: Arc::new(
                etabs
                    .iter()
                    .map(|f| f.as_str().as_bytes().to_vec())
                    .collect(),
            ),
            region: region.map(|r| Arc::new(r.into_bytes())),
            entries: HashMap::default(),
            rem_total: 0,
            rows: 0,
        }
    }

    pub fn fresh(&self) -> Self {
        TopSink {
            level: self.level,
            etabs: Arc::clone(&self.etabs),
            region: self.region.clone(),
            entries: HashMap::default(),
            rem_total: 0,
            rows: 0,
        }
    }

    /// The `n` largest entries by amount (ties by code), as `(code, entry)`.
    pub fn top(&self, n: usize) -> Vec<(Vec<u8>, TopEntry)> {
        let mut v: Vec<(Vec<u8>, TopEntry)> = self
            .entries
            .iter()
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        v.sort_by(|a, b| b.1.rem.cmp(&a.1.rem).then_with(|| a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

impl RowSink for TopSink {
    fn accept(&mut self, row: &Row<'_>) -> Result<(), RowError> {
        let etb = trim(row.get(col::ETB));
        if !self.etabs.is_empty() && !self.etabs.iter().any(|e| e.as_slice() == etb) {
            return Ok(());
        }
        if let Some(r) = &self.region {
            let region = trim(row.get(col::REGION));
            let region = if region.len() == 1 {
                [b"0", region].concat()
            } else {
                region.to_vec()
            };
            if region != r.as_slice() {
                return Ok(());
            }
        }
        let (code_col, label_col) = self.level.columns();
        let code = trim(row.get(code_col));
        let rem = i128::from(row.rem);
        self.rem_total += rem;
        self.rows += 1;
        let e = match self.entries.get_mut(code) {
            Some(e) => e,
            None => self.entries.entry(code.to_vec()).or_default(),
        };
        e.rem += rem;
        e.boites += row.boites;
        let label = trim(row.get(label_col));
        if !label.is_empty() && (e.label.is_empty() || label < e.label.as_slice()) {
            e.label = label.to_vec();
        }
        Ok(())
    }

    fn merge(&mut self, other: Self) {
        self.rem_total += other.rem_total;
        self.rows += other.rows;
        for (k, o) in other.entries {
            let e = self.entries.entry(k).or_default();
            e.rem += o.rem;
            e.boites += o.boites;
            if !o.label.is_empty() && (e.label.is_empty() || o.label < e.label) {
                e.label = o.label;
            }
        }
    }
}
