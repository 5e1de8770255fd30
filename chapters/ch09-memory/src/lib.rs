#![doc = include_str!("../../../src/ch09-memory.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch09-memory.md");

pub mod capacity;
pub mod cover;
pub mod error;
pub mod exercises;
pub mod experiments;
#[cfg(feature = "book")]
pub mod figures;
pub mod hopfield;
pub mod modern;
pub mod patterns;
pub mod perceptron;

pub use capacity::*;
pub use cover::*;
pub use error::{Error, Result};
pub use experiments::Settings;
pub use hopfield::*;
pub use modern::*;
pub use nalgebra::{DMatrix, DVector};
pub use patterns::*;
pub use perceptron::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error as StdError;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner and its command line (`--seed`, `--scale`)
/// see it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::with_settings::<Settings>("ch09-memory");

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
        let a = &r.audit;
        writeln!(
            out,
            "energy audit ({} runs, N = {}, P = {}): {} updates checked, {} increases, {} mismatches with −Δs_i N h_i, {} runs at a fixed point",
            experiments::ENERGY.2,
            experiments::ENERGY.0,
            experiments::ENERGY.1,
            a.updates,
            a.increases,
            a.mismatches,
            a.converged
        )?;
        writeln!(
            out,
            "unstable stored bits at N = {}:",
            experiments::UNSTABLE_N
        )?;
        for &(p, (m, se), exact) in &r.unstable {
            let alpha = p as f64 / experiments::UNSTABLE_N as f64;
            writeln!(
                out,
                "  α = {alpha:.2}: simulated {m:.5} ± {se:.5}, exact {exact:.5}, Φ(−1/√α) = {:.5}",
                unstable_asymptotic(alpha)?
            )?;
        }
        for (n, points) in &r.retrieval {
            let row: Vec<String> = points
                .iter()
                .map(|(a, m, _)| format!("{a:.2}:{m:.3}"))
                .collect();
            writeln!(out, "retrieval overlap, N = {n}: {}", row.join(" "))?;
        }
        for (n, points) in &r.cover {
            let row: Vec<String> = points
                .iter()
                .map(|&(p, f, u)| {
                    format!(
                        "P={p}: {f:.3} (Cover {:.3}{})",
                        cover_probability(p, *n).unwrap_or(f64::NAN),
                        if u > 0 {
                            format!(", {u} undecided")
                        } else {
                            String::new()
                        }
                    )
                })
                .collect();
            writeln!(out, "separable labelings, N = {n}: {}", row.join("; "))?;
        }
        let row: Vec<String> = r
            .memory
            .iter()
            .map(|(m, c, d)| format!("M={m}: {c:.2}/{d:.2}"))
            .collect();
        writeln!(
            out,
            "exact retrieval, classical/modern (d = {}): {}",
            experiments::MEMORY_D,
            row.join(" ")
        )?;
        Ok(out)
    })
}

#[cfg(test)]
mod tests;
