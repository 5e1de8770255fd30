//! The ablation: the full recipe and the recipe with each rule removed,
//! trained from the same seeds, so that every comparison is paired.

use crate::data::Splits;
use crate::recipe::{Recipe, Rule, Score, Setup, Trained, train_and_score};
use book_support::stats::mean_se;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// One row of the table: a recipe's runs over the seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The rules removed (none: the full recipe).
    pub removed: Vec<Rule>,
    pub scores: Vec<Score>,
    /// Every seed's run, in the order of the seeds (the first one's losses
    /// for the figure, the full recipe's parameters for the calibration).
    pub runs: Vec<Trained>,
    /// The largest logit any seed's training saw.
    pub largest_logit: f64,
    /// Runs that failed (a refused step or a non-finite loss).
    pub failed: usize,
}

/// A mean with its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub se: f64,
}

impl Estimate {
    fn of(values: &[f64]) -> Estimate {
        let (mean, se) = mean_se(values);
        Estimate { mean, se }
    }

    /// Whether the mean is more than four standard errors from zero: the
    /// book's test for a difference it calls real.
    pub fn is_real(&self) -> bool {
        self.mean.abs() > 4.0 * self.se
    }
}

impl Row {
    /// The first seed's run.
    pub fn first(&self) -> &Trained {
        &self.runs[0]
    }

    /// Mean test loss over the seeds (`+inf` if a run failed).
    pub fn loss(&self) -> Estimate {
        Estimate::of(&self.scores.iter().map(|s| s.loss).collect::<Vec<_>>())
    }

    /// Mean test accuracy over the seeds.
    pub fn accuracy(&self) -> Estimate {
        Estimate::of(&self.scores.iter().map(|s| s.accuracy).collect::<Vec<_>>())
    }

    /// The paired difference `self − full` of test loss, seed by seed.
    pub fn loss_change(&self, full: &Row) -> Estimate {
        paired(&self.scores, &full.scores, |s| s.loss)
    }

    /// The paired difference `self − full` of test accuracy.
    pub fn accuracy_change(&self, full: &Row) -> Estimate {
        paired(&self.scores, &full.scores, |s| s.accuracy)
    }
}

fn paired(a: &[Score], b: &[Score], f: impl Fn(&Score) -> f64) -> Estimate {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| f(x) - f(y)).collect();
    Estimate::of(&d)
}

/// The rows of the table: the full recipe, each rule removed alone, and
/// last both shortcuts and He's rule removed (a plain network, where He's
/// rule was made for).
pub fn removals() -> Vec<Vec<Rule>> {
    let mut rows = vec![vec![]];
    rows.extend(Rule::ALL.iter().map(|&r| vec![r]));
    rows.push(vec![Rule::Residual, Rule::HeInit]);
    rows
}

/// The table: the full recipe first, then the rows of [`removals`].
#[derive(Clone, Debug, PartialEq)]
pub struct Ablation {
    pub lambda: f64,
    pub rows: Vec<Row>,
}

impl Ablation {
    /// The row of the full recipe.
    pub fn full(&self) -> &Row {
        &self.rows[0]
    }

    /// The row with exactly `rules` removed.
    pub fn without(&self, rules: &[Rule]) -> Option<&Row> {
        self.rows.iter().find(|r| r.removed == rules)
    }
}

// ANCHOR: ablation
/// Trains the full recipe with weight decay `lambda`, less the rules in
/// `removed`, from each of `seeds` (the same seed gives the same initial
/// draws and minibatches to every recipe that shares a shape), in
/// parallel, reporting each finished run to `progress`. Errors: fewer than
/// two seeds, those of training.
pub fn ablate(
    setup: &Setup,
    splits: &Splits,
    (lambda, removed): (f64, &[Rule]),
    seeds: &[u64],
    progress: &(dyn Fn() + Sync),
) -> Result<Row> {
    if seeds.len() < 2 {
        return Err("an ablation needs at least two seeds for its standard errors".into());
    }
    let recipe = removed
        .iter()
        .fold(Recipe::full(lambda), |acc, &rule| acc.without(rule));
    let runs = book_support::parallel::map(seeds, |&seed| {
        let out = train_and_score(setup, &recipe, splits, seed).map_err(|e| e.to_string());
        progress();
        out
    });
    let mut row = Row {
        removed: removed.to_vec(),
        scores: Vec::with_capacity(seeds.len()),
        runs: Vec::with_capacity(seeds.len()),
        largest_logit: 0.0,
        failed: 0,
    };
    for run in runs {
        let (trained, score): (Trained, Score) = run?;
        row.largest_logit = row.largest_logit.max(trained.largest_logit);
        row.failed += usize::from(trained.failed_at.is_some());
        row.scores.push(score);
        row.runs.push(trained);
    }
    Ok(row)
}
// ANCHOR_END: ablation
