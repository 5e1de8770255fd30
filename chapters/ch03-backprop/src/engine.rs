//! A small reverse-mode engine, in two versions that give the same numbers.
//!
//! A network is a list of [`Block`]s applied in order; a block is any
//! differentiable map with parameters that knows its forward and backward
//! pass. The dense layer `h_l = W_l x_{l-1} + b_l`, `x_l = φ(h_l)` is the
//! block of chapter 3 ([`Dense`]); later chapters add their own (a residual
//! block, a stochastic-depth block) without changing this code. A batch of
//! `B` examples is a matrix with one example per column.
//!
//! - The lesson (`block.rs`, `dense.rs`, `network.rs`): each block's
//!   `forward` and `backward`, and [`Network::gradient`], which chains
//!   them. Simple code that allocates what it returns.
//! - The fast engine (`fast.rs`, `linalg.rs`): the same passes written into
//!   a [`Workspace`] allocated once per batch size, so that a training step
//!   allocates nothing. `tests.rs` checks that both give the same values.
//! - Training (`optim.rs`, `train.rs`): the [`Optimizer`] (gradient descent,
//!   momentum, weight decay, clipping) and the one training loop,
//!   [`Trainer`], with observers.
//!
//! Domain: every parameter, input and target is finite, every width is at
//! least one and every batch has at least one example. Anything else is
//! reported as an [`EngineError`], never a panic.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::fmt;

mod activation;
mod block;
mod check;
mod dense;
mod fast;
mod linalg;
mod loss;
mod network;
mod optim;
#[cfg(test)]
mod tests;
mod train;

pub use activation::{Activation, sigmoid};
pub use block::{Backward, Block, Forward};
pub use check::{BlockCheck, check_block};
pub use dense::{Dense, Layer};
pub use fast::Workspace;
use linalg::finite;
pub use linalg::{Operand, gemm};
pub use loss::Loss;
pub use network::{Gradients, Mlp, Network};
pub use optim::Optimizer;
pub use train::{Progress, Run, Trainer};

/// What the engine refuses, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineError {
    /// A network needs at least one layer.
    NoLayers,
    /// A layer has a zero width, or a batch has no examples.
    Empty(String),
    /// Two shapes that must agree do not.
    Shape(String),
    /// A value that must be finite is NaN or infinite.
    NonFinite(String),
    /// A cross-entropy target column is not a probability vector.
    Target(String),
    /// A scalar argument (step size, threshold) is out of its domain.
    Argument(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::NoLayers => write!(f, "a network needs at least one layer"),
            EngineError::Empty(m) => write!(f, "empty: {m}"),
            EngineError::Shape(m) => write!(f, "shape mismatch: {m}"),
            EngineError::NonFinite(m) => write!(f, "not finite: {m}"),
            EngineError::Target(m) => write!(f, "invalid target: {m}"),
            EngineError::Argument(m) => write!(f, "invalid argument: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Shorthand for the engine's results.
type Result<T> = std::result::Result<T, EngineError>;

/// The configuration of the chapter's property tests: 256 cases drawn from
/// a fixed seed, so that `cargo test` checks the same cases on every run
/// and machine (a failure is then reproducible, never a flake).
#[cfg(test)]
pub(crate) fn proptest_config() -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0b1a_c0b0),
        failure_persistence: None,
        ..Default::default()
    }
}

/// One draw from the standard normal distribution `N(0, 1)`.
pub fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

// ANCHOR: clip
/// Rescales `grads` so that their joint norm is at most `threshold`
/// (Pascanu, Mikolov and Bengio 2013): `g ← g · min(1, c / ‖g‖)`. The
/// direction is unchanged. Returns the norm before clipping. Errors: a
/// threshold that is not positive and finite, or a non-finite gradient norm
/// (there is no direction left to keep).
pub fn clip_by_norm(grads: &mut Gradients, threshold: f64) -> Result<f64> {
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(EngineError::Argument(format!(
            "clipping threshold {threshold} must be positive and finite"
        )));
    }
    let norm = grads.norm();
    if !norm.is_finite() {
        return Err(EngineError::NonFinite(format!("gradient norm is {norm}")));
    }
    if norm > threshold {
        grads.scale(threshold / norm);
    }
    Ok(norm)
}
// ANCHOR_END: clip
