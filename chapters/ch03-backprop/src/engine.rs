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

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::fmt;

mod linalg;
mod loss;
#[cfg(test)]
mod tests;
mod workspace;

use linalg::{
    add_to_columns, all_finite_after, check_step_size, finite, mul_into, mul_tr_left_into,
    mul_tr_right_into, step_into, sum_columns,
};
pub use loss::Loss;
pub use workspace::Workspace;

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

/// A multilayer perceptron: layers applied in order, `f = g_L ∘ … ∘ g_1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    layers: Vec<Layer>,
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
        check_step_size(eta)?;
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
        // Check every updated value before changing anything.
        let stays_finite = self
            .layers
            .iter()
            .zip(&grads.w)
            .zip(&grads.b)
            .all(|((l, gw), gb)| {
                all_finite_after(l.w.as_slice(), gw.as_slice(), eta)
                    && all_finite_after(l.b.as_slice(), gb.as_slice(), eta)
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
    /// A training step: forward, backward, then `θ ← θ − η ∇_θ ℓ`. Returns
    /// the loss before the step. The new parameters are written into spare
    /// buffers of `ws` and checked in the same pass; they replace the old
    /// ones (a swap of pointers) only if all are finite, so a failed step
    /// leaves the network unchanged. Errors: those of
    /// [`Mlp::loss_and_gradient`], `eta` negative or not finite, or a step
    /// that would make a parameter non-finite.
    pub fn train_step(
        &mut self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
        eta: f64,
        ws: &mut Workspace,
    ) -> Result<f64> {
        check_step_size(eta)?;
        let value = self.loss_and_gradient(x, y, loss, ws)?;
        if ws.next.is_empty() {
            // The first step with this workspace allocates the spare buffers.
            ws.next = self
                .layers
                .iter()
                .map(|l| (l.w.clone(), l.b.clone()))
                .collect();
        }
        // θ − η ∇_θ ℓ into the spare buffers, noting whether all is finite.
        let mut finite = true;
        for ((layer, (w, b)), (gw, gb)) in self
            .layers
            .iter()
            .zip(&mut ws.next)
            .zip(ws.grads.w.iter().zip(&ws.grads.b))
        {
            finite &= step_into(w.as_mut_slice(), layer.w.as_slice(), gw.as_slice(), eta);
            finite &= step_into(b.as_mut_slice(), layer.b.as_slice(), gb.as_slice(), eta);
        }
        if !finite {
            return Err(EngineError::NonFinite(
                "the step would make a parameter infinite or NaN".into(),
            ));
        }
        // Swap them in; the spare buffers now hold the old parameters.
        for (layer, (w, b)) in self.layers.iter_mut().zip(&mut ws.next) {
            std::mem::swap(&mut layer.w, w);
            std::mem::swap(&mut layer.b, b);
        }
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
