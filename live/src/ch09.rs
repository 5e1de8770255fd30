//! Chapter 9: recall in a Hopfield network started at a stored pattern,
//! its final overlap against the load `α = P/N`, one load per frame.

use crate::{Control, Input, Live, Readout, Series, Style, View, Widget};
use ch09_memory::experiments::{
    RETRIEVAL_N, RETRIEVAL_NETWORKS, Settings, experiment_seed, retrieval_loads,
};
use ch09_memory::retrieval_overlap;

pub const RETRIEVAL: Widget = Widget {
    id: "ch09-retrieval",
    caption: "Choose the number of neurons, the networks averaged per load and the seed: the final overlap of recall started at a stored pattern, load by load, near one at small loads and falling around the critical load.",
    figure: "figures/ch09/retrieval.svg",
    controls: &[
        // Up to N = 200: one load of 32 networks costs P N² per network
        // for Hebb's rule, and at N = 400 a frame would take far too long
        // in the page.
        Control {
            name: "neurons",
            label: "neurons N",
            input: Input::Range { min: 50.0, max: 200.0, step: 50.0 },
            book: RETRIEVAL_N[0] as f64,
        },
        Control {
            name: "networks",
            label: "networks per load",
            input: Input::Range { min: 8.0, max: 32.0, step: 8.0 },
            book: RETRIEVAL_NETWORKS as f64,
        },
        Control {
            name: "seed",
            label: "seed offset",
            input: Input::Range { min: 0.0, max: 20.0, step: 1.0 },
            book: Settings::BOOK.seed as f64,
        },
    ],
    x_label: "load α = P/N",
    y_label: "final overlap m",
    log_x: false,
    log_y: false,
    readouts: &[
        Readout { label: "overlap at α = 0.12", claim: None },
        Readout { label: "overlap at α = 0.22", claim: None },
        Readout { label: "drop from α = 0.12 to 0.22", claim: Some("retrieval-drop-100") },
    ],
    start,
};

/// The large-N critical load of Amit, Gutfreund and Sompolinsky (1985),
/// which the chapter quotes and its figure marks; nothing computes it.
const ALPHA_C: f64 = 0.138;

fn start(v: &[f64]) -> Result<Box<dyn Live>, String> {
    Ok(Box::new(Retrieval {
        n: v[0] as usize,
        networks: v[1] as usize,
        settings: Settings { seed: v[2] as u64, ..Settings::BOOK },
        loads: retrieval_loads(),
        points: Vec::new(),
    }))
}

struct Retrieval {
    n: usize,
    networks: usize,
    settings: Settings,
    loads: Vec<f64>,
    /// (load, mean final overlap, its standard error) for the loads done.
    points: Vec<(f64, f64, f64)>,
}

impl Live for Retrieval {
    fn advance(&mut self) -> Result<View, String> {
        let Some(&a) = self.loads.get(self.points.len()) else {
            return Err("this run has finished".to_string());
        };
        // As `experiments::retrieval` does for each size and load: the
        // same pattern count and the same seeds.
        let p = (a * self.n as f64).round() as usize;
        let seed = self.settings.seed(experiment_seed(2, (self.n * 1000 + p) as u64));
        let (m, se) =
            retrieval_overlap(self.n, p, self.networks, seed).map_err(|e| e.to_string())?;
        self.points.push((a, m, se));
        Ok(self.view(p))
    }
}

impl Retrieval {
    /// The mean overlap at load `a`, NaN until it is computed (found as
    /// the chapter's doctest finds it).
    fn at(&self, a: f64) -> f64 {
        self.points.iter().find(|q| (q.0 - a).abs() < 1e-9).map_or(f64::NAN, |q| q.1)
    }

    fn view(&self, p: usize) -> View {
        let curve: Vec<[f64; 2]> = self.points.iter().map(|&(a, m, _)| [a, m]).collect();
        let (low, high) = (self.at(0.12), self.at(0.22));
        let done = self.points.len() == self.loads.len();
        let note = if done {
            format!("N = {}, {} networks per load", self.n, self.networks)
        } else {
            format!("load {} of {}: P = {p} patterns", self.points.len(), self.loads.len())
        };
        View {
            series: vec![
                Series::new(format!("N = {}", self.n), Style::Line, curve.clone()),
                Series::new("mean over the networks", Style::Dots, curve),
                Series::new(
                    "α_c ≈ 0.138 (N → ∞)",
                    Style::Dashed,
                    vec![[ALPHA_C, 0.0], [ALPHA_C, 1.0]],
                ),
            ],
            values: vec![low, high, low - high],
            note,
            done,
        }
    }
}
