//! A small scanner that splits a chapter's markdown into the parts the book
//! treats differently: prose, fenced code, inline code, math, `{{#...}}`
//! directives, raw HTML tags and link targets.
//!
//! It is deliberately not a full CommonMark parser. It knows exactly the
//! constructs this book uses, and both the claim parser and the number lint
//! read the markdown through it, so the two can never disagree about what
//! counts as prose.

/// What a span of markdown is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Ordinary text a reader reads as sentences.
    Prose,
    /// A fenced code block; `info` is the text after the opening fence
    /// (for example `rust` or `rust,ignore`), `body` starts on `body_line`.
    Fence { info: String, body_line: usize },
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
}

/// One piece of the markdown, with the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub line: usize,
}

/// Splits `src` into spans that cover it completely and in order.
pub fn scan<'a>(src: &'a str) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0; // current byte offset
    let mut prose_start = 0;
    let mut line = 1; // line of byte `i`
    let mut prose_line = 1;
    let mut at_line_start = true;

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
        if at_line_start && let Some((fence_end, info, lines)) = fence_at(src, i) {
            flush(&mut spans, prose_start, i, prose_line);
            spans.push(Span {
                kind: Kind::Fence {
                    info,
                    body_line: line + 1,
                },
                text: &src[i..fence_end],
                line,
            });
            line += lines;
            i = fence_end;
            prose_start = i;
            prose_line = line;
            at_line_start = true;
            continue;
        }
        let c = bytes[i];
        let found = match c {
            b'`' => delimited(src, i, "`", "`").map(|e| (e, Kind::InlineCode)),
            b'$' if i == 0 || bytes[i - 1] != b'\\' => {
                if src[i..].starts_with("$$") {
                    delimited(src, i, "$$", "$$").map(|e| (e, Kind::Math))
                } else {
                    delimited(src, i, "$", "$").map(|e| (e, Kind::Math))
                }
            }
            b'{' if src[i..].starts_with("{{#") => {
                delimited(src, i, "{{#", "}}").map(|e| (e, Kind::Directive))
            }
            b'<' if src[i..].starts_with("<!--") => {
                delimited(src, i, "<!--", "-->").map(|e| (e, Kind::Html))
            }
            b'<' if bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'/') =>
            {
                delimited(src, i, "<", ">").map(|e| (e, Kind::Html))
            }
            b'(' if i > 0 && bytes[i - 1] == b']' => {
                delimited(src, i, "(", ")").map(|e| (e, Kind::LinkTarget))
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
            at_line_start = src[..i].ends_with('\n');
            continue;
        }
        at_line_start = c == b'\n';
        if c == b'\n' {
            line += 1;
        }
        i += 1;
    }
    flush(&mut spans, prose_start, src.len(), prose_line);
    spans
}

/// If a fenced code block opens at byte `start`, returns its end (after the
/// closing fence's newline), its info string and the number of lines it spans.
fn fence_at(src: &str, start: usize) -> Option<(usize, String, usize)> {
    let rest = &src[start..];
    let indent = rest.len() - rest.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let body = &rest[indent..];
    let marker = body.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = body.len() - body.trim_start_matches(marker).len();
    if run < 3 {
        return None;
    }
    let first_line_end = rest.find('\n').map_or(rest.len(), |n| n + 1);
    let info = body[run..first_line_end - indent].trim().to_string();
    let closing: String = std::iter::repeat_n(marker, run).collect();
    let mut offset = first_line_end;
    let mut lines = 1;
    while offset < rest.len() {
        let line_end = rest[offset..]
            .find('\n')
            .map_or(rest.len(), |n| offset + n + 1);
        lines += 1;
        let candidate = rest[offset..line_end].trim();
        if candidate.starts_with(&closing) && candidate.trim_start_matches(marker).is_empty() {
            return Some((start + line_end, info, lines));
        }
        offset = line_end;
    }
    // An unclosed fence runs to the end of the file, as in CommonMark.
    Some((src.len(), info, lines))
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
    fn directive_splits_name_and_arguments() {
        assert_eq!(
            directive("{{#claim id 1.5 ± 0.1}}"),
            Some(("claim", "id 1.5 ± 0.1"))
        );
        assert_eq!(directive("{{#ledger}}"), Some(("ledger", "")));
        assert_eq!(directive("{{ nope }}"), None);
    }
}
