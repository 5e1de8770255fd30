//! Building the HTML book in-process: mdBook with the book's preprocessor
//! and KaTeX registered as libraries, so nothing has to be installed.

use crate::preprocess::BookPreprocessor;
use mdbook_driver::MDBook;
use std::path::{Path, PathBuf};

/// Builds the book at `root` into `dest` (default: `book/` under the root,
/// as `book.toml` says), with the live experiments' module `wasm` (from
/// [`crate::live::build_wasm`]; without it the pages show their static
/// figures). Returns the folder with `index.html`.
pub fn build(root: &Path, dest: Option<&Path>, wasm: Option<&Path>) -> anyhow::Result<PathBuf> {
    let mut book = MDBook::load(root)?;
    if let Some(dest) = dest {
        book.config.build.build_dir = dest.to_path_buf();
    }
    // Registered under the names book.toml gives them, these replace the
    // external commands mdBook would otherwise look for on PATH.
    book.with_preprocessor(BookPreprocessor {
        root: root.to_path_buf(),
    });
    book.with_preprocessor(mdbook_katex::preprocess::KatexProcessor);
    book.build()?;
    let dir = book.build_dir_for("html");
    crate::live::write_glue(&dir, wasm)?;
    Ok(dir)
}
