//! The chapter's figures, drawn from the shared experiments.

use crate::capacity::unstable_asymptotic;
use crate::cover::cover_probability;
use crate::experiments::{
    ENERGY, MEMORY_D, RETRIEVAL_NETWORKS, Results, Settings, UNSTABLE_N, with_results,
};
use book_support::Figure;
use book_support::figure::{PALETTE, SIZE, axes, chart_on, draw, legend, legend_line, power_label};
use book_support::plotters::prelude::*;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn decimal(x: &f64) -> String {
    format!("{:.2}", x + 0.0)
}

fn integer(x: &f64) -> String {
    format!("{}", x.round() as i64)
}

/// Figure 1: the energy after every update.
fn energy(r: &Results) -> Result<Figure> {
    let (n, p, _) = ENERGY;
    let longest = r.energy_traces.iter().map(Vec::len).max().unwrap_or(1);
    let values = r
        .energy_traces
        .iter()
        .flatten()
        .map(|&e| e as f64 / n as f64);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    draw("energy", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!("Energy of a Hopfield network (N = {n}, P = {p}) after every update that changed a neuron"),
            15,
        )
        .build_cartesian_2d(0.0..longest as f64, (lo - 1.0)..(hi + 1.0))?;
        axes(
            &mut chart,
            "updates that changed a neuron",
            "energy E(s)",
            13,
        )
        .x_label_formatter(&integer)
        .y_label_formatter(&integer)
        .draw()?;
        for (k, trace) in r.energy_traces.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(
                    trace
                        .iter()
                        .enumerate()
                        .map(|(t, &e)| (t as f64, e as f64 / n as f64)),
                    PALETTE[k].stroke_width(2),
                ))?
                .label(format!("run {} from a random state", k + 1))
                .legend(legend_line(PALETTE[k].stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)
    })
}

/// Figure 2: unstable bits against the load.
fn unstable(r: &Results) -> Result<Figure> {
    draw("unstable-bits", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!("Unstable stored bits, N = {UNSTABLE_N}: simulated (±2 SE), exact at finite N, and Φ(−1/√α)"),
            15,
        )
        .build_cartesian_2d(0.0..0.42, (1e-5f64..0.1).log_scale())?;
        axes(&mut chart, "load α = P/N", "fraction of unstable bits", 13)
            .x_label_formatter(&decimal)
            .y_label_formatter(&power_label)
            .draw()?;
        let alpha = |p: usize| p as f64 / UNSTABLE_N as f64;
        chart
            .draw_series(LineSeries::new(
                r.unstable.iter().map(|&(p, _, exact)| (alpha(p), exact)),
                PALETTE[0].stroke_width(2),
            ))?
            .label("exact at N = 100 (binomial crosstalk)")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        let asymptote: Vec<(f64, f64)> = (2..=42)
            .map(|k| {
                let a = k as f64 / 100.0;
                Ok((a, unstable_asymptotic(a)?))
            })
            .collect::<crate::Result<Vec<_>>>()?
            .into_iter()
            .filter(|p| p.1 > 1e-5)
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                asymptote,
                6,
                4,
                PALETTE[1].stroke_width(2),
            ))?
            .label("large-N limit Φ(−1/√α)")
            .legend(legend_line(PALETTE[1].stroke_width(2)));
        for &(p, (m, se), _) in &r.unstable {
            let a = alpha(p);
            let lo = (m - 2.0 * se).max(1e-5);
            chart.draw_series(LineSeries::new(
                [(a, lo), (a, m + 2.0 * se)],
                BLACK.stroke_width(1),
            ))?;
            if m > 0.0 {
                chart.draw_series(std::iter::once(Circle::new((a, m), 3, BLACK.filled())))?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 12)
    })
}

/// Figure 3: retrieval against the load for growing N.
fn retrieval(r: &Results) -> Result<Figure> {
    draw("retrieval", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!(
                "Recall from a stored pattern: final overlap, mean of {RETRIEVAL_NETWORKS} networks"
            ),
            16,
        )
        .build_cartesian_2d(0.0..0.31, 0.0..1.02)?;
        axes(&mut chart, "load α = P/N", "final overlap m", 13)
            .x_label_formatter(&decimal)
            .y_label_formatter(&decimal)
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.138, 0.0), (0.138, 1.02)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?
            .label("α_c ≈ 0.138 (Amit, Gutfreund and Sompolinsky, N → ∞)")
            .legend(legend_line(BLACK.stroke_width(1)));
        for (k, (n, points)) in r.retrieval.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|&(a, m, _)| (a, m)),
                    PALETTE[k].stroke_width(2),
                ))?
                .label(format!("N = {n}"))
                .legend(legend_line(PALETTE[k].stroke_width(2)));
            chart.draw_series(
                points
                    .iter()
                    .map(|&(a, m, _)| Circle::new((a, m), 3, PALETTE[k].filled())),
            )?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 12)
    })
}

/// Figure 4: Cover's curve and random labelings.
fn cover(r: &Results) -> Result<Figure> {
    draw("cover", SIZE, |root| {
        let mut chart = chart_on(
            root,
            "Separable fraction of random labelings: Cover's count (lines) and random trials (points)",
            15,
        )
        .build_cartesian_2d(0.0..4.2, 0.0..1.02)?;
        axes(
            &mut chart,
            "points per dimension P/N",
            "fraction separable",
            13,
        )
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_label_formatter(&decimal)
        .draw()?;
        for (k, (n, points)) in r.cover.iter().enumerate() {
            let curve: Vec<(f64, f64)> = (1..=4 * n)
                .map(|p| Ok((p as f64 / *n as f64, cover_probability(p, *n)?)))
                .collect::<crate::Result<_>>()?;
            chart
                .draw_series(LineSeries::new(curve, PALETTE[k].stroke_width(2)))?
                .label(format!("N = {n}"))
                .legend(legend_line(PALETTE[k].stroke_width(2)));
            chart.draw_series(points.iter().map(|&(p, f, _)| {
                Circle::new((p as f64 / *n as f64, f), 4, PALETTE[k].filled())
            }))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 12)
    })
}

/// Figure 5: classical against modern retrieval.
fn memory(r: &Results) -> Result<Figure> {
    draw("memory", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!("Exact retrieval from cues with {} of {MEMORY_D} bits flipped: classical and modern Hopfield networks", crate::experiments::MEMORY_FLIPS),
            14,
        )
        .build_cartesian_2d((3.0f64..22000.0).log_scale(), 0.0..1.05)?;
        axes(
            &mut chart,
            "stored patterns M",
            "fraction of cues retrieved",
            13,
        )
        .x_label_formatter(&integer)
        .y_label_formatter(&decimal)
        .draw()?;
        let series = [
            ("classical (Hebbian weights, asynchronous recall)", 0usize),
            ("modern (one attention step, β = 1)", 1),
        ];
        for (label, k) in series {
            let points: Vec<(f64, f64)> = r
                .memory
                .iter()
                .map(|&(m, c, d)| (m as f64, if k == 0 { c } else { d }))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), PALETTE[k].stroke_width(2)))?
                .label(label)
                .legend(legend_line(PALETTE[k].stroke_width(2)));
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 4, PALETTE[k].filled())),
            )?;
        }
        let predicted: Vec<(f64, f64)> = r
            .memory
            .iter()
            .map(|&(m, _, _)| {
                Ok((
                    m as f64,
                    crate::modern::retrieval_prediction(
                        MEMORY_D,
                        crate::experiments::MEMORY_FLIPS,
                        m,
                    )?,
                ))
            })
            .collect::<crate::Result<_>>()?;
        chart
            .draw_series(DashedLineSeries::new(
                predicted,
                6,
                4,
                PALETTE[1].stroke_width(1),
            ))?
            .label("modern, predicted: no other pattern overlaps the cue as much")
            .legend(legend_line(PALETTE[1].stroke_width(1)));
        legend(&mut chart, SeriesLabelPosition::MiddleMiddle, 12)
    })
}

/// Every figure of the chapter.
pub fn all(s: &Settings) -> Result<Vec<Figure>> {
    with_results(s, |r| {
        Ok(vec![
            energy(r)?,
            unstable(r)?,
            retrieval(r)?,
            cover(r)?,
            memory(r)?,
        ])
    })
}
