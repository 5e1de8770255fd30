//! Chapter 10: a ReLU network whose layers' spectral norms are bounded,
//! trained a few steps per frame, and the share of test images whose
//! margin certifies a radius ε.

use crate::{Control, Input, Live, Readout, Series, Style, View, Widget};
use book_support::data::Digits;
use ch10_trustworthy::experiments::{BOUNDS, PGD_STEPS, Settings};
use ch10_trustworthy::{Constrained, ConstrainedRun, Splits, audit};
use std::path::Path;
use std::sync::OnceLock;

pub const CERTIFIED_RADIUS: Widget = Widget {
    id: "ch10-certified-radius",
    caption: "Choose the spectral bound per layer, the radius ε and the seed, and watch the network train: its Lipschitz bound K, its clean accuracy, and the share of test images that no perturbation shorter than ε can change.",
    figure: "figures/ch10/robustness.svg",
    controls: &[
        // The options are the chapter's BOUNDS, in order.
        Control {
            name: "bound",
            label: "spectral bound per layer",
            input: Input::Choice(&["1.5", "2", "3", "none"]),
            book: 1.0,
        },
        Control {
            name: "eps",
            label: "radius ε",
            input: Input::Range { min: 0.0, max: 0.6, step: 0.05 },
            book: 0.25,
        },
        Control {
            name: "seed",
            label: "seed offset",
            input: Input::Range { min: 0.0, max: 9.0, step: 1.0 },
            book: 0.0,
        },
    ],
    x_label: "radius ε",
    y_label: "share of test images",
    log_x: false,
    log_y: false,
    readouts: &[
        Readout { label: "Lipschitz bound K", claim: Some("robust-k-2") },
        Readout { label: "clean accuracy", claim: Some("robust-clean-2") },
        Readout { label: "certified at ε", claim: Some("robust-cert-2") },
    ],
    start,
};

/// Training steps per frame: one step is a forward and backward pass of a
/// batch of 64 through 64 → 64 → 64 → 10 (about 3.4 million flops) and a
/// spectral projection.
const STEPS_PER_FRAME: usize = 15;

/// The radii of the certified curve (the chapter's grid is every 0.05).
const CURVE_POINTS: usize = 61;
const CURVE_MAX: f64 = 0.6;

/// The shipped digits, embedded (a page has no files) and parsed once.
fn digits() -> Result<&'static Digits, String> {
    static DIGITS: OnceLock<Digits> = OnceLock::new();
    if let Some(d) = DIGITS.get() {
        return Ok(d);
    }
    let parsed = Digits::parse(
        include_str!("../../data/digits/digits.csv"),
        Path::new("data/digits/digits.csv"),
    )
    .map_err(|e| e.to_string())?;
    Ok(DIGITS.get_or_init(|| parsed))
}

fn start(v: &[f64]) -> Result<Box<dyn Live>, String> {
    let settings = Settings { seed: v[2] as u64, ..Settings::default() };
    let bound = BOUNDS[v[0] as usize];
    // As `experiments::splits` and `experiments::robustness`: the splits
    // from seed 1, the network from seed 2000, both offset by the seed.
    let splits = Splits::of(digits()?, settings.seed(1)).map_err(|e| e.to_string())?;
    let run = Constrained::book(bound)
        .start(&splits.train, settings.seed(2000))
        .map_err(|e| e.to_string())?;
    Ok(Box::new(Certified { splits, run, bound, eps: v[1] }))
}

struct Certified {
    splits: Splits,
    run: ConstrainedRun,
    bound: Option<f64>,
    eps: f64,
}

impl Live for Certified {
    fn advance(&mut self) -> Result<View, String> {
        if self.run.steps_done() >= self.run.total_steps() {
            return Err("this run has finished".to_string());
        }
        self.run.advance(&self.splits.train, STEPS_PER_FRAME).map_err(|e| e.to_string())?;
        // The audit on an empty grid of radii runs no attack: it gives the
        // Lipschitz bound, the clean accuracy and every image's certified
        // radius, from which the certified share at any ε is a count, as
        // the audit counts it on its grid.
        let r =
            audit(self.run.net(), &self.splits.test, &[], PGD_STEPS).map_err(|e| e.to_string())?;
        let n = r.radii.len();
        let certified =
            |eps: f64| r.radii.iter().filter(|&&radius| radius > eps).count() as f64 / n as f64;
        let curve: Vec<[f64; 2]> = (0..CURVE_POINTS)
            .map(|k| {
                let eps = CURVE_MAX * k as f64 / (CURVE_POINTS - 1) as f64;
                [eps, certified(eps)]
            })
            .collect();
        let at = certified(self.eps);
        let done = self.run.steps_done() >= self.run.total_steps();
        let bound = match self.bound {
            Some(b) => format!("bound {b} per layer"),
            None => "no bound".to_string(),
        };
        Ok(View {
            series: vec![
                Series::new("certified", Style::Line, curve),
                Series::new(
                    "clean accuracy",
                    Style::Dashed,
                    vec![[0.0, r.clean], [CURVE_MAX, r.clean]],
                ),
                Series::new("at ε", Style::Dots, vec![[self.eps, at]]),
            ],
            values: vec![r.lipschitz, r.clean, at],
            note: format!("{bound}: step {} of {}", self.run.steps_done(), self.run.total_steps()),
            done,
        })
    }
}
