//! The chapter's exercises, solved.

use crate::error::{Error, Result};
use crate::signal::{SignalMap, critical_weight_variance};
use ch03_backprop::Activation;

// ANCHOR: bias_for_critical
/// Exercise 2. The bias variance at which tanh's critical weight variance
/// is `target`, by bisection on `σ_b² ∈ [0, 1]` (the critical `σ_w²`
/// grows with `σ_b²`). Errors: a target outside the critical values of
/// that range.
pub fn bias_for_critical(target: f64) -> Result<f64> {
    let critical = |b: f64| critical_weight_variance(Activation::Tanh, b, (0.5, 20.0));
    let (mut lo, mut hi) = (0.0, 1.0);
    if !(critical(lo)? <= target && target <= critical(hi)?) {
        return Err(Error::Argument(format!(
            "no bias variance in [0, 1] makes σ_w² = {target} critical"
        )));
    }
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if critical(mid)? < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}
// ANCHOR_END: bias_for_critical

// ANCHOR: layers_to
/// Exercise 3. The number of layers after which the correlation map of
/// `map` at length `q` first exceeds `level`, from `c0`; `None` if it has
/// not after `max_layers`.
pub fn layers_to_correlation(
    map: &SignalMap,
    q: f64,
    c0: f64,
    level: f64,
    max_layers: usize,
) -> Option<usize> {
    let mut c = c0;
    (1..=max_layers).find(|_| {
        c = map.correlation(q, c);
        c > level
    })
}
// ANCHOR_END: layers_to
