//! The backward signal as a product of random factors: the scalar model
//! with light- and heavy-tailed gains, dead ReLU layers as a catastrophic
//! factor of zero, and the log-normal spread of gradients in deep ReLU
//! networks.

use crate::engine::{Activation, EngineError, Loss, Mlp, Workspace, normal};
use book_support::stats::mean_se;
use nalgebra::DMatrix;
use statrs::distribution::{Cauchy, ContinuousCDF, Normal};
use statrs::function::gamma::digamma;

type Result<T> = std::result::Result<T, EngineError>;

/// The Euler–Mascheroni constant γ.
pub const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

// ANCHOR: gain
/// The law of one layer's gain `ξ > 0` in the scalar model of the backward
/// signal, `‖δ_0‖ = ‖δ_L‖ Π_l ξ_l`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gain {
    /// `ξ = |Z|`, `Z ~ N(0, 1)`: a light (Gaussian) tail.
    HalfNormal,
    /// `ξ = |C|`, `C ~ Cauchy(0, scale)`: a heavy tail, `P(ξ > c) ≈ 2 scale / (π c)`.
    HalfCauchy { scale: f64 },
}
// ANCHOR_END: gain

impl Gain {
    /// A half-Cauchy gain with the same median as the half-normal one,
    /// `Φ⁻¹(3/4) ≈ 0.674`.
    pub fn heavy_matched() -> Self {
        Gain::HalfCauchy {
            scale: Gain::HalfNormal.median(),
        }
    }

    /// The median of ξ.
    pub fn median(&self) -> f64 {
        match *self {
            Gain::HalfNormal => Normal::standard().inverse_cdf(0.75),
            Gain::HalfCauchy { scale } => scale,
        }
    }

    /// `P(ξ > c)`, from statrs' survival functions (the normal one through
    /// `erfc`, accurate to about `1e-10` relative in the far tail). Domain:
    /// `c ≥ 0`; NaN otherwise or for an invalid scale.
    pub fn tail(&self, c: f64) -> f64 {
        if c.is_nan() || c < 0.0 {
            return f64::NAN;
        }
        match *self {
            Gain::HalfNormal => 2.0 * Normal::standard().sf(c),
            Gain::HalfCauchy { scale } => match Cauchy::new(0.0, scale) {
                Ok(d) => 2.0 * d.sf(c),
                Err(_) => f64::NAN,
            },
        }
    }

    /// `ln P(ξ > c)`, finite even where `P(ξ > c)` underflows. For the
    /// half-normal beyond the range of `f64` it uses the asymptotic
    /// (Mills-ratio) series `P(|Z| > c) ≈ 2 φ(c)/c · (1 − 1/c² + 3/c⁴)`,
    /// whose error is below the first omitted term, `15/c⁶` relative.
    /// Domain as for [`Gain::tail`].
    pub fn ln_tail(&self, c: f64) -> f64 {
        let p = self.tail(c);
        if p.is_nan() || p >= f64::MIN_POSITIVE || !matches!(self, Gain::HalfNormal) {
            return p.ln();
        }
        mills_ln_tail(c)
    }

    /// `E[ln ξ]`: `−(γ + ln 2)/2` for the half-normal, `ln(scale)` for the
    /// half-Cauchy.
    pub fn log_mean(&self) -> f64 {
        match *self {
            Gain::HalfNormal => -(EULER_GAMMA + std::f64::consts::LN_2) / 2.0,
            Gain::HalfCauchy { scale } => scale.ln(),
        }
    }

    /// `Var[ln ξ]`: `π²/8` for the half-normal, `π²/4` for the half-Cauchy.
    pub fn log_var(&self) -> f64 {
        let pi2 = std::f64::consts::PI.powi(2);
        match self {
            Gain::HalfNormal => pi2 / 8.0,
            Gain::HalfCauchy { .. } => pi2 / 4.0,
        }
    }

    /// `E[ξ]`: `√(2/π)` for the half-normal, `+inf` for the half-Cauchy.
    pub fn mean(&self) -> f64 {
        match self {
            Gain::HalfNormal => (2.0 / std::f64::consts::PI).sqrt(),
            Gain::HalfCauchy { .. } => f64::INFINITY,
        }
    }

    /// One draw of ξ, sampled through statrs' distributions.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        use rand::distr::Distribution;
        match *self {
            Gain::HalfNormal => Normal::standard().sample(rng).abs(),
            Gain::HalfCauchy { scale } => {
                Cauchy::new(0.0, scale).map_or(f64::NAN, |d| d.sample(rng).abs())
            }
        }
    }

    /// The probability that at least one of `depth` independent gains
    /// exceeds `c`: `1 − (1 − P(ξ > c))^depth`, computed without
    /// cancellation.
    pub fn any_exceeds(&self, c: f64, depth: usize) -> f64 {
        -(depth as f64 * (-self.tail(c)).ln_1p()).exp_m1()
    }
}

/// The Mills-ratio series for `ln P(|Z| > c)`, `c` large.
fn mills_ln_tail(c: f64) -> f64 {
    std::f64::consts::LN_2 - c * c / 2.0 - 0.5 * (2.0 * std::f64::consts::PI).ln() - c.ln()
        + (1.0 - 1.0 / (c * c) + 3.0 / c.powi(4)).ln()
}

/// What a simulation of many products `Π_{l=1}^{L} ξ_l` found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProductStats {
    /// Mean of `ln Π ξ_l`, divided by `L`, and its standard error.
    pub log_mean_per_layer: (f64, f64),
    /// Variance of `ln Π ξ_l`, divided by `L`, and its standard error
    /// (`√((m₄ − s⁴)/m)`, from the sample fourth central moment).
    pub log_var_per_layer: (f64, f64),
    /// Fraction of products with at least one factor above the threshold,
    /// and its standard error `√(p(1−p)/m)`.
    pub catastrophic: (f64, f64),
}

/// Simulates `samples` products of `depth` gains drawn from `gain` (seeded
/// with `seed`), counting those with a factor above `threshold`. Errors:
/// `depth == 0` or `samples < 2`.
pub fn simulate_products(
    gain: Gain,
    depth: usize,
    samples: usize,
    threshold: f64,
    seed: u64,
) -> Result<ProductStats> {
    if depth == 0 || samples < 2 {
        return Err(EngineError::Argument(format!(
            "need depth ≥ 1 and at least two samples, got {depth} and {samples}"
        )));
    }
    let mut rng = book_support::seeded(seed);
    let mut logs = Vec::with_capacity(samples);
    let mut hits = 0usize;
    for _ in 0..samples {
        let mut log = 0.0;
        let mut hit = false;
        for _ in 0..depth {
            let xi = gain.sample(&mut rng);
            hit |= xi > threshold;
            log += xi.ln();
        }
        hits += usize::from(hit);
        logs.push(log);
    }
    let m = samples as f64;
    let l = depth as f64;
    let (mean, se_mean) = mean_se(&logs);
    let var = logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
    let m4 = logs.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / m;
    let se_var = ((m4 - var * var).max(0.0) / m).sqrt();
    let p = hits as f64 / m;
    Ok(ProductStats {
        log_mean_per_layer: (mean / l, se_mean / l),
        log_var_per_layer: (var / l, se_var / l),
        catastrophic: (p, (p * (1.0 - p) / m).sqrt()),
    })
}

/// Products of gains watched at several depths at once: chain `k` draws
/// `ξ_{k,1}, ξ_{k,2}, …` up to the largest depth and records, at every
/// depth `L` of the list, `ln Π_{l ≤ L} ξ_{k,l}` and the largest gain so
/// far, `max_{l ≤ L} ξ_{k,l}`. (The depths share their chains, so
/// estimates at different depths are correlated; each one alone is a fair
/// estimate with the standard error given.)
#[derive(Clone, Debug, PartialEq)]
pub struct Chains {
    /// The depths, increasing.
    pub depths: Vec<usize>,
    /// `logs[i][k]`: `ln Π ξ` of chain `k` at depth `depths[i]`.
    pub logs: Vec<Vec<f64>>,
    /// `maxima[i][k]`: the largest gain of chain `k` up to depth `depths[i]`.
    pub maxima: Vec<Vec<f64>>,
}

impl Chains {
    /// Simulates `chains` chains of gains drawn from `gain` (seeded with
    /// `seed`) and watches them at `depths`. Errors: no depths, a depth of
    /// zero, depths not increasing, or fewer than two chains.
    pub fn simulate(gain: Gain, depths: &[usize], chains: usize, seed: u64) -> Result<Self> {
        let increasing = depths.windows(2).all(|w| w[0] < w[1]);
        if depths.is_empty() || depths[0] == 0 || !increasing || chains < 2 {
            return Err(EngineError::Argument(format!(
                "need increasing positive depths and at least two chains, got {depths:?} and {chains}"
            )));
        }
        let mut rng = book_support::seeded(seed);
        let mut logs = vec![Vec::with_capacity(chains); depths.len()];
        let mut maxima = logs.clone();
        for _ in 0..chains {
            let (mut log, mut max, mut next) = (0.0, 0.0f64, 0);
            for l in 1..=depths[depths.len() - 1] {
                let xi = gain.sample(&mut rng);
                log += xi.ln();
                max = max.max(xi);
                if l == depths[next] {
                    logs[next].push(log);
                    maxima[next].push(max);
                    next += 1;
                }
            }
        }
        Ok(Chains {
            depths: depths.to_vec(),
            logs,
            maxima,
        })
    }

    /// The values of `ln Π ξ` at `depth`, if it is one of the watched depths.
    pub fn logs_at(&self, depth: usize) -> Option<&[f64]> {
        self.index(depth).map(|i| self.logs[i].as_slice())
    }

    /// The fraction of chains with a gain above `c` among their first
    /// `depth` layers, with its standard error `√(p(1−p)/m)`; NaN unless
    /// `depth` is one of the watched depths.
    pub fn catastrophic(&self, depth: usize, c: f64) -> (f64, f64) {
        let Some(i) = self.index(depth) else {
            return (f64::NAN, f64::NAN);
        };
        let m = self.maxima[i].len() as f64;
        let p = self.maxima[i].iter().filter(|&&v| v > c).count() as f64 / m;
        (p, (p * (1.0 - p) / m).sqrt())
    }

    fn index(&self, depth: usize) -> Option<usize> {
        self.depths.iter().position(|&d| d == depth)
    }
}

/// The smallest depth `L` at which `1 − (1 − p)^L ≥ target`: the depth from
/// which a catastrophic factor of probability `p` per layer is at least
/// that likely. Domain: `0 < p ≤ 1` and `0 < target < 1`; `None` outside it
/// or when the depth would not fit in a `usize`.
pub fn depth_for_probability(p: f64, target: f64) -> Option<usize> {
    if !(p > 0.0 && p <= 1.0 && target > 0.0 && target < 1.0) {
        return None;
    }
    // (1 − p)^L ≤ 1 − target  ⟺  L ≥ ln(1 − target) / ln(1 − p).
    let exact = (-target).ln_1p() / (-p).ln_1p();
    let mut l = exact.ceil().max(1.0);
    if l >= usize::MAX as f64 {
        return None;
    }
    // The quotient may be off by rounding: settle the boundary exactly
    // (a step or two at most; beyond 2^53 an f64 no longer tells L from
    // L ± 1, and the estimate is returned as it is).
    let reaches = |l: f64| -(l * (-p).ln_1p()).exp_m1() >= target;
    for _ in 0..4 {
        if l > 1.0 && reaches(l - 1.0) {
            l -= 1.0;
        } else if !reaches(l) {
            l += 1.0;
        }
    }
    Some(l as usize)
}

// ANCHOR: dead
/// The probability that a ReLU network of `depth` layers of width `width`,
/// with zero biases and weights from any distribution symmetric about zero
/// with a density, has a layer with every unit inactive for a given input
/// `x_0 ≠ 0`. Each layer, given a nonzero input, is dead with probability
/// `2^{-n}` independently, so the answer is `1 − (1 − 2^{-n})^L`. A dead
/// layer makes every gradient below it exactly zero.
pub fn dead_network_probability(width: usize, depth: usize) -> f64 {
    let p = 0.5f64.powi(width.min(i32::MAX as usize) as i32);
    -(depth as f64 * (-p).ln_1p()).exp_m1()
}
// ANCHOR_END: dead

/// Draws `networks` ReLU networks (`depth` layers of width `width`, He
/// weights `N(0, 2/n)`, zero biases), each with its own input and top
/// direction, and returns the fraction whose first-layer weight gradient
/// is exactly zero, with its standard error. Errors: a zero width, depth
/// or count.
pub fn dead_gradient_fraction(
    width: usize,
    depth: usize,
    networks: usize,
    seed: u64,
) -> Result<(f64, f64)> {
    if networks == 0 {
        return Err(EngineError::Argument("need at least one network".into()));
    }
    let mut rng = book_support::seeded(seed);
    let mut dead = 0usize;
    for _ in 0..networks {
        let (net, x, u) = he_relu_draw(width, depth, &mut rng)?;
        let (_, grads) = net.gradient(&x, &u, Loss::Linear)?;
        dead += usize::from(net.w_of(&grads, 1).iter().all(|&g| g == 0.0));
    }
    let p = dead as f64 / networks as f64;
    Ok((p, (p * (1.0 - p) / networks as f64).sqrt()))
}

/// The trigamma function `ψ₁(x) = d²/dx² ln Γ(x)` for `x > 0`, by the
/// recurrence `ψ₁(x) = ψ₁(x + 1) + 1/x²` up to `x ≥ 20` and the asymptotic
/// series there (relative error below `1e-14`). NaN for `x ≤ 0` or NaN.
pub fn trigamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let (mut x, mut acc) = (x, 0.0);
    while x < 20.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let (x2, inv) = (x * x, 1.0 / x);
    let inv2 = inv * inv;
    acc + inv
        + inv2 / 2.0
        + inv / x2 * (1.0 / 6.0 - inv2 * (1.0 / 30.0 - inv2 * (1.0 / 42.0 - inv2 / 30.0)))
}

// ANCHOR: relu_layer_law
/// Mean and variance of `ln r` for one ReLU layer of width `n` with He
/// weights, where `r = ‖x_l‖²/‖x_{l-1}‖²`, conditioned on the layer not
/// being dead. Given its input, `r = (2/n) χ²_K` with `K ~ Bin(n, 1/2)`
/// active units, and `ln χ²_k` has mean `ψ(k/2) + ln 2` and variance
/// `ψ₁(k/2)`; the law of total variance combines them over `K ≥ 1`.
/// Returns NaN for `n = 0`.
pub fn relu_log_ratio_moments(n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    // P(K = k) for k = 0..=n, built in log space to stay finite for large n.
    let ln_choose = |k: usize| statrs::function::factorial::ln_binomial(n as u64, k as u64);
    let alive = 1.0 - 0.5f64.powi(n.min(1074) as i32); // P(K ≥ 1)
    let (mut m1, mut m2, mut inner) = (0.0, 0.0, 0.0);
    for k in 1..=n {
        let pk = (ln_choose(k) - nf * std::f64::consts::LN_2).exp() / alive;
        let mean_k = digamma(k as f64 / 2.0) + std::f64::consts::LN_2 + (2.0 / nf).ln();
        m1 += pk * mean_k;
        m2 += pk * mean_k * mean_k;
        inner += pk * trigamma(k as f64 / 2.0);
    }
    (m1, inner + m2 - m1 * m1)
}
// ANCHOR_END: relu_layer_law

/// The exact layer law's probability that a ReLU network of `depth` layers
/// of width `n` with He weights, every layer alive, shrinks the squared
/// gradient: `P(Σ_l ln r_l < 0)` for independent `r_l = (2/n) χ²_{K_l}`,
/// `K_l ~ Bin(n, 1/2)` conditioned on `K_l ≥ 1`. The law has no closed
/// form for this tail, so it is sampled (the law itself, no network is
/// built) `draws` times; returns the fraction and its standard error.
/// Errors: a zero width, depth or count.
pub fn relu_shrink_probability(
    n: usize,
    depth: usize,
    draws: usize,
    seed: u64,
) -> Result<(f64, f64)> {
    use rand_distr::{Binomial, ChiSquared, Distribution};
    if n == 0 || depth == 0 || draws == 0 {
        return Err(EngineError::Argument(
            "need a positive width, depth and number of draws".into(),
        ));
    }
    let bad = |e: String| EngineError::Argument(e);
    let alive = Binomial::new(n as u64, 0.5).map_err(|e| bad(e.to_string()))?;
    let chi2: Vec<ChiSquared<f64>> = (1..=n)
        .map(|k| ChiSquared::new(k as f64).map_err(|e| bad(e.to_string())))
        .collect::<Result<_>>()?;
    let mut rng = book_support::seeded(seed);
    let mut shrunk = 0usize;
    for _ in 0..draws {
        let mut log_ratio = 0.0;
        for _ in 0..depth {
            let k = loop {
                let k = alive.sample(&mut rng) as usize;
                if k > 0 {
                    break k;
                }
            };
            log_ratio += (2.0 / n as f64 * chi2[k - 1].sample(&mut rng)).ln();
        }
        shrunk += usize::from(log_ratio < 0.0);
    }
    let p = shrunk as f64 / draws as f64;
    Ok((p, (p * (1.0 - p) / draws as f64).sqrt()))
}

/// Draws `networks` ReLU networks (as in [`dead_gradient_fraction`]) and
/// returns the values `ln(‖∂ℓ/∂x_0‖² / ‖u‖²)` for those whose gradient did
/// not die, where `u = ∂ℓ/∂x_L` is the random top direction. Errors: a
/// zero width, depth or count.
pub fn relu_log_gradient_ratios(
    width: usize,
    depth: usize,
    networks: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    if networks == 0 {
        return Err(EngineError::Argument("need at least one network".into()));
    }
    let mut rng = book_support::seeded(seed);
    let mut out = Vec::with_capacity(networks);
    for _ in 0..networks {
        let (net, x, u) = he_relu_draw(width, depth, &mut rng)?;
        let mut ws = Workspace::new(&net, 1)?.with_input_gradient();
        net.loss_and_gradient(&x, &u, Loss::Linear, &mut ws)?;
        let g0 = ws.activation_gradient(0).map_or(0.0, |g| g.norm_squared());
        if g0 > 0.0 {
            out.push((g0 / u.norm_squared()).ln());
        }
    }
    Ok(out)
}

/// One random He-initialized ReLU network of `depth` layers of `width`
/// units, a Gaussian input `x` and a Gaussian upstream gradient `u`.
fn he_relu_draw(
    width: usize,
    depth: usize,
    rng: &mut impl book_support::rand::Rng,
) -> Result<(Mlp, DMatrix<f64>, DMatrix<f64>)> {
    let net = Mlp::gaussian(
        &vec![width; depth + 1],
        Activation::Relu,
        Activation::Relu,
        2.0,
        0.0,
        rng,
    )?;
    let x = DMatrix::from_fn(width, 1, |_, _| normal(rng));
    let u = DMatrix::from_fn(width, 1, |_, _| normal(rng));
    Ok((net, x, u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_known_values() {
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-14);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-13);
        assert!(
            (trigamma(25.0) - (pi2 / 6.0 - (1..25).map(|k| 1.0 / (k * k) as f64).sum::<f64>()))
                .abs()
                < 1e-14
        );
        assert!(trigamma(0.0).is_nan() && trigamma(-1.0).is_nan() && trigamma(f64::NAN).is_nan());
    }

    #[test]
    fn shrink_probability_of_one_layer_is_exact() {
        // One layer: P((2/n) χ²_K < 1) = Σ_k P(K = k | K ≥ 1) F_{χ²_k}(n/2).
        use statrs::distribution::{Binomial, ChiSquared, Discrete};
        let n = 8;
        let law = Binomial::new(0.5, n as u64).unwrap();
        let alive = 1.0 - law.pmf(0);
        let exact: f64 = (1..=n)
            .map(|k| {
                law.pmf(k as u64) / alive * ChiSquared::new(k as f64).unwrap().cdf(n as f64 / 2.0)
            })
            .sum();
        let (p, se) = relu_shrink_probability(n, 1, 100_000, 5).unwrap();
        assert!((p - exact).abs() < 4.0 * se, "{p} ± {se} vs {exact}");
        assert!(relu_shrink_probability(0, 1, 1, 1).is_err());
        assert!(relu_shrink_probability(4, 0, 1, 1).is_err());
        assert!(relu_shrink_probability(4, 1, 0, 1).is_err());
    }

    #[test]
    fn series_tail_agrees_with_statrs_where_both_exist() {
        // Where the tail is representable, the series must match statrs'
        // erfc within the series' own error bound (15/c⁶ relative) plus
        // erfc's (about 1e-10 relative).
        for c in [10.0, 20.0, 30.0] {
            let gap = (mills_ln_tail(c) - Gain::HalfNormal.tail(c).ln()).abs();
            assert!(gap < 15.0 / c.powi(6) + 1e-9, "c = {c}: {gap}");
        }
        let far = Gain::HalfNormal.ln_tail(100.0);
        assert!(far.is_finite() && far < -5000.0);
        assert_eq!(
            Gain::HalfNormal.ln_tail(1.0),
            Gain::HalfNormal.tail(1.0).ln()
        );
        assert!(Gain::HalfNormal.ln_tail(-1.0).is_nan());
    }

    #[test]
    fn gain_laws() {
        let light = Gain::HalfNormal;
        let heavy = Gain::heavy_matched();
        assert!((light.median() - 0.674_489_750_196_081_7).abs() < 1e-9);
        assert_eq!(heavy.median(), light.median());
        assert!((light.tail(light.median()) - 0.5).abs() < 1e-9);
        assert!((heavy.tail(heavy.median()) - 0.5).abs() < 1e-12);
        assert!(light.tail(-1.0).is_nan() && heavy.tail(f64::NAN).is_nan());
        assert!(Gain::HalfCauchy { scale: -1.0 }.tail(1.0).is_nan());
        assert!(
            Gain::HalfCauchy { scale: 0.0 }
                .sample(&mut book_support::seeded(1))
                .is_nan()
        );
        assert_eq!(heavy.mean(), f64::INFINITY);
        assert_eq!(light.any_exceeds(1.0, 0), 0.0);
        assert!((light.any_exceeds(1.0, 1) - light.tail(1.0)).abs() < 1e-15);
    }

    #[test]
    fn simulated_log_moments_match_exact_ones() {
        for gain in [Gain::HalfNormal, Gain::heavy_matched()] {
            let s = simulate_products(gain, 10, 20_000, 100.0, 3).unwrap();
            let (m, se) = s.log_mean_per_layer;
            assert!((m - gain.log_mean()).abs() < 4.0 * se, "{gain:?} {m} {se}");
            let (v, se) = s.log_var_per_layer;
            assert!((v - gain.log_var()).abs() < 4.0 * se, "{gain:?} {v} {se}");
            let (p, se) = s.catastrophic;
            assert!(
                (p - gain.any_exceeds(100.0, 10)).abs() < 4.0 * se.max(1e-3),
                "{gain:?} {p} {se}"
            );
        }
        assert!(simulate_products(Gain::HalfNormal, 0, 10, 1.0, 1).is_err());
        assert!(simulate_products(Gain::HalfNormal, 3, 1, 1.0, 1).is_err());
    }

    #[test]
    fn dead_probability() {
        assert_eq!(dead_network_probability(1, 1), 0.5);
        assert_eq!(dead_network_probability(3, 0), 0.0);
        assert!(
            (dead_network_probability(4, 20) - (1.0 - (15.0f64 / 16.0).powi(20))).abs() < 1e-15
        );
        assert!(dead_network_probability(2000, 10) == 0.0);
        let (p, se) = dead_gradient_fraction(2, 3, 4000, 8).unwrap();
        assert!(
            (p - dead_network_probability(2, 3)).abs() < 4.0 * se,
            "{p} ± {se}"
        );
        assert!(dead_gradient_fraction(2, 3, 0, 8).is_err());
        assert!(dead_gradient_fraction(0, 3, 5, 8).is_err());
    }

    #[test]
    fn relu_layer_law_limits() {
        // Width 1: r = 2 z² given z > 0, so ln r = ln 2 + ln χ²₁.
        let (m, v) = relu_log_ratio_moments(1);
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((m - (2.0 * std::f64::consts::LN_2 + digamma(0.5))).abs() < 1e-12);
        assert!((v - pi2 / 2.0).abs() < 1e-12);
        // Wide layers: variance ≈ 5/n and mean ≈ −5/(2n).
        let (m, v) = relu_log_ratio_moments(4000);
        assert!((v * 4000.0 - 5.0).abs() < 0.05, "{v}");
        assert!((m * 4000.0 + 2.5).abs() < 0.05, "{m}");
        assert!(relu_log_ratio_moments(0).0.is_nan());
        assert!(relu_log_gradient_ratios(3, 2, 0, 1).is_err());
    }

    #[test]
    fn chains_agree_with_the_exact_laws_at_every_depth() {
        for gain in [Gain::HalfNormal, Gain::heavy_matched()] {
            let c = Chains::simulate(gain, &[3, 10, 40], 8000, 4).unwrap();
            for (i, &d) in c.depths.iter().enumerate() {
                let (m, se) = mean_se(&c.logs[i]);
                let exact = d as f64 * gain.log_mean();
                assert!(
                    (m - exact).abs() < 4.0 * se,
                    "{gain:?} depth {d}: {m} vs {exact}"
                );
                for threshold in [2.0, 5.0] {
                    let (p, se) = c.catastrophic(d, threshold);
                    let exact = gain.any_exceeds(threshold, d);
                    assert!(
                        (p - exact).abs() <= 4.0 * se.max(1e-3),
                        "{gain:?} depth {d}, c {threshold}: {p} vs {exact}"
                    );
                }
            }
            assert_eq!(c.logs_at(10), Some(c.logs[1].as_slice()));
            assert!(c.logs_at(11).is_none() && c.catastrophic(11, 1.0).0.is_nan());
            assert_eq!(c.catastrophic(3, f64::INFINITY).0, 0.0);
        }
        for bad in [&[][..], &[0, 3], &[5, 5], &[6, 2]] {
            assert!(
                Chains::simulate(Gain::HalfNormal, bad, 10, 1).is_err(),
                "{bad:?}"
            );
        }
        assert!(Chains::simulate(Gain::HalfNormal, &[2], 1, 1).is_err());
    }

    #[test]
    fn depth_for_probability_is_the_exact_boundary() {
        for (p, target) in [
            (0.5, 0.5),
            (0.0042939, 0.5),
            (1.0 / 256.0, 0.5),
            (0.1, 0.99),
            (1e-9, 0.01),
        ] {
            let l = depth_for_probability(p, target).unwrap();
            let at = |l: usize| -(l as f64 * (-p).ln_1p()).exp_m1();
            assert!(
                at(l) >= target - 1e-12 && (l == 1 || at(l - 1) < target + 1e-12),
                "{p} {target} {l}"
            );
        }
        assert_eq!(depth_for_probability(0.5, 0.5), Some(1));
        assert_eq!(depth_for_probability(1.0, 0.9), Some(1));
        for (p, t) in [
            (0.0, 0.5),
            (-0.1, 0.5),
            (1.5, 0.5),
            (f64::NAN, 0.5),
            (0.1, 0.0),
            (0.1, 1.0),
            (0.1, f64::NAN),
        ] {
            assert_eq!(depth_for_probability(p, t), None, "{p} {t}");
        }
        assert_eq!(depth_for_probability(1e-300, 0.5), None);
    }
}
