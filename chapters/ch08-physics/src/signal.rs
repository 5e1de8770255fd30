//! Signal propagation in wide random networks as a dynamical system: the
//! length map, the correlation map, their fixed points and slopes, and the
//! depth scales they set (Poole et al. 2016; Schoenholz et al. 2017).
//!
//! Setting: layers of width `n → ∞`, weights `N(0, σ_w²/n)`, biases
//! `N(0, σ_b²)`, activation φ. The pre-activations of layer `l` are then
//! Gaussian, with length `q_l` (their mean square) and, for two inputs, a
//! correlation `c_l`; one layer maps `(q_l, c_l)` to `(q_{l+1}, c_{l+1})`.

use crate::error::{Error, Result};
use crate::quadrature::Quadrature;
use ch03_backprop::Activation;
use std::f64::consts::PI;
use std::sync::Arc;

/// φ''(t): the curvature the length map's slope needs (Stein's lemma).
/// ReLU and the identity have none away from the kink.
pub fn curvature(activation: Activation, t: f64) -> f64 {
    match activation {
        Activation::Identity | Activation::Relu => 0.0,
        Activation::Tanh => {
            let th = t.tanh();
            -2.0 * th * (1.0 - th * th)
        }
        Activation::Sigmoid => {
            let s = ch03_backprop::engine::sigmoid(t);
            s * (1.0 - s) * (1.0 - 2.0 * s)
        }
    }
}

// ANCHOR: signal_map
/// One layer of a wide random network, seen through its mean-field maps.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalMap {
    activation: Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    rule: Arc<Quadrature>,
}

impl SignalMap {
    /// The maps of activation φ with weight variance `σ_w²/n` and bias
    /// variance `σ_b²`, with expectations by the chapter's quadrature
    /// rule ([`Quadrature::standard`], the trapezoid rule). Errors:
    /// `σ_w² ≤ 0` or not finite, `σ_b² < 0` or not finite.
    pub fn new(activation: Activation, sigma_w2: f64, sigma_b2: f64) -> Result<Self> {
        if !(sigma_w2.is_finite() && sigma_w2 > 0.0) {
            return Err(Error::WeightVariance(sigma_w2));
        }
        if !(sigma_b2.is_finite() && sigma_b2 >= 0.0) {
            return Err(Error::BiasVariance(sigma_b2));
        }
        Ok(SignalMap {
            activation,
            sigma_w2,
            sigma_b2,
            rule: Quadrature::standard(),
        })
    }

    /// The length map `q ↦ σ_w² E[φ(√q Z)²] + σ_b²`.
    pub fn length(&self, q: f64) -> f64 {
        let e = match self.activation {
            Activation::Identity => q,
            Activation::Relu => q / 2.0,
            a => self.rule.expect(|z| a.apply(q.sqrt() * z).powi(2)),
        };
        self.sigma_w2 * e + self.sigma_b2
    }

    /// The covariance map: two inputs of length `q` and correlation `c`
    /// give next-layer pre-activations with covariance
    /// `σ_w² E[φ(u₁) φ(u₂)] + σ_b²`, where `(u₁, u₂)` are jointly normal
    /// with variances `q` and correlation `c`.
    pub fn covariance(&self, q: f64, c: f64) -> f64 {
        let e = match self.activation {
            Activation::Identity => q * c,
            // The arc-cosine kernel of degree one (Cho and Saul 2009).
            Activation::Relu => {
                q / (2.0 * PI) * ((1.0 - c * c).max(0.0).sqrt() + (PI - c.acos()) * c)
            }
            a => {
                let (s, r) = (q.sqrt(), (1.0 - c * c).max(0.0).sqrt());
                self.rule
                    .expect2(|z1, z2| a.apply(s * z1) * a.apply(s * (c * z1 + r * z2)))
            }
        };
        self.sigma_w2 * e + self.sigma_b2
    }

    /// The correlation map `c ↦ covariance(q, c) / length(q)` for two
    /// inputs of the same length `q`.
    pub fn correlation(&self, q: f64, c: f64) -> f64 {
        self.covariance(q, c) / self.length(q)
    }

    /// `χ₁ = σ_w² E[φ'(√q Z)²]`: the mean factor by which one layer
    /// multiplies the squared length of a small perturbation of its input.
    pub fn chi1(&self, q: f64) -> f64 {
        let e = match self.activation {
            Activation::Identity => 1.0,
            Activation::Relu => 0.5,
            a => self.rule.expect(|z| a.derivative(q.sqrt() * z).powi(2)),
        };
        self.sigma_w2 * e
    }
}
// ANCHOR_END: signal_map

impl SignalMap {
    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// `σ_w²`.
    pub fn sigma_w2(&self) -> f64 {
        self.sigma_w2
    }

    /// `σ_b²`.
    pub fn sigma_b2(&self) -> f64 {
        self.sigma_b2
    }

    /// The same maps with expectations by another rule.
    pub fn with_rule(self, rule: Arc<Quadrature>) -> Self {
        SignalMap { rule, ..self }
    }

    /// The slope of the length map, `dq_{l+1}/dq_l = σ_w² E[φ'² + φ φ'']`
    /// at `√q Z` (differentiate under the expectation and integrate by
    /// parts with Stein's lemma, `E[Z g(Z)] = E[g'(Z)]`).
    pub fn length_slope(&self, q: f64) -> f64 {
        let e = match self.activation {
            Activation::Identity => 1.0,
            Activation::Relu => 0.5,
            a => self.rule.expect(|z| {
                let h = q.sqrt() * z;
                a.derivative(h).powi(2) + a.apply(h) * curvature(a, h)
            }),
        };
        self.sigma_w2 * e
    }

    /// The slope of the correlation map, `dc_{l+1}/dc_l =
    /// σ_w² q E[φ'(u₁) φ'(u₂)] / length(q)` (Price's theorem: the
    /// derivative of `E[f(u₁) g(u₂)]` in the covariance is
    /// `E[f'(u₁) g'(u₂)]`). At `c = 1` and `q = q*` it is `χ₁`.
    pub fn correlation_slope(&self, q: f64, c: f64) -> f64 {
        let e = match self.activation {
            Activation::Identity => 1.0,
            Activation::Relu => (PI - c.acos()) / (2.0 * PI),
            a => {
                let (s, r) = (q.sqrt(), (1.0 - c * c).max(0.0).sqrt());
                self.rule
                    .expect2(|z1, z2| a.derivative(s * z1) * a.derivative(s * (c * z1 + r * z2)))
            }
        };
        self.sigma_w2 * q * e / self.length(q)
    }

    /// The length `q*` that `q_l` settles at from `q_0 = q0 > 0`.
    ///
    /// ReLU and the identity have a linear length map `q ↦ a q + σ_b²`:
    /// `q* = σ_b²/(1 − a)` when `a < 1`; when `a = 1` and `σ_b² = 0` every
    /// length is fixed and `q* = q0`; otherwise the length grows without
    /// bound ([`Error::NoFixedPoint`]). For tanh and the sigmoid, whose
    /// squares are at most 1, the map stays below `σ_w² + σ_b²`, and `q*`
    /// is its positive root found by bisection; when `φ(0) = 0`,
    /// `σ_b² = 0` and `σ_w² φ'(0)² ≤ 1` the length dies out and `q* = 0`.
    /// Errors: `q0` negative or not finite.
    pub fn fixed_length(&self, q0: f64) -> Result<f64> {
        if !(q0.is_finite() && q0 >= 0.0) {
            return Err(Error::Argument(format!(
                "a starting length q₀ = {q0} must be finite and nonnegative"
            )));
        }
        if matches!(self.activation, Activation::Identity | Activation::Relu) {
            let a = self.length_slope(0.0);
            return if a < 1.0 {
                Ok(self.sigma_b2 / (1.0 - a))
            } else if a == 1.0 && self.sigma_b2 == 0.0 {
                Ok(q0)
            } else {
                Err(Error::NoFixedPoint(format!(
                    "the length map q ↦ {a} q + {} grows without bound",
                    self.sigma_b2
                )))
            };
        }
        let excess = |q: f64| self.length(q) - q;
        let mut lo = 0.0;
        if excess(0.0) == 0.0 {
            // q = 0 is fixed; it attracts unless the map's slope there
            // exceeds 1, and then a positive root lies above it.
            if self.length_slope(0.0) <= 1.0 || q0 == 0.0 {
                return Ok(0.0);
            }
            lo = self.sigma_w2 + self.sigma_b2;
            while excess(lo) <= 0.0 {
                lo /= 2.0;
                if lo < 1e-300 {
                    return Ok(0.0);
                }
            }
        }
        Ok(bisect(excess, lo, self.sigma_w2 + self.sigma_b2))
    }

    /// The correlation `c*` that `c_l` settles at, for inputs of length
    /// `q`: 1 is always fixed (identical inputs stay identical); when its
    /// slope `χ₁` exceeds 1 it repels, and `c*` is the fixed point below
    /// it, found by bisection. (For odd φ without biases, `c = 0` is fixed
    /// too, and `c*` may be 0.)
    pub fn fixed_correlation(&self, q: f64) -> f64 {
        if self.chi1(q) <= 1.0 {
            return 1.0;
        }
        let excess = |c: f64| self.correlation(q, c) - c;
        // Just below 1 the map lies under the diagonal (its slope there
        // exceeds 1); walk c = 1 − 2^{−k} up to the first such point, so
        // that the root is bracketed by it and the probe before.
        let mut lo = 0.0;
        for k in 1..=40 {
            let c = 1.0 - 0.5f64.powi(k);
            if excess(c) < 0.0 {
                return bisect(excess, lo, c);
            }
            lo = c;
        }
        1.0
    }

    /// The fixed points, slopes and depth scales of the maps, from
    /// inputs of length `q0` (see [`SignalMap::fixed_length`]).
    pub fn depth_scales(&self, q0: f64) -> Result<DepthScales> {
        let q_star = self.fixed_length(q0)?;
        let c_star = self.fixed_correlation(q_star);
        let chi1 = self.chi1(q_star);
        let chi_c = if c_star == 1.0 {
            chi1
        } else {
            self.correlation_slope(q_star, c_star)
        };
        let scale = |slope: f64| {
            if slope < 1.0 {
                -1.0 / slope.ln()
            } else {
                f64::INFINITY
            }
        };
        Ok(DepthScales {
            q_star,
            c_star,
            chi1,
            chi_c,
            xi_q: scale(self.length_slope(q_star)),
            xi_c: scale(chi_c),
        })
    }
}

/// Where the maps settle and how fast.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthScales {
    /// The fixed length `q*`.
    pub q_star: f64,
    /// The stable fixed correlation `c*` (1 in the ordered phase).
    pub c_star: f64,
    /// `χ₁` at `q*`: below 1 ordered, above 1 chaotic.
    pub chi1: f64,
    /// The correlation map's slope at `c*`.
    pub chi_c: f64,
    /// `ξ_q = −1/ln(slope of the length map at q*)`: `|q_l − q*|` shrinks
    /// like `e^{−l/ξ_q}`.
    pub xi_q: f64,
    /// `ξ_c = −1/ln χ_c`: `|c_l − c*|` shrinks like `e^{−l/ξ_c}`; infinite
    /// at criticality.
    pub xi_c: f64,
}

/// The root of a continuous `f` with `f(lo) ≥ 0 ≥ f(hi)`, by bisection
/// to the last bit.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) >= 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The weight variance on the critical line `χ₁ = 1` of `activation` at
/// bias variance `σ_b²`, by bisection on `σ_w² ∈ [ lo, hi ]`, where the
/// network must be ordered at `lo` and chaotic at `hi`. Errors: a bad
/// `σ_b²`, or no sign change on the bracket.
pub fn critical_weight_variance(
    activation: Activation,
    sigma_b2: f64,
    (lo, hi): (f64, f64),
) -> Result<f64> {
    let gap = |sigma_w2: f64| -> Result<f64> {
        let map = SignalMap::new(activation, sigma_w2, sigma_b2)?;
        Ok(1.0 - map.chi1(map.fixed_length(1.0)?))
    };
    if !(gap(lo)? > 0.0 && gap(hi)? < 0.0) {
        return Err(Error::Argument(format!(
            "χ₁ does not cross 1 between σ_w² = {lo} and {hi} at σ_b² = {sigma_b2}"
        )));
    }
    let (mut lo, mut hi) = (lo, hi);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if gap(mid)? > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}
