//! The hypergradient of a network: how the validation loss of a small MLP
//! trained with weight decay λ changes with λ, by differentiating through
//! every step of its training (forward mode, with exact Hessian-vector
//! products).
//!
//! Training is full-batch gradient descent with the engine's weight decay,
//! `θ_{t+1} = θ_t − η (∇L(θ_t) + λ θ_t)`. Differentiating in λ gives the
//! tangent recursion `v_{t+1} = v_t − η (H_t v_t + λ v_t + θ_t)`, `v_0 = 0`,
//! with `v_t = dθ_t/dλ` and `H_t` the Hessian of the training loss at `θ_t`;
//! then `dE_val/dλ = ∇E_val(θ_T) · v_T`.

use crate::error::{Error, Result};
use ch03_backprop::{Activation, DMatrix, Loss, Mlp, Optimizer, Workspace};

/// `φ''(t)`, for the Hessian-vector product.
fn second_derivative(a: Activation, t: f64) -> f64 {
    match a {
        Activation::Identity | Activation::Relu => 0.0,
        Activation::Tanh => {
            let th = t.tanh();
            -2.0 * th * (1.0 - th * th)
        }
        Activation::Sigmoid => {
            let s = ch03_backprop::sigmoid(t);
            s * (1.0 - s) * (1.0 - 2.0 * s)
        }
    }
}

/// The Hessian of the mean-squared-error loss (the engine's `Loss::Mse`,
/// `½‖f(x) − y‖²` averaged over the batch) times a direction `v` shaped
/// like the parameters: Pearlmutter's (1994) R-operator, a forward pass for
/// the directional derivatives `R{h_l}`, `R{x_l}` beside the ordinary one,
/// then a backward pass for `R{δ_l}` beside `δ_l`. Exact up to rounding.
/// Errors: bad input or target, or `v` of the wrong length.
pub fn hessian_vector(
    net: &Mlp,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    v: &[f64],
) -> Result<Vec<f64>> {
    if v.len() != net.parameter_count() {
        return Err(Error::Shape(format!(
            "direction of length {}, the network has {} parameters",
            v.len(),
            net.parameter_count()
        )));
    }
    net.loss(x, y, Loss::Mse)?; // checks the input and the target
    let depth = net.depth();
    let batch = x.ncols() as f64;
    let dir_w = |l: usize| net.blocks()[l - 1].w(&v[net.block_range(l - 1)]);
    let dir_b = |l: usize| net.blocks()[l - 1].b(&v[net.block_range(l - 1)]);
    // Forward: h_l, x_l and their directional derivatives R{h_l}, R{x_l}.
    let (mut xs, mut rxs) = (vec![x.clone()], vec![DMatrix::zeros(x.nrows(), x.ncols())]);
    let (mut hs, mut rhs) = (Vec::new(), Vec::new());
    for l in 1..=depth {
        let a = net.activation(l);
        let mut h = net.w(l) * &xs[l - 1];
        let mut rh = dir_w(l) * &xs[l - 1] + net.w(l) * &rxs[l - 1];
        for mut col in h.column_iter_mut() {
            col += net.b(l);
        }
        for mut col in rh.column_iter_mut() {
            col += dir_b(l);
        }
        xs.push(h.map(|t| a.apply(t)));
        rxs.push(h.zip_map(&rh, |t, r| a.derivative(t) * r));
        hs.push(h);
        rhs.push(rh);
    }
    // Backward: g = ∂L/∂x_l and R{g}, from the loss down.
    let mut g = (&xs[depth] - y) / batch;
    let mut rg = &rxs[depth] / batch;
    let mut blocks = vec![Vec::new(); depth];
    for l in (1..=depth).rev() {
        let a = net.activation(l);
        let (h, rh) = (&hs[l - 1], &rhs[l - 1]);
        let d = DMatrix::from_fn(h.nrows(), h.ncols(), |i, j| a.derivative(h[(i, j)]));
        let delta = d.component_mul(&g);
        let r_delta = DMatrix::from_fn(h.nrows(), h.ncols(), |i, j| {
            second_derivative(a, h[(i, j)]) * rh[(i, j)] * g[(i, j)] + d[(i, j)] * rg[(i, j)]
        });
        // ∂L/∂W_l = δ x_{l−1}ᵀ and ∂L/∂b_l = δ 1, differentiated.
        let r_w = &r_delta * xs[l - 1].transpose() + &delta * rxs[l - 1].transpose();
        let r_b = r_delta.column_sum();
        blocks[l - 1] = r_w
            .as_slice()
            .iter()
            .chain(r_b.as_slice())
            .copied()
            .collect();
        // g_{l−1} = W_lᵀ δ, differentiated.
        rg = dir_w(l).transpose() * &delta + net.w(l).transpose() * &r_delta;
        g = net.w(l).transpose() * &delta;
    }
    Ok(blocks.concat())
}

/// The setting of the experiment: full-batch gradient descent with step
/// `eta` for `steps` steps from a fixed initial network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unrolled {
    pub eta: f64,
    pub steps: usize,
}

// ANCHOR: unrolled
impl Unrolled {
    /// Trains a copy of `net` with weight decay `lambda` and returns it with
    /// the tangent `v_T = dθ_T/dλ`. The parameters follow the engine's
    /// `Optimizer::gd(η).with_weight_decay(λ)` step by step; the tangent
    /// follows its derivative. Errors: those of the engine.
    pub fn train(
        &self,
        net: &Mlp,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        lambda: f64,
    ) -> Result<(Mlp, Vec<f64>)> {
        let optimizer = Optimizer::gd(self.eta)?.with_weight_decay(lambda)?;
        let mut net = net.clone();
        let mut ws = Workspace::new(&net, x.ncols())?;
        let mut v = vec![0.0; net.parameter_count()];
        for _ in 0..self.steps {
            let hv = hessian_vector(&net, x, y, &v)?;
            let theta = net.parameters().to_vec();
            net.step(x, y, Loss::Mse, &optimizer, &mut ws)?;
            for ((vi, hvi), ti) in v.iter_mut().zip(&hv).zip(&theta) {
                *vi -= self.eta * (hvi + lambda * *vi + ti);
            }
        }
        Ok((net, v))
    }

    /// The validation loss after training with `lambda` and its exact
    /// derivative in `lambda`. Errors: those of [`Unrolled::train`].
    pub fn hypergradient(
        &self,
        net: &Mlp,
        (x, y): (&DMatrix<f64>, &DMatrix<f64>),
        (xv, yv): (&DMatrix<f64>, &DMatrix<f64>),
        lambda: f64,
    ) -> Result<(f64, f64)> {
        let (trained, v) = self.train(net, x, y, lambda)?;
        let (loss, grads) = trained.gradient(xv, yv, Loss::Mse)?;
        let derivative = grads.as_slice().iter().zip(&v).map(|(g, vi)| g * vi).sum();
        Ok((loss, derivative))
    }
}
// ANCHOR_END: unrolled

/// The validation loss after training with `lambda`, without the tangent
/// (for finite differences). Errors: those of the engine.
pub fn validation_loss(
    setup: &Unrolled,
    net: &Mlp,
    (x, y): (&DMatrix<f64>, &DMatrix<f64>),
    (xv, yv): (&DMatrix<f64>, &DMatrix<f64>),
    lambda: f64,
) -> Result<f64> {
    let optimizer = Optimizer::gd(setup.eta)?.with_weight_decay(lambda)?;
    let mut net = net.clone();
    let mut ws = Workspace::new(&net, x.ncols())?;
    for _ in 0..setup.steps {
        net.step(x, y, Loss::Mse, &optimizer, &mut ws)?;
    }
    Ok(net.loss(xv, yv, Loss::Mse)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ch03_backprop::normal;

    /// The Hessian-vector product against central differences of the
    /// engine's own gradient, `(∇L(θ + εv) − ∇L(θ − εv)) / 2ε`.
    #[test]
    fn hessian_vector_products_match_differences_of_the_engine_gradient() {
        let mut rng = book_support::seeded(5);
        for (hidden, output) in [
            (Activation::Tanh, Activation::Identity),
            (Activation::Sigmoid, Activation::Tanh),
        ] {
            let net = Mlp::gaussian(&[3, 5, 4, 2], hidden, output, 1.5, 0.3, &mut rng).unwrap();
            let x = DMatrix::from_fn(3, 7, |_, _| normal(&mut rng));
            let y = DMatrix::from_fn(2, 7, |_, _| normal(&mut rng));
            let v: Vec<f64> = (0..net.parameter_count())
                .map(|_| normal(&mut rng))
                .collect();
            let hv = hessian_vector(&net, &x, &y, &v).unwrap();
            let eps = 1e-5;
            let grad_at = |sign: f64| {
                let theta: Vec<f64> = net
                    .parameters()
                    .iter()
                    .zip(&v)
                    .map(|(t, vi)| t + sign * eps * vi)
                    .collect();
                let mut moved = net.clone();
                moved.set_parameters(&theta).unwrap();
                moved.gradient(&x, &y, Loss::Mse).unwrap().1.flatten()
            };
            let (plus, minus) = (grad_at(1.0), grad_at(-1.0));
            let fd: Vec<f64> = plus
                .iter()
                .zip(&minus)
                .map(|(p, m)| (p - m) / (2.0 * eps))
                .collect();
            let e = ch03_backprop::relative_error(&hv, &fd);
            assert!(e < 1e-7, "relative error {e}");
        }
    }

    #[test]
    fn a_direction_of_the_wrong_length_is_refused() {
        let mut rng = book_support::seeded(1);
        let net = Mlp::gaussian(
            &[2, 3, 1],
            Activation::Tanh,
            Activation::Identity,
            1.0,
            0.0,
            &mut rng,
        )
        .unwrap();
        let x = DMatrix::zeros(2, 4);
        let y = DMatrix::zeros(1, 4);
        assert!(matches!(
            hessian_vector(&net, &x, &y, &[0.0; 3]),
            Err(Error::Shape(_))
        ));
        let bad_y = DMatrix::zeros(1, 3);
        let v = vec![0.0; net.parameter_count()];
        assert!(matches!(
            hessian_vector(&net, &x, &bad_y, &v),
            Err(Error::Engine(_))
        ));
    }
}
