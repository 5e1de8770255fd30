//! Wide random networks measured directly, to check the mean-field maps:
//! the length and correlation of two inputs' pre-activations layer by
//! layer, and the gain of a small perturbation.

use crate::error::{Error, Result};
use crate::signal::SignalMap;
use book_support::stats::mean_se;
use ch03_backprop::normal;
use nalgebra::{DMatrix, DVector};

/// What one random network does to two inputs, layer by layer
/// (`l = 1..=L`).
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// `q_l = ‖h_l‖²/n` of the first input.
    pub q: Vec<f64>,
    /// The correlation `c_l` of the two inputs' pre-activations.
    pub c: Vec<f64>,
    /// `‖t_{l+1}‖² / ‖t_l‖²` for a tangent `t` carried along the first
    /// input (`t_{l+1} = W_{l+1} (φ'(h_l) ⊙ t_l)`): one layer's gain of a
    /// small perturbation, whose mean-field value is `χ₁(q_l)`. One entry
    /// fewer than `q`.
    pub gain: Vec<f64>,
}

// ANCHOR: propagate
/// Draws one network of `depth` layers of width `n` with the weight and
/// bias variances of `map` (from `rng`) and follows two first-layer
/// pre-activations of length `q0` and correlation `c0` through it. The
/// starting pair is built exactly (Gram–Schmidt on two Gaussian vectors),
/// so that all the randomness is the network's. Errors: `n < 2`,
/// `depth = 0`, `q0 ≤ 0` or `|c0| > 1`, or anything not finite.
pub fn propagate<R: rand::Rng + ?Sized>(
    map: &SignalMap,
    (n, depth): (usize, usize),
    (q0, c0): (f64, f64),
    rng: &mut R,
) -> Result<Trace> {
    if n < 2 || depth == 0 {
        return Err(Error::Argument(format!(
            "a width of at least 2 and a depth of at least 1, not {n} and {depth}"
        )));
    }
    if !(q0.is_finite() && q0 > 0.0 && c0.is_finite() && c0.abs() <= 1.0) {
        return Err(Error::Argument(format!(
            "a length q₀ > 0 and a correlation in [−1, 1], not {q0} and {c0}"
        )));
    }
    let phi = map.activation();
    let mut h = DMatrix::from_fn(n, 3, |_, _| normal(rng));
    // Columns: input a, input b, tangent t.
    let a = h.column(0).normalize();
    let mut e = h.column(1) - a.dot(&h.column(1)) * &a;
    e.normalize_mut();
    let scale = (n as f64 * q0).sqrt();
    h.set_column(0, &(scale * &a));
    h.set_column(1, &(scale * (c0 * &a + (1.0 - c0 * c0).sqrt() * e)));
    let (sw, sb) = (map.sigma_w2().sqrt(), map.sigma_b2().sqrt());
    let mut trace = Trace {
        q: Vec::with_capacity(depth),
        c: Vec::with_capacity(depth),
        gain: Vec::with_capacity(depth),
    };
    let mut x = DMatrix::zeros(n, 3);
    for l in 0..depth {
        let (ha, hb) = (h.column(0), h.column(1));
        trace.q.push(ha.norm_squared() / n as f64);
        trace.c.push(ha.dot(&hb) / (ha.norm() * hb.norm()));
        if l + 1 == depth {
            break;
        }
        for i in 0..n {
            x[(i, 0)] = phi.apply(h[(i, 0)]);
            x[(i, 1)] = phi.apply(h[(i, 1)]);
            x[(i, 2)] = phi.derivative(h[(i, 0)]) * h[(i, 2)];
        }
        let w = DMatrix::from_fn(n, n, |_, _| sw / (n as f64).sqrt() * normal(rng));
        let b = DVector::from_fn(n, |_, _| sb * normal(rng));
        let before = h.column(2).norm_squared();
        w.mul_to(&x, &mut h);
        for k in 0..2 {
            let mut col = h.column_mut(k);
            col += &b;
        }
        trace.gain.push(h.column(2).norm_squared() / before);
    }
    crate::error::finite("the lengths", &trace.q)?;
    crate::error::finite("the correlations", &trace.c)?;
    crate::error::finite("the gains", &trace.gain)?;
    Ok(trace)
}
// ANCHOR_END: propagate

/// Means and standard errors over `networks` independent networks
/// (network `k` drawn from `seed + k`, in parallel) of the last layer's
/// `q_L` and `c_L` and of the perturbation gain averaged over its layers
/// from `burn_in` on (where `q_l` has settled).
#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    pub q: (f64, f64),
    pub c: (f64, f64),
    pub gain: (f64, f64),
    /// Mean and standard error of `c_l` at every layer `l = 1..=L`.
    pub c_by_layer: Vec<(f64, f64)>,
}

/// See [`Ensemble`]. Errors: those of [`propagate`], no networks, or a
/// burn-in at or beyond the depth's last gain.
pub fn ensemble(
    map: &SignalMap,
    shape: (usize, usize),
    start: (f64, f64),
    (networks, burn_in, seed): (usize, usize, u64),
) -> Result<Ensemble> {
    if networks < 2 || burn_in + 1 >= shape.1 {
        return Err(Error::Argument(format!(
            "at least two networks and a burn-in below depth − 1, not {networks} and {burn_in}"
        )));
    }
    let seeds: Vec<u64> = (0..networks as u64).map(|k| seed + k).collect();
    let traces = book_support::parallel::map(&seeds, |&s| {
        propagate(map, shape, start, &mut book_support::seeded(s))
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    let last = |f: &dyn Fn(&Trace) -> f64| mean_se(&traces.iter().map(f).collect::<Vec<_>>());
    Ok(Ensemble {
        q: last(&|t| *t.q.last().unwrap()),
        c: last(&|t| *t.c.last().unwrap()),
        gain: last(&|t| {
            let g = &t.gain[burn_in..];
            g.iter().sum::<f64>() / g.len() as f64
        }),
        c_by_layer: (0..shape.1)
            .map(|l| mean_se(&traces.iter().map(|t| t.c[l]).collect::<Vec<_>>()))
            .collect(),
    })
}

/// The mean-field prediction for the same experiment: `q_l` and `c_l` for
/// `l = 1..=L` from `(q0, c0)`.
pub fn mean_field_trace(
    map: &SignalMap,
    depth: usize,
    (q0, c0): (f64, f64),
) -> (Vec<f64>, Vec<f64>) {
    let (mut q, mut c) = (q0, c0);
    let (mut qs, mut cs) = (Vec::with_capacity(depth), Vec::with_capacity(depth));
    for _ in 0..depth {
        qs.push(q);
        cs.push(c);
        (q, c) = (map.length(q), map.correlation(q, c));
    }
    (qs, cs)
}
