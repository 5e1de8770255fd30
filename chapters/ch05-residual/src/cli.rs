//! The chapter's command line: the shared figure flags, and `--depth`,
//! `--seed` and `--survival` for the experiments. A bad value is a clap
//! error: a message and exit status 2.

use crate::experiments::Settings;
use book_support::cli::Output;
use clap::Parser;
use std::error::Error;
use std::path::PathBuf;

/// Runs chapter 5 (residual networks and stochastic depth): prints its
/// headline results and rewrites its figures.
#[derive(Parser, Debug, Clone)]
#[command(name = "ch05-residual")]
pub struct Cli {
    #[command(flatten)]
    pub output: Output,
    /// Depth of the deepest plain and residual networks trained, and of the
    /// gradient norms at initialization (2 to 1000). Figures for settings
    /// other than the book's are written only with --figures-dir.
    #[arg(long, default_value_t = Settings::BOOK.depth, value_parser = depth)]
    pub depth: usize,
    /// Offset added to every experiment's seed (0 reproduces the book).
    #[arg(long, default_value_t = Settings::BOOK.seed)]
    pub seed: u64,
    /// Survival probability p_L of the last block under stochastic depth,
    /// in (0, 1].
    #[arg(long, default_value_t = Settings::BOOK.survival, value_parser = survival)]
    pub survival: f64,
}

fn depth(text: &str) -> Result<usize, String> {
    let depth = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    Settings {
        depth,
        ..Settings::BOOK
    }
    .check()?;
    Ok(depth)
}

fn survival(text: &str) -> Result<f64, String> {
    let p = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    crate::stochastic::check_survival(p).map_err(|e| e.to_string())?;
    Ok(p)
}

impl Cli {
    /// The settings the flags ask for.
    pub fn settings(&self) -> Settings {
        Settings {
            depth: self.depth,
            seed: self.seed,
            survival: self.survival,
        }
    }

    /// Where the figures go: `--figures-dir` if given, else the book's
    /// folder for the book's settings, else nowhere.
    pub fn figures_destination(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.output.figures_dir {
            return Some(dir.clone());
        }
        (self.settings() == Settings::BOOK)
            .then(|| book_support::figure::directory("ch05-residual"))
    }

    /// Prints the report and writes the figures.
    pub fn run(&self) -> Result<(), Box<dyn Error>> {
        let s = self.settings();
        println!("== ch05-residual ==");
        print!("{}", crate::report_with(&s)?);
        if self.output.no_figures {
            return Ok(());
        }
        match self.figures_destination() {
            Some(dir) => book_support::cli::write_figures(&dir, &crate::figures_with(&s)?),
            None => {
                println!(
                    "figures: not written (settings differ from the book's; pass --figures-dir DIR)"
                );
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("ch05-residual").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_and_good_values() {
        assert_eq!(parse(&[]).unwrap().settings(), Settings::BOOK);
        let cli = parse(&["--depth", "2", "--seed", "7", "--survival", "1"]).unwrap();
        assert_eq!(
            cli.settings(),
            Settings {
                depth: 2,
                seed: 7,
                survival: 1.0
            }
        );
        assert_eq!(cli.figures_destination(), None);
        let cli = parse(&["--survival", "0.2", "--figures-dir", "/tmp/f"]).unwrap();
        assert_eq!(cli.figures_destination(), Some(PathBuf::from("/tmp/f")));
        assert!(parse(&[]).unwrap().figures_destination().is_some());
    }

    #[test]
    fn bad_values_are_usage_errors_with_status_2() {
        for args in [
            &["--depth", "1"][..],
            &["--depth", "1001"],
            &["--depth", "-3"],
            &["--depth", "many"],
            &["--seed", "-1"],
            &["--seed", "x"],
            &["--survival", "0"],
            &["--survival", "1.5"],
            &["--survival", "-0.5"],
            &["--survival", "NaN"],
            &["--survival", "inf"],
            &["--survival", "half"],
            &["--bogus"],
            &["extra"],
        ] {
            let err = parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
        let err = parse(&["--survival", "1.5"]).unwrap_err().to_string();
        assert!(err.contains("outside (0, 1]"), "{err}");
        let err = parse(&["--depth", "5000"]).unwrap_err().to_string();
        assert!(err.contains("outside 2..=1000"), "{err}");
    }
}
