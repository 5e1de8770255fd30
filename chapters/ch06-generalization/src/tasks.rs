//! The chapter's regression tasks: a curve fitted with polynomial features
//! (synthetic, so the truth is known) and the diabetes data (real).

use crate::error::{Error, Result};
use crate::ridge::Data;
use book_support::data::Diabetes;
use ch03_backprop::normal;
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use rand::seq::SliceRandom;

/// The Legendre polynomials `P_0(t), …, P_degree(t)` by Bonnet's
/// recursion `(k+1) P_{k+1} = (2k+1) t P_k − k P_{k−1}`. On `[−1, 1]` they
/// are orthogonal, which keeps a high-degree design far better conditioned
/// than the monomials `1, t, t², …` (same span, same fits).
pub fn legendre(t: f64, degree: usize) -> Vec<f64> {
    let mut p = Vec::with_capacity(degree + 1);
    p.push(1.0);
    if degree >= 1 {
        p.push(t);
    }
    for k in 1..degree {
        let next = ((2 * k + 1) as f64 * t * p[k] - k as f64 * p[k - 1]) / (k + 1) as f64;
        p.push(next);
    }
    p
}

/// The design of polynomial features of degree `degree` at the points `t`.
pub fn polynomial_design(t: &[f64], degree: usize) -> DMatrix<f64> {
    let mut x = DMatrix::zeros(t.len(), degree + 1);
    for (i, &ti) in t.iter().enumerate() {
        for (k, v) in legendre(ti, degree).into_iter().enumerate() {
            x[(i, k)] = v;
        }
    }
    x
}

/// The curve the synthetic task samples, `sin(πt) + ½ cos(3πt/2)` on
/// `[−1, 1]`: smooth, but not a polynomial of low degree.
pub fn truth(t: f64) -> f64 {
    use std::f64::consts::PI;
    (PI * t).sin() + 0.5 * (1.5 * PI * t).cos()
}

/// The synthetic task: `train` and `val` points `t ~ U(−1, 1)`, targets
/// `truth(t) + noise · ε`, features the Legendre polynomials up to `degree`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurveTask {
    pub train: usize,
    pub val: usize,
    pub degree: usize,
    pub noise: f64,
    pub seed: u64,
}

/// The points and targets of one split of the curve task.
#[derive(Clone, Debug, PartialEq)]
pub struct CurveSplit {
    pub t: Vec<f64>,
    pub data: Data,
}

impl CurveTask {
    /// The book's task: 30 training points, 200 validation points, degree 20.
    pub const BOOK: CurveTask = CurveTask {
        train: 30,
        val: 200,
        degree: 20,
        noise: 0.3,
        seed: 1,
    };

    /// The training and validation splits (drawn in that order from one
    /// seeded generator). Errors: an empty split or a non-finite noise.
    pub fn splits(&self) -> Result<(CurveSplit, CurveSplit)> {
        if !self.noise.is_finite() || self.noise < 0.0 {
            return Err(Error::Argument(format!(
                "noise {} must be finite and nonnegative",
                self.noise
            )));
        }
        let mut rng = book_support::seeded(self.seed);
        let mut split = |n: usize| -> Result<CurveSplit> {
            let t: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let y = DVector::from_iterator(
                n,
                t.iter()
                    .map(|&ti| truth(ti) + self.noise * normal(&mut rng)),
            );
            let data = Data::new(polynomial_design(&t, self.degree), y)?;
            Ok(CurveSplit { t, data })
        };
        let train = split(self.train)?;
        let val = split(self.val)?;
        Ok((train, val))
    }
}

/// Quadratic features of the diabetes data for a training split and a
/// validation split. Each variable is standardized with the training
/// split's mean and standard deviation; the features are the ten
/// variables, their squares and their 45 pairwise products (65 in all),
/// each centred with the training mean, and the response is centred with
/// the training mean, so that no intercept is needed (and none is
/// penalized).
#[derive(Clone, Debug, PartialEq)]
pub struct DiabetesTask {
    pub train: Data,
    pub val: Data,
    /// The patients in neither split, for a last look after λ is chosen.
    pub test: Data,
}

impl DiabetesTask {
    /// The number of quadratic features.
    pub const FEATURES: usize = 10 + 10 + 45;

    /// The first `train` patients of a seeded shuffle train, the next `val`
    /// validate, the rest test. Errors: fewer than two training patients, or more patients
    /// asked for than there are.
    pub fn new(data: &Diabetes, train: usize, val: usize, seed: u64) -> Result<Self> {
        if train < 2 || val == 0 || train + val >= data.len() {
            return Err(Error::Argument(format!(
                "{train} training and {val} validation patients out of {}",
                data.len()
            )));
        }
        let mut order: Vec<usize> = (0..data.len()).collect();
        order.shuffle(&mut book_support::seeded(seed));
        let (tr, rest) = order.split_at(train);
        let (va, te) = rest.split_at(val);
        // Standardize with the training split only: the validation split
        // must not leak into the features.
        let k = Diabetes::FEATURES;
        let mean: Vec<f64> = (0..k)
            .map(|j| tr.iter().map(|&i| data.features[i][j]).sum::<f64>() / train as f64)
            .collect();
        let sd: Vec<f64> = (0..k)
            .map(|j| {
                let v = tr
                    .iter()
                    .map(|&i| (data.features[i][j] - mean[j]).powi(2))
                    .sum::<f64>()
                    / (train - 1) as f64;
                v.sqrt()
            })
            .collect();
        if let Some(j) = sd.iter().position(|&s| s == 0.0) {
            return Err(Error::Argument(format!(
                "{} is constant on the training split",
                Diabetes::NAMES[j]
            )));
        }
        let quadratic = |i: usize| -> Vec<f64> {
            let z: Vec<f64> = (0..k)
                .map(|j| (data.features[i][j] - mean[j]) / sd[j])
                .collect();
            let mut f = z.clone();
            f.extend(z.iter().map(|v| v * v));
            for a in 0..k {
                for b in a + 1..k {
                    f.push(z[a] * z[b]);
                }
            }
            f
        };
        let raw_train: Vec<Vec<f64>> = tr.iter().map(|&i| quadratic(i)).collect();
        let centre: Vec<f64> = (0..Self::FEATURES)
            .map(|j| raw_train.iter().map(|f| f[j]).sum::<f64>() / train as f64)
            .collect();
        let y_mean = tr.iter().map(|&i| data.response[i]).sum::<f64>() / train as f64;
        let build = |rows: &[usize]| -> Result<Data> {
            let x = DMatrix::from_fn(rows.len(), Self::FEATURES, |r, j| {
                quadratic(rows[r])[j] - centre[j]
            });
            let y =
                DVector::from_iterator(rows.len(), rows.iter().map(|&i| data.response[i] - y_mean));
            Data::new(x, y)
        };
        Ok(DiabetesTask {
            train: build(tr)?,
            val: build(va)?,
            test: build(te)?,
        })
    }
}
