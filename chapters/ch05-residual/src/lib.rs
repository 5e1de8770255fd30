#![doc = include_str!("../../../src/ch05-residual.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch05-residual.md");

pub mod block;
pub mod equivalence;
pub mod exercises;
pub mod experiments;
#[cfg(feature = "book")]
pub mod figures;
pub mod nets;
pub mod paths;
pub mod signal;
pub mod stochastic;
pub mod training;

pub use block::Residual;
pub use ch03_backprop::{
    Activation, DMatrix, DVector, EngineError, Loss, Mlp, Workspace, normal, relative_error,
};
pub use equivalence::*;
pub use experiments::Settings;
pub use nets::*;
pub use paths::*;
pub use signal::*;
pub use stochastic::*;
pub use training::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner and its command line (`--depth`, `--seed`,
/// `--survival`) see it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::with_settings::<Settings>("ch05-residual");

#[cfg(feature = "book")]
impl book_support::cli::Settings for Settings {
    fn report(&self) -> Result<String, Box<dyn Error>> {
        report_with(self)
    }
    fn figures(&self) -> Result<Vec<Figure>, Box<dyn Error>> {
        figures_with(self)
    }
}

/// The chapter's headline results for the given settings.
#[cfg(feature = "book")]
pub fn report_with(s: &Settings) -> Result<String, Box<dyn Error>> {
    use experiments::*;
    experiments::with_results(s, |r| {
        let mut out = String::new();
        let setup = training::DepthSetup::BOOK;
        writeln!(
            out,
            "same task and budget ({} steps, η = {}, momentum {}, clipped to norm {}): final loss / best constant loss",
            setup.steps, setup.eta, setup.momentum, setup.clip
        )?;
        for (body, depth, run) in &r.depth_runs {
            let name = match body {
                Body::Plain => "plain",
                Body::Residual(_) => "residual",
            };
            writeln!(
                out,
                "  {name:<8} depth {depth:>4}: {:.4}",
                run.final_loss() / r.constant_loss
            )?;
        }
        let [plain, residual] = &r.init_gradients;
        writeln!(
            out,
            "per-layer gradient norms at initialization, depth {}: span {:.1} decades (plain), {:.2} (residual)",
            s.depth,
            decades_spanned(plain),
            decades_spanned(residual)
        )?;
        for (scale, logs) in FORWARD_SCALES.iter().zip(&r.forward_logs) {
            writeln!(
                out,
                "forward signal, {FORWARD_DEPTH} blocks, {scale:?}: mean log10 ‖x_L‖²/‖x_0‖² = {:.2} (log10 of the exact mean {:.2})",
                logs[FORWARD_DEPTH],
                scale.expected_growth(FORWARD_WIDTH, FORWARD_DEPTH).log10()
            )?;
        }
        let paths = binomial_pmf(PATH_BLOCKS as u32, 0.5)?;
        let sigma2 = PATH_SIGMA2;
        let energy = expected_energy(PATH_BLOCKS as u32, sigma2)?;
        writeln!(
            out,
            "{PATH_BLOCKS} blocks: mean path length {:.1}; linear branches with σ² = {sigma2}: mean length of the gradient energy {:.2}, share of paths of length ≤ 20: {:.4}, of the gradient energy: {:.4}",
            mean_length(&paths),
            mean_length(&energy),
            share_up_to(&paths, 20),
            share_up_to(&energy, 20)
        )?;
        let d = training::DigitsSetup::BOOK;
        let sd = Survival::linear(PATH_BLOCKS, s.survival)?;
        writeln!(
            out,
            "stochastic depth, {PATH_BLOCKS} blocks, p_L = {}: expected active blocks {:.2} (sd {:.3}), compute saved {:.1}%",
            s.survival,
            sd.expected_active(),
            sd.variance_active().sqrt(),
            100.0 * (1.0 - sd.expected_active() / PATH_BLOCKS as f64)
        )?;
        let [(l0, a0), (l1, a1), (l2, a2)] = r.digits_test;
        writeln!(
            out,
            "digits, {} residual blocks of width {}, {} steps: test loss {l0:.4}, accuracy {:.1}%",
            d.depth,
            d.width,
            d.steps,
            100.0 * a0
        )?;
        writeln!(
            out,
            "  with stochastic depth (p_L = {}): test loss {l1:.4} / accuracy {:.1}% unscaled, {l2:.4} / {:.1}% with x + p F(x)",
            s.survival,
            100.0 * a1,
            100.0 * a2
        )?;
        let m = &r.mismatch;
        let (ms, ms_se) = mean_and_se(&m.mean_square_training);
        writeln!(
            out,
            "  train/test gap of the mean of x_L: {:.3} unscaled, {:.3} with the rule (Monte Carlo noise {:.3}); mean square {ms:.2} ± {ms_se:.2} training, {:.2} unscaled, {:.2} with the rule",
            m.mean_gap_full,
            m.mean_gap_expected,
            m.gap_se,
            m.mean_square_full,
            m.mean_square_expected
        )?;
        Ok(out)
    })
}

/// Every figure of the chapter for the given settings.
#[cfg(feature = "book")]
pub fn figures_with(s: &Settings) -> Result<Vec<Figure>, Box<dyn Error>> {
    figures::all(s)
}
