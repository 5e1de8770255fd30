//! Double descent: minimum-norm least squares on the first `p` of `D`
//! isotropic Gaussian features, as `p` passes the number of examples `n`
//! (the model of Belkin, Hsu and Xu 2020, with the exact risk on both
//! sides of the peak).

use crate::error::{Error, Result};
use crate::ridge::{Data, Spectrum};
use ch03_backprop::normal;
use nalgebra::{DMatrix, DVector};

/// The model: `y = xᵀβ + σε` with `x ~ N(0, I_D)`, `ε ~ N(0, 1)`, and
/// `β` spread evenly, `β_j = 1/√D` (so `‖β‖ = 1`); the learner sees the
/// first `p` features of `n` examples and fits the minimum-norm
/// least-squares solution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeakFeatures {
    pub n: usize,
    pub total: usize,
    pub noise: f64,
}

impl WeakFeatures {
    /// The book's model: 40 examples, 200 features, σ = 0.25.
    pub const BOOK: WeakFeatures = WeakFeatures {
        n: 40,
        total: 200,
        noise: 0.25,
    };

    fn beta_j(&self) -> f64 {
        1.0 / (self.total as f64).sqrt()
    }

    // ANCHOR: risk
    /// The exact expected test error `E[(y − xᵀβ̂)²]` with `p` features
    /// (Belkin, Hsu and Xu 2020, Theorem 1). With `‖β_T‖²` the signal on the
    /// features used and `‖β_{T^c}‖² + σ²` what the learner sees as noise:
    /// for `p ≤ n − 2`, `(‖β_{T^c}‖² + σ²)(1 + p/(n − p − 1))`; for
    /// `p ≥ n + 2`, `‖β_T‖²(1 − n/p) + (‖β_{T^c}‖² + σ²)(1 + n/(p − n − 1))`;
    /// infinite for `p` from `n − 1` to `n + 1`. Errors: `p` not in `1..=D`.
    pub fn expected_risk(&self, p: usize) -> Result<f64> {
        self.check_p(p)?;
        let (n, pf) = (self.n as f64, p as f64);
        let used = pf * self.beta_j().powi(2);
        let seen_as_noise = 1.0 - used + self.noise * self.noise;
        Ok(if p + 2 <= self.n {
            seen_as_noise * (1.0 + pf / (n - pf - 1.0))
        } else if p >= self.n + 2 {
            used * (1.0 - n / pf) + seen_as_noise * (1.0 + n / (pf - n - 1.0))
        } else {
            f64::INFINITY
        })
    }
    // ANCHOR_END: risk

    /// The test error of predicting zero, `‖β‖² + σ²`.
    pub fn null_risk(&self) -> f64 {
        1.0 + self.noise * self.noise
    }

    /// One draw of the training set restricted to its first `p` features,
    /// and `β_j`. Draws all `D` features (so the draws for different `p`
    /// are nested, as [`WeakFeatures::draw_risks`] uses them). Errors: `p`
    /// not in `1..=D`.
    pub fn draw<R: rand::Rng + ?Sized>(&self, p: usize, rng: &mut R) -> Result<(Data, f64)> {
        let (x, y) = self.draw_all(rng);
        self.check_p(p)?;
        Ok((Data::new(x.columns(0, p).into_owned(), y)?, self.beta_j()))
    }

    fn draw_all<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> (DMatrix<f64>, DVector<f64>) {
        let (n, d, b) = (self.n, self.total, self.beta_j());
        let x = DMatrix::from_fn(n, d, |_, _| normal(rng));
        let y = DVector::from_fn(n, |i, _| x.row(i).sum() * b + self.noise * normal(rng));
        (x, y)
    }

    fn check_p(&self, p: usize) -> Result<()> {
        if p == 0 || p > self.total {
            return Err(Error::Argument(format!(
                "p = {p} is outside 1..={}",
                self.total
            )));
        }
        Ok(())
    }

    /// The test error of weights `w` on the first `w.len()` features,
    /// exactly in expectation over a new example (the features are
    /// isotropic): `‖w − β_T‖² + ‖β_{T^c}‖² + σ²`, with `β_j = beta`.
    /// Errors: more weights than features.
    pub fn risk(&self, w: &DVector<f64>, beta: f64) -> Result<f64> {
        self.check_p(w.len())?;
        let estimation: f64 = w.iter().map(|wj| (wj - beta).powi(2)).sum();
        Ok(estimation + (self.total - w.len()) as f64 * beta * beta + self.noise * self.noise)
    }

    /// One draw of the training set (all `D` features) and, for each `p`
    /// in `ps`, the test error of the minimum-norm fit on the first `p`
    /// features ([`WeakFeatures::risk`]), by the SVD. Errors: a `p` out of
    /// range.
    pub fn draw_risks<R: rand::Rng + ?Sized>(&self, ps: &[usize], rng: &mut R) -> Result<Vec<f64>> {
        let (x, y) = self.draw_all(rng);
        ps.iter()
            .map(|&p| {
                self.check_p(p)?;
                // The SVD form at λ = 0 (tested equal to `min_norm`): a
                // square draw near p = n can be too ill-conditioned for the
                // normal equations, and its (huge) error must be counted.
                let data = Data::new(x.columns(0, p).into_owned(), y.clone())?;
                let w = Spectrum::new(&data)?.weights(0.0)?;
                self.risk(&w, self.beta_j())
            })
            .collect()
    }

    /// `trials` draws of [`WeakFeatures::draw_risks`], on the shared thread
    /// pool, each from its own seed `seed + trial`: one row per draw.
    pub fn simulate(&self, ps: &[usize], trials: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
        let seeds: Vec<u64> = (0..trials as u64).map(|t| seed.wrapping_add(t)).collect();
        book_support::parallel::map(&seeds, |&s| {
            self.draw_risks(ps, &mut book_support::seeded(s))
        })
        .into_iter()
        .collect()
    }
}

/// The feature counts of the book's curve: every `p` from 1 to `D` that is
/// at most 10, within 10 of `n`, or a multiple of 5.
pub fn feature_counts(model: &WeakFeatures) -> Vec<usize> {
    (1..=model.total)
        .filter(|&p| p <= 10 || p.abs_diff(model.n) <= 10 || p % 5 == 0)
        .collect()
}

/// Column `k` of the simulated rows.
pub fn column(rows: &[Vec<f64>], k: usize) -> Vec<f64> {
    rows.iter().map(|r| r[k]).collect()
}

/// The median of `values` (NaN for none).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}
