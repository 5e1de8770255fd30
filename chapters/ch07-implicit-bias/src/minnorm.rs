//! The simplest implicit bias: gradient descent on underdetermined least
//! squares, started at zero, converges to the minimum-norm solution.

use crate::error::{Error, Result};
use ch06_generalization::{Data, min_norm};
use nalgebra::DVector;

// ANCHOR: least_squares
/// Gradient descent on `½‖Xw − y‖²` from `w0` with step `eta` for `steps`
/// steps. Every step adds `−η Xᵀ(Xw − y)`, a vector in the row space of
/// `X`; so `w − w0` never leaves the row space. Errors: `w0` of the wrong
/// length or not finite, `eta` not positive and finite, or not below
/// `2/σ_max(X)²` (the step that would diverge).
pub fn least_squares_descent(
    data: &Data,
    w0: &DVector<f64>,
    eta: f64,
    steps: usize,
) -> Result<DVector<f64>> {
    if w0.len() != data.features() {
        return Err(Error::Shape(format!(
            "{} weights for {} features",
            w0.len(),
            data.features()
        )));
    }
    crate::error::finite("the start", w0.as_slice())?;
    if !(eta > 0.0 && eta.is_finite()) {
        return Err(Error::Argument(format!(
            "step size {eta} must be positive and finite"
        )));
    }
    let s = data.x.singular_values().max();
    let bound = 2.0 / (s * s);
    if eta >= bound {
        return Err(Error::StepTooLarge { eta, bound });
    }
    let mut w = w0.clone();
    for _ in 0..steps {
        let r = &data.x * &w - &data.y;
        w -= eta * data.x.tr_mul(&r);
    }
    Ok(w)
}
// ANCHOR_END: least_squares

/// Where gradient descent from `w0` converges: the minimum-norm solution
/// plus the part of `w0` in the null space of `X`,
/// `w* = X⁺y + (I − X⁺X) w0`. Errors: `X` without full row rank.
pub fn limit_from(data: &Data, w0: &DVector<f64>) -> Result<DVector<f64>> {
    let w = min_norm(data).map_err(|e| Error::Argument(e.to_string()))?;
    let pinv = data
        .x
        .clone()
        .pseudo_inverse(1e-12)
        .map_err(|e| Error::Argument(e.to_string()))?;
    let null_part = w0 - &pinv * (&data.x * w0);
    Ok(w + null_part)
}
