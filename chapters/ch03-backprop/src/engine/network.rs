//! A network: blocks applied in order, and all their parameters in one
//! vector. The lesson's passes live here; the fast ones in `fast.rs`.

use super::linalg::finite;
use super::{Activation, Block, Dense, EngineError, Layer, Loss, Result, normal};
use nalgebra::{DMatrix, DMatrixView, DVectorView};
use rand::Rng;
use std::ops::Range;

/// A network `f = g_L ∘ … ∘ g_1` of blocks `g_l`, with the parameters of
/// every block stored together in one vector `θ = (θ_1, …, θ_L)`.
///
/// The invariants, checked when a network is built and kept by every
/// method: at least one block, consecutive widths that chain, every width
/// at least one, and every parameter finite.
#[derive(Clone, Debug, PartialEq)]
pub struct Network<B> {
    blocks: Vec<B>,
    theta: Vec<f64>,
    /// Block `l`'s parameters are `theta[offsets[l]..offsets[l + 1]]`.
    offsets: Vec<usize>,
}

/// A multilayer perceptron: a network of dense layers.
pub type Mlp = Network<Dense>;

/// Gradients of the loss with respect to every parameter of a network, in
/// the order of [`Network::parameters`].
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    values: Vec<f64>,
    offsets: Vec<usize>,
}

impl Gradients {
    /// Zero gradients shaped like the parameters of `net`.
    pub fn zeros<B>(net: &Network<B>) -> Self {
        Gradients {
            values: vec![0.0; net.theta.len()],
            offsets: net.offsets.clone(),
        }
    }

    /// Gradients for blocks with the given parameter counts, from one
    /// vector in block order. Errors: `values` of the wrong length.
    pub fn from_blocks(counts: &[usize], values: Vec<f64>) -> Result<Self> {
        let offsets = offsets(counts.iter().copied());
        if offsets.last() != Some(&values.len()) {
            return Err(EngineError::Shape(format!(
                "{} values for {} parameters",
                values.len(),
                offsets.last().unwrap_or(&0)
            )));
        }
        Ok(Gradients { values, offsets })
    }

    /// The gradient with respect to block `l`'s parameters (`l` from 0).
    /// Panics for `l` past the last block.
    pub fn block(&self, l: usize) -> &[f64] {
        &self.values[self.offsets[l]..self.offsets[l + 1]]
    }

    /// The number of blocks.
    pub fn blocks(&self) -> usize {
        self.offsets.len() - 1
    }

    /// All gradients as one slice, in the order of [`Network::parameters`].
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// All gradients, to change in place (clipping, for example); their
    /// number cannot change.
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// All gradients as one vector.
    pub fn flatten(&self) -> Vec<f64> {
        self.values.clone()
    }

    /// The Euclidean norm of all gradients together, `‖∇_θ ℓ‖`.
    pub fn norm(&self) -> f64 {
        self.values.iter().map(|g| g * g).sum::<f64>().sqrt()
    }

    /// Multiplies every gradient by `factor`.
    pub fn scale(&mut self, factor: f64) {
        self.values.iter_mut().for_each(|g| *g *= factor);
    }

    pub(super) fn block_mut(&mut self, l: usize) -> &mut [f64] {
        &mut self.values[self.offsets[l]..self.offsets[l + 1]]
    }
}

/// `0, c_1, c_1 + c_2, …`: where each block's parameters start.
fn offsets(counts: impl Iterator<Item = usize>) -> Vec<usize> {
    std::iter::once(0)
        .chain(counts.scan(0, |end, c| {
            *end += c;
            Some(*end)
        }))
        .collect()
}

impl<B: Block> Network<B> {
    /// A network from blocks and their parameters, one vector per block.
    /// Errors: no blocks, a zero width, widths that do not chain, a
    /// parameter vector of the wrong length, or a non-finite parameter.
    pub fn from_blocks(blocks: Vec<B>, parameters: Vec<Vec<f64>>) -> Result<Self> {
        if blocks.is_empty() {
            return Err(EngineError::NoLayers);
        }
        if parameters.len() != blocks.len() {
            return Err(EngineError::Shape(format!(
                "{} parameter vectors for {} blocks",
                parameters.len(),
                blocks.len()
            )));
        }
        for (l, (block, theta)) in blocks.iter().zip(&parameters).enumerate() {
            if block.input_width() == 0 || block.output_width() == 0 {
                return Err(EngineError::Empty(format!(
                    "block {} is {} → {}",
                    l + 1,
                    block.input_width(),
                    block.output_width()
                )));
            }
            if theta.len() != block.parameter_count() {
                return Err(EngineError::Shape(format!(
                    "block {} has {} parameters, got {}",
                    l + 1,
                    block.parameter_count(),
                    theta.len()
                )));
            }
            finite("parameters", theta)?;
        }
        for (l, pair) in blocks.windows(2).enumerate() {
            if pair[1].input_width() != pair[0].output_width() {
                return Err(EngineError::Shape(format!(
                    "layer {} outputs {} values but layer {} takes {}",
                    l + 1,
                    pair[0].output_width(),
                    l + 2,
                    pair[1].input_width()
                )));
            }
        }
        let offsets = offsets(blocks.iter().map(Block::parameter_count));
        let theta = parameters.concat();
        Ok(Network {
            blocks,
            theta,
            offsets,
        })
    }

    /// The blocks, first to last.
    pub fn blocks(&self) -> &[B] {
        &self.blocks
    }

    /// Block `l`'s parameters (`l` from 0). Panics past the last block.
    pub fn block_parameters(&self, l: usize) -> &[f64] {
        &self.theta[self.offsets[l]..self.offsets[l + 1]]
    }

    /// Where block `l`'s parameters sit in [`Network::parameters`].
    pub fn block_range(&self, l: usize) -> Range<usize> {
        self.offsets[l]..self.offsets[l + 1]
    }

    /// The depth `L` (the number of blocks).
    pub fn depth(&self) -> usize {
        self.blocks.len()
    }

    /// The widths `n_0, n_1, …, n_L`.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(self.blocks[0].input_width())
            .chain(self.blocks.iter().map(Block::output_width))
            .collect()
    }

    /// The number of parameters.
    pub fn parameter_count(&self) -> usize {
        self.theta.len()
    }

    /// All parameters as one slice: `θ_1`, `θ_2`, ….
    pub fn parameters(&self) -> &[f64] {
        &self.theta
    }

    /// Sets all parameters from one vector in the order of
    /// [`Network::parameters`]. Errors: wrong length or a non-finite value
    /// (the network is then unchanged).
    pub fn set_parameters(&mut self, theta: &[f64]) -> Result<()> {
        if theta.len() != self.theta.len() {
            return Err(EngineError::Shape(format!(
                "{} values for {} parameters",
                theta.len(),
                self.theta.len()
            )));
        }
        finite("parameters", theta)?;
        self.theta.copy_from_slice(theta);
        Ok(())
    }

    /// The parameters, for the optimizer, which keeps them finite.
    pub(super) fn parameters_vec_mut(&mut self) -> &mut Vec<f64> {
        &mut self.theta
    }

    pub(super) fn check_input(&self, x: &DMatrix<f64>) -> Result<()> {
        let n0 = self.blocks[0].input_width();
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

    pub(super) fn output_width(&self) -> usize {
        self.blocks[self.depth() - 1].output_width()
    }

    // ANCHOR: lesson
    /// The network's output `f(x)` for a batch `x` (`n_0 × B`, one example
    /// per column). Errors: wrong number of rows, no columns, non-finite
    /// entries.
    pub fn forward(&self, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.check_input(x)?;
        let mut y = x.clone();
        for (l, block) in self.blocks.iter().enumerate() {
            y = block.forward(self.block_parameters(l), &y).y;
        }
        Ok(y)
    }

    /// The batch-averaged loss and its gradient with respect to every
    /// parameter: a forward pass that keeps each block's input and saved
    /// values, then a backward pass from the loss down to the first block.
    /// Errors: bad input (see [`Network::forward`]) or a target that
    /// [`Loss::check_target`] refuses. An output that overflows is no error:
    /// the loss and gradients are then infinite or NaN, computed in IEEE
    /// arithmetic exactly as the fast engine computes them.
    pub fn gradient(
        &self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
    ) -> Result<(f64, Gradients)> {
        self.check_input(x)?;
        loss.check_target(self.output_width(), x.ncols(), y)?;
        // Forward: inputs[l] is the input of block l, inputs[L] the output.
        let mut inputs = vec![x.clone()];
        let mut saved = Vec::with_capacity(self.depth());
        for (l, block) in self.blocks.iter().enumerate() {
            let pass = block.forward(self.block_parameters(l), &inputs[l]);
            inputs.push(pass.y);
            saved.push(pass.saved);
        }
        let output = &inputs[self.depth()];
        let mut dy = DMatrix::zeros(output.nrows(), output.ncols());
        let value = loss.evaluate(output, y, &mut dy); // ℓ and ∂ℓ/∂(output)
        // Backward: each block turns ∂ℓ/∂(its output) into ∂ℓ/∂(its input).
        let mut grads = Gradients::zeros(self);
        for (l, block) in self.blocks.iter().enumerate().rev() {
            let pass = block.backward(self.block_parameters(l), &inputs[l], &saved[l], &dy);
            grads.block_mut(l).copy_from_slice(&pass.grad);
            dy = pass.dx;
        }
        Ok((value, grads))
    }

    /// One step of gradient descent, `θ ← θ − η ∇_θ ℓ`, with the gradients
    /// of `grads`. Errors: `eta` negative or not finite, gradients shaped
    /// for another network, or a step that would make a parameter
    /// non-finite (the network is then unchanged).
    pub fn descend(&mut self, grads: &Gradients, eta: f64) -> Result<()> {
        super::linalg::check_step_size(eta)?;
        let g = grads.as_slice();
        if g.len() != self.theta.len() {
            return Err(EngineError::Shape(
                "gradients shaped for another network".into(),
            ));
        }
        let next: Vec<f64> = self.theta.iter().zip(g).map(|(p, g)| p - eta * g).collect();
        // Refuses a non-finite result and then changes nothing.
        self.set_parameters(&next)
    }
    // ANCHOR_END: lesson
}

impl Network<Dense> {
    /// A multilayer perceptron from its layers. Errors: no layers, a layer
    /// that [`Layer::new`] would refuse, or a layer whose input width
    /// differs from the previous layer's output width.
    pub fn new(layers: Vec<Layer>) -> Result<Self> {
        layers.iter().try_for_each(Layer::validate)?;
        let (blocks, parameters) = layers.into_iter().map(Layer::into_parts).unzip();
        Network::from_blocks(blocks, parameters)
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
                let b = nalgebra::DVector::from_fn(widths[l], |_, _| sigma_b * normal(rng));
                let activation = if l == depth { output } else { hidden };
                Layer { w, b, activation }
            })
            .collect();
        Network::new(layers)
    }

    /// The weights `W_l` of layer `l = 1..=L`. Panics outside that range.
    pub fn w(&self, l: usize) -> DMatrixView<'_, f64> {
        self.blocks[l - 1].w(self.block_parameters(l - 1))
    }

    /// The biases `b_l` of layer `l = 1..=L`. Panics outside that range.
    pub fn b(&self, l: usize) -> DVectorView<'_, f64> {
        self.blocks[l - 1].b(self.block_parameters(l - 1))
    }

    /// `∂ℓ/∂W_l` inside `grads`, for layer `l = 1..=L`.
    pub fn w_of<'a>(&self, grads: &'a Gradients, l: usize) -> DMatrixView<'a, f64> {
        self.blocks[l - 1].w(grads.block(l - 1))
    }

    /// `∂ℓ/∂b_l` inside `grads`, for layer `l = 1..=L`.
    pub fn b_of<'a>(&self, grads: &'a Gradients, l: usize) -> DVectorView<'a, f64> {
        self.blocks[l - 1].b(grads.block(l - 1))
    }

    /// The activation of layer `l = 1..=L`. Panics outside that range.
    pub fn activation(&self, l: usize) -> Activation {
        self.blocks[l - 1].activation
    }

    /// Multiply-adds of one forward pass over a batch of `batch` examples:
    /// `B Σ_l n_l n_{l-1}` (the products `W_l x_{l-1}`; the elementwise work
    /// is of lower order and not counted).
    pub fn forward_multiply_adds(&self, batch: usize) -> usize {
        batch * self.blocks.iter().map(|d| d.n_in * d.n_out).sum::<usize>()
    }

    /// Multiply-adds of one backward pass: `∂ℓ/∂W_l = δ_l x_{l-1}ᵀ` for every
    /// layer and `W_lᵀ δ_l` for every layer but the first (the gradient with
    /// respect to the input is not needed for training).
    pub fn backward_multiply_adds(&self, batch: usize) -> usize {
        let all: usize = self.blocks.iter().map(|d| d.n_in * d.n_out).sum();
        batch * (2 * all - self.blocks[0].n_in * self.blocks[0].n_out)
    }
}
