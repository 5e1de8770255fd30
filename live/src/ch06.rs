//! Chapter 6: ridge regression of the noisy curve with Legendre features,
//! λ moved along the chapter's grid: the fit, its training and validation
//! errors, and its effective number of parameters.

use crate::{Control, Input, Readout, Series, Style, View, Widget, once};
use ch06_generalization::experiments::curve_grid;
use ch06_generalization::{CurveTask, effective_df, polynomial_design, ridge, truth};

pub const RIDGE_LAMBDA: Widget = Widget {
    id: "ch06-ridge-lambda",
    caption: "Move λ along the grid of figure 1, and change the degree, the number of training points and the noise: the ridge fit against the true curve, its training and validation errors, and how many parameters it effectively uses.",
    figure: "figures/ch06/u-curve.svg",
    controls: &[
        Control {
            name: "lambda",
            label: "log₁₀ λ",
            input: Input::Range { min: -8.0, max: 2.0, step: 0.125 },
            book: -0.25,
        },
        Control {
            name: "degree",
            label: "degree",
            input: Input::Range { min: 1.0, max: 25.0, step: 1.0 },
            book: 20.0,
        },
        Control {
            name: "points",
            label: "training points n",
            input: Input::Range { min: 10.0, max: 100.0, step: 5.0 },
            book: 30.0,
        },
        Control {
            name: "noise",
            label: "noise σ",
            input: Input::Range { min: 0.0, max: 1.0, step: 0.05 },
            book: 0.3,
        },
    ],
    x_label: "t",
    y_label: "value",
    log_x: false,
    log_y: false,
    readouts: &[
        Readout { label: "λ", claim: Some("ridge-lambda-best") },
        Readout { label: "training error", claim: None },
        Readout { label: "validation error", claim: Some("ridge-val-best") },
        Readout { label: "effective parameters", claim: Some("ridge-df-best") },
    ],
    start: |v| once(ridge_fit(v[0], v[1] as usize, v[2] as usize, v[3])),
};

/// The fit is drawn clamped to `±CLIP`, the static figure's panel: at small
/// λ it swings far outside it between the training points.
const CLIP: f64 = 2.5;

fn ridge_fit(log_lambda: f64, degree: usize, points: usize, noise: f64) -> Result<View, String> {
    let text = |e: ch06_generalization::Error| e.to_string();
    // The chapter's grid, eight values a decade from 10⁻⁸ to 10²: the
    // control's steps, so that the book's setting is its best value.
    let lambda = curve_grid()[((log_lambda + 8.0) * 8.0).round() as usize];
    let task = CurveTask { train: points, degree, noise, ..CurveTask::BOOK };
    let (train, val) = task.splits().map_err(text)?;
    let fit = ridge(&train.data, lambda).map_err(text)?;
    let train_error = train.data.mse(&fit.w).map_err(text)?;
    let val_error = val.data.mse(&fit.w).map_err(text)?;
    let df = effective_df(&train.data.x, lambda).map_err(text)?;

    let ts: Vec<f64> = (0..=400).map(|i| -1.0 + f64::from(i) / 200.0).collect();
    let fitted = polynomial_design(&ts, degree) * &fit.w;
    let clipped = fitted.iter().any(|v| v.abs() > CLIP);
    let fit_points = ts
        .iter()
        .zip(fitted.iter())
        .filter(|(_, v)| v.is_finite())
        .map(|(&t, &v)| [t, v.clamp(-CLIP, CLIP)])
        .collect();
    let samples = train.t.iter().zip(train.data.y.iter()).map(|(&t, &y)| [t, y]).collect();
    let mut note = format!("λ = {lambda:.3e}, {} weights", degree + 1);
    if clipped {
        note.push_str(&format!("; the fit is clipped to ±{CLIP} on the chart"));
    }
    Ok(View {
        series: vec![
            Series::new("truth", Style::Line, ts.iter().map(|&t| [t, truth(t)]).collect()),
            Series::new(format!("ridge fit, degree {degree}"), Style::Dashed, fit_points),
            Series::new(format!("{points} training points"), Style::Dots, samples),
        ],
        values: vec![lambda, train_error, val_error, df],
        note,
        done: true,
    })
}
