//! The chapter's experiments, each run once and shared between the report
//! and the figures. The doctests of the chapter run the same computations
//! in the open.

use crate::init::{InitError, Mode, VarianceScaling};
use crate::signal::{Signal, relu_factors, signals};
use crate::training::{TrainSetup, train};
use book_support::Cache;
use ch03_backprop::Run;
use ch03_backprop::{Activation, relu_log_ratio_moments};
use std::error::Error;

/// He initialization as PyTorch's `kaiming_normal_(mode='fan_in',
/// nonlinearity='relu')`: `N(0, 2 / fan_in)`.
pub fn he() -> VarianceScaling {
    VarianceScaling::kaiming_normal(std::f64::consts::SQRT_2, Mode::FanIn)
        .expect("√2 is a valid gain")
}

/// LeCun initialization `N(0, 1 / fan_in)` (PyTorch's
/// `kaiming_normal_(nonlinearity='linear')`).
pub fn lecun() -> VarianceScaling {
    VarianceScaling::kaiming_normal(1.0, Mode::FanIn).expect("1 is a valid gain")
}

/// Glorot/Xavier initialization `N(0, 2 / (fan_in + fan_out))` (PyTorch's
/// `xavier_normal_(gain=1)`).
pub fn xavier() -> VarianceScaling {
    VarianceScaling::xavier_normal(1.0).expect("1 is a valid gain")
}

/// Glorot/Xavier with the ReLU gain `√2`: `N(0, 4 / (fan_in + fan_out))`
/// (PyTorch's `xavier_normal_(gain=calculate_gain('relu'))`).
pub fn xavier_relu() -> VarianceScaling {
    VarianceScaling::xavier_normal(std::f64::consts::SQRT_2).expect("√2 is a valid gain")
}

/// A variance half again as large as He's, `N(0, 3 / fan_in)`.
pub fn too_large() -> VarianceScaling {
    VarianceScaling::kaiming_normal(3f64.sqrt(), Mode::FanIn).expect("√3 is a valid gain")
}

/// Width, depth, numbers of networks and seeds of the forward experiment.
pub const FORWARD_WIDTH: usize = 32;
pub const FORWARD_DEPTH: usize = 4;
pub const FORWARD_NETS: usize = 4000;
pub const FORWARD_SEED: u64 = 1;
/// The narrow comparison of the histogram figure.
pub const NARROW_WIDTH: usize = 16;
/// The grid of the exact densities of `ln R`: `t = −40, −39.98, …, 10`.
pub const DENSITY_LO: f64 = -40.0;
pub const DENSITY_DT: f64 = 0.02;
pub const DENSITY_LEN: usize = 2501;

/// The forward experiment's signals for width `n`: He weights, ReLU on every
/// layer, [`FORWARD_DEPTH`] layers, [`FORWARD_NETS`] networks.
pub fn forward_signals(n: usize) -> Result<Vec<Signal>, Box<dyn Error>> {
    Ok(signals(
        &he(),
        &[n; FORWARD_DEPTH + 1],
        Activation::Relu,
        FORWARD_NETS,
        FORWARD_SEED,
    )?)
}

/// [`forward_signals`] at [`FORWARD_WIDTH`] and [`NARROW_WIDTH`], once.
pub fn histogram_signals() -> Result<Vec<Vec<Signal>>, Box<dyn Error>> {
    static CACHE: Cache<(), Vec<Vec<Signal>>> = Cache::new();
    CACHE.get_or_compute(&(), || {
        [FORWARD_WIDTH, NARROW_WIDTH]
            .iter()
            .map(|&n| forward_signals(n))
            .collect()
    })
}

/// Depth and number of networks of the deep experiment.
pub const DEEP_DEPTH: usize = 50;
pub const DEEP_NETS: usize = 40;
pub const DEEP_SEED: u64 = 2;

/// The widths of the deep experiment: `n_0 = 128`, then 32 and 128 in
/// turn, so that fan-in and fan-out differ in every layer.
pub fn deep_widths() -> Vec<usize> {
    (0..=DEEP_DEPTH)
        .map(|l| if l % 2 == 1 { 32 } else { 128 })
        .collect()
}

/// The initializers of the deep experiment, with labels (Xavier with the
/// ReLU gain last, so that the others keep their seeds).
pub fn deep_inits() -> Vec<(&'static str, VarianceScaling)> {
    vec![
        ("He, Var(w) = 2/fan_in", he()),
        ("LeCun, Var(w) = 1/fan_in", lecun()),
        ("Xavier, Var(w) = 2/(fan_in + fan_out)", xavier()),
        ("too large, Var(w) = 3/fan_in", too_large()),
        ("Xavier, gain √2: 4/(fan_in + fan_out)", xavier_relu()),
    ]
}

/// The deep experiment's signals, one list per initializer of
/// [`deep_inits`] (the `k`-th drawn from seed `DEEP_SEED + k`), once.
pub fn deep_signals() -> Result<Vec<Vec<Signal>>, Box<dyn Error>> {
    static CACHE: Cache<(), Vec<Vec<Signal>>> = Cache::new();
    CACHE.get_or_compute(&(), || {
        deep_inits()
            .iter()
            .enumerate()
            .map(|(k, (_, init))| {
                Ok(signals(
                    init,
                    &deep_widths(),
                    Activation::Relu,
                    DEEP_NETS,
                    DEEP_SEED + k as u64,
                )?)
            })
            .collect()
    })
}

// ANCHOR: typical
/// The exact typical size of the forward signal: `E[log10 √R_l]` for
/// `l = 1, …, L`, where `R_l = m_l / m_0`, for a ReLU network with Gaussian
/// weights drawn by `init` (conditioned on no layer being dead). Layer `l`
/// multiplies `ln R` by `ln c_l + ln r_l`, where `c_l` is its forward factor
/// and `r_l` the He layer ratio of width `n_l`, whose log-moments come from
/// chapter 3's exact layer law.
pub fn typical_log10_rms(init: &VarianceScaling, widths: &[usize]) -> Result<Vec<f64>, InitError> {
    let (forward, _) = relu_factors(init, widths)?;
    let mut ln_r = 0.0;
    Ok(forward
        .iter()
        .zip(&widths[1..])
        .map(|(c, &n)| {
            ln_r += c.ln() + relu_log_ratio_moments(n).0;
            ln_r / 2.0 / std::f64::consts::LN_10
        })
        .collect())
}
// ANCHOR_END: typical

/// The standard deviation of `log10 √R_l` under the exact layer law, for
/// `l = 1, …, L` (the factors `c_l` are constants and do not add to it).
pub fn sd_log10_rms(widths: &[usize]) -> Vec<f64> {
    let mut var = 0.0;
    widths[1..]
        .iter()
        .map(|&n| {
            var += relu_log_ratio_moments(n).1;
            var.sqrt() / 2.0 / std::f64::consts::LN_10
        })
        .collect()
}

/// The backward experiment: widths halving from 64 to 8, He weights with
/// fan-in and with fan-out scaling.
pub const TAPER: [usize; 4] = [64, 32, 16, 8];
pub const TAPER_NETS: usize = 2000;
pub const TAPER_SEED: u64 = 3;

/// The training runs of the chapter: He, LeCun and the too-large variance,
/// with [`TrainSetup::default`], once.
pub fn training_runs() -> Result<Vec<(&'static str, Run)>, Box<dyn Error>> {
    static CACHE: Cache<(), Vec<(&'static str, Run)>> = Cache::new();
    CACHE.get_or_compute(&(), || {
        let setup = TrainSetup::default();
        Ok(vec![
            ("He, Var(w) = 2/fan_in", train(&setup, &he())?),
            ("LeCun, Var(w) = 1/fan_in", train(&setup, &lecun())?),
            ("too large, Var(w) = 3/fan_in", train(&setup, &too_large())?),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_profile_is_the_sum_of_layer_laws() {
        let widths = [16, 16, 16];
        let t = typical_log10_rms(&he(), &widths).unwrap();
        let mu = relu_log_ratio_moments(16).0;
        assert!((t[1] - mu / std::f64::consts::LN_10).abs() < 1e-15);
        let t2 = typical_log10_rms(&lecun(), &widths).unwrap();
        assert!((t2[1] - t[1] - 0.5f64.log10()).abs() < 1e-14);
        let sd = sd_log10_rms(&widths);
        assert!((sd[1] / sd[0] - 2f64.sqrt()).abs() < 1e-14);
        assert!(typical_log10_rms(&he(), &[4, 0]).is_err());
        let w = deep_widths();
        assert_eq!((w.len(), w[0], w[1], w[2]), (DEEP_DEPTH + 1, 128, 32, 128));
    }
}
