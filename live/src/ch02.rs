//! Chapter 2: the softmax of `z = (1, 2, 3) + c` across temperatures, by the
//! stable formula and by the textbook one, which returns NaN once an
//! exponential overflows or every one underflows.

use crate::{Control, Input, Readout, Series, Style, View, Widget, once};
use ch02_softmax::exercises::softmax_with_temperature;
use ch02_softmax::{last_true, naive_softmax};

pub const TEMPERATURE: Widget = Widget {
    id: "ch02-temperature",
    caption: "Choose the temperature T and a shift c added to every logit of z = (1, 2, 3): the stable softmax of (z + c)/T does not move with c, while the textbook formula (dots) turns to NaN once its exponentials overflow or all underflow.",
    figure: "figures/ch02/softmax-temperature.svg",
    controls: &[
        Control {
            name: "log_t",
            label: "log₁₀ T",
            input: Input::Range { min: -2.0, max: 2.0, step: 0.1 },
            book: 0.0,
        },
        Control {
            name: "shift",
            label: "shift c",
            input: Input::Range { min: -1000.0, max: 1000.0, step: 10.0 },
            book: 0.0,
        },
    ],
    x_label: "temperature T",
    y_label: "probability",
    log_x: true,
    log_y: false,
    readouts: &[
        Readout { label: "p₁", claim: Some("softmax-1-2-3-first") },
        Readout { label: "p₂", claim: Some("softmax-1-2-3-second") },
        Readout { label: "p₃", claim: Some("softmax-1-2-3-third") },
        Readout { label: "p₃, textbook formula", claim: None },
    ],
    start: |v| once(temperature(v[0], v[1])),
};

/// `10^(k/10)`, exactly a power of ten at whole decades: at the book's
/// setting `T = 1`, and `softmax_with_temperature` divides the logits by
/// exactly one, so its result is the bits of the doctest's
/// `softmax(&[1.0, 2.0, 3.0])`.
fn power_of_ten(tenths: i32) -> f64 {
    if tenths % 10 == 0 {
        10f64.powi(tenths / 10)
    } else {
        10f64.powf(f64::from(tenths) / 10.0)
    }
}

fn temperature(log_t: f64, shift: f64) -> Result<View, String> {
    let t = power_of_ten((log_t * 10.0).round() as i32);
    let z = [1.0 + shift, 2.0 + shift, 3.0 + shift];
    let stable = |t: f64| softmax_with_temperature(&z, t).map_err(|e| e.to_string());
    // The textbook formula on the same scaled logits z / T.
    let naive = |t: f64| naive_softmax(&z.iter().map(|v| v / t).collect::<Vec<_>>());
    // The figure's grid, 201 temperatures over four decades; the textbook
    // formula on every fifth.
    let grid: Vec<f64> = (0..=200).map(|i| 10f64.powf(-2.0 + 4.0 * i as f64 / 200.0)).collect();
    let mut curves = vec![Vec::new(); 3];
    for &ti in &grid {
        for (curve, p) in curves.iter_mut().zip(stable(ti)?) {
            curve.push([ti, p]);
        }
    }
    // NaN entries (0/0, inf/inf) cannot be drawn: they leave gaps.
    let dots: Vec<[f64; 2]> = grid
        .iter()
        .step_by(5)
        .flat_map(|&ti| naive(ti).into_iter().map(move |p| [ti, p]))
        .filter(|[_, p]| p.is_finite())
        .collect();
    let fails = |t: f64| naive(t).iter().any(|p| p.is_nan());
    let (lo, hi) = (grid[0], grid[grid.len() - 1]);
    let note = match last_true(&fails, lo, hi) {
        Some(edge) => format!("textbook formula: NaN for T up to {edge:.3}"),
        None if fails(hi) => "textbook formula: NaN at every temperature shown".to_string(),
        None => "textbook formula: finite at every temperature shown".to_string(),
    };
    let p = stable(t)?;
    let mut series: Vec<Series> = curves
        .into_iter()
        .zip(["p₁", "p₂", "p₃"])
        .map(|(c, label)| Series::new(label, Style::Line, c))
        .collect();
    series.push(Series::new("uniform, 1/3", Style::Dashed, vec![[lo, 1.0 / 3.0], [hi, 1.0 / 3.0]]));
    series.push(Series::new("textbook formula", Style::Dots, dots));
    series.push(Series::new(format!("T = {t:.3}"), Style::Dashed, vec![[t, 0.0], [t, 1.0]]));
    Ok(View {
        series,
        values: vec![p[0], p[1], p[2], naive(t)[2]],
        note,
        done: true,
    })
}
