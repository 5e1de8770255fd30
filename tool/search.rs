//! Search in a translated edition. mdBook's index splits text at spaces,
//! which Chinese does not write between words, so a whole clause would be
//! one token and a term inside it could not be found. For a translation the
//! build indexes again the documents mdBook stored (title, body,
//! breadcrumbs of every section), with Chinese written as overlapping pairs
//! of characters, and asks for all of a query's tokens (`AND`). The page
//! splits a query the same way (`theme/edition.js`): a term of two or more
//! characters is found where its pairs occur in the same section.

use anyhow::{Context, bail};
use elasticlunr::{Index, IndexBuilder, Language, Pipeline};
use serde_json::Value;
use std::path::Path;

/// Whether `c` is a Chinese (or Japanese) character, indexed in pairs.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// The tokens of `text`: lower-case words of other scripts, split at
/// anything that is not a letter or digit, and each pair of neighbouring
/// Chinese characters (a lone character is its own token). The same rule is
/// `tokenize` in `theme/edition.js`.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut han: Vec<char> = Vec::new();
    let flush_han = |han: &mut Vec<char>, out: &mut Vec<String>| {
        match han.len() {
            0 => {}
            1 => out.push(han[0].to_string()),
            _ => out.extend(han.windows(2).map(|p| p.iter().collect())),
        }
        han.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            han.push(c);
        } else {
            flush_han(&mut han, &mut out);
            if c.is_alphanumeric() || c == '_' {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
        }
    }
    flush_han(&mut han, &mut out);
    if !word.is_empty() {
        out.push(word);
    }
    out.retain(|t| t.len() <= 80);
    out
}

/// The index's language: [`tokenize`], and no pipeline after it
/// (elasticlunr's English one trims every character that is not a Latin
/// letter or digit, which would drop Chinese, and stems English words, which
/// the page's query does not).
struct Pairs;

impl Language for Pairs {
    fn name(&self) -> String {
        "Pairs of characters".into()
    }
    fn code(&self) -> String {
        "pairs".into()
    }
    fn tokenize(&self, text: &str) -> Vec<String> {
        tokenize(text)
    }
    fn make_pipeline(&self) -> Pipeline {
        Pipeline { queue: Vec::new() }
    }
}

/// Rewrites the search index of the built edition at `dir` with [`tokenize`].
pub fn reindex(dir: &Path) -> anyhow::Result<()> {
    let file = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("searchindex") && n.ends_with(".js"))
        })
        .with_context(|| format!("no search index in {}", dir.display()))?;
    let text = std::fs::read_to_string(&file)?;
    const HEAD: &str = "window.search = Object.assign(window.search, JSON.parse('";
    const TAIL: &str = "'));";
    let Some(json) = text.strip_prefix(HEAD).and_then(|t| t.strip_suffix(TAIL)) else {
        bail!("{}: not the search index mdBook writes", file.display());
    };
    // mdBook escapes `\` and `'` for the single-quoted string.
    let json = json.replace("\\'", "'").replace("\\\\", "\\");
    let mut search: Value = serde_json::from_str(&json)?;
    let docs = search["index"]["documentStore"]["docs"]
        .as_object()
        .context("the search index stores no documents")?
        .clone();
    let fields = ["title", "body", "breadcrumbs"];
    let mut index: Index = IndexBuilder::with_language(Box::new(Pairs))
        .save_docs(true)
        .add_fields(&fields)
        .build();
    let mut refs: Vec<(u64, &Value)> = docs
        .iter()
        .filter_map(|(r, doc)| Some((r.parse().ok()?, doc)))
        .collect();
    refs.sort_by_key(|(r, _)| *r);
    for (r, doc) in refs {
        let values = fields.map(|f| doc[f].as_str().unwrap_or("").to_string());
        index.add_doc(&r.to_string(), values);
    }
    let mut index = serde_json::to_value(&index)?;
    // elasticlunr.js does not know this language's name; it reads none.
    index["lang"] = search["index"]["lang"].clone();
    search["index"] = index;
    search["search_options"]["bool"] = Value::String("AND".into());
    let json = serde_json::to_string(&search)?;
    std::fs::write(
        &file,
        format!("{HEAD}{}{TAIL}", json.replace('\\', "\\\\").replace('\'', "\\'")),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_indexed_in_pairs_and_other_words_whole() {
        assert_eq!(tokenize("反向传播的 ReLU-网络"), ["反向", "向传", "传播", "播的", "relu", "网络"]);
        assert_eq!(tokenize("层 L2，x_0."), ["层", "l2", "x_0"]);
    }
}
