//! gettext PO files, the format translators and their tools (Poedit,
//! Weblate, `msgmerge`) know: an entry is an English `msgid` and its
//! translation `msgstr`. Only what the book uses is read: comments,
//! the `fuzzy` flag, the previous `#| msgid`, and strings continued over
//! several lines. A malformed file is an error naming its line.

use std::fmt::Write as _;

/// One entry: an English message and its translation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Translator comments (`# ...`), kept as written.
    pub comments: Vec<String>,
    pub msgid: String,
    pub msgstr: String,
    /// `#, fuzzy`: the English changed since this was translated.
    pub fuzzy: bool,
    /// `#| msgid`: the English this translation was made from, when fuzzy.
    pub previous: Option<String>,
    /// The 1-based line of the `msgid` keyword.
    pub line: usize,
}

impl Entry {
    /// A usable translation: present and not waiting for review.
    pub fn translated(&self) -> Option<&str> {
        (!self.fuzzy && !self.msgstr.is_empty()).then_some(self.msgstr.as_str())
    }
}

/// Parses a PO file. The header entry (empty `msgid`) is dropped.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    #[derive(PartialEq)]
    enum Field {
        None,
        Id,
        Str,
        Previous,
    }
    let mut entries = Vec::new();
    let mut entry = Entry::default();
    let mut field = Field::None;
    let mut started = false;
    let finish = |entry: &mut Entry, entries: &mut Vec<Entry>| {
        let done = std::mem::take(entry);
        if !done.msgid.is_empty() {
            entries.push(done);
        }
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let at = n + 1;
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("#|") {
            if field == Field::Str {
                finish(&mut entry, &mut entries);
                started = false;
            }
            let rest = rest.trim_start();
            let value = rest
                .strip_prefix("msgid")
                .map(|s| unquote(s.trim(), at))
                .unwrap_or_else(|| unquote(rest, at))?;
            entry.previous.get_or_insert_with(String::new).push_str(&value);
            field = Field::Previous;
            continue;
        }
        if line.starts_with('#') {
            if field == Field::Str {
                finish(&mut entry, &mut entries);
                started = false;
            }
            if let Some(flags) = line.strip_prefix("#,") {
                entry.fuzzy |= flags.split(',').any(|f| f.trim() == "fuzzy");
            } else if !line.starts_with("#~") && !line.starts_with("#:") && !line.starts_with("#.") {
                entry.comments.push(line.trim_start_matches('#').trim_start().to_string());
            }
            field = Field::None;
            continue;
        }
        if let Some(rest) = line.strip_prefix("msgid ") {
            if field == Field::Str {
                finish(&mut entry, &mut entries);
            }
            if started && field == Field::Id {
                return Err(format!("line {at}: a second msgid without a msgstr"));
            }
            started = true;
            entry.line = at;
            entry.msgid = unquote(rest, at)?;
            field = Field::Id;
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            if field != Field::Id {
                return Err(format!("line {at}: msgstr without a msgid before it"));
            }
            entry.msgstr = unquote(rest, at)?;
            field = Field::Str;
        } else if line.starts_with('"') {
            let value = unquote(line, at)?;
            match field {
                Field::Id => entry.msgid.push_str(&value),
                Field::Str => entry.msgstr.push_str(&value),
                Field::Previous => {
                    entry.previous.get_or_insert_with(String::new).push_str(&value)
                }
                Field::None => return Err(format!("line {at}: a string outside any entry")),
            }
        } else if line.starts_with("msgctxt") || line.starts_with("msgid_plural") {
            return Err(format!("line {at}: `{}` is not used by this book", line.split(' ').next().unwrap_or(line)));
        } else {
            return Err(format!("line {at}: expected msgid, msgstr, a string or a comment, found `{line}`"));
        }
    }
    match field {
        Field::Id => Err(format!("line {}: msgid without a msgstr", entry.line)),
        _ => {
            finish(&mut entry, &mut entries);
            Ok(entries)
        }
    }
}

/// `"..."` with C escapes, as one string.
fn unquote(quoted: &str, line: usize) -> Result<String, String> {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .filter(|_| quoted.len() >= 2)
        .ok_or_else(|| format!("line {line}: expected a string in double quotes, found `{quoted}`"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                other => {
                    return Err(format!(
                        "line {line}: unknown escape `\\{}` (a backslash is written `\\\\`)",
                        other.map(String::from).unwrap_or_default()
                    ));
                }
            },
            '"' => return Err(format!("line {line}: a bare `\"` inside a string (write `\\\"`)")),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes entries as a PO file with a header for `language`.
pub fn write(language: &str, entries: &[Entry]) -> String {
    let mut out = format!(
        "msgid \"\"\nmsgstr \"\"\n\"Language: {language}\\n\"\n\"MIME-Version: 1.0\\n\"\n\
         \"Content-Type: text/plain; charset=UTF-8\\n\"\n\"Content-Transfer-Encoding: 8bit\\n\"\n"
    );
    for e in entries {
        out.push('\n');
        for c in &e.comments {
            let _ = writeln!(out, "# {c}");
        }
        if e.fuzzy {
            out.push_str("#, fuzzy\n");
        }
        if let Some(previous) = &e.previous {
            let _ = writeln!(out, "#| msgid {}", quote(previous));
        }
        let _ = writeln!(out, "msgid {}", quote(&e.msgid));
        let _ = writeln!(out, "msgstr {}", quote(&e.msgstr));
    }
    out
}

/// An obsolete entry (`#~`): a translation whose English is gone, kept so
/// that no translator's work is lost; parsers skip it.
pub fn obsolete(e: &Entry) -> String {
    format!("\n#~ msgid {}\n#~ msgstr {}\n", quote(&e.msgid), quote(&e.msgstr))
}

/// The obsolete entries of a catalog's text, as written.
pub fn obsolete_text(text: &str) -> String {
    let mut out = String::new();
    for block in text.split("\n\n") {
        if block.lines().all(|l| l.starts_with("#~")) && !block.trim().is_empty() {
            out.push('\n');
            out.push_str(block.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_escapes_flags_and_comments() {
        let entries = vec![
            Entry {
                msgid: r#"The "stable" $\log\sum e^{x}$"#.into(),
                msgstr: r#"稳定的 $\log\sum e^{x}$"#.into(),
                comments: vec!["checked".into()],
                ..Entry::default()
            },
            Entry {
                msgid: "new text".into(),
                msgstr: "旧译文".into(),
                fuzzy: true,
                previous: Some("old text".into()),
                ..Entry::default()
            },
        ];
        let text = write("zh-CN", &entries);
        let back = parse(&text).unwrap();
        assert_eq!(back.len(), 2);
        for (a, b) in entries.iter().zip(&back) {
            assert_eq!((&a.msgid, &a.msgstr, a.fuzzy, &a.previous, &a.comments), (&b.msgid, &b.msgstr, b.fuzzy, &b.previous, &b.comments));
        }
        assert_eq!(back[0].translated(), Some(r#"稳定的 $\log\sum e^{x}$"#));
        assert_eq!(back[1].translated(), None, "a fuzzy entry is not used");
    }

    #[test]
    fn continued_strings_join() {
        let e = parse("msgid \"\"\n\"a \"\n\"b\"\nmsgstr \"x\"\n\"y\"\n").unwrap();
        assert_eq!((e[0].msgid.as_str(), e[0].msgstr.as_str(), e[0].line), ("a b", "xy", 1));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, needle) in [
            ("msgid \"a\"\nmsgstr \"\\frac\"\n", "line 2: unknown escape `\\f`"),
            ("msgid \"a\"\n", "line 1: msgid without a msgstr"),
            ("msgstr \"a\"\n", "line 1: msgstr without a msgid"),
            ("msgid \"a\"\nmsgstr \"b\"\nhello\n", "line 3: expected msgid"),
            ("msgid \"a\nmsgstr \"b\"\n", "line 1: expected a string"),
            ("msgid \"a\"\nmsgstr \"say \"hi\"\"\n", "line 2: a bare"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
