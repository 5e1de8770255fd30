//! Continuous piecewise-linear functions of one variable on a closed
//! interval, with exact piece counting.
//!
//! A ReLU network with one input and one output computes such a function.
//! [`Pwl`] stores it by its knots `x_0 < x_1 < ... < x_P` and, on each piece
//! `[x_i, x_{i+1}]`, the affine form `slope_i * x + intercept_i`. Pieces are
//! kept *maximal*: two neighbours never carry the same affine form, so
//! [`Pwl::pieces`] is the number of linear pieces of the function.
//!
//! Exactness: [`Pwl::affine_layer`] builds each output's coefficients as
//! running sums of *changes*: at each knot of the union it adds, for every
//! input that has a knot there, that input's change of weighted slope and
//! intercept. At a knot where no input changes nothing but an exact `0.0`
//! is added, so the coefficients on both sides are the same f64 numbers and
//! the pieces merge; [`Pwl::relu`] copies a piece or replaces it by the
//! exact zero piece, so neighbouring zero pieces merge too. A knot where
//! several inputs change but their changes cancel in real arithmetic merges
//! only if the f64 sum of the changes is exactly zero. Where all
//! coefficients and knots are dyadic rationals with few bits, as for the
//! sawtooth networks of this chapter, every number is exact and so is the
//! count. For generic real weights a cancellation that is exact in real
//! arithmetic but not in f64 would be counted as a kink; random weights
//! make such a cancellation a probability-zero event.

use crate::net::NetError;
use nalgebra::{DMatrix, DVector};

/// A continuous piecewise-linear function on `[knots[0], knots[last]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pwl {
    knots: Vec<f64>,
    slopes: Vec<f64>,
    intercepts: Vec<f64>,
}

fn check_interval(lo: f64, hi: f64) -> Result<(), NetError> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(NetError::NonFinite(format!(
            "interval [{lo}, {hi}] must be finite"
        )));
    }
    if lo >= hi {
        return Err(NetError::Domain(format!(
            "interval [{lo}, {hi}] must have lo < hi"
        )));
    }
    Ok(())
}

impl Pwl {
    /// The identity `x ↦ x` on `[lo, hi]`; one piece. Errors when the
    /// interval is not finite or `lo >= hi`.
    pub fn identity(lo: f64, hi: f64) -> Result<Pwl, NetError> {
        check_interval(lo, hi)?;
        Ok(Pwl {
            knots: vec![lo, hi],
            slopes: vec![1.0],
            intercepts: vec![0.0],
        })
    }

    /// The piecewise-linear interpolant through the points `(xs[i], ys[i])`,
    /// on `[xs[0], xs[last]]`. Needs at least two points, strictly
    /// increasing finite `xs` and finite `ys` of the same length.
    pub fn interpolant(xs: &[f64], ys: &[f64]) -> Result<Pwl, NetError> {
        if xs.len() != ys.len() {
            return Err(NetError::Shape(format!(
                "{} abscissae but {} values",
                xs.len(),
                ys.len()
            )));
        }
        if xs.len() < 2 {
            return Err(NetError::Empty("an interpolant needs at least two points"));
        }
        if xs.iter().chain(ys).any(|v| !v.is_finite()) {
            return Err(NetError::NonFinite(
                "interpolation points must be finite".into(),
            ));
        }
        if xs.windows(2).any(|w| w[0] >= w[1]) {
            return Err(NetError::Domain(
                "abscissae must be strictly increasing".into(),
            ));
        }
        let mut out = Pwl::starting_at(xs[0], xs.len() - 1);
        for i in 0..xs.len() - 1 {
            let a = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]);
            out.push(xs[i + 1], (a, ys[i] - a * xs[i]));
        }
        Ok(out)
    }

    /// The interval `(lo, hi)` the function is defined on.
    pub fn domain(&self) -> (f64, f64) {
        (self.knots[0], self.knots[self.knots.len() - 1])
    }

    /// The knots, both ends included: `pieces() + 1` increasing numbers.
    pub fn knots(&self) -> &[f64] {
        &self.knots
    }

    /// The slope on each piece, left to right.
    pub fn slopes(&self) -> &[f64] {
        &self.slopes
    }

    /// The intercept on each piece: the function is `slope * x + intercept`.
    pub fn intercepts(&self) -> &[f64] {
        &self.intercepts
    }

    /// The number of maximal linear pieces.
    pub fn pieces(&self) -> usize {
        self.slopes.len()
    }

    /// The value at `x`, or `None` when `x` is outside the domain or NaN.
    pub fn eval(&self, x: f64) -> Option<f64> {
        let (lo, hi) = self.domain();
        if !(lo..=hi).contains(&x) {
            return None;
        }
        // The piece whose left knot is the last knot <= x.
        let i = self
            .knots
            .partition_point(|&k| k <= x)
            .saturating_sub(1)
            .min(self.pieces() - 1);
        Some(self.slopes[i] * x + self.intercepts[i])
    }

    /// `x ↦ max(0, f(x))`: splits each piece where it crosses zero.
    // ANCHOR: relu
    pub fn relu(&self) -> Pwl {
        let mut out = Pwl::starting_at(self.knots[0], self.pieces());
        for i in 0..self.pieces() {
            let (l, r) = (self.knots[i], self.knots[i + 1]);
            let (a, c) = (self.slopes[i], self.intercepts[i]);
            // The zero of a*x + c, if it falls strictly inside the piece.
            let zero = -c / a;
            if a != 0.0 && l < zero && zero < r {
                // Left of the zero the sign is that of -a, right of it that of a.
                let (left, right) = if a > 0.0 {
                    ((0.0, 0.0), (a, c))
                } else {
                    ((a, c), (0.0, 0.0))
                };
                out.push(zero, left);
                out.push(r, right);
            } else {
                let mid = a * (0.5 * (l + r)) + c;
                out.push(r, if mid > 0.0 { (a, c) } else { (0.0, 0.0) });
            }
        }
        out
    }
    // ANCHOR_END: relu

    /// Appends the piece `a x + c` ending at `right_knot`, merging it into
    /// the last piece when that carries the same affine form, so pieces
    /// stay maximal.
    fn push(&mut self, right_knot: f64, (a, c): (f64, f64)) {
        let n = self.slopes.len();
        if n > 0 && self.slopes[n - 1] == a && self.intercepts[n - 1] == c {
            self.knots[n] = right_knot;
        } else {
            self.knots.push(right_knot);
            self.slopes.push(a);
            self.intercepts.push(c);
        }
    }

    fn starting_at(lo: f64, capacity: usize) -> Pwl {
        let mut knots = Vec::with_capacity(capacity + 1);
        knots.push(lo);
        Pwl {
            knots,
            slopes: Vec::with_capacity(capacity),
            intercepts: Vec::with_capacity(capacity),
        }
    }

    /// `bias + Σ w_j f_j` for `terms = [(w_j, f_j)]`, on the common domain.
    /// Errors when `terms` is empty, a weight or the bias is not finite, or
    /// the domains differ.
    pub fn affine_combination(terms: &[(f64, &Pwl)], bias: f64) -> Result<Pwl, NetError> {
        let inputs: Vec<Pwl> = terms.iter().map(|(_, f)| (*f).clone()).collect();
        let w = DMatrix::from_fn(1, terms.len(), |_, j| terms[j].0);
        let mut out = Pwl::affine_layer(&inputs, &w, &DVector::from_element(1, bias))?;
        Ok(out.pop().expect("one row gives one output"))
    }

    /// The pre-activations of a layer, `h_i = b_i + Σ_j W[i, j] f_j`, for
    /// inputs `f_j` on one common domain. Errors when there are no inputs,
    /// the shapes of `W`, `b` and the inputs disagree, an entry of `W` or
    /// `b` is not finite, or the domains differ.
    pub fn affine_layer(
        inputs: &[Pwl],
        w: &DMatrix<f64>,
        b: &DVector<f64>,
    ) -> Result<Vec<Pwl>, NetError> {
        let Some(first) = inputs.first() else {
            return Err(NetError::Empty(
                "an affine combination needs at least one term",
            ));
        };
        if w.ncols() != inputs.len() || w.nrows() != b.len() {
            return Err(NetError::Shape(format!(
                "W is {}x{} and b has {} entries for {} inputs",
                w.nrows(),
                w.ncols(),
                b.len(),
                inputs.len()
            )));
        }
        if w.iter().chain(b.iter()).any(|v| !v.is_finite()) {
            return Err(NetError::NonFinite(
                "weights and bias must be finite".into(),
            ));
        }
        let domain = first.domain();
        if inputs.iter().any(|f| f.domain() != domain) {
            return Err(NetError::Domain(
                "terms of a combination must share one domain".into(),
            ));
        }
        let lists: Vec<&[f64]> = inputs.iter().map(|f| f.knots.as_slice()).collect();
        let knots = union(&lists);
        // Where each input's knots sit in the union: by walking when the
        // input has about as many knots as the union, by binary search when
        // it has few.
        let located: Vec<Vec<usize>> = inputs
            .iter()
            .map(|f| {
                let mut s = 0;
                let walk = f.knots.len() * 32 >= knots.len();
                f.knots[..f.pieces()]
                    .iter()
                    .map(|&k| {
                        if walk {
                            while knots[s] < k {
                                s += 1;
                            }
                        } else {
                            s = knots.partition_point(|&u| u < k);
                        }
                        s
                    })
                    .collect()
            })
            .collect();
        let segments = knots.len() - 1;
        let mut d_slope = vec![0.0; segments];
        let mut d_intercept = vec![0.0; segments];
        let mut outputs = Vec::with_capacity(w.nrows());
        for i in 0..w.nrows() {
            // Changes of slope and intercept at the left end of each segment,
            // summed afterwards: each input costs its own number of pieces.
            d_slope.iter_mut().for_each(|d| *d = 0.0);
            d_intercept.iter_mut().for_each(|d| *d = 0.0);
            d_intercept[0] = b[i];
            for (j, f) in inputs.iter().enumerate() {
                let wij = w[(i, j)];
                let mut previous = (0.0, 0.0);
                for (piece, &s) in located[j].iter().enumerate() {
                    let now = (wij * f.slopes[piece], wij * f.intercepts[piece]);
                    d_slope[s] += now.0 - previous.0;
                    d_intercept[s] += now.1 - previous.1;
                    previous = now;
                }
            }
            let mut out = Pwl::starting_at(knots[0], segments);
            let (mut a, mut c) = (0.0, 0.0);
            for s in 0..segments {
                a += d_slope[s];
                c += d_intercept[s];
                out.push(knots[s + 1], (a, c));
            }
            outputs.push(out);
        }
        Ok(outputs)
    }

    /// The largest distance `max |f(x) - self(x)|` over the domain, for a
    /// target `f`. On each piece it samples nine equally spaced points and
    /// refines the best one by golden-section search, which finds the
    /// maximum to about 1e-12 relative accuracy whenever `|f - piece|` has
    /// a single local maximum on each piece (true when `f''` keeps one sign
    /// on the piece; near a sign change the distance is small anyway).
    /// Returns NaN if `f` returns NaN anywhere it is evaluated.
    pub fn sup_distance(&self, f: impl Fn(f64) -> f64) -> f64 {
        let mut worst: f64 = 0.0;
        for i in 0..self.pieces() {
            let (l, r) = (self.knots[i], self.knots[i + 1]);
            let (a, c) = (self.slopes[i], self.intercepts[i]);
            let e = |x: f64| (f(x) - (a * x + c)).abs();
            let d = segment_max(&e, l, r);
            if d.is_nan() {
                return f64::NAN;
            }
            worst = worst.max(d);
        }
        worst
    }
}

/// Maximum of `e` on `[l, r]`: a coarse scan, then golden-section search in
/// the bracket around the best sample.
fn segment_max(e: &impl Fn(f64) -> f64, l: f64, r: f64) -> f64 {
    const SAMPLES: usize = 9;
    let at = |i: usize| l + (r - l) * i as f64 / (SAMPLES - 1) as f64;
    let mut best = (0, f64::NEG_INFINITY);
    for i in 0..SAMPLES {
        let v = e(at(i));
        if v.is_nan() {
            return f64::NAN;
        }
        if v > best.1 {
            best = (i, v);
        }
    }
    let (mut lo, mut hi) = (
        at(best.0.saturating_sub(1)),
        at((best.0 + 1).min(SAMPLES - 1)),
    );
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut x1, mut x2) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut f1, mut f2) = (e(x1), e(x2));
    for _ in 0..48 {
        if f1 > f2 {
            hi = x2;
            (x2, f2) = (x1, f1);
            x1 = hi - g * (hi - lo);
            f1 = e(x1);
        } else {
            lo = x1;
            (x1, f1) = (x2, f2);
            x2 = lo + g * (hi - lo);
            f2 = e(x2);
        }
    }
    best.1.max(f1).max(f2)
}

/// The sorted union of sorted lists, without duplicates, by merging pairs
/// in a balanced tree (cost: total length times log of the list count).
fn union(lists: &[&[f64]]) -> Vec<f64> {
    match lists {
        [] => Vec::new(),
        [one] => one.to_vec(),
        _ => {
            let (left, right) = lists.split_at(lists.len() / 2);
            merge(&union(left), &union(right))
        }
    }
}

fn merge(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = if j == b.len() || (i < a.len() && a[i] <= b[j]) {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        if out.last() != Some(&next) {
            out.push(next);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_interpolant_evaluate_exactly() {
        let id = Pwl::identity(-1.0, 2.0).unwrap();
        assert_eq!(id.eval(0.25), Some(0.25));
        assert_eq!(id.eval(3.0), None);
        assert_eq!(id.eval(f64::NAN), None);
        let tent = Pwl::interpolant(&[0.0, 0.5, 1.0], &[0.0, 1.0, 0.0]).unwrap();
        assert_eq!(tent.pieces(), 2);
        assert_eq!(tent.eval(0.25), Some(0.5));
        assert_eq!(tent.eval(1.0), Some(0.0));
        // Collinear points merge into one piece.
        let line = Pwl::interpolant(&[0.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(line.pieces(), 1);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(Pwl::identity(1.0, 1.0).is_err());
        assert!(Pwl::identity(f64::NEG_INFINITY, 1.0).is_err());
        assert!(Pwl::identity(f64::NAN, 1.0).is_err());
        assert!(Pwl::interpolant(&[0.0], &[0.0]).is_err());
        assert!(Pwl::interpolant(&[0.0, 1.0], &[0.0]).is_err());
        assert!(Pwl::interpolant(&[0.0, 0.0], &[0.0, 1.0]).is_err());
        assert!(Pwl::interpolant(&[0.0, 1.0], &[0.0, f64::NAN]).is_err());
        let a = Pwl::identity(0.0, 1.0).unwrap();
        let b = Pwl::identity(0.0, 2.0).unwrap();
        assert!(Pwl::affine_combination(&[], 0.0).is_err());
        assert!(Pwl::affine_combination(&[(1.0, &a), (1.0, &b)], 0.0).is_err());
        assert!(Pwl::affine_combination(&[(f64::INFINITY, &a)], 0.0).is_err());
        assert!(Pwl::affine_combination(&[(1.0, &a)], f64::NAN).is_err());
    }

    #[test]
    fn relu_splits_at_the_zero_and_combination_cancels() {
        let x = Pwl::identity(-1.0, 1.0).unwrap();
        let shifted = Pwl::affine_combination(&[(1.0, &x)], -0.5).unwrap();
        let r = shifted.relu();
        assert_eq!(r.knots(), &[-1.0, 0.5, 1.0]);
        assert_eq!(r.eval(0.75), Some(0.25));
        // relu(x) - relu(-x) = x: the kink at 0 cancels exactly.
        let neg = Pwl::affine_combination(&[(-1.0, &x)], 0.0).unwrap().relu();
        let back = Pwl::affine_combination(&[(1.0, &x.relu()), (-1.0, &neg)], 0.0).unwrap();
        assert_eq!(back.pieces(), 1);
        // relu(x) + relu(-x) = |x| keeps it.
        let abs = Pwl::affine_combination(&[(1.0, &x.relu()), (1.0, &neg)], 0.0).unwrap();
        assert_eq!(abs.pieces(), 2);
        assert_eq!(abs.eval(-0.5), Some(0.5));
    }

    #[test]
    fn affine_layer_checks_shapes() {
        let x = Pwl::identity(0.0, 1.0).unwrap();
        let w = DMatrix::from_row_slice(2, 1, &[1.0, -1.0]);
        assert!(Pwl::affine_layer(&[], &w, &DVector::zeros(2)).is_err());
        assert!(Pwl::affine_layer(std::slice::from_ref(&x), &w, &DVector::zeros(3)).is_err());
        assert!(Pwl::affine_layer(&[x.clone(), x.clone()], &w, &DVector::zeros(2)).is_err());
        let out = Pwl::affine_layer(&[x], &w, &DVector::from_vec(vec![0.0, 1.0])).unwrap();
        assert_eq!(out[1].eval(0.25), Some(0.75));
    }

    #[test]
    fn relu_of_a_negative_function_is_zero() {
        let x = Pwl::identity(0.0, 1.0).unwrap();
        let neg = Pwl::affine_combination(&[(1.0, &x)], -5.0).unwrap().relu();
        assert_eq!(neg.pieces(), 1);
        assert_eq!(neg.eval(0.3), Some(0.0));
    }

    #[test]
    fn sup_distance_finds_interior_maxima() {
        // The chord of x^2 on [0, 1] is x; the largest gap is 1/4 at 1/2.
        let chord = Pwl::identity(0.0, 1.0).unwrap();
        let d = chord.sup_distance(|x| x * x);
        assert!((d - 0.25).abs() < 1e-14, "{d}");
        // An off-centre maximum: x^3 against x on [0, 1] peaks at 1/sqrt(3).
        let d3 = chord.sup_distance(|x| x * x * x);
        let exact = 2.0 / (3.0 * 3f64.sqrt());
        assert!((d3 - exact).abs() < 1e-13, "{d3} vs {exact}");
        assert!(chord.sup_distance(|_| f64::NAN).is_nan());
    }

    #[test]
    fn union_merges_and_deduplicates() {
        let u = union(&[&[0.0, 0.5, 1.0], &[0.0, 0.25, 1.0], &[0.0, 1.0]]);
        assert_eq!(u, vec![0.0, 0.25, 0.5, 1.0]);
    }
}
