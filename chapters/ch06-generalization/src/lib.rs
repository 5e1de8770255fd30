#![doc = include_str!("../../../src/ch06-generalization.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch06-generalization.md");

pub mod classify;
pub mod compass;
pub mod double_descent;
pub mod error;
pub mod exercises;
pub mod experiments;
#[cfg(feature = "book")]
pub mod figures;
pub mod ridge;
pub mod robust;
pub mod tasks;
pub mod tradeoff;
pub mod unrolled;

pub use ch03_backprop::{Activation, DMatrix, DVector, Loss, Mlp, mean_se, normal};
pub use classify::*;
pub use compass::*;
pub use double_descent::*;
pub use error::{Error, Result};
pub use experiments::Settings;
pub use ridge::*;
pub use robust::*;
pub use tasks::*;
pub use tradeoff::*;
pub use unrolled::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error as StdError;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner and its command line (`--seed`, `--trials`)
/// see it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::with_settings::<Settings>("ch06-generalization");

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
        let c = &r.curve;
        let grid = experiments::curve_grid();
        let (_, l_grid, e_grid) = c.path.grid_minimum(&grid)?;
        let task = CurveTask::BOOK;
        writeln!(
            out,
            "curve, {} points, degree {}: validation error {:.4} at λ = 1e-8, {:.4} at the grid minimum λ = {:.2e}, {:.4} at λ = 100",
            task.train,
            task.degree,
            c.errors[0].2,
            e_grid,
            l_grid,
            c.errors[grid.len() - 1].2
        )?;
        for d in &c.descents {
            let (first, last) = (d[0], d[d.len() - 1]);
            writeln!(
                out,
                "  descent on ln λ from {:.0e}: {} steps to λ = {:.3e}, error {:.5} (dE/d ln λ = {:.1e})",
                first.lambda,
                d.len() - 1,
                last.lambda,
                last.error,
                last.slope
            )?;
        }
        let k = &r.clinic;
        let dgrid = experiments::diabetes_grid();
        let (_, dl, de) = k.path.grid_minimum(&dgrid)?;
        writeln!(
            out,
            "diabetes, {} training patients, {} quadratic features: validation error {:.0} at λ = 1e-2, {:.0} at the grid minimum λ = {:.1}, {:.0} at λ = 1e5",
            k.task.train.len(),
            k.task.train.features(),
            k.path.error(dgrid[0])?,
            de,
            dl,
            k.path.error(dgrid[dgrid.len() - 1])?
        )?;
        for d in &k.descents {
            let (first, last) = (d[0], d[d.len() - 1]);
            let w = k.path.spectrum().weights(last.lambda)?;
            writeln!(
                out,
                "  descent from {:.0e}: {} steps to λ = {:.2}, validation {:.1}, test {:.1}",
                first.lambda,
                d.len() - 1,
                last.lambda,
                last.error,
                k.task.test.mse(&w)?
            )?;
        }
        writeln!(
            out,
            "double descent, n = {}, D = {}, σ = {}, {} training sets:",
            r.model.n, r.model.total, r.model.noise, s.trials
        )?;
        for p in [10, 20, 30, 38, 40, 42, 50, 100, 200] {
            if let Some(v) = experiments::risks_at(r, p) {
                let (m, se) = mean_se(&v);
                writeln!(
                    out,
                    "  p = {p:>3}: mean test error {m:.4} ± {se:.4} (exact {:.4}), median {:.4}",
                    r.model.expected_risk(p)?,
                    median(&v)
                )?;
            }
        }
        let rb = &r.robustness;
        for ((k, found), hidden) in rb.bounds.iter().zip(experiments::DEPTHS) {
            writeln!(
                out,
                "digits 0–4 vs 5–9, hidden {hidden:?}: Lipschitz bound {k:.3e}, largest ‖∇f‖ found {found:.3e}, ratio {:.1}",
                k / found
            )?;
        }
        for &(eps, lin, net, cert) in rb.attacked.iter().step_by(5) {
            writeln!(
                out,
                "  FGSM ε = {eps:.2}: accuracy linear {lin:.3}, network {net:.3}; certified {cert:.3}"
            )?;
        }
        for p in &r.slopes {
            writeln!(
                out,
                "tanh(βt), β = {:.1}: backward per layer {:+.4} ± {:.4} (mean field {:+.4}), ln K / L {:+.4}, ln‖∇f‖ / L {:+.4}",
                p.beta,
                p.backward.0,
                p.backward.1,
                p.backward_theory,
                bound_per_layer(p.beta, r.log_norm_per_layer.0),
                p.sensitivity.0
            )?;
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests;
