//! The experiments behind the chapter's report and figures, run once per
//! [`Settings`] and shared between the two.

// Without the `book` feature (a page) the runners that read the data files
// are gone, and some of their helpers with them.
#![cfg_attr(not(feature = "book"), allow(dead_code, unused_imports))]

use crate::isometry::{Spectrum, Weights, jacobian_spectra};
use crate::ode::{Field, Method, adjoint, backprop, solve};
use crate::signal::{DepthScales, SignalMap, critical_weight_variance};
use crate::simulate::{Ensemble, ensemble};
use crate::trainability::{Heatmap, Trainability};
use book_support::cache::Cache;
use ch03_backprop::Activation;
use nalgebra::DVector;
use std::error::Error;
use std::sync::Arc;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// What the chapter's command line may change, as its `clap` arguments.
/// [`Settings::BOOK`], the default, gives the runs the book shows; figures
/// for other settings are written only with `--figures-dir`. A bad value
/// is a clap error: a message and exit status 2.
#[cfg_attr(feature = "book", derive(clap::Args))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Offset added (wrapping) to every seed of the chapter's random
    /// networks (0 reproduces the book).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.seed))]
    pub seed: u64,
    /// The bias variance σ_b² of the tanh experiments, from 0 to 1.
    #[cfg_attr(feature = "book", arg(long = "sigma-b2", default_value_t = Settings::BOOK.sigma_b2, value_parser = parse_sigma_b2))]
    pub sigma_b2: f64,
    /// The width of the simulated wide networks, from 16 to 2048.
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.width, value_parser = parse_width))]
    pub width: usize,
}

/// `--sigma-b2`: a number from 0 to 1.
#[cfg(feature = "book")]
fn parse_sigma_b2(text: &str) -> std::result::Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("a bias variance of {text} is outside [0, 1]"));
    }
    Ok(v)
}

/// `--width`: a whole number from 16 to 2048.
#[cfg(feature = "book")]
fn parse_width(text: &str) -> std::result::Result<usize, String> {
    book_support::cli::whole_number_in(text, 16..=2048, "width")
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
        sigma_b2: 0.05,
        width: 256,
    };

    /// The seed `base` of one experiment, offset by `--seed`.
    pub fn seed(&self, base: u64) -> u64 {
        base.wrapping_add(self.seed)
    }
}

/// The `σ_w²` grid of the depth-scale curves: 0.5 to 4.5 in steps of 1/16.
pub fn sigma_w2_grid() -> Vec<f64> {
    (0..=64).map(|k| 0.5 + k as f64 / 16.0).collect()
}

/// The `σ_b²` grid of the phase diagram: 0 to 0.3, quadratically spaced
/// (`0.3 (k/40)²`), because the critical line leaves `σ_b² = 0` steeply.
pub fn sigma_b2_grid() -> Vec<f64> {
    (0..=40).map(|k| 0.3 * (k as f64 / 40.0).powi(2)).collect()
}

/// The weight variances of the heat map: 0.5 to 4.5 in steps of 1/2.
pub fn heatmap_sigma_w2() -> Vec<f64> {
    (0..=8).map(|k| 0.5 + k as f64 / 2.0).collect()
}

/// The depths of the heat map.
pub const HEATMAP_DEPTHS: [usize; 8] = [3, 6, 9, 12, 15, 18, 21, 24];

/// The simulated networks' depth, burn-in and count.
pub const SIMULATION: (usize, usize, usize) = (24, 12, 24);
/// Their first-layer length and correlation.
pub const SIMULATION_START: (f64, f64) = (1.0, 0.5);
/// The ordered and chaotic weight variances simulated beside the critical one.
pub const ORDERED_CHAOTIC: [f64; 2] = [1.0, 3.0];

/// The dynamical-isometry experiment: width, depths, networks, and the
/// (small) bias variance of its tanh networks.
pub const ISOMETRY_WIDTH: usize = 128;
pub const ISOMETRY_DEPTHS: [usize; 6] = [1, 2, 4, 8, 16, 32];
pub const ISOMETRY_NETWORKS: usize = 8;
pub const ISOMETRY_SIGMA_B2: f64 = 1e-3;

/// The ODE experiment: state dimension, hidden width, scale of `A`, time
/// span, and the number of steps of the reference solution.
pub const ODE_FIELD: (usize, usize, f64) = (2, 16, 2.0);
pub const ODE_T: f64 = 1.0;
pub const ODE_REFERENCE_STEPS: usize = 1 << 14;
/// The block counts `L = 2^k` of the convergence study.
pub const ODE_STEPS: [usize; 9] = [4, 8, 16, 32, 64, 128, 256, 512, 1024];

/// One combination of the isometry experiment: the map, the weights, and
/// for every network the spectra at every depth of [`ISOMETRY_DEPTHS`].
pub type IsometryRun = (SignalMap, Weights, Vec<Vec<Spectrum>>);

/// A simulated ensemble beside its mean-field map.
#[derive(Clone, Debug)]
pub struct Simulated {
    pub map: SignalMap,
    pub ensemble: Ensemble,
}

/// The ODE experiment's results.
#[derive(Clone, Debug)]
pub struct OdeStudy {
    pub field: Field,
    pub x0: DVector<f64>,
    pub y: DVector<f64>,
    /// `‖x_L − x(T)‖` for each method and each `L` of [`ODE_STEPS`].
    pub errors: Vec<(Method, Vec<f64>)>,
    /// The relative gap between backpropagation through `L` Euler steps
    /// and the adjoint gradient, for each `L`.
    pub backprop_gaps: Vec<f64>,
    /// The adjoint gradient with as many steps as the reference solution.
    pub adjoint: crate::ode::Gradient,
}

/// Everything the chapter computes.
#[derive(Clone, Debug)]
pub struct Results {
    pub settings: Settings,
    /// The critical `σ_w²` of tanh at the settings' `σ_b²`.
    pub critical: f64,
    /// Depth scales along [`sigma_w2_grid`].
    pub scales: Vec<(f64, DepthScales)>,
    /// The critical line along [`sigma_b2_grid`].
    pub critical_line: Vec<(f64, f64)>,
    /// Ordered, critical and chaotic tanh ensembles, then ReLU at He's
    /// point.
    pub simulated: Vec<Simulated>,
    pub heatmap: Heatmap,
    /// For (tanh, ReLU) × (Gaussian, orthogonal): the spectra of every
    /// network at every depth of [`ISOMETRY_DEPTHS`].
    pub isometry: Vec<IsometryRun>,
    pub ode: OdeStudy,
}

/// The chapter's tanh map at `σ_w²` and the settings' `σ_b²`.
pub fn tanh_map(s: &Settings, sigma_w2: f64) -> crate::Result<SignalMap> {
    SignalMap::new(Activation::Tanh, sigma_w2, s.sigma_b2)
}

/// The bracket in which the critical weight variance is sought.
pub const CRITICAL_BRACKET: (f64, f64) = (0.5, 20.0);

/// The depth scales along [`sigma_w2_grid`].
pub fn scales(s: &Settings) -> Result<Vec<(f64, DepthScales)>> {
    let grid = sigma_w2_grid();
    book_support::parallel::map(&grid, |&w| -> crate::Result<(f64, DepthScales)> {
        Ok((w, tanh_map(s, w)?.depth_scales(1.0)?))
    })
    .into_iter()
    .map(|r| r.map_err(Into::into))
    .collect()
}

/// The critical line along [`sigma_b2_grid`].
pub fn critical_line() -> Result<Vec<(f64, f64)>> {
    let grid = sigma_b2_grid();
    book_support::parallel::map(&grid, |&b| -> crate::Result<(f64, f64)> {
        Ok((
            b,
            critical_weight_variance(Activation::Tanh, b, CRITICAL_BRACKET)?,
        ))
    })
    .into_iter()
    .map(|r| r.map_err(Into::into))
    .collect()
}

/// The simulated ensembles: ordered, critical and chaotic tanh, then ReLU
/// at He's point.
pub fn simulated(s: &Settings) -> Result<Vec<Simulated>> {
    let critical = critical_weight_variance(Activation::Tanh, s.sigma_b2, CRITICAL_BRACKET)?;
    let (depth, burn_in, networks) = SIMULATION;
    let mut maps = vec![
        tanh_map(s, ORDERED_CHAOTIC[0])?,
        tanh_map(s, critical)?,
        tanh_map(s, ORDERED_CHAOTIC[1])?,
    ];
    maps.push(SignalMap::new(Activation::Relu, 2.0, 0.0)?);
    maps.into_iter()
        .enumerate()
        .map(|(k, map)| {
            // Independent networks for each map, so that the comparisons
            // are independent too.
            let ensemble = ensemble(
                &map,
                (s.width, depth),
                SIMULATION_START,
                (networks, burn_in, s.seed(100 + 1000 * k as u64)),
            )?;
            Ok(Simulated { map, ensemble })
        })
        .collect()
}

/// The dynamical-isometry experiment: for (tanh, ReLU) × (Gaussian,
/// orthogonal), the spectra of every network at every depth.
pub fn isometry(s: &Settings) -> Result<Vec<IsometryRun>> {
    let critical = critical_weight_variance(Activation::Tanh, ISOMETRY_SIGMA_B2, CRITICAL_BRACKET)?;
    let maps = [
        SignalMap::new(Activation::Tanh, critical, ISOMETRY_SIGMA_B2)?,
        SignalMap::new(Activation::Relu, 2.0, 0.0)?,
    ];
    let mut jobs = Vec::new();
    for map in &maps {
        for weights in [Weights::Gaussian, Weights::Orthogonal] {
            for k in 0..ISOMETRY_NETWORKS as u64 {
                jobs.push((map.clone(), weights, k));
            }
        }
    }
    let spectra = book_support::parallel::map(&jobs, |(map, weights, k)| {
        jacobian_spectra(
            map,
            *weights,
            ISOMETRY_WIDTH,
            &ISOMETRY_DEPTHS,
            &mut book_support::seeded(s.seed(300 + k)),
        )
    });
    let mut out: Vec<IsometryRun> = Vec::new();
    for ((map, weights, _), spectrum) in jobs.into_iter().zip(spectra) {
        let spectrum = spectrum?;
        match out.last_mut() {
            Some(last) if last.0 == map && last.1 == weights => last.2.push(spectrum),
            _ => out.push((map, weights, vec![spectrum])),
        }
    }
    Ok(out)
}

/// The ODE experiment's field, start and target.
pub fn ode_problem() -> crate::Result<(Field, DVector<f64>, DVector<f64>)> {
    let (d, m, scale) = ODE_FIELD;
    let field = Field::random(d, m, scale, &mut book_support::seeded(3))?;
    Ok((field, DVector::from_vec(vec![1.0, -0.5]), DVector::zeros(d)))
}

/// The ODE experiment.
pub fn ode() -> Result<OdeStudy> {
    let (field, x0, y) = ode_problem()?;
    let reference = solve(&field, &x0, ODE_T, ODE_REFERENCE_STEPS, Method::RungeKutta4)?;
    let mut errors = Vec::new();
    for method in [Method::Euler, Method::Heun, Method::RungeKutta4] {
        let e = ODE_STEPS
            .iter()
            .map(|&l| Ok((solve(&field, &x0, ODE_T, l, method)? - &reference).norm()))
            .collect::<crate::Result<Vec<f64>>>()?;
        errors.push((method, e));
    }
    let adjoint = adjoint(&field, &x0, ODE_T, ODE_REFERENCE_STEPS, &y)?;
    let backprop_gaps = ODE_STEPS
        .iter()
        .map(|&l| Ok(backprop(&field, &x0, ODE_T, l, &y)?.relative_gap(&adjoint)))
        .collect::<crate::Result<Vec<f64>>>()?;
    Ok(OdeStudy {
        field,
        x0,
        y,
        errors,
        backprop_gaps,
        adjoint,
    })
}

/// The trainability heat map.
#[cfg(feature = "book")]
pub fn heatmap(s: &Settings) -> Result<Heatmap> {
    Ok(Trainability {
        sigma_b2: s.sigma_b2,
        ..Trainability::BOOK
    }
    .heatmap(&heatmap_sigma_w2(), &HEATMAP_DEPTHS, s.seed(200))?)
}

enum Part {
    Scales(Vec<(f64, DepthScales)>),
    Line(Vec<(f64, f64)>),
    Simulated(Vec<Simulated>),
    Heatmap(Heatmap),
    Isometry(Vec<IsometryRun>),
    Ode(Box<OdeStudy>),
}

/// Runs `f` on the results for `s`, computing them the first time.
#[cfg(feature = "book")]
pub fn with_results<T>(s: &Settings, f: impl FnOnce(&Results) -> Result<T>) -> Result<T> {
    static CACHE: Cache<(u64, u64, usize), Arc<Results>> = Cache::new();
    let key = (s.seed, s.sigma_b2.to_bits(), s.width);
    let results = CACHE.get_or_compute(&key, || {
        let critical = critical_weight_variance(Activation::Tanh, s.sigma_b2, CRITICAL_BRACKET)?;
        let parts = book_support::parallel::map(
            &[0, 1, 2, 3, 4, 5],
            |&k| -> std::result::Result<Part, String> {
                let text = |e: Box<dyn Error>| e.to_string();
                Ok(match k {
                    0 => Part::Scales(scales(s).map_err(text)?),
                    1 => Part::Line(critical_line().map_err(text)?),
                    2 => Part::Simulated(simulated(s).map_err(text)?),
                    3 => Part::Heatmap(heatmap(s).map_err(text)?),
                    4 => Part::Isometry(isometry(s).map_err(text)?),
                    _ => Part::Ode(Box::new(ode().map_err(text)?)),
                })
            },
        );
        let mut parts = parts.into_iter();
        let mut next = || parts.next().unwrap_or_else(|| Err("missing part".into()));
        let (
            Part::Scales(scales),
            Part::Line(critical_line),
            Part::Simulated(simulated),
            Part::Heatmap(heatmap),
            Part::Isometry(isometry),
            Part::Ode(ode),
        ) = (next()?, next()?, next()?, next()?, next()?, next()?)
        else {
            return Err("parts out of order".into());
        };
        Ok(Arc::new(Results {
            settings: *s,
            critical,
            scales,
            critical_line,
            simulated,
            heatmap,
            isometry,
            ode: *ode,
        }))
    })?;
    f(&results)
}
