//! The digits, split three ways: training, validation (for choosing λ and
//! the temperature) and test (for every number the chapter reports).

use book_support::data::Digits;
use ch05_residual::Split;
use rand::seq::SliceRandom;
#[cfg(feature = "book")]
use std::path::Path;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Pixels per image.
pub const PIXELS: usize = Digits::PIXELS;
/// Classes.
pub const CLASSES: usize = Digits::CLASSES;

/// The three splits.
#[derive(Clone, Debug)]
pub struct Splits {
    pub train: Split,
    pub validation: Split,
    pub test: Split,
}

impl Splits {
    /// Images held out for validation and for testing in the book.
    pub const BOOK: (usize, usize) = (300, 400);

    /// The shipped digits, shuffled with `seed` and split as
    /// [`Splits::BOOK`] says. Errors: those of the loader.
    #[cfg(feature = "book")]
    pub fn load(seed: u64) -> Result<Splits> {
        Splits::of(&Digits::load()?, seed)
    }

    /// A digits file of the same format at `path`: a clear error naming the
    /// file and line of a malformed row (wrong length, a pixel that is not
    /// an integer from 0 to 16, NaN included, a label outside 0 to 9).
    #[cfg(feature = "book")]
    pub fn load_from(path: &Path, seed: u64) -> Result<Splits> {
        Splits::of(&Digits::load_from(path)?, seed)
    }

    /// `digits` shuffled with `seed` and split. Errors: too few images for
    /// a training set at least as large as the two held out.
    pub fn of(digits: &Digits, seed: u64) -> Result<Splits> {
        let (validation, test) = Splits::BOOK;
        let n = digits.len();
        if n < 2 * (validation + test) {
            return Err(format!(
                "{n} images: the splits need at least {} (validation {validation}, test {test}, and as many for training)",
                2 * (validation + test)
            )
            .into());
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut book_support::seeded(seed));
        let (test_idx, rest) = order.split_at(test);
        let (validation_idx, train_idx) = rest.split_at(validation);
        Ok(Splits {
            train: Split::from_indices(digits, train_idx),
            validation: Split::from_indices(digits, validation_idx),
            test: Split::from_indices(digits, test_idx),
        })
    }
}

/// Checks that `labels` has one class per column of `logits`, each below
/// the number of rows. Errors: a count that differs, no labels, a label
/// outside the classes.
pub fn check_labels(logits: &nalgebra::DMatrix<f64>, labels: &[u8]) -> Result<()> {
    if labels.is_empty() || labels.len() != logits.ncols() {
        return Err(format!("{} labels for {} images", labels.len(), logits.ncols()).into());
    }
    if let Some(&y) = labels.iter().find(|&&y| usize::from(y) >= logits.nrows()) {
        return Err(format!("label {y} of {} classes", logits.nrows()).into());
    }
    Ok(())
}
