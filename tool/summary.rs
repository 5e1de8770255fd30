//! Reading `src/SUMMARY.md`: the pages of the book and their titles.

use std::path::{Path, PathBuf};

/// One page listed in the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub title: String,
    /// Relative to `src/`, as written in the summary.
    pub path: PathBuf,
}

/// Every `[Title](path.md)` link of a summary text, in order.
pub fn pages(summary: &str) -> Vec<Page> {
    summary
        .lines()
        .filter_map(|line| {
            let line = line
                .trim_start()
                .trim_start_matches(['-', '*'])
                .trim_start();
            let rest = line.strip_prefix('[')?;
            let (title, rest) = rest.split_once("](")?;
            let (path, _) = rest.split_once(')')?;
            (!path.is_empty()).then(|| Page {
                title: title.to_string(),
                path: PathBuf::from(path),
            })
        })
        .collect()
}

/// The pages of the book at `root`.
pub fn read(root: &Path) -> std::io::Result<Vec<Page>> {
    Ok(pages(&std::fs::read_to_string(
        root.join("src/SUMMARY.md"),
    )?))
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
    fn reads_titles_and_paths() {
        let p = pages(
            "# Summary\n\n[Intro](introduction.md)\n\n# Part\n- [Soft max](ch02-softmax.md)\n  - [Sub](ch02-softmax/a.md)\n- [Draft]()\n",
        );
        let paths: Vec<_> = p.iter().map(|p| p.path.to_str().unwrap()).collect();
        assert_eq!(
            paths,
            ["introduction.md", "ch02-softmax.md", "ch02-softmax/a.md"]
        );
        assert_eq!(p[1].title, "Soft max");
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
