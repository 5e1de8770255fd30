//! Solutions to the chapter's exercises, with their tests.

use crate::accuracy::{BadStep, central_difference_gradient, max_abs_difference};
use crate::softmax::{SoftmaxError, log_sum_exp, softmax};
use book_support::rand::RngExt;
use std::fmt;

/// Why a temperature softmax has no value.
#[derive(Clone, Debug, PartialEq)]
pub enum TemperatureError {
    /// The temperature is not a positive finite number.
    BadTemperature(f64),
    /// The scaled logits have no softmax.
    Softmax(SoftmaxError),
}

impl fmt::Display for TemperatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemperatureError::BadTemperature(t) => {
                write!(f, "temperature {t} is not a positive finite number")
            }
            TemperatureError::Softmax(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TemperatureError {}

// ANCHOR: temperature
/// Exercise 1: `softmax(z / T)`.
///
/// Domain: `T` positive and finite (else
/// [`TemperatureError::BadTemperature`]) and `z` as for [`softmax`]. Note
/// that for a tiny `T` a finite `z_i / T` can overflow to `±inf`; `+inf` is
/// then reported as a softmax error, as it should be.
pub fn softmax_with_temperature(z: &[f64], t: f64) -> Result<Vec<f64>, TemperatureError> {
    if !(t.is_finite() && t > 0.0) {
        return Err(TemperatureError::BadTemperature(t));
    }
    let scaled: Vec<f64> = z.iter().map(|v| v / t).collect();
    softmax(&scaled).map_err(TemperatureError::Softmax)
}
// ANCHOR_END: temperature

// ANCHOR: lse_gradient
/// Exercise 2: the largest gap, over `cases` random vectors of `n` logits
/// in `[-10, 10]`, between `softmax(z)` and central differences (step `h`)
/// of `log_sum_exp` at `z`. Errors: `n = 0` or a bad step.
pub fn lse_gradient_check(
    seed: u64,
    cases: usize,
    n: usize,
    h: f64,
) -> Result<f64, Box<dyn std::error::Error>> {
    if n == 0 {
        return Err(SoftmaxError::Empty.into());
    }
    let mut rng = book_support::seeded(seed);
    let mut worst = 0.0f64;
    for _ in 0..cases {
        let z: Vec<f64> = (0..n).map(|_| rng.random_range(-10.0..10.0)).collect();
        let numeric = central_difference_gradient(log_sum_exp, &z, h)?;
        let gap = max_abs_difference(&softmax(&z)?, &numeric).ok_or(BadStep(h))?;
        worst = worst.max(gap);
    }
    Ok(worst)
}
// ANCHOR_END: lse_gradient

// ANCHOR: sigmoid
/// Exercise 3: the logistic sigmoid `σ(x) = 1 / (1 + e^-x)`, evaluated so
/// that the exponential never overflows: `e^x / (1 + e^x)` for `x < 0`.
/// Domain: every f64; `σ(±inf) = 1, 0`; NaN gives NaN.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The textbook `e^x / (1 + e^x)`: `inf / inf = NaN` for `x > 709.78`.
pub fn naive_sigmoid(x: f64) -> f64 {
    x.exp() / (1.0 + x.exp())
}

/// `softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|)`, which is
/// `LSE([x, 0])`. Domain: every f64; `softplus(-inf) = 0`,
/// `softplus(inf) = inf`; NaN gives NaN.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The binary cross-entropy of the logit `z` for a target probability `y`:
/// `-(y ln σ(z) + (1 - y) ln(1 - σ(z))) = softplus(z) - y z`.
///
/// Domain: `y` in `[0, 1]` (else `Err`); `z` any f64. NaN gives NaN. The
/// infinite logits are the limits, handled before the formula (which would
/// give `inf - inf`): `z = +inf` means `σ = 1`, so the loss is `0` for
/// `y = 1` and `+inf` for `y < 1`; `z = -inf` means `σ = 0`, so the loss is
/// `0` for `y = 0` and `+inf` for `y > 0`.
pub fn binary_cross_entropy_with_logit(z: f64, y: f64) -> Result<f64, String> {
    if !(0.0..=1.0).contains(&y) {
        return Err(format!("target probability {y} is not in [0, 1]"));
    }
    if z == f64::INFINITY {
        return Ok(if y == 1.0 { 0.0 } else { f64::INFINITY });
    }
    if z == f64::NEG_INFINITY {
        return Ok(if y == 0.0 { 0.0 } else { f64::INFINITY });
    }
    Ok(softplus(z) - y * z)
}

/// The textbook binary cross-entropy through the naive sigmoid, for
/// comparison: `ln 0 = -inf` and `NaN` appear for large `|z|`.
pub fn naive_binary_cross_entropy(z: f64, y: f64) -> f64 {
    let s = naive_sigmoid(z);
    -(y * s.ln() + (1.0 - y) * (1.0 - s).ln())
}
// ANCHOR_END: sigmoid

// ANCHOR: streaming
/// Exercise 4: log-sum-exp of a stream, one value at a time, in constant
/// memory. It keeps the largest value `m` seen and `s = Σ exp(z - m)`;
/// a new maximum rescales `s` once.
///
/// Policy as [`log_sum_exp`]: nothing pushed (or only `-inf`) gives
/// `-inf`, a NaN makes the result NaN for good, a `+inf` makes it `+inf`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamingLse {
    max: f64,
    sum: f64,
    saw_nan: bool,
}

impl Default for StreamingLse {
    fn default() -> Self {
        StreamingLse {
            max: f64::NEG_INFINITY,
            sum: 0.0,
            saw_nan: false,
        }
    }
}

impl StreamingLse {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value.
    pub fn push(&mut self, z: f64) {
        if z.is_nan() {
            self.saw_nan = true;
        } else if z == f64::NEG_INFINITY || self.max == f64::INFINITY {
            // exp(-inf) adds nothing; after +inf nothing finite matters
        } else if z > self.max {
            self.sum = self.sum * (self.max - z).exp() + 1.0;
            self.max = z;
        } else {
            self.sum += (z - self.max).exp();
        }
    }

    /// `ln Σ exp(z)` over everything pushed so far.
    pub fn value(&self) -> f64 {
        if self.saw_nan {
            f64::NAN
        } else if self.max.is_infinite() {
            self.max
        } else {
            self.max + self.sum.ln()
        }
    }
}

impl Extend<f64> for StreamingLse {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, values: I) {
        values.into_iter().for_each(|z| self.push(z));
    }
}

impl FromIterator<f64> for StreamingLse {
    fn from_iter<I: IntoIterator<Item = f64>>(values: I) -> Self {
        let mut s = StreamingLse::new();
        s.extend(values);
        s
    }
}
// ANCHOR_END: streaming

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accuracy::log_sum_exp_compensated;

    #[test]
    fn temperature_limits() {
        let z = [1.0, 2.0, 3.0];
        // Cold: all mass on the largest logit.
        assert_eq!(
            softmax_with_temperature(&z, 1e-3).unwrap(),
            vec![0.0, 0.0, 1.0]
        );
        // Ties split the mass evenly, however cold.
        assert_eq!(
            softmax_with_temperature(&[3.0, 1.0, 3.0], 1e-3).unwrap(),
            vec![0.5, 0.0, 0.5]
        );
        // Hot: uniform.
        let hot = softmax_with_temperature(&z, 1e9).unwrap();
        assert!(hot.iter().all(|p| (p - 1.0 / 3.0).abs() < 1e-9));
        // T = 1 is the plain softmax.
        assert_eq!(
            softmax_with_temperature(&z, 1.0).unwrap(),
            softmax(&z).unwrap()
        );
    }

    #[test]
    fn temperature_rejects_bad_input() {
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(softmax_with_temperature(&[1.0], t), Err(TemperatureError::BadTemperature(v)) if v.to_bits() == t.to_bits())
            );
            assert!(
                softmax_with_temperature(&[1.0], t)
                    .unwrap_err()
                    .to_string()
                    .contains("temperature")
            );
        }
        let e = softmax_with_temperature(&[], 1.0).unwrap_err();
        assert_eq!(e, TemperatureError::Softmax(SoftmaxError::Empty));
        assert!(e.to_string().contains("empty"));
        // 1e300 / 1e-10 overflows to +inf.
        assert_eq!(
            softmax_with_temperature(&[1e300, 0.0], 1e-10),
            Err(TemperatureError::Softmax(SoftmaxError::PositiveInfinity {
                index: 0
            }))
        );
    }

    #[test]
    fn lse_gradient_is_softmax() {
        assert!(lse_gradient_check(5, 50, 8, 1e-5).unwrap() < 1e-9);
        assert!(lse_gradient_check(5, 5, 0, 1e-5).is_err());
        assert!(lse_gradient_check(5, 5, 3, -1.0).is_err());
    }

    #[test]
    fn sigmoid_is_stable_and_correct() {
        for x in [-30.0, -1.0, 0.0, 0.5, 20.0] {
            assert!((sigmoid(x) - naive_sigmoid(x)).abs() < 1e-15);
        }
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert!(naive_sigmoid(800.0).is_nan());
        assert_eq!(sigmoid(f64::INFINITY), 1.0);
        assert_eq!(sigmoid(f64::NEG_INFINITY), 0.0);
        assert!(sigmoid(f64::NAN).is_nan());
        for x in [-3.0f64, 0.1, 7.0] {
            assert!((sigmoid(x) + sigmoid(-x) - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn softplus_and_bce() {
        assert_eq!(softplus(0.0), std::f64::consts::LN_2);
        assert_eq!(softplus(800.0), 800.0);
        assert_eq!(softplus(-800.0), 0.0);
        assert_eq!(softplus(f64::NEG_INFINITY), 0.0);
        assert_eq!(softplus(f64::INFINITY), f64::INFINITY);
        assert!(softplus(f64::NAN).is_nan());
        for z in [-4.0, -0.5, 0.0, 2.5] {
            assert!((softplus(z) - log_sum_exp(&[z, 0.0])).abs() < 1e-15);
            for y in [0.0, 0.3, 1.0] {
                let stable = binary_cross_entropy_with_logit(z, y).unwrap();
                assert!(
                    (stable - naive_binary_cross_entropy(z, y)).abs() < 1e-14,
                    "z {z} y {y}"
                );
            }
        }
        assert_eq!(binary_cross_entropy_with_logit(-800.0, 1.0), Ok(800.0));
        assert_eq!(binary_cross_entropy_with_logit(800.0, 1.0), Ok(0.0));
        assert_eq!(
            binary_cross_entropy_with_logit(f64::NEG_INFINITY, 0.0),
            Ok(0.0)
        );
        assert_eq!(
            binary_cross_entropy_with_logit(f64::NEG_INFINITY, 1.0),
            Ok(f64::INFINITY)
        );
        assert_eq!(
            binary_cross_entropy_with_logit(f64::NEG_INFINITY, 0.3),
            Ok(f64::INFINITY)
        );
        // +inf: sigma = 1, so only a target of exactly 1 costs nothing.
        assert_eq!(binary_cross_entropy_with_logit(f64::INFINITY, 1.0), Ok(0.0));
        assert_eq!(
            binary_cross_entropy_with_logit(f64::INFINITY, 0.3),
            Ok(f64::INFINITY)
        );
        assert_eq!(
            binary_cross_entropy_with_logit(f64::INFINITY, 0.0),
            Ok(f64::INFINITY)
        );
        // The limits agree with large finite logits.
        assert_eq!(binary_cross_entropy_with_logit(1e300, 1.0), Ok(0.0));
        assert!(binary_cross_entropy_with_logit(1e300, 0.3).unwrap() > 1e299);
        assert!(
            binary_cross_entropy_with_logit(f64::NAN, 0.5)
                .unwrap()
                .is_nan()
        );
        assert!(
            binary_cross_entropy_with_logit(1.0, 1.5)
                .unwrap_err()
                .contains("not in [0, 1]")
        );
        assert!(binary_cross_entropy_with_logit(1.0, f64::NAN).is_err());
        assert_eq!(naive_binary_cross_entropy(-800.0, 1.0), f64::INFINITY);
    }

    #[test]
    fn streaming_matches_batch() {
        let mut rng = book_support::seeded(9);
        for _ in 0..200 {
            let n = rng.random_range(1..500);
            let scale = 10f64.powf(rng.random_range(0.0..3.0));
            let z: Vec<f64> = (0..n)
                .map(|_| scale * rng.random_range(-1.0..1.0))
                .collect();
            let streamed: StreamingLse = z.iter().copied().collect();
            let careful = log_sum_exp_compensated(&z);
            assert!((streamed.value() - careful).abs() <= 1e-13 * careful.abs().max(1.0));
        }
    }

    #[test]
    fn streaming_policy() {
        assert_eq!(StreamingLse::new().value(), f64::NEG_INFINITY);
        let s: StreamingLse = [f64::NEG_INFINITY, f64::NEG_INFINITY].into_iter().collect();
        assert_eq!(s.value(), f64::NEG_INFINITY);
        let s: StreamingLse = [1.0, f64::INFINITY, 2.0, f64::INFINITY]
            .into_iter()
            .collect();
        assert_eq!(s.value(), f64::INFINITY);
        let s: StreamingLse = [1.0, f64::INFINITY, f64::NAN].into_iter().collect();
        assert!(s.value().is_nan());
        let s: StreamingLse = [f64::NAN, 1.0].into_iter().collect();
        assert!(s.value().is_nan());
        let s: StreamingLse = [f64::NEG_INFINITY, 0.0, 0.0].into_iter().collect();
        assert_eq!(s.value(), std::f64::consts::LN_2);
        let s: StreamingLse = [1000.0, 1000.0].into_iter().collect();
        assert_eq!(s.value(), log_sum_exp(&[1000.0, 1000.0]));
    }
}
