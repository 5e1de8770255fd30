//! The size of the signal in random ReLU networks: measured with chapter 3's
//! engine, and predicted exactly.
//!
//! We follow the per-unit mean square `m_l = ‖x_l‖² / n_l` of the forward
//! signal and the per-unit mean square of the backward signal
//! `x̄_l = ∂ℓ/∂x_l` (written with a bar: the book's `g_l` is a layer map).
//! Biases are zero throughout; the input is
//! `x_0 ~ N(0, I)` and the loss is the linear `ℓ = uᵀ x_L` with
//! `u ~ N(0, I)`, so `x̄_L = u`.

use crate::init::{InitError, VarianceScaling};
use ch03_backprop::{Activation, EngineError, Loss, Mlp, Workspace, normal};
use nalgebra::DMatrix;
use rand::Rng;
use statrs::function::factorial::ln_binomial;

type Result<T> = std::result::Result<T, InitError>;

// ANCHOR: mean_squares
/// The per-unit mean squares `m_l = ‖x_l‖² / (n_l B)` of a forward pass of
/// the batch `x` (`n_0 × B`), for `l = 0, …, L`. The engine keeps the
/// pre-activations `h_l`; `x_l = φ(h_l)` is recomputed from them. Errors:
/// those of [`Mlp::forward_ws`].
pub fn mean_squares(net: &Mlp, x: &DMatrix<f64>, ws: &mut Workspace) -> Result<Vec<f64>> {
    net.forward_ws(x, ws)?;
    Ok(last_mean_squares(net, x, ws))
}

/// [`mean_squares`] read from a workspace whose last forward pass (by
/// `forward_ws` or `loss_and_gradient`) was of `x` through `net`.
fn last_mean_squares(net: &Mlp, x: &DMatrix<f64>, ws: &Workspace) -> Vec<f64> {
    let mut out = vec![x.norm_squared() / x.len() as f64];
    for l in 1..=net.depth() {
        let h = ws
            .pre_activation(l)
            .expect("the workspace fits the network");
        let sum: f64 = h.iter().map(|&t| net.activation(l).apply(t).powi(2)).sum();
        out.push(sum / h.len() as f64);
    }
    out
}
// ANCHOR_END: mean_squares

/// The forward and backward signal of one random network.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    /// `R_l = m_l / m_0` for `l = 1, …, L` (index `l − 1`).
    pub forward: Vec<f64>,
    /// `(‖x̄_0‖² / n_0) / (‖x̄_L‖² / n_L)`: the backward signal's per-unit
    /// mean square at the input over that at the output.
    pub backward: f64,
}

/// Draws one network with widths `widths` (activation φ on every layer,
/// weights from `init`, zero biases), one input `x_0 ~ N(0, I)` and one top
/// direction `u ~ N(0, I)`, and measures its [`Signal`]. Errors: fewer than
/// two widths or a zero width.
pub fn signal<R: Rng + ?Sized>(
    init: &VarianceScaling,
    widths: &[usize],
    activation: Activation,
    rng: &mut R,
) -> Result<Signal> {
    let net = init.network(widths, activation, activation, rng)?;
    let (n0, nl) = (widths[0], widths[widths.len() - 1]);
    let x = DMatrix::from_fn(n0, 1, |_, _| normal(rng));
    let u = DMatrix::from_fn(nl, 1, |_, _| normal(rng));
    let mut ws = Workspace::new(&net, 1)?.with_input_gradient();
    net.loss_and_gradient(&x, &u, Loss::Linear, &mut ws)?;
    let m = last_mean_squares(&net, &x, &ws);
    // The linear loss averages over the batch of one: ∂ℓ/∂x_L = u exactly.
    let g0 = ws
        .activation_gradient(0)
        .ok_or(EngineError::Shape("no input gradient".into()))?;
    Ok(Signal {
        forward: m[1..].iter().map(|v| v / m[0]).collect(),
        backward: (g0.norm_squared() / n0 as f64) / (u.norm_squared() / nl as f64),
    })
}

/// [`signal`] for `networks` independent networks drawn from `seed`.
/// Errors: as [`signal`], and `networks == 0`.
pub fn signals(
    init: &VarianceScaling,
    widths: &[usize],
    activation: Activation,
    networks: usize,
    seed: u64,
) -> Result<Vec<Signal>> {
    if networks == 0 {
        return Err(EngineError::Argument("need at least one network".into()).into());
    }
    let mut rng = book_support::seeded(seed);
    (0..networks)
        .map(|_| signal(init, widths, activation, &mut rng))
        .collect()
}

// ANCHOR: factors
/// The per-layer factors of the ReLU recursions for widths `n_0, …, n_L`:
/// forward `n_{l-1} Var(w_l) / 2` (the expected ratio `m_l / m_{l-1}`) and
/// backward `n_l Var(w_l) / 2`, for `l = 1, …, L`. Errors: a zero width.
pub fn relu_factors(init: &VarianceScaling, widths: &[usize]) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut forward = Vec::with_capacity(widths.len().saturating_sub(1));
    let mut backward = Vec::with_capacity(forward.capacity());
    for pair in widths.windows(2) {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        let var = init.variance(fan_in, fan_out)?;
        forward.push(fan_in as f64 * var / 2.0);
        backward.push(fan_out as f64 * var / 2.0);
    }
    Ok((forward, backward))
}
// ANCHOR_END: factors

// ANCHOR: moment
/// `E[r^m]` for one ReLU layer of width `n` with Gaussian He weights, where
/// `r = m_l / m_{l-1}`. Given a nonzero input, `r = (2/n) χ²_B` with
/// `B ~ Bin(n, 1/2)` active units, and `E[(χ²_k)^m] = k (k+2) ⋯ (k+2m−2)`,
/// so `E[r^m] = (2/n)^m Σ_k P(B = k) k (k+2) ⋯ (k+2m−2)`. A dead layer
/// (`B = 0`) contributes zero. Returns NaN for `n = 0`; `1` for `m = 0`.
pub fn relu_layer_moment(n: usize, m: u32) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let nf = n as f64;
    let mut total = 0.0;
    for k in 0..=n {
        // P(B = k), in log space so that it stays finite for large n.
        let p = (ln_binomial(n as u64, k as u64) - nf * std::f64::consts::LN_2).exp();
        let chi2_moment: f64 = (0..m).map(|i| k as f64 + 2.0 * i as f64).product();
        total += p * chi2_moment;
    }
    (2.0 / nf).powi(m as i32) * total
}

/// `E[R_L^m]` for the ratio `R_L = m_L / m_0` of a bias-free ReLU network
/// whose weights are Gaussian (the formula assumes it: other laws have other
/// higher moments), at any scale: the layers are independent given their
/// inputs, and layer `l` is `c_l` times a He layer, where `c_l` is its
/// forward factor (see [`relu_factors`]), so `E[R_L^m] = Π_l c_l^m E[r_l^m]`.
/// NaN for fewer than two widths, for a number of factors other than one
/// per layer (`widths.len() − 1`), and for a zero width after the first.
pub fn relu_ratio_moment(forward_factors: &[f64], widths: &[usize], m: u32) -> f64 {
    if widths.len() < 2 || forward_factors.len() + 1 != widths.len() {
        return f64::NAN;
    }
    forward_factors
        .iter()
        .zip(&widths[1..])
        .map(|(c, &n)| c.powi(m as i32) * relu_layer_moment(n, m))
        .product()
}
// ANCHOR_END: moment

// ANCHOR: density
/// A density on the grid `t_i = lo + i·dt`, `i = 0, …, len − 1`.
#[derive(Clone, Debug, PartialEq)]
pub struct GridDensity {
    pub lo: f64,
    pub dt: f64,
    pub values: Vec<f64>,
}

impl GridDensity {
    /// The grid point `t_i`.
    pub fn t(&self, i: usize) -> f64 {
        self.lo + i as f64 * self.dt
    }

    /// `∫ f(t) p(t) dt` by the rectangle rule on the grid.
    pub fn integral(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.values
            .iter()
            .enumerate()
            .map(|(i, p)| f(self.t(i)) * p)
            .sum::<f64>()
            * self.dt
    }
}

/// The exact density of `ln r` for one He ReLU layer of width `n` with
/// Gaussian weights, given that the layer is alive (`B ≥ 1`): a mixture
/// over `k` of the densities of `ln((2/n) χ²_k)`, whose density at `t` is
/// `f_k(y) y` with `y = e^t n / 2` and `f_k` the chi-squared density (from
/// statrs). Errors: `n == 0`, a grid of fewer than two points, or a step
/// `dt` that is not positive and finite.
pub fn layer_log_density(n: usize, lo: f64, dt: f64, len: usize) -> Result<GridDensity> {
    use statrs::distribution::{ChiSquared, Continuous};
    if n == 0 || len < 2 || !(dt.is_finite() && dt > 0.0) || !lo.is_finite() {
        return Err(EngineError::Argument(format!(
            "need n ≥ 1, two grid points and a positive step (n = {n}, {len} points, step {dt}, start {lo})"
        ))
        .into());
    }
    let nf = n as f64;
    let ln_alive = (-(0.5f64.powi(n.min(1074) as i32))).ln_1p(); // ln P(B ≥ 1)
    let laws: Vec<(f64, ChiSquared)> = (1..=n)
        .map(|k| {
            let ln_p = ln_binomial(n as u64, k as u64) - nf * std::f64::consts::LN_2 - ln_alive;
            (
                ln_p,
                ChiSquared::new(k as f64).expect("k ≥ 1 degrees of freedom"),
            )
        })
        .collect();
    let values = (0..len)
        .map(|i| {
            let y = (lo + i as f64 * dt).exp() * nf / 2.0;
            laws.iter()
                .map(|(ln_p, law)| (ln_p + law.ln_pdf(y) + y.ln()).exp())
                .sum()
        })
        .collect();
    Ok(GridDensity { lo, dt, values })
}

/// The exact density of `ln R_L = Σ_l ln r_l` for `depth` independent He
/// layers of width `n` (all alive), by repeated numerical convolution of
/// [`layer_log_density`] on one grid; `lo / dt` must be a whole number so
/// that sums of grid points fall on grid points. Mass that falls outside
/// the grid is dropped. Errors: those of [`layer_log_density`],
/// `depth == 0`, or `lo / dt` not whole.
pub fn log_ratio_density(
    n: usize,
    depth: usize,
    lo: f64,
    dt: f64,
    len: usize,
) -> Result<GridDensity> {
    let one = layer_log_density(n, lo, dt, len)?;
    let shift = lo / dt;
    if depth == 0 || (shift - shift.round()).abs() > 1e-9 {
        return Err(EngineError::Argument(format!(
            "need depth ≥ 1 and lo/dt whole (depth {depth}, lo/dt = {shift})"
        ))
        .into());
    }
    // t_i + t_j = t_m with m = i + j + lo/dt.
    let shift = shift.round() as i64;
    let mut total = one.clone();
    for _ in 1..depth {
        let mut next = vec![0.0; len];
        for (i, &a) in total.values.iter().enumerate() {
            if a == 0.0 {
                continue;
            }
            for (j, &b) in one.values.iter().enumerate() {
                let m = i as i64 + j as i64 + shift;
                if (0..len as i64).contains(&m) {
                    next[m as usize] += a * b * dt;
                }
            }
        }
        total.values = next;
    }
    Ok(total)
}
// ANCHOR_END: density

// The statistic of the profiles below (and of the chapter's doctests).
pub use book_support::stats::mean_se;

/// `log10 √R_l` per layer over many networks: the mean and its standard
/// error at each layer `l = 1, …, L`, over the networks whose signal never
/// died; `dead` counts the others (some `R_l = 0`).
#[derive(Clone, Debug, PartialEq)]
pub struct LogProfile {
    pub mean: Vec<f64>,
    pub se: Vec<f64>,
    pub dead: usize,
}

/// The [`LogProfile`] of a set of [`Signal`]s of one depth. Empty vectors
/// for no signals. Errors: signals of different depths
/// ([`InitError::Depth`]).
pub fn log10_rms_profile(signals: &[Signal]) -> Result<LogProfile> {
    let depth = signals.first().map_or(0, |s| s.forward.len());
    if let Some(s) = signals.iter().find(|s| s.forward.len() != depth) {
        return Err(InitError::Depth {
            expected: depth,
            found: s.forward.len(),
        });
    }
    let alive: Vec<&Signal> = signals
        .iter()
        .filter(|s| s.forward.iter().all(|&r| r > 0.0))
        .collect();
    let (mut mean, mut se) = (Vec::with_capacity(depth), Vec::with_capacity(depth));
    for l in 0..depth {
        let logs: Vec<f64> = alive.iter().map(|s| s.forward[l].log10() / 2.0).collect();
        let (m, e) = mean_se(&logs);
        mean.push(m);
        se.push(e);
    }
    Ok(LogProfile {
        mean,
        se,
        dead: signals.len() - alive.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::{Mode, WeightDistribution};
    use book_support::seeded;
    use ch03_backprop::relu_log_ratio_moments;

    #[test]
    fn layer_moments_match_the_closed_forms() {
        for n in [1, 2, 7, 64, 1000] {
            let nf = n as f64;
            assert!((relu_layer_moment(n, 0) - 1.0).abs() < 1e-12);
            assert!((relu_layer_moment(n, 1) - 1.0).abs() < 1e-12, "{n}");
            assert!(
                (relu_layer_moment(n, 2) - (1.0 + 5.0 / nf)).abs() < 1e-12,
                "{n}"
            );
        }
        // Width 1: r = 2 z² 1(z > 0), so E r³ = 4 E z⁶ = 4 · 15.
        assert!((relu_layer_moment(1, 3) - 60.0).abs() < 1e-12);
        assert!(relu_layer_moment(0, 1).is_nan());
    }

    #[test]
    fn factors_of_the_three_modes() {
        let widths = [64, 32, 16];
        let relu = |mode| VarianceScaling::new(2.0, mode, WeightDistribution::Normal).unwrap();
        let (f, b) = relu_factors(&relu(Mode::FanIn), &widths).unwrap();
        assert_eq!((f, b), (vec![1.0, 1.0], vec![0.5, 0.5]));
        let (f, b) = relu_factors(&relu(Mode::FanOut), &widths).unwrap();
        assert_eq!((f, b), (vec![2.0, 2.0], vec![1.0, 1.0]));
        let (f, b) = relu_factors(&relu(Mode::FanAvg), &widths).unwrap();
        assert!((f[0] - 4.0 / 3.0).abs() < 1e-15 && (b[1] - 2.0 / 3.0).abs() < 1e-15);
        assert!(relu_factors(&relu(Mode::FanIn), &[3, 0]).is_err());
        let (f, _) = relu_factors(&relu(Mode::FanIn), &[3]).unwrap();
        assert!(f.is_empty());
        assert!(relu_ratio_moment(&f, &[3], 1).is_nan());
        assert!(relu_ratio_moment(&[1.0], &[3, 2, 2], 1).is_nan());
    }

    #[test]
    fn mean_squares_follow_the_layers() {
        let he = VarianceScaling::kaiming_normal(2f64.sqrt(), Mode::FanIn).unwrap();
        let net = he
            .network(
                &[5, 7, 3],
                Activation::Relu,
                Activation::Identity,
                &mut seeded(1),
            )
            .unwrap();
        let x = DMatrix::from_fn(5, 2, |i, j| i as f64 - j as f64);
        let mut ws = Workspace::new(&net, 2).unwrap();
        let m = mean_squares(&net, &x, &mut ws).unwrap();
        let x1 = (net.w(1) * &x).map(|t| t.max(0.0));
        let x2 = net.w(2) * &x1;
        assert!((m[0] - x.norm_squared() / 10.0).abs() < 1e-14);
        assert!((m[1] - x1.norm_squared() / 14.0).abs() < 1e-12);
        assert!((m[2] - x2.norm_squared() / 6.0).abs() < 1e-12);
        assert!(mean_squares(&net, &DMatrix::zeros(4, 1), &mut ws).is_err());
    }

    #[test]
    fn expected_ratios_hold_for_every_law_and_mode() {
        // E[R_L] is the product of the forward factors for any symmetric law
        // of the weights, and E[backward] the product of the backward ones.
        let widths = [24, 12, 6];
        for init in [
            VarianceScaling::he_uniform(),
            VarianceScaling::he_normal().with_mode(Mode::FanOut),
        ] {
            let (f, b) = relu_factors(&init, &widths).unwrap();
            let s = signals(&init, &widths, Activation::Relu, 4000, 11).unwrap();
            let fwd: Vec<f64> = s.iter().map(|s| s.forward[1]).collect();
            let bwd: Vec<f64> = s.iter().map(|s| s.backward).collect();
            let (mf, sf) = mean_se(&fwd);
            let (mb, sb) = mean_se(&bwd);
            let (ef, eb) = (f.iter().product::<f64>(), b.iter().product::<f64>());
            assert!((mf - ef).abs() < 4.0 * sf, "{init:?}: {mf} ± {sf} vs {ef}");
            assert!((mb - eb).abs() < 4.0 * sb, "{init:?}: {mb} ± {sb} vs {eb}");
        }
        assert!(
            signals(
                &VarianceScaling::he_normal(),
                &widths,
                Activation::Relu,
                0,
                1
            )
            .is_err()
        );
    }

    #[test]
    fn exact_log_density_has_the_exact_moments() {
        // ln r ranges far below zero (χ²_1 near zero) but barely above ln n.
        let (lo, dt, len) = (-40.0, 0.02, 2401);
        for (n, depth) in [(1, 1), (8, 1), (16, 3)] {
            let d = log_ratio_density(n, depth, lo, dt, len).unwrap();
            let (m, v) = relu_log_ratio_moments(n);
            let (m, v) = (m * depth as f64, v * depth as f64);
            let mass = d.integral(|_| 1.0);
            let mean = d.integral(|t| t);
            let var = d.integral(|t| (t - mean).powi(2));
            assert!((mass - 1.0).abs() < 1e-4, "{n}: mass {mass}");
            assert!((mean - m).abs() < 1e-3, "{n}: mean {mean} vs {m}");
            assert!((var - v).abs() < 2e-3, "{n}: var {var} vs {v}");
        }
        assert!(layer_log_density(0, lo, dt, len).is_err());
        assert!(layer_log_density(4, lo, 0.0, len).is_err());
        assert!(layer_log_density(4, f64::NAN, dt, len).is_err());
        assert!(log_ratio_density(4, 0, lo, dt, len).is_err());
        assert!(log_ratio_density(4, 2, -1.005, 0.01, len).is_err());
    }

    #[test]
    fn log_profile_averages_logs_and_counts_the_dead() {
        let s = |f: Vec<f64>| Signal {
            forward: f,
            backward: 1.0,
        };
        let p = log10_rms_profile(&[s(vec![100.0, 1e4]), s(vec![1.0, 1.0]), s(vec![0.0, 0.0])])
            .unwrap();
        assert_eq!(p.dead, 1);
        assert_eq!(p.mean, vec![0.5, 1.0]);
        assert_eq!(p.se, vec![0.5, 1.0]);
        assert!(log10_rms_profile(&[]).unwrap().mean.is_empty());
        // Signals of different depths are refused, not indexed out of bounds.
        let e = log10_rms_profile(&[s(vec![1.0, 1.0]), s(vec![1.0])]).unwrap_err();
        assert_eq!(
            e,
            InitError::Depth {
                expected: 2,
                found: 1
            }
        );
        assert!(e.to_string().contains("different depths"), "{e}");
    }
}
