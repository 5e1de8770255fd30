//! The widgets as the page uses them, natively. That their book values are
//! the claims' is checked book-wide, against the ledger (tests/book/live.rs).

use super::*;
use std::collections::HashSet;

#[test]
fn every_widget_is_well_formed_and_runs_at_the_book_settings() {
    let mut ids = HashSet::new();
    for w in WIDGETS {
        assert!(ids.insert(w.id), "{} twice", w.id);
        assert!(w.id.starts_with("ch") && w.id.as_bytes()[4] == b'-', "{}", w.id);
        assert!(!w.controls.is_empty() && w.controls.len() <= MAX_CONTROLS, "{}", w.id);
        let names: HashSet<_> = w.controls.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), w.controls.len(), "{}: control names", w.id);
        let frame = w.begin(&w.book_settings()).and_then(|mut run| run.advance()).unwrap();
        w.check_frame(&frame).unwrap();
    }
}

#[test]
fn bad_settings_are_refused_with_a_message() {
    let w = &WIDGETS[0];
    let mut values = w.book_settings();
    assert!(w.check(&values).is_ok());
    assert!(w.check(&values[1..]).unwrap_err().contains("settings"));
    for bad in [f64::NAN, f64::INFINITY, -1e9, 1e9] {
        values[0] = bad;
        assert!(w.begin(&values).is_err(), "{bad}");
    }
}

#[test]
fn the_exports_answer_in_json() {
    let w = &WIDGETS[0];
    let v = w.book_settings();
    let len = live_start(0, v[0], 0.0, 0.0, 0.0) as usize;
    let text = last_output();
    assert_eq!(text.len(), len);
    assert_eq!(live_output(), OUTPUT.with(|o| o.borrow().as_ptr()));
    assert!(text.starts_with("{\"series\":[{\"label\":") && text.ends_with("\"done\":true}"), "{text}");
    // A finished run has no frames left; an unknown widget is an error.
    live_advance(0);
    assert!(last_output().contains("\"error\":\"this run has finished\""));
    live_start(WIDGETS.len() as u32, 0.0, 0.0, 0.0, 0.0);
    assert!(last_output().starts_with("{\"error\":"));
}

#[test]
fn json_writes_non_finite_numbers_as_strings_and_escapes_text() {
    let view = View {
        series: vec![Series::new("a \"b\"\n", Style::Dots, vec![[1.5, f64::NAN]])],
        values: vec![f64::INFINITY, f64::NEG_INFINITY, 0.1],
        note: String::new(),
        done: false,
    };
    assert_eq!(
        json::view(&view),
        r#"{"series":[{"label":"a \"b\"\u000a","style":"dots","points":[1.5,"NaN"]}],"values":["Infinity","-Infinity",0.1],"note":"","done":false}"#
    );
}
