//! Beyond linear models: a two-layer ReLU network without biases,
//! `f(x) = Σ_j a_j ReLU(w_jᵀx)`, trained by gradient descent on the
//! logistic loss. It is 2-homogeneous in its parameters θ = (W, a):
//! `f(x; cθ) = c² f(x; θ)`, so its margin grows with ‖θ‖² and the quantity
//! to watch is the normalized margin `min_i y_i f(x_i) / ‖θ‖²`.

use crate::error::{Error, Result, finite};
use ch02_softmax::exercises::sigmoid;
use nalgebra::{DMatrix, DVector};

/// The network's parameters: `W` (`m × d`, one hidden unit per row) and
/// the output weights `a` (length `m`).
#[derive(Clone, Debug, PartialEq)]
pub struct TwoLayer {
    pub w: DMatrix<f64>,
    pub a: DVector<f64>,
}

impl TwoLayer {
    /// Weights drawn `N(0, scale²)`. Errors: a zero width or input size, a
    /// negative or non-finite scale.
    pub fn random<R: rand::Rng + ?Sized>(
        width: usize,
        inputs: usize,
        scale: f64,
        rng: &mut R,
    ) -> Result<Self> {
        if width == 0 || inputs == 0 || !(scale.is_finite() && scale >= 0.0) {
            return Err(Error::Argument(format!(
                "width {width}, inputs {inputs}, scale {scale}"
            )));
        }
        let mut normal = || crate::normal(rng) * scale;
        Ok(TwoLayer {
            w: DMatrix::from_fn(width, inputs, |_, _| normal()),
            a: DVector::from_fn(width, |_, _| normal()),
        })
    }

    /// Errors unless `x` has one finite row per input.
    fn check_input(&self, x: &DMatrix<f64>) -> Result<()> {
        if x.nrows() != self.w.ncols() {
            return Err(Error::Shape(format!(
                "{} inputs, the network takes {}",
                x.nrows(),
                self.w.ncols()
            )));
        }
        finite("the inputs", x.as_slice())
    }

    /// `f(x_i)` for each column of `x`.
    pub fn outputs(&self, x: &DMatrix<f64>) -> Result<DVector<f64>> {
        self.check_input(x)?;
        Ok((&self.w * x).map(|h| h.max(0.0)).tr_mul(&self.a))
    }

    /// `‖θ‖² = ‖W‖² + ‖a‖²`.
    pub fn norm_squared(&self) -> f64 {
        self.w.norm_squared() + self.a.norm_squared()
    }

    /// The normalized margin `min_i y_i f(x_i) / ‖θ‖²`.
    pub fn normalized_margin(&self, x: &DMatrix<f64>, labels: &[f64]) -> Result<f64> {
        let f = self.outputs(x)?;
        Ok(labels
            .iter()
            .zip(f.iter())
            .map(|(y, f)| y * f)
            .fold(f64::INFINITY, f64::min)
            / self.norm_squared())
    }

    /// The smoothed normalized margin of Lyu and Li (2020) for the logistic
    /// loss, `−ln(e^{nL} − 1) / ‖θ‖²` with `L` the mean loss, a lower bound
    /// on the normalized margin once `nL < ln 2` (every point classified).
    pub fn smoothed_margin(&self, x: &DMatrix<f64>, labels: &[f64]) -> Result<f64> {
        let total = self.loss(x, labels)? * labels.len() as f64;
        Ok(-(total.exp_m1()).ln() / self.norm_squared())
    }

    /// The mean logistic loss.
    pub fn loss(&self, x: &DMatrix<f64>, labels: &[f64]) -> Result<f64> {
        let f = self.outputs(x)?;
        check_labels(labels, x.ncols())?;
        let total: f64 = labels
            .iter()
            .zip(f.iter())
            .map(|(y, f)| ch02_softmax::exercises::softplus(-y * f))
            .sum();
        Ok(total / labels.len() as f64)
    }

    // ANCHOR: step
    /// One step of gradient descent on the mean logistic loss. With
    /// `h = Wx`, `g_i = ∂ℓ/∂f_i = −y_i σ(−y_i f_i) / n`: `∂L/∂a = ReLU(h) g`,
    /// `∂L/∂W = (a ⊙ 1[h > 0] ⊙ g) xᵀ`. Errors: bad input, labels or step.
    pub fn step(&mut self, x: &DMatrix<f64>, labels: &[f64], eta: f64) -> Result<()> {
        self.check_input(x)?;
        if !(eta > 0.0 && eta.is_finite()) {
            return Err(Error::Argument(format!(
                "step size {eta} must be positive and finite"
            )));
        }
        check_labels(labels, x.ncols())?;
        let h = &self.w * x;
        let r = h.map(|v| v.max(0.0));
        let f = r.tr_mul(&self.a);
        let n = labels.len() as f64;
        let g = DVector::from_fn(labels.len(), |i, _| {
            -labels[i] * sigmoid(-labels[i] * f[i]) / n
        });
        let grad_a = &r * &g;
        let mut back = h.map(|v| if v > 0.0 { 1.0 } else { 0.0 });
        for (i, mut row) in back.row_iter_mut().enumerate() {
            row *= self.a[i];
        }
        for (j, mut col) in back.column_iter_mut().enumerate() {
            col *= g[j];
        }
        let grad_w = back * x.transpose();
        self.a.axpy(-eta, &grad_a, 1.0);
        self.w -= eta * grad_w;
        Ok(())
    }
    // ANCHOR_END: step
}

fn check_labels(labels: &[f64], n: usize) -> Result<()> {
    if labels.len() != n {
        return Err(Error::Shape(format!(
            "{} labels for {n} points",
            labels.len()
        )));
    }
    if let Some(v) = labels.iter().find(|&&v| v != 1.0 && v != -1.0) {
        return Err(Error::Argument(format!("labels are +1 or -1, got {v}")));
    }
    Ok(())
}
