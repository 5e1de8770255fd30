//! The capacity of the Hopfield network: the signal-to-noise argument,
//! exactly at finite `N` and asymptotically, against simulation; and
//! retrieval as the load grows.

use crate::error::{Error, Result};
use crate::hopfield::Hopfield;
use crate::patterns::{Patterns, overlap};
use book_support::stats::mean_se;
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal};

// ANCHOR: unstable
/// The probability that one stored bit is unstable (its field points the
/// wrong way) in a network of `n` neurons storing `p` random patterns,
/// exactly. With zero diagonal, `N ξ_i^μ h_i = (N − 1) + S`, where `S`
/// sums `M = (P − 1)(N − 1)` independent fair signs (the crosstalk of the
/// other patterns), so the bit flips when `S ≤ −N`, that is when a
/// `Binomial(M, 1/2)` count is at most `(M − N)/2`. Errors: `n < 2` or
/// `p = 0`.
pub fn unstable_exact(n: usize, p: usize) -> Result<f64> {
    if n < 2 || p == 0 {
        return Err(Error::Empty(format!("{p} patterns of N = {n} neurons")));
    }
    let m = (p - 1) as u64 * (n - 1) as u64;
    if m < n as u64 {
        return Ok(0.0);
    }
    let k = (m - n as u64) / 2;
    let binomial = Binomial::new(0.5, m).map_err(|e| Error::Argument(e.to_string()))?;
    Ok(binomial.cdf(k))
}

/// The large-`N` limit at load `α = P/N`: the crosstalk is Gaussian with
/// variance `α`, and the bit flips when it is below −1, with probability
/// `Φ(−1/√α)`. Errors: `α ≤ 0` or not finite.
pub fn unstable_asymptotic(alpha: f64) -> Result<f64> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::Argument(format!(
            "a load α = {alpha} must be positive"
        )));
    }
    let normal = Normal::standard();
    Ok(normal.cdf(-1.0 / alpha.sqrt()))
}
// ANCHOR_END: unstable

/// The fraction of the `N P` stored bits that are unstable in one random
/// network.
pub fn unstable_fraction(patterns: &Patterns) -> f64 {
    let net = Hopfield::hebbian(patterns);
    let mut unstable = 0usize;
    for xi in patterns.iter() {
        for i in 0..patterns.n() {
            unstable += usize::from(i64::from(xi[i]) * net.field(xi, i) < 0);
        }
    }
    unstable as f64 / (patterns.n() * patterns.len()) as f64
}

/// Mean and standard error over `networks` random networks (network `k`
/// from `seed + k`) of the unstable fraction. Errors: fewer than two
/// networks, or bad sizes.
pub fn simulate_unstable(n: usize, p: usize, networks: usize, seed: u64) -> Result<(f64, f64)> {
    if networks < 2 {
        return Err(Error::Argument("at least two networks".into()));
    }
    let seeds: Vec<u64> = (0..networks as u64).map(|k| seed + k).collect();
    let fractions = book_support::parallel::map(&seeds, |&s| {
        Ok(unstable_fraction(&Patterns::random(
            n,
            p,
            &mut book_support::seeded(s),
        )?))
    })
    .into_iter()
    .collect::<Result<Vec<f64>>>()?;
    Ok(mean_se(&fractions))
}

/// Retrieval at load `P/N`: the final overlap with pattern 0 of a recall
/// started from pattern 0 itself, mean and standard error over `networks`
/// random networks. Errors: bad sizes.
pub fn retrieval_overlap(n: usize, p: usize, networks: usize, seed: u64) -> Result<(f64, f64)> {
    if networks < 2 {
        return Err(Error::Argument("at least two networks".into()));
    }
    let seeds: Vec<u64> = (0..networks as u64).map(|k| seed + k).collect();
    let overlaps = book_support::parallel::map(&seeds, |&s| {
        let mut rng = book_support::seeded(s);
        let patterns = Patterns::random(n, p, &mut rng)?;
        let net = Hopfield::hebbian(&patterns);
        let recall = net.recall(patterns.get(0), 100, &mut rng, |_, _, _| {})?;
        Ok(overlap(&recall.state, patterns.get(0)))
    })
    .into_iter()
    .collect::<Result<Vec<f64>>>()?;
    Ok(mean_se(&overlaps))
}
