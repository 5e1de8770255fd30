//! Times one training step (forward, backward, gradient-descent update) of
//! the chapter's engine, allocation-free with a reused workspace.
//! `cargo bench -p ch03-backprop`.

use book_support::bench::report;
use ch03_backprop::{Activation, Loss, Mlp, Workspace, normal};
use nalgebra::DMatrix;

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
    report(name, samples, || {
        net.train_step(&x, &y, loss, 1e-3, &mut ws)
            .expect("finite step")
    });
}

fn main() {
    step_bench(
        "train step 64-64-64-1, batch 32, MSE",
        &[64, 64, 64, 1],
        32,
        Loss::Mse,
        20_000,
    );
    step_bench(
        "train step 784-256-256-10, batch 64, cross-entropy",
        &[784, 256, 256, 10],
        64,
        Loss::SoftmaxCrossEntropy,
        500,
    );
}
