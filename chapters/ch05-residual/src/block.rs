//! The residual block `y = λ x + g F(x)`, `F(x) = W₂ φ(W₁ x + b₁)`, as a
//! block of chapter 3's engine: the lesson passes in a few lines of
//! nalgebra, and fast passes that write into preallocated buffers.

use ch03_backprop::{Activation, Backward, Block, EngineError, Forward, Operand, gemm};
use nalgebra::{DMatrix, DMatrixView, DVectorView};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

// ANCHOR: residual
/// A residual block on vectors of `width` numbers with a branch of `hidden`
/// units: `y = λ x + g F(x)` with `F(x) = W₂ φ(W₁ x + b₁)`.
///
/// The parameters `θ` are `W₁` (`hidden × width`, column-major), `b₁`
/// (`hidden`) and `W₂` (`width × hidden`), in that order. The shortcut
/// factor `λ` is 1 in a residual network (He et al. 2016); other values
/// show what a scaled shortcut does. The gate `g` multiplies the branch:
/// 1 normally, the Bernoulli draw `δ` while training with stochastic
/// depth, the survival probability `p` at test time. It is a [`Cell`] so
/// that it can be set between steps inside a network that owns the block.
#[derive(Clone, Debug)]
pub struct Residual {
    width: usize,
    hidden: usize,
    activation: Activation,
    shortcut: f64,
    gate: Cell<f64>,
    /// Where the fast backward pass keeps `δ`; shared by the clones of a
    /// block (a network of clones uses one matrix).
    scratch: Rc<RefCell<DMatrix<f64>>>,
}
// ANCHOR_END: residual

impl Residual {
    /// A block `y = x + W₂ φ(W₁ x + b₁)`. Errors: a zero width.
    pub fn new(width: usize, hidden: usize, activation: Activation) -> Result<Self, EngineError> {
        if width == 0 || hidden == 0 {
            return Err(EngineError::Empty(format!(
                "a residual block needs a positive width and branch width, got {width} and {hidden}"
            )));
        }
        Ok(Residual {
            width,
            hidden,
            activation,
            shortcut: 1.0,
            gate: Cell::new(1.0),
            scratch: Rc::new(RefCell::new(DMatrix::zeros(0, 0))),
        })
    }

    /// The same block with shortcut `λ x` instead of `x`. Errors: a
    /// non-finite `λ`.
    pub fn with_shortcut(self, lambda: f64) -> Result<Self, EngineError> {
        if !lambda.is_finite() {
            return Err(EngineError::Argument(format!(
                "shortcut factor {lambda} must be finite"
            )));
        }
        Ok(Residual {
            shortcut: lambda,
            ..self
        })
    }

    /// Sets the gate `g` of the branch. Errors: a non-finite `g` (the block
    /// keeps its gate).
    pub fn set_gate(&self, g: f64) -> Result<(), EngineError> {
        if !g.is_finite() {
            return Err(EngineError::Argument(format!("gate {g} must be finite")));
        }
        self.gate.set(g);
        Ok(())
    }

    /// The gate `g`.
    pub fn gate(&self) -> f64 {
        self.gate.get()
    }

    /// The shortcut factor `λ`.
    pub fn shortcut(&self) -> f64 {
        self.shortcut
    }

    /// The width of the branch's hidden layer.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The branch's activation φ.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// `(W₁, b₁, W₂)` inside `theta` (the block's parameters or a gradient
    /// shaped like them). Panics if `theta` is shorter than
    /// [`Block::parameter_count`].
    pub fn parts<'a>(
        &self,
        theta: &'a [f64],
    ) -> (
        DMatrixView<'a, f64>,
        DVectorView<'a, f64>,
        DMatrixView<'a, f64>,
    ) {
        let (n, h) = (self.width, self.hidden);
        let (w1, rest) = theta.split_at(h * n);
        let (b1, w2) = rest.split_at(h);
        (
            DMatrixView::from_slice(w1, h, n),
            DVectorView::from_slice(b1, h),
            DMatrixView::from_slice(&w2[..n * h], n, h),
        )
    }
}

// ANCHOR: lesson
impl Block for Residual {
    fn input_width(&self) -> usize {
        self.width
    }
    fn output_width(&self) -> usize {
        self.width
    }
    fn parameter_count(&self) -> usize {
        2 * self.hidden * self.width + self.hidden
    }

    /// `a = W₁ x + b₁ 1ᵀ`, `y = λ x + g W₂ φ(a)`; saves `a`.
    fn forward(&self, theta: &[f64], x: &DMatrix<f64>) -> Forward {
        let (w1, b1, w2) = self.parts(theta);
        let mut a = w1 * x;
        for mut column in a.column_iter_mut() {
            column += b1;
        }
        let r = a.map(|t| self.activation.apply(t));
        let y = x * self.shortcut + (w2 * r) * self.gate();
        Forward { y, saved: vec![a] }
    }

    /// `∂ℓ/∂r = g W₂ᵀ dy`, `δ = φ'(a) ⊙ ∂ℓ/∂r`; then `∂ℓ/∂W₂ = g dy rᵀ`,
    /// `∂ℓ/∂W₁ = δ xᵀ`, `∂ℓ/∂b₁ = δ 1` and `∂ℓ/∂x = λ dy + W₁ᵀ δ`: the
    /// shortcut hands `dy` down unchanged (times `λ`).
    fn backward(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &[DMatrix<f64>],
        dy: &DMatrix<f64>,
    ) -> Backward {
        let (w1, _, w2) = self.parts(theta);
        let a = &saved[0];
        let r = a.map(|t| self.activation.apply(t));
        let dr = (w2.transpose() * dy) * self.gate();
        let delta = a.zip_map(&dr, |t, d| self.activation.derivative(t) * d);
        let dw1 = &delta * x.transpose();
        let db1 = delta.column_sum();
        let dw2 = (dy * r.transpose()) * self.gate();
        let dx = dy * self.shortcut + w1.transpose() * &delta;
        let grad = dw1
            .iter()
            .chain(db1.iter())
            .chain(dw2.iter())
            .copied()
            .collect();
        Backward { dx, grad }
    }
    // (The fast passes follow; see block.rs.)
    // ANCHOR_END: lesson

    /// The forward pass into buffers. `saved` holds `r = φ(a)` and, unless
    /// φ is the ReLU, `a` (a ReLU's slope is read off `r`: `r > 0` exactly
    /// when `a > 0`, and `r` is NaN exactly when `a` is, so
    /// `ReLU'(r) = ReLU'(a)`). Keeping one matrix per block instead of two
    /// matters: at a thousand blocks a training step is bound by memory
    /// traffic as much as by arithmetic. With the gate at 0 the branch is
    /// skipped (the saving of stochastic depth) and `y = λ x`.
    fn forward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &mut Vec<DMatrix<f64>>,
        y: &mut DMatrix<f64>,
    ) {
        let (n, h, batch) = (self.width, self.hidden, x.ncols());
        y.zip_apply(x, |yi, xi| *yi = self.shortcut * xi);
        if self.gate() == 0.0 {
            return;
        }
        let count = if self.activation == Activation::Relu {
            1
        } else {
            2
        };
        if saved.len() != count || saved[0].shape() != (h, batch) {
            *saved = vec![DMatrix::zeros(h, batch); count];
        }
        let (w1, rest) = theta.split_at(h * n);
        let (b1, w2) = rest.split_at(h);
        // a = W₁ x + b₁ 1ᵀ goes into the last buffer, then r = φ(a) into
        // the first (in place for the ReLU).
        let a = &mut saved[count - 1];
        gemm(
            a.as_mut_slice(),
            1.0,
            Operand::of(w1, h),
            Operand::of(x.as_slice(), n),
            0.0,
        );
        for column in a.as_mut_slice().chunks_exact_mut(h) {
            column.iter_mut().zip(b1).for_each(|(v, b)| *v += b);
        }
        if let [r, a] = &mut saved[..] {
            r.zip_apply(a, |ri, ai| *ri = self.activation.apply(ai));
        } else {
            saved[0].apply(|v| *v = Activation::Relu.apply(*v));
        }
        gemm(
            y.as_mut_slice(),
            self.gate(),
            Operand::of(w2, n),
            Operand::of(saved[0].as_slice(), h),
            1.0,
        );
    }

    /// The backward pass into buffers, allocation-free after the first
    /// call: `δ` goes into a scratch matrix that all clones of a block
    /// share, so that it stays in cache from one block to the next.
    fn backward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        _y: &DMatrix<f64>,
        saved: &mut [DMatrix<f64>],
        dy: &DMatrix<f64>,
        dx: Option<&mut DMatrix<f64>>,
        grad: &mut [f64],
    ) {
        let (n, h, g) = (self.width, self.hidden, self.gate());
        if g == 0.0 {
            grad.fill(0.0);
            if let Some(dx) = dx {
                dx.zip_apply(dy, |d, v| *d = self.shortcut * v);
            }
            return;
        }
        let mut scratch = self.scratch.borrow_mut();
        if scratch.shape() != (h, dy.ncols()) {
            *scratch = DMatrix::zeros(h, dy.ncols());
        }
        let delta = &mut *scratch;
        let r = &saved[0];
        let (w1, rest) = theta.split_at(h * n);
        let w2 = &rest[h..];
        let (gw1, rest) = grad.split_at_mut(h * n);
        let (gb1, gw2) = rest.split_at_mut(h);
        let dy_op = Operand::of(dy.as_slice(), n);
        gemm(gw2, g, dy_op, Operand::of(r.as_slice(), h).t(), 0.0); // ∂ℓ/∂W₂ = g dy rᵀ
        gemm(delta.as_mut_slice(), g, Operand::of(w2, n).t(), dy_op, 0.0); // g W₂ᵀ dy
        // δ = φ'(a) ⊙ (g W₂ᵀ dy), then ∂ℓ/∂b₁ = δ 1.
        if self.activation == Activation::Relu {
            delta.zip_apply(r, |d, t| *d *= Activation::Relu.derivative(t));
        } else {
            delta.zip_apply(&saved[1], |d, t| *d *= self.activation.derivative(t));
        }
        gb1.fill(0.0);
        for column in delta.as_slice().chunks_exact(h) {
            gb1.iter_mut().zip(column).for_each(|(s, d)| *s += d);
        }
        gemm(
            gw1,
            1.0,
            Operand::of(delta.as_slice(), h),
            Operand::of(x.as_slice(), n).t(),
            0.0,
        );
        if let Some(dx) = dx {
            dx.zip_apply(dy, |d, v| *d = self.shortcut * v);
            gemm(
                dx.as_mut_slice(),
                1.0,
                Operand::of(w1, h).t(),
                Operand::of(delta.as_slice(), h),
                1.0,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ch03_backprop::{check_block, normal};

    fn random(rows: usize, cols: usize, rng: &mut impl rand::Rng) -> DMatrix<f64> {
        DMatrix::from_fn(rows, cols, |_, _| normal(rng))
    }

    #[test]
    fn fast_passes_match_the_lesson_and_central_differences() {
        let mut rng = book_support::seeded(5);
        // Small shapes take the plain loop, large ones matrixmultiply.
        for (n, h, batch) in [(3, 4, 2), (1, 1, 1), (8, 12, 9), (32, 32, 64), (7, 2, 10)] {
            for activation in [Activation::Relu, Activation::Tanh, Activation::Identity] {
                for (lambda, g) in [(1.0, 1.0), (0.7, 0.5), (1.2, 0.0)] {
                    let block = Residual::new(n, h, activation)
                        .unwrap()
                        .with_shortcut(lambda)
                        .unwrap();
                    block.set_gate(g).unwrap();
                    let theta: Vec<f64> = (0..block.parameter_count())
                        .map(|_| 0.5 * normal(&mut rng))
                        .collect();
                    let x = random(n, batch, &mut rng);
                    let u = random(n, batch, &mut rng);
                    let c = check_block(&block, &theta, &x, &u).unwrap();
                    // Kinks of the ReLU: central differences straddle one
                    // with probability about ε/|a| per unit; fixed seed.
                    assert!(c.forward < 1e-13, "{n} {h} {batch} {activation:?} {c:?}");
                    assert!(c.input_gradient < 1e-13, "{c:?}");
                    assert!(c.parameter_gradient < 1e-13, "{c:?}");
                    assert!(c.finite_differences < 1e-6, "{c:?}");
                }
            }
        }
    }

    #[test]
    fn bad_shapes_and_values_are_errors() {
        assert!(Residual::new(0, 3, Activation::Relu).is_err());
        assert!(Residual::new(3, 0, Activation::Relu).is_err());
        let b = Residual::new(3, 2, Activation::Relu).unwrap();
        assert!(b.clone().with_shortcut(f64::NAN).is_err());
        assert!(b.set_gate(f64::INFINITY).is_err());
        assert_eq!(b.gate(), 1.0);
        let theta = vec![0.0; b.parameter_count()];
        let x = DMatrix::zeros(4, 2);
        assert!(check_block(&b, &theta, &x, &DMatrix::zeros(3, 2)).is_err());
    }
}
