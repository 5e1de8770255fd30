//! How long each live experiment's frames take natively at the book's
//! settings: the first frame (what the reader waits for after moving a
//! control) as a median, then one whole run's slowest frame and its frame
//! count. The pages run the same code as WebAssembly, somewhat slower; the
//! browser suite reports the times it sees there. `cargo bench -p
//! black-box-live`.

use black_box_live::WIDGETS;
use book_support::bench::report;
use std::time::{Duration, Instant};

fn main() {
    for w in WIDGETS {
        let book = w.book_settings();
        report(&format!("{}: first frame", w.id), 5, || {
            w.begin(&book).and_then(|mut run| run.advance()).expect("the book settings run")
        });
        let mut run = w.begin(&book).expect("the book settings start");
        let (mut slowest, mut frames) = (Duration::ZERO, 0);
        loop {
            let t = Instant::now();
            let view = run.advance().expect("a frame");
            slowest = slowest.max(t.elapsed());
            frames += 1;
            if view.done {
                break;
            }
        }
        println!("{:<48} slowest {slowest:>11.3?}   ({frames} frames)", format!("{}: whole run", w.id));
    }
}
