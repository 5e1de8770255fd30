#![doc = include_str!("../../../src/ch04-initialization.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch04-initialization.md");

pub mod exercises;
pub mod experiments;
#[cfg(feature = "book")]
pub mod figures;
pub mod init;
pub mod signal;
pub mod training;

pub use book_support::stats::variance_se;
pub use ch03_backprop::{
    Activation, DMatrix, DVector, EngineError, Loss, MeanField, Mlp, Workspace,
    gaussian_expectation, normal, relu_log_ratio_moments, trigamma,
};
pub use experiments::{deep_widths, he, lecun, too_large, typical_log10_rms, xavier, xavier_relu};
pub use init::*;
pub use signal::*;
pub use training::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner sees it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::new("ch04-initialization", report, figures);

/// The chapter's headline results, as `cargo run -p ch04-initialization` prints them.
#[cfg(feature = "book")]
pub fn report() -> Result<String, Box<dyn Error>> {
    use experiments::*;
    let mut out = String::new();
    let he_signals = &histogram_signals()?[0];
    let r: Vec<f64> = he_signals
        .iter()
        .map(|s| s.forward[FORWARD_DEPTH - 1])
        .collect();
    let (mean, se) = mean_se(&r);
    let (mean2, se2) = mean_se(&r.iter().map(|v| v * v).collect::<Vec<_>>());
    let widths = [FORWARD_WIDTH; FORWARD_DEPTH + 1];
    let (factors, _) = relu_factors(&he(), &widths)?;
    writeln!(
        out,
        "He, {FORWARD_DEPTH} ReLU layers of width {FORWARD_WIDTH}, {FORWARD_NETS} networks: E[R] = {mean:.3} ± {se:.3} (exact 1), E[R²] = {mean2:.3} ± {se2:.3} (exact Π(1 + 5/n) = {:.4})",
        relu_ratio_moment(&factors, &widths, 2)
    )?;
    let deep = deep_signals()?;
    writeln!(
        out,
        "depth {DEEP_DEPTH}, widths alternating 32/128: log10 of the typical rms ratio at the top (measured, exact):"
    )?;
    for ((label, init), s) in deep_inits().iter().zip(&deep) {
        let p = log10_rms_profile(s)?;
        let exact = experiments::typical_log10_rms(init, &deep_widths())?;
        writeln!(
            out,
            "  {label:<40} {:>7.2} ± {:.2}   {:>7.2}",
            p.mean[DEEP_DEPTH - 1],
            p.se[DEEP_DEPTH - 1],
            exact[DEEP_DEPTH - 1]
        )?;
    }
    let mut backward = Vec::new();
    for mode in [Mode::FanIn, Mode::FanOut] {
        let s = signals(
            &he().with_mode(mode),
            &TAPER,
            Activation::Relu,
            TAPER_NETS,
            TAPER_SEED,
        )?;
        let (b, se) = mean_se(&s.iter().map(|s| s.backward).collect::<Vec<_>>());
        backward.push(format!("{mode:?} {b:.3} ± {se:.3}"));
    }
    writeln!(
        out,
        "widths {TAPER:?}, He: per-unit backward ratio {}",
        backward.join(", ")
    )?;
    let tanh = MeanField {
        activation: Activation::Tanh,
        sigma_w2: (5.0f64 / 3.0).powi(2),
    };
    let q = tanh.fixed_point(1.0);
    writeln!(
        out,
        "tanh with gain 5/3: q* = {q:.4}, per-layer backward factor √χ(q*) = {:.4}",
        tanh.chi(q).sqrt()
    )?;
    let setup = TrainSetup::default();
    let (_, y) = data(setup.points, setup.seed);
    let floor = constant_predictor_loss(&y);
    for (label, run) in training_runs()? {
        let outcome = match run.failed_at {
            Some(t) => format!("overflows at step {t}"),
            None => format!(
                "final loss {:.4} = {:.3} × the constant predictor's",
                run.final_loss(),
                run.final_loss() / floor
            ),
        };
        writeln!(out, "training, {label:<30} {outcome}")?;
    }
    Ok(out)
}

/// Every figure of the chapter.
#[cfg(feature = "book")]
pub fn figures() -> Result<Vec<Figure>, Box<dyn Error>> {
    figures::all()
}
