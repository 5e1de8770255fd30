//! Dynamical isometry (Pennington, Schoenholz and Ganguli 2017): the
//! spectrum of the input–output Jacobian of a deep random network at
//! criticality, with Gaussian or orthogonal weights.

use crate::error::{Error, Result};
use crate::signal::SignalMap;
use ch03_backprop::{Activation, normal};
use ch04_initialization::exercises::orthogonal;
use nalgebra::{DMatrix, DVector};

/// How the weight matrices are drawn (both with `E[W Wᵀ] = σ_w² I`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weights {
    /// Independent `N(0, σ_w²/n)` entries.
    Gaussian,
    /// `σ_w` times a uniformly random orthogonal matrix.
    Orthogonal,
}

impl Weights {
    /// The first coefficient `s₁` of the S-transform of `W Wᵀ/σ_w²`, which
    /// sets how much one matrix spreads the spectrum: −1 for Gaussian
    /// weights (the Marchenko–Pastur law of variance 1), 0 for orthogonal
    /// ones (every singular value is 1).
    pub fn s1(self) -> f64 {
        match self {
            Weights::Gaussian => -1.0,
            Weights::Orthogonal => 0.0,
        }
    }

    /// A name for reports and figures.
    pub fn name(self) -> &'static str {
        match self {
            Weights::Gaussian => "Gaussian",
            Weights::Orthogonal => "orthogonal",
        }
    }
}

/// The mean and the relative spread `Var λ / (E λ)²` of the eigenvalues
/// `λ` of `J Jᵀ`, from its first two moments `tr(J Jᵀ)/n` and
/// `tr((J Jᵀ)²)/n` (no eigendecomposition needed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spectrum {
    pub mean: f64,
    pub spread: f64,
}

impl Spectrum {
    /// The moments of `J Jᵀ`.
    pub fn of(j: &DMatrix<f64>) -> Spectrum {
        let n = j.nrows() as f64;
        let jjt = j * j.transpose();
        let mean = jjt.trace() / n;
        let second = jjt.norm_squared() / n;
        Spectrum {
            mean,
            spread: second / (mean * mean) - 1.0,
        }
    }
}

// ANCHOR: jacobian
/// One random network of width `n` at the fixed length `q*` of `map`:
/// the spectrum of the Jacobian `J_L = ∂h_{L+1}/∂h_1 = Π W_{l+1} D_l`
/// (`D_l = diag φ'(h_l)`) at each depth of `depths` (increasing). Errors:
/// `n = 0`, no depths or unsorted ones, or a map without a fixed length.
pub fn jacobian_spectra<R: rand::Rng + ?Sized>(
    map: &SignalMap,
    weights: Weights,
    n: usize,
    depths: &[usize],
    rng: &mut R,
) -> Result<Vec<Spectrum>> {
    if n == 0 || depths.is_empty() || depths.windows(2).any(|w| w[0] >= w[1]) || depths[0] == 0 {
        return Err(Error::Argument(format!(
            "a positive width and increasing positive depths, not {n} and {depths:?}"
        )));
    }
    let q_star = map.fixed_length(1.0)?;
    let (phi, sw, sb) = (
        map.activation(),
        map.sigma_w2().sqrt(),
        map.sigma_b2().sqrt(),
    );
    let mut h = DVector::from_fn(n, |_, _| normal(rng));
    h *= (n as f64 * q_star).sqrt() / h.norm();
    let mut j = DMatrix::identity(n, n);
    let mut out = Vec::with_capacity(depths.len());
    for l in 1..=*depths.last().unwrap() {
        let w = match weights {
            Weights::Gaussian => {
                DMatrix::from_fn(n, n, |_, _| sw / (n as f64).sqrt() * normal(rng))
            }
            Weights::Orthogonal => {
                sw * orthogonal(n, rng).map_err(|e| Error::Engine(e.to_string()))?
            }
        };
        let b = DVector::from_fn(n, |_, _| sb * normal(rng));
        // J ← W D J: scale the rows of J by φ'(h), then multiply.
        for (i, mut row) in j.row_iter_mut().enumerate() {
            row *= phi.derivative(h[i]);
        }
        j = &w * &j;
        h = &w * h.map(|v| phi.apply(v)) + b;
        if depths.contains(&l) {
            out.push(Spectrum::of(&j));
        }
    }
    Ok(out)
}
// ANCHOR_END: jacobian

/// The free-probability prediction of Pennington et al. for the relative
/// spread of `J Jᵀ` after `L` layers at criticality (`χ₁ = 1`):
/// `L (μ₂/μ₁² − 1 − s₁)` with `μ_k = E[φ'(√q* Z)^{2k}]`. For ReLU
/// `μ₁ = μ₂ = 1/2`, so `μ₂/μ₁² = 2` whatever the weights. Errors: those
/// of [`SignalMap::fixed_length`].
pub fn predicted_spread(map: &SignalMap, weights: Weights, depth: usize) -> Result<f64> {
    let q_star = map.fixed_length(1.0)?;
    let ratio = match map.activation() {
        Activation::Relu => 2.0,
        Activation::Identity => 1.0,
        a => {
            let rule = crate::quadrature::Quadrature::standard();
            let mu = |k: i32| rule.expect(|z| a.derivative(q_star.sqrt() * z).powi(2 * k));
            mu(2) / mu(1).powi(2)
        }
    };
    Ok(depth as f64 * (ratio - 1.0 - weights.s1()))
}
