//! The chapter's figures, drawn from the shared experiments.

use crate::compass::{Iterate, ValidationPath, fitted, log_central_difference};
use crate::experiments::{
    DEPTHS, Results, SHOWN_LAMBDAS, Settings, curve_grid, diabetes_grid, with_results,
};
use crate::tasks::{CurveTask, truth};
use crate::tradeoff::bound_per_layer;
use crate::{mean_se, median};
use book_support::Figure;
use book_support::figure::{
    PALETTE, SIZE, axes, draw, legend, legend_line, panel_on, power_label, two_panels,
};
use book_support::plotters::prelude::*;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const LN10: f64 = std::f64::consts::LN_10;

fn decimal(x: &f64) -> String {
    // Adding zero turns −0 into +0, so no tick reads "-0.0".
    format!("{:.1}", x + 0.0)
}

/// A tick label for a log axis of plain numbers: `0.5`, `1`, `10`, `100`.
fn plain(x: &f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

fn hundredths(x: &f64) -> String {
    format!("{x:.2}")
}

/// Figure 1: the U, and the fits at three λ.
fn u_curve(r: &Results) -> Result<Figure> {
    let c = &r.curve;
    let task = CurveTask::BOOK;
    draw("u-curve", SIZE, |root| {
        let (left, right) = two_panels(
            root,
            &format!(
                "Ridge on Legendre features of degree {}, {} training points",
                task.degree, task.train
            ),
            16,
        )?;
        let mut chart = panel_on(&left, "mean squared error against λ", 14)
            .build_cartesian_2d((1e-8f64..1e2f64).log_scale(), (1e-2f64..1e5f64).log_scale())?;
        axes(&mut chart, "λ", "error", 12)
            .x_label_formatter(&power_label)
            .y_label_formatter(&power_label)
            .draw()?;
        let series = [
            (
                "training",
                c.errors.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>(),
            ),
            ("validation", c.errors.iter().map(|e| (e.0, e.2)).collect()),
        ];
        for (k, (label, points)) in series.into_iter().enumerate() {
            chart
                .draw_series(LineSeries::new(points, PALETTE[k].stroke_width(2)))?
                .label(label)
                .legend(legend_line(PALETTE[k].stroke_width(2)));
        }
        let noise = task.noise * task.noise;
        chart
            .draw_series(DashedLineSeries::new(
                [(1e-8, noise), (1e2, noise)],
                5,
                4,
                BLACK.stroke_width(1),
            ))?
            .label("noise variance σ²")
            .legend(legend_line(BLACK.stroke_width(1)));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)?;

        let mut chart = panel_on(&right, "fitted curves", 14)
            .build_cartesian_2d(-1.0f64..1.0f64, -2.5f64..2.5f64)?;
        axes(&mut chart, "t", "y", 12)
            .x_label_formatter(&decimal)
            .y_label_formatter(&decimal)
            .draw()?;
        let ts: Vec<f64> = (0..=400).map(|i| -1.0 + f64::from(i) / 200.0).collect();
        chart
            .draw_series(LineSeries::new(
                ts.iter().map(|&t| (t, truth(t))),
                BLACK.stroke_width(1),
            ))?
            .label("truth")
            .legend(legend_line(BLACK.stroke_width(1)));
        for (k, &lambda) in SHOWN_LAMBDAS.iter().enumerate() {
            let w = c.path.spectrum().weights(lambda)?;
            let ys = fitted(&w, &ts, task.degree);
            let color = PALETTE[k];
            // Clip to the panel: the overfitted curve leaves it between points.
            let points = ts.iter().zip(ys).map(|(&t, y)| (t, y.clamp(-2.5, 2.5)));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(format!("λ = {lambda:.0e}"))
                .legend(legend_line(color.stroke_width(2)));
        }
        let train = c.train.t.iter().zip(c.train.data.y.iter());
        chart.draw_series(train.map(|(&t, &y)| Circle::new((t, y), 3, BLACK.filled())))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight, 11)?;
        Ok(())
    })
}

/// Draws a validation curve on a log-λ axis with descent iterates.
fn path_with_descents<DB: DrawingBackend>(
    area: &DrawingArea<DB, book_support::plotters::coord::Shift>,
    title: &str,
    path: &ValidationPath,
    grid: &[f64],
    descents: &[Vec<Iterate>],
    y_range: std::ops::Range<f64>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = (grid[0], grid[grid.len() - 1]);
    let mut chart =
        panel_on(area, title, 14).build_cartesian_2d((lo..hi).log_scale(), y_range.log_scale())?;
    axes(&mut chart, "λ", "validation error", 12)
        .x_label_formatter(&power_label)
        .y_label_formatter(&power_label)
        .draw()?;
    let fine: Vec<f64> = crate::compass::log_grid(lo, hi, 400)?;
    let curve = fine
        .iter()
        .map(|&l| Ok((l, path.error(l)?)))
        .collect::<crate::Result<Vec<_>>>()?;
    chart
        .draw_series(LineSeries::new(curve, PALETTE[1].stroke_width(2)))?
        .label("validation error")
        .legend(legend_line(PALETTE[1].stroke_width(2)));
    for (k, d) in descents.iter().enumerate() {
        let color = [PALETTE[0], PALETTE[2]][k % 2];
        let points: Vec<(f64, f64)> = d.iter().map(|i| (i.lambda, i.error)).collect();
        chart.draw_series(LineSeries::new(
            points.clone(),
            color.mix(0.6).stroke_width(1),
        ))?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?
            .label(format!(
                "descent on ln λ from {:.0e} ({} steps)",
                d[0].lambda,
                d.len() - 1
            ))
            .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
    }
    let (_, l, e) = path.grid_minimum(grid)?;
    chart
        .draw_series([Cross::new((l, e), 7, BLACK.stroke_width(2))])?
        .label("grid minimum")
        .legend(|(x, y)| Cross::new((x + 10, y), 5, BLACK.stroke_width(2)));
    legend(&mut chart, SeriesLabelPosition::UpperMiddle, 11)?;
    Ok(())
}

/// Figure 2: the compass and the descent on ln λ.
fn compass(r: &Results) -> Result<Figure> {
    let c = &r.curve;
    let grid = curve_grid();
    draw("compass", SIZE, |root| {
        let (left, right) = two_panels(
            root,
            "The compass: the sign of dE_val/dλ points to the minimum",
            16,
        )?;
        let mut chart = panel_on(&left, "d ln E_val / d ln λ, exact and by differences", 14)
            .build_cartesian_2d((1e-8f64..1e2f64).log_scale(), -3.0f64..1.0f64)?;
        axes(&mut chart, "λ", "d ln E / d ln λ", 12)
            .x_label_formatter(&power_label)
            .y_label_formatter(&decimal)
            .draw()?;
        let fine = crate::compass::log_grid(1e-8, 1e2, 400)?;
        let exact = fine
            .iter()
            .map(|&l| {
                let (e, g) = c.path.error_and_gradient(l)?;
                Ok((l, l * g / e))
            })
            .collect::<crate::Result<Vec<_>>>()?;
        chart
            .draw_series(LineSeries::new(exact, PALETTE[0].stroke_width(2)))?
            .label("exact, λ (dE/dλ) / E")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        let differences = grid
            .iter()
            .step_by(2)
            .map(|&l| {
                let d = log_central_difference(|x| c.path.error(x), l, 1e-4)?;
                Ok((l, d / c.path.error(l)?))
            })
            .collect::<crate::Result<Vec<_>>>()?;
        chart
            .draw_series(
                differences
                    .into_iter()
                    .map(|p| Circle::new(p, 3, PALETTE[1].filled())),
            )?
            .label("central differences")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, PALETTE[1].filled()));
        chart.draw_series(LineSeries::new(
            [(1e-8, 0.0), (1e2, 0.0)],
            BLACK.stroke_width(1),
        ))?;
        let (_, l, _) = c.path.grid_minimum(&grid)?;
        chart.draw_series(DashedLineSeries::new(
            [(l, -3.0), (l, 1.0)],
            5,
            4,
            BLACK.stroke_width(1),
        ))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight, 11)?;
        path_with_descents(
            &right,
            "descent on ln λ",
            &c.path,
            &grid,
            &c.descents,
            1e-1..1e5,
        )
    })
}

/// Figure 3: the diabetes data, and the effective degrees of freedom.
fn diabetes(r: &Results) -> Result<Figure> {
    let k = &r.clinic;
    let grid = diabetes_grid();
    draw("diabetes", SIZE, |root| {
        let (left, right) = two_panels(
            root,
            &format!(
                "Diabetes data: ridge on {} quadratic features, {} training patients",
                k.task.train.features(),
                k.task.train.len()
            ),
            16,
        )?;
        path_with_descents(
            &left,
            "validation error and the descents",
            &k.path,
            &grid,
            &k.descents,
            3e3..5e4,
        )?;
        let mut chart = panel_on(&right, "effective degrees of freedom df(λ)", 14)
            .build_cartesian_2d((1e-8f64..1e5f64).log_scale(), 0f64..70f64)?;
        axes(&mut chart, "λ", "df(λ)", 12)
            .x_label_formatter(&power_label)
            .y_label_formatter(&book_support::figure::integer)
            .draw()?;
        let fine = crate::compass::log_grid(1e-8, 1e5, 300)?;
        let spectra = [
            (
                format!("diabetes, p = {}", k.task.train.features()),
                k.path.spectrum(),
                PALETTE[0],
            ),
            (
                format!("curve task, p = {}", r.curve.train.data.features()),
                r.curve.path.spectrum(),
                PALETTE[2],
            ),
        ];
        for (label, spectrum, color) in spectra {
            let points = fine
                .iter()
                .map(|&l| Ok((l, spectrum.effective_df(l)?)))
                .collect::<crate::Result<Vec<_>>>()?;
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 11)?;
        Ok(())
    })
}

/// Figure 4: double descent.
fn double_descent(r: &Results) -> Result<Figure> {
    let m = &r.model;
    draw("double-descent", SIZE, |root| {
        let mut chart = book_support::figure::chart_on(
            root,
            format!(
                "Minimum-norm least squares, n = {} examples, first p of {} weak features, σ = {}",
                m.n, m.total, m.noise
            ),
            15,
        )
        .build_cartesian_2d(0f64..m.total as f64, (0.5f64..300f64).log_scale())?;
        axes(
            &mut chart,
            "number of features p",
            "test error E(y − xᵀβ̂)²",
            13,
        )
        .x_label_formatter(&book_support::figure::integer)
        .y_label_formatter(&plain)
        .draw()?;
        let exact: Vec<Vec<(f64, f64)>> = [(1, m.n - 2), (m.n + 2, m.total)]
            .iter()
            .map(|&(a, b)| {
                (a..=b)
                    .filter_map(|p| m.expected_risk(p).ok().map(|e| (p as f64, e.min(300.0))))
                    .collect()
            })
            .collect();
        for (k, points) in exact.into_iter().enumerate() {
            let s = chart.draw_series(LineSeries::new(points, BLACK.stroke_width(2)))?;
            if k == 0 {
                s.label("exact expected error (Belkin, Hsu and Xu)")
                    .legend(legend_line(BLACK.stroke_width(2)));
            }
        }
        let columns: Vec<(f64, f64, f64, f64)> =
            r.ps.iter()
                .enumerate()
                .map(|(k, &p)| {
                    let v = crate::column(&r.risks, k);
                    let (mean, se) = mean_se(&v);
                    (p as f64, mean, se, median(&v))
                })
                .collect();
        chart
            .draw_series(
                columns
                    .iter()
                    .filter(|c| c.1 < 300.0)
                    .map(|&(p, mean, se, _)| {
                        let (lo, hi) = ((mean - 2.0 * se).max(0.5), (mean + 2.0 * se).min(300.0));
                        PathElement::new(vec![(p, lo), (p, hi)], PALETTE[0].stroke_width(2))
                    }),
            )?
            .label("simulated mean ± 2 standard errors")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x + 10, y - 6), (x + 10, y + 6)],
                    PALETTE[0].stroke_width(2),
                )
            });
        chart.draw_series(
            columns
                .iter()
                .filter(|c| c.1 < 300.0)
                .map(|&(p, mean, _, _)| Circle::new((p, mean), 2, PALETTE[0].filled())),
        )?;
        chart
            .draw_series(
                columns.iter().map(|&(p, _, _, med)| {
                    Circle::new((p, med.min(300.0)), 2, PALETTE[1].filled())
                }),
            )?
            .label("simulated median")
            .legend(|(x, y)| Circle::new((x + 10, y), 2, PALETTE[1].filled()));
        let null = m.null_risk();
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, null), (m.total as f64, null)],
                5,
                4,
                PALETTE[2].stroke_width(2),
            ))?
            .label("predicting zero, ‖β‖² + σ²")
            .legend(legend_line(PALETTE[2].stroke_width(2)));
        let n = m.n as f64;
        chart.draw_series(DashedLineSeries::new(
            [(n, 0.5), (n, 300.0)],
            3,
            3,
            BLACK.stroke_width(1),
        ))?;
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)?;
        Ok(())
    })
}

/// Figure 5: FGSM and certified accuracy; bound against measurement by depth.
fn robustness(r: &Results) -> Result<Figure> {
    let rb = &r.robustness;
    draw("robustness", SIZE, |root| {
        let (left, right) = two_panels(
            root,
            "Digits 0–4 against 5–9: attacks, certificates, bounds",
            16,
        )?;
        let eps_max = rb.attacked.last().map_or(0.3, |a| a.0);
        let mut chart = panel_on(&left, "test accuracy under an L∞ attack of size ε", 14)
            .build_cartesian_2d(0f64..eps_max, 0f64..1f64)?;
        axes(&mut chart, "ε per pixel (pixels in [0, 1])", "accuracy", 12)
            .x_label_formatter(&hundredths)
            .y_label_formatter(&decimal)
            .draw()?;
        let series = [
            ("linear model, FGSM", 1usize, PALETTE[0]),
            ("network 64-16-1, FGSM", 2, PALETTE[1]),
            ("network, certified (margin / K√d)", 3, PALETTE[2]),
        ];
        for (label, k, color) in series {
            let points = rb.attacked.iter().map(|a| (a.0, [a.1, a.2, a.3][k - 1]));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 11)?;

        let mut chart = panel_on(&right, "Lipschitz bound and measured sensitivity", 14)
            .build_cartesian_2d(
                0.5f64..DEPTHS.len() as f64 + 0.5,
                (1f64..1e4f64).log_scale(),
            )?;
        axes(&mut chart, "hidden layers of width 16", "‖∇f‖ or K", 12)
            .x_label_formatter(&book_support::figure::integer)
            .y_label_formatter(&power_label)
            .x_labels(DEPTHS.len())
            .draw()?;
        let at = |k: usize| (k + 1) as f64;
        chart
            .draw_series(LineSeries::new(
                rb.bounds.iter().enumerate().map(|(k, b)| (at(k), b.0)),
                PALETTE[3].stroke_width(2),
            ))?
            .label("bound K = Π ‖W_l‖₂")
            .legend(legend_line(PALETTE[3].stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                rb.bounds.iter().enumerate().map(|(k, b)| (at(k), b.1)),
                PALETTE[4].stroke_width(2),
            ))?
            .label("largest ‖∇f(x)‖ found")
            .legend(legend_line(PALETTE[4].stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 11)?;
        Ok(())
    })
}

/// Figure 6: the slope's trade-off.
fn slope_tradeoff(r: &Results) -> Result<Figure> {
    let s = &r.slopes;
    let depth = crate::Slopes::BOOK.depth;
    draw("slope-tradeoff", SIZE, |root| {
        let mut chart = book_support::figure::chart_on(
            root,
            format!(
                "tanh(βt) networks of depth {depth}, width {}: per-layer growth (log10)",
                crate::Slopes::BOOK.width
            ),
            16,
        )
        .build_cartesian_2d(0.5f64..2.0f64, -0.35f64..0.65f64)?;
        axes(
            &mut chart,
            "slope β at the origin",
            "log10 of the growth per layer",
            13,
        )
        .x_label_formatter(&decimal)
        .y_label_formatter(&decimal)
        .draw()?;
        let per_layer = |f: &dyn Fn(&crate::SlopePoint) -> f64| -> Vec<(f64, f64)> {
            s.iter().map(|p| (p.beta, f(p) / LN10)).collect()
        };
        let norm = r.log_norm_per_layer.0;
        let series: [(&str, Vec<(f64, f64)>, RGBColor); 3] = [
            (
                "backward signal ‖δ_1‖/‖δ_L‖, measured",
                per_layer(&|p| p.backward.0),
                PALETTE[0],
            ),
            (
                "Lipschitz bound K = Π β ‖W_l‖₂",
                per_layer(&|p| bound_per_layer(p.beta, norm)),
                PALETTE[1],
            ),
            (
                "largest ‖∇f(x)‖ at random inputs",
                per_layer(&|p| p.sensitivity.0),
                PALETTE[2],
            ),
        ];
        for (label, points, color) in series {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
        }
        chart
            .draw_series(DashedLineSeries::new(
                per_layer(&|p| p.backward_theory),
                5,
                4,
                PALETTE[0].stroke_width(1),
            ))?
            .label("backward signal, mean-field theory")
            .legend(legend_line(PALETTE[0].stroke_width(1)));
        chart.draw_series(LineSeries::new(
            [(0.5, 0.0), (2.0, 0.0)],
            BLACK.stroke_width(1),
        ))?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })
}

/// Every figure of the chapter for the given settings.
pub fn all(s: &Settings) -> Result<Vec<Figure>> {
    with_results(s, |r| {
        Ok(vec![
            u_curve(r)?,
            compass(r)?,
            diabetes(r)?,
            double_descent(r)?,
            robustness(r)?,
            slope_tradeoff(r)?,
        ])
    })
}
