//! Checking backpropagation against finite differences.
//!
//! The central difference `(ℓ(θ + h e_i) − ℓ(θ − h e_i)) / 2h` approximates
//! `∂ℓ/∂θ_i` with a truncation error of order `h²` and a rounding error of
//! order `ε/h`; the step `h = ε^{1/3} max(1, |θ_i|)` balances the two.

use crate::engine::{Activation, Block, EngineError, Loss, Mlp, Network, Workspace};
use ch02_softmax::central_differences_with;
use nalgebra::DMatrix;
use rand::{Rng, RngExt};

type Result<T> = std::result::Result<T, EngineError>;

/// The step of the central difference for a parameter of size `theta`:
/// `ε^{1/3} max(1, |θ|)`, about `6e-6` for parameters of order one.
pub fn fd_step(theta: f64) -> f64 {
    f64::EPSILON.cbrt() * theta.abs().max(1.0)
}

// ANCHOR: central
/// The gradient of the batch loss by central differences, one parameter at
/// a time (chapter 2's `central_differences_with`, with the step
/// [`fd_step`]): `2P` loss evaluations for `P` parameters. Errors: those of
/// [`Network::loss_ws`], or a probe that makes a parameter non-finite.
pub fn finite_difference_gradient<B: Block + Clone>(
    net: &Network<B>,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    loss: Loss,
) -> Result<Vec<f64>> {
    let mut probe = net.clone();
    let mut ws = Workspace::new(net, x.ncols().max(1))?;
    let mut failure = None;
    let mut loss_at = |theta: &[f64]| {
        let value = probe
            .set_parameters(theta)
            .and_then(|()| probe.loss_ws(x, y, loss, &mut ws));
        value.unwrap_or_else(|e| {
            failure.get_or_insert(e);
            f64::NAN
        })
    };
    let grad = central_differences_with(&mut loss_at, net.parameters(), fd_step)
        .map_err(|e| EngineError::Argument(e.to_string()))?;
    match failure {
        Some(e) => Err(e),
        None => Ok(grad),
    }
}
// ANCHOR_END: central

/// The relative error of an approximate vector `a` against a reference
/// `b`, `‖a − b‖_∞ / ‖b‖_∞`: chapter 2's `relative_error` with the
/// largest entries in place of absolute values, and the same rules. NaN for
/// unequal lengths or a NaN in `b`; `0` when `a == b` entry by entry
/// (equal infinities and empty vectors included); `+inf` when an entry of
/// either is non-finite and differs, or when `b` is zero and `a` is not.
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || b.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let mut diff = 0.0f64;
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let d = if x.is_finite() && y.is_finite() {
                (x - y).abs()
            } else {
                f64::INFINITY
            };
            diff = diff.max(d);
        }
    }
    let scale = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
    if diff == 0.0 {
        0.0
    } else if diff.is_infinite() || scale == 0.0 {
        f64::INFINITY
    } else {
        diff / scale
    }
}

/// A random gradient-check problem: a network, a batch and a target.
#[derive(Clone, Debug)]
pub struct Problem {
    pub net: Mlp,
    pub x: DMatrix<f64>,
    pub y: DMatrix<f64>,
    pub loss: Loss,
}

impl Problem {
    /// The smallest `|h|` over the pre-activations of ReLU layers (`+inf`
    /// when there are none): the distance to the nearest kink. A central
    /// difference that straddles a kink measures an average of two slopes,
    /// so checks skip problems with a kink closer than the step.
    pub fn kink_margin(&self) -> f64 {
        let mut ws = match Workspace::new(&self.net, self.x.ncols()) {
            Ok(ws) => ws,
            Err(_) => return f64::NAN,
        };
        if self.net.forward_ws(&self.x, &mut ws).is_err() {
            return f64::NAN;
        }
        let mut margin = f64::INFINITY;
        for l in 1..=self.net.depth() {
            if self.net.activation(l) == Activation::Relu
                && let Some(h) = ws.pre_activation(l)
            {
                margin = h.iter().fold(margin, |m, v| m.min(v.abs()));
            }
        }
        margin
    }

    /// The relative error of backpropagation against central differences.
    pub fn check(&self) -> Result<f64> {
        let (_, grads) = self.net.gradient(&self.x, &self.y, self.loss)?;
        let fd = finite_difference_gradient(&self.net, &self.x, &self.y, self.loss)?;
        Ok(relative_error(&fd, grads.as_slice()))
    }
}

/// Draws a random problem: depth 1 to `max_depth`, widths 1 to
/// `max_width`, each layer's activation drawn from all four, batch 1 to 4,
/// weights `N(0, 1/n_{l-1})`, biases `N(0, 0.25)`, inputs `N(0, 1)` and a
/// loss drawn from all four (targets to match: any reals for squared
/// error and the linear loss, a random one-hot column for cross-entropy,
/// random labels ±1 for the logistic loss).
/// Domain: `max_depth, max_width ≥ 1` (smaller values are treated as 1).
pub fn random_problem<R: Rng + ?Sized>(rng: &mut R, max_depth: usize, max_width: usize) -> Problem {
    random_problem_with(rng, max_depth, max_width, 4)
}

/// [`random_problem`] with batches of 1 to `max_batch` examples (treated
/// as at least 1).
pub fn random_problem_with<R: Rng + ?Sized>(
    rng: &mut R,
    max_depth: usize,
    max_width: usize,
    max_batch: usize,
) -> Problem {
    use crate::engine::normal;
    let depth = rng.random_range(1..=max_depth.max(1));
    let widths: Vec<usize> = (0..=depth)
        .map(|_| rng.random_range(1..=max_width.max(1)))
        .collect();
    let acts = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
    ];
    let layers = (1..=depth)
        .map(|l| {
            let scale = (1.0 / widths[l - 1] as f64).sqrt();
            let w = DMatrix::from_fn(widths[l], widths[l - 1], |_, _| scale * normal(rng));
            let b = nalgebra::DVector::from_fn(widths[l], |_, _| 0.5 * normal(rng));
            crate::engine::Layer::new(w, b, acts[rng.random_range(0..4)])
        })
        .collect::<Result<Vec<_>>>()
        .expect("positive widths and finite draws make valid layers");
    let net = Mlp::new(layers).expect("consecutive widths agree");
    let batch = rng.random_range(1..=max_batch.max(1));
    let x = DMatrix::from_fn(widths[0], batch, |_, _| normal(rng));
    let loss = [
        Loss::Mse,
        Loss::SoftmaxCrossEntropy,
        Loss::Linear,
        Loss::Logistic,
    ][rng.random_range(0..4)];
    let k = widths[depth];
    let y = match loss {
        Loss::SoftmaxCrossEntropy => {
            let mut y = DMatrix::zeros(k, batch);
            for j in 0..batch {
                y[(rng.random_range(0..k), j)] = 1.0;
            }
            y
        }
        Loss::Logistic => DMatrix::from_fn(
            k,
            batch,
            |_, _| {
                if rng.random_bool(0.5) { 1.0 } else { -1.0 }
            },
        ),
        _ => DMatrix::from_fn(k, batch, |_, _| normal(rng)),
    };
    Problem { net, x, y, loss }
}

/// The outcome of checking many random problems.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Survey {
    /// Problems checked.
    pub checked: usize,
    /// Problems skipped because a ReLU kink lay within `margin` of a
    /// pre-activation.
    pub skipped: usize,
    /// The largest relative error seen.
    pub worst: f64,
    /// Parameters checked, summed over problems.
    pub parameters: usize,
}

/// Checks `count` random problems drawn with `seed` (see
/// [`random_problem`]), skipping those with a ReLU kink closer than
/// `margin`. Errors: those of the engine (none occur for drawn problems).
pub fn survey(
    seed: u64,
    count: usize,
    max_depth: usize,
    max_width: usize,
    margin: f64,
) -> Result<Survey> {
    let mut rng = book_support::seeded(seed);
    let mut out = Survey {
        checked: 0,
        skipped: 0,
        worst: 0.0,
        parameters: 0,
    };
    for _ in 0..count {
        let p = random_problem(&mut rng, max_depth, max_width);
        if p.kink_margin() < margin {
            out.skipped += 1;
            continue;
        }
        let err = p.check()?;
        out.worst = if err.is_nan() {
            f64::NAN
        } else {
            out.worst.max(err)
        };
        out.checked += 1;
        out.parameters += p.net.parameter_count();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Workspace;
    use proptest::prelude::*;

    #[test]
    fn relative_error_domain() {
        assert!(relative_error(&[1.0], &[1.0, 2.0]).is_nan());
        assert_eq!(relative_error(&[], &[]), 0.0);
        assert_eq!(relative_error(&[f64::NAN], &[1.0]), f64::INFINITY);
        assert!(relative_error(&[1.0], &[f64::NAN]).is_nan());
        assert_eq!(relative_error(&[1.0], &[f64::INFINITY]), f64::INFINITY);
        assert_eq!(relative_error(&[f64::INFINITY], &[f64::INFINITY]), 0.0);
        assert_eq!(relative_error(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert_eq!(relative_error(&[1.0], &[0.0]), f64::INFINITY);
        assert_eq!(relative_error(&[1.5, 2.0], &[1.0, 2.0]), 0.25);
    }

    proptest! {
        /// On one entry it is chapter 2's scalar relative error, rule for
        /// rule (NaN, infinities and zeros included).
        #[test]
        fn one_entry_is_chapter_2s_relative_error(
            a in prop_oneof![any::<f64>(), Just(0.0), Just(f64::INFINITY), Just(f64::NAN)],
            b in prop_oneof![any::<f64>(), Just(0.0), Just(f64::NEG_INFINITY), Just(f64::NAN)],
        ) {
            let (ours, theirs) = (relative_error(&[a], &[b]), ch02_softmax::relative_error(a, b));
            prop_assert!(ours == theirs || (ours.is_nan() && theirs.is_nan()), "{a} {b}: {ours} vs {theirs}");
        }
    }

    #[test]
    fn fd_step_scales_with_the_parameter() {
        assert_eq!(fd_step(0.1), fd_step(1.0));
        assert_eq!(fd_step(-100.0), 100.0 * fd_step(1.0));
        assert!((fd_step(1.0) - 6.06e-6).abs() < 1e-8);
    }

    #[test]
    fn a_wrong_gradient_is_caught() {
        // The check must be able to fail: corrupt one backprop entry.
        let mut rng = book_support::seeded(9);
        let p = random_problem(&mut rng, 3, 4);
        let (_, g) = p.net.gradient(&p.x, &p.y, p.loss).unwrap();
        let mut bad = g.flatten();
        let fd = finite_difference_gradient(&p.net, &p.x, &p.y, p.loss).unwrap();
        let i = bad
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap()
            .0;
        bad[i] *= 1.01;
        assert!(relative_error(&fd, &bad) > 1e-3);
    }

    // ANCHOR: proptest
    proptest! {
        #![proptest_config(crate::engine::proptest_config())]

        /// Backprop agrees with central differences on random shapes,
        /// activations, losses and inputs.
        #[test]
        fn backprop_matches_finite_differences(seed in any::<u64>()) {
            let p = random_problem(&mut book_support::seeded(seed), 4, 5);
            prop_assume!(p.kink_margin() > 1e-3);
            let err = p.check().unwrap();
            prop_assert!(err < 1e-6, "relative error {err:e} for {p:?}");
        }
    }
    // ANCHOR_END: proptest

    proptest! {
        #![proptest_config(crate::engine::proptest_config())]

        /// The backward pass is linear in the upstream gradient: pushing
        /// `a u + c v` back gives `a (back u) + c (back v)`.
        #[test]
        fn backward_is_linear_in_the_upstream_gradient(seed in any::<u64>(), a in -3.0..3.0f64, c in -3.0..3.0f64) {
            let mut rng = book_support::seeded(seed);
            let p = random_problem(&mut rng, 4, 5);
            let (k, batch) = (p.y.nrows(), p.y.ncols());
            let u = DMatrix::from_fn(k, batch, |_, _| crate::engine::normal(&mut rng));
            let v = DMatrix::from_fn(k, batch, |_, _| crate::engine::normal(&mut rng));
            let back = |t: &DMatrix<f64>| p.net.gradient(&p.x, t, Loss::Linear).unwrap().1.flatten();
            let (gu, gv, gm) = (back(&u), back(&v), back(&(&u * a + &v * c)));
            for ((x, y), z) in gu.iter().zip(&gv).zip(&gm) {
                let expected = a * x + c * y;
                prop_assert!((z - expected).abs() <= 1e-12 * (1.0 + expected.abs()), "{z} vs {expected}");
            }
        }

        /// The input gradient agrees with central differences in the input.
        #[test]
        fn input_gradient_matches_finite_differences(seed in any::<u64>()) {
            let p = random_problem(&mut book_support::seeded(seed), 3, 4);
            prop_assume!(p.kink_margin() > 1e-3);
            let mut ws = Workspace::new(&p.net, p.x.ncols()).unwrap().with_input_gradient();
            p.net.loss_and_gradient(&p.x, &p.y, p.loss, &mut ws).unwrap();
            let g = ws.activation_gradient(0).unwrap().clone();
            let (rows, batch) = p.x.shape();
            let loss_at = |v: &[f64]| p.net.loss(&DMatrix::from_column_slice(rows, batch, v), &p.y, p.loss).unwrap();
            let fd = central_differences_with(loss_at, p.x.as_slice(), fd_step).unwrap();
            // Central differences carry a rounding error of about
            // ε |ℓ| / h ≈ 4e-11 |ℓ| whatever the size of the gradient (see the
            // chapter), so a tiny gradient is compared on the loss's scale:
            // relative 1e-6, or absolute 1e-8 (1 + |ℓ|), 250 times that floor.
            let loss = p.net.loss(&p.x, &p.y, p.loss).unwrap();
            let gap = fd.iter().zip(g.iter()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            prop_assert!(gap <= 1e-6 * g.amax() + 1e-8 * (1.0 + loss.abs()), "gap {gap:e}, gradient {g}");
        }
    }
}
