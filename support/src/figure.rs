//! Figures: SVG charts drawn with plotters, in one house style.
//!
//! Every figure is drawn into a string (no files, no fonts: the browser
//! renders the text), on an opaque white background so it reads in the dark
//! themes too. The same inputs give the same bytes, so a test can compare the
//! committed file with what the code draws now.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::error::Error;
use std::path::{Path, PathBuf};

/// A drawn figure: its file stem (`name.svg`) and its SVG text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    pub name: &'static str,
    pub svg: String,
}

/// What drawing code may fail with.
pub type DrawResult = Result<(), Box<dyn Error>>;

/// Default size of a figure in pixels (width, height).
pub const SIZE: (u32, u32) = (720, 440);

/// A colour-blind-safe palette (Okabe and Ito), for series in a fixed order.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
];

/// The opacity of the minor grid lines (the major ones are 0.15).
pub const GRID_MINOR: f64 = 0.04;

/// The font family of titles and labels.
pub const FONT: &str = "sans-serif";

/// Draws a figure of `size` pixels: fills the background, runs `draw`, and
/// returns the SVG text.
pub fn draw(
    name: &'static str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> Result<Figure, Box<dyn Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(Figure { name, svg })
}

/// Draws `values` as a histogram normalized to unit area (a density): `bins`
/// bins of `width` from `lo`, translucent in `color`, with a legend entry.
/// Values outside the bins are counted in the normalization but not drawn,
/// so the bars show the density of the whole sample.
pub fn density_histogram<DB>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    values: &[f64],
    (lo, width, bins): (f64, f64, usize),
    color: RGBColor,
    label: String,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut counts = vec![0usize; bins];
    for &v in values {
        let b = ((v - lo) / width).floor();
        if b >= 0.0 && (b as usize) < bins {
            counts[b as usize] += 1;
        }
    }
    let scale = 1.0 / (values.len() as f64 * width);
    // A light fill and the outline of the bars' tops as a solid step line:
    // where two histograms overlap, both outlines stay visible and the
    // fills do not mix into a muddy third colour.
    let fill = color.mix(0.18).filled();
    chart.draw_series(counts.iter().enumerate().map(|(b, &c)| {
        let x0 = lo + b as f64 * width;
        Rectangle::new([(x0, 0.0), (x0 + width, c as f64 * scale)], fill)
    }))?;
    let mut outline = vec![(lo, 0.0)];
    for (b, &c) in counts.iter().enumerate() {
        let (x0, h) = (lo + b as f64 * width, c as f64 * scale);
        outline.extend([(x0, h), (x0 + width, h)]);
    }
    outline.push((lo + bins as f64 * width, 0.0));
    chart
        .draw_series(LineSeries::new(outline, color.stroke_width(2)))?
        .label(label)
        .legend(move |(x, y)| {
            Rectangle::new(
                [(x, y - 5), (x + 20, y + 5)],
                ShapeStyle::from(color).stroke_width(2),
            )
        });
    Ok(())
}

/// Draws the legend of `chart` in the house style: at `position`, labels
/// of `font_size` pixels on a nearly opaque white box with a black border.
pub fn legend<'a, DB>(
    chart: &mut ChartContext<'a, DB, impl CoordTranslate>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    legend_with_border(chart, position, font_size, BLACK)
}

/// [`legend`] with another border.
pub fn legend_with_border<'a, DB>(
    chart: &mut ChartContext<'a, DB, impl CoordTranslate>,
    position: SeriesLabelPosition,
    font_size: u32,
    border: impl Into<ShapeStyle>,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, font_size))
        .background_style(WHITE.mix(0.9))
        .border_style(border)
        .draw()?;
    Ok(())
}

/// The legend mark of a line series: a segment 20 pixels long in `style`.
pub fn legend_line(style: impl Into<ShapeStyle>) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    let style = style.into();
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style)
}

/// A tick label rounded to a whole number: `12`, `-3`.
pub fn integer(x: &f64) -> String {
    format!("{x:.0}")
}

/// A tick label for a log axis, as a power of ten: `1e-5`, `3e-7`.
pub fn power_label(x: &f64) -> String {
    format!("{x:.0e}")
}

/// A chart on a whole figure in the house layout: a title of `title_size`
/// pixels, a margin of 12 and room for the tick labels and axis names.
pub fn chart_on<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: impl AsRef<str>,
    title_size: u32,
) -> ChartBuilder<'a, 'b, DB> {
    builder(area, title, title_size, (12, 45, 60))
}

/// A titled chart with `margin` and label areas of `x_area` below and
/// `y_area` to the left, in pixels.
fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: impl AsRef<str>,
    title_size: u32,
    (margin, x_area, y_area): (u32, u32, u32),
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, (FONT, title_size))
        .margin(margin)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area);
    builder
}

/// A part of a figure to draw on.
pub type Area<DB> = DrawingArea<DB, Shift>;

/// Splits a figure into two panels side by side under one `title` of
/// `title_size` pixels; draw each with [`panel_on`].
pub fn two_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    title_size: u32,
) -> Result<(Area<DB>, Area<DB>), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let width = root.dim_in_pixel().0;
    Ok(root
        .titled(title, (FONT, title_size))?
        .split_horizontally(width / 2))
}

/// A chart on one panel of [`two_panels`]: [`chart_on`] with less room.
pub fn panel_on<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: impl AsRef<str>,
    title_size: u32,
) -> ChartBuilder<'a, 'b, DB> {
    builder(area, title, title_size, (10, 42, 52))
}

/// The axes of `chart` in the house style: their names, tick labels and
/// names in `font_size` pixels, a grid at the labelled ticks and a faint
/// minor grid between them (so the grid never competes with the data, in
/// print or on screen). Add formatters and call `draw`.
pub fn axes<'a, 'b, X, Y, DB>(
    chart: &'b mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    font_size: u32,
) -> MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
    DB: DrawingBackend,
{
    let mut mesh = chart.configure_mesh();
    // The axis names take the tick labels' style unless told otherwise.
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, font_size))
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(BLACK.mix(GRID_MINOR));
    mesh
}

/// Where a chapter's figures live: `src/figures/chNN/` under the workspace.
pub fn directory(slug: &str) -> PathBuf {
    let number = slug.split('-').next().unwrap_or(slug);
    crate::workspace_root().join("src/figures").join(number)
}

/// Writes each figure to `dir/name.svg`, creating `dir` if needed. A file is
/// rewritten only when its bytes change; returns the paths that changed.
pub fn write_all(dir: &Path, figures: &[Figure]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut changed = Vec::new();
    for figure in figures {
        let path = dir.join(format!("{}.svg", figure.name));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(figure.svg.as_str()) {
            std::fs::write(&path, &figure.svg)?;
            changed.push(path);
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Figure {
        draw("sample", (200, 100), |root| {
            let mut chart = ChartBuilder::on(root)
                .caption("t", (FONT, 14))
                .x_label_area_size(20)
                .y_label_area_size(20)
                .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
            chart.configure_mesh().draw()?;
            chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], PALETTE[0]))?;
            Ok(())
        })
        .unwrap()
    }

    #[test]
    fn drawing_is_deterministic_and_opaque() {
        let (a, b) = (sample(), sample());
        assert_eq!(a, b);
        assert!(
            a.svg.contains("<svg") && a.svg.contains(r##"fill="#FFFFFF""##),
            "{}",
            a.svg
        );
    }

    #[test]
    fn write_all_rewrites_only_changed_files() {
        let dir = std::env::temp_dir().join(format!("figure-test-{}", std::process::id()));
        let fig = sample();
        assert_eq!(
            write_all(&dir, std::slice::from_ref(&fig)).unwrap().len(),
            1
        );
        assert!(write_all(&dir, &[fig]).unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn directory_uses_the_chapter_number() {
        assert!(directory("ch02-softmax").ends_with("src/figures/ch02"));
    }
}
