//! Chapter 1: a shallow ReLU network of `n` hat units interpolating
//! `sin(2πx)`, and its error against the interpolation bound.

use crate::{Control, Input, Readout, Series, Style, View, Widget, once};
use ch01_composition::{SINE_MAX_F2, hat_error, hat_net, interpolation_bound, sine_target};

pub const HAT_UNITS: Widget = Widget {
    id: "ch01-hat-units",
    caption: "Choose the number of hat units: the network's interpolant of sin(2πx), its knots, and its largest error against the bound h²/8 · max|f″|.",
    figure: "figures/ch01/hat-units.svg",
    controls: &[Control {
        name: "units",
        label: "hidden units n",
        input: Input::Range { min: 2.0, max: 256.0, step: 1.0 },
        book: 64.0,
    }],
    x_label: "x",
    y_label: "value",
    log_x: false,
    log_y: false,
    readouts: &[
        Readout { label: "largest error", claim: Some("hat-error-n64") },
        Readout { label: "error / bound", claim: Some("hat-ratio-n64") },
    ],
    start: |v| once(hat_units(v[0] as usize)),
};

fn hat_units(n: usize) -> Result<View, String> {
    let net = hat_net(sine_target, n).map_err(|e| e.to_string())?;
    let grid: Vec<f64> = (0..=400).map(|i| i as f64 / 400.0).collect();
    let target = grid.iter().map(|&x| [x, sine_target(x)]).collect();
    // The interpolant is linear between knots: its values there draw it.
    let knots: Vec<f64> = (0..=n).map(|j| j as f64 / n as f64).collect();
    let at_knots = net.eval_points(&knots).map_err(|e| e.to_string())?;
    let interpolant: Vec<[f64; 2]> = knots.iter().zip(&at_knots).map(|(&x, &y)| [x, y]).collect();
    let error = hat_error(sine_target, n).map_err(|e| e.to_string())?;
    Ok(View {
        series: vec![
            Series::new("sin(2πx)", Style::Line, target),
            Series::new(format!("network, {n} units"), Style::Dashed, interpolant.clone()),
            Series::new("knots", Style::Dots, if n <= 64 { interpolant } else { Vec::new() }),
        ],
        values: vec![error, error / interpolation_bound(n, SINE_MAX_F2)],
        note: format!("{} parameters", net.parameters()),
        done: true,
    })
}
