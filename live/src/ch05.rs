//! Chapter 5: a plain and a residual network of the same depth trained side
//! by side on the chapter's task with the same budget, a few steps a frame,
//! their losses drawn as they go.

use crate::{Control, Input, Live, Readout, Series, Style, View, Widget};
use ch03_backprop::Trainer;
use ch05_residual::{
    Body, BranchScale, DMatrix, DepthSetup, EngineError, Piece, constant_loss, sine_task,
};

pub const PLAIN_VS_RESIDUAL: Widget = Widget {
    id: "ch05-plain-vs-residual",
    caption: "Choose the depth, the number of steps and how the residual branches start: a plain and a residual network train side by side on the same task with the same budget, their losses drawn step by step.",
    figure: "figures/ch05/loss-curves.svg",
    controls: &[
        Control {
            name: "depth",
            label: "depth L",
            input: Input::Range { min: 10.0, max: 1000.0, step: 10.0 },
            book: 100.0,
        },
        Control {
            name: "steps",
            label: "steps",
            input: Input::Range { min: 20.0, max: 400.0, step: 20.0 },
            book: 80.0,
        },
        Control {
            name: "branches",
            label: "residual branches",
            input: Input::Choice(&["scaled by 1/√L", "unscaled", "zero"]),
            book: 0.0,
        },
    ],
    x_label: "step",
    y_label: "loss / best constant",
    log_x: false,
    log_y: true,
    readouts: &[
        Readout { label: "plain: loss / best constant", claim: Some("res-train-plain-100") },
        Readout { label: "residual: loss / best constant", claim: Some("res-train-residual-100") },
    ],
    start: |v| race(v[0] as usize, v[1] as usize, v[2] as usize),
};

/// The residual branches' starting scale, in the order of the choice.
const SCALES: [BranchScale; 3] =
    [BranchScale::InverseSqrtDepth, BranchScale::Unscaled, BranchScale::Zero];

/// Work per frame, counted in layers stepped (a plain layer counts one, a
/// residual block, with its two weight layers, two). One layer's step at
/// width 16 on 64 points is three 16 × 16 by 16 × 64 products (one forward,
/// two backward), about 0.1 MFLOP, so a frame is about 60 MFLOP: at the
/// book's depth 100, two steps of each network. A single step is never
/// split, so past depth 300 a frame is one step of one network (a residual
/// step at depth 1000 is about 200 MFLOP).
const WORK_PER_FRAME: usize = 600;

/// One of the two networks being trained.
struct Side {
    name: &'static str,
    style: Style,
    /// Layers per piece, for [`WORK_PER_FRAME`].
    cost: usize,
    trainer: Trainer<Piece>,
    /// The loss before training, shown until the first step is taken.
    initial: f64,
    /// As `Run::losses`: the loss before each step taken, then the loss
    /// after the last one.
    losses: Vec<f64>,
    /// As `Run::failed_at`: the step an update was refused at, if any.
    failed_at: Option<usize>,
}

impl Side {
    /// The chapter's `DepthSetup::trainer`: the network and optimizer of
    /// its runs, before the first step.
    fn new(
        setup: &DepthSetup,
        body: Body,
        depth: usize,
        (name, style, cost): (&'static str, Style, usize),
        (x, y): (&DMatrix<f64>, &DMatrix<f64>),
    ) -> Result<Side, String> {
        let text = |e: EngineError| e.to_string();
        let mut trainer = setup.trainer(body, depth).map_err(|e| e.to_string())?;
        let initial = trainer.loss(x, y).map_err(text)?;
        Ok(Side {
            name,
            style,
            cost,
            trainer,
            initial,
            losses: Vec::with_capacity(setup.steps + 1),
            failed_at: None,
        })
    }

    /// Whether the run is over: every step taken and the final loss
    /// recorded, or a step refused.
    fn finished(&self, steps: usize) -> bool {
        self.failed_at.is_some() || self.losses.len() > steps
    }

    /// The next step, or after the last one the final loss, recorded as
    /// `Trainer::run` records them (an update that would make a parameter
    /// non-finite ends the run, with the loss it was refused at last).
    fn advance(&mut self, x: &DMatrix<f64>, y: &DMatrix<f64>, steps: usize) -> Result<(), String> {
        if self.losses.len() < steps {
            match self.trainer.step(x, y, |_| {}) {
                Ok(loss) => self.losses.push(loss),
                Err(EngineError::NonFinite(_)) => {
                    // The refused step left the network as it was.
                    self.losses.push(self.trainer.loss(x, y).map_err(|e| e.to_string())?);
                    self.failed_at = Some(self.losses.len() - 1);
                }
                Err(e) => return Err(e.to_string()),
            }
        } else {
            self.losses.push(self.trainer.loss(x, y).map_err(|e| e.to_string())?);
        }
        Ok(())
    }

    /// The latest loss: `Run::final_loss` once the run is over.
    fn latest(&self) -> f64 {
        self.losses.last().copied().unwrap_or(self.initial)
    }
}

/// The two runs, advanced in turns.
struct Race {
    x: DMatrix<f64>,
    y: DMatrix<f64>,
    /// `½ Var(y)`, the loss of the best constant prediction.
    floor: f64,
    depth: usize,
    steps: usize,
    sides: Vec<Side>,
    /// False until the first frame (the untrained networks) is shown.
    started: bool,
}

fn race(depth: usize, steps: usize, branches: usize) -> Result<Box<dyn Live>, String> {
    let setup = DepthSetup { steps, ..DepthSetup::BOOK };
    let (x, y) = sine_task(setup.width, setup.points, setup.seed);
    let floor = constant_loss(&y);
    let plain = Side::new(&setup, Body::Plain, depth, ("plain", Style::Dashed, 1), (&x, &y))?;
    let residual = Side::new(
        &setup,
        Body::Residual(SCALES[branches]),
        depth,
        ("residual", Style::Line, 2),
        (&x, &y),
    )?;
    Ok(Box::new(Race { x, y, floor, depth, steps, sides: vec![plain, residual], started: false }))
}

impl Live for Race {
    fn advance(&mut self) -> Result<View, String> {
        // The first frame only shows where both networks start.
        if self.started {
            let mut work = 0;
            while work < WORK_PER_FRAME {
                // The network that is behind steps next (the plain one on a tie).
                let steps = self.steps;
                let Some(side) = self
                    .sides
                    .iter_mut()
                    .filter(|s| !s.finished(steps))
                    .min_by_key(|s| s.losses.len())
                else {
                    break;
                };
                side.advance(&self.x, &self.y, steps)?;
                work += side.cost * self.depth;
            }
        }
        self.started = true;
        Ok(self.view())
    }
}

impl Race {
    fn view(&self) -> View {
        let series = self
            .sides
            .iter()
            .map(|s| {
                let losses = if s.losses.is_empty() {
                    std::slice::from_ref(&s.initial)
                } else {
                    &s.losses[..]
                };
                // Logarithmic axis: only positive, finite ratios are drawn
                // (a diverging network's infinite or NaN loss is left out).
                let points = losses
                    .iter()
                    .enumerate()
                    .map(|(t, l)| [t as f64, l / self.floor])
                    .filter(|[_, r]| r.is_finite() && *r > 0.0)
                    .collect();
                Series::new(format!("{}, depth {}", s.name, self.depth), s.style, points)
            })
            .collect();
        let values = self.sides.iter().map(|s| s.latest() / self.floor).collect();
        // The slower of the networks still training.
        let taken = self
            .sides
            .iter()
            .filter(|s| s.failed_at.is_none())
            .map(|s| s.losses.len().min(self.steps))
            .min()
            .unwrap_or(self.steps);
        let mut note = format!("step {taken} of {}", self.steps);
        for s in &self.sides {
            if let Some(t) = s.failed_at {
                note.push_str(&format!(
                    "; {}: step {t} refused, a parameter would not be finite",
                    s.name
                ));
            }
        }
        View { series, values, note, done: self.sides.iter().all(|s| s.finished(self.steps)) }
    }
}
