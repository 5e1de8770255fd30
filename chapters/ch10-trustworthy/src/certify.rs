//! Certified robustness: a ReLU network whose Lipschitz constant is bounded
//! by construction (every weight matrix projected onto a spectral-norm
//! ball after each step), the radii its margins certify, and the attacks
//! that try to beat them.

use crate::recipe::{gather, minibatches};
use ch03_backprop::{Activation, DMatrix, DVector, Loss, Mlp, Optimizer, Workspace, normal};
use ch05_residual::Split;
use ch06_generalization::lipschitz_bound;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// How the certified classifier is trained: an MLP `64 → hidden → … → 10`
/// of ReLU layers, minibatch SGD with momentum on the stable
/// cross-entropy, and after every step each weight matrix with
/// `‖W‖₂ > bound` rescaled to `‖W‖₂ = bound` (`bound = None`: no
/// constraint).
#[derive(Clone, Debug, PartialEq)]
pub struct Constrained {
    pub hidden: Vec<usize>,
    pub bound: Option<f64>,
    pub batch: usize,
    pub steps: usize,
    pub eta: f64,
    pub momentum: f64,
}

impl Constrained {
    /// The book's constrained network.
    pub fn book(bound: Option<f64>) -> Constrained {
        Constrained {
            hidden: vec![64, 64],
            bound,
            batch: 64,
            steps: 600,
            eta: 0.05,
            momentum: 0.9,
        }
    }

    /// Trains from `seed`: [`Constrained::start`], then every step. Errors:
    /// a bound that is not positive and finite, those of the engine.
    pub fn train(&self, train: &Split, seed: u64) -> Result<Mlp> {
        let mut run = self.start(train, seed)?;
        run.advance(train, self.steps)?;
        Ok(run.net)
    }

    /// The training of [`Constrained::train`] before its first step: the
    /// network, the optimizer and every minibatch drawn from `seed` (so a
    /// run advanced a few steps at a time, as a page draws it, ends with
    /// the same network).
    pub fn start(&self, train: &Split, seed: u64) -> Result<ConstrainedRun> {
        if let Some(b) = self.bound
            && !(b.is_finite() && b > 0.0)
        {
            return Err(format!("a spectral bound must be positive and finite, got {b}").into());
        }
        let mut widths = vec![crate::data::PIXELS];
        widths.extend(&self.hidden);
        widths.push(crate::data::CLASSES);
        let mut rng = book_support::seeded(seed);
        let net = Mlp::gaussian(
            &widths,
            Activation::Relu,
            Activation::Identity,
            2.0,
            0.0,
            &mut rng,
        )?;
        Ok(ConstrainedRun {
            bound: self.bound,
            optimizer: Optimizer::gd(self.eta)?.with_momentum(self.momentum)?,
            batches: minibatches(train.len(), self.batch, self.steps, &mut rng),
            done: 0,
            ws: Workspace::new(&net, self.batch)?,
            xb: DMatrix::zeros(train.x.nrows(), self.batch),
            yb: DMatrix::zeros(train.y.nrows(), self.batch),
            projector: Projector::new(&net, seed ^ 0x5eed),
            net,
        })
    }
}

/// A constrained network in training ([`Constrained::start`]).
pub struct ConstrainedRun {
    bound: Option<f64>,
    optimizer: Optimizer,
    batches: Vec<Vec<usize>>,
    done: usize,
    ws: Workspace,
    xb: DMatrix<f64>,
    yb: DMatrix<f64>,
    projector: Projector,
    net: Mlp,
}

impl ConstrainedRun {
    /// The steps taken so far.
    pub fn steps_done(&self) -> usize {
        self.done
    }

    /// The steps of the whole run.
    pub fn total_steps(&self) -> usize {
        self.batches.len()
    }

    /// The network as it stands.
    pub fn net(&self) -> &Mlp {
        &self.net
    }

    // ANCHOR: project
    /// Takes up to `steps` more steps on `train` (the split the run
    /// started with), each followed by the projection, and returns the
    /// steps taken in all. The projection estimates `‖W‖₂` by power
    /// iteration, which approaches it from below, so a matrix may end a
    /// hair above the bound; the certificate does not trust it and takes
    /// `K` from singular values. Errors: those of the engine.
    pub fn advance(&mut self, train: &Split, steps: usize) -> Result<usize> {
        let end = self.done.saturating_add(steps).min(self.batches.len());
        for idx in &self.batches[self.done..end] {
            gather(&train.x, idx, &mut self.xb);
            gather(&train.y, idx, &mut self.yb);
            let loss = Loss::SoftmaxCrossEntropy;
            self.net.step(&self.xb, &self.yb, loss, &self.optimizer, &mut self.ws)?;
            if let Some(bound) = self.bound {
                self.projector.project(&mut self.net, bound)?;
            }
            self.done += 1;
        }
        Ok(self.done)
    }
}

/// The spectral projection: every weight matrix of a network whose
/// spectral norm exceeds a bound is rescaled onto it. The norm is estimated
/// by power iteration on `WᵀW`, warm-started from each layer's last right
/// singular vector (as Miyato et al. carry theirs from step to step), so
/// that a step that changes the weights a little costs an iteration or
/// two.
#[derive(Clone, Debug)]
pub struct Projector {
    vectors: Vec<DVector<f64>>,
}

impl Projector {
    /// Random unit starting vectors for the layers of `net`, from `seed`.
    pub fn new(net: &Mlp, seed: u64) -> Projector {
        let mut rng = book_support::seeded(seed);
        let vectors = net
            .blocks()
            .iter()
            .map(|b| DVector::from_fn(b.n_in, |_, _| normal(&mut rng)).normalize())
            .collect();
        Projector { vectors }
    }

    /// Rescales each weight matrix of `net` whose estimated spectral norm
    /// exceeds `bound` onto it (biases are left alone: they do not change a
    /// Lipschitz constant). The estimate stops when two successive values
    /// agree to `1e-6` relatively. Errors: a network of another shape, a
    /// power iteration that does not converge in `10_000` steps.
    pub fn project(&mut self, net: &mut Mlp, bound: f64) -> Result<()> {
        if self.vectors.len() != net.depth() {
            return Err("a projector made for another network".into());
        }
        let mut theta = net.parameters().to_vec();
        for (l, v) in self.vectors.iter_mut().enumerate() {
            let block = &net.blocks()[l];
            let range = net.block_range(l);
            let w = block.w(&theta[range.clone()]).into_owned();
            let sigma = power_iteration(&w, v, 1e-6, 10_000)?;
            if sigma > bound {
                let weights = block.n_in * block.n_out;
                for x in &mut theta[range.start..range.start + weights] {
                    *x *= bound / sigma;
                }
            }
        }
        Ok(net.set_parameters(&theta)?)
    }
}

/// `‖W‖₂` by power iteration on `WᵀW` from the unit vector `v`, which it
/// leaves at the last iterate: `v ← WᵀW v / ‖WᵀW v‖`, `σ = ‖W v‖`, until
/// two successive estimates agree to `tol` relatively. A zero matrix gives
/// 0. Errors: no convergence within `max_iter` steps.
fn power_iteration(
    w: &DMatrix<f64>,
    v: &mut DVector<f64>,
    tol: f64,
    max_iter: usize,
) -> Result<f64> {
    let mut sigma = (w * &*v).norm();
    for _ in 0..max_iter {
        let u = w.tr_mul(&(w * &*v));
        let norm = u.norm();
        if norm == 0.0 {
            return Ok(0.0);
        }
        *v = u / norm;
        let next = (w * &*v).norm();
        if (next - sigma).abs() <= tol * next {
            return Ok(next);
        }
        sigma = next;
    }
    Err(format!("power iteration did not converge in {max_iter} steps").into())
}
// ANCHOR_END: project

// ANCHOR: certificate
/// The certificate of a classifier `z = f(x)` whose Euclidean Lipschitz
/// constant is at most `K`: each logit difference `z_y − z_k` moves by at
/// most `‖e_y − e_k‖ K ‖δ‖ = √2 K ‖δ‖` under a perturbation `δ`, so the
/// label survives every `‖δ‖ < m / (√2 K)`, where `m = z_y − max_{k≠y} z_k`
/// is the margin. A misclassified image (`m ≤ 0`) gets radius 0.
pub fn certified_radii(logits: &DMatrix<f64>, labels: &[u8], k: f64) -> Result<Vec<f64>> {
    if !(k.is_finite() && k > 0.0) {
        return Err(format!("a Lipschitz bound must be positive and finite, got {k}").into());
    }
    Ok(margins(logits, labels)?
        .into_iter()
        .map(|m| (m / (2f64.sqrt() * k)).max(0.0))
        .collect())
}
// ANCHOR_END: certificate

/// The margins `z_y − max_{k≠y} z_k`, one per column. Errors: those of
/// [`crate::data::check_labels`].
pub fn margins(logits: &DMatrix<f64>, labels: &[u8]) -> Result<Vec<f64>> {
    crate::data::check_labels(logits, labels)?;
    Ok(logits
        .column_iter()
        .zip(labels)
        .map(|(z, &y)| {
            let y = usize::from(y);
            let rival = (0..z.len())
                .filter(|&k| k != y)
                .map(|k| z[k])
                .fold(f64::NEG_INFINITY, f64::max);
            z[y] - rival
        })
        .collect())
}

/// The Lipschitz bound `K = Π ‖W_l‖₂` of a ReLU network (singular values,
/// chapter 6).
pub fn lipschitz(net: &Mlp) -> Result<f64> {
    Ok(lipschitz_bound(net)?)
}

/// `∇_x ℓ` of the cross-entropy at every image of `x` against the one-hot
/// targets `y`: the engine's backward pass, scaled back by the batch size.
/// Errors: those of the engine.
pub fn input_gradients(net: &Mlp, x: &DMatrix<f64>, y: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let mut ws = Workspace::new(net, x.ncols())?.with_input_gradient();
    net.loss_and_gradient(x, y, Loss::SoftmaxCrossEntropy, &mut ws)?;
    let dx = ws.activation_gradient(0).ok_or("no input gradient")?;
    Ok(dx * x.ncols() as f64)
}

/// Each column of `g` scaled to unit length (a zero column stays zero).
fn unit_columns(g: &DMatrix<f64>) -> DMatrix<f64> {
    let mut u = g.clone();
    for mut c in u.column_iter_mut() {
        let n = c.norm();
        if n > 0.0 {
            c /= n;
        }
    }
    u
}

/// The attacks, in the Euclidean norm that the certificate speaks of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attack {
    /// The fast gradient method: one step of length ε along `∇_x ℓ`
    /// (Goodfellow et al. 2015's FGSM, in the Euclidean norm).
    Fgm,
    /// Projected gradient ascent (Madry et al. 2018): `steps` normalized
    /// gradient steps of length `2.5 ε / steps`, each followed by the
    /// projection back onto the ball `‖δ‖ ≤ ε`.
    Pgd { steps: usize },
}

// ANCHOR: attack
impl Attack {
    /// The perturbed images `x + δ`, `‖δ_j‖ ≤ ε` for every column, that
    /// raise the cross-entropy of the labels. Pixels are not clipped to
    /// their range, so the attack searches the whole ball the certificate
    /// covers. Errors: ε negative or not finite, bad labels.
    pub fn perturb(
        &self,
        net: &Mlp,
        x: &DMatrix<f64>,
        y: &DMatrix<f64>,
        eps: f64,
    ) -> Result<DMatrix<f64>> {
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(format!("ε = {eps} must be finite and nonnegative").into());
        }
        match *self {
            Attack::Fgm => Ok(x + unit_columns(&input_gradients(net, x, y)?) * eps),
            Attack::Pgd { steps } => {
                let alpha = 2.5 * eps / steps.max(1) as f64;
                let mut adv = x.clone();
                for _ in 0..steps {
                    adv += unit_columns(&input_gradients(net, &adv, y)?) * alpha;
                    let mut delta = &adv - x;
                    for mut c in delta.column_iter_mut() {
                        let n = c.norm();
                        if n > eps {
                            c *= eps / n;
                        }
                    }
                    adv = x + delta;
                }
                Ok(adv)
            }
        }
    }
}
// ANCHOR_END: attack

/// The predicted class of every column.
pub fn predictions(logits: &DMatrix<f64>) -> Vec<usize> {
    logits.column_iter().map(|c| c.argmax().0).collect()
}

/// One radius of the robustness curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RobustPoint {
    pub eps: f64,
    /// Images with certified radius above ε.
    pub certified: f64,
    /// Images still right after the fast gradient method.
    pub fgm: f64,
    /// Images still right after PGD.
    pub pgd: f64,
    /// Images right after both attacks (the empirical robust accuracy).
    pub robust: f64,
}

/// The audit of the certificates against the attacks.
#[derive(Clone, Debug, PartialEq)]
pub struct Robustness {
    pub lipschitz: f64,
    pub clean: f64,
    pub radii: Vec<f64>,
    pub curve: Vec<RobustPoint>,
    /// For each image, the smallest ε of the grid at which an attack
    /// succeeded (`None`: none did, or the image was wrong to begin with).
    pub broken_at: Vec<Option<f64>>,
    /// Successful attacks whose perturbation was shorter than the image's
    /// certified radius: a certificate the attack refuted. Must be 0.
    pub violations: usize,
    /// Successful attacks checked.
    pub successes: usize,
}

/// Attacks every image of `split` at every ε of `grid` with both attacks
/// and checks each success against the certificate. Errors: those of the
/// engine.
pub fn audit(net: &Mlp, split: &Split, grid: &[f64], pgd_steps: usize) -> Result<Robustness> {
    let logits = net.forward(&split.x)?;
    let lipschitz = lipschitz(net)?;
    let radii = certified_radii(&logits, &split.labels, lipschitz)?;
    let n = split.len();
    let right: Vec<bool> = predictions(&logits)
        .iter()
        .zip(&split.labels)
        .map(|(p, &l)| *p == usize::from(l))
        .collect();
    let clean = right.iter().filter(|&&r| r).count() as f64 / n as f64;
    let mut broken_at = vec![None; n];
    let (mut violations, mut successes) = (0, 0);
    let mut curve = Vec::with_capacity(grid.len());
    for &eps in grid {
        let mut still = [0usize; 3];
        for (a, attack) in [Attack::Fgm, Attack::Pgd { steps: pgd_steps }]
            .iter()
            .enumerate()
        {
            let adv = attack.perturb(net, &split.x, &split.y, eps)?;
            let p = predictions(&net.forward(&adv)?);
            for j in 0..n {
                if !right[j] {
                    continue;
                }
                if p[j] == usize::from(split.labels[j]) {
                    still[a] += 1;
                    continue;
                }
                successes += 1;
                let length = (adv.column(j) - split.x.column(j)).norm();
                if length < radii[j] {
                    violations += 1;
                }
                if broken_at[j].is_none() {
                    broken_at[j] = Some(eps);
                }
            }
        }
        let robust = (0..n)
            .filter(|&j| right[j] && broken_at[j].is_none_or(|b| b > eps))
            .count();
        let certified = radii.iter().filter(|&&r| r > eps).count();
        let frac = |k: usize| k as f64 / n as f64;
        curve.push(RobustPoint {
            eps,
            certified: frac(certified),
            fgm: frac(still[0]),
            pgd: frac(still[1]),
            robust: frac(robust),
        });
    }
    Ok(Robustness {
        lipschitz,
        clean,
        radii,
        curve,
        broken_at,
        violations,
        successes,
    })
}
