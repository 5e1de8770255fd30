//! Trainability follows the depth scale (Schoenholz et al. 2017): deep tanh
//! networks trained for a short budget on the shipped digits, across
//! depths and weight variances.

use crate::error::{Error, Result};
use book_support::data::Digits;
use ch03_backprop::{Activation, Loss, Mlp, Optimizer, Trainer};
use nalgebra::DMatrix;

/// The training images, one per column, each pixel standardized over
/// them (mean 0, variance 1; a pixel that never varies is 0), and their
/// one-hot targets. Errors: the file does not load, or `examples` is 0 or
/// more than the file holds.
#[cfg(feature = "book")]
pub fn standardized_digits(examples: usize) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
    let d = Digits::load().map_err(|e| Error::Argument(e.to_string()))?;
    standardize_digits(&d, examples)
}

/// [`standardized_digits`] of digits already loaded (a page has no files).
pub fn standardize_digits(d: &Digits, examples: usize) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
    if examples == 0 || examples > d.len() {
        return Err(Error::Argument(format!(
            "{examples} training images out of {}",
            d.len()
        )));
    }
    let mut x = DMatrix::from_fn(Digits::PIXELS, examples, |i, j| d.images[j][i]);
    for mut row in x.row_iter_mut() {
        let mean = row.mean();
        let sd = row.variance().sqrt();
        row.apply(|v| *v = if sd > 0.0 { (*v - mean) / sd } else { 0.0 });
    }
    let y = DMatrix::from_fn(Digits::CLASSES, examples, |i, j| {
        f64::from(usize::from(d.labels[j]) == i)
    });
    Ok((x, y))
}

/// One experiment's budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trainability {
    /// The bias variance of every network.
    pub sigma_b2: f64,
    /// The width of every hidden layer.
    pub width: usize,
    /// Training images (the first of the shipped file).
    pub examples: usize,
    /// Full-batch gradient steps.
    pub steps: usize,
    /// Step size and momentum.
    pub eta: f64,
    pub momentum: f64,
}

impl Trainability {
    /// The book's experiment.
    pub const BOOK: Trainability = Trainability {
        sigma_b2: 0.05,
        width: 32,
        examples: 64,
        steps: 100,
        eta: 0.05,
        momentum: 0.9,
    };

    /// The training loss (softmax cross-entropy) after the budget, of a
    /// network with `depth` tanh layers of the experiment's width and a
    /// linear readout, drawn with `σ_w²` from `seed`. A run that diverges
    /// (a step the engine refuses) reports its last loss.
    pub fn final_loss(
        &self,
        sigma_w2: f64,
        depth: usize,
        (x, y): (&DMatrix<f64>, &DMatrix<f64>),
        seed: u64,
    ) -> Result<f64> {
        let mut widths = vec![x.nrows()];
        widths.extend(std::iter::repeat_n(self.width, depth));
        widths.push(y.nrows());
        let net = Mlp::gaussian(
            &widths,
            Activation::Tanh,
            Activation::Identity,
            sigma_w2,
            self.sigma_b2.sqrt(),
            &mut book_support::seeded(seed),
        )?;
        let optimizer = Optimizer::gd(self.eta)?.with_momentum(self.momentum)?;
        let mut trainer = Trainer::new(net, Loss::SoftmaxCrossEntropy, optimizer);
        Ok(trainer.run(x, y, self.steps, |_| {})?.final_loss())
    }
}

/// The cross-entropy of the best constant prediction (the class
/// frequencies) on one-hot targets `y`: the loss of a network that has
/// learned nothing about its inputs.
pub fn constant_loss(y: &DMatrix<f64>) -> f64 {
    let n = y.ncols() as f64;
    y.row_iter()
        .map(|row| row.sum() / n)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum()
}

/// A grid of final losses: `losses[i][j]` for `sigma_w2s[i]` and
/// `depths[j]`, each network from its own seed, run in parallel.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    pub sigma_w2s: Vec<f64>,
    pub depths: Vec<usize>,
    pub losses: Vec<Vec<f64>>,
    /// The constant predictor's loss on the same targets.
    pub constant: f64,
}

impl Trainability {
    /// Trains every cell of the grid. Errors: those of
    /// [`Trainability::final_loss`].
    #[cfg(feature = "book")]
    pub fn heatmap(&self, sigma_w2s: &[f64], depths: &[usize], seed: u64) -> Result<Heatmap> {
        let (x, y) = standardized_digits(self.examples)?;
        let cells: Vec<(usize, usize)> = (0..sigma_w2s.len())
            .flat_map(|i| (0..depths.len()).map(move |j| (i, j)))
            .collect();
        let flat = book_support::parallel::map(&cells, |&(i, j)| {
            let cell_seed = seed.wrapping_add((i * depths.len() + j) as u64);
            self.final_loss(sigma_w2s[i], depths[j], (&x, &y), cell_seed)
        });
        let mut losses = vec![Vec::with_capacity(depths.len()); sigma_w2s.len()];
        for ((i, _), loss) in cells.iter().zip(flat) {
            losses[*i].push(loss?);
        }
        Ok(Heatmap {
            sigma_w2s: sigma_w2s.to_vec(),
            depths: depths.to_vec(),
            losses,
            constant: constant_loss(&y),
        })
    }
}

impl Heatmap {
    /// Whether a final loss counts as trained: below a tenth of the
    /// constant predictor's (a network that has clearly learned the
    /// training set, not one on its way).
    pub fn trained(&self, loss: f64) -> bool {
        loss < 0.1 * self.constant
    }

    /// For each weight variance, the deepest depth of the grid whose
    /// network trained (0 if none did).
    pub fn deepest_trained(&self) -> Vec<usize> {
        self.losses
            .iter()
            .map(|row| {
                self.depths
                    .iter()
                    .zip(row)
                    .filter(|(_, l)| self.trained(**l))
                    .map(|(d, _)| *d)
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }
}

/// Spearman's rank correlation of two samples of the same length: the
/// correlation of their ranks, ties given the mean of their ranks. NaN for
/// fewer than two values or a sample with no spread.
pub fn rank_correlation(a: &[f64], b: &[f64]) -> f64 {
    fn ranks(x: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
        let mut r = vec![0.0; x.len()];
        let mut k = 0;
        while k < order.len() {
            let mut end = k;
            while end + 1 < order.len() && x[order[end + 1]] == x[order[k]] {
                end += 1;
            }
            let mean = (k + end) as f64 / 2.0 + 1.0;
            for &i in &order[k..=end] {
                r[i] = mean;
            }
            k = end + 1;
        }
        r
    }
    if a.len() != b.len() || a.len() < 2 {
        return f64::NAN;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = (a.len() as f64 + 1.0) / 2.0;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - mean) * (y - mean);
        saa += (x - mean).powi(2);
        sbb += (y - mean).powi(2);
    }
    sab / (saa * sbb).sqrt()
}
