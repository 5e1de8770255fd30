//! The chapter's networks: dense layers and residual blocks in one network,
//! and how their weights are drawn.

use crate::block::Residual;
use ch03_backprop::{Activation, Backward, Block, Dense, EngineError, Forward, Network, normal};
use nalgebra::DMatrix;
use rand::Rng;

/// A piece of the chapter's networks: a dense layer of chapter 3 or a
/// residual block of this chapter. An enum rather than `Box<dyn Block>` so
/// that the training loop can reach a residual block's gate.
#[derive(Clone, Debug)]
pub enum Piece {
    Dense(Dense),
    Residual(Residual),
}

impl Piece {
    /// The residual block, if this piece is one.
    pub fn residual(&self) -> Option<&Residual> {
        match self {
            Piece::Residual(r) => Some(r),
            Piece::Dense(_) => None,
        }
    }

    fn block(&self) -> &dyn Block {
        match self {
            Piece::Dense(d) => d,
            Piece::Residual(r) => r,
        }
    }
}

impl Block for Piece {
    fn input_width(&self) -> usize {
        self.block().input_width()
    }
    fn output_width(&self) -> usize {
        self.block().output_width()
    }
    fn parameter_count(&self) -> usize {
        self.block().parameter_count()
    }
    fn forward(&self, theta: &[f64], x: &DMatrix<f64>) -> Forward {
        self.block().forward(theta, x)
    }
    fn backward(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &[DMatrix<f64>],
        dy: &DMatrix<f64>,
    ) -> Backward {
        self.block().backward(theta, x, saved, dy)
    }
    fn forward_into(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &mut Vec<DMatrix<f64>>,
        y: &mut DMatrix<f64>,
    ) {
        self.block().forward_into(theta, x, saved, y)
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
        self.block().backward_into(theta, x, y, saved, dy, dx, grad)
    }
}

/// The chapter's networks.
pub type Net = Network<Piece>;

// ANCHOR: scale
/// How the last weights `W₂` of every residual branch start: entries
/// `N(0, c₂)` with `c₂ = 1/h` ([`BranchScale::Unscaled`]), `1/(h L)` for `L`
/// blocks ([`BranchScale::InverseSqrtDepth`]: the branch's output shrinks
/// by `1/√L`), or zero ([`BranchScale::Zero`]: every block starts as the
/// identity). `W₁` is always He's `N(0, 2/n)`, `b₁ = 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BranchScale {
    Unscaled,
    InverseSqrtDepth,
    Zero,
}

impl BranchScale {
    /// The variance `c₂` of the entries of `W₂` for branch width `hidden`
    /// in a stack of `depth` blocks.
    pub fn variance(self, hidden: usize, depth: usize) -> f64 {
        match self {
            BranchScale::Unscaled => 1.0 / hidden as f64,
            BranchScale::InverseSqrtDepth => 1.0 / (hidden * depth) as f64,
            BranchScale::Zero => 0.0,
        }
    }
}
// ANCHOR_END: scale

/// What sits between a network's input layer and its readout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Body {
    /// `depth` dense ReLU layers, He's weights `N(0, 2/n)`, zero biases.
    Plain,
    /// `depth` residual blocks `x + W₂ ReLU(W₁ x + b₁)` of branch width
    /// equal to the width, with `W₂` drawn as the scale says.
    Residual(BranchScale),
}

/// Draws a `rows × cols` matrix of independent `N(0, variance)` entries,
/// column-major.
pub fn gaussian<R: Rng + ?Sized>(rows: usize, cols: usize, variance: f64, rng: &mut R) -> Vec<f64> {
    let s = variance.sqrt();
    (0..rows * cols).map(|_| s * normal(rng)).collect()
}

/// The parameters of a residual block of width `n` and branch width `h`:
/// `W₁ ~ N(0, c₁)`, `b₁ = 0`, `W₂ ~ N(0, c₂)`.
pub fn branch_parameters<R: Rng + ?Sized>(
    n: usize,
    h: usize,
    c1: f64,
    c2: f64,
    rng: &mut R,
) -> Vec<f64> {
    let mut theta = gaussian(h, n, c1, rng);
    theta.extend(std::iter::repeat_n(0.0, h));
    theta.extend(gaussian(n, h, c2, rng));
    theta
}

/// A stack of `depth` residual blocks of width `n` and branch width `h`
/// (activation φ, shortcut `λ`), with He's `W₁` and `W₂` drawn as `scale`
/// says. Errors: a zero width or depth, a non-finite `λ`.
pub fn residual_stack<R: Rng + ?Sized>(
    n: usize,
    h: usize,
    depth: usize,
    activation: Activation,
    lambda: f64,
    scale: BranchScale,
    rng: &mut R,
) -> Result<Net, EngineError> {
    if depth == 0 {
        return Err(EngineError::NoLayers);
    }
    let block = Residual::new(n, h, activation)?.with_shortcut(lambda)?;
    let c2 = scale.variance(h, depth);
    let theta = (0..depth)
        .map(|_| branch_parameters(n, h, 2.0 / n as f64, c2, rng))
        .collect();
    Network::from_blocks(vec![Piece::Residual(block); depth], theta)
}

/// A network `input → width`, `depth` hidden pieces of `width`, readout
/// `width → outputs`: a linear input layer `N(0, 1/input)`, the body, and a
/// linear readout `N(0, 1/width)`, all biases zero. Errors: a zero width or
/// depth.
pub fn network<R: Rng + ?Sized>(
    body: Body,
    input: usize,
    width: usize,
    depth: usize,
    outputs: usize,
    rng: &mut R,
) -> Result<Net, EngineError> {
    if depth == 0 {
        return Err(EngineError::NoLayers);
    }
    let dense = |n_in: usize, n_out: usize, activation| Dense {
        n_in,
        n_out,
        activation,
    };
    let linear = |n_in: usize, n_out: usize, rng: &mut R| {
        let mut theta = gaussian(n_out, n_in, 1.0 / n_in as f64, rng);
        theta.extend(std::iter::repeat_n(0.0, n_out));
        (
            Piece::Dense(dense(n_in, n_out, Activation::Identity)),
            theta,
        )
    };
    if input == 0 || width == 0 || outputs == 0 {
        return Err(EngineError::Empty(format!(
            "widths {input}, {width} and {outputs} must be positive"
        )));
    }
    let mut pieces = vec![linear(input, width, rng)];
    // One block, cloned: the clones share the fast backward pass's scratch.
    let block = Residual::new(width, width, Activation::Relu)?;
    for _ in 0..depth {
        pieces.push(match body {
            Body::Plain => {
                let mut theta = gaussian(width, width, 2.0 / width as f64, rng);
                theta.extend(std::iter::repeat_n(0.0, width));
                (Piece::Dense(dense(width, width, Activation::Relu)), theta)
            }
            Body::Residual(scale) => (
                Piece::Residual(block.clone()),
                branch_parameters(
                    width,
                    width,
                    2.0 / width as f64,
                    scale.variance(width, depth),
                    rng,
                ),
            ),
        });
    }
    pieces.push(linear(width, outputs, rng));
    let (blocks, theta) = pieces.into_iter().unzip();
    Network::from_blocks(blocks, theta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ch03_backprop::{Loss, Workspace, finite_difference_gradient, relative_error};

    #[test]
    fn networks_of_shared_blocks_have_the_lessons_gradients() {
        let mut rng = book_support::seeded(9);
        let x = DMatrix::from_fn(5, 7, |_, _| normal(&mut rng));
        let y = DMatrix::from_fn(2, 7, |_, _| normal(&mut rng));
        for body in [Body::Plain, Body::Residual(BranchScale::Unscaled)] {
            let net = network(body, 5, 6, 4, 2, &mut rng).unwrap();
            // Some branches off, as under stochastic depth.
            for (i, piece) in net.blocks().iter().enumerate() {
                if let Some(r) = piece.residual() {
                    r.set_gate(if i % 2 == 0 { 0.0 } else { 0.7 }).unwrap();
                }
            }
            let (loss, lesson) = net.gradient(&x, &y, Loss::Mse).unwrap();
            let mut ws = Workspace::new(&net, 7).unwrap();
            for _ in 0..2 {
                let fast = net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
                assert!((fast - loss).abs() <= 1e-14 * loss.abs());
                let e = relative_error(ws.gradients().as_slice(), lesson.as_slice());
                assert!(e < 1e-13, "{body:?}: {e}");
            }
            let fd = finite_difference_gradient(&net, &x, &y, Loss::Mse).unwrap();
            assert!(relative_error(&fd, lesson.as_slice()) < 1e-6, "{body:?}");
        }
        assert!(network(Body::Plain, 0, 3, 2, 1, &mut rng).is_err());
        assert!(network(Body::Plain, 3, 3, 0, 1, &mut rng).is_err());
        assert!(
            residual_stack(3, 3, 0, Activation::Relu, 1.0, BranchScale::Zero, &mut rng).is_err()
        );
    }
}
