//! The chapter contract and its one run flow.
//!
//! A chapter declares its settings once, as a `clap` argument struct whose
//! `Default` reproduces the book ([`Settings`]), or none at all
//! ([`Chapter::new`]). `cargo run --release -p chNN-slug [--seed 3 ...]`
//! parses those settings beside the shared [`Output`] flags; `cargo run
//! --release -- run` runs every chapter with its defaults. Both go through
//! [`run`]: print the report, then write the figures.

use crate::figure::{self, Figure};
use std::error::Error;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// What a chapter's code may fail with.
pub type Outcome<T> = Result<T, Box<dyn Error>>;

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

/// A chapter's settings: the flags of its command line, as a `clap`
/// argument struct whose [`Default`] is the book's run, and what the
/// chapter computes from them.
pub trait Settings: clap::Args + clap::FromArgMatches + Default + PartialEq + 'static {
    /// The headline results for these settings.
    fn report(&self) -> Outcome<String>;
    /// Every figure of the chapter for these settings.
    fn figures(&self) -> Outcome<Vec<Figure>>;
}

/// What one chapter contributes to the runner. Built with [`Chapter::new`]
/// or [`Chapter::with_settings`], so that the fields always agree.
pub struct Chapter {
    /// The crate name, `chNN-slug`.
    pub slug: &'static str,
    /// The headline results with the book's settings.
    pub report: fn() -> Outcome<String>,
    /// Every figure of the chapter with the book's settings.
    pub figures: fn() -> Outcome<Vec<Figure>>,
    /// Parses a command line into settings (`None`: the chapter has none,
    /// so it runs as `report` and `figures` say) and the output flags.
    parse: fn(&'static str, Vec<OsString>) -> Result<Parsed, clap::Error>,
}

/// A parsed command line.
type Parsed = (Option<Box<dyn Work>>, Output);

/// What [`run`] needs of a chapter: its report and figures, and whether
/// they are the book's (only those may go to `src/figures/` by default).
trait Work {
    fn report(&self) -> Outcome<String>;
    fn figures(&self) -> Outcome<Vec<Figure>>;
    fn is_book(&self) -> bool;
}

impl<S: Settings> Work for S {
    fn report(&self) -> Outcome<String> {
        Settings::report(self)
    }
    fn figures(&self) -> Outcome<Vec<Figure>> {
        Settings::figures(self)
    }
    fn is_book(&self) -> bool {
        *self == S::default()
    }
}

impl Work for Chapter {
    fn report(&self) -> Outcome<String> {
        (self.report)()
    }
    fn figures(&self) -> Outcome<Vec<Figure>> {
        (self.figures)()
    }
    fn is_book(&self) -> bool {
        true
    }
}

/// The settings of a chapter that has none: it always runs as the book
/// shows it, and its command line has only the [`Output`] flags.
#[derive(clap::Args, Clone, Copy, Debug, Default, PartialEq, Eq)]
struct NoSettings {}

impl Chapter {
    /// A chapter without settings.
    pub const fn new(
        slug: &'static str,
        report: fn() -> Outcome<String>,
        figures: fn() -> Outcome<Vec<Figure>>,
    ) -> Self {
        Chapter {
            slug,
            report,
            figures,
            parse: parse_without_settings,
        }
    }

    /// A chapter whose command line sets `S`; `report` and `figures` are
    /// those of `S::default()`.
    pub const fn with_settings<S: Settings>(slug: &'static str) -> Self {
        Chapter {
            slug,
            report: book_report::<S>,
            figures: book_figures::<S>,
            parse: parse_with_settings::<S>,
        }
    }

    /// Runs the chapter with the book's settings (what `cargo run --release
    /// -- run` does for each chapter).
    pub fn run(&self, output: &Output) -> Outcome<()> {
        run(self.slug, self, output)
    }

    /// Runs the chapter from a command line (the program name first): the
    /// chapter's settings and the [`Output`] flags. Bad arguments are a
    /// `clap` error (exit status 2).
    pub fn run_args<I, T>(&self, args: I) -> Result<Outcome<()>, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let (settings, output) =
            (self.parse)(self.slug, args.into_iter().map(Into::into).collect())?;
        Ok(match settings {
            Some(settings) => run(self.slug, settings.as_ref(), &output),
            None => run(self.slug, self, &output),
        })
    }

    /// The body of a chapter's `main`: parse the command line, run, and map
    /// the outcome to an exit status (2 for bad arguments, from clap, with
    /// its message; 1 for a failed run).
    pub fn main(&self) -> ExitCode {
        let outcome = self
            .run_args(std::env::args_os())
            .unwrap_or_else(|e| e.exit());
        report_exit(outcome)
    }
}

fn book_report<S: Settings>() -> Outcome<String> {
    S::default().report()
}

fn book_figures<S: Settings>() -> Outcome<Vec<Figure>> {
    S::default().figures()
}

fn parse_without_settings(slug: &'static str, args: Vec<OsString>) -> Result<Parsed, clap::Error> {
    let (NoSettings {}, output) = parse::<NoSettings>(slug, args)?;
    Ok((None, output))
}

fn parse_with_settings<S: Settings>(
    slug: &'static str,
    args: Vec<OsString>,
) -> Result<Parsed, clap::Error> {
    let (settings, output) = parse::<S>(slug, args)?;
    Ok((Some(Box::new(settings)), output))
}

/// Parses a chapter's command line (the program name first) into its
/// settings `S` and the [`Output`] flags.
pub fn parse<S>(slug: &'static str, args: Vec<OsString>) -> Result<(S, Output), clap::Error>
where
    S: clap::Args + clap::FromArgMatches,
{
    use clap::{Args, Command, FromArgMatches};
    // The about text last: `augment_args` sets the structs' doc comments.
    let command = Output::augment_args(S::augment_args(Command::new(slug)))
        .about(format!(
            "Runs chapter {slug}: prints its headline results and rewrites its figures."
        ))
        .long_about(None);
    let matches = command.try_get_matches_from(args)?;
    Ok((
        S::from_arg_matches(&matches)?,
        Output::from_arg_matches(&matches)?,
    ))
}

/// A whole number in `range`, for a setting's clap `value_parser`: the
/// error, which clap prints before exiting with status 2, says which rule
/// failed (`name` names the setting in it).
pub fn whole_number_in(
    text: &str,
    range: std::ops::RangeInclusive<usize>,
    name: &str,
) -> Result<usize, String> {
    let value: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    if !range.contains(&value) {
        return Err(format!(
            "{name} {value} is outside {}..={}",
            range.start(),
            range.end()
        ));
    }
    Ok(value)
}

/// Where the figures of a run go: `--figures-dir` if given; otherwise the
/// chapter's `src/figures/chNN/` for the book's settings, and nowhere
/// (`None`) for other settings, so that the committed figures stay the
/// book's.
pub fn figures_destination(slug: &str, is_book: bool, output: &Output) -> Option<PathBuf> {
    match (&output.figures_dir, is_book) {
        (Some(dir), _) => Some(dir.clone()),
        (None, true) => Some(figure::directory(slug)),
        (None, false) => None,
    }
}

/// The one run flow: prints the chapter's report, then writes its figures
/// (unless `--no-figures`) where [`figures_destination`] says.
fn run(slug: &str, work: &dyn Work, output: &Output) -> Outcome<()> {
    println!("== {slug} ==");
    print!("{}", work.report()?);
    if output.no_figures {
        return Ok(());
    }
    match figures_destination(slug, work.is_book(), output) {
        Some(dir) => write_figures(&dir, &work.figures()?),
        None => {
            println!(
                "figures: not written (the settings differ from the book's; \
                 pass --figures-dir DIR to write them there)"
            );
            Ok(())
        }
    }
}

/// Writes `figures` into `dir` and says how many changed.
pub fn write_figures(dir: &std::path::Path, figures: &[Figure]) -> Outcome<()> {
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
pub fn report_exit(result: Outcome<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Helpers for a chapter's command-line tests (`tests/cli.rs`), which run
/// the chapter's binary as a reader runs it.
pub mod testing {
    use std::process::{Command, Output};

    /// Runs `binary` (a path, as `env!("CARGO_BIN_EXE_…")` gives it) with `args`.
    pub fn run(binary: &str, args: &[&str]) -> Output {
        Command::new(binary)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"))
    }

    /// Runs `binary` with `args`, requires success, and returns its
    /// standard output; on failure panics with both streams.
    pub fn run_ok(binary: &str, args: &[&str]) -> String {
        let out = run(binary, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?} failed:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Each `(args, says)` must be a usage error: exit status 2, a message
    /// on standard error that contains `says`, no panic, and nothing on
    /// standard output (nothing ran). Write `--flag=value` for a negative
    /// value, so that it is not read as a flag.
    pub fn assert_usage_errors(binary: &str, cases: &[(&[&str], &str)]) {
        for (args, says) in cases {
            let out = run(binary, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains("error:") && stderr.contains(says) && !stderr.contains("panicked"),
                "{args:?}: expected `{says}` in {stderr}"
            );
            assert!(out.stdout.is_empty(), "{args:?}: something ran");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    const PLAIN: Chapter = Chapter::new("ch00-test", || Ok(String::new()), || Ok(Vec::new()));

    /// The last `level` a [`Test`] settings ran its figures with.
    static DRAWN_AT: AtomicU64 = AtomicU64::new(u64::MAX);

    #[derive(clap::Args, Debug, PartialEq)]
    struct Test {
        /// A number, 3 in the book, at most 9.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(..=9))]
        level: u64,
    }

    impl Default for Test {
        fn default() -> Self {
            Test { level: 3 }
        }
    }

    impl Settings for Test {
        fn report(&self) -> Outcome<String> {
            Ok(format!("level {}\n", self.level))
        }
        fn figures(&self) -> Outcome<Vec<Figure>> {
            DRAWN_AT.store(self.level, Ordering::SeqCst);
            Ok(Vec::new())
        }
    }

    const WITH: Chapter = Chapter::with_settings::<Test>("ch00-test");

    fn args(list: &[&str]) -> Vec<OsString> {
        std::iter::once("ch00")
            .chain(list.iter().copied())
            .map(Into::into)
            .collect()
    }

    #[test]
    fn parses_the_shared_flags_and_the_settings() {
        let (NoSettings {}, out) = parse("ch00-test", args(&["--no-figures"])).unwrap();
        assert!(out.no_figures && out.figures_dir.is_none());
        let (s, out) =
            parse::<Test>("ch00-test", args(&["--level", "7", "--figures-dir", "/x"])).unwrap();
        assert_eq!(s, Test { level: 7 });
        assert_eq!(out.figures_dir, Some(PathBuf::from("/x")));
        let (s, _) = parse::<Test>("ch00-test", args(&[])).unwrap();
        assert_eq!(s, Test::default());
    }

    #[test]
    fn bad_flags_are_usage_errors_with_status_2() {
        for list in [
            &["--bogus"][..],
            &["--figures-dir"],
            &["extra"],
            &["--level", "3"],
        ] {
            let err = PLAIN.run_args(args(list)).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{list:?}");
        }
        for list in [&["--level", "10"][..], &["--level", "x"], &["--level"]] {
            let err = WITH.run_args(args(list)).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{list:?}");
        }
    }

    #[test]
    fn only_the_books_settings_write_to_the_book_by_default() {
        let out = |list: &[&str]| parse::<Test>("ch02-x", args(list)).unwrap();
        let destination = |list: &[&str]| {
            let (s, o) = out(list);
            figures_destination("ch02-x", Work::is_book(&s), &o)
        };
        let book = Some(figure::directory("ch02-x"));
        assert_eq!(destination(&[]), book);
        assert_eq!(destination(&["--level", "3"]), book);
        assert_eq!(destination(&["--level", "4"]), None);
        let elsewhere = Some(PathBuf::from("/tmp/elsewhere"));
        assert_eq!(
            destination(&["--level", "4", "--figures-dir", "/tmp/elsewhere"]),
            elsewhere
        );
        assert_eq!(destination(&["--figures-dir", "/tmp/elsewhere"]), elsewhere);
        assert!(Work::is_book(&PLAIN));
    }

    #[test]
    fn the_runner_and_the_command_line_share_the_flow() {
        let dir = std::env::temp_dir().join(format!("cli-test-{}", std::process::id()));
        let dir_flag = dir.to_str().unwrap();
        // The command line with other settings draws with them...
        WITH.run_args(args(&["--level", "5", "--figures-dir", dir_flag]))
            .unwrap()
            .unwrap();
        assert_eq!(DRAWN_AT.load(Ordering::SeqCst), 5);
        // ...and with them but no directory draws nothing.
        DRAWN_AT.store(u64::MAX, Ordering::SeqCst);
        WITH.run_args(args(&["--level", "6"])).unwrap().unwrap();
        assert_eq!(DRAWN_AT.load(Ordering::SeqCst), u64::MAX);
        // The runner uses the defaults.
        let to_dir = Output {
            no_figures: false,
            figures_dir: Some(dir.clone()),
        };
        WITH.run(&to_dir).unwrap();
        assert_eq!(DRAWN_AT.load(Ordering::SeqCst), 3);
        assert_eq!((WITH.report)().unwrap(), "level 3\n");
        PLAIN.run(&to_dir).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
