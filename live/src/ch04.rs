//! Chapter 4: the typical scale of the activations layer by layer in deep
//! ReLU networks under five initialization rules, exact and measured on
//! random networks drawn a few per frame.

use crate::{Control, Input, Live, Readout, Series, Style, View, Widget};
use book_support::rand::rngs::ChaCha8Rng;
use ch04_initialization::experiments::{DEEP_NETS, DEEP_SEED, deep_inits};
use ch04_initialization::{
    Activation, Signal, VarianceScaling, deep_widths, log10_rms_profile, signal, typical_log10_rms,
};

pub const ACTIVATION_SCALE: Widget = Widget {
    id: "ch04-activation-scale",
    caption: "Choose the initialization rule, the depth L and the widths: the typical scale of the activations, log₁₀ √(m_l/m₀), layer by layer in a ReLU network, exact (dashed) and the mean over 40 random networks drawn as the run goes.",
    figure: "figures/ch04/activation-scale.svg",
    controls: &[
        Control {
            name: "rule",
            label: "initialization",
            // The order of the chapter's `deep_inits`.
            input: Input::Choice(&["He", "LeCun", "Glorot/Xavier", "3/fan_in (too large)", "Xavier, gain √2"]),
            book: 0.0,
        },
        Control {
            name: "depth",
            label: "depth L",
            input: Input::Range { min: 2.0, max: 50.0, step: 1.0 },
            book: 50.0,
        },
        Control {
            name: "widths",
            label: "widths",
            input: Input::Choice(&["128, 32, 128, …", "all 128", "all 32"]),
            book: 0.0,
        },
    ],
    x_label: "layer l",
    y_label: "log₁₀ √(m_l/m₀)",
    log_x: false,
    log_y: false,
    readouts: &[
        Readout { label: "log₁₀ √(m_L/m₀), exact", claim: Some("deep-he-log10-rms-exact") },
        Readout { label: "log₁₀ √(m_L/m₀), measured mean", claim: Some("deep-he-log10-rms") },
        Readout { label: "its standard error", claim: None },
    ],
    start: |v| {
        let run: Box<dyn Live> = Box::new(ActivationScale::new(v[0] as usize, v[1] as usize, v[2] as usize)?);
        Ok(run)
    },
};

/// A run: the exact curve at once, then a few networks per frame until
/// [`DEEP_NETS`], drawn one after another from one generator seeded as the
/// book seeds the rule's networks. That is what the chapter's `signals`
/// does, so at the book's settings the last frame holds the doctest's
/// forty networks, bit for bit.
struct ActivationScale {
    init: VarianceScaling,
    widths: Vec<usize>,
    /// `E[log10 √R_l]` for `l = 1..=L`.
    exact: Vec<f64>,
    rng: ChaCha8Rng,
    signals: Vec<Signal>,
    /// Networks per frame: about a million weights' worth (four of the
    /// book's networks).
    per_frame: usize,
}

impl ActivationScale {
    fn new(rule: usize, depth: usize, widths: usize) -> Result<ActivationScale, String> {
        let init = deep_inits()[rule].1;
        let widths = match widths {
            0 => deep_widths()[..=depth].to_vec(), // the book's 128, 32, 128, …
            1 => vec![128; depth + 1],
            _ => vec![32; depth + 1],
        };
        let exact = typical_log10_rms(&init, &widths).map_err(|e| e.to_string())?;
        let weights: usize = widths.windows(2).map(|pair| pair[0] * pair[1]).sum();
        Ok(ActivationScale {
            init,
            exact,
            // The k-th rule's networks come from seed DEEP_SEED + k.
            rng: book_support::seeded(DEEP_SEED + rule as u64),
            signals: Vec::with_capacity(DEEP_NETS),
            per_frame: (1_000_000 / weights).clamp(1, DEEP_NETS),
            widths,
        })
    }
}

impl Live for ActivationScale {
    fn advance(&mut self) -> Result<View, String> {
        let k = self.per_frame.min(DEEP_NETS.saturating_sub(self.signals.len()));
        for _ in 0..k {
            let s = signal(&self.init, &self.widths, Activation::Relu, &mut self.rng)
                .map_err(|e| e.to_string())?;
            self.signals.push(s);
        }
        let profile = log10_rms_profile(&self.signals).map_err(|e| e.to_string())?;
        // Layer l at x = l; a NaN (no network alive yet) is not drawn.
        let curve = |ys: &[f64]| -> Vec<[f64; 2]> {
            (1u32..)
                .zip(ys)
                .map(|(l, &y)| [f64::from(l), y])
                .filter(|[_, y]| y.is_finite())
                .collect()
        };
        let top = |ys: &[f64]| ys.last().copied().unwrap_or(f64::NAN);
        let alive = self.signals.len() - profile.dead;
        let dead = match profile.dead {
            0 => String::new(),
            d => format!(", {d} with a dead layer left out"),
        };
        Ok(View {
            series: vec![
                Series::new("exact, no layer dead", Style::Dashed, curve(&self.exact)),
                Series::new(format!("mean of {alive} networks"), Style::Line, curve(&profile.mean)),
            ],
            values: vec![top(&self.exact), top(&profile.mean), top(&profile.se)],
            note: format!("{} of {DEEP_NETS} networks drawn{dead}", self.signals.len()),
            done: self.signals.len() >= DEEP_NETS,
        })
    }
}
