//! Chapter 3: the backward signal layer by layer in deep random networks,
//! as mean field predicts it, as the finite-width correction predicts it,
//! and measured on random networks drawn a few per frame.

use crate::{Control, Input, Live, Readout, Series, Style, View, Widget};
use ch03_backprop::experiments::{SIGNAL_NETS, SIGNAL_SEED};
use ch03_backprop::{Activation, MeanField, Profile};
use std::f64::consts::LN_10;

/// The activations of the first control, in its order.
const ACTIVATIONS: [Activation; 3] = [Activation::Sigmoid, Activation::Tanh, Activation::Relu];

pub const BACKWARD_SIGNAL: Widget = Widget {
    id: "ch03-backward-signal",
    caption: "Choose the activation, the weight variance σ_w², the depth L and the width n: the backward signal ‖δ_l‖/‖δ_L‖ layer by layer as mean field predicts it (dots), as predicted at width n (dashed), and measured on 32 random networks drawn as the run goes.",
    figure: "figures/ch03/backward-signal-by-layer.svg",
    controls: &[
        Control {
            name: "activation",
            label: "activation",
            input: Input::Choice(&["sigmoid", "tanh", "ReLU"]),
            book: 0.0,
        },
        Control {
            name: "sigma_w2",
            label: "σ_w²",
            input: Input::Range { min: 0.25, max: 4.0, step: 0.25 },
            book: 1.0,
        },
        Control {
            name: "depth",
            label: "depth L",
            input: Input::Range { min: 5.0, max: 100.0, step: 5.0 },
            book: 100.0,
        },
        Control {
            name: "width",
            label: "width n",
            input: Input::Range { min: 16.0, max: 128.0, step: 16.0 },
            book: 64.0,
        },
    ],
    x_label: "layer l",
    y_label: "log₁₀ ‖δ_l‖/‖δ_L‖",
    log_x: false,
    log_y: false,
    readouts: &[
        Readout { label: "log₁₀ ‖δ₁‖/‖δ_L‖, predicted at width n", claim: Some("sigmoid-log10-typical") },
        Readout { label: "log₁₀ ‖δ₁‖/‖δ_L‖, mean field", claim: Some("sigmoid-log10-mean-field") },
        Readout { label: "log₁₀ ‖δ₁‖/‖δ_L‖, measured", claim: None },
    ],
    start: |v| {
        let run: Box<dyn Live> = Box::new(BackwardSignal::new(
            ACTIVATIONS[v[0] as usize],
            v[1],
            v[2] as usize,
            v[3] as usize,
        ));
        Ok(run)
    },
};

/// A run: the mean-field profile in the first frame, the prediction at
/// width `n` in the second, then a few networks per frame until
/// [`SIGNAL_NETS`] are measured.
struct BackwardSignal {
    mean_field: MeanField,
    depth: usize,
    width: usize,
    /// Networks per frame: about four of the book's size (width 64, depth
    /// 100), whose cost is in the drawing of their `L n²` weights.
    per_frame: usize,
    frame: usize,
    /// `log10 ‖δ_l‖/‖δ_L‖` for `l = 1..=L`, once computed.
    mean_field_curve: Vec<f64>,
    predicted: Vec<f64>,
    /// The networks measured so far, merged.
    measured: Profile,
    drawn: usize,
}

impl BackwardSignal {
    fn new(activation: Activation, sigma_w2: f64, depth: usize, width: usize) -> BackwardSignal {
        BackwardSignal {
            mean_field: MeanField { activation, sigma_w2 },
            depth,
            width,
            per_frame: (4 * 64 * 64 * 100 / (width * width * depth)).clamp(1, SIGNAL_NETS),
            frame: 0,
            mean_field_curve: Vec::new(),
            predicted: Vec::new(),
            measured: Profile { logs: Vec::new(), dead: 0 },
            drawn: 0,
        }
    }

    fn view(&self) -> View {
        // Layer l at x = l; a NaN (no network measured yet) is not drawn.
        let curve = |ys: &[f64]| -> Vec<[f64; 2]> {
            (1u32..)
                .zip(ys)
                .map(|(l, &y)| [f64::from(l), y])
                .filter(|[_, y]| y.is_finite())
                .collect()
        };
        let measured: Vec<f64> =
            (1..=self.depth).map(|l| self.measured.log_ratio(l).0 / LN_10).collect();
        let first = |ys: &[f64]| ys.first().copied().unwrap_or(f64::NAN);
        let dead = match self.measured.dead {
            0 => String::new(),
            d => format!(", {d} with a dead layer left out"),
        };
        View {
            series: vec![
                Series::new("mean field", Style::Dots, curve(&self.mean_field_curve)),
                Series::new(
                    format!("predicted at width {}", self.width),
                    Style::Dashed,
                    curve(&self.predicted),
                ),
                Series::new(
                    format!("measured, {} networks", self.measured.logs.len()),
                    Style::Line,
                    curve(&measured),
                ),
            ],
            values: vec![first(&self.predicted), first(&self.mean_field_curve), first(&measured)],
            note: format!("{} of {SIGNAL_NETS} networks drawn{dead}", self.drawn),
            done: self.drawn >= SIGNAL_NETS,
        }
    }
}

fn log10s(ratios: &[f64]) -> Vec<f64> {
    ratios.iter().map(|r| r.log10()).collect()
}

impl Live for BackwardSignal {
    fn advance(&mut self) -> Result<View, String> {
        let (mf, depth, n) = (self.mean_field, self.depth, self.width);
        // The doctest's calls: profiles for an input with ‖x_0‖²/n = 1.
        match self.frame {
            0 => self.mean_field_curve = log10s(&mf.backward_profile(1.0, depth)),
            1 => self.predicted = log10s(&mf.typical_backward_profile(1.0, depth, n)),
            chunk => {
                // The book draws its networks from one generator seeded with
                // SIGNAL_SEED; here each chunk has its own seed (the first
                // chunk the book's), so the measured curve is a fresh sample
                // of the same law, not the book's bits.
                let k = self.per_frame.min(SIGNAL_NETS.saturating_sub(self.drawn));
                let seed = SIGNAL_SEED + (chunk - 2) as u64;
                let part = Profile::measure(mf.activation, mf.sigma_w2, n, depth, k, seed)
                    .map_err(|e| e.to_string())?;
                self.measured.logs.extend(part.logs);
                self.measured.dead += part.dead;
                self.drawn += k;
            }
        }
        self.frame += 1;
        Ok(self.view())
    }
}
