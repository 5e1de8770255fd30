//! Weight decay: λ chosen on the validation split, and why chapter 6's
//! hypergradient cannot choose it here.

use crate::recipe::{Recipe, Setup};
use ch03_backprop::Loss;
use ch05_residual::Split;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The validation cross-entropy after training `recipe` from `seed`.
/// Errors: those of training, a run that fails.
pub fn validation_loss(
    setup: &Setup,
    recipe: &Recipe,
    (train, validation): (&Split, &Split),
    seed: u64,
) -> Result<f64> {
    let run = setup.train(recipe, train, seed)?;
    if let Some(t) = run.failed_at {
        return Err(format!("training failed at step {t}").into());
    }
    let net = setup.trained_network(recipe, &run)?;
    Ok(net.loss(&validation.x, &validation.y, Loss::SoftmaxCrossEntropy)?)
}

// ANCHOR: quotients
/// Central difference quotients `(E(λ + δ) − E(λ − δ)) / 2δ` of the
/// validation loss after training the full recipe with weight decay `λ`,
/// for each relative step `δ/λ` in `relative`. If `E` were differentiable
/// in λ, the quotients would settle on `dE/dλ` as δ shrinks. Errors: λ not
/// positive, a relative step outside `(0, 1)`, those of training.
pub fn difference_quotients(
    setup: &Setup,
    lambda: f64,
    splits: (&Split, &Split),
    seed: u64,
    relative: &[f64],
) -> Result<Vec<f64>> {
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(format!("weight decay {lambda} must be positive").into());
    }
    relative
        .iter()
        .map(|&r| {
            if !(r > 0.0 && r < 1.0) {
                return Err(format!("relative step {r} outside (0, 1)").into());
            }
            let d = r * lambda;
            let at = |l: f64| validation_loss(setup, &Recipe::full(l), splits, seed);
            Ok((at(lambda + d)? - at(lambda - d)?) / (2.0 * d))
        })
        .collect()
}
// ANCHOR_END: quotients

/// The weight decays the tuning tries.
pub const GRID: [f64; 6] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2];

/// The validation loss over the seeds at each λ of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    /// The λ with the smallest mean.
    pub lambda: f64,
    /// `(λ, mean, standard error)` for each λ of the grid.
    pub points: Vec<(f64, f64, f64)>,
    /// The validation loss of every seed, for each λ of the grid.
    pub losses: Vec<Vec<f64>>,
}

impl Tuning {
    /// The paired difference `E(b) − E(a)` over the seeds, mean and
    /// standard error. Errors: a λ not in the grid.
    pub fn paired(&self, a: f64, b: f64) -> Result<(f64, f64)> {
        let at = |l: f64| {
            self.points
                .iter()
                .position(|p| p.0 == l)
                .map(|i| &self.losses[i])
                .ok_or_else(|| format!("λ = {l} is not in the grid"))
        };
        let (ea, eb) = (at(a)?, at(b)?);
        let d: Vec<f64> = eb.iter().zip(ea).map(|(y, x)| y - x).collect();
        Ok(book_support::stats::mean_se(&d))
    }
}

// ANCHOR: tune
/// The mean validation loss over `seeds`, with its standard error, for
/// each λ of `grid`, and the λ with the smallest mean. Errors: an empty
/// grid or fewer than two seeds, those of training.
pub fn tune(
    setup: &Setup,
    splits: (&Split, &Split),
    grid: &[f64],
    seeds: &[u64],
) -> Result<Tuning> {
    if grid.is_empty() || seeds.len() < 2 {
        return Err("tuning needs weight decays and at least two seeds".into());
    }
    let jobs: Vec<(f64, u64)> = grid
        .iter()
        .flat_map(|&l| seeds.iter().map(move |&s| (l, s)))
        .collect();
    let losses = book_support::parallel::map(&jobs, |&(l, s)| {
        validation_loss(setup, &Recipe::full(l), splits, s).map_err(|e| e.to_string())
    });
    let losses: Vec<f64> = losses.into_iter().collect::<std::result::Result<_, _>>()?;
    let points: Vec<(f64, f64, f64)> = grid
        .iter()
        .zip(losses.chunks(seeds.len()))
        .map(|(&l, v)| {
            let (m, se) = book_support::stats::mean_se(v);
            (l, m, se)
        })
        .collect();
    let lambda = points
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|p| p.0)
        .ok_or("no weight decay")?;
    let losses = losses.chunks(seeds.len()).map(<[f64]>::to_vec).collect();
    Ok(Tuning {
        lambda,
        points,
        losses,
    })
}
// ANCHOR_END: tune
