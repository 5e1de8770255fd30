//! The losses on the network's output, with their gradients.

use super::{EngineError, Result, finite};
use ch02_softmax::exercises::{sigmoid, softplus};
use ch02_softmax::log_sum_exp;
use nalgebra::DMatrix;

/// A loss on the network's output `f(x)` (the last layer's `x_L`), averaged
/// over the examples of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Squared error, `ℓ = ½ ‖f(x) − y‖²` per example; `∂ℓ/∂f = f(x) − y`.
    Mse,
    /// Cross-entropy of `softmax(f(x))` against a probability vector `y`
    /// (usually one-hot), computed through log-sum-exp as in chapter 2;
    /// `∂ℓ/∂z = softmax(z) − y`.
    SoftmaxCrossEntropy,
    /// The linear functional `ℓ = Σ_ij y_ij f(x)_ij / B`, whose gradient is
    /// `y / B` whatever the output: a way to push a chosen direction `y`
    /// backwards through the network (a vector-Jacobian product).
    Linear,
    /// The logistic loss of a logit `z = f(x)` for a label `y = ±1`,
    /// `ℓ = ln(1 + e^{−y z})` per output entry, computed as
    /// `softplus(−y z)` (chapter 2) so that it never overflows;
    /// `∂ℓ/∂z = −y σ(−y z)`.
    Logistic,
}

impl Loss {
    /// Checks the target of a batch: same shape as the output, finite, and
    /// for cross-entropy each column nonnegative and summing to 1 (within
    /// `1e-9`), for the logistic loss every entry `+1` or `−1`.
    pub fn check_target(self, output_rows: usize, batch: usize, y: &DMatrix<f64>) -> Result<()> {
        if y.shape() != (output_rows, batch) {
            return Err(EngineError::Shape(format!(
                "target is {}×{}, the output is {output_rows}×{batch}",
                y.nrows(),
                y.ncols()
            )));
        }
        finite("target", y.as_slice())?;
        if self == Loss::Logistic
            && let Some(v) = y.iter().find(|&&v| v != 1.0 && v != -1.0)
        {
            return Err(EngineError::Target(format!(
                "logistic labels are +1 or -1, got {v}"
            )));
        }
        if self == Loss::SoftmaxCrossEntropy {
            for (j, col) in y.column_iter().enumerate() {
                let sum: f64 = col.iter().sum();
                if col.iter().any(|&v| v < 0.0) || (sum - 1.0).abs() > 1e-9 {
                    return Err(EngineError::Target(format!(
                        "column {j} is not a probability vector (sum {sum})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The batch-averaged loss of `output` against `y` and its gradient
    /// `∂ℓ/∂output`. Errors: an empty or non-finite output, or a target
    /// that [`Loss::check_target`] refuses.
    pub fn value_and_gradient(
        self,
        output: &DMatrix<f64>,
        y: &DMatrix<f64>,
    ) -> Result<(f64, DMatrix<f64>)> {
        if output.is_empty() {
            return Err(EngineError::Empty("the output has no entries".into()));
        }
        finite("output", output.as_slice())?;
        self.check_target(output.nrows(), output.ncols(), y)?;
        let mut grad = DMatrix::zeros(output.nrows(), output.ncols());
        let value = self.evaluate(output, y, &mut grad);
        Ok((value, grad))
    }

    /// The batch-averaged loss of `output` against `y`, writing `∂ℓ/∂output`
    /// into `grad`. Shapes are the caller's responsibility (checked by the
    /// public entry points of [`Mlp`]).
    pub(super) fn evaluate(
        self,
        output: &DMatrix<f64>,
        y: &DMatrix<f64>,
        grad: &mut DMatrix<f64>,
    ) -> f64 {
        let inv_b = 1.0 / output.ncols() as f64;
        match self {
            Loss::Mse => {
                let mut total = 0.0;
                for ((g, &o), &t) in grad.iter_mut().zip(output.iter()).zip(y.iter()) {
                    let d = o - t;
                    total += 0.5 * d * d;
                    *g = d * inv_b;
                }
                total * inv_b
            }
            Loss::SoftmaxCrossEntropy => {
                let mut total = 0.0;
                let rows = output.nrows();
                for j in 0..output.ncols() {
                    let z = &output.as_slice()[j * rows..(j + 1) * rows];
                    let lse = log_sum_exp(z);
                    for (i, &zi) in z.iter().enumerate() {
                        let p = (zi - lse).exp();
                        total += y[(i, j)] * (lse - zi);
                        grad[(i, j)] = (p - y[(i, j)]) * inv_b;
                    }
                }
                total * inv_b
            }
            Loss::Linear => {
                let mut total = 0.0;
                for ((g, &o), &t) in grad.iter_mut().zip(output.iter()).zip(y.iter()) {
                    total += t * o;
                    *g = t * inv_b;
                }
                total * inv_b
            }
            Loss::Logistic => {
                let mut total = 0.0;
                for ((g, &z), &t) in grad.iter_mut().zip(output.iter()).zip(y.iter()) {
                    total += softplus(-t * z);
                    *g = -t * sigmoid(-t * z) * inv_b;
                }
                total * inv_b
            }
        }
    }
}
