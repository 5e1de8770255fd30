//! What vanishing gradients do to training: a deep sigmoid network and a
//! deep ReLU network, same task, same depth, same seed and same step size,
//! trained by full-batch gradient descent.
//!
//! The task: 64 inputs `x ~ N(0, I)` in two dimensions with targets
//! `y = sin(2 x_1) cos(x_2)`, fitted with the squared error. The networks:
//! `depth` hidden layers of width `width` and a linear readout to one
//! output, weights `N(0, σ_w²/n_{l-1})` with `σ_w² = 1` for the sigmoid and
//! `σ_w² = 2` for ReLU (the values of the chapter's mean-field section),
//! biases zero. Both draw their weights from the same standard normal
//! numbers, so they differ only in the activation and the weight scale.

use crate::engine::{Activation, EngineError, Loss, Mlp, Optimizer, Trainer, Workspace, normal};
use nalgebra::DMatrix;

type Result<T> = std::result::Result<T, EngineError>;

/// The fixed setting of the training comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StallSetup {
    /// Hidden layers (the network has `depth + 1` weight layers).
    pub depth: usize,
    pub width: usize,
    pub batch: usize,
    pub eta: f64,
    pub steps: usize,
    pub seed: u64,
}

impl Default for StallSetup {
    fn default() -> Self {
        StallSetup {
            depth: 12,
            width: 16,
            batch: 64,
            eta: 0.05,
            steps: 1000,
            seed: 17,
        }
    }
}

impl StallSetup {
    /// The initial network: `2 → width × depth → 1`, activation φ on the
    /// hidden layers, a linear readout, weights `N(0, σ_w²/n_{l-1})` from
    /// `seed`, biases zero. Errors: those of [`Mlp::gaussian`].
    pub fn network(&self, activation: Activation, sigma_w2: f64) -> Result<Mlp> {
        let mut widths = vec![2];
        widths.extend(std::iter::repeat_n(self.width, self.depth));
        widths.push(1);
        let mut rng = book_support::seeded(self.seed);
        Mlp::gaussian(
            &widths,
            activation,
            Activation::Identity,
            sigma_w2,
            0.0,
            &mut rng,
        )
    }

    /// The data of the task, drawn from `seed + 1` (see [`stall_data`]).
    pub fn data(&self) -> (DMatrix<f64>, DMatrix<f64>) {
        stall_data(self.batch, self.seed.wrapping_add(1))
    }
}

/// The data `(x, y)` of the task, `2 × B` and `1 × B`, drawn from `seed`:
/// `x ~ N(0, I)` and `y = sin(2 x_1) cos(x_2)`.
pub fn stall_data(batch: usize, seed: u64) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut rng = book_support::seeded(seed);
    let x = DMatrix::from_fn(2, batch, |_, _| normal(&mut rng));
    let y = DMatrix::from_fn(1, batch, |_, j| (2.0 * x[(0, j)]).sin() * x[(1, j)].cos());
    (x, y)
}

/// The squared-error loss of the best constant prediction, the mean of
/// each output's targets predicted for every example: `½ Σ_i Var(y_i)`
/// (population variances over the batch). No network that ignores its
/// input does better. NaN for an empty `y`.
pub fn constant_predictor_loss(y: &DMatrix<f64>) -> f64 {
    if y.is_empty() {
        return f64::NAN;
    }
    let squares: f64 = y
        .row_iter()
        .map(|row| {
            let mean = row.mean();
            row.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
        })
        .sum();
    0.5 * squares / y.ncols() as f64
}

/// How much the pre-activations `h_l` of layer `l` (`1..=L`) vary from one
/// input of the batch `x` to another: the root mean square over units of
/// each unit's standard deviation over the batch (population form). Zero
/// when the layer computes the same thing for every input. Errors: those of
/// [`Mlp::forward_ws`], or `l` outside `1..=L`.
pub fn input_spread(net: &Mlp, x: &DMatrix<f64>, l: usize) -> Result<f64> {
    let mut ws = Workspace::new(net, x.ncols().max(1))?;
    net.forward_ws(x, &mut ws)?;
    let h = ws.pre_activation(l).ok_or_else(|| {
        EngineError::Argument(format!("layer {l} is outside 1..={}", net.depth()))
    })?;
    let batch = h.ncols() as f64;
    let mean_square: f64 = h
        .row_iter()
        .map(|row| {
            let mean = row.sum() / batch;
            row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / batch
        })
        .sum::<f64>()
        / h.nrows() as f64;
    Ok(mean_square.sqrt())
}

// ANCHOR: curve
/// The training curve of one network: the loss before each of `steps`
/// steps of full-batch gradient descent and after the last one (`steps + 1`
/// values). Errors: a zero size, a bad step size, or a step that would make
/// a parameter non-finite.
pub fn stall_curve(setup: &StallSetup, activation: Activation, sigma_w2: f64) -> Result<Vec<f64>> {
    let net = setup.network(activation, sigma_w2)?;
    let (x, y) = setup.data();
    let mut trainer = Trainer::new(net, Loss::Mse, Optimizer::gd(setup.eta)?);
    let run = trainer.run(&x, &y, setup.steps, |_| {})?;
    match run.failed_at {
        None => Ok(run.losses),
        Some(t) => Err(EngineError::NonFinite(format!(
            "the update of step {t} would make a parameter non-finite"
        ))),
    }
}
// ANCHOR_END: curve

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_predictor_loss_is_half_the_variance() {
        let y = DMatrix::from_row_slice(1, 4, &[1.0, 3.0, 1.0, 3.0]);
        assert_eq!(constant_predictor_loss(&y), 0.5);
        assert!(constant_predictor_loss(&DMatrix::zeros(1, 0)).is_nan());
        // No constant does better: the mean is the best constant.
        let net_loss = |c: f64| 0.5 * y.iter().map(|v| (v - c).powi(2)).sum::<f64>() / 4.0;
        assert!(net_loss(1.9) > 0.5 && net_loss(2.0) == 0.5);
        // Two outputs: each row gets its own best constant, and the loss
        // is averaged over examples (columns), like the squared error.
        let two = DMatrix::from_row_slice(2, 2, &[1.0, 3.0, 10.0, 10.0]);
        assert_eq!(constant_predictor_loss(&two), 0.5);
    }

    #[test]
    fn input_spread_measures_variation_over_the_batch() {
        let net = Mlp::new(vec![
            crate::engine::Layer::new(
                DMatrix::from_row_slice(2, 1, &[1.0, 0.0]),
                nalgebra::DVector::from_vec(vec![0.0, 5.0]),
                Activation::Identity,
            )
            .unwrap(),
        ])
        .unwrap();
        // Unit 1 sees the inputs 1 and 3 (standard deviation 1), unit 2 is constant.
        let x = DMatrix::from_row_slice(1, 2, &[1.0, 3.0]);
        assert_eq!(input_spread(&net, &x, 1).unwrap(), 0.5f64.sqrt());
        assert!(matches!(
            input_spread(&net, &x, 0),
            Err(EngineError::Argument(_))
        ));
        assert!(matches!(
            input_spread(&net, &x, 2),
            Err(EngineError::Argument(_))
        ));
        assert!(input_spread(&net, &DMatrix::zeros(2, 2), 1).is_err());
        assert!(input_spread(&net, &DMatrix::from_element(1, 1, f64::NAN), 1).is_err());
    }

    #[test]
    fn curves_have_one_loss_per_step_and_bad_setups_are_errors() {
        let small = StallSetup {
            depth: 2,
            width: 8,
            batch: 16,
            steps: 50,
            ..StallSetup::default()
        };
        let curve = stall_curve(&small, Activation::Relu, 2.0).unwrap();
        assert_eq!(curve.len(), 51);
        assert!(curve[50] < curve[0], "{curve:?}");
        let (x, y) = stall_data(16, 3);
        assert_eq!((x.shape(), y.shape()), ((2, 16), (1, 16)));
        assert_eq!(stall_data(16, 3), (x, y));
        assert_eq!(StallSetup { seed: 2, ..small }.data(), stall_data(16, 3));
        for bad in [
            StallSetup { batch: 0, ..small },
            StallSetup { width: 0, ..small },
            StallSetup {
                eta: f64::NAN,
                ..small
            },
            StallSetup { eta: -1.0, ..small },
        ] {
            assert!(stall_curve(&bad, Activation::Relu, 2.0).is_err(), "{bad:?}");
        }
        assert!(stall_curve(&small, Activation::Relu, f64::INFINITY).is_err());
    }
}
