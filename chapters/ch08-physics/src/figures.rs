//! The chapter's figures, drawn from the shared experiments.

use crate::experiments::{ISOMETRY_DEPTHS, ODE_STEPS, Results, Settings, with_results};
use crate::isometry::predicted_spread;
use book_support::Figure;
use book_support::figure::{PALETTE, SIZE, axes, chart_on, draw, legend, legend_line, power_label};
use book_support::plotters::prelude::*;
use book_support::stats::mean_se;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn decimal(x: &f64) -> String {
    format!("{:.1}", x + 0.0)
}

fn integer(x: &f64) -> String {
    format!("{}", x.round() as i64)
}

/// The viridis colour scale at `t ∈ [0, 1]` (clamped), interpolated
/// linearly between five of its colours: dark for a low loss, bright
/// yellow for a network that learned nothing.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let t = if t.is_nan() { 1.0 } else { t.clamp(0.0, 1.0) } * (STOPS.len() - 1) as f64;
    let k = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - k as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

const PHASES: [&str; 4] = [
    "tanh, ordered",
    "tanh, critical",
    "tanh, chaotic",
    "ReLU at He initialization",
];

/// Figure 1: the correlation of two inputs, layer by layer, simulated and
/// predicted.
fn correlations(r: &Results) -> Result<Figure> {
    let depth = r.simulated[0].ensemble.c_by_layer.len();
    draw("correlation-by-layer", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!(
                "Correlation of two inputs by layer: {} random networks of width {} (points, ±2 SE) and the mean-field map (lines)",
                crate::experiments::SIMULATION.2,
                r.settings.width
            ),
            14,
        )
        .build_cartesian_2d(0.5..depth as f64 + 0.5, 0.0..1.02)?;
        axes(&mut chart, "layer l", "correlation c_l", 13)
            .x_label_formatter(&integer)
            .y_label_formatter(&decimal)
            .draw()?;
        for (k, sim) in r.simulated.iter().enumerate() {
            let color = PALETTE[k];
            let (_, predicted) = crate::simulate::mean_field_trace(
                &sim.map,
                depth,
                crate::experiments::SIMULATION_START,
            );
            let label = format!("{}: σ_w² = {:.3}", PHASES[k], sim.map.sigma_w2());
            chart
                .draw_series(LineSeries::new(
                    predicted
                        .iter()
                        .enumerate()
                        .map(|(l, &c)| (l as f64 + 1.0, c)),
                    color.stroke_width(2),
                ))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
            for (l, &(m, se)) in sim.ensemble.c_by_layer.iter().enumerate() {
                let x = l as f64 + 1.0;
                chart.draw_series(LineSeries::new(
                    [(x, m - 2.0 * se), (x, m + 2.0 * se)],
                    color.stroke_width(1),
                ))?;
                chart.draw_series(std::iter::once(Circle::new((x, m), 3, color.filled())))?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 12)
    })
}

/// Figure 2: the phase diagram of tanh networks.
fn phase_diagram(r: &Results) -> Result<Figure> {
    draw("phase-diagram", SIZE, |root| {
        let mut chart = chart_on(
            root,
            "Tanh networks: the critical line χ₁ = 1 between order and chaos",
            16,
        )
        .build_cartesian_2d(0.5..4.5, 0.0..0.3)?;
        axes(&mut chart, "weight variance σ_w²", "bias variance σ_b²", 13)
            .x_label_formatter(&decimal)
            .y_label_formatter(&|y| format!("{y:.2}"))
            .draw()?;
        let line: Vec<(f64, f64)> = r.critical_line.iter().map(|&(b, w)| (w, b)).collect();
        let mut ordered = vec![(0.5, 0.0)];
        ordered.extend(line.iter().copied());
        ordered.push((0.5, 0.3));
        chart.draw_series(std::iter::once(Polygon::new(
            ordered,
            PALETTE[0].mix(0.15).filled(),
        )))?;
        chart
            .draw_series(LineSeries::new(line, BLACK.stroke_width(2)))?
            .label("critical line (χ₁ = 1)")
            .legend(legend_line(BLACK.stroke_width(2)));
        let text = |s: &str, at: (f64, f64)| Text::new(s.to_string(), at, ("sans-serif", 16));
        chart.draw_series([
            text("ordered: χ₁ < 1", (0.7, 0.22)),
            text("chaotic: χ₁ > 1", (3.0, 0.05)),
        ])?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (r.critical, r.settings.sigma_b2),
                5,
                PALETTE[1].filled(),
            )))?
            .label(format!(
                "σ_b² = {}: critical σ_w² = {:.4}",
                r.settings.sigma_b2, r.critical
            ))
            .legend(|(x, y)| Circle::new((x + 10, y), 5, PALETTE[1].filled()));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)
    })
}

/// Figure 3: the depth scales against the weight variance.
fn depth_scales(r: &Results) -> Result<Figure> {
    draw("depth-scales", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!(
                "Depth scales of tanh networks, σ_b² = {}: ξ_c diverges at the critical point",
                r.settings.sigma_b2
            ),
            16,
        )
        .build_cartesian_2d(0.5..4.5, (0.5f64..2000.0).log_scale())?;
        axes(
            &mut chart,
            "weight variance σ_w²",
            "depth scale (layers)",
            13,
        )
        .x_label_formatter(&decimal)
        .y_label_formatter(&integer)
        .draw()?;
        let finite = |f: fn(&crate::signal::DepthScales) -> f64| -> Vec<(f64, f64)> {
            r.scales
                .iter()
                .map(|(w, d)| (*w, f(d)))
                .filter(|p| p.1.is_finite() && p.1 < 2000.0)
                .collect()
        };
        chart
            .draw_series(LineSeries::new(
                finite(|d| d.xi_c),
                PALETTE[0].stroke_width(2),
            ))?
            .label("ξ_c = −1/ln χ_c (correlations)")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                finite(|d| d.xi_q),
                PALETTE[1].stroke_width(2),
            ))?
            .label("ξ_q (lengths)")
            .legend(legend_line(PALETTE[1].stroke_width(2)));
        chart
            .draw_series(DashedLineSeries::new(
                [(r.critical, 0.5), (r.critical, 2000.0)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?
            .label(format!("critical σ_w² = {:.4}", r.critical))
            .legend(legend_line(BLACK.stroke_width(1)));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)
    })
}

/// Figure 4: final training loss over depth and weight variance, with the
/// curve `6 ξ_c`.
fn trainability(r: &Results) -> Result<Figure> {
    let h = &r.heatmap;
    draw("trainability", (720, 480), |root| {
        let (area, bar) = root.split_horizontally(640);
        let mut chart = chart_on(
            &area,
            format!(
                "Training loss after {} steps (tanh, width {}, {} digits) and 6 ξ_c",
                crate::trainability::Trainability::BOOK.steps,
                crate::trainability::Trainability::BOOK.width,
                crate::trainability::Trainability::BOOK.examples
            ),
            15,
        )
        .build_cartesian_2d(0.25..4.75, 1.5..25.5)?;
        axes(
            &mut chart,
            "weight variance σ_w²",
            "depth L (tanh layers)",
            13,
        )
        .x_label_formatter(&decimal)
        .y_label_formatter(&integer)
        .draw()?;
        let color = |loss: f64| viridis(loss / h.constant);
        for (i, w) in h.sigma_w2s.iter().enumerate() {
            for (j, &d) in h.depths.iter().enumerate() {
                let (lo, hi) = (d as f64 - 1.5, d as f64 + 1.5);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(w - 0.25, lo), (w + 0.25, hi)],
                    color(h.losses[i][j]).filled(),
                )))?;
            }
        }
        let curve: Vec<(f64, f64)> = r
            .scales
            .iter()
            .map(|(w, d)| (*w, (6.0 * d.xi_c).min(25.5)))
            .collect();
        chart
            .draw_series(LineSeries::new(curve, WHITE.stroke_width(3)))?
            .label("6 ξ_c (Schoenholz et al.)")
            .legend(legend_line(BLACK.stroke_width(3)));
        legend(&mut chart, SeriesLabelPosition::LowerRight, 12)?;
        // The colour bar.
        let mut scale = ChartBuilder::on(&bar)
            .margin_top(40)
            .margin_bottom(60)
            .margin_right(30)
            .y_label_area_size(0)
            .right_y_label_area_size(30)
            .build_cartesian_2d(0.0..1.0, 0.0..h.constant)?;
        scale
            .configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .disable_x_axis()
            .y_label_style(("sans-serif", 11))
            .y_label_formatter(&decimal)
            .draw()?;
        let steps = 50;
        scale.draw_series((0..steps).map(|k| {
            let (a, b) = (
                k as f64 / steps as f64 * h.constant,
                (k + 1) as f64 / steps as f64 * h.constant,
            );
            Rectangle::new([(0.0, a), (1.0, b)], color(0.5 * (a + b)).filled())
        }))?;
        Ok(())
    })
}

/// Figure 5: the spread of the Jacobian's squared singular values with
/// depth.
fn isometry(r: &Results) -> Result<Figure> {
    draw("isometry", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!(
                "Spread Var λ / (E λ)² of the eigenvalues λ of J Jᵀ at criticality, width {}: measured (points) and predicted (lines)",
                crate::experiments::ISOMETRY_WIDTH
            ),
            13,
        )
        .build_cartesian_2d(-0.3f64..5.3, (0.01f64..200.0).log_scale())?;
        axes(&mut chart, "depth L", "spread of the spectrum", 13)
            // The axis is log₂ L, labelled with L at the powers of two.
            .x_labels(12)
            .x_label_formatter(&|k| {
                if (k - k.round()).abs() < 1e-9 {
                    integer(&k.exp2())
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&power_label)
            .draw()?;
        for (k, (map, weights, spectra)) in r.isometry.iter().enumerate() {
            let color = PALETTE[k];
            let predicted: Vec<(f64, f64)> = ISOMETRY_DEPTHS
                .iter()
                .map(|&l| Ok(((l as f64).log2(), predicted_spread(map, *weights, l)?)))
                .collect::<crate::Result<_>>()?;
            chart
                .draw_series(LineSeries::new(predicted, color.stroke_width(2)))?
                .label(format!(
                    "{}, {} weights",
                    map.activation().name(),
                    weights.name()
                ))
                .legend(legend_line(color.stroke_width(2)));
            let measured = ISOMETRY_DEPTHS.iter().enumerate().map(|(d, &l)| {
                let (m, _) = mean_se(&spectra.iter().map(|s| s[d].spread).collect::<Vec<_>>());
                ((l as f64).log2(), m)
            });
            chart.draw_series(measured.map(|p| Circle::new(p, 4, color.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 12)
    })
}

/// Figure 6: residual networks converge to the ODE's flow.
fn ode_convergence(r: &Results) -> Result<Figure> {
    let o = &r.ode;
    draw("ode-convergence", SIZE, |root| {
        let mut chart = chart_on(
            root,
            "A residual net of L blocks is Euler's method: error against the ODE's flow",
            16,
        )
        .build_cartesian_2d((3.0f64..1400.0).log_scale(), (1e-15f64..1.0).log_scale())?;
        axes(&mut chart, "blocks (steps) L", "error", 13)
            .x_label_formatter(&integer)
            .y_label_formatter(&power_label)
            .draw()?;
        let names = ["Euler (the residual net)", "Heun", "Runge–Kutta 4"];
        for (k, (_, errors)) in o.errors.iter().enumerate() {
            let points: Vec<(f64, f64)> = ODE_STEPS
                .iter()
                .zip(errors)
                .map(|(&l, &e)| (l as f64, e))
                .filter(|p| p.1 > 0.0)
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), PALETTE[k].stroke_width(2)))?
                .label(format!("{}: ‖x_L − x(T)‖", names[k]))
                .legend(legend_line(PALETTE[k].stroke_width(2)));
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, PALETTE[k].filled())),
            )?;
        }
        let gaps: Vec<(f64, f64)> = ODE_STEPS
            .iter()
            .zip(&o.backprop_gaps)
            .map(|(&l, &g)| (l as f64, g))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                gaps,
                6,
                4,
                PALETTE[3].stroke_width(2),
            ))?
            .label("gradient: backprop through L Euler steps vs the adjoint (relative)")
            .legend(legend_line(PALETTE[3].stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 12)
    })
}

/// Every figure of the chapter.
pub fn all(s: &Settings) -> Result<Vec<Figure>> {
    with_results(s, |r| {
        Ok(vec![
            correlations(r)?,
            phase_diagram(r)?,
            depth_scales(r)?,
            trainability(r)?,
            isometry(r)?,
            ode_convergence(r)?,
        ])
    })
}
