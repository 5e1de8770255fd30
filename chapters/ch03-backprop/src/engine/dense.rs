//! The dense layer `x ↦ φ(W x + b)`, as a block.

use super::linalg::{add_to_columns, mul_into, mul_tr_left_into, mul_tr_right_into, sum_columns};
use super::{Activation, Backward, Block, EngineError, Forward, Result, finite};
use nalgebra::{DMatrix, DMatrixView, DVector, DVectorView};

/// A dense layer with `n_in` inputs, `n_out` units and activation φ. Its
/// parameters `θ` are `W` (`n_out × n_in`, column-major) followed by `b`
/// (length `n_out`); [`Dense::w`] and [`Dense::b`] read them out of `θ` (or
/// out of a gradient shaped like `θ`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dense {
    pub n_in: usize,
    pub n_out: usize,
    pub activation: Activation,
}

impl Dense {
    /// The weight matrix `W` inside `theta` (the layer's parameters or a
    /// gradient with respect to them). Panics if `theta` is shorter than
    /// the layer's parameter count: pass slices the network gave you.
    pub fn w<'a>(&self, theta: &'a [f64]) -> DMatrixView<'a, f64> {
        DMatrixView::from_slice(&theta[..self.n_out * self.n_in], self.n_out, self.n_in)
    }

    /// The bias vector `b` inside `theta` (see [`Dense::w`]).
    pub fn b<'a>(&self, theta: &'a [f64]) -> DVectorView<'a, f64> {
        let start = self.n_out * self.n_in;
        DVectorView::from_slice(&theta[start..start + self.n_out], self.n_out)
    }
}

// ANCHOR: dense
impl Block for Dense {
    fn input_width(&self) -> usize {
        self.n_in
    }
    fn output_width(&self) -> usize {
        self.n_out
    }
    fn parameter_count(&self) -> usize {
        self.n_out * self.n_in + self.n_out
    }

    /// `h = W x + b 1ᵀ` and `y = φ(h)`; saves `h`.
    fn forward(&self, theta: &[f64], x: &DMatrix<f64>) -> Forward {
        let mut h = self.w(theta) * x;
        for mut column in h.column_iter_mut() {
            column += self.b(theta);
        }
        let y = h.map(|t| self.activation.apply(t));
        Forward { y, saved: vec![h] }
    }

    /// `δ = φ'(h) ⊙ dy`, then `∂ℓ/∂W = δ xᵀ`, `∂ℓ/∂b = δ 1` (a sum over the
    /// batch) and `∂ℓ/∂x = Wᵀ δ`.
    fn backward(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &[DMatrix<f64>],
        dy: &DMatrix<f64>,
    ) -> Backward {
        let h = &saved[0];
        let delta = h.zip_map(dy, |t, g| self.activation.derivative(t) * g);
        let dw = &delta * x.transpose();
        let db = delta.column_sum();
        let dx = self.w(theta).transpose() * &delta;
        let grad = dw.iter().chain(db.iter()).copied().collect();
        Backward { dx, grad }
    }
    // (The fast passes follow, in the next section.)
    // ANCHOR_END: dense

    // ANCHOR: dense_fast
    /// The same forward pass into preallocated matrices: `saved` holds `h`
    /// and a buffer for `δ`.
    fn forward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &mut Vec<DMatrix<f64>>,
        y: &mut DMatrix<f64>,
    ) {
        let batch = x.ncols();
        if saved.len() != 2 || saved[0].shape() != (self.n_out, batch) {
            // First use with this batch size: allocate `h` and `δ` once.
            *saved = vec![DMatrix::zeros(self.n_out, batch); 2];
        }
        let (w, b) = theta.split_at(self.n_out * self.n_in);
        let h = &mut saved[0];
        mul_into(h, w, self.n_out, x); // h = W x
        add_to_columns(h, b); //           + b 1ᵀ
        self.activation.apply_all(h.as_slice(), y.as_mut_slice()); // y = φ(h)
    }

    /// The same backward pass, allocation-free: `δ` goes into the second
    /// saved matrix, the transposes are the same memory read with swapped
    /// strides, and `∂ℓ/∂x` is skipped when not asked for.
    fn backward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        saved: &mut [DMatrix<f64>],
        dy: &DMatrix<f64>,
        dx: Option<&mut DMatrix<f64>>,
        grad: &mut [f64],
    ) {
        let [h, delta] = saved else {
            unreachable!("Dense::forward_into saves exactly h and δ")
        };
        self.activation.backward_all(
            h.as_slice(),
            y.as_slice(),
            dy.as_slice(),
            delta.as_mut_slice(),
        );
        let split = self.n_out * self.n_in;
        let (w, _) = theta.split_at(split);
        let (gw, gb) = grad.split_at_mut(split);
        mul_tr_right_into(gw, delta, x); // ∂ℓ/∂W = δ xᵀ
        sum_columns(delta, gb); //          ∂ℓ/∂b = δ 1
        if let Some(dx) = dx {
            mul_tr_left_into(dx, w, self.n_out, delta); // ∂ℓ/∂x = Wᵀ δ
        }
    }
    // ANCHOR_END: dense_fast
}

/// A dense layer together with its parameters: how a network is written
/// down by hand (see [`super::Network::new`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Weights `W_l`, `n_l × n_{l-1}`.
    pub w: DMatrix<f64>,
    /// Biases `b_l`, length `n_l`.
    pub b: DVector<f64>,
    /// The activation φ of this layer.
    pub activation: Activation,
}

impl Layer {
    /// A layer from its parts. Errors: a zero dimension, `b` not of length
    /// `W.nrows()`, or a non-finite entry.
    pub fn new(w: DMatrix<f64>, b: DVector<f64>, activation: Activation) -> Result<Self> {
        let layer = Layer { w, b, activation };
        layer.validate()?;
        Ok(layer)
    }

    pub(super) fn validate(&self) -> Result<()> {
        let (w, b) = (&self.w, &self.b);
        if w.nrows() == 0 || w.ncols() == 0 {
            return Err(EngineError::Empty(format!(
                "weight matrix is {}×{}",
                w.nrows(),
                w.ncols()
            )));
        }
        if b.len() != w.nrows() {
            return Err(EngineError::Shape(format!(
                "{} biases for {} units",
                b.len(),
                w.nrows()
            )));
        }
        finite("weights", w.as_slice())?;
        finite("biases", b.as_slice())
    }

    /// The block and its parameters `θ = (vec W, b)`.
    pub fn into_parts(self) -> (Dense, Vec<f64>) {
        let dense = Dense {
            n_in: self.w.ncols(),
            n_out: self.w.nrows(),
            activation: self.activation,
        };
        let mut theta = self.w.as_slice().to_vec();
        theta.extend_from_slice(self.b.as_slice());
        (dense, theta)
    }
}
