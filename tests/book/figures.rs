//! Committed figures are exactly what the code draws now, and every one is
//! shown in its chapter.

use black_box::{CHAPTERS, root};
use book_support::figure;
use std::collections::BTreeSet;

#[test]
fn committed_figures_are_fresh() {
    let mut stale = Vec::new();
    for chapter in CHAPTERS {
        let dir = figure::directory(chapter.slug);
        let drawn = (chapter.figures)().unwrap();
        assert!(
            drawn.len() >= 2,
            "{} draws {} figures; a chapter has at least 2",
            chapter.slug,
            drawn.len()
        );
        let mut names = BTreeSet::new();
        for fig in &drawn {
            assert!(
                names.insert(fig.name),
                "{} draws `{}` twice",
                chapter.slug,
                fig.name
            );
            let path = dir.join(format!("{}.svg", fig.name));
            if std::fs::read_to_string(&path).ok().as_deref() != Some(fig.svg.as_str()) {
                stale.push(format!(
                    "{} differs from what {} draws now",
                    path.display(),
                    chapter.slug
                ));
            }
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name
                .strip_suffix(".svg")
                .is_some_and(|stem| names.contains(stem))
            {
                stale.push(format!(
                    "{} is not drawn by {}",
                    entry.path().display(),
                    chapter.slug
                ));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale figures (run `cargo run --release -- figures`):\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_figure_is_shown_in_its_chapter() {
    for chapter in CHAPTERS {
        let markdown =
            std::fs::read_to_string(root().join(format!("src/{}.md", chapter.slug))).unwrap();
        let number = chapter.slug.split('-').next().unwrap();
        for fig in (chapter.figures)().unwrap() {
            let reference = format!("](figures/{number}/{}.svg)", fig.name);
            assert!(
                markdown.contains(&reference),
                "src/{}.md never shows figure `{}`",
                chapter.slug,
                fig.name
            );
        }
    }
}
