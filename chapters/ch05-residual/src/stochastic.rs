//! Stochastic depth (Huang, Sun, Liu, Sedra and Weinberger 2016): while
//! training, each residual block's branch is kept with its survival
//! probability `p_l` and dropped otherwise; at test time every branch is
//! kept and scaled by `p_l`.

use crate::nets::Net;
use ch03_backprop::EngineError;
use rand::{Rng, RngExt};

type Result<T> = std::result::Result<T, EngineError>;

/// `Ok` for a survival probability in `(0, 1]`, otherwise an error saying
/// so (NaN included).
pub fn check_survival(p: f64) -> Result<()> {
    if p > 0.0 && p <= 1.0 {
        Ok(())
    } else {
        Err(EngineError::Argument(format!(
            "survival probability {p} is outside (0, 1]"
        )))
    }
}

// ANCHOR: survival
/// The survival probabilities `p_1, …, p_L` of a network's residual blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Survival {
    probabilities: Vec<f64>,
}

impl Survival {
    /// Huang et al.'s linear decay from `p_0 = 1` at the input to `p_L` at
    /// the last block: `p_l = 1 − (l/L)(1 − p_L)`. Errors: no blocks, or
    /// `p_L` outside `(0, 1]`.
    pub fn linear(depth: usize, p_last: f64) -> Result<Self> {
        check_survival(p_last)?;
        if depth == 0 {
            return Err(EngineError::NoLayers);
        }
        let probabilities = (1..=depth)
            .map(|l| 1.0 - (l as f64 / depth as f64) * (1.0 - p_last))
            .collect();
        Ok(Survival { probabilities })
    }

    /// The same probability `p` for every block. Errors: as for
    /// [`Survival::linear`].
    pub fn uniform(depth: usize, p: f64) -> Result<Self> {
        check_survival(p)?;
        if depth == 0 {
            return Err(EngineError::NoLayers);
        }
        Ok(Survival {
            probabilities: vec![p; depth],
        })
    }

    /// `p_1, …, p_L`.
    pub fn probabilities(&self) -> &[f64] {
        &self.probabilities
    }

    /// The expected number of active blocks, `Σ p_l`.
    pub fn expected_active(&self) -> f64 {
        self.probabilities.iter().sum()
    }

    /// The variance of the number of active blocks, `Σ p_l (1 − p_l)`
    /// (the blocks are kept independently).
    pub fn variance_active(&self) -> f64 {
        self.probabilities.iter().map(|p| p * (1.0 - p)).sum()
    }

    /// The exact law of the number of active blocks, `P(N = k)` for
    /// `k = 0, …, L` (a Poisson-binomial law), built one block at a time:
    /// adding block `l` turns `P(N = k)` into
    /// `(1 − p_l) P(N = k) + p_l P(N = k − 1)`.
    pub fn active_pmf(&self) -> Vec<f64> {
        let mut pmf = vec![1.0];
        for &p in &self.probabilities {
            let mut next = vec![0.0; pmf.len() + 1];
            for (k, &q) in pmf.iter().enumerate() {
                next[k] += (1.0 - p) * q;
                next[k + 1] += p * q;
            }
            pmf = next;
        }
        pmf
    }

    /// One draw of the gates `δ_l ~ Bernoulli(p_l)`, as 0 or 1.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        self.probabilities
            .iter()
            .map(|&p| if rng.random::<f64>() < p { 1.0 } else { 0.0 })
            .collect()
    }
}
// ANCHOR_END: survival

// ANCHOR: gates
/// How the gates of a network's residual blocks are set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gates {
    /// Every branch on, unscaled (`g = 1`): an ordinary residual network,
    /// or stochastic depth evaluated without the test-time rule.
    Full,
    /// The test-time rule: `g_l = p_l`, so each block computes
    /// `x + p_l F(x) = E[x + δ_l F(x)]`.
    Expected,
}

/// Sets the gates of the residual blocks of `net`, in order, to one draw of
/// `δ_l ~ Bernoulli(p_l)` (training with stochastic depth); returns how many
/// are on. Errors: a schedule for another number of blocks.
pub fn draw_gates<R: Rng + ?Sized>(net: &Net, survival: &Survival, rng: &mut R) -> Result<usize> {
    let gates = survival.draw(rng);
    set_gates(net, survival, &gates)?;
    Ok(gates.iter().filter(|&&g| g == 1.0).count())
}

/// Sets the gates for evaluation (see [`Gates`]). Errors: a schedule for
/// another number of blocks.
pub fn evaluation_gates(net: &Net, survival: &Survival, gates: Gates) -> Result<()> {
    let values = match gates {
        Gates::Full => vec![1.0; survival.probabilities.len()],
        Gates::Expected => survival.probabilities.clone(),
    };
    set_gates(net, survival, &values)
}
// ANCHOR_END: gates

fn set_gates(net: &Net, survival: &Survival, values: &[f64]) -> Result<()> {
    let blocks: Vec<_> = net.blocks().iter().filter_map(|p| p.residual()).collect();
    if blocks.len() != survival.probabilities.len() {
        return Err(EngineError::Shape(format!(
            "{} survival probabilities for {} residual blocks",
            survival.probabilities.len(),
            blocks.len()
        )));
    }
    for (block, &g) in blocks.iter().zip(values) {
        block.set_gate(g)?;
    }
    Ok(())
}

/// The number of active blocks in each of `draws` independent draws of the
/// gates.
pub fn simulate_active(survival: &Survival, draws: usize, seed: u64) -> Vec<f64> {
    let mut rng = book_support::seeded(seed);
    (0..draws)
        .map(|_| survival.draw(&mut rng).iter().sum())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::{BranchScale, residual_stack};
    use crate::signal::mean_and_se;
    use ch03_backprop::{Activation, normal};
    use nalgebra::DMatrix;

    #[test]
    fn schedules_and_their_moments() {
        let s = Survival::linear(4, 0.5).unwrap();
        assert_eq!(s.probabilities(), &[0.875, 0.75, 0.625, 0.5]);
        assert_eq!(s.expected_active(), 2.75);
        let pmf = s.active_pmf();
        assert!((pmf.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        let mean: f64 = pmf.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
        let second: f64 = pmf
            .iter()
            .enumerate()
            .map(|(k, p)| (k * k) as f64 * p)
            .sum();
        assert!((mean - 2.75).abs() < 1e-14);
        assert!((second - mean * mean - s.variance_active()).abs() < 1e-14);
        assert_eq!(pmf[0], 0.125 * 0.25 * 0.375 * 0.5);
        let counts = simulate_active(&s, 20_000, 1);
        let (mean, se) = mean_and_se(&counts);
        assert!((mean - 2.75).abs() < 4.0 * se);
        for p in [0.0, -0.1, 1.0 + 1e-12, f64::NAN, f64::INFINITY] {
            assert!(Survival::linear(4, p).is_err(), "{p}");
            assert!(Survival::uniform(4, p).is_err(), "{p}");
        }
        assert!(Survival::linear(0, 0.5).is_err());
        assert_eq!(Survival::uniform(3, 1.0).unwrap().variance_active(), 0.0);
    }

    #[test]
    fn the_test_time_rule_is_the_expected_block_output() {
        // One block: E[x + δ F(x)] = x + p F(x), by simulation.
        let mut rng = book_support::seeded(2);
        let net = residual_stack(
            3,
            5,
            1,
            Activation::Relu,
            1.0,
            BranchScale::Unscaled,
            &mut rng,
        )
        .unwrap();
        let s = Survival::uniform(1, 0.3).unwrap();
        let x = DMatrix::from_fn(3, 1, |_, _| normal(&mut rng));
        evaluation_gates(&net, &s, Gates::Expected).unwrap();
        let expected = net.forward(&x).unwrap();
        let draws: Vec<DMatrix<f64>> = (0..20_000)
            .map(|_| {
                draw_gates(&net, &s, &mut rng).unwrap();
                net.forward(&x).unwrap()
            })
            .collect();
        for i in 0..3 {
            let v: Vec<f64> = draws.iter().map(|y| y[i]).collect();
            let (mean, se) = mean_and_se(&v);
            assert!((mean - expected[i]).abs() < 4.0 * se, "{mean} ± {se}");
        }
        assert!(evaluation_gates(&net, &Survival::uniform(2, 0.5).unwrap(), Gates::Full).is_err());
    }
}
