//! Binary patterns: the memories of a Hopfield network.

use crate::error::{Error, Result};
use rand::{Rng, RngExt};

/// `P` patterns of `N` entries `±1`, checked on the way in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patterns {
    n: usize,
    rows: Vec<Vec<i8>>,
}

impl Patterns {
    /// Patterns from numbers. Errors: no patterns, `N = 0`, patterns of
    /// different lengths, an entry other than `+1` or `−1` (NaN included).
    pub fn new(patterns: &[Vec<f64>]) -> Result<Self> {
        let first = patterns
            .first()
            .ok_or_else(|| Error::Empty("no patterns".into()))?;
        if first.is_empty() {
            return Err(Error::Empty("patterns of N = 0 neurons".into()));
        }
        let mut rows = Vec::with_capacity(patterns.len());
        for (mu, p) in patterns.iter().enumerate() {
            if p.len() != first.len() {
                return Err(Error::Lengths {
                    pattern: mu,
                    len: p.len(),
                    expected: first.len(),
                });
            }
            let row = p
                .iter()
                .enumerate()
                .map(|(i, &v)| match v {
                    1.0 => Ok(1),
                    -1.0 => Ok(-1),
                    value => Err(Error::NotBinary {
                        pattern: mu,
                        entry: i,
                        value,
                    }),
                })
                .collect::<Result<Vec<i8>>>()?;
            rows.push(row);
        }
        Ok(Patterns {
            n: first.len(),
            rows,
        })
    }

    /// `p` patterns of `n` independent fair signs. Errors: `n = 0` or `p = 0`.
    pub fn random<R: Rng + ?Sized>(n: usize, p: usize, rng: &mut R) -> Result<Self> {
        if n == 0 || p == 0 {
            return Err(Error::Empty(format!("{p} patterns of N = {n} neurons")));
        }
        let rows = (0..p)
            .map(|_| {
                (0..n)
                    .map(|_| if rng.random::<bool>() { 1 } else { -1 })
                    .collect()
            })
            .collect();
        Ok(Patterns { n, rows })
    }

    /// The number of neurons `N`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The number of patterns `P`.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none (never, once built).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Pattern `μ`.
    pub fn get(&self, mu: usize) -> &[i8] {
        &self.rows[mu]
    }

    /// Every pattern.
    pub fn iter(&self) -> impl Iterator<Item = &[i8]> {
        self.rows.iter().map(Vec::as_slice)
    }
}

/// A copy of `s` with `flips` entries, chosen uniformly without
/// replacement, flipped. Errors: more flips than entries.
pub fn corrupt<R: Rng + ?Sized>(s: &[i8], flips: usize, rng: &mut R) -> Result<Vec<i8>> {
    if flips > s.len() {
        return Err(Error::Argument(format!(
            "{flips} flips in a pattern of {}",
            s.len()
        )));
    }
    let mut out = s.to_vec();
    for i in rand::seq::index::sample(rng, s.len(), flips) {
        out[i] = -out[i];
    }
    Ok(out)
}

/// The overlap `m = (1/N) Σ_i ξ_i s_i` of two states (1 when equal, −1
/// when opposite). Panics on different lengths (a bug, not an input).
pub fn overlap(a: &[i8], b: &[i8]) -> f64 {
    assert_eq!(a.len(), b.len(), "states of different lengths");
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x * y))
        .sum::<i32>() as f64
        / a.len() as f64
}
