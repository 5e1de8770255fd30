//! The backward signal in deep random networks: how the size of
//! `δ_l = ∂ℓ/∂h_l` changes from layer to layer, measured with the engine and
//! predicted by a mean-field recursion.
//!
//! Setting: `L` layers of width `n`, all with activation φ, weights drawn from
//! `N(0, σ_w²/n)`, biases zero, an input `x_0 ~ N(0, I)`, and the backward
//! pass seeded at the top with a random direction `u ~ N(0, I)` (the linear
//! loss `ℓ = uᵀ x_L`).

use crate::engine::{Activation, EngineError, Loss, Mlp, Workspace, normal};
use book_support::stats::mean_se;
use nalgebra::DMatrix;

type Result<T> = std::result::Result<T, EngineError>;

/// `E[f(√var Z)]` for `Z ~ N(0, 1)`, by the trapezoid rule on
/// `z ∈ [−12, 12]` with step `1/200`. For the smooth, at most polynomially
/// growing functions used here the rule is accurate to about `1e-12`.
/// Domain: `var ≥ 0` and finite; otherwise NaN.
pub fn gaussian_expectation(f: impl Fn(f64) -> f64, var: f64) -> f64 {
    if !(var.is_finite() && var >= 0.0) {
        return f64::NAN;
    }
    let s = var.sqrt();
    let (steps, half_width) = (4800, 12.0);
    let dz = 2.0 * half_width / steps as f64;
    let density = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mut total = 0.0;
    for i in 0..=steps {
        let z = -half_width + i as f64 * dz;
        let weight = if i == 0 || i == steps { 0.5 } else { 1.0 };
        total += weight * f(s * z) * density(z);
    }
    total * dz
}

// ANCHOR: mean_field
/// The mean-field description of a deep random network with activation φ
/// and weight variance `σ_w²/n` (biases zero). In the limit of infinite
/// width the pre-activations of layer `l` are `N(0, q_l)` with
/// `q_{l+1} = σ_w² E[φ(√q_l Z)²]`, and the backward signal obeys
/// `E‖δ_l‖² = χ(q_l) E‖δ_{l+1}‖²` with `χ(q) = σ_w² E[φ'(√q Z)²]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanField {
    pub activation: Activation,
    pub sigma_w2: f64,
}

impl MeanField {
    /// The variance map `q ↦ σ_w² E[φ(√q Z)²]`.
    pub fn next_q(&self, q: f64) -> f64 {
        self.sigma_w2
            * match self.activation {
                // Closed forms; the quadrature is for smooth φ.
                Activation::Identity => q,
                Activation::Relu => q / 2.0,
                a => gaussian_expectation(|h| a.apply(h).powi(2), q),
            }
    }

    /// The per-layer gain of the squared backward signal at variance `q`.
    pub fn chi(&self, q: f64) -> f64 {
        self.sigma_w2
            * match self.activation {
                Activation::Identity => 1.0,
                Activation::Relu => 0.5,
                a => gaussian_expectation(|h| a.derivative(h).powi(2), q),
            }
    }
}
// ANCHOR_END: mean_field

impl MeanField {
    /// The variances `q_1, …, q_L` for an input with `‖x_0‖²/n_0 = q0`.
    pub fn variances(&self, q0: f64, depth: usize) -> Vec<f64> {
        let mut q = self.sigma_w2 * q0;
        let mut out = Vec::with_capacity(depth);
        for _ in 0..depth {
            out.push(q);
            q = self.next_q(q);
        }
        out
    }

    /// The fixed point `q* = σ_w² E[φ(√q* Z)²]` reached from `q0` (by
    /// iteration, stopping when successive values agree to `1e-14`
    /// relatively or after 10⁴ steps).
    pub fn fixed_point(&self, q0: f64) -> f64 {
        let mut q = q0;
        for _ in 0..10_000 {
            let next = self.next_q(q);
            if (next - q).abs() <= 1e-14 * q.abs().max(1e-300) {
                return next;
            }
            q = next;
        }
        q
    }

    /// The relative variance of one layer's backward gain at width `n`:
    /// `r = ‖δ_l‖² / ‖δ_{l+1}‖²` has mean `χ(q)` and variance
    /// `κ(q) χ(q)² / n` with `κ(q) = 3 E[φ'⁴] / E[φ'²]² − 1`, when
    /// `W_{l+1}ᵀ δ_{l+1}` is taken to be Gaussian and independent of `h_l`
    /// (the assumption behind mean-field theory's backward pass): then
    /// `r = (σ_w²/n) Σ_i φ'(h_i)² z_i²` with `z_i ~ N(0, 1)`. ReLU gives
    /// exactly `5`, the identity `2`.
    pub fn kappa(&self, q: f64) -> f64 {
        let (m2, m4) = match self.activation {
            Activation::Identity => (1.0, 1.0),
            Activation::Relu => (0.5, 0.5),
            a => (
                gaussian_expectation(|h| a.derivative(h).powi(2), q),
                gaussian_expectation(|h| a.derivative(h).powi(4), q),
            ),
        };
        3.0 * m4 / (m2 * m2) - 1.0
    }

    /// The *typical* `‖δ_l‖ / ‖δ_L‖` at width `n` (the geometric mean over
    /// networks), for `l = 1..=L`: mean field gives the mean of the squared
    /// gain `r`, and the mean of its logarithm is smaller,
    /// `E ln r ≈ ln E r − Var r / (2 (E r)²) = ln χ − κ / (2n)` (the
    /// second-order expansion of the logarithm), so each layer multiplies
    /// the typical norm by `√χ e^{−κ/(4n)}`. Domain: `n ≥ 1`.
    pub fn typical_backward_profile(&self, q0: f64, depth: usize, n: usize) -> Vec<f64> {
        let q = self.variances(q0, depth);
        let mut out = vec![1.0; depth];
        for l in (0..depth.saturating_sub(1)).rev() {
            let correction = (-self.kappa(q[l]) / (4.0 * n as f64)).exp();
            out[l] = out[l + 1] * self.chi(q[l]).sqrt() * correction;
        }
        out
    }

    /// Predicted `‖δ_l‖ / ‖δ_L‖` (root mean square) for `l = 1..=L`, for an
    /// input with `‖x_0‖²/n_0 = q0`.
    pub fn backward_profile(&self, q0: f64, depth: usize) -> Vec<f64> {
        let q = self.variances(q0, depth);
        let mut out = vec![1.0; depth];
        for l in (0..depth.saturating_sub(1)).rev() {
            out[l] = out[l + 1] * self.chi(q[l]).sqrt();
        }
        out
    }
}

/// One random network of `depth` layers of width `width` (activation φ on
/// every layer, `W ~ N(0, σ_w²/n)`, `b = 0`), one input `x_0 ~ N(0, I)` and
/// one top direction `u ~ N(0, I)`: returns `‖δ_l‖` for `l = 1..=L`.
/// Errors: a zero width or depth, or a bad `σ_w²` (see [`Mlp::gaussian`]).
pub fn backward_norms<R: rand::Rng + ?Sized>(
    activation: Activation,
    sigma_w2: f64,
    width: usize,
    depth: usize,
    rng: &mut R,
) -> Result<Vec<f64>> {
    if depth == 0 {
        return Err(EngineError::NoLayers);
    }
    let widths = vec![width; depth + 1];
    let net = Mlp::gaussian(&widths, activation, activation, sigma_w2, 0.0, rng)?;
    let x = DMatrix::from_fn(width, 1, |_, _| normal(rng));
    let u = DMatrix::from_fn(width, 1, |_, _| normal(rng));
    let mut ws = Workspace::new(&net, 1)?;
    net.loss_and_gradient(&x, &u, Loss::Linear, &mut ws)?;
    Ok((1..=depth)
        .map(|l| ws.delta(l).map_or(f64::NAN, |d| d.norm()))
        .collect())
}

/// `ln(‖δ_l‖/‖δ_L‖)` for many random networks of one kind.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// One row per network whose backward signal stayed nonzero:
    /// `ln(‖δ_l‖/‖δ_L‖)` for `l = 1..=L` (index `l-1`).
    pub logs: Vec<Vec<f64>>,
    /// Networks whose backward signal died (some `δ_l` exactly zero), left
    /// out of `logs`.
    pub dead: usize,
}

impl Profile {
    /// Draws `networks` networks with [`backward_norms`] from `seed`.
    pub fn measure(
        activation: Activation,
        sigma_w2: f64,
        width: usize,
        depth: usize,
        networks: usize,
        seed: u64,
    ) -> Result<Self> {
        let mut rng = book_support::seeded(seed);
        let mut logs = Vec::with_capacity(networks);
        let mut dead = 0;
        for _ in 0..networks {
            let norms = backward_norms(activation, sigma_w2, width, depth, &mut rng)?;
            let top = norms[depth - 1];
            if norms.contains(&0.0) {
                dead += 1;
                continue;
            }
            logs.push(norms.iter().map(|v| (v / top).ln()).collect());
        }
        Ok(Profile { logs, dead })
    }

    /// The depth `L`.
    pub fn depth(&self) -> usize {
        self.logs.first().map_or(0, Vec::len)
    }

    /// Mean and standard error over networks of `ln(‖δ_l‖/‖δ_L‖)`,
    /// `l = 1..=L`; NaN outside that range.
    pub fn log_ratio(&self, l: usize) -> (f64, f64) {
        if l == 0 || l > self.depth() {
            return (f64::NAN, f64::NAN);
        }
        mean_se(&self.logs.iter().map(|row| row[l - 1]).collect::<Vec<_>>())
    }

    /// The geometric-mean ratio `‖δ_l‖/‖δ_L‖`.
    pub fn ratio(&self, l: usize) -> f64 {
        self.log_ratio(l).0.exp()
    }

    /// The per-layer factor between layers `from < to` as a geometric mean,
    /// `exp(mean ln(‖δ_from‖/‖δ_to‖) / (to − from))`, and the standard error
    /// of its logarithm. NaN for an invalid pair.
    pub fn per_layer_factor(&self, from: usize, to: usize) -> (f64, f64) {
        if from == 0 || from >= to || to > self.depth() {
            return (f64::NAN, f64::NAN);
        }
        let span = (to - from) as f64;
        let per_net: Vec<f64> = self
            .logs
            .iter()
            .map(|row| (row[from - 1] - row[to - 1]) / span)
            .collect();
        let (mean, se) = mean_se(&per_net);
        (mean.exp(), se)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_is_the_relative_variance_of_one_layers_gain() {
        // Closed forms: ReLU's slope is 0 or 1, the identity's 1.
        let relu = MeanField {
            activation: Activation::Relu,
            sigma_w2: 2.0,
        };
        let identity = MeanField {
            activation: Activation::Identity,
            sigma_w2: 1.0,
        };
        assert_eq!((relu.kappa(1.0), identity.kappa(1.0)), (5.0, 2.0));
        // Against simulation of the model r = (σ²/n) Σ φ'(h_i)² z_i²:
        // its mean is χ and n Var(r) / χ² is κ, within four standard errors.
        let tanh = MeanField {
            activation: Activation::Tanh,
            sigma_w2: 4.0,
        };
        let q = tanh.fixed_point(1.0);
        let (n, draws) = (16, 40_000);
        let mut rng = book_support::seeded(77);
        let r: Vec<f64> = (0..draws)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        let h = q.sqrt() * normal(&mut rng);
                        let z = normal(&mut rng);
                        (Activation::Tanh.derivative(h) * z).powi(2)
                    })
                    .sum::<f64>()
                    * 4.0
                    / n as f64
            })
            .collect();
        let chi = tanh.chi(q);
        let (mean, mean_se_) = mean_se(&r);
        assert!((mean - chi).abs() < 4.0 * mean_se_, "{mean} vs {chi}");
        let (var, var_se) = book_support::stats::variance_se(&r);
        let predicted = tanh.kappa(q) * chi * chi / n as f64;
        assert!(
            (var - predicted).abs() < 4.0 * var_se,
            "{var} ± {var_se} vs {predicted}"
        );
    }

    #[test]
    fn gaussian_expectation_of_known_moments() {
        assert!((gaussian_expectation(|h| h * h, 2.0) - 2.0).abs() < 1e-12);
        assert!((gaussian_expectation(|h| h.powi(4), 1.5) - 3.0 * 1.5 * 1.5).abs() < 1e-11);
        assert!(
            (gaussian_expectation(|h| if h > 0.0 { h * h } else { 0.0 }, 1.0) - 0.5).abs() < 1e-6
        );
        assert!(gaussian_expectation(|h| h, -1.0).is_nan());
        assert!(gaussian_expectation(|h| h, f64::NAN).is_nan());
        assert_eq!(gaussian_expectation(|h| h * h, 0.0), 0.0);
    }

    #[test]
    fn relu_he_mean_field_is_critical() {
        let mf = MeanField {
            activation: Activation::Relu,
            sigma_w2: 2.0,
        };
        // χ = 2 · P(h > 0) = 1 and q is preserved.
        assert_eq!(mf.chi(0.7), 1.0);
        assert_eq!(mf.next_q(0.7), 0.7);
        // The quadrature agrees with the closed forms to its accuracy at the kink.
        assert!(
            (gaussian_expectation(|h| Activation::Relu.derivative(h).powi(2), 0.7) - 0.5).abs()
                < 2e-3
        );
        assert!(
            (gaussian_expectation(|h| Activation::Relu.apply(h).powi(2), 0.7) - 0.35).abs() < 1e-6
        );
    }

    #[test]
    fn sigmoid_profile_decays_geometrically() {
        let mf = MeanField {
            activation: Activation::Sigmoid,
            sigma_w2: 1.0,
        };
        let q = mf.fixed_point(1.0);
        assert!((mf.next_q(q) - q).abs() < 1e-13);
        let p = mf.backward_profile(q, 10);
        assert_eq!(p[9], 1.0);
        for l in 0..9 {
            assert!((p[l] / p[l + 1] - mf.chi(q).sqrt()).abs() < 1e-12);
        }
    }

    #[test]
    fn profile_statistics_and_bad_input() {
        let prof = Profile::measure(Activation::Tanh, 1.0, 8, 6, 5, 1).unwrap();
        assert_eq!(prof.logs.len() + prof.dead, 5);
        assert_eq!(prof.depth(), 6);
        assert_eq!(prof.log_ratio(6).0, 0.0);
        assert!(prof.log_ratio(0).0.is_nan() && prof.log_ratio(7).0.is_nan());
        assert!(prof.per_layer_factor(3, 3).0.is_nan() && prof.per_layer_factor(0, 3).0.is_nan());
        let (f, _) = prof.per_layer_factor(1, 6);
        assert!((f.ln() * 5.0 - prof.log_ratio(1).0).abs() < 1e-12);
        assert!(matches!(
            backward_norms(Activation::Relu, 2.0, 4, 0, &mut book_support::seeded(1)),
            Err(EngineError::NoLayers)
        ));
        assert!(matches!(
            backward_norms(
                Activation::Relu,
                f64::NAN,
                4,
                3,
                &mut book_support::seeded(1)
            ),
            Err(EngineError::Argument(_))
        ));
    }
}
