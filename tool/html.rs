//! Checks of the built HTML: every local link and `#anchor` resolves, no
//! page loads a script or stylesheet from another host, and no raw TeX is
//! left where KaTeX should have typeset it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `text` safe inside HTML or SVG text and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The text an [`escape`]d one stands for.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `.html` file under `dir`, recursively, sorted.
pub fn pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let path = entry?.into_path();
        if path.is_file() && path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// One HTML tag: its name and attributes (values unescaped only for `&amp;`).
#[derive(Debug, PartialEq)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The opening tags of an HTML text, in order (comments and scripts' bodies
/// skipped). Enough HTML for mdBook's output, not a general parser.
pub fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r);
            continue;
        }
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        if name_len == 0 {
            continue;
        }
        let name = rest[..name_len].to_ascii_lowercase();
        let (attrs, remaining) = attributes(&rest[name_len..]);
        rest = remaining;
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            rest = rest.find(&close).map_or("", |i| &rest[i..]);
        }
        out.push(Tag { name, attrs });
    }
    out
}

fn attributes(mut s: &str) -> (Vec<(String, String)>, &str) {
    let mut attrs = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() || s.starts_with('>') {
            return (attrs, s.get(1..).unwrap_or(""));
        }
        let key_len = s
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(s.len())
            .max(1);
        let key = s[..key_len].to_ascii_lowercase();
        s = s[key_len..].trim_start();
        let mut value = String::new();
        if let Some(v) = s.strip_prefix('=') {
            let v = v.trim_start();
            let (val, rest) = match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = v[1..].find(q).map_or(v.len(), |i| i + 1);
                    (&v[1..end], v.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = v
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(v.len());
                    (&v[..end], &v[end..])
                }
            };
            value = val.replace("&amp;", "&");
            s = rest;
        }
        attrs.push((key, value));
    }
}

/// The text of an HTML page outside tags, `<pre>`, `<code>`, `<script>`,
/// `<style>` and KaTeX's own markup.
pub fn prose_text(html: &str) -> String {
    let mut text = String::new();
    let mut skip_depth: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        if skip_depth.is_empty() {
            text.push_str(&rest[..start]);
        }
        rest = &rest[start..];
        let end = rest.find('>').map_or(rest.len(), |i| i + 1);
        let tag = &rest[..end];
        for name in ["pre", "code", "script", "style", "annotation"] {
            if tag.starts_with(&format!("<{name}")) && !tag.ends_with("/>") {
                skip_depth.push(name);
            } else if tag.starts_with(&format!("</{name}")) && skip_depth.last() == Some(&name) {
                skip_depth.pop();
            }
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    text
}

/// What is wrong with a built book, one line per problem.
pub fn check(dir: &Path) -> std::io::Result<Vec<String>> {
    let files = pages(dir)?;
    let mut ids: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut all_tags = Vec::new();
    for file in &files {
        let html = std::fs::read_to_string(file)?;
        let tags = tags(&html);
        let set = tags
            .iter()
            .filter_map(|t| t.attr("id").or(t.attr("name")))
            .map(str::to_string)
            .collect();
        ids.insert(file.clone(), set);
        all_tags.push((file.clone(), html, tags));
    }
    let mut problems = Vec::new();
    for (file, html, tags) in &all_tags {
        let shown = file.strip_prefix(dir).unwrap_or(file).display().to_string();
        for tag in tags {
            let (attr, remote_forbidden) = match tag.name.as_str() {
                "a" => ("href", false),
                "link" => ("href", true),
                "script" | "img" | "iframe" | "source" => ("src", true),
                _ => continue,
            };
            let Some(url) = tag.attr(attr) else { continue };
            let remote = url.starts_with("//") || url.contains("://");
            if remote {
                if remote_forbidden {
                    problems.push(format!(
                        "{shown}: <{}> loads {url} from another host",
                        tag.name
                    ));
                }
                continue;
            }
            if url.starts_with("mailto:")
                || url.starts_with("javascript:")
                || url.starts_with("data:")
            {
                continue;
            }
            if let Some(problem) = resolve(dir, file, url, &ids) {
                problems.push(format!("{shown}: {problem}"));
            }
        }
        let text = prose_text(html);
        if let Some(at) = text.find('$') {
            let context: String = text[at.saturating_sub(40)..].chars().take(80).collect();
            problems.push(format!(
                "{shown}: raw `$` left outside code, math not typeset: …{}…",
                context.trim()
            ));
        }
    }
    Ok(problems)
}

/// Why a local `url` in `file` does not resolve, if it does not.
fn resolve(
    dir: &Path,
    file: &Path,
    url: &str,
    ids: &BTreeMap<PathBuf, BTreeSet<String>>,
) -> Option<String> {
    let url = url.split('?').next().unwrap_or(url);
    let (path, fragment) = match url.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (url, None),
    };
    let base = file.parent().unwrap_or(dir);
    let mut target = if path.is_empty() {
        file.to_path_buf()
    } else {
        normalize(&base.join(percent_decode(path)))
    };
    if target.is_dir() {
        target = target.join("index.html");
    }
    if !target.starts_with(dir) {
        return Some(format!("link `{url}` leaves the book"));
    }
    if !target.is_file() {
        return Some(format!("link `{url}` points to a missing file"));
    }
    match (fragment, ids.get(&target)) {
        (Some(f), Some(set)) if !f.is_empty() && !set.contains(&percent_decode(f)) => {
            Some(format!("link `{url}`: no element with id `{f}`"))
        }
        _ => None,
    }
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_and_attributes() {
        let t = tags(
            r##"<!-- <a href="x"> --><a href="a.html#b" class=c>x</a><script>if (a<b) {}</script><img src='i.svg' alt="">"##,
        );
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "script", "img"]);
        assert_eq!(t[0].attr("href"), Some("a.html#b"));
        assert_eq!(t[0].attr("class"), Some("c"));
        assert_eq!(t[2].attr("alt"), Some(""));
    }

    #[test]
    fn prose_text_skips_code_and_tex_annotations() {
        let html = r#"<p>a <code>$x$</code> b</p><pre>$</pre><annotation encoding="application/x-tex">x</annotation><p>c</p>"#;
        assert_eq!(prose_text(html), "a  bc");
    }

    #[test]
    fn finds_broken_links_anchors_remote_assets_and_raw_math() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir(dir.join("sub")).unwrap();
        std::fs::write(dir.join("index.html"), r##"<h1 id="top">x</h1><a href="sub/p.html#here">ok</a><a href="#top">ok</a><a href="https://example.org">ok</a>"##).unwrap();
        std::fs::write(dir.join("sub/p.html"), r##"<p id="here">$x$</p><a href="../index.html#nope">bad</a><a href="gone.html">bad</a><script src="https://cdn.example/k.js"></script>"##).unwrap();
        let problems = check(dir).unwrap();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("no element with id `nope`"))
        );
        assert!(problems.iter().any(|p| p.contains("gone.html")));
        assert!(problems.iter().any(|p| p.contains("another host")));
        assert!(problems.iter().any(|p| p.contains("raw `$`")));
    }
}
