//! A residual network as an ensemble of paths (Veit, Wilber and Belongie
//! 2016): path counts, and the exact split of the gradient of a network
//! with linear branches by the length of the paths that carry it.

use crate::block::Residual;
use crate::nets::{Net, Piece, branch_parameters};
use ch03_backprop::{Activation, EngineError, Network, normal};
use nalgebra::{DMatrix, DVector};
use rand::Rng;

type Result<T> = std::result::Result<T, EngineError>;

/// The binomial coefficient `C(n, k)`, exactly (`0` for `k > n`). Exact for
/// `n ≤ 128`; larger `n` is refused with an error, since some `C(n, k)` would
/// overflow 128 bits.
pub fn binomial(n: u32, k: u32) -> Result<u128> {
    if n > 128 {
        return Err(EngineError::Argument(format!(
            "C({n}, k) is computed exactly only for n ≤ 128"
        )));
    }
    if k > n {
        return Ok(0);
    }
    let k = k.min(n - k);
    // C(n, i + 1) = C(n, i) (n − i) / (i + 1); every quotient is exact, and
    // the product stays below C(n, k) (n − i) < 2^128 for n ≤ 128.
    let mut c: u128 = 1;
    for i in 0..k {
        c = c / u128::from(i + 1) * u128::from(n - i)
            + c % u128::from(i + 1) * u128::from(n - i) / u128::from(i + 1);
    }
    Ok(c)
}

// ANCHOR: lengths
/// The law of the length `K` of a path through `n` blocks when each block
/// is taken (branch) or skipped (shortcut) with probability `p`:
/// `P(K = k) = C(n, k) p^k (1 − p)^(n − k)`, `k = 0, …, n`. With `p = ½`
/// this is the share of the `2^n` paths that have length `k`. Errors: `p`
/// outside `[0, 1]`, `n > 128`.
pub fn binomial_pmf(n: u32, p: f64) -> Result<Vec<f64>> {
    if !(0.0..=1.0).contains(&p) {
        return Err(EngineError::Argument(format!(
            "probability {p} is outside [0, 1]"
        )));
    }
    (0..=n)
        .map(|k| {
            let c = binomial(n, k)? as f64;
            Ok(c * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32))
        })
        .collect()
}
// ANCHOR_END: lengths

// ANCHOR: by_length
/// For linear branches `F_l(x) = A_l x`, the gradient of `ℓ = uᵀ x_L` with
/// respect to the input, `(I + A_1)ᵀ ⋯ (I + A_L)ᵀ u`, split by path length:
/// entry `k` is the sum, over the `C(L, k)` paths through exactly `k`
/// branches, of `A_{l_1}ᵀ ⋯ A_{l_k}ᵀ u` (`l_1 < ⋯ < l_k`). The split is
/// the expansion of the product, done block by block from the top: after
/// the blocks `l, …, L`, `v_k` holds the paths of length `k` through them,
/// and block `l − 1` turns `v_k` into `v_k + A_{l−1}ᵀ v_{k−1}`. Errors:
/// matrices that are not square of the size of `u`.
pub fn gradient_by_path_length(a: &[DMatrix<f64>], u: &DVector<f64>) -> Result<Vec<DVector<f64>>> {
    if let Some(m) = a.iter().find(|m| m.shape() != (u.len(), u.len())) {
        return Err(EngineError::Shape(format!(
            "a branch matrix is {}×{}, the gradient has {} entries",
            m.nrows(),
            m.ncols(),
            u.len()
        )));
    }
    let mut v = vec![DVector::zeros(u.len()); a.len() + 1];
    v[0] = u.clone();
    for (done, m) in a.iter().rev().enumerate() {
        // Longest first, so that v[k - 1] is still the old value.
        for k in (1..=done + 1).rev() {
            let step = m.tr_mul(&v[k - 1]);
            v[k] += step;
        }
    }
    Ok(v)
}
// ANCHOR_END: by_length

/// The branch matrices `A_l = W₂ W₁` of a stack of residual blocks with
/// linear branches (identity activation, `b₁ = 0`, shortcut 1, gate 1).
/// Errors: a piece that is not such a block.
pub fn branch_matrices(net: &Net) -> Result<Vec<DMatrix<f64>>> {
    net.blocks()
        .iter()
        .enumerate()
        .map(|(l, piece)| {
            let theta = net.block_parameters(l);
            match piece.residual() {
                Some(r)
                    if r.activation() == Activation::Identity
                        && r.shortcut() == 1.0
                        && r.gate() == 1.0 =>
                {
                    let (w1, b1, w2) = r.parts(theta);
                    if b1.iter().any(|&b| b != 0.0) {
                        return Err(EngineError::Argument(format!(
                            "block {} has a branch bias; its branch is affine, not linear",
                            l + 1
                        )));
                    }
                    Ok(w2 * w1)
                }
                _ => Err(EngineError::Argument(format!(
                    "piece {} is not a residual block with a linear branch",
                    l + 1
                ))),
            }
        })
        .collect()
}

/// A stack of `depth` residual blocks of width `n` with linear branches
/// `A_l = W₂ W₁` (branch width `n`), `W₁ ~ N(0, 1/n)` and
/// `W₂ ~ N(0, σ²/n)`, so that `E‖A_l v‖² = σ² ‖v‖²` for every `v`.
/// Errors: a zero width or depth, a negative or non-finite `σ²`.
pub fn linear_stack<R: Rng + ?Sized>(
    n: usize,
    depth: usize,
    sigma2: f64,
    rng: &mut R,
) -> Result<Net> {
    if !(sigma2.is_finite() && sigma2 >= 0.0) {
        return Err(EngineError::Argument(format!(
            "branch variance {sigma2} must be finite and nonnegative"
        )));
    }
    if depth == 0 {
        return Err(EngineError::NoLayers);
    }
    let block = Residual::new(n, n, Activation::Identity)?;
    let theta = (0..depth)
        .map(|_| branch_parameters(n, n, 1.0 / n as f64, sigma2 / n as f64, rng))
        .collect();
    Network::from_blocks(vec![Piece::Residual(block); depth], theta)
}

/// For `networks` random linear stacks ([`linear_stack`]) and a random unit
/// direction `u` each, the gradient energy `‖v_k‖²` carried by paths of
/// each length `k`, divided by its exact expectation `C(L, k) σ^{2k}`
/// (see the chapter): one vector of `L + 1` ratios per network, each of
/// mean exactly 1. Errors: as for [`linear_stack`]; `σ² = 0`.
pub fn energy_ratios(
    n: usize,
    depth: usize,
    sigma2: f64,
    networks: usize,
    seed: u64,
) -> Result<Vec<Vec<f64>>> {
    if sigma2 <= 0.0 {
        return Err(EngineError::Argument("σ² must be positive".into()));
    }
    let mut rng = book_support::seeded(seed);
    let expected = expected_energy(depth as u32, sigma2)?;
    (0..networks)
        .map(|_| {
            let net = linear_stack(n, depth, sigma2, &mut rng)?;
            let u = DVector::from_fn(n, |_, _| normal(&mut rng)).normalize();
            let v = gradient_by_path_length(&branch_matrices(&net)?, &u)?;
            Ok(v.iter()
                .zip(&expected)
                .map(|(vk, e)| vk.norm_squared() / e)
                .collect())
        })
        .collect()
}

// ANCHOR: energy
/// The exact expected gradient energy by path length, `E‖v_k‖² / ‖u‖²
/// = C(L, k) σ^{2k}` for `k = 0, …, L`: branches with
/// `E‖A v‖² = σ²‖v‖²`, independent and of mean zero, make every path's
/// term of mean square `σ^{2k}‖u‖²` and any two different paths
/// orthogonal on average. Errors: `L > 128`.
pub fn expected_energy(depth: u32, sigma2: f64) -> Result<Vec<f64>> {
    (0..=depth)
        .map(|k| Ok(binomial(depth, k)? as f64 * sigma2.powi(k as i32)))
        .collect()
}
// ANCHOR_END: energy

/// The mean of a law on `0, …, n` given by its (possibly unnormalized)
/// weights.
pub fn mean_length(weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .enumerate()
        .map(|(k, w)| k as f64 * w)
        .sum::<f64>()
        / total
}

/// The share of the total weight on lengths `0..=k_max`.
pub fn share_up_to(weights: &[f64], k_max: usize) -> f64 {
    let total: f64 = weights.iter().sum();
    weights.iter().take(k_max + 1).sum::<f64>() / total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::mean_and_se;
    use ch03_backprop::{Loss, Workspace, relative_error};

    #[test]
    fn binomials_are_exact() {
        assert_eq!(binomial(54, 27).unwrap(), 1_946_939_425_648_112);
        let row: u128 = (0..=127).map(|k| binomial(127, k).unwrap()).sum();
        assert_eq!(row, 1u128 << 127);
        for k in 0..=128 {
            assert_eq!(binomial(128, k).unwrap(), binomial(128, 128 - k).unwrap());
        }
        assert_eq!(binomial(5, 7).unwrap(), 0);
        assert!(binomial(129, 3).is_err());
        let pmf = binomial_pmf(54, 0.5).unwrap();
        assert!((pmf.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        assert!(binomial_pmf(3, 1.5).is_err());
        assert!(binomial_pmf(3, f64::NAN).is_err());
    }

    #[test]
    fn the_path_expansion_sums_to_backprop_and_brute_force() {
        let mut rng = book_support::seeded(3);
        let (n, depth) = (5, 7);
        let net = linear_stack(n, depth, 0.5, &mut rng).unwrap();
        let a = branch_matrices(&net).unwrap();
        let u = DVector::from_fn(n, |_, _| normal(&mut rng));
        let v = gradient_by_path_length(&a, &u).unwrap();
        // Brute force over all 2^7 subsets.
        let mut brute = vec![DVector::zeros(n); depth + 1];
        for mask in 0u32..(1 << depth) {
            let mut g = u.clone();
            for l in (0..depth).rev() {
                if mask & (1 << l) != 0 {
                    g = a[l].tr_mul(&g);
                }
            }
            brute[mask.count_ones() as usize] += g;
        }
        for (vk, bk) in v.iter().zip(&brute) {
            assert!(relative_error(vk.as_slice(), bk.as_slice()) < 1e-12);
        }
        // The sum over lengths is the engine's gradient.
        let mut ws = Workspace::new(&net, 1).unwrap().with_input_gradient();
        let x = DMatrix::from_fn(n, 1, |_, _| normal(&mut rng));
        let target = DMatrix::from_column_slice(n, 1, u.as_slice());
        net.loss_and_gradient(&x, &target, Loss::Linear, &mut ws)
            .unwrap();
        let total: DVector<f64> = v.iter().sum();
        let engine = ws.activation_gradient(0).unwrap();
        assert!(relative_error(total.as_slice(), engine.as_slice()) < 1e-12);
        assert!(gradient_by_path_length(&a, &DVector::zeros(n + 1)).is_err());
    }

    #[test]
    fn energies_match_their_expectation() {
        let ratios = energy_ratios(8, 6, 0.5, 3000, 4).unwrap();
        for k in 0..=6 {
            let column: Vec<f64> = ratios.iter().map(|r| r[k]).collect();
            let (mean, se) = mean_and_se(&column);
            assert!((mean - 1.0).abs() < 4.0 * se, "k = {k}: {mean} ± {se}");
        }
    }
}
