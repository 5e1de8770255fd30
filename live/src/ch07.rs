//! Chapter 7: gradient descent on the logistic loss of the chapter's
//! separable points, its direction turning towards the certified
//! max-margin direction, drawn as it runs beside the prediction from the
//! max-margin solution and beside normalized steps.

use crate::{Control, Input, Live, Readout, Series, Style, View, Widget};
use ch07_implicit_bias::experiments::convergence_data;
use ch07_implicit_bias::fast::{self, Margins};
use ch07_implicit_bias::{
    Asymptote, DVector, Error, MaxMargin, Rule, Signed, angle, descend, log_checkpoints,
    max_margin, smoothness,
};

pub const MARGIN_DIRECTION: Widget = Widget {
    id: "ch07-margin-direction",
    caption: "Choose how long to run, gradient descent's step and the length of the normalized steps: the angle between w(t) and the max-margin direction falls as the run goes, slowly like the prediction ŵ ln t + ρ for plain steps, fast for normalized ones.",
    figure: "figures/ch07/angle.svg",
    controls: &[
        Control {
            name: "steps",
            label: "steps",
            input: Input::Choice(&["10⁴", "10⁵", "10⁶"]),
            book: 2.0,
        },
        Control {
            name: "eta",
            label: "step η, in units of 1/β",
            input: Input::Range { min: 0.1, max: 1.9, step: 0.1 },
            book: 1.0,
        },
        Control {
            name: "normalized",
            label: "normalized step length",
            input: Input::Range { min: 0.02, max: 0.5, step: 0.02 },
            book: 0.1,
        },
    ],
    x_label: "step t",
    y_label: "angle (radians)",
    log_x: true,
    log_y: true,
    readouts: &[
        Readout { label: "gradient descent: angle", claim: Some("gd-angle-1e6") },
        Readout { label: "predicted angle", claim: Some("gd-angle-predicted") },
        Readout { label: "normalized steps: angle", claim: Some("ngd-angle-1e6") },
        Readout { label: "margin below the maximum", claim: Some("gd-margin-gap") },
    ],
    start: |v| descents(4 + v[0] as u32, v[1], v[2]),
};

/// Steps of each rule per frame. The normalized rule runs the lesson's loop
/// (two passes over the twenty points and a few small vectors a step, about
/// a microsecond natively), gradient descent the chapter's fast kernel
/// (tens of nanoseconds a step): about ten milliseconds a frame, a hundred
/// frames for a million steps.
const STEPS_PER_FRAME: usize = 10_000;

/// Points drawn per decade of steps.
const PER_DECADE: u32 = 20;

/// The two descents from zero, advanced together.
struct Descents {
    points: Signed,
    svm: MaxMargin,
    asymptote: Asymptote,
    margins: Margins,
    eta: f64,
    normalized_eta: f64,
    /// The step counts at which the angles are recorded.
    checkpoints: Vec<usize>,
    next: usize,
    t: usize,
    gradient: [f64; 2],
    normalized: DVector<f64>,
    /// At each checkpoint passed: `t`, gradient descent's angle, the
    /// predicted angle, normalized descent's angle, and gradient descent's
    /// margin below the maximum.
    record: Vec<[f64; 5]>,
}

fn descents(exponent: u32, step: f64, normalized_eta: f64) -> Result<Box<dyn Live>, String> {
    let text = |e: Error| e.to_string();
    // As `experiments::convergence`: the chapter's twenty points, the
    // certified solution, η = step/β and the prediction for that η.
    let (x, labels) = convergence_data();
    let points = Signed::new(&x, &labels).map_err(text)?;
    let svm = max_margin(&points, 1e-12, 100_000).map_err(text)?;
    let eta = step / smoothness(&points);
    let asymptote = Asymptote::new(&points, &svm, 1e-6, eta).map_err(text)?;
    let zero = DVector::zeros(points.z().nrows());
    // The lesson's `descend` checks each rule's arguments (for gradient
    // descent, the step bound 2/β) once.
    descend(&points, Rule::Gradient, &zero, eta, &[]).map_err(text)?;
    descend(&points, Rule::Normalized, &zero, normalized_eta, &[]).map_err(text)?;
    // Gradient steps in the plane take the fast kernel, as the chapter's runs do.
    let z: Vec<[f64; 2]> = points.z().column_iter().map(|c| [c[0], c[1]]).collect();
    let margins = Margins::new(&z);
    Ok(Box::new(Descents {
        points,
        svm,
        asymptote,
        margins,
        eta,
        normalized_eta,
        checkpoints: log_checkpoints(exponent, PER_DECADE),
        next: 0,
        t: 0,
        gradient: [0.0, 0.0],
        normalized: zero,
        record: Vec::new(),
    }))
}

impl Live for Descents {
    fn advance(&mut self) -> Result<View, String> {
        let mut budget = STEPS_PER_FRAME;
        while budget > 0 && self.next < self.checkpoints.len() {
            let stop = self.checkpoints[self.next];
            let n = (stop - self.t).min(budget);
            // Running to t₁ and then on to t₂ gives the bits of running to
            // t₂ at once, for both rules.
            self.gradient = fast::descend(&self.margins, self.gradient, self.eta, n);
            self.normalized = descend(
                &self.points,
                Rule::Normalized,
                &self.normalized,
                self.normalized_eta,
                &[n],
            )
            .map_err(|e| e.to_string())?
            .pop()
            .ok_or("no weights after the normalized steps")?;
            self.t += n;
            budget -= n;
            if self.t == stop {
                let w = DVector::from_column_slice(&self.gradient);
                self.record.push([
                    stop as f64,
                    angle(&w, &self.svm.w),
                    self.asymptote.angle(stop as f64),
                    angle(&self.normalized, &self.svm.w),
                    self.svm.margin() - self.points.normalized_margin(&w),
                ]);
                self.next += 1;
            }
        }
        Ok(self.view())
    }
}

impl Descents {
    fn view(&self) -> View {
        // Logarithmic axes: only positive, finite angles are drawn.
        let curve = |k: usize, from: f64| -> Vec<[f64; 2]> {
            self.record
                .iter()
                .filter(|r| r[0] >= from && r[k].is_finite() && r[k] > 0.0)
                .map(|r| [r[0], r[k]])
                .collect()
        };
        let total = self.checkpoints.last().copied().unwrap_or(0);
        View {
            series: vec![
                Series::new(
                    format!("gradient descent, η = {:.2}", self.eta),
                    Style::Line,
                    curve(1, 1.0),
                ),
                // As the static figure: the prediction from t = 100 on.
                Series::new("predicted: angle(ŵ ln t + ρ, ŵ)", Style::Dashed, curve(2, 100.0)),
                Series::new(
                    format!("normalized steps of length {:.2}", self.normalized_eta),
                    Style::Line,
                    curve(3, 1.0),
                ),
            ],
            values: match self.record.last() {
                Some(r) => r[1..].to_vec(),
                None => vec![f64::NAN; 4],
            },
            note: format!("step {} of {total}", self.t),
            done: self.next == self.checkpoints.len(),
        }
    }
}
