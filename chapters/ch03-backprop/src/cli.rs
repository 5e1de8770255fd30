//! The chapter's command line: the shared figure flags plus `--depth` and
//! `--seed` for the experiments. Bad values are clap errors (a message and
//! exit status 2).

use crate::experiments::Settings;
use book_support::cli::Output;
use book_support::figure;
use clap::Parser;
use std::error::Error;
use std::path::PathBuf;

/// Runs chapter 3 (backpropagation and the fate of gradients): prints its
/// headline results and rewrites its figures.
#[derive(Parser, Debug, Clone)]
#[command(name = "ch03-backprop")]
pub struct Cli {
    #[command(flatten)]
    pub output: Output,
    /// Depth L of the deep networks of the backward-signal experiment
    /// (figures 1 and 2) and of the report's products of gains, from 2 to
    /// 200. Figures for a depth other than the book's are written only with
    /// --figures-dir.
    #[arg(long, default_value_t = Settings::BOOK.depth, value_parser = parse_depth)]
    pub depth: usize,
    /// Offset added to every experiment's seed (0 reproduces the book).
    /// Figures for a seed other than the book's are written only with
    /// --figures-dir.
    #[arg(long, default_value_t = Settings::BOOK.seed)]
    pub seed: u64,
}

fn parse_depth(text: &str) -> Result<usize, String> {
    let depth: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    Settings { depth, seed: 0 }.check()?;
    Ok(depth)
}

impl Cli {
    /// The experiments' settings.
    pub fn settings(&self) -> Settings {
        Settings {
            depth: self.depth,
            seed: self.seed,
        }
    }

    /// Where the figures go: `--figures-dir` if given; otherwise the book's
    /// `src/figures/ch03/` for the book's settings, and nowhere (`None`)
    /// for other settings, so that the committed figures stay the book's.
    pub fn figures_destination(&self) -> Option<PathBuf> {
        match (&self.output.figures_dir, self.settings() == Settings::BOOK) {
            (Some(dir), _) => Some(dir.clone()),
            (None, true) => Some(figure::directory("ch03-backprop")),
            (None, false) => None,
        }
    }

    /// Prints the report and writes the figures: to `src/figures/ch03/` for
    /// the book's settings, elsewhere only when `--figures-dir` says where.
    pub fn run(&self) -> Result<(), Box<dyn Error>> {
        let settings = self.settings();
        println!("== ch03-backprop ==");
        print!("{}", crate::report_with(&settings)?);
        if self.output.no_figures {
            return Ok(());
        }
        let Some(dir) = self.figures_destination() else {
            println!(
                "figures: not written (--depth or --seed differ from the book's; \
                 pass --figures-dir DIR to write them there)"
            );
            return Ok(());
        };
        book_support::cli::write_figures(&dir, &crate::figures_with(&settings)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_books_settings() {
        let cli = Cli::try_parse_from(["ch03-backprop"]).unwrap();
        assert_eq!(cli.settings(), Settings::BOOK);
        let cli = Cli::try_parse_from([
            "ch03-backprop",
            "--depth",
            "30",
            "--seed",
            "18446744073709551615",
            "--no-figures",
        ])
        .unwrap();
        assert_eq!(
            cli.settings(),
            Settings {
                depth: 30,
                seed: u64::MAX
            }
        );
        assert!(cli.output.no_figures);
        for depth in ["2", "200"] {
            assert!(Cli::try_parse_from(["ch03-backprop", "--depth", depth]).is_ok());
        }
    }

    #[test]
    fn bad_values_are_usage_errors_with_status_2() {
        for args in [
            &["ch03-backprop", "--depth", "1"][..],
            &["ch03-backprop", "--depth", "201"],
            &["ch03-backprop", "--depth", "-5"],
            &["ch03-backprop", "--depth", "ten"],
            &["ch03-backprop", "--depth"],
            &["ch03-backprop", "--seed", "abc"],
            &["ch03-backprop", "--seed", "-1"],
            &["ch03-backprop", "--seed", "1.5"],
            &["ch03-backprop", "--bogus"],
            &["ch03-backprop", "extra"],
        ] {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
        let err = Cli::try_parse_from(["ch03-backprop", "--depth", "500"]).unwrap_err();
        assert!(err.to_string().contains("outside 2..=200"), "{err}");
    }

    #[test]
    fn other_settings_write_figures_only_when_told_where() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("ch03-backprop").chain(args.iter().copied()))
                .unwrap()
                .figures_destination()
        };
        let book = Some(figure::directory("ch03-backprop"));
        assert_eq!(parse(&[]), book);
        assert_eq!(parse(&["--depth", "100", "--seed", "0"]), book);
        assert_eq!(parse(&["--depth", "50"]), None);
        assert_eq!(parse(&["--seed", "1"]), None);
        let elsewhere = Some(PathBuf::from("/tmp/elsewhere"));
        assert_eq!(
            parse(&["--seed", "1", "--figures-dir", "/tmp/elsewhere"]),
            elsewhere
        );
        assert_eq!(parse(&["--figures-dir", "/tmp/elsewhere"]), elsewhere);
    }
}
