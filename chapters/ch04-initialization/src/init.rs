//! Weight initializers, named and parameterized as the common frameworks
//! name them.
//!
//! Every initializer of this module is a *variance-scaling* rule: the weights
//! of a layer with `fan_in` inputs and `fan_out` outputs are drawn
//! independently from a symmetric law with mean zero and variance
//! `scale / n`, where `n` is the fan-in, the fan-out or their average
//! (Keras' and JAX's `variance_scaling(scale, mode, distribution)`). He,
//! LeCun and Glorot/Xavier are particular `(scale, mode)` pairs; PyTorch's
//! `gain` is `√scale`.
//!
//! Domain: fans are at least one; scales and gains are positive and finite.
//! Anything else is an [`InitError`] with a message, never a panic.

use ch03_backprop::{Activation, EngineError, Layer, Mlp, normal};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use rand_distr::Distribution;

use statrs::distribution::{Continuous, ContinuousCDF, Normal};
use std::fmt;

/// What the initializers refuse, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum InitError {
    /// A zero fan-in or fan-out (such a layer has no weights).
    ZeroFan { fan_in: usize, fan_out: usize },
    /// A gain that is negative, zero, NaN or infinite.
    Gain(f64),
    /// A variance scale that is negative, zero, NaN or infinite.
    Scale(f64),
    /// A nonlinearity parameter (the leaky-ReLU slope) that is not finite.
    Parameter(f64),
    /// Signals of different depths were mixed where one depth is needed.
    Depth { expected: usize, found: usize },
    /// The network could not be assembled (see [`EngineError`]).
    Engine(EngineError),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::ZeroFan { fan_in, fan_out } => write!(
                f,
                "zero fan: a layer with fan-in {fan_in} and fan-out {fan_out} has no weight variance to scale (every width must be at least 1)"
            ),
            InitError::Gain(g) => write!(f, "gain {g} must be positive and finite"),
            InitError::Scale(s) => write!(f, "variance scale {s} must be positive and finite"),
            InitError::Parameter(p) => {
                write!(f, "nonlinearity parameter {p} must be finite")
            }
            InitError::Depth { expected, found } => write!(
                f,
                "signals of different depths: expected {expected} layers, found {found}"
            ),
            InitError::Engine(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for InitError {}

impl From<EngineError> for InitError {
    fn from(e: EngineError) -> Self {
        InitError::Engine(e)
    }
}

type Result<T> = std::result::Result<T, InitError>;

/// Which fan the variance is divided by: Keras' and JAX's `mode`, PyTorch's
/// `mode` of `kaiming_*` (which knows only the first two).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `n = fan_in`: keeps the forward signal (`"fan_in"`).
    FanIn,
    /// `n = fan_out`: keeps the backward signal (`"fan_out"`).
    FanOut,
    /// `n = (fan_in + fan_out) / 2`: Glorot and Bengio's compromise (`"fan_avg"`).
    FanAvg,
}

/// The law of each weight, scaled to the chosen variance: Keras' and JAX's
/// `distribution`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WeightDistribution {
    /// `N(0, var)` (Keras `"untruncated_normal"`, JAX `"normal"`, PyTorch's
    /// `*_normal_`).
    Normal,
    /// A normal truncated at two of its standard deviations and rescaled so
    /// that the variance *after* truncation is `var` (Keras' and JAX's
    /// `"truncated_normal"`: the default of Keras' `VarianceScaling` and the
    /// law of JAX's named `*_normal` initializers; JAX's `variance_scaling`
    /// itself has no default law).
    TruncatedNormal,
    /// `U(−a, a)` with `a = √(3 var)` (`"uniform"`, PyTorch's `*_uniform_`).
    Uniform,
}

// ANCHOR: truncated
/// The standard deviation of a standard normal truncated to `[−2, 2]`:
/// `√(1 − 2·2φ(2)/(Φ(2) − Φ(−2)))`, from statrs' normal density `φ` and
/// distribution function `Φ`. A truncated-normal initializer divides its
/// target standard deviation by this factor before truncating.
pub fn truncated_normal_sd_factor() -> f64 {
    let z = Normal::standard();
    let mass = z.cdf(2.0) - z.cdf(-2.0);
    (1.0 - 2.0 * 2.0 * z.pdf(2.0) / mass).sqrt()
}
// ANCHOR_END: truncated

// ANCHOR: variance_scaling
/// A variance-scaling initializer: `Var(w) = scale / n`, with `n` chosen by
/// `mode` and the shape of the law by `distribution`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VarianceScaling {
    scale: f64,
    mode: Mode,
    distribution: WeightDistribution,
}

impl VarianceScaling {
    /// Keras' `VarianceScaling(scale, mode, distribution)`. Errors: a scale
    /// that is not positive and finite.
    pub fn new(scale: f64, mode: Mode, distribution: WeightDistribution) -> Result<Self> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(InitError::Scale(scale));
        }
        Ok(VarianceScaling {
            scale,
            mode,
            distribution,
        })
    }

    /// The weight variance for a layer with these fans. Errors: any zero
    /// fan (such a layer has no weights).
    pub fn variance(&self, fan_in: usize, fan_out: usize) -> Result<f64> {
        if fan_in == 0 || fan_out == 0 {
            return Err(InitError::ZeroFan { fan_in, fan_out });
        }
        let n = match self.mode {
            Mode::FanIn => fan_in as f64,
            Mode::FanOut => fan_out as f64,
            Mode::FanAvg => (fan_in as f64 + fan_out as f64) / 2.0, // no usize overflow
        };
        Ok(self.scale / n)
    }
}
// ANCHOR_END: variance_scaling

impl VarianceScaling {
    /// The scale (`gain²` in PyTorch's terms).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The distribution.
    pub fn distribution(&self) -> WeightDistribution {
        self.distribution
    }

    /// PyTorch's `gain`, `√scale`.
    pub fn gain(&self) -> f64 {
        self.scale.sqrt()
    }

    /// The same rule with another distribution.
    pub fn with_distribution(self, distribution: WeightDistribution) -> Self {
        VarianceScaling {
            distribution,
            ..self
        }
    }

    /// The same rule with another mode.
    pub fn with_mode(self, mode: Mode) -> Self {
        VarianceScaling { mode, ..self }
    }

    fn from_gain(gain: f64, mode: Mode, distribution: WeightDistribution) -> Result<Self> {
        if !(gain.is_finite() && gain > 0.0) {
            return Err(InitError::Gain(gain));
        }
        VarianceScaling::new(gain * gain, mode, distribution)
    }

    /// He et al. (2015), Keras/JAX `he_normal`: `variance_scaling(2.0,
    /// "fan_in", "truncated_normal")`.
    pub fn he_normal() -> Self {
        Self::constant(2.0, Mode::FanIn, WeightDistribution::TruncatedNormal)
    }

    /// Keras/JAX `he_uniform`: `variance_scaling(2.0, "fan_in", "uniform")`.
    pub fn he_uniform() -> Self {
        Self::constant(2.0, Mode::FanIn, WeightDistribution::Uniform)
    }

    /// LeCun et al. (1998), Keras/JAX `lecun_normal`: `variance_scaling(1.0,
    /// "fan_in", "truncated_normal")`.
    pub fn lecun_normal() -> Self {
        Self::constant(1.0, Mode::FanIn, WeightDistribution::TruncatedNormal)
    }

    /// Keras/JAX `lecun_uniform`: `variance_scaling(1.0, "fan_in", "uniform")`.
    pub fn lecun_uniform() -> Self {
        Self::constant(1.0, Mode::FanIn, WeightDistribution::Uniform)
    }

    /// Glorot and Bengio (2010), Keras/JAX `glorot_normal`:
    /// `variance_scaling(1.0, "fan_avg", "truncated_normal")`.
    pub fn glorot_normal() -> Self {
        Self::constant(1.0, Mode::FanAvg, WeightDistribution::TruncatedNormal)
    }

    /// Keras/JAX `glorot_uniform` (Keras' default for `Dense`):
    /// `variance_scaling(1.0, "fan_avg", "uniform")`.
    pub fn glorot_uniform() -> Self {
        Self::constant(1.0, Mode::FanAvg, WeightDistribution::Uniform)
    }

    fn constant(scale: f64, mode: Mode, distribution: WeightDistribution) -> Self {
        VarianceScaling {
            scale,
            mode,
            distribution,
        }
    }

    /// PyTorch's `kaiming_normal_(w, mode=..., nonlinearity=...)` with
    /// `gain = calculate_gain(nonlinearity)`: `N(0, gain² / fan)`. Errors:
    /// a gain that is not positive and finite.
    pub fn kaiming_normal(gain: f64, mode: Mode) -> Result<Self> {
        Self::from_gain(gain, mode, WeightDistribution::Normal)
    }

    /// PyTorch's `kaiming_uniform_`: `U(−a, a)` with
    /// `a = gain · √(3 / fan)`. Errors: as [`VarianceScaling::kaiming_normal`].
    pub fn kaiming_uniform(gain: f64, mode: Mode) -> Result<Self> {
        Self::from_gain(gain, mode, WeightDistribution::Uniform)
    }

    /// PyTorch's `xavier_normal_(w, gain)`: `N(0, 2 gain² / (fan_in + fan_out))`.
    pub fn xavier_normal(gain: f64) -> Result<Self> {
        Self::from_gain(gain, Mode::FanAvg, WeightDistribution::Normal)
    }

    /// PyTorch's `xavier_uniform_(w, gain)`: `U(−a, a)` with
    /// `a = gain · √(6 / (fan_in + fan_out))`.
    pub fn xavier_uniform(gain: f64) -> Result<Self> {
        Self::from_gain(gain, Mode::FanAvg, WeightDistribution::Uniform)
    }
}

// ANCHOR: sample
impl VarianceScaling {
    /// A weight matrix of `fan_out` rows and `fan_in` columns (the shape of
    /// `W_l`, `n_l × n_{l-1}`, and of PyTorch's `weight`), its entries drawn
    /// independently with variance [`VarianceScaling::variance`]. Errors: a
    /// zero fan.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        fan_out: usize,
        fan_in: usize,
        rng: &mut R,
    ) -> Result<DMatrix<f64>> {
        let sd = self.variance(fan_in, fan_out)?.sqrt();
        Ok(match self.distribution {
            WeightDistribution::Normal => {
                let law =
                    rand_distr::Normal::new(0.0, sd).map_err(|_| InitError::Scale(self.scale))?;
                DMatrix::from_fn(fan_out, fan_in, |_, _| law.sample(rng))
            }
            WeightDistribution::TruncatedNormal => {
                // Rejection: redraw until |z| ≤ 2, then rescale so that the
                // truncated law has standard deviation `sd`.
                let sd = sd / truncated_normal_sd_factor();
                DMatrix::from_fn(fan_out, fan_in, |_, _| {
                    loop {
                        let z = normal(rng);
                        if z.abs() <= 2.0 {
                            break sd * z;
                        }
                    }
                })
            }
            WeightDistribution::Uniform => {
                let a = 3f64.sqrt() * sd;
                DMatrix::from_fn(fan_out, fan_in, |_, _| {
                    a * (2.0 * rng.random::<f64>() - 1.0)
                })
            }
        })
    }

    /// A network with widths `n_0, …, n_L`, activation `hidden` on layers
    /// `1..L` and `output` on layer `L`, every weight matrix drawn by this
    /// initializer and every bias zero. Errors: fewer than two widths, a
    /// zero width.
    pub fn network<R: Rng + ?Sized>(
        &self,
        widths: &[usize],
        hidden: Activation,
        output: Activation,
        rng: &mut R,
    ) -> Result<Mlp> {
        if widths.len() < 2 {
            return Err(EngineError::NoLayers.into());
        }
        let depth = widths.len() - 1;
        let mut layers = Vec::with_capacity(depth);
        for l in 1..=depth {
            let w = self.sample(widths[l], widths[l - 1], rng)?;
            let activation = if l == depth { output } else { hidden };
            layers.push(Layer::new(w, DVector::zeros(widths[l]), activation)?);
        }
        Ok(Mlp::new(layers)?)
    }
}
// ANCHOR_END: sample

// ANCHOR: gain
/// The nonlinearities of PyTorch's `calculate_gain`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// `'linear'` (and the convolutions): gain 1.
    Linear,
    /// `'sigmoid'`: gain 1.
    Sigmoid,
    /// `'tanh'`: gain 5/3.
    Tanh,
    /// `'relu'`: gain √2.
    Relu,
    /// `'leaky_relu'` with its negative slope: gain `√(2 / (1 + slope²))`.
    LeakyRelu(f64),
    /// `'selu'`: gain 3/4.
    Selu,
}

/// PyTorch's `calculate_gain(nonlinearity, param)`. Errors: a leaky-ReLU
/// slope that is not finite.
pub fn calculate_gain(nonlinearity: Nonlinearity) -> Result<f64> {
    Ok(match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2.0f64.sqrt(),
        Nonlinearity::LeakyRelu(slope) if slope.is_finite() => (2.0 / (1.0 + slope * slope)).sqrt(),
        Nonlinearity::LeakyRelu(slope) => return Err(InitError::Parameter(slope)),
        Nonlinearity::Selu => 0.75,
    })
}
// ANCHOR_END: gain

#[cfg(test)]
mod tests {
    use super::*;
    use book_support::seeded;

    #[test]
    fn named_initializers_have_the_documented_variances() {
        let (fi, fo) = (300, 100);
        let v = |i: VarianceScaling| i.variance(fi, fo).unwrap();
        assert_eq!(v(VarianceScaling::he_normal()), 2.0 / 300.0);
        assert_eq!(v(VarianceScaling::he_uniform()), 2.0 / 300.0);
        assert_eq!(v(VarianceScaling::lecun_normal()), 1.0 / 300.0);
        assert_eq!(v(VarianceScaling::lecun_uniform()), 1.0 / 300.0);
        assert_eq!(v(VarianceScaling::glorot_normal()), 2.0 / 400.0);
        assert_eq!(v(VarianceScaling::glorot_uniform()), 2.0 / 400.0);
        let relu = calculate_gain(Nonlinearity::Relu).unwrap();
        let k = VarianceScaling::kaiming_normal(relu, Mode::FanOut).unwrap();
        assert!((v(k) - 2.0 / 100.0).abs() < 1e-17);
        let x = VarianceScaling::xavier_uniform(5.0 / 3.0).unwrap();
        assert!((v(x) - 25.0 / 9.0 * 2.0 / 400.0).abs() < 1e-17);
        assert_eq!(x.distribution(), WeightDistribution::Uniform);
        assert_eq!(k.mode(), Mode::FanOut);
        assert!((k.gain() - relu).abs() < 1e-15);
        assert_eq!(
            VarianceScaling::he_normal()
                .with_mode(Mode::FanAvg)
                .with_distribution(WeightDistribution::Normal),
            VarianceScaling::new(2.0, Mode::FanAvg, WeightDistribution::Normal).unwrap()
        );
    }

    #[test]
    fn gains_match_pytorch() {
        assert_eq!(calculate_gain(Nonlinearity::Linear).unwrap(), 1.0);
        assert_eq!(calculate_gain(Nonlinearity::Sigmoid).unwrap(), 1.0);
        assert_eq!(calculate_gain(Nonlinearity::Tanh).unwrap(), 5.0 / 3.0);
        assert_eq!(
            calculate_gain(Nonlinearity::Relu).unwrap(),
            std::f64::consts::SQRT_2
        );
        assert_eq!(calculate_gain(Nonlinearity::Selu).unwrap(), 0.75);
        assert_eq!(
            calculate_gain(Nonlinearity::LeakyRelu(0.0)).unwrap(),
            calculate_gain(Nonlinearity::Relu).unwrap()
        );
        assert!((calculate_gain(Nonlinearity::LeakyRelu(1.0)).unwrap() - 1.0).abs() < 1e-15);
        for bad in [f64::NAN, f64::INFINITY] {
            assert_eq!(
                calculate_gain(Nonlinearity::LeakyRelu(bad)).map_err(|e| e.to_string()),
                Err(InitError::Parameter(bad).to_string())
            );
        }
    }

    #[test]
    fn bad_input_is_an_error_with_a_message() {
        // A zero fan-in.
        let e = VarianceScaling::he_normal().variance(0, 10).unwrap_err();
        assert_eq!(
            e,
            InitError::ZeroFan {
                fan_in: 0,
                fan_out: 10
            }
        );
        assert!(e.to_string().contains("fan-in 0"), "{e}");
        assert!(VarianceScaling::glorot_uniform().variance(4, 0).is_err());
        // Huge fans: the average is taken in f64, so fan_in + fan_out cannot overflow.
        let v = VarianceScaling::glorot_uniform()
            .variance(usize::MAX, usize::MAX)
            .unwrap();
        assert!(
            v > 0.0 && (v * usize::MAX as f64 - 1.0).abs() < 1e-12,
            "{v}"
        );
        assert!(
            VarianceScaling::he_normal()
                .sample(3, 0, &mut seeded(1))
                .is_err()
        );
        // A negative, zero or non-finite gain.
        for bad in [-1.0, 0.0, f64::NAN, f64::INFINITY] {
            let e = VarianceScaling::kaiming_normal(bad, Mode::FanIn).unwrap_err();
            assert!(matches!(e, InitError::Gain(_)), "{bad}");
            assert!(e.to_string().contains("gain"), "{e}");
            assert!(VarianceScaling::kaiming_uniform(bad, Mode::FanIn).is_err());
            assert!(VarianceScaling::xavier_normal(bad).is_err());
            assert!(VarianceScaling::xavier_uniform(bad).is_err());
        }
        // A NaN, infinite, zero or negative scale.
        for bad in [f64::NAN, f64::NEG_INFINITY, 0.0, -2.0] {
            let e = VarianceScaling::new(bad, Mode::FanIn, WeightDistribution::Normal).unwrap_err();
            assert!(matches!(e, InitError::Scale(_)), "{bad}");
            assert!(e.to_string().contains("scale"), "{e}");
        }
        // Networks: too few widths, a zero width.
        let he = VarianceScaling::he_normal();
        let mut rng = seeded(2);
        assert_eq!(
            he.network(&[3], Activation::Relu, Activation::Relu, &mut rng),
            Err(InitError::Engine(EngineError::NoLayers))
        );
        assert!(matches!(
            he.network(&[3, 0, 2], Activation::Relu, Activation::Relu, &mut rng),
            Err(InitError::ZeroFan { .. })
        ));
    }

    #[test]
    fn samples_have_the_right_shape_support_and_variance() {
        let mut rng = seeded(3);
        let (rows, cols) = (200, 300);
        for init in [
            VarianceScaling::he_normal(),
            VarianceScaling::he_uniform(),
            VarianceScaling::kaiming_normal(2f64.sqrt(), Mode::FanIn).unwrap(),
        ] {
            let w = init.sample(rows, cols, &mut rng).unwrap();
            assert_eq!(w.shape(), (rows, cols));
            let var = init.variance(cols, rows).unwrap();
            let m = w.len() as f64;
            let s2 = w.iter().map(|x| x * x).sum::<f64>() / m;
            // E w⁴ is 3 var² (normal), 9/5 var² (uniform) and less than 3 var²
            // (truncated normal); four standard errors of the mean of w².
            let se = (2.0 / m).sqrt() * var;
            assert!((s2 - var).abs() < 4.0 * se, "{init:?}: {s2} vs {var}");
            let sd = var.sqrt();
            let bound = match init.distribution() {
                WeightDistribution::Normal => f64::INFINITY,
                WeightDistribution::TruncatedNormal => 2.0 * sd / truncated_normal_sd_factor(),
                WeightDistribution::Uniform => 3f64.sqrt() * sd,
            };
            assert!(w.amax() <= bound, "{init:?}");
        }
    }

    #[test]
    fn truncated_normal_factor_matches_a_direct_integral() {
        // ∫_{-2}^{2} z² φ(z) dz / ∫_{-2}^{2} φ(z) dz by the midpoint rule.
        let steps = 200_000;
        let h = 4.0 / steps as f64;
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..steps {
            let z = -2.0 + (i as f64 + 0.5) * h;
            let p = (-0.5 * z * z).exp();
            num += z * z * p;
            den += p;
        }
        assert!(((num / den).sqrt() - truncated_normal_sd_factor()).abs() < 1e-9);
    }

    #[test]
    fn networks_are_built_with_zero_biases() {
        let net = VarianceScaling::lecun_uniform()
            .network(
                &[4, 6, 2],
                Activation::Tanh,
                Activation::Identity,
                &mut seeded(4),
            )
            .unwrap();
        assert_eq!(net.widths(), vec![4, 6, 2]);
        assert!((1..=2).all(|l| net.b(l).iter().all(|&b| b == 0.0)));
        assert_eq!(net.activation(1), Activation::Tanh);
        assert_eq!(net.activation(2), Activation::Identity);
        let a = (3.0f64 / 4.0).sqrt();
        assert!(net.w(1).amax() <= a);
    }
}
