//! The experiments behind the chapter's report and figures, run once per
//! [`Settings`] and shared between the two.

// Without the `book` feature (a page) the runners that read the data files
// are gone, and some of their helpers with them.
#![cfg_attr(not(feature = "book"), allow(dead_code, unused_imports))]

use crate::nets::{Body, BranchScale, residual_stack};
use crate::paths::energy_ratios;
use crate::signal::{mean_and_se, parameter_gradient_norms};
use crate::stochastic::{Gates, Survival, evaluation_gates};
use crate::training::{
    DepthSetup, DigitsSetup, Mismatch, evaluate, mismatch, sine_task,
};
#[cfg(feature = "book")]
use crate::training::digits_split;
use crate::{Net, network};
use ch03_backprop::{Activation, Loss, Run, normal};
use nalgebra::DMatrix;
use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What the chapter's command line may change (`--depth`, `--seed`,
/// `--survival`), as its `clap` arguments. [`Settings::BOOK`], the
/// default, gives the runs the book shows; figures for other settings are
/// written only with `--figures-dir`. A bad value is a clap error: a
/// message and exit status 2.
#[cfg_attr(feature = "book", derive(clap::Args))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Depth of the deepest plain and residual networks trained, and of
    /// the gradient norms at initialization (2 to 1000).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.depth, value_parser = parse_depth))]
    pub depth: usize,
    /// Offset added (wrapping) to every experiment's seed (0 reproduces the
    /// book).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.seed))]
    pub seed: u64,
    /// Survival probability p_L of the last block under stochastic depth,
    /// in (0, 1].
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.survival, value_parser = parse_survival))]
    pub survival: f64,
}

/// `--depth`: a whole number that [`Settings::check`] accepts.
#[cfg(feature = "book")]
fn parse_depth(text: &str) -> std::result::Result<usize, String> {
    let depth = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    Settings {
        depth,
        ..Settings::BOOK
    }
    .check()?;
    Ok(depth)
}

/// `--survival`: a number in `(0, 1]`.
#[cfg(feature = "book")]
fn parse_survival(text: &str) -> std::result::Result<f64, String> {
    let p = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    crate::stochastic::check_survival(p).map_err(|e| e.to_string())?;
    Ok(p)
}

impl Default for Settings {
    fn default() -> Self {
        Settings::BOOK
    }
}

impl Settings {
    /// The book's settings.
    pub const BOOK: Settings = Settings {
        depth: 1000,
        seed: 0,
        survival: 0.5,
    };
    pub const MIN_DEPTH: usize = 2;
    pub const MAX_DEPTH: usize = 1000;

    /// `Ok` for settings in their domains, otherwise a message saying which
    /// is not.
    pub fn check(&self) -> std::result::Result<(), String> {
        if !(Self::MIN_DEPTH..=Self::MAX_DEPTH).contains(&self.depth) {
            return Err(format!(
                "depth {} is outside {}..={}",
                self.depth,
                Self::MIN_DEPTH,
                Self::MAX_DEPTH
            ));
        }
        crate::stochastic::check_survival(self.survival).map_err(|e| e.to_string())
    }

    /// The seed of an experiment whose book seed is `base`.
    pub fn seed(&self, base: u64) -> u64 {
        base.wrapping_add(self.seed)
    }

    /// The depths of the trained comparison: 10, 100 and [`Settings::depth`]
    /// (those not above it, without repeats).
    pub fn depths(&self) -> Vec<usize> {
        let mut d: Vec<usize> = [10, 100].into_iter().filter(|&d| d < self.depth).collect();
        d.push(self.depth);
        d
    }

    fn key(&self) -> (usize, u64, u64) {
        (self.depth, self.seed, self.survival.to_bits())
    }
}

/// Everything the report and the figures show, for one [`Settings`].
#[derive(Debug)]
pub struct Results {
    /// `(body, depth, run)` of the trained comparison.
    pub depth_runs: Vec<(Body, usize, Run)>,
    /// `½ Var(y)` of the comparison's task.
    pub constant_loss: f64,
    /// Per-layer parameter-gradient norms at initialization, plain then
    /// residual, at [`Settings::depth`].
    pub init_gradients: [Vec<f64>; 2],
    /// `log10(‖x_l‖²/‖x_0‖²)` for `l = 0..=FORWARD_DEPTH`, averaged over
    /// networks, for each [`FORWARD_SCALES`] entry.
    pub forward_logs: Vec<Vec<f64>>,
    /// Gradient energy by path length over the exact expectation, averaged
    /// over networks, with standard errors ([`PATH_BLOCKS`] blocks).
    pub energy: (Vec<f64>, Vec<f64>),
    /// Digits: losses while training without and with stochastic depth.
    pub digits_losses: [Vec<f64>; 2],
    /// Digits: test (loss, accuracy) of the plain residual classifier, and
    /// of the one trained with stochastic depth, evaluated with every branch
    /// on and with the test-time rule.
    pub digits_test: [(f64, f64); 3],
    /// The train/test mismatch of the classifier trained with stochastic depth.
    pub mismatch: Mismatch,
}

/// The depth and width of the forward-signal figure.
pub const FORWARD_DEPTH: usize = 100;
pub const FORWARD_WIDTH: usize = 16;
pub const FORWARD_NETS: usize = 50;
/// The branch scales of the forward-signal figure.
pub const FORWARD_SCALES: [BranchScale; 3] = [
    BranchScale::Unscaled,
    BranchScale::InverseSqrtDepth,
    BranchScale::Zero,
];
/// The path-ensemble experiment: ResNet-110's 54 blocks, width, branch
/// variance `σ²` and number of networks.
pub const PATH_BLOCKS: usize = 54;
pub const PATH_WIDTH: usize = 16;
pub const PATH_SIGMA2: f64 = 0.25;
pub const PATH_NETS: usize = 200;
/// Draws of the gates for the mismatch measurement.
pub const MISMATCH_DRAWS: usize = 200;

/// The per-layer gradient norms at initialization for `body` at `depth`,
/// on the comparison's task.
pub fn init_gradient_norms(body: Body, depth: usize, seed: u64) -> Result<Vec<f64>> {
    let s = DepthSetup::BOOK;
    let (x, y) = sine_task(s.width, s.points, s.seed);
    let mut rng = book_support::seeded(seed);
    let net = network(body, s.width, s.width, depth, 1, &mut rng)?;
    let all = parameter_gradient_norms(&net, &x, &y, Loss::Mse)?;
    // The hidden pieces only: drop the input layer and the readout.
    Ok(all[1..=depth].to_vec())
}

/// The mean over `networks` stacks of `log10(‖x_l‖²/‖x_0‖²)`, `l = 0..=L`.
pub fn forward_log_profile(
    scale: BranchScale,
    depth: usize,
    width: usize,
    networks: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    let mut rng = book_support::seeded(seed);
    let mut total = vec![0.0; depth + 1];
    for _ in 0..networks {
        let net = residual_stack(width, width, depth, Activation::Relu, 1.0, scale, &mut rng)?;
        let x = DMatrix::from_fn(width, 1, |_, _| normal(&mut rng));
        let mut ws = ch03_backprop::Workspace::new(&net, 1)?;
        net.forward_ws(&x, &mut ws)?;
        let x0 = x.norm_squared();
        for (l, t) in total.iter_mut().enumerate().skip(1) {
            let xl = ws.activation(l).ok_or("missing activation")?;
            *t += (xl.norm_squared() / x0).log10();
        }
    }
    Ok(total.into_iter().map(|t| t / networks as f64).collect())
}

#[cfg(feature = "book")]
fn compute(s: &Settings) -> Result<Results> {
    s.check()?;
    let setup = DepthSetup {
        seed: s.seed(DepthSetup::BOOK.seed),
        ..DepthSetup::BOOK
    };
    let mut depth_runs = Vec::new();
    for depth in s.depths() {
        for body in [Body::Plain, Body::Residual(BranchScale::InverseSqrtDepth)] {
            depth_runs.push((body, depth, setup.run(body, depth)?));
        }
    }
    let (_, y) = sine_task(setup.width, setup.points, setup.seed);
    let init_gradients = [
        init_gradient_norms(Body::Plain, s.depth, s.seed(70))?,
        init_gradient_norms(
            Body::Residual(BranchScale::InverseSqrtDepth),
            s.depth,
            s.seed(70),
        )?,
    ];
    let forward_logs = FORWARD_SCALES
        .iter()
        .map(|&scale| {
            forward_log_profile(
                scale,
                FORWARD_DEPTH,
                FORWARD_WIDTH,
                FORWARD_NETS,
                s.seed(80),
            )
        })
        .collect::<Result<_>>()?;
    let ratios = energy_ratios(PATH_WIDTH, PATH_BLOCKS, PATH_SIGMA2, PATH_NETS, s.seed(90))?;
    let energy = (0..=PATH_BLOCKS)
        .map(|k| mean_and_se(&ratios.iter().map(|r| r[k]).collect::<Vec<_>>()))
        .unzip();
    let d = DigitsSetup {
        seed: s.seed(DigitsSetup::BOOK.seed),
        ..DigitsSetup::BOOK
    };
    let (train, test) = digits_split(d.test, s.seed(61))?;
    let (plain_net, plain_losses) = d.train(&train, None)?;
    let survival = Survival::linear(d.depth, s.survival)?;
    let (sd_net, sd_losses) = d.train(&train, Some(&survival))?;
    let mismatch = mismatch(&sd_net, &survival, &test.x, MISMATCH_DRAWS, s.seed(62))?;
    let test_with = |net: &Net, gates: Gates| -> Result<(f64, f64)> {
        evaluation_gates(net, &survival, gates)?;
        evaluate(net, &test)
    };
    let digits_test = [
        evaluate(&plain_net, &test)?,
        test_with(&sd_net, Gates::Full)?,
        test_with(&sd_net, Gates::Expected)?,
    ];
    Ok(Results {
        depth_runs,
        constant_loss: crate::training::constant_loss(&y),
        init_gradients,
        forward_logs,
        energy,
        digits_losses: [plain_losses, sd_losses],
        digits_test,
        mismatch,
    })
}

type Cache = Mutex<HashMap<(usize, u64, u64), Arc<std::result::Result<Results, String>>>>;

/// The results for `s`, computed on first use and shared afterwards.
/// Errors: settings out of their domains, or a failed experiment.
#[cfg(feature = "book")]
pub fn results(s: &Settings) -> Result<Arc<std::result::Result<Results, String>>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    s.check()?;
    let cache = CACHE.get_or_init(Default::default);
    let mut entries = cache.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = entries
        .entry(s.key())
        .or_insert_with(|| Arc::new(compute(s).map_err(|e| e.to_string())));
    Ok(Arc::clone(entry))
}

/// The results for `s`, or the error of computing them.
#[cfg(feature = "book")]
pub fn with_results<T>(s: &Settings, f: impl FnOnce(&Results) -> Result<T>) -> Result<T> {
    let r = results(s)?;
    match r.as_ref() {
        Ok(results) => f(results),
        Err(e) => Err(e.clone().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> std::result::Result<Settings, clap::Error> {
        let args = std::iter::once("ch05-residual").chain(args.iter().copied());
        book_support::cli::parse::<Settings>("ch05-residual", args.map(Into::into).collect())
            .map(|(settings, _)| settings)
    }

    #[test]
    fn the_command_line_sets_the_settings() {
        assert_eq!(parse(&[]).unwrap(), Settings::BOOK);
        let s = parse(&["--depth", "2", "--seed", "7", "--survival", "1"]).unwrap();
        assert_eq!(
            s,
            Settings {
                depth: 2,
                seed: 7,
                survival: 1.0
            }
        );
    }

    #[test]
    fn bad_values_are_usage_errors_with_status_2() {
        for args in [
            &["--depth", "1"][..],
            &["--depth", "1001"],
            &["--depth", "-3"],
            &["--depth", "many"],
            &["--seed", "-1"],
            &["--seed", "x"],
            &["--survival", "0"],
            &["--survival", "1.5"],
            &["--survival", "-0.5"],
            &["--survival", "NaN"],
            &["--survival", "inf"],
            &["--survival", "half"],
            &["--bogus"],
            &["extra"],
        ] {
            let err = parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
        let err = parse(&["--survival", "1.5"]).unwrap_err().to_string();
        assert!(err.contains("outside (0, 1]"), "{err}");
        let err = parse(&["--depth", "5000"]).unwrap_err().to_string();
        assert!(err.contains("outside 2..=1000"), "{err}");
    }
}
