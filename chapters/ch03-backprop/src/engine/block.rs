//! The block abstraction: one differentiable piece of a network.

use nalgebra::DMatrix;
use std::fmt;

// ANCHOR: block
/// A block maps a batch `x` (`n_in × B`, one example per column) to a batch
/// `y` (`n_out × B`), with parameters `θ` that the network stores for it as
/// one flat slice of [`Block::parameter_count`] numbers.
///
/// A block defines two passes. The forward pass returns `y` and whatever
/// the backward pass will need (for a dense layer, the pre-activations).
/// The backward pass receives `∂ℓ/∂y` and returns `∂ℓ/∂x` and `∂ℓ/∂θ`.
/// These two methods are the lesson: they allocate what they return.
pub trait Block: fmt::Debug {
    /// The number of rows `n_in` of an input batch.
    fn input_width(&self) -> usize;
    /// The number of rows `n_out` of an output batch.
    fn output_width(&self) -> usize;
    /// How many parameters the block has.
    fn parameter_count(&self) -> usize;

    /// The forward pass: `y = f(x; θ)` and the values saved for backward.
    fn forward(&self, theta: &[f64], x: &DMatrix<f64>) -> Forward;

    /// The backward pass: given the input `x`, what [`Block::forward`]
    /// saved, and `dy = ∂ℓ/∂y`, returns `∂ℓ/∂x` and `∂ℓ/∂θ`.
    fn backward(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &[DMatrix<f64>],
        dy: &DMatrix<f64>,
    ) -> Backward;
    // (The fast passes follow, with defaults that call these two.)
    // ANCHOR_END: block

    /// The fast forward pass: writes `y` into a preallocated `n_out × B`
    /// matrix and the saved values into `saved` (reusing its matrices when
    /// a block overrides this). The default runs [`Block::forward`] and
    /// copies; a block overrides it to allocate nothing, and must then give
    /// the same numbers (see `engine::check_block`).
    fn forward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &mut Vec<DMatrix<f64>>,
        y: &mut DMatrix<f64>,
    ) {
        let pass = self.forward(theta, x);
        y.copy_from(&pass.y);
        *saved = pass.saved;
    }

    /// The fast backward pass: writes `∂ℓ/∂θ` into `grad` (of length
    /// [`Block::parameter_count`]) and, when `dx` is given, `∂ℓ/∂x` into it.
    /// `y` is the output of the forward pass and `saved` what it saved (a
    /// block may use it as scratch space). The default runs
    /// [`Block::backward`] and copies.
    #[allow(clippy::too_many_arguments)]
    fn backward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        saved: &mut [DMatrix<f64>],
        dy: &DMatrix<f64>,
        dx: Option<&mut DMatrix<f64>>,
        grad: &mut [f64],
    ) {
        let _ = y;
        let pass = self.backward(theta, x, saved, dy);
        if let Some(dx) = dx {
            dx.copy_from(&pass.dx);
        }
        grad.copy_from_slice(&pass.grad);
    }
}

/// What a forward pass returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    /// The output `y`, `n_out × B`.
    pub y: DMatrix<f64>,
    /// Whatever the backward pass needs, in the block's own order.
    pub saved: Vec<DMatrix<f64>>,
}

/// What a backward pass returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Backward {
    /// `∂ℓ/∂x`, `n_in × B`.
    pub dx: DMatrix<f64>,
    /// `∂ℓ/∂θ`, in the order of the block's parameters.
    pub grad: Vec<f64>,
}

/// A boxed block is a block, so one network can mix block types
/// (`Network<Box<dyn Block>>`), at the cost of a virtual call per block.
impl<T: Block + ?Sized> Block for Box<T> {
    fn input_width(&self) -> usize {
        (**self).input_width()
    }
    fn output_width(&self) -> usize {
        (**self).output_width()
    }
    fn parameter_count(&self) -> usize {
        (**self).parameter_count()
    }
    fn forward(&self, theta: &[f64], x: &DMatrix<f64>) -> Forward {
        (**self).forward(theta, x)
    }
    fn backward(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &[DMatrix<f64>],
        dy: &DMatrix<f64>,
    ) -> Backward {
        (**self).backward(theta, x, saved, dy)
    }
    fn forward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &mut Vec<DMatrix<f64>>,
        y: &mut DMatrix<f64>,
    ) {
        (**self).forward_into(theta, x, saved, y)
    }
    fn backward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        saved: &mut [DMatrix<f64>],
        dy: &DMatrix<f64>,
        dx: Option<&mut DMatrix<f64>>,
        grad: &mut [f64],
    ) {
        (**self).backward_into(theta, x, y, saved, dy, dx, grad)
    }
}
