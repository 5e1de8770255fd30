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
    let listed: Vec<(String, bool)> = pages
        .iter()
        .map(|p| (html_of(&p.path), summary::chapter_slug(&p.path).is_some()))
        .collect();
    check_pages(&mut b, &base, "", &listed, shots, &mut out, &mut marks)?;
    for edition in crate::translation::TRANSLATIONS {
        check_translation(&mut b, &base, book, edition, &listed, shots, &mut out, &mut marks)?;
    }

    check_live(&mut b, &base, &root, shots, &mut out)?;

    // Every claim mark leads to an existing row of the ledger (each ledger
    // page opened once, all its marks' rows looked up there).
    let mut by_target: std::collections::BTreeMap<String, Vec<(&String, &String, &str)>> = Default::default();
    for (page, href) in &marks {
        let (target, anchor) = href.split_once('#').unwrap_or((href, ""));
        by_target.entry(resolve(page, target)).or_default().push((page, href, anchor));
    }
    for (target, marks) in &by_target {
        b.open(&format!("{base}{target}"))?;
        let ids: Vec<&str> = marks.iter().map(|(_, _, anchor)| *anchor).collect();
        let found = b.eval(&format!(
            "{}.map(id => document.getElementById(id) !== null)",
            serde_json::to_string(&ids)?
        ))?;
        for ((page, href, _), found) in marks.iter().zip(found.as_array().into_iter().flatten()) {
            out.check(
                format!("{page}: claim mark {href} has its ledger row"),
                *found == true,
                || "no such row".into(),
            );
        }
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

/// A page's language, its language links, and the value shown by each claim.
const EDITION: &str = "({ lang: document.documentElement.getAttribute('lang'), \
    switch: Array.from(document.querySelectorAll('.edition-switch a')).map(a => ({ href: a.getAttribute('href'), lang: a.getAttribute('hreflang') })), \
    claims: Object.fromEntries(Array.from(document.querySelectorAll('main span.claim')).map(c => { const k = c.cloneNode(true); \
      k.querySelectorAll('.claim-mark').forEach(m => m.remove()); return [c.id, k.textContent]; })), \
    placeholder: (document.getElementById('mdbook-searchbar') || {}).placeholder || '' })";

/// Whether each figure of the page draws Chinese text (fetched, since an
/// `<img>` hides its SVG from the page).
const FIGURE_LANGUAGE: &str = "Promise.all(Array.from(document.querySelectorAll('main img[src$=\".svg\"]')).map(async i => \
    ({ src: i.getAttribute('src'), chinese: /[\\u4e00-\\u9fff]/.test(await (await fetch(i.src)).text()) })))";

/// Whether any text of `text` is Chinese.
fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A translated edition, at `base` + `edition.code/`: every check of
/// [`check_pages`] on each of its pages (the English list and its
/// glossary), then what a translation promises: the page says its
/// language; its switcher leads to the same page in English and back;
/// every claim shows the English page's value; every figure draws its text
/// in the edition's language; the live experiment runs with translated
/// texts; mdBook's interface is translated; search finds a term of one
/// chapter in that chapter only; and the pages work from a sub-path of a
/// site and from a local folder.
#[allow(clippy::too_many_arguments)]
fn check_translation(
    b: &mut Browser,
    base: &str,
    book: &Path,
    edition: &crate::translation::Edition,
    english: &[(String, bool)],
    shots: &Path,
    out: &mut Outcome,
    marks: &mut BTreeSet<(String, String)>,
) -> anyhow::Result<()> {
    let root = crate::root();
    let prefix = format!("{}/", edition.code);
    let glossary = html_of(Path::new(crate::translation::GLOSSARY_PAGE));
    let mut pages = english.to_vec();
    pages.push((glossary.clone(), false));
    check_pages(b, base, &prefix, &pages, shots, out, marks)?;

    for (path, is_chapter) in &pages {
        let html = format!("{prefix}{path}");
        b.open(&format!("{base}{html}"))?;
        let page = b.eval(EDITION)?;
        out.check(format!("{html} is in {}", edition.lang), page["lang"] == edition.lang, || format!("lang {}", page["lang"]));
        let to_english = page["switch"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["lang"] == "en")
            .and_then(|a| a["href"].as_str())
            .map(|h| resolve(&html, h));
        let english_path = if *path == glossary { "index.html".to_string() } else { path.clone() };
        out.check(format!("{html} links to its English page"), to_english.as_deref() == Some(english_path.as_str()), || format!("{to_english:?}"));
        if *path == glossary {
            continue;
        }
        b.open(&format!("{base}{path}"))?;
        let original = b.eval(EDITION)?;
        let back = original["switch"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["lang"] == edition.lang)
            .and_then(|a| a["href"].as_str())
            .map(|h| resolve(path, h));
        out.check(format!("{path} links to {html}"), back.as_deref() == Some(html.as_str()), || format!("{back:?}"));
        out.check(
            format!("{html} shows every claim with the English page's value"),
            page["claims"] == original["claims"],
            || format!("{} against {}", page["claims"], original["claims"]),
        );
        if *is_chapter {
            b.open(&format!("{base}{html}"))?;
            for fig in b.eval(FIGURE_LANGUAGE)?.as_array().cloned().unwrap_or_default() {
                out.check(
                    format!("{html}: {} draws its text in {}", fig["src"].as_str().unwrap_or("?"), edition.lang),
                    fig["chinese"] == true,
                    || "no Chinese text in the figure".into(),
                );
            }
        }
        out.check(
            format!("{html}: mdBook's search box is translated"),
            has_chinese(page["placeholder"].as_str().unwrap_or("")),
            || format!("placeholder {}", page["placeholder"]),
        );
    }

    // The live experiments run in the translated pages, with their texts.
    for (path, is_chapter) in english.iter().filter(|(_, c)| *c) {
        let _ = is_chapter;
        let html = format!("{prefix}{path}");
        b.open(&format!("{base}{html}"))?;
        if b.eval("document.querySelectorAll('figure.live').length")?.as_u64().unwrap_or(0) == 0 {
            continue;
        }
        let settled = b.wait_until(LIVE_SETTLED).is_ok();
        let figs = b.eval(LIVE_STATE)?;
        for f in figs.as_array().into_iter().flatten() {
            let note = f["note"].as_str().unwrap_or("");
            out.check(
                format!("{html}: live {} runs to the end with a translated note", f["id"].as_str().unwrap_or("?")),
                settled && f["state"] == "done" && (note.is_empty() || has_chinese(note) || !crate::translation::has_words(note)),
                || format!("state {} note “{note}”", f["state"]),
            );
            let id = f["id"].as_str().unwrap_or("?");
            std::fs::write(shots.join(format!("{}-live-{id}.png", edition.code)), b.screenshot_of(&format!("#live-{id}"))?)?;
            out.screenshots += 1;
        }
    }

    // The print page holds every translated chapter.
    b.open(&format!("{base}{prefix}print.html"))?;
    let text = b.eval("document.querySelector('main').innerText")?.as_str().unwrap_or_default().to_string();
    for page in crate::translation::pages(&root)? {
        if let Some(title) = crate::translation::translate_page(&root, edition, &page)?.title {
            out.check(format!("{prefix}print.html contains “{title}”"), text.contains(&title), || "missing".into());
        }
    }

    // Search: a term that only one chapter's translation writes.
    let (term, slug) = chinese_term_only_in(&root, edition, "ch05-residual")?;
    b.open(&format!("{base}{prefix}index.html?search={}", percent_encode(&term)))?;
    let results = b
        .wait_until("document.querySelectorAll('#mdbook-searchresults a').length > 0")
        .and_then(|_| b.eval("Array.from(document.querySelectorAll('#mdbook-searchresults a')).map(a => a.getAttribute('href'))"));
    let hrefs: Vec<String> = results
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|h| h.as_str().map(str::to_string))
        .collect();
    out.check(
        format!("{prefix}: search for “{term}” finds {slug} only"),
        !hrefs.is_empty() && hrefs.iter().all(|h| h.starts_with(&format!("{slug}.html"))),
        || format!("results {hrefs:?}"),
    );
    let header = b.eval("(document.getElementById('mdbook-searchresults-header') || {}).textContent || ''")?;
    out.check(format!("{prefix}: the search results' header is translated"), has_chinese(header.as_str().unwrap_or("")), || format!("{header}"));

    // Under a sub-path of a site, and from a local folder, a translated
    // page finds its figures, styles and its English page.
    let site = tempfile::tempdir()?;
    copy_dir(book, &site.path().join("black-box"))?;
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let sub = format!("http://127.0.0.1:{}/black-box/", listener.local_addr()?.port());
    let dir = site.path().to_path_buf();
    std::thread::spawn(move || serve::serve_on(listener, &dir));
    let chapter = english.iter().find(|(_, c)| *c).map(|(p, _)| p.clone()).unwrap_or_default();
    for (where_, url) in [
        ("under a sub-path", format!("{sub}{prefix}{chapter}")),
        ("from a local folder", format!("file://{}/{prefix}{chapter}", book.canonicalize()?.display())),
    ] {
        b.open(&url)?;
        let state = b.eval(
            "({ images: Array.from(document.querySelectorAll('main img')).every(i => i.complete && i.naturalWidth > 0), \
               katex: getComputedStyle(document.querySelector('main .katex') || document.body).fontFamily, \
               english: (document.querySelector('.edition-switch a') || {}).href || '' })",
        )?;
        let english_url = state["english"].as_str().unwrap_or("").to_string();
        let english_ok = if english_url.starts_with("file://") {
            Path::new(english_url.trim_start_matches("file://")).is_file()
        } else {
            b.eval(&format!("fetch('{english_url}').then(r => r.ok)"))? == true
        };
        out.check(
            format!("{prefix}{chapter} works {where_}"),
            state["images"] == true && state["katex"].as_str().unwrap_or("").contains("KaTeX") && english_ok,
            || format!("{state}"),
        );
    }
    Ok(())
}

/// Copies a folder recursively.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry?;
        let target = to.join(entry.path().strip_prefix(from).unwrap_or(entry.path()));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// `text` for a URL's query.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// A run of Chinese text (four characters or more) in the translation of
/// chapter `slug` whose character pairs, the tokens search looks for, are
/// not all in any other page of the edition: a search for it can find only
/// that chapter.
fn chinese_term_only_in(root: &Path, edition: &crate::translation::Edition, slug: &str) -> anyhow::Result<(String, String)> {
    use crate::search::tokenize;
    let mut own = String::new();
    let mut others: Vec<BTreeSet<String>> = Vec::new();
    for page in crate::translation::pages(root)? {
        let text = crate::translation::translate_page(root, edition, &page)?.text;
        if page == Path::new(&format!("{slug}.md")) {
            own = text;
        } else {
            others.push(tokenize(&text).into_iter().collect());
        }
    }
    // The glossary and the ledger (which lists every page's title) are
    // written by the build.
    let mut generated = String::new();
    for page in crate::translation::pages(root)? {
        if let Some(title) = crate::translation::translate_page(root, edition, &page)?.title {
            generated.push_str(&title);
            generated.push(' ');
        }
    }
    for t in crate::translation::glossary(root, edition)? {
        generated.push_str(&t.translated);
        generated.push(' ');
    }
    others.push(tokenize(&generated).into_iter().collect());
    let prose = book_support::markdown::prose(&own);
    let term = prose
        .split(|c: char| !has_chinese(&c.to_string()))
        .filter(|run| run.chars().count() >= 4)
        .find(|run| {
            let pairs = tokenize(run);
            others.iter().all(|page| !pairs.iter().all(|p| page.contains(p)))
        })
        .with_context(|| format!("no Chinese term of {slug} is absent from every other page"))?;
    Ok((term.to_string(), slug.to_string()))
}

/// `path.md` as the page `path.html`, with forward slashes.
fn html_of(path: &Path) -> String {
    path.with_extension("html").to_string_lossy().replace('\\', "/")
}

/// The checks of every page of one edition (at `prefix` under `base`):
/// `pages` are the page paths and whether each is a chapter. Adds every
/// claim mark found to `marks` (page relative to the book root, href).
fn check_pages(
    b: &mut Browser,
    base: &str,
    prefix: &str,
    pages: &[(String, bool)],
    shots: &Path,
    out: &mut Outcome,
    marks: &mut BTreeSet<(String, String)>,
) -> anyhow::Result<()> {
    for (path, is_chapter) in pages {
        let html = format!("{prefix}{path}");
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
        if *is_chapter {
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

        if *is_chapter {
            // One name per page: a chapter's sub-pages get their own shots.
            let slug = html.trim_end_matches(".html").replace('/', "-");
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
    Ok(())
}

/// Each live figure's state, first-frame time, runs, readouts (value,
/// text, claim) and whether each control has a label.
const LIVE_STATE: &str = "Array.from(document.querySelectorAll('figure.live')).map(f => ({ \
    id: f.dataset.widget, state: f.dataset.state || '', failed: f.classList.contains('failed'), \
    ms: Number(f.dataset.firstMs), runs: Number(f.dataset.runs || 0), \
    note: f.querySelector('.live-note').textContent, \
    svg: f.querySelectorAll('.live-chart svg .live-series').length, \
    labelled: Array.from(f.querySelectorAll('input, select')).every(i => i.labels.length > 0 && i.labels[0].textContent.trim() !== ''), \
    readouts: Array.from(f.querySelectorAll('.live-readouts dd')).map(d => ({ value: d.dataset.value, text: d.textContent, claim: d.dataset.claim || null })), \
    controls: Array.from(f.querySelectorAll('.live-controls input, .live-controls select')).map(i => ({ id: i.id, type: i.tagName === 'SELECT' ? 'select' : 'range', \
      value: i.value, book: i.dataset.book, min: i.min, max: i.max, step: i.step, options: i.tagName === 'SELECT' ? i.options.length : 0 })) }))";

/// Every live figure settled: finished, failed or stopped by an error.
const LIVE_SETTLED: &str = "Array.from(document.querySelectorAll('figure.live')).every(f => ['done', 'failed', 'error'].includes(f.dataset.state))";

/// The slowest first frame the suite accepts. The pages aim at 100 ms; a
/// two-core CI machine that runs Chromium beside the server can be several
/// times slower than a reader's, so this catches a widget that is slow by
/// design (a frame of seconds), not jitter. The measured times are printed.
const SLOWEST_FIRST_FRAME_MS: f64 = 500.0;

/// The live experiments: each one runs at the book's settings and shows the
/// ledger's values, answers every control (mouse values and the keyboard),
/// returns to the book with its reset button, looks right in the light and
/// dark themes and at phone width (screenshots), and falls back to its
/// static figure with a note when the module cannot load.
fn check_live(b: &mut Browser, base: &str, root: &Path, shots: &Path, out: &mut Outcome) -> anyhow::Result<()> {
    let ledger = crate::ledger::collect(root)?;
    let holds = |id: &str, value: f64| ledger.entries.iter().find(|e| e.claim.id == id).map(|e| e.claim.holds(value));
    let mut pages: Vec<(String, &'static black_box_live::Widget)> = Vec::new();
    for chapter in crate::CHAPTERS {
        for w in black_box_live::WIDGETS.iter().filter(|w| chapter.slug.starts_with(&w.id[..4])) {
            pages.push((format!("{}.html", chapter.slug), w));
        }
    }
    out.check("every chapter has a live experiment".into(), pages.len() >= crate::CHAPTERS.len(), || format!("{} widgets", pages.len()));
    let mut times = Vec::new();
    for (html, w) in &pages {
        let selector = format!("#live-{}", w.id);
        let what = format!("{html}: live {}", w.id);
        b.open(&format!("{base}{html}"))?;
        let settled = b.wait_until(LIVE_SETTLED).is_ok();
        let state = b.eval(LIVE_STATE)?;
        let Some(fig) = state.as_array().into_iter().flatten().find(|f| f["id"] == w.id).cloned() else {
            out.check(format!("{what} is on its page"), false, || "missing".into());
            continue;
        };
        out.check(format!("{what} runs to the end at the book's settings"), settled && fig["state"] == "done" && fig["svg"].as_u64().unwrap_or(0) > 0, || {
            format!("state {} ({})", fig["state"], fig["note"])
        });
        let ms = fig["ms"].as_f64().unwrap_or(f64::INFINITY);
        times.push((w.id, ms));
        out.check(format!("{what} draws its first frame within {SLOWEST_FIRST_FRAME_MS} ms"), ms <= SLOWEST_FIRST_FRAME_MS, || format!("{ms} ms"));
        out.check(format!("{what} labels every control"), fig["labelled"] == true, || "a control without a label".into());
        let book_readouts = fig["readouts"].clone();
        for r in book_readouts.as_array().into_iter().flatten() {
            let text = r["text"].as_str().unwrap_or("");
            out.check(format!("{what} shows a value for every readout"), !text.is_empty() && !text.starts_with('…'), || format!("`{text}`"));
            if let Some(id) = r["claim"].as_str() {
                let value: f64 = r["value"].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
                out.check(format!("{what} shows claim {id} at the book's settings"), holds(id, value) == Some(true), || {
                    format!("shows {value} (`{text}`)")
                });
                out.check(format!("{what} marks claim {id} at the book's settings"), text.ends_with('✓'), || format!("`{text}`"));
            }
        }
        // Every control, moved away from the book's value: the widget runs
        // again, without console errors or a module trap.
        for c in fig["controls"].as_array().cloned().unwrap_or_default() {
            let id = c["id"].as_str().unwrap_or_default();
            let set = if c["type"] == "select" {
                let n = c["options"].as_u64().unwrap_or(1);
                let book: u64 = c["book"].as_str().and_then(|v| v.parse().ok()).unwrap_or(0);
                ((book + 1) % n.max(1)).to_string()
            } else {
                // The middle of the range on its steps, or the next step if
                // that is the book's value.
                let f = |k: &str| c[k].as_str().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
                let (min, max, step, book) = (f("min"), f("max"), f("step"), f("book"));
                let mid = min + ((max - min) / 2.0 / step).round() * step;
                let v = if (mid - book).abs() < step / 2.0 { mid + step } else { mid };
                format!("{}", v.min(max))
            };
            let runs = b.eval(&format!("Number(document.querySelector({selector:?}).dataset.runs)"))?;
            b.eval(&format!(
                "(() => {{ const i = document.getElementById({id:?}); i.value = {set:?}; i.dispatchEvent(new Event('input', {{bubbles: true}})); }})()"
            ))?;
            let reran = b
                .wait_until(&format!(
                    "(() => {{ const f = document.querySelector({selector:?}); return Number(f.dataset.runs) > {runs} && ['done', 'error'].includes(f.dataset.state); }})()"
                ))
                .is_ok();
            let state = b.eval(&format!("document.querySelector({selector:?}).dataset.state + ': ' + document.querySelector({selector:?} + ' .live-note').textContent"))?;
            let errors = b.take_errors();
            out.check(format!("{what} answers `{id}` = {set}"), reran && errors.is_empty() && state.as_str().is_some_and(|s| s.starts_with("done")), || {
                format!("{state} {}", errors.join("; "))
            });
        }
        std::fs::write(shots.join(format!("live-{}.png", w.id)), b.screenshot_of(&selector)?)?;
        out.screenshots += 1;
        // The keyboard moves the first control; the reset button brings
        // back the book's values.
        let first = fig["controls"][0]["id"].as_str().unwrap_or_default().to_string();
        let before = b.eval(&format!("document.getElementById({first:?}).value"))?;
        b.eval(&format!("document.getElementById({first:?}).focus()"))?;
        let key = if fig["controls"][0]["type"] == "select" { ("ArrowDown", 40) } else { ("ArrowLeft", 37) };
        b.press(key.0, key.1)?;
        let after = b.eval(&format!("document.getElementById({first:?}).value"))?;
        out.check(format!("{what}: the keyboard moves `{first}`"), before != after, || format!("stayed at {before}"));
        b.eval(&format!("document.querySelector({selector:?} + ' .live-reset').click()"))?;
        b.wait_until(&format!(
            "(() => {{ const f = document.querySelector({selector:?}); return f.dataset.state === 'done' && Array.from(f.querySelectorAll('input, select')).every(i => Number(i.value) === Number(i.dataset.book)); }})()"
        ))
        .ok();
        let again = b.eval(LIVE_STATE)?;
        let again = again.as_array().into_iter().flatten().find(|f| f["id"] == w.id).map(|f| f["readouts"].clone());
        let values = |r: &serde_json::Value| r.as_array().into_iter().flatten().map(|x| x["value"].clone()).collect::<Vec<_>>();
        out.check(format!("{what}: reset shows the book's values again"), again.as_ref().map(values) == Some(values(&book_readouts)), || {
            format!("{again:?} after reset, {book_readouts} before")
        });
    }
    // The dark theme and a phone: one screenshot of each widget.
    for (theme, width, height, mobile) in [("navy", 1280, 900, false), ("light", 390, 844, true)] {
        b.viewport(width, height, mobile)?;
        b.open(&format!("{base}index.html"))?;
        b.eval(&format!("localStorage.setItem('mdbook-theme', '{theme}')"))?;
        for (html, w) in &pages {
            b.open(&format!("{base}{html}"))?;
            let settled = b.wait_until(LIVE_SETTLED).is_ok();
            let selector = format!("#live-{}", w.id);
            let fits = b.eval(&format!(
                "(() => {{ const f = document.querySelector({selector:?}); return f.dataset.state === 'done' && f.getBoundingClientRect().right <= document.documentElement.clientWidth + 1; }})()"
            ))?;
            let view = if mobile { "phone" } else { theme };
            out.check(format!("{html}: live {} works and fits ({view})", w.id), settled && fits == true, || "overflows or did not finish".into());
            std::fs::write(shots.join(format!("live-{}-{view}.png", w.id)), b.screenshot_of(&selector)?)?;
            out.screenshots += 1;
        }
        b.open(&format!("{base}index.html"))?;
        b.eval("localStorage.setItem('mdbook-theme', 'light')")?;
    }
    b.viewport(1280, 900, false)?;
    // Without the module (a book built without the target): the static
    // figure and a note, never an empty box, and no console error.
    let blocked = b.add_script("Object.defineProperty(window, 'blackBoxLive', { get: () => null, set: () => {} });")?;
    if let Some((html, w)) = pages.first() {
        b.open(&format!("{base}{html}"))?;
        let settled = b.wait_until(LIVE_SETTLED).is_ok();
        let fallback = b.eval(&format!(
            "(() => {{ const f = document.querySelector('#live-{}'); const i = f.querySelector('.live-fallback img'); \
             return f.classList.contains('failed') && i.complete && i.naturalWidth > 0 && i.offsetWidth > 0 && f.querySelector('.live-why').offsetHeight > 0; }})()",
            w.id
        ))?;
        let errors = b.take_errors();
        out.check(format!("{html}: without the module, live {} shows its static figure and a note", w.id), settled && fallback == true && errors.is_empty(), || {
            format!("fallback {fallback}, errors {}", errors.join("; "))
        });
        std::fs::write(shots.join(format!("live-{}-fallback.png", w.id)), b.screenshot_of(&format!("#live-{}", w.id))?)?;
        out.screenshots += 1;
    }
    b.remove_script(&blocked)?;
    let list: Vec<String> = times.iter().map(|(id, ms)| format!("{id} {ms} ms")).collect();
    println!("live experiments, first frame in the browser: {}", list.join(", "));
    Ok(())
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
    let prose = book_support::markdown::prose(&own);
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
