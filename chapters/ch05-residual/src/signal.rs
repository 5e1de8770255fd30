//! Signals through depth: the forward signal of a residual stack, the
//! gradient that reaches each block, and the per-layer gradient norms of
//! plain and residual networks at initialization.

use crate::nets::{BranchScale, Net};
use ch03_backprop::{Block, EngineError, Loss, Workspace, normal};
use nalgebra::DMatrix;
use rand::Rng;

type Result<T> = std::result::Result<T, EngineError>;

// ANCHOR: input_gradients
/// `‖∂ℓ/∂x_l‖` for `l = 0, …, L` (index `l`), for the linear functional
/// `ℓ = Σ_j u_jᵀ x_{L,j}` of the output (chapter 3's [`Loss::Linear`],
/// times the batch size, so that `∂ℓ/∂x_L = u` exactly).
/// Errors: shapes that do not fit the network, non-finite input.
pub fn input_gradient_norms(net: &Net, x: &DMatrix<f64>, u: &DMatrix<f64>) -> Result<Vec<f64>> {
    let mut ws = Workspace::new(net, x.ncols())?.with_input_gradient();
    let scaled = u * x.ncols() as f64;
    net.loss_and_gradient(x, &scaled, Loss::Linear, &mut ws)?;
    (0..=net.depth())
        .map(|l| {
            ws.activation_gradient(l)
                .map(|g| g.norm())
                .ok_or_else(|| EngineError::Argument(format!("no gradient for x_{l}")))
        })
        .collect()
}
// ANCHOR_END: input_gradients

/// The squared-norm ratio `R = ‖x_L‖² / ‖x_0‖²` of one input through `net`.
/// Errors: those of [`ch03_backprop::Network::forward`].
pub fn forward_ratio(net: &Net, x: &DMatrix<f64>) -> Result<f64> {
    Ok(net.forward(x)?.norm_squared() / x.norm_squared())
}

impl BranchScale {
    // ANCHOR: growth
    /// The exact `E[‖x_L‖²] / ‖x_0‖²` after `depth` ReLU blocks of branch
    /// width `h`, He's `W₁` and zero `b₁`: every block multiplies the
    /// expected squared norm by `1 + h c₂` (see the chapter), so the ratio
    /// is `(1 + h c₂)^L`: `2^L` unscaled, `(1 + 1/L)^L < e` with the
    /// `1/√L` scaling, exactly 1 with zero-initialized branches.
    pub fn expected_growth(self, h: usize, depth: usize) -> f64 {
        (1.0 + h as f64 * self.variance(h, depth)).powi(depth as i32)
    }
    // ANCHOR_END: growth

    /// The exact `Var(‖x_L‖² / ‖x_0‖²)` for `depth` blocks of input width
    /// `n` and branch width `h`, as [`BranchScale::expected_growth`].
    /// Gaussian weights look alike in every direction, so each block's
    /// ratio `f` is independent of its input and `E R² = (E f²)^L`. With
    /// `s = ‖ReLU(W₁ x)‖² / ‖x‖²` and `t = c₂ s`, `f = 1 + 2√t a + t Q` for
    /// `a ~ N(0, 1)` and `Q ~ χ²_n` (with `a²` part of `Q`), so
    /// `E[f² | s] = 1 + (2n + 4) t + n(n + 2) t²`; and `E s = h/n`,
    /// `E s² = (6h + h(h − 1))/n²` (each unit's `ReLU(u)²` has moments
    /// `1/n` and `6/n²` for `u ~ N(0, 2/n)`).
    pub fn growth_variance(self, n: usize, h: usize, depth: usize) -> f64 {
        let (nf, hf, c2) = (n as f64, h as f64, self.variance(h, depth));
        let (es, es2) = (hf / nf, (6.0 * hf + hf * (hf - 1.0)) / (nf * nf));
        let ef2 = 1.0 + (2.0 * nf + 4.0) * c2 * es + nf * (nf + 2.0) * c2 * c2 * es2;
        ef2.powi(depth as i32) - self.expected_growth(h, depth).powi(2)
    }

    /// The typical growth `E[log₁₀ R] = L · E[log₁₀ f]`, with `E log₁₀ f`
    /// estimated from `draws` draws of one block's ratio in the law above
    /// (`f = 1 + 2√t a + t Q`, no network built), and its standard error.
    pub fn typical_log10_growth<R: Rng + ?Sized>(
        self,
        n: usize,
        h: usize,
        depth: usize,
        draws: usize,
        rng: &mut R,
    ) -> (f64, f64) {
        let c2 = self.variance(h, depth);
        let logs: Vec<f64> = (0..draws)
            .map(|_| {
                let s: f64 = (0..h)
                    .map(|_| ((2.0 / n as f64).sqrt() * normal(rng)).max(0.0).powi(2))
                    .sum();
                let t = c2 * s;
                let a = normal(rng);
                let q = a * a + (1..n).map(|_| normal(rng).powi(2)).sum::<f64>();
                (1.0 + 2.0 * t.sqrt() * a + t * q).log10()
            })
            .collect();
        let (mean, se) = mean_and_se(&logs);
        (depth as f64 * mean, depth as f64 * se)
    }
}

/// `R = ‖x_L‖²/‖x_0‖²` in `networks` random stacks drawn by `make`, each
/// with its own input `x_0 ~ N(0, I)`. Errors: those of `make` and of the
/// forward pass.
pub fn forward_ratios<R: Rng + ?Sized>(
    networks: usize,
    rng: &mut R,
    mut make: impl FnMut(&mut R) -> Result<Net>,
) -> Result<Vec<f64>> {
    (0..networks)
        .map(|_| {
            let net = make(rng)?;
            let n = net.blocks()[0].input_width();
            let x = DMatrix::from_fn(n, 1, |_, _| normal(rng));
            forward_ratio(&net, &x)
        })
        .collect()
}

/// The norm of the gradient with respect to each block's parameters,
/// `‖∂ℓ/∂θ_l‖` for `l = 1, …, L` (index `l − 1`), on the batch `(x, y)`
/// with `loss`. Errors: those of [`ch03_backprop::Network::loss_and_gradient`].
pub fn parameter_gradient_norms(
    net: &Net,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    loss: Loss,
) -> Result<Vec<f64>> {
    let mut ws = Workspace::new(net, x.ncols())?;
    net.loss_and_gradient(x, y, loss, &mut ws)?;
    let g = ws.gradients();
    Ok((0..net.depth())
        .map(|l| g.block(l).iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect())
}

/// The mean of `values` and its standard error `s/√m`: the sample
/// standard deviation over the square root of the count (NaN for fewer
/// than two values).
pub fn mean_and_se(values: &[f64]) -> (f64, f64) {
    let m = values.len() as f64;
    let mean = values.iter().sum::<f64>() / m;
    if values.len() < 2 {
        return (mean, f64::NAN);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (m - 1.0) / m).sqrt())
}

/// `log10(max / min)` of positive values: how many decades they span.
/// `+inf` if one is zero, NaN for an empty slice or a NaN.
pub fn decades_spanned(values: &[f64]) -> f64 {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let max = values.iter().fold(f64::MIN, |m, &v| m.max(v));
    let min = values.iter().fold(f64::MAX, |m, &v| m.min(v));
    (max / min).log10()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::residual_stack;
    use ch03_backprop::Activation;

    #[test]
    fn zero_branches_pass_gradients_unchanged_and_scaled_shortcuts_multiply_them() {
        let mut rng = book_support::seeded(1);
        let x = DMatrix::from_fn(6, 3, |_, _| normal(&mut rng));
        let u = DMatrix::from_fn(6, 3, |_, _| normal(&mut rng));
        for lambda in [1.0, 0.5, 1.5] {
            let net = residual_stack(
                6,
                8,
                20,
                Activation::Relu,
                lambda,
                BranchScale::Zero,
                &mut rng,
            )
            .unwrap();
            let g = input_gradient_norms(&net, &x, &u).unwrap();
            for (l, gl) in g.iter().enumerate() {
                let expected = u.norm() * lambda.powi(20 - l as i32);
                assert!((gl / expected - 1.0).abs() < 1e-13, "{lambda} {l}");
            }
        }
        assert_eq!(decades_spanned(&[1.0, 1000.0, 10.0]), 3.0);
        assert!(decades_spanned(&[]).is_nan());
        assert_eq!(decades_spanned(&[0.0, 1.0]), f64::INFINITY);
    }

    #[test]
    fn the_forward_growth_is_exact_on_average() {
        // Four blocks of width 8, unscaled: E[R] = 2⁴ = 16 exactly.
        let mut rng = book_support::seeded(2);
        let r = forward_ratios(4000, &mut rng, |rng| {
            residual_stack(8, 8, 4, Activation::Relu, 1.0, BranchScale::Unscaled, rng)
        })
        .unwrap();
        let (mean, se) = mean_and_se(&r);
        let exact = BranchScale::Unscaled.expected_growth(8, 4);
        assert_eq!(exact, 16.0);
        assert!((mean - exact).abs() < 4.0 * se, "{mean} ± {se}");
        // The exact variance against the sample variance (with its standard
        // error) of many short stacks, where the fourth moment is tame.
        let r = forward_ratios(20_000, &mut rng, |rng| {
            residual_stack(6, 6, 2, Activation::Relu, 1.0, BranchScale::Unscaled, rng)
        })
        .unwrap();
        let (var, var_se) = book_support::stats::variance_se(&r);
        let exact_var = BranchScale::Unscaled.growth_variance(6, 6, 2);
        assert!(
            (var - exact_var).abs() < 4.0 * var_se,
            "{var} ± {var_se} vs {exact_var}"
        );
        // Bad input is an error, not a panic.
        let net =
            residual_stack(8, 8, 4, Activation::Relu, 1.0, BranchScale::Zero, &mut rng).unwrap();
        let nan = DMatrix::from_element(8, 1, f64::NAN);
        assert!(forward_ratio(&net, &nan).is_err());
        assert!(forward_ratio(&net, &DMatrix::zeros(7, 1)).is_err());
        assert!(input_gradient_norms(&net, &DMatrix::zeros(8, 2), &DMatrix::zeros(8, 3)).is_err());
    }
}
