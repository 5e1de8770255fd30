//! Chapter 8: the mean-field correlation map of a wide tanh network,
//! iterated layer by layer, on either side of the edge of chaos; its fixed
//! points, its depth scale and the critical weight variance.

use crate::{Control, Input, Live, Readout, Series, Style, View, Widget};
use ch08_physics::experiments::{CRITICAL_BRACKET, SIMULATION, SIMULATION_START};
use ch08_physics::{Activation, SignalMap, critical_weight_variance, mean_field_trace};

pub const ORDER_TO_CHAOS: Widget = Widget {
    id: "ch08-order-to-chaos",
    caption: "Set the weight and bias variances, the first layer's correlation and the depth: the correlation of two inputs layer by layer in a wide tanh network, rising to one in the ordered phase and settling at c* below one in the chaotic phase.",
    figure: "figures/ch08/correlation-by-layer.svg",
    controls: &[
        Control {
            name: "sigma_w2",
            label: "σ_w²",
            input: Input::Range { min: 0.5, max: 4.5, step: 0.05 },
            book: 3.0,
        },
        Control {
            name: "sigma_b2",
            label: "σ_b²",
            input: Input::Range { min: 0.0, max: 0.3, step: 0.01 },
            book: 0.05,
        },
        Control {
            name: "c1",
            label: "first-layer correlation c₁",
            input: Input::Range { min: -0.9, max: 0.95, step: 0.05 },
            book: SIMULATION_START.1,
        },
        Control {
            name: "depth",
            label: "depth L",
            input: Input::Range { min: 4.0, max: 100.0, step: 4.0 },
            book: SIMULATION.0 as f64,
        },
    ],
    x_label: "layer l",
    y_label: "correlation c_l",
    log_x: false,
    log_y: false,
    readouts: &[
        Readout { label: "fixed length q*", claim: Some("qstar-3") },
        Readout { label: "χ₁ at q*", claim: Some("chi1-3") },
        Readout { label: "fixed correlation c*", claim: Some("cstar-3") },
        Readout { label: "depth scale ξ_c", claim: Some("xi-c-3") },
        Readout { label: "critical σ_w² at this σ_b²", claim: Some("critical-005") },
    ],
    start,
};

/// Layers of the mean-field trace per frame: each is one correlation map,
/// a product rule of 161² nodes (about a millisecond natively).
const LAYERS_PER_FRAME: usize = 8;

fn text(e: ch08_physics::Error) -> String {
    e.to_string()
}

fn start(v: &[f64]) -> Result<Box<dyn Live>, String> {
    let map = SignalMap::new(Activation::Tanh, v[0], v[1]).map_err(text)?;
    // As the chapter's doctest: q* from q₀ = 1, and χ₁ there (cheap: one
    // bisection on the length map, 161 nodes per evaluation).
    let q_star = map.fixed_length(1.0).map_err(text)?;
    let chi1 = map.chi1(q_star);
    Ok(Box::new(OrderToChaos {
        map,
        c1: v[2],
        depth: v[3] as usize,
        q: Vec::new(),
        c: Vec::new(),
        q_star,
        chi1,
        c_star: f64::NAN,
        xi_c: f64::NAN,
        critical: f64::NAN,
        stage: Stage::Trace,
    }))
}

/// What the next frame computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The next layers of the trace.
    Trace,
    /// The critical weight variance at the map's σ_b² (a bisection of
    /// fixed lengths, about ten milliseconds natively).
    Critical,
    /// `depth_scales`: the fixed correlation by bisection on the
    /// correlation map, the run's most expensive frame (in the chaotic
    /// phase some fifty maps, a few tens of milliseconds natively; in the
    /// ordered phase almost nothing).
    Scales,
    Done,
}

struct OrderToChaos {
    map: SignalMap,
    c1: f64,
    depth: usize,
    /// `q_l` and `c_l` for the layers traced so far, from `l = 1`.
    q: Vec<f64>,
    c: Vec<f64>,
    q_star: f64,
    chi1: f64,
    /// NaN until computed.
    c_star: f64,
    xi_c: f64,
    critical: f64,
    stage: Stage,
}

impl Live for OrderToChaos {
    fn advance(&mut self) -> Result<View, String> {
        match self.stage {
            Stage::Trace => {
                // The first frame starts the trace at the first layer, as
                // the chapter's simulation does; later frames continue from
                // the last layer traced, which the trace returns first.
                let (start, skip) = match (self.q.last(), self.c.last()) {
                    (Some(&q), Some(&c)) => ((q, c), 1),
                    _ => ((SIMULATION_START.0, self.c1), 0),
                };
                let layers = LAYERS_PER_FRAME.min(self.depth - self.c.len());
                let (q, c) = mean_field_trace(&self.map, layers + skip, start);
                self.q.extend_from_slice(&q[skip..]);
                self.c.extend_from_slice(&c[skip..]);
                if self.c.len() >= self.depth {
                    self.stage = Stage::Critical;
                }
            }
            Stage::Critical => {
                self.critical = critical_weight_variance(
                    Activation::Tanh,
                    self.map.sigma_b2(),
                    CRITICAL_BRACKET,
                )
                .map_err(text)?;
                self.stage = Stage::Scales;
            }
            Stage::Scales => {
                // The same calls as the doctests: `depth_scales(1.0)` takes
                // q* = fixed_length(1.0) and c* = fixed_correlation(q*).
                let s = self.map.depth_scales(1.0).map_err(text)?;
                self.c_star = s.c_star;
                self.xi_c = s.xi_c;
                self.stage = Stage::Done;
            }
            Stage::Done => return Err("this run has finished".to_string()),
        }
        Ok(self.view())
    }
}

impl OrderToChaos {
    fn view(&self) -> View {
        let layers: Vec<[f64; 2]> =
            self.c.iter().enumerate().map(|(l, &c)| [(l + 1) as f64, c]).collect();
        let mut series = vec![Series::new("c_l, mean field", Style::Line, layers)];
        if self.c_star.is_finite() {
            series.push(Series::new(
                "fixed point c*",
                Style::Dashed,
                vec![[1.0, self.c_star], [self.depth as f64, self.c_star]],
            ));
        }
        let phase = if self.chi1 < 1.0 {
            "ordered"
        } else if self.chi1 > 1.0 {
            "chaotic"
        } else {
            "critical"
        };
        let note = match self.stage {
            Stage::Trace => {
                format!("{phase}, χ₁ = {:.4}: layer {} of {}", self.chi1, self.c.len(), self.depth)
            }
            Stage::Critical => format!("{phase}, χ₁ = {:.4}: next, the critical σ_w²", self.chi1),
            Stage::Scales => format!("{phase}, χ₁ = {:.4}: next, c* and ξ_c", self.chi1),
            Stage::Done => format!(
                "{phase}, χ₁ = {:.4}; the critical line is at σ_w² = {:.4} for σ_b² = {}",
                self.chi1,
                self.critical,
                self.map.sigma_b2()
            ),
        };
        View {
            series,
            values: vec![self.q_star, self.chi1, self.c_star, self.xi_c, self.critical],
            note,
            done: self.stage == Stage::Done,
        }
    }
}
