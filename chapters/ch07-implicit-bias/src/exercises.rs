//! Solutions to the chapter's exercises, with their tests.

use crate::error::Result;
use crate::logistic::{Rule, check_start, descend};
use crate::svm::{Signed, angle};
use nalgebra::DVector;

// ANCHOR: steps_to
/// The first step count `t ≤ max_steps` at which the angle between `w(t)`
/// and `target` is below `angle_max`, for descent from zero with `rule`
/// and step `eta`; `None` if it is not reached. Errors: those of
/// [`descend`].
pub fn steps_to_angle(
    points: &Signed,
    rule: Rule,
    eta: f64,
    target: &DVector<f64>,
    angle_max: f64,
    max_steps: usize,
) -> Result<Option<usize>> {
    let mut w = DVector::zeros(points.z().nrows());
    for t in 1..=max_steps {
        w = descend(points, rule, &w, eta, &[1])?.remove(0);
        if angle(&w, target) < angle_max {
            return Ok(Some(t));
        }
    }
    Ok(None)
}
// ANCHOR_END: steps_to

// ANCHOR: exponential
/// Gradient descent on the exponential loss `(1/n) Σ e^{−z_iᵀw}` from zero,
/// `w ← w + (η/n) Σ e^{−z_iᵀw} z_i`, for `steps` steps. Its Hessian at zero
/// is `ZZᵀ/n`, so a step must be below `2n/σ_max(Z)²` (and the margins only
/// grow from there, which lowers the curvature). Errors: `eta` not
/// positive and finite, or not below that bound.
pub fn exponential_descent(points: &Signed, eta: f64, steps: usize) -> Result<DVector<f64>> {
    let mut w = DVector::zeros(points.z().nrows());
    check_start(points, &w, eta, &[steps])?;
    let n = points.len() as f64;
    let s = points.z().singular_values().max();
    let bound = 2.0 * n / (s * s);
    if eta >= bound {
        return Err(crate::Error::StepTooLarge { eta, bound });
    }
    for _ in 0..steps {
        let s = points.margins(&w).map(|m| (-m).exp());
        w += points.z() * s * (eta / n);
    }
    Ok(w)
}
// ANCHOR_END: exponential
