//! The chapter's figures, drawn from the shared experiments.

use crate::experiments::{
    DEEP_DEPTH, DEEP_NETS, DENSITY_DT, DENSITY_LEN, DENSITY_LO, FORWARD_DEPTH, FORWARD_WIDTH,
    NARROW_WIDTH, deep_inits, deep_signals, deep_widths, histogram_signals, training_runs,
    typical_log10_rms,
};
use crate::signal::{log_ratio_density, log10_rms_profile};
use crate::training::{TrainSetup, constant_predictor_loss, data};
use book_support::Figure;
use book_support::figure::{FONT, PALETTE, SIZE, density_histogram, draw, legend};
use book_support::plotters::prelude::*;
use std::error::Error;

fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
}

fn integer(x: &f64) -> String {
    format!("{x:.0}")
}

/// Figure 2: the typical activation scale per layer for four initializers.
fn activation_scale() -> Result<Figure, Box<dyn Error>> {
    let inits = deep_inits();
    let signals = deep_signals()?;
    let profiles = signals
        .iter()
        .map(|s| log10_rms_profile(s))
        .collect::<Result<Vec<_>, _>>()?;
    let widths = deep_widths();
    draw("activation-scale", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "ReLU networks of depth {DEEP_DEPTH}, widths alternating 32 and 128 (solid: mean of {DEEP_NETS} networks; dashed: exact)"
                ),
                (FONT, 15),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..DEEP_DEPTH as f64, -12.0..6.0)?;
        chart
            .configure_mesh()
            .x_desc("layer l")
            .y_desc("log10 of the rms activation ratio √(m_l / m_0)")
            .x_label_formatter(&integer)
            .y_label_formatter(&integer)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .draw()?;
        for (k, ((label, init), profile)) in inits.iter().zip(&profiles).enumerate() {
            let color = PALETTE[k];
            let measured = std::iter::once((0.0, 0.0)).chain(
                profile
                    .mean
                    .iter()
                    .enumerate()
                    .map(|(l, &v)| ((l + 1) as f64, v)),
            );
            chart
                .draw_series(LineSeries::new(measured, color.stroke_width(2)))?
                .label(*label)
                .legend(legend_line(color));
            let exact = std::iter::once((0.0, 0.0)).chain(
                typical_log10_rms(init, &widths)?
                    .into_iter()
                    .enumerate()
                    .map(|(l, v)| ((l + 1) as f64, v)),
            );
            chart.draw_series(DashedLineSeries::new(exact, 5, 4, BLACK.stroke_width(1)))?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 13)?;
        Ok(())
    })
}

/// Figure 1: the distribution of `ln R_L` against the exact layer law.
fn log_ratio_histogram() -> Result<Figure, Box<dyn Error>> {
    let samples = histogram_signals()?;
    draw("log-ratio-histogram", SIZE, |root| {
        let (lo, hi, bins) = (-6.0, 3.0, 45);
        let width = (hi - lo) / bins as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "He initialization, {FORWARD_DEPTH} ReLU layers: the squared-norm ratio R = ‖x_L‖²/‖x_0‖²"
                ),
                (FONT, 17),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, 0.0..0.75)?;
        chart
            .configure_mesh()
            .x_desc("ln R (natural log; E[R] = 1 puts ln E[R] at 0)")
            .y_desc("density")
            .x_label_formatter(&integer)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .draw()?;
        for (i, (&n, signals)) in [FORWARD_WIDTH, NARROW_WIDTH]
            .iter()
            .zip(&samples)
            .enumerate()
        {
            let color = PALETTE[i];
            let logs: Vec<f64> = signals
                .iter()
                .map(|s| s.forward[FORWARD_DEPTH - 1])
                .filter(|&r| r > 0.0)
                .map(f64::ln)
                .collect();
            density_histogram(
                &mut chart,
                &logs,
                (lo, width, bins),
                color,
                format!("width {n}: {} networks", logs.len()),
            )?;
            let exact = log_ratio_density(n, FORWARD_DEPTH, DENSITY_LO, DENSITY_DT, DENSITY_LEN)?;
            let curve = (0..exact.values.len())
                .map(|i| (exact.t(i), exact.values[i]))
                .filter(|&(t, _)| (lo..=hi).contains(&t));
            chart
                .draw_series(LineSeries::new(curve, color.stroke_width(2)))?
                .label(format!("width {n}: exact density of ln R"))
                .legend(legend_line(color));
        }
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, 0.0), (0.0, 0.75)],
                5,
                4,
                BLACK.stroke_width(1),
            ))?
            .label("dashed line: ln E[R] = 0")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 13)?;
        Ok(())
    })
}

/// Figure 3: training curves from three initializations.
fn training_curves() -> Result<Figure, Box<dyn Error>> {
    const TOP: f64 = 4.0;
    let runs = training_runs()?;
    let setup = TrainSetup::default();
    let (_, y) = data(setup.points, setup.seed);
    let floor = constant_predictor_loss(&y).log10();
    draw("training-curves", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Gradient descent, {} ReLU layers of width {}, η = {}",
                    setup.widths.len() - 2,
                    setup.widths[1],
                    setup.eta
                ),
                (FONT, 18),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..setup.steps as f64, -2.0..TOP)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("log10 of the training loss")
            .x_label_formatter(&integer)
            .y_label_formatter(&integer)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .draw()?;
        for (i, (label, run)) in runs.iter().enumerate() {
            let color = PALETTE[i];
            let points: Vec<(f64, f64)> = run
                .losses
                .iter()
                .enumerate()
                .filter(|(_, l)| l.is_finite() && **l > 0.0)
                .map(|(t, l)| (t as f64, l.log10().min(TOP)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(*label)
                .legend(legend_line(color));
            if let Some(t) = run.failed_at {
                let (x, y) = points.last().copied().unwrap_or((t as f64, TOP));
                chart.draw_series(std::iter::once(Cross::new(
                    (x, y),
                    6,
                    color.stroke_width(2),
                )))?;
                let peak = run
                    .losses
                    .iter()
                    .copied()
                    .filter(|l| l.is_finite())
                    .fold(f64::NEG_INFINITY, f64::max);
                chart.draw_series(std::iter::once(Text::new(
                    format!(
                        "loss above 10^{:.0}, off the chart; the update at step {t} overflows",
                        peak.log10().floor()
                    ),
                    (x + 6.0, y.min(TOP - 0.3)),
                    (FONT, 13),
                )))?;
            }
        }
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, floor), (setup.steps as f64, floor)],
                6,
                5,
                BLACK.stroke_width(1),
            ))?
            .label("best constant prediction, ½ Var(y)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
        Ok(())
    })
}

/// Every figure of the chapter, in the order the prose shows them.
pub fn all() -> Result<Vec<Figure>, Box<dyn Error>> {
    Ok(vec![
        log_ratio_histogram()?,
        activation_scale()?,
        training_curves()?,
    ])
}
