//! Checking backpropagation against finite differences.
//!
//! The central difference `(ℓ(θ + h e_i) − ℓ(θ − h e_i)) / 2h` approximates
//! `∂ℓ/∂θ_i` with a truncation error of order `h²` and a rounding error of
//! order `ε/h`; the step `h = ε^{1/3} max(1, |θ_i|)` balances the two.

use crate::engine::{Activation, EngineError, Loss, Mlp, Workspace};
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
/// a time: `2P` loss evaluations for `P` parameters. Errors: those of
/// [`Mlp::loss_and_gradient`].
pub fn finite_difference_gradient(
    net: &Mlp,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    loss: Loss,
) -> Result<Vec<f64>> {
    let mut probe = net.clone();
    let mut ws = Workspace::new(net, x.ncols().max(1))?;
    let mut theta = net.parameters();
    let mut grad = Vec::with_capacity(theta.len());
    for i in 0..theta.len() {
        let (original, h) = (theta[i], fd_step(theta[i]));
        theta[i] = original + h;
        probe.set_parameters(&theta)?;
        let up = probe.loss_and_gradient(x, y, loss, &mut ws)?;
        theta[i] = original - h;
        probe.set_parameters(&theta)?;
        let down = probe.loss_and_gradient(x, y, loss, &mut ws)?;
        theta[i] = original;
        grad.push((up - down) / (2.0 * h));
    }
    Ok(grad)
}
// ANCHOR_END: central

/// The relative error of an approximate gradient, `‖a − b‖_∞ / ‖b‖_∞`, with
/// `b` the reference. Domain: equal lengths; returns NaN for unequal or
/// empty inputs or a non-finite entry, `0` when both are exactly zero and
/// `+inf` when only `b` is zero.
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.is_empty() || a.iter().chain(b).any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let diff = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let scale = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
    if diff == 0.0 { 0.0 } else { diff / scale }
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
        for (l, layer) in self.net.layers().iter().enumerate() {
            if layer.activation == Activation::Relu
                && let Some(h) = ws.pre_activation(l + 1)
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
        Ok(relative_error(&fd, &grads.flatten()))
    }
}

/// Draws a random problem: depth 1 to `max_depth`, widths 1 to
/// `max_width`, each layer's activation drawn from all four, batch 1 to 4,
/// weights `N(0, 1/n_{l-1})`, biases `N(0, 0.25)`, inputs `N(0, 1)` and a
/// loss drawn from all three (targets to match: any reals for squared
/// error and the linear loss, a random one-hot column for cross-entropy).
/// Domain: `max_depth, max_width ≥ 1` (smaller values are treated as 1).
pub fn random_problem<R: Rng + ?Sized>(rng: &mut R, max_depth: usize, max_width: usize) -> Problem {
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
    let batch = rng.random_range(1..=4);
    let x = DMatrix::from_fn(widths[0], batch, |_, _| normal(rng));
    let loss = [Loss::Mse, Loss::SoftmaxCrossEntropy, Loss::Linear][rng.random_range(0..3)];
    let k = widths[depth];
    let y = match loss {
        Loss::SoftmaxCrossEntropy => {
            let mut y = DMatrix::zeros(k, batch);
            for j in 0..batch {
                y[(rng.random_range(0..k), j)] = 1.0;
            }
            y
        }
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
        assert!(relative_error(&[], &[]).is_nan());
        assert!(relative_error(&[f64::NAN], &[1.0]).is_nan());
        assert!(relative_error(&[1.0], &[f64::INFINITY]).is_nan());
        assert_eq!(relative_error(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert_eq!(relative_error(&[1.0], &[0.0]), f64::INFINITY);
        assert_eq!(relative_error(&[1.5, 2.0], &[1.0, 2.0]), 0.25);
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
        #![proptest_config(ProptestConfig::with_cases(256))]

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
        #![proptest_config(ProptestConfig::with_cases(256))]

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
            let mut fd = Vec::new();
            for i in 0..p.x.len() {
                let h = fd_step(p.x[i]);
                let mut up = p.x.clone();
                up[i] += h;
                let mut down = p.x.clone();
                down[i] -= h;
                fd.push((p.net.loss(&up, &p.y, p.loss).unwrap() - p.net.loss(&down, &p.y, p.loss).unwrap()) / (2.0 * h));
            }
            let err = relative_error(&fd, g.as_slice());
            prop_assert!(err < 1e-6 || g.amax() < 1e-12, "relative error {err:e}");
        }
    }
}
