//! A small reverse-mode engine for multilayer perceptrons.
//!
//! A network is a list of dense layers `h_l = W_l x_{l-1} + b_l`,
//! `x_l = φ(h_l)`. A batch of `B` examples is a matrix with one example per
//! column, so `x_0` is `n_0 × B` and every pre-activation `h_l` is `n_l × B`.
//! The forward pass records `h_l` and `x_l` in a [`Workspace`]; the backward
//! pass walks the layers in reverse and leaves `∂ℓ/∂W_l`, `∂ℓ/∂b_l` and the
//! backward signals `∂ℓ/∂h_l` there. A workspace is allocated once per batch
//! size, so a training step allocates nothing.
//!
//! Domain: every parameter, input and target is finite, every width is at
//! least one and every batch has at least one example. Anything else is
//! reported as an [`EngineError`], never a panic.

use nalgebra::{DMatrix, DVector, Dyn, MatrixView};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::fmt;

/// What the engine refuses, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineError {
    /// A network needs at least one layer.
    NoLayers,
    /// A layer has a zero width, or a batch has no examples.
    Empty(String),
    /// Two shapes that must agree do not.
    Shape(String),
    /// A value that must be finite is NaN or infinite.
    NonFinite(String),
    /// A cross-entropy target column is not a probability vector.
    Target(String),
    /// A scalar argument (step size, threshold) is out of its domain.
    Argument(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::NoLayers => write!(f, "a network needs at least one layer"),
            EngineError::Empty(m) => write!(f, "empty: {m}"),
            EngineError::Shape(m) => write!(f, "shape mismatch: {m}"),
            EngineError::NonFinite(m) => write!(f, "not finite: {m}"),
            EngineError::Target(m) => write!(f, "invalid target: {m}"),
            EngineError::Argument(m) => write!(f, "invalid argument: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Shorthand for the engine's results.
type Result<T> = std::result::Result<T, EngineError>;

fn finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(EngineError::NonFinite(format!(
            "{what} has {} at index {i}",
            values[i]
        ))),
    }
}

/// One draw from the standard normal distribution `N(0, 1)`.
pub fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// The logistic sigmoid `σ(t) = 1 / (1 + e^{-t})`, evaluated without
/// overflow for every `t` (for `t < 0` as `e^t / (1 + e^t)`). NaN maps to NaN.
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

// ANCHOR: activation
/// An activation function φ, applied elementwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// φ(t) = t (a linear layer, such as a readout).
    Identity,
    /// φ(t) = σ(t) = 1 / (1 + e^{-t}).
    Sigmoid,
    /// φ(t) = tanh(t).
    Tanh,
    /// φ(t) = max(0, t).
    Relu,
}

impl Activation {
    /// φ(t). Defined for every `t`; NaN maps to NaN.
    pub fn apply(self, t: f64) -> f64 {
        match self {
            Activation::Identity => t,
            Activation::Sigmoid => sigmoid(t),
            Activation::Tanh => t.tanh(),
            // `t.max(0.0)` would turn NaN into 0; keep the NaN visible.
            Activation::Relu => {
                if t > 0.0 || t.is_nan() {
                    t
                } else {
                    0.0
                }
            }
        }
    }

    /// φ'(t). ReLU uses the value 0 at its kink t = 0, like the common
    /// frameworks. NaN maps to NaN.
    pub fn derivative(self, t: f64) -> f64 {
        match self {
            Activation::Identity => 1.0,
            Activation::Sigmoid => {
                let s = sigmoid(t);
                s * (1.0 - s)
            }
            Activation::Tanh => {
                let th = t.tanh();
                1.0 - th * th
            }
            Activation::Relu => {
                if t > 0.0 {
                    1.0
                } else if t.is_nan() {
                    t
                } else {
                    0.0
                }
            }
        }
    }
}
// ANCHOR_END: activation

impl Activation {
    /// `x_i = φ(h_i)` for every `i`, with the choice of φ made once, outside
    /// the loop (so the loop vectorizes). Slices of equal length.
    fn apply_all(self, h: &[f64], x: &mut [f64]) {
        let pairs = x.iter_mut().zip(h);
        match self {
            Activation::Identity => pairs.for_each(|(x, &h)| *x = h),
            Activation::Sigmoid => pairs.for_each(|(x, &h)| *x = sigmoid(h)),
            Activation::Tanh => pairs.for_each(|(x, &h)| *x = h.tanh()),
            Activation::Relu => pairs.for_each(|(x, &h)| *x = Activation::Relu.apply(h)),
        }
    }

    /// `δ_i = φ'(h_i) g_i` for every `i`. For σ and tanh the slope comes
    /// from the stored output `x = φ(h)` (`σ' = x(1 − x)`, `tanh' = 1 − x²`),
    /// which saves an exponential; ReLU's from the sign of `h`. Slices of
    /// equal length.
    fn backward_all(self, h: &[f64], x: &[f64], g: &[f64], delta: &mut [f64]) {
        let items = delta.iter_mut().zip(h).zip(x).zip(g);
        match self {
            Activation::Identity => items.for_each(|(((d, _), _), &g)| *d = g),
            Activation::Sigmoid => items.for_each(|(((d, _), &x), &g)| *d = x * (1.0 - x) * g),
            Activation::Tanh => items.for_each(|(((d, _), &x), &g)| *d = (1.0 - x * x) * g),
            Activation::Relu => {
                items.for_each(|(((d, &h), _), &g)| *d = if h > 0.0 { g } else { 0.0 })
            }
        }
    }

    /// The largest value of φ' over the real line: 1/4 for σ, 1 otherwise.
    pub fn max_slope(self) -> f64 {
        match self {
            Activation::Sigmoid => 0.25,
            _ => 1.0,
        }
    }

    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "ReLU",
        }
    }
}

/// One dense layer: `x ↦ φ(W x + b)`.
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

    fn validate(&self) -> Result<()> {
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
}

/// Gradients of the loss with respect to every parameter, shaped like them.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// `∂ℓ/∂W_l`, one per layer.
    pub w: Vec<DMatrix<f64>>,
    /// `∂ℓ/∂b_l`, one per layer.
    pub b: Vec<DVector<f64>>,
}

impl Gradients {
    /// Zero gradients shaped like the parameters of `net`.
    pub fn zeros(net: &Mlp) -> Self {
        Gradients {
            w: net
                .layers
                .iter()
                .map(|l| DMatrix::zeros(l.w.nrows(), l.w.ncols()))
                .collect(),
            b: net
                .layers
                .iter()
                .map(|l| DVector::zeros(l.b.len()))
                .collect(),
        }
    }

    /// The Euclidean norm of all gradients together, `‖∇_θ ℓ‖`.
    pub fn norm(&self) -> f64 {
        let sq: f64 = self.w.iter().map(|g| g.norm_squared()).sum::<f64>()
            + self.b.iter().map(|g| g.norm_squared()).sum::<f64>();
        sq.sqrt()
    }

    /// Multiplies every gradient by `factor`.
    pub fn scale(&mut self, factor: f64) {
        self.w.iter_mut().for_each(|g| *g *= factor);
        self.b.iter_mut().for_each(|g| *g *= factor);
    }

    /// All gradients as one vector, in the order of [`Mlp::parameters`].
    pub fn flatten(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for (w, b) in self.w.iter().zip(&self.b) {
            out.extend_from_slice(w.as_slice());
            out.extend_from_slice(b.as_slice());
        }
        out
    }
}

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
}

impl Loss {
    /// Checks the target of a batch: same shape as the output, finite, and
    /// for cross-entropy each column nonnegative and summing to 1 (within
    /// `1e-9`).
    pub fn check_target(self, output_rows: usize, batch: usize, y: &DMatrix<f64>) -> Result<()> {
        if y.shape() != (output_rows, batch) {
            return Err(EngineError::Shape(format!(
                "target is {}×{}, the output is {output_rows}×{batch}",
                y.nrows(),
                y.ncols()
            )));
        }
        finite("target", y.as_slice())?;
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
    fn evaluate(self, output: &DMatrix<f64>, y: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> f64 {
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
                for j in 0..output.ncols() {
                    let z = output.column(j);
                    let m = z.max();
                    let sum: f64 = z.iter().map(|&v| (v - m).exp()).sum();
                    let lse = m + sum.ln();
                    for i in 0..z.len() {
                        let p = (z[i] - lse).exp();
                        total += y[(i, j)] * (lse - z[i]);
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
        }
    }
}

/// A multilayer perceptron: layers applied in order, `f = g_L ∘ … ∘ g_1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    layers: Vec<Layer>,
}

/// Buffers for one forward and backward pass over batches of a fixed size.
/// Create one with [`Workspace::new`] and reuse it: the passes then allocate
/// nothing.
#[derive(Clone, Debug)]
pub struct Workspace {
    batch: usize,
    /// Pre-activations `h_l`, index `l - 1`.
    h: Vec<DMatrix<f64>>,
    /// Activations `x_l`, index `l - 1` (`x_0` is the caller's input).
    x: Vec<DMatrix<f64>>,
    /// Backward signals `δ_l = ∂ℓ/∂h_l`, index `l - 1`.
    delta: Vec<DMatrix<f64>>,
    /// `∂ℓ/∂x_l`, index `l`, for `l = 0..=L`; entry 0 is filled only when
    /// the workspace was made [`Workspace::with_input_gradient`].
    dx: Vec<DMatrix<f64>>,
    input_gradient: bool,
    /// The gradients of the last backward pass.
    pub grads: Gradients,
}

impl Workspace {
    /// Buffers for `net` and batches of `batch` examples. Errors: `batch == 0`.
    pub fn new(net: &Mlp, batch: usize) -> Result<Self> {
        if batch == 0 {
            return Err(EngineError::Empty(
                "a batch needs at least one example".into(),
            ));
        }
        let widths = net.widths();
        let per_layer = |from: usize| -> Vec<DMatrix<f64>> {
            widths[from..]
                .iter()
                .map(|&n| DMatrix::zeros(n, batch))
                .collect()
        };
        Ok(Workspace {
            batch,
            h: per_layer(1),
            x: per_layer(1),
            delta: per_layer(1),
            dx: per_layer(0),
            input_gradient: false,
            grads: Gradients::zeros(net),
        })
    }

    /// Also compute `∂ℓ/∂x_0`, the gradient with respect to the input (one
    /// more matrix product per backward pass).
    pub fn with_input_gradient(mut self) -> Self {
        self.input_gradient = true;
        self
    }

    /// The batch size this workspace is for.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The network's output `x_L` from the last forward pass.
    pub fn output(&self) -> &DMatrix<f64> {
        self.x.last().expect("a workspace has at least one layer")
    }

    /// The pre-activations `h_l` of the last forward pass, `l = 1..=L`.
    pub fn pre_activation(&self, l: usize) -> Option<&DMatrix<f64>> {
        l.checked_sub(1).and_then(|i| self.h.get(i))
    }

    /// The backward signal `δ_l = ∂ℓ/∂h_l` of the last backward pass,
    /// `l = 1..=L`.
    pub fn delta(&self, l: usize) -> Option<&DMatrix<f64>> {
        l.checked_sub(1).and_then(|i| self.delta.get(i))
    }

    /// `∂ℓ/∂x_l` of the last backward pass, `l = 0..=L` (`l = 0` only with
    /// [`Workspace::with_input_gradient`], otherwise `None`).
    pub fn activation_gradient(&self, l: usize) -> Option<&DMatrix<f64>> {
        if l == 0 && !self.input_gradient {
            return None;
        }
        self.dx.get(l)
    }
}

/// Adds the vector `b` to every column of `m` (`m` has `b.len()` rows).
fn add_to_columns(m: &mut DMatrix<f64>, b: &DVector<f64>) {
    for column in m.as_mut_slice().chunks_exact_mut(b.len()) {
        column
            .iter_mut()
            .zip(b.as_slice())
            .for_each(|(v, bi)| *v += bi);
    }
}

/// `out = m 1`: the sum of the columns of `m` (`m` has `out.len()` rows).
fn sum_columns(m: &DMatrix<f64>, out: &mut DVector<f64>) {
    out.fill(0.0);
    for column in m.as_slice().chunks_exact(out.len()) {
        out.as_mut_slice()
            .iter_mut()
            .zip(column)
            .for_each(|(o, v)| *o += v);
    }
}

/// A matrix operand as raw column-major data read with explicit strides:
/// element `(i, k)` is `data[i * rs + k * cs]`. A transpose is the same data
/// with the strides swapped, so no product below copies a matrix.
#[derive(Clone, Copy)]
struct Strided<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> Strided<'a> {
    fn plain(m: &'a DMatrix<f64>) -> Self {
        Strided {
            data: m.as_slice(),
            rows: m.nrows(),
            cols: m.ncols(),
            rs: 1,
            cs: m.nrows(),
        }
    }

    fn transposed(m: &'a DMatrix<f64>) -> Self {
        Strided {
            data: m.as_slice(),
            rows: m.ncols(),
            cols: m.nrows(),
            rs: m.nrows(),
            cs: 1,
        }
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

/// `out = a b`, allocation-free. When every outer dimension exceeds 5,
/// nalgebra hands the product to the `matrixmultiply` kernels, which take
/// any strides. Below that, nalgebra's own loops pay a call per column or
/// entry and mishandle a strided left operand (nalgebra 0.35 reads past its
/// end), so thin products, such as those of a one-unit output layer, use a
/// plain loop here instead.
fn product(out: &mut DMatrix<f64>, a: Strided<'_>, b: Strided<'_>) {
    const NALGEBRA_SMALL_DIM: usize = 5;
    debug_assert!(a.cols == b.rows && out.shape() == (a.rows, b.cols));
    if [a.rows, b.cols, a.cols]
        .iter()
        .all(|&d| d > NALGEBRA_SMALL_DIM)
    {
        out.gemm(1.0, &a.view(), &b.view(), 0.0);
        return;
    }
    if a.rows == 1 {
        // A row times a matrix: one dot product per output entry.
        for (j, o) in out.as_mut_slice().iter_mut().enumerate() {
            *o = (0..a.cols)
                .map(|k| a.data[k * a.cs] * b.data[k * b.rs + j * b.cs])
                .sum();
        }
        return;
    }
    for (j, column) in out
        .as_mut_slice()
        .chunks_exact_mut(a.rows.max(1))
        .enumerate()
    {
        column.fill(0.0);
        for k in 0..a.cols {
            let bkj = b.data[k * b.rs + j * b.cs];
            if a.rs == 1 {
                // Column k of `a` is contiguous: a plain axpy that vectorizes.
                let a_col = &a.data[k * a.cs..k * a.cs + a.rows];
                column
                    .iter_mut()
                    .zip(a_col)
                    .for_each(|(o, &aik)| *o += aik * bkj);
            } else {
                for (i, o) in column.iter_mut().enumerate() {
                    *o += a.data[i * a.rs + k * a.cs] * bkj;
                }
            }
        }
    }
}

/// `out = a b`.
fn mul_into(out: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    product(out, Strided::plain(a), Strided::plain(b));
}

/// `out = aᵀ b`.
fn mul_tr_left_into(out: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    product(out, Strided::transposed(a), Strided::plain(b));
}

/// `out = a bᵀ`.
fn mul_tr_right_into(out: &mut DMatrix<f64>, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    product(out, Strided::plain(a), Strided::transposed(b));
}

impl Mlp {
    /// A network from its layers. Errors: no layers, a layer that
    /// [`Layer::new`] would refuse, or a layer whose input width differs
    /// from the previous layer's output width.
    pub fn new(layers: Vec<Layer>) -> Result<Self> {
        if layers.is_empty() {
            return Err(EngineError::NoLayers);
        }
        layers.iter().try_for_each(Layer::validate)?;
        for (l, pair) in layers.windows(2).enumerate() {
            if pair[1].w.ncols() != pair[0].w.nrows() {
                return Err(EngineError::Shape(format!(
                    "layer {} outputs {} values but layer {} takes {}",
                    l + 1,
                    pair[0].w.nrows(),
                    l + 2,
                    pair[1].w.ncols()
                )));
            }
        }
        Ok(Mlp { layers })
    }

    /// A network with widths `n_0, …, n_L`, activation `hidden` on layers
    /// `1..L` and `output` on layer `L`, weights drawn independently from
    /// `N(0, sigma_w2 / n_{l-1})` and biases from `N(0, sigma_b²)`.
    /// Errors: fewer than two widths, a zero width, or a negative or
    /// non-finite `sigma_w2` or `sigma_b`.
    pub fn gaussian<R: Rng + ?Sized>(
        widths: &[usize],
        hidden: Activation,
        output: Activation,
        sigma_w2: f64,
        sigma_b: f64,
        rng: &mut R,
    ) -> Result<Self> {
        if widths.len() < 2 {
            return Err(EngineError::NoLayers);
        }
        if let Some(i) = widths.iter().position(|&n| n == 0) {
            return Err(EngineError::Empty(format!("width n_{i} is zero")));
        }
        if !(sigma_w2.is_finite() && sigma_w2 >= 0.0 && sigma_b.is_finite() && sigma_b >= 0.0) {
            return Err(EngineError::Argument(format!(
                "weight variance {sigma_w2} and bias scale {sigma_b} must be finite and nonnegative"
            )));
        }
        let depth = widths.len() - 1;
        let layers = (1..=depth)
            .map(|l| {
                let scale = (sigma_w2 / widths[l - 1] as f64).sqrt();
                let w = DMatrix::from_fn(widths[l], widths[l - 1], |_, _| scale * normal(rng));
                let b = DVector::from_fn(widths[l], |_, _| sigma_b * normal(rng));
                let activation = if l == depth { output } else { hidden };
                Layer { w, b, activation }
            })
            .collect();
        Mlp::new(layers)
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The depth `L`.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The widths `n_0, n_1, …, n_L`.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.layers[0].w.ncols())
            .chain(self.layers.iter().map(|l| l.w.nrows()))
            .collect()
    }

    /// The number of parameters, `Σ_l n_l (n_{l-1} + 1)`.
    pub fn parameter_count(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }

    /// All parameters as one vector: `W_1` (column-major), `b_1`, `W_2`, ….
    pub fn parameters(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.parameter_count());
        for l in &self.layers {
            out.extend_from_slice(l.w.as_slice());
            out.extend_from_slice(l.b.as_slice());
        }
        out
    }

    /// Sets all parameters from one vector in the order of
    /// [`Mlp::parameters`]. Errors: wrong length or a non-finite value (the
    /// network is then unchanged).
    pub fn set_parameters(&mut self, theta: &[f64]) -> Result<()> {
        if theta.len() != self.parameter_count() {
            return Err(EngineError::Shape(format!(
                "{} values for {} parameters",
                theta.len(),
                self.parameter_count()
            )));
        }
        finite("parameters", theta)?;
        let mut rest = theta;
        for l in &mut self.layers {
            let (w, tail) = rest.split_at(l.w.len());
            l.w.as_mut_slice().copy_from_slice(w);
            let (b, tail) = tail.split_at(l.b.len());
            l.b.as_mut_slice().copy_from_slice(b);
            rest = tail;
        }
        Ok(())
    }

    fn check_input(&self, x: &DMatrix<f64>) -> Result<()> {
        let n0 = self.layers[0].w.ncols();
        if x.nrows() != n0 {
            return Err(EngineError::Shape(format!(
                "input has {} rows, the network takes {n0}",
                x.nrows()
            )));
        }
        if x.ncols() == 0 {
            return Err(EngineError::Empty(
                "a batch needs at least one example".into(),
            ));
        }
        finite("input", x.as_slice())
    }

    fn check_workspace(&self, ws: &Workspace, batch: usize) -> Result<()> {
        let same = ws.h.len() == self.depth()
            && ws
                .h
                .iter()
                .zip(&self.layers)
                .all(|(h, l)| h.nrows() == l.w.nrows())
            && ws.dx[0].nrows() == self.layers[0].w.ncols();
        if !same {
            return Err(EngineError::Shape(
                "the workspace was made for another network".into(),
            ));
        }
        if ws.batch != batch {
            return Err(EngineError::Shape(format!(
                "workspace for batches of {}, got {batch}",
                ws.batch
            )));
        }
        Ok(())
    }

    // ANCHOR: forward
    /// The forward pass: fills `h_l` and `x_l` in `ws`, `l = 1..=L`.
    fn forward_into(&self, x0: &DMatrix<f64>, ws: &mut Workspace) {
        for (l, layer) in self.layers.iter().enumerate() {
            let input = if l == 0 { x0 } else { &ws.x[l - 1] };
            let h = &mut ws.h[l];
            mul_into(h, &layer.w, input); // h_l = W_l x_{l-1}
            add_to_columns(h, &layer.b); //       + b_l
            layer
                .activation
                .apply_all(h.as_slice(), ws.x[l].as_mut_slice()); // x_l = φ(h_l)
        }
    }
    // ANCHOR_END: forward

    // ANCHOR: backward
    /// The backward pass, given the forward pass of `x0` in `ws` and
    /// `∂ℓ/∂x_L` in `ws.dx[L]`: fills `δ_l`, `∂ℓ/∂x_{l-1}`, `∂ℓ/∂W_l` and
    /// `∂ℓ/∂b_l` for `l = L, …, 1`.
    fn backward_into(&self, x0: &DMatrix<f64>, ws: &mut Workspace) {
        for l in (0..self.depth()).rev() {
            let layer = &self.layers[l];
            // δ_l = φ'(h_l) ⊙ ∂ℓ/∂x_l
            let delta = &mut ws.delta[l];
            let (h, x, dx) = (&ws.h[l], &ws.x[l], &ws.dx[l + 1]);
            layer.activation.backward_all(
                h.as_slice(),
                x.as_slice(),
                dx.as_slice(),
                delta.as_mut_slice(),
            );
            // ∂ℓ/∂W_l = δ_l x_{l-1}ᵀ   and   ∂ℓ/∂b_l = δ_l 1 (a sum over the batch)
            let input = if l == 0 { x0 } else { &ws.x[l - 1] };
            mul_tr_right_into(&mut ws.grads.w[l], delta, input);
            sum_columns(delta, &mut ws.grads.b[l]);
            // ∂ℓ/∂x_{l-1} = W_lᵀ δ_l (skipped for the input unless asked for)
            if l > 0 || ws.input_gradient {
                mul_tr_left_into(&mut ws.dx[l], &layer.w, delta);
            }
        }
    }
    // ANCHOR_END: backward

    /// The network's output `f(x)` for a batch `x` (`n_0 × B`, one example
    /// per column). Errors: wrong number of rows, no columns, non-finite
    /// entries.
    pub fn forward(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.check_input(x)?;
        let mut ws = Workspace::new(self, x.ncols())?;
        self.forward_into(x, &mut ws);
        Ok(ws.output().clone())
    }

    /// Runs the forward pass of `x` into `ws` (allocation-free).
    pub fn forward_ws(&self, x: &DMatrix<f64>, ws: &mut Workspace) -> Result<()> {
        self.check_input(x)?;
        self.check_workspace(ws, x.ncols())?;
        self.forward_into(x, ws);
        Ok(())
    }

    /// The batch-averaged loss of the network on `(x, y)`.
    pub fn loss(&self, x: &DMatrix<f64>, y: &DMatrix<f64>, loss: Loss) -> Result<f64> {
        let mut ws = Workspace::new(self, x.ncols().max(1))?;
        self.loss_and_gradient(x, y, loss, &mut ws)
    }

    /// One forward and one backward pass: returns the batch-averaged loss
    /// and leaves every gradient in `ws`. Allocation-free. Errors: bad
    /// input or target (see [`Mlp::forward`] and [`Loss::check_target`]), a
    /// workspace for another network or batch size.
    pub fn loss_and_gradient(
        &self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
        ws: &mut Workspace,
    ) -> Result<f64> {
        self.check_input(x)?;
        self.check_workspace(ws, x.ncols())?;
        loss.check_target(self.layers[self.depth() - 1].w.nrows(), x.ncols(), y)?;
        self.forward_into(x, ws);
        let depth = self.depth();
        let value = loss.evaluate(&ws.x[depth - 1], y, &mut ws.dx[depth]);
        self.backward_into(x, ws);
        Ok(value)
    }

    /// The loss and its gradient, in freshly allocated memory (convenient;
    /// a training loop should reuse a [`Workspace`] instead).
    pub fn gradient(
        &self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
    ) -> Result<(f64, Gradients)> {
        let mut ws = Workspace::new(self, x.ncols().max(1))?;
        let value = self.loss_and_gradient(x, y, loss, &mut ws)?;
        Ok((value, ws.grads))
    }

    /// One step of gradient descent, `θ ← θ − η ∇_θ ℓ`, with the gradients
    /// of `grads`. Errors: `eta` negative or not finite, gradients shaped
    /// for another network, or a step that would make a parameter
    /// non-finite (the network is then unchanged).
    pub fn descend(&mut self, grads: &Gradients, eta: f64) -> Result<()> {
        if !(eta.is_finite() && eta >= 0.0) {
            return Err(EngineError::Argument(format!(
                "step size {eta} must be finite and nonnegative"
            )));
        }
        let shaped = grads.w.len() == self.depth()
            && self
                .layers
                .iter()
                .zip(&grads.w)
                .zip(&grads.b)
                .all(|((l, gw), gb)| l.w.shape() == gw.shape() && l.b.len() == gb.len());
        if !shaped {
            return Err(EngineError::Shape(
                "gradients shaped for another network".into(),
            ));
        }
        // Check every updated value before changing anything (a fold rather
        // than `all`, so the loop has no early exit and vectorizes).
        let finite_after = |p: &[f64], g: &[f64]| {
            p.iter()
                .zip(g)
                .fold(true, |ok, (p, g)| ok & (p - eta * g).is_finite())
        };
        let stays_finite = self
            .layers
            .iter()
            .zip(&grads.w)
            .zip(&grads.b)
            .all(|((l, gw), gb)| {
                finite_after(l.w.as_slice(), gw.as_slice())
                    & finite_after(l.b.as_slice(), gb.as_slice())
            });
        if !stays_finite {
            return Err(EngineError::NonFinite(
                "the step would make a parameter infinite or NaN".into(),
            ));
        }
        let step = |p: &mut [f64], g: &[f64]| p.iter_mut().zip(g).for_each(|(p, g)| *p -= eta * g);
        for ((layer, gw), gb) in self.layers.iter_mut().zip(&grads.w).zip(&grads.b) {
            step(layer.w.as_mut_slice(), gw.as_slice());
            step(layer.b.as_mut_slice(), gb.as_slice());
        }
        Ok(())
    }

    // ANCHOR: step
    /// A training step: forward, backward, then descend with step size
    /// `eta`. Returns the loss before the step.
    pub fn train_step(
        &mut self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
        eta: f64,
        ws: &mut Workspace,
    ) -> Result<f64> {
        let value = self.loss_and_gradient(x, y, loss, ws)?;
        self.descend(&ws.grads, eta)?;
        Ok(value)
    }
    // ANCHOR_END: step

    /// Multiply-adds of one forward pass over a batch of `batch` examples:
    /// `B Σ_l n_l n_{l-1}` (the products `W_l x_{l-1}`; the elementwise work
    /// is of lower order and not counted).
    pub fn forward_multiply_adds(&self, batch: usize) -> usize {
        batch * self.layers.iter().map(|l| l.w.len()).sum::<usize>()
    }

    /// Multiply-adds of one backward pass: `∂ℓ/∂W_l = δ_l x_{l-1}ᵀ` for every
    /// layer and `W_lᵀ δ_l` for every layer but the first (the gradient with
    /// respect to the input is not needed for training).
    pub fn backward_multiply_adds(&self, batch: usize) -> usize {
        let all: usize = self.layers.iter().map(|l| l.w.len()).sum();
        batch * (2 * all - self.layers[0].w.len())
    }
}

// ANCHOR: clip
/// Rescales `grads` so that their joint norm is at most `threshold`
/// (Pascanu, Mikolov and Bengio 2013): `g ← g · min(1, c / ‖g‖)`. The
/// direction is unchanged. Returns the norm before clipping. Errors: a
/// threshold that is not positive and finite, or a non-finite gradient norm
/// (there is no direction left to keep).
pub fn clip_by_norm(grads: &mut Gradients, threshold: f64) -> Result<f64> {
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(EngineError::Argument(format!(
            "clipping threshold {threshold} must be positive and finite"
        )));
    }
    let norm = grads.norm();
    if !norm.is_finite() {
        return Err(EngineError::NonFinite(format!("gradient norm is {norm}")));
    }
    if norm > threshold {
        grads.scale(threshold / norm);
    }
    Ok(norm)
}
// ANCHOR_END: clip

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use book_support::seeded;

    fn tiny() -> Mlp {
        let l1 = Layer::new(
            DMatrix::from_row_slice(2, 2, &[1.0, -1.0, 0.5, 2.0]),
            DVector::from_vec(vec![0.0, -1.0]),
            Activation::Relu,
        )
        .unwrap();
        let l2 = Layer::new(
            DMatrix::from_row_slice(1, 2, &[1.0, -2.0]),
            DVector::from_vec(vec![0.5]),
            Activation::Identity,
        )
        .unwrap();
        Mlp::new(vec![l1, l2]).unwrap()
    }

    #[test]
    fn hand_computed_example() {
        let net = tiny();
        let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
        let y = DMatrix::from_element(1, 1, 0.0);
        let (loss, g) = net.gradient(&x, &y, Loss::Mse).unwrap();
        assert_eq!(loss, 21.125);
        assert_eq!(g.w[1].as_slice(), &[0.0, -22.75]);
        assert_eq!(g.b[1][0], -6.5);
        assert_eq!(
            g.w[0],
            DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 13.0, 26.0])
        );
        assert_eq!(g.b[0].as_slice(), &[0.0, 13.0]);
    }

    #[test]
    fn activations_and_derivatives() {
        for a in [
            Activation::Identity,
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Relu,
        ] {
            for t in [-3.0, -0.5, 0.25, 2.0] {
                let fd = (a.apply(t + 1e-6) - a.apply(t - 1e-6)) / 2e-6;
                assert_relative_eq!(a.derivative(t), fd, epsilon = 1e-8);
                let (mut x, mut d) = ([0.0], [0.0]);
                a.apply_all(&[t], &mut x);
                a.backward_all(&[t], &x, &[2.0], &mut d);
                assert_relative_eq!(x[0], a.apply(t), epsilon = 1e-15);
                assert_relative_eq!(d[0], 2.0 * a.derivative(t), epsilon = 1e-15);
            }
            assert!(a.apply(f64::NAN).is_nan(), "{a:?}");
            assert!(
                a.derivative(f64::NAN).is_nan() || a == Activation::Identity,
                "{a:?}"
            );
        }
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(Activation::Relu.derivative(0.0), 0.0);
        assert_eq!(
            Activation::Sigmoid.derivative(0.0),
            Activation::Sigmoid.max_slope()
        );
    }

    #[test]
    fn bad_construction_is_an_error() {
        assert_eq!(Mlp::new(vec![]), Err(EngineError::NoLayers));
        let z = Layer::new(DMatrix::zeros(0, 3), DVector::zeros(0), Activation::Relu);
        assert!(matches!(z, Err(EngineError::Empty(_))));
        let b = Layer::new(DMatrix::zeros(2, 3), DVector::zeros(3), Activation::Relu);
        assert!(matches!(b, Err(EngineError::Shape(_))));
        let nan = Layer::new(
            DMatrix::from_element(1, 1, f64::NAN),
            DVector::zeros(1),
            Activation::Relu,
        );
        assert!(matches!(nan, Err(EngineError::NonFinite(_))));
        let inf = Layer::new(
            DMatrix::zeros(1, 1),
            DVector::from_element(1, f64::INFINITY),
            Activation::Relu,
        );
        assert!(matches!(inf, Err(EngineError::NonFinite(_))));
        let a = Layer::new(DMatrix::zeros(2, 3), DVector::zeros(2), Activation::Relu).unwrap();
        let c = Layer::new(DMatrix::zeros(1, 3), DVector::zeros(1), Activation::Relu).unwrap();
        assert!(matches!(Mlp::new(vec![a, c]), Err(EngineError::Shape(_))));
        let mut rng = seeded(1);
        assert_eq!(
            Mlp::gaussian(
                &[3],
                Activation::Relu,
                Activation::Identity,
                2.0,
                0.0,
                &mut rng
            ),
            Err(EngineError::NoLayers)
        );
        assert!(matches!(
            Mlp::gaussian(
                &[3, 0, 1],
                Activation::Relu,
                Activation::Identity,
                2.0,
                0.0,
                &mut rng
            ),
            Err(EngineError::Empty(_))
        ));
        for bad in [f64::NAN, -1.0, f64::INFINITY] {
            assert!(matches!(
                Mlp::gaussian(
                    &[3, 1],
                    Activation::Relu,
                    Activation::Identity,
                    bad,
                    0.0,
                    &mut rng
                ),
                Err(EngineError::Argument(_))
            ));
            assert!(matches!(
                Mlp::gaussian(
                    &[3, 1],
                    Activation::Relu,
                    Activation::Identity,
                    1.0,
                    bad,
                    &mut rng
                ),
                Err(EngineError::Argument(_))
            ));
        }
    }

    #[test]
    fn bad_batches_and_targets_are_errors() {
        let net = tiny();
        let ok_x = DMatrix::from_element(2, 3, 0.5);
        let ok_y = DMatrix::from_element(1, 3, 0.0);
        assert!(matches!(
            net.forward(&DMatrix::zeros(3, 1)),
            Err(EngineError::Shape(_))
        ));
        assert!(matches!(
            net.forward(&DMatrix::zeros(2, 0)),
            Err(EngineError::Empty(_))
        ));
        let mut nan_x = ok_x.clone();
        nan_x[(1, 2)] = f64::NAN;
        assert!(matches!(
            net.forward(&nan_x),
            Err(EngineError::NonFinite(_))
        ));
        let mut inf_x = ok_x.clone();
        inf_x[(0, 0)] = f64::NEG_INFINITY;
        assert!(matches!(
            net.loss(&inf_x, &ok_y, Loss::Mse),
            Err(EngineError::NonFinite(_))
        ));
        assert!(matches!(
            net.loss(&ok_x, &DMatrix::zeros(1, 2), Loss::Mse),
            Err(EngineError::Shape(_))
        ));
        let mut nan_y = ok_y.clone();
        nan_y[(0, 1)] = f64::NAN;
        assert!(matches!(
            net.loss(&ok_x, &nan_y, Loss::Mse),
            Err(EngineError::NonFinite(_))
        ));
        // Cross-entropy needs probability columns.
        assert!(matches!(
            net.loss(&ok_x, &ok_y, Loss::SoftmaxCrossEntropy),
            Err(EngineError::Target(_))
        ));
        assert!(
            net.loss(
                &ok_x,
                &DMatrix::from_element(1, 3, 1.0),
                Loss::SoftmaxCrossEntropy
            )
            .is_ok()
        );
        // Workspaces must match the network and the batch.
        assert!(matches!(
            Workspace::new(&net, 0),
            Err(EngineError::Empty(_))
        ));
        let mut ws = Workspace::new(&net, 2).unwrap();
        assert!(matches!(
            net.loss_and_gradient(&ok_x, &ok_y, Loss::Mse, &mut ws),
            Err(EngineError::Shape(_))
        ));
        let other = Mlp::gaussian(
            &[2, 4, 1],
            Activation::Tanh,
            Activation::Identity,
            1.0,
            0.0,
            &mut seeded(2),
        )
        .unwrap();
        let mut ws_other = Workspace::new(&other, 3).unwrap();
        assert!(matches!(
            net.loss_and_gradient(&ok_x, &ok_y, Loss::Mse, &mut ws_other),
            Err(EngineError::Shape(_))
        ));
        assert!(matches!(
            net.forward_ws(&ok_x, &mut ws_other),
            Err(EngineError::Shape(_))
        ));
    }

    #[test]
    fn descend_and_parameters_reject_bad_values() {
        let mut net = tiny();
        let before = net.clone();
        let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
        let y = DMatrix::from_element(1, 1, 0.0);
        let (_, g) = net.gradient(&x, &y, Loss::Mse).unwrap();
        for eta in [f64::NAN, -0.1, f64::INFINITY] {
            assert!(matches!(
                net.descend(&g, eta),
                Err(EngineError::Argument(_))
            ));
        }
        assert!(matches!(
            net.descend(&g, 1e308),
            Err(EngineError::NonFinite(_))
        ));
        let other = Mlp::gaussian(
            &[2, 3, 1],
            Activation::Tanh,
            Activation::Identity,
            1.0,
            0.0,
            &mut seeded(3),
        )
        .unwrap();
        assert!(matches!(
            net.descend(&Gradients::zeros(&other), 0.1),
            Err(EngineError::Shape(_))
        ));
        assert_eq!(net, before, "failed steps leave the network unchanged");
        let theta = net.parameters();
        assert_eq!(theta.len(), net.parameter_count());
        assert!(matches!(
            net.set_parameters(&theta[1..]),
            Err(EngineError::Shape(_))
        ));
        let mut bad = theta.clone();
        bad[3] = f64::NAN;
        assert!(matches!(
            net.set_parameters(&bad),
            Err(EngineError::NonFinite(_))
        ));
        assert_eq!(net, before);
        net.set_parameters(&theta).unwrap();
        assert_eq!(net, before);
        net.descend(&g, 0.01).unwrap();
        let moved: Vec<f64> = theta
            .iter()
            .zip(g.flatten())
            .map(|(p, gi)| p - 0.01 * gi)
            .collect();
        assert_eq!(net.parameters(), moved);
    }

    #[test]
    fn a_step_lowers_the_loss_for_a_small_step() {
        let mut rng = seeded(4);
        let mut net = Mlp::gaussian(
            &[3, 5, 2],
            Activation::Tanh,
            Activation::Identity,
            1.0,
            0.1,
            &mut rng,
        )
        .unwrap();
        let x = DMatrix::from_fn(3, 4, |i, j| (i as f64 - j as f64) * 0.3);
        let y = DMatrix::from_fn(2, 4, |i, j| ((i + j) % 2) as f64);
        let mut ws = Workspace::new(&net, 4).unwrap();
        let before = net.train_step(&x, &y, Loss::Mse, 0.05, &mut ws).unwrap();
        let after = net.loss(&x, &y, Loss::Mse).unwrap();
        assert!(after < before, "{after} >= {before}");
    }

    #[test]
    fn batch_gradient_is_the_mean_of_example_gradients() {
        let mut rng = seeded(5);
        let net = Mlp::gaussian(
            &[3, 4, 3],
            Activation::Sigmoid,
            Activation::Identity,
            1.0,
            0.5,
            &mut rng,
        )
        .unwrap();
        let x = DMatrix::from_fn(3, 5, |i, j| ((i * 7 + j * 3) % 5) as f64 / 5.0 - 0.4);
        let y = DMatrix::from_fn(3, 5, |i, j| if i == j % 3 { 1.0 } else { 0.0 });
        let (loss, g) = net.gradient(&x, &y, Loss::SoftmaxCrossEntropy).unwrap();
        let mut mean_loss = 0.0;
        let mut mean = vec![0.0; g.flatten().len()];
        for j in 0..5 {
            let (l, gj) = net
                .gradient(
                    &x.columns(j, 1).into_owned(),
                    &y.columns(j, 1).into_owned(),
                    Loss::SoftmaxCrossEntropy,
                )
                .unwrap();
            mean_loss += l / 5.0;
            mean.iter_mut()
                .zip(gj.flatten())
                .for_each(|(m, v)| *m += v / 5.0);
        }
        assert_relative_eq!(loss, mean_loss, epsilon = 1e-14);
        for (a, b) in g.flatten().iter().zip(&mean) {
            assert_relative_eq!(*a, *b, epsilon = 1e-14);
        }
    }

    #[test]
    fn input_gradient_only_when_asked() {
        let net = tiny();
        let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
        let y = DMatrix::from_element(1, 1, 0.0);
        let mut ws = Workspace::new(&net, 1).unwrap();
        net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
        assert!(ws.activation_gradient(0).is_none());
        let mut ws = Workspace::new(&net, 1).unwrap().with_input_gradient();
        net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
        // ∂ℓ/∂x_0 = W_1ᵀ δ_1 = [[1, 0.5], [-1, 2]] [0, 13] = [6.5, 26].
        assert_eq!(ws.activation_gradient(0).unwrap().as_slice(), &[6.5, 26.0]);
        assert!(ws.delta(0).is_none() && ws.delta(3).is_none() && ws.delta(2).is_some());
        assert!(ws.pre_activation(1).is_some() && ws.pre_activation(0).is_none());
    }

    #[test]
    fn clipping_keeps_direction_and_caps_norm() {
        let net = tiny();
        let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
        let y = DMatrix::from_element(1, 1, 0.0);
        let (_, mut g) = net.gradient(&x, &y, Loss::Mse).unwrap();
        let before = g.flatten();
        let norm = clip_by_norm(&mut g, 1.0).unwrap();
        assert_relative_eq!(
            norm,
            before.iter().map(|v| v * v).sum::<f64>().sqrt(),
            epsilon = 1e-12
        );
        assert_relative_eq!(g.norm(), 1.0, epsilon = 1e-15);
        for (a, b) in g.flatten().iter().zip(&before) {
            assert_relative_eq!(*a, b / norm, epsilon = 1e-15);
        }
        let small = g.clone();
        clip_by_norm(&mut g, 10.0).unwrap();
        assert_eq!(g, small, "a gradient under the threshold is untouched");
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                clip_by_norm(&mut g, bad),
                Err(EngineError::Argument(_))
            ));
        }
        g.w[0][(0, 0)] = f64::INFINITY;
        assert!(matches!(
            clip_by_norm(&mut g, 1.0),
            Err(EngineError::NonFinite(_))
        ));
    }

    #[test]
    fn loss_value_and_gradient_checks_its_input() {
        let out = DMatrix::from_row_slice(2, 1, &[1.0, 3.0]);
        let y = DMatrix::from_row_slice(2, 1, &[0.0, 1.0]);
        let (v, g) = Loss::SoftmaxCrossEntropy
            .value_and_gradient(&out, &y)
            .unwrap();
        assert_relative_eq!(v, (1.0f64.exp() + 3.0f64.exp()).ln() - 3.0, epsilon = 1e-15);
        assert_relative_eq!(g.sum(), 0.0, epsilon = 1e-15);
        let (v, g) = Loss::Mse.value_and_gradient(&out, &y).unwrap();
        assert_eq!((v, g.as_slice()), (2.5, &[1.0, 2.0][..]));
        assert!(matches!(
            Loss::Mse.value_and_gradient(&DMatrix::zeros(0, 0), &DMatrix::zeros(0, 0)),
            Err(EngineError::Empty(_))
        ));
        let mut bad = out.clone();
        bad[0] = f64::INFINITY;
        assert!(matches!(
            Loss::Linear.value_and_gradient(&bad, &y),
            Err(EngineError::NonFinite(_))
        ));
        assert!(matches!(
            Loss::Linear.value_and_gradient(&out, &DMatrix::zeros(1, 1)),
            Err(EngineError::Shape(_))
        ));
    }

    #[test]
    fn products_match_for_every_size() {
        let mut rng = seeded(8);
        let shapes = [
            (1, 1, 1),
            (1, 64, 32),
            (64, 1, 32),
            (3, 7, 2),
            (7, 3, 9),
            (6, 6, 6),
            (5, 9, 9),
            (9, 9, 5),
            (12, 40, 33),
            (64, 64, 32),
        ];
        for (m, k, n) in shapes {
            let a = DMatrix::from_fn(m, k, |_, _| normal(&mut rng));
            let b = DMatrix::from_fn(k, n, |_, _| normal(&mut rng));
            let (at, bt) = (a.transpose(), b.transpose());
            let reference = &a * &b;
            let mut out = DMatrix::from_element(m, n, f64::NAN);
            mul_into(&mut out, &a, &b);
            assert!((&out - &reference).amax() < 1e-12, "a b, {m}×{k}×{n}");
            out.fill(f64::NAN);
            mul_tr_left_into(&mut out, &at, &b);
            assert!((&out - &reference).amax() < 1e-12, "aᵀ b, {m}×{k}×{n}");
            out.fill(f64::NAN);
            mul_tr_right_into(&mut out, &a, &bt);
            assert!((&out - &reference).amax() < 1e-12, "a bᵀ, {m}×{k}×{n}");
        }
    }

    #[test]
    fn multiply_add_counts() {
        let net = Mlp::gaussian(
            &[784, 256, 256, 10],
            Activation::Relu,
            Activation::Identity,
            2.0,
            0.0,
            &mut seeded(6),
        )
        .unwrap();
        assert_eq!(
            net.parameter_count(),
            784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
        );
        assert_eq!(
            net.forward_multiply_adds(1),
            784 * 256 + 256 * 256 + 256 * 10
        );
        assert_eq!(
            net.backward_multiply_adds(2),
            2 * (2 * (784 * 256 + 256 * 256 + 256 * 10) - 784 * 256)
        );
    }
}
