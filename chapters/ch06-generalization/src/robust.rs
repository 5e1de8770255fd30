//! Robustness: spectral norms by power iteration, the Lipschitz bound of a
//! feed-forward network, input gradients, the fast gradient sign method
//! and certified radii.

use crate::error::{Error, Result, finite};
use ch03_backprop::{Activation, DMatrix, Loss, Mlp, Workspace, normal};

// ANCHOR: power
/// The largest singular value `‖W‖₂` by power iteration on `WᵀW` from a
/// seeded random start: `v ← WᵀW v / ‖WᵀW v‖`, `σ = ‖W v‖`, until two
/// successive estimates agree to `tol` relatively. Returns the estimate and
/// the number of iterations. The error after `k` steps shrinks like
/// `(σ₂/σ₁)^{2k}`. Errors: an empty or non-finite matrix, or no
/// convergence within `max_iter` steps.
pub fn spectral_norm(w: &DMatrix<f64>, tol: f64, max_iter: usize) -> Result<(f64, usize)> {
    if w.is_empty() {
        return Err(Error::Empty("a matrix with no entries".into()));
    }
    finite("the matrix", w.as_slice())?;
    let mut rng = book_support::seeded(0);
    let mut v = nalgebra::DVector::from_fn(w.ncols(), |_, _| normal(&mut rng));
    v /= v.norm();
    let mut sigma = (w * &v).norm();
    for k in 1..=max_iter {
        let u = w.tr_mul(&(w * &v));
        let norm = u.norm();
        if norm == 0.0 {
            return Ok((0.0, k)); // W v = 0: W is zero on this start (and W = 0 if σ was 0)
        }
        v = u / norm;
        let next = (w * &v).norm();
        if (next - sigma).abs() <= tol * next {
            return Ok((next, k));
        }
        sigma = next;
    }
    Err(Error::Argument(format!(
        "power iteration did not converge in {max_iter} steps"
    )))
}
// ANCHOR_END: power

/// The largest slope `sup |φ'|` of an activation.
pub fn max_slope(a: Activation) -> f64 {
    match a {
        Activation::Sigmoid => 0.25,
        Activation::Identity | Activation::Tanh | Activation::Relu => 1.0,
    }
}

// ANCHOR: bound
/// `‖W‖₂` from nalgebra's SVD, accurate to rounding. Power iteration
/// approaches `‖W‖₂` from below (`‖Wv‖ ≤ ‖W‖₂` for every unit `v`), so an
/// unconverged estimate would understate a bound; the certificate uses this.
pub fn spectral_norm_svd(w: &DMatrix<f64>) -> Result<f64> {
    if w.is_empty() {
        return Err(Error::Empty("a matrix with no entries".into()));
    }
    finite("the matrix", w.as_slice())?;
    Ok(w.singular_values().max())
}

/// The Lipschitz bound `K = Π_l sup|φ_l'| ‖W_l‖₂` of a feed-forward network
/// in the Euclidean norm: each layer `x ↦ φ(Wx + b)` stretches distances by
/// at most `sup|φ'| ‖W‖₂`, and stretches multiply under composition.
/// Errors: those of [`spectral_norm_svd`].
pub fn lipschitz_bound(net: &Mlp) -> Result<f64> {
    let mut k = 1.0;
    for l in 1..=net.depth() {
        k *= max_slope(net.activation(l)) * spectral_norm_svd(&net.w(l).into_owned())?;
    }
    Ok(k)
}
// ANCHOR_END: bound

/// `∇_x f` of a network with one output, at every column of `x` (one
/// gradient per column): the engine's backward pass of the linear loss,
/// which seeds every column with `1/B`, scaled back by the batch size `B`.
/// Errors: a network with more than one output, or bad input.
pub fn input_gradients(net: &Mlp, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    if net.widths().last() != Some(&1) {
        return Err(Error::Shape(
            "input gradients need a network with one output".into(),
        ));
    }
    let mut ws = Workspace::new(net, x.ncols())?.with_input_gradient();
    let ones = DMatrix::from_element(1, x.ncols(), 1.0);
    net.loss_and_gradient(x, &ones, Loss::Linear, &mut ws)?;
    let dx = ws
        .activation_gradient(0)
        .ok_or_else(|| Error::Argument("no input gradient".into()))?;
    Ok(dx * x.ncols() as f64)
}

/// The largest `‖∇_x f‖` found at the columns of `x`.
pub fn largest_gradient(net: &Mlp, x: &DMatrix<f64>) -> Result<f64> {
    Ok(input_gradients(net, x)?
        .column_iter()
        .map(|c| c.norm())
        .fold(0.0, f64::max))
}

// ANCHOR: fgsm
/// The fast gradient sign method (Goodfellow, Shlens and Szegedy 2015) for a
/// binary classifier `sign f(x)` with labels `±1`: each column moves by
/// `ε sign(∇_x ℓ)` for the logistic loss `ℓ = ln(1 + e^{−y f})`, that is by
/// `−ε y sign(∇_x f)`, the step of length ε in every coordinate that most
/// lowers the margin `y f(x)` to first order. No clipping to the pixel
/// range, so that the step is exactly ε in every coordinate. Errors: ε
/// negative or not finite, labels of the wrong length or not `±1`.
pub fn fgsm(net: &Mlp, x: &DMatrix<f64>, labels: &[f64], eps: f64) -> Result<DMatrix<f64>> {
    if !(eps.is_finite() && eps >= 0.0) {
        return Err(Error::Argument(format!(
            "ε = {eps} must be finite and nonnegative"
        )));
    }
    check_labels(labels, x.ncols())?;
    let g = input_gradients(net, x)?;
    Ok(DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| {
        x[(i, j)] - eps * labels[j] * sign(g[(i, j)])
    }))
}
// ANCHOR_END: fgsm

/// `sign(t)` with `sign(0) = 0`, as the attack uses it.
pub fn sign(t: f64) -> f64 {
    if t > 0.0 {
        1.0
    } else if t < 0.0 {
        -1.0
    } else {
        0.0
    }
}

fn check_labels(labels: &[f64], n: usize) -> Result<()> {
    if labels.len() != n {
        return Err(Error::Shape(format!(
            "{} labels for {n} examples",
            labels.len()
        )));
    }
    if let Some(v) = labels.iter().find(|&&v| v != 1.0 && v != -1.0) {
        return Err(Error::Argument(format!("labels are +1 or -1, got {v}")));
    }
    Ok(())
}

/// The margins `y_j f(x_j)`: positive where the classifier is right.
/// Errors: bad labels or input.
pub fn margins(net: &Mlp, x: &DMatrix<f64>, labels: &[f64]) -> Result<Vec<f64>> {
    check_labels(labels, x.ncols())?;
    let f = net.forward(x)?;
    Ok(labels
        .iter()
        .enumerate()
        .map(|(j, y)| y * f[(0, j)])
        .collect())
}

/// The fraction of positive margins. Errors: no margins.
pub fn accuracy(margins: &[f64]) -> Result<f64> {
    if margins.is_empty() {
        return Err(Error::Empty("no margins".into()));
    }
    Ok(margins.iter().filter(|&&m| m > 0.0).count() as f64 / margins.len() as f64)
}

/// The fraction of examples whose margin certifies them at L∞ radius ε
/// for a network with Euclidean Lipschitz bound `k` on `d` inputs: a
/// perturbation with `‖δ‖_∞ ≤ ε` has `‖δ‖₂ ≤ ε√d`, so it moves `f` by at
/// most `k ε √d`, and `y f(x) > k ε √d` guarantees the label survives.
/// Errors: no margins, `k` not positive and finite, ε negative or not
/// finite.
pub fn certified_accuracy(margins: &[f64], k: f64, d: usize, eps: f64) -> Result<f64> {
    if !(k > 0.0 && k.is_finite() && eps >= 0.0 && eps.is_finite()) {
        return Err(Error::Argument(format!(
            "a certificate needs a positive finite bound and ε ≥ 0, got K = {k}, ε = {eps}"
        )));
    }
    let reach = k * eps * (d as f64).sqrt();
    let certified: Vec<f64> = margins
        .iter()
        .map(|&m| if m > reach { 1.0 } else { -1.0 })
        .collect();
    accuracy(&certified)
}
