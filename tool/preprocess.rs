//! The book's mdBook preprocessor. It expands the directives of
//! ARCHITECTURE.md: `{{#claim}}` (the value with a mark that links to the
//! ledger), `{{#num}}` (a plain number), `{{#listing}}` (an anchored region
//! of a workspace file as a Rust code block), `{{#live}}` (a live
//! experiment, see `live.rs`) and `{{#ledger}}`.

use crate::ledger::{self, Ledger};
use anyhow::{Context, bail};
use book_support::claims::{self, Claim, Rule};
use book_support::markdown::{self, Kind};
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::errors::Result;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The page of the ledger, relative to `src/`.
pub const LEDGER_PAGE: &str = "appendix/ledger.md";

/// Directives that mdBook's own `links` preprocessor expands after us.
const MDBOOK_DIRECTIVES: &[&str] = &["include", "rustdoc_include", "playground", "title"];

/// The preprocessor; `root` is the book's root folder.
pub struct BookPreprocessor {
    pub root: PathBuf,
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
        let mut failure = None;
        book.for_each_mut(|item| {
            let BookItem::Chapter(chapter) = item else {
                return;
            };
            let Some(path) = chapter.source_path.clone().or_else(|| chapter.path.clone()) else {
                return;
            };
            if failure.is_some() {
                return;
            }
            match expand(&chapter.content, &path, &self.root, &ledger) {
                Ok(content) => chapter.content = content,
                Err(e) => failure = Some(e.context(format!("in src/{}", path.display()))),
            }
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(book),
        }
    }
}

/// Expands every directive of one page, at `page` (relative to `src/`).
pub fn expand(content: &str, page: &Path, root: &Path, ledger: &Ledger) -> anyhow::Result<String> {
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
                out.push_str(&claim_html(&claim, &to_root));
            }
            "num" => {
                if args.is_empty() || args.contains(char::is_whitespace) {
                    bail!("line {line}: `{{{{#num}}}}` takes one number, got `{args}`");
                }
                out.push_str(args);
            }
            "listing" => {
                out.push_str(&listing(root, args).with_context(|| format!("line {line}"))?)
            }
            "ledger" => out.push_str(&ledger_table(ledger, &to_root)),
            "live" => out.push_str(&crate::live::widget_html(args, page, &to_root).with_context(|| format!("line {line}"))?),
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

fn claim_html(claim: &Claim, to_root: &str) -> String {
    let how = match claim.rule {
        Rule::Exact => "exactly".to_string(),
        Rule::Bound(_) => format!("as a bound: {claim}"),
        _ => format!("to {}", claim.rule_text()),
    };
    format!(
        "<span class=\"claim\" id=\"claim-{id}\">{value}<a class=\"claim-mark\" href=\"{to_root}appendix/ledger.html#ledger-{id}\" title=\"Claim {id}: checked by cargo test, {how}\" aria-label=\"claim {id} in the ledger\">✓</a></span>",
        id = claim.id,
        value = number_html(&claim.printed),
    )
}

/// `path:anchor` (workspace-relative): the lines between `ANCHOR: anchor`
/// and `ANCHOR_END: anchor`, as a fenced Rust block. Without an anchor, the
/// whole file. Other anchor comments inside the region are dropped. With a
/// trailing `folded` (`path:anchor folded`) the block is folded away in a
/// `<details>` element, for implementation detail that a reader may open
/// but need not read.
pub fn listing(root: &Path, args: &str) -> anyhow::Result<String> {
    if let Some(inner) = args.trim_end().strip_suffix(" folded") {
        let block = listing(root, inner.trim_end())?;
        let name = inner.trim();
        return Ok(format!(
            "<details class=\"listing\"><summary>Show the code: <code>{name}</code></summary>\n\n{block}\n\n</details>"
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

fn ledger_table(ledger: &Ledger, to_root: &str) -> String {
    let mut out = String::new();
    for chapter in ledger.entries.chunk_by(|a, b| a.chapter == b.chapter) {
        let first = &chapter[0];
        let page = Path::new(&first.page).with_extension("html");
        let _ = write!(
            out,
            "\n## [{title}]({to_root}{page})\n\nDeclared in <code>{file}</code>; lines of that file.\n\n\
             <table class=\"ledger\">\n<thead><tr><th>claim</th><th>value</th><th>tolerance</th>\
             <th>declared</th><th>checked by</th></tr></thead>\n<tbody>\n",
            title = first.chapter,
            page = page.display(),
            file = first.declared.file,
        );
        for e in chapter {
            let lines: Vec<String> = e.checked_by.iter().map(|l| l.line.to_string()).collect();
            let (value, tolerance) = match e.claim.rule {
                Rule::Bound(cmp) => (
                    format!("{} {}", cmp.symbol(), number_html(&e.claim.printed)),
                    "bound".to_string(),
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
        out.push_str("No claims are declared yet.\n");
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
            expand("{{#clam x 1}}", p, Path::new("."), &ledger)
                .unwrap_err()
                .to_string()
                .contains("unknown directive")
        );
        assert!(expand("{{#claim x}}", p, Path::new("."), &ledger).is_err());
        assert_eq!(
            expand("{{#include f.rs}}", p, Path::new("."), &ledger).unwrap(),
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
            listing(dir, "f.rs:f").unwrap(),
            "```rust\nfn f() {\n    1\n}\n```"
        );
        assert!(listing(dir, "f.rs:g").is_err());
        let folded = listing(dir, "f.rs:f folded").unwrap();
        assert!(folded.starts_with("<details"), "{folded}");
        assert!(folded.contains(&listing(dir, "f.rs:f").unwrap()));
        assert!(folded.ends_with("</details>"));
        assert!(listing(dir, "missing.rs:f").is_err());
    }
}
