//! Times one training step (forward, backward, gradient-descent update) of
//! the residual MLP that `shared/peers/bench_residual_step.py` times in
//! numpy, JAX and PyTorch: 1,000 blocks `x ← x + W₂ ReLU(W₁ x + b₁)` of
//! width 32, He's `W₁`, `W₂ ~ N(0, 1/(32 · 1000))`, a linear readout to one
//! output, a batch of 64, squared error, step size 10⁻⁶. (The engine's
//! squared error is `½ ‖f − y‖²` averaged over the batch, the peers'
//! `mean((f − y)²)`: the gradients differ by a factor of 2, the work not.)
//! `cargo bench -p ch05-residual`.

use book_support::bench::report;
use ch03_backprop::{Activation, Dense, Loss, Network, Workspace, normal};
use ch05_residual::{Piece, Residual, branch_parameters, gaussian};
use nalgebra::DMatrix;

const WIDTH: usize = 32;
const BATCH: usize = 64;
const BLOCKS: usize = 1000;

fn main() {
    let mut rng = book_support::seeded(1);
    let block = Residual::new(WIDTH, WIDTH, Activation::Relu).expect("positive widths");
    let mut pieces = vec![Piece::Residual(block); BLOCKS];
    let mut theta: Vec<Vec<f64>> = (0..BLOCKS)
        .map(|_| {
            let c2 = 1.0 / (WIDTH * BLOCKS) as f64;
            branch_parameters(WIDTH, WIDTH, 2.0 / WIDTH as f64, c2, &mut rng)
        })
        .collect();
    pieces.push(Piece::Dense(Dense {
        n_in: WIDTH,
        n_out: 1,
        activation: Activation::Identity,
    }));
    let mut readout = gaussian(1, WIDTH, 1.0 / WIDTH as f64, &mut rng);
    readout.push(0.0);
    theta.push(readout);
    let mut net = Network::from_blocks(pieces, theta).expect("widths chain");
    let x = DMatrix::from_fn(WIDTH, BATCH, |_, _| normal(&mut rng));
    let y = DMatrix::from_fn(1, BATCH, |_, _| normal(&mut rng));
    let mut ws = Workspace::new(&net, BATCH).expect("positive batch");
    let first = net
        .loss_and_gradient(&x, &y, Loss::Mse, &mut ws)
        .expect("valid batch");
    report("forward only", 30, || net.forward_ws(&x, &mut ws).unwrap());
    report("forward+backward", 30, || {
        net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap()
    });
    let t = report(
        "residual MLP, 1000 blocks of width 32, batch 64, MSE: training step",
        30,
        || {
            net.train_step(&x, &y, Loss::Mse, 1e-6, &mut ws)
                .expect("finite step")
        },
    );
    // Six products of 32 × 32 by 32 × 64 per block (two forward, four
    // backward: ∂ℓ/∂W₂, W₂ᵀ dy, ∂ℓ/∂W₁, W₁ᵀ δ), as the peers count them.
    let flop = 3 * 2 * (2 * BATCH * WIDTH * WIDTH * BLOCKS + BATCH * WIDTH);
    println!(
        "{:<48} {:>8.1} GFLOP/s, {:.1} steps/s (first loss {first:.6})",
        "",
        flop as f64 / t.seconds() / 1e9,
        1.0 / t.seconds()
    );
}
#[allow(dead_code)]
fn probe() {
    let a = DMatrix::<f64>::from_fn(32, 32, |i, j| (i + j) as f64);
    let b = DMatrix::<f64>::from_fn(32, 64, |i, j| (i * j) as f64);
    let mut c = DMatrix::<f64>::zeros(32, 64);
    report("gemm 32x32 * 32x64 plain", 20000, || {
        c.gemm(1.0, &a, &b, 0.0)
    });
    let mut c2 = DMatrix::<f64>::zeros(32, 32);
    report("gemm 32x64 * (32x64)^T", 20000, || {
        c2.gemm(1.0, &b, &b.transpose(), 0.0)
    });
    let a256 = DMatrix::<f64>::from_fn(256, 256, |i, j| (i + j) as f64);
    let mut c256 = DMatrix::<f64>::zeros(256, 256);
    let t = report("gemm 256", 200, || c256.gemm(1.0, &a256, &a256, 0.0));
    println!("{}", 2.0 * 256f64.powi(3) / t.seconds() / 1e9);
}
