#![doc = include_str!("../../../src/ch07-implicit-bias.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch07-implicit-bias.md");

pub mod asymptotics;
pub mod error;
pub mod exercises;
pub mod experiments;
pub mod fast;
#[cfg(feature = "book")]
pub mod figures;
pub mod homogeneous;
pub mod logistic;
pub mod minnorm;
pub mod svm;
pub mod tasks;

pub use asymptotics::*;
pub use ch06_generalization::{Data, mean_se, min_norm, normal};
pub use error::{Error, Result};
pub use experiments::Settings;
pub use homogeneous::*;
pub use logistic::*;
pub use minnorm::*;
pub use nalgebra::{DMatrix, DVector};
pub use svm::*;
pub use tasks::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error as StdError;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner and its command line (`--steps`) see it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::with_settings::<Settings>("ch07-implicit-bias");

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
        let c = &r.convergence;
        writeln!(
            out,
            "max-margin direction of {} points: margin {:.6}, certified to sin θ ≤ {:.1e} after {} sweeps; support vectors {:?}",
            c.points.len(),
            c.svm.margin(),
            c.svm.angle_bound(),
            c.svm.sweeps,
            c.svm.support_vectors(&c.points, 1e-6)
        )?;
        writeln!(
            out,
            "gradient descent, η = {:.4} (1/β): angle to it, measured and predicted from ŵ ln t + ρ; t L(t) (limit {:.4})",
            c.eta, c.asymptote.loss_times_t
        )?;
        for (t, w) in c
            .gradient
            .steps
            .iter()
            .zip(&c.gradient.w)
            .filter(|(t, _)| is_power_of_ten(**t))
        {
            let tf = *t as f64;
            writeln!(
                out,
                "  t = {t:>9}: {:.3e} (predicted {:.3e}), t L = {:.4}, ‖w‖ = {:.3}",
                angle(w, &c.svm.w),
                c.asymptote.angle(tf),
                tf * loss(&c.points, w),
                w.norm()
            )?;
        }
        for (t, w) in c
            .normalized
            .steps
            .iter()
            .zip(&c.normalized.w)
            .filter(|(t, _)| is_power_of_ten(**t))
        {
            writeln!(
                out,
                "  normalized steps of {}: t = {t:>9}: angle {:.3e}",
                experiments::NORMALIZED_ETA,
                angle(w, &c.svm.w)
            )?;
        }
        let g = &r.geometry;
        let l1 = DVector::from_vec(g.l1.to_vec());
        let (gd, sd) = (
            g.gradient.w.last().unwrap(),
            g.steepest_l1.w.last().unwrap(),
        );
        writeln!(
            out,
            "geometry: L1 and L2 max-margin directions {:.4} rad apart; after {} steps gradient descent is {:.3e} from L2's, steepest L1 descent {:.3e} from L1's",
            angle(&l1, &g.l2.w),
            g.gradient.steps.last().unwrap(),
            angle(gd, &g.l2.w),
            angle(sd, &l1)
        )?;
        let first = r
            .network
            .iter()
            .find(|p| p.1 * 40.0 < std::f64::consts::LN_2);
        let last = r.network.last().unwrap();
        if let Some(first) = first {
            writeln!(
                out,
                "two-layer ReLU net without biases: every point classified with n L < ln 2 from t = {}; normalized margin {:.4} then, {:.4} at t = {}",
                first.0, first.2, last.2, last.0
            )?;
        }
        let i = &r.iris;
        let (gd, ngd) = (i.gradient.w.last().unwrap(), i.normalized.w.last().unwrap());
        writeln!(
            out,
            "iris setosa vs versicolor (petals, with offset): margin {:.4}, support vectors {:?}; after {} steps gradient descent is {:.3e} rad from it, normalized descent after {} steps {:.3e}",
            i.svm.margin(),
            i.svm.support_vectors(&i.points, 1e-6),
            i.gradient.steps.last().unwrap(),
            angle(gd, &i.svm.w),
            i.normalized.steps.last().unwrap(),
            angle(ngd, &i.svm.w)
        )?;
        Ok(out)
    })
}

/// Whether `t` is 1, 10, 100, …
#[cfg(feature = "book")]
fn is_power_of_ten(t: usize) -> bool {
    let mut t = t;
    while t >= 10 && t.is_multiple_of(10) {
        t /= 10;
    }
    t == 1
}

#[cfg(test)]
mod tests;
