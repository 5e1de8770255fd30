#![doc = include_str!("../../../src/ch08-physics.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch08-physics.md");

pub mod error;
pub mod exercises;
pub mod experiments;
#[cfg(feature = "book")]
pub mod figures;
pub mod isometry;
pub mod ode;
pub mod quadrature;
pub mod signal;
pub mod simulate;
pub mod trainability;

pub use ch03_backprop::Activation;
pub use error::{Error, Result};
pub use experiments::Settings;
pub use isometry::*;
pub use nalgebra::{DMatrix, DVector};
pub use ode::*;
pub use quadrature::*;
pub use signal::*;
pub use simulate::*;
pub use trainability::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use book_support::stats::mean_se;
#[cfg(feature = "book")]
use std::error::Error as StdError;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner and its command line (`--seed`,
/// `--sigma-b2`, `--width`) see it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::with_settings::<Settings>("ch08-physics");

#[cfg(feature = "book")]
impl book_support::cli::Settings for Settings {
    fn report(&self) -> std::result::Result<String, Box<dyn StdError>> {
        report_with(self)
    }
    fn figures(&self) -> std::result::Result<Vec<Figure>, Box<dyn StdError>> {
        figures::all(self)
    }
}

/// The chapter's headline results for the given settings.
#[cfg(feature = "book")]
pub fn report_with(s: &Settings) -> std::result::Result<String, Box<dyn StdError>> {
    experiments::with_results(s, |r| {
        let mut out = String::new();
        writeln!(
            out,
            "tanh, σ_b² = {}: critical σ_w² = {:.6} (χ₁ = 1); critical line from σ_w² = {:.4} at σ_b² = 0 to {:.4} at σ_b² = {}",
            s.sigma_b2,
            r.critical,
            r.critical_line[0].1,
            r.critical_line.last().unwrap().1,
            r.critical_line.last().unwrap().0
        )?;
        for (w, d) in r.scales.iter().filter(|(w, _)| w.fract() == 0.0) {
            writeln!(
                out,
                "  σ_w² = {w}: q* = {:.4}, χ₁ = {:.4}, c* = {:.4}, ξ_q = {:.2}, ξ_c = {:.2}",
                d.q_star, d.chi1, d.c_star, d.xi_q, d.xi_c
            )?;
        }
        writeln!(
            out,
            "wide networks (width {}, {} networks, depth {}): measured vs mean field at the last layer",
            s.width,
            experiments::SIMULATION.2,
            experiments::SIMULATION.0
        )?;
        for sim in &r.simulated {
            let (q, c) = mean_field_trace(
                &sim.map,
                experiments::SIMULATION.0,
                experiments::SIMULATION_START,
            );
            let e = &sim.ensemble;
            writeln!(
                out,
                "  {} σ_w² = {:.4}: q {:.4} ± {:.4} (map {:.4}), c {:.4} ± {:.4} (map {:.4}), gain {:.4} ± {:.4} (χ₁ {:.4})",
                sim.map.activation().name(),
                sim.map.sigma_w2(),
                e.q.0,
                e.q.1,
                q.last().unwrap(),
                e.c.0,
                e.c.1,
                c.last().unwrap(),
                e.gain.0,
                e.gain.1,
                sim.map.chi1(sim.map.fixed_length(1.0)?)
            )?;
        }
        let h = &r.heatmap;
        let trained: usize = h.losses.iter().flatten().filter(|&&l| h.trained(l)).count();
        writeln!(
            out,
            "trainability: {trained} of {} networks trained (loss below a tenth of the constant predictor's {:.3}); depths {:?}",
            h.sigma_w2s.len() * h.depths.len(),
            h.constant,
            h.depths
        )?;
        for (w, row) in h.sigma_w2s.iter().zip(&h.losses) {
            let cells: Vec<String> = row.iter().map(|l| format!("{l:.3}")).collect();
            writeln!(out, "  σ_w² = {w:.1}: {}", cells.join(" "))?;
        }
        for (map, weights, spectra) in &r.isometry {
            let last = experiments::ISOMETRY_DEPTHS.len() - 1;
            let (m, se) = mean_se(&spectra.iter().map(|s| s[last].spread).collect::<Vec<_>>());
            writeln!(
                out,
                "isometry, {} with {} weights, depth {}: spread {:.3} ± {:.3} (predicted {:.3})",
                map.activation().name(),
                weights.name(),
                experiments::ISOMETRY_DEPTHS[last],
                m,
                se,
                predicted_spread(map, *weights, experiments::ISOMETRY_DEPTHS[last])?
            )?;
        }
        let o = &r.ode;
        for (method, errors) in &o.errors {
            writeln!(
                out,
                "ODE, {:?} (order {}): error {:.2e} at L = {} to {:.2e} at L = {}",
                method,
                method.order(),
                errors[0],
                experiments::ODE_STEPS[0],
                errors.last().unwrap(),
                experiments::ODE_STEPS.last().unwrap()
            )?;
        }
        writeln!(
            out,
            "gradient through L Euler blocks vs the adjoint: relative gap {:.2e} at L = {}, {:.2e} at L = {}",
            o.backprop_gaps[0],
            experiments::ODE_STEPS[0],
            o.backprop_gaps.last().unwrap(),
            experiments::ODE_STEPS.last().unwrap()
        )?;
        Ok(out)
    })
}

#[cfg(test)]
mod tests;
