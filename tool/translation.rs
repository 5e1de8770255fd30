//! Translated editions. The English pages under `src/` are the source; a
//! translation is a gettext catalog per page, `po/<code>/<page>.po`, whose
//! entries pair an English *message* (a paragraph, a heading, a list item's
//! text, a table cell) with its translation. Staleness is gettext's: an
//! entry is keyed by the English text itself, so when a paragraph changes
//! its entry no longer matches, the page shows the English paragraph and
//! `cargo test` names it until the translation is updated
//! (`black-box translations` marks it fuzzy beside the English it was made
//! from).
//!
//! Numbers and code live only in the English source: a translation may not
//! add, drop or change a directive, a math span, inline code, a link
//! target or an HTML tag of its message, and it refers to a claim by its id
//! alone (`{{#claim id}}`), which the build replaces with the English
//! declaration, so both editions render the same checked value with the same
//! ledger entry.

use crate::po::{self, Entry};
use anyhow::Context as _;
use book_support::markdown::{self, Kind};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One edition of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edition {
    /// The folder of its catalogs (`po/zh/`) and of its built pages
    /// (`book/zh/`).
    pub code: &'static str,
    /// Its BCP 47 language tag, for `<html lang>` and `hreflang`.
    pub lang: &'static str,
    /// Its name in its own language, for the language switcher.
    pub name: &'static str,
}

/// The source edition, built into `book/`.
pub const ENGLISH: Edition = Edition {
    code: "en",
    lang: "en",
    name: "English",
};

/// The translations, each built into `book/<code>/`.
pub const TRANSLATIONS: &[Edition] = &[Edition {
    code: "zh",
    lang: "zh-CN",
    name: "简体中文",
}];

/// A translatable block of an English page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The block's markdown with its lines joined by single spaces: the
    /// `msgid`, so re-wrapping a paragraph does not make it stale.
    pub id: String,
    /// Where it is in the page.
    pub range: Range<usize>,
    pub line: usize,
    /// For a heading without an explicit `{#id}`: the anchor mdBook gives the
    /// English heading, which the translation keeps so links still land.
    pub anchor: Option<String>,
}

/// The translatable blocks of `src`, in order: paragraphs, headings, the text
/// of tight list items, table cells. A block with no letters outside math,
/// code and directives (a display equation, a `{{#listing}}`) is not one.
pub fn messages(src: &str) -> Vec<Message> {
    let mut out = Vec::new();
    // The open text block: its range so far, and whether it is a heading.
    let mut open: Option<(Range<usize>, Option<Vec<String>>)> = None;
    let mut item_text: Option<Range<usize>> = None;
    let mut depth_in_text = 0usize; // nesting inside a paragraph, heading or cell
    let mut used_anchors = HashSet::new();
    let line_of = |at: usize| src[..at].matches('\n').count() + 1;
    let mut push = |out: &mut Vec<Message>, range: Range<usize>, heading: Option<Vec<String>>| {
        let text = src[range.clone()].trim_end();
        let range = range.start..range.start + text.len();
        let id = join_lines(text);
        if !has_prose(&id) {
            return;
        }
        let anchor = heading.map(|words| unique(&anchor_of(&words.concat()), &mut used_anchors));
        out.push(Message {
            id,
            line: line_of(range.start),
            range,
            anchor,
        });
    };
    let mut in_item = 0usize;
    let mut explicit_id = false;
    for (event, range) in Parser::new_ext(src, markdown::options()).into_offset_iter() {
        match &event {
            Event::Start(Tag::Paragraph | Tag::TableCell) if depth_in_text == 0 => {
                if let Some(r) = item_text.take() {
                    push(&mut out, r, None);
                }
                open = Some((range.clone(), None));
                depth_in_text = 1;
            }
            Event::Start(Tag::Heading { id, .. }) if depth_in_text == 0 => {
                open = Some((usize::MAX..0, Some(Vec::new())));
                explicit_id = id.is_some();
                depth_in_text = 1;
            }
            Event::Start(_) if depth_in_text > 0 => {
                depth_in_text += 1;
                if let Some((r, Some(_))) = &mut open {
                    widen(r, &range); // a heading's range is its inline content
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::TableCell | TagEnd::Heading(_))
                if depth_in_text == 1 =>
            {
                depth_in_text = 0;
                if let Some((r, heading)) = open.take() {
                    push(&mut out, r, heading.filter(|_| !explicit_id));
                }
            }
            Event::End(_) if depth_in_text > 1 => depth_in_text -= 1,
            Event::Start(Tag::Item) => {
                if let Some(r) = item_text.take() {
                    push(&mut out, r, None);
                }
                in_item += 1;
            }
            Event::End(TagEnd::Item) => {
                if let Some(r) = item_text.take() {
                    push(&mut out, r, None);
                }
                in_item = in_item.saturating_sub(1);
            }
            Event::Start(_) | Event::End(_) if depth_in_text == 0 => {
                // A nested list or code block ends an item's own text; an
                // inline tag (emphasis, a link) continues it.
                let inline = matches!(
                    event,
                    Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. })
                        | Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image)
                );
                if inline && in_item > 0 {
                    widen(item_text.get_or_insert(range.clone()), &range);
                } else if let Some(r) = item_text.take() {
                    push(&mut out, r, None);
                }
            }
            _ if depth_in_text > 0 => {
                if let Some((r, Some(words))) = &mut open {
                    widen(r, &range);
                    if let Event::Text(t) | Event::Code(t) = &event {
                        words.push(t.to_string());
                    }
                }
            }
            _ if in_item > 0 => {
                widen(item_text.get_or_insert(range.clone()), &range);
            }
            _ => {}
        }
    }
    out
}

fn widen(r: &mut Range<usize>, by: &Range<usize>) {
    r.start = r.start.min(by.start);
    r.end = r.end.max(by.end);
}

/// Lines joined by one space, each line's indentation dropped.
fn join_lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` has a letter a reader reads, outside math, code and
/// directives.
fn has_prose(text: &str) -> bool {
    markdown::scan(text)
        .iter()
        .any(|s| s.kind == Kind::Prose && s.text.chars().any(char::is_alphabetic))
}

/// mdBook's heading anchor (`mdbook-html`'s `id_from_content`).
pub fn anchor_of(content: &str) -> String {
    content
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

fn unique(id: &str, used: &mut HashSet<String>) -> String {
    if used.insert(id.to_string()) {
        return id.to_string();
    }
    (1..)
        .map(|n| format!("{id}-{n}"))
        .find(|c| used.insert(c.clone()))
        .expect("some suffix is free")
}

/// The parts of a message that a translation keeps exactly: directives
/// (a claim by its id alone), math, inline code, link targets, HTML tags.
fn fixed_parts(text: &str) -> Vec<String> {
    let mut parts: Vec<String> = markdown::scan(text)
        .into_iter()
        .filter(|s| s.kind != Kind::Prose)
        .map(|s| match markdown::directive(s.text) {
            Some(("claim", args)) => {
                format!("{{{{#claim {}}}}}", args.split_whitespace().next().unwrap_or(""))
            }
            _ => s.text.to_string(),
        })
        .collect();
    parts.sort();
    parts
}

/// Checks a translation against its English message; the error says what
/// differs.
pub fn check(msgid: &str, msgstr: &str) -> Result<(), String> {
    if msgstr.contains('\n') {
        return Err("the translation has a line break (write it on one line)".into());
    }
    for span in markdown::scan(msgstr) {
        if let Some(("claim", args)) = markdown::directive(span.text)
            && args.split_whitespace().count() != 1
        {
            return Err(format!(
                "`{}` re-declares a claim: refer to it by its id alone",
                span.text
            ));
        }
    }
    let (want, got) = (fixed_parts(msgid), fixed_parts(msgstr));
    if want != got {
        let missing: Vec<&String> = want.iter().filter(|p| !got.contains(p)).collect();
        let extra: Vec<&String> = got.iter().filter(|p| !want.contains(p)).collect();
        return Err(format!(
            "the translation must keep every directive, math span, code span, link target and tag of the English exactly; missing {missing:?}, not in the English {extra:?}"
        ));
    }
    Ok(())
}

/// The English claim declaration for each `{{#claim id}}` of `msgstr`.
fn with_declarations(msgid: &str, msgstr: &str) -> String {
    let declarations: HashMap<&str, &str> = markdown::scan(msgid)
        .into_iter()
        .filter_map(|s| match markdown::directive(s.text) {
            Some(("claim", args)) => Some((args.split_whitespace().next()?, s.text)),
            _ => None,
        })
        .collect();
    markdown::scan(msgstr)
        .into_iter()
        .map(|s| match markdown::directive(s.text) {
            Some(("claim", id)) => declarations.get(id.trim()).copied().unwrap_or(s.text),
            _ => s.text,
        })
        .collect()
}

/// Something wrong with one page's translation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The English line of the message, or the catalog line of an entry.
    pub line: usize,
    pub what: String,
}

/// A translated page.
#[derive(Debug)]
pub struct Translated {
    pub text: String,
    /// The translation of the page's title (its first heading), if any.
    pub title: Option<String>,
    /// Messages shown in English (untranslated, fuzzy or invalid), entries
    /// that match no message: empty when the page is complete and current.
    pub problems: Vec<Problem>,
}

/// Translates the English page `src` with a page's catalog `entries`.
pub fn translate(src: &str, entries: &[Entry]) -> Translated {
    let by_id: HashMap<&str, &Entry> = entries.iter().map(|e| (e.msgid.as_str(), e)).collect();
    let mut problems = Vec::new();
    let mut title = None;
    let mut text = String::with_capacity(src.len() * 2);
    let mut at = 0;
    let messages = messages(src);
    let ids: HashSet<&str> = messages.iter().map(|m| m.id.as_str()).collect();
    for m in &messages {
        text.push_str(&src[at..m.range.start]);
        at = m.range.end;
        let english = &src[m.range.clone()];
        let translation = match by_id.get(m.id.as_str()) {
            None => Err("not translated".to_string()),
            Some(e) if e.fuzzy => Err(format!("fuzzy (catalog line {}): the English changed", e.line)),
            Some(e) if e.msgstr.is_empty() => Err("not translated".to_string()),
            Some(e) => check(&m.id, &e.msgstr).map(|()| with_declarations(&m.id, &e.msgstr)),
        };
        match translation {
            Ok(t) => {
                text.push_str(&t);
                if m.range.start <= 2 && m.anchor.is_some() {
                    title = Some(t.clone());
                }
                if let Some(anchor) = &m.anchor {
                    text.push_str(&format!(" {{#{anchor}}}"));
                }
            }
            Err(what) => {
                problems.push(Problem {
                    line: m.line,
                    what: format!("{what}: \"{}\"", abbreviate(&m.id)),
                });
                text.push_str(english);
            }
        }
    }
    text.push_str(&src[at..]);
    for e in entries {
        if !ids.contains(e.msgid.as_str()) && !e.fuzzy {
            problems.push(Problem {
                line: e.line,
                what: format!("stale entry: its English is no longer on the page: \"{}\"", abbreviate(&e.msgid)),
            });
        }
    }
    Translated { text, title, problems }
}

fn abbreviate(s: &str) -> String {
    match s.char_indices().nth(70) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The catalog of page `page` (relative to `src/`) in `edition`.
pub fn catalog_path(root: &Path, edition: &Edition, page: &Path) -> PathBuf {
    root.join("po").join(edition.code).join(page.with_extension("po"))
}

/// Reads a catalog; a missing file is an empty catalog.
pub fn load(path: &Path) -> anyhow::Result<Vec<Entry>> {
    match std::fs::read_to_string(path) {
        Ok(text) => po::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| path.display().to_string()),
    }
}

/// Brings a page's catalog up to date with its English (as `msgmerge`
/// does): an entry whose English is unchanged keeps its translation; one
/// whose English changed keeps it marked fuzzy, with the English it was made
/// from, paired by order among the changed ones; new messages get an empty
/// entry. Nothing translated is dropped: translations left over are kept at
/// the end as obsolete (`#~`) entries. Returns the catalog's text.
pub fn merge(src: &str, old: &[Entry], edition: &Edition, obsolete_text: &str) -> String {
    let ids: Vec<String> = messages(src).into_iter().map(|m| m.id).collect();
    merge_ids(&ids, old, edition, obsolete_text)
}

/// [`merge`] for a catalog whose messages are `messages`.
pub fn merge_ids(messages: &[String], old: &[Entry], edition: &Edition, obsolete_text: &str) -> String {
    let ids: HashSet<&str> = messages.iter().map(String::as_str).collect();
    let by_id: HashMap<&str, &Entry> = old.iter().map(|e| (e.msgid.as_str(), e)).collect();
    let mut orphans = old
        .iter()
        .filter(|e| !ids.contains(e.msgid.as_str()) && !e.msgstr.is_empty())
        .peekable();
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    for id in messages {
        if !seen.insert(id.as_str()) {
            continue; // one entry serves every repeat of a message
        }
        let entry = match by_id.get(id.as_str()) {
            Some(e) => Entry {
                msgid: id.clone(),
                ..(*e).clone()
            },
            None => match orphans.next() {
                Some(o) => Entry {
                    msgid: id.clone(),
                    msgstr: o.msgstr.clone(),
                    comments: o.comments.clone(),
                    fuzzy: true,
                    previous: Some(o.previous.clone().unwrap_or_else(|| o.msgid.clone())),
                    line: 0,
                },
                None => Entry {
                    msgid: id.clone(),
                    ..Entry::default()
                },
            },
        };
        entries.push(entry);
    }
    let mut text = po::write(edition.lang, &entries);
    text.push_str(obsolete_text);
    for o in orphans {
        text.push_str(&po::obsolete(o));
    }
    text
}

/// The short texts of an edition that are not paragraphs of a page: the
/// interface (`interface.po`: the book's title, part titles, the words the
/// build writes around claims, listings and the ledger) and the text drawn in
/// figures and live experiments (`figures.po`, `live.po`), whose messages are
/// templates with `{}` for each number ([`template_of`]), so that numbers
/// are never typed twice. The English edition's strings are the identity.
#[derive(Clone, Debug, Default)]
pub struct Strings {
    map: HashMap<String, String>,
}

impl Strings {
    /// The strings of catalog `name` (`interface`, `figures`, `live`) of
    /// `edition`; empty (every text stays English) for the English edition.
    pub fn load(root: &Path, edition: &Edition, name: &str) -> anyhow::Result<Strings> {
        if *edition == ENGLISH {
            return Ok(Strings::default());
        }
        let path = root.join("po").join(edition.code).join(format!("{name}.po"));
        let map = load(&path)?
            .into_iter()
            .filter_map(|e| Some((e.msgid.clone(), e.translated()?.to_string())))
            .collect();
        Ok(Strings { map })
    }

    /// Whether there are no translations (the English edition).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The translations as a JSON object, English to translation, for a
    /// page's script.
    pub fn to_json(&self) -> String {
        let map: std::collections::BTreeMap<&String, &String> = self.map.iter().collect();
        serde_json::to_string(&map).expect("strings serialize")
    }

    /// The translation of `english`, or `english` itself.
    pub fn get<'a>(&'a self, english: &'a str) -> &'a str {
        self.map.get(english).map_or(english, String::as_str)
    }

    /// `english` translated through its template: its numbers are taken
    /// out, the template looked up, and the same numbers put back in order.
    /// `None` when the template has no translation.
    pub fn fill(&self, english: &str) -> Option<String> {
        let (template, numbers) = template_of(english);
        let translated = self.map.get(&template)?;
        let mut out = String::with_capacity(translated.len());
        let mut numbers = numbers.into_iter();
        let mut parts = translated.split("{}");
        out.push_str(parts.next().unwrap_or(""));
        for part in parts {
            out.push_str(numbers.next().unwrap_or(""));
            out.push_str(part);
        }
        Some(out)
    }
}

/// `text` with each number (a run of digits, with a decimal point or an
/// exponent) replaced by `{}`, and the numbers taken out, in order.
pub fn template_of(text: &str) -> (String, Vec<&str>) {
    let bytes = text.as_bytes();
    let mut template = String::with_capacity(text.len());
    let mut numbers = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i + 1 < bytes.len() && bytes[i] == b'e' {
                let sign = usize::from(matches!(bytes.get(i + 1), Some(b'-' | b'+')));
                if bytes.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
                    i += 1 + sign;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            template.push_str(&text[copied..start]);
            template.push_str("{}");
            numbers.push(&text[start..i]);
            copied = i;
        } else {
            i += 1;
        }
    }
    template.push_str(&text[copied..]);
    (template, numbers)
}

/// Whether a drawn text needs translating: it has a word of two or more
/// letters (a single letter is a symbol, `n = 3`; a number is a number).
pub fn has_words(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        if c.is_alphabetic() {
            run += 1;
            if run >= 2 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// The English pages a translation covers, relative to `src/`: every
/// markdown file but `SUMMARY.md` (whose titles are the pages' own).
pub fn pages(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(crate::markdown_files(root)?
        .into_iter()
        .filter_map(|f| f.strip_prefix("src").ok().map(Path::to_path_buf))
        .filter(|p| p != Path::new("SUMMARY.md"))
        .collect())
}

/// Page `page` (relative to `src/`) of `edition`, from its English and its
/// catalog.
pub fn translate_page(root: &Path, edition: &Edition, page: &Path) -> anyhow::Result<Translated> {
    let src = std::fs::read_to_string(root.join("src").join(page))?;
    Ok(translate(&src, &load(&catalog_path(root, edition, page))?))
}

/// Every problem of `edition`'s translation, as `file:line: what` (the
/// English page's line, or the catalog's), with the number lint run on each
/// translated page.
pub fn problems(root: &Path, edition: &Edition) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for page in pages(root)? {
        let t = translate_page(root, edition, &page)?;
        let catalog = catalog_path(root, edition, &page);
        let catalog = catalog.strip_prefix(root).unwrap_or(&catalog).display().to_string();
        for p in &t.problems {
            let file = if p.what.starts_with("stale") { catalog.clone() } else { format!("src/{}", page.display()) };
            out.push(format!("{file}:{}: {}", p.line, p.what));
        }
        for f in crate::lint::lint(&t.text) {
            out.push(format!("{catalog}: bare number `{}` in \"{}\"", f.number, f.context));
        }
    }
    for (name, ids) in string_catalogs(root)? {
        let path = root.join("po").join(edition.code).join(format!("{name}.po"));
        let file = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        let entries = load(&path)?;
        let by_id: HashMap<&str, &Entry> = entries.iter().map(|e| (e.msgid.as_str(), e)).collect();
        for id in &ids {
            match by_id.get(id.as_str()) {
                Some(e) if e.translated().is_some() => {
                    if placeholders(&e.msgid) != placeholders(&e.msgstr) {
                        out.push(format!("{file}:{}: the translation must keep the placeholders {:?} of \"{}\"", e.line, placeholders(&e.msgid), abbreviate(id)));
                    }
                }
                Some(e) if e.fuzzy => out.push(format!("{file}:{}: fuzzy: \"{}\"", e.line, abbreviate(id))),
                _ => out.push(format!("{file}: not translated: \"{}\"", abbreviate(id))),
            }
        }
        let ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
        for e in &entries {
            if !ids.contains(e.msgid.as_str()) && !e.fuzzy {
                out.push(format!("{file}:{}: stale entry: \"{}\"", e.line, abbreviate(&e.msgid)));
            }
        }
    }
    let translated: String = pages(root)?
        .iter()
        .map(|page| translate_page(root, edition, page).map(|t| t.text))
        .collect::<anyhow::Result<Vec<_>>>()?
        .join("\n");
    let file = format!("po/{}/glossary.po", edition.code);
    for t in glossary(root, edition)? {
        if t.first_use.is_none() {
            out.push(format!("{file}: the English pages never use \"{}\"", t.english));
        }
        if t.translated.is_empty() || !translated.contains(&t.translated) {
            out.push(format!("{file}: the translation never uses \"{}\" (for \"{}\")", t.translated, t.english));
        }
    }
    Ok(out)
}

/// The `{...}` placeholders of a short text, sorted.
fn placeholders(s: &str) -> Vec<&str> {
    let mut out: Vec<&str> = s.match_indices('{').filter_map(|(i, _)| s[i..].find('}').map(|j| &s[i..=i + j])).collect();
    out.sort_unstable();
    out
}

/// The catalogs of short texts and their messages: `interface` (the
/// book's title and description, its part titles, the build's words),
/// `live` (the widgets' texts) and `figures` (the templates of every text
/// drawn in a committed figure).
pub fn string_catalogs(root: &Path) -> anyhow::Result<Vec<(&'static str, Vec<String>)>> {
    let config = std::fs::read_to_string(root.join("book.toml"))?;
    let mut interface: Vec<String> = ["title", "description"]
        .iter()
        .filter_map(|key| toml_string(&config, key))
        .collect();
    interface.extend(crate::summary::part_titles(root)?);
    interface.extend(crate::preprocess::INTERFACE.iter().map(|s| s.to_string()));
    let mut live: Vec<String> = crate::live::messages().into_iter().map(String::from).collect();
    live.extend(crate::live::runtime_messages().map_err(anyhow::Error::msg)?);
    let mut figures = Vec::new();
    for svg in figure_files(&root.join("src/figures"))? {
        for text in svg_texts(&std::fs::read_to_string(&svg)?) {
            if has_words(&text) {
                figures.push(template_of(&text).0);
            }
        }
    }
    Ok(vec![("interface", interface), ("live", live), ("figures", figures)])
}

/// `key = "value"` of the `[book]` table of a `book.toml` text.
fn toml_string(config: &str, key: &str) -> Option<String> {
    config.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Every SVG under `dir`, sorted.
fn figure_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let path = entry?.into_path();
        if path.extension().is_some_and(|e| e == "svg") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The contents of the `<text>` elements of an SVG, unescaped.
pub fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    rewrite_svg_texts(svg, |t| {
        out.push(t.to_string());
        None
    });
    out
}

/// `svg` with the content of each `<text>` element replaced by `f`'s
/// answer for its unescaped text (kept where `f` answers `None`).
fn rewrite_svg_texts(svg: &str, mut f: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find("<text") {
        let Some(open_end) = rest[at..].find('>').map(|i| at + i + 1) else { break };
        let Some(close) = rest[open_end..].find("</text>").map(|i| open_end + i) else { break };
        out.push_str(&rest[..open_end]);
        let raw = &rest[open_end..close];
        let text = crate::html::unescape(raw.trim());
        match f(&text) {
            Some(new) => out.push_str(&crate::html::escape(&new)),
            None => out.push_str(raw),
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}


/// A figure in `edition`'s language: every text with words translated
/// through `figures.po`'s templates; returns the texts left in English.
pub fn translate_svg(svg: &str, strings: &Strings) -> (String, Vec<String>) {
    let mut missing = Vec::new();
    let out = rewrite_svg_texts(svg, |text| {
        if !has_words(text) {
            return None;
        }
        let t = strings.fill(text);
        if t.is_none() {
            missing.push(text.to_string());
        }
        t
    });
    (out, missing)
}

/// Translates, in place, every figure of the built edition at `dir`
/// (`dir/figures/`, copied there from `src/figures/` by mdBook).
pub fn translate_figures(root: &Path, edition: &Edition, dir: &Path) -> anyhow::Result<()> {
    let strings = Strings::load(root, edition, "figures")?;
    let mut missing = 0;
    for path in figure_files(&dir.join("figures"))? {
        let (svg, left) = translate_svg(&std::fs::read_to_string(&path)?, &strings);
        missing += left.len();
        std::fs::write(&path, svg)?;
    }
    if missing > 0 {
        eprintln!("{}: {missing} figure text(s) left in English (po/{}/figures.po)", edition.code, edition.code);
    }
    Ok(())
}

/// Where an edition's glossary page goes (it has no English page).
pub const GLOSSARY_PAGE: &str = "appendix/glossary.md";

/// One term of a glossary: the English, the translation, and where the
/// English page first uses it (page relative to `src/`, section anchor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub english: String,
    pub translated: String,
    pub first_use: Option<(PathBuf, Option<String>)>,
}

/// The glossary of `edition` (`po/<code>/glossary.po`: English term, its
/// translation), each term with its first use in the English pages, in
/// book order; sorted by the English term.
pub fn glossary(root: &Path, edition: &Edition) -> anyhow::Result<Vec<Term>> {
    let path = root.join("po").join(edition.code).join("glossary.po");
    let entries = load(&path)?;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    // Where a chapter teaches the term: not the introduction's overview,
    // not a list of references.
    let mut pages = Vec::new();
    for page in crate::summary::read(root)?.into_iter().filter(|p| p.path != Path::new("introduction.md")) {
        let src = std::fs::read_to_string(root.join("src").join(&page.path))?;
        pages.push((page.path, messages(&src)));
    }
    let mut terms: Vec<Term> = entries
        .iter()
        .map(|e| Term {
            english: e.msgid.clone(),
            translated: e.msgstr.clone(),
            first_use: first_use(&pages, &e.msgid),
        })
        .collect();
    terms.sort_by_key(|t| t.english.to_lowercase());
    Ok(terms)
}

/// The first page and section whose prose uses `term` as a word (any case).
fn first_use(pages: &[(PathBuf, Vec<Message>)], term: &str) -> Option<(PathBuf, Option<String>)> {
    let term = term.to_lowercase();
    for (page, messages) in pages {
        let mut section = None;
        for m in messages {
            if m.anchor.is_some() {
                section.clone_from(&m.anchor);
            }
            if section.as_deref().is_some_and(|s| s.starts_with("references")) {
                continue;
            }
            let prose = markdown::prose(&m.id).to_lowercase();
            // As a word, or its plural ("adversarial examples").
            let found = prose.match_indices(&term).any(|(i, _)| {
                let before = prose[..i].chars().next_back();
                let rest = &prose[i + term.len()..];
                let rest = rest.strip_prefix('s').filter(|r| !r.starts_with(char::is_alphanumeric)).unwrap_or(rest);
                !before.is_some_and(char::is_alphanumeric) && !rest.starts_with(char::is_alphanumeric)
            });
            if found {
                return Some((page.clone(), section));
            }
        }
    }
    None
}

/// The glossary page's markdown, written with the edition's interface words.
pub fn glossary_page(terms: &[Term], words: &Strings) -> String {
    let to_english = "../../"; // from appendix/glossary.html to the English root
    let mut out = format!(
        "# {}\n\n{}\n\n| {} | {} |\n|---|---|\n",
        words.get("Glossary"),
        words.get("The terms this edition uses for the book's ideas, each beside its English original, which links to the English page where it first appears."),
        words.get("Term"),
        words.get("English original"),
    );
    for t in terms {
        let english = match &t.first_use {
            Some((page, section)) => format!(
                "[{}]({to_english}{}{})",
                t.english,
                page.with_extension("html").display(),
                section.as_ref().map(|a| format!("#{a}")).unwrap_or_default()
            ),
            None => t.english.clone(),
        };
        out.push_str(&format!("| {} | {english} |\n", t.translated));
    }
    out
}

/// How far a page's translation is: translated, fuzzy, untranslated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub translated: usize,
    pub fuzzy: usize,
    pub untranslated: usize,
}

/// Merges every page's catalog of `edition` with its English
/// ([`merge`]), writing only catalogs whose text changes.
pub fn update(root: &Path, edition: &Edition) -> anyhow::Result<Vec<(PathBuf, Progress)>> {
    let mut catalogs: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for page in pages(root)? {
        let src = std::fs::read_to_string(root.join("src").join(&page))?;
        let ids = messages(&src).into_iter().map(|m| m.id).collect();
        catalogs.push((page.with_extension("po"), ids));
    }
    for (name, ids) in string_catalogs(root)? {
        catalogs.push((PathBuf::from(format!("{name}.po")), ids));
    }
    let mut out = Vec::new();
    for (file, ids) in catalogs {
        let path = root.join("po").join(edition.code).join(&file);
        let page = file;
        let old_text = std::fs::read_to_string(&path).unwrap_or_default();
        let old = po::parse(&old_text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let text = merge_ids(&ids, &old, edition, &po::obsolete_text(&old_text));
        if text != old_text {
            std::fs::create_dir_all(path.parent().expect("po/<code>/"))?;
            std::fs::write(&path, &text)?;
        }
        let mut progress = Progress::default();
        for e in po::parse(&text).map_err(anyhow::Error::msg)? {
            match (e.fuzzy, e.msgstr.is_empty()) {
                (_, true) => progress.untranslated += 1,
                (true, false) => progress.fuzzy += 1,
                (false, false) => progress.translated += 1,
            }
        }
        out.push((page, progress));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(src: &str) -> Vec<String> {
        messages(src).into_iter().map(|m| m.id).collect()
    }

    #[test]
    fn messages_are_the_prose_blocks() {
        let src = "# The title\n\nA paragraph\nwrapped over lines, $x = 1$.\n\n$$\ny = 2\n$$\n\n{{#listing a.rs:b}}\n\n- one item\n  wrapped\n- two *em*\n  - nested\n\n| a | $b$ |\n|---|---|\n| cell | $1$ |\n\n```rust\nlet x = 1;\n```\n";
        assert_eq!(
            ids(src),
            [
                "The title",
                "A paragraph wrapped over lines, $x = 1$.",
                "one item wrapped",
                "two *em*",
                "nested",
                "a",
                "cell"
            ]
        );
        let m = messages(src);
        assert_eq!(m[0].anchor.as_deref(), Some("the-title"));
        assert_eq!(m[1].line, 3);
        assert_eq!(m[2].anchor, None);
    }

    #[test]
    fn a_heading_keeps_its_english_anchor_and_repeats_are_numbered() {
        let m = messages("## Summary\n\ntext\n\n## Summary\n\n## Own {#mine}\n");
        let anchors: Vec<_> = m.iter().map(|m| m.anchor.clone()).collect();
        assert_eq!(anchors, [Some("summary".into()), None, Some("summary-1".into()), None]);
        let t = translate(
            "## Summary\n",
            &[Entry { msgid: "Summary".into(), msgstr: "小结".into(), ..Entry::default() }],
        );
        assert_eq!(t.text, "## 小结 {#summary}\n");
    }

    #[test]
    fn a_translation_keeps_every_fixed_part_and_refers_to_claims_by_id() {
        let id = "The error is {{#claim err 0.5 ± 1e-3}} at $n = 3$ (`f64`, [chapter 2](ch02.md)).";
        assert_eq!(check(id, "误差为 {{#claim err}}，$n = 3$ 时（`f64`，[第2章](ch02.md)）。"), Ok(()));
        for (bad, why) in [
            ("误差为 {{#claim err 0.5 ± 1e-3}}，$n = 3$（`f64`，[第2章](ch02.md)）", "re-declares"),
            ("误差为 {{#claim err}}，$n = 4$（`f64`，[第2章](ch02.md)）", "missing [\"$n = 3$\"]"),
            ("误差为 $n = 3$（`f64`，[第2章](ch02.md)）", "missing [\"{{#claim err}}\"]"),
            ("误差为 {{#claim err}} {{#num 3}}，$n = 3$（`f64`，[第2章](ch02.md)）", "not in the English [\"{{#num 3}}\"]"),
            ("误差为 {{#claim err}}，$n = 3$（`f64`，[第2章](ch03.md)）", "(ch02.md)"),
            ("误差\n为 {{#claim err}}，$n = 3$（`f64`，[第2章](ch02.md)）", "line break"),
        ] {
            let e = check(id, bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let t = translate(
            &format!("{id}\n"),
            &[Entry { msgid: id.into(), msgstr: "误差为 {{#claim err}}，$n = 3$ 时（`f64`，[第2章](ch02.md)）。".into(), ..Entry::default() }],
        );
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert!(t.text.starts_with("误差为 {{#claim err 0.5 ± 1e-3}}，"), "{}", t.text);
    }

    #[test]
    fn missing_fuzzy_and_stale_entries_fall_back_to_english_and_are_named() {
        let src = "First one.\n\nSecond one.\n\nThird one.\n";
        let entries = [
            Entry { msgid: "First one.".into(), msgstr: "第一。".into(), ..Entry::default() },
            Entry { msgid: "Second one.".into(), msgstr: "第二。".into(), fuzzy: true, line: 7, ..Entry::default() },
            Entry { msgid: "Gone.".into(), msgstr: "没了。".into(), line: 9, ..Entry::default() },
        ];
        let t = translate(src, &entries);
        assert_eq!(t.text, "第一。\n\nSecond one.\n\nThird one.\n");
        let what: Vec<(usize, &str)> = t.problems.iter().map(|p| (p.line, p.what.split(':').next().unwrap())).collect();
        assert_eq!(what, [(3, "fuzzy (catalog line 7)"), (5, "not translated"), (9, "stale entry")]);
    }

    #[test]
    fn templates_take_numbers_out_and_put_them_back() {
        assert_eq!(template_of("depth 100, σ² = 2.5e-3 (x_0)"), ("depth {}, σ² = {} (x_{})".to_string(), vec!["100", "2.5e-3", "0"]));
        let strings = Strings { map: HashMap::from([("depth {}, σ² = {} (x_{})".into(), "深度 {}，σ² = {}（x_{}）".into())]) };
        assert_eq!(strings.fill("depth 10, σ² = 2 (x_1)").as_deref(), Some("深度 10，σ² = 2（x_1）"));
        assert_eq!(strings.fill("width 10"), None);
        assert!(has_words("log10 of the loss") && !has_words("n = 3") && !has_words("10⁻³"));
    }

    #[test]
    fn merging_keeps_translations_marks_changes_fuzzy_and_loses_nothing() {
        let old = [
            Entry { msgid: "Kept.".into(), msgstr: "保留。".into(), ..Entry::default() },
            Entry { msgid: "Old wording.".into(), msgstr: "旧说法。".into(), ..Entry::default() },
            Entry { msgid: "Removed.".into(), msgstr: "删除。".into(), ..Entry::default() },
        ];
        let text = merge("Kept.\n\nNew wording.\n", &old, &TRANSLATIONS[0], "");
        let back = po::parse(&text).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].msgstr.as_str(), back[0].fuzzy), ("保留。", false));
        assert_eq!((back[1].msgid.as_str(), back[1].msgstr.as_str(), back[1].fuzzy), ("New wording.", "旧说法。", true));
        assert_eq!(back[1].previous.as_deref(), Some("Old wording."));
        assert!(text.contains("#~ msgid \"Removed.\"\n#~ msgstr \"删除。\""), "{text}");
    }
}
