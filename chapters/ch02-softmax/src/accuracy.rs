//! Tools to measure accuracy: distance in units in the last place, a
//! careful reference log-sum-exp, and central finite differences.

use crate::softmax::log_sum_exp;
use std::fmt;

/// How many representable f64 values lie between `a` and `b` (0 when they
/// are equal, 1 for neighbours; `+0` and `-0` count as equal, and the
/// largest finite value and `inf` as neighbours). `u64::MAX` when either is
/// NaN.
pub fn ulp_distance(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    // Map the bits to integers that increase with the value.
    let ordered = |x: f64| {
        let bits = x.to_bits() as i64;
        if bits < 0 { i64::MIN - bits } else { bits }
    };
    (ordered(a) as i128 - ordered(b) as i128).unsigned_abs() as u64
}

// ANCHOR: compensated
/// `ln Σ exp(z_i)` with `f64::exp` and Neumaier's compensated summation,
/// which carries the rounding error of every addition along: the careful
/// reference the fast versions are compared with. Same domain and policy as
/// [`log_sum_exp`].
pub fn log_sum_exp_compensated(z: &[f64]) -> f64 {
    let m = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    if !m.is_finite() || z.iter().any(|v| v.is_nan()) {
        return log_sum_exp(z); // the special cases, by the common policy
    }
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for &v in z {
        let term = (v - m).exp();
        let t = sum + term;
        // The part of the smaller operand that the addition lost.
        carry += if sum.abs() >= term.abs() {
            (sum - t) + term
        } else {
            (term - t) + sum
        };
        sum = t;
    }
    m + (sum + carry).ln()
}
// ANCHOR_END: compensated

/// A finite-difference step that is not a positive finite number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BadStep(pub f64);

impl fmt::Display for BadStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "finite-difference step {} is not a positive finite number",
            self.0
        )
    }
}

impl std::error::Error for BadStep {}

// ANCHOR: central_difference
/// The gradient of `f` at `z` by central differences,
/// `(f(z + h e_i) - f(z - h e_i)) / 2h`, one coordinate at a time.
///
/// Domain: `h` positive and finite (else [`BadStep`]); `f` is called with
/// slices of `z`'s length. An empty `z` gives an empty gradient.
pub fn central_difference_gradient(
    f: impl FnMut(&[f64]) -> f64,
    z: &[f64],
    h: f64,
) -> Result<Vec<f64>, BadStep> {
    if !(h.is_finite() && h > 0.0) {
        return Err(BadStep(h));
    }
    central_differences_with(f, z, |_| h)
}

/// The same with a step of its own for each coordinate, `h_i = step(z_i)`
/// (chapter 3 scales the step with the size of the coordinate). Errors: a
/// step that is not positive and finite.
pub fn central_differences_with(
    mut f: impl FnMut(&[f64]) -> f64,
    z: &[f64],
    step: impl Fn(f64) -> f64,
) -> Result<Vec<f64>, BadStep> {
    let mut probe = z.to_vec();
    let mut gradient = Vec::with_capacity(z.len());
    for i in 0..z.len() {
        let h = step(z[i]);
        if !(h.is_finite() && h > 0.0) {
            return Err(BadStep(h));
        }
        probe[i] = z[i] + h;
        let up = f(&probe);
        probe[i] = z[i] - h;
        let down = f(&probe);
        probe[i] = z[i];
        gradient.push((up - down) / (2.0 * h));
    }
    Ok(gradient)
}
// ANCHOR_END: central_difference

/// The largest absolute difference between two vectors, or `None` when
/// their lengths differ. NaN anywhere gives NaN; empty vectors give 0.
pub fn max_abs_difference(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() {
        return None;
    }
    Some(a.iter().zip(b).fold(0.0, |m: f64, (x, y)| {
        let d = (x - y).abs();
        if d.is_nan() || m.is_nan() {
            f64::NAN
        } else {
            m.max(d)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulp_distance_counts_representable_values() {
        assert_eq!(ulp_distance(1.0, 1.0), 0);
        assert_eq!(ulp_distance(1.0, 1.0 + f64::EPSILON), 1);
        assert_eq!(ulp_distance(1.0, 1.0 - f64::EPSILON / 2.0), 1);
        assert_eq!(ulp_distance(0.0, -0.0), 0);
        assert_eq!(ulp_distance(f64::from_bits(1), -f64::from_bits(1)), 2);
        assert_eq!(ulp_distance(f64::MAX, f64::INFINITY), 1);
        assert_eq!(ulp_distance(f64::NAN, 1.0), u64::MAX);
        assert_eq!(ulp_distance(-1.0, -1.0 - f64::EPSILON), 1);
        assert_eq!(ulp_distance(f64::MIN, f64::MAX), 2 * f64::MAX.to_bits());
    }

    #[test]
    fn compensated_sum_recovers_what_plain_summation_loses() {
        // 1 followed by many terms each below half an ulp of 1: plain
        // summation drops every one of them, compensation keeps them.
        let tiny = (-40.0f64).exp(); // e^-40 ≈ 4.2e-18 < 2^-53
        let mut z = vec![0.0];
        z.extend(std::iter::repeat_n(-40.0, 100_000));
        let exact = (1.0 + 100_000.0 * tiny).ln();
        assert!((log_sum_exp_compensated(&z) - exact).abs() <= 2.0 * f64::EPSILON * exact);
        assert_eq!(log_sum_exp(&z), 0.0); // the plain sum lost every small term
    }

    #[test]
    fn compensated_follows_the_policy() {
        assert_eq!(log_sum_exp_compensated(&[]), f64::NEG_INFINITY);
        assert!(log_sum_exp_compensated(&[f64::NAN, 1.0]).is_nan());
        assert_eq!(
            log_sum_exp_compensated(&[f64::INFINITY, 1.0]),
            f64::INFINITY
        );
        assert_eq!(log_sum_exp_compensated(&[f64::NEG_INFINITY, 1.0]), 1.0);
    }

    #[test]
    fn central_differences_of_a_cubic() {
        // f(z) = z0^3 + 2 z1: the central difference error for z0^3 is exactly h^2.
        let f = |z: &[f64]| z[0].powi(3) + 2.0 * z[1];
        let g = central_difference_gradient(f, &[1.0, 5.0], 1e-3).unwrap();
        assert!(
            (g[0] - (3.0 + 1e-6)).abs() < 1e-9 && (g[1] - 2.0).abs() < 1e-9,
            "{g:?}"
        );
        assert_eq!(
            central_difference_gradient(f, &[], 1e-3).unwrap(),
            Vec::<f64>::new()
        );
        for h in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
            let e = central_difference_gradient(f, &[1.0, 1.0], h).unwrap_err();
            assert!(e.to_string().contains("not a positive finite number"));
        }
    }

    #[test]
    fn max_abs_difference_handles_every_shape() {
        assert_eq!(max_abs_difference(&[1.0, 2.0], &[1.5, 1.0]), Some(1.0));
        assert_eq!(max_abs_difference(&[], &[]), Some(0.0));
        assert_eq!(max_abs_difference(&[1.0], &[]), None);
        assert!(
            max_abs_difference(&[f64::NAN, 1.0], &[0.0, 1.0])
                .unwrap()
                .is_nan()
        );
        assert!(
            max_abs_difference(&[1.0, f64::NAN], &[5.0, 1.0])
                .unwrap()
                .is_nan()
        );
    }
}
