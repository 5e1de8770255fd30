//! The chapter's figures, drawn from the shared experiments.

use crate::experiments::{NORMALIZED_ETA, Results, Settings, with_results};
use crate::logistic::loss;
use crate::svm::angle;
use book_support::Figure;
use book_support::figure::{
    PALETTE, SIZE, axes, chart_on, draw, legend, legend_line, panel_on, power_label, two_panels,
};
use book_support::plotters::prelude::*;
use nalgebra::DVector;
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn decimal(x: &f64) -> String {
    format!("{:.1}", x + 0.0)
}

/// Figure 1: the angle to the max-margin direction.
fn angle_figure(r: &Results) -> Result<Figure> {
    let c = &r.convergence;
    let t_max = *c.gradient.steps.last().unwrap_or(&1) as f64;
    draw("angle", SIZE, |root| {
        let mut chart = chart_on(
            root,
            format!(
                "Angle between w(t) and the certified max-margin direction, {} separable points",
                c.points.len()
            ),
            16,
        )
        .build_cartesian_2d((1f64..t_max).log_scale(), (1e-7f64..1f64).log_scale())?;
        axes(&mut chart, "step t", "angle (radians)", 13)
            .x_label_formatter(&power_label)
            .y_label_formatter(&power_label)
            .draw()?;
        let measured = |w: &[DVector<f64>], steps: &[usize]| -> Vec<(f64, f64)> {
            steps
                .iter()
                .zip(w)
                .map(|(&t, w)| (t as f64, angle(w, &c.svm.w)))
                .collect()
        };
        chart
            .draw_series(LineSeries::new(
                measured(&c.gradient.w, &c.gradient.steps),
                PALETTE[0].stroke_width(2),
            ))?
            .label(format!("gradient descent, η = {:.2} = 1/β", c.eta))
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        let predicted: Vec<(f64, f64)> = c
            .gradient
            .steps
            .iter()
            .filter(|&&t| t >= 100)
            .map(|&t| (t as f64, c.asymptote.angle(t as f64)))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                predicted,
                6,
                4,
                PALETTE[0].stroke_width(2),
            ))?
            .label("predicted from the max-margin solution: angle(ŵ ln t + ρ, ŵ)")
            .legend(legend_line(PALETTE[0].stroke_width(1)));
        let normalized: Vec<(f64, f64)> = measured(&c.normalized.w, &c.normalized.steps)
            .into_iter()
            .filter(|p| p.1 > 1e-7)
            .collect();
        chart
            .draw_series(LineSeries::new(normalized, PALETTE[1].stroke_width(2)))?
            .label(format!("normalized steps of length {NORMALIZED_ETA}"))
            .legend(legend_line(PALETTE[1].stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 12)?;
        Ok(())
    })
}

/// Figure 2: the asymptotics beyond the direction.
fn asymptotics(r: &Results) -> Result<Figure> {
    let c = &r.convergence;
    let t_max = *c.gradient.steps.last().unwrap_or(&1) as f64;
    draw("asymptotics", SIZE, |root| {
        let (left, right) = two_panels(
            root,
            "Beyond the direction: w(t) ≈ ŵ ln t + ρ and t L(t) → ‖ŵ‖²/η",
            16,
        )?;
        let mut chart = panel_on(&left, "‖w(t)‖ against ln t", 14)
            .build_cartesian_2d(0f64..t_max.ln(), 0f64..(1.1 * c.asymptote.w(t_max).norm()))?;
        axes(&mut chart, "ln t", "‖w(t)‖", 12)
            .x_label_formatter(&decimal)
            .y_label_formatter(&decimal)
            .draw()?;
        let norms: Vec<(f64, f64)> = c
            .gradient
            .steps
            .iter()
            .zip(&c.gradient.w)
            .map(|(&t, w)| ((t as f64).ln(), w.norm()))
            .collect();
        chart
            .draw_series(LineSeries::new(norms, PALETTE[0].stroke_width(2)))?
            .label("gradient descent")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        // The prediction is asymptotic: draw it from t = 100 on.
        let line: Vec<(f64, f64)> = (0..=50)
            .map(|k| {
                let u = 100f64.ln() + (t_max.ln() - 100f64.ln()) * f64::from(k) / 50.0;
                (u, c.asymptote.w(u.exp()).norm())
            })
            .collect();
        chart
            .draw_series(DashedLineSeries::new(line, 6, 4, BLACK.stroke_width(1)))?
            .label("‖ŵ ln t + ρ‖ (from the SVM)")
            .legend(legend_line(BLACK.stroke_width(1)));
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 11)?;

        let limit = c.asymptote.loss_times_t;
        let mut chart = panel_on(&right, "t L(t)", 14)
            .build_cartesian_2d((1f64..t_max).log_scale(), 0f64..(1.2 * limit))?;
        axes(&mut chart, "step t", "t L(t)", 12)
            .x_label_formatter(&power_label)
            .y_label_formatter(&decimal)
            .draw()?;
        let tl: Vec<(f64, f64)> = c
            .gradient
            .steps
            .iter()
            .zip(&c.gradient.w)
            .map(|(&t, w)| (t as f64, t as f64 * loss(&c.points, w)))
            .collect();
        chart
            .draw_series(LineSeries::new(tl, PALETTE[0].stroke_width(2)))?
            .label("gradient descent")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        chart
            .draw_series(DashedLineSeries::new(
                [(1.0, limit), (t_max, limit)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?
            .label("limit ‖ŵ‖²/η (from the SVM)")
            .legend(legend_line(BLACK.stroke_width(1)));
        legend(&mut chart, SeriesLabelPosition::LowerRight, 11)?;
        Ok(())
    })
}

/// Figure 3: the geometry decides the bias.
fn geometry(r: &Results) -> Result<Figure> {
    let g = &r.geometry;
    draw("geometry", SIZE, |root| {
        let (left, right) = two_panels(
            root,
            "The norm of the descent decides which margin is maximized",
            16,
        )?;
        let z: Vec<(f64, f64)> = g.points.z().column_iter().map(|c| (c[0], c[1])).collect();
        let mut chart = panel_on(
            &left,
            "the points z_i = y_i x_i and the two max-margin directions",
            14,
        )
        .build_cartesian_2d(-0.5f64..3.5f64, -1.5f64..2.5f64)?;
        axes(&mut chart, "z₁", "z₂", 12)
            .x_label_formatter(&decimal)
            .y_label_formatter(&decimal)
            .draw()?;
        chart.draw_series(z.iter().map(|&p| Circle::new(p, 3, BLACK.filled())))?;
        let l2 = g.l2.direction();
        let l1 = DVector::from_vec(g.l1.to_vec());
        let l1 = &l1 / l1.norm();
        for (d, label, color) in [
            (l2, "L2 max margin (gradient descent)", PALETTE[0]),
            (l1, "L1 max margin (steepest L1 descent)", PALETTE[1]),
        ] {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0.0), (3.0 * d[0], 3.0 * d[1])],
                    color.stroke_width(2),
                ))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 11)?;
        let t_max = *g.gradient.steps.last().unwrap_or(&1) as f64;
        let mut chart = panel_on(&right, "angle to each max-margin direction", 14)
            .build_cartesian_2d((1f64..t_max).log_scale(), 0f64..0.7f64)?;
        axes(&mut chart, "step t", "angle (radians)", 12)
            .x_label_formatter(&power_label)
            .y_label_formatter(&decimal)
            .draw()?;
        let l1 = DVector::from_vec(g.l1.to_vec());
        let series = [
            (
                "gradient descent, to L2's",
                &g.gradient,
                &g.l2.w,
                PALETTE[0],
                false,
            ),
            (
                "gradient descent, to L1's",
                &g.gradient,
                &l1,
                PALETTE[0],
                true,
            ),
            (
                "steepest L1 descent, to L1's",
                &g.steepest_l1,
                &l1,
                PALETTE[1],
                false,
            ),
            (
                "steepest L1 descent, to L2's",
                &g.steepest_l1,
                &g.l2.w,
                PALETTE[1],
                true,
            ),
        ];
        for (label, run, target, color, dashed) in series {
            let points: Vec<(f64, f64)> = run
                .steps
                .iter()
                .zip(&run.w)
                .map(|(&t, w)| (t as f64, angle(w, target)))
                .collect();
            if dashed {
                chart
                    .draw_series(DashedLineSeries::new(points, 6, 4, color.stroke_width(2)))?
                    .label(label)
                    .legend(legend_line(color.stroke_width(1)));
            } else {
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                    .label(label)
                    .legend(legend_line(color.stroke_width(2)));
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 11)?;
        Ok(())
    })
}

/// Figure 4: the normalized margin of a homogeneous network.
fn network(r: &Results) -> Result<Figure> {
    let curve = &r.network;
    let t_max = curve.last().map_or(1.0, |p| p.0 as f64);
    draw("network-margin", SIZE, |root| {
        let mut chart = chart_on(
            root,
            "Two-layer ReLU network without biases, 40 points labelled by quadrant",
            16,
        )
        .build_cartesian_2d((1f64..t_max).log_scale(), -0.12f64..0.1f64)?;
        axes(&mut chart, "step t", "margin / ‖θ‖²", 13)
            .x_label_formatter(&power_label)
            .y_label_formatter(&|v| format!("{:.2}", (v * 100.0).round() / 100.0 + 0.0))
            .draw()?;
        let normalized: Vec<(f64, f64)> = curve.iter().map(|p| (p.0 as f64, p.2)).collect();
        let smoothed: Vec<(f64, f64)> = curve
            .iter()
            .filter(|p| p.3 > -0.12)
            .map(|p| (p.0 as f64, p.3))
            .collect();
        chart
            .draw_series(LineSeries::new(normalized, PALETTE[0].stroke_width(2)))?
            .label("normalized margin min_i y_i f(x_i) / ‖θ‖²")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        chart
            .draw_series(LineSeries::new(smoothed, PALETTE[1].stroke_width(2)))?
            .label("smoothed margin −ln(e^{nL} − 1) / ‖θ‖² (Lyu and Li)")
            .legend(legend_line(PALETTE[1].stroke_width(2)));
        if let Some(p) = curve.iter().find(|p| p.1 * 40.0 < std::f64::consts::LN_2) {
            let t = p.0 as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    [(t, -0.12), (t, 0.1)],
                    4,
                    4,
                    BLACK.stroke_width(1),
                ))?
                .label("n L < ln 2 from here: the theorem applies")
                .legend(legend_line(BLACK.stroke_width(1)));
        }
        chart.draw_series(LineSeries::new(
            [(1.0, 0.0), (t_max, 0.0)],
            BLACK.mix(0.5).stroke_width(1),
        ))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight, 12)?;
        Ok(())
    })
}

/// Figure 5: iris in the plane.
fn iris(r: &Results) -> Result<Figure> {
    let i = &r.iris;
    draw("iris", SIZE, |root| {
        let mut chart = chart_on(
            root,
            "Iris setosa (blue) and versicolor (orange) by their petals",
            16,
        )
        .build_cartesian_2d(0.5f64..5.5f64, -0.2f64..2.0f64)?;
        axes(&mut chart, "petal length (cm)", "petal width (cm)", 13)
            .x_label_formatter(&decimal)
            .y_label_formatter(&decimal)
            .draw()?;
        for (j, &y) in i.labels.iter().enumerate() {
            let color = if y > 0.0 { PALETTE[1] } else { PALETTE[0] };
            chart.draw_series([Circle::new((i.x[(0, j)], i.x[(1, j)]), 3, color.filled())])?;
        }
        let svs = i.svm.support_vectors(&i.points, 1e-6);
        chart
            .draw_series(
                svs.iter()
                    .map(|&j| Circle::new((i.x[(0, j)], i.x[(1, j)]), 7, BLACK.stroke_width(2))),
            )?
            .label("support vectors")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.stroke_width(2)));
        // The line w₁ l + w₂ w + w₃ = 0, drawn across the panel.
        let boundary = |w: &DVector<f64>| -> Vec<(f64, f64)> {
            (0..=100)
                .map(|k| {
                    let l = 0.5 + 5.0 * f64::from(k) / 100.0;
                    (l, -(w[0] * l + w[2]) / w[1])
                })
                .filter(|p| (-0.2..=2.0).contains(&p.1))
                .collect()
        };
        let (gd, ngd) = (i.gradient.w.last().unwrap(), i.normalized.w.last().unwrap());
        let lines = [
            (
                &i.svm.w,
                "max-margin line (certified solver)".to_string(),
                BLACK,
                2,
            ),
            (
                gd,
                format!(
                    "gradient descent after {} steps",
                    i.gradient.steps.last().unwrap()
                ),
                PALETTE[2],
                2,
            ),
            (
                ngd,
                format!(
                    "normalized descent after {} steps",
                    i.normalized.steps.last().unwrap()
                ),
                PALETTE[3],
                1,
            ),
        ];
        for (w, label, color, width) in lines {
            chart
                .draw_series(LineSeries::new(boundary(w), color.stroke_width(width)))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })
}

/// Every figure of the chapter for the given settings.
pub fn all(s: &Settings) -> Result<Vec<Figure>> {
    with_results(s, |r| {
        Ok(vec![
            angle_figure(r)?,
            asymptotics(r)?,
            geometry(r)?,
            network(r)?,
            iris(r)?,
        ])
    })
}
