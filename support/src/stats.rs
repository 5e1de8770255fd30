//! Sample statistics with their standard errors, for the statistical claims
//! (whose tolerances are at least four standard errors).
//!
//! Domain: an empty sample has no mean; a single value has no spread. A NaN
//! anywhere in the sample propagates to every result (as in `f64`
//! arithmetic), and so does an infinite value's `inf − inf` (NaN spread).

/// The mean of `values` and its standard error `s/√m`, with `s²` the sample
/// variance (divided by `m − 1`).
///
/// Empty: `(NaN, NaN)`. One value: `(value, NaN)`.
pub fn mean_se(values: &[f64]) -> (f64, f64) {
    let m = values.len() as f64;
    if values.len() < 2 {
        return (values.first().copied().unwrap_or(f64::NAN), f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / m;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
    (mean, (var / m).sqrt())
}

/// The sample variance `s²` of `values` (divided by `m − 1`) and its
/// standard error `√((m₄ − s⁴)/m)`, with `m₄` the fourth central moment of
/// the sample (divided by `m`): the large-sample law of `s²`, which holds
/// for any distribution with a finite fourth moment. A sample whose `m₄` is
/// below `s⁴` (possible only for very small samples) gets 0.
///
/// Fewer than two values: `(NaN, NaN)`.
pub fn variance_se(values: &[f64]) -> (f64, f64) {
    let m = values.len() as f64;
    if values.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / m;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
    let m4 = values.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / m;
    // Not `max(0.0)`: that would turn a NaN into a standard error of 0.
    let spread = m4 - var * var;
    let spread = if spread < 0.0 { 0.0 } else { spread };
    (var, (spread / m).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_se_of_small_samples_is_exact() {
        // Samples whose arithmetic is exact in binary: the results are too.
        assert_eq!(mean_se(&[1.0, 3.0]), (2.0, 1.0)); // s² = 2
        assert_eq!(mean_se(&[0.0, 0.0, 0.0, 4.0]), (1.0, 1.0)); // s² = 4
        assert_eq!(
            mean_se(&[2.0, 4.0, 6.0, 8.0, 10.0]),
            (6.0, 2f64.sqrt()) // s² = 10, s²/m = 2
        );
        assert_eq!(mean_se(&[5.0, 5.0, 5.0]), (5.0, 0.0));
    }

    #[test]
    fn variance_se_of_a_small_sample_is_exact() {
        // 0, 0, 0, 4: mean 1, s² = 12/3 = 4, m₄ = (1 + 1 + 1 + 81)/4 = 21,
        // standard error √((21 − 16)/4).
        assert_eq!(variance_se(&[0.0, 0.0, 0.0, 4.0]), (4.0, 1.25f64.sqrt()));
        // 1, 3: s² = 2, m₄ = 1 < s⁴ = 4, clamped to 0.
        assert_eq!(variance_se(&[1.0, 3.0]), (2.0, 0.0));
    }

    #[test]
    fn variance_se_matches_the_normal_law() {
        // For a normal sample m₄ → 3σ⁴, so the standard error of s² tends
        // to σ²√(2/m). The estimate of m₄ has standard deviation
        // √((μ₈ − μ₄²)/m) = √(96/m)σ⁴ ≈ 0.022σ⁴ here, about 1.1% of
        // m₄ − σ⁴ = 2σ⁴, so 0.55% of the standard error: 3% is over five
        // of those.
        let mut rng = crate::seeded(11);
        let sigma = 3.0;
        let values: Vec<f64> = (0..100_000).map(|_| sigma * normal(&mut rng)).collect();
        let (var, se) = variance_se(&values);
        let expected = sigma * sigma * (2.0 / values.len() as f64).sqrt();
        assert!((se / expected - 1.0).abs() < 0.03, "{se} vs {expected}");
        assert!((var - sigma * sigma).abs() < 4.0 * expected, "{var}");
        // And the mean's standard error is σ/√m, within the error of s.
        let (_, se_mean) = mean_se(&values);
        let expected = sigma / (values.len() as f64).sqrt();
        assert!((se_mean / expected - 1.0).abs() < 0.01, "{se_mean}");
    }

    /// A standard normal draw (Box–Muller), so the test needs no
    /// distribution crate.
    fn normal(rng: &mut impl rand::Rng) -> f64 {
        use rand::RngExt;
        let (u, v): (f64, f64) = (rng.random(), rng.random());
        (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    #[test]
    fn the_domain_is_as_documented() {
        let (m, s) = mean_se(&[]);
        assert!(m.is_nan() && s.is_nan());
        let (m, s) = mean_se(&[2.5]);
        assert!(m == 2.5 && s.is_nan());
        for small in [&[][..], &[1.0]] {
            let (v, s) = variance_se(small);
            assert!(v.is_nan() && s.is_nan(), "{small:?}");
        }
        let (m, s) = mean_se(&[1.0, f64::NAN, 3.0]);
        assert!(m.is_nan() && s.is_nan());
        let (v, s) = variance_se(&[1.0, f64::NAN, 3.0]);
        assert!(v.is_nan() && s.is_nan());
        let (m, s) = mean_se(&[1.0, f64::INFINITY]);
        assert!(m == f64::INFINITY && s.is_nan());
    }
}
