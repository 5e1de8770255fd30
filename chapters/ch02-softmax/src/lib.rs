#![doc = include_str!("../../../src/ch02-softmax.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch02-softmax.md");

/// The appendix page on fast kernels: its prose, its claims and its doctests.
#[doc = include_str!("../../../src/ch02-softmax/fast-kernels.md")]
pub mod appendix {
    book_support::chapter!("ch02-softmax/fast-kernels.md");
}

pub mod accuracy;
pub mod exercises;
pub mod experiments;
pub mod fast;
#[cfg(feature = "book")]
pub mod figures;
pub mod formats;
pub mod softmax;

pub use accuracy::{
    BadStep, central_difference_gradient, central_differences_with, log_sum_exp_compensated,
    max_abs_difference, ulp_distance,
};
pub use experiments::{
    ExpAccuracy, LseAgreement, ShiftStudy, StepEstimate, cliffs, exp_accuracy, gradient_check,
    gradient_check_curve, gradient_step_estimate, last_true, log_log_slope, lse_agreement,
    relative_error, shift_study,
};
pub use fast::{
    Kernel, KernelUnavailable, fast_exp, fast_exp_all, fast_log_sum_exp, fast_log_sum_exp_with,
    logistic_descent_2d,
};
pub use formats::Format;
pub use softmax::{
    SoftmaxError, cross_entropy, cross_entropy_gradient, log_softmax, log_sum_exp,
    naive_log_sum_exp, naive_softmax, softmax, softmax_then_log,
};

#[cfg(feature = "book")]
use book_support::Figure;
#[cfg(feature = "book")]
use std::error::Error;
#[cfg(feature = "book")]
use std::fmt::Write;

/// The chapter, as the runner sees it.
#[cfg(feature = "book")]
pub const CHAPTER: book_support::cli::Chapter =
    book_support::cli::Chapter::new("ch02-softmax", report, figures);

/// The chapter's headline results, as `cargo run -p ch02-softmax` prints them.
#[cfg(feature = "book")]
pub fn report() -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    let overflow =
        last_true(|x| x.exp().is_finite(), 0.0, 1000.0).ok_or("no overflow threshold")?;
    let zero = last_true(|x| x.exp() == 0.0, -1000.0, 0.0).ok_or("no underflow threshold")?;
    writeln!(
        out,
        "exp overflows above x = {overflow} (ln f64::MAX = {})",
        f64::MAX.ln()
    )?;
    for (name, format) in [
        ("f32", Format::F32),
        ("bf16", Format::BF16),
        ("fp16", Format::F16),
    ] {
        let threshold = format
            .exp_overflow_threshold()
            .ok_or("no overflow threshold")?;
        let input = format
            .largest_input_with_finite_exp()
            .ok_or("no overflow threshold")?;
        writeln!(
            out,
            "{name}: exp overflows at x = {threshold}; largest {name} input with finite exp: {input}"
        )?;
    }
    writeln!(out, "exp rounds to 0 at and below x = {zero}")?;
    writeln!(
        out,
        "naive softmax([1000, 0]) = {:?}; stable = {:?}",
        naive_softmax(&[1000.0, 0.0]),
        softmax(&[1000.0, 0.0])?
    )?;
    writeln!(
        out,
        "LSE([1000, 1000]) = {} (naive: {})",
        log_sum_exp(&[1000.0, 1000.0]),
        naive_log_sum_exp(&[1000.0, 1000.0])
    )?;
    writeln!(
        out,
        "LSE([1, 2, 3]) = {}; cross-entropy for class 3 = {}",
        log_sum_exp(&[1.0, 2.0, 3.0]),
        cross_entropy(&[1.0, 2.0, 3.0], 2)?
    )?;
    let shift = shift_study(7, 2000)?;
    writeln!(
        out,
        "shift invariance: {} bit mismatches on exact grids in {} cases; max change {:.2} roundings off the grid",
        shift.grid_mismatches, shift.cases, shift.max_scaled_deviation
    )?;
    writeln!(
        out,
        "gradient p - y vs central differences (h = 1e-5): max gap {:.2e}",
        gradient_check(11, 200, 10, 1e-5)?
    )?;
    writeln!(
        out,
        "underflow: ln(softmax([0, -800]))[1] = {}, log_softmax = {}",
        softmax_then_log(&[0.0, -800.0])?[1],
        log_softmax(&[0.0, -800.0])?[1]
    )?;
    let acc = exp_accuracy(1_000_000);
    writeln!(
        out,
        "fast_exp vs f64::exp on {} points: max {} ulp, max relative {:.2e}, {:.2}% identical",
        acc.points,
        acc.max_ulps,
        acc.max_relative,
        100.0 * acc.identical_fraction
    )?;
    let agree = lse_agreement(13, 4, 1_000_000);
    writeln!(
        out,
        "fast LSE on {} inputs of 10^6 logits (kernels: {}): max relative gap {:.2e} (plain two-pass: {:.2e}); kernel mismatches {}",
        agree.inputs,
        Kernel::available()
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", "),
        agree.fast_max_relative,
        agree.plain_max_relative,
        agree.kernel_mismatches
    )?;
    Ok(out)
}

/// Every figure of the chapter.
#[cfg(feature = "book")]
pub fn figures() -> Result<Vec<Figure>, Box<dyn Error>> {
    Ok(vec![
        figures::temperature()?,
        figures::cliffs_figure()?,
        figures::gradient_check_figure()?,
    ])
}
