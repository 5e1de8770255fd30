//! A tiny benchmark harness: run a closure many times and report the median
//! and the spread, in release builds (`cargo bench -p chNN-slug`, with
//! `harness = false`). Timing belongs here, never in a test.

use std::time::{Duration, Instant};

/// Timing of one benchmark: the median of `samples` runs and the quartiles.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub median: Duration,
    pub q1: Duration,
    pub q3: Duration,
    pub samples: usize,
}

impl Timing {
    /// Median seconds per run.
    pub fn seconds(&self) -> f64 {
        self.median.as_secs_f64()
    }
}

/// Runs `f` once to warm up, then `samples` times, and returns the timing.
pub fn measure<T>(samples: usize, mut f: impl FnMut() -> T) -> Timing {
    assert!(samples > 0, "a benchmark needs at least one sample");
    std::hint::black_box(f());
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    Timing {
        median: times[samples / 2],
        q1: times[samples / 4],
        q3: times[3 * samples / 4],
        samples,
    }
}

/// Measures and prints one line: name, median and interquartile range.
pub fn report<T>(name: &str, samples: usize, f: impl FnMut() -> T) -> Timing {
    let t = measure(samples, f);
    println!(
        "{name:<48} median {:>12.3?}   (IQR {:.3?} .. {:.3?}, n = {})",
        t.median, t.q1, t.q3, t.samples
    );
    t
}
