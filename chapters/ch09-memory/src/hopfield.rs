//! The Hopfield network (Hopfield 1982): binary neurons, Hebbian weights,
//! asynchronous updates that never raise the energy.

use crate::error::{Error, Result};
use crate::patterns::Patterns;
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};

// ANCHOR: hopfield
/// A Hopfield network of `N` neurons storing patterns `ξ^μ` with Hebb's
/// rule, `W = (1/N) Σ_μ ξ^μ ξ^μᵀ` with zero diagonal. The weights are kept
/// as the integers `N W_ij = Σ_μ ξ_i^μ ξ_j^μ`, so fields and energies are
/// exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hopfield {
    n: usize,
    /// `N W`, row-major.
    weights: Vec<i32>,
}

impl Hopfield {
    /// Hebb's rule on `patterns`.
    pub fn hebbian(patterns: &Patterns) -> Self {
        let n = patterns.n();
        let mut weights = vec![0i32; n * n];
        for xi in patterns.iter() {
            for i in 0..n {
                let row = &mut weights[i * n..(i + 1) * n];
                let xi_i = i32::from(xi[i]);
                for (w, &xj) in row.iter_mut().zip(xi) {
                    *w += xi_i * i32::from(xj);
                }
            }
        }
        for i in 0..n {
            weights[i * n + i] = 0;
        }
        Hopfield { n, weights }
    }

    /// `N h_i = Σ_j N W_ij s_j`, the field on neuron `i` times `N`.
    pub fn field(&self, s: &[i8], i: usize) -> i64 {
        let row = &self.weights[i * self.n..(i + 1) * self.n];
        row.iter()
            .zip(s)
            .map(|(&w, &x)| i64::from(w) * i64::from(x))
            .sum()
    }

    /// `N E(s) = −½ sᵀ (N W) s`, exactly: an integer, since `W` is
    /// symmetric with zero diagonal.
    pub fn energy_times_n(&self, s: &[i8]) -> i64 {
        let twice: i64 = (0..self.n)
            .map(|i| i64::from(s[i]) * self.field(s, i))
            .sum();
        -twice / 2
    }
}
// ANCHOR_END: hopfield

/// The record of one asynchronous run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recall {
    /// The final state.
    pub state: Vec<i8>,
    /// Full sweeps made (the last one changed nothing if `converged`).
    pub sweeps: usize,
    /// Neurons that changed sign.
    pub flips: usize,
    /// Whether a sweep passed with no change: `state` is a fixed point.
    pub converged: bool,
}

impl Hopfield {
    /// The number of neurons `N`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Checks that a state fits the network.
    fn check(&self, s: &[i8]) -> Result<()> {
        if s.len() != self.n {
            return Err(Error::Shape(format!(
                "a state of {} neurons for a network of {}",
                s.len(),
                self.n
            )));
        }
        match s.iter().position(|&x| x != 1 && x != -1) {
            None => Ok(()),
            Some(i) => Err(Error::NotBinary {
                pattern: 0,
                entry: i,
                value: f64::from(s[i]),
            }),
        }
    }

    // ANCHOR: recall
    /// Asynchronous updates from `start`: each sweep visits every neuron
    /// once in a fresh random order and sets `s_i = sign(h_i)`, leaving it
    /// as it is when `h_i = 0`; stops after a sweep with no change or after
    /// `max_sweeps`. `observe(i, s, e)` sees every update that changed a
    /// neuron, with the state after it and the change `e` of `N E`
    /// predicted by the proof, `−(s_i' − s_i) N h_i`. Errors: a state of
    /// the wrong length or not made of `±1`.
    pub fn recall<R: Rng + ?Sized>(
        &self,
        start: &[i8],
        max_sweeps: usize,
        rng: &mut R,
        mut observe: impl FnMut(usize, &[i8], i64),
    ) -> Result<Recall> {
        self.check(start)?;
        let mut s = start.to_vec();
        // The fields, kept up to date after each flip.
        let mut h: Vec<i64> = (0..self.n).map(|i| self.field(&s, i)).collect();
        let mut order: Vec<usize> = (0..self.n).collect();
        let mut flips = 0;
        for sweep in 1..=max_sweeps {
            order.shuffle(rng);
            let mut changed = false;
            for &i in &order {
                let next = match h[i].signum() {
                    0 => s[i],
                    sign => sign as i8,
                };
                if next != s[i] {
                    let delta = i64::from(next - s[i]);
                    s[i] = next;
                    let row = &self.weights[i * self.n..(i + 1) * self.n];
                    for (hj, &w) in h.iter_mut().zip(row) {
                        *hj += delta * i64::from(w);
                    }
                    observe(i, &s, -delta * h[i]);
                    flips += 1;
                    changed = true;
                }
            }
            if !changed {
                return Ok(Recall {
                    state: s,
                    sweeps: sweep,
                    flips,
                    converged: true,
                });
            }
        }
        Ok(Recall {
            state: s,
            sweeps: max_sweeps,
            flips,
            converged: false,
        })
    }
    // ANCHOR_END: recall
}

/// The energy audit of asynchronous runs: after every update that
/// changed a neuron, the energy recomputed from scratch is compared with
/// the one before it and with the proof's prediction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnergyAudit {
    /// Updates that changed a neuron.
    pub updates: usize,
    /// Of those, the number after which the energy rose.
    pub increases: usize,
    /// The number whose change differed from `−(s_i' − s_i) N h_i`.
    pub mismatches: usize,
    /// Runs that reached a fixed point.
    pub converged: usize,
}

/// Runs `runs` recalls of `net` from random states (from `rng`) and audits
/// every update. Errors: those of [`Hopfield::recall`].
pub fn audit_energy<R: Rng + ?Sized>(
    net: &Hopfield,
    runs: usize,
    max_sweeps: usize,
    rng: &mut R,
    mut trace: impl FnMut(usize, i64),
) -> Result<EnergyAudit> {
    let mut audit = EnergyAudit::default();
    for run in 0..runs {
        let start: Vec<i8> = (0..net.n())
            .map(|_| if rng.random::<bool>() { 1 } else { -1 })
            .collect();
        let mut before = net.energy_times_n(&start);
        trace(run, before);
        let recall = net.recall(&start, max_sweeps, rng, |_, s, predicted| {
            let after = net.energy_times_n(s);
            audit.updates += 1;
            audit.increases += usize::from(after > before);
            audit.mismatches += usize::from(after - before != predicted);
            before = after;
            trace(run, after);
        })?;
        audit.converged += usize::from(recall.converged);
    }
    Ok(audit)
}
