//! The number lint: every number in the prose is a checked claim or is
//! explicitly exempt. See ARCHITECTURE.md for the rules; they are here in
//! code, each with a test.

use book_support::markdown::{self, Kind};

/// A bare number found in prose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub line: usize,
    pub number: String,
    pub context: String,
}

/// Words after which a number is a reference, not a quantity.
const REFERENCE_WORDS: &[&str] = &[
    "chapter",
    "chapters",
    "section",
    "sections",
    "§",
    "figure",
    "figures",
    "exercise",
    "exercises",
    "equation",
    "equations",
    "table",
    "tables",
    "appendix",
    "part",
    "theorem",
    "lemma",
    "step",
    "steps",
    "line",
    "lines",
    "issue",
    "issues",
    "page",
    "pages",
];

/// Words that continue a list of references ("chapters 3 and 4", "3 to 7",
/// "第 3、4 章", "图 2 和图 3").
const CONNECTORS: &[&str] = &["and", "or", "to", ",", "–", "-", "&", "、", "，", "和", "或", "至", "到", "与", "及"];

/// Chinese words after which a number is a reference ("图 2", "练习 4"): a
/// run of Chinese text counts when it ends with one.
const CHINESE_REFERENCE_WORDS: &[&str] = &[
    "章", "节", "图", "练习", "习题", "公式", "式", "表", "附录", "定理", "引理", "步", "行", "页",
];

/// What may follow "第 N" for it to be a reference ("第 3 章", "第 2 节").
const CHINESE_ORDINAL_UNITS: &[&str] = &["章", "节", "部分", "步", "题", "行", "页", "版"];

/// Whether `c` is written in Chinese (or Japanese) script: such a character
/// is a word of its own for the lint, so a digit beside it is not part of a
/// word ("共37层" has a bare number; "f64" has none).
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Lints one markdown text; returns every bare number with its line.
pub fn lint(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut in_references: Option<usize> = None; // heading level of a References section
    for span in markdown::scan(text) {
        if span.kind != Kind::Prose {
            continue;
        }
        let mut line = span.line;
        for (i, raw) in span.text.split('\n').enumerate() {
            if i > 0 {
                line += 1;
            }
            // A heading only counts at the start of a line.
            let at_line_start = i > 0 || starts_line(text, &span);
            if at_line_start && let Some(level) = heading_level(raw) {
                let title = raw[level..].trim().to_ascii_lowercase();
                match in_references {
                    Some(l) if level > l => {}
                    _ => {
                        in_references = (title.starts_with("references")
                            || title.starts_with("参考文献"))
                        .then_some(level)
                    }
                }
            }
            if in_references.is_some() {
                continue;
            }
            findings.extend(
                bare_numbers(raw, at_line_start)
                    .into_iter()
                    .map(|number| Finding {
                        line,
                        context: around(raw, &number),
                        number,
                    }),
            );
        }
    }
    findings
}

/// Up to about forty characters either side of the first `number` in `line`.
fn around(line: &str, number: &str) -> String {
    let at = line.find(number).unwrap_or(0);
    let start = line.floor_char_boundary(at.saturating_sub(40));
    let end = line.ceil_char_boundary((at + number.len() + 40).min(line.len()));
    line[start..end].trim().to_string()
}

fn starts_line(text: &str, span: &markdown::Span<'_>) -> bool {
    let offset = span.text.as_ptr() as usize - text.as_ptr() as usize;
    offset == 0 || text.as_bytes()[offset - 1] == b'\n'
}

fn heading_level(line: &str) -> Option<usize> {
    let hashes = line.len() - line.trim_start_matches('#').len();
    ((1..=6).contains(&hashes) && line[hashes..].starts_with(' ')).then_some(hashes)
}

/// A token of prose: a word (letters, digits, `_`), a number, or one symbol.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Number(&'a str),
    Symbol(&'a str),
}

fn tokens(line: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if is_cjk(c) {
            let mut end = start + c.len_utf8();
            while let Some(&(i, d)) = chars.peek() {
                if !is_cjk(d) {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            out.push(Token::Word(&line[start..end]));
        } else if c.is_alphanumeric() || c == '_' {
            let mut end = start + c.len_utf8();
            let mut all_digits = c.is_ascii_digit();
            while let Some(&(i, d)) = chars.peek() {
                let decimal_point = (d == '.' || d == ',')
                    && all_digits
                    && line[i + 1..].starts_with(|n: char| n.is_ascii_digit());
                if (d.is_alphanumeric() && !is_cjk(d)) || d == '_' || decimal_point {
                    all_digits &= d.is_ascii_digit() || decimal_point;
                    end = i + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let text = &line[start..end];
            out.push(if all_digits {
                Token::Number(text)
            } else {
                Token::Word(text)
            });
        } else {
            out.push(Token::Symbol(&line[start..start + c.len_utf8()]));
        }
    }
    out
}

fn is_year(n: &str) -> bool {
    n.len() == 4 && n.parse::<u32>().is_ok_and(|y| (1600..=2099).contains(&y))
}

/// The bare numbers of one line of prose.
fn bare_numbers(line: &str, at_line_start: bool) -> Vec<String> {
    let toks = tokens(line);
    let mut bare = Vec::new();
    let mut in_reference = false;
    // Numbers after "第", exempt only if a unit such as "章" follows them.
    let mut ordinal: Option<Vec<String>> = None;
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Token::Word(w) => {
                if let Some(pending) = ordinal.take() {
                    let connector = CONNECTORS.contains(w);
                    if connector {
                        ordinal = Some(pending);
                    } else if !CHINESE_ORDINAL_UNITS.iter().any(|u| w.starts_with(u)) {
                        bare.extend(pending);
                    }
                }
                let chinese = w.chars().next().is_some_and(is_cjk);
                if chinese && w.ends_with('第') && !CONNECTORS.contains(w) {
                    ordinal = Some(Vec::new());
                }
                in_reference = REFERENCE_WORDS.contains(&w.to_lowercase().as_str())
                    || (chinese && CHINESE_REFERENCE_WORDS.iter().any(|r| w.ends_with(r)))
                    || (in_reference && CONNECTORS.contains(w))
            }
            Token::Symbol(s) => {
                if let Some(pending) = ordinal.take() {
                    if CONNECTORS.contains(s) {
                        ordinal = Some(pending);
                    } else {
                        bare.extend(pending);
                    }
                }
                in_reference = (in_reference && CONNECTORS.contains(s)) || *s == "§"
            }
            Token::Number(n) => {
                let list_marker = at_line_start
                    && i == 0
                    && matches!(toks.get(1), Some(Token::Symbol(".") | Token::Symbol(")")));
                let reference = in_reference || (i > 0 && toks[i - 1] == Token::Symbol("#"));
                if let Some(pending) = &mut ordinal {
                    pending.push(n.to_string());
                } else if !(list_marker || reference || is_year(n)) {
                    bare.push(n.to_string());
                }
            }
        }
    }
    bare.extend(ordinal.into_iter().flatten());
    bare
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<String> {
        lint(text).into_iter().map(|f| f.number).collect()
    }

    #[test]
    fn flags_a_bare_number_with_its_line() {
        let f = lint("Intro.\n\nA net of about 37 layers.\n");
        assert_eq!(
            f,
            [Finding {
                line: 3,
                number: "37".into(),
                context: "A net of about 37 layers.".into()
            }]
        );
    }

    #[test]
    fn flags_decimals_whole() {
        assert_eq!(numbers("it is 0.5 or 1,000 or 3."), ["0.5", "1,000", "3"]);
    }

    #[test]
    fn exempts_math_code_directives_links_and_html() {
        let text = "$x = 3$ and $$y = 4$$ `let z = 5;` {{#claim a 6}} {{#num 7}} [a](b8.html) <img width=\"9\">\n```rust\nlet w = 10;\n```\n";
        assert!(numbers(text).is_empty(), "{:?}", numbers(text));
    }

    #[test]
    fn exempts_indented_code_and_reference_definitions() {
        let text = "Intro.\n\n    let w = 10;\n\n[c]: https://doi.org/10.1007/BF02551274 \"Vol. 2\"\n\nthen 11\n";
        assert_eq!(
            lint(text)
                .iter()
                .map(|f| (f.line, f.number.as_str()))
                .collect::<Vec<_>>(),
            [(7, "11")]
        );
    }

    #[test]
    fn an_indented_line_inside_a_paragraph_is_prose() {
        assert_eq!(numbers("A net\n    of 12 layers.\n"), ["12"]);
    }

    #[test]
    fn exempts_words_years_and_references() {
        let text = "f64 and L2 in ch02; Cybenko (1989); see chapter 3, chapters 3 and 4, sections 2 to 5, §4, figure 1, issue #12.";
        assert!(numbers(text).is_empty(), "{:?}", numbers(text));
    }

    #[test]
    fn a_reference_list_ends_at_other_words() {
        assert_eq!(numbers("chapter 3 has 12 figures"), ["12"]);
    }

    #[test]
    fn exempts_ordered_list_markers_only_at_line_start() {
        assert!(numbers("1. First\n2) second\n").is_empty());
        assert_eq!(numbers("then 2. more"), ["2"]);
    }

    #[test]
    fn exempts_the_references_section_until_a_sibling_heading() {
        let text = "## References\n\nCybenko, G. Math. Control 2(4), 303–314.\n### Books\n5 pages\n## Next\nnow 6\n";
        assert_eq!(
            lint(text)
                .iter()
                .map(|f| (f.line, f.number.as_str()))
                .collect::<Vec<_>>(),
            [(7, "6")]
        );
    }

    #[test]
    fn a_digit_beside_chinese_is_a_bare_number() {
        assert_eq!(numbers("共37层，宽度 64 的网络"), ["37", "64"]);
        assert_eq!(numbers("误差约为0.5。"), ["0.5"]);
        assert!(numbers("用 f64 计算，见 L2 范数").is_empty());
    }

    #[test]
    fn chinese_references_and_years_are_exempt() {
        let text = "见第3章、第 3、4 章和第 2 至 5 节，图2 和图 3，练习 4，公式2，表 1，He 等人（2016）与 2015 年。";
        assert!(numbers(text).is_empty(), "{:?}", numbers(text));
    }

    #[test]
    fn an_ordinal_that_is_not_a_reference_is_bare() {
        assert_eq!(numbers("第 37 层的梯度"), ["37"]);
        assert_eq!(numbers("排在第 2"), ["2"]);
    }

    #[test]
    fn the_chinese_references_section_is_exempt() {
        assert_eq!(numbers("## 参考文献\n\nCybenko, G. 2(4), 303–314.\n## 下一节\n共 6 个\n"), ["6"]);
    }

    #[test]
    fn headings_are_prose() {
        assert_eq!(numbers("## The 3 rules\n"), ["3"]);
    }
}
