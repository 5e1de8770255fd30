//! The experiments behind the chapter's report and figures, run once per
//! [`Settings`] and shared between the two.

// Without the `book` feature (a page) the runners that read the data files
// are gone, and some of their helpers with them.
#![cfg_attr(not(feature = "book"), allow(dead_code, unused_imports))]

use crate::capacity::{retrieval_overlap, simulate_unstable, unstable_exact};
use crate::cover::separable_fraction;
use crate::error::{Error, Result as ChapterResult};
use crate::hopfield::{EnergyAudit, Hopfield, audit_energy};
use crate::modern::ModernHopfield;
use crate::patterns::{Patterns, corrupt};
use book_support::cache::Cache;
use nalgebra::{DMatrix, DVector};
use std::error::Error as StdError;
use std::sync::Arc;

type Result<T> = std::result::Result<T, Box<dyn StdError>>;

/// What the chapter's command line may change (`--seed`, `--trials`), as
/// its `clap` arguments. [`Settings::BOOK`], the default, gives the runs
/// the book shows; figures for other settings are written only with
/// `--figures-dir`. A bad value is a clap error: a message and exit
/// status 2.
#[cfg_attr(feature = "book", derive(clap::Args))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Offset added (wrapping) to every seed (0 reproduces the book).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.seed))]
    pub seed: u64,
    /// Random networks (or labelings) per point of the capacity and
    /// Cover experiments, as a multiple of the book's: 1 to 20.
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.scale, value_parser = parse_scale))]
    pub scale: usize,
}

/// `--scale`: a whole number from 1 to 20.
#[cfg(feature = "book")]
fn parse_scale(text: &str) -> std::result::Result<usize, String> {
    book_support::cli::whole_number_in(text, 1..=20, "scale")
}

impl Default for Settings {
    fn default() -> Self {
        Settings::BOOK
    }
}

impl Settings {
    /// The book's settings.
    pub const BOOK: Settings = Settings { seed: 0, scale: 1 };

    /// The seed `base` of one experiment, offset by `--seed`.
    pub fn seed(&self, base: u64) -> u64 {
        base.wrapping_add(self.seed)
    }
}

/// The first seed of the networks (or labelings) of one point of one
/// experiment: `experiment` in the top bits, the point in the middle ones,
/// and room below for up to 2^16 networks, so that no two points of any
/// experiment share a seed.
pub fn experiment_seed(experiment: u64, point: u64) -> u64 {
    (experiment << 48) | (point << 16)
}

/// The energy audit: a network of `N` neurons storing `P` patterns, and
/// the number of runs from random states.
pub const ENERGY: (usize, usize, usize) = (200, 60, 100);

/// The unstable-bit experiment: `N`, the loads, networks per load.
pub const UNSTABLE_N: usize = 100;
pub const UNSTABLE_LOADS: [usize; 8] = [5, 10, 15, 20, 25, 30, 35, 40];
pub const UNSTABLE_NETWORKS: usize = 40;

/// The retrieval experiment: sizes, loads `P/N` (0.02 to 0.30), networks
/// per point.
pub const RETRIEVAL_N: [usize; 3] = [100, 200, 400];
pub fn retrieval_loads() -> Vec<f64> {
    (1..=15).map(|k| 0.02 * k as f64).collect()
}
pub const RETRIEVAL_NETWORKS: usize = 32;

/// Cover's experiment: dimensions, ratios `P/N` (0.5 to 4), labelings per
/// point.
pub const COVER_N: [usize; 3] = [5, 10, 20];
pub fn cover_ratios() -> Vec<f64> {
    (1..=8).map(|k| 0.5 * k as f64).collect()
}
pub const COVER_TRIALS: usize = 200;

/// The classical-against-modern experiment: dimension, numbers of
/// patterns, corrupted bits in each cue, cues per point, and `β`.
pub const MEMORY_D: usize = 64;
pub const MEMORY_M: [usize; 13] = [
    4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384,
];
pub const MEMORY_FLIPS: usize = 16;
pub const MEMORY_CUES: usize = 100;
pub const MEMORY_BETA: f64 = 1.0;

/// For each load `P`: the simulated unstable fraction (mean, SE) and the
/// exact probability.
pub type UnstableRows = Vec<(usize, (f64, f64), f64)>;
/// For each size `N`: (load, mean, SE) of the final overlap.
pub type RetrievalRows = Vec<(usize, Vec<(f64, f64, f64)>)>;
/// For each dimension `N`: (P, separable fraction, undecided labelings).
pub type CoverRows = Vec<(usize, Vec<(usize, f64, usize)>)>;

/// Everything the chapter computes.
#[derive(Clone, Debug)]
pub struct Results {
    pub settings: Settings,
    pub audit: EnergyAudit,
    /// `N E` after every update of the first three audited runs.
    pub energy_traces: Vec<Vec<i64>>,
    /// For each load `P`: simulated (mean, SE) and exact probability.
    pub unstable: UnstableRows,
    /// For each size `N`: (load, mean, SE) of the final overlap.
    pub retrieval: RetrievalRows,
    /// For each dimension `N`: (P, simulated fraction, undecided).
    pub cover: CoverRows,
    /// For each `M`: fractions of cues retrieved exactly by the classical
    /// and by the modern network.
    pub memory: Vec<(usize, f64, f64)>,
}

/// The energy audit and the first three traces.
pub fn energy(s: &Settings) -> ChapterResult<(EnergyAudit, Vec<Vec<i64>>)> {
    let (n, p, runs) = ENERGY;
    let mut rng = book_support::seeded(s.seed(1));
    let net = Hopfield::hebbian(&Patterns::random(n, p, &mut rng)?);
    let mut traces = vec![Vec::new(); 3];
    let audit = audit_energy(&net, runs, 1000, &mut rng, |run, e| {
        if run < 3 {
            traces[run].push(e);
        }
    })?;
    Ok((audit, traces))
}

/// The unstable-bit experiment.
pub fn unstable(s: &Settings) -> ChapterResult<UnstableRows> {
    UNSTABLE_LOADS
        .iter()
        .map(|&p| {
            let sim = simulate_unstable(
                UNSTABLE_N,
                p,
                UNSTABLE_NETWORKS * s.scale,
                s.seed(experiment_seed(1, p as u64)),
            )?;
            Ok((p, sim, unstable_exact(UNSTABLE_N, p)?))
        })
        .collect()
}

/// The retrieval experiment.
pub fn retrieval(s: &Settings) -> ChapterResult<RetrievalRows> {
    RETRIEVAL_N
        .iter()
        .map(|&n| {
            let points = retrieval_loads()
                .iter()
                .map(|&a| {
                    let p = (a * n as f64).round() as usize;
                    let (m, se) = retrieval_overlap(
                        n,
                        p,
                        RETRIEVAL_NETWORKS * s.scale,
                        s.seed(experiment_seed(2, (n * 1000 + p) as u64)),
                    )?;
                    Ok((a, m, se))
                })
                .collect::<ChapterResult<Vec<_>>>()?;
            Ok((n, points))
        })
        .collect()
}

/// Cover's experiment.
pub fn cover(s: &Settings) -> ChapterResult<CoverRows> {
    COVER_N
        .iter()
        .map(|&n| {
            let points = cover_ratios()
                .iter()
                .map(|&r| {
                    let p = (r * n as f64).round() as usize;
                    let (fraction, undecided) = separable_fraction(
                        n,
                        p,
                        COVER_TRIALS * s.scale,
                        s.seed(experiment_seed(3, (n * 1000 + p) as u64)),
                    )?;
                    Ok((p, fraction, undecided))
                })
                .collect::<ChapterResult<Vec<_>>>()?;
            Ok((n, points))
        })
        .collect()
}

/// The stored patterns of the memory experiment as a `d × M` matrix.
pub fn as_matrix(patterns: &Patterns) -> DMatrix<f64> {
    DMatrix::from_fn(patterns.n(), patterns.len(), |i, mu| {
        f64::from(patterns.get(mu)[i])
    })
}

/// The classical-against-modern experiment: for each `M`, the fraction of
/// cues (pattern `k` with [`MEMORY_FLIPS`] bits flipped) that each network
/// turns back into pattern `k` exactly (the modern one in one update,
/// then signs; the classical one by asynchronous recall).
pub fn memory(s: &Settings) -> ChapterResult<Vec<(usize, f64, f64)>> {
    let rows = book_support::parallel::map(&MEMORY_M, |&m| -> ChapterResult<(usize, f64, f64)> {
        let mut rng = book_support::seeded(s.seed(experiment_seed(4, m as u64)));
        let patterns = Patterns::random(MEMORY_D, m, &mut rng)?;
        let classical = Hopfield::hebbian(&patterns);
        let modern = ModernHopfield::new(as_matrix(&patterns), MEMORY_BETA)?;
        let (mut ok_classical, mut ok_modern) = (0, 0);
        for k in 0..MEMORY_CUES {
            let target = patterns.get(k % m);
            let cue = corrupt(target, MEMORY_FLIPS, &mut rng)?;
            let recall = classical.recall(&cue, 100, &mut rng, |_, _, _| {})?;
            ok_classical += usize::from(recall.state == target);
            let query = DVector::from_iterator(cue.len(), cue.iter().map(|&v| f64::from(v)));
            let out = modern.update(&query)?;
            ok_modern += usize::from(
                out.iter()
                    .zip(target)
                    .all(|(v, &t)| v.signum() == f64::from(t)),
            );
        }
        let f = |k: usize| k as f64 / MEMORY_CUES as f64;
        Ok((m, f(ok_classical), f(ok_modern)))
    });
    rows.into_iter().collect()
}

/// Runs `f` on the results for `s`, computing them the first time.
pub fn with_results<T>(s: &Settings, f: impl FnOnce(&Results) -> Result<T>) -> Result<T> {
    static CACHE: Cache<(u64, usize), Arc<Results>> = Cache::new();
    let results = CACHE.get_or_compute(&(s.seed, s.scale), || {
        let text = |e: Error| e.to_string();
        // Each part runs its own networks in parallel.
        let energy = energy(s).map_err(text);
        let (unstable, retrieval) = (unstable(s).map_err(text), retrieval(s).map_err(text));
        let (cover, memory) = (cover(s).map_err(text), memory(s).map_err(text));
        let (audit, energy_traces) = energy?;
        Ok(Arc::new(Results {
            settings: *s,
            audit,
            energy_traces,
            unstable: unstable?,
            retrieval: retrieval?,
            cover: cover?,
            memory: memory?,
        }))
    })?;
    f(&results)
}

/// The perceptron experiment: dimension, points, and the smallest
/// distance to the teacher's hyperplane that a point may have.
pub const PERCEPTRON: (usize, usize, f64) = (10, 200, 0.1);

/// Signed points `z_i = y_i x_i` for the perceptron: Gaussian points in
/// `R^10`, labeled by a random hyperplane through the origin, keeping
/// only those at distance at least 0.1 from it (so the data are
/// separable with room to spare).
pub fn perceptron_data(s: &Settings) -> ChapterResult<DMatrix<f64>> {
    let (d, count, gap) = PERCEPTRON;
    let mut rng = book_support::seeded(s.seed(31));
    let teacher = DVector::from_fn(d, |_, _| ch03_backprop::normal(&mut rng)).normalize();
    let mut columns = Vec::with_capacity(count);
    while columns.len() < count {
        let x = DVector::from_fn(d, |_, _| ch03_backprop::normal(&mut rng));
        let side = teacher.dot(&x);
        if side.abs() >= gap {
            columns.push(side.signum() * x);
        }
    }
    Ok(DMatrix::from_columns(&columns))
}
