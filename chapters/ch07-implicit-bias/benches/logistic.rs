//! `cargo bench -p ch07-implicit-bias`: the peers' logistic regression
//! (`shared/peers/bench_logreg_gd.py`): 1000 separable 2-D points,
//! 10^5 full-batch steps of 0.1 from zero, one thread.

use book_support::bench::report;
use ch07_implicit_bias::fast::{
    Margins, descend, descend_lesson, descend_portable, loss, separable_margins,
};
use std::hint::black_box;

const N: usize = 1000;
const STEPS: usize = 100_000;
const ETA: f64 = 0.1;

fn main() {
    let z = separable_margins(N, 0);
    let m = Margins::new(&z);
    println!("logistic regression GD, n = {N}, {STEPS} steps of {ETA} from 0, one thread");
    let w = descend(&m, [0.0, 0.0], ETA, STEPS);
    println!(
        "w = [{:.12}, {:.12}], |w| = {:.6}, loss = {:.6e}",
        w[0],
        w[1],
        w[0].hypot(w[1]),
        loss(&m, w)
    );
    report(&format!("descend ({STEPS} steps)"), 11, || {
        descend(black_box(&m), [0.0, 0.0], ETA, STEPS)
    });
    report(&format!("descend_portable ({STEPS} steps)"), 11, || {
        descend_portable(black_box(&m), [0.0, 0.0], ETA, STEPS)
    });
    report(
        &format!("descend_lesson ({} steps, f64::exp)", STEPS / 10),
        5,
        || descend_lesson(black_box(&z), [0.0, 0.0], ETA, STEPS / 10),
    );
}
