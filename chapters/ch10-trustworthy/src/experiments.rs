//! The experiments behind the chapter's report and figures, each run once
//! per [`Settings`] and shared between the two.

// Without the `book` feature (a page) the runners that read the data files
// are gone, and some of their helpers with them.
#![cfg_attr(not(feature = "book"), allow(dead_code, unused_imports))]

use book_support::progress::Progress;
use crate::ablation::{Ablation, Row, ablate, removals};
use crate::calibration::{Calibrated, ece_drop_se};
use crate::certify::{Constrained, Robustness, audit};
use crate::data::Splits;
use crate::decay::{GRID, Tuning, difference_quotients, tune};
use crate::recipe::{Recipe, Rule, Setup};
use book_support::cache::Cache;
use ch03_backprop::Activation;
use std::path::PathBuf;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// What the chapter's command line may change, as its `clap` arguments.
/// The default gives the runs the book shows; figures for other settings
/// are written only with `--figures-dir`. A bad value is a clap error: a
/// message and exit status 2. A malformed `--data` file stops the run with
/// the file and line of the first bad row (exit status 1).
#[cfg_attr(feature = "book", derive(clap::Args))]
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Offset added (wrapping) to every seed (0 reproduces the book).
    #[cfg_attr(feature = "book", arg(long, default_value_t = 0))]
    pub seed: u64,
    /// Seeds per row of the ablation: 2 to 32.
    #[cfg_attr(feature = "book", arg(long, default_value_t = BOOK_SEEDS, value_parser = parse_seeds))]
    pub seeds: usize,
    /// A digits file in the shipped format (64 pixels from 0 to 16 and a
    /// label from 0 to 9 per line) instead of `data/digits/digits.csv`.
    #[cfg_attr(feature = "book", arg(long, value_name = "FILE"))]
    pub data: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: 0,
            seeds: BOOK_SEEDS,
            data: None,
        }
    }
}

/// `--seeds`: a whole number from 2 to 32.
#[cfg(feature = "book")]
fn parse_seeds(text: &str) -> std::result::Result<usize, String> {
    book_support::cli::whole_number_in(text, 2..=32, "seeds")
}

/// The ablation's seeds per row in the book.
pub const BOOK_SEEDS: usize = 12;
/// The seeds of the weight-decay tuning (disjoint from the ablation's).
pub const TUNING_SEEDS: [u64; 4] = [1000, 1001, 1002, 1003];
/// The relative steps `δ/λ` of the difference quotients, from a hundredth
/// down to `1e-8` (where the decay term still moves the weights a thousand
/// times more than rounding does at every step).
pub const RELATIVE_STEPS: [f64; 5] = [1e-2, 1e-3, 1e-4, 1e-6, 1e-8];
/// The trainings whose quotients are compared: the book's ReLU recipe
/// stopped after 20, 50 and 300 steps (the book's run), and the same
/// recipe with tanh in place of ReLU, a smooth control.
pub const QUOTIENT_RUNS: [(Activation, usize); 5] = [
    (Activation::Relu, 20),
    (Activation::Relu, 50),
    (Activation::Relu, 300),
    (Activation::Tanh, 50),
    (Activation::Tanh, 300),
];
/// The spectral bounds per layer of the certified networks (`None`:
/// unconstrained).
pub const BOUNDS: [Option<f64>; 4] = [Some(1.5), Some(2.0), Some(3.0), None];
/// The radii of the robustness curves.
pub fn radii() -> Vec<f64> {
    (0..=12).map(|k| 0.05 * f64::from(k)).collect()
}
/// PGD's steps.
pub const PGD_STEPS: usize = 20;

impl Settings {
    /// The seed `base`, offset by `--seed`.
    pub fn seed(&self, base: u64) -> u64 {
        base.wrapping_add(self.seed)
    }

    /// The ablation's seeds.
    pub fn ablation_seeds(&self) -> Vec<u64> {
        (0..self.seeds as u64).map(|s| self.seed(s)).collect()
    }
}

/// The splits of the settings' data.
#[cfg(feature = "book")]
pub fn splits(s: &Settings) -> Result<Splits> {
    static CACHE: Cache<Settings, Splits> = Cache::new();
    CACHE.get_or_compute(s, || match &s.data {
        Some(path) => Splits::load_from(path, s.seed(1)),
        None => Splits::load(s.seed(1)),
    })
}

/// The weight decay chosen on validation from [`GRID`].
#[cfg(feature = "book")]
pub fn tuning(s: &Settings) -> Result<Tuning> {
    static CACHE: Cache<Settings, Tuning> = Cache::new();
    CACHE.get_or_compute(s, || {
        let sp = splits(s)?;
        let seeds: Vec<u64> = TUNING_SEEDS.iter().map(|&b| s.seed(b)).collect();
        tune(&Setup::BOOK, (&sp.train, &sp.validation), &GRID, &seeds)
    })
}

/// One row of the ablation: the full recipe less `removed`, over the
/// settings' seeds.
#[cfg(feature = "book")]
pub fn ablation_row(s: &Settings, removed: &[Rule], progress: &(dyn Fn() + Sync)) -> Result<Row> {
    static CACHE: Cache<(Settings, Vec<Rule>), Row> = Cache::new();
    CACHE.get_or_compute(&(s.clone(), removed.to_vec()), || {
        let sp = splits(s)?;
        let lambda = tuning(s)?.lambda;
        ablate(
            &Setup::BOOK,
            &sp,
            (lambda, removed),
            &s.ablation_seeds(),
            progress,
        )
    })
}

/// Every row of the ablation, with a progress bar on a terminal.
#[cfg(feature = "book")]
pub fn ablation(s: &Settings) -> Result<Ablation> {
    let rows = removals();
    let bar = Progress::new((s.seeds * rows.len()) as u64, "ablation runs");
    let done = || bar.inc();
    let rows: Result<Vec<Row>> = rows.iter().map(|r| ablation_row(s, r, &done)).collect();
    bar.finish();
    Ok(Ablation {
        lambda: tuning(s)?.lambda,
        rows: rows?,
    })
}

/// The difference quotients of the validation loss in λ (at the tuned λ,
/// first seed) for each training of [`QUOTIENT_RUNS`], one per relative
/// step of [`RELATIVE_STEPS`].
#[cfg(feature = "book")]
pub fn quotients(s: &Settings) -> Result<Vec<Vec<f64>>> {
    static CACHE: Cache<Settings, Vec<Vec<f64>>> = Cache::new();
    CACHE.get_or_compute(s, || {
        let sp = splits(s)?;
        let lambda = tuning(s)?.lambda;
        let tv = (&sp.train, &sp.validation);
        let jobs: Vec<(Activation, usize, f64)> = QUOTIENT_RUNS
            .iter()
            .flat_map(|&(a, t)| RELATIVE_STEPS.iter().map(move |&r| (a, t, r)))
            .collect();
        let q = book_support::parallel::map(&jobs, |&(activation, steps, r)| {
            let setup = Setup {
                steps,
                activation,
                ..Setup::BOOK
            };
            difference_quotients(&setup, lambda, tv, s.seed(0), &[r])
                .map(|v| v[0])
                .map_err(|e| e.to_string())
        });
        let q: Vec<f64> = q.into_iter().collect::<std::result::Result<_, _>>()?;
        Ok(q.chunks(RELATIVE_STEPS.len())
            .map(<[f64]>::to_vec)
            .collect())
    })
}

/// The audit of each network of [`BOUNDS`] on the test split.
#[cfg(feature = "book")]
pub fn robustness(s: &Settings) -> Result<Vec<Robustness>> {
    static CACHE: Cache<Settings, Vec<Robustness>> = Cache::new();
    CACHE.get_or_compute(s, || {
        let sp = splits(s)?;
        let grid = radii();
        book_support::parallel::map(&BOUNDS, |&bound| {
            Constrained::book(bound)
                .train(&sp.train, s.seed(2000))
                .and_then(|net| audit(&net, &sp.test, &grid, PGD_STEPS))
                .map_err(|e| e.to_string())
        })
        .into_iter()
        .map(|r| r.map_err(Into::into))
        .collect()
    })
}

/// Temperature scaling of the full recipe's networks: the first row of the
/// ablation, one network per seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// Each network's calibration; the first is the figure's.
    pub networks: Vec<Calibrated>,
    /// For the first network: the bootstrap standard error of the drop in
    /// ECE, and the mean and standard error of the per-image drop in
    /// cross-entropy.
    pub ece_drop_se: f64,
    pub nll_drop: (f64, f64),
    /// Each image's drop in cross-entropy averaged over the networks: the
    /// mean over the images and its standard error over the images, which
    /// counts the test images' randomness as well as the networks'.
    pub nll_drop_images: (f64, f64),
}

/// Bootstrap resamples for the standard error of the ECE drop.
pub const RESAMPLES: usize = 1000;

/// The calibration experiment.
#[cfg(feature = "book")]
pub fn calibration(s: &Settings) -> Result<Calibration> {
    static CACHE: Cache<Settings, Calibration> = Cache::new();
    CACHE.get_or_compute(s, || {
        let sp = splits(s)?;
        let setup = Setup::BOOK;
        let recipe = Recipe::full(tuning(s)?.lambda);
        let full = ablation_row(s, &[], &|| {})?;
        let logits = book_support::parallel::map(&full.runs, |run| {
            let logits = || -> Result<_> {
                let net = setup.trained_network(&recipe, run)?;
                Ok((net.forward(&sp.validation.x)?, net.forward(&sp.test.x)?))
            };
            logits().map_err(|e| e.to_string())
        });
        let (val, test) = (&sp.validation.labels, &sp.test.labels);
        let mut networks = Vec::with_capacity(logits.len());
        for l in &logits {
            let (zv, zt) = l.as_ref().map_err(|e: &String| e.clone())?;
            networks.push(Calibrated::of((zv, val), (zt, test))?);
        }
        let (_, zt) = logits[0].as_ref().map_err(|e| e.clone())?;
        let first = &networks[0];
        let averaged: Vec<f64> = (0..test.len())
            .map(|j| networks.iter().map(|c| c.drops[j]).sum::<f64>() / networks.len() as f64)
            .collect();
        Ok(Calibration {
            ece_drop_se: ece_drop_se(zt, test, (1.0, first.temperature), RESAMPLES, s.seed(3000))?,
            nll_drop: book_support::stats::mean_se(&first.drops),
            nll_drop_images: book_support::stats::mean_se(&averaged),
            networks,
        })
    })
}
