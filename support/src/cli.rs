//! The command line every chapter binary shares: `cargo run --release -p
//! chNN-slug [--no-figures]` prints the chapter's headline results and
//! rewrites its figures. Chapters with their own flags flatten [`Output`]
//! into their own `clap` parser.

use crate::figure::{self, Figure};
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags about where a chapter's figures go.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Output {
    /// Do not write the chapter's figures.
    #[arg(long)]
    pub no_figures: bool,
    /// Write the figures here instead of `src/figures/chNN/`.
    #[arg(long, value_name = "DIR")]
    pub figures_dir: Option<PathBuf>,
}

/// What one chapter contributes to the runner.
pub struct Chapter {
    /// The crate name, `chNN-slug`.
    pub slug: &'static str,
    /// Prints the headline results.
    pub report: fn() -> Result<String, Box<dyn Error>>,
    /// Draws every figure of the chapter.
    pub figures: fn() -> Result<Vec<Figure>, Box<dyn Error>>,
}

impl Chapter {
    /// Runs the chapter: prints its report, then writes its figures unless
    /// told not to. Errors come back to the caller to report.
    pub fn run(&self, output: &Output) -> Result<(), Box<dyn Error>> {
        println!("== {} ==", self.slug);
        print!("{}", (self.report)()?);
        if !output.no_figures {
            let dir = output
                .figures_dir
                .clone()
                .unwrap_or_else(|| figure::directory(self.slug));
            write_figures(&dir, &(self.figures)()?)?;
        }
        Ok(())
    }

    /// The body of a chapter's `main`: parse the shared flags, run, and map
    /// the outcome to an exit status (2 for bad arguments, from clap; 1 for
    /// a failed run).
    pub fn main(&self) -> ExitCode {
        let output = self.parse(std::env::args_os()).unwrap_or_else(|e| e.exit());
        report_exit(self.run(&output))
    }

    /// Parses a chapter's command line (the program name first).
    pub fn parse<I, T>(&self, args: I) -> Result<Output, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{Args, Command, FromArgMatches};
        let command = Output::augment_args(Command::new(self.slug).about(format!(
            "Runs chapter {}: prints its headline results and rewrites its figures.",
            self.slug
        )));
        Output::from_arg_matches(&command.try_get_matches_from(args)?)
    }
}

/// Writes `figures` into `dir` and says how many changed.
pub fn write_figures(dir: &std::path::Path, figures: &[Figure]) -> Result<(), Box<dyn Error>> {
    let changed = figure::write_all(dir, figures)?;
    println!(
        "figures: {} drawn, {} rewritten in {}",
        figures.len(),
        changed.len(),
        dir.display()
    );
    Ok(())
}

/// Prints an error, if any, and turns it into an exit status.
pub fn report_exit(result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAPTER: Chapter = Chapter {
        slug: "ch00-test",
        report: || Ok(String::new()),
        figures: || Ok(Vec::new()),
    };

    #[test]
    fn parses_the_shared_flags() {
        let out = CHAPTER
            .parse(["ch00", "--no-figures", "--figures-dir", "/tmp/x"])
            .unwrap();
        assert!(out.no_figures);
        assert_eq!(out.figures_dir, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn bad_flags_are_usage_errors_with_status_2() {
        for args in [
            &["ch00", "--bogus"][..],
            &["ch00", "--figures-dir"],
            &["ch00", "extra"],
        ] {
            let err = CHAPTER.parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
