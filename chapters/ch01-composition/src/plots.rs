//! The chapter's figures, drawn in the house style.

use crate::compose::{
    cosine_deep_net, cosine_pieces_bound, cosine_target, shallow_units_within, square_net,
    square_pieces_bound, sup_error_square,
};
use crate::net::NetError;
use crate::sawtooth::sawtooth_net;
use crate::universal::{
    SINE_MAX_F2, grid_error_2d, hat, hat_error, hat_net, interpolation_bound, loglog_slope,
    sine_target, sine_target_2d, uniform_grid,
};
use book_support::Figure;
use book_support::figure::{
    DrawResult, FONT, PALETTE, SIZE, axes, draw, integer, legend, legend_line, power_label,
};
use book_support::plotters::prelude::*;
use std::error::Error;

/// The widths of the universal-approximation experiment: `n = 2^4 .. 2^12`.
pub fn hat_widths() -> Vec<usize> {
    (4..=12).map(|j| 1usize << j).collect()
}

/// The interpolation error of the sine target at each width of
/// [`hat_widths`], and the fitted log-log slope.
pub fn hat_error_curve() -> Result<(Vec<usize>, Vec<f64>, f64), NetError> {
    let ns = hat_widths();
    let errors = ns
        .iter()
        .map(|&n| hat_error(sine_target, n))
        .collect::<Result<Vec<_>, _>>()?;
    let xs: Vec<f64> = ns.iter().map(|&n| n as f64).collect();
    let slope = loglog_slope(&xs, &errors)?;
    Ok((ns, errors, slope))
}

fn hat_units() -> Result<Figure, Box<dyn Error>> {
    let n = 6;
    let h = 1.0 / n as f64;
    let knots = uniform_grid(n)?;
    let net = hat_net(sine_target, n)?;
    let xs: Vec<f64> = (0..=600).map(|i| i as f64 / 600.0).collect();
    let interp = net.eval_points(&xs)?;
    draw("hat-units", SIZE, |root| -> DrawResult {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "One hidden layer: a sum of hats interpolates sin(2πx) (n = 6)",
                (FONT, 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..1.0, -1.2..1.2)?;
        axes(&mut chart, "x", "value", 13).draw()?;
        for (j, &t) in knots.iter().enumerate() {
            let c = sine_target(t);
            let pts: Vec<(f64, f64)> = xs.iter().map(|&x| (x, c * hat(x, t, h))).collect();
            let series =
                chart.draw_series(DashedLineSeries::new(pts, 4, 4, PALETTE[2].stroke_width(1)))?;
            if j == 0 {
                series
                    .label("scaled hat units f(t_j) H_j(x)")
                    .legend(legend_line(PALETTE[2].stroke_width(1)));
            }
        }
        chart
            .draw_series(LineSeries::new(
                xs.iter().map(|&x| (x, sine_target(x))),
                PALETTE[0].stroke_width(2),
            ))?
            .label("target sin(2πx)")
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                xs.iter().copied().zip(interp.iter().copied()),
                PALETTE[1].stroke_width(2),
            ))?
            .label("network = sum of hats")
            .legend(legend_line(PALETTE[1].stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
        Ok(())
    })
}

fn hat_error_figure() -> Result<Figure, Box<dyn Error>> {
    let (ns, errors, slope) = hat_error_curve()?;
    let measured: Vec<(f64, f64)> = ns
        .iter()
        .map(|&n| n as f64)
        .zip(errors.iter().copied())
        .collect();
    let bound: Vec<(f64, f64)> = ns
        .iter()
        .map(|&n| (n as f64, interpolation_bound(n, SINE_MAX_F2)))
        .collect();
    draw("hat-error", SIZE, |root| -> DrawResult {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Interpolation error of the hat network falls like 1/n²",
                (FONT, 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((10.0..6000.0).log_scale(), (1e-7..1e-1).log_scale())?;
        axes(
            &mut chart,
            "hidden units n (log scale)",
            "max error on [0, 1] (log scale)",
            13,
        )
        .x_label_formatter(&integer)
        .y_label_formatter(&power_label)
        .draw()?;
        chart
            .draw_series(LineSeries::new(
                measured.clone(),
                PALETTE[0].stroke_width(2),
            ))?
            .label(format!("measured, least-squares slope {slope:.3}"))
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        chart.draw_series(
            measured
                .iter()
                .map(|&p| Circle::new(p, 4, PALETTE[0].filled())),
        )?;
        // Drawn last: the measured curve lies almost on the bound.
        chart
            .draw_series(DashedLineSeries::new(
                bound,
                6,
                6,
                PALETTE[1].stroke_width(2),
            ))?
            .label("bound h²/8 · max|f''| = π²/(2n²)")
            .legend(legend_line(PALETTE[1].stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
        Ok(())
    })
}

fn sawtooth_figure() -> Result<Figure, Box<dyn Error>> {
    let mut curves = Vec::new();
    for k in 1..=4u32 {
        let f = sawtooth_net(k)?.to_pwl(0.0, 1.0)?;
        let pts: Vec<(f64, f64)> = f
            .knots()
            .iter()
            .map(|&x| (x, f.eval(x).expect("knots lie in the domain")))
            .collect();
        curves.push((k, f.pieces(), pts));
    }
    draw("sawtooth", SIZE, |root| -> DrawResult {
        let root = root.titled(
            "The tent map composed k times: 2^k linear pieces from width 2",
            (FONT, 18),
        )?;
        for (area, (k, pieces, pts)) in root.split_evenly((2, 2)).iter().zip(&curves) {
            let mut chart = ChartBuilder::on(area)
                .caption(format!("m^{k}: {pieces} pieces"), (FONT, 15))
                .margin(8)
                .x_label_area_size(30)
                .y_label_area_size(36)
                .build_cartesian_2d(0.0..1.0, 0.0..1.05)?;
            axes(&mut chart, "x", "m^k(x)", 12)
                .x_labels(5)
                .y_labels(3)
                .draw()?;
            chart.draw_series(LineSeries::new(
                pts.clone(),
                PALETTE[(*k as usize - 1) % PALETTE.len()].stroke_width(2),
            ))?;
        }
        Ok(())
    })
}

/// Points (parameters, max error) of one curve.
pub type Series = Vec<(f64, f64)>;

/// Deep squaring networks, uniform shallow interpolants, and the shallow
/// lower bound, as (parameters, max error on `[0, 1]`).
pub fn square_series() -> Result<(Series, Series, Series), NetError> {
    let mut deep = Vec::new();
    for d in 1..=16 {
        let net = square_net(d)?;
        deep.push((
            net.parameters() as f64,
            sup_error_square(&net.to_pwl(0.0, 1.0)?),
        ));
    }
    let (mut shallow, mut bound) = (Vec::new(), Vec::new());
    for n in geometric(1, 8000) {
        let net = hat_net(|x| x * x, n)?;
        let params = net.parameters() as f64;
        shallow.push((params, sup_error_square(&net.to_pwl(0.0, 1.0)?)));
        bound.push((
            params,
            square_pieces_bound(shallow_units_within(net.parameters()) + 1),
        ));
    }
    Ok((deep, shallow, bound))
}

/// The oscillation exponent of the cosine comparison: the target is
/// `cos(2^k π x)` with `k = 10`.
pub const COSINE_K: u32 = 10;

/// Deep matched networks, uniform shallow interpolants and the shallow
/// lower bound (where positive) for `cos(2^10 π x)`, as (parameters, max
/// error on `[0, 1]`).
pub fn cosine_series() -> Result<(Series, Series, Series), NetError> {
    let target = cosine_target(COSINE_K)?;
    let mut deep = Vec::new();
    for n in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128] {
        let net = cosine_deep_net(COSINE_K, n)?;
        deep.push((
            net.parameters() as f64,
            net.to_pwl(0.0, 1.0)?.sup_distance(target),
        ));
    }
    let (mut shallow, mut bound) = (Vec::new(), Vec::new());
    for n in geometric(1, 70_000) {
        let net = hat_net(target, n)?;
        let params = net.parameters() as f64;
        shallow.push((params, net.to_pwl(0.0, 1.0)?.sup_distance(target)));
        let b = cosine_pieces_bound(n + 1, COSINE_K);
        if b > 0.0 {
            bound.push((params, b));
        }
    }
    Ok((deep, shallow, bound))
}

/// Integers from `lo` to about `hi`, spaced by a factor of about 1.25.
fn geometric(lo: usize, hi: usize) -> Vec<usize> {
    let mut out = vec![lo];
    while *out.last().expect("starts non-empty") < hi {
        let last = *out.last().expect("starts non-empty");
        out.push((last as f64 * 1.25).ceil().max(last as f64 + 1.0) as usize);
    }
    out
}

fn comparison(
    name: &'static str,
    caption: &str,
    (deep, shallow, bound): (Series, Series, Series),
    labels: [&str; 3],
    y_range: std::ops::Range<f64>,
    legend_at: SeriesLabelPosition,
) -> Result<Figure, Box<dyn Error>> {
    draw(name, SIZE, |root| -> DrawResult {
        let mut chart = ChartBuilder::on(root)
            .caption(caption, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((4.0..300_000.0).log_scale(), y_range.log_scale())?;
        axes(
            &mut chart,
            "parameters (log scale)",
            "max error on [0, 1] (log scale)",
            13,
        )
        .y_label_formatter(&power_label)
        .x_label_formatter(&power_label)
        .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                bound,
                6,
                4,
                PALETTE[3].stroke_width(2),
            ))?
            .label(labels[2])
            .legend(legend_line(PALETTE[3].stroke_width(2)));
        chart
            .draw_series(LineSeries::new(shallow, PALETTE[1].stroke_width(2)))?
            .label(labels[1])
            .legend(legend_line(PALETTE[1].stroke_width(2)));
        chart
            .draw_series(LineSeries::new(deep.clone(), PALETTE[0].stroke_width(2)))?
            .label(labels[0])
            .legend(legend_line(PALETTE[0].stroke_width(2)));
        chart.draw_series(deep.iter().map(|&p| Circle::new(p, 3, PALETTE[0].filled())))?;
        legend(&mut chart, legend_at, 13)?;
        Ok(())
    })
}

/// Every figure of the chapter.
/// Cells per side of the dimension comparison.
pub const DIMENSION_CELLS: [usize; 6] = [16, 32, 64, 128, 256, 512];

/// Sample points per cell side for the two-dimensional error.
pub const DIMENSION_SAMPLES: usize = 9;

/// For each number of cells per side `n`: the maximum error of the
/// piecewise-linear interpolant of the sine target on the line (`n` tiles)
/// and of the product target on the square (`n²` tiles).
pub fn dimension_curves() -> Result<Vec<(usize, f64, f64)>, NetError> {
    DIMENSION_CELLS
        .iter()
        .map(|&n| {
            Ok((
                n,
                hat_error(sine_target, n)?,
                grid_error_2d(sine_target_2d, n, DIMENSION_SAMPLES)?,
            ))
        })
        .collect()
}

/// The curse of dimension: error against the number of tiles on the line
/// and on the square.
fn dimension_figure() -> Result<Figure, Box<dyn Error>> {
    let rows = dimension_curves()?;
    let line: Vec<(f64, f64)> = rows.iter().map(|&(n, e, _)| (n as f64, e)).collect();
    let square: Vec<(f64, f64)> = rows.iter().map(|&(n, _, e)| ((n * n) as f64, e)).collect();
    draw("curse-of-dimension", SIZE, |root| -> DrawResult {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Piecewise-linear tiles: error against the number of tiles, on a line and on a square",
                (FONT, 16),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((10.0..400_000.0).log_scale(), (1e-5..0.1).log_scale())?;
        axes(
            &mut chart,
            "tiles N (log scale)",
            "max error (log scale)",
            13,
        )
        .x_label_formatter(&integer)
        .y_label_formatter(&power_label)
        .draw()?;
        for (points, color, label) in [
            (line, PALETTE[0], "line, sin 2πx: error ∝ N^−2"),
            (square, PALETTE[1], "square, sin 2πx sin 2πy: error ∝ N^−1"),
        ] {
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(label)
                .legend(legend_line(color.stroke_width(2)));
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
        Ok(())
    })
}

pub fn all() -> Result<Vec<Figure>, Box<dyn Error>> {
    Ok(vec![
        hat_units()?,
        hat_error_figure()?,
        dimension_figure()?,
        sawtooth_figure()?,
        comparison(
            "square-deep-vs-shallow",
            "Approximating x² on [0, 1]: deep composition vs one hidden layer",
            square_series()?,
            [
                "deep: x − Σ m^s(x)/4^s, width 3",
                "shallow: uniform interpolant",
                "shallow: lower bound for any weights",
            ],
            1e-11..1.0,
            SeriesLabelPosition::UpperRight,
        )?,
        comparison(
            "cosine-deep-vs-shallow",
            "Approximating cos(2¹⁰πx): matched deep network vs one hidden layer",
            cosine_series()?,
            [
                "deep: cos(πt) interpolant after m^10",
                "shallow: uniform interpolant",
                "shallow: lower bound for any weights",
            ],
            1e-6..4.0,
            SeriesLabelPosition::LowerLeft,
        )?,
    ])
}
