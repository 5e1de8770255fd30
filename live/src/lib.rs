//! The book's live experiments: small figures in the pages that the reader
//! drives, computed by the chapters' own code compiled to
//! `wasm32-unknown-unknown`.
//!
//! A [`Widget`] is a description (its controls, its chart's axes, its
//! readouts and which claims they show at the book's settings) and a
//! function that starts a [`Live`] run from the controls' values. A run
//! advances in frames, so that a long one (a training run) is drawn as it
//! goes and the page stays responsive; most finish in their first frame.
//!
//! The book tool renders each widget's controls from [`WIDGETS`] (the
//! `{{#live id}}` directive), `theme/live.js` loads the WebAssembly and
//! calls the three exports at the bottom of this file, and `cargo test`
//! checks every widget at the book's settings against the claims ledger.

use std::cell::RefCell;

pub mod ch01;
pub mod ch02;
pub mod ch03;
pub mod ch04;
pub mod ch05;
pub mod ch06;
pub mod ch07;
pub mod ch08;
pub mod ch09;
pub mod ch10;
mod json;

/// One control of a widget. Its value reaches the widget as an `f64`: the
/// number itself for a range, the index of the option for a choice.
pub struct Control {
    /// The name the page gives the control (unique within the widget).
    pub name: &'static str,
    /// The label the reader sees.
    pub label: &'static str,
    pub input: Input,
    /// The book's setting: the value the chapter's claims are made at.
    pub book: f64,
}

/// What kind of control.
pub enum Input {
    /// A slider over `min..=max` in steps of `step`.
    Range { min: f64, max: f64, step: f64 },
    /// A choice among named options.
    Choice(&'static [&'static str]),
}

/// A number the widget shows beside its chart.
pub struct Readout {
    pub label: &'static str,
    /// The claim this readout states at the book's settings, if any. The
    /// browser suite and `cargo test` compare the two.
    pub claim: Option<&'static str>,
}

/// A live experiment.
pub struct Widget {
    /// `chNN-name`: unique in the book, and names the chapter.
    pub id: &'static str,
    /// One sentence: what the reader can do and see.
    pub caption: &'static str,
    /// The static figure (relative to `src/`) shown if the WebAssembly
    /// cannot load.
    pub figure: &'static str,
    pub controls: &'static [Control],
    pub x_label: &'static str,
    pub y_label: &'static str,
    /// Logarithmic axes (every plotted value must then be positive).
    pub log_x: bool,
    pub log_y: bool,
    pub readouts: &'static [Readout],
    /// Starts a run from the controls' values (already checked against
    /// `controls`: finite, in range, a valid option).
    pub start: fn(&[f64]) -> Result<Box<dyn Live>, String>,
}

/// A run of a widget.
pub trait Live {
    /// Computes the next frame (a few tens of milliseconds of work at
    /// most) and returns what to draw.
    fn advance(&mut self) -> Result<View, String>;
}

/// What a frame shows.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub series: Vec<Series>,
    /// One value per readout, in order.
    pub values: Vec<f64>,
    /// A short line under the chart ("step 300 of 2000").
    pub note: String,
    /// False while the run has frames to come.
    pub done: bool,
}

/// One curve or set of points on the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub style: Style,
    pub points: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Line,
    Dashed,
    Dots,
}

impl Series {
    pub fn new(label: impl Into<String>, style: Style, points: Vec<[f64; 2]>) -> Series {
        Series { label: label.into(), style, points }
    }
}

/// Every live experiment of the book, in book order.
pub const WIDGETS: &[Widget] = &[
    ch01::HAT_UNITS,
    ch02::TEMPERATURE,
    ch03::BACKWARD_SIGNAL,
    ch04::ACTIVATION_SCALE,
    ch05::PLAIN_VS_RESIDUAL,
    ch06::RIDGE_LAMBDA,
    ch07::MARGIN_DIRECTION,
    ch08::ORDER_TO_CHAOS,
    ch09::RETRIEVAL,
    ch10::CERTIFIED_RADIUS,
];

/// At most this many controls per widget (the arity of [`live_start`]).
pub const MAX_CONTROLS: usize = 4;

/// A run that is complete after its first frame.
struct Once(Option<View>);

impl Live for Once {
    fn advance(&mut self) -> Result<View, String> {
        self.0.take().ok_or_else(|| "this run has finished".to_string())
    }
}

/// Starts a run that computes `view` at once (most widgets).
pub fn once(view: Result<View, String>) -> Result<Box<dyn Live>, String> {
    Ok(Box::new(Once(Some(view?))))
}

impl Widget {
    /// The widget called `id`, with its index in [`WIDGETS`].
    pub fn find(id: &str) -> Option<(usize, &'static Widget)> {
        WIDGETS.iter().enumerate().find(|(_, w)| w.id == id)
    }

    /// The controls' values that reproduce the book.
    pub fn book_settings(&self) -> Vec<f64> {
        self.controls.iter().map(|c| c.book).collect()
    }

    /// Checks values for the controls: as many, finite, inside a range and
    /// on its steps, a valid option's index.
    pub fn check(&self, values: &[f64]) -> Result<(), String> {
        if values.len() != self.controls.len() {
            return Err(format!(
                "{} takes {} settings, got {}",
                self.id,
                self.controls.len(),
                values.len()
            ));
        }
        for (control, &v) in self.controls.iter().zip(values) {
            let ok = v.is_finite()
                && match control.input {
                    Input::Range { min, max, step } => {
                        let k = (v - min) / step;
                        v >= min && v <= max && (k - k.round()).abs() < 1e-9
                    }
                    Input::Choice(options) => v >= 0.0 && v.fract() == 0.0 && v < options.len() as f64,
                };
            if !ok {
                return Err(format!("{}: `{}` cannot be {v}", self.id, control.label));
            }
        }
        Ok(())
    }

    /// Checks that the page can draw `view`: one value per readout, every
    /// point finite, and positive on a logarithmic axis.
    pub fn check_frame(&self, view: &View) -> Result<(), String> {
        if view.values.len() != self.readouts.len() {
            return Err(format!("{}: {} values for {} readouts", self.id, view.values.len(), self.readouts.len()));
        }
        for s in &view.series {
            for &[x, y] in &s.points {
                let on_axis = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
                if !(on_axis(x, self.log_x) && on_axis(y, self.log_y)) {
                    return Err(format!("{}: `{}` has the point ({x}, {y})", self.id, s.label));
                }
            }
        }
        Ok(())
    }

    /// Checks the values and starts a run.
    pub fn begin(&self, values: &[f64]) -> Result<Box<dyn Live>, String> {
        self.check(values)?;
        (self.start)(values)
    }

    /// Runs to the end (at most `max_frames` frames) and returns the last
    /// frame: what the page shows once the run is over.
    pub fn run_to_end(&self, values: &[f64], max_frames: usize) -> Result<View, String> {
        let mut run = self.begin(values)?;
        for _ in 0..max_frames {
            let view = run.advance()?;
            if view.done {
                return Ok(view);
            }
        }
        Err(format!("{} did not finish in {max_frames} frames", self.id))
    }
}

// The WebAssembly interface. The page calls `live_start` with a widget's
// index and its controls' values (unused ones zero), then `live_advance`
// for each frame; both return the length of a JSON text (a frame or
// `{"error": ...}`) that `live_output` points to.
thread_local! {
    static RUNS: RefCell<Vec<Option<Box<dyn Live>>>> = RefCell::new(WIDGETS.iter().map(|_| None).collect());
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
}

fn answer(result: Result<View, String>) -> u32 {
    let text = match result {
        Ok(view) => json::view(&view),
        Err(message) => json::error(&message),
    };
    OUTPUT.with(|out| {
        *out.borrow_mut() = text;
        out.borrow().len() as u32
    })
}

/// Starts widget `widget` with up to four settings and computes its first
/// frame.
// `no_mangle` is an unsafe attribute (two exported symbols could clash);
// these three names are the book's only exports.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn live_start(widget: u32, a: f64, b: f64, c: f64, d: f64) -> u32 {
    let Some(w) = WIDGETS.get(widget as usize) else {
        return answer(Err(format!("no widget number {widget}")));
    };
    let values = &[a, b, c, d][..w.controls.len().min(MAX_CONTROLS)];
    match w.begin(values) {
        Ok(run) => {
            RUNS.with(|runs| runs.borrow_mut()[widget as usize] = Some(run));
            live_advance(widget)
        }
        Err(message) => answer(Err(message)),
    }
}

/// The next frame of widget `widget`'s run.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn live_advance(widget: u32) -> u32 {
    let result = RUNS.with(|runs| match runs.borrow_mut().get_mut(widget as usize) {
        Some(Some(run)) => run.advance(),
        _ => Err(format!("widget number {widget} has no run")),
    });
    answer(result)
}

/// Where the last answer's JSON text starts in memory.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn live_output() -> *const u8 {
    OUTPUT.with(|out| out.borrow().as_ptr())
}

/// The last answer, for native tests of the interface.
pub fn last_output() -> String {
    OUTPUT.with(|out| out.borrow().clone())
}

#[cfg(test)]
mod tests;
