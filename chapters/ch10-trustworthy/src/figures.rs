//! The chapter's figures, drawn from the shared experiments.

use crate::ablation::{Ablation, Row};
use crate::calibration::{BINS, Bin};
use crate::experiments::{self, BOUNDS, Calibration, Settings};
use book_support::Figure;
use book_support::figure::{
    PALETTE, SIZE, axes, draw, legend, legend_line, panel_on, power_label, two_panels,
};
use book_support::plotters::prelude::*;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn decimal(x: &f64) -> String {
    format!("{:.2}", x + 0.0)
}

fn integer(x: &f64) -> String {
    format!("{}", x.round() as i64)
}

/// Draws `points` as a line of `style`, dashed or solid, with a legend
/// entry if it has a `label`.
fn line<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    points: Vec<(f64, f64)>,
    style: ShapeStyle,
    dashed: bool,
    label: Option<String>,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let anno = if dashed {
        chart.draw_series(DashedLineSeries::new(points, 6, 4, style))?
    } else {
        chart.draw_series(LineSeries::new(points, style))?
    };
    if let Some(label) = label {
        anno.label(label).legend(legend_line(style));
    }
    Ok(())
}

/// A row's label: the full recipe, or what it lacks.
pub fn row_name(row: &Row) -> String {
    if row.removed.is_empty() {
        "full recipe".to_string()
    } else {
        let names: Vec<&str> = row.removed.iter().map(|r| r.name()).collect();
        format!("without {}", names.join(", "))
    }
}

/// Figure 2: test accuracy and loss of every row, mean ± 2 SE over seeds
/// (unpaired: the spread of each row, not of its change).
fn ablation(a: &Ablation, seeds: usize) -> Result<Figure> {
    let rows = a.rows.len();
    let names: Vec<String> = a.rows.iter().map(row_name).collect();
    let label = |y: &f64| -> String {
        let i = y.round();
        if (y - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < rows {
            names[rows - 1 - i as usize].clone()
        } else {
            String::new()
        }
    };
    draw("ablation", (940, 440), |root| {
        let (left, right) = two_panels(
            root,
            &format!(
                "The recipe with each rule removed: test accuracy and loss, mean ± 2 SE over {seeds} seeds"
            ),
            15,
        )?;
        let y_of = |i: usize| (rows - 1 - i) as f64;
        // Accuracy.
        let mut chart = panel_on(&left, "test accuracy", 13)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..1.0, -0.5..rows as f64 - 0.5)?;
        axes(&mut chart, "accuracy", "", 12)
            .x_labels(6)
            .x_label_formatter(&decimal)
            .y_label_formatter(&label)
            .y_labels(rows)
            .draw()?;
        // Loss.
        let finite_max = a
            .rows
            .iter()
            .filter(|r| r.failed == 0)
            .map(|r| r.loss().mean + 2.0 * r.loss().se)
            .fold(0.0, f64::max);
        let mut loss_chart = panel_on(&right, "test cross-entropy", 13)
            .y_label_area_size(10)
            .build_cartesian_2d(0.0..finite_max * 1.15, -0.5..rows as f64 - 0.5)?;
        axes(&mut loss_chart, "cross-entropy", "", 12)
            .x_label_formatter(&decimal)
            .y_label_formatter(&|_| String::new())
            .y_labels(rows)
            .draw()?;
        for (i, row) in a.rows.iter().enumerate() {
            let y = y_of(i);
            let color = if i == 0 { PALETTE[0] } else { PALETTE[1] };
            let acc = row.accuracy();
            chart.draw_series(LineSeries::new(
                [(acc.mean - 2.0 * acc.se, y), (acc.mean + 2.0 * acc.se, y)],
                color.stroke_width(2),
            ))?;
            chart.draw_series(std::iter::once(Circle::new(
                (acc.mean, y),
                4,
                color.filled(),
            )))?;
            if row.failed > 0 {
                loss_chart.draw_series(std::iter::once(Text::new(
                    format!("diverged in {} of {} runs", row.failed, row.scores.len()),
                    (0.02 * finite_max, y + 0.15),
                    ("sans-serif", 12).into_font().color(&color),
                )))?;
                continue;
            }
            let loss = row.loss();
            loss_chart.draw_series(LineSeries::new(
                [
                    (loss.mean - 2.0 * loss.se, y),
                    (loss.mean + 2.0 * loss.se, y),
                ],
                color.stroke_width(2),
            ))?;
            loss_chart.draw_series(std::iter::once(Circle::new(
                (loss.mean, y),
                4,
                color.filled(),
            )))?;
        }
        Ok(())
    })
}

/// The mean of each window of `w` consecutive values.
fn smoothed(values: &[f64], w: usize) -> Vec<(f64, f64)> {
    values
        .chunks(w)
        .enumerate()
        .map(|(k, c)| {
            (
                (k * w + c.len() / 2) as f64,
                c.iter().sum::<f64>() / c.len() as f64,
            )
        })
        .collect()
}

/// Figure 3: minibatch loss during training, first seed of every row.
fn training(a: &Ablation) -> Result<Figure> {
    let steps = crate::recipe::Setup::BOOK.steps as f64;
    let (lo, hi) = (1e-3, 1e4);
    draw("training", SIZE, |root| {
        let mut chart = book_support::figure::chart_on(
            root,
            "Minibatch cross-entropy while training (first seed, means of 10 steps)",
            15,
        )
        .build_cartesian_2d(0.0..steps, (lo..hi).log_scale())?;
        axes(&mut chart, "step", "minibatch cross-entropy", 13)
            .x_label_formatter(&integer)
            .y_label_formatter(&power_label)
            .draw()?;
        for (i, row) in a.rows.iter().enumerate() {
            let color = PALETTE.get(i).copied().unwrap_or(BLACK);
            let points: Vec<(f64, f64)> = smoothed(&row.first().losses, 10)
                .into_iter()
                .map(|(t, l)| (t, l.clamp(lo, hi)))
                .collect();
            let mut name = row_name(row);
            if let Some(t) = row.first().failed_at {
                name = format!("{name} (stopped after {t} steps)");
            }
            let dashed = i >= PALETTE.len();
            line(
                &mut chart,
                points,
                color.stroke_width(2),
                dashed,
                Some(name),
            )?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 11)
    })
}

/// A network's label by its spectral bound.
pub fn bound_name(bound: Option<f64>) -> String {
    match bound {
        Some(b) => format!("‖W‖₂ ≤ {b}"),
        None => "unconstrained".to_string(),
    }
}

/// Figure 4: accuracy against the radius of the attack.
fn robustness(r: &[crate::certify::Robustness]) -> Result<Figure> {
    let grid = experiments::radii();
    let top = grid.last().copied().unwrap_or(1.0);
    draw("robustness", (860, 440), |root| {
        let (left, right) = two_panels(
            root,
            "Accuracy within a Euclidean radius ε: certified (solid) and under attack (dashed)",
            15,
        )?;
        let book = &r[1];
        let mut chart = panel_on(&left, format!("one network, {}", bound_name(BOUNDS[1])), 13)
            .build_cartesian_2d(0.0..top, 0.0..1.0)?;
        axes(&mut chart, "radius ε", "accuracy", 12)
            .x_label_formatter(&decimal)
            .y_label_formatter(&decimal)
            .draw()?;
        type Pick = fn(&crate::certify::RobustPoint) -> f64;
        let series: [(&str, Pick, usize, bool); 4] = [
            ("certified", |p| p.certified, 0, false),
            ("fast gradient method", |p| p.fgm, 1, true),
            ("PGD", |p| p.pgd, 2, true),
            ("both attacks", |p| p.robust, 3, true),
        ];
        for (name, pick, c, dashed) in series {
            let points: Vec<(f64, f64)> = book.curve.iter().map(|p| (p.eps, pick(p))).collect();
            let style = PALETTE[c].stroke_width(2);
            line(&mut chart, points, style, dashed, Some(name.to_string()))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 11)?;
        let mut chart = panel_on(&right, "the trade-off across spectral bounds", 13)
            .build_cartesian_2d(0.0..top, 0.0..1.0)?;
        axes(&mut chart, "radius ε", "accuracy", 12)
            .x_label_formatter(&decimal)
            .y_label_formatter(&decimal)
            .draw()?;
        for (k, (rob, bound)) in r.iter().zip(BOUNDS).enumerate() {
            let style = PALETTE[k].stroke_width(2);
            let certified: Vec<(f64, f64)> =
                rob.curve.iter().map(|p| (p.eps, p.certified)).collect();
            let attacked: Vec<(f64, f64)> = rob.curve.iter().map(|p| (p.eps, p.robust)).collect();
            let label = format!("{}, K = {:.1}", bound_name(bound), rob.lipschitz);
            line(&mut chart, certified, style, false, Some(label))?;
            line(&mut chart, attacked, style, true, None)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 11)
    })
}

/// Figure 5: each image's certified radius against the smallest radius at
/// which an attack broke it.
fn certificates(r: &crate::certify::Robustness) -> Result<Figure> {
    let grid = experiments::radii();
    let top = grid.last().copied().unwrap_or(1.0) + 0.05;
    draw("certificates", SIZE, |root| {
        let mut chart = book_support::figure::chart_on(
            root,
            format!(
                "Every test image of the network with {}: certified radius against the attack that broke it",
                bound_name(BOUNDS[1])
            ),
            14,
        )
        .build_cartesian_2d(0.0..top, 0.0..top)?;
        axes(
            &mut chart,
            "certified radius m / (√2 K)",
            "smallest ε of the grid at which an attack succeeded",
            12,
        )
        .x_label_formatter(&decimal)
        .y_label_formatter(&decimal)
        .draw()?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (top, top)],
                BLACK.mix(0.6).stroke_width(1),
            ))?
            .label("ε = radius: no point may lie below")
            .legend(legend_line(BLACK.mix(0.6).stroke_width(1)));
        let broken: Vec<(f64, f64)> = r
            .radii
            .iter()
            .zip(&r.broken_at)
            .filter_map(|(&rad, b)| b.map(|e| (rad, e)))
            .collect();
        let unbroken: Vec<f64> = r
            .radii
            .iter()
            .zip(&r.broken_at)
            .filter(|(rad, b)| b.is_none() && **rad > 0.0)
            .map(|(&rad, _)| rad)
            .collect();
        chart
            .draw_series(
                broken
                    .iter()
                    .map(|&p| Circle::new(p, 3, PALETTE[0].mix(0.5).filled())),
            )?
            .label("broken by an attack")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, PALETTE[0].filled()));
        chart
            .draw_series(
                unbroken
                    .iter()
                    .map(|&rad| TriangleMarker::new((rad, top - 0.02), 4, PALETTE[1].filled())),
            )?
            .label("not broken within the grid (drawn at the top)")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 4, PALETTE[1].filled()));
        legend(&mut chart, SeriesLabelPosition::LowerRight, 11)
    })
}

/// Figure 6: reliability diagrams before and after temperature scaling.
fn reliability(c: &Calibration) -> Result<Figure> {
    let c = c.networks.first().ok_or("no calibrated network")?;
    draw("reliability", (860, 440), |root| {
        let (left, right) = two_panels(
            root,
            "Reliability on the test images: accuracy against confidence in 15 bins (images per bin above each bar)",
            15,
        )?;
        let panels = [
            (left, format!("T = 1: ECE {:.4}", c.ece[0]), &c.bins[0]),
            (
                right,
                format!("T = {:.3}: ECE {:.4}", c.temperature, c.ece[1]),
                &c.bins[1],
            ),
        ];
        for (area, title, bins) in panels {
            let mut chart = panel_on(&area, title, 13).build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
            axes(&mut chart, "confidence", "accuracy", 12)
                .x_label_formatter(&decimal)
                .y_label_formatter(&decimal)
                .draw()?;
            draw_bins(&mut chart, bins)?;
        }
        Ok(())
    })
}

type Coord = book_support::plotters::coord::types::RangedCoordf64;

fn draw_bins<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<Coord, Coord>>,
    bins: &[Bin],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let width = 1.0 / BINS as f64;
    for (b, bin) in bins.iter().enumerate().filter(|(_, b)| b.count > 0) {
        let x0 = b as f64 * width;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, 0.0), (x0 + width, bin.accuracy)],
            PALETTE[0].mix(0.35).filled(),
        )))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, 0.0), (x0 + width, bin.accuracy)],
            PALETTE[0].stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            (bin.confidence, bin.accuracy),
            3,
            PALETTE[1].filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{}", bin.count),
            (x0 + 0.1 * width, (bin.accuracy + 0.06).min(0.97)),
            ("sans-serif", 10).into_font(),
        )))?;
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.6).stroke_width(1),
        ))?
        .label("perfect calibration")
        .legend(legend_line(BLACK.mix(0.6).stroke_width(1)));
    legend(chart, SeriesLabelPosition::UpperLeft, 11)
}

/// Figure 1: difference quotients of the validation loss in λ against the
/// relative step, for ReLU (solid) and tanh (dashed) trainings.
fn quotients(q: &[Vec<f64>]) -> Result<Figure> {
    let steps = experiments::RELATIVE_STEPS;
    let values = q.iter().flatten().map(|v| v.abs()).filter(|v| *v > 0.0);
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    draw("quotients", SIZE, |root| {
        let mut chart = book_support::figure::chart_on(
            root,
            "|E(λ + δ) − E(λ − δ)| / 2δ: does the validation loss have a useful derivative in λ?",
            15,
        )
        .build_cartesian_2d(
            (steps[steps.len() - 1] / 2.0..steps[0] * 2.0).log_scale(),
            (lo / 3.0..hi * 30.0).log_scale(),
        )?;
        axes(&mut chart, "relative step δ/λ", "|difference quotient|", 13)
            .x_label_formatter(&power_label)
            .y_label_formatter(&power_label)
            .draw()?;
        for (k, ((activation, t), row)) in experiments::QUOTIENT_RUNS.iter().zip(q).enumerate() {
            let style = PALETTE[k % PALETTE.len()].stroke_width(2);
            let points: Vec<(f64, f64)> =
                steps.iter().zip(row).map(|(&d, v)| (d, v.abs())).collect();
            let label = format!("{} after {t} steps", activation.name());
            let dashed = *activation != ch03_backprop::Activation::Relu;
            line(&mut chart, points.clone(), style, dashed, Some(label))?;
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, style.filled())),
            )?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)
    })
}

/// Every figure of the chapter for the given settings.
pub fn all(s: &Settings) -> Result<Vec<Figure>> {
    let a = experiments::ablation(s)?;
    let r = experiments::robustness(s)?;
    let c = experiments::calibration(s)?;
    let q = experiments::quotients(s)?;
    Ok(vec![
        quotients(&q)?,
        ablation(&a, s.seeds)?,
        training(&a)?,
        robustness(&r)?,
        certificates(&r[1])?,
        reliability(&c)?,
    ])
}
