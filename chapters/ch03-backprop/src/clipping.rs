//! Exploding gradients and gradient clipping on a small regression task.
//!
//! The network: input width 4, twenty tanh layers of width 32 with weights
//! `N(0, σ_w²/n)`, `σ_w² = 4` (past the edge of chaos, so the backward
//! signal grows with depth), and a linear readout to one output. The data:
//! 64 inputs `x ~ N(0, I)` with targets `y = ½ sin(1.5 x_1) + 0.3 x_2`.

use crate::engine::{Activation, EngineError, Loss, Mlp, Optimizer, Run, Trainer, normal};
use nalgebra::DMatrix;

type Result<T> = std::result::Result<T, EngineError>;

/// The fixed setting of the clipping experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipSetup {
    pub input: usize,
    pub width: usize,
    pub hidden_layers: usize,
    pub sigma_w2: f64,
    pub batch: usize,
    pub seed: u64,
}

impl Default for ClipSetup {
    fn default() -> Self {
        ClipSetup {
            input: 4,
            width: 32,
            hidden_layers: 20,
            sigma_w2: 4.0,
            batch: 64,
            seed: 11,
        }
    }
}

impl ClipSetup {
    /// The initial network and the data `(x, y)`, all drawn from `seed`.
    /// Errors: a zero size or a bad `σ_w²`.
    pub fn build(&self) -> Result<(Mlp, DMatrix<f64>, DMatrix<f64>)> {
        let mut rng = book_support::seeded(self.seed);
        let mut widths = vec![self.input];
        widths.extend(std::iter::repeat_n(self.width, self.hidden_layers));
        widths.push(1);
        let net = Mlp::gaussian(
            &widths,
            Activation::Tanh,
            Activation::Identity,
            self.sigma_w2,
            0.0,
            &mut rng,
        )?;
        if self.batch == 0 {
            return Err(EngineError::Empty(
                "a batch needs at least one example".into(),
            ));
        }
        let x = DMatrix::from_fn(self.input, self.batch, |_, _| normal(&mut rng));
        let y = DMatrix::from_fn(1, self.batch, |_, j| {
            0.5 * (1.5 * x[(0, j)]).sin() + if self.input > 1 { 0.3 * x[(1, j)] } else { 0.0 }
        });
        Ok((net, x, y))
    }
}

/// A training run with the gradient norm of every step.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipRun {
    /// The losses and where the run broke down, if it did.
    pub run: Run,
    /// The gradient norm (before clipping) at each step attempted.
    pub grad_norms: Vec<f64>,
}

// ANCHOR: train
/// Full-batch gradient descent for `steps` steps with step size `eta`,
/// clipping the gradient to norm `clip` first when given. Stops early,
/// recording the step, if an update would make a parameter non-finite.
/// Errors: a bad setup, `eta` or `clip`.
pub fn train(setup: &ClipSetup, eta: f64, clip: Option<f64>, steps: usize) -> Result<ClipRun> {
    let mut optimizer = Optimizer::gd(eta)?;
    if let Some(c) = clip {
        optimizer = optimizer.with_clip(c)?;
    }
    let (net, x, y) = setup.build()?;
    let mut grad_norms = Vec::with_capacity(steps);
    let run = Trainer::new(net, Loss::Mse, optimizer).run(&x, &y, steps, |step| {
        grad_norms.push(step.workspace.gradients().norm());
    })?;
    Ok(ClipRun { run, grad_norms })
}
// ANCHOR_END: train

/// `‖∂ℓ/∂W_l‖_F` for every layer `l = 1..=L` of the initial network.
pub fn initial_layer_gradients(setup: &ClipSetup) -> Result<Vec<f64>> {
    let (net, x, y) = setup.build()?;
    let (_, grads) = net.gradient(&x, &y, Loss::Mse)?;
    Ok((1..=net.depth())
        .map(|l| net.w_of(&grads, l).norm())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_is_deterministic_and_checked() {
        let s = ClipSetup::default();
        assert_eq!(s.build().unwrap(), s.build().unwrap());
        assert!(ClipSetup { batch: 0, ..s }.build().is_err());
        assert!(ClipSetup { width: 0, ..s }.build().is_err());
        assert!(
            ClipSetup {
                sigma_w2: f64::NAN,
                ..s
            }
            .build()
            .is_err()
        );
        assert!(train(&s, f64::NAN, None, 3).is_err());
        assert!(train(&s, 0.1, Some(0.0), 3).is_err());
    }

    #[test]
    fn clipped_steps_are_short() {
        let s = ClipSetup {
            hidden_layers: 5,
            ..ClipSetup::default()
        };
        let ClipRun { run, grad_norms } = train(&s, 0.05, Some(0.5), 20).unwrap();
        assert_eq!((run.losses.len(), grad_norms.len()), (21, 20));
        assert!(run.failed_at.is_none());
        assert!(run.final_loss() < run.losses[0]);
    }
}
