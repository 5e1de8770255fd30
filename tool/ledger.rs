//! The claims ledger: every claim declared in the book's markdown, where it
//! is declared, and which doctests check it.
//!
//! Checks are found statically, as `claim("id", ...)` calls in the Rust code
//! blocks of the markdown; that those calls pass is what `cargo test` proves.

use book_support::claims::{self, Claim};
use book_support::markdown::{self, Kind};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// A place in the book's sources: a file relative to the root, and a line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One declared claim with its checks.
#[derive(Clone, Debug)]
pub struct Entry {
    pub claim: Claim,
    /// The page title from SUMMARY.md (or the file name).
    pub chapter: String,
    /// The page, relative to `src/` (for links).
    pub page: String,
    pub declared: Location,
    pub checked_by: Vec<Location>,
}

/// The whole ledger and everything wrong with it.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub entries: Vec<Entry>,
    /// Malformed declarations.
    pub errors: Vec<String>,
    /// Ids declared more than once, with every place.
    pub duplicates: Vec<(String, Vec<Location>)>,
    /// Checks that name an id nobody declared.
    pub unknown_checks: Vec<(String, Location)>,
}

impl Ledger {
    /// Claims that no doctest checks.
    pub fn unchecked(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.checked_by.is_empty())
    }

    /// Every problem, one line each; empty when the ledger is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.errors.clone();
        for (id, places) in &self.duplicates {
            let places: Vec<String> = places.iter().map(|l| l.to_string()).collect();
            out.push(format!(
                "claim `{id}` is declared more than once: {}",
                places.join(", ")
            ));
        }
        for e in self.unchecked() {
            out.push(format!(
                "{}: claim `{}` is checked by no doctest",
                e.declared, e.claim.id
            ));
        }
        for (id, at) in &self.unknown_checks {
            out.push(format!("{at}: checks claim `{id}`, which is not declared"));
        }
        out
    }

    /// The ledger as a JSON array, one object per claim.
    pub fn to_json(&self) -> String {
        let items: Vec<serde_json::Value> = self
            .entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.claim.id,
                    "chapter": e.chapter,
                    "value": e.claim.printed,
                    "tolerance": e.claim.rule_text(),
                    "declared": e.declared.to_string(),
                    "checked_by": e.checked_by.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_string_pretty(&items).expect("a ledger always serializes")
    }

    /// The ledger as plain text, one line per claim.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let _ = writeln!(
                out,
                "{:<28} {:<24} {:<12} {}  (checked by {})",
                e.claim.id,
                e.claim.printed,
                e.claim.rule_text(),
                e.declared,
                e.checked_by.len()
            );
        }
        out
    }
}

/// The ids that the Rust code blocks of `text` check, with their lines.
pub fn checks_in(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for span in markdown::scan(text) {
        let Kind::Fence { info, body_line } = &span.kind else {
            continue;
        };
        if info.split(',').next().map(str::trim) != Some("rust") {
            continue;
        }
        for (offset, line) in span.text.lines().skip(1).enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("claim(\"") {
                let after = &rest[at + 7..];
                // Only a call of `claim`, not of a function whose name ends in it.
                let is_call = !rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
                if let Some(end) = after.find('"')
                    && is_call
                {
                    found.push((after[..end].to_string(), body_line + offset));
                }
                rest = after;
            }
        }
    }
    found
}

/// Collects the ledger of the book at `root`, in the order of SUMMARY.md.
pub fn collect(root: &Path) -> std::io::Result<Ledger> {
    let pages = crate::summary::read(root)?;
    let mut files = crate::markdown_files(root)?;
    // Pages in book order first, then any other markdown (which should hold no claims).
    let order = |f: &std::path::PathBuf| {
        pages
            .iter()
            .position(|p| Path::new("src").join(&p.path) == *f)
            .unwrap_or(usize::MAX)
    };
    files.sort_by_key(|f| (order(f), f.clone()));

    let mut ledger = Ledger::default();
    let mut checks: BTreeMap<String, Vec<Location>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(root.join(&file))?;
        let label = file.to_string_lossy().replace('\\', "/");
        let page = label.strip_prefix("src/").unwrap_or(&label).to_string();
        let chapter = pages
            .iter()
            .find(|p| p.path.to_string_lossy() == page)
            .map_or_else(|| page.clone(), |p| p.title.clone());
        match claims::parse(&text) {
            Ok(declared) => {
                for claim in declared {
                    let declared = Location {
                        file: label.clone(),
                        line: claim.line,
                    };
                    ledger.entries.push(Entry {
                        claim,
                        chapter: chapter.clone(),
                        page: page.clone(),
                        declared,
                        checked_by: Vec::new(),
                    });
                }
            }
            Err(e) => ledger.errors.push(format!("{label}:{e}")),
        }
        for (id, line) in checks_in(&text) {
            checks.entry(id).or_default().push(Location {
                file: label.clone(),
                line,
            });
        }
    }

    let mut seen: BTreeMap<String, Vec<Location>> = BTreeMap::new();
    for e in &ledger.entries {
        seen.entry(e.claim.id.clone())
            .or_default()
            .push(e.declared.clone());
    }
    ledger.duplicates = seen
        .into_iter()
        .filter(|(_, places)| places.len() > 1)
        .collect();
    for e in &mut ledger.entries {
        e.checked_by = checks.get(&e.claim.id).cloned().unwrap_or_default();
    }
    for (id, places) in checks {
        if !ledger.entries.iter().any(|e| e.claim.id == id) {
            ledger
                .unknown_checks
                .extend(places.into_iter().map(|at| (id.clone(), at)));
        }
    }
    Ok(ledger)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_checks_in_rust_blocks_only() {
        let md = "claim(\"prose\")\n```rust\n# use x::*;\nclaim(\"a\", 1.0); claim(\"b\", 2.0);\nmy_claim(\"c\", 0);\n```\n```text\nclaim(\"d\", 1)\n```\n";
        assert_eq!(checks_in(md), [("a".to_string(), 4), ("b".to_string(), 4)]);
    }
}
