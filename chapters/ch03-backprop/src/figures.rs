//! The chapter's figures and the experiments behind them, each run once and
//! shared between the report and the figures.

use crate::clipping::{ClipSetup, Run, train};
use crate::engine::Activation;
use crate::products::{relu_log_gradient_ratios, relu_log_ratio_moments};
use crate::signal::{MeanField, Profile};
use book_support::Figure;
use book_support::figure::{FONT, PALETTE, SIZE, draw};
use book_support::plotters::prelude::*;
use std::error::Error;
use std::sync::OnceLock;

/// Width, depth, number of networks and seed of the deep-signal experiment.
pub const SIGNAL_WIDTH: usize = 64;
pub const SIGNAL_DEPTH: usize = 100;
pub const SIGNAL_NETS: usize = 32;
pub const SIGNAL_SEED: u64 = 7;

/// The four kinds of deep network the chapter compares: activation, `σ_w²`
/// and a label.
pub const KINDS: [(Activation, f64, &str); 4] = [
    (Activation::Sigmoid, 1.0, "sigmoid, σw² = 1"),
    (Activation::Tanh, 1.0, "tanh, σw² = 1"),
    (Activation::Relu, 2.0, "ReLU, σw² = 2"),
    (Activation::Tanh, 4.0, "tanh, σw² = 4"),
];

type Shared<T> = OnceLock<Result<T, String>>;

fn shared<T: Clone>(
    cell: &Shared<T>,
    make: impl FnOnce() -> Result<T, Box<dyn Error>>,
) -> Result<T, Box<dyn Error>> {
    cell.get_or_init(|| make().map_err(|e| e.to_string()))
        .clone()
        .map_err(Into::into)
}

/// The depth-100 profiles of the four kinds, measured once.
pub fn signal_profiles() -> Result<Vec<Profile>, Box<dyn Error>> {
    static CELL: Shared<Vec<Profile>> = OnceLock::new();
    shared(&CELL, || {
        KINDS
            .iter()
            .map(|&(a, s2, _)| {
                Profile::measure(a, s2, SIGNAL_WIDTH, SIGNAL_DEPTH, SIGNAL_NETS, SIGNAL_SEED)
                    .map_err(Into::into)
            })
            .collect()
    })
}

/// Depths of the depth sweep.
pub const SWEEP_DEPTHS: [usize; 6] = [5, 10, 20, 35, 50, 100];

/// `log10(‖δ_1‖/‖δ_L‖)` (geometric mean over networks) for each kind and
/// each depth of [`SWEEP_DEPTHS`].
pub fn depth_sweep() -> Result<Vec<Vec<f64>>, Box<dyn Error>> {
    static CELL: Shared<Vec<Vec<f64>>> = OnceLock::new();
    shared(&CELL, || {
        let deep = signal_profiles()?;
        KINDS
            .iter()
            .zip(&deep)
            .map(|(&(a, s2, _), deep)| {
                SWEEP_DEPTHS
                    .iter()
                    .map(|&depth| {
                        let p = if depth == SIGNAL_DEPTH {
                            deep.clone()
                        } else {
                            Profile::measure(
                                a,
                                s2,
                                SIGNAL_WIDTH,
                                depth,
                                SIGNAL_NETS,
                                SIGNAL_SEED + depth as u64,
                            )?
                        };
                        Ok(p.log_ratio(1).0 / std::f64::consts::LN_10)
                    })
                    .collect()
            })
            .collect()
    })
}

/// The three training runs of the clipping figure: unclipped at η = 0.2,
/// clipped to norm 1 at η = 0.2, and unclipped at η = 0.1, 300 steps each.
pub fn clipping_runs() -> Result<Vec<Run>, Box<dyn Error>> {
    static CELL: Shared<Vec<Run>> = OnceLock::new();
    shared(&CELL, || {
        let s = ClipSetup::default();
        Ok(vec![
            train(&s, 0.2, None, 300)?,
            train(&s, 0.2, Some(1.0), 300)?,
            train(&s, 0.1, None, 300)?,
        ])
    })
}

/// Widths, depth, network counts and seed of the ReLU spread experiment.
pub const SPREAD: [(usize, usize); 2] = [(16, 2000), (64, 500)];
pub const SPREAD_DEPTH: usize = 20;
pub const SPREAD_SEED: u64 = 9;

/// `ln(‖∂ℓ/∂x_0‖²/‖u‖²)` for ReLU networks of each width in [`SPREAD`].
pub fn spread_samples() -> Result<Vec<Vec<f64>>, Box<dyn Error>> {
    static CELL: Shared<Vec<Vec<f64>>> = OnceLock::new();
    shared(&CELL, || {
        SPREAD
            .iter()
            .map(|&(n, nets)| {
                relu_log_gradient_ratios(n, SPREAD_DEPTH, nets, SPREAD_SEED).map_err(Into::into)
            })
            .collect()
    })
}

fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
}

fn integer(x: &f64) -> String {
    format!("{x:.0}")
}

/// The fixed texts and ranges of one panel of the deep-signal figures.
struct Panel<'a> {
    title: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
    x_range: std::ops::Range<f64>,
    y_range: std::ops::Range<f64>,
    /// Indices into [`KINDS`] of the series to draw.
    kinds: &'a [usize],
    legend_at: SeriesLabelPosition,
}

/// The measured series of one kind and, when known, its mean-field
/// prediction, as `(x, log10 value)` points.
type Series = (Vec<(f64, f64)>, Option<Vec<(f64, f64)>>);

/// Draws one panel: for each kind, a solid measured series and a dashed
/// mean-field series when there is one.
fn signal_panel(
    area: &DrawingArea<SVGBackend<'_>, book_support::plotters::coord::Shift>,
    panel: Panel<'_>,
    series: &dyn Fn(usize) -> Series,
) -> Result<(), Box<dyn Error>> {
    let Panel {
        title,
        x_desc,
        y_desc,
        x_range,
        y_range,
        kinds,
        legend_at,
    } = panel;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 16))
        .margin(10)
        .x_label_area_size(42)
        .y_label_area_size(52)
        .build_cartesian_2d(x_range, y_range)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&integer)
        .y_label_formatter(&integer)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 13))
        .draw()?;
    for &k in kinds {
        let color = PALETTE[k];
        let (measured, predicted) = series(k);
        chart
            .draw_series(LineSeries::new(measured.clone(), color.stroke_width(2)))?
            .label(KINDS[k].2)
            .legend(legend_line(color));
        if measured.len() < 20 {
            chart.draw_series(measured.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        if let Some(predicted) = predicted {
            chart.draw_series(DashedLineSeries::new(
                predicted,
                6,
                5,
                color.stroke_width(1),
            ))?;
        }
    }
    chart
        .configure_series_labels()
        .position(legend_at)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn backward_by_layer() -> Result<Figure, Box<dyn Error>> {
    let profiles = signal_profiles()?;
    let series = |k: usize| {
        let measured = (1..=SIGNAL_DEPTH)
            .map(|l| {
                (
                    l as f64,
                    profiles[k].log_ratio(l).0 / std::f64::consts::LN_10,
                )
            })
            .collect();
        let (a, s2, _) = KINDS[k];
        let mf = MeanField {
            activation: a,
            sigma_w2: s2,
        }
        .backward_profile(1.0, SIGNAL_DEPTH);
        (
            measured,
            Some(
                mf.iter()
                    .enumerate()
                    .map(|(l, r)| ((l + 1) as f64, r.log10()))
                    .collect(),
            ),
        )
    };
    draw("backward-signal-by-layer", SIZE, |root| {
        let root = root.titled(
            &format!("Backward signal by layer, depth {SIGNAL_DEPTH}, width {SIGNAL_WIDTH} (solid: measured, dashed: mean field)"),
            (FONT, 16),
        )?;
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        let x_desc = "layer l (the loss sits above layer 100)";
        let y_desc = "log10 of ‖δ_l‖ / ‖δ_L‖";
        signal_panel(
            &left,
            Panel {
                title: "sigmoid",
                x_desc,
                y_desc,
                x_range: 1.0..100.0,
                y_range: -70.0..5.0,
                kinds: &[0],
                legend_at: SeriesLabelPosition::LowerRight,
            },
            &series,
        )?;
        signal_panel(
            &right,
            Panel {
                title: "tanh and ReLU",
                x_desc,
                y_desc,
                x_range: 1.0..100.0,
                y_range: -2.0..7.0,
                kinds: &[1, 2, 3],
                legend_at: SeriesLabelPosition::UpperRight,
            },
            &series,
        )?;
        Ok(())
    })
}

fn ratio_vs_depth() -> Result<Figure, Box<dyn Error>> {
    let sweep = depth_sweep()?;
    let series = |k: usize| {
        let measured = SWEEP_DEPTHS
            .iter()
            .map(|&d| d as f64)
            .zip(sweep[k].iter().copied())
            .collect();
        (measured, None)
    };
    draw("gradient-ratio-vs-depth", SIZE, |root| {
        let root = root.titled(
            "First-layer over last-layer backward signal, by depth",
            (FONT, 16),
        )?;
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        let x_desc = "depth L (number of layers)";
        let y_desc = "log10 of ‖δ_1‖ / ‖δ_L‖";
        signal_panel(
            &left,
            Panel {
                title: "sigmoid",
                x_desc,
                y_desc,
                x_range: 0.0..105.0,
                y_range: -70.0..5.0,
                kinds: &[0],
                legend_at: SeriesLabelPosition::LowerLeft,
            },
            &series,
        )?;
        signal_panel(
            &right,
            Panel {
                title: "tanh and ReLU",
                x_desc,
                y_desc,
                x_range: 0.0..105.0,
                y_range: -2.0..7.0,
                kinds: &[1, 2, 3],
                legend_at: SeriesLabelPosition::UpperLeft,
            },
            &series,
        )?;
        Ok(())
    })
}

fn spread_histogram() -> Result<Figure, Box<dyn Error>> {
    let samples = spread_samples()?;
    draw("relu-gradient-spread", SIZE, |root| {
        let (lo, hi, bins) = (-14.0, 6.0, 40);
        let width = (hi - lo) / bins as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("ReLU networks of depth {SPREAD_DEPTH}: spread of the input gradient"),
                (FONT, 20),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, 0.0..0.55)?;
        chart
            .configure_mesh()
            .x_desc("ln of ‖∂ℓ/∂x_0‖² / ‖∂ℓ/∂x_L‖²")
            .y_desc("density")
            .x_label_formatter(&integer)
            .label_style((FONT, 14))
            .draw()?;
        for (i, (&(n, _), values)) in SPREAD.iter().zip(&samples).enumerate() {
            let color = PALETTE[i];
            let mut counts = vec![0usize; bins];
            for &v in values {
                let b = ((v - lo) / width).floor();
                if b >= 0.0 && (b as usize) < bins {
                    counts[b as usize] += 1;
                }
            }
            let scale = 1.0 / (values.len() as f64 * width);
            chart
                .draw_series(counts.iter().enumerate().map(|(b, &c)| {
                    let x0 = lo + b as f64 * width;
                    Rectangle::new(
                        [(x0, 0.0), (x0 + width, c as f64 * scale)],
                        color.mix(0.35).filled(),
                    )
                }))?
                .label(format!("width {n}: histogram of {} networks", values.len()))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], color.mix(0.35).filled())
                });
            // The normal density with the exact per-layer law's mean and variance.
            let (m, v) = relu_log_ratio_moments(n);
            let (mean, var) = (m * SPREAD_DEPTH as f64, v * SPREAD_DEPTH as f64);
            let density = (0..=400).map(|k| {
                let x = lo + (hi - lo) * k as f64 / 400.0;
                (
                    x,
                    (-(x - mean).powi(2) / (2.0 * var)).exp()
                        / (2.0 * std::f64::consts::PI * var).sqrt(),
                )
            });
            chart
                .draw_series(LineSeries::new(density, color.stroke_width(2)))?
                .label(format!("width {n}: normal, exact layer law"))
                .legend(legend_line(color));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

fn clipping_figure() -> Result<Figure, Box<dyn Error>> {
    const TOP: f64 = 12.0;
    let runs = clipping_runs()?;
    let labels = [
        "η = 0.2, no clipping",
        "η = 0.2, clipped to norm 1",
        "η = 0.1, no clipping",
    ];
    draw("clipping", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Gradient descent on a 20-layer tanh network (σw² = 4)",
                (FONT, 20),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..300.0, -8.0..TOP)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("log10 of the training loss")
            .x_label_formatter(&integer)
            .y_label_formatter(&integer)
            .label_style((FONT, 14))
            .draw()?;
        for (i, (run, label)) in runs.iter().zip(labels).enumerate() {
            let color = PALETTE[i];
            // A diverging run is drawn until it leaves the chart (the next
            // point is still drawn so the line reaches the top edge).
            let mut points = Vec::new();
            for (t, l) in run.losses.iter().enumerate() {
                points.push((
                    t as f64,
                    if l.is_finite() && *l > 0.0 {
                        l.log10().min(TOP)
                    } else {
                        TOP
                    },
                ));
                if points.last().is_some_and(|p| p.1 >= TOP) {
                    break;
                }
            }
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label)
                .legend(legend_line(color));
            if let Some(t) = run.failed_at {
                chart.draw_series(std::iter::once(Cross::new(
                    (t as f64, TOP - 0.4),
                    6,
                    color.stroke_width(2),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("step {t}: the update overflows"),
                    (t as f64 - 105.0, TOP - 0.6),
                    (FONT, 13),
                )))?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

/// Every figure of the chapter, in the order the prose shows them.
pub fn all() -> Result<Vec<Figure>, Box<dyn Error>> {
    Ok(vec![
        backward_by_layer()?,
        ratio_vs_depth()?,
        clipping_figure()?,
        spread_histogram()?,
    ])
}
