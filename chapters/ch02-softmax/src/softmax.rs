//! Softmax, log-sum-exp, log-softmax and cross-entropy: the stable versions
//! the chapter derives, the naive ones it warns against, and the policy for
//! inputs that are not ordinary numbers.
//!
//! Policy, in one place:
//!
//! * [`log_sum_exp`] is total. It returns the extended-real value of
//!   `ln Σ exp(z_i)`: `-inf` for an empty slice (the logarithm of an empty
//!   sum, `ln 0`) and for a slice of `-inf` only; `+inf` when some entry is
//!   `+inf`; `NaN` when some entry is `NaN` (NaN wins over `+inf`, as in
//!   ordinary floating-point arithmetic). Entries equal to `-inf` contribute
//!   nothing.
//! * [`softmax`], [`log_softmax`], [`cross_entropy`] and
//!   [`cross_entropy_gradient`] return a probability distribution (or its
//!   logarithm, a loss, a gradient), which has no meaningful value when the
//!   input is empty, holds a `NaN`, holds a `+inf` (two `+inf` logits would
//!   make the answer depend on how they got there) or holds `-inf` only (no
//!   class has any mass). They return a [`SoftmaxError`] then. A `-inf` logit
//!   next to finite ones is allowed: it is a mask, its probability is exactly
//!   0 and its log-probability `-inf`.
//! * The naive functions exist to be compared with; they apply the textbook
//!   formula with no guard and return whatever IEEE arithmetic gives (`inf`,
//!   `NaN`, `0`). They never panic.

use std::fmt;

/// Why a softmax-family function has no meaningful value for its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoftmaxError {
    /// No logits: there is no distribution over zero classes.
    Empty,
    /// The logit at `index` is NaN.
    NotANumber { index: usize },
    /// The logit at `index` is `+inf`.
    PositiveInfinity { index: usize },
    /// Every logit is `-inf`: no class has any probability mass.
    NoFiniteLogit,
    /// The target class is not one of the `classes` classes.
    TargetOutOfRange { target: usize, classes: usize },
}

impl fmt::Display for SoftmaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SoftmaxError::Empty => write!(f, "softmax of an empty vector of logits is undefined"),
            SoftmaxError::NotANumber { index } => write!(f, "logit {index} is NaN"),
            SoftmaxError::PositiveInfinity { index } => {
                write!(
                    f,
                    "logit {index} is +inf: the softmax has no well-defined value"
                )
            }
            SoftmaxError::NoFiniteLogit => {
                write!(f, "every logit is -inf: no class has any probability mass")
            }
            SoftmaxError::TargetOutOfRange { target, classes } => {
                write!(
                    f,
                    "target class {target} is out of range for {classes} classes"
                )
            }
        }
    }
}

impl std::error::Error for SoftmaxError {}

/// Checks that `z` has a meaningful softmax and returns its largest entry,
/// which is then finite.
fn checked_max(z: &[f64]) -> Result<f64, SoftmaxError> {
    if z.is_empty() {
        return Err(SoftmaxError::Empty);
    }
    let mut max = f64::NEG_INFINITY;
    for (index, &v) in z.iter().enumerate() {
        if v.is_nan() {
            return Err(SoftmaxError::NotANumber { index });
        }
        if v == f64::INFINITY {
            return Err(SoftmaxError::PositiveInfinity { index });
        }
        max = max.max(v);
    }
    if max == f64::NEG_INFINITY {
        return Err(SoftmaxError::NoFiniteLogit);
    }
    Ok(max)
}

// ANCHOR: log_sum_exp
/// `ln Σ exp(z_i)`, computed as `m + ln Σ exp(z_i - m)` with `m = max z_i`,
/// so that no exponential overflows and the largest term is exactly 1.
///
/// Domain: any slice. Empty or all `-inf` gives `-inf`; a `NaN` entry gives
/// `NaN`; otherwise a `+inf` entry gives `+inf`. `-inf` entries add nothing.
pub fn log_sum_exp(z: &[f64]) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for &v in z {
        if v.is_nan() {
            return f64::NAN;
        }
        m = m.max(v);
    }
    if m.is_infinite() {
        return m; // +inf: some term is infinite; -inf: empty or all -inf
    }
    m + ln_sum_exp_below(z, m)
}

/// `ln Σ exp(z_i - m)` for the largest entry `m` of `z` (finite), a number
/// between 0 and `ln n`.
fn ln_sum_exp_below(z: &[f64], m: f64) -> f64 {
    z.iter().map(|&v| (v - m).exp()).sum::<f64>().ln()
}
// ANCHOR_END: log_sum_exp

// ANCHOR: softmax
/// The softmax `p_i = exp(z_i) / Σ_j exp(z_j)`, computed stably as
/// `exp(z_i - m) / Σ_j exp(z_j - m)` with `m = max z`.
///
/// Domain: a non-empty slice without `NaN` or `+inf` and with at least one
/// finite entry; otherwise a [`SoftmaxError`]. A `-inf` entry gets
/// probability exactly 0.
pub fn softmax(z: &[f64]) -> Result<Vec<f64>, SoftmaxError> {
    let m = checked_max(z)?;
    let e: Vec<f64> = z.iter().map(|&v| (v - m).exp()).collect();
    let sum: f64 = e.iter().sum(); // at least 1: the largest term is exp(0)
    Ok(e.into_iter().map(|v| v / sum).collect())
}
// ANCHOR_END: softmax

// ANCHOR: log_softmax
/// `ln p_i = z_i - LSE(z)`, computed directly, without forming `p`, as
/// `(z_i - m) - ln Σ_j exp(z_j - m)`. The shifted logit `z_i - m` is exact
/// when `z_i` and `m` have the same sign and lie within a factor of two of
/// each other (Sterbenz's lemma), as for `z_i = m`; otherwise it may be
/// rounded, once. The final subtraction may round once more, on top of the
/// error of the computed `ln Σ`: at most two roundings beyond that error.
///
/// Domain: as [`softmax`]. A `-inf` entry gets `-inf`.
pub fn log_softmax(z: &[f64]) -> Result<Vec<f64>, SoftmaxError> {
    let m = checked_max(z)?;
    let ln_sum = ln_sum_exp_below(z, m);
    Ok(z.iter().map(|&v| (v - m) - ln_sum).collect())
}
// ANCHOR_END: log_softmax

// ANCHOR: cross_entropy
/// The cross-entropy loss `ℓ = -ln p_y = LSE(z) - z_y` of logits `z` for the
/// class `target` (0-based), that is, against the one-hot target `y`,
/// computed as `ln Σ_j exp(z_j - m) - (z_y - m)` like [`log_softmax`].
///
/// Domain: as [`softmax`], and `target < z.len()` (else
/// [`SoftmaxError::TargetOutOfRange`]). A `-inf` logit for the target gives
/// `+inf`: the model gives the true class probability 0.
pub fn cross_entropy(z: &[f64], target: usize) -> Result<f64, SoftmaxError> {
    let m = checked_max(z)?;
    let z_y = *z.get(target).ok_or(SoftmaxError::TargetOutOfRange {
        target,
        classes: z.len(),
    })?;
    Ok(ln_sum_exp_below(z, m) - (z_y - m))
}

/// The gradient of [`cross_entropy`] with respect to the logits:
/// `∂ℓ/∂z_i = p_i - y_i`.
///
/// Domain and errors: as [`cross_entropy`]. The result is finite even when
/// the loss is `+inf` (a masked target): it is then `p` with `-1` at the
/// target.
pub fn cross_entropy_gradient(z: &[f64], target: usize) -> Result<Vec<f64>, SoftmaxError> {
    if target >= z.len() {
        checked_max(z)?; // report an empty or malformed input first
        return Err(SoftmaxError::TargetOutOfRange {
            target,
            classes: z.len(),
        });
    }
    let mut g = softmax(z)?;
    g[target] -= 1.0;
    Ok(g)
}
// ANCHOR_END: cross_entropy

// ANCHOR: naive
/// The textbook formula `exp(z_i) / Σ_j exp(z_j)`, with no guard. For
/// comparison only: it overflows to `inf / inf = NaN` once a logit exceeds
/// about 709.78. Any slice; an empty one gives an empty vector.
pub fn naive_softmax(z: &[f64]) -> Vec<f64> {
    let e: Vec<f64> = z.iter().map(|v| v.exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

/// The textbook `ln Σ exp(z_i)`, with no guard: `inf` once a term
/// overflows, `-inf` once every term underflows. Any slice; empty gives
/// `-inf`.
pub fn naive_log_sum_exp(z: &[f64]) -> f64 {
    z.iter().map(|v| v.exp()).sum::<f64>().ln()
}

/// `ln(softmax(z))`: the stable softmax followed by a logarithm. For
/// comparison with [`log_softmax`]: a probability that underflows to 0 gives
/// `-inf`. Domain and errors: as [`softmax`].
pub fn softmax_then_log(z: &[f64]) -> Result<Vec<f64>, SoftmaxError> {
    Ok(softmax(z)?.into_iter().map(f64::ln).collect())
}
// ANCHOR_END: naive

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    const INF: f64 = f64::INFINITY;
    const NAN: f64 = f64::NAN;

    #[test]
    fn log_sum_exp_policy_for_special_inputs() {
        assert_eq!(log_sum_exp(&[]), -INF);
        assert_eq!(log_sum_exp(&[-INF, -INF]), -INF);
        assert!(log_sum_exp(&[1.0, NAN]).is_nan());
        assert!(log_sum_exp(&[INF, NAN]).is_nan());
        assert!(log_sum_exp(&[NAN, INF]).is_nan());
        assert_eq!(log_sum_exp(&[1.0, INF, -INF]), INF);
        assert_eq!(log_sum_exp(&[-INF, 2.0, -INF]), 2.0);
        assert_eq!(log_sum_exp(&[-INF, 0.0]), 0.0);
    }

    #[test]
    fn softmax_family_rejects_meaningless_inputs() {
        for f in [softmax, log_softmax, softmax_then_log] {
            assert_eq!(f(&[]), Err(SoftmaxError::Empty));
            assert_eq!(f(&[0.0, NAN]), Err(SoftmaxError::NotANumber { index: 1 }));
            assert_eq!(
                f(&[INF, 0.0]),
                Err(SoftmaxError::PositiveInfinity { index: 0 })
            );
            assert_eq!(f(&[-INF, -INF]), Err(SoftmaxError::NoFiniteLogit));
        }
        assert_eq!(cross_entropy(&[], 0), Err(SoftmaxError::Empty));
        assert_eq!(cross_entropy_gradient(&[], 0), Err(SoftmaxError::Empty));
        assert_eq!(
            cross_entropy(&[NAN], 0),
            Err(SoftmaxError::NotANumber { index: 0 })
        );
        assert_eq!(
            cross_entropy_gradient(&[1.0, INF], 0),
            Err(SoftmaxError::PositiveInfinity { index: 1 })
        );
        assert_eq!(cross_entropy(&[-INF], 0), Err(SoftmaxError::NoFiniteLogit));
        let out = Err(SoftmaxError::TargetOutOfRange {
            target: 3,
            classes: 3,
        });
        assert_eq!(cross_entropy(&[1.0, 2.0, 3.0], 3), out);
        assert_eq!(
            cross_entropy_gradient(&[1.0, 2.0, 3.0], 3).map(|_| ()),
            out.map(|_: f64| ())
        );
    }

    #[test]
    fn errors_have_clear_messages() {
        let e = SoftmaxError::TargetOutOfRange {
            target: 5,
            classes: 3,
        };
        assert_eq!(
            e.to_string(),
            "target class 5 is out of range for 3 classes"
        );
        assert!(
            SoftmaxError::NotANumber { index: 2 }
                .to_string()
                .contains("logit 2 is NaN")
        );
        assert!(
            SoftmaxError::PositiveInfinity { index: 0 }
                .to_string()
                .contains("+inf")
        );
        assert!(SoftmaxError::NoFiniteLogit.to_string().contains("-inf"));
        assert!(SoftmaxError::Empty.to_string().contains("empty"));
    }

    #[test]
    fn minus_infinity_is_a_mask() {
        let p = softmax(&[-INF, 0.0, 0.0]).unwrap();
        assert_eq!(p, vec![0.0, 0.5, 0.5]);
        let lp = log_softmax(&[-INF, 0.0, 0.0]).unwrap();
        assert_eq!(lp[0], -INF);
        assert_relative_eq!(lp[1], -std::f64::consts::LN_2, max_relative = 1e-15);
        assert_eq!(cross_entropy(&[-INF, 0.0], 0), Ok(INF));
        assert_eq!(cross_entropy_gradient(&[-INF, 0.0], 0), Ok(vec![-1.0, 1.0]));
    }

    #[test]
    fn naive_versions_fail_the_way_the_chapter_says_without_panicking() {
        assert!(naive_softmax(&[1000.0, 0.0])[0].is_nan());
        assert_eq!(naive_softmax(&[]), Vec::<f64>::new());
        assert_eq!(naive_log_sum_exp(&[1000.0]), INF);
        assert_eq!(naive_log_sum_exp(&[-1000.0]), -INF);
        assert_eq!(naive_log_sum_exp(&[]), -INF);
        assert!(naive_log_sum_exp(&[NAN]).is_nan());
        assert_eq!(softmax_then_log(&[0.0, -800.0]).unwrap()[1], -INF);
        assert_eq!(log_softmax(&[0.0, -800.0]).unwrap()[1], -800.0);
    }

    /// The chapter's shift rule needs its absolute term: on logits and
    /// shifts far below one, rounding the shifted logits alone does not
    /// bound the change, because the softmax rounds its own work.
    #[test]
    fn shift_rounding_alone_fails_on_tiny_logits() {
        use book_support::rand::RngExt;
        let mut rng = book_support::seeded(21);
        let found = (0..10_000).any(|_| {
            let n = rng.random_range(2..24);
            let z: Vec<f64> = (0..n).map(|_| rng.random_range(-1e-4..1e-4)).collect();
            let c = rng.random_range(-1e-3..1e-3);
            let shifted: Vec<f64> = z.iter().map(|v| v + c).collect();
            let scale = f64::EPSILON * (c.abs() + z.iter().fold(0.0f64, |a, v| a.max(v.abs())));
            let (p, q) = (softmax(&z).unwrap(), softmax(&shifted).unwrap());
            p.iter().zip(&q).any(|(a, b)| (a - b).abs() > scale)
        });
        assert!(found);
    }

    #[test]
    fn small_cases_match_the_definition() {
        let z = [0.5, -1.25, 2.0, 0.0];
        let p = softmax(&z).unwrap();
        let total: f64 = z.iter().map(|v| v.exp()).sum();
        for (pi, zi) in p.iter().zip(z) {
            assert_relative_eq!(*pi, zi.exp() / total, max_relative = 1e-15);
        }
        assert_relative_eq!(log_sum_exp(&z), total.ln(), max_relative = 1e-15);
        assert_relative_eq!(
            cross_entropy(&z, 2).unwrap(),
            -p[2].ln(),
            max_relative = 1e-14
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Shift invariance, exactly: with logits and shift on a grid of
        /// multiples of 2^-10 below 2^11 in size, every sum is exact, so the
        /// stable softmax gives the same bits.
        #[test]
        fn softmax_is_bitwise_shift_invariant_on_exact_grids(
            a in proptest::collection::vec(-65_536i64..65_536, 1..24),
            b in -1_048_576i64..1_048_576,
        ) {
            let z: Vec<f64> = a.iter().map(|&k| k as f64 / 1024.0).collect();
            let c = b as f64 / 1024.0;
            let shifted: Vec<f64> = z.iter().map(|v| v + c).collect();
            prop_assert_eq!(softmax(&z)?, softmax(&shifted)?);
            prop_assert_eq!(log_softmax(&z)?, log_softmax(&shifted)?);
            let target = a.len() / 2;
            prop_assert_eq!(cross_entropy(&z, target)?, cross_entropy(&shifted, target)?);
        }

        /// Shift invariance up to rounding: for any real shift no probability
        /// moves by more than the rounding of the shifted logits plus the
        /// softmax's own roundings (an absolute term, which dominates when
        /// the logits and the shift are far below one).
        #[test]
        fn softmax_is_shift_invariant_up_to_rounding(
            z in proptest::collection::vec(-50.0f64..50.0, 1..24),
            c in -1.0e3f64..1.0e3,
            tiny in 0i32..12,
        ) {
            // Shrink logits and shift together by 10^-(0..12).
            let size = 10f64.powi(-tiny);
            let z: Vec<f64> = z.iter().map(|v| v * size).collect();
            let c = c * size;
            let shifted: Vec<f64> = z.iter().map(|v| v + c).collect();
            let scale = f64::EPSILON * (c.abs() + z.iter().fold(0.0f64, |a, v| a.max(v.abs())));
            // Each softmax rounds K exponentials (one ulp each), their sum
            // and a division: a relative error of at most about
            // (K + 4) ε / 2 per probability, in each of the two softmaxes.
            let own = (z.len() + 4) as f64 * f64::EPSILON;
            for (p, q) in softmax(&z)?.iter().zip(softmax(&shifted)?) {
                prop_assert!((p - q).abs() <= scale + own * p.max(q), "{p} vs {q}");
            }
            let lse_change = log_sum_exp(&shifted) - log_sum_exp(&z) - c;
            prop_assert!(lse_change.abs() <= 4.0 * scale + 4.0 * f64::EPSILON * log_sum_exp(&shifted).abs());
        }

        /// The gradient of the cross-entropy sums to zero and lies in [-1, 1].
        #[test]
        fn gradient_sums_to_zero(
            z in proptest::collection::vec(-30.0f64..30.0, 1..24),
            pick in 0usize..1000,
        ) {
            let target = pick % z.len();
            let g = cross_entropy_gradient(&z, target)?;
            let sum: f64 = g.iter().sum();
            prop_assert!(sum.abs() <= 2.0 * z.len() as f64 * f64::EPSILON);
            prop_assert!(g.iter().all(|v| (-1.0..=1.0).contains(v)));
            prop_assert!(g[target] <= 0.0);
        }

        /// Log-sum-exp lies between the largest logit and that plus ln n.
        #[test]
        fn log_sum_exp_is_a_smooth_maximum(z in proptest::collection::vec(-700.0f64..700.0, 1..64)) {
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = log_sum_exp(&z);
            prop_assert!(lse >= m && lse <= m + (z.len() as f64).ln() + 1e-12 * m.abs().max(1.0));
        }
    }
}
