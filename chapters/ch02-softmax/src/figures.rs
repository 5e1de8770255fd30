//! The chapter's figures.

use crate::exercises::softmax_with_temperature;
use crate::experiments::{cliffs, gradient_check_curve};
use book_support::Figure;
use book_support::figure::{
    FONT, PALETTE, SIZE, axes, draw, legend_line, legend_with_border, power_label,
};
use book_support::plotters::prelude::*;
use std::error::Error;

/// The seed of the random logits behind the gradient-check figure.
pub const GRADIENT_SEED: u64 = 21;

/// Softmax probabilities of the logits `[1, 2, 3]` against the temperature.
pub fn temperature() -> Result<Figure, Box<dyn Error>> {
    let z = [1.0, 2.0, 3.0];
    let ts: Vec<f64> = (0..=200)
        .map(|i| 10f64.powf(-2.0 + 4.0 * i as f64 / 200.0))
        .collect();
    let mut curves = vec![Vec::new(); 3];
    for &t in &ts {
        let p = softmax_with_temperature(&z, t)?;
        for (curve, pi) in curves.iter_mut().zip(p) {
            curve.push((t, pi));
        }
    }
    draw("softmax-temperature", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Softmax of z = (1, 2, 3) at temperature T", (FONT, 20))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((1e-2f64..1e2f64).log_scale(), 0f64..1f64)?;
        axes(
            &mut chart,
            "temperature T (log scale)",
            "probability p_i of softmax(z / T)",
            13,
        )
        .axis_desc_style((FONT, 14))
        .draw()?;
        chart
            .draw_series(LineSeries::new(
                ts.iter().map(|&t| (t, 1.0 / 3.0)),
                BLACK.mix(0.4).stroke_width(1),
            ))?
            .label("uniform, 1/3")
            .legend(legend_line(BLACK.mix(0.4).stroke_width(1)));
        for (i, curve) in curves.into_iter().enumerate() {
            let colour = PALETTE[i];
            chart
                .draw_series(LineSeries::new(curve, colour.stroke_width(2)))?
                .label(format!("p_{} (logit {})", i + 1, i + 1))
                .legend(legend_line(colour.stroke_width(2)));
        }
        legend_with_border(
            &mut chart,
            SeriesLabelPosition::UpperLeft,
            13,
            BLACK.mix(0.5),
        )?;
        Ok(())
    })
}

/// Picks one relative error out of a row of [`cliffs`].
type Pick = fn(&(f64, f64, f64)) -> f64;

/// Where a relative error is drawn: clipped to the plot, with exact results
/// on the floor and `inf`/`NaN` results on the ceiling.
fn clip(err: f64) -> f64 {
    if err.is_finite() {
        err.clamp(1e-18, 1.0)
    } else {
        10.0
    }
}

/// The overflow cliff of the naive log-sum-exp and the underflow ramp and
/// cliff of `ln(softmax)`.
pub fn cliffs_figure() -> Result<Figure, Box<dyn Error>> {
    let ts: Vec<f64> = (0..=700).map(|i| 690.0 + 70.0 * i as f64 / 700.0).collect();
    let rows = cliffs(&ts)?;
    draw("overflow-underflow", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Naive formulas against stable ones (bottom: exact, top: inf or NaN)",
                (FONT, 18),
            )
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(690f64..760f64, (1e-19f64..1e2f64).log_scale())?;
        axes(&mut chart, "logit size t", "relative error (log scale)", 13)
            .y_label_formatter(&power_label)
            .axis_desc_style((FONT, 14))
            .draw()?;
        // The underflow series first, so the overflow series stays visible on the floor.
        let series: [(&str, usize, u32, Pick); 2] = [
            ("ln(softmax([0, -t]))[1] against log_softmax", 1, 3, |r| r.2),
            ("naive ln(e^t + 1) against log_sum_exp([t, 0])", 0, 2, |r| {
                r.1
            }),
        ];
        for (label, colour, size, pick) in series {
            let colour = PALETTE[colour];
            chart
                .draw_series(PointSeries::of_element(
                    rows.iter().map(|r| (r.0, clip(pick(r)))),
                    size,
                    colour.filled(),
                    &|c, s, st| Circle::new(c, s, st),
                ))?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 3, colour.filled()));
        }
        let marks = [
            (-f64::MIN_POSITIVE.ln(), "e^-t subnormal", -13.0, 1e-11),
            (f64::MAX.ln(), "e^t overflows", 0.8, 1e-5),
            (
                -(2f64.powi(-1074).ln() - std::f64::consts::LN_2),
                "e^-t rounds to 0",
                0.8,
                1e-9,
            ),
        ];
        for (x, text, dx, y) in marks {
            chart.draw_series(LineSeries::new(
                [(x, 1e-19), (x, 1e2)],
                BLACK.mix(0.35).stroke_width(1),
            ))?;
            chart.draw_series(std::iter::once(Text::new(text, (x + dx, y), (FONT, 12))))?;
        }
        legend_with_border(
            &mut chart,
            SeriesLabelPosition::LowerRight,
            13,
            BLACK.mix(0.5),
        )?;
        Ok(())
    })
}

/// The gradient-check error of the cross-entropy against the step `h`.
pub fn gradient_check_figure() -> Result<Figure, Box<dyn Error>> {
    let curve = gradient_check_curve(GRADIENT_SEED)?;
    draw("gradient-check", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Central differences against the analytic gradient p - y",
                (FONT, 20),
            )
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (1e-13f64..1e-1f64).log_scale(),
                (1e-13f64..1e-1f64).log_scale(),
            )?;
        axes(
            &mut chart,
            "step h (log scale)",
            "largest gap (log scale)",
            13,
        )
        .x_label_formatter(&power_label)
        .y_label_formatter(&power_label)
        .axis_desc_style((FONT, 14))
        .draw()?;
        chart
            .draw_series(LineSeries::new(
                curve.iter().copied(),
                PALETTE[0].stroke_width(2),
            ))?
            .label("measured, 20 problems with 10 classes")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        chart.draw_series(PointSeries::of_element(
            curve.iter().copied(),
            3,
            PALETTE[0].filled(),
            &|c, s, st| Circle::new(c, s, st),
        ))?;
        // Reference lines with the predicted slopes, through the geometric
        // mean of the measured points on each side.
        let fit = |lo: f64, hi: f64, slope: f64| {
            let logs: Vec<f64> = curve
                .iter()
                .filter(|(h, _)| (lo..=hi).contains(h))
                .map(|(h, e)| e.log10() - slope * h.log10())
                .collect();
            10f64.powf(logs.iter().sum::<f64>() / logs.len() as f64)
        };
        let guides = [
            (
                "slope 2: truncation, C h^2",
                PALETTE[1],
                2.0,
                fit(0.9e-3, 0.11, 2.0),
            ),
            (
                "slope -1: rounding, C eps / h",
                PALETTE[2],
                -1.0,
                fit(0.9e-13, 1.1e-8, -1.0),
            ),
        ];
        for (label, colour, slope, constant) in guides {
            let pts: Vec<(f64, f64)> = curve
                .iter()
                .map(|&(h, _)| (h, constant * h.powf(slope)))
                .filter(|&(_, e)| (1e-13..=1e-1).contains(&e))
                .collect();
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(1)))?
                .label(label)
                .legend(legend_line(colour.stroke_width(1)));
        }
        legend_with_border(
            &mut chart,
            SeriesLabelPosition::UpperRight,
            13,
            BLACK.mix(0.5),
        )?;
        Ok(())
    })
}
