//! The compass: the validation error along the ridge path, its exact
//! derivative in λ, and gradient descent on `ln λ` with that derivative.

use crate::error::{Error, Result, check_lambda};
use crate::ridge::{Data, Spectrum};
use nalgebra::{DMatrix, DVector};

/// The validation error `E(λ) = ‖X_v w(λ) − y_v‖² / m` of ridge fitted on
/// a training set, and its derivative, for any λ from one SVD of the
/// training design (the fast form of [`crate::ridge`]'s lesson, tested equal
/// to it).
#[derive(Clone, Debug)]
pub struct ValidationPath {
    spectrum: Spectrum,
    val: Data,
    /// `X_v V`: the validation design in the basis of the right singular
    /// vectors, so each λ costs `O(m r)`.
    val_v: DMatrix<f64>,
    train: Data,
}

impl ValidationPath {
    /// Errors: `val` with another number of features than `train`.
    pub fn new(train: &Data, val: &Data) -> Result<Self> {
        if val.features() != train.features() {
            return Err(Error::Shape(format!(
                "validation has {} features, training {}",
                val.features(),
                train.features()
            )));
        }
        let spectrum = Spectrum::new(train)?;
        Ok(ValidationPath {
            val_v: &val.x * spectrum.basis(),
            spectrum,
            val: val.clone(),
            train: train.clone(),
        })
    }

    /// The training set's spectrum.
    pub fn spectrum(&self) -> &Spectrum {
        &self.spectrum
    }

    /// The training data.
    pub fn train(&self) -> &Data {
        &self.train
    }

    /// The validation data.
    pub fn val(&self) -> &Data {
        &self.val
    }

    /// `E(λ)` and `dE/dλ`. Errors: λ negative or not finite.
    pub fn error_and_gradient(&self, lambda: f64) -> Result<(f64, f64)> {
        let (a, da) = self.spectrum.coefficients(lambda)?;
        let r = &self.val_v * a - &self.val.y;
        let m = self.val.len() as f64;
        Ok((r.norm_squared() / m, 2.0 * r.dot(&(&self.val_v * da)) / m))
    }

    /// `E(λ)`. Errors: λ negative or not finite.
    pub fn error(&self, lambda: f64) -> Result<f64> {
        Ok(self.error_and_gradient(lambda)?.0)
    }

    /// The grid point of smallest validation error, as `(index, λ, E)`.
    /// Errors: an empty grid or a bad λ in it.
    pub fn grid_minimum(&self, grid: &[f64]) -> Result<(usize, f64, f64)> {
        let mut best: Option<(usize, f64, f64)> = None;
        for (i, &l) in grid.iter().enumerate() {
            let e = self.error(l)?;
            if best.is_none_or(|b| e < b.2) {
                best = Some((i, l, e));
            }
        }
        best.ok_or_else(|| Error::Empty("the λ grid is empty".into()))
    }
}

/// `count` values of λ spaced evenly in `ln λ` from `lo` to `hi`. Errors:
/// `lo` or `hi` not positive and finite, `lo ≥ hi`, or fewer than two points.
pub fn log_grid(lo: f64, hi: f64, count: usize) -> Result<Vec<f64>> {
    if !(lo > 0.0 && hi.is_finite() && lo < hi && count >= 2) {
        return Err(Error::Argument(format!(
            "a log grid needs 0 < lo < hi < ∞ and two points, got [{lo}, {hi}] with {count}"
        )));
    }
    let (a, b) = (lo.ln(), hi.ln());
    Ok((0..count)
        .map(|i| (a + (b - a) * i as f64 / (count - 1) as f64).exp())
        .collect())
}

/// The central difference `(E(λ e^h) − E(λ e^{−h})) / (2h)` of the
/// validation error in `ln λ`, for checking `λ dE/dλ`.
pub fn log_central_difference(
    error: impl Fn(f64) -> Result<f64>,
    lambda: f64,
    h: f64,
) -> Result<f64> {
    check_lambda(lambda)?;
    if !(h > 0.0 && h.is_finite()) {
        return Err(Error::Argument(format!(
            "the step h = {h} must be positive and finite"
        )));
    }
    Ok((error(lambda * h.exp())? - error(lambda * (-h).exp())?) / (2.0 * h))
}

// ANCHOR: descent
/// One iterate of [`descend`]: λ, the validation error and `dE/d ln λ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Iterate {
    pub lambda: f64,
    pub error: f64,
    pub slope: f64,
}

/// Gradient descent on `u = ln λ` with the hypergradient
/// `dE/du = λ dE/dλ`, from `lambda0`: each step tries `u − α dE/du`,
/// halving α until the error falls by at least `α (dE/du)² / 2` (Armijo's
/// rule) and doubling it after a success. Stops after `steps` steps, or
/// when `|dE/du| ≤ tol`, or when no step of size `α ≥ 1e-12` lowers the
/// error. Errors: `lambda0` not positive and finite.
pub fn descend(
    path: &ValidationPath,
    lambda0: f64,
    steps: usize,
    tol: f64,
) -> Result<Vec<Iterate>> {
    if !(lambda0 > 0.0 && lambda0.is_finite()) {
        return Err(Error::Lambda(lambda0));
    }
    let at = |u: f64| -> Result<Iterate> {
        let lambda = u.exp();
        let (error, gradient) = path.error_and_gradient(lambda)?;
        Ok(Iterate {
            lambda,
            error,
            slope: lambda * gradient,
        })
    };
    let mut current = at(lambda0.ln())?;
    let mut iterates = vec![current];
    // A first trial step of at most one unit of ln λ (a tenfold change is
    // about 2.3 units); `min` also maps 1/0 = ∞ to 1.
    let mut alpha = (1.0 / current.slope.abs()).min(1.0);
    for _ in 0..steps {
        if current.slope.abs() <= tol {
            break;
        }
        let u = current.lambda.ln();
        let mut accepted = None;
        while alpha >= 1e-12 {
            let next = at(u - alpha * current.slope)?;
            if next.error <= current.error - 0.5 * alpha * current.slope * current.slope {
                accepted = Some(next);
                break;
            }
            alpha /= 2.0;
        }
        let Some(next) = accepted else { break };
        current = next;
        iterates.push(current);
        alpha *= 2.0;
    }
    Ok(iterates)
}
// ANCHOR_END: descent

/// The grid's spacing in `ln λ`.
pub fn log_spacing(grid: &[f64]) -> f64 {
    match grid {
        [a, b, ..] => (b / a).ln(),
        _ => f64::NAN,
    }
}

/// The fitted curve of the weights `w` at the points `t` (for figures).
pub fn fitted(w: &DVector<f64>, t: &[f64], degree: usize) -> Vec<f64> {
    let x = crate::tasks::polynomial_design(t, degree);
    (x * w).iter().copied().collect()
}
