//! Claims: numbers the prose states, declared once and checked by code.
//!
//! A claim is declared in a chapter's markdown as a directive,
//!
//! ```text
//! {{#claim lse-pair 1000.6931471805599 ± 1e-12}}   within an absolute tolerance
//! {{#claim speedup 2.5 ± 10%}}                      within a relative tolerance
//! {{#claim pieces-k20 1048576}}                     exactly (NaN and ±inf allowed)
//! {{#claim shift-error < 1e-13}}                    a bound (<, <=, >, >=)
//! ```
//!
//! (`+-` may stand for `±`). The book renders the value as printed; a doctest
//! in the same chapter computes the value with the chapter's code and calls
//! the chapter's `claim(id, value)`, which looks the declaration up by id and
//! panics with the id, the declaration and the computed value if it fails.

use crate::markdown::{self, Kind};
use std::fmt;

/// How a computed value is compared with the declared one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// Bit-for-bit equal as f64 (NaN equals NaN here).
    Exact,
    /// `|computed - declared| <= tol`.
    Absolute(f64),
    /// `|computed - declared| <= tol * |declared|` (declared as a percentage).
    Relative(f64),
    /// `computed < declared`, `<=`, `>` or `>=`.
    Bound(Cmp),
}

/// The comparison of a bound claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// The comparison as a symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "≤",
            Cmp::Gt => ">",
            Cmp::Ge => "≥",
        }
    }
}

/// One declared claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    /// Stable identifier, unique in the whole book.
    pub id: String,
    /// The value exactly as written in the prose.
    pub printed: String,
    /// The printed value parsed as f64.
    pub value: f64,
    pub rule: Rule,
    /// 1-based line of the declaration in its markdown file.
    pub line: usize,
}

impl Claim {
    /// Whether a computed value satisfies this claim. NaN satisfies only an
    /// exact claim of NaN: a NaN can never sneak through a tolerance.
    pub fn holds(&self, computed: f64) -> bool {
        let d = self.value;
        match self.rule {
            Rule::Exact => computed == d || (computed.is_nan() && d.is_nan()),
            Rule::Absolute(tol) => (computed - d).abs() <= tol,
            Rule::Relative(tol) => (computed - d).abs() <= tol * d.abs(),
            Rule::Bound(Cmp::Lt) => computed < d,
            Rule::Bound(Cmp::Le) => computed <= d,
            Rule::Bound(Cmp::Gt) => computed > d,
            Rule::Bound(Cmp::Ge) => computed >= d,
        }
    }

    /// The tolerance in words, as the ledger shows it.
    pub fn rule_text(&self) -> String {
        match self.rule {
            Rule::Exact => "exact".into(),
            Rule::Absolute(t) => format!("± {t:e}"),
            Rule::Relative(t) => format!("± {}%", t * 100.0),
            Rule::Bound(c) => format!("{} bound", c.symbol()),
        }
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Rule::Exact => write!(f, "{} (exact)", self.printed),
            Rule::Bound(c) => write!(f, "{} {}", c.symbol(), self.printed),
            _ => write!(f, "{} {}", self.printed, self.rule_text()),
        }
    }
}

/// A malformed claim declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses the arguments of one `{{#claim ...}}` directive.
pub fn parse_declaration(args: &str, line: usize) -> Result<Claim, ParseError> {
    let err = |message: String| ParseError { line, message };
    let mut words = args.split_whitespace();
    let id = words
        .next()
        .ok_or_else(|| err("a claim needs an id and a value".into()))?;
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || !id.starts_with(|c: char| c.is_ascii_lowercase())
    {
        return Err(err(format!(
            "claim id `{id}` must be lower-case letters, digits and dashes, starting with a letter"
        )));
    }
    let rest: Vec<&str> = words.collect();
    let number = |text: &str| -> Result<f64, ParseError> {
        text.parse::<f64>()
            .map_err(|_| err(format!("claim `{id}`: `{text}` is not a number")))
    };
    let (printed, rule) = match rest.as_slice() {
        [value] => (*value, Rule::Exact),
        [op, value] if ["<", "<=", "≤", ">", ">=", "≥"].contains(op) => {
            let cmp = match *op {
                "<" => Cmp::Lt,
                "<=" | "≤" => Cmp::Le,
                ">" => Cmp::Gt,
                _ => Cmp::Ge,
            };
            (*value, Rule::Bound(cmp))
        }
        [value, pm, tol] if *pm == "±" || *pm == "+-" => {
            let rule = match tol.strip_suffix('%') {
                Some(pct) => Rule::Relative(number(pct)? / 100.0),
                None => Rule::Absolute(number(tol)?),
            };
            match rule {
                Rule::Absolute(t) | Rule::Relative(t) if !(t.is_finite() && t > 0.0) => {
                    return Err(err(format!(
                        "claim `{id}`: tolerance must be positive and finite"
                    )));
                }
                _ => {}
            }
            (*value, rule)
        }
        _ => {
            return Err(err(format!(
                "claim `{id}`: expected `VALUE`, `VALUE ± TOL`, `VALUE ± TOL%` or `< VALUE`, got `{}`",
                rest.join(" ")
            )));
        }
    };
    let value = number(printed)?;
    if value.is_nan() && rule != Rule::Exact {
        return Err(err(format!("claim `{id}`: a NaN claim can only be exact")));
    }
    Ok(Claim {
        id: id.to_string(),
        printed: printed.to_string(),
        value,
        rule,
        line,
    })
}

/// Every claim declared in a markdown text, in order.
pub fn parse(markdown_text: &str) -> Result<Vec<Claim>, ParseError> {
    markdown::scan(markdown_text)
        .into_iter()
        .filter(|s| s.kind == Kind::Directive)
        .filter_map(|s| {
            let (name, args) = markdown::directive(s.text)?;
            (name == "claim").then(|| parse_declaration(args, s.line))
        })
        .collect()
}

/// A value a claim can be checked against: any number, read as f64.
pub trait Measured {
    fn as_f64(&self) -> f64;
}

macro_rules! measured_as_f64 {
    ($($t:ty),*) => { $(impl Measured for $t { fn as_f64(&self) -> f64 { *self as f64 } })* };
}
measured_as_f64!(f64, f32, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// Checks `computed` against the claim `id` declared in `markdown_text`
/// (read from `file`). Panics with a message that names the claim, its
/// declaration and the computed value when the claim does not hold; this is
/// what a failing doctest prints.
pub fn check(file: &str, markdown_text: &str, id: &str, computed: impl Measured) {
    let computed = computed.as_f64();
    let claims = parse(markdown_text).unwrap_or_else(|e| panic!("{file}:{e}"));
    let Some(claim) = claims.iter().find(|c| c.id == id) else {
        let ids: Vec<&str> = claims.iter().map(|c| c.id.as_str()).collect();
        panic!(
            "claim `{id}` is not declared in {file} (declared there: {})",
            ids.join(", ")
        );
    };
    if !claim.holds(computed) {
        panic!(
            "claim `{id}` does not hold: declared {claim} at {file}:{}, computed {computed:?} (difference {:e})",
            claim.line,
            computed - claim.value
        );
    }
}

/// The declared absolute tolerance of claim `id` (a relative one times the
/// declared value). `None` for exact claims, bounds and unknown ids.
/// Statistical doctests use it to show that the declared tolerance covers
/// four standard errors of what they measured.
pub fn tolerance(markdown_text: &str, id: &str) -> Option<f64> {
    let claims = parse(markdown_text).ok()?;
    match claims.iter().find(|c| c.id == id)?.rule {
        Rule::Absolute(t) => Some(t),
        Rule::Relative(t) => Some(t * claims.iter().find(|c| c.id == id)?.value.abs()),
        Rule::Exact | Rule::Bound(_) => None,
    }
}

/// The value claim `id` declares, as printed; `None` for an unknown id.
/// A measured claim declared at an exact value uses it to show that the
/// printed value is the exact one to its digits.
pub fn value(markdown_text: &str, id: &str) -> Option<f64> {
    parse(markdown_text)
        .ok()?
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.value)
}

/// Defines, in a chapter crate, the chapter's markdown and its `claim`
/// function. `chapter!("ch02-softmax.md")` reads `src/ch02-softmax.md` at the
/// workspace root.
#[macro_export]
macro_rules! chapter {
    ($file:literal) => {
        /// The chapter's markdown, as the book renders it.
        pub const MARKDOWN: &str =
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../src/", $file));

        /// Checks a computed value against the claim `id` that the chapter's
        /// prose declares; panics with both values when it does not hold.
        pub fn claim(id: &str, computed: impl $crate::claims::Measured) {
            $crate::claims::check(concat!("src/", $file), MARKDOWN, id, computed)
        }

        /// The value that claim `id` declares, as printed; panics if the
        /// chapter declares no claim `id`.
        pub fn declared_value(id: &str) -> f64 {
            $crate::claims::value(MARKDOWN, id)
                .unwrap_or_else(|| panic!("claim `{id}` is not declared in src/{}", $file))
        }

        /// The declared absolute tolerance of claim `id`; panics if the
        /// claim is not declared with a tolerance.
        pub fn declared_tolerance(id: &str) -> f64 {
            $crate::claims::tolerance(MARKDOWN, id).unwrap_or_else(|| {
                panic!(
                    "claim `{id}` is not declared with a tolerance in src/{}",
                    $file
                )
            })
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(args: &str) -> Claim {
        parse_declaration(args, 1).unwrap()
    }

    #[test]
    fn parses_each_form() {
        assert_eq!(one("a 3").rule, Rule::Exact);
        assert_eq!(one("a 1.5 ± 0.25").rule, Rule::Absolute(0.25));
        assert_eq!(one("a 1.5 +- 0.25").rule, Rule::Absolute(0.25));
        assert_eq!(one("a 2 ± 10%").rule, Rule::Relative(0.1));
        assert_eq!(one("a <= 1e-12").rule, Rule::Bound(Cmp::Le));
        assert!(one("a NaN").value.is_nan());
        assert_eq!(one("a -inf").value, f64::NEG_INFINITY);
    }

    #[test]
    fn rejects_malformed_declarations() {
        for bad in [
            "",
            "A 1",
            "9a 1",
            "a",
            "a x",
            "a 1 ± 0",
            "a 1 ± -1",
            "a 1 ± NaN",
            "a 1 2",
            "a < NaN",
        ] {
            assert!(parse_declaration(bad, 7).is_err(), "accepted `{bad}`");
        }
        assert_eq!(parse_declaration("a", 7).unwrap_err().line, 7);
    }

    #[test]
    fn holds_follows_each_rule() {
        assert!(one("a 3").holds(3.0) && !one("a 3").holds(3.0000001));
        assert!(one("a NaN").holds(f64::NAN) && !one("a 1").holds(f64::NAN));
        assert!(one("a 1 ± 0.1").holds(1.09) && !one("a 1 ± 0.1").holds(1.2));
        assert!(!one("a 1 ± 0.1").holds(f64::NAN));
        assert!(one("a 200 ± 1%").holds(202.0) && !one("a 200 ± 1%").holds(203.0));
        assert!(one("a < 1").holds(0.5) && !one("a < 1").holds(1.0));
        assert!(one("a >= 1").holds(1.0) && !one("a > 1").holds(1.0));
        assert!(one("a inf").holds(f64::INFINITY));
    }

    #[test]
    fn finds_declarations_outside_code_only() {
        let md = "x {{#claim a 1}}\n```text\n{{#claim b 2}}\n```\n`{{#claim c 3}}` {{#num 4}}\n";
        let ids: Vec<String> = parse(md).unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["a"]);
    }

    #[test]
    fn failure_message_names_id_declaration_and_value() {
        let md = "\nvalue {{#claim answer 42 ± 0.5}}\n";
        let msg = std::panic::catch_unwind(|| check("ch.md", md, "answer", 43.0))
            .unwrap_err()
            .downcast::<String>()
            .unwrap();
        assert!(
            msg.contains("`answer`")
                && msg.contains("42")
                && msg.contains("43")
                && msg.contains("ch.md:2"),
            "{msg}"
        );
        check("ch.md", md, "answer", 42.25);
    }

    #[test]
    fn tolerance_reads_absolute_and_relative_declarations() {
        let md = "{{#claim a 2 ± 0.5}} {{#claim b 200 ± 1%}} {{#claim c 3}}";
        assert_eq!(tolerance(md, "a"), Some(0.5));
        assert_eq!(tolerance(md, "b"), Some(2.0));
        assert_eq!(tolerance(md, "c"), None);
        assert_eq!(tolerance(md, "d"), None);
    }

    #[test]
    fn value_reads_the_declared_number() {
        let md = "{{#claim a 2.5 ± 0.5}} {{#claim b < 1e-3}} {{#claim c -inf}}";
        assert_eq!(value(md, "a"), Some(2.5));
        assert_eq!(value(md, "b"), Some(1e-3));
        assert_eq!(value(md, "c"), Some(f64::NEG_INFINITY));
        assert_eq!(value(md, "d"), None);
    }

    #[test]
    #[should_panic(expected = "not declared")]
    fn unknown_id_panics() {
        check("ch.md", "{{#claim a 1}}", "b", 1.0);
    }
}
