//! The chapter's figures, drawn from the shared experiments.

use crate::experiments::{
    DEEP_DEPTH, DEEP_NETS, DENSITY_DT, DENSITY_LEN, DENSITY_LO, FORWARD_DEPTH, FORWARD_WIDTH,
    NARROW_WIDTH, deep_inits, deep_signals, deep_widths, histogram_signals, training_runs,
    typical_log10_rms,
};
use crate::signal::{log_ratio_density, log10_rms_profile};
use crate::training::{TrainSetup, constant_predictor_loss, data};
use book_support::Figure;
use book_support::figure::{
    FONT, PALETTE, SIZE, axes, chart_on, density_histogram, draw, integer, legend, legend_line,
};
use book_support::plotters::prelude::*;
use std::error::Error;

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
        let mut chart = chart_on(
            root,
            format!(
                "ReLU networks of depth {DEEP_DEPTH}, widths alternating 32 and 128 (solid: mean of {DEEP_NETS} networks; dashed: exact)"
            ),
            15,
        )
        .build_cartesian_2d(0.0..DEEP_DEPTH as f64, -12.0..6.0)?;
        axes(
            &mut chart,
            "layer l",
            "log10 of the rms activation ratio √(m_l / m_0)",
            13,
        )
        .x_label_formatter(&integer)
        .y_label_formatter(&integer)
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
                .legend(legend_line(color.stroke_width(2)));
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
        let mut chart = chart_on(
            root,
            format!(
                "He initialization, {FORWARD_DEPTH} ReLU layers: the squared-norm ratio R = ‖x_L‖²/‖x_0‖²"
            ),
            17,
        )
        .build_cartesian_2d(lo..hi, 0.0..0.75)?;
        axes(
            &mut chart,
            "ln R (natural log; E[R] = 1 puts ln E[R] at 0)",
            "density",
            13,
        )
        .x_label_formatter(&integer)
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
                .legend(legend_line(color.stroke_width(2)));
        }
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, 0.0), (0.0, 0.75)],
                5,
                4,
                BLACK.stroke_width(1),
            ))?
            .label("dashed line: ln E[R] = 0")
            .legend(legend_line(BLACK.stroke_width(1)));
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
        let mut chart = chart_on(
            root,
            format!(
                "Gradient descent, {} ReLU layers of width {}, η = {}",
                setup.widths.len() - 2,
                setup.widths[1],
                setup.eta
            ),
            18,
        )
        .build_cartesian_2d(0.0..setup.steps as f64, -2.0..TOP)?;
        axes(&mut chart, "step", "log10 of the training loss", 13)
            .x_label_formatter(&integer)
            .y_label_formatter(&integer)
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
                .legend(legend_line(color.stroke_width(2)));
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
            .legend(legend_line(BLACK.stroke_width(1)));
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
