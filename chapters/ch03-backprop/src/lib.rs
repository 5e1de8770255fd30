#![doc = include_str!("../../../src/ch03-backprop.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch03-backprop.md");

pub mod clipping;
pub mod engine;
pub mod exercises;
pub mod figures;
pub mod gradcheck;
pub mod products;
pub mod signal;

pub use clipping::*;
pub use engine::*;
pub use gradcheck::*;
pub use products::*;
pub use signal::*;

pub use nalgebra::{DMatrix, DVector};

use book_support::Figure;
use std::error::Error;
use std::fmt::Write;

/// The chapter, as the runner sees it.
pub const CHAPTER: book_support::cli::Chapter = book_support::cli::Chapter {
    slug: "ch03-backprop",
    report,
    figures,
};

/// The chapter's headline results, as `cargo run -p ch03-backprop` prints them.
pub fn report() -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    let s = survey(3, 500, 4, 6, 1e-3)?;
    writeln!(
        out,
        "backprop vs central differences: {} random networks ({} parameters), worst relative error {:.1e}",
        s.checked, s.parameters, s.worst
    )?;
    let profiles = figures::signal_profiles()?;
    writeln!(
        out,
        "backward signal, depth {}, width {} (geometric mean of {} networks):",
        figures::SIGNAL_DEPTH,
        figures::SIGNAL_WIDTH,
        figures::SIGNAL_NETS
    )?;
    for ((a, s2, label), p) in figures::KINDS.iter().zip(&profiles) {
        let mf = MeanField {
            activation: *a,
            sigma_w2: *s2,
        };
        let predicted = mf.backward_profile(1.0, figures::SIGNAL_DEPTH)[0];
        writeln!(
            out,
            "  {label:<18} ‖δ_1‖/‖δ_L‖ = 10^{:.2}   (mean field 10^{:.2})",
            p.log_ratio(1).0 / std::f64::consts::LN_10,
            predicted.log10()
        )?;
    }
    let runs = figures::clipping_runs()?;
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
        "scalar products of 100 gains: P(some gain > 100) = {:.4} (half-Cauchy), {:.1e} (half-normal)",
        heavy.any_exceeds(100.0, 100),
        Gain::HalfNormal.any_exceeds(100.0, 100)
    )?;
    writeln!(
        out,
        "ReLU width 8, depth 50: P(a dead layer) = {:.4}",
        dead_network_probability(8, 50)
    )?;
    for (&(n, _), v) in figures::SPREAD.iter().zip(figures::spread_samples()?) {
        let (var, se) = variance_se(&v);
        let exact = relu_log_ratio_moments(n).1 * figures::SPREAD_DEPTH as f64;
        writeln!(
            out,
            "ReLU width {n}, depth {}: Var ln(gradient ratio) = {var:.2} ± {se:.2} (exact layer law {exact:.2}, 5L/n = {:.2})",
            figures::SPREAD_DEPTH,
            5.0 * figures::SPREAD_DEPTH as f64 / n as f64
        )?;
    }
    Ok(out)
}

/// Every figure of the chapter.
pub fn figures() -> Result<Vec<Figure>, Box<dyn Error>> {
    figures::all()
}
