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

#[test]
fn chapters_depend_only_on_earlier_chapters() {
    let slugs = summary_chapters();
    for (i, slug) in slugs.iter().enumerate() {
        let manifest =
            std::fs::read_to_string(root().join(format!("chapters/{slug}/Cargo.toml"))).unwrap();
        for later in &slugs[i..] {
            let dependency = format!("\n{later} =");
            assert!(
                !manifest.contains(&dependency),
                "{slug} depends on {later}, which does not come before it"
            );
        }
    }
}
