//! Full-batch gradient descent for logistic regression without bias, fast.
//!
//! The loss of a weight vector `w` on the margins `z_i = y_i x_i` is
//! `L(w) = (1/N) Σ ln(1 + e^(-z_i·w))`, and one step is
//! `w ← w + (η/N) Σ σ(-z_i·w) z_i` with `σ(-m) = 1/(1 + e^m)`.
//!
//! [`descend_lesson`] is the plain loop with `f64::exp`. [`descend`] does
//! the same arithmetic up to rounding, in one fused pass over the points
//! per step: structure-of-arrays storage ([`Margins`]), ch02's
//! exponential (within one ulp of `f64::exp`) and sixteen independent
//! lanes of partial sums. On a CPU with AVX-512 it runs ch02's
//! [`logistic_descent_2d`] kernel (intrinsics, with a Newton reciprocal
//! instead of the slow vector division); elsewhere [`descend_portable`],
//! the same loop in plain Rust that LLVM vectorizes for AVX2 with FMA.
//!
//! `1/(1 + e^m)` needs no care: `e^m = inf` for large `m` gives 0 and
//! `e^m = 0` for very negative `m` gives 1; only a NaN margin gives NaN.

use book_support::rand::RngExt;
use ch02_softmax::exercises::softplus;
use ch02_softmax::fast::{fast_exp, logistic_descent_2d};
use multiversion::multiversion;

/// Independent partial sums per coordinate: two AVX-512 vectors (four
/// AVX2 ones), enough to hide the latency of the accumulating FMAs.
const LANES: usize = 16;

// ANCHOR: margins
/// The margins `z_i` of a data set, one array per coordinate, padded
/// with zeros to a multiple of [`LANES`] points. A zero point adds exactly
/// `σ(0)·0 = 0` to the gradient, so the hot loop needs no tail.
#[derive(Clone, Debug, PartialEq)]
pub struct Margins {
    zx: Vec<f64>,
    zy: Vec<f64>,
    len: usize,
}
// ANCHOR_END: margins

impl Margins {
    /// Stores the points `z` (rows `y_i x_i`) as two coordinate arrays.
    pub fn new(z: &[[f64; 2]]) -> Margins {
        let padded = z.len().div_ceil(LANES) * LANES;
        let mut zx = vec![0.0; padded];
        let mut zy = vec![0.0; padded];
        for (i, p) in z.iter().enumerate() {
            zx[i] = p[0];
            zy[i] = p[1];
        }
        Margins {
            zx,
            zy,
            len: z.len(),
        }
    }

    /// The number of points (without the padding).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first coordinates of the points.
    pub fn zx(&self) -> &[f64] {
        &self.zx[..self.len]
    }

    /// The second coordinates of the points.
    pub fn zy(&self) -> &[f64] {
        &self.zy[..self.len]
    }

    /// The points as rows `[z_x, z_y]`.
    pub fn points(&self) -> Vec<[f64; 2]> {
        self.zx()
            .iter()
            .zip(self.zy())
            .map(|(&x, &y)| [x, y])
            .collect()
    }
}

/// The peers' data (`shared/peers/bench_logreg_gd.py`, with our own
/// generator): `n` points `x ~ N(0, I_2)`, labels `y = sign(<u, x>)` with
/// `u = (0.6, 0.8)` (`+1` on the line), then `x += 0.1 y u` so every
/// margin `<u, y x>` is at least 0.1. Returns the rows `z_i = y_i x_i`.
pub fn separable_margins(n: usize, seed: u64) -> Vec<[f64; 2]> {
    const U: [f64; 2] = [0.6, 0.8];
    let mut rng = book_support::seeded(seed);
    (0..n)
        .map(|_| {
            let x = standard_normal_pair(&mut rng);
            let y = if U[0] * x[0] + U[1] * x[1] >= 0.0 {
                1.0
            } else {
                -1.0
            };
            let x = [x[0] + 0.1 * y * U[0], x[1] + 0.1 * y * U[1]];
            [y * x[0], y * x[1]]
        })
        .collect()
}

/// Two independent standard normals by the Box–Muller transform.
fn standard_normal_pair(rng: &mut impl RngExt) -> [f64; 2] {
    // 1 - U lies in (0, 1], so the logarithm is finite.
    let radius = (-2.0 * (1.0 - rng.random::<f64>()).ln()).sqrt();
    let angle = std::f64::consts::TAU * rng.random::<f64>();
    [radius * angle.cos(), radius * angle.sin()]
}

// ANCHOR: lesson
/// Gradient descent as the chapter writes it: for each step, each point's
/// weight `σ(-z_i·w) = 1/(1 + e^(z_i·w))`, then the mean of the weighted
/// points times `η`. No points: no gradient, `w0` comes back.
pub fn descend_lesson(z: &[[f64; 2]], w0: [f64; 2], eta: f64, steps: usize) -> [f64; 2] {
    if z.is_empty() {
        return w0;
    }
    let scale = eta / z.len() as f64;
    let mut w = w0;
    for _ in 0..steps {
        let mut g = [0.0, 0.0];
        for p in z {
            let m = p[0] * w[0] + p[1] * w[1];
            let s = 1.0 / (1.0 + m.exp());
            g[0] += s * p[0];
            g[1] += s * p[1];
        }
        w[0] += scale * g[0];
        w[1] += scale * g[1];
    }
    w
}
// ANCHOR_END: lesson

/// The mean logistic loss `(1/N) Σ ln(1 + e^(-z_i·w))`, each term as a
/// softplus so that no margin overflows. No points: 0.
pub fn loss(m: &Margins, w: [f64; 2]) -> f64 {
    if m.is_empty() {
        return 0.0;
    }
    let total: f64 = m
        .zx()
        .iter()
        .zip(m.zy())
        .map(|(&x, &y)| softplus(-(x * w[0] + y * w[1])))
        .sum();
    total / m.len() as f64
}

/// `steps` steps of full-batch gradient descent from `w0` with step size
/// `eta`, fast; the same as [`descend_lesson`] up to rounding (the tests
/// hold them to a relative 1e-12). Allocates nothing.
pub fn descend(m: &Margins, w0: [f64; 2], eta: f64, steps: usize) -> [f64; 2] {
    if m.is_empty() {
        return w0;
    }
    let scale = eta / m.len() as f64;
    logistic_descent_2d(&m.zx, &m.zy, w0, scale, steps)
        .unwrap_or_else(|| run(&m.zx, &m.zy, w0, scale, steps))
}

/// [`descend`] without the AVX-512 kernel: the portable loop, compiled
/// for AVX2 with FMA where the CPU has them. Public so that both paths
/// can be tested and timed on any machine.
pub fn descend_portable(m: &Margins, w0: [f64; 2], eta: f64, steps: usize) -> [f64; 2] {
    if m.is_empty() {
        return w0;
    }
    run(&m.zx, &m.zy, w0, eta / m.len() as f64, steps)
}

/// `w` after each of the step counts in `checkpoints` (sorted, ascending;
/// repeats allowed), from one run of [`descend`]'s arithmetic: running to
/// `t1` and then on to `t2` gives the bits of running to `t2` at once.
pub fn descend_with_checkpoints(
    m: &Margins,
    w0: [f64; 2],
    eta: f64,
    checkpoints: &[usize],
) -> Vec<[f64; 2]> {
    assert!(
        checkpoints.is_sorted(),
        "checkpoints must be sorted in ascending order"
    );
    let mut w = w0;
    let mut done = 0;
    checkpoints
        .iter()
        .map(|&t| {
            w = descend(m, w, eta, t - done);
            done = t;
            w
        })
        .collect()
}

// ANCHOR: kernel
/// The descent loop on padded coordinate arrays, `scale = η/N`. Compiled
/// once per target below and chosen by CPU detection at the first call;
/// `fast_exp` and `mul_add` are inlined into each, so with FMA they
/// become vector instructions.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn run(zx: &[f64], zy: &[f64], w0: [f64; 2], scale: f64, steps: usize) -> [f64; 2] {
    let mut w = w0;
    for _ in 0..steps {
        let g = gradient_sum(zx, zy, w);
        w[0] += scale * g[0];
        w[1] += scale * g[1];
    }
    w
}

/// `Σ σ(-z_i·w) z_i` in one pass: [`LANES`] running sums per coordinate,
/// added up in a fixed tree order at the end.
#[inline(always)]
fn gradient_sum(zx: &[f64], zy: &[f64], w: [f64; 2]) -> [f64; 2] {
    let mut gx = [0.0; LANES];
    let mut gy = [0.0; LANES];
    for (cx, cy) in zx.chunks_exact(LANES).zip(zy.chunks_exact(LANES)) {
        for j in 0..LANES {
            let margin = cx[j].mul_add(w[0], cy[j] * w[1]);
            let s = 1.0 / (1.0 + fast_exp(margin));
            gx[j] = s.mul_add(cx[j], gx[j]);
            gy[j] = s.mul_add(cy[j], gy[j]);
        }
    }
    [tree_sum(&gx), tree_sum(&gy)]
}
// ANCHOR_END: kernel

/// The sum of the lanes, pairwise.
#[inline(always)]
fn tree_sum(v: &[f64; LANES]) -> f64 {
    let mut half = [0.0; LANES / 2];
    for j in 0..LANES / 2 {
        half[j] = v[j] + v[j + LANES / 2];
    }
    let q = [
        half[0] + half[4],
        half[1] + half[5],
        half[2] + half[6],
        half[3] + half[7],
    ];
    (q[0] + q[2]) + (q[1] + q[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETA: f64 = 0.1;

    fn relative_gap(a: [f64; 2], b: [f64; 2]) -> f64 {
        let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        d / (b[0].powi(2) + b[1].powi(2)).sqrt()
    }

    #[test]
    fn fast_matches_the_lesson() {
        // 1000 points as in the benchmark, 37 for a partial last block.
        for n in [1000, 37] {
            let z = separable_margins(n, 0);
            let m = Margins::new(&z);
            for steps in [1, 10, 1000] {
                let fast = descend(&m, [0.0, 0.0], ETA, steps);
                let lesson = descend_lesson(&z, [0.0, 0.0], ETA, steps);
                let gap = relative_gap(fast, lesson);
                assert!(
                    gap < 1e-12,
                    "n = {n}, {steps} steps: {fast:?} vs {lesson:?}"
                );
            }
        }
    }

    #[test]
    fn checkpoints_repeat_the_bits_of_descend() {
        let m = Margins::new(&separable_margins(50, 3));
        let ts = [0, 1, 1, 10, 300, 1000];
        let ws = descend_with_checkpoints(&m, [0.0, 0.0], ETA, &ts);
        for (&t, w) in ts.iter().zip(&ws) {
            assert_eq!(*w, descend(&m, [0.0, 0.0], ETA, t), "t = {t}");
        }
    }

    #[test]
    fn the_data_is_separated_with_margin() {
        let z = separable_margins(1000, 0);
        assert!(z.iter().all(|p| 0.6 * p[0] + 0.8 * p[1] >= 0.1 - 1e-12));
        let m = Margins::new(&z);
        assert_eq!(m.len(), 1000);
        assert_eq!(m.points(), z);
    }

    #[test]
    fn descent_lowers_the_loss_and_grows_the_norm() {
        let m = Margins::new(&separable_margins(200, 1));
        let w0 = [0.0, 0.0];
        assert!((loss(&m, w0) - std::f64::consts::LN_2).abs() < 1e-14);
        let w1 = descend(&m, w0, ETA, 100);
        let w2 = descend(&m, w1, ETA, 1000);
        assert!(loss(&m, w2) < loss(&m, w1) && loss(&m, w1) < loss(&m, w0));
        assert!(w2[0].hypot(w2[1]) > w1[0].hypot(w1[1]));
    }

    #[test]
    fn extreme_margins_give_no_nan() {
        // Margins of ±800 and ±1e6: e^m overflows to inf or underflows to 0.
        let z = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.5, -0.5]];
        let m = Margins::new(&z);
        for w in [[1e6, 1e6], [-1e6, 1e6], [800.0, -800.0]] {
            let lesson = descend_lesson(&z, w, ETA, 3);
            for fast in [descend(&m, w, ETA, 3), descend_portable(&m, w, ETA, 3)] {
                assert!(fast.iter().all(|v| v.is_finite()), "{fast:?}");
                assert!(relative_gap(fast, lesson) < 1e-12, "{fast:?} vs {lesson:?}");
            }
            let l = loss(&m, w);
            assert!(l.is_finite() && l > 0.0, "{l}");
        }
    }

    #[test]
    fn no_points_no_step() {
        let m = Margins::new(&[]);
        assert_eq!(descend(&m, [1.0, 2.0], ETA, 10), [1.0, 2.0]);
        assert_eq!(descend_lesson(&[], [1.0, 2.0], ETA, 10), [1.0, 2.0]);
        assert_eq!(loss(&m, [1.0, 2.0]), 0.0);
    }
}
