//! The chapter's exercises, solved.

use crate::cover::{Separation, separate};
use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};

// ANCHOR: synchronous
/// Exercise 1. One synchronous step: every neuron at once takes the sign
/// of its field under the weights `w` (a zero field keeps the neuron).
/// Errors: a state and weights of different sizes.
pub fn synchronous_step(w: &DMatrix<f64>, s: &[f64]) -> Result<Vec<f64>> {
    if w.nrows() != s.len() || w.ncols() != s.len() {
        return Err(Error::Shape(format!(
            "{}×{} weights for a state of {}",
            w.nrows(),
            w.ncols(),
            s.len()
        )));
    }
    let h = w * DVector::from_column_slice(s);
    Ok(h.iter()
        .zip(s)
        .map(|(&h, &x)| if h == 0.0 { x } else { h.signum() })
        .collect())
}
// ANCHOR_END: synchronous

// ANCHOR: dependence
/// Exercise 2. For `N + 1` points in general position in `R^N` (the
/// columns of `x`), the labeling `y_i = sign(c_i)` from their linear
/// dependence `Σ c_i x_i = 0` (the null vector of `x`), and what
/// [`separate`] says of it. Errors: `x` not of shape `N × (N + 1)`.
pub fn dependent_labeling(x: &DMatrix<f64>) -> Result<(Vec<f64>, Separation)> {
    if x.ncols() != x.nrows() + 1 {
        return Err(Error::Shape(format!(
            "{} points in R^{}: need N + 1",
            x.ncols(),
            x.nrows()
        )));
    }
    // The right singular vector of the smallest singular value of the
    // square completion spans the null space.
    let mut square = x.clone().insert_row(x.nrows(), 0.0);
    square.row_mut(x.nrows()).fill(0.0);
    let svd = square.svd(false, true);
    let v_t = svd
        .v_t
        .ok_or_else(|| Error::Argument("no singular vectors".into()))?;
    let k = (0..svd.singular_values.len())
        .min_by(|&a, &b| svd.singular_values[a].total_cmp(&svd.singular_values[b]))
        .unwrap();
    let c = v_t.row(k);
    let labels: Vec<f64> = c.iter().map(|v| v.signum()).collect();
    let z = DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| {
        labels[j] * x[(i, j)] / x.column(j).norm()
    });
    Ok((labels, separate(&z, 1e-9)?))
}
// ANCHOR_END: dependence
