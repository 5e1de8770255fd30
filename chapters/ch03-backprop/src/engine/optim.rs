//! The optimizer: gradient descent with optional clipping, weight decay
//! and momentum, applied to all of a network's parameters at once.

use super::linalg::{check_step_size, step_into};
use super::{Block, EngineError, Loss, Network, Result, Workspace, clip_by_norm};
use nalgebra::DMatrix;

/// How a step turns a gradient `g` into new parameters:
///
/// 1. clipping (if set): `g ← g · min(1, c / ‖g‖)`;
/// 2. weight decay: `g ← g + λ θ` (the gradient of `λ ‖θ‖² / 2`, on every
///    parameter, biases included);
/// 3. momentum (heavy ball): `v ← μ v + g`, starting from `v = 0`;
/// 4. the step: `θ ← θ − η v` (`v = g` without momentum).
///
/// With `λ = 0` and `μ = 0` this is plain gradient descent, computed as
/// exactly `θ − η g`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Optimizer {
    eta: f64,
    momentum: f64,
    weight_decay: f64,
    clip: Option<f64>,
}

impl Optimizer {
    /// Plain gradient descent with step size `eta`. Errors: `eta` negative
    /// or not finite.
    pub fn gd(eta: f64) -> Result<Self> {
        check_step_size(eta)?;
        Ok(Optimizer {
            eta,
            momentum: 0.0,
            weight_decay: 0.0,
            clip: None,
        })
    }

    /// Adds momentum `μ`. Errors: `μ` outside `[0, 1)`.
    pub fn with_momentum(self, mu: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&mu) {
            return Err(EngineError::Argument(format!(
                "momentum {mu} must lie in [0, 1)"
            )));
        }
        Ok(Optimizer {
            momentum: mu,
            ..self
        })
    }

    /// Adds weight decay `λ`. Errors: `λ` negative or not finite.
    pub fn with_weight_decay(self, lambda: f64) -> Result<Self> {
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(EngineError::Argument(format!(
                "weight decay {lambda} must be finite and nonnegative"
            )));
        }
        Ok(Optimizer {
            weight_decay: lambda,
            ..self
        })
    }

    /// Clips every gradient to norm at most `c` first. Errors: `c` not
    /// positive and finite.
    pub fn with_clip(self, c: f64) -> Result<Self> {
        if !(c.is_finite() && c > 0.0) {
            return Err(EngineError::Argument(format!(
                "clipping threshold {c} must be positive and finite"
            )));
        }
        Ok(Optimizer {
            clip: Some(c),
            ..self
        })
    }

    /// The step size η.
    pub fn eta(&self) -> f64 {
        self.eta
    }

    /// The update of the parameters of `net` from the gradients of the last
    /// backward pass in `ws` (which clipping rescales in place). The new
    /// parameters (and velocity) are written into spare buffers of `ws` and
    /// checked in the same pass; they are swapped in only if all are
    /// finite, so a failed update changes nothing but the clipped
    /// gradients. Errors: a workspace for another network, a non-finite
    /// gradient norm when clipping, or an update that would make a
    /// parameter non-finite.
    pub fn update<B: Block>(&self, net: &mut Network<B>, ws: &mut Workspace) -> Result<()> {
        if ws.gradients().as_slice().len() != net.parameter_count() {
            return Err(EngineError::Shape(
                "gradients shaped for another network".into(),
            ));
        }
        if let Some(c) = self.clip {
            clip_by_norm(&mut ws.grads, c)?;
        }
        let n = net.parameter_count();
        let theta = net.parameters();
        let g = ws.grads.as_slice();
        ws.next.resize(n, 0.0); // allocates on the first step only
        let finite = if self.momentum == 0.0 && self.weight_decay == 0.0 {
            step_into(&mut ws.next, theta, g, self.eta)
        } else {
            ws.velocity.resize(n, 0.0); // v = 0 before the first step
            ws.next_velocity.resize(n, 0.0);
            let (mu, lambda, eta) = (self.momentum, self.weight_decay, self.eta);
            let mut finite = true;
            for i in 0..n {
                let v = mu * ws.velocity[i] + (g[i] + lambda * theta[i]);
                let p = theta[i] - eta * v;
                finite &= v.is_finite() && p.is_finite();
                ws.next_velocity[i] = v;
                ws.next[i] = p;
            }
            finite
        };
        if !finite {
            return Err(EngineError::NonFinite(
                "the step would make a parameter infinite or NaN".into(),
            ));
        }
        // Swap the new values in; the spare buffers keep the old ones.
        std::mem::swap(net.parameters_vec_mut(), &mut ws.next);
        if self.momentum != 0.0 || self.weight_decay != 0.0 {
            std::mem::swap(&mut ws.velocity, &mut ws.next_velocity);
        }
        Ok(())
    }
}

impl<B: Block> Network<B> {
    /// A training step: forward, backward, then the optimizer's update.
    /// Returns the loss before the step. Errors: those of
    /// [`Network::loss_and_gradient`] and [`Optimizer::update`]; after an
    /// error the network is unchanged.
    pub fn step(
        &mut self,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        loss: Loss,
        optimizer: &Optimizer,
        ws: &mut Workspace,
    ) -> Result<f64> {
        let value = self.loss_and_gradient(x, y, loss, ws)?;
        optimizer.update(self, ws)?;
        Ok(value)
    }
}
