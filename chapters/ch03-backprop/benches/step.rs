//! Times one training step (forward, backward, gradient-descent update) of
//! the chapter's engine, allocation-free with a reused workspace, and puts
//! it next to the machine's rate for one f64 matrix multiply measured the
//! same way. `cargo bench -p ch03-backprop`.
//!
//! GFLOP/s counts two floating-point operations per multiply-add of the
//! matrix products, from the engine's own counters
//! ([`Mlp::forward_multiply_adds`], [`Mlp::backward_multiply_adds`]); the
//! elementwise work is not counted.

use book_support::bench::{Timing, report};
use ch03_backprop::{Activation, Loss, Mlp, Workspace, normal};
use nalgebra::DMatrix;

fn gflops(multiply_adds: usize, t: &Timing) -> f64 {
    2.0 * multiply_adds as f64 / t.seconds() / 1e9
}

fn step_bench(name: &str, widths: &[usize], batch: usize, loss: Loss, samples: usize) {
    let mut rng = book_support::seeded(1);
    let mut net = Mlp::gaussian(
        widths,
        Activation::Relu,
        Activation::Identity,
        2.0,
        0.0,
        &mut rng,
    )
    .expect("valid widths");
    let (n0, k) = (widths[0], widths[widths.len() - 1]);
    let x = DMatrix::from_fn(n0, batch, |_, _| normal(&mut rng));
    let y = match loss {
        Loss::SoftmaxCrossEntropy => {
            DMatrix::from_fn(k, batch, |i, j| if i == j % k { 1.0 } else { 0.0 })
        }
        _ => DMatrix::from_fn(k, batch, |_, _| normal(&mut rng)),
    };
    let mut ws = Workspace::new(&net, batch).expect("positive batch");
    let macs = net.forward_multiply_adds(batch) + net.backward_multiply_adds(batch);
    let t = report(&format!("{name}: forward + backward"), samples, || {
        net.loss_and_gradient(&x, &y, loss, &mut ws)
            .expect("valid batch")
    });
    println!("{:<48} {:>8.1} GFLOP/s", "", gflops(macs, &t));
    let t = report(&format!("{name}: training step"), samples, || {
        net.train_step(&x, &y, loss, 1e-4, &mut ws)
            .expect("finite step")
    });
    println!(
        "{:<48} {:>8.0} steps/s, {:.1} GFLOP/s ({} multiply-adds per step)",
        "",
        1.0 / t.seconds(),
        gflops(macs, &t),
        macs
    );
}

/// The rate of one `m × k` by `k × n` product, the machine's ceiling for a
/// step made of products of that size.
fn matmul_bench(m: usize, k: usize, n: usize, samples: usize) {
    let mut rng = book_support::seeded(2);
    let a = DMatrix::from_fn(m, k, |_, _| normal(&mut rng));
    let b = DMatrix::from_fn(k, n, |_, _| normal(&mut rng));
    let mut c = DMatrix::zeros(m, n);
    let t = report(
        &format!("matrix multiply {m}×{k} by {k}×{n}, f64, nalgebra gemm"),
        samples,
        || c.gemm(1.0, &a, &b, 0.0),
    );
    println!("{:<48} {:>8.1} GFLOP/s", "", gflops(m * k * n, &t));
}

fn main() {
    matmul_bench(256, 256, 256, 300);
    // The small step's five large products are all 64 × 64 × 32.
    matmul_bench(64, 64, 32, 20_000);
    step_bench(
        "64-64-64-1, batch 32, MSE",
        &[64, 64, 64, 1],
        32,
        Loss::Mse,
        20_000,
    );
    step_bench(
        "784-256-256-10, batch 64, cross-entropy",
        &[784, 256, 256, 10],
        64,
        Loss::SoftmaxCrossEntropy,
        500,
    );
}
