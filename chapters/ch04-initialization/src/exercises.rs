//! Solutions to the chapter's exercises, each with its tests.

use crate::init::{InitError, Mode, Nonlinearity, VarianceScaling, calculate_gain};
use crate::signal::mean_squares;
use ch03_backprop::{Activation, EngineError, Layer, Mlp, Workspace, gaussian_expectation, normal};
use nalgebra::{DMatrix, DVector};
use rand::Rng;

type Result<T> = std::result::Result<T, InitError>;

// ANCHOR: leaky
/// Exercise 1. The leaky ReLU `φ(t) = t` for `t > 0`, `a t` otherwise, and
/// the factor `E[φ(h)²] / E[h²]` for a symmetric `h`, by quadrature over
/// `h ~ N(0, 1)` (chapter 3's trapezoid rule). The exact value is
/// `(1 + a²)/2`, so the gain that keeps the forward signal is
/// `√(2 / (1 + a²))`, PyTorch's `calculate_gain('leaky_relu', a)`.
/// Errors: a slope that is not finite.
pub fn leaky_relu_factor(slope: f64) -> Result<f64> {
    if !slope.is_finite() {
        return Err(InitError::Parameter(slope));
    }
    let leaky = |t: f64| if t > 0.0 { t } else { slope * t };
    Ok(gaussian_expectation(|h| leaky(h).powi(2), 1.0))
}
// ANCHOR_END: leaky

// ANCHOR: torch_linear
/// Exercise 2. The initializer of PyTorch's `nn.Linear` weights:
/// `kaiming_uniform_(w, a=√5)`, whose default nonlinearity is
/// `'leaky_relu'`, so the gain is `calculate_gain('leaky_relu', √5)` and
/// the law is `U(−b, b)` with `b = gain · √(3 / fan_in)`.
pub fn torch_linear_default() -> VarianceScaling {
    let gain = calculate_gain(Nonlinearity::LeakyRelu(5f64.sqrt())).expect("√5 is finite");
    VarianceScaling::kaiming_uniform(gain, Mode::FanIn).expect("the gain is positive")
}
// ANCHOR_END: torch_linear

// ANCHOR: orthogonal
/// Exercise 3. A random `n × n` orthogonal matrix, uniform on the
/// orthogonal group: the `Q` of the QR decomposition of a Gaussian matrix,
/// with the signs of its columns fixed so that `R` has a positive diagonal
/// (Saxe, McClelland and Ganguli 2014 initialize deep linear networks this
/// way). Errors: `n == 0`.
pub fn orthogonal<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Result<DMatrix<f64>> {
    if n == 0 {
        return Err(InitError::ZeroFan {
            fan_in: 0,
            fan_out: 0,
        });
    }
    let qr = DMatrix::from_fn(n, n, |_, _| normal(rng)).qr();
    let (mut q, r) = (qr.q(), qr.r());
    for j in 0..n {
        if r[(j, j)] < 0.0 {
            q.column_mut(j).neg_mut();
        }
    }
    Ok(q)
}

/// A deep linear network (`φ = identity`, zero biases) of `depth` square
/// layers of width `n`, with orthogonal weights if `orthogonal_weights`,
/// otherwise Gaussian LeCun weights `N(0, 1/n)`. Errors: a zero width or
/// depth.
pub fn deep_linear<R: Rng + ?Sized>(
    n: usize,
    depth: usize,
    orthogonal_weights: bool,
    rng: &mut R,
) -> Result<Mlp> {
    if depth == 0 {
        return Err(EngineError::NoLayers.into());
    }
    let lecun = VarianceScaling::kaiming_normal(1.0, Mode::FanIn)?;
    let layers = (0..depth)
        .map(|_| {
            let w = if orthogonal_weights {
                orthogonal(n, rng)?
            } else {
                lecun.sample(n, n, rng)?
            };
            Ok(Layer::new(w, DVector::zeros(n), Activation::Identity)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Mlp::new(layers)?)
}
// ANCHOR_END: orthogonal

/// `‖x_L‖² / ‖x_0‖²` for one input `x_0 ~ N(0, I)` through `net` (square
/// layers). Errors: those of the forward pass.
pub fn squared_norm_ratio<R: Rng + ?Sized>(net: &Mlp, rng: &mut R) -> Result<f64> {
    let n0 = net.widths()[0];
    let x = DMatrix::from_fn(n0, 1, |_, _| normal(rng));
    let mut ws = Workspace::new(net, 1)?;
    let m = mean_squares(net, &x, &mut ws)?;
    let nl = net.widths()[net.depth()] as f64;
    Ok(m[net.depth()] * nl / (m[0] * n0 as f64))
}

// ANCHOR: bias
/// Exercise 4. The recursion of `q_l = E[h_{l,i}²]` for a ReLU network with
/// weights `N(0, σ_w²/n_{l-1})` and biases `N(0, σ_b²)`, from an input with
/// per-unit mean square `m_0`: `q_1 = σ_w² m_0 + σ_b²`,
/// `q_l = (σ_w²/2) q_{l-1} + σ_b²`. Returns `q_1, …, q_L`. Domain: finite
/// nonnegative arguments (NaN is propagated).
pub fn bias_recursion(sigma_w2: f64, sigma_b: f64, m0: f64, depth: usize) -> Vec<f64> {
    let mut q = sigma_w2 * m0 + sigma_b * sigma_b;
    let mut out = Vec::with_capacity(depth);
    for _ in 0..depth {
        out.push(q);
        q = sigma_w2 / 2.0 * q + sigma_b * sigma_b;
    }
    out
}

/// Measures `‖h_L‖² / n_L` in `networks` random networks of `depth` layers
/// of width `n` (ReLU hidden layers, a linear last layer, weights
/// `N(0, σ_w²/n)`, biases `N(0, σ_b²)`), each with an input rescaled to
/// per-unit mean square 1. Returns the values. Errors: a zero width, depth
/// or count, or a bad `σ` (see [`Mlp::gaussian`]).
pub fn top_mean_squares(
    sigma_w2: f64,
    sigma_b: f64,
    n: usize,
    depth: usize,
    networks: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    if networks == 0 || depth == 0 {
        return Err(EngineError::Argument("need at least one network and one layer".into()).into());
    }
    let mut rng = book_support::seeded(seed);
    (0..networks)
        .map(|_| {
            let net = Mlp::gaussian(
                &vec![n; depth + 1],
                Activation::Relu,
                Activation::Identity,
                sigma_w2,
                sigma_b,
                &mut rng,
            )?;
            let x = DMatrix::from_fn(n, 1, |_, _| normal(&mut rng));
            let x = &x * (n as f64 / x.norm_squared()).sqrt();
            let mut ws = Workspace::new(&net, 1)?;
            Ok(mean_squares(&net, &x, &mut ws)?[depth])
        })
        .collect()
}
// ANCHOR_END: bias

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{mean_se, relu_factors, signals};
    use book_support::seeded;

    #[test]
    fn leaky_factor_matches_the_closed_form_and_pytorch() {
        for a in [0.0, 0.01, 0.2, 1.0, -0.5] {
            let f = leaky_relu_factor(a).unwrap();
            assert!((f - (1.0 + a * a) / 2.0).abs() < 1e-5, "{a}: {f}");
            let g = calculate_gain(Nonlinearity::LeakyRelu(a)).unwrap();
            assert!((g * g * (1.0 + a * a) / 2.0 - 1.0).abs() < 1e-14);
        }
        assert!(leaky_relu_factor(f64::NAN).is_err());
        assert!(leaky_relu_factor(f64::INFINITY).is_err());
    }

    #[test]
    fn torch_linear_shrinks_relu_signals_sixfold() {
        let init = torch_linear_default();
        let v = init.variance(30, 7).unwrap();
        assert!((v - 1.0 / 90.0).abs() < 1e-16, "{v}");
        let w = init.sample(50, 30, &mut seeded(1)).unwrap();
        assert!(w.amax() <= 1.0 / 30f64.sqrt());
        let widths = [32, 32, 32, 32];
        let (f, _) = relu_factors(&init, &widths).unwrap();
        let expected: f64 = f.iter().product();
        assert!((expected - 6f64.powi(-3)).abs() < 1e-15);
        let s = signals(&init, &widths, Activation::Relu, 3000, 2).unwrap();
        let (m, se) = mean_se(&s.iter().map(|s| s.forward[2]).collect::<Vec<_>>());
        assert!((m - expected).abs() < 4.0 * se, "{m} ± {se} vs {expected}");
    }

    #[test]
    fn orthogonal_matrices_are_orthogonal_and_keep_norms() {
        let mut rng = seeded(3);
        let q = orthogonal(20, &mut rng).unwrap();
        let err = (q.transpose() * &q - DMatrix::identity(20, 20)).amax();
        assert!(err < 1e-13, "{err}");
        assert!(orthogonal(0, &mut rng).is_err());
        let net = deep_linear(16, 30, true, &mut rng).unwrap();
        let r = squared_norm_ratio(&net, &mut rng).unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
        assert!(deep_linear(16, 0, true, &mut rng).is_err());
        assert!(deep_linear(0, 3, false, &mut rng).is_err());
        // Gaussian linear layers: E[R] = 1 and E[R²] = (1 + 2/n)^L.
        let (n, depth) = (16, 4);
        let ratios: Vec<f64> = (0..4000)
            .map(|_| {
                squared_norm_ratio(&deep_linear(n, depth, false, &mut rng).unwrap(), &mut rng)
                    .unwrap()
            })
            .collect();
        let (m, se) = mean_se(&ratios);
        assert!((m - 1.0).abs() < 4.0 * se, "{m} ± {se}");
        let (m2, se2) = mean_se(&ratios.iter().map(|r| r * r).collect::<Vec<_>>());
        let exact = (1.0 + 2.0 / n as f64).powi(depth as i32);
        assert!((m2 - exact).abs() < 4.0 * se2, "{m2} ± {se2} vs {exact}");
    }

    #[test]
    fn bias_recursion_grows_linearly_at_criticality() {
        let q = bias_recursion(2.0, 0.1, 1.0, 5);
        assert!((q[0] - 2.01).abs() < 1e-15);
        assert!((q[4] - 2.05).abs() < 1e-14);
        // Below criticality: a fixed point σ_b² / (1 − σ_w²/2).
        let q = bias_recursion(1.0, 0.5, 1.0, 200);
        assert!((q[199] - 0.5).abs() < 1e-12);
        assert!(bias_recursion(f64::NAN, 0.1, 1.0, 2)[1].is_nan());
        let v = top_mean_squares(2.0, 0.3, 16, 6, 3000, 4).unwrap();
        let (m, se) = mean_se(&v);
        let exact = bias_recursion(2.0, 0.3, 1.0, 6)[5];
        assert!((m - exact).abs() < 4.0 * se, "{m} ± {se} vs {exact}");
        assert!(top_mean_squares(2.0, 0.3, 16, 6, 0, 4).is_err());
        assert!(top_mean_squares(2.0, f64::NAN, 16, 6, 3, 4).is_err());
    }
}
