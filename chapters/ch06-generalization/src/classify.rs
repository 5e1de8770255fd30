//! The classifier whose robustness the chapter measures: the shipped
//! digits split into small (0 to 4) and large (5 to 9), a linear model and
//! tanh networks trained on them with the logistic loss.

use crate::error::Result;
use ch03_backprop::{Activation, DMatrix, Loss, Mlp, Optimizer, Trainer};
use ch05_residual::digits_split_of;

/// Images (one per column, pixels in `[0, 1]`) with labels `+1` (digits 5
/// to 9) and `−1` (digits 0 to 4).
#[derive(Clone, Debug)]
pub struct Binary {
    pub x: DMatrix<f64>,
    pub labels: Vec<f64>,
}

impl Binary {
    /// The labels as the engine's `1 × B` target.
    pub fn target(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(1, self.labels.len(), &self.labels)
    }
}

/// The book's split of the digits (the test set is chapter 5's, 400
/// images, seed 61). Errors: the data file does not load.
#[cfg(feature = "book")]
pub fn digits_binary() -> Result<(Binary, Binary)> {
    let digits = book_support::data::Digits::load().map_err(|e| crate::Error::Argument(e.to_string()))?;
    digits_binary_of(&digits)
}

/// [`digits_binary`] of digits already loaded (a page has no files).
pub fn digits_binary_of(digits: &book_support::data::Digits) -> Result<(Binary, Binary)> {
    let (train, test) =
        digits_split_of(digits, 400, 61).map_err(|e| crate::Error::Argument(e.to_string()))?;
    let binary = |s: &ch05_residual::Split| Binary {
        x: s.x.clone(),
        labels: s
            .labels
            .iter()
            .map(|&l| if l >= 5 { 1.0 } else { -1.0 })
            .collect(),
    };
    Ok((binary(&train), binary(&test)))
}

/// How a classifier is trained: full-batch gradient descent with momentum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Training {
    pub eta: f64,
    pub momentum: f64,
    pub steps: usize,
    pub seed: u64,
}

impl Training {
    /// The book's training.
    pub const BOOK: Training = Training {
        eta: 0.2,
        momentum: 0.9,
        steps: 200,
        seed: 3,
    };

    /// A classifier with `hidden` tanh layers of the given widths (none: a
    /// linear model) and one linear output, initialized with weight variance 1/n_in and trained
    /// on `data`. Errors: those of the engine.
    pub fn train(&self, hidden: &[usize], data: &Binary) -> Result<Mlp> {
        let mut widths = vec![data.x.nrows()];
        widths.extend_from_slice(hidden);
        widths.push(1);
        let mut rng = book_support::seeded(self.seed);
        let net = Mlp::gaussian(
            &widths,
            Activation::Tanh,
            Activation::Identity,
            1.0,
            0.0,
            &mut rng,
        )?;
        let optimizer = Optimizer::gd(self.eta)?.with_momentum(self.momentum)?;
        let mut trainer = Trainer::new(net, Loss::Logistic, optimizer);
        trainer.run(&data.x, &data.target(), self.steps, |_| {})?;
        Ok(trainer.into_network())
    }
}
