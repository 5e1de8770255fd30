//! `black-box`: the book tool. With no command it does everything a reader
//! needs on a fresh machine: runs every chapter (headline results and
//! figures), then builds the book into `book/`.

use black_box::{CHAPTERS, browser, browser_suite, build, html, ledger, lint, live, root, serve, translation};
use book_support::cli::{Output, report_exit, write_figures};
use clap::{Parser, Subcommand};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Opening the Black Box: run every chapter, draw every figure, build and check the book."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run every chapter and build the book (what no command does).
    All,
    /// Run every chapter: print its headline results and rewrite its figures.
    Run {
        #[command(flatten)]
        output: Output,
    },
    /// Rewrite every chapter's figures without printing results.
    Figures,
    /// Build the HTML book.
    Build {
        /// Where to write the book (default: book/).
        #[arg(long, value_name = "DIR")]
        dest: Option<PathBuf>,
    },
    /// List every claim: id, value, tolerance, where declared, checks.
    Claims {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Find numbers in the prose that are neither claims nor exempt.
    Lint,
    /// Check a built book: local links and anchors, remote assets, raw math.
    Check {
        /// The built book (default: book/).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check the built book in headless Chromium, as readers see it, and
    /// write screenshots of every chapter to target/screenshots/.
    Browser {
        /// The built book (default: book/).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Bring every translation's catalogs (po/<language>/) up to date with
    /// the English pages, keeping every translation, and say how far each
    /// page is translated.
    Translations {
        /// Only check: list every untranslated, fuzzy, stale or invalid
        /// entry and every bare number in the translations; write nothing.
        #[arg(long)]
        check: bool,
    },
    /// Serve the built book on localhost.
    Serve {
        /// The port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// The built book (default: book/).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse(); // bad arguments: message and exit status 2
    report_exit(run(cli.command.unwrap_or(Command::All)))
}

fn run(command: Command) -> Result<(), Box<dyn Error>> {
    let root = root();
    let book_dir = || root.join("book");
    match command {
        Command::All => {
            run_chapters(&Output::default())?;
            let dir = build::build(&root, None, wasm(&root).as_deref())?;
            println!("\nbook built: open {}", dir.join("index.html").display());
        }
        Command::Run { output } => run_chapters(&output)?,
        Command::Figures => {
            // The book's figures, written as a chapter's run writes them.
            for chapter in CHAPTERS {
                let dir = book_support::figure::directory(chapter.slug);
                print!("{}: ", chapter.slug);
                write_figures(&dir, &(chapter.figures)()?)?;
            }
        }
        Command::Build { dest } => {
            let dir = build::build(&root, dest.as_deref(), wasm(&root).as_deref())?;
            println!("book built: open {}", dir.join("index.html").display());
        }
        Command::Claims { json } => {
            let ledger = ledger::collect(&root)?;
            if json {
                println!("{}", ledger.to_json());
            } else {
                print!("{}", ledger.to_text());
                println!("{} claims", ledger.entries.len());
            }
            fail_on(ledger.problems(), "ledger")?;
        }
        Command::Lint => {
            let mut problems = Vec::new();
            for file in black_box::markdown_files(&root)? {
                let text = std::fs::read_to_string(root.join(&file))?;
                for f in lint::lint(&text) {
                    problems.push(format!(
                        "{}:{}: bare number `{}` in \"{}\"",
                        file.display(),
                        f.line,
                        f.number,
                        f.context
                    ));
                }
            }
            fail_on(problems, "lint")?;
            println!("lint: every number in the prose is a claim or exempt");
        }
        Command::Check { dir } => {
            let dir = built_book(dir.unwrap_or_else(book_dir))?;
            fail_on(html::check(&dir)?, "check")?;
            println!(
                "check: {} pages, every link and anchor resolves",
                html::pages(&dir)?.len()
            );
        }
        Command::Browser { dir } => {
            let chromium = browser::find_chromium()?;
            let dir = built_book(dir.unwrap_or_else(book_dir))?;
            let shots = root.join("target/screenshots");
            let outcome = browser_suite::run(&chromium, &dir, &shots)?;
            for f in &outcome.failures {
                eprintln!("FAILED {f}");
            }
            println!(
                "screenshots: {} in {}",
                outcome.screenshots,
                shots.display()
            );
            println!(
                "browser: {} passed, {} failed",
                outcome.passed,
                outcome.failures.len()
            );
            if !outcome.failures.is_empty() {
                return Err("browser checks failed".into());
            }
        }
        Command::Translations { check: true } => {
            let mut problems = Vec::new();
            for edition in translation::TRANSLATIONS {
                problems.extend(translation::problems(&root, edition)?);
            }
            fail_on(problems, "translations")?;
            println!("translations: every page is translated and current");
        }
        Command::Translations { check: false } => {
            for edition in translation::TRANSLATIONS {
                let pages = translation::update(&root, edition)?;
                for (page, p) in &pages {
                    println!(
                        "{}: {} translated, {} fuzzy, {} untranslated",
                        translation::catalog_path(Path::new(""), edition, page).display(),
                        p.translated,
                        p.fuzzy,
                        p.untranslated
                    );
                }
            }
        }
        Command::Serve { port, dir } => serve::serve(&dir.unwrap_or_else(book_dir), port)?,
    }
    Ok(())
}

/// The live experiments built for the browser, or none, with the reason
/// and what to do (the book then shows its static figures).
fn wasm(root: &Path) -> Option<PathBuf> {
    match live::build_wasm(root) {
        Ok(wasm) => {
            println!("live experiments: {}", wasm.display());
            Some(wasm)
        }
        Err(why) => {
            eprintln!("live experiments left out: {why}. The pages show their static figures instead.");
            None
        }
    }
}

fn run_chapters(output: &Output) -> Result<(), Box<dyn Error>> {
    for chapter in CHAPTERS {
        chapter.run(output)?;
        println!();
    }
    Ok(())
}

/// `dir` if it holds a built book, else an error that says how to build one.
fn built_book(dir: PathBuf) -> Result<PathBuf, Box<dyn Error>> {
    if dir.join("index.html").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "no built book in {} (run `cargo run --release -- build`)",
            dir.display()
        )
        .into())
    }
}

fn fail_on(problems: Vec<String>, what: &str) -> Result<(), Box<dyn Error>> {
    for p in &problems {
        eprintln!("{p}");
    }
    match problems.len() {
        0 => Ok(()),
        n => Err(format!("{what}: {n} problem(s)").into()),
    }
}
