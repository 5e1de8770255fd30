//! Checks that any block is right: its fast passes give the numbers of its
//! lesson passes, and its backward pass agrees with central differences.
//! Later chapters run them on their own blocks.

use super::{Block, EngineError, Result};
use crate::gradcheck::{fd_step, relative_error};
use ch02_softmax::central_differences_with;
use nalgebra::DMatrix;

/// The outcome of [`check_block`]: relative errors (`‖a − b‖_∞ / ‖b‖_∞`,
/// see [`relative_error`]), each against the lesson's passes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlockCheck {
    /// The fast forward pass's output against the lesson's.
    pub forward: f64,
    /// The fast backward pass's `∂ℓ/∂x` against the lesson's.
    pub input_gradient: f64,
    /// The fast backward pass's `∂ℓ/∂θ` against the lesson's.
    pub parameter_gradient: f64,
    /// The lesson's `∂ℓ/∂θ` and `∂ℓ/∂x` against central differences.
    pub finite_differences: f64,
}

impl BlockCheck {
    /// The largest of the four errors (NaN if any is NaN).
    pub fn worst(&self) -> f64 {
        [
            self.forward,
            self.input_gradient,
            self.parameter_gradient,
            self.finite_differences,
        ]
        .into_iter()
        .fold(0.0, |m, e| {
            if e.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(e)
            }
        })
    }
}

/// Checks `block` with parameters `theta` at the input batch `x`, for the
/// scalar `ℓ = Σ_ij u_ij y_ij` whose gradient with respect to the output is
/// a fixed direction `u`. Central differences use the step of
/// [`fd_step`]; near a kink of a piecewise-linear block they measure an
/// average of two slopes, so choose inputs away from kinks. Errors: shapes
/// that do not fit the block.
pub fn check_block<B: Block>(
    block: &B,
    theta: &[f64],
    x: &DMatrix<f64>,
    u: &DMatrix<f64>,
) -> Result<BlockCheck> {
    let batch = x.ncols();
    if theta.len() != block.parameter_count()
        || x.nrows() != block.input_width()
        || u.shape() != (block.output_width(), batch)
        || batch == 0
    {
        return Err(EngineError::Shape(format!(
            "block {} → {} with {} parameters; got θ of {}, x {}×{}, u {}×{}",
            block.input_width(),
            block.output_width(),
            block.parameter_count(),
            theta.len(),
            x.nrows(),
            batch,
            u.nrows(),
            u.ncols()
        )));
    }
    let lesson = block.forward(theta, x);
    let back = block.backward(theta, x, &lesson.saved, u);

    // The fast passes, twice, so that a block that reuses its buffers is
    // checked on the second use too.
    let mut y = DMatrix::zeros(block.output_width(), batch);
    let mut dx = DMatrix::zeros(block.input_width(), batch);
    let mut grad = vec![0.0; theta.len()];
    let mut saved = Vec::new();
    for _ in 0..2 {
        block.forward_into(theta, x, &mut saved, &mut y);
        block.backward_into(theta, x, &y, &mut saved, u, Some(&mut dx), &mut grad);
    }

    let objective = |theta: &[f64], x: &DMatrix<f64>| block.forward(theta, x).y.dot(u);
    let fd_theta = central_differences_with(|t| objective(t, x), theta, fd_step)
        .map_err(|e| EngineError::Argument(e.to_string()))?;
    let fd_x = central_differences_with(
        |v| objective(theta, &DMatrix::from_column_slice(x.nrows(), batch, v)),
        x.as_slice(),
        fd_step,
    )
    .map_err(|e| EngineError::Argument(e.to_string()))?;
    let analytic: Vec<f64> = back.grad.iter().chain(back.dx.iter()).copied().collect();
    let numeric: Vec<f64> = fd_theta.into_iter().chain(fd_x).collect();
    Ok(BlockCheck {
        forward: relative_error(y.as_slice(), lesson.y.as_slice()),
        input_gradient: relative_error(dx.as_slice(), back.dx.as_slice()),
        parameter_gradient: relative_error(&grad, &back.grad),
        finite_differences: relative_error(&numeric, &analytic),
    })
}
