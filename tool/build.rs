//! Building the HTML book in-process: mdBook with the book's preprocessor
//! and KaTeX registered as libraries, so nothing has to be installed. The
//! English edition goes to `book/`, each translation to `book/<code>/`.

use crate::preprocess::BookPreprocessor;
use crate::translation::{ENGLISH, Edition, Strings, TRANSLATIONS};
use mdbook_driver::MDBook;
use std::path::{Path, PathBuf};

/// Builds every edition of the book at `root` into `dest` (default: `book/`
/// under the root, as `book.toml` says), with the live experiments' module
/// `wasm` (from [`crate::live::build_wasm`]; without it the pages show their
/// static figures). Returns the folder with the English `index.html`.
pub fn build(root: &Path, dest: Option<&Path>, wasm: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = build_edition(root, &ENGLISH, dest.map(Path::to_path_buf), wasm)?;
    for edition in TRANSLATIONS {
        build_edition(root, edition, Some(dir.join(edition.code)), wasm)?;
    }
    Ok(dir)
}

fn build_edition(
    root: &Path,
    edition: &Edition,
    dest: Option<PathBuf>,
    wasm: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let mut book = MDBook::load(root)?;
    if let Some(dest) = dest {
        book.config.build.build_dir = dest;
    }
    if *edition != ENGLISH {
        let words = Strings::load(root, edition, "interface")?;
        let book_config = &mut book.config.book;
        book_config.language = Some(edition.lang.to_string());
        book_config.title = book_config.title.as_deref().map(|t| words.get(t).to_string());
        book_config.description = book_config.description.as_deref().map(|t| words.get(t).to_string());
    }
    // Registered under the names book.toml gives them, these replace the
    // external commands mdBook would otherwise look for on PATH.
    book.with_preprocessor(BookPreprocessor {
        root: root.to_path_buf(),
        edition: *edition,
    });
    book.with_preprocessor(mdbook_katex::preprocess::KatexProcessor);
    book.build()?;
    let dir = book.build_dir_for("html");
    crate::live::write_glue(&dir, wasm)?;
    if *edition != ENGLISH {
        crate::translation::translate_figures(root, edition, &dir)?;
        crate::search::reindex(&dir)?;
    }
    Ok(dir)
}
