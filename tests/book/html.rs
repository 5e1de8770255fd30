//! The built book, as files: it builds, fetches nothing from other hosts,
//! every local link and anchor resolves, math is typeset by KaTeX, search is
//! there, and every claim is rendered with its mark and has a ledger row.

use black_box::{build, html, ledger, root};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The book, built once for all tests of this module.
fn built() -> &'static PathBuf {
    static BOOK: OnceLock<PathBuf> = OnceLock::new();
    BOOK.get_or_init(|| {
        let dest = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("book");
        let _ = std::fs::remove_dir_all(&dest);
        build::build(&root(), Some(&dest), None).expect("the book builds")
    })
}

fn page(name: &str) -> String {
    std::fs::read_to_string(built().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn links_anchors_assets_and_math_are_sound() {
    let problems = html::check(built()).unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn chapters_have_typeset_math_and_no_run_button() {
    for chapter in black_box::CHAPTERS {
        let html = page(&format!("{}.html", chapter.slug));
        assert!(
            html.contains("class=\"katex\""),
            "{}: no KaTeX output",
            chapter.slug
        );
        assert!(
            !html.contains("play-button"),
            "{}: has a playground button",
            chapter.slug
        );
    }
}

#[test]
fn search_index_is_built() {
    let has_index = std::fs::read_dir(built()).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("searchindex")
    });
    assert!(has_index, "no search index in the built book");
}

#[test]
fn every_claim_is_rendered_with_a_mark_and_has_a_ledger_row() {
    let ledger = ledger::collect(&root()).unwrap();
    let ledger_page = page("appendix/ledger.html");
    for e in &ledger.entries {
        let chapter = page(&e.page.replace(".md", ".html"));
        let span = format!("<span class=\"claim\" id=\"claim-{}\">", e.claim.id);
        assert!(
            chapter.contains(&span),
            "claim `{}` is not rendered in {}",
            e.claim.id,
            e.page
        );
        assert!(
            chapter.contains(&format!("ledger.html#ledger-{}\"", e.claim.id)),
            "claim `{}` has no ledger mark",
            e.claim.id
        );
        assert!(
            ledger_page.contains(&format!("<tr id=\"ledger-{}\">", e.claim.id)),
            "claim `{}` has no ledger row",
            e.claim.id
        );
    }
}
