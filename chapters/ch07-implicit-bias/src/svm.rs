//! The hard-margin support vector machine through the origin, solved
//! without gradient descent and certified: the separator that gradient
//! descent on the logistic loss is claimed to find.
//!
//! With `z_i = y_i x_i`, the problem is `min ½‖w‖²` subject to
//! `z_iᵀw ≥ 1`; its dual is `max Σα_i − ½‖Σ α_i z_i‖²` over `α ≥ 0`, and
//! `w = Σ α_i z_i`. The margin of the unit direction `w/‖w‖` is `1/‖w‖`.

use crate::error::{Error, Result, finite};
use nalgebra::{DMatrix, DVector};

/// Labelled points as the margins see them: one column `z_i = y_i x_i` per
/// point, `d × n`.
#[derive(Clone, Debug, PartialEq)]
pub struct Signed {
    z: DMatrix<f64>,
}

impl Signed {
    /// Points `x` (`d × n`, one per column) and labels `±1`. Errors: no
    /// points or no coordinates, labels of the wrong length or not `±1`,
    /// non-finite entries.
    pub fn new(x: &DMatrix<f64>, labels: &[f64]) -> Result<Self> {
        if x.is_empty() {
            return Err(Error::Empty(format!("{}×{} points", x.nrows(), x.ncols())));
        }
        if labels.len() != x.ncols() {
            return Err(Error::Shape(format!(
                "{} labels for {} points",
                labels.len(),
                x.ncols()
            )));
        }
        finite("the points", x.as_slice())?;
        if let Some(v) = labels.iter().find(|&&v| v != 1.0 && v != -1.0) {
            return Err(Error::Argument(format!("labels are +1 or -1, got {v}")));
        }
        let mut z = x.clone();
        for (mut col, &y) in z.column_iter_mut().zip(labels) {
            col *= y;
        }
        Ok(Signed { z })
    }

    /// The columns `z_i`.
    pub fn z(&self) -> &DMatrix<f64> {
        &self.z
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.z.ncols()
    }

    /// Always false ([`Signed::new`] refuses no points).
    pub fn is_empty(&self) -> bool {
        self.z.ncols() == 0
    }

    /// The margins `z_iᵀ w`.
    pub fn margins(&self, w: &DVector<f64>) -> DVector<f64> {
        self.z.tr_mul(w)
    }

    /// The smallest margin of the unit vector along `w` (negative if some
    /// point is misclassified).
    pub fn normalized_margin(&self, w: &DVector<f64>) -> f64 {
        self.margins(w).min() / w.norm()
    }
}

// ANCHOR: svm
/// A solution of the hard-margin problem with its certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxMargin {
    /// `w = Σ α_i z_i`, rescaled so that its smallest margin is exactly 1
    /// (feasible for the primal problem).
    pub w: DVector<f64>,
    /// The dual variables.
    pub alpha: DVector<f64>,
    /// The dual objective `Σα − ½‖Σ α_i z_i‖²`, a lower bound on the
    /// optimal `½‖w*‖²`.
    pub dual: f64,
    /// Coordinate sweeps used.
    pub sweeps: usize,
}

/// Solves the dual by exact coordinate ascent (Hsieh et al. 2008): for each
/// `i`, maximize over `α_i ≥ 0` with the others fixed, which is
/// `α_i ← max(0, α_i + (1 − z_iᵀw)/‖z_i‖²)`, keeping `w = Σ α_i z_i` up
/// to date. Stops when the certified gap ([`MaxMargin::gap`]) is below
/// `tol`. The method is Hsieh et al.'s dual coordinate descent for the
/// linear SVM, adapted to the hard margin (no upper bound on `α_i`).
/// Errors: `tol` not positive and finite; a zero point (it has no margin
/// to give); in the plane, points that no line through the origin
/// separates strictly (the exact test of [`separable_2d`]); a dual growing
/// past `10¹⁵`; or no certificate within `max_sweeps`
/// ([`Error::NoCertificate`], with the bound `γ ≤ 1/√(2D)` that the dual
/// value gives on any margin): data that are not separable end there in
/// more than two dimensions.
pub fn max_margin(points: &Signed, tol: f64, max_sweeps: usize) -> Result<MaxMargin> {
    if !(tol > 0.0 && tol.is_finite()) {
        return Err(Error::Argument(format!(
            "the tolerance {tol} must be positive and finite"
        )));
    }
    let z = points.z();
    let norms: Vec<f64> = z.column_iter().map(|c| c.norm_squared()).collect();
    if let Some(i) = norms.iter().position(|&s| s == 0.0) {
        return Err(Error::Argument(format!(
            "point {i} is zero: no direction separates it"
        )));
    }
    if z.nrows() == 2 && !separable_2d(points)? {
        return Err(Error::NotSeparable(
            "the points' directions do not fit in an open half-plane".into(),
        ));
    }
    let mut alpha: DVector<f64> = DVector::zeros(points.len());
    let mut w: DVector<f64> = DVector::zeros(z.nrows());
    for sweep in 1..=max_sweeps {
        for i in 0..points.len() {
            let zi = z.column(i);
            let next = (alpha[i] + (1.0 - zi.dot(&w)) / norms[i]).max(0.0);
            w.axpy(next - alpha[i], &zi, 1.0);
            alpha[i] = next;
        }
        let dual = alpha.sum() - 0.5 * w.norm_squared();
        if !(dual.is_finite() && dual < 1e15) {
            // A dual value of 10¹⁵ means a margin below 2.3e-8, if any.
            return Err(Error::NotSeparable(format!(
                "the dual objective exceeds {dual:e} after {sweep} sweeps (a margin below {:e}, if any)",
                1.0 / (2.0 * dual).sqrt()
            )));
        }
        let smallest = points.margins(&w).min();
        if smallest > 0.0 {
            let candidate = MaxMargin {
                w: &w / smallest,
                alpha: alpha.clone(),
                dual,
                sweeps: sweep,
            };
            if candidate.gap() <= tol {
                return Ok(candidate);
            }
        }
    }
    // Every dual value is at most ½‖ŵ‖² = 1/(2γ²): a large one bounds the
    // margin γ of any separating direction from above.
    let dual = alpha.sum() - 0.5 * w.norm_squared();
    Err(Error::NoCertificate {
        sweeps: max_sweeps,
        margin_bound: 1.0 / (2.0 * dual.max(f64::MIN_POSITIVE)).sqrt(),
    })
}

impl MaxMargin {
    /// The relative duality gap `(½‖w‖² − D) / D` of the feasible `w`.
    /// Since `½‖w − w*‖² ≤ ½‖w‖² − ½‖w*‖²` for the feasible `w` (strong
    /// convexity on a convex set) and `½‖w*‖² ≥ D`, the angle θ between
    /// `w` and the true max-margin direction has `sin θ ≤ √gap`.
    pub fn gap(&self) -> f64 {
        (0.5 * self.w.norm_squared() - self.dual) / self.dual
    }

    /// The certified bound `√gap` on `sin θ` (see [`MaxMargin::gap`]).
    pub fn angle_bound(&self) -> f64 {
        self.gap().max(0.0).sqrt()
    }

    /// The unit max-margin direction.
    pub fn direction(&self) -> DVector<f64> {
        &self.w / self.w.norm()
    }

    /// The margin of the unit direction, `1/‖w‖`.
    pub fn margin(&self) -> f64 {
        1.0 / self.w.norm()
    }

    /// The support vectors: points whose margin `z_iᵀw` is within `tol` of
    /// 1 (the others have `α_i = 0` at the optimum).
    pub fn support_vectors(&self, points: &Signed, tol: f64) -> Vec<usize> {
        let m = points.margins(&self.w);
        (0..points.len()).filter(|&i| m[i] <= 1.0 + tol).collect()
    }
}
// ANCHOR_END: svm

/// The angle in radians between two nonzero vectors, accurate also when it
/// is tiny (through `atan2` of the norms of the difference and the sum of
/// the unit vectors).
pub fn angle(a: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let (ua, ub) = (a / a.norm(), b / b.norm());
    2.0 * (&ua - &ub).norm().atan2((&ua + &ub).norm())
}

/// In the plane: the point of largest smallest margin on a polygon's edges,
/// by enumeration. The smallest margin `min_i z_iᵀu` is concave and
/// piecewise linear along each edge, so its maximum lies at an edge's end
/// or where two margins cross: trying every such point is exact.
fn best_on_edges(z: &[[f64; 2]], edges: &[([f64; 2], [f64; 2])]) -> ([f64; 2], f64) {
    let margin = |u: [f64; 2]| {
        z.iter()
            .map(|p| p[0] * u[0] + p[1] * u[1])
            .fold(f64::INFINITY, f64::min)
    };
    let mut best = ([0.0, 0.0], f64::NEG_INFINITY);
    for &(a, b) in edges {
        let at = |s: f64| [a[0] + s * (b[0] - a[0]), a[1] + s * (b[1] - a[1])];
        let mut candidates = vec![0.0, 1.0];
        // Margin of z_i along the edge: m_i(s) = z_i·a + s z_i·(b − a).
        let lines: Vec<(f64, f64)> = z
            .iter()
            .map(|p| {
                (
                    p[0] * a[0] + p[1] * a[1],
                    p[0] * (b[0] - a[0]) + p[1] * (b[1] - a[1]),
                )
            })
            .collect();
        for i in 0..lines.len() {
            for j in i + 1..lines.len() {
                let (c0, s0) = lines[i];
                let (c1, s1) = lines[j];
                if s0 != s1 {
                    let s = (c1 - c0) / (s0 - s1);
                    if (0.0..=1.0).contains(&s) {
                        candidates.push(s);
                    }
                }
            }
        }
        for s in candidates {
            let u = at(s);
            let m = margin(u);
            if m > best.1 {
                best = (u, m);
            }
        }
    }
    best
}

/// The L1 max-margin direction in the plane, exactly: `max min_i z_iᵀu`
/// over `‖u‖₁ = 1`, a linear program whose optimum lies at a vertex of the
/// feasible region, found by enumerating the diamond's four edges and the
/// crossings of margins on them. Returns the direction (with `‖u‖₁ = 1`)
/// and its L1 margin. Errors: points not in the plane, or not separable.
pub fn max_margin_2d_l1(points: &Signed) -> Result<([f64; 2], f64)> {
    let z = plane(points)?;
    let corners = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]];
    let edges: Vec<_> = (0..4).map(|k| (corners[k], corners[(k + 1) % 4])).collect();
    let (u, m) = best_on_edges(&z, &edges);
    if m <= 0.0 {
        return Err(Error::NotSeparable(
            "no direction gives every point a positive margin".into(),
        ));
    }
    Ok((u, m))
}

/// The L2 max-margin direction in the plane by enumeration, independent of
/// [`max_margin`]: the optimum is `z_i/‖z_i‖` for one support vector or the
/// unit normal of `z_i − z_j` for two with equal margins, so the best
/// feasible candidate among those is exact. Returns the unit direction and
/// its margin. Errors: points not in the plane, or not separable.
pub fn max_margin_2d_l2(points: &Signed) -> Result<([f64; 2], f64)> {
    let z = plane(points)?;
    let margin = |u: [f64; 2]| {
        z.iter()
            .map(|p| p[0] * u[0] + p[1] * u[1])
            .fold(f64::INFINITY, f64::min)
    };
    let unit = |v: [f64; 2]| {
        let n = v[0].hypot(v[1]);
        [v[0] / n, v[1] / n]
    };
    let mut best = ([0.0, 0.0], f64::NEG_INFINITY);
    let mut consider = |u: [f64; 2]| {
        let m = margin(u);
        if m > best.1 {
            best = (u, m);
        }
    };
    for (i, a) in z.iter().enumerate() {
        consider(unit(*a));
        for b in &z[i + 1..] {
            let d = [a[0] - b[0], a[1] - b[1]];
            if d != [0.0, 0.0] {
                let normal = unit([-d[1], d[0]]);
                consider(normal);
                consider([-normal[0], -normal[1]]);
            }
        }
    }
    if best.1 <= 0.0 {
        return Err(Error::NotSeparable(
            "no direction gives every point a positive margin".into(),
        ));
    }
    Ok(best)
}

/// Whether points in the plane can be separated through the origin, exactly:
/// they can if and only if their directions fit in an open half-plane, that
/// is, if the largest angular gap between consecutive directions exceeds π.
/// Errors: points not in the plane, or a zero point.
pub fn separable_2d(points: &Signed) -> Result<bool> {
    let z = plane(points)?;
    if z.iter().any(|p| p == &[0.0, 0.0]) {
        return Ok(false);
    }
    let mut angles: Vec<f64> = z.iter().map(|p| p[1].atan2(p[0])).collect();
    angles.sort_by(f64::total_cmp);
    let mut largest = angles[0] + 2.0 * std::f64::consts::PI - angles[angles.len() - 1];
    for w in angles.windows(2) {
        largest = largest.max(w[1] - w[0]);
    }
    Ok(largest > std::f64::consts::PI)
}

fn plane(points: &Signed) -> Result<Vec<[f64; 2]>> {
    if points.z().nrows() != 2 {
        return Err(Error::Shape(format!(
            "{} coordinates; this solver works in the plane",
            points.z().nrows()
        )));
    }
    Ok(points.z().column_iter().map(|c| [c[0], c[1]]).collect())
}
