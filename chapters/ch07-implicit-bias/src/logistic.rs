//! Logistic regression without bias by gradient descent, and its
//! variants: normalized steps, and steepest descent in the L1 norm.
//!
//! The loss is `L(w) = (1/n) Σ ln(1 + e^{−z_iᵀw})` with `z_i = y_i x_i`.

use crate::error::{Error, Result};
use crate::svm::Signed;
use ch02_softmax::exercises::{sigmoid, softplus};
use nalgebra::DVector;

/// The loss `L(w)`, computed with softplus so that it never overflows.
pub fn loss(points: &Signed, w: &DVector<f64>) -> f64 {
    points.margins(w).iter().map(|&m| softplus(-m)).sum::<f64>() / points.len() as f64
}

// ANCHOR: gradient
/// `∇L(w) = −(1/n) Σ σ(−z_iᵀw) z_i`.
pub fn gradient(points: &Signed, w: &DVector<f64>) -> DVector<f64> {
    let s = points.margins(w).map(|m| sigmoid(-m));
    points.z() * s * (-1.0 / points.len() as f64)
}

/// The unit vector along `−∇L(w)`, computed so that it survives when every
/// `σ(−z_iᵀw)` underflows to zero (margins beyond about 745): the
/// coefficients `σ(−m_i)` are divided by the largest one first, `σ(−m_i)/σ(−m_min) =
/// e^{softplus(m_min) − softplus(m_i)}`. The zero vector if the gradient
/// is exactly zero.
pub fn descent_direction(points: &Signed, w: &DVector<f64>) -> DVector<f64> {
    let m = points.margins(w);
    let top = softplus(m.min());
    let s = m.map(|mi| (top - softplus(mi)).exp());
    let d = points.z() * s;
    let n = d.norm();
    if n > 0.0 { d / n } else { d }
}

/// The smoothness of `L`: its Hessian `(1/n) Σ σ'(m_i) z_i z_iᵀ` is at most
/// `β = σ_max(Z)² / (4n)`, since `σ' ≤ 1/4`. Gradient descent with a fixed
/// step η decreases `L` at every step when `η < 2/β`.
pub fn smoothness(points: &Signed) -> f64 {
    let s = points.z().singular_values().max();
    s * s / (4.0 * points.len() as f64)
}
// ANCHOR_END: gradient

/// How each step is taken.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// `w ← w − η ∇L(w)`.
    Gradient,
    /// `w ← w − η ∇L(w) / ‖∇L(w)‖`: a step of fixed length, in the
    /// direction of [`descent_direction`] (Nacson et al. 2019 study step
    /// sizes that grow as the gradient vanishes).
    Normalized,
    /// Steepest descent in the L1 norm: move only the coordinate whose
    /// partial derivative is largest in absolute value,
    /// `w_j ← w_j − η ‖∇L‖_∞ sign(∂_j L) = w_j − η ∂_j L`.
    SteepestL1,
}

// ANCHOR: descent
/// Gradient descent on `L` with step `eta` and the given rule, from `w0`,
/// recording `w` at each of `checkpoints` (step counts, ascending). Errors:
/// `w0` of the wrong length, `eta` not positive and finite, unsorted
/// checkpoints, or for [`Rule::Gradient`] a step at or above `2/β`.
pub fn descend(
    points: &Signed,
    rule: Rule,
    w0: &DVector<f64>,
    eta: f64,
    checkpoints: &[usize],
) -> Result<Vec<DVector<f64>>> {
    check_start(points, w0, eta, checkpoints)?;
    // A coordinate step needs η < 2/H_jj, which η < 2/β guarantees.
    if rule != Rule::Normalized {
        let bound = 2.0 / smoothness(points);
        if eta >= bound {
            return Err(Error::StepTooLarge { eta, bound });
        }
    }
    let mut w = w0.clone();
    let mut out = Vec::with_capacity(checkpoints.len());
    let mut t = 0;
    for &stop in checkpoints {
        while t < stop {
            let g = gradient(points, &w);
            match rule {
                Rule::Gradient => w.axpy(-eta, &g, 1.0),
                Rule::Normalized => {
                    let d = descent_direction(points, &w);
                    w.axpy(eta, &d, 1.0);
                }
                Rule::SteepestL1 => {
                    let j = g.iamax();
                    w[j] -= eta * g[j];
                }
            }
            t += 1;
        }
        out.push(w.clone());
    }
    Ok(out)
}
// ANCHOR_END: descent

pub(crate) fn check_start(
    points: &Signed,
    w0: &DVector<f64>,
    eta: f64,
    checkpoints: &[usize],
) -> Result<()> {
    if w0.len() != points.z().nrows() {
        return Err(Error::Shape(format!(
            "{} weights for {} coordinates",
            w0.len(),
            points.z().nrows()
        )));
    }
    crate::error::finite("the start", w0.as_slice())?;
    if !(eta > 0.0 && eta.is_finite()) {
        return Err(Error::Argument(format!(
            "step size {eta} must be positive and finite"
        )));
    }
    if checkpoints.windows(2).any(|c| c[1] < c[0]) {
        return Err(Error::Argument(
            "checkpoints must be in ascending order".into(),
        ));
    }
    Ok(())
}

/// `count` step counts spaced evenly in `log10` from `10^0` to
/// `10^max_exponent` (rounded, without repeats).
pub fn log_checkpoints(max_exponent: u32, per_decade: u32) -> Vec<usize> {
    let mut out: Vec<usize> = (0..=max_exponent * per_decade)
        .map(|k| 10f64.powf(f64::from(k) / f64::from(per_decade)).round() as usize)
        .collect();
    out.dedup();
    out
}
