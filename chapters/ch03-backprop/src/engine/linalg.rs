//! The kernels of the two passes and the update: matrix products and
//! column operations written into preallocated matrices, so that a training
//! step allocates nothing, and finiteness checks that vectorize.

use super::{EngineError, Result};
use nalgebra::{DMatrix, DMatrixViewMut, Dyn, MatrixView};

/// Adds the vector `b` to every column of `m` (`m` has `b.len()` rows).
pub(super) fn add_to_columns(m: &mut DMatrix<f64>, b: &[f64]) {
    for column in m.as_mut_slice().chunks_exact_mut(b.len()) {
        column.iter_mut().zip(b).for_each(|(v, bi)| *v += bi);
    }
}

/// `out = m 1`: the sum of the columns of `m` (`m` has `out.len()` rows).
pub(super) fn sum_columns(m: &DMatrix<f64>, out: &mut [f64]) {
    out.fill(0.0);
    for column in m.as_slice().chunks_exact(out.len()) {
        out.iter_mut().zip(column).for_each(|(o, v)| *o += v);
    }
}

/// A matrix operand as raw column-major data read with explicit strides:
/// element `(i, k)` is `data[i * rs + k * cs]`. A transpose is the same data
/// with the strides swapped, so no product below copies a matrix. Public so
/// that later chapters' fast blocks use the same products.
#[derive(Clone, Copy, Debug)]
pub struct Operand<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> Operand<'a> {
    /// The column-major `rows × (data.len() / rows)` matrix stored in
    /// `data`. Panics for `rows == 0`.
    pub fn of(data: &'a [f64], rows: usize) -> Self {
        assert!(rows > 0, "an operand has at least one row");
        Operand {
            data,
            rows,
            cols: data.len() / rows,
            rs: 1,
            cs: rows,
        }
    }

    /// The transpose: the same memory, strides swapped.
    pub fn t(self) -> Self {
        Operand {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    fn get(&self, i: usize, k: usize) -> f64 {
        self.data[i * self.rs + k * self.cs]
    }

    fn view(self) -> MatrixView<'a, f64, Dyn, Dyn, Dyn, Dyn> {
        MatrixView::from_slice_with_strides_generic(
            self.data,
            Dyn(self.rows),
            Dyn(self.cols),
            Dyn(self.rs),
            Dyn(self.cs),
        )
    }
}

/// `out = α a b + β out` into the column-major `a.rows × b.cols` slice
/// `out`, allocation-free (with `β = 0`, `out` is overwritten, never read).
/// When every outer dimension exceeds 5, nalgebra hands the product to the
/// `matrixmultiply` kernels, which take any strides. Below that, nalgebra's
/// own loops pay a call per column or entry and mishandle a strided left
/// operand (nalgebra 0.35 reads past its end), so thin products, such as
/// those of a one-unit output layer, use plain loops here instead. Shapes
/// are the caller's to get right; a mismatch is a bug and panics.
pub fn gemm(out: &mut [f64], alpha: f64, a: Operand<'_>, b: Operand<'_>, beta: f64) {
    const NALGEBRA_SMALL_DIM: usize = 5;
    assert!(
        a.cols == b.rows && out.len() == a.rows * b.cols,
        "product shapes"
    );
    if [a.rows, b.cols, a.cols]
        .iter()
        .all(|&d| d > NALGEBRA_SMALL_DIM)
    {
        let mut o = DMatrixViewMut::from_slice(out, a.rows, b.cols);
        o.gemm(alpha, &a.view(), &b.view(), beta);
        return;
    }
    if alpha == 1.0 && beta == 0.0 {
        return product(out, a, b);
    }
    for j in 0..b.cols {
        for i in 0..a.rows {
            let sum: f64 = (0..a.cols).map(|k| a.get(i, k) * b.get(k, j)).sum();
            let o = &mut out[i + j * a.rows];
            *o = if beta == 0.0 {
                alpha * sum
            } else {
                alpha * sum + beta * *o
            };
        }
    }
}

/// `out = a b` for a small product (some dimension at most 5), by plain
/// loops arranged to vectorize where a column of `a` is contiguous.
fn product(out: &mut [f64], a: Operand<'_>, b: Operand<'_>) {
    if a.rows == 1 {
        // A row times a matrix: one dot product per output entry.
        for (j, o) in out.iter_mut().enumerate() {
            *o = (0..a.cols).map(|k| a.get(0, k) * b.get(k, j)).sum();
        }
        return;
    }
    for (j, column) in out.chunks_exact_mut(a.rows).enumerate() {
        column.fill(0.0);
        for k in 0..a.cols {
            let bkj = b.get(k, j);
            if a.rs == 1 {
                // Column k of `a` is contiguous: a plain axpy that vectorizes.
                let a_col = &a.data[k * a.cs..k * a.cs + a.rows];
                column
                    .iter_mut()
                    .zip(a_col)
                    .for_each(|(o, &aik)| *o += aik * bkj);
            } else {
                for (i, o) in column.iter_mut().enumerate() {
                    *o += a.get(i, k) * bkj;
                }
            }
        }
    }
}

/// `out = a b`, with `a` the column-major matrix of `a_rows` rows in `a`.
pub(super) fn mul_into(out: &mut DMatrix<f64>, a: &[f64], a_rows: usize, b: &DMatrix<f64>) {
    let b = Operand::of(b.as_slice(), b.nrows());
    gemm(out.as_mut_slice(), 1.0, Operand::of(a, a_rows), b, 0.0);
}

/// `out = aᵀ b`, with `a` as in [`mul_into`].
pub(super) fn mul_tr_left_into(out: &mut DMatrix<f64>, a: &[f64], a_rows: usize, b: &DMatrix<f64>) {
    let b = Operand::of(b.as_slice(), b.nrows());
    gemm(out.as_mut_slice(), 1.0, Operand::of(a, a_rows).t(), b, 0.0);
}

/// `out = a bᵀ` into a column-major `a.nrows() × b.nrows()` slice.
pub(super) fn mul_tr_right_into(out: &mut [f64], a: &DMatrix<f64>, b: &DMatrix<f64>) {
    let a = Operand::of(a.as_slice(), a.nrows());
    gemm(out, 1.0, a, Operand::of(b.as_slice(), b.nrows()).t(), 0.0);
}

/// Whether `a_i − c b_i` is finite for every `i` (slices of equal length;
/// with `c = 0` and `b = a`, whether every `a_i` is finite). Written to
/// vectorize: `v · 0` is `0` for a finite `v` and NaN otherwise, and eight
/// independent sums of these stay `0` exactly when every `v` is finite.
pub(super) fn all_finite_after(a: &[f64], b: &[f64], c: f64) -> bool {
    let mut acc = [0.0f64; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a8.remainder().iter().zip(b8.remainder());
    for (a, b) in a8.zip(b8) {
        for k in 0..8 {
            acc[k] += (a[k] - c * b[k]) * 0.0;
        }
    }
    for (a, b) in tail {
        acc[0] += (a - c * b) * 0.0;
    }
    acc.iter().sum::<f64>() == 0.0
}

/// `out_i = p_i − η g_i` for every `i` (slices of equal length); returns
/// whether every `out_i` is finite, tracked as in [`all_finite_after`] so
/// that the one pass vectorizes.
pub(super) fn step_into(out: &mut [f64], p: &[f64], g: &[f64], eta: f64) -> bool {
    let mut acc = [0.0f64; 8];
    let mut o8 = out.chunks_exact_mut(8);
    let (p8, g8) = (p.chunks_exact(8), g.chunks_exact(8));
    let (p_tail, g_tail) = (p8.remainder(), g8.remainder());
    for ((o, p), g) in (&mut o8).zip(p8).zip(g8) {
        for k in 0..8 {
            o[k] = p[k] - eta * g[k];
            acc[k] += o[k] * 0.0;
        }
    }
    for ((o, p), g) in o8.into_remainder().iter_mut().zip(p_tail).zip(g_tail) {
        *o = p - eta * g;
        acc[0] += *o * 0.0;
    }
    acc.iter().sum::<f64>() == 0.0
}

/// `Ok` for a step size that is finite and nonnegative.
pub(super) fn check_step_size(eta: f64) -> Result<()> {
    if eta.is_finite() && eta >= 0.0 {
        Ok(())
    } else {
        Err(EngineError::Argument(format!(
            "step size {eta} must be finite and nonnegative"
        )))
    }
}

/// `Ok` when every value is finite, otherwise an error naming the first
/// offender.
pub(super) fn finite(what: &str, values: &[f64]) -> Result<()> {
    if all_finite_after(values, values, 0.0) {
        return Ok(());
    }
    let i = values.iter().position(|v| !v.is_finite()).unwrap_or(0);
    Err(EngineError::NonFinite(format!(
        "{what} has {} at index {i}",
        values[i]
    )))
}
