//! Solutions to the chapter's exercises, with their tests.

use crate::double_descent::WeakFeatures;
use crate::error::{Error, Result};
use crate::ridge::Spectrum;
use crate::robust::{fgsm, margins};
use ch03_backprop::{DMatrix, Mlp};

// ANCHOR: df_target
/// The λ at which the effective degrees of freedom equal `target`, by
/// bisection on `ln λ` (`df` falls strictly from the rank of `X` at λ = 0
/// to zero as λ → ∞, so the root is unique). Errors: `target` not strictly
/// between 0 and the rank.
pub fn lambda_for_df(spectrum: &Spectrum, target: f64) -> Result<f64> {
    let rank = spectrum.singular_values().len() as f64;
    if !(target > 0.0 && target < rank) {
        return Err(Error::Argument(format!(
            "df = {target} is not in (0, {rank})"
        )));
    }
    let (mut lo, mut hi) = (-80.0f64, 80.0f64); // ln λ: df(e^-80) ≈ rank, df(e^80) ≈ 0
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if spectrum.effective_df(mid.exp())? > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((0.5 * (lo + hi)).exp())
}
// ANCHOR_END: df_target

// ANCHOR: linear_attack
/// For a linear model `f(x) = wᵀx + b` (a network with one layer and no
/// activation), the weights `w` as a vector.
pub fn linear_weights(net: &Mlp) -> Result<Vec<f64>> {
    if net.depth() != 1 || net.widths()[1] != 1 {
        return Err(Error::Shape(
            "a linear model has one layer with one output".into(),
        ));
    }
    Ok(net.w(1).iter().copied().collect())
}

/// The smallest L∞ perturbation that reaches the decision boundary of a
/// linear model, `|f(x)| / ‖w‖₁`, for each column of `x`.
pub fn linear_radii(net: &Mlp, x: &DMatrix<f64>, labels: &[f64]) -> Result<Vec<f64>> {
    let l1: f64 = linear_weights(net)?.iter().map(|w| w.abs()).sum();
    Ok(margins(net, x, labels)?
        .iter()
        .map(|m| m.abs() / l1)
        .collect())
}

/// Whether FGSM at `(1 + slack)` times each correctly classified example's
/// radius flips it and at `(1 − slack)` times does not: the count of
/// examples for which both hold, and the number of correctly classified
/// examples.
pub fn radii_are_exact(
    net: &Mlp,
    x: &DMatrix<f64>,
    labels: &[f64],
    slack: f64,
) -> Result<(usize, usize)> {
    let radii = linear_radii(net, x, labels)?;
    let clean = margins(net, x, labels)?;
    let (mut exact, mut correct) = (0, 0);
    for j in 0..x.ncols() {
        if clean[j] <= 0.0 {
            continue;
        }
        correct += 1;
        let column = x.columns(j, 1).into_owned();
        let label = [labels[j]];
        let at = |eps: f64| -> Result<f64> {
            Ok(margins(net, &fgsm(net, &column, &label, eps)?, &label)?[0])
        };
        if at((1.0 + slack) * radii[j])? < 0.0 && at((1.0 - slack) * radii[j])? > 0.0 {
            exact += 1;
        }
    }
    Ok((exact, correct))
}
// ANCHOR_END: linear_attack

// ANCHOR: ridge_peak
/// The mean test error of ridge with each of `lambdas` in the weak-features
/// model with `p` features, over `trials` training sets (the same sets for
/// every λ, drawn as [`WeakFeatures::draw_risks`] draws them). Errors: `p`
/// out of range, or a λ that [`crate::ridge`] refuses.
pub fn ridge_risks(
    model: &WeakFeatures,
    p: usize,
    lambdas: &[f64],
    trials: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    let mut totals = vec![0.0; lambdas.len()];
    for t in 0..trials as u64 {
        let mut rng = book_support::seeded(seed.wrapping_add(t));
        let (data, beta) = model.draw(p, &mut rng)?;
        for (total, &lambda) in totals.iter_mut().zip(lambdas) {
            let w = crate::ridge::ridge(&data, lambda)?.w;
            *total += model.risk(&w, beta)?;
        }
    }
    Ok(totals.into_iter().map(|t| t / trials as f64).collect())
}
// ANCHOR_END: ridge_peak

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::CurveTask;

    #[test]
    fn the_df_root_is_refused_outside_its_range_and_found_inside() {
        let (train, _) = CurveTask::BOOK.splits().unwrap();
        let s = Spectrum::new(&train.data).unwrap();
        for bad in [0.0, 21.0, -1.0, f64::NAN] {
            assert!(lambda_for_df(&s, bad).is_err(), "{bad}");
        }
        let l = lambda_for_df(&s, 7.5).unwrap();
        assert!((s.effective_df(l).unwrap() - 7.5).abs() < 1e-9);
    }
}
