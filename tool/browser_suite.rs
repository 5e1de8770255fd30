//! The browser checks of the built book (see `browser.rs` for the client).
//! Each check is a named closure over one page; the suite reports every
//! failure, not just the first, and writes screenshots for a reviewer.

use crate::browser::Browser;
use crate::{serve, summary};
use anyhow::Context;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;

/// What the suite found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: usize,
    pub failures: Vec<String>,
    pub screenshots: usize,
}

impl Outcome {
    fn check(&mut self, what: String, ok: bool, detail: impl FnOnce() -> String) {
        if ok {
            self.passed += 1;
        } else {
            self.failures.push(format!("{what}: {}", detail()));
        }
    }
}

/// Text of `main` outside code and KaTeX output: where raw TeX would show.
const VISIBLE_PROSE: &str = "(() => { const m = document.querySelector('main').cloneNode(true); \
    m.querySelectorAll('pre, code, .katex, .katex-display').forEach(e => e.remove()); return m.innerText; })()";

/// Every image of `main`: source, whether it loaded, its size and alt text.
const IMAGES: &str = "Array.from(document.querySelectorAll('main img')).map(i => \
    ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, h: i.naturalHeight, alt: i.getAttribute('alt') }))";

/// Heading levels in order, the document language, and the claim marks.
const STRUCTURE: &str = "({ headings: Array.from(document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')).map(h => +h.tagName[1]), \
    lang: document.documentElement.getAttribute('lang'), \
    marks: Array.from(document.querySelectorAll('main a.claim-mark')).map(a => a.getAttribute('href')) })";

/// For each figure: the alpha and colour of its corner pixels as drawn, and
/// any CSS that would make it see-through.
const FIGURE_PIXELS: &str = "Promise.all(Array.from(document.querySelectorAll('main img[src$=\".svg\"]')).map(async i => { \
    const c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight; \
    const g = c.getContext('2d'); g.drawImage(i, 0, 0); \
    const px = [[1, 1], [c.width - 2, 1], [1, c.height - 2], [c.width - 2, c.height - 2]].map(([x, y]) => Array.from(g.getImageData(x, y, 1, 1).data)); \
    const s = getComputedStyle(i); \
    return { src: i.getAttribute('src'), px, opacity: s.opacity, filter: s.filter, page: getComputedStyle(document.body).backgroundColor }; }))";

/// Serves `book` on localhost and runs every check; screenshots go to `shots`.
pub fn run(chromium: &Path, book: &Path, shots: &Path) -> anyhow::Result<Outcome> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let base = format!("http://127.0.0.1:{}/", listener.local_addr()?.port());
    let dir = book.to_path_buf();
    std::thread::spawn(move || serve::serve_on(listener, &dir));
    std::fs::create_dir_all(shots)?;

    let root = crate::root();
    let pages = summary::read(&root)?;
    let mut b = Browser::launch(chromium)?;
    let mut out = Outcome::default();
    let mut marks = BTreeSet::new();

    b.viewport(1280, 900, false)?;
    for page in &pages {
        let html = page
            .path
            .with_extension("html")
            .to_string_lossy()
            .replace('\\', "/");
        let url = format!("{base}{html}");
        b.open(&url).with_context(|| format!("opening {url}"))?;
        let errors = b.take_errors();
        out.check(
            format!("{html} loads without console errors"),
            errors.is_empty(),
            || errors.join("; "),
        );

        let prose = b
            .eval(VISIBLE_PROSE)?
            .as_str()
            .unwrap_or_default()
            .to_string();
        out.check(
            format!("{html} shows no raw TeX"),
            !prose.contains('$'),
            || {
                let at = prose.find('$').unwrap_or(0);
                format!(
                    "`$` in “{}”",
                    prose[prose.floor_char_boundary(at.saturating_sub(30))..]
                        .chars()
                        .take(60)
                        .collect::<String>()
                )
            },
        );
        if summary::chapter_slug(&page.path).is_some() {
            let katex = b.eval("document.querySelectorAll('main .katex').length")?;
            out.check(
                format!("{html} has typeset math"),
                katex.as_u64().unwrap_or(0) > 0,
                || "no .katex element".into(),
            );
        }

        for img in b.eval(IMAGES)?.as_array().cloned().unwrap_or_default() {
            let src = img["src"].as_str().unwrap_or("?").to_string();
            out.check(
                format!("{html}: {src} loads with a size"),
                img["ok"] == true,
                || format!("{}×{}", img["w"], img["h"]),
            );
            let alt = img["alt"].as_str().unwrap_or("").trim().to_string();
            out.check(
                format!("{html}: {src} has alt text"),
                !alt.is_empty(),
                || "missing alt".into(),
            );
        }

        let s = b.eval(STRUCTURE)?;
        out.check(
            format!("{html} declares its language"),
            s["lang"].as_str().is_some_and(|l| !l.is_empty()),
            || "no lang".into(),
        );
        let levels: Vec<u64> = s["headings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect();
        let skip = levels
            .windows(2)
            .find(|w| w[1] > w[0] + 1)
            .map(|w| (w[0], w[1]));
        out.check(
            format!("{html} headings do not skip levels"),
            levels.first() == Some(&1) && skip.is_none(),
            || format!("levels {levels:?}"),
        );
        marks.extend(
            s["marks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(|m| (html.clone(), m.to_string()))),
        );

        if summary::chapter_slug(&page.path).is_some() {
            // One name per page: a chapter's sub-pages get their own shots.
            let slug = page
                .path
                .with_extension("")
                .to_string_lossy()
                .replace(['/', '\\'], "-");
            for (name, width, height, mobile) in
                [("desktop", 1280, 900, false), ("phone", 390, 844, true)]
            {
                b.viewport(width, height, mobile)?;
                b.open(&url)?;
                std::fs::write(shots.join(format!("{slug}-{name}.png")), b.screenshot()?)?;
                out.screenshots += 1;
            }
            b.viewport(1280, 900, false)?;
        }
    }

    // Every claim mark leads to an existing row of the ledger.
    for (page, href) in &marks {
        let (target, anchor) = href.split_once('#').unwrap_or((href, ""));
        let url = format!("{base}{}", resolve(page, target));
        b.open(&url)?;
        let found = b.eval(&format!("document.getElementById('{anchor}') !== null"))?;
        out.check(
            format!("{page}: claim mark {href} has its ledger row"),
            found == true,
            || "no such row".into(),
        );
    }
    out.check(
        "the chapters have claim marks".into(),
        !marks.is_empty(),
        || "none found".into(),
    );

    // Figures are opaque in the light theme and in a dark one.
    for theme in ["light", "navy"] {
        b.open(&format!("{base}index.html"))?;
        b.eval(&format!("localStorage.setItem('mdbook-theme', '{theme}')"))?;
        for page in pages
            .iter()
            .filter(|p| summary::chapter_slug(&p.path).is_some())
        {
            let html = page
                .path
                .with_extension("html")
                .to_string_lossy()
                .replace('\\', "/");
            b.open(&format!("{base}{html}"))?;
            for fig in b
                .eval(FIGURE_PIXELS)?
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let opaque = fig["px"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|p| p[3] == 255);
                let untouched = fig["opacity"] == "1" && fig["filter"] == "none";
                out.check(
                    format!(
                        "{html} ({theme} theme): {} is opaque",
                        fig["src"].as_str().unwrap_or("?")
                    ),
                    opaque && untouched,
                    || {
                        format!(
                            "corners {} opacity {} filter {} on page {}",
                            fig["px"], fig["opacity"], fig["filter"], fig["page"]
                        )
                    },
                );
            }
        }
    }

    // Search finds a word that only chapter 2 uses, and only there.
    let (term, slug) = term_only_in(&root, "ch02-softmax")?;
    b.open(&format!("{base}index.html?search={term}"))?;
    let results = b
        .wait_until("document.querySelectorAll('#mdbook-searchresults a').length > 0")
        .and_then(|_| b.eval("Array.from(document.querySelectorAll('#mdbook-searchresults a')).map(a => a.getAttribute('href'))"));
    let hrefs: Vec<String> = match results {
        Ok(v) => v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.check(
        format!("search for “{term}” finds chapter 2 only"),
        !hrefs.is_empty() && hrefs.iter().all(|h| h.starts_with(&format!("{slug}.html"))),
        || format!("results {hrefs:?}"),
    );

    // The print page holds every chapter.
    b.open(&format!("{base}print.html"))?;
    let text = b
        .eval("document.querySelector('main').innerText")?
        .as_str()
        .unwrap_or_default()
        .to_string();
    for page in &pages {
        out.check(
            format!("print.html contains “{}”", page.title),
            text.contains(&page.title),
            || "missing".into(),
        );
    }
    Ok(out)
}

/// `target` relative to the page `from` (both relative to the book root).
fn resolve(from: &str, target: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A long word of chapter `slug`'s prose that no other page contains.
fn term_only_in(root: &Path, slug: &str) -> anyhow::Result<(String, String)> {
    let own = std::fs::read_to_string(root.join(format!("src/{slug}.md")))?;
    let mut others = String::new();
    for file in crate::markdown_files(root)? {
        if file != Path::new("src").join(format!("{slug}.md")) {
            others.push_str(&std::fs::read_to_string(root.join(file))?.to_lowercase());
        }
    }
    // The ledger page is generated: its claim ids are words too.
    others.push_str(&crate::ledger::collect(root)?.to_text().to_lowercase());
    let prose: String = book_support::markdown::scan(&own)
        .into_iter()
        .filter(|s| s.kind == book_support::markdown::Kind::Prose)
        .map(|s| s.text)
        .collect();
    // The search index stems words ("increasing" finds "increases"), so
    // the word's first seven letters, a stand-in for its stem, must be
    // absent from the other pages too.
    let term = prose
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 9)
        .map(str::to_lowercase)
        .find(|w| !others.contains(&w[..7]))
        .with_context(|| format!("no word of {slug} is absent from every other page"))?;
    Ok((term, slug.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_links() {
        assert_eq!(
            resolve("ch02-softmax.html", "appendix/ledger.html"),
            "appendix/ledger.html"
        );
        assert_eq!(
            resolve("appendix/notation.html", "../appendix/ledger.html"),
            "appendix/ledger.html"
        );
    }
}
