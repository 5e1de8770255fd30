//! Universal approximation, constructively: one hidden layer of ReLU units
//! that interpolates a target piecewise linearly.

use crate::net::{Activation, Layer, Net, NetError};
use nalgebra::{DMatrix, DVector};

/// The uniform grid `t_j = j / n`, `j = 0..=n`, on `[0, 1]`. Errors when
/// `n == 0`.
pub fn uniform_grid(n: usize) -> Result<Vec<f64>, NetError> {
    if n == 0 {
        return Err(NetError::Empty("a grid needs at least one interval"));
    }
    Ok((0..=n).map(|j| j as f64 / n as f64).collect())
}

/// The hat function centred at `center` with half-width `h > 0`:
/// `H(x) = [ReLU(x - c + h) - 2 ReLU(x - c) + ReLU(x - c - h)] / h`,
/// which rises from 0 at `c - h` to 1 at `c` and falls back to 0 at `c + h`.
/// Returns NaN when `h` is not positive and finite or an input is NaN.
// ANCHOR: hat
pub fn hat(x: f64, center: f64, h: f64) -> f64 {
    if !(h > 0.0 && h.is_finite()) {
        return f64::NAN;
    }
    let relu = |t: f64| Activation::Relu.apply(t);
    (relu(x - center + h) - 2.0 * relu(x - center) + relu(x - center - h)) / h
}
// ANCHOR_END: hat

/// The one-hidden-layer ReLU network that interpolates the points
/// `(knots[j], values[j])`:
/// `N(x) = values[0] + Σ_{j<n} c_j ReLU(x - knots[j])`, where `c_0` is the
/// first slope and `c_j` the change of slope at `knots[j]`. It has `n =
/// knots.len() - 1` hidden units and `3n + 1` parameters; it equals the
/// interpolant on `[knots[0], knots[n]]`, is constant left of it and
/// continues the last slope right of it. Needs at least two strictly
/// increasing finite knots and as many finite values.
// ANCHOR: shallow_interpolant
pub fn shallow_interpolant(knots: &[f64], values: &[f64]) -> Result<Net, NetError> {
    if knots.len() != values.len() {
        return Err(NetError::Shape(format!(
            "{} knots but {} values",
            knots.len(),
            values.len()
        )));
    }
    if knots.len() < 2 {
        return Err(NetError::Empty("an interpolant needs at least two knots"));
    }
    if knots.iter().chain(values).any(|v| !v.is_finite()) {
        return Err(NetError::NonFinite(
            "knots and values must be finite".into(),
        ));
    }
    if knots.windows(2).any(|w| w[0] >= w[1]) {
        return Err(NetError::Domain("knots must be strictly increasing".into()));
    }
    let n = knots.len() - 1;
    let slope = |j: usize| (values[j + 1] - values[j]) / (knots[j + 1] - knots[j]);
    // Hidden unit j switches on at knots[j]: ReLU(1 * x - knots[j]).
    let hidden = Layer::new(
        DMatrix::from_element(n, 1, 1.0),
        DVector::from_fn(n, |j, _| -knots[j]),
        Activation::Relu,
    )?;
    // Its output weight is the change of slope there.
    let out_w = DMatrix::from_fn(1, n, |_, j| {
        if j == 0 {
            slope(0)
        } else {
            slope(j) - slope(j - 1)
        }
    });
    let output = Layer::new(
        out_w,
        DVector::from_element(1, values[0]),
        Activation::Identity,
    )?;
    Net::new(vec![hidden, output])
}
// ANCHOR_END: shallow_interpolant

/// The shallow interpolant of `f` on the uniform grid of `[0, 1]` with `n`
/// intervals (so `n` hidden units). Errors when `n == 0` or `f` is not
/// finite at a grid point.
pub fn hat_net(f: impl Fn(f64) -> f64, n: usize) -> Result<Net, NetError> {
    let knots = uniform_grid(n)?;
    let values: Vec<f64> = knots.iter().map(|&t| f(t)).collect();
    shallow_interpolant(&knots, &values)
}

/// The target of the universal-approximation experiment, `sin(2πx)`.
pub fn sine_target(x: f64) -> f64 {
    (2.0 * std::f64::consts::PI * x).sin()
}

/// `max |f''|` of the sine target on `[0, 1]`: `4π²`.
pub const SINE_MAX_F2: f64 = 4.0 * std::f64::consts::PI * std::f64::consts::PI;

/// The classical bound on the error of piecewise-linear interpolation with
/// spacing `h = 1/n`: `h² / 8 · max|f''|`. Infinite for `n == 0`.
pub fn interpolation_bound(n: usize, max_f2: f64) -> f64 {
    let h = 1.0 / n as f64;
    h * h / 8.0 * max_f2
}

/// The sup-norm error on `[0, 1]` of the `n`-unit hat network for `f`,
/// measured on the network's exact piecewise-linear function.
pub fn hat_error(f: impl Fn(f64) -> f64 + Copy, n: usize) -> Result<f64, NetError> {
    Ok(hat_net(f, n)?.to_pwl(0.0, 1.0)?.sup_distance(f))
}

/// The least-squares slope of `ln y` against `ln x`. Errors unless there
/// are at least two points, all positive and finite, with distinct `x`.
// ANCHOR: loglog_slope
pub fn loglog_slope(xs: &[f64], ys: &[f64]) -> Result<f64, NetError> {
    if xs.len() != ys.len() {
        return Err(NetError::Shape(format!(
            "{} x values but {} y values",
            xs.len(),
            ys.len()
        )));
    }
    if xs.len() < 2 {
        return Err(NetError::Empty("a slope needs at least two points"));
    }
    if xs.iter().chain(ys).any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(NetError::Domain(
            "log-log points must be positive and finite".into(),
        ));
    }
    let (u, v): (Vec<f64>, Vec<f64>) = xs.iter().zip(ys).map(|(x, y)| (x.ln(), y.ln())).unzip();
    let k = u.len() as f64;
    let (mu, mv) = (u.iter().sum::<f64>() / k, v.iter().sum::<f64>() / k);
    let sxy: f64 = u.iter().zip(&v).map(|(a, b)| (a - mu) * (b - mv)).sum();
    let sxx: f64 = u.iter().map(|a| (a - mu) * (a - mu)).sum();
    if sxx == 0.0 {
        return Err(NetError::Domain("x values must not all be equal".into()));
    }
    Ok(sxy / sxx)
}
// ANCHOR_END: loglog_slope

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hat_is_a_tent_of_height_one() {
        assert_eq!(hat(0.5, 0.5, 0.25), 1.0);
        assert_eq!(hat(0.25, 0.5, 0.25), 0.0);
        assert_eq!(hat(0.375, 0.5, 0.25), 0.5);
        assert_eq!(hat(2.0, 0.5, 0.25), 0.0);
        assert!(hat(0.5, 0.5, 0.0).is_nan());
        assert!(hat(0.5, 0.5, f64::INFINITY).is_nan());
    }

    #[test]
    fn interpolant_hits_the_knots_and_extends() {
        let knots = [0.0, 0.25, 0.75, 1.0];
        let values = [1.0, -1.0, 2.0, 0.0];
        let net = shallow_interpolant(&knots, &values).unwrap();
        assert_eq!(net.relu_units(), 3);
        assert_eq!(net.parameters(), 3 * 3 + 1);
        let at = net.eval_points(&knots).unwrap();
        for (a, b) in at.iter().zip(&values) {
            assert!((a - b).abs() < 1e-15);
        }
        // Constant to the left, last slope (-8) to the right.
        assert_eq!(net.eval_points(&[-5.0]).unwrap()[0], 1.0);
        assert!((net.eval_points(&[1.5]).unwrap()[0] + 4.0).abs() < 1e-12);
        assert_eq!(net.to_pwl(0.0, 1.0).unwrap().pieces(), 3);
    }

    #[test]
    fn bad_interpolation_input_is_an_error() {
        assert!(shallow_interpolant(&[0.0], &[1.0]).is_err());
        assert!(shallow_interpolant(&[0.0, 1.0], &[1.0]).is_err());
        assert!(shallow_interpolant(&[1.0, 0.0], &[1.0, 2.0]).is_err());
        assert!(shallow_interpolant(&[0.0, 1.0], &[1.0, f64::NAN]).is_err());
        assert!(hat_net(sine_target, 0).is_err());
        assert!(hat_net(|x| 1.0 / x, 4).is_err());
        assert!(uniform_grid(0).is_err());
    }

    #[test]
    fn error_respects_the_bound_and_slope_is_minus_two() {
        for n in [3, 10, 50] {
            let e = hat_error(sine_target, n).unwrap();
            assert!(e <= interpolation_bound(n, SINE_MAX_F2), "n = {n}: {e}");
            assert!(
                e > 0.5 * interpolation_bound(n, SINE_MAX_F2),
                "n = {n}: {e}"
            );
        }
        let s = loglog_slope(&[1.0, 2.0, 4.0], &[1.0, 0.25, 0.0625]).unwrap();
        assert!((s + 2.0).abs() < 1e-14);
    }

    #[test]
    fn slope_rejects_bad_points() {
        assert!(loglog_slope(&[1.0], &[1.0]).is_err());
        assert!(loglog_slope(&[1.0, 2.0], &[1.0]).is_err());
        assert!(loglog_slope(&[1.0, 1.0], &[1.0, 2.0]).is_err());
        assert!(loglog_slope(&[1.0, 2.0], &[0.0, 2.0]).is_err());
        assert!(loglog_slope(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
    }
}

/// The product target `sin(2πx) sin(2πy)` on the square, the
/// two-dimensional analogue of [`sine_target`].
pub fn sine_target_2d(x: f64, y: f64) -> f64 {
    sine_target(x) * sine_target(y)
}

// ANCHOR: grid_interpolant
/// The piecewise-linear interpolant of `f` on `[0, 1]²` with `n` cells per
/// side: each cell is cut along its diagonal into two triangles, and on each
/// triangle the interpolant is the plane through the values of `f` at its
/// three corners. It is the two-dimensional version of the hat network's
/// function: one tile per cell, each knowing only its own corners.
pub fn grid_interpolant_2d(
    f: impl Fn(f64, f64) -> f64,
    n: usize,
) -> Result<impl Fn(f64, f64) -> f64, NetError> {
    if n == 0 {
        return Err(NetError::Empty("a grid needs at least one cell per side"));
    }
    let h = 1.0 / n as f64;
    let values: Vec<Vec<f64>> = (0..=n)
        .map(|i| (0..=n).map(|j| f(i as f64 * h, j as f64 * h)).collect())
        .collect();
    Ok(move |x: f64, y: f64| {
        let (i, j) = (((x / h) as usize).min(n - 1), ((y / h) as usize).min(n - 1));
        let (u, v) = (x / h - i as f64, y / h - j as f64);
        let (f00, f10, f01, f11) = (
            values[i][j],
            values[i + 1][j],
            values[i][j + 1],
            values[i + 1][j + 1],
        );
        if u >= v {
            f00 + u * (f10 - f00) + v * (f11 - f10)
        } else {
            f00 + v * (f01 - f00) + u * (f11 - f01)
        }
    })
}
// ANCHOR_END: grid_interpolant

/// The largest `|f − I|` of [`grid_interpolant_2d`] over `samples × samples`
/// equally spaced points inside every cell (their corners included): a
/// lower bound on the maximum error, which the sampling approaches as
/// `samples` grows. Errors: `n == 0` or `samples < 2`.
pub fn grid_error_2d(
    f: impl Fn(f64, f64) -> f64 + Copy,
    n: usize,
    samples: usize,
) -> Result<f64, NetError> {
    if samples < 2 {
        return Err(NetError::Domain(format!(
            "{samples} samples per cell side; need at least 2"
        )));
    }
    let interpolant = grid_interpolant_2d(f, n)?;
    let points = n * (samples - 1) + 1;
    let step = 1.0 / (points - 1) as f64;
    let mut worst = 0.0f64;
    for a in 0..points {
        for b in 0..points {
            let (x, y) = (a as f64 * step, b as f64 * step);
            worst = worst.max((f(x, y) - interpolant(x, y)).abs());
        }
    }
    Ok(worst)
}
