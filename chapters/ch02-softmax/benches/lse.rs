//! `cargo bench -p ch02-softmax`: log-sum-exp of 10^6 logits, fast and
//! stable (every kernel this CPU has), stable with `f64::exp`, careful
//! (compensated), and naive.

use book_support::bench::report;
use book_support::rand::RngExt;
use ch02_softmax::*;

fn main() {
    let mut rng = book_support::seeded(1);
    let z: Vec<f64> = (0..1_000_000)
        .map(|_| rng.random_range(-10.0..10.0))
        .collect();
    println!(
        "log-sum-exp of {} logits uniform in [-10, 10], one thread",
        z.len()
    );
    report(
        &format!("fast_log_sum_exp (best kernel: {})", Kernel::best().name()),
        301,
        || fast_log_sum_exp(&z),
    );
    for kernel in Kernel::available() {
        report(
            &format!("fast_log_sum_exp_with({})", kernel.name()),
            51,
            || fast_log_sum_exp_with(kernel, &z),
        );
    }
    report("log_sum_exp (two passes, f64::exp)", 101, || {
        log_sum_exp(&z)
    });
    report("log_sum_exp_compensated (f64::exp, Neumaier)", 51, || {
        log_sum_exp_compensated(&z)
    });
    report("naive_log_sum_exp (ln of sum of exp)", 101, || {
        naive_log_sum_exp(&z)
    });
}
