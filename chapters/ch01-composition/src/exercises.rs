//! Solutions to the chapter's exercises, with their tests.

use crate::compose::square_net;
use crate::net::{Activation, Layer, Net, NetError};
use crate::sawtooth::{MAX_DYADIC_K, alternating_error, partial_sawtooth_net};
use book_support::rand::RngExt;
use nalgebra::{DMatrix, DVector};

// ANCHOR: sum_net
/// Exercise 1: a width-3 network for `m^j(x) + m^k(x)`, `1 <= j < k`.
/// Two units run the tent maps; after the `j`-th tent a third unit picks
/// up `m^j` (non-negative, so ReLU carries it unchanged) and the last
/// layer adds it to `m^k`. Errors unless `1 <= j < k`.
pub fn sawtooth_sum_net(j: u32, k: u32) -> Result<Net, NetError> {
    if !(1 <= j && j < k) {
        return Err(NetError::Domain(format!(
            "need 1 <= j < k, got j = {j}, k = {k}"
        )));
    }
    let relu = Activation::Relu;
    let mut layers = vec![Layer::from_rows(&[&[1.0], &[1.0]], &[0.0, -0.5], relu)?];
    for s in 1..k {
        // Layer s + 1 maps (a, b[, carry]) to the next tent's (a, b[, carry]).
        let tent: &[&[f64]] = &[&[2.0, -4.0], &[2.0, -4.0]];
        let layer = if s < j {
            Layer::from_rows(tent, &[0.0, -0.5], relu)?
        } else if s == j {
            // Start carrying m^j = 2a - 4b.
            Layer::from_rows(&[tent[0], tent[1], &[2.0, -4.0]], &[0.0, -0.5, 0.0], relu)?
        } else {
            Layer::from_rows(
                &[&[2.0, -4.0, 0.0], &[2.0, -4.0, 0.0], &[0.0, 0.0, 1.0]],
                &[0.0, -0.5, 0.0],
                relu,
            )?
        };
        layers.push(layer);
    }
    layers.push(Layer::from_rows(
        &[&[2.0, -4.0, 1.0]],
        &[0.0],
        Activation::Identity,
    )?);
    Net::new(layers)
}
// ANCHOR_END: sum_net

// ANCHOR: product_net
/// Exercise 2: runs networks of one common depth side by side: the result
/// takes all their inputs stacked and returns all their outputs stacked
/// (block-diagonal weights). Errors when `nets` is empty or the depths or
/// activations of matching layers differ.
pub fn parallel(nets: &[Net]) -> Result<Net, NetError> {
    let Some(first) = nets.first() else {
        return Err(NetError::Empty("nothing to run in parallel"));
    };
    let depth = first.depth();
    if nets.iter().any(|n| n.depth() != depth) {
        return Err(NetError::Shape(
            "parallel networks must have one depth".into(),
        ));
    }
    let mut layers = Vec::with_capacity(depth);
    for l in 0..depth {
        let parts: Vec<&Layer> = nets.iter().map(|n| &n.layers()[l]).collect();
        let act = parts[0].activation();
        if parts.iter().any(|p| p.activation() != act) {
            return Err(NetError::Shape(format!(
                "layer {} mixes activations",
                l + 1
            )));
        }
        let rows: usize = parts.iter().map(|p| p.weights().nrows()).sum();
        let cols: usize = parts.iter().map(|p| p.weights().ncols()).sum();
        let (mut w, mut b) = (DMatrix::zeros(rows, cols), DVector::zeros(rows));
        let (mut r, mut c) = (0, 0);
        for p in parts {
            let (pr, pc) = p.weights().shape();
            w.view_mut((r, c), (pr, pc)).copy_from(p.weights());
            b.rows_mut(r, pr).copy_from(p.biases());
            (r, c) = (r + pr, c + pc);
        }
        layers.push(Layer::new(w, b, act)?);
    }
    Net::new(layers)
}

/// Exercise 2: `xy ≈ 2 q((x+y)/2) - q(x)/2 - q(y)/2` with `q` the squaring
/// network with `d` levels, for `x, y` in `[0, 1]`. Since `q - t²` lies in
/// `[0, 4^-(d+1)]`, the error lies in `[-4^-(d+1), 2 · 4^-(d+1)]`.
/// Errors as [`square_net`].
pub fn product_net(d: u32) -> Result<Net, NetError> {
    let linear = Activation::Identity;
    // (x, y) -> ((x + y)/2, x, y), square each, then 2 q1 - q2/2 - q3/2.
    let spread = Layer::from_rows(&[&[0.5, 0.5], &[1.0, 0.0], &[0.0, 1.0]], &[0.0; 3], linear)?;
    let squares = parallel(&[square_net(d)?, square_net(d)?, square_net(d)?])?;
    let combine = Layer::from_rows(&[&[2.0, -0.5, -0.5]], &[0.0], linear)?;
    Net::new(vec![spread])?
        .then(&squares)?
        .then(&Net::new(vec![combine])?)
}

/// The largest `|product_net(d)(x, y) - xy|` over the grid `x, y = i / g`,
/// `i = 0..=g`. Errors when `g == 0` and as [`product_net`].
pub fn product_grid_error(d: u32, g: usize) -> Result<f64, NetError> {
    if g == 0 {
        return Err(NetError::Empty("the grid needs at least one interval"));
    }
    let net = product_net(d)?;
    let pts: Vec<(f64, f64)> = (0..=g)
        .flat_map(|i| (0..=g).map(move |j| (i as f64 / g as f64, j as f64 / g as f64)))
        .collect();
    let xs = DMatrix::from_fn(
        2,
        pts.len(),
        |r, c| if r == 0 { pts[c].0 } else { pts[c].1 },
    );
    let out = net.eval_batch(&xs)?;
    Ok(pts
        .iter()
        .zip(out.iter())
        .map(|((x, y), p)| (p - x * y).abs())
        .fold(0.0, f64::max))
}
// ANCHOR_END: product_net

// ANCHOR: partial_units
/// Exercise 3: the fewest hidden units of a partial-sawtooth network (see
/// [`partial_sawtooth_net`]) whose mean error on the `2^k + 1` alternating
/// points is at most `target`, measured on the networks themselves.
/// Errors unless `0 <= target <= 1/2` and `1 <= k <= MAX_DYADIC_K`.
pub fn partial_sawtooth_units(k: u32, target: f64) -> Result<usize, NetError> {
    if !(0.0..=0.5).contains(&target) || k == 0 || k > MAX_DYADIC_K {
        return Err(NetError::Domain(format!(
            "need 0 <= target <= 1/2 and 1 <= k <= 24, got {target}, {k}"
        )));
    }
    // The error falls as j grows, so search the smallest good j by bisection.
    let good = |j: usize| -> Result<bool, NetError> {
        Ok(alternating_error(&partial_sawtooth_net(k, j)?, k)? <= target)
    };
    let (mut lo, mut hi) = (0, (1usize << k) - 1);
    if !good(hi)? {
        return Err(NetError::Domain(format!(
            "no partial sawtooth reaches {target}"
        )));
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if good(mid)? { hi = mid } else { lo = mid + 1 }
    }
    Ok(partial_sawtooth_net(k, lo)?.relu_units())
}
// ANCHOR_END: partial_units

// ANCHOR: random_pieces
/// Exercise 4: a random network from R to R with `depth` hidden ReLU layers
/// of `width` units and a linear output, He-uniform weights (uniform on
/// `±sqrt(6 / n_{l-1})`) and biases uniform on `[-1/2, 1/2]`. Errors when
/// `width` or `depth` is 0.
pub fn random_deep_net(width: usize, depth: usize, rng: &mut impl RngExt) -> Result<Net, NetError> {
    if width == 0 || depth == 0 {
        return Err(NetError::Empty("a deep network needs width and depth"));
    }
    let mut layer = |rows: usize, cols: usize, act| {
        let a = (6.0 / cols as f64).sqrt();
        let w = DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-a..a));
        let b = DVector::from_fn(rows, |_, _| rng.random_range(-0.5..0.5));
        Layer::new(w, b, act)
    };
    let mut layers = vec![layer(width, 1, Activation::Relu)?];
    for _ in 1..depth {
        layers.push(layer(width, width, Activation::Relu)?);
    }
    layers.push(layer(1, width, Activation::Identity)?);
    Net::new(layers)
}

/// Exercise 4: the piece counts on `[-1, 1]` of `samples` random networks
/// (see [`random_deep_net`]) drawn from `seed`. Errors as
/// [`random_deep_net`].
pub fn random_piece_counts(
    width: usize,
    depth: usize,
    samples: usize,
    seed: u64,
) -> Result<Vec<usize>, NetError> {
    let mut rng = book_support::seeded(seed);
    (0..samples)
        .map(|_| {
            Ok(random_deep_net(width, depth, &mut rng)?
                .to_pwl(-1.0, 1.0)?
                .pieces())
        })
        .collect()
}

/// The bound `(w + 1)^L` on the pieces of a one-input network with `L`
/// hidden ReLU layers of width `w` (saturating at `usize::MAX`).
pub fn pieces_upper_bound(width: usize, depth: u32) -> usize {
    (width + 1).saturating_pow(depth)
}
// ANCHOR_END: random_pieces

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sawtooth::{sawtooth_net, shallow_units_needed};

    #[test]
    fn sum_net_adds_two_sawtooths() {
        for (j, k) in [(1, 2), (2, 5), (3, 4)] {
            let net = sawtooth_sum_net(j, k).unwrap();
            assert_eq!(net.max_width(), 3);
            let xs: Vec<f64> = (0..=64).map(|i| i as f64 / 64.0).collect();
            let a = sawtooth_net(j).unwrap().eval_points(&xs).unwrap();
            let b = sawtooth_net(k).unwrap().eval_points(&xs).unwrap();
            let sum = net.eval_points(&xs).unwrap();
            for i in 0..xs.len() {
                assert_eq!(sum[i], a[i] + b[i]);
            }
            assert_eq!(net.to_pwl(0.0, 1.0).unwrap().pieces(), 1 << k);
        }
        assert!(sawtooth_sum_net(2, 2).is_err());
        assert!(sawtooth_sum_net(0, 2).is_err());
    }

    #[test]
    fn product_error_is_within_the_bound_and_reaches_it() {
        for d in 1..=5 {
            let bound = 2.0 * 0.25f64.powi(d as i32 + 1);
            let e = product_grid_error(d, 1 << d).unwrap();
            assert_eq!(e, bound, "d = {d}");
            assert!(product_grid_error(d, 37).unwrap() <= bound);
        }
        assert!(product_grid_error(3, 0).is_err());
        assert!(product_net(0).is_err());
        assert!(product_net(538).is_err());
    }

    #[test]
    fn parallel_checks_depths() {
        assert!(parallel(&[]).is_err());
        assert!(parallel(&[square_net(2).unwrap(), square_net(3).unwrap()]).is_err());
        let two = parallel(&[square_net(2).unwrap(), square_net(2).unwrap()]).unwrap();
        let out = two.eval(&DVector::from_vec(vec![0.5, 0.25])).unwrap();
        assert_eq!((out[0], out[1]), (0.25, 0.0625));
    }

    #[test]
    fn construction_needs_more_units_than_the_bound_allows() {
        let lower = shallow_units_needed(6, 0.1).unwrap();
        let built = partial_sawtooth_units(6, 0.1).unwrap();
        assert!(lower <= built, "{lower} > {built}");
        assert!(partial_sawtooth_units(6, 0.6).is_err());
        assert!(partial_sawtooth_units(0, 0.1).is_err());
    }

    #[test]
    fn random_nets_respect_the_piece_bound() {
        for (w, l) in [(2, 3), (4, 2), (3, 4)] {
            for p in random_piece_counts(w, l, 20, 11).unwrap() {
                assert!(p >= 1 && p <= pieces_upper_bound(w, l as u32));
            }
        }
        let mut rng = book_support::seeded(1);
        assert!(random_deep_net(0, 2, &mut rng).is_err());
        assert!(random_deep_net(2, 0, &mut rng).is_err());
        assert_eq!(pieces_upper_bound(2, 3), 27);
        assert_eq!(pieces_upper_bound(1000, 100), usize::MAX);
    }
}
