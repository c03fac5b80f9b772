//! The engine on a national campaign (issue 9, section 5): 3 000 establishments ×
//! 36 indicators × 4 years scored in memory, without reading files, so that the figure
//! is the engine's alone. Prints the median (and min, max) of `RUNS` runs.
//!
//!     cargo bench -p caqes-core --bench national
//!     ESTABLISHMENTS=750 RUNS=21 cargo bench -p caqes-core --bench national
//!
//! The campaign is generated with a fixed seed (xorshift), like bench/evaluate/gen.py:
//! every indicator of every establishment and year has a value with probability 94 %
//! (≈ 406 000 values), numeric indicators after the état des lieux year a target with
//! probability 80 % (≈ 203 000 targets).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark binary fails loudly"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use caqes_core::referentiel::{Kind, Referentiel, builtin_by_id};
use caqes_core::scoring::Scorer;
use caqes_core::value::{Entry, Value};
use caqes_core::{Category, Rate};
use rust_decimal::Decimal;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

type Entries = BTreeMap<String, Entry>;
type Targets = BTreeMap<String, Decimal>;

struct Campaign {
    /// (category, year, entries, targets) per establishment and year.
    rows: Vec<(Category, i16, Entries, Targets)>,
    values: usize,
    targets: usize,
}

fn value(rng: &mut Rng, kind: Kind) -> Value {
    let d = Decimal::from(30 + rng.below(5_000));
    match kind {
        Kind::Proportion => {
            let n = Decimal::from(rng.below(30 + 5_000)).min(d);
            Value::Proportion(Rate::proportion(n, d).unwrap())
        }
        Kind::Growth => {
            let prev = Decimal::from(100_000 + rng.below(50_000_000));
            let cur = prev * Decimal::from(90 + rng.below(23)) / Decimal::from(100);
            Value::Growth(Rate::new(cur.round(), prev).unwrap())
        }
        Kind::Ratio => {
            let prev = Decimal::from(200 + rng.below(700));
            Value::Ratio(Rate::new(Decimal::from(200 + rng.below(700)), prev).unwrap())
        }
        Kind::TriState => [Value::Yes, Value::InProgress, Value::No][rng.below(3) as usize],
        Kind::YesNo | Kind::Document => {
            if rng.chance(75) {
                Value::Yes
            } else {
                Value::No
            }
        }
    }
}

fn campaign(r: &Referentiel, establishments: usize, years: &[i16]) -> Campaign {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut rows = Vec::with_capacity(establishments * years.len());
    let (mut values, mut targets) = (0, 0);
    for _ in 0..establishments {
        let category = Category::ALL[rng.below(Category::ALL.len() as u64) as usize];
        for &year in years {
            let mut e = Entries::new();
            let mut t = Targets::new();
            for ind in &r.indicators {
                if rng.chance(94) {
                    e.insert(ind.code.clone(), Entry::Value(value(&mut rng, ind.kind)));
                }
                if ind.is_numeric() && year > r.baseline_year && rng.chance(80) {
                    t.insert(ind.code.clone(), Decimal::from(rng.below(90)));
                }
            }
            values += e.len();
            targets += t.len();
            rows.push((category, year, e, t));
        }
    }
    Campaign {
        rows,
        values,
        targets,
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let r = builtin_by_id("occitanie-2018").expect("built-in grid");
    let establishments = env("ESTABLISHMENTS", 3_000);
    let runs = env("RUNS", 11).max(1);
    let years = [2018, 2019, 2020, 2021];
    let c = campaign(&r, establishments, &years);
    println!(
        "campagne : {establishments} établissements × {} indicateurs × {} ans = {} évaluations, {} valeurs, {} cibles",
        r.indicators.len(),
        years.len(),
        c.rows.len(),
        c.values,
        c.targets
    );
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut cpu: Vec<Duration> = Vec::with_capacity(runs);
    let mut checksum = Decimal::ZERO;
    for _ in 0..runs {
        let cpu_start = thread_cpu();
        let start = Instant::now();
        let mut total = Decimal::ZERO;
        // One scorer per campaign, as `caqes evaluate` does: its tables are timed too.
        let scorer = Scorer::new(&r);
        for (category, year, entries, targets) in &c.rows {
            let s = scorer.score(*category, *year, entries, targets);
            total += black_box(s).total;
        }
        times.push(start.elapsed());
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu()) {
            cpu.push(b.saturating_sub(a));
        }
        checksum = total;
    }
    times.sort();
    cpu.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "moteur (Scorer::score, un cœur) : médiane {:.1} ms (min {:.1}, max {:.1}) sur {runs} passages ; somme des totaux {}",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        checksum.round_dp(2)
    );
    // On a shared machine the wall time counts the waits for a core: the thread's own CPU
    // time (Linux, /proc/thread-self/schedstat) is the engine's cost.
    if !cpu.is_empty() {
        println!(
            "moteur, temps CPU du fil : médiane {:.1} ms (min {:.1}, max {:.1})",
            ms(cpu[cpu.len() / 2]),
            ms(cpu[0]),
            ms(cpu[cpu.len() - 1])
        );
    }
}

/// The CPU time this thread has run for (nanoseconds on a core), where Linux gives it.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}
