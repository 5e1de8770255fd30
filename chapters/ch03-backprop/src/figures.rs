//! The chapter's figures, drawn from the experiments of
//! [`crate::experiments`] for the given [`Settings`].

use crate::experiments::*;
use crate::products::{dead_network_probability, relu_log_ratio_moments};
use crate::signal::MeanField;
use crate::stall::constant_predictor_loss;
use book_support::Figure;
use book_support::figure::{
    FONT, PALETTE, SIZE, axes, chart_on, density_histogram, draw, integer, legend, legend_line,
    panel_on, two_panels,
};
use book_support::plotters::prelude::*;
use std::error::Error;

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

/// The measured series of one kind and, when known, its theoretical
/// prediction, as `(x, log10 value)` points.
type Series = (Vec<(f64, f64)>, Option<Vec<(f64, f64)>>);

/// Draws one panel: for each kind, a solid measured series and a dashed
/// predicted series when there is one.
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
    let mut chart = panel_on(area, title, 16).build_cartesian_2d(x_range, y_range)?;
    axes(&mut chart, x_desc, y_desc, 13)
        .x_label_formatter(&integer)
        .y_label_formatter(&integer)
        .draw()?;
    for &k in kinds {
        let color = PALETTE[k];
        let (measured, predicted) = series(k);
        chart
            .draw_series(LineSeries::new(measured.clone(), color.stroke_width(2)))?
            .label(KINDS[k].2)
            .legend(legend_line(color.stroke_width(2)));
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
    legend(&mut chart, legend_at, 13)
}

/// The y ranges of the two panels of a deep-signal figure: the sigmoid
/// panel from a multiple of ten below its data to 5, the other panel
/// around its data, at least −2 to 7.
fn signal_ranges(series: &dyn Fn(usize) -> Series) -> [std::ops::Range<f64>; 2] {
    let extremes = |kinds: &[usize]| {
        kinds
            .iter()
            .flat_map(|&k| {
                let (measured, predicted) = series(k);
                measured.into_iter().chain(predicted.unwrap_or_default())
            })
            .map(|(_, y)| y)
            .filter(|y| y.is_finite())
            .fold((0.0f64, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)))
    };
    let (sigmoid_lo, _) = extremes(&[0]);
    let (lo, hi) = extremes(&[1, 2, 3]);
    [
        (10.0 * ((sigmoid_lo - 2.0) / 10.0).floor()).min(-10.0)..5.0,
        (lo - 0.3).floor().min(-2.0)..(hi + 0.3).ceil().max(7.0),
    ]
}

/// Draws a deep-signal figure: the sigmoid networks in the left panel,
/// tanh and ReLU in the right, each with its y range from
/// [`signal_ranges`] and its legend where `legends` says.
fn signal_figure(
    name: &'static str,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    x_range: std::ops::Range<f64>,
    legends: [SeriesLabelPosition; 2],
    series: &dyn Fn(usize) -> Series,
) -> Result<Figure, Box<dyn Error>> {
    let ranges = signal_ranges(series);
    draw(name, SIZE, |root| {
        let (left, right) = two_panels(root, title, 16)?;
        let panels = [("sigmoid", &[0][..]), ("tanh and ReLU", &[1, 2, 3])];
        for (((area, (title, kinds)), y_range), legend_at) in
            [left, right].iter().zip(panels).zip(ranges).zip(legends)
        {
            let panel = Panel {
                title,
                x_desc,
                y_desc,
                x_range: x_range.clone(),
                y_range,
                kinds,
                legend_at,
            };
            signal_panel(area, panel, series)?;
        }
        Ok(())
    })
}

fn backward_by_layer(s: &Settings) -> Result<Figure, Box<dyn Error>> {
    let profiles = signal_profiles(s)?;
    let depth = s.depth;
    let series = |k: usize| {
        let measured = (1..=depth)
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
        .typical_backward_profile(1.0, depth, SIGNAL_WIDTH);
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
    signal_figure(
        "backward-signal-by-layer",
        &format!(
            "Backward signal by layer, depth {depth}, width {SIGNAL_WIDTH} (solid: measured, dashed: theory at this width)"
        ),
        (
            &format!("layer l (the loss sits above layer {depth})"),
            "log10 of ‖δ_l‖ / ‖δ_L‖",
        ),
        1.0..depth as f64,
        [
            SeriesLabelPosition::LowerRight,
            SeriesLabelPosition::UpperRight,
        ],
        &series,
    )
}

fn ratio_vs_depth(s: &Settings) -> Result<Figure, Box<dyn Error>> {
    let sweep = depth_sweep(s)?;
    let depths = sweep_depths(s);
    let series = |k: usize| {
        let measured = depths
            .iter()
            .map(|&d| d as f64)
            .zip(sweep[k].iter().copied())
            .collect();
        (measured, None)
    };
    signal_figure(
        "gradient-ratio-vs-depth",
        "First-layer over last-layer backward signal, by depth",
        ("depth L (number of layers)", "log10 of ‖δ_1‖ / ‖δ_L‖"),
        0.0..1.05 * s.depth as f64,
        [
            SeriesLabelPosition::LowerLeft,
            SeriesLabelPosition::UpperLeft,
        ],
        &series,
    )
}

fn spread_histogram(s: &Settings) -> Result<Figure, Box<dyn Error>> {
    let samples = spread_samples(s)?;
    draw("relu-gradient-spread", SIZE, |root| {
        let (lo, hi, bins) = (-14.0, 6.0, 40);
        let width = (hi - lo) / bins as f64;
        let mut chart = chart_on(
            root,
            format!("ReLU networks of depth {SPREAD_DEPTH}: spread of the input gradient"),
            20,
        )
        .build_cartesian_2d(lo..hi, 0.0..0.55)?;
        axes(&mut chart, "ln of ‖∂ℓ/∂x_0‖² / ‖∂ℓ/∂x_L‖²", "density", 14)
            .x_label_formatter(&integer)
            .draw()?;
        for (i, (&(n, _), values)) in SPREAD.iter().zip(&samples).enumerate() {
            let color = PALETTE[i];
            density_histogram(
                &mut chart,
                values,
                (lo, width, bins),
                color,
                format!("width {n}: histogram of {} networks", values.len()),
            )?;
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
                .legend(legend_line(color.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 14)?;
        Ok(())
    })
}

fn clipping_figure(s: &Settings) -> Result<Figure, Box<dyn Error>> {
    const TOP: f64 = 12.0;
    let runs = clipping_runs(s)?;
    let labels = [
        "η = 0.2, no clipping",
        "η = 0.2, clipped to norm 1",
        "η = 0.1, no clipping",
    ];
    draw("clipping", SIZE, |root| {
        let mut chart = chart_on(
            root,
            "Gradient descent on a 20-layer tanh network (σw² = 4)",
            20,
        )
        .build_cartesian_2d(0.0..300.0, -8.0..TOP)?;
        axes(&mut chart, "step", "log10 of the training loss", 14)
            .x_label_formatter(&integer)
            .y_label_formatter(&integer)
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
                .legend(legend_line(color.stroke_width(2)));
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
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 14)?;
        Ok(())
    })
}

/// `log10` of a positive finite loss, clamped to `[lo, hi]` (a loss that
/// is zero or not finite sits on the edge).
fn log10_clamped(loss: f64, lo: f64, hi: f64) -> f64 {
    if loss.is_finite() && loss > 0.0 {
        loss.log10().clamp(lo, hi)
    } else if loss == 0.0 {
        lo
    } else {
        hi
    }
}

fn stall_figure(s: &Settings) -> Result<Figure, Box<dyn Error>> {
    const LOW: f64 = -4.0;
    let curves = stall_curves(s)?;
    let setup = stall_setup(s);
    let (_, y) = setup.data();
    let constant = constant_predictor_loss(&y);
    let steps = setup.steps as f64;
    draw("sigmoid-stalls-relu-learns", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!(
                "{} hidden layers of width {}: same data, seed and step size η = {}",
                setup.depth, setup.width, setup.eta
            ),
            18,
        )
        .build_cartesian_2d(0.0..steps, LOW..1.0)?;
        axes(
            &mut chart,
            "step of full-batch gradient descent",
            "log10 of the training loss",
            14,
        )
        .y_labels(6)
        .x_label_formatter(&integer)
        .y_label_formatter(&integer)
        .draw()?;
        let labels = ["sigmoid, σw² = 1", "ReLU, σw² = 2"];
        for ((curve, label), color) in curves.iter().zip(labels).zip([PALETTE[0], PALETTE[2]]) {
            let points = curve
                .iter()
                .enumerate()
                .map(|(t, &l)| (t as f64, log10_clamped(l, LOW, 1.0)));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
        }
        let level = constant.log10();
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, level), (steps, level)],
                6,
                5,
                BLACK.stroke_width(1),
            ))?
            .label("best constant prediction, ½ Var(y)")
            .legend(legend_line(BLACK));
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 14)?;
        Ok(())
    })
}

/// The normal density with mean `mean` and variance `var` at `x`.
fn normal_density(x: f64, mean: f64, var: f64) -> f64 {
    (-(x - mean).powi(2) / (2.0 * var)).exp() / (2.0 * std::f64::consts::PI * var).sqrt()
}

fn log_product_figure(s: &Settings) -> Result<Figure, Box<dyn Error>> {
    let chains = gain_chains(s)?;
    let (lo, hi, width) = (-80.0, 20.0, 1.0);
    let bins = ((hi - lo) / width) as usize;
    draw("log-product-by-depth", SIZE, |root| {
        let (left, right) = two_panels(
            root,
            &format!(
                "ln of a product of L random gains: bars {CHAINS} simulated products, lines the normal law of the CLT"
            ),
            15,
        )?;
        for (panel, ((gain, label), chains)) in
            [left, right].iter().zip(gain_laws().iter().zip(&chains))
        {
            let mut chart = panel_on(panel, label, 15).build_cartesian_2d(lo..hi, 0.0..0.2)?;
            axes(&mut chart, "ln Π ξ_l", "density", 13)
                .x_label_formatter(&integer)
                .draw()?;
            for (i, &depth) in HISTOGRAM_DEPTHS.iter().enumerate() {
                let color = PALETTE[i];
                let values = chains.logs_at(depth).ok_or("histogram depth not watched")?;
                density_histogram(
                    &mut chart,
                    values,
                    (lo, width, bins),
                    color,
                    format!("L = {depth}"),
                )?;
                let (mean, var) = (
                    depth as f64 * gain.log_mean(),
                    depth as f64 * gain.log_var(),
                );
                let density = (0..=500).map(|k| {
                    let x = lo + (hi - lo) * k as f64 / 500.0;
                    (x, normal_density(x, mean, var))
                });
                chart.draw_series(LineSeries::new(density, color.stroke_width(2)))?;
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft, 13)?;
        }
        Ok(())
    })
}

fn catastrophic_figure(s: &Settings) -> Result<Figure, Box<dyn Error>> {
    let chains = gain_chains(s)?;
    let [(light, _), (heavy, _)] = gain_laws();
    let max_depth = CHAIN_DEPTHS[CHAIN_DEPTHS.len() - 1] as f64;
    // Exact curves at every integer depth, simulated points at the watched
    // depths (which law's chains, and the threshold).
    struct Catastrophe {
        label: &'static str,
        color: RGBColor,
        exact: Box<dyn Fn(usize) -> f64>,
        simulated: Option<(usize, f64)>,
    }
    let series = [
        Catastrophe {
            label: "heavy gain above 10",
            color: PALETTE[1],
            exact: Box::new(move |l| heavy.any_exceeds(10.0, l)),
            simulated: Some((1, 10.0)),
        },
        Catastrophe {
            label: "heavy gain above 100",
            color: PALETTE[3],
            exact: Box::new(move |l| heavy.any_exceeds(100.0, l)),
            simulated: Some((1, 100.0)),
        },
        Catastrophe {
            label: "light gain above 10",
            color: PALETTE[0],
            exact: Box::new(move |l| light.any_exceeds(10.0, l)),
            simulated: Some((0, 10.0)),
        },
        Catastrophe {
            label: "ReLU width 8: a dead layer",
            color: PALETTE[2],
            exact: Box::new(|l| dead_network_probability(8, l)),
            simulated: None,
        },
    ];
    draw("catastrophic-factor-by-depth", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!(
                "Chance of a catastrophic factor in L layers (lines exact, dots {CHAINS} chains)"
            ),
            16,
        )
        .build_cartesian_2d((1.0..max_depth).log_scale(), 0.0..1.0)?;
        axes(
            &mut chart,
            "depth L (number of layers, log scale)",
            "probability",
            14,
        )
        .x_label_formatter(&integer)
        .draw()?;
        for Catastrophe {
            label,
            color,
            exact,
            simulated,
        } in &series
        {
            let color = *color;
            let line = (1..=max_depth as usize).map(|l| (l as f64, exact(l)));
            if simulated.is_some() {
                chart
                    .draw_series(LineSeries::new(line, color.stroke_width(2)))?
                    .label(*label)
                    .legend(legend_line(color.stroke_width(2)));
            } else {
                chart
                    .draw_series(DashedLineSeries::new(line, 6, 5, color.stroke_width(2)))?
                    .label(*label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 8, y)], color.stroke_width(2))
                    });
            }
            if let Some((law, c)) = *simulated {
                chart.draw_series(CHAIN_DEPTHS.iter().map(|&d| {
                    let (p, _) = chains[law].catastrophic(d, c);
                    Circle::new((d as f64, p), 4, color.filled())
                }))?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 14)?;
        Ok(())
    })
}

/// Every figure of the chapter for the given settings, in the order the
/// prose shows them (drawn in parallel).
/// Figure 1: the computational graph of a two-layer network, the forward
/// pass along the top and the backward pass along the bottom. Drawn in
/// pixel coordinates; it depends on no experiment.
fn graph_figure(_: &Settings) -> Result<Figure, Box<dyn Error>> {
    use book_support::figure::DrawResult;
    use book_support::plotters::style::text_anchor::{HPos, Pos, VPos};
    draw("computational-graph", (860, 360), |root| {
        let (forward, backward, params) = (PALETTE[0], PALETTE[1], PALETTE[2]);
        let centred = Pos::new(HPos::Center, VPos::Center);
        let text = |s: &str, (x, y): (i32, i32), size: u32| {
            Text::new(
                s.to_string(),
                (x, y),
                (FONT, size).into_font().into_text_style(root).pos(centred),
            )
        };
        let node = |label: &str, (x, y): (i32, i32), color: RGBColor| -> DrawResult {
            let corners = [(x - 72, y - 20), (x + 72, y + 20)];
            root.draw(&Rectangle::new(corners, color.mix(0.12).filled()))?;
            root.draw(&Rectangle::new(corners, color.stroke_width(2)))?;
            root.draw(&text(label, (x, y), 15))?;
            Ok(())
        };
        // An arrow from a to b with a small head at b.
        let arrow = |(x0, y0): (i32, i32), (x1, y1): (i32, i32), color: RGBColor| -> DrawResult {
            root.draw(&PathElement::new(
                vec![(x0, y0), (x1, y1)],
                color.stroke_width(2),
            ))?;
            let (dx, dy) = ((x1 - x0) as f64, (y1 - y0) as f64);
            let len = (dx * dx + dy * dy).sqrt();
            let (ux, uy) = (dx / len, dy / len);
            let side = |s: f64| {
                (
                    (x1 as f64 - 9.0 * ux + s * uy) as i32,
                    (y1 as f64 - 9.0 * uy - s * ux) as i32,
                )
            };
            root.draw(&Polygon::new(
                vec![(x1, y1), side(5.0), side(-5.0)],
                color.filled(),
            ))?;
            Ok(())
        };
        root.draw(&text(
            "forward, a two-layer network with a linear readout: store every h_l and x_l",
            (430, 22),
            15,
        ))?;
        root.draw(&text(
            "backward: δ_l = φ'(h_l) ⊙ (W_(l+1))ᵀ δ_(l+1); the parameters' gradients are outer products",
            (430, 340),
            15,
        ))?;
        let xs = [85, 250, 415, 580, 745];
        let top = [
            "x₀",
            "h₁ = W₁x₀ + b₁",
            "x₁ = φ(h₁)",
            "x₂ = W₂x₁ + b₂",
            "ℓ(x₂, y)",
        ];
        for (k, (&x, label)) in xs.iter().zip(top).enumerate() {
            node(label, (x, 80), forward)?;
            if k > 0 {
                arrow((xs[k - 1] + 72, 80), (x - 74, 80), forward)?;
            }
        }
        let bottom = [
            "∂ℓ/∂x₀ = W₁ᵀδ₁",
            "δ₁ = φ'(h₁) ⊙ W₂ᵀδ₂",
            "∂ℓ/∂x₁ = W₂ᵀδ₂",
            "δ₂ = ∂ℓ/∂x₂",
            "∂ℓ/∂ℓ = 1",
        ];
        for (k, (&x, label)) in xs.iter().zip(bottom).enumerate() {
            node(label, (x, 200), backward)?;
            if k + 1 < xs.len() {
                arrow((xs[k + 1] - 72, 200), (x + 74, 200), backward)?;
            }
        }
        // The stored forward values the backward pass reads.
        for k in [1, 3] {
            root.draw(&PathElement::new(
                vec![(xs[k], 100), (xs[k], 180)],
                forward.mix(0.5).stroke_width(1),
            ))?;
        }
        // The parameters' gradients, read off the backward signals.
        for (k, label) in [
            (1usize, "∂ℓ/∂W₁ = δ₁x₀ᵀ, ∂ℓ/∂b₁ = δ₁"),
            (3, "∂ℓ/∂W₂ = δ₂x₁ᵀ, ∂ℓ/∂b₂ = δ₂"),
        ] {
            arrow((xs[k], 220), (xs[k], 268), params)?;
            root.draw(&text(label, (xs[k], 290), 14))?;
        }
        Ok(())
    })
}

pub fn all(s: &Settings) -> Result<Vec<Figure>, Box<dyn Error>> {
    type Draw<'a> = dyn Fn() -> Result<Figure, String> + Sync + 'a;
    fn job(
        f: fn(&Settings) -> Result<Figure, Box<dyn Error>>,
        s: &Settings,
    ) -> Result<Figure, String> {
        f(s).map_err(|e| e.to_string())
    }
    let jobs: [&Draw<'_>; 8] = [
        &|| job(graph_figure, s),
        &|| job(backward_by_layer, s),
        &|| job(ratio_vs_depth, s),
        &|| job(stall_figure, s),
        &|| job(clipping_figure, s),
        &|| job(log_product_figure, s),
        &|| job(catastrophic_figure, s),
        &|| job(spread_histogram, s),
    ];
    Ok(book_support::parallel::run_all(&jobs)
        .into_iter()
        .collect::<Result<Vec<_>, String>>()?)
}
