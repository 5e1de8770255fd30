//! What the theory of Soudry et al. (2018) predicts beyond the direction,
//! computed from the certified max-margin solution alone.
//!
//! For the mean logistic loss and gradient descent with step η on
//! separable data, `w(t) = ŵ ln t + ρ + o(1)`, where `ŵ` is the hard-margin
//! solution (margin 1) and `ρ` satisfies, for every support vector,
//! `(η/n) e^{−z_iᵀρ} = α_i` with `α` the dual coefficients of `ŵ`
//! (substitute `w(t)` into the update: the increment `ŵ/t` must equal
//! `(η/n) Σ e^{−z_iᵀw(t)} z_i`). Then `t L(t) → (1/n) Σ e^{−z_iᵀρ} = Σα_i/η
//! = ‖ŵ‖²/η`.

use crate::error::{Error, Result};
use crate::svm::{MaxMargin, Signed, angle};
use nalgebra::{DMatrix, DVector};

// ANCHOR: prediction
/// The asymptotic prediction for gradient descent with step `eta`.
#[derive(Clone, Debug, PartialEq)]
pub struct Asymptote {
    /// `ŵ`, the hard-margin solution.
    pub w_hat: DVector<f64>,
    /// `ρ`, the offset (its component along the support vectors; the
    /// rest, if any, is set by the start and is taken to be zero).
    pub rho: DVector<f64>,
    /// The limit of `t L(t)`, `‖ŵ‖²/η`.
    pub loss_times_t: f64,
}

impl Asymptote {
    /// From a certified solution, its support vectors (within `sv_tol` of
    /// margin 1) and the step. Errors: no support vector with `α_i > 0`, or
    /// equations for ρ without a solution.
    pub fn new(points: &Signed, svm: &MaxMargin, sv_tol: f64, eta: f64) -> Result<Self> {
        let n = points.len() as f64;
        // The certified w was rescaled to margin exactly 1; rescale α with it.
        let scale = svm.w.norm() / (points.z() * &svm.alpha).norm();
        let sv: Vec<usize> = svm
            .support_vectors(points, sv_tol)
            .into_iter()
            .filter(|&i| svm.alpha[i] > 0.0)
            .collect();
        if sv.is_empty() {
            return Err(Error::Argument(
                "no support vector with a positive dual coefficient".into(),
            ));
        }
        let a = DMatrix::from_fn(sv.len(), points.z().nrows(), |r, c| points.z()[(c, sv[r])]);
        let b = DVector::from_fn(sv.len(), |r, _| -(n * svm.alpha[sv[r]] * scale / eta).ln());
        let pinv = a
            .clone()
            .pseudo_inverse(1e-12)
            .map_err(|e| Error::Argument(e.to_string()))?;
        let rho = pinv * &b;
        // More support vectors than dimensions, or dependent ones: the
        // equations may have no solution, and a least-squares ρ would be
        // no prediction.
        let residual = (&a * &rho - &b).norm();
        if residual > 1e-8 * (1.0 + b.norm()) {
            return Err(Error::Argument(format!(
                "the support vectors' equations for ρ have no solution (residual {residual:e})"
            )));
        }
        Ok(Asymptote {
            w_hat: svm.w.clone(),
            rho,
            loss_times_t: svm.w.norm_squared() / eta,
        })
    }

    /// The predicted `w(t) = ŵ ln t + ρ`.
    pub fn w(&self, t: f64) -> DVector<f64> {
        &self.w_hat * t.ln() + &self.rho
    }

    /// The predicted angle between `w(t)` and `ŵ`.
    pub fn angle(&self, t: f64) -> f64 {
        angle(&self.w(t), &self.w_hat)
    }
}
// ANCHOR_END: prediction
