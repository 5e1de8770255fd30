//! The book's mdBook preprocessor. It expands the directives of
//! ARCHITECTURE.md: `{{#claim}}` (the value with a mark that links to the
//! ledger), `{{#num}}` (a plain number), `{{#listing}}` (an anchored region
//! of a workspace file as a Rust code block), `{{#live}}` (a live
//! experiment, see `live.rs`) and `{{#ledger}}`.

use crate::ledger::{self, Ledger};
use anyhow::{Context, bail};
use book_support::claims::{self, Claim, Rule};
use book_support::markdown::{self, Kind};
use mdbook_preprocessor::book::{Book, BookItem, Chapter};
use mdbook_preprocessor::errors::Result;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use crate::translation::{self, ENGLISH, Edition, Strings};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The page of the ledger, relative to `src/`.
pub const LEDGER_PAGE: &str = "appendix/ledger.md";

/// Directives that mdBook's own `links` preprocessor expands after us.
const MDBOOK_DIRECTIVES: &[&str] = &["include", "rustdoc_include", "playground", "title"];

/// The preprocessor of one edition; `root` is the book's root folder.
pub struct BookPreprocessor {
    pub root: PathBuf,
    pub edition: Edition,
}

/// The interface texts the build writes into pages: the messages of each
/// translation's `interface.po` (with the book's title and part titles).
pub const INTERFACE: &[&str] = &[
    "Claim {id}: checked by cargo test, {how}",
    "exactly",
    "as a bound: {claim}",
    "to {rule}",
    "claim {id} in the ledger",
    "Show the code:",
    "Declared in {file}; lines of that file.",
    "claim",
    "value",
    "tolerance",
    "declared",
    "checked by",
    "bound",
    "No claims are declared yet.",
    "This page in other languages",
    "Glossary",
    "The terms this edition uses for the book's ideas, each beside its English original, which links to the English page where it first appears.",
    "Term",
    "English original",
    // mdBook's own interface, which its page template writes in English;
    // theme/edition.js puts these in.
    "Search this book ...",
    "Search (`/`)",
    "Toggle Searchbar",
    "Toggle Table of Contents",
    "Table of contents",
    "Change theme",
    "Themes",
    "Print this book",
    "Previous chapter",
    "Next chapter",
    "Page navigation",
    "Auto",
    "Light",
    "Keyboard shortcuts",
    "{count} search results for '{term}':",
    "No search results for '{term}'.",
];

/// What a page of one edition is written with: its interface texts and,
/// in a translation, the titles of the pages (for the ledger's headings).
pub struct Words {
    pub edition: Edition,
    pub interface: Strings,
    pub live: Strings,
    titles: HashMap<String, String>,
}

impl Words {
    /// The English edition's words: the texts as written.
    pub fn english() -> Words {
        Words {
            edition: ENGLISH,
            interface: Strings::default(),
            live: Strings::default(),
            titles: HashMap::new(),
        }
    }

    /// The words of `edition`, from its catalogs under `root/po/`.
    pub fn load(root: &Path, edition: Edition) -> anyhow::Result<Words> {
        let mut titles = HashMap::new();
        if edition != ENGLISH {
            for page in translation::pages(root)? {
                if let Some(title) = translation::translate_page(root, &edition, &page)?.title {
                    titles.insert(page.display().to_string(), title);
                }
            }
        }
        Ok(Words {
            edition,
            interface: Strings::load(root, &edition, "interface")?,
            live: Strings::load(root, &edition, "live")?,
            titles,
        })
    }

    /// The title of `page` in this edition (`english` in the English one).
    fn title<'a>(&'a self, page: &str, english: &'a str) -> &'a str {
        self.titles.get(page).map_or(english, String::as_str)
    }
}

impl Preprocessor for BookPreprocessor {
    fn name(&self) -> &str {
        "black-box"
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let ledger = ledger::collect(&self.root)?;
        if let Some(problem) = ledger.errors.first() {
            bail!("{problem}");
        }
        let words = Words::load(&self.root, self.edition)?;
        let translated = self.edition != ENGLISH;
        let mut failure = None;
        let mut untranslated = 0;
        book.for_each_mut(|item| {
            let chapter = match item {
                BookItem::PartTitle(title) => {
                    *title = words.interface.get(title).to_string();
                    return;
                }
                BookItem::Chapter(chapter) => chapter,
                BookItem::Separator => return,
            };
            let Some(path) = chapter.source_path.clone().or_else(|| chapter.path.clone()) else {
                return;
            };
            if failure.is_some() {
                return;
            }
            let mut content = std::mem::take(&mut chapter.content);
            if translated {
                let catalog = translation::catalog_path(&self.root, &self.edition, &path);
                match translation::load(&catalog) {
                    Ok(entries) => {
                        let t = translation::translate(&content, &entries);
                        untranslated += t.problems.len();
                        if let Some(title) = t.title {
                            chapter.name = title;
                        }
                        content = t.text;
                    }
                    Err(e) => failure = Some(e),
                }
            }
            let switch = edition_switch(&path, &words);
            match expand(&content, &path, &self.root, &ledger, &words) {
                Ok(content) => chapter.content = format!("{switch}\n\n{content}"),
                Err(e) => failure = Some(e.context(format!("in src/{}", path.display()))),
            }
        });
        if translated && failure.is_none() {
            let terms = translation::glossary(&self.root, &self.edition)?;
            if !terms.is_empty() {
                let page = Path::new(translation::GLOSSARY_PAGE);
                let content = translation::glossary_page(&terms, &words.interface);
                let content = format!("{}\n\n{content}", edition_switch(page, &words));
                let title = words.interface.get("Glossary");
                book.items.push(BookItem::Chapter(Chapter::new(title, content, page, Vec::new())));
            }
        }
        if untranslated > 0 {
            eprintln!(
                "{}: {untranslated} message(s) shown in English, untranslated or out of date \
                 (`cargo run --release -- translations --check` lists them)",
                self.edition.code
            );
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(book),
        }
    }
}

/// The links from `page` to the same page in every other edition.
fn edition_switch(page: &Path, words: &Words) -> String {
    let depth = page.components().count().saturating_sub(1);
    let english_root = format!(
        "{}{}",
        "../".repeat(depth),
        if words.edition == ENGLISH { "" } else { "../" }
    );
    // A page only a translation has (its glossary) links to the English
    // book's first page.
    let html = if page == Path::new(translation::GLOSSARY_PAGE) {
        PathBuf::from("index.html")
    } else {
        page.with_extension("html")
    };
    let data = if words.interface.is_empty() {
        String::new()
    } else {
        format!(" data-words=\"{}\"", crate::html::escape(&words.interface.to_json()))
    };
    let mut out = format!(
        "<nav class=\"edition-switch\" aria-label=\"{}\"{data}>",
        words.interface.get("This page in other languages")
    );
    for edition in std::iter::once(&ENGLISH).chain(translation::TRANSLATIONS) {
        if *edition == words.edition {
            continue;
        }
        let folder = if *edition == ENGLISH { String::new() } else { format!("{}/", edition.code) };
        let html = if *edition == ENGLISH || html != Path::new("index.html") { html.clone() } else { page.with_extension("html") };
        let _ = write!(
            out,
            "<a href=\"{english_root}{folder}{}\" hreflang=\"{lang}\" lang=\"{lang}\">{}</a>",
            html.display(),
            edition.name,
            lang = edition.lang,
        );
    }
    out.push_str("</nav>");
    out
}

/// Expands every directive of one page, at `page` (relative to `src/`).
pub fn expand(content: &str, page: &Path, root: &Path, ledger: &Ledger, words: &Words) -> anyhow::Result<String> {
    let to_root = "../".repeat(page.components().count().saturating_sub(1));
    let mut out = String::with_capacity(content.len());
    for span in markdown::scan(content) {
        if span.kind != Kind::Directive {
            out.push_str(span.text);
            continue;
        }
        let Some((name, args)) = markdown::directive(span.text) else {
            out.push_str(span.text);
            continue;
        };
        let line = span.line;
        match name {
            "claim" => {
                let claim = claims::parse_declaration(args, line).map_err(anyhow::Error::msg)?;
                out.push_str(&claim_html(&claim, &to_root, &words.interface));
            }
            "num" => {
                if args.is_empty() || args.contains(char::is_whitespace) {
                    bail!("line {line}: `{{{{#num}}}}` takes one number, got `{args}`");
                }
                out.push_str(args);
            }
            "listing" => {
                out.push_str(&listing(root, args, &words.interface).with_context(|| format!("line {line}"))?)
            }
            "ledger" => out.push_str(&ledger_table(ledger, &to_root, words)),
            "live" => out.push_str(
                &crate::live::widget_html(args, page, &to_root, &words.live)
                    .with_context(|| format!("line {line}"))?,
            ),
            _ if MDBOOK_DIRECTIVES.contains(&name) => out.push_str(span.text),
            _ => bail!("line {line}: unknown directive `{{{{#{name}}}}}`"),
        }
    }
    Ok(out)
}

/// A number as HTML: e-notation as a power of ten, a true minus sign.
pub fn number_html(printed: &str) -> String {
    let minus = |s: &str| s.replacen('-', "−", 1);
    match printed {
        "inf" | "+inf" => return "∞".into(),
        "-inf" => return "−∞".into(),
        _ => {}
    }
    match printed.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.trim_start_matches('+');
            if mantissa == "1" {
                format!("10<sup>{}</sup>", minus(exponent))
            } else {
                format!("{} × 10<sup>{}</sup>", minus(mantissa), minus(exponent))
            }
        }
        None => minus(printed),
    }
}

fn claim_html(claim: &Claim, to_root: &str, words: &Strings) -> String {
    let how = match claim.rule {
        Rule::Exact => words.get("exactly").to_string(),
        Rule::Bound(_) => words.get("as a bound: {claim}").replace("{claim}", &claim.to_string()),
        _ => words.get("to {rule}").replace("{rule}", &claim.rule_text()),
    };
    let id = &claim.id;
    let title = words
        .get("Claim {id}: checked by cargo test, {how}")
        .replace("{id}", id)
        .replace("{how}", &how);
    let label = words.get("claim {id} in the ledger").replace("{id}", id);
    format!(
        "<span class=\"claim\" id=\"claim-{id}\">{value}<a class=\"claim-mark\" href=\"{to_root}appendix/ledger.html#ledger-{id}\" title=\"{title}\" aria-label=\"{label}\">✓</a></span>",
        value = number_html(&claim.printed),
    )
}

/// `path:anchor` (workspace-relative): the lines between `ANCHOR: anchor`
/// and `ANCHOR_END: anchor`, as a fenced Rust block. Without an anchor, the
/// whole file. Other anchor comments inside the region are dropped. With a
/// trailing `folded` (`path:anchor folded`) the block is folded away in a
/// `<details>` element, for implementation detail that a reader may open
/// but need not read.
pub fn listing(root: &Path, args: &str, words: &Strings) -> anyhow::Result<String> {
    if let Some(inner) = args.trim_end().strip_suffix(" folded") {
        let block = listing(root, inner.trim_end(), words)?;
        let name = inner.trim();
        let show = words.get("Show the code:");
        return Ok(format!(
            "<details class=\"listing\"><summary>{show} <code>{name}</code></summary>\n\n{block}\n\n</details>"
        ));
    }
    let (file, anchor) = match args.rsplit_once(':') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (args, None),
    };
    let text =
        std::fs::read_to_string(root.join(file)).with_context(|| format!("listing `{file}`"))?;
    let is_marker = |l: &str| l.contains("ANCHOR:") || l.contains("ANCHOR_END:");
    let body: Vec<&str> = match anchor {
        None => text.lines().filter(|l| !is_marker(l)).collect(),
        Some(anchor) => {
            let start = format!("ANCHOR: {anchor}");
            let end = format!("ANCHOR_END: {anchor}");
            let mut lines = text.lines().skip_while(|l| !l.trim_end().ends_with(&start));
            if lines.next().is_none() {
                bail!("listing `{file}`: no `// ANCHOR: {anchor}`");
            }
            let region: Vec<&str> = lines
                .clone()
                .take_while(|l| !l.trim_end().ends_with(&end))
                .collect();
            if lines.nth(region.len()).is_none() {
                bail!("listing `{file}`: no `// ANCHOR_END: {anchor}`");
            }
            region.into_iter().filter(|l| !is_marker(l)).collect()
        }
    };
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::from("```rust\n");
    for line in body {
        out.push_str(line.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    out.push_str("```");
    Ok(out)
}

fn ledger_table(ledger: &Ledger, to_root: &str, words: &Words) -> String {
    let mut out = String::new();
    let w = |s| words.interface.get(s);
    for chapter in ledger.entries.chunk_by(|a, b| a.chapter == b.chapter) {
        let first = &chapter[0];
        let page = Path::new(&first.page).with_extension("html");
        let declared_in = w("Declared in {file}; lines of that file.")
            .replace("{file}", &format!("<code>{}</code>", first.declared.file));
        let _ = write!(
            out,
            "\n## [{title}]({to_root}{page}) {{#{anchor}}}\n\n{declared_in}\n\n\
             <table class=\"ledger\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            w("claim"),
            w("value"),
            w("tolerance"),
            w("declared"),
            w("checked by"),
            title = words.title(&first.page, &first.chapter),
            // The English title's anchor in every edition.
            anchor = translation::anchor_of(&first.chapter),
            page = page.display(),
        );
        for e in chapter {
            let lines: Vec<String> = e.checked_by.iter().map(|l| l.line.to_string()).collect();
            let (value, tolerance) = match e.claim.rule {
                Rule::Bound(cmp) => (
                    format!("{} {}", cmp.symbol(), number_html(&e.claim.printed)),
                    w("bound").to_string(),
                ),
                Rule::Absolute(t) => (
                    number_html(&e.claim.printed),
                    format!("± {}", number_html(&format!("{t:e}"))),
                ),
                _ => (number_html(&e.claim.printed), e.claim.rule_text()),
            };
            let _ = writeln!(
                out,
                "<tr id=\"ledger-{id}\"><td><a href=\"{to_root}{page}#claim-{id}\"><code>{id}</code></a></td>\
                 <td>{value}</td><td>{tolerance}</td><td>{declared}</td><td>{checks}</td></tr>",
                id = e.claim.id,
                page = page.display(),
                declared = e.declared.line,
                checks = lines.join(", "),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if ledger.entries.is_empty() {
        out.push_str(w("No claims are declared yet."));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_with_powers_of_ten_and_minus_signs() {
        assert_eq!(number_html("1e-12"), "10<sup>−12</sup>");
        assert_eq!(number_html("1.97e434"), "1.97 × 10<sup>434</sup>");
        assert_eq!(number_html("-0.5"), "−0.5");
        assert_eq!(number_html("-inf"), "−∞");
        assert_eq!(number_html("1048576"), "1048576");
    }

    #[test]
    fn expands_claims_numbers_and_leaves_code_alone() {
        let ledger = Ledger::default();
        let page = Path::new("appendix/x.md");
        let out = expand(
            "a {{#claim pi-ish 3.14 ± 0.01}} b {{#num 7}}\n```text\n{{#num 8}}\n```\n",
            page,
            Path::new("."),
            &ledger,
            &Words::english(),
        )
        .unwrap();
        assert!(out.contains(r#"id="claim-pi-ish">3.14<a class="claim-mark" href="../appendix/ledger.html#ledger-pi-ish""#), "{out}");
        assert!(out.contains(" b 7\n```text\n{{#num 8}}"), "{out}");
    }

    #[test]
    fn rejects_unknown_directives_and_bad_claims() {
        let ledger = Ledger::default();
        let p = Path::new("a.md");
        assert!(
            expand("{{#clam x 1}}", p, Path::new("."), &ledger, &Words::english())
                .unwrap_err()
                .to_string()
                .contains("unknown directive")
        );
        assert!(expand("{{#claim x}}", p, Path::new("."), &ledger, &Words::english()).is_err());
        assert_eq!(
            expand("{{#include f.rs}}", p, Path::new("."), &ledger, &Words::english()).unwrap(),
            "{{#include f.rs}}"
        );
    }

    #[test]
    fn listing_extracts_an_anchored_region_dedented() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(
            dir.join("f.rs"),
            "a\n    // ANCHOR: f\n    fn f() {\n        1\n    }\n    // ANCHOR_END: f\nb\n",
        )
        .unwrap();
        assert_eq!(
            listing(dir, "f.rs:f", &Strings::default()).unwrap(),
            "```rust\nfn f() {\n    1\n}\n```"
        );
        assert!(listing(dir, "f.rs:g", &Strings::default()).is_err());
        let folded = listing(dir, "f.rs:f folded", &Strings::default()).unwrap();
        assert!(folded.starts_with("<details"), "{folded}");
        assert!(folded.contains(&listing(dir, "f.rs:f", &Strings::default()).unwrap()));
        assert!(folded.ends_with("</details>"));
        assert!(listing(dir, "missing.rs:f", &Strings::default()).is_err());
    }
}
