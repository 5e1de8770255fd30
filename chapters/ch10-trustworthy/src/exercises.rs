//! Solutions to the chapter's exercises.

use crate::calibration::expected_calibration_error;
use crate::certify::{certified_radii, input_gradients};
use crate::recipe::naive_cross_entropy;
use ch03_backprop::Mlp;
use ch06_generalization::sign;
use nalgebra::DMatrix;
use rand::RngExt;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The logits `(s, 0, …, 0)` of ten classes, one example.
fn logits(s: f64) -> DMatrix<f64> {
    let mut z = DMatrix::zeros(crate::data::CLASSES, 1);
    z[(0, 0)] = s;
    z
}

// ANCHOR: naive_threshold
/// Exercise 1: the smallest `s` at which the textbook cross-entropy of the
/// logits `(s, 0, …, 0)`, label 0, is `NaN`, by bisection on `[0, 1000]`
/// down to adjacent floating-point numbers. Errors: no `NaN` at 1000, or
/// one at 0.
pub fn naive_threshold() -> Result<f64> {
    let mut y = DMatrix::zeros(crate::data::CLASSES, 1);
    y[(0, 0)] = 1.0;
    let breaks = |s: f64| naive_cross_entropy(&logits(s), &y).0.is_nan();
    let (mut lo, mut hi) = (0.0f64, 1000.0f64);
    if breaks(lo) || !breaks(hi) {
        return Err("the naive loss does not break inside [0, 1000]".into());
    }
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            return Ok(hi);
        }
        if breaks(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
}
// ANCHOR_END: naive_threshold

/// The stable cross-entropy (chapter 2) of the logits `(s, 0, …, 0)`,
/// label 0. Errors: logits with no softmax.
pub fn stable_cross_entropy_at(s: f64) -> Result<f64> {
    Ok(ch02_softmax::cross_entropy(logits(s).as_slice(), 0)?)
}

// ANCHOR: linf
/// Exercise 2: certified radii for perturbations with every one of `d`
/// inputs changed by at most ε: an `ℓ∞` ball of radius ε lies inside the
/// Euclidean ball of radius `ε √d`, so the Euclidean radius divided by
/// `√d`. Errors: those of [`certified_radii`].
pub fn linf_radii(logits: &DMatrix<f64>, labels: &[u8], k: f64, d: usize) -> Result<Vec<f64>> {
    let scale = (d as f64).sqrt();
    Ok(certified_radii(logits, labels, k)?
        .into_iter()
        .map(|r| r / scale)
        .collect())
}

/// Projected gradient ascent in `ℓ∞` (Madry et al. 2018's own setting):
/// `steps` sign-gradient steps of `2.5 ε_j / steps` on image `j`, each
/// followed by clipping every coordinate of the perturbation to
/// `[−ε_j, ε_j]`. Errors: a radius per image that is negative or not
/// finite, or of the wrong count; those of the engine.
pub fn linf_attack(
    net: &Mlp,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    eps: &[f64],
    steps: usize,
) -> Result<DMatrix<f64>> {
    if eps.len() != x.ncols() || eps.iter().any(|e| !(e.is_finite() && *e >= 0.0)) {
        return Err("one finite nonnegative radius per image".into());
    }
    let mut adv = x.clone();
    for _ in 0..steps {
        let g = input_gradients(net, &adv, y)?;
        for j in 0..x.ncols() {
            let alpha = 2.5 * eps[j] / steps as f64;
            for i in 0..x.nrows() {
                let step = alpha * sign(g[(i, j)]);
                let delta = (adv[(i, j)] + step - x[(i, j)]).clamp(-eps[j], eps[j]);
                adv[(i, j)] = x[(i, j)] + delta;
            }
        }
    }
    Ok(adv)
}
// ANCHOR_END: linf

// ANCHOR: calibrated
/// Exercise 3: the mean and standard error, over `repeats` repetitions, of
/// the ECE of `n` predictions from a perfectly calibrated predictor:
/// confidence `c` uniform on `[0.1, 1]`, right with probability exactly
/// `c`. Errors: `n` or `repeats` below 2.
pub fn calibrated_ece(n: usize, repeats: usize, seed: u64) -> Result<(f64, f64)> {
    if n < 2 || repeats < 2 {
        return Err("need at least two predictions and two repetitions".into());
    }
    let mut rng = book_support::seeded(seed);
    let eces = simulated_ece(repeats, &mut rng, |rng| {
        (0..n).map(|_| rng.random_range(0.1..1.0)).collect()
    })?;
    Ok(book_support::stats::mean_se(&eces))
}

/// The same floor for given confidences: each prediction right with
/// probability exactly its confidence, `repeats` times; the mean and
/// standard error of the ECE. Errors: those of [`ece_draws`].
pub fn ece_floor(confidences: &[f64], repeats: usize, seed: u64) -> Result<(f64, f64)> {
    Ok(book_support::stats::mean_se(&ece_draws(
        confidences,
        repeats,
        seed,
    )?))
}

/// The ECE of each of `repeats` draws of outcomes for `confidences`, each
/// prediction right with probability equal to its confidence. Errors:
/// fewer than two confidences or repetitions, a confidence outside
/// `[0, 1]`.
pub fn ece_draws(confidences: &[f64], repeats: usize, seed: u64) -> Result<Vec<f64>> {
    if confidences.len() < 2 || repeats < 2 {
        return Err("need at least two predictions and two repetitions".into());
    }
    if confidences.iter().any(|c| !(0.0..=1.0).contains(c)) {
        return Err("confidences lie in [0, 1]".into());
    }
    let mut rng = book_support::seeded(seed);
    simulated_ece(repeats, &mut rng, |_| confidences.to_vec())
}

/// The ECE of each of `repeats` draws: confidences from `draw`, each right
/// with probability equal to its confidence.
fn simulated_ece<R: rand::Rng>(
    repeats: usize,
    rng: &mut R,
    mut draw: impl FnMut(&mut R) -> Vec<f64>,
) -> Result<Vec<f64>> {
    (0..repeats)
        .map(|_| {
            let predictions: Vec<(f64, bool)> = draw(rng)
                .into_iter()
                .map(|c| (c, rng.random::<f64>() < c))
                .collect();
            expected_calibration_error(&predictions)
        })
        .collect()
}
// ANCHOR_END: calibrated

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_are_errors() {
        assert!(calibrated_ece(1, 5, 0).is_err());
        assert!(calibrated_ece(5, 1, 0).is_err());
        let z = DMatrix::from_column_slice(2, 1, &[1.0, 0.0]);
        assert!(linf_radii(&z, &[0], 0.0, 4).is_err());
        assert!(linf_radii(&z, &[0, 1], 1.0, 4).is_err());
        assert!(ece_floor(&[0.5], 5, 0).is_err());
        assert!(ece_floor(&[0.5, 1.5], 5, 0).is_err());
    }
}
