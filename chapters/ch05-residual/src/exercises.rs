//! Solutions to the chapter's exercises, each with its tests.

use crate::paths::expected_energy;
use crate::stochastic::Survival;
use ch03_backprop::EngineError;

// ANCHOR: balanced
/// Exercise 1. The shortcut factor `λ = √(1 − 1/L)` for which a block
/// `λ x + F(x)` with the `1/√L` branch scaling keeps the expected squared
/// norm: its factor `λ² + h c₂ = λ² + 1/L` is then one. `L = 0` gives NaN.
pub fn balanced_shortcut(depth: usize) -> f64 {
    (1.0 - 1.0 / depth as f64).sqrt()
}
// ANCHOR_END: balanced

// ANCHOR: uniform
/// Exercise 2. The uniform schedule with the same expected number of
/// active blocks as `survival`. Errors: none for a valid schedule (its mean
/// probability lies in `(0, 1]`).
pub fn matched_uniform(survival: &Survival) -> Result<Survival, EngineError> {
    let depth = survival.probabilities().len();
    Survival::uniform(depth, survival.expected_active() / depth as f64)
}
// ANCHOR_END: uniform

// ANCHOR: effective
/// Exercise 3. The smallest path length `k` such that paths of length at
/// most `k` carry at least the fraction `share` of the expected gradient
/// energy of `depth` linear blocks with branch variance `σ²`. Errors: a
/// share outside `(0, 1]`, `σ²` not positive and finite, `depth > 128`.
pub fn effective_length(depth: u32, sigma2: f64, share: f64) -> Result<usize, EngineError> {
    if !(share > 0.0 && share <= 1.0 && sigma2.is_finite() && sigma2 > 0.0) {
        return Err(EngineError::Argument(format!(
            "share {share} must lie in (0, 1] and σ² {sigma2} be positive"
        )));
    }
    let energy = expected_energy(depth, sigma2)?;
    let total: f64 = energy.iter().sum();
    let mut cumulative = 0.0;
    for (k, e) in energy.iter().enumerate() {
        cumulative += e / total;
        if cumulative >= share {
            return Ok(k);
        }
    }
    Ok(depth as usize) // rounding: the last share may fall a hair short of 1
}
// ANCHOR_END: effective

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_shortcuts_keep_the_factor_at_one() {
        for depth in [2, 10, 1000] {
            let l = balanced_shortcut(depth);
            assert!((l * l + 1.0 / depth as f64 - 1.0).abs() < 1e-15);
        }
        assert!(balanced_shortcut(0).is_nan());
    }

    #[test]
    fn matched_schedules_and_effective_lengths() {
        let linear = Survival::linear(10, 0.2).unwrap();
        let u = matched_uniform(&linear).unwrap();
        assert!((u.expected_active() - linear.expected_active()).abs() < 1e-12);
        assert!(u.variance_active() >= linear.variance_active());
        // σ² = 1: the energy is spread like the paths, Bin(n, ½); its
        // median is n/2.
        assert_eq!(effective_length(10, 1.0, 0.5).unwrap(), 5);
        assert_eq!(effective_length(10, 1.0, 1.0).unwrap(), 10);
        assert_eq!(effective_length(10, 1e-9, 0.5).unwrap(), 0);
        for (s2, share) in [
            (0.0, 0.5),
            (f64::NAN, 0.5),
            (1.0, 0.0),
            (1.0, 1.5),
            (1.0, f64::NAN),
        ] {
            assert!(effective_length(10, s2, share).is_err());
        }
    }
}
