//! Compositional targets: deep networks built to match a target's
//! structure, against what any shallow network can do with the same number
//! of parameters.

use crate::net::{Activation, Layer, Net, NetError};
use crate::pwl::Pwl;
use crate::sawtooth::{pow2, sawtooth_net};
use crate::universal::hat_net;
use std::f64::consts::PI;

/// The largest number of levels [`square_net`] accepts: every weight
/// `4^-s`, `s <= d`, is then a nonzero f64 (`4^-537 = 2^-1074` is the
/// smallest subnormal), so the network is exactly the one the formula
/// describes. Beyond it the weights would underflow to zero silently.
pub const MAX_SQUARE_LEVELS: u32 = 537;

/// Yarotsky's deep approximation of `x²` on `[0, 1]` with `d` levels:
/// `f_d(x) = x - Σ_{s=1}^{d} m^s(x) / 4^s` (`m` the tent map), the
/// piecewise-linear interpolant of `x²` at the `2^d + 1` points `i / 2^d`.
/// A width-3 network with `d + 1` layers and `12d - 2` parameters: two
/// units run the tent maps, the third carries the partial sum
/// (non-negative on `[0, 1]`, so ReLU passes it unchanged). Only
/// meaningful on `[0, 1]`. Errors unless `1 <= d <= MAX_SQUARE_LEVELS`.
// ANCHOR: square_net
pub fn square_net(d: u32) -> Result<Net, NetError> {
    if d == 0 || d > MAX_SQUARE_LEVELS {
        return Err(NetError::Domain(format!(
            "the squaring network needs 1 <= d <= {MAX_SQUARE_LEVELS} levels, got {d}"
        )));
    }
    let relu = Activation::Relu;
    // (a, b, acc) = (ReLU(x), ReLU(x - 1/2), ReLU(x)); m^s = 2a - 4b.
    let mut layers = vec![Layer::from_rows(
        &[&[1.0], &[1.0], &[1.0]],
        &[0.0, -0.5, 0.0],
        relu,
    )?];
    for s in 1..d {
        let q = 0.25f64.powi(s as i32); // 1 / 4^s, exact
        layers.push(Layer::from_rows(
            &[
                &[2.0, -4.0, 0.0],
                &[2.0, -4.0, 0.0],
                &[-2.0 * q, 4.0 * q, 1.0],
            ],
            &[0.0, -0.5, 0.0],
            relu,
        )?);
    }
    let q = 0.25f64.powi(d as i32);
    layers.push(Layer::from_rows(
        &[&[-2.0 * q, 4.0 * q, 1.0]],
        &[0.0],
        Activation::Identity,
    )?);
    Net::new(layers)
}
// ANCHOR_END: square_net

/// `max |x² - f(x)|` over the domain of a piecewise-linear `f`, in closed
/// form: on a piece `a x + c` the gap `x² - a x - c` is extreme at the
/// ends or at `x = a/2`.
pub fn sup_error_square(f: &Pwl) -> f64 {
    let knots = f.knots();
    let mut worst: f64 = 0.0;
    for (i, (&a, &c)) in f.slopes().iter().zip(f.intercepts()).enumerate() {
        let (l, r) = (knots[i], knots[i + 1]);
        let gap = |x: f64| (x * x - (a * x + c)).abs();
        worst = worst.max(gap(l)).max(gap(r));
        let mid = 0.5 * a;
        if l < mid && mid < r {
            worst = worst.max(gap(mid));
        }
    }
    worst
}

/// The error every continuous piecewise-linear function with `pieces`
/// pieces must make on `x²` over `[0, 1]`: `1 / (8 P²)`. One piece is at
/// least `1/P` long and no line comes closer than `|I|²/8` to `x²` over an
/// interval `I`. Infinite for zero pieces.
pub fn square_pieces_bound(pieces: usize) -> f64 {
    let p = pieces as f64;
    1.0 / (8.0 * p * p)
}

/// The largest number of hidden units a one-hidden-layer network with one
/// input and one output can have within `parameters` (it uses `3n + 1`).
/// Zero when the budget is below 4.
pub fn shallow_units_within(parameters: usize) -> usize {
    parameters.saturating_sub(1) / 3
}

/// The largest `k` [`cosine_target`] accepts. The product `fl(2^k π) · x`
/// carries a rounding error of up to about `2^k π ε_mach` in the phase,
/// below `10^-6` for `k <= 30`; much beyond, the computed cosine of the
/// rounded phase would no longer be the target's value.
pub const MAX_COSINE_K: u32 = 30;

/// The oscillating target `cos(2^k π x)`. Errors when `k > MAX_COSINE_K`.
pub fn cosine_target(k: u32) -> Result<impl Fn(f64) -> f64 + Copy, NetError> {
    if k > MAX_COSINE_K {
        return Err(NetError::Domain(format!(
            "cos(2^k pi x) needs k <= {MAX_COSINE_K}, got {k}"
        )));
    }
    let freq = pow2(k) * PI;
    Ok(move |x: f64| (freq * x).cos())
}

/// The deep network matched to `cos(2^k π x) = cos(π m^k(x))`: the
/// sawtooth `m^k` (`6k + 1` parameters) followed by the `n`-unit hat
/// network of `cos(π t)` (`3n + 1` parameters). Errors when `k == 0` or
/// `n == 0`.
// ANCHOR: cosine_deep_net
pub fn cosine_deep_net(k: u32, n: usize) -> Result<Net, NetError> {
    let outer = hat_net(|t| (PI * t).cos(), n)?;
    sawtooth_net(k)?.then(&outer)
}
// ANCHOR_END: cosine_deep_net

/// The lower bound `1 - 2P / (2^k + 1)` on the sup error over `[0, 1]` of
/// any continuous function with `P` pieces against `cos(2^k π x)` (from
/// the alternating-points bound, rescaled from labels 0/1 to ±1). Defined
/// for every `k`, like [`crate::sawtooth::piece_bound`]: `1` for
/// `k >= 1024`, the true value rounded.
pub fn cosine_pieces_bound(pieces: usize, k: u32) -> f64 {
    1.0 - 2.0 * pieces as f64 / (pow2(k) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_net_is_the_interpolant_of_x_squared() {
        for d in 1..=8u32 {
            let net = square_net(d).unwrap();
            assert_eq!(net.parameters(), 12 * d as usize - 2);
            assert_eq!(net.max_width(), 3);
            let pwl = net.to_pwl(0.0, 1.0).unwrap();
            assert_eq!(pwl.pieces(), 1 << d);
            assert_eq!(sup_error_square(&pwl), 0.25f64.powi(d as i32 + 1));
            let n = 1usize << d;
            for i in 0..=n {
                let x = i as f64 / n as f64;
                assert_eq!(net.eval_points(&[x]).unwrap()[0], x * x, "d = {d}, x = {x}");
            }
        }
        assert!(square_net(0).is_err());
    }

    #[test]
    fn square_net_rejects_levels_whose_weights_underflow() {
        let deepest = square_net(MAX_SQUARE_LEVELS).unwrap();
        let last = &deepest.layers()[deepest.depth() - 1];
        assert_eq!(last.weights()[(0, 0)], -2.0 * f64::from_bits(1)); // -2 · 2^-1074
        assert!(last.weights().iter().all(|w| *w != 0.0));
        assert!(matches!(
            square_net(MAX_SQUARE_LEVELS + 1),
            Err(NetError::Domain(_))
        ));
        assert!(square_net(u32::MAX).is_err());
    }

    #[test]
    fn square_bound_is_met_by_the_uniform_interpolant_up_to_two() {
        for n in [1, 3, 10] {
            let shallow = hat_net(|x| x * x, n).unwrap().to_pwl(0.0, 1.0).unwrap();
            let e = sup_error_square(&shallow);
            assert!((e - 1.0 / (4.0 * (n * n) as f64)).abs() < 1e-15);
            assert!(e >= square_pieces_bound(n));
        }
        assert_eq!(shallow_units_within(3), 0);
        assert_eq!(shallow_units_within(118), 39);
    }

    #[test]
    fn cosine_target_and_bound_for_large_k() {
        assert!(cosine_target(MAX_COSINE_K).unwrap()(0.5).is_finite());
        assert!(cosine_target(MAX_COSINE_K + 1).is_err());
        assert!(cosine_target(1 << 31).is_err()); // `as i32` would wrap here
        assert_eq!(cosine_target(0).unwrap()(1.0), -1.0);
        assert_eq!(cosine_pieces_bound(1, 2), 1.0 - 2.0 / 5.0);
        assert_eq!(cosine_pieces_bound(7, 1024), 1.0);
        assert_eq!(cosine_pieces_bound(7, u32::MAX), 1.0);
    }

    #[test]
    fn cosine_identity_holds() {
        let target = cosine_target(3).unwrap();
        let saw = sawtooth_net(3).unwrap();
        for i in 0..=100 {
            let x = i as f64 / 100.0;
            let t = saw.eval_points(&[x]).unwrap()[0];
            assert!(((PI * t).cos() - target(x)).abs() < 1e-12);
        }
        let deep = cosine_deep_net(3, 8).unwrap();
        assert_eq!(deep.parameters(), 6 * 3 + 1 + 3 * 8 + 1);
        assert!(cosine_deep_net(0, 8).is_err());
        assert!(cosine_deep_net(3, 0).is_err());
        assert!(cosine_pieces_bound(1, 3) > 0.7);
    }
}
