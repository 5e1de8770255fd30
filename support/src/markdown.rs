//! A small scanner that splits a chapter's markdown into the parts the book
//! treats differently: prose, code blocks, inline code, math, `{{#...}}`
//! directives, raw HTML tags, link targets and link reference definitions.
//!
//! Block structure (which lines are code, which are reference definitions)
//! comes from `pulldown-cmark`, the parser mdBook renders with, so it is
//! exact: indented code, fences inside list items, definitions. The inline
//! constructs and the directives are found by the small scanner below, on
//! the raw text, the way the book's preprocessor and KaTeX see them (mdBook
//! expands `{{#...}}` before any markdown is parsed). Both the claim parser
//! and the number lint read the markdown through this one function, so the
//! two can never disagree about what counts as prose.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};
use std::ops::Range;

/// What a span of markdown is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Ordinary text a reader reads as sentences.
    Prose,
    /// A fenced code block; `info` is the text after the opening fence
    /// (for example `rust` or `rust,ignore`), `body` starts on `body_line`.
    Fence { info: String, body_line: usize },
    /// An indented code block (four spaces, outside a paragraph).
    IndentedCode,
    /// `inline code`.
    InlineCode,
    /// `$...$` or `$$...$$`, typeset by KaTeX.
    Math,
    /// `{{#name args}}`, expanded by the book's preprocessor.
    Directive,
    /// A raw HTML tag such as `<br>` or an HTML comment.
    Html,
    /// The target of a link or image, `(...)` after `]`.
    LinkTarget,
    /// A link reference definition, `[label]: url "title"`: not rendered.
    Definition,
}

/// One piece of the markdown, with the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub line: usize,
}

/// The extensions mdBook turns on (`mdbook-markdown`), plus math, so the
/// blocks found here are the blocks mdBook renders.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
}

/// The code blocks and reference definitions of `src`, in order.
fn blocks(src: &str) -> Vec<(Range<usize>, Kind)> {
    let parser = Parser::new_ext(src, options());
    let mut out: Vec<(Range<usize>, Kind)> = parser
        .reference_definitions()
        .iter()
        .map(|(_, def)| (def.span.clone(), Kind::Definition))
        .collect();
    for (event, range) in parser.into_offset_iter() {
        if let Event::Start(Tag::CodeBlock(kind)) = event {
            let kind = match kind {
                CodeBlockKind::Fenced(info) => Kind::Fence {
                    info: info.trim().to_string(),
                    body_line: 0, // set by `scan`, which counts lines
                },
                CodeBlockKind::Indented => Kind::IndentedCode,
            };
            out.push((range, kind));
        }
    }
    // A block owns the newline that ends its last line, so the prose after
    // it starts on a fresh line (as the number lint expects).
    for (range, _) in &mut out {
        if !src[..range.end].ends_with('\n') && src[range.end..].starts_with('\n') {
            range.end += 1;
        }
    }
    out.sort_by_key(|(range, _)| range.start);
    out
}

/// Splits `src` into spans that cover it completely and in order.
pub fn scan<'a>(src: &'a str) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let bytes = src.as_bytes();
    let mut blocks = blocks(src).into_iter().peekable();
    let mut i = 0; // current byte offset
    let mut prose_start = 0;
    let mut line = 1; // line of byte `i`
    let mut prose_line = 1;

    let flush = |spans: &mut Vec<Span<'a>>, from: usize, to: usize, line: usize| {
        if to > from {
            spans.push(Span {
                kind: Kind::Prose,
                text: &src[from..to],
                line,
            });
        }
    };

    while i < bytes.len() {
        // Inline constructs end before the next block starts.
        let limit = blocks.peek().map_or(src.len(), |(r, _)| r.start);
        if i >= limit {
            let (range, mut kind) = blocks.next().expect("peeked");
            if range.end <= i {
                continue; // nested in a block already emitted
            }
            flush(&mut spans, prose_start, i, prose_line);
            if let Kind::Fence { body_line, .. } = &mut kind {
                *body_line = line + 1;
            }
            let text = &src[i..range.end];
            spans.push(Span { kind, text, line });
            line += text.matches('\n').count();
            i = range.end;
            prose_start = i;
            prose_line = line;
            continue;
        }
        let c = bytes[i];
        let inline = &src[..limit];
        let found = match c {
            b'`' => delimited(inline, i, "`", "`").map(|e| (e, Kind::InlineCode)),
            b'$' if i == 0 || bytes[i - 1] != b'\\' => {
                if src[i..].starts_with("$$") {
                    delimited(inline, i, "$$", "$$").map(|e| (e, Kind::Math))
                } else {
                    delimited(inline, i, "$", "$").map(|e| (e, Kind::Math))
                }
            }
            b'{' if src[i..].starts_with("{{#") => {
                delimited(inline, i, "{{#", "}}").map(|e| (e, Kind::Directive))
            }
            b'<' if src[i..].starts_with("<!--") => {
                delimited(inline, i, "<!--", "-->").map(|e| (e, Kind::Html))
            }
            b'<' if bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'/') =>
            {
                delimited(inline, i, "<", ">").map(|e| (e, Kind::Html))
            }
            b'(' if i > 0 && bytes[i - 1] == b']' => {
                delimited(inline, i, "(", ")").map(|e| (e, Kind::LinkTarget))
            }
            _ => None,
        };
        if let Some((end, kind)) = found {
            flush(&mut spans, prose_start, i, prose_line);
            spans.push(Span {
                kind,
                text: &src[i..end],
                line,
            });
            line += src[i..end].matches('\n').count();
            i = end;
            prose_start = i;
            prose_line = line;
            continue;
        }
        if c == b'\n' {
            line += 1;
        }
        i += 1;
    }
    flush(&mut spans, prose_start, src.len(), prose_line);
    spans
}

/// If `open` at byte `start` is closed by `close` later, returns the end.
/// Inline constructs may not cross a blank line (a paragraph break).
fn delimited(src: &str, start: usize, open: &str, close: &str) -> Option<usize> {
    let body_start = start + open.len();
    let rest = src.get(body_start..)?;
    let mut search = 0;
    loop {
        let pos = rest[search..].find(close)? + search;
        if rest[..pos].contains("\n\n") {
            return None;
        }
        // `$` math: a closing `$` preceded by a backslash is an escaped dollar.
        if close == "$" && pos > 0 && rest.as_bytes()[pos - 1] == b'\\' {
            search = pos + 1;
            continue;
        }
        if pos == 0 && close != "}}" && close != ")" {
            return None; // `` or $$ handled elsewhere; empty spans are text
        }
        return Some(body_start + pos + close.len());
    }
}

/// The prose of `src` (what [`scan`] calls [`Kind::Prose`]), its pieces
/// joined by spaces.
pub fn prose(src: &str) -> String {
    scan(src)
        .into_iter()
        .filter(|s| s.kind == Kind::Prose)
        .map(|s| s.text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `{{#name args}}` directive, split into its name and argument text.
pub fn directive(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix("{{#")?.strip_suffix("}}")?.trim();
    Some(match inner.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (inner, ""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        scan(src).into_iter().map(|s| (s.kind, s.text)).collect()
    }

    #[test]
    fn spans_cover_the_text_in_order() {
        let src =
            "a `b` $c$ {{#claim x 1}} <br> [l](u)\n```rust\nlet x = 1;\n```\nend $$\nd\n$$ e\n";
        let joined: String = scan(src).iter().map(|s| s.text).collect();
        assert_eq!(joined, src);
    }

    #[test]
    fn recognises_each_kind() {
        let k = kinds("x `1` $2$ {{#claim a 3}} [t](http://4)");
        assert_eq!(k[1], (Kind::InlineCode, "`1`"));
        assert_eq!(k[3], (Kind::Math, "$2$"));
        assert_eq!(k[5], (Kind::Directive, "{{#claim a 3}}"));
        assert_eq!(k[7], (Kind::LinkTarget, "(http://4)"));
    }

    #[test]
    fn fences_record_info_and_lines() {
        let spans = scan("p\n\n```rust,ignore\nx\n```\nq 7\n");
        let fence = spans
            .iter()
            .find(|s| matches!(s.kind, Kind::Fence { .. }))
            .unwrap();
        assert_eq!(
            fence.kind,
            Kind::Fence {
                info: "rust,ignore".into(),
                body_line: 4
            }
        );
        assert_eq!(fence.line, 3);
        let last = spans.last().unwrap();
        assert_eq!((last.text, last.line), ("q 7\n", 6));
    }

    #[test]
    fn display_math_spans_lines_and_keeps_line_numbers() {
        let spans = scan("a\n$$\nx = 1\n$$\nb 2\n");
        assert_eq!(spans[1].kind, Kind::Math);
        assert_eq!(spans[2].line, 4);
    }

    #[test]
    fn escaped_dollar_and_lone_symbols_are_prose() {
        assert!(
            kinds("costs \\$5 and 3 < 4")
                .iter()
                .all(|(k, _)| *k == Kind::Prose)
        );
    }

    #[test]
    fn inline_spans_do_not_cross_paragraphs() {
        assert!(
            kinds("a $ b\n\nc $ d")
                .iter()
                .all(|(k, _)| *k == Kind::Prose)
        );
    }

    #[test]
    fn indented_code_blocks_are_code_but_indented_paragraph_lines_are_not() {
        let src = "Text 1\n    still prose 2\n\n    code 3\n    code 4\n\nafter 5\n";
        let spans = scan(src);
        let code: Vec<_> = spans
            .iter()
            .filter(|s| s.kind == Kind::IndentedCode)
            .collect();
        assert_eq!(code.len(), 1, "{spans:#?}");
        assert_eq!(code[0].line, 4);
        assert!(code[0].text.contains("code 3\n    code 4"));
        let prose: String = spans
            .iter()
            .filter(|s| s.kind == Kind::Prose)
            .map(|s| s.text)
            .collect();
        assert!(prose.contains("still prose 2") && prose.contains("after 5"));
        assert!(!prose.contains("code"));
        // A directive shown in an indented code block is code, not a claim.
        assert!(
            kinds("x\n\n    {{#claim a 1}}\n")
                .iter()
                .all(|(k, _)| *k != Kind::Directive)
        );
    }

    #[test]
    fn a_list_item_continuation_is_prose_and_its_fence_is_code() {
        let src = "- item\n\n    more of the item 1\n\n    ```rust\n    let x = 2;\n    ```\n";
        let spans = scan(src);
        assert!(
            spans.iter().all(|s| s.kind != Kind::IndentedCode),
            "{spans:#?}"
        );
        let fence = spans
            .iter()
            .find(|s| matches!(s.kind, Kind::Fence { .. }))
            .unwrap();
        assert_eq!(fence.line, 5);
        assert!(fence.text.contains("let x = 2;"));
    }

    #[test]
    fn reference_definitions_are_not_prose() {
        let src = "See [Cybenko][c].\n\n[c]: https://doi.org/10.1007/BF02551274 \"Math. Control 2\"\n\nEnd 3.\n";
        let spans = scan(src);
        let defs: Vec<_> = spans
            .iter()
            .filter(|s| s.kind == Kind::Definition)
            .collect();
        assert_eq!(defs.len(), 1, "{spans:#?}");
        assert_eq!(defs[0].line, 3);
        assert!(defs[0].text.starts_with("[c]: https://doi.org/10.1007"));
        assert_eq!(spans.last().unwrap().line, 4);
        // Not a definition: a paragraph cannot be interrupted by one.
        assert!(scan("text\n[c]: 1\n").iter().all(|s| s.kind == Kind::Prose));
    }

    #[test]
    fn inline_spans_stop_at_a_code_block() {
        // The `$` in prose is not closed by the `$` inside the code block.
        let src = "costs $5\n```sh\necho $x\n```\nmore\n";
        let k = kinds(src);
        assert!(k.iter().all(|(k, _)| *k != Kind::Math), "{k:#?}");
        let joined: String = scan(src).iter().map(|s| s.text).collect();
        assert_eq!(joined, src);
    }

    #[test]
    fn directive_splits_name_and_arguments() {
        assert_eq!(
            directive("{{#claim id 1.5 ± 0.1}}"),
            Some(("claim", "id 1.5 ± 0.1"))
        );
        assert_eq!(directive("{{#ledger}}"), Some(("ledger", "")));
        assert_eq!(directive("{{ nope }}"), None);
    }
}
