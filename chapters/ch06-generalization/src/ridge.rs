//! Ridge regression: the closed form through a Cholesky factorization (the
//! lesson), its derivative in λ, the effective degrees of freedom, the
//! leave-one-out shortcut, the minimum-norm solution, and the spectral
//! form that evaluates a whole path of λ from one SVD (the fast code,
//! tested equal to the lesson).
//!
//! Convention: a design `X` is `n × p`, one example per *row* (the
//! statistics convention; the network engine keeps one example per column).

use crate::error::{Error, Result, check_lambda, finite};
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};

/// A regression data set: the design `X` (`n × p`) and the targets `y`
/// (length `n`).
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    pub x: DMatrix<f64>,
    pub y: DVector<f64>,
}

impl Data {
    /// Checks the shapes and entries. Errors: no rows or no columns, a
    /// target of another length, a non-finite entry.
    pub fn new(x: DMatrix<f64>, y: DVector<f64>) -> Result<Self> {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(Error::Empty(format!(
                "the design is {}×{}; it needs at least one example and one feature",
                x.nrows(),
                x.ncols()
            )));
        }
        if y.len() != x.nrows() {
            return Err(Error::Shape(format!(
                "{} targets for {} examples",
                y.len(),
                x.nrows()
            )));
        }
        finite("the design", x.as_slice())?;
        finite("the targets", y.as_slice())?;
        Ok(Data { x, y })
    }

    /// The number of examples `n`.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// Always false: [`Data::new`] refuses an empty data set.
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }

    /// The number of features `p`.
    pub fn features(&self) -> usize {
        self.x.ncols()
    }

    /// The mean squared error `‖Xw − y‖² / n`. Errors: `w` of the wrong
    /// length.
    pub fn mse(&self, w: &DVector<f64>) -> Result<f64> {
        Ok(self.residuals(w)?.norm_squared() / self.len() as f64)
    }

    /// The residuals `Xw − y`. Errors: `w` of the wrong length.
    pub fn residuals(&self, w: &DVector<f64>) -> Result<DVector<f64>> {
        if w.len() != self.features() {
            return Err(Error::Shape(format!(
                "{} weights for {} features",
                w.len(),
                self.features()
            )));
        }
        Ok(&self.x * w - &self.y)
    }

    /// The data set without example `i` (for leave-one-out refits).
    fn without(&self, i: usize) -> Data {
        Data {
            x: self.x.clone().remove_row(i),
            y: self.y.clone().remove_row(i),
        }
    }
}

/// `XᵀX + λI`, factored. A factorization whose smallest pivot is tiny next
/// to the matrix's scale counts as singular: the solution would be
/// dominated by rounding.
fn factor(x: &DMatrix<f64>, lambda: f64) -> Result<Cholesky<f64, Dyn>> {
    check_lambda(lambda)?;
    let p = x.ncols();
    let a = x.tr_mul(x) + DMatrix::identity(p, p) * lambda;
    let scale = a.diagonal().max();
    let chol = Cholesky::new(a).ok_or(Error::Singular { lambda })?;
    let smallest = chol.l_dirty().diagonal().min();
    if smallest * smallest <= SINGULAR * scale {
        return Err(Error::Singular { lambda });
    }
    Ok(chol)
}

/// A pivot `l_ii` with `l_ii² ≤ SINGULAR · max_j a_jj` marks `XᵀX + λI` as
/// numerically singular (a condition number beyond about 10¹²).
const SINGULAR: f64 = 1e-12;

// ANCHOR: ridge
/// The ridge solution at one λ and its derivative in λ.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub lambda: f64,
    /// `w(λ) = (XᵀX + λI)⁻¹ Xᵀy`.
    pub w: DVector<f64>,
    /// `dw/dλ = −(XᵀX + λI)⁻¹ w(λ)`.
    pub dw: DVector<f64>,
}

/// Minimizes `‖Xw − y‖² + λ‖w‖²`. Errors: λ negative or not finite, or
/// `XᵀX + λI` singular (at λ = 0 with more features than examples, for
/// instance: see [`min_norm`]).
pub fn ridge(data: &Data, lambda: f64) -> Result<Fit> {
    let chol = factor(&data.x, lambda)?;
    let w = chol.solve(&data.x.tr_mul(&data.y));
    // Differentiate (XᵀX + λI) w = Xᵀy in λ: w + (XᵀX + λI) dw/dλ = 0.
    let dw = -chol.solve(&w);
    Ok(Fit { lambda, w, dw })
}

/// The derivative in λ of the validation error `‖X_v w(λ) − y_v‖² / m`:
/// `(2/m) (X_v w − y_v)ᵀ X_v dw/dλ`. Errors: `val` with another number of
/// features.
pub fn validation_gradient(val: &Data, fit: &Fit) -> Result<f64> {
    let r = val.residuals(&fit.w)?;
    Ok(2.0 * r.dot(&(&val.x * &fit.dw)) / val.len() as f64)
}
// ANCHOR_END: ridge

// ANCHOR: complexity
/// The effective degrees of freedom `tr(X (XᵀX + λI)⁻¹ Xᵀ)`, the trace of
/// the matrix that maps `y` to the fitted values. Errors: those of [`ridge`].
pub fn effective_df(x: &DMatrix<f64>, lambda: f64) -> Result<f64> {
    if x.is_empty() {
        return Err(Error::Empty("the design has no entries".into()));
    }
    finite("the design", x.as_slice())?;
    let chol = factor(x, lambda)?;
    Ok(chol.solve(&x.tr_mul(x)).trace())
}

/// The leave-one-out residuals `y_i − x_iᵀ w₋ᵢ(λ)` by the shortcut
/// `(y_i − ŷ_i) / (1 − H_ii)`, with `H = X (XᵀX + λI)⁻¹ Xᵀ`: one fit
/// instead of `n`. Errors: those of [`ridge`], or an example of leverage
/// `H_ii = 1` (its leave-one-out fit is not determined by this one).
pub fn loo_residuals(data: &Data, lambda: f64) -> Result<DVector<f64>> {
    let chol = factor(&data.x, lambda)?;
    let w = chol.solve(&data.x.tr_mul(&data.y));
    let fitted = &data.x * w;
    let hat = chol.solve(&data.x.transpose()); // (XᵀX + λI)⁻¹ Xᵀ, p × n
    let mut out = DVector::zeros(data.len());
    for i in 0..data.len() {
        let h_ii = data.x.row(i).dot(&hat.column(i).transpose());
        // Leverage one: the fit without example i cannot be recovered
        // from this one (with p = n every example has it at λ = 0).
        if 1.0 - h_ii <= 1e-12 {
            return Err(Error::Argument(format!(
                "example {i} has leverage {h_ii}: the shortcut needs H_ii < 1"
            )));
        }
        out[i] = (data.y[i] - fitted[i]) / (1.0 - h_ii);
    }
    Ok(out)
}
// ANCHOR_END: complexity

/// The leave-one-out residuals by `n` explicit refits (the definition, to
/// check [`loo_residuals`] against). Errors: fewer than two examples, or
/// those of [`ridge`] for any refit.
pub fn loo_residuals_by_refits(data: &Data, lambda: f64) -> Result<DVector<f64>> {
    if data.len() < 2 {
        return Err(Error::Empty("leave-one-out needs two examples".into()));
    }
    let mut out = DVector::zeros(data.len());
    for i in 0..data.len() {
        let fit = ridge(&data.without(i), lambda)?;
        out[i] = data.y[i] - data.x.row(i).dot(&fit.w.transpose());
    }
    Ok(out)
}

// ANCHOR: min_norm
/// The least-squares solution of smallest norm: with `p ≤ n` features the
/// unique minimizer `(XᵀX)⁻¹ Xᵀy`, with `p > n` the interpolating
/// `Xᵀ (XXᵀ)⁻¹ y`, which lies in the row space of `X` and is therefore
/// the shortest solution of `Xw = y`. It is the limit of ridge as λ → 0⁺.
/// Errors: `X` without full rank (the Gram matrix is singular).
pub fn min_norm(data: &Data) -> Result<DVector<f64>> {
    if data.features() <= data.len() {
        Ok(ridge(data, 0.0)?.w)
    } else {
        let xt = data.x.transpose();
        let chol = factor(&xt, 0.0)?; // factors X Xᵀ
        Ok(xt * chol.solve(&data.y))
    }
}
// ANCHOR_END: min_norm

/// Ridge along a whole path of λ from one thin SVD `X = U S Vᵀ`:
/// `w(λ) = V diag(s/(s² + λ)) Uᵀy` costs `O(p r)` per λ instead of a new
/// factorization. At λ = 0 it gives the minimum-norm solution (singular
/// values below `max(n, p) ε s_max` count as zero).
#[derive(Clone, Debug)]
pub struct Spectrum {
    s: DVector<f64>,
    v: DMatrix<f64>,
    /// `Uᵀy`: the targets in the basis of the left singular vectors.
    c: DVector<f64>,
    /// `‖y‖² − ‖Uᵀy‖²`: the part of `y` no weights can fit.
    unreachable: f64,
    n: usize,
}

impl Spectrum {
    /// The SVD of the design. Errors: an SVD that does not converge
    /// (nalgebra's iteration), which the checked entries of [`Data`] make
    /// unexpected.
    pub fn new(data: &Data) -> Result<Self> {
        let svd = data.x.clone().svd(true, true);
        let (Some(u), Some(vt)) = (svd.u, svd.v_t) else {
            return Err(Error::Argument("the SVD did not converge".into()));
        };
        let tolerance =
            data.len().max(data.features()) as f64 * f64::EPSILON * svd.singular_values.max();
        let keep: Vec<usize> = (0..svd.singular_values.len())
            .filter(|&k| svd.singular_values[k] > tolerance)
            .collect();
        let s = DVector::from_iterator(keep.len(), keep.iter().map(|&k| svd.singular_values[k]));
        let v = DMatrix::from_fn(data.features(), keep.len(), |i, j| vt[(keep[j], i)]);
        let c = DVector::from_iterator(keep.len(), keep.iter().map(|&k| u.column(k).dot(&data.y)));
        let unreachable = (data.y.norm_squared() - c.norm_squared()).max(0.0);
        Ok(Spectrum {
            s,
            v,
            c,
            unreachable,
            n: data.len(),
        })
    }

    /// The nonzero singular values of `X`.
    pub fn singular_values(&self) -> &DVector<f64> {
        &self.s
    }

    /// The right singular vectors `V` (`p × r`).
    pub fn basis(&self) -> &DMatrix<f64> {
        &self.v
    }

    /// `w(λ)` and `dw/dλ` in the basis [`Spectrum::basis`]: the
    /// coefficients `s_k c_k / (s_k² + λ)` and `−s_k c_k / (s_k² + λ)²`.
    /// Errors: λ negative or not finite.
    pub fn coefficients(&self, lambda: f64) -> Result<(DVector<f64>, DVector<f64>)> {
        check_lambda(lambda)?;
        let r = self.s.len();
        let a = DVector::from_fn(r, |k, _| {
            self.s[k] * self.c[k] / (self.s[k].powi(2) + lambda)
        });
        let da = DVector::from_fn(r, |k, _| -a[k] / (self.s[k].powi(2) + lambda));
        Ok((a, da))
    }

    /// `w(λ) = V diag(s/(s² + λ)) Uᵀy`. Errors: λ negative or not finite.
    pub fn weights(&self, lambda: f64) -> Result<DVector<f64>> {
        Ok(&self.v * self.coefficients(lambda)?.0)
    }

    /// `dw/dλ = −V diag(s/(s² + λ)²) Uᵀy`. Errors: λ negative or not finite.
    pub fn weights_derivative(&self, lambda: f64) -> Result<DVector<f64>> {
        Ok(&self.v * self.coefficients(lambda)?.1)
    }

    /// The training error `‖X w(λ) − y‖² / n = (Σ_k (λ/(s_k² + λ))² c_k² +
    /// ‖y‖² − ‖c‖²) / n`: every term grows with λ, which proves that the
    /// training error never decreases as λ grows. Errors: λ negative or not
    /// finite.
    pub fn train_error(&self, lambda: f64) -> Result<f64> {
        check_lambda(lambda)?;
        let fitted_part: f64 = self
            .s
            .iter()
            .zip(self.c.iter())
            .map(|(&s, &c)| (lambda / (s * s + lambda) * c).powi(2))
            .sum();
        Ok((fitted_part + self.unreachable) / self.n as f64)
    }

    /// `Σ s_k² / (s_k² + λ)`, the effective degrees of freedom. Errors: λ
    /// negative or not finite.
    pub fn effective_df(&self, lambda: f64) -> Result<f64> {
        check_lambda(lambda)?;
        Ok(self.s.iter().map(|&s| s * s / (s * s + lambda)).sum())
    }
}
