//! The fast engine: the same passes as the lesson's, written into buffers
//! allocated once per network and batch size, so that a training step
//! allocates nothing. Tests (`engine/tests.rs`) check that it gives the
//! lesson's numbers.

use super::{Block, EngineError, Gradients, Loss, Network, Optimizer, Result};
use nalgebra::DMatrix;

/// Buffers for one forward and backward pass over batches of a fixed size.
/// Create one with [`Workspace::new`] and reuse it: after the first pass,
/// the passes allocate nothing.
#[derive(Clone, Debug)]
pub struct Workspace {
    batch: usize,
    /// The widths `n_0, …, n_L` of the network it was made for.
    widths: Vec<usize>,
    /// Block outputs `x_l`, index `l - 1` (`x_0` is the caller's input).
    x: Vec<DMatrix<f64>>,
    /// What each block's forward pass saved for its backward pass.
    saved: Vec<Vec<DMatrix<f64>>>,
    /// `∂ℓ/∂x_l`, index `l`, for `l = 0..=L`; entry 0 is filled only when
    /// the workspace was made [`Workspace::with_input_gradient`].
    dx: Vec<DMatrix<f64>>,
    input_gradient: bool,
    /// The gradients of the last backward pass.
    pub(super) grads: Gradients,
    /// Spare parameters into which [`Network::step`] writes the next
    /// parameters before swapping them in.
    pub(super) next: Vec<f64>,
    /// The optimizer's velocity (momentum), and its spare buffer.
    pub(super) velocity: Vec<f64>,
    pub(super) next_velocity: Vec<f64>,
}

impl Workspace {
    /// Buffers for `net` and batches of `batch` examples. Errors: `batch == 0`.
    pub fn new<B: Block>(net: &Network<B>, batch: usize) -> Result<Self> {
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
            x: per_layer(1),
            saved: vec![Vec::new(); net.depth()],
            dx: per_layer(0),
            input_gradient: false,
            grads: Gradients::zeros(net),
            next: Vec::new(),
            velocity: Vec::new(),
            next_velocity: Vec::new(),
            widths,
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

    /// The output `x_l` of block `l = 1..=L` from the last forward pass.
    pub fn activation(&self, l: usize) -> Option<&DMatrix<f64>> {
        l.checked_sub(1).and_then(|i| self.x.get(i))
    }

    /// What block `l = 1..=L` saved in the last forward pass (a block may
    /// overwrite it as scratch space in its backward pass).
    pub fn saved(&self, l: usize) -> Option<&[DMatrix<f64>]> {
        l.checked_sub(1)
            .and_then(|i| self.saved.get(i))
            .map(Vec::as_slice)
    }

    /// For a dense layer `l = 1..=L`: the pre-activations `h_l` of the last
    /// forward pass (the first matrix it saves).
    pub fn pre_activation(&self, l: usize) -> Option<&DMatrix<f64>> {
        self.saved(l).and_then(|s| s.first())
    }

    /// For a dense layer `l = 1..=L`: the backward signal `δ_l = ∂ℓ/∂h_l`
    /// of the last backward pass (the second matrix it saves).
    pub fn delta(&self, l: usize) -> Option<&DMatrix<f64>> {
        self.saved(l).and_then(|s| s.get(1))
    }

    /// `∂ℓ/∂x_l` of the last backward pass, `l = 0..=L` (`l = 0` only with
    /// [`Workspace::with_input_gradient`], otherwise `None`).
    pub fn activation_gradient(&self, l: usize) -> Option<&DMatrix<f64>> {
        if l == 0 && !self.input_gradient {
            return None;
        }
        self.dx.get(l)
    }

    /// The gradients of the last backward pass.
    pub fn gradients(&self) -> &Gradients {
        &self.grads
    }

    /// Forgets the optimizer's velocity (the next step starts from rest).
    pub fn reset_velocity(&mut self) {
        self.velocity.clear();
    }
}

impl<B: Block> Network<B> {
    fn check_workspace(&self, ws: &Workspace, batch: usize) -> Result<()> {
        // Compared width by width: `self.widths()` would allocate.
        let same_widths = ws.widths.len() == self.depth() + 1
            && ws.widths[0] == self.blocks()[0].input_width()
            && self
                .blocks()
                .iter()
                .zip(&ws.widths[1..])
                .all(|(b, &n)| b.output_width() == n);
        if !same_widths || ws.grads.as_slice().len() != self.parameter_count() {
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
    /// The forward pass: fills every block's output and saved values.
    fn forward_into(&self, x0: &DMatrix<f64>, ws: &mut Workspace) {
        for (l, block) in self.blocks().iter().enumerate() {
            let (done, rest) = ws.x.split_at_mut(l);
            let input = if l == 0 { x0 } else { &done[l - 1] };
            block.forward_into(
                self.block_parameters(l),
                input,
                &mut ws.saved[l],
                &mut rest[0],
            );
        }
    }
    // ANCHOR_END: forward

    // ANCHOR: backward
    /// The backward pass, given the forward pass of `x0` in `ws` and
    /// `∂ℓ/∂x_L` in `ws.dx[L]`: each block, last to first, fills its
    /// parameter gradient and `∂ℓ/∂x_{l-1}` (skipped for the input unless
    /// asked for).
    fn backward_into(&self, x0: &DMatrix<f64>, ws: &mut Workspace) {
        for (l, block) in self.blocks().iter().enumerate().rev() {
            let input = if l == 0 { x0 } else { &ws.x[l - 1] };
            let (below, above) = ws.dx.split_at_mut(l + 1);
            let dx = (l > 0 || ws.input_gradient).then_some(&mut below[l]);
            block.backward_into(
                self.block_parameters(l),
                input,
                &ws.x[l],
                &mut ws.saved[l],
                &above[0],
                dx,
                ws.grads.block_mut(l),
            );
        }
    }
    // ANCHOR_END: backward

    /// Runs the forward pass of `x` into `ws` (allocation-free).
    pub fn forward_ws(&self, x: &DMatrix<f64>, ws: &mut Workspace) -> Result<()> {
        self.check_input(x)?;
        self.check_workspace(ws, x.ncols())?;
        self.forward_into(x, ws);
        Ok(())
    }

    /// The batch-averaged loss of the network on `(x, y)`, by a forward pass
    /// into `ws`.
    pub fn loss_ws(
        &self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
        ws: &mut Workspace,
    ) -> Result<f64> {
        self.forward_ws(x, ws)?;
        loss.check_target(self.output_width(), x.ncols(), y)?;
        let depth = self.depth();
        Ok(loss.evaluate(&ws.x[depth - 1], y, &mut ws.dx[depth]))
    }

    /// The batch-averaged loss of the network on `(x, y)`.
    pub fn loss(&self, x: &DMatrix<f64>, y: &DMatrix<f64>, loss: Loss) -> Result<f64> {
        let mut ws = Workspace::new(self, x.ncols().max(1))?;
        self.loss_ws(x, y, loss, &mut ws)
    }

    /// One forward and one backward pass: returns the batch-averaged loss
    /// and leaves every gradient in `ws`. Allocation-free after the first
    /// call with `ws`. Errors: bad input or target (see
    /// [`Network::forward`] and [`Loss::check_target`]), a workspace for
    /// another network or batch size.
    pub fn loss_and_gradient(
        &self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
        ws: &mut Workspace,
    ) -> Result<f64> {
        self.check_input(x)?;
        self.check_workspace(ws, x.ncols())?;
        loss.check_target(self.output_width(), x.ncols(), y)?;
        self.forward_into(x, ws);
        let depth = self.depth();
        let value = loss.evaluate(&ws.x[depth - 1], y, &mut ws.dx[depth]);
        self.backward_into(x, ws);
        Ok(value)
    }

    /// A training step with plain gradient descent,
    /// `θ ← θ − η ∇_θ ℓ`: [`Network::step`] with [`Optimizer::gd`].
    pub fn train_step(
        &mut self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
        eta: f64,
        ws: &mut Workspace,
    ) -> Result<f64> {
        self.step(x, y, loss, &Optimizer::gd(eta)?, ws)
    }
}
