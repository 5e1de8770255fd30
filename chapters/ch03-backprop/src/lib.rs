#![doc = include_str!("../../../src/ch03-backprop.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch03-backprop.md");

/// The appendix page on the fast engine: its prose and any claims it states.
#[doc = include_str!("../../../src/ch03-backprop/fast-engine.md")]
pub mod appendix {
    book_support::chapter!("ch03-backprop/fast-engine.md");
}

pub mod clipping;
pub mod engine;
pub mod exercises;
pub mod experiments;
#[cfg(feature = "book")]
pub mod figures;
pub mod gradcheck;
pub mod products;
pub mod signal;
pub mod stall;

pub use clipping::*;
pub use engine::*;
pub use gradcheck::*;
pub use products::*;
pub use signal::*;
pub use stall::*;

pub use book_support::stats::{mean_se, variance_se};
pub use nalgebra::{DMatrix, DVector};

pub use experiments::Settings;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner and its command line (`--depth`, `--seed`)
/// see it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::with_settings::<Settings>("ch03-backprop");

#[cfg(feature = "book")]
impl book_support::cli::Settings for Settings {
    fn report(&self) -> Result<String, Box<dyn Error>> {
        report_with(self)
    }
    fn figures(&self) -> Result<Vec<Figure>, Box<dyn Error>> {
        figures_with(self)
    }
}

/// Every figure of the chapter for the given settings.
#[cfg(feature = "book")]
pub fn figures_with(s: &Settings) -> Result<Vec<Figure>, Box<dyn Error>> {
    experiments::prepare(s)?;
    figures::all(s)
}

/// The chapter's headline results for the given settings.
#[cfg(feature = "book")]
pub fn report_with(s: &Settings) -> Result<String, Box<dyn Error>> {
    use experiments::*;
    prepare(s)?;
    let mut out = String::new();
    let survey = survey(s.seed(3), 500, 4, 6, 1e-3)?;
    writeln!(
        out,
        "backprop vs central differences: {} random networks ({} parameters), worst relative error {:.1e}",
        survey.checked, survey.parameters, survey.worst
    )?;
    writeln!(
        out,
        "backward signal, depth {}, width {SIGNAL_WIDTH} (geometric mean of {SIGNAL_NETS} networks):",
        s.depth
    )?;
    for ((a, s2, label), p) in KINDS.iter().zip(&signal_profiles(s)?) {
        let mf = MeanField {
            activation: *a,
            sigma_w2: *s2,
        };
        let predicted = mf.backward_profile(1.0, s.depth)[0];
        let typical = mf.typical_backward_profile(1.0, s.depth, SIGNAL_WIDTH)[0];
        writeln!(
            out,
            "  {label:<18} ‖δ_1‖/‖δ_L‖ = 10^{:.2}   (mean field 10^{:.2}, at width {SIGNAL_WIDTH} 10^{:.2})",
            p.log_ratio(1).0 / std::f64::consts::LN_10,
            predicted.log10(),
            typical.log10()
        )?;
    }
    let stall = stall_setup(s);
    let (_, y) = stall.data();
    let constant = constant_predictor_loss(&y);
    let curves = stall_curves(s)?;
    writeln!(
        out,
        "{} hidden layers of width {}, {} steps: final loss / best constant loss = {:.4} (sigmoid), {:.4} (ReLU)",
        stall.depth,
        stall.width,
        stall.steps,
        curves[0][stall.steps] / constant,
        curves[1][stall.steps] / constant
    )?;
    let runs = clipping_runs(s)?;
    let describe = |r: &Run| match r.failed_at {
        Some(t) => format!("broke down at step {t}"),
        None => format!("final loss {:.1e}", r.final_loss()),
    };
    writeln!(
        out,
        "20-layer tanh net, η = 0.2: unclipped {}; clipped to norm 1: {}",
        describe(&runs[0]),
        describe(&runs[1])
    )?;
    let heavy = Gain::heavy_matched();
    writeln!(
        out,
        "scalar products of {} gains: P(some gain > 100) = {:.4} (half-Cauchy), {:.1e} (half-normal)",
        s.depth,
        heavy.any_exceeds(100.0, s.depth),
        Gain::HalfNormal.any_exceeds(100.0, s.depth)
    )?;
    let chains = gain_chains(s)?;
    for (&(gain, label), chains) in gain_laws().iter().zip(&chains) {
        let depth = HISTOGRAM_DEPTHS[HISTOGRAM_DEPTHS.len() - 1];
        let (mean, se) = mean_se(chains.logs_at(depth).ok_or("depth not watched")?);
        let (p, p_se) = chains.catastrophic(256, 100.0);
        writeln!(
            out,
            "  {label}: mean ln Π of {depth} gains {mean:.2} ± {se:.2} (exact {:.2}); P(some gain > 100 in 256) = {p:.4} ± {p_se:.4} (exact {:.4})",
            depth as f64 * gain.log_mean(),
            gain.any_exceeds(100.0, 256)
        )?;
    }
    writeln!(
        out,
        "ReLU width 8, depth 50: P(a dead layer) = {:.4}",
        dead_network_probability(8, 50)
    )?;
    for (&(n, _), v) in SPREAD.iter().zip(spread_samples(s)?) {
        let (var, se) = variance_se(&v);
        let exact = relu_log_ratio_moments(n).1 * SPREAD_DEPTH as f64;
        writeln!(
            out,
            "ReLU width {n}, depth {SPREAD_DEPTH}: Var ln(gradient ratio) = {var:.2} ± {se:.2} (exact layer law {exact:.2}, 5L/n = {:.2})",
            5.0 * SPREAD_DEPTH as f64 / n as f64
        )?;
    }
    Ok(out)
}
