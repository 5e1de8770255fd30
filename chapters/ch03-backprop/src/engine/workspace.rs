//! The buffers of the two passes, allocated once per network and batch size.

use super::{EngineError, Gradients, Mlp, Result};
use nalgebra::{DMatrix, DVector};

/// Buffers for one forward and backward pass over batches of a fixed size.
/// Create one with [`Workspace::new`] and reuse it: the passes then allocate
/// nothing.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub(super) batch: usize,
    /// Pre-activations `h_l`, index `l - 1`.
    pub(super) h: Vec<DMatrix<f64>>,
    /// Activations `x_l`, index `l - 1` (`x_0` is the caller's input).
    pub(super) x: Vec<DMatrix<f64>>,
    /// Backward signals `δ_l = ∂ℓ/∂h_l`, index `l - 1`.
    pub(super) delta: Vec<DMatrix<f64>>,
    /// `∂ℓ/∂x_l`, index `l`, for `l = 0..=L`; entry 0 is filled only when
    /// the workspace was made [`Workspace::with_input_gradient`].
    pub(super) dx: Vec<DMatrix<f64>>,
    pub(super) input_gradient: bool,
    /// The gradients of the last backward pass.
    pub grads: Gradients,
    /// Spare parameters `(W_l, b_l)` into which [`Mlp::train_step`] writes
    /// the next parameters before swapping them in; allocated by the first
    /// training step.
    pub(super) next: Vec<(DMatrix<f64>, DVector<f64>)>,
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
            next: Vec::new(),
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
