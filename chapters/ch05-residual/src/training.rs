//! Training plain and residual networks: a synthetic regression task at
//! depths 10 to 1,000, and a classifier of the 8×8 handwritten digits.

use crate::nets::{Body, Net, Piece, network};
use crate::stochastic::{Gates, Survival, draw_gates, evaluation_gates};
use book_support::data::Digits;
use ch03_backprop::{EngineError, Loss, Optimizer, Run, Trainer, Workspace, normal};
use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The synthetic task: `points` inputs `x ~ N(0, I)` of `width` entries and
/// the target `y = sin(2 vᵀ x)` for a random unit vector `v`, all drawn from
/// `seed`.
pub fn sine_task(width: usize, points: usize, seed: u64) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut rng = book_support::seeded(seed);
    let v = DMatrix::from_fn(1, width, |_, _| normal(&mut rng)).normalize();
    let x = DMatrix::from_fn(width, points, |_, _| normal(&mut rng));
    let y = (&v * &x).map(|t| (2.0 * t).sin());
    (x, y)
}

/// The loss `½ Var(y)` of the best constant prediction, the mean (the
/// engine's squared error is `½ ‖f − y‖²` per example).
pub fn constant_loss(y: &DMatrix<f64>) -> f64 {
    let mean = y.mean();
    0.5 * y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64
}

// ANCHOR: depth_setup
/// The plain-versus-residual comparison: the same task, optimizer and
/// number of steps for every body and depth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthSetup {
    pub width: usize,
    pub points: usize,
    pub steps: usize,
    pub eta: f64,
    pub momentum: f64,
    /// Gradients are clipped to this norm (the same for every network, so
    /// that a plain net whose gradient explodes still takes finite steps).
    pub clip: f64,
    pub seed: u64,
}

impl DepthSetup {
    /// The book's setup.
    pub const BOOK: DepthSetup = DepthSetup {
        width: 16,
        points: 64,
        steps: 80,
        eta: 0.01,
        momentum: 0.9,
        clip: 1.0,
        seed: 50,
    };

    /// Trains a network with `body` and `depth` hidden pieces (weights from
    /// `seed + depth`) and returns its record. Errors: a zero depth, an
    /// engine error.
    pub fn run(&self, body: Body, depth: usize) -> Result<Run> {
        let (x, y) = sine_task(self.width, self.points, self.seed);
        Ok(self.trainer(body, depth)?.run(&x, &y, self.steps, |_| {})?)
    }

    /// The network and optimizer of [`DepthSetup::run`] before its first
    /// step (a page advances it a few steps at a time). Errors: those of
    /// [`DepthSetup::run`].
    pub fn trainer(&self, body: Body, depth: usize) -> Result<Trainer<Piece>> {
        let mut rng = book_support::seeded(self.seed.wrapping_add(depth as u64));
        let net = network(body, self.width, self.width, depth, 1, &mut rng)?;
        let optimizer = Optimizer::gd(self.eta)?
            .with_momentum(self.momentum)?
            .with_clip(self.clip)?;
        Ok(Trainer::new(net, Loss::Mse, optimizer))
    }
}
// ANCHOR_END: depth_setup

/// The digits as matrices: pixels scaled to `[0, 1]`, one image per
/// column, one-hot targets, and the labels.
#[derive(Clone, Debug)]
pub struct Split {
    pub x: DMatrix<f64>,
    pub y: DMatrix<f64>,
    pub labels: Vec<u8>,
}

impl Split {
    /// The images of `d` at `indices`, in that order. Panics on an index
    /// out of range (the callers draw the indices from `0..d.len()`).
    pub fn from_indices(d: &Digits, indices: &[usize]) -> Split {
        let x = DMatrix::from_fn(Digits::PIXELS, indices.len(), |i, j| {
            d.images[indices[j]][i] / Digits::MAX_PIXEL
        });
        let y = DMatrix::from_fn(Digits::CLASSES, indices.len(), |i, j| {
            f64::from(usize::from(d.labels[indices[j]]) == i)
        });
        let labels = indices.iter().map(|&i| d.labels[i]).collect();
        Split { x, y, labels }
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The shipped digits shuffled with `seed` and split into a training set
/// and a test set of `test` images. Errors: the file does not load, or
/// `test` leaves no training images.
#[cfg(feature = "book")]
pub fn digits_split(test: usize, seed: u64) -> Result<(Split, Split)> {
    digits_split_of(&Digits::load()?, test, seed)
}

/// [`digits_split`] of digits already loaded (a page has no files).
pub fn digits_split_of(d: &Digits, test: usize, seed: u64) -> Result<(Split, Split)> {
    if test == 0 || test >= d.len() {
        return Err(format!("a test set of {test} images out of {}", d.len()).into());
    }
    let mut order: Vec<usize> = (0..d.len()).collect();
    order.shuffle(&mut book_support::seeded(seed));
    let (test_idx, train_idx) = order.split_at(test);
    Ok((
        Split::from_indices(d, train_idx),
        Split::from_indices(d, test_idx),
    ))
}

/// The cross-entropy and the accuracy of `net` on `split`. Errors: those of
/// the forward pass.
pub fn evaluate(net: &Net, split: &Split) -> Result<(f64, f64)> {
    let loss = net.loss(&split.x, &split.y, Loss::SoftmaxCrossEntropy)?;
    let out = net.forward(&split.x)?;
    let correct = out
        .column_iter()
        .zip(&split.labels)
        .filter(|(c, l)| c.argmax().0 == usize::from(**l))
        .count();
    Ok((loss, correct as f64 / split.len() as f64))
}

// ANCHOR: digits_setup
/// A residual classifier of the digits trained by minibatch SGD with
/// momentum, optionally with stochastic depth.
#[derive(Clone, Debug, PartialEq)]
pub struct DigitsSetup {
    /// Residual blocks between the input layer `64 → width` and the readout
    /// `width → 10`.
    pub depth: usize,
    pub width: usize,
    pub batch: usize,
    pub steps: usize,
    pub eta: f64,
    pub momentum: f64,
    /// Images held out for testing.
    pub test: usize,
    pub seed: u64,
}

impl DigitsSetup {
    /// The book's setup.
    pub const BOOK: DigitsSetup = DigitsSetup {
        depth: 30,
        width: 32,
        batch: 64,
        steps: 600,
        eta: 0.01,
        momentum: 0.9,
        test: 397,
        seed: 60,
    };

    /// Trains on the training split; with `survival`, every step first draws
    /// the gates of stochastic depth. Returns the trained network (gates
    /// left as the last step drew them) and the minibatch losses. Errors:
    /// a schedule for another depth, an engine error.
    pub fn train(&self, train: &Split, survival: Option<&Survival>) -> Result<(Net, Vec<f64>)> {
        let mut rng = book_support::seeded(self.seed);
        let net = network(
            Body::Residual(crate::nets::BranchScale::InverseSqrtDepth),
            Digits::PIXELS,
            self.width,
            self.depth,
            Digits::CLASSES,
            &mut rng,
        )?;
        let optimizer = Optimizer::gd(self.eta)?.with_momentum(self.momentum)?;
        let mut trainer = Trainer::new(net, Loss::SoftmaxCrossEntropy, optimizer);
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut next = order.len();
        let mut losses = Vec::with_capacity(self.steps);
        let mut xb = DMatrix::zeros(train.x.nrows(), self.batch);
        let mut yb = DMatrix::zeros(train.y.nrows(), self.batch);
        for _ in 0..self.steps {
            if next + self.batch > order.len() {
                order.shuffle(&mut rng);
                next = 0;
            }
            for (j, &i) in order[next..next + self.batch].iter().enumerate() {
                xb.set_column(j, &train.x.column(i));
                yb.set_column(j, &train.y.column(i));
            }
            next += self.batch;
            if let Some(s) = survival {
                draw_gates(trainer.network(), s, &mut rng)?;
            }
            losses.push(trainer.step(&xb, &yb, |_| {})?);
        }
        Ok((trainer.into_network(), losses))
    }
}
// ANCHOR_END: digits_setup

/// The output `x_L` of the last residual block (the input of the readout)
/// for the batch `x`, with the gates as they are. Errors: a network without
/// a readout, those of the forward pass.
pub fn last_hidden(net: &Net, x: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let depth = net.depth();
    if depth < 2 {
        return Err(EngineError::Argument("the network needs a readout".into()).into());
    }
    let mut ws = Workspace::new(net, x.ncols())?;
    net.forward_ws(x, &mut ws)?;
    Ok(ws.activation(depth - 1).ok_or("no hidden state")?.clone())
}

/// The mean square `‖m‖² / (rows · columns)` of the entries of `m`.
pub fn mean_square(m: &DMatrix<f64>) -> f64 {
    m.norm_squared() / m.len() as f64
}

// ANCHOR: mismatch
/// Training-time against test-time statistics of the readout's input
/// `x_L`, for a network trained with stochastic depth, on one batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// `‖x_L^{full} − x̄_L‖ / ‖x̄_L‖`, with `x̄_L` the average of `x_L` over
    /// the draws of the gates (the training-time mean) and `x_L^{full}` the
    /// output with every branch on and unscaled.
    pub mean_gap_full: f64,
    /// The same with the test-time rule `x + p_l F(x)`.
    pub mean_gap_expected: f64,
    /// The Monte Carlo noise of those gaps: the standard error of `x̄_L`,
    /// `√(Σ_ij s²_ij / draws) / ‖x̄_L‖` from the per-entry sample variances.
    pub gap_se: f64,
    /// The mean square of `x_L` for each draw of the gates.
    pub mean_square_training: Vec<f64>,
    /// The mean square with every branch on and unscaled.
    pub mean_square_full: f64,
    /// The mean square with the test-time rule.
    pub mean_square_expected: f64,
}

/// Measures [`Mismatch`] over `draws` draws of the gates (at least two).
/// Errors: a schedule for another depth, fewer than two draws, those of the
/// forward pass.
pub fn mismatch(
    net: &Net,
    survival: &Survival,
    x: &DMatrix<f64>,
    draws: usize,
    seed: u64,
) -> Result<Mismatch> {
    if draws < 2 {
        return Err("need at least two draws of the gates".into());
    }
    let mut rng = book_support::seeded(seed);
    let mut sum: Option<DMatrix<f64>> = None;
    let mut sum_sq: Option<DMatrix<f64>> = None;
    let mut mean_square_training = Vec::with_capacity(draws);
    for _ in 0..draws {
        draw_gates(net, survival, &mut rng)?;
        let h = last_hidden(net, x)?;
        mean_square_training.push(mean_square(&h));
        let sq = h.map(|v| v * v);
        match (&mut sum, &mut sum_sq) {
            (Some(s), Some(q)) => {
                *s += &h;
                *q += sq;
            }
            _ => {
                sum = Some(h);
                sum_sq = Some(sq);
            }
        }
    }
    let m = draws as f64;
    let mean = sum.ok_or("no draws")? / m;
    let second = sum_sq.ok_or("no draws")? / m;
    let variance: f64 = second
        .zip_map(&mean, |q, a| (q - a * a) * m / (m - 1.0))
        .sum();
    let scale = mean.norm();
    evaluation_gates(net, survival, Gates::Full)?;
    let full = last_hidden(net, x)?;
    evaluation_gates(net, survival, Gates::Expected)?;
    let expected = last_hidden(net, x)?;
    Ok(Mismatch {
        mean_gap_full: (&full - &mean).norm() / scale,
        mean_gap_expected: (&expected - &mean).norm() / scale,
        gap_se: (variance / m).sqrt() / scale,
        mean_square_training,
        mean_square_full: mean_square(&full),
        mean_square_expected: mean_square(&expected),
    })
}
// ANCHOR_END: mismatch

/// The number of residual blocks among a network's pieces.
pub fn residual_blocks(net: &Net) -> usize {
    net.blocks()
        .iter()
        .filter(|p| p.residual().is_some())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Residual;
    use crate::nets::{BranchScale, Piece, residual_stack};
    use ch03_backprop::{Activation, Network};

    #[test]
    fn bad_setups_are_errors_not_panics() {
        assert!(digits_split(0, 1).is_err());
        assert!(digits_split(1797, 1).is_err());
        let (train, test) = digits_split(397, 1).unwrap();
        assert_eq!((train.len(), test.len()), (1400, 397));
        assert_eq!(train.x.nrows(), 64);
        assert!(train.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(DepthSetup::BOOK.run(Body::Plain, 0).is_err());
        let mut rng = book_support::seeded(1);
        let stack =
            residual_stack(4, 4, 1, Activation::Relu, 1.0, BranchScale::Zero, &mut rng).unwrap();
        assert!(last_hidden(&stack, &DMatrix::zeros(4, 2)).is_err());
        let d = DigitsSetup {
            steps: 2,
            ..DigitsSetup::BOOK
        };
        let wrong = Survival::linear(d.depth + 1, 0.5).unwrap();
        assert!(d.train(&train, Some(&wrong)).is_err());
        let (net, losses) = d.train(&train, None).unwrap();
        assert_eq!(losses.len(), 2);
        let right = Survival::linear(d.depth, 0.5).unwrap();
        assert!(mismatch(&net, &right, &test.x, 1, 1).is_err());
        assert!(mismatch(&net, &wrong, &test.x, 5, 1).is_err());
        assert!(mismatch(&net, &right, &DMatrix::zeros(63, 2), 5, 1).is_err());
        // Blocks whose widths do not chain are refused when the network is built.
        let a = Residual::new(3, 2, Activation::Relu).unwrap();
        let b = Residual::new(4, 2, Activation::Relu).unwrap();
        let theta = vec![vec![0.0; 14], vec![0.0; 18]];
        let err = Network::from_blocks(vec![Piece::Residual(a), Piece::Residual(b)], theta);
        assert!(err.unwrap_err().to_string().contains("shape mismatch"));
    }
}
