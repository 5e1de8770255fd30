//! The frames as JSON, written by hand: a dozen lines instead of serde in
//! the WebAssembly. Non-finite numbers, which JSON lacks, are written as
//! the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, which JavaScript's
//! `Number()` reads back.

use crate::{Style, View};
use std::fmt::Write as _;

fn number(out: &mut String, v: f64) {
    if v.is_finite() {
        // `{:?}` is the shortest text that reads back as the same double.
        let _ = write!(out, "{v:?}");
    } else if v.is_nan() {
        out.push_str("\"NaN\"");
    } else if v > 0.0 {
        out.push_str("\"Infinity\"");
    } else {
        out.push_str("\"-Infinity\"");
    }
}

fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn view(view: &View) -> String {
    let mut out = String::from("{\"series\":[");
    for (i, s) in view.series.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"label\":");
        string(&mut out, &s.label);
        let style = match s.style {
            Style::Line => "line",
            Style::Dashed => "dashed",
            Style::Dots => "dots",
        };
        let _ = write!(out, ",\"style\":\"{style}\",\"points\":[");
        for (j, [x, y]) in s.points.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            number(&mut out, *x);
            out.push(',');
            number(&mut out, *y);
        }
        out.push_str("]}");
    }
    out.push_str("],\"values\":[");
    for (i, v) in view.values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        number(&mut out, *v);
    }
    out.push_str("],\"note\":");
    string(&mut out, &view.note);
    let _ = write!(out, ",\"done\":{}}}", view.done);
    out
}

pub fn error(message: &str) -> String {
    let mut out = String::from("{\"error\":");
    string(&mut out, message);
    out.push('}');
    out
}
