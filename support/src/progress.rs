//! Progress of a long run on standard error: an `indicatif` bar, which
//! draws nothing when standard error is not a terminal, and without the
//! `cli` feature (a page) nothing at all.

/// A progress bar, or nothing.
pub struct Progress {
    #[cfg(feature = "cli")]
    bar: indicatif::ProgressBar,
}

impl Progress {
    /// A bar counting to `total`, labelled `message`.
    pub fn new(total: u64, message: &str) -> Progress {
        #[cfg(feature = "cli")]
        {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_message(message.to_string());
            Progress { bar }
        }
        #[cfg(not(feature = "cli"))]
        {
            let _ = (total, message);
            Progress {}
        }
    }

    /// A bar that never draws (a run too short to report on).
    pub fn hidden() -> Progress {
        Progress {
            #[cfg(feature = "cli")]
            bar: indicatif::ProgressBar::hidden(),
        }
    }

    /// Sets how much is done.
    pub fn set_position(&self, done: u64) {
        #[cfg(feature = "cli")]
        self.bar.set_position(done);
        #[cfg(not(feature = "cli"))]
        let _ = done;
    }

    /// Adds one to what is done.
    pub fn inc(&self) {
        #[cfg(feature = "cli")]
        self.bar.inc(1);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        #[cfg(feature = "cli")]
        self.bar.finish_and_clear();
    }
}
