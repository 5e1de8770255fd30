//! Cover's function-counting theorem (Cover 1965), counted exactly and
//! checked against random labelings separated, or certified inseparable,
//! by the nearest point of a polytope (Wolfe 1976).

use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector};
use num_bigint::BigUint;
use num_traits::ToPrimitive;

// ANCHOR: cover
/// `C(P, N) = 2 Σ_{k<N} C(P−1, k)`: the number of labelings of `P` points
/// in general position in `R^N` that a hyperplane through the origin
/// separates, in exact integers. `C(P, 0) = 0`.
pub fn cover_count(p: usize, n: usize) -> BigUint {
    if p == 0 {
        // The one (empty) labeling of no points is separable.
        return BigUint::from(u32::from(n > 0));
    }
    // Binomial coefficients C(P−1, k), k = 0, 1, …, by the exact recurrence
    // C(m, k+1) = C(m, k) (m − k) / (k + 1).
    let m = p - 1;
    let mut binomial = BigUint::from(1u32);
    let mut sum = BigUint::from(0u32);
    for k in 0..n.min(m + 1) {
        sum += &binomial;
        binomial = binomial * BigUint::from(m - k) / BigUint::from(k + 1);
    }
    sum * 2u32
}
// ANCHOR_END: cover

/// `C(P, N) / 2^P`, the probability that a random labeling is separable,
/// rounded once from the exact integers. Errors: `P > 1000` (beyond
/// `f64`'s range).
pub fn cover_probability(p: usize, n: usize) -> Result<f64> {
    if p > 1000 {
        return Err(Error::Argument(format!("P = {p} is above 1000")));
    }
    let count = cover_count(p, n).to_f64().unwrap_or(f64::INFINITY);
    Ok(count / 2f64.powi(p as i32))
}

/// The outcome of [`separate`].
#[derive(Clone, Debug, PartialEq)]
pub enum Separation {
    /// `w` with `z_iᵀ w > 0` for every point, checked: a separating
    /// direction. When Wolfe's algorithm has converged it is the point of
    /// the convex hull nearest the origin, so `z_iᵀ w ≥ ‖w‖²` up to
    /// rounding and `‖w‖` is the largest margin for unit-norm points;
    /// otherwise it is only a checked separator.
    Separable { w: DVector<f64> },
    /// Convex weights `λ` with `‖Σ λ_i z_i‖ ≤ residual`: every unit
    /// direction has some point with margin at most `residual`, so no
    /// hyperplane through the origin separates the points with a margin
    /// above it.
    Inseparable { lambda: Vec<f64>, residual: f64 },
}

// ANCHOR: wolfe
/// Whether the signed points `z_i` (columns) lie strictly on one side of
/// some hyperplane through the origin, decided by the point of their
/// convex hull nearest the origin, computed with Wolfe's algorithm: keep a
/// small set of points and convex weights on them; add the point most
/// opposed to the current nearest point; then move to the nearest point of
/// the set's affine hull, dropping points whose weights would turn
/// negative. A distance of at most `tol` counts as zero. Errors: no points,
/// a zero-length dimension, a non-finite entry, or a `tol` that is not
/// positive.
pub fn separate(z: &DMatrix<f64>, tol: f64) -> Result<Separation> {
    if z.ncols() == 0 || z.nrows() == 0 {
        return Err(Error::Empty(format!("{}×{} points", z.nrows(), z.ncols())));
    }
    if z.iter().any(|v| !v.is_finite()) {
        return Err(Error::NonFinite(
            "a point has a NaN or infinite entry".into(),
        ));
    }
    if !(tol > 0.0 && tol.is_finite()) {
        return Err(Error::Argument(format!(
            "a tolerance {tol} must be positive"
        )));
    }
    let scale = z
        .column_iter()
        .map(|c| c.norm_squared())
        .fold(0.0, f64::max);
    let start = (0..z.ncols())
        .min_by(|&a, &b| {
            z.column(a)
                .norm_squared()
                .total_cmp(&z.column(b).norm_squared())
        })
        .unwrap();
    let (mut set, mut lambda) = (vec![start], vec![1.0]);
    let mut x = z.column(start).into_owned();
    for _ in 0..(100 * z.ncols()) {
        if x.norm() <= tol {
            break;
        }
        // Major step: the point most opposed to x.
        let (j, best) = (0..z.ncols())
            .map(|j| (j, z.column(j).dot(&x)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        // Optimal when no point is more opposed to x than x itself; a point
        // already in the set can only be "more opposed" by rounding.
        if x.norm_squared() - best <= 1e-12 * scale || set.contains(&j) {
            break;
        }
        set.push(j);
        lambda.push(0.0);
        // Minor steps: the affine hull's nearest point, while it leaves the
        // convex hull.
        loop {
            let mu = affine_nearest(z, &set)?;
            if mu.iter().all(|&m| m > 1e-14) {
                lambda = mu;
                break;
            }
            let theta = lambda
                .iter()
                .zip(&mu)
                .filter(|(_, m)| **m <= 1e-14)
                .map(|(l, m)| l / (l - m))
                .fold(1.0f64, f64::min);
            for (l, m) in lambda.iter_mut().zip(&mu) {
                *l += theta * (m - *l);
            }
            let keep: Vec<bool> = lambda.iter().map(|&l| l > 1e-14).collect();
            set = set
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(s, _)| *s)
                .collect();
            lambda = lambda
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(l, _)| *l)
                .collect();
            let total: f64 = lambda.iter().sum();
            lambda.iter_mut().for_each(|l| *l /= total);
        }
        x = combination(z, &set, &lambda);
    }
    let residual = x.norm();
    // The certificate of separation is that every point is strictly on
    // x's side, by more than rounding could fake: the dot products are
    // accurate to about 1e-16 ‖x‖ max‖z‖.
    let max_norm = scale.sqrt();
    let margins_ok = z
        .column_iter()
        .all(|c| c.dot(&x) > 1e-12 * x.norm() * max_norm);
    if residual > tol && margins_ok {
        Ok(Separation::Separable { w: x })
    } else if residual <= tol {
        let mut full = vec![0.0; z.ncols()];
        for (&i, &l) in set.iter().zip(&lambda) {
            full[i] = l;
        }
        Ok(Separation::Inseparable {
            lambda: full,
            residual,
        })
    } else {
        Err(Error::Argument(format!(
            "Wolfe's algorithm stopped at distance {residual:e} without a certificate"
        )))
    }
}
// ANCHOR_END: wolfe

/// `Σ_k λ_k z_{set_k}`.
fn combination(z: &DMatrix<f64>, set: &[usize], lambda: &[f64]) -> DVector<f64> {
    let mut x = DVector::zeros(z.nrows());
    for (&i, &l) in set.iter().zip(lambda) {
        x.axpy(l, &z.column(i), 1.0);
    }
    x
}

/// The weights `μ` (summing to 1) of the point of the affine hull of the
/// points in `set` nearest the origin: with `b` the first point and `D` the
/// differences of the others from it, the point is `b + D t` for the
/// least-squares solution `t` of `D t = −b` (by SVD, so that an affinely
/// dependent set still gives an answer), and `μ = (1 − Σ t, t)`.
fn affine_nearest(z: &DMatrix<f64>, set: &[usize]) -> Result<Vec<f64>> {
    let base = z.column(set[0]);
    if set.len() == 1 {
        return Ok(vec![1.0]);
    }
    let d = DMatrix::from_fn(z.nrows(), set.len() - 1, |i, k| {
        z[(i, set[k + 1])] - base[i]
    });
    let svd = d.svd(true, true);
    let cutoff = 1e-12 * svd.singular_values.max();
    let t = svd
        .solve(&(-base), cutoff)
        .map_err(|e| Error::Argument(e.to_string()))?;
    let mut mu = Vec::with_capacity(set.len());
    mu.push(1.0 - t.sum());
    mu.extend(t.iter());
    Ok(mu)
}

/// The fraction of `trials` random labelings of `p` Gaussian points in
/// `R^n` (trial `t` from `seed + t`) that are separable through the
/// origin, and the number that [`separate`] could not decide. Errors: bad
/// sizes.
pub fn separable_fraction(n: usize, p: usize, trials: usize, seed: u64) -> Result<(f64, usize)> {
    if n == 0 || p == 0 || trials == 0 {
        return Err(Error::Empty(format!(
            "{trials} trials of {p} points in R^{n}"
        )));
    }
    let seeds: Vec<u64> = (0..trials as u64).map(|t| seed + t).collect();
    let outcomes = book_support::parallel::map(&seeds, |&s| {
        use rand::RngExt;
        let mut rng = book_support::seeded(s);
        let z = DMatrix::from_fn(n, p, |_, _| ch03_backprop::normal(&mut rng));
        let signs: Vec<f64> = (0..p)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect();
        let z = DMatrix::from_fn(n, p, |i, j| signs[j] * z[(i, j)] / z.column(j).norm());
        separate(&z, 1e-9)
    });
    let (mut separable, mut undecided) = (0usize, 0usize);
    for outcome in outcomes {
        match outcome {
            Ok(Separation::Separable { .. }) => separable += 1,
            Ok(Separation::Inseparable { .. }) => {}
            Err(_) => undecided += 1,
        }
    }
    Ok((separable as f64 / trials as f64, undecided))
}
