//! The experiments behind the chapter's report and figures, run once per
//! [`Settings`] and shared between the two.

// Without the `book` feature (a page) the runners that read the data files
// are gone, and some of their helpers with them.
#![cfg_attr(not(feature = "book"), allow(dead_code, unused_imports))]

use crate::classify::{Binary, Training};
#[cfg(feature = "book")]
use crate::classify::digits_binary;
use crate::compass::{Iterate, ValidationPath, descend, log_grid};
use crate::double_descent::{WeakFeatures, column, feature_counts};
use crate::ridge::ridge;
use crate::robust::{
    accuracy, certified_accuracy, fgsm, largest_gradient, lipschitz_bound, margins,
};
use crate::tasks::{CurveSplit, CurveTask, DiabetesTask};
use crate::tradeoff::{SlopePoint, Slopes};
use book_support::cache::Cache;
use book_support::data::Diabetes;
use ch03_backprop::{DMatrix, Mlp};
use std::error::Error;
use std::sync::Arc;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What the chapter's command line may change (`--seed`, `--trials`), as
/// its `clap` arguments. [`Settings::BOOK`], the default, gives the runs
/// the book shows; figures for other settings are written only with
/// `--figures-dir`. A bad value is a clap error: a message and exit
/// status 2.
#[cfg_attr(feature = "book", derive(clap::Args))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Offset added (wrapping) to the seed of the double-descent simulation
    /// (0 reproduces the book).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.seed))]
    pub seed: u64,
    /// Training sets drawn for each number of features in the
    /// double-descent simulation (20 to 100000).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.trials, value_parser = parse_trials))]
    pub trials: usize,
}

/// `--trials`: a whole number from 20 to 100000.
#[cfg(feature = "book")]
fn parse_trials(text: &str) -> std::result::Result<usize, String> {
    book_support::cli::whole_number_in(text, 20..=100_000, "trials")
}

impl Default for Settings {
    fn default() -> Self {
        Settings::BOOK
    }
}

impl Settings {
    /// The book's settings.
    pub const BOOK: Settings = Settings {
        seed: 0,
        trials: 400,
    };
}

/// The λ grid of the curve task's U: 10⁻⁸ to 10², eight points a decade.
pub fn curve_grid() -> Vec<f64> {
    log_grid(1e-8, 1e2, 81).expect("a valid grid")
}

/// The λ grid of the diabetes task: 10⁻² to 10⁵, eight points a decade.
pub fn diabetes_grid() -> Vec<f64> {
    log_grid(1e-2, 1e5, 57).expect("a valid grid")
}

/// Where the descents on `ln λ` start, on both sides of the minimum.
pub const CURVE_STARTS: [f64; 2] = [1e-7, 10.0];
/// Where the diabetes descents start.
pub const DIABETES_STARTS: [f64; 2] = [0.1, 1e4];
/// The training, validation and test sizes of the diabetes task (the seed
/// of its shuffle is 7).
pub const DIABETES_SPLIT: (usize, usize) = (80, 181);
/// The three λ whose fitted curves the first figure shows.
pub const SHOWN_LAMBDAS: [f64; 3] = [1e-8, 1e-3, 10.0];
/// The FGSM strengths of the robustness figure: 0 to 0.3 per pixel.
pub fn attack_strengths() -> Vec<f64> {
    (0..=60).map(|i| f64::from(i) * 0.005).collect()
}
/// The hidden layers of the networks whose Lipschitz bounds are compared.
pub const DEPTHS: [&[usize]; 4] = [&[16], &[16, 16], &[16, 16, 16], &[16, 16, 16, 16]];
/// The slopes β of the trade-off.
pub fn slopes() -> Vec<f64> {
    (0..=15).map(|i| 0.5 + 0.1 * f64::from(i)).collect()
}

/// The curve task and its path.
#[derive(Clone, Debug)]
pub struct Curve {
    pub train: CurveSplit,
    pub val: CurveSplit,
    pub path: ValidationPath,
    /// `(λ, training error, validation error)` on [`curve_grid`], from the
    /// lesson's Cholesky fits.
    pub errors: Vec<(f64, f64, f64)>,
    pub descents: Vec<Vec<Iterate>>,
}

/// The diabetes task and its path.
#[derive(Clone, Debug)]
pub struct Clinic {
    pub task: DiabetesTask,
    pub path: ValidationPath,
    pub descents: Vec<Vec<Iterate>>,
}

/// The robustness experiment on the digits.
#[derive(Clone, Debug)]
pub struct Robustness {
    pub test: Binary,
    pub linear: Mlp,
    pub network: Mlp,
    /// `(bound K, largest ‖∇f‖ found)` for each of [`DEPTHS`].
    pub bounds: Vec<(f64, f64)>,
    /// Accuracy under FGSM of the linear model and of the network, and the
    /// network's certified accuracy, at each of [`attack_strengths`].
    pub attacked: Vec<(f64, f64, f64, f64)>,
}

/// Every experiment's results for one setting.
#[derive(Clone, Debug)]
pub struct Results {
    pub curve: Curve,
    pub clinic: Clinic,
    pub model: WeakFeatures,
    pub ps: Vec<usize>,
    /// One row per training set: the test error at each of `ps`.
    pub risks: Vec<Vec<f64>>,
    pub robustness: Robustness,
    pub slopes: Vec<SlopePoint>,
    pub log_norm_per_layer: (f64, f64),
}

/// The curve task's experiment (no settings).
pub fn curve() -> Result<Curve> {
    let (train, val) = CurveTask::BOOK.splits()?;
    let path = ValidationPath::new(&train.data, &val.data)?;
    let errors = curve_grid()
        .into_iter()
        .map(|l| {
            let fit = ridge(&train.data, l)?;
            Ok((l, train.data.mse(&fit.w)?, val.data.mse(&fit.w)?))
        })
        .collect::<crate::Result<_>>()?;
    let descents = CURVE_STARTS
        .iter()
        .map(|&l0| descend(&path, l0, 200, 1e-10))
        .collect::<crate::Result<_>>()?;
    Ok(Curve {
        train,
        val,
        path,
        errors,
        descents,
    })
}

/// The diabetes experiment (no settings).
#[cfg(feature = "book")]
pub fn clinic() -> Result<Clinic> {
    let data = Diabetes::load()?;
    let task = DiabetesTask::new(&data, DIABETES_SPLIT.0, DIABETES_SPLIT.1, 7)?;
    let path = ValidationPath::new(&task.train, &task.val)?;
    let descents = DIABETES_STARTS
        .iter()
        .map(|&l0| descend(&path, l0, 200, 1e-10))
        .collect::<crate::Result<_>>()?;
    Ok(Clinic {
        task,
        path,
        descents,
    })
}

/// The robustness experiment (no settings).
#[cfg(feature = "book")]
pub fn robustness() -> Result<Robustness> {
    let (train, test) = digits_binary()?;
    let t = Training::BOOK;
    // The linear model and the networks of every depth train in parallel.
    let hidden: Vec<&[usize]> = std::iter::once(&[][..]).chain(DEPTHS).collect();
    let mut nets =
        book_support::parallel::map(&hidden, |h| t.train(h, &train).map_err(|e| e.to_string()))
            .into_iter()
            .collect::<std::result::Result<Vec<Mlp>, String>>()?;
    let linear = nets.remove(0);
    let mut probe = train
        .x
        .clone()
        .resize_horizontally(train.x.ncols() + test.x.ncols(), 0.0);
    probe
        .columns_mut(train.x.ncols(), test.x.ncols())
        .copy_from(&test.x);
    let mut rng = book_support::seeded(21);
    let random = DMatrix::from_fn(train.x.nrows(), 2000, |_, _| {
        rand::RngExt::random::<f64>(&mut rng)
    });
    let bounds = nets
        .iter()
        .map(|net| {
            let found = largest_gradient(net, &probe)?.max(largest_gradient(net, &random)?);
            Ok((lipschitz_bound(net)?, found))
        })
        .collect::<Result<Vec<_>>>()?;
    let network = nets.swap_remove(0);
    let k = lipschitz_bound(&network)?;
    let clean = margins(&network, &test.x, &test.labels)?;
    let attacked = attack_strengths()
        .into_iter()
        .map(|eps| {
            let under_attack = |m: &Mlp| -> crate::Result<f64> {
                accuracy(&margins(
                    m,
                    &fgsm(m, &test.x, &test.labels, eps)?,
                    &test.labels,
                )?)
            };
            let certified = certified_accuracy(&clean, k, test.x.nrows(), eps)?;
            Ok((
                eps,
                under_attack(&linear)?,
                under_attack(&network)?,
                certified,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Robustness {
        test,
        linear,
        network,
        bounds,
        attacked,
    })
}

/// Runs `f` on the results for `s`, computing them the first time.
#[cfg(feature = "book")]
pub fn with_results<T>(s: &Settings, f: impl FnOnce(&Results) -> Result<T>) -> Result<T> {
    static CACHE: Cache<(u64, usize), Arc<Results>> = Cache::new();
    let results = CACHE.get_or_compute(&(s.seed, s.trials), || {
        let model = WeakFeatures::BOOK;
        let ps = feature_counts(&model);
        type Job<'a> = &'a (dyn Fn() -> std::result::Result<Part, String> + Sync);
        let text = |e: Box<dyn Error>| e.to_string();
        let jobs: [Job; 5] = [
            &|| curve().map(|c| Part::Curve(Box::new(c))).map_err(text),
            &|| clinic().map(|c| Part::Clinic(Box::new(c))).map_err(text),
            &|| {
                robustness()
                    .map(|r| Part::Robust(Box::new(r)))
                    .map_err(text)
            },
            &|| {
                let seed = 1000u64.wrapping_add(s.seed);
                model
                    .simulate(&ps, s.trials, seed)
                    .map(Part::Risks)
                    .map_err(|e| e.to_string())
            },
            &|| {
                let slopes = Slopes::BOOK;
                let points = book_support::parallel::map(&crate::experiments::slopes(), |&b| {
                    slopes.measure(b).map_err(|e| e.to_string())
                })
                .into_iter()
                .collect::<std::result::Result<Vec<_>, _>>()?;
                let norms = slopes.log_norm_per_layer().map_err(|e| e.to_string())?;
                Ok(Part::Slopes(points, norms))
            },
        ];
        let mut parts = book_support::parallel::run_all(&jobs).into_iter();
        let mut next = || parts.next().unwrap_or_else(|| Err("missing part".into()));
        let (
            Part::Curve(curve),
            Part::Clinic(clinic),
            Part::Robust(robustness),
            Part::Risks(risks),
            Part::Slopes(slopes, norms),
        ) = (next()?, next()?, next()?, next()?, next()?)
        else {
            return Err("parts out of order".into());
        };
        Ok(Arc::new(Results {
            curve: *curve,
            clinic: *clinic,
            model,
            ps,
            risks,
            robustness: *robustness,
            slopes,
            log_norm_per_layer: norms,
        }))
    })?;
    f(&results)
}

/// One experiment's result, so that all can run on the pool at once.
enum Part {
    Curve(Box<Curve>),
    Clinic(Box<Clinic>),
    Robust(Box<Robustness>),
    Risks(Vec<Vec<f64>>),
    Slopes(Vec<SlopePoint>, (f64, f64)),
}

/// The simulated test errors at feature count `p`, if it was simulated.
pub fn risks_at(r: &Results, p: usize) -> Option<Vec<f64>> {
    r.ps.iter()
        .position(|&q| q == p)
        .map(|k| column(&r.risks, k))
}
