//! Gaussian expectations by quadrature: `E[f(Z)] ≈ Σ_k w_k f(z_k)` for
//! `Z ~ N(0, 1)`, with `n` nodes `z_k` and weights `w_k`, by two rules.
//!
//! Gauss–Hermite's nodes are the zeros of the `n`-th Hermite polynomial,
//! and its rule is exact for every polynomial of degree below `2n`; Golub
//! and Welsch (1969) read the nodes off as the eigenvalues of the symmetric
//! tridiagonal matrix of the Hermite recurrence, and each weight as the
//! squared first component of its unit eigenvector. The trapezoid rule's
//! nodes are equally spaced; for a function analytic in a strip around the
//! real line its error falls like `e^{−2π d / h}` in the spacing `h` and the
//! strip's half-width `d` (Trefethen and Weideman 2014), which for
//! `tanh(√q z)`, with poles at `±iπ/(2√q)`, is far faster than
//! Gauss–Hermite's convergence.

use crate::error::{Error, Result};
use nalgebra::{DMatrix, SymmetricEigen};
use std::sync::{Arc, OnceLock};

// ANCHOR: quadrature
/// A quadrature rule for the standard normal distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct Quadrature {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

impl Quadrature {
    /// The Gauss–Hermite rule of order `n`. Errors: `n = 0` (no nodes).
    pub fn gauss_hermite(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::QuadratureOrder);
        }
        // The probabilists' Hermite polynomials obey
        // He_{k+1}(z) = z He_k(z) − k He_{k−1}(z): the Jacobi matrix has
        // zeros on the diagonal and √k beside it.
        let jacobi = DMatrix::from_fn(n, n, |i, j| {
            if i.abs_diff(j) == 1 {
                (i.max(j) as f64).sqrt()
            } else {
                0.0
            }
        });
        let eigen = SymmetricEigen::new(jacobi);
        let mut pairs: Vec<(f64, f64)> = (0..n)
            .map(|k| (eigen.eigenvalues[k], eigen.eigenvectors[(0, k)].powi(2)))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (nodes, weights) = pairs.into_iter().unzip();
        Ok(Quadrature { nodes, weights })
    }

    /// The trapezoid rule with `n` equally spaced nodes on
    /// `[−HALF_WIDTH, HALF_WIDTH]`, weights proportional to the normal
    /// density and scaled to sum to 1 (so constants are exact; beyond
    /// `|z| = 10` the density is below `1e-21`). Errors: `n = 0`.
    pub fn trapezoid(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::QuadratureOrder);
        }
        let h = if n == 1 {
            0.0
        } else {
            2.0 * Self::HALF_WIDTH / (n - 1) as f64
        };
        let nodes: Vec<f64> = (0..n)
            .map(|k| (k as f64 - (n - 1) as f64 / 2.0) * h)
            .collect();
        let density: Vec<f64> = nodes.iter().map(|z| (-0.5 * z * z).exp()).collect();
        let total: f64 = density.iter().sum();
        let weights = density.iter().map(|d| d / total).collect();
        Ok(Quadrature { nodes, weights })
    }

    /// `E[f(Z)]`, `Z ~ N(0, 1)`.
    pub fn expect(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&z, &w)| w * f(z))
            .sum()
    }

    /// `E[f(Z₁, Z₂)]` for independent standard normals (the product rule).
    pub fn expect2(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&z1, &w1)| w1 * self.expect(|z2| f(z1, z2)))
            .sum()
    }
}
// ANCHOR_END: quadrature

impl Quadrature {
    /// Where the trapezoid rule stops.
    pub const HALF_WIDTH: f64 = 10.0;

    /// The order of the rule (its number of nodes).
    pub fn order(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes, in increasing order.
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// The weights, in the order of the nodes (they sum to 1).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The chapter's rule, built once: the trapezoid rule with
    /// [`Quadrature::STANDARD_ORDER`] nodes (spacing 1/8). The chapter
    /// measures its accuracy.
    pub fn standard() -> Arc<Quadrature> {
        static RULE: OnceLock<Arc<Quadrature>> = OnceLock::new();
        RULE.get_or_init(|| {
            Arc::new(Quadrature::trapezoid(Self::STANDARD_ORDER).expect("a positive order"))
        })
        .clone()
    }

    /// The number of nodes of the chapter's rule.
    pub const STANDARD_ORDER: usize = 161;
}
