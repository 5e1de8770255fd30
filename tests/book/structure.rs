//! The chapters listed in SUMMARY.md, the crates under chapters/ and the
//! tool's chapter list are the same, in the same order.

use black_box::{CHAPTERS, root, summary};

fn summary_chapters() -> Vec<String> {
    let mut slugs: Vec<String> = Vec::new();
    for page in summary::read(&root()).unwrap() {
        if let Some(slug) = summary::chapter_slug(&page.path)
            && slugs.last() != Some(&slug)
        {
            slugs.push(slug);
        }
    }
    slugs
}

#[test]
fn summary_crates_and_runner_agree() {
    let listed = summary_chapters();
    let mut crates: Vec<String> = std::fs::read_dir(root().join("chapters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    let runner: Vec<String> = CHAPTERS.iter().map(|c| c.slug.to_string()).collect();
    assert_eq!(listed, crates, "SUMMARY.md chapters vs chapters/ crates");
    assert_eq!(listed, runner, "SUMMARY.md chapters vs black_box::CHAPTERS");
}

#[test]
fn each_chapter_crate_is_its_markdown() {
    for slug in summary_chapters() {
        let lib =
            std::fs::read_to_string(root().join(format!("chapters/{slug}/src/lib.rs"))).unwrap();
        let doc = format!("#![doc = include_str!(\"../../../src/{slug}.md\")]");
        assert!(
            lib.starts_with(&doc),
            "chapters/{slug}/src/lib.rs must start with {doc}"
        );
        assert!(
            lib.contains(&format!("book_support::chapter!(\"{slug}.md\")")),
            "{slug} must define its claims with book_support::chapter!"
        );
    }
}

/// Every page opens with its title as SUMMARY.md gives it, so the
/// sidebar, the page and the print page name it alike.
#[test]
fn each_page_opens_with_its_summary_title() {
    for page in summary::read(&root()).unwrap() {
        let text = std::fs::read_to_string(root().join("src").join(&page.path)).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!("# {}", page.title),
            "{} opens with another title",
            page.path.display()
        );
    }
}

/// A chapter's sub-page (`chNN-slug/page.md`) is a module of the chapter
/// crate with the page as its docs and its own `claim`, so that the page's
/// code blocks run as doctests and its claims are checked against it.
#[test]
fn each_chapter_subpage_is_a_module_of_its_crate() {
    for page in summary::read(&root()).unwrap() {
        let Some(slug) = summary::chapter_slug(&page.path) else {
            continue;
        };
        let path = page.path.to_string_lossy().replace('\\', "/");
        if path == format!("{slug}.md") {
            continue;
        }
        let lib =
            std::fs::read_to_string(root().join(format!("chapters/{slug}/src/lib.rs"))).unwrap();
        for needed in [
            format!("#[doc = include_str!(\"../../../src/{path}\")]"),
            format!("book_support::chapter!(\"{path}\")"),
        ] {
            assert!(
                lib.contains(&needed),
                "chapters/{slug}/src/lib.rs must contain {needed} for the page {path}"
            );
        }
    }
}

/// The workspace packages a manifest depends on, in any dependency table
/// (normal, dev, build, per target), with renames (`package = ...`) and
/// `x.workspace = true` resolved through the root's
/// `[workspace.dependencies]`. Only packages named in `members` count.
fn workspace_dependencies(manifest: &str, members: &[&str]) -> Vec<String> {
    let root: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let inherited = root
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table);
    let manifest: toml::Table = manifest.parse().unwrap();
    let kinds = ["dependencies", "dev-dependencies", "build-dependencies"];
    let dependency_tables = |t: &toml::Table| -> Vec<toml::Table> {
        kinds
            .iter()
            .filter_map(|kind| t.get(*kind)?.as_table().cloned())
            .collect()
    };
    let mut tables = dependency_tables(&manifest);
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for target in targets.values().filter_map(toml::Value::as_table) {
            tables.extend(dependency_tables(target));
        }
    }
    let mut found = Vec::new();
    for (key, spec) in tables.iter().flatten() {
        let mut package = spec.get("package").and_then(toml::Value::as_str);
        if spec.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
            package = package.or_else(|| inherited?.get(key)?.get("package")?.as_str());
        }
        let name = package.unwrap_or(key.as_str());
        if members.contains(&name) {
            found.push(name.to_string());
        }
    }
    found
}

#[test]
fn chapters_depend_only_on_earlier_chapters() {
    let slugs = summary_chapters();
    let mut members: Vec<&str> = slugs.iter().map(String::as_str).collect();
    members.extend(["book-support", "black-box", "black-box-live"]);
    for (i, slug) in slugs.iter().enumerate() {
        let manifest =
            std::fs::read_to_string(root().join(format!("chapters/{slug}/Cargo.toml"))).unwrap();
        for dependency in workspace_dependencies(&manifest, &members) {
            assert!(
                dependency == "book-support" || slugs[..i].contains(&dependency),
                "{slug} depends on {dependency}; a chapter may depend only on \
                 earlier chapters and book-support"
            );
        }
    }
}

/// The live experiments build every chapter as a page needs it: without
/// the `book` feature (no command line, figures, threads or files).
#[test]
fn the_live_crate_takes_every_chapter_without_its_book_feature() {
    let manifest: toml::Table = std::fs::read_to_string(root().join("live/Cargo.toml")).unwrap().parse().unwrap();
    let deps = manifest["dependencies"].as_table().unwrap();
    for slug in summary_chapters().iter().map(String::as_str).chain(["book-support"]) {
        let dep = deps.get(slug).and_then(|d| d.as_table()).unwrap_or_else(|| panic!("live/ lacks {slug}"));
        assert_eq!(dep.get("default-features").and_then(|v| v.as_bool()), Some(false), "live/ takes {slug} with its default features");
    }
}

#[test]
fn the_dependency_reader_sees_every_manifest_form() {
    let members = ["ch01-a", "ch02-b", "ch03-c", "ch04-d", "book-support"];
    let manifest = r#"
[dependencies]
ch01-a = { path = "../ch01-a" }
ch02-b.workspace = true
serde = "1"
[dependencies.ch03-c]
path = "../ch03-c"
[dev-dependencies]
renamed = { package = "ch04-d", path = "../ch04-d" }
[target.'cfg(unix)'.build-dependencies]
book-support = { path = "../../support" }
"#;
    let mut found = workspace_dependencies(manifest, &members);
    found.sort();
    assert_eq!(
        found,
        ["book-support", "ch01-a", "ch02-b", "ch03-c", "ch04-d"]
    );
}

/// The sections every chapter ends with, in this order (level-2 headings,
/// compared without case and punctuation).
const SKELETON: [&str; 5] = [
    "what the code verifies and what it does not",
    "summary",
    "exercises",
    "solutions",
    "references",
];

/// The level-2 headings of a markdown text, lower case, punctuation dropped,
/// as mdBook's parser reads them (so `## ` inside code does not count).
fn sections(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
        | Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES;
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => current = Some(String::new()),
            Event::Text(t) | Event::Code(t) if current.is_some() => {
                current.as_mut().unwrap().push_str(&t)
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                let title = current.take().unwrap_or_default().to_lowercase();
                let words: Vec<&str> = title
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                out.push(words.join(" "));
            }
            _ => {}
        }
    }
    out
}

/// Why a chapter's sections do not end with the skeleton, if they do not.
fn skeleton_problem(markdown: &str) -> Option<String> {
    let found = sections(markdown);
    let tail = &found[found.len().saturating_sub(SKELETON.len())..];
    (tail != SKELETON).then(|| {
        format!("its last level-2 sections are {tail:?}; they must be, in order, {SKELETON:?}")
    })
}

#[test]
fn every_chapter_ends_with_the_skeleton() {
    for slug in summary_chapters() {
        let text = std::fs::read_to_string(root().join(format!("src/{slug}.md"))).unwrap();
        if let Some(problem) = skeleton_problem(&text) {
            panic!("src/{slug}.md: {problem}");
        }
    }
}

#[test]
fn the_skeleton_check_fails_on_a_missing_or_moved_section() {
    let good = "# T\n\n## Idea\n\n```rust\n## not a heading\n```\n\n## What the code verifies, and what it does not\n\n## Summary\n\n## Exercises\n\n## Solutions\n\n### Exercise 1\n\n## References\n";
    assert_eq!(skeleton_problem(good), None);
    assert!(skeleton_problem(&good.replace("## Solutions\n", "")).is_some());
    assert!(skeleton_problem(&good.replace("## Summary", "## Recap")).is_some());
    let moved = good.replace("## Summary\n\n## Exercises", "## Exercises\n\n## Summary");
    assert!(skeleton_problem(&moved).is_some());
    assert!(skeleton_problem("# T\n\n## Summary\n").is_some());
}
