#![doc = include_str!("../../../src/ch01-composition.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch01-composition.md");

pub mod compose;
pub mod exercises;
pub mod net;
#[cfg(feature = "book")]
pub mod plots;
pub mod pwl;
pub mod sawtooth;
pub mod universal;

pub use compose::*;
pub use net::*;
pub use pwl::*;
pub use sawtooth::*;
pub use universal::*;

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner sees it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::new("ch01-composition", report, figures);

/// The chapter's headline results, as `cargo run -p ch01-composition` prints them.
#[cfg(feature = "book")]
pub fn report() -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    let (ns, errors, slope) = plots::hat_error_curve()?;
    writeln!(
        out,
        "Universal approximation: hat network for sin(2πx) on [0, 1]"
    )?;
    for (n, e) in ns.iter().zip(&errors) {
        writeln!(
            out,
            "  n = {n:>5} units: max error {e:.4e}  (bound {:.4e})",
            interpolation_bound(*n, SINE_MAX_F2)
        )?;
    }
    writeln!(out, "  least-squares log-log slope: {slope:.4}")?;

    writeln!(out, "Depth: the sawtooth m^k (width 2)")?;
    for k in [1, 2, 5, 10, 15, 20] {
        let net = sawtooth_net(k)?;
        let pieces = net.to_pwl(0.0, 1.0)?.pieces();
        writeln!(
            out,
            "  k = {k:>2}: {pieces:>8} pieces from {:>2} ReLU units, {:>3} parameters; one hidden layer needs >= {} units",
            net.relu_units(),
            net.parameters(),
            pieces - 1
        )?;
    }
    writeln!(
        out,
        "  units a shallow net needs for mean error 1/4 at k = 20: >= {}",
        shallow_units_needed(20, 0.25)?
    )?;

    writeln!(out, "Compositional targets at equal parameter budgets")?;
    let sq = square_net(10)?;
    let sq_err = sup_error_square(&sq.to_pwl(0.0, 1.0)?);
    let sq_bound = square_pieces_bound(shallow_units_within(sq.parameters()) + 1);
    writeln!(
        out,
        "  x^2:            deep {} params, error {sq_err:.3e}; any shallow net with as many: error >= {sq_bound:.3e} ({:.0}x)",
        sq.parameters(),
        sq_bound / sq_err
    )?;
    let k = plots::COSINE_K;
    let cos = cosine_deep_net(k, 16)?;
    let cos_err = cos.to_pwl(0.0, 1.0)?.sup_distance(cosine_target(k)?);
    let cos_bound = cosine_pieces_bound(shallow_units_within(cos.parameters()) + 1, k);
    writeln!(
        out,
        "  cos(2^{k} pi x): deep {} params, error {cos_err:.3e}; any shallow net with as many: error >= {cos_bound:.3}",
        cos.parameters()
    )?;
    Ok(out)
}

/// Every figure of the chapter.
#[cfg(feature = "book")]
pub fn figures() -> Result<Vec<Figure>, Box<dyn Error>> {
    plots::all()
}
