//! The chapter's data: separable points in the plane drawn like the peers'
//! benchmark, points labelled by the quadrant rule (separable by a small
//! ReLU network but by no line), and two classes of the iris data.

use crate::error::Result;
use crate::svm::Signed;
use book_support::data::Iris;
use nalgebra::DMatrix;
use rand::RngExt;

/// The direction of the separating line of [`separable`].
pub const U: [f64; 2] = [0.6, 0.8];

/// `n` points `x ~ N(0, I₂)` labelled `y = sign(uᵀx)` with `u = (0.6, 0.8)`,
/// then pushed by `gap · y u`, so every point has margin at least `gap`
/// along `u` (the data of `shared/peers/bench_logreg_gd.py`, drawn from our
/// own seeded generator). Returns the points (`2 × n`) and labels.
pub fn separable(n: usize, gap: f64, seed: u64) -> (DMatrix<f64>, Vec<f64>) {
    let mut rng = book_support::seeded(seed);
    let mut x = DMatrix::from_fn(2, n, |_, _| crate::normal(&mut rng));
    let mut labels = Vec::with_capacity(n);
    for mut col in x.column_iter_mut() {
        let y = if col[0] * U[0] + col[1] * U[1] >= 0.0 {
            1.0
        } else {
            -1.0
        };
        col[0] += gap * y * U[0];
        col[1] += gap * y * U[1];
        labels.push(y);
    }
    (x, labels)
}

/// `n` points on rings of radius 1 to 2 at angles at least `0.3` from the
/// axes, labelled by the sign of `x₁x₂` (the quadrant rule, "XOR"): no line
/// through the origin separates them; `|x₁ + x₂| − |x₁ − x₂|`, a ReLU
/// network of four units without biases, does.
pub fn quadrants(n: usize, seed: u64) -> (DMatrix<f64>, Vec<f64>) {
    let mut rng = book_support::seeded(seed);
    let mut x = DMatrix::zeros(2, n);
    let mut labels = Vec::with_capacity(n);
    for j in 0..n {
        let quadrant = rng.random_range(0..4) as f64;
        let angle = quadrant * std::f64::consts::FRAC_PI_2
            + rng.random_range(0.3..std::f64::consts::FRAC_PI_2 - 0.3);
        let radius = rng.random_range(1.0..2.0);
        x[(0, j)] = radius * angle.cos();
        x[(1, j)] = radius * angle.sin();
        labels.push((x[(0, j)] * x[(1, j)]).signum());
    }
    (x, labels)
}

/// Setosa (label −1) against versicolor (+1) by petal length and width in
/// centimetres, with a third coordinate fixed at one, so that a separator
/// through the origin in three dimensions is a line `w₁ l + w₂ w + b = 0`
/// in the plane with its offset `b = w₃` (penalized like the other
/// weights). Returns the points (`3 × 100`) and the labels.
#[cfg(feature = "book")]
pub fn iris_augmented() -> Result<(DMatrix<f64>, Vec<f64>)> {
    Ok(iris_augmented_of(
        &Iris::load().map_err(|e| crate::Error::Argument(e.to_string()))?,
    ))
}

/// [`iris_augmented`] of the data already loaded (a page has no files).
pub fn iris_augmented_of(iris: &Iris) -> (DMatrix<f64>, Vec<f64>) {
    let chosen: Vec<usize> = (0..iris.len()).filter(|&i| iris.classes[i] < 2).collect();
    let x = DMatrix::from_fn(3, chosen.len(), |r, j| {
        if r < 2 {
            iris.features[chosen[j]][2 + r]
        } else {
            1.0
        }
    });
    let labels = chosen
        .iter()
        .map(|&i| if iris.classes[i] == 1 { 1.0 } else { -1.0 })
        .collect();
    (x, labels)
}

/// [`Signed`] points from points and labels.
pub fn signed(x: &DMatrix<f64>, labels: &[f64]) -> Result<Signed> {
    Signed::new(x, labels)
}

/// Points whose L1 and L2 max-margin directions differ: `z_i = y_i x_i`
/// with first coordinate in `[1, 3]` and second in `[−0.8, 2]`, one point
/// at `(1, −0.8)` exactly, random labels. The L1 max-margin direction is
/// then the first axis (margin 1), while the L2 one leans away from it.
pub fn l1_points(n: usize, seed: u64) -> (DMatrix<f64>, Vec<f64>) {
    let mut rng = book_support::seeded(seed);
    let mut x = DMatrix::zeros(2, n);
    let mut labels = Vec::with_capacity(n);
    for j in 0..n {
        let z = if j == 0 {
            [1.0, -0.8]
        } else {
            [rng.random_range(1.0..3.0), rng.random_range(-0.8..2.0)]
        };
        let y = if rng.random::<f64>() < 0.5 { -1.0 } else { 1.0 };
        x[(0, j)] = y * z[0];
        x[(1, j)] = y * z[1];
        labels.push(y);
    }
    (x, labels)
}

/// The points of [`separable`] with the label of point `flipped` reversed:
/// no longer separable when that point lies away from the boundary.
pub fn with_flipped_label(
    x: &DMatrix<f64>,
    labels: &[f64],
    flipped: usize,
) -> (DMatrix<f64>, Vec<f64>) {
    let mut labels = labels.to_vec();
    if let Some(y) = labels.get_mut(flipped) {
        *y = -*y;
    }
    (x.clone(), labels)
}
