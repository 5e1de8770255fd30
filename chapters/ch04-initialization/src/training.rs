//! Training a deep ReLU network from different initializations: the same
//! data, architecture, step size and seed, only the weight scale changes.

use crate::init::{InitError, VarianceScaling};
pub use ch03_backprop::constant_predictor_loss;
use ch03_backprop::{Activation, EngineError, Loss, Mlp, Optimizer, Run, Trainer};
use nalgebra::DMatrix;
use rand::RngExt;

type Result<T> = std::result::Result<T, InitError>;

/// The experiment: a regression task and a deep ReLU network.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSetup {
    /// Widths `n_0, …, n_L` (ReLU on hidden layers, a linear output).
    pub widths: Vec<usize>,
    /// Number of training points.
    pub points: usize,
    /// Step size η of full-batch gradient descent.
    pub eta: f64,
    /// Number of steps.
    pub steps: usize,
    /// Seed of the data and of the weights.
    pub seed: u64,
}

impl Default for TrainSetup {
    /// Twenty ReLU layers of width 32 on two inputs, 64 points, η = 0.01,
    /// 300 steps.
    fn default() -> Self {
        let mut widths = vec![2];
        widths.extend(std::iter::repeat_n(32, 20));
        widths.push(1);
        TrainSetup {
            widths,
            points: 64,
            eta: 0.01,
            steps: 300,
            seed: 4,
        }
    }
}

// ANCHOR: data
/// The data: `points` inputs uniform on `[−1, 1]²` and targets
/// `y = sin(π x_1) cos(π x_2 / 2)`, one example per column.
pub fn data(points: usize, seed: u64) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut rng = book_support::seeded(seed);
    let x = DMatrix::from_fn(2, points, |_, _| rng.random_range(-1.0..1.0));
    let pi = std::f64::consts::PI;
    let y = DMatrix::from_fn(1, points, |_, j| {
        (pi * x[(0, j)]).sin() * (pi * x[(1, j)] / 2.0).cos()
    });
    (x, y)
}
// ANCHOR_END: data

/// The network a run starts from: ReLU hidden layers and a linear output,
/// weights drawn by `init` from seed `setup.seed + 1`, zero biases. Every
/// initializer of the same distribution draws the same standard normals,
/// scaled. Errors: a zero width or fewer than two widths.
pub fn initial_network(setup: &TrainSetup, init: &VarianceScaling) -> Result<Mlp> {
    let mut rng = book_support::seeded(setup.seed + 1);
    init.network(
        &setup.widths,
        Activation::Relu,
        Activation::Identity,
        &mut rng,
    )
}

// ANCHOR: train
/// Full-batch gradient descent on [`data`] from weights drawn by `init`
/// (biases zero), with squared error. A step that would overflow a
/// parameter ends the run (recorded in [`Run::failed_at`]); other engine
/// errors, and a bad setup (a zero width, fewer than two widths, an input
/// width other than 2, a bad step size), are errors.
pub fn train(setup: &TrainSetup, init: &VarianceScaling) -> Result<Run> {
    if setup.widths.first() != Some(&2) {
        return Err(EngineError::Shape("the data have two inputs: n_0 must be 2".into()).into());
    }
    let (x, y) = data(setup.points, setup.seed);
    let net = initial_network(setup, init)?;
    let mut trainer = Trainer::new(net, Loss::Mse, Optimizer::gd(setup.eta)?);
    Ok(trainer.run(&x, &y, setup.steps, |_| {})?)
}
// ANCHOR_END: train

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Mode;

    #[test]
    fn bad_setups_are_errors() {
        let he = VarianceScaling::he_normal();
        let short = TrainSetup {
            steps: 2,
            ..TrainSetup::default()
        };
        let wrong_input = TrainSetup {
            widths: vec![3, 4, 1],
            ..short.clone()
        };
        assert!(train(&wrong_input, &he).is_err());
        let zero = TrainSetup {
            widths: vec![2, 0, 1],
            ..short.clone()
        };
        assert!(matches!(train(&zero, &he), Err(InitError::ZeroFan { .. })));
        let no_points = TrainSetup {
            points: 0,
            ..short.clone()
        };
        assert!(train(&no_points, &he).is_err());
        for eta in [f64::NAN, -1.0] {
            let bad = TrainSetup {
                eta,
                ..short.clone()
            };
            assert!(train(&bad, &he).is_err(), "{eta}");
        }
        assert!(constant_predictor_loss(&DMatrix::zeros(1, 0)).is_nan());
    }

    #[test]
    fn a_short_run_records_every_loss_and_learns() {
        let setup = TrainSetup {
            steps: 30,
            ..TrainSetup::default()
        };
        let run = train(
            &setup,
            &VarianceScaling::kaiming_normal(2f64.sqrt(), Mode::FanIn).unwrap(),
        )
        .unwrap();
        assert_eq!(run.losses.len(), 31);
        assert!(run.failed_at.is_none());
        assert!(run.final_loss() < run.losses[0]);
        let (x, y) = data(16, 3);
        assert!(x.iter().all(|v| (-1.0..1.0).contains(v)));
        assert_eq!(y.shape(), (1, 16));
        assert!(
            (constant_predictor_loss(&DMatrix::from_row_slice(1, 2, &[1.0, 3.0])) - 0.5).abs()
                < 1e-15
        );
    }

    #[test]
    fn an_overflowing_run_stops_with_its_step() {
        let setup = TrainSetup {
            steps: 50,
            ..TrainSetup::default()
        };
        let huge = VarianceScaling::kaiming_normal(3f64.sqrt(), Mode::FanIn).unwrap();
        let run = train(&setup, &huge).unwrap();
        let step = run.failed_at.expect("the run overflows");
        assert_eq!(run.losses.len(), step + 1);
    }
}
