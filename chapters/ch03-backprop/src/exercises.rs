//! Solutions to the chapter's exercises, each with its tests.

use crate::engine::{EngineError, Gradients, Loss, Mlp, sigmoid};
use nalgebra::DMatrix;

type Result<T> = std::result::Result<T, EngineError>;

// ANCHOR: neuron
/// Exercise 1. The gradient of `ℓ = ½ (σ(w t + b) − y)²` with respect to
/// `(w, b)`, by the chain rule written out: with `a = σ(w t + b)`,
/// `∂ℓ/∂b = (a − y) a (1 − a)` and `∂ℓ/∂w = t ∂ℓ/∂b`. Defined for all
/// finite inputs (and NaN in, NaN out).
pub fn neuron_gradient(w: f64, b: f64, t: f64, y: f64) -> (f64, f64) {
    let a = sigmoid(w * t + b);
    let db = (a - y) * a * (1.0 - a);
    (t * db, db)
}
// ANCHOR_END: neuron

// ANCHOR: forward_mode
/// Exercise 2. Forward-mode differentiation: the directional derivative
/// `⟨∇_θ ℓ, v⟩` of the batch loss along a parameter direction `v` (laid out
/// like [`Mlp::parameters`]), computed in one forward sweep that carries a
/// tangent `ẋ_l` next to each `x_l`:
/// `ḣ_l = Ẇ_l x_{l-1} + W_l ẋ_{l-1} + ḃ_l`, `ẋ_l = φ'(h_l) ⊙ ḣ_l`, and at
/// the end `ℓ̇ = ⟨∂ℓ/∂x_L, ẋ_L⟩`. Errors: a direction of the wrong length or
/// with non-finite entries, and the errors of [`Mlp::gradient`].
pub fn directional_derivative(
    net: &Mlp,
    x: &DMatrix<f64>,
    y: &DMatrix<f64>,
    loss: Loss,
    v: &[f64],
) -> Result<f64> {
    if v.len() != net.parameter_count() {
        return Err(EngineError::Shape(format!(
            "direction has {} entries for {} parameters",
            v.len(),
            net.parameter_count()
        )));
    }
    if v.iter().any(|e| !e.is_finite()) {
        return Err(EngineError::NonFinite("direction".into()));
    }
    let (_, upstream) = loss.value_and_gradient(&net.forward(x)?, y)?; // ∂ℓ/∂x_L
    let mut act = x.clone();
    let mut tangent = DMatrix::zeros(x.nrows(), x.ncols());
    for (l, layer) in net.blocks().iter().enumerate() {
        // The direction's part for this layer, laid out like its parameters.
        let dv = &v[net.block_range(l)];
        let (w, b, dw, db) = (net.w(l + 1), net.b(l + 1), layer.w(dv), layer.b(dv));
        let mut h = w * &act;
        let mut dh = dw * &act + w * &tangent;
        for j in 0..h.ncols() {
            for i in 0..h.nrows() {
                h[(i, j)] += b[i];
                dh[(i, j)] += db[i];
            }
        }
        act = h.map(|t| layer.activation.apply(t));
        tangent = dh.zip_map(&h, |d, t| layer.activation.derivative(t) * d);
    }
    Ok(upstream.dot(&tangent))
}
// ANCHOR_END: forward_mode

// ANCHOR: clip_value
/// Exercise 3. Clipping each gradient entry to `[−c, c]` (clipping "by
/// value"), for comparison with [`crate::clip_by_norm`]. Errors: `c` not
/// positive and finite.
pub fn clip_by_value(grads: &mut Gradients, c: f64) -> Result<()> {
    if !(c.is_finite() && c > 0.0) {
        return Err(EngineError::Argument(format!(
            "clipping threshold {c} must be positive and finite"
        )));
    }
    for e in grads.as_mut_slice() {
        *e = e.clamp(-c, c);
    }
    Ok(())
}

/// The cosine of the angle between two vectors; NaN if either is zero, of
/// a different length, empty or non-finite.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.is_empty() || a.iter().chain(b).any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        f64::NAN
    } else {
        dot / (na * nb)
    }
}
// ANCHOR_END: clip_value

// ANCHOR: min_width
/// Exercise 4. The smallest width `n` for which a ReLU network of `depth`
/// layers (zero biases, symmetric weights) has a dead layer with
/// probability at most `p_max`, using `1 − (1 − 2^{-n})^L ≤ p_max`.
/// Domain: `0 < p_max < 1`; `None` otherwise. Depth 0 needs width 1.
pub fn min_width_for_dead_probability(depth: usize, p_max: f64) -> Option<usize> {
    if !(p_max > 0.0 && p_max < 1.0) {
        return None;
    }
    (1..=1074).find(|&n| crate::products::dead_network_probability(n, depth) <= p_max)
}
// ANCHOR_END: min_width

// ANCHOR: relu_gain
/// Exercise 5. Draws of one ReLU layer's squared backward gain at He's
/// scale, `r = (2/n) Σ_i 1{h_i > 0} z_i²` with `h_i, z_i ~ N(0, 1)`
/// independent: the model behind `MeanField::kappa`, in which the incoming
/// signal `W_{l+1}ᵀ δ_{l+1}` is Gaussian and independent of the
/// pre-activations. Domain: `n ≥ 1`.
pub fn relu_gain_draws<R: rand::Rng + ?Sized>(n: usize, draws: usize, rng: &mut R) -> Vec<f64> {
    (0..draws)
        .map(|_| {
            let total: f64 = (0..n)
                .map(|_| {
                    let (h, z) = (crate::engine::normal(rng), crate::engine::normal(rng));
                    if h > 0.0 { z * z } else { 0.0 }
                })
                .sum();
            2.0 * total / n as f64
        })
        .collect()
}
// ANCHOR_END: relu_gain

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Activation, Layer, clip_by_norm};
    use crate::gradcheck::random_problem;
    use nalgebra::DVector;

    #[test]
    fn neuron_gradient_matches_the_engine() {
        let (w, b, t, y) = (0.7, -0.3, 1.9, 0.2);
        let net = Mlp::new(vec![
            Layer::new(
                DMatrix::from_element(1, 1, w),
                DVector::from_element(1, b),
                Activation::Sigmoid,
            )
            .unwrap(),
        ])
        .unwrap();
        let (_, g) = net
            .gradient(
                &DMatrix::from_element(1, 1, t),
                &DMatrix::from_element(1, 1, y),
                Loss::Mse,
            )
            .unwrap();
        let (dw, db) = neuron_gradient(w, b, t, y);
        assert!(
            (dw - net.w_of(&g, 1)[(0, 0)]).abs() < 1e-15 && (db - net.b_of(&g, 1)[0]).abs() < 1e-15
        );
        assert!(neuron_gradient(f64::NAN, 0.0, 1.0, 0.0).0.is_nan());
    }

    #[test]
    fn forward_mode_agrees_with_reverse_mode() {
        let mut rng = book_support::seeded(31);
        for _ in 0..50 {
            let p = random_problem(&mut rng, 4, 5);
            let (_, g) = p.net.gradient(&p.x, &p.y, p.loss).unwrap();
            let v: Vec<f64> = (0..p.net.parameter_count())
                .map(|_| crate::engine::normal(&mut rng))
                .collect();
            let reverse: f64 = g.flatten().iter().zip(&v).map(|(a, b)| a * b).sum();
            let forward = directional_derivative(&p.net, &p.x, &p.y, p.loss, &v).unwrap();
            assert!(
                (forward - reverse).abs() <= 1e-12 * (1.0 + reverse.abs()),
                "{forward} vs {reverse}"
            );
        }
        let p = random_problem(&mut rng, 2, 3);
        assert!(directional_derivative(&p.net, &p.x, &p.y, p.loss, &[1.0]).is_err());
        let mut v = vec![0.0; p.net.parameter_count()];
        v[0] = f64::NAN;
        assert!(directional_derivative(&p.net, &p.x, &p.y, p.loss, &v).is_err());
    }

    #[test]
    fn value_clipping_turns_the_gradient() {
        // One layer with weights (10, 1) and bias 0: θ = (10, 1, 0).
        let mut g = Gradients::from_blocks(&[3], vec![10.0, 1.0, 0.0]).unwrap();
        let original = g.flatten();
        let mut by_norm = g.clone();
        clip_by_norm(&mut by_norm, 1.0).unwrap();
        clip_by_value(&mut g, 1.0).unwrap();
        assert_eq!(g.flatten(), [1.0, 1.0, 0.0]);
        assert!((cosine(&by_norm.flatten(), &original) - 1.0).abs() < 1e-15);
        assert!((cosine(&g.flatten(), &original) - 11.0 / (101.0f64 * 2.0).sqrt()).abs() < 1e-15);
        assert!(clip_by_value(&mut g, 0.0).is_err() && clip_by_value(&mut g, f64::NAN).is_err());
        assert!(
            cosine(&[0.0], &[1.0]).is_nan()
                && cosine(&[1.0], &[1.0, 2.0]).is_nan()
                && cosine(&[], &[]).is_nan()
        );
    }

    #[test]
    fn min_width() {
        assert_eq!(min_width_for_dead_probability(100, 0.01), Some(14));
        assert!(crate::products::dead_network_probability(13, 100) > 0.01);
        assert_eq!(min_width_for_dead_probability(0, 0.5), Some(1));
        assert_eq!(min_width_for_dead_probability(1, 0.5), Some(1));
        assert_eq!(min_width_for_dead_probability(10, 0.0), None);
        assert_eq!(min_width_for_dead_probability(10, 1.0), None);
        assert_eq!(min_width_for_dead_probability(10, f64::NAN), None);
    }
}
