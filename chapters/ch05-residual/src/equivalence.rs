//! Skip connections do not enlarge the function class: a residual ReLU
//! network is a plain ReLU network of larger width with reparameterized
//! weights, and a plain one is a residual one. Both constructions are exact
//! because `x = ReLU(x) − ReLU(−x)`.

use crate::block::Residual;
use crate::nets::{Net, Piece};
use ch03_backprop::{Activation, Block, EngineError, Layer, Mlp, Network};
use nalgebra::{DMatrix, DVector};

type Result<T> = std::result::Result<T, EngineError>;

/// `[top; I; −I]`: `top` with an identity and a negated identity of size `n`
/// stacked below it.
fn with_identities(top: &DMatrix<f64>, n: usize) -> DMatrix<f64> {
    let (h, cols) = top.shape();
    DMatrix::from_fn(h + 2 * n, cols, |i, j| {
        if i < h {
            top[(i, j)]
        } else if i - h < n {
            if i - h == j { 1.0 } else { 0.0 }
        } else if i - h - n == j {
            -1.0
        } else {
            0.0
        }
    })
}

// ANCHOR: residual_as_plain
/// The plain ReLU network that computes exactly what a stack of residual
/// blocks `x ↦ x + W₂ ReLU(W₁ x + b₁)` (width `n`, branch width `h`)
/// computes. Its hidden layer `l` has `h + 2n` units,
/// `z_l = [ReLU(W₁ x_{l−1} + b₁); ReLU(x_{l−1}); ReLU(−x_{l−1})]`, from which
/// `x_l = P_l z_l` with `P_l = [W₂, I, −I]`; that linear map is folded into
/// the next layer's weights, `[W₁; I; −I] P_{l−1}`, and the last one is a
/// linear output layer. Errors: a piece that is not a ReLU residual block
/// with shortcut 1 and gate 1.
pub fn residual_as_plain(net: &Net) -> Result<Mlp> {
    let mut layers = Vec::new();
    let mut previous: Option<DMatrix<f64>> = None; // P_{l−1}
    for (l, piece) in net.blocks().iter().enumerate() {
        let r = match piece.residual() {
            Some(r)
                if r.activation() == Activation::Relu && r.shortcut() == 1.0 && r.gate() == 1.0 =>
            {
                r
            }
            _ => {
                return Err(EngineError::Argument(format!(
                    "piece {} is not a ReLU residual block with shortcut 1 and gate 1",
                    l + 1
                )));
            }
        };
        let n = r.input_width();
        let (w1, b1, w2) = r.parts(net.block_parameters(l));
        let stacked = with_identities(&w1.into_owned(), n);
        let w = match &previous {
            Some(p) => &stacked * p,
            None => stacked,
        };
        let mut b = DVector::zeros(w.nrows());
        b.rows_mut(0, r.hidden()).copy_from(&b1);
        layers.push(Layer::new(w, b, Activation::Relu)?);
        let identity = DMatrix::<f64>::identity(n, n);
        let mut p = DMatrix::zeros(n, r.hidden() + 2 * n);
        p.columns_mut(0, r.hidden()).copy_from(&w2);
        p.columns_mut(r.hidden(), n).copy_from(&identity);
        p.columns_mut(r.hidden() + n, n).copy_from(&(-identity));
        previous = Some(p);
    }
    let p = previous.ok_or(EngineError::NoLayers)?;
    let n = p.nrows();
    layers.push(Layer::new(p, DVector::zeros(n), Activation::Identity)?);
    Mlp::new(layers)
}
// ANCHOR_END: residual_as_plain

// ANCHOR: plain_as_residual
/// The residual network that computes exactly what a plain network of
/// square ReLU layers `x ↦ ReLU(W x + b)` computes: each layer is the block
/// `x + F(x)` with `F(x) = ReLU(W x + b) − x`
/// `= [I, −I, I] ReLU([W; I; −I] x + [b; 0; 0])`, a branch of width `3n`.
/// Errors: a layer that is not square with a ReLU.
pub fn plain_as_residual(mlp: &Mlp) -> Result<Net> {
    let mut blocks = Vec::new();
    let mut theta = Vec::new();
    for l in 1..=mlp.depth() {
        let w = mlp.w(l);
        let n = w.nrows();
        if w.ncols() != n || mlp.activation(l) != Activation::Relu {
            return Err(EngineError::Argument(format!(
                "layer {l} is not a square ReLU layer"
            )));
        }
        let w1 = with_identities(&w.into_owned(), n);
        let mut b1 = DVector::zeros(3 * n);
        b1.rows_mut(0, n).copy_from(&mlp.b(l));
        let identity = DMatrix::<f64>::identity(n, n);
        let mut w2 = DMatrix::zeros(n, 3 * n);
        w2.columns_mut(0, n).copy_from(&identity);
        w2.columns_mut(n, n).copy_from(&(-&identity));
        w2.columns_mut(2 * n, n).copy_from(&identity);
        // Clones of one block share the fast backward pass's scratch.
        let block = match blocks.last() {
            Some(Piece::Residual(b)) => b.clone(),
            _ => Residual::new(n, 3 * n, Activation::Relu)?,
        };
        blocks.push(Piece::Residual(block));
        let mut t = w1.as_slice().to_vec();
        t.extend_from_slice(b1.as_slice());
        t.extend_from_slice(w2.as_slice());
        theta.push(t);
    }
    Network::from_blocks(blocks, theta)
}
// ANCHOR_END: plain_as_residual

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::{BranchScale, residual_stack};
    use ch03_backprop::{normal, relative_error};

    #[test]
    fn both_constructions_compute_the_same_function() {
        let mut rng = book_support::seeded(8);
        let net = residual_stack(
            4,
            6,
            5,
            Activation::Relu,
            1.0,
            BranchScale::Unscaled,
            &mut rng,
        )
        .unwrap();
        let plain = residual_as_plain(&net).unwrap();
        assert_eq!(plain.widths(), vec![4, 14, 14, 14, 14, 14, 4]);
        let x = DMatrix::from_fn(4, 50, |_, _| normal(&mut rng));
        let (a, b) = (net.forward(&x).unwrap(), plain.forward(&x).unwrap());
        assert!(relative_error(b.as_slice(), a.as_slice()) < 1e-13);

        let mlp = Mlp::gaussian(
            &[4; 6],
            Activation::Relu,
            Activation::Relu,
            2.0,
            0.3,
            &mut rng,
        )
        .unwrap();
        let res = plain_as_residual(&mlp).unwrap();
        let (a, b) = (mlp.forward(&x).unwrap(), res.forward(&x).unwrap());
        assert!(relative_error(b.as_slice(), a.as_slice()) < 1e-13);

        // What does not fit is refused.
        let tanh =
            residual_stack(4, 6, 2, Activation::Tanh, 1.0, BranchScale::Zero, &mut rng).unwrap();
        assert!(residual_as_plain(&tanh).is_err());
        let scaled =
            residual_stack(4, 6, 2, Activation::Relu, 0.5, BranchScale::Zero, &mut rng).unwrap();
        assert!(residual_as_plain(&scaled).is_err());
        let linear_top = Mlp::gaussian(
            &[4; 3],
            Activation::Relu,
            Activation::Identity,
            2.0,
            0.0,
            &mut rng,
        )
        .unwrap();
        assert!(plain_as_residual(&linear_top).is_err());
    }
}
