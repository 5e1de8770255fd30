//! Calibration: whether a classifier's confidence means what it says, the
//! expected calibration error, and temperature scaling (Guo, Pleiss, Sun
//! and Weinberger 2017) fitted on validation data.

use crate::data::check_labels;
use ch02_softmax::exercises::softmax_with_temperature;
use ch02_softmax::{cross_entropy, log_sum_exp};
use nalgebra::DMatrix;
use rand::RngExt;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Bins of the reliability diagram and of the calibration error, equal
/// widths on `[0, 1]` (Guo et al.'s choice).
pub const BINS: usize = 15;

/// The confidence (largest softmax probability at temperature `t`) and
/// whether the prediction is right, for every column of `logits`. Errors:
/// a temperature that is not positive and finite, logits with no softmax,
/// labels that do not match the columns.
pub fn confidences(logits: &DMatrix<f64>, labels: &[u8], t: f64) -> Result<Vec<(f64, bool)>> {
    check_labels(logits, labels)?;
    logits
        .column_iter()
        .zip(labels)
        .map(|(z, &y)| {
            let p = softmax_with_temperature(z.as_slice(), t)?;
            let (k, &top) = p
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .ok_or("no classes")?;
            Ok((top, k == usize::from(y)))
        })
        .collect()
}

/// One bin of a reliability diagram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bin {
    pub count: usize,
    /// Mean confidence of the predictions in the bin.
    pub confidence: f64,
    /// Fraction of them that are right.
    pub accuracy: f64,
}

// ANCHOR: ece
/// The reliability diagram: predictions binned by confidence into
/// [`BINS`] equal bins (a confidence of exactly 1 goes in the last).
pub fn reliability(predictions: &[(f64, bool)]) -> Vec<Bin> {
    let mut sums = vec![(0usize, 0.0, 0usize); BINS];
    for &(c, right) in predictions {
        let b = ((c * BINS as f64) as usize).min(BINS - 1);
        sums[b].0 += 1;
        sums[b].1 += c;
        sums[b].2 += usize::from(right);
    }
    sums.into_iter()
        .map(|(count, conf, right)| Bin {
            count,
            confidence: if count > 0 { conf / count as f64 } else { 0.0 },
            accuracy: if count > 0 {
                right as f64 / count as f64
            } else {
                0.0
            },
        })
        .collect()
}

/// The expected calibration error `Σ_b (n_b / n) |acc_b − conf_b|`: the gap
/// between confidence and accuracy, averaged over the predictions. Errors:
/// no predictions.
pub fn expected_calibration_error(predictions: &[(f64, bool)]) -> Result<f64> {
    if predictions.is_empty() {
        return Err("no predictions to calibrate".into());
    }
    let n = predictions.len() as f64;
    Ok(reliability(predictions)
        .iter()
        .map(|b| b.count as f64 / n * (b.accuracy - b.confidence).abs())
        .sum())
}
// ANCHOR_END: ece

/// The mean cross-entropy of `logits / t` against the labels. Errors: as
/// [`confidences`].
pub fn nll(logits: &DMatrix<f64>, labels: &[u8], t: f64) -> Result<f64> {
    check_temperature(t)?;
    check_labels(logits, labels)?;
    let mut total = 0.0;
    for (z, &y) in logits.column_iter().zip(labels) {
        let scaled: Vec<f64> = z.iter().map(|v| v / t).collect();
        total += cross_entropy(&scaled, usize::from(y))?;
    }
    Ok(total / labels.len() as f64)
}

fn check_temperature(t: f64) -> Result<()> {
    if !(t.is_finite() && t > 0.0) {
        return Err(format!("temperature {t} is not a positive finite number").into());
    }
    Ok(())
}

// ANCHOR: temperature
/// The temperature `T` that minimizes the validation cross-entropy of
/// `logits / T`. In `β = 1/T` the loss `mean(LSE(β z) − β z_y)` is convex
/// (log-sum-exp is convex and `β z_y` linear), with derivative
/// `mean(Σ_k p_k z_k − z_y)`, the softmax-weighted mean logit minus the
/// label's, which rises with β. Bisection on its sign over `β ∈ [1e-3,
/// 1e3]` finds the minimum to `tol` in β. Errors: no logits, or a
/// minimum outside the bracket (every prediction right with a positive
/// margin drives `T` to 0: no finite temperature is best).
pub fn fit_temperature(logits: &DMatrix<f64>, labels: &[u8], tol: f64) -> Result<f64> {
    check_labels(logits, labels)?;
    let slope = |beta: f64| -> f64 {
        let mut total = 0.0;
        for (z, &y) in logits.column_iter().zip(labels) {
            let scaled: Vec<f64> = z.iter().map(|v| beta * v).collect();
            let lse = log_sum_exp(&scaled);
            let mean: f64 = z
                .iter()
                .zip(&scaled)
                .map(|(v, s)| (s - lse).exp() * v)
                .sum();
            total += mean - z[usize::from(y)];
        }
        total / labels.len() as f64
    };
    let (mut lo, mut hi) = (1e-3, 1e3);
    if slope(lo) >= 0.0 || slope(hi) <= 0.0 {
        return Err("the best temperature lies outside [1e-3, 1e3]".into());
    }
    while hi - lo > tol * lo {
        let mid = 0.5 * (lo + hi);
        if slope(mid) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(2.0 / (lo + hi))
}
// ANCHOR_END: temperature

/// The standard error of the drop in calibration error from temperature
/// `t0` to `t1`, by `resamples` bootstrap resamples of the images (seeded).
/// Errors: as [`confidences`], fewer than two resamples.
pub fn ece_drop_se(
    logits: &DMatrix<f64>,
    labels: &[u8],
    (t0, t1): (f64, f64),
    resamples: usize,
    seed: u64,
) -> Result<f64> {
    if resamples < 2 {
        return Err("a bootstrap needs at least two resamples".into());
    }
    let before = confidences(logits, labels, t0)?;
    let after = confidences(logits, labels, t1)?;
    let mut rng = book_support::seeded(seed);
    let n = labels.len();
    let mut drops = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let pick = |p: &[(f64, bool)]| idx.iter().map(|&i| p[i]).collect::<Vec<_>>();
        drops.push(
            expected_calibration_error(&pick(&before))?
                - expected_calibration_error(&pick(&after))?,
        );
    }
    Ok(book_support::stats::mean_se(&drops).1 * (resamples as f64).sqrt())
}

/// One network's calibration on the test images, before and after the
/// temperature fitted on the validation images.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibrated {
    pub temperature: f64,
    /// Test cross-entropy at `T = 1` and at the fitted `T`.
    pub nll: [f64; 2],
    /// Test expected calibration error at `T = 1` and at the fitted `T`.
    pub ece: [f64; 2],
    /// Test predictions whose class changes with the temperature.
    pub changed: usize,
    /// The reliability diagrams before and after.
    pub bins: [Vec<Bin>; 2],
    /// The test predictions before and after scaling: confidence and
    /// whether right.
    pub before: Vec<(f64, bool)>,
    pub after: Vec<(f64, bool)>,
    /// Each test image's drop in cross-entropy from `T = 1` to the fitted
    /// `T`.
    pub drops: Vec<f64>,
}

impl Calibrated {
    /// Fits the temperature on `validation` logits and labels and measures
    /// the `test` ones at `T = 1` and at the fitted `T`. Errors: those of
    /// [`fit_temperature`] and [`confidences`].
    pub fn of(
        (zv, validation): (&DMatrix<f64>, &[u8]),
        (zt, test): (&DMatrix<f64>, &[u8]),
    ) -> Result<Calibrated> {
        let t = fit_temperature(zv, validation, 1e-12)?;
        let before = confidences(zt, test, 1.0)?;
        let after = confidences(zt, test, t)?;
        let changed = zt
            .column_iter()
            .filter(|z| z.argmax().0 != (z / t).argmax().0)
            .count();
        let drops = (0..test.len())
            .map(|j| {
                let z = zt.columns(j, 1).into_owned();
                let l = &test[j..=j];
                Ok(nll(&z, l, 1.0)? - nll(&z, l, t)?)
            })
            .collect::<Result<_>>()?;
        Ok(Calibrated {
            temperature: t,
            nll: [nll(zt, test, 1.0)?, nll(zt, test, t)?],
            ece: [
                expected_calibration_error(&before)?,
                expected_calibration_error(&after)?,
            ],
            changed,
            bins: [reliability(&before), reliability(&after)],
            before,
            after,
            drops,
        })
    }
}
