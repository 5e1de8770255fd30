#![doc = include_str!("../../../src/ch10-trustworthy.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch10-trustworthy.md");

pub mod ablation;
pub mod calibration;
pub mod certify;
pub mod data;
pub mod decay;
pub mod exercises;
pub mod experiments;
#[cfg(feature = "book")]
pub mod figures;
pub mod recipe;

pub use ablation::*;
pub use book_support::stats::mean_se;
pub use calibration::*;
pub use certify::*;
pub use ch03_backprop::Activation;
pub use data::*;
pub use decay::*;
pub use experiments::Settings;
pub use nalgebra::{DMatrix, DVector};
pub use recipe::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner and its command line (`--seed`, `--seeds`,
/// `--data`) see it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::with_settings::<Settings>("ch10-trustworthy");

#[cfg(feature = "book")]
impl book_support::cli::Settings for Settings {
    fn report(&self) -> Result<String, Box<dyn Error>> {
        report_with(self)
    }
    fn figures(&self) -> Result<Vec<Figure>, Box<dyn Error>> {
        figures::all(self)
    }
}

/// The chapter's headline results for the given settings.
#[cfg(feature = "book")]
pub fn report_with(s: &Settings) -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    let tuning = experiments::tuning(s)?;
    let grid: Vec<String> = tuning
        .points
        .iter()
        .map(|(l, m, se)| format!("{l:.0e}: {m:.4} ± {se:.4}"))
        .collect();
    writeln!(
        out,
        "validation loss by weight decay ({}), smallest at λ = {:.0e}",
        grid.join(", "),
        tuning.lambda
    )?;
    writeln!(
        out,
        "difference quotients of the validation loss in λ at δ/λ = {:?}:",
        experiments::RELATIVE_STEPS
    )?;
    for ((activation, steps), q) in experiments::QUOTIENT_RUNS
        .iter()
        .zip(experiments::quotients(s)?)
    {
        let q: Vec<String> = q.iter().map(|v| format!("{v:.4e}")).collect();
        writeln!(
            out,
            "  {} after {steps:>3} steps: {}",
            activation.name(),
            q.join(", ")
        )?;
    }
    let a = experiments::ablation(s)?;
    let full = a.full();
    writeln!(
        out,
        "ablation, {} seeds, test split (paired change against the full recipe):",
        s.seeds
    )?;
    for row in &a.rows {
        let (l, acc) = (row.loss(), row.accuracy());
        let (dl, da) = (row.loss_change(full), row.accuracy_change(full));
        let real = |e: &Estimate| if e.is_real() { " *" } else { "" };
        write!(
            out,
            "  {:<46} accuracy {:.4} ± {:.4} ({:+.4} ± {:.4}{})",
            figures::row_name(row),
            acc.mean,
            acc.se,
            da.mean,
            da.se,
            real(&da)
        )?;
        if row.failed > 0 {
            writeln!(
                out,
                ", {} of {} runs diverged",
                row.failed,
                row.scores.len()
            )?;
        } else {
            writeln!(
                out,
                ", loss {:.4} ± {:.4} ({:+.4} ± {:.4}{})",
                l.mean,
                l.se,
                dl.mean,
                dl.se,
                real(&dl)
            )?;
        }
    }
    writeln!(out, "  (* more than four standard errors from zero)")?;
    for (rob, bound) in experiments::robustness(s)?.iter().zip(experiments::BOUNDS) {
        let at = |eps: f64| rob.curve.iter().find(|p| (p.eps - eps).abs() < 1e-9);
        let p = at(0.25).ok_or("no point at ε = 0.25")?;
        writeln!(
            out,
            "{:<14} K = {:>7.3}: clean {:.3}, at ε = 0.25 certified {:.3}, robust {:.3}; {} attacks succeeded, {} inside a certified radius",
            figures::bound_name(bound),
            rob.lipschitz,
            rob.clean,
            p.certified,
            p.robust,
            rob.successes,
            rob.violations
        )?;
    }
    let cal = experiments::calibration(s)?;
    let c = cal.networks.first().ok_or("no calibrated network")?;
    writeln!(
        out,
        "temperature scaling, first network: T = {:.4}, test NLL {:.4} → {:.4} (drop {:.4} ± {:.4}), ECE {:.4} → {:.4} (bootstrap SE of the drop {:.4}), {} predictions changed",
        c.temperature,
        c.nll[0],
        c.nll[1],
        cal.nll_drop.0,
        cal.nll_drop.1,
        c.ece[0],
        c.ece[1],
        cal.ece_drop_se,
        c.changed
    )?;
    let each = |f: &dyn Fn(&Calibrated) -> f64| {
        book_support::stats::mean_se(&cal.networks.iter().map(f).collect::<Vec<_>>())
    };
    let (t, t_se) = each(&|c| c.temperature);
    let (dn, dn_se) = each(&|c| c.nll[0] - c.nll[1]);
    let (de, de_se) = each(&|c| c.ece[0] - c.ece[1]);
    writeln!(
        out,
        "  over {} networks: T = {t:.3} ± {t_se:.3} (smallest {:.3}), NLL drop {dn:.4} ± {dn_se:.4}, ECE drop {de:.4} ± {de_se:.4}, {} predictions changed",
        cal.networks.len(),
        cal.networks
            .iter()
            .map(|c| c.temperature)
            .fold(f64::INFINITY, f64::min),
        cal.networks.iter().map(|c| c.changed).sum::<usize>()
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests;
