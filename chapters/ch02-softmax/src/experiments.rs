//! The chapter's experiments: each returns the numbers the prose states,
//! so doctests, figures and the report all compute them the same way.

use crate::accuracy::{
    central_difference_gradient, log_sum_exp_compensated, max_abs_difference, ulp_distance,
};
use crate::fast::{Kernel, fast_exp, fast_log_sum_exp_with};
use crate::softmax::{
    SoftmaxError, cross_entropy, cross_entropy_gradient, log_softmax, log_sum_exp,
    naive_log_sum_exp, softmax, softmax_then_log,
};
use book_support::rand::RngExt;

// ANCHOR: threshold
/// The boundary of `{x : pred(x)}` for a predicate that holds below some
/// point and fails above it, found by bisection on `[lo, hi]` (`pred(lo)`
/// true, `pred(hi)` false) until the interval cannot shrink: returns the
/// largest f64 for which `pred` holds, or `None` when the bracket is not
/// one (the predicate fails at `lo`, holds at `hi`, or a bound is NaN).
pub fn last_true(pred: impl Fn(f64) -> bool, mut lo: f64, mut hi: f64) -> Option<f64> {
    if !(lo < hi && pred(lo) && !pred(hi)) {
        return None;
    }
    loop {
        let mid = lo + (hi - lo) / 2.0;
        if mid == lo || mid == hi {
            return Some(lo);
        }
        if pred(mid) { lo = mid } else { hi = mid }
    }
}
// ANCHOR_END: threshold

/// The outcome of checking shift invariance on random cases.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShiftStudy {
    /// Cases tried (each one is tried on the exact grid and with real numbers).
    pub cases: usize,
    /// Cases on the exact grid (logits and shift multiples of `2^-10`, at
    /// most `2^11` in size) where the shifted softmax differed in any bit.
    pub grid_mismatches: usize,
    /// Over real-valued cases, the largest `|softmax(z + c)_i - softmax(z)_i|`
    /// divided by `ε (|c| + max_j |z_j|)`, the size of one rounding of a
    /// shifted logit.
    pub max_scaled_deviation: f64,
}

// ANCHOR: shift_study
/// Tries `cases` random logit vectors (length 2 to 32, entries in
/// `[-50, 50]`) and shifts (in `[-1000, 1000]`).
pub fn shift_study(seed: u64, cases: usize) -> Result<ShiftStudy, SoftmaxError> {
    let mut rng = book_support::seeded(seed);
    let (mut grid_mismatches, mut max_scaled_deviation) = (0, 0.0f64);
    for _ in 0..cases {
        let n = rng.random_range(2..=32);
        // On the grid every sum z_i + c is exact.
        let z: Vec<f64> = (0..n)
            .map(|_| rng.random_range(-51_200..=51_200) as f64 / 1024.0)
            .collect();
        let c = rng.random_range(-1_024_000..=1_024_000) as f64 / 1024.0;
        let shifted: Vec<f64> = z.iter().map(|v| v + c).collect();
        if softmax(&z)? != softmax(&shifted)? {
            grid_mismatches += 1;
        }
        // Off the grid z_i + c rounds; measure by how much.
        let z: Vec<f64> = (0..n).map(|_| rng.random_range(-50.0..50.0)).collect();
        let c: f64 = rng.random_range(-1000.0..1000.0);
        let shifted: Vec<f64> = z.iter().map(|v| v + c).collect();
        let rounding = f64::EPSILON * (c.abs() + z.iter().fold(0.0f64, |m, v| m.max(v.abs())));
        let change = max_abs_difference(&softmax(&z)?, &softmax(&shifted)?).unwrap_or(f64::NAN);
        max_scaled_deviation = max_scaled_deviation.max(change / rounding);
    }
    Ok(ShiftStudy {
        cases,
        grid_mismatches,
        max_scaled_deviation,
    })
}
// ANCHOR_END: shift_study

// ANCHOR: gradient_check
/// The largest gap, over `cases` random problems (`classes` logits in
/// `[-5, 5]`, a random target), between the analytic gradient `p - y` and
/// central differences of the loss with step `h`.
/// Errors: zero classes ([`SoftmaxError::Empty`]) or a bad step.
pub fn gradient_check(
    seed: u64,
    cases: usize,
    classes: usize,
    h: f64,
) -> Result<f64, Box<dyn std::error::Error>> {
    if classes == 0 {
        return Err(SoftmaxError::Empty.into());
    }
    let mut rng = book_support::seeded(seed);
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let z: Vec<f64> = (0..classes).map(|_| rng.random_range(-5.0..5.0)).collect();
        let target = rng.random_range(0..classes);
        let analytic = cross_entropy_gradient(&z, target)?;
        let loss = |v: &[f64]| cross_entropy(v, target).unwrap_or(f64::NAN);
        let numeric = central_difference_gradient(loss, &z, h)?;
        worst = worst.max(max_abs_difference(&analytic, &numeric).unwrap_or(f64::NAN));
    }
    Ok(worst)
}
// ANCHOR_END: gradient_check

/// The gradient-check error as a function of the step: `(h, error)` for
/// `h = 10^e`, `e` from `-13` to `-1` in steps of a quarter.
pub fn gradient_check_curve(seed: u64) -> Result<Vec<(f64, f64)>, Box<dyn std::error::Error>> {
    (0..=48)
        .map(|i| {
            let h = 10f64.powf(-13.0 + 0.25 * i as f64);
            Ok((h, gradient_check(seed, 20, 10, h)?))
        })
        .collect()
}

/// The least-squares slope of `log10 y` against `log10 x` over the points
/// with `lo <= x <= hi`; NaN with fewer than two such points.
pub fn log_log_slope(points: &[(f64, f64)], lo: f64, hi: f64) -> f64 {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, _)| (lo..=hi).contains(x))
        .map(|(x, y)| (x.log10(), y.log10()))
        .collect();
    let n = logs.len() as f64;
    if logs.len() < 2 {
        return f64::NAN;
    }
    let (mx, my) = logs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let sxy: f64 = logs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

/// The relative error `|a - b| / |b|` (0 when both are equal, including
/// equal infinities; `inf` when `a` is not finite but `b` is).
pub fn relative_error(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else if !a.is_finite() {
        f64::INFINITY
    } else {
        ((a - b) / b).abs()
    }
}

/// The two cliffs of the chapter's figure, for each `t`: the relative error
/// of the naive log-sum-exp of `[t, 0]` and of `ln(softmax([0, -t]))[1]`,
/// each against the stable computation.
pub fn cliffs(ts: &[f64]) -> Result<Vec<(f64, f64, f64)>, SoftmaxError> {
    ts.iter()
        .map(|&t| {
            let overflow = relative_error(naive_log_sum_exp(&[t, 0.0]), log_sum_exp(&[t, 0.0]));
            let underflow = relative_error(
                softmax_then_log(&[0.0, -t])?[1],
                log_softmax(&[0.0, -t])?[1],
            );
            Ok((t, overflow, underflow))
        })
        .collect()
}

/// How [`fast_exp`] compares with `f64::exp`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExpAccuracy {
    pub points: usize,
    /// The largest distance in units in the last place.
    pub max_ulps: u64,
    /// The largest relative difference.
    pub max_relative: f64,
    /// The fraction of points where both agree in every bit.
    pub identical_fraction: f64,
}

// ANCHOR: exp_accuracy
/// Compares [`fast_exp`] with `f64::exp` at `points` evenly spaced points
/// covering every x whose exponential is a normal f64:
/// `ln(f64::MIN_POSITIVE) <= x <= ln(f64::MAX)`. Zero points give zero
/// distances and a NaN fraction.
pub fn exp_accuracy(points: usize) -> ExpAccuracy {
    let (lo, hi) = (f64::MIN_POSITIVE.ln(), f64::MAX.ln());
    let (mut max_ulps, mut max_relative, mut identical) = (0, 0.0f64, 0);
    for i in 0..points {
        let x = lo + (hi - lo) * i as f64 / points.saturating_sub(1).max(1) as f64;
        let (fast, libm) = (fast_exp(x), x.exp());
        let ulps = ulp_distance(fast, libm);
        max_ulps = max_ulps.max(ulps);
        max_relative = max_relative.max(((fast - libm) / libm).abs());
        identical += usize::from(ulps == 0);
    }
    ExpAccuracy {
        points,
        max_ulps,
        max_relative,
        identical_fraction: identical as f64 / points as f64,
    }
}
// ANCHOR_END: exp_accuracy

/// How the fast and the plain log-sum-exp compare with the careful one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LseAgreement {
    /// Largest relative difference of [`crate::fast_log_sum_exp`] (every
    /// kernel) from [`log_sum_exp_compensated`].
    pub fast_max_relative: f64,
    /// The same for the plain two-pass [`log_sum_exp`].
    pub plain_max_relative: f64,
    /// Inputs on which some kernel gave other bits than the portable one.
    pub kernel_mismatches: usize,
    /// Inputs tried.
    pub inputs: usize,
}

// ANCHOR: lse_agreement
/// Draws `inputs` vectors of `n` logits, uniform in `[-s, s]` for scales
/// `s` cycling through 1, 10, 100 and 1000, and compares the fast (on
/// every available kernel) and plain log-sum-exp with the careful one.
pub fn lse_agreement(seed: u64, inputs: usize, n: usize) -> LseAgreement {
    let mut rng = book_support::seeded(seed);
    let (mut fast_max_relative, mut plain_max_relative, mut kernel_mismatches) =
        (0.0f64, 0.0f64, 0);
    for i in 0..inputs {
        let s = 10f64.powi((i % 4) as i32);
        let z: Vec<f64> = (0..n).map(|_| rng.random_range(-s..s)).collect();
        let careful = log_sum_exp_compensated(&z);
        let portable = fast_log_sum_exp_with(Kernel::Portable, &z).unwrap_or(f64::NAN);
        for kernel in Kernel::available() {
            let fast = fast_log_sum_exp_with(kernel, &z).unwrap_or(f64::NAN);
            kernel_mismatches += usize::from(fast.to_bits() != portable.to_bits());
            fast_max_relative = fast_max_relative.max(relative_error(fast, careful));
        }
        plain_max_relative = plain_max_relative.max(relative_error(log_sum_exp(&z), careful));
    }
    LseAgreement {
        fast_max_relative,
        plain_max_relative,
        kernel_mismatches,
        inputs,
    }
}
// ANCHOR_END: lse_agreement

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_true_finds_the_largest_point_where_the_predicate_holds() {
        let x = last_true(|x| x * x <= 2.0, 0.0, 2.0).unwrap();
        assert!(x * x <= 2.0 && x.next_up() * x.next_up() > 2.0);
        assert_eq!(last_true(|x| x <= 1.0, 0.0, 4.0), Some(1.0));
    }

    #[test]
    fn last_true_rejects_a_bad_bracket() {
        assert_eq!(last_true(|x| x < 0.0, 1.0, 2.0), None);
        assert_eq!(
            last_true(|x| x < 1.5, 1.0, 2.0).map(|x| x < 1.5),
            Some(true)
        );
        assert_eq!(last_true(|_| true, 1.0, 2.0), None);
        assert_eq!(last_true(|x| x < 1.5, 2.0, 1.0), None);
        assert_eq!(last_true(|x| x < 1.5, f64::NAN, 2.0), None);
    }

    #[test]
    fn log_log_slope_of_a_power_law() {
        let pts: Vec<(f64, f64)> = (1..10)
            .map(|i| (i as f64, 3.0 * (i as f64).powi(2)))
            .collect();
        assert!((log_log_slope(&pts, 0.0, 100.0) - 2.0).abs() < 1e-12);
        assert!(log_log_slope(&pts, 100.0, 200.0).is_nan());
    }

    #[test]
    fn experiments_reject_or_survive_degenerate_sizes() {
        assert!(gradient_check(1, 3, 0, 1e-5).is_err());
        assert!(gradient_check(1, 3, 4, 0.0).is_err());
        assert_eq!(gradient_check(1, 0, 4, 1e-5).unwrap(), 0.0);
        assert!(exp_accuracy(0).identical_fraction.is_nan());
        assert_eq!(exp_accuracy(1).points, 1);
        assert_eq!(lse_agreement(1, 2, 0).fast_max_relative, 0.0);
        assert_eq!(shift_study(1, 0).unwrap().grid_mismatches, 0);
    }

    #[test]
    fn relative_error_cases() {
        assert_eq!(relative_error(f64::INFINITY, f64::INFINITY), 0.0);
        assert_eq!(relative_error(f64::NAN, 1.0), f64::INFINITY);
        assert_eq!(relative_error(f64::NEG_INFINITY, -800.0), f64::INFINITY);
        assert_eq!(relative_error(1.5, 1.0), 0.5);
    }

    #[test]
    fn cliffs_fall_where_the_chapter_says() {
        let rows = cliffs(&[700.0, 709.0, 710.0, 740.0, 746.0]).unwrap();
        assert!(rows[0].1 < 1e-15 && rows[1].1 < 1e-15 && rows[2].1.is_infinite());
        assert!(
            rows[0].2 < 1e-15 && rows[3].2 > 1e-10 && rows[3].2 < 1e-2 && rows[4].2.is_infinite()
        );
    }
}
