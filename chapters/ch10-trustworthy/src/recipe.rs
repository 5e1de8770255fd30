//! The classifier of the chapter, built rule by rule: which rules are on, the
//! network they give, and the one training loop that follows them.

use crate::data::Splits;
use ch02_softmax::naive_softmax;
use ch03_backprop::{Activation, Dense, EngineError, Loss, Network, Optimizer, Workspace};
use ch05_residual::{Net, Piece, Residual, Split, branch_parameters, gaussian};
use nalgebra::DMatrix;
use rand::seq::SliceRandom;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

// ANCHOR: rule
/// An engineering rule of the book, as the ablation switches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Cross-entropy through log-sum-exp (chapter 2), not `−ln` of the
    /// textbook softmax `e^{z_i} / Σ e^{z_j}`.
    StableLoss,
    /// He's initialization, weights `N(0, 2/n)` before a ReLU (chapter 4),
    /// not the `N(0, 1/n)` that suits a linear or tanh layer.
    HeInit,
    /// Residual blocks `x + W₂ ReLU(W₁ x + b₁)` (chapter 5), not plain
    /// ReLU layers.
    Residual,
    /// Gradients clipped to a norm (chapter 3).
    Clipping,
    /// Weight decay (chapter 6) with λ chosen on the validation split, not
    /// `λ = 0`.
    WeightDecay,
}
// ANCHOR_END: rule

impl Rule {
    /// Every rule, in the book's order.
    pub const ALL: [Rule; 5] = [
        Rule::StableLoss,
        Rule::HeInit,
        Rule::Residual,
        Rule::Clipping,
        Rule::WeightDecay,
    ];

    /// A short name for tables and legends.
    pub fn name(self) -> &'static str {
        match self {
            Rule::StableLoss => "stable loss",
            Rule::HeInit => "He initialization",
            Rule::Residual => "residual blocks",
            Rule::Clipping => "gradient clipping",
            Rule::WeightDecay => "weight decay",
        }
    }
}

/// Which rules are on, and the weight decay λ used when
/// [`Rule::WeightDecay`] is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recipe {
    pub stable_loss: bool,
    pub he_init: bool,
    pub residual: bool,
    pub clipping: bool,
    pub weight_decay: Option<f64>,
}

impl Recipe {
    /// Every rule on, with weight decay `lambda`.
    pub fn full(lambda: f64) -> Recipe {
        Recipe {
            stable_loss: true,
            he_init: true,
            residual: true,
            clipping: true,
            weight_decay: Some(lambda),
        }
    }

    /// The same recipe with `rule` switched off.
    pub fn without(self, rule: Rule) -> Recipe {
        match rule {
            Rule::StableLoss => Recipe {
                stable_loss: false,
                ..self
            },
            Rule::HeInit => Recipe {
                he_init: false,
                ..self
            },
            Rule::Residual => Recipe {
                residual: false,
                ..self
            },
            Rule::Clipping => Recipe {
                clipping: false,
                ..self
            },
            Rule::WeightDecay => Recipe {
                weight_decay: None,
                ..self
            },
        }
    }

    /// The weight decay λ the optimizer uses (0 when the rule is off).
    pub fn lambda(&self) -> f64 {
        self.weight_decay.unwrap_or(0.0)
    }
}

// ANCHOR: setup
/// Everything about training that the rules do not switch: the network's
/// shape, the minibatches, the optimizer's step and momentum, the clipping
/// threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setup {
    /// Hidden pieces (residual blocks or plain layers) between the input
    /// layer `64 → width` and the readout `width → 10`.
    pub depth: usize,
    pub width: usize,
    pub batch: usize,
    pub steps: usize,
    pub eta: f64,
    pub momentum: f64,
    pub clip: f64,
    /// The hidden pieces' activation: ReLU in the book; tanh only for the
    /// smooth control of the difference quotients.
    pub activation: Activation,
}

impl Setup {
    /// The book's setup.
    pub const BOOK: Setup = Setup {
        depth: 12,
        width: 32,
        batch: 64,
        steps: 300,
        eta: 0.05,
        momentum: 0.9,
        clip: 1.0,
        activation: Activation::Relu,
    };
    // ANCHOR_END: setup

    /// The optimizer of `recipe`. Errors: a bad step, momentum, threshold
    /// or λ.
    pub fn optimizer(&self, recipe: &Recipe) -> Result<Optimizer> {
        let mut o = Optimizer::gd(self.eta)?
            .with_momentum(self.momentum)?
            .with_weight_decay(recipe.lambda())?;
        if recipe.clipping {
            o = o.with_clip(self.clip)?;
        }
        Ok(o)
    }

    // ANCHOR: network
    /// The network of `recipe`, drawn from `seed`: a linear input layer
    /// `64 → width` with `N(0, 1/64)` weights, `depth` hidden pieces, a
    /// linear readout `width → 10` with `N(0, 1/width)` weights, all biases
    /// zero. A hidden piece is a residual block whose first weights have
    /// variance `c/width` and whose last ones `1/(width · depth)` (chapter
    /// 5's scaling), or a plain ReLU layer of variance `c/width`; `c = 2`
    /// with He's rule and `1` without. Errors: a zero width or depth.
    pub fn network(&self, recipe: &Recipe, seed: u64) -> Result<Net> {
        let (n, depth) = (self.width, self.depth);
        if n == 0 || depth == 0 {
            return Err(EngineError::Empty("a network needs a width and a depth".into()).into());
        }
        let mut rng = book_support::seeded(seed);
        let c = if recipe.he_init { 2.0 } else { 1.0 } / n as f64;
        let dense = |n_in, n_out, activation| {
            Piece::Dense(Dense {
                n_in,
                n_out,
                activation,
            })
        };
        let with_zero_bias = |mut w: Vec<f64>, n_out| {
            w.extend(std::iter::repeat_n(0.0, n_out));
            w
        };
        let (input, classes) = (crate::data::PIXELS, crate::data::CLASSES);
        let mut blocks = vec![dense(input, n, Activation::Identity)];
        let mut theta = vec![with_zero_bias(
            gaussian(n, input, 1.0 / input as f64, &mut rng),
            n,
        )];
        // One residual block, cloned: the clones share its scratch space.
        let block = Residual::new(n, n, self.activation)?;
        for _ in 0..depth {
            if recipe.residual {
                blocks.push(Piece::Residual(block.clone()));
                let c2 = 1.0 / (n * depth) as f64;
                theta.push(branch_parameters(n, n, c, c2, &mut rng));
            } else {
                blocks.push(dense(n, n, self.activation));
                theta.push(with_zero_bias(gaussian(n, n, c, &mut rng), n));
            }
        }
        blocks.push(dense(n, classes, Activation::Identity));
        theta.push(with_zero_bias(
            gaussian(classes, n, 1.0 / n as f64, &mut rng),
            classes,
        ));
        Ok(Network::from_blocks(blocks, theta)?)
    }
    // ANCHOR_END: network
}

/// How a training run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    /// The final parameters (of the network [`Setup::network`] builds).
    pub parameters: Vec<f64>,
    /// The loss of every minibatch, before its step.
    pub losses: Vec<f64>,
    /// The largest `|z|` of any logit the training saw.
    pub largest_logit: f64,
    /// The step at which training failed (a non-finite loss or gradient, or
    /// a step the optimizer refused), if it did.
    pub failed_at: Option<usize>,
}

/// The minibatches of an epoch-by-epoch shuffle: `steps` batches of
/// `batch` column indices of `0..n`, reshuffled (with `rng`) whenever the
/// rest of an epoch is too short for a batch.
pub fn minibatches<R: rand::Rng + ?Sized>(
    n: usize,
    batch: usize,
    steps: usize,
    rng: &mut R,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut next = order.len();
    (0..steps)
        .map(|_| {
            if next + batch > order.len() {
                order.shuffle(rng);
                next = 0;
            }
            next += batch;
            order[next - batch..next].to_vec()
        })
        .collect()
}

/// The columns `idx` of `m`, into `out`.
pub fn gather(m: &DMatrix<f64>, idx: &[usize], out: &mut DMatrix<f64>) {
    for (j, &i) in idx.iter().enumerate() {
        out.set_column(j, &m.column(i));
    }
}

// ANCHOR: naive_step
/// The textbook cross-entropy `−ln(e^{z_y} / Σ e^{z_j})` of the logits in
/// `z` (one example per column) against one-hot `y`, averaged, and its
/// per-example gradients `p − y`, with the softmax computed without the
/// shift by the largest logit. Once a logit passes about 709.78, `e^z`
/// overflows and the result is `NaN`.
pub fn naive_cross_entropy(z: &DMatrix<f64>, y: &DMatrix<f64>) -> (f64, DMatrix<f64>) {
    let mut g = DMatrix::zeros(z.nrows(), z.ncols());
    let mut total = 0.0;
    for j in 0..z.ncols() {
        let p = naive_softmax(z.column(j).as_slice());
        for i in 0..z.nrows() {
            total -= y[(i, j)] * p[i].ln();
            g[(i, j)] = p[i] - y[(i, j)];
        }
    }
    (total / z.ncols() as f64, g)
}
// ANCHOR_END: naive_step

impl Setup {
    // ANCHOR: train
    /// Trains the network of `recipe` drawn from `seed` on `train`, with
    /// minibatches drawn from `seed` too, and reports how it went. The
    /// stable loss is the engine's `Loss::SoftmaxCrossEntropy`; without it
    /// the gradient `p − y` of [`naive_cross_entropy`] is pushed back
    /// through the engine as a linear loss. A run that meets a non-finite
    /// loss or a refused step stops there ([`Trained::failed_at`]).
    /// Errors: a bad setup, a split of the wrong shape.
    pub fn train(&self, recipe: &Recipe, train: &Split, seed: u64) -> Result<Trained> {
        let mut net = self.network(recipe, seed)?;
        let optimizer = self.optimizer(recipe)?;
        if self.batch == 0 || self.batch > train.len() {
            return Err(format!("a batch of {} from {} images", self.batch, train.len()).into());
        }
        let mut rng = book_support::seeded(seed ^ 0x5eed);
        let batches = minibatches(train.len(), self.batch, self.steps, &mut rng);
        let mut ws = Workspace::new(&net, self.batch)?;
        let mut xb = DMatrix::zeros(train.x.nrows(), self.batch);
        let mut yb = DMatrix::zeros(train.y.nrows(), self.batch);
        let mut run = Trained {
            parameters: Vec::new(),
            losses: Vec::with_capacity(self.steps),
            largest_logit: 0.0,
            failed_at: None,
        };
        for (t, idx) in batches.iter().enumerate() {
            gather(&train.x, idx, &mut xb);
            gather(&train.y, idx, &mut yb);
            let loss = if recipe.stable_loss {
                net.loss_and_gradient(&xb, &yb, Loss::SoftmaxCrossEntropy, &mut ws)
            } else {
                net.forward_ws(&xb, &mut ws)?;
                let (loss, g) = naive_cross_entropy(ws.output(), &yb);
                // A NaN gradient is refused by the engine as a target.
                net.loss_and_gradient(&xb, &g, Loss::Linear, &mut ws)
                    .map(|_| loss)
            };
            let largest = ws.output().amax();
            run.largest_logit = run.largest_logit.max(largest);
            match loss {
                Ok(l) if l.is_finite() && optimizer.update(&mut net, &mut ws).is_ok() => {
                    run.losses.push(l)
                }
                Ok(_) | Err(EngineError::NonFinite(_)) | Err(EngineError::Target(_)) => {
                    run.failed_at = Some(t);
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        run.parameters = net.parameters().to_vec();
        Ok(run)
    }
    // ANCHOR_END: train

    /// The network of `recipe` with the parameters of a run.
    pub fn trained_network(&self, recipe: &Recipe, run: &Trained) -> Result<Net> {
        let mut net = self.network(recipe, 0)?;
        net.set_parameters(&run.parameters)?;
        Ok(net)
    }
}

/// Test loss and accuracy of a trained classifier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// Mean cross-entropy (the stable one) on the split.
    pub loss: f64,
    /// Fraction of images whose largest logit is the label's.
    pub accuracy: f64,
}

/// The score of `net` on `split`. Errors: those of the forward pass.
pub fn score(net: &Net, split: &Split) -> Result<Score> {
    let (loss, accuracy) = ch05_residual::evaluate(net, split)?;
    Ok(Score { loss, accuracy })
}

/// Trains `recipe` from `seed` and scores it on `splits.test`; a failed run
/// scores a loss of `+inf` and the accuracy of its last parameters.
pub fn train_and_score(
    setup: &Setup,
    recipe: &Recipe,
    splits: &Splits,
    seed: u64,
) -> Result<(Trained, Score)> {
    let run = setup.train(recipe, &splits.train, seed)?;
    let net = setup.trained_network(recipe, &run)?;
    let mut s = score(&net, &splits.test)?;
    if run.failed_at.is_some() {
        s.loss = f64::INFINITY;
    }
    Ok((run, s))
}
