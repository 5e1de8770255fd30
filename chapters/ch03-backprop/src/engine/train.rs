//! One training loop for the whole book: a network, a loss and an
//! optimizer, advanced one step at a time or for many steps, with
//! observers that see every step.

use super::{Block, EngineError, Loss, Network, Optimizer, Result, Workspace};
use nalgebra::DMatrix;

/// What an observer sees at each step: the network and the workspace after
/// the backward pass and before the update (so the gradients, and for
/// dense layers the pre-activations and backward signals, are those of
/// this step), and the loss.
#[derive(Debug)]
pub struct Progress<'a, B> {
    /// The step's index, from 0.
    pub step: usize,
    /// The loss before the update.
    pub loss: f64,
    pub network: &'a Network<B>,
    pub workspace: &'a Workspace,
}

/// The record of [`Trainer::run`].
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The loss before each step attempted and, if the run finished, the
    /// loss after the last step: `steps + 1` values for a finished run,
    /// `t + 1` for one that failed at step `t`.
    pub losses: Vec<f64>,
    /// The step at which an update would have made a parameter infinite or
    /// NaN (and was refused, so the network stayed as it was), if any.
    pub failed_at: Option<usize>,
}

impl Run {
    /// The last loss recorded (NaN for an empty run).
    pub fn final_loss(&self) -> f64 {
        self.losses.last().copied().unwrap_or(f64::NAN)
    }
}

// ANCHOR: trainer
/// A network being trained.
#[derive(Debug)]
pub struct Trainer<B> {
    network: Network<B>,
    loss: Loss,
    optimizer: Optimizer,
    workspace: Option<Workspace>,
    steps: usize,
}

impl<B: Block> Trainer<B> {
    /// Starts training `network` on `loss` with `optimizer`.
    pub fn new(network: Network<B>, loss: Loss, optimizer: Optimizer) -> Self {
        Trainer {
            network,
            loss,
            optimizer,
            workspace: None,
            steps: 0,
        }
    }

    /// One step on the batch `(x, y)`: forward, backward, `observe`, update.
    /// Returns the loss before the update. Errors: bad input or target, or
    /// an update the optimizer refuses; the network is then unchanged.
    pub fn step(
        &mut self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        observe: impl FnOnce(&Progress<'_, B>),
    ) -> Result<f64> {
        let loss = self.backward(x, y)?;
        observe(&self.progress(loss));
        self.update()?;
        Ok(loss)
    }

    /// Up to `steps` steps on `(x, y)`, with `observe` called at each. An
    /// update that would make a parameter non-finite ends the run (see
    /// [`Run::failed_at`]); other errors are returned.
    pub fn run(
        &mut self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        steps: usize,
        mut observe: impl FnMut(&Progress<'_, B>),
    ) -> Result<Run> {
        let mut losses = Vec::with_capacity(steps + 1);
        for t in 0..steps {
            losses.push(self.backward(x, y)?);
            observe(&self.progress(losses[t]));
            match self.update() {
                Ok(()) => {}
                Err(EngineError::NonFinite(_)) => {
                    return Ok(Run {
                        losses,
                        failed_at: Some(t),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        losses.push(self.loss(x, y)?);
        Ok(Run {
            losses,
            failed_at: None,
        })
    }
    // ANCHOR_END: trainer

    /// The loss on `(x, y)` now.
    pub fn loss(&mut self, x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<f64> {
        let ws = Self::workspace_for(&mut self.workspace, &self.network, x.ncols())?;
        self.network.loss_ws(x, y, self.loss, ws)
    }

    /// The network as trained so far.
    pub fn network(&self) -> &Network<B> {
        &self.network
    }

    /// The network, ending training.
    pub fn into_network(self) -> Network<B> {
        self.network
    }

    /// The number of steps taken (updates applied).
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    /// The workspace of the last step, if a step was taken.
    pub fn workspace(&self) -> Option<&Workspace> {
        self.workspace.as_ref()
    }

    /// The workspace for batches of `batch` (a new one, with the momentum
    /// restarted, when the batch size changes).
    fn workspace_for<'a>(
        workspace: &'a mut Option<Workspace>,
        network: &Network<B>,
        batch: usize,
    ) -> Result<&'a mut Workspace> {
        if workspace.as_ref().map(Workspace::batch) != Some(batch) {
            *workspace = Some(Workspace::new(network, batch)?);
        }
        Ok(workspace.as_mut().expect("just made"))
    }

    fn backward(&mut self, x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<f64> {
        let ws = Self::workspace_for(&mut self.workspace, &self.network, x.ncols())?;
        self.network.loss_and_gradient(x, y, self.loss, ws)
    }

    fn progress(&self, loss: f64) -> Progress<'_, B> {
        Progress {
            step: self.steps,
            loss,
            network: &self.network,
            workspace: self.workspace.as_ref().expect("a backward pass made it"),
        }
    }

    fn update(&mut self) -> Result<()> {
        let ws = self.workspace.as_mut().expect("a backward pass made it");
        self.optimizer.update(&mut self.network, ws)?;
        self.steps += 1;
        Ok(())
    }
}
