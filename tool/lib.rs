//! The book tool: everything about *Opening the Black Box* as a whole rather
//! than one chapter. It lists the chapters, collects the claims ledger, runs
//! the number lint, expands the book's markdown directives, builds the HTML
//! with mdBook and KaTeX in-process, checks the built pages and serves them.

pub mod browser;
pub mod browser_suite;
pub mod build;
pub mod html;
pub mod ledger;
pub mod lint;
pub mod live;
pub mod po;
pub mod preprocess;
pub mod search;
pub mod serve;
pub mod summary;
pub mod translation;

use book_support::cli::Chapter;
use std::path::{Path, PathBuf};

/// Every chapter, in book order. `tests/structure.rs` checks that this list,
/// `src/SUMMARY.md` and the crates under `chapters/` agree.
pub const CHAPTERS: &[Chapter] = &[
    ch01_composition::CHAPTER,
    ch02_softmax::CHAPTER,
    ch03_backprop::CHAPTER,
    ch04_initialization::CHAPTER,
    ch05_residual::CHAPTER,
    ch06_generalization::CHAPTER,
    ch07_implicit_bias::CHAPTER,
    ch08_physics::CHAPTER,
    ch09_memory::CHAPTER,
    ch10_trustworthy::CHAPTER,
];

/// The book's root folder (where `book.toml` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every markdown file under `root/src`, recursively, sorted, as paths
/// relative to the book root.
pub fn markdown_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("src")) {
        let path = entry?.into_path();
        if path.is_file() && path.extension().is_some_and(|e| e == "md") {
            files.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    files.sort();
    Ok(files)
}
