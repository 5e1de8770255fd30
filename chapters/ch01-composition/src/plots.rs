//! The chapter's figures, drawn in the house style.

use crate::compose::{
    cosine_deep_net, cosine_pieces_bound, cosine_target, shallow_units_within, square_net,
    square_pieces_bound, sup_error_square,
};
use crate::net::NetError;
use crate::sawtooth::{sawtooth_net, tent_net};
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

/// The folds drawn in the folding figure, and the points followed.
pub const FOLDS: usize = 2;
pub const FOLD_POINTS: usize = 16;

/// The midpoints `(i + ½) / 16` of sixteen equal cells of `[0, 1]`
/// followed through [`FOLDS`] applications of the tent map (the chapter's
/// network): one row of values per fold, the input first. Points placed
/// symmetrically about a fold land on the same value.
pub fn fold_rows() -> Result<Vec<Vec<f64>>, NetError> {
    let m = tent_net();
    let mut rows = vec![
        (0..FOLD_POINTS)
            .map(|i| (i as f64 + 0.5) / FOLD_POINTS as f64)
            .collect::<Vec<_>>(),
    ];
    for _ in 0..FOLDS {
        let next = m.eval_points(rows.last().expect("one row at least"))?;
        rows.push(next);
    }
    Ok(rows)
}

/// A weight or bias as the diagram prints it: halves as fractions.
fn weight_label(w: f64) -> String {
    if w.fract() == 0.0 {
        format!("{}", w as i64).replace('-', "−")
    } else if (2.0 * w).fract() == 0.0 {
        format!("{}/2", (2.0 * w) as i64).replace('-', "−")
    } else {
        format!("{w}")
    }
}

/// Figure 4: the tent map folds the interval (left), and the width-2
/// network that composes it (right), drawn from the chapter's own
/// `sawtooth_net`.
fn folding_figure() -> Result<Figure, Box<dyn Error>> {
    let rows = fold_rows()?;
    let k = 2u32;
    let net = sawtooth_net(k)?;
    draw("folding", (900, 440), |root| -> DrawResult {
        let (left, right) = root.split_horizontally(430);
        // Left: every point followed down through the folds.
        let levels = rows.len();
        let mut chart = ChartBuilder::on(&left)
            .caption(
                "Each fold maps both halves onto the whole interval",
                (FONT, 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.02..1.02, -0.3..(levels as f64 - 0.7))?;
        let names: Vec<String> = (0..levels)
            .map(|l| match l {
                0 => "x".to_string(),
                1 => "m(x)".to_string(),
                _ => format!("m^{l}(x)"),
            })
            .collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .x_labels(5)
            .y_labels(levels)
            .y_label_formatter(&|y| {
                let l = y.round();
                if (y - l).abs() < 1e-9 && l >= 0.0 && (l as usize) < levels {
                    names[levels - 1 - l as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_desc("position on [0, 1]")
            .label_style((FONT, 12))
            .draw()?;
        let y_of = |l: usize| (levels - 1 - l) as f64;
        for l in 0..levels {
            chart.draw_series(LineSeries::new(
                [(0.0, y_of(l)), (1.0, y_of(l))],
                BLACK.mix(0.5).stroke_width(1),
            ))?;
        }
        for i in 0..FOLD_POINTS {
            // Colour by the quarter of the input the point starts in.
            let quarter = (4 * i / FOLD_POINTS).min(3);
            let color = PALETTE[quarter];
            let path: Vec<(f64, f64)> = (0..levels).map(|l| (rows[l][i], y_of(l))).collect();
            chart.draw_series(LineSeries::new(
                path.clone(),
                color.mix(0.8).stroke_width(2),
            ))?;
            chart.draw_series(path.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
        }
        // Right: the network of m^2, layer by layer.
        let layers = net.layers();
        let columns = layers.len() + 1;
        let mut diagram = ChartBuilder::on(&right)
            .caption(
                format!("The width-2 network of m^{k}: weights on the edges, biases below"),
                (FONT, 15),
            )
            .margin(12)
            .build_cartesian_2d(-0.5..(columns as f64 - 0.5), -0.9..1.6)?;
        let node = |layer: usize, unit: usize, width: usize| -> (f64, f64) {
            let y = if width == 1 { 0.5 } else { 1.0 - unit as f64 };
            (layer as f64, y)
        };
        let widths: Vec<usize> = std::iter::once(net.input_dim())
            .chain(layers.iter().map(|l| l.width()))
            .collect();
        for (l, layer) in layers.iter().enumerate() {
            let w = layer.weights();
            for j in 0..w.nrows() {
                let to = node(l + 1, j, widths[l + 1]);
                for i in 0..w.ncols() {
                    let from = node(l, i, widths[l]);
                    diagram.draw_series(LineSeries::new(
                        [from, to],
                        BLACK.mix(0.45).stroke_width(1),
                    ))?;
                    // The label sits near the edge's source, where the
                    // edges leaving one unit are still apart.
                    let at = (
                        from.0 + 0.3 * (to.0 - from.0),
                        from.1 + 0.3 * (to.1 - from.1) + 0.07,
                    );
                    diagram.draw_series(std::iter::once(Text::new(
                        weight_label(w[(j, i)]),
                        at,
                        (FONT, 13).into_font().color(&PALETTE[1]),
                    )))?;
                }
                diagram.draw_series(std::iter::once(Text::new(
                    format!("b = {}", weight_label(layer.biases()[j])),
                    (to.0 - 0.2, to.1 - 0.16),
                    (FONT, 12).into_font().color(&BLACK.mix(0.7)),
                )))?;
            }
        }
        for (l, &width) in widths.iter().enumerate() {
            for u in 0..width {
                let p = node(l, u, width);
                diagram.draw_series(std::iter::once(Circle::new(p, 19, WHITE.filled())))?;
                diagram.draw_series(std::iter::once(Circle::new(
                    p,
                    19,
                    PALETTE[0].stroke_width(2),
                )))?;
                let (label, shift) = if l == 0 { ("x", 0.04) } else { ("ReLU", 0.13) };
                diagram.draw_series(std::iter::once(Text::new(
                    label,
                    (p.0 - shift, p.1 + 0.05),
                    (FONT, 11).into_font(),
                )))?;
            }
        }
        diagram.draw_series(std::iter::once(Text::new(
            format!(
                "{} layers, {} ReLU units, {} parameters; the output is m^{k}(x)",
                layers.len(),
                net.relu_units(),
                net.parameters()
            ),
            (-0.4, -0.75),
            (FONT, 12).into_font(),
        )))?;
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
        folding_figure()?,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What figure 4 says of the folds: after one, the points placed
    /// symmetrically about ½ coincide; after two, so do those symmetric
    /// about ¼ and ¾, so each value is shared by four points.
    #[test]
    fn symmetric_points_meet_at_each_fold() {
        let rows = fold_rows().unwrap();
        let n = FOLD_POINTS;
        for i in 0..n {
            assert_eq!(rows[1][i], rows[1][n - 1 - i]);
        }
        for i in 0..n / 2 {
            assert_eq!(rows[2][i], rows[2][n / 2 - 1 - i]);
        }
        let mut values = rows[2].clone();
        values.sort_by(f64::total_cmp);
        values.dedup();
        assert_eq!(values.len(), n / 4);
    }
}
