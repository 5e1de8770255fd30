//! The trade-off of the slope: `tanh(βt)` passes gradients better as β grows
//! toward the edge of chaos, and its Lipschitz bound grows like `β^L`.
//!
//! A layer `x ↦ tanh(β(Wx + b))` is the layer `x ↦ tanh(W'x + b')` with
//! `W' = βW`, `b' = βb`: scaling the slope is scaling the weights. So a deep
//! random net of `tanh(β ·)` layers with weights `N(0, 1/n)` is chapter 3's
//! mean-field network with `σ_w² = β²`, and chapter 3's `Profile` measures
//! its backward signal.

use crate::error::Result;
use crate::robust::{largest_gradient, lipschitz_bound};

/// `ln K / L` for the Lipschitz bound `K = Π_l β ‖W_l‖₂` of the slope-β
/// network, from `(1/L) Σ ln ‖W_l‖₂` of the same weights at β = 1: scaling
/// every weight matrix by β scales every spectral norm by β, so
/// `ln K / L = ln β + (1/L) Σ ln ‖W_l‖₂` exactly.
pub fn bound_per_layer(beta: f64, log_norm_per_layer: f64) -> f64 {
    beta.ln() + log_norm_per_layer
}
use ch03_backprop::{Activation, DMatrix, MeanField, Mlp, Profile, normal};

/// The experiment: `networks` random tanh networks of `depth` layers of
/// width `width` for each slope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slopes {
    pub width: usize,
    pub depth: usize,
    pub networks: usize,
    pub seed: u64,
}

/// What was measured at one slope β, per layer (natural logarithms divided
/// by the depth, averaged over networks, with standard errors).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlopePoint {
    pub beta: f64,
    /// `ln(‖δ_1‖/‖δ_L‖) / (L − 1)`: the backward signal's growth per layer.
    pub backward: (f64, f64),
    /// Mean-field prediction of `backward` (chapter 3, with its finite-width
    /// correction).
    pub backward_theory: f64,
    /// `ln ‖∇_x f‖ / L` at random inputs, the largest over the inputs tried,
    /// for the network's first output.
    pub sensitivity: (f64, f64),
}

impl Slopes {
    /// The book's experiment.
    pub const BOOK: Slopes = Slopes {
        width: 64,
        depth: 30,
        networks: 40,
        seed: 11,
    };

    /// Measures one slope. Errors: those of the engine.
    pub fn measure(&self, beta: f64) -> Result<SlopePoint> {
        let (n, depth) = (self.width, self.depth);
        let sigma_w2 = beta * beta;
        let profile = Profile::measure(
            Activation::Tanh,
            sigma_w2,
            n,
            depth,
            self.networks,
            self.seed,
        )?;
        let backward = profile.per_layer_factor(1, depth);
        let mean_field = MeanField {
            activation: Activation::Tanh,
            sigma_w2,
        };
        let typical = mean_field.typical_backward_profile(1.0, depth, n);
        let backward_theory = typical[0].ln() / (depth - 1) as f64;
        let mut rng = book_support::seeded(self.seed.wrapping_add(1));
        let mut sensitivities = Vec::with_capacity(self.networks);
        for _ in 0..self.networks {
            let net = self.network(sigma_w2, &mut rng)?;
            let x = DMatrix::from_fn(n, 16, |_, _| normal(&mut rng));
            sensitivities.push(largest_gradient(&net, &x)?.ln() / depth as f64);
        }
        Ok(SlopePoint {
            beta,
            backward: (backward.0.ln(), backward.1),
            backward_theory,
            sensitivity: book_support::stats::mean_se(&sensitivities),
        })
    }

    /// A random network of the experiment with one tanh output.
    fn network<R: rand::Rng + ?Sized>(&self, sigma_w2: f64, rng: &mut R) -> Result<Mlp> {
        let mut widths = vec![self.width; self.depth + 1];
        widths[self.depth] = 1;
        Ok(Mlp::gaussian(
            &widths,
            Activation::Tanh,
            Activation::Tanh,
            sigma_w2,
            0.0,
            rng,
        )?)
    }

    /// `(1/L) ln Π_l ‖W_l‖₂` at β = 1 over `networks` random networks
    /// (mean and standard error), for [`bound_per_layer`].
    pub fn log_norm_per_layer(&self) -> Result<(f64, f64)> {
        let mut rng = book_support::seeded(self.seed.wrapping_add(2));
        let mut logs = Vec::with_capacity(self.networks);
        for _ in 0..self.networks {
            let net = self.network(1.0, &mut rng)?;
            logs.push(lipschitz_bound(&net)?.ln() / self.depth as f64);
        }
        Ok(book_support::stats::mean_se(&logs))
    }
}
