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

/// The values of `<tag id="...">` ids in a page, in order.
fn ids(html: &str, tag: &str) -> Vec<String> {
    html::tags(html)
        .into_iter()
        .filter(|t| t.name == tag)
        .filter_map(|t| t.attr("id").map(str::to_string))
        .collect()
}

/// Each claim's rendered value and ledger link, by claim id, sorted (a
/// translation may reorder the claims of a sentence).
fn claims(html: &str) -> Vec<(String, String)> {
    let mut claims: Vec<(String, String)> = html
        .match_indices("<span class=\"claim\" id=\"")
        .map(|(at, _)| {
            let rest = &html[at..];
            let end = rest.find("</a></span>").unwrap_or(rest.len());
            let span = &rest[..end];
            // The mark's title and label are words of the edition; the id,
            // the value and the link are the same in every edition.
            let id = span.split('"').nth(3).unwrap_or("").to_string();
            let value = span.split_once('>').map_or("", |(_, r)| r.split("<a ").next().unwrap_or(""));
            let href = span.split("href=\"").nth(1).and_then(|h| h.split('"').next()).unwrap_or("");
            (id, format!("{value} {href}"))
        })
        .collect();
    claims.sort();
    claims
}

#[test]
fn translated_pages_keep_the_english_anchors_claims_and_figures() {
    let summary = black_box::summary::read(&root()).unwrap();
    for edition in black_box::translation::TRANSLATIONS {
        for page in &summary {
            let path = page.path.with_extension("html").display().to_string();
            let english = self::page(&path);
            let translated = self::page(&format!("{}/{path}", edition.code));
            for tag in ["h1", "h2", "h3", "h4"] {
                assert_eq!(ids(&translated, tag), ids(&english, tag), "{}/{path}: the {tag} anchors differ from the English", edition.code);
            }
            assert_eq!(claims(&translated), claims(&english), "{}/{path}: a claim differs from the English", edition.code);
            let images = |html: &str| -> Vec<String> {
                html::tags(html).into_iter().filter(|t| t.name == "img").filter_map(|t| t.attr("src").map(str::to_string)).collect()
            };
            assert_eq!(images(&translated), images(&english), "{}/{path}: the figures differ from the English", edition.code);
            assert!(
                translated.contains(&format!("<html lang=\"{}\"", edition.lang)),
                "{}/{path}: not marked as {}",
                edition.code,
                edition.lang
            );
        }
    }
}

#[test]
fn a_translated_search_index_holds_chinese_terms() {
    let dir = built().join("zh");
    let index = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("searchindex"))
        .expect("a search index in book/zh/");
    let text = std::fs::read_to_string(index).unwrap();
    let json = text
        .strip_prefix("window.search = Object.assign(window.search, JSON.parse('")
        .and_then(|t| t.strip_suffix("'));"))
        .expect("mdBook's search index format")
        .replace("\\'", "'")
        .replace("\\\\", "\\");
    let search: serde_json::Value = serde_json::from_str(&json).unwrap();
    // elasticlunr keeps tokens in a trie of characters, with the documents
    // that hold a token at its last character.
    let documents = |token: &str| {
        let mut node = &search["index"]["index"]["body"]["root"];
        for c in token.chars() {
            node = &node[c.to_string()];
        }
        node["docs"].as_object().map_or(0, |d| d.len())
    };
    // 反向传播 (backpropagation) is indexed as its pairs of characters.
    for pair in ["反向", "向传", "传播"] {
        assert!(documents(pair) > 0, "no section holds the token {pair}");
    }
    assert!(documents("反向传播") == 0, "a whole clause was indexed as one token");
    assert_eq!(search["search_options"]["bool"], "AND", "a query must find all of its pairs");
}
