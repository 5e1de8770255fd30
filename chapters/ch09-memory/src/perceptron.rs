//! Rosenblatt's perceptron (1958) as a model neuron, and Novikoff's bound
//! on its mistakes.

use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};

/// The record of a perceptron run.
#[derive(Clone, Debug, PartialEq)]
pub struct PerceptronRun {
    pub w: DVector<f64>,
    /// Updates made (each a mistake).
    pub mistakes: usize,
    /// Passes over the data, the last of them without a mistake if
    /// `converged`.
    pub epochs: usize,
    pub converged: bool,
}

// ANCHOR: perceptron
/// The perceptron through the origin on signed points `z_i = y_i x_i`
/// (columns): start at `w = 0`; whenever `z_iᵀ w ≤ 0`, a mistake, add
/// `z_i` (Hebb's rule, gated by the error). Passes over the points in
/// order until one makes no mistake or `max_epochs` pass. Errors: no
/// points or non-finite entries.
pub fn perceptron(z: &DMatrix<f64>, max_epochs: usize) -> Result<PerceptronRun> {
    if z.ncols() == 0 || z.nrows() == 0 {
        return Err(Error::Empty(format!("{}×{} points", z.nrows(), z.ncols())));
    }
    if z.iter().any(|v| !v.is_finite()) {
        return Err(Error::NonFinite(
            "a point has a NaN or infinite entry".into(),
        ));
    }
    let mut w = DVector::zeros(z.nrows());
    let mut mistakes = 0;
    for epoch in 1..=max_epochs {
        let mut clean = true;
        for zi in z.column_iter() {
            if zi.dot(&w) <= 0.0 {
                w += zi;
                mistakes += 1;
                clean = false;
            }
        }
        if clean {
            return Ok(PerceptronRun {
                w,
                mistakes,
                epochs: epoch,
                converged: true,
            });
        }
    }
    Ok(PerceptronRun {
        w,
        mistakes,
        epochs: max_epochs,
        converged: false,
    })
}
// ANCHOR_END: perceptron
