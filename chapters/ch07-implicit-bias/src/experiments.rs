//! The experiments behind the chapter's report and figures, run once per
//! [`Settings`] and shared between the two.

// Without the `book` feature (a page) the runners that read the data files
// are gone, and some of their helpers with them.
#![cfg_attr(not(feature = "book"), allow(dead_code, unused_imports))]

use book_support::progress::Progress;
use crate::asymptotics::Asymptote;
use crate::homogeneous::TwoLayer;
use crate::logistic::{Rule, descend, log_checkpoints, smoothness};
use crate::svm::{MaxMargin, Signed, max_margin, max_margin_2d_l1};
use crate::tasks::{l1_points, quadrants, separable};
#[cfg(feature = "book")]
use crate::tasks::iris_augmented;
use book_support::cache::Cache;
use nalgebra::{DMatrix, DVector};
use std::error::Error;
use std::sync::Arc;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What the chapter's command line may change (`--steps`), as its `clap`
/// arguments. [`Settings::BOOK`], the default, gives the runs the book
/// shows; figures for other settings are written only with
/// `--figures-dir`. A bad value is a clap error: a message and exit
/// status 2.
#[cfg_attr(feature = "book", derive(clap::Args))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Steps of the long gradient-descent runs, a power of ten from 10^4 to
    /// 10^8 (written 1e6 or 1000000).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.steps, value_parser = parse_steps))]
    pub steps: usize,
}

/// `--steps`: a power of ten from 10^4 to 10^8.
#[cfg(feature = "book")]
fn parse_steps(text: &str) -> std::result::Result<usize, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    let exponent = value.log10().round();
    if !(value.is_finite() && (4.0..=8.0).contains(&exponent) && 10f64.powf(exponent) == value) {
        return Err(format!("{text} is not a power of ten from 1e4 to 1e8"));
    }
    Ok(value as usize)
}

impl Default for Settings {
    fn default() -> Self {
        Settings::BOOK
    }
}

impl Settings {
    /// The book's settings.
    pub const BOOK: Settings = Settings { steps: 1_000_000 };

    /// `log10` of the number of steps.
    pub fn exponent(&self) -> u32 {
        (self.steps as f64).log10().round() as u32
    }
}

/// The data of the convergence experiment: twenty points with gap 0.5.
pub fn convergence_data() -> (DMatrix<f64>, Vec<f64>) {
    separable(20, 0.5, 4)
}

/// The normalized step length of the chapter.
pub const NORMALIZED_ETA: f64 = 0.1;

/// A run of one rule, `w` at each checkpoint.
#[derive(Clone, Debug)]
pub struct Trajectory {
    pub steps: Vec<usize>,
    pub w: Vec<DVector<f64>>,
}

/// The convergence experiment.
#[derive(Clone, Debug)]
pub struct Convergence {
    pub points: Signed,
    pub svm: MaxMargin,
    pub eta: f64,
    pub asymptote: Asymptote,
    pub gradient: Trajectory,
    pub normalized: Trajectory,
}

/// The L1 experiment.
#[derive(Clone, Debug)]
pub struct Geometry {
    pub points: Signed,
    pub l2: MaxMargin,
    pub l1: [f64; 2],
    pub gradient: Trajectory,
    pub steepest_l1: Trajectory,
}

/// The network experiment: `(t, loss, normalized margin, smoothed margin)`.
pub type MarginCurve = Vec<(usize, f64, f64, f64)>;

/// The iris experiment.
#[derive(Clone, Debug)]
pub struct IrisRun {
    pub x: DMatrix<f64>,
    pub labels: Vec<f64>,
    pub points: Signed,
    pub svm: MaxMargin,
    pub gradient: Trajectory,
    pub normalized: Trajectory,
}

/// Every experiment's results for one setting.
#[derive(Clone, Debug)]
pub struct Results {
    pub convergence: Convergence,
    pub geometry: Geometry,
    pub network: MarginCurve,
    pub iris: IrisRun,
}

/// `rule` from zero to each of `steps`, showing progress on a terminal for
/// runs of a million steps or more (indicatif draws nothing when standard
/// error is not a terminal, so piped output stays clean).
fn run(points: &Signed, rule: Rule, eta: f64, steps: Vec<usize>) -> crate::Result<Trajectory> {
    run_from(points, rule, eta, steps, &vec![0.0; points.z().nrows()])
}

/// Where steepest L1 descent starts: off the L1 max-margin direction, so
/// that it has somewhere to converge from (from zero it would move along
/// the first axis only and sit on the answer from the first step).
pub const L1_START: [f64; 2] = [0.0, 2.0];

fn run_from(
    points: &Signed,
    rule: Rule,
    eta: f64,
    steps: Vec<usize>,
    start: &[f64],
) -> crate::Result<Trajectory> {
    let total = steps.last().copied().unwrap_or(0);
    let bar = if total >= 1_000_000 {
        Progress::new(total as u64, &format!("{rule:?} descent"))
    } else {
        Progress::hidden()
    };
    let mut w = vec![];
    let mut current = DVector::from_column_slice(start);
    // The lesson's `descend` checks the arguments (and the step bound) once.
    descend(points, rule, &current, eta, &[])?;
    // Plain gradient steps in the plane take the fast kernel, which the
    // crate's tests hold to the lesson; the other rules take the lesson.
    let fast = (rule == Rule::Gradient && points.z().nrows() == 2).then(|| {
        let z: Vec<[f64; 2]> = points.z().column_iter().map(|c| [c[0], c[1]]).collect();
        crate::fast::Margins::new(&z)
    });
    let mut done = 0;
    for &stop in &steps {
        current = match &fast {
            Some(m) => {
                let next = crate::fast::descend(m, [current[0], current[1]], eta, stop - done);
                DVector::from_vec(next.to_vec())
            }
            None => descend(points, rule, &current, eta, &[stop - done])?.remove(0),
        };
        done = stop;
        bar.set_position(done as u64);
        w.push(current.clone());
    }
    bar.finish();
    Ok(Trajectory { steps, w })
}

/// The convergence experiment with runs of `10^exponent` steps.
pub fn convergence(exponent: u32) -> crate::Result<Convergence> {
    let (x, labels) = convergence_data();
    let points = Signed::new(&x, &labels)?;
    let svm = max_margin(&points, 1e-12, 100_000)?;
    let eta = 1.0 / smoothness(&points);
    let asymptote = Asymptote::new(&points, &svm, 1e-6, eta)?;
    let gradient = run(&points, Rule::Gradient, eta, log_checkpoints(exponent, 4))?;
    let normalized = run(
        &points,
        Rule::Normalized,
        NORMALIZED_ETA,
        log_checkpoints(exponent.min(6), 4),
    )?;
    Ok(Convergence {
        points,
        svm,
        eta,
        asymptote,
        gradient,
        normalized,
    })
}

/// The L1 experiment.
pub fn geometry() -> crate::Result<Geometry> {
    let (x, labels) = l1_points(20, 3);
    let points = Signed::new(&x, &labels)?;
    let l2 = max_margin(&points, 1e-12, 100_000)?;
    let (l1, _) = max_margin_2d_l1(&points)?;
    let eta = 1.0 / smoothness(&points);
    let gradient = run(&points, Rule::Gradient, eta, log_checkpoints(5, 4))?;
    let steepest_l1 = run_from(
        &points,
        Rule::SteepestL1,
        eta,
        log_checkpoints(5, 4),
        &L1_START,
    )?;
    Ok(Geometry {
        points,
        l2,
        l1,
        gradient,
        steepest_l1,
    })
}

/// The homogeneous network: width 20, weights `N(0, 0.25)`, step 0.2, on
/// forty quadrant-labelled points, for `10^5` steps.
pub fn network() -> crate::Result<MarginCurve> {
    let (x, labels) = quadrants(40, 5);
    let mut net = TwoLayer::random(20, 2, 0.5, &mut book_support::seeded(9))?;
    let mut out = Vec::new();
    let mut t = 0;
    for stop in log_checkpoints(5, 20) {
        while t < stop {
            net.step(&x, &labels, NETWORK_ETA)?;
            t += 1;
        }
        out.push((
            t,
            net.loss(&x, &labels)?,
            net.normalized_margin(&x, &labels)?,
            net.smoothed_margin(&x, &labels)?,
        ));
    }
    Ok(out)
}

/// The network's step size.
pub const NETWORK_ETA: f64 = 0.2;

/// The iris experiment with runs of `10^exponent` steps.
#[cfg(feature = "book")]
pub fn iris(exponent: u32) -> crate::Result<IrisRun> {
    let (x, labels) = iris_augmented()?;
    let points = Signed::new(&x, &labels)?;
    let svm = max_margin(&points, 1e-12, 100_000)?;
    let eta = 1.0 / smoothness(&points);
    let gradient = run(&points, Rule::Gradient, eta, log_checkpoints(exponent, 1))?;
    let normalized = run(
        &points,
        Rule::Normalized,
        NORMALIZED_ETA,
        log_checkpoints(exponent.min(6), 1),
    )?;
    Ok(IrisRun {
        x,
        labels,
        points,
        svm,
        gradient,
        normalized,
    })
}

/// Runs `f` on the results for `s`, computing them the first time.
#[cfg(feature = "book")]
pub fn with_results<T>(s: &Settings, f: impl FnOnce(&Results) -> Result<T>) -> Result<T> {
    static CACHE: Cache<usize, Arc<Results>> = Cache::new();
    let results = CACHE.get_or_compute(&s.steps, || {
        let e = s.exponent();
        let parts =
            book_support::parallel::map(&[0, 1, 2, 3], |&k| -> std::result::Result<Part, String> {
                let text = |e: crate::Error| e.to_string();
                Ok(match k {
                    0 => Part::Convergence(Box::new(convergence(e).map_err(text)?)),
                    1 => Part::Geometry(Box::new(geometry().map_err(text)?)),
                    2 => Part::Network(network().map_err(text)?),
                    _ => Part::Iris(Box::new(iris(e).map_err(text)?)),
                })
            });
        let mut parts = parts.into_iter();
        let mut next = || parts.next().unwrap_or_else(|| Err("missing part".into()));
        let (Part::Convergence(c), Part::Geometry(g), Part::Network(n), Part::Iris(i)) =
            (next()?, next()?, next()?, next()?)
        else {
            return Err("parts out of order".into());
        };
        Ok(Arc::new(Results {
            convergence: *c,
            geometry: *g,
            network: n,
            iris: *i,
        }))
    })?;
    f(&results)
}

enum Part {
    Convergence(Box<Convergence>),
    Geometry(Box<Geometry>),
    Network(MarginCurve),
    Iris(Box<IrisRun>),
}
