//! Depth multiplies pieces: the tent map, its compositions (sawtooth
//! functions), and the lower bound that stops shallow networks from
//! matching them (Telgarsky 2015, 2016).

use crate::net::{Activation, Layer, Net, NetError};
use crate::universal::shallow_interpolant;
use book_support::rand::RngExt;
use nalgebra::{DMatrix, DVector};

/// The tent map `m(x) = ReLU(2 ReLU(x) - 4 ReLU(x - 1/2))` as a network of
/// two layers: `[ReLU(x), ReLU(x - 1/2)]`, then `ReLU(2a - 4b)`. On `[0, 1]`
/// it is `2x` up to 1/2 and `2 - 2x` after; it is 0 outside `[0, 1]`.
// ANCHOR: tent
pub fn tent_net() -> Net {
    let first = Layer::from_rows(&[&[1.0], &[1.0]], &[0.0, -0.5], Activation::Relu);
    let last = Layer::from_rows(&[&[2.0, -4.0]], &[0.0], Activation::Relu);
    Net::new(vec![
        first.expect("fixed shape"),
        last.expect("fixed shape"),
    ])
    .expect("the layers fit")
}
// ANCHOR_END: tent

/// The sawtooth `m^k = m ∘ ... ∘ m` (`k` copies) as a width-2 network with
/// `k + 1` layers, `2k + 1` ReLU units and `6k + 1` parameters. Each copy's
/// output `ReLU(2a - 4b)` is fused into the next copy's first layer, which
/// is exact because `ReLU(ReLU(t)) = ReLU(t)` and `ReLU(ReLU(t) - 1/2) =
/// ReLU(t - 1/2)`. Errors when `k == 0`.
// ANCHOR: sawtooth
pub fn sawtooth_net(k: u32) -> Result<Net, NetError> {
    if k == 0 {
        return Err(NetError::Domain(
            "the sawtooth needs k >= 1 tent maps".into(),
        ));
    }
    let relu = Activation::Relu;
    let mut layers = vec![Layer::from_rows(&[&[1.0], &[1.0]], &[0.0, -0.5], relu)?];
    for _ in 1..k {
        // From (a, b) to (ReLU(2a - 4b), ReLU(2a - 4b - 1/2)).
        layers.push(Layer::from_rows(
            &[&[2.0, -4.0], &[2.0, -4.0]],
            &[0.0, -0.5],
            relu,
        )?);
    }
    layers.push(Layer::from_rows(&[&[2.0, -4.0]], &[0.0], relu)?);
    Net::new(layers)
}
// ANCHOR_END: sawtooth

/// The largest `k` for which [`dyadic_mismatches`] runs (it evaluates
/// `2^k + 1` points).
pub const MAX_DYADIC_K: u32 = 24;

/// The dyadic points `x_i = i / 2^k`, `i = 0..=2^k`, and their labels
/// `i mod 2`. Errors when `k` is 0 or above [`MAX_DYADIC_K`].
pub fn alternating_points(k: u32) -> Result<(Vec<f64>, Vec<f64>), NetError> {
    if k == 0 || k > MAX_DYADIC_K {
        return Err(NetError::Domain(format!(
            "k must be in 1..={MAX_DYADIC_K}, got {k}"
        )));
    }
    let n = 1usize << k;
    let xs = (0..=n).map(|i| i as f64 / n as f64).collect();
    let labels = (0..=n).map(|i| (i % 2) as f64).collect();
    Ok((xs, labels))
}

/// How many of the points `i / 2^k` have `m^k(i / 2^k) != i mod 2`
/// (compared exactly), evaluating the sawtooth network. Errors as
/// [`alternating_points`].
pub fn dyadic_mismatches(k: u32) -> Result<usize, NetError> {
    let (xs, labels) = alternating_points(k)?;
    let values = sawtooth_net(k)?.eval_points(&xs)?;
    Ok(values.iter().zip(&labels).filter(|(v, y)| v != y).count())
}

/// The mean of `|g(x_i) - (i mod 2)|` over the `2^k + 1` points `i / 2^k`
/// for a network `g` from R to R. Errors as [`alternating_points`] and
/// [`Net::eval_points`].
pub fn alternating_error(g: &Net, k: u32) -> Result<f64, NetError> {
    let (xs, labels) = alternating_points(k)?;
    let values = g.eval_points(&xs)?;
    let total: f64 = values.iter().zip(&labels).map(|(v, y)| (v - y).abs()).sum();
    Ok(total / xs.len() as f64)
}

/// `2^k` as an f64, for every `k`: exact for `k <= 1023`, `inf` above
/// (the exponent is clamped before the conversion, so it cannot wrap).
pub fn pow2(k: u32) -> f64 {
    2f64.powi(k.min(1024) as i32)
}

/// The lower bound `1/2 - P / (2^k + 1)` on [`alternating_error`] of any
/// continuous function with `P` linear pieces on `[0, 1]`. Defined for
/// every `k` and `P`: for `k` above 52 the count `2^k + 1` is rounded to
/// f64, and for `k >= 1024` it is `inf` and the bound is `1/2`, which is
/// the true value rounded to f64 (`P / (2^k + 1) < 2^-960` there).
// ANCHOR: piece_bound
pub fn piece_bound(pieces: usize, k: u32) -> f64 {
    let points = pow2(k) + 1.0;
    0.5 - pieces as f64 / points
}
// ANCHOR_END: piece_bound

/// The fewest hidden units `n` a one-hidden-layer ReLU network could have
/// and still reach mean error `target` on the `2^k + 1` alternating points,
/// by the bound with `P <= n + 1` pieces. Errors unless `0 <= target < 1/2`
/// and `1 <= k <= 52`.
pub fn shallow_units_needed(k: u32, target: f64) -> Result<usize, NetError> {
    if !(0.0..0.5).contains(&target) {
        return Err(NetError::Domain(format!(
            "target mean error must be in [0, 1/2), got {target}"
        )));
    }
    if k == 0 || k > 52 {
        return Err(NetError::Domain(format!("k must be in 1..=52, got {k}")));
    }
    // Need 1/2 - (n + 1)/(2^k + 1) <= target, i.e. n + 1 >= (1/2 - target)(2^k + 1).
    let points = (1u64 << k) + 1;
    let pieces = ((0.5 - target) * points as f64).ceil() as usize;
    Ok(pieces.saturating_sub(1))
}

/// A random one-hidden-layer ReLU network with `n >= 1` units whose kinks
/// `t_j` are uniform on `[0, 1]`: unit `j` is `ReLU(w_j (x - t_j))` with
/// `|w_j|` uniform on `[1/2, 2]` and a random sign, output weights uniform
/// on `[-1, 1]` and output bias uniform on `[0, 1]`. Errors when `n == 0`.
pub fn random_shallow_net(n: usize, rng: &mut impl RngExt) -> Result<Net, NetError> {
    if n == 0 {
        return Err(NetError::Empty("a shallow network needs at least one unit"));
    }
    let mut w = DMatrix::zeros(n, 1);
    let mut b = DVector::zeros(n);
    for j in 0..n {
        let t: f64 = rng.random();
        let scale = rng.random_range(0.5..2.0);
        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
        w[(j, 0)] = sign * scale;
        b[j] = -sign * scale * t;
    }
    let out = DMatrix::from_fn(1, n, |_, _| rng.random_range(-1.0..1.0));
    let bias = DVector::from_element(1, rng.random::<f64>());
    Net::new(vec![
        Layer::new(w, b, Activation::Relu)?,
        Layer::new(out, bias, Activation::Identity)?,
    ])
}

/// A shallow network that follows the sawtooth `m^k` for its first `j`
/// teeth-halves (up to `x = j / 2^k`), ramps to 1/2 over the next interval
/// and stays at 1/2: `j + 2` pieces (fewer at the right end) and as many
/// hidden units. Errors when `k` is out of range or `j >= 2^k`.
pub fn partial_sawtooth_net(k: u32, j: usize) -> Result<Net, NetError> {
    let (xs, labels) = alternating_points(k)?;
    let n = xs.len() - 1;
    if j >= n {
        return Err(NetError::Domain(format!(
            "j must be below 2^k = {n}, got {j}"
        )));
    }
    let mut knots = xs[..=j + 1].to_vec();
    let mut values = labels[..=j].to_vec();
    values.push(0.5);
    if j + 1 < n {
        knots.push(1.0);
        values.push(0.5);
    }
    shallow_interpolant(&knots, &values)
}

/// The shallow network with hidden units at the uniform knots `i / n`,
/// `i = 0..n`, whose output weights and bias minimise the squared error
/// to the labels `i mod 2` at the `2^k + 1` alternating points. Errors
/// when `n == 0`, `k` is out of range, or the least-squares solve fails.
pub fn least_squares_shallow_net(k: u32, n: usize) -> Result<Net, NetError> {
    if n == 0 {
        return Err(NetError::Empty("a shallow network needs at least one unit"));
    }
    let (xs, labels) = alternating_points(k)?;
    let knots: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let features = DMatrix::from_fn(xs.len(), n + 1, |r, c| {
        if c == n {
            1.0
        } else {
            Activation::Relu.apply(xs[r] - knots[c])
        }
    });
    let y = DVector::from_vec(labels);
    let solution = features
        .svd(true, true)
        .solve(&y, 1e-12)
        .map_err(|e| NetError::Domain(format!("least-squares solve failed: {e}")))?;
    let hidden = Layer::new(
        DMatrix::from_element(n, 1, 1.0),
        DVector::from_fn(n, |i, _| -knots[i]),
        Activation::Relu,
    )?;
    let out = Layer::new(
        DMatrix::from_fn(1, n, |_, c| solution[c]),
        DVector::from_element(1, solution[n]),
        Activation::Identity,
    )?;
    Net::new(vec![hidden, out])
}

/// The outcome of checking the piece bound on a family of networks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoundCheck {
    /// How many networks were checked.
    pub nets: usize,
    /// How many had mean error below `1/2 - P/(2^k + 1)` (should be none).
    pub violations: usize,
    /// The smallest `error - bound` over the family.
    pub min_slack: f64,
    /// The largest fraction of the allowed improvement that a network
    /// achieves: `(1/2 - error) / (P / (2^k + 1))`, the gain over the
    /// constant `1/2` divided by the most the bound permits. Above 1 exactly
    /// when the network beats the bound.
    pub max_gain_fraction: f64,
}

/// Counts each network's pieces on `[0, 1]` exactly, measures its mean
/// error on the `2^k + 1` alternating points and compares it with
/// [`piece_bound`]. Errors when `nets` is empty or a network is not from R
/// to R, and as [`alternating_points`].
// ANCHOR: check_piece_bound
pub fn check_piece_bound(k: u32, nets: &[Net]) -> Result<BoundCheck, NetError> {
    if nets.is_empty() {
        return Err(NetError::Empty("no networks to check"));
    }
    let mut check = BoundCheck {
        nets: nets.len(),
        violations: 0,
        min_slack: f64::INFINITY,
        max_gain_fraction: f64::NEG_INFINITY,
    };
    for g in nets {
        let pieces = g.to_pwl(0.0, 1.0)?.pieces();
        let (error, bound) = (alternating_error(g, k)?, piece_bound(pieces, k));
        if error < bound {
            check.violations += 1;
        }
        check.min_slack = check.min_slack.min(error - bound);
        let gain = (0.5 - error) / (0.5 - bound);
        check.max_gain_fraction = check.max_gain_fraction.max(gain);
    }
    Ok(check)
}
// ANCHOR_END: check_piece_bound

/// The family of shallow networks the chapter checks the bound on, for
/// the `2^k + 1` alternating points: every partial sawtooth, least-squares
/// fits with a range of widths, and `random` random networks with 1 to 64
/// units drawn from `seed`.
pub fn shallow_family(k: u32, random: usize, seed: u64) -> Result<Vec<Net>, NetError> {
    let n = 1usize << k.min(MAX_DYADIC_K);
    let mut nets = Vec::new();
    for j in 0..n {
        nets.push(partial_sawtooth_net(k, j)?);
    }
    let mut width = 1;
    while width <= n {
        nets.push(least_squares_shallow_net(k, width)?);
        width = width * 3 / 2 + 1;
    }
    let mut rng = book_support::seeded(seed);
    for _ in 0..random {
        let units = rng.random_range(1..=64);
        nets.push(random_shallow_net(units, &mut rng)?);
    }
    Ok(nets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tent_values() {
        let m = tent_net();
        assert_eq!(
            m.eval_points(&[0.0, 0.25, 0.5, 0.75, 1.0, -1.0, 2.0])
                .unwrap(),
            vec![0.0, 0.5, 1.0, 0.5, 0.0, 0.0, 0.0]
        );
        assert_eq!(sawtooth_net(1).unwrap(), m);
    }

    #[test]
    fn sawtooth_sizes_and_pieces() {
        for k in 1..=8 {
            let net = sawtooth_net(k).unwrap();
            assert_eq!(net.depth(), k as usize + 1);
            assert_eq!(net.relu_units(), 2 * k as usize + 1);
            assert_eq!(net.parameters(), 6 * k as usize + 1);
            assert_eq!(net.max_width(), 2);
            assert_eq!(net.to_pwl(0.0, 1.0).unwrap().pieces(), 1 << k);
            assert_eq!(dyadic_mismatches(k).unwrap(), 0);
        }
        assert!(sawtooth_net(0).is_err());
    }

    #[test]
    fn composing_tents_is_the_sawtooth() {
        let mut composed = tent_net();
        for _ in 1..5 {
            composed = composed.then(&tent_net()).unwrap();
        }
        let fused = sawtooth_net(5).unwrap();
        let xs: Vec<f64> = (0..=200).map(|i| i as f64 / 200.0 * 1.5 - 0.25).collect();
        let m5 = fused.eval_points(&xs).unwrap();
        assert_eq!(composed.eval_points(&xs).unwrap(), m5);
        // Identical factors cannot reveal the order of `then`; an affine map
        // s(x) = x/2 + 1/4 on one side can: s(m^5(x)) and m^5(s(x)).
        let s = Net::new(vec![
            Layer::from_rows(&[&[0.5]], &[0.25], Activation::Identity).unwrap(),
        ])
        .unwrap();
        let after: Vec<f64> = m5.iter().map(|v| 0.5 * v + 0.25).collect();
        assert_eq!(composed.then(&s).unwrap().eval_points(&xs).unwrap(), after);
        let moved: Vec<f64> = xs.iter().map(|x| 0.5 * x + 0.25).collect();
        assert_eq!(
            s.then(&composed).unwrap().eval_points(&xs).unwrap(),
            fused.eval_points(&moved).unwrap()
        );
    }

    #[test]
    fn pow2_and_piece_bound_for_every_k() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(10), 1024.0);
        assert_eq!(pow2(1023), f64::from_bits(0x7FE0_0000_0000_0000));
        assert_eq!(pow2(1024), f64::INFINITY);
        assert_eq!(pow2(1 << 31), f64::INFINITY); // `as i32` would wrap here
        assert_eq!(pow2(u32::MAX), f64::INFINITY);
        assert_eq!(piece_bound(3, 2), 0.5 - 3.0 / 5.0);
        assert_eq!(piece_bound(1, 2000), 0.5);
        assert_eq!(piece_bound(usize::MAX, 1 << 31), 0.5);
        assert!(piece_bound(1, 50) < 0.5 && piece_bound(1, 1023) == 0.5);
    }

    #[test]
    fn bound_holds_for_constant_and_is_nearly_tight() {
        // The constant 1/2 has one piece and error exactly 1/2.
        let half = Net::new(vec![
            Layer::from_rows(&[&[0.0]], &[0.5], Activation::Identity).unwrap(),
        ])
        .unwrap();
        assert_eq!(alternating_error(&half, 4).unwrap(), 0.5);
        assert!(piece_bound(1, 4) < 0.5);
        let check = check_piece_bound(6, &shallow_family(6, 20, 1).unwrap()).unwrap();
        assert_eq!(check.violations, 0);
        assert!(
            check.min_slack >= 0.0 && check.min_slack < 0.05,
            "{check:?}"
        );
        // The best partial sawtooth (j = 63, 64 pieces, error 1/130) gains
        // exactly half of what the bound allows.
        assert!((check.max_gain_fraction - 0.5).abs() < 1e-12, "{check:?}");
        assert!(check_piece_bound(6, &[]).is_err());
    }

    #[test]
    fn units_needed_follows_the_bound() {
        assert_eq!(shallow_units_needed(2, 0.0).unwrap(), 2); // 5 points, 3 pieces
        assert!(shallow_units_needed(2, 0.5).is_err());
        assert!(shallow_units_needed(2, f64::NAN).is_err());
        assert!(shallow_units_needed(0, 0.1).is_err());
        assert!(shallow_units_needed(53, 0.1).is_err());
    }

    #[test]
    fn partial_sawtooth_has_the_promised_pieces() {
        for j in 0..15 {
            let net = partial_sawtooth_net(4, j).unwrap();
            let expect = if j + 1 < 16 { j + 2 } else { j + 1 };
            assert_eq!(net.to_pwl(0.0, 1.0).unwrap().pieces(), expect.max(1));
        }
        assert!(partial_sawtooth_net(4, 16).is_err());
        assert!(alternating_points(0).is_err());
        assert!(alternating_points(MAX_DYADIC_K + 1).is_err());
        assert!(least_squares_shallow_net(4, 0).is_err());
        let mut rng = book_support::seeded(3);
        assert!(random_shallow_net(0, &mut rng).is_err());
    }
}
