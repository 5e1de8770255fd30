//! The pages of the book, in order, as mdBook itself reads `src/SUMMARY.md`
//! (its own parser, so the tool and the built book cannot disagree).

use mdbook_summary::{SummaryItem, parse_summary};
use std::path::{Path, PathBuf};

/// One page listed in the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub title: String,
    /// Relative to `src/`, as written in the summary.
    pub path: PathBuf,
}

/// Every page of a summary text in reading order: prefix, numbered (each
/// page before its sub-pages) and suffix pages. Drafts (`[Title]()`) have
/// no page and are left out.
pub fn pages(summary: &str) -> anyhow::Result<Vec<Page>> {
    fn walk(items: &[SummaryItem], out: &mut Vec<Page>) {
        for item in items {
            if let SummaryItem::Link(link) = item {
                if let Some(path) = &link.location {
                    out.push(Page {
                        title: link.name.clone(),
                        path: path.clone(),
                    });
                }
                walk(&link.nested_items, out);
            }
        }
    }
    let summary = parse_summary(summary)?;
    let mut out = Vec::new();
    for part in [
        &summary.prefix_chapters,
        &summary.numbered_chapters,
        &summary.suffix_chapters,
    ] {
        walk(part, &mut out);
    }
    Ok(out)
}

/// The part titles of the book at `root` ("Principles and Mechanisms").
pub fn part_titles(root: &Path) -> anyhow::Result<Vec<String>> {
    let summary = parse_summary(&std::fs::read_to_string(root.join("src/SUMMARY.md"))?)?;
    Ok(summary
        .numbered_chapters
        .iter()
        .filter_map(|item| match item {
            SummaryItem::PartTitle(title) => Some(title.clone()),
            _ => None,
        })
        .collect())
}

/// The pages of the book at `root`.
pub fn read(root: &Path) -> std::io::Result<Vec<Page>> {
    let text = std::fs::read_to_string(root.join("src/SUMMARY.md"))?;
    pages(&text).map_err(|e| std::io::Error::other(format!("src/SUMMARY.md: {e:#}")))
}

/// The chapter slug of a page (`ch02-softmax` for `ch02-softmax.md` or
/// `ch02-softmax/index.md`), if it is a chapter.
pub fn chapter_slug(path: &Path) -> Option<String> {
    let first = path.components().next()?.as_os_str().to_str()?;
    let stem = first.strip_suffix(".md").unwrap_or(first);
    let is_chapter = stem.len() > 5
        && stem.starts_with("ch")
        && stem[2..4].bytes().all(|b| b.is_ascii_digit())
        && stem.as_bytes()[4] == b'-';
    is_chapter.then(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_titles_and_paths_in_order() {
        let p = pages(
            "# Summary\n\n[Intro](introduction.md)\n\n# Part\n\n- [Soft max](ch02-softmax.md)\n  - [Sub](ch02-softmax/a.md)\n- [Draft]()\n\n---\n\n[End](appendix/end.md)\n",
        )
        .unwrap();
        let paths: Vec<_> = p.iter().map(|p| p.path.to_str().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "introduction.md",
                "ch02-softmax.md",
                "ch02-softmax/a.md",
                "appendix/end.md"
            ]
        );
        assert_eq!(p[1].title, "Soft max");
    }

    #[test]
    fn rejects_what_mdbook_rejects() {
        // A numbered chapter after the suffix chapters is an error in mdBook.
        assert!(pages("[A](a.md)\n\n- [B](b.md)\n\n[C](c.md)\n\n- [D](d.md)\n").is_err());
    }

    #[test]
    fn recognises_chapter_pages() {
        assert_eq!(
            chapter_slug(Path::new("ch02-softmax.md")).as_deref(),
            Some("ch02-softmax")
        );
        assert_eq!(
            chapter_slug(Path::new("ch02-softmax/a.md")).as_deref(),
            Some("ch02-softmax")
        );
        assert_eq!(chapter_slug(Path::new("appendix/notation.md")), None);
        assert_eq!(chapter_slug(Path::new("chapter.md")), None);
    }
}
