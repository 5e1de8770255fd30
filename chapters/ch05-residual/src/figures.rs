//! The chapter's figures, drawn from the shared experiments.

use crate::experiments::{
    FORWARD_DEPTH, FORWARD_NETS, FORWARD_SCALES, FORWARD_WIDTH, PATH_BLOCKS, PATH_SIGMA2, Results,
    Settings, with_results,
};
use crate::nets::{Body, BranchScale};
use crate::paths::{binomial_pmf, expected_energy};
use crate::stochastic::{Survival, simulate_active};
use crate::training::DepthSetup;
use book_support::Figure;
use book_support::figure::{FONT, PALETTE, SIZE, axes, draw, legend};
use book_support::plotters::prelude::*;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
}

fn integer(x: &f64) -> String {
    format!("{x:.0}")
}

fn scale_name(scale: BranchScale) -> &'static str {
    match scale {
        BranchScale::Unscaled => "branch unscaled, W₂ ~ N(0, 1/h)",
        BranchScale::InverseSqrtDepth => "branch scaled by 1/√L, W₂ ~ N(0, 1/(hL))",
        BranchScale::Zero => "zero-initialized branch, W₂ = 0",
    }
}

/// Figure 1: the forward signal over depth for three branch scales.
fn forward_signal(r: &Results) -> Result<Figure> {
    draw("forward-signal", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{FORWARD_DEPTH} residual ReLU blocks of width {FORWARD_WIDTH} (solid: mean over {FORWARD_NETS} networks; dashed: log10 of the exact mean)"
                ),
                (FONT, 14),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..FORWARD_DEPTH as f64, -2.0..32.0)?;
        axes(&mut chart, "block l", "log10 ‖x_l‖² / ‖x_0‖²", 13)
            .x_label_formatter(&integer)
            .y_label_formatter(&integer)
            .draw()?;
        for (k, (&scale, logs)) in FORWARD_SCALES.iter().zip(&r.forward_logs).enumerate() {
            let color = PALETTE[k];
            let measured = logs.iter().enumerate().map(|(l, &v)| (l as f64, v));
            chart
                .draw_series(LineSeries::new(measured, color.stroke_width(2)))?
                .label(scale_name(scale))
                .legend(line(color));
            let per_block =
                scale.expected_growth(FORWARD_WIDTH, FORWARD_DEPTH).log10() / FORWARD_DEPTH as f64;
            let exact = (0..=FORWARD_DEPTH).map(|l| (l as f64, l as f64 * per_block));
            chart.draw_series(DashedLineSeries::new(exact, 5, 4, color.stroke_width(1)))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 13)?;
        Ok(())
    })
}

/// Figure 2: per-layer gradient norms at initialization.
fn gradient_norms(r: &Results, depth: usize) -> Result<Figure> {
    let series: Vec<Vec<(f64, f64)>> = r
        .init_gradients
        .iter()
        .map(|g| {
            g.iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(l, v)| ((l + 1) as f64, v.log10()))
                .collect()
        })
        .collect();
    let (lo, hi) = series
        .iter()
        .flatten()
        .fold((0.0f64, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    draw("gradient-norms", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Gradient norm of each layer at initialization, depth {depth}, width 16"),
                (FONT, 17),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..depth as f64, (lo - 1.0).floor()..(hi + 1.0).ceil())?;
        axes(
            &mut chart,
            "layer l (1 = nearest the input)",
            "log10 ‖∂ℓ/∂θ_l‖",
            13,
        )
        .x_label_formatter(&integer)
        .y_label_formatter(&integer)
        .draw()?;
        for (k, (points, label)) in series
            .iter()
            .zip([
                "plain ReLU network (He)",
                "residual network, branches scaled by 1/√L",
            ])
            .enumerate()
        {
            let color = PALETTE[k];
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(label)
                .legend(line(color));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 13)?;
        Ok(())
    })
}

/// Figure 3: loss curves of plain and residual networks at three depths.
fn loss_curves(r: &Results) -> Result<Figure> {
    let setup = DepthSetup::BOOK;
    draw("loss-curves", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Same task, {} steps each: plain (dashed) and residual (solid) networks",
                    setup.steps
                ),
                (FONT, 17),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..setup.steps as f64, -4.0..1.5)?;
        axes(
            &mut chart,
            "step",
            "log10 (loss / loss of the best constant)",
            13,
        )
        .x_label_formatter(&integer)
        .y_label_formatter(&integer)
        .draw()?;
        let depths: Vec<usize> = {
            let mut d: Vec<usize> = r.depth_runs.iter().map(|(_, d, _)| *d).collect();
            d.dedup();
            d
        };
        for (body, depth, run) in &r.depth_runs {
            let k = depths.iter().position(|d| d == depth).unwrap_or(0);
            let color = PALETTE[k];
            let points: Vec<(f64, f64)> = run
                .losses
                .iter()
                .enumerate()
                .filter(|(_, l)| l.is_finite() && **l > 0.0)
                .map(|(t, l)| (t as f64, (l / r.constant_loss).log10().clamp(-4.0, 1.5)))
                .collect();
            match body {
                Body::Plain => {
                    chart
                        .draw_series(DashedLineSeries::new(points, 6, 4, color.stroke_width(2)))?
                        .label(format!("plain, depth {depth}"))
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 8, y)], color.stroke_width(2))
                        });
                }
                Body::Residual(_) => {
                    chart
                        .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                        .label(format!("residual, depth {depth}"))
                        .legend(line(color));
                }
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 13)?;
        Ok(())
    })
}

/// Figure 4: path lengths against the gradient energy they carry.
fn paths(r: &Results) -> Result<Figure> {
    let n = PATH_BLOCKS as u32;
    let share = binomial_pmf(n, 0.5)?;
    let energy = expected_energy(n, PATH_SIGMA2)?;
    let total: f64 = energy.iter().sum();
    let (ratio, _) = &r.energy;
    draw("paths", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{PATH_BLOCKS} blocks: share of the 2^{PATH_BLOCKS} paths and of the gradient energy, by path length (σ² = {PATH_SIGMA2})"
                ),
                (FONT, 15),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..PATH_BLOCKS as f64, 0.0..0.16)?;
        axes(
            &mut chart,
            "path length k (number of branches on the path)",
            "share",
            13,
        )
        .x_label_formatter(&integer)
        .draw()?;
        let bars = |values: Vec<f64>, color: RGBColor, offset: f64| {
            values
                .into_iter()
                .enumerate()
                .map(move |(k, v)| {
                    let x = k as f64 + offset;
                    Rectangle::new([(x, 0.0), (x + 0.4, v)], color.mix(0.7).filled())
                })
                .collect::<Vec<_>>()
        };
        chart
            .draw_series(bars(share.clone(), PALETTE[0], -0.4))?
            .label("share of paths, C(54, k) / 2^54")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], PALETTE[0].filled()));
        chart
            .draw_series(bars(
                energy.iter().map(|e| e / total).collect(),
                PALETTE[1],
                0.0,
            ))?
            .label("share of the gradient energy, exact: C(54, k) σ^2k / (1 + σ²)^54")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], PALETTE[1].filled()));
        let measured = ratio
            .iter()
            .zip(&energy)
            .enumerate()
            .filter(|(_, (_, e))| **e / total > 1e-4)
            .map(|(k, (m, e))| Circle::new((k as f64 + 0.2, m * e / total), 3, BLACK.filled()));
        chart
            .draw_series(measured)?
            .label("measured: mean over 200 networks of width 16")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLACK.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
        Ok(())
    })
}

/// Figure 5: the number of active blocks under stochastic depth.
fn active_blocks(s: &Settings) -> Result<Figure> {
    const DRAWS: usize = 20_000;
    let survival = Survival::linear(PATH_BLOCKS, s.survival)?;
    let exact = survival.active_pmf();
    let mut counts = vec![0usize; PATH_BLOCKS + 1];
    for c in simulate_active(&survival, DRAWS, s.seed(95)) {
        counts[c as usize] += 1;
    }
    let top = exact.iter().fold(0.0f64, |m, &v| m.max(v)) * 1.25;
    draw("active-blocks", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Stochastic depth, {PATH_BLOCKS} blocks, linear decay to p_L = {}: number of active blocks",
                    s.survival
                ),
                (FONT, 16),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..PATH_BLOCKS as f64 + 1.0, 0.0..top)?;
        axes(&mut chart, "active blocks", "probability", 13)
            .x_label_formatter(&integer)
            .draw()?;
        chart
            .draw_series(counts.iter().enumerate().map(|(k, &c)| {
                let x = k as f64 - 0.4;
                Rectangle::new(
                    [(x, 0.0), (x + 0.8, c as f64 / DRAWS as f64)],
                    PALETTE[0].mix(0.6).filled(),
                )
            }))?
            .label(format!("{DRAWS} simulated draws of the gates"))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], PALETTE[0].filled()));
        chart
            .draw_series(LineSeries::new(
                exact.iter().enumerate().map(|(k, &p)| (k as f64, p)),
                PALETTE[1].stroke_width(2),
            ))?
            .label("exact law (Poisson-binomial)")
            .legend(line(PALETTE[1]));
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 13)?;
        Ok(())
    })
}

/// Every figure of the chapter, in the order the prose shows them.
pub fn all(s: &Settings) -> Result<Vec<Figure>> {
    with_results(s, |r| {
        Ok(vec![
            forward_signal(r)?,
            gradient_norms(r, s.depth)?,
            loss_curves(r)?,
            paths(r)?,
            active_blocks(s)?,
        ])
    })
}
