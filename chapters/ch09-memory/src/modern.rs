//! Modern Hopfield networks are attention (Ramsauer et al. 2021): the
//! update `ξ ← X softmax(β Xᵀ ξ)` over stored patterns `X`.

use crate::error::{Error, Result};
use ch02_softmax::{naive_softmax, softmax};
use nalgebra::{DMatrix, DVector};

// ANCHOR: modern
/// A modern (continuous) Hopfield network: stored patterns as the columns
/// of `X` (`d × M`) and an inverse temperature `β`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModernHopfield {
    x: DMatrix<f64>,
    beta: f64,
}

impl ModernHopfield {
    /// Errors: no patterns or an empty dimension, a non-finite entry, a
    /// `β` that is negative or not finite.
    pub fn new(x: DMatrix<f64>, beta: f64) -> Result<Self> {
        if x.ncols() == 0 || x.nrows() == 0 {
            return Err(Error::Empty(format!(
                "{}×{} patterns",
                x.nrows(),
                x.ncols()
            )));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite("a stored pattern".into()));
        }
        if !(beta.is_finite() && beta >= 0.0) {
            return Err(Error::Beta(beta));
        }
        Ok(ModernHopfield { x, beta })
    }

    /// One update, `X softmax(β Xᵀ ξ)`: attention with the query `ξ` and
    /// the stored patterns as both keys and values, with chapter 2's
    /// stable softmax. Errors: a query of the wrong length or not finite.
    pub fn update(&self, xi: &DVector<f64>) -> Result<DVector<f64>> {
        let p = softmax(self.scores(xi)?.as_slice()).map_err(|e| Error::Argument(e.to_string()))?;
        Ok(&self.x * DVector::from_vec(p))
    }
}
// ANCHOR_END: modern

impl ModernHopfield {
    /// `β Xᵀ ξ`.
    fn scores(&self, xi: &DVector<f64>) -> Result<DVector<f64>> {
        if xi.len() != self.x.nrows() {
            return Err(Error::Shape(format!(
                "a query of {} entries for patterns of {}",
                xi.len(),
                self.x.nrows()
            )));
        }
        if xi.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite("the query".into()));
        }
        Ok(self.beta * self.x.transpose() * xi)
    }

    /// The same update with the textbook softmax `e^{z_i} / Σ e^{z_j}`,
    /// which overflows once a score passes about 709.
    pub fn update_naive(&self, xi: &DVector<f64>) -> Result<DVector<f64>> {
        let p = naive_softmax(self.scores(xi)?.as_slice());
        Ok(&self.x * DVector::from_vec(p))
    }

    /// The stored patterns.
    pub fn patterns(&self) -> &DMatrix<f64> {
        &self.x
    }
}

// ANCHOR: prediction
/// The predicted probability that one attention step (at `β = 1`)
/// retrieves a random `±1` pattern of dimension `d` exactly from a cue with
/// `flips` bits flipped, among `m` stored patterns: the cue overlaps its
/// own pattern by `d − 2 flips`, and each other pattern by a sum of `d`
/// fair signs; retrieval is taken to succeed when no other pattern reaches
/// the own overlap, which for independent patterns has probability
/// `(1 − q)^{m−1}` with `q = P(2K − d ≥ d − 2 flips)`, `K ~ Binomial(d,
/// 1/2)`. (It ignores the softmax's mixing of patterns just below the top,
/// which at these gaps moves no sign.) Errors: `d = 0`, `m = 0`, or more
/// flips than half the bits.
pub fn retrieval_prediction(d: usize, flips: usize, m: usize) -> Result<f64> {
    use statrs::distribution::{Binomial, DiscreteCDF};
    if d == 0 || m == 0 || 2 * flips >= d {
        return Err(Error::Argument(format!(
            "d = {d}, {flips} flips and {m} patterns: need d > 2 flips and m > 0"
        )));
    }
    // 2K − d ≥ d − 2 flips  ⟺  K ≥ d − flips.
    let binomial = Binomial::new(0.5, d as u64).map_err(|e| Error::Argument(e.to_string()))?;
    let q = binomial.sf((d - flips - 1) as u64);
    Ok((1.0 - q).powi(m as i32 - 1))
}
// ANCHOR_END: prediction
