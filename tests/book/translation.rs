//! The translated editions: complete and current with the English, with
//! every directive, math span and claim of the English kept (claims by
//! their id alone), no bare number in the translated prose, figures whose
//! translated texts fit where the English ones did, and a glossary whose
//! terms the book uses. The built pages are checked in `html.rs`.

use black_box::root;
use black_box::translation::{self, Strings, TRANSLATIONS};

#[test]
fn every_translation_is_complete_current_and_keeps_the_numbers() {
    for edition in TRANSLATIONS {
        let problems = translation::problems(&root(), edition).unwrap();
        assert!(
            problems.is_empty(),
            "{} problem(s) in the {} translation (`cargo run --release -- translations` updates the catalogs, `-- translations --check` lists this):\n{}",
            problems.len(),
            edition.code,
            problems.join("\n")
        );
    }
}

/// The width of a text in ems, roughly: a Chinese character or full-width
/// sign is one em, anything else a little over half of one (the average
/// advance of a sans-serif Latin font).
fn width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c as u32 {
            0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF => 1.0,
            _ => 0.55,
        })
        .sum()
}

#[test]
fn every_figure_text_is_translated_and_fits_where_the_english_did() {
    let root = root();
    for edition in TRANSLATIONS {
        let strings = Strings::load(&root, edition, "figures").unwrap();
        let mut files = 0;
        for entry in walkdir::WalkDir::new(root.join("src/figures")) {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|e| e != "svg") {
                continue;
            }
            files += 1;
            let svg = std::fs::read_to_string(&path).unwrap();
            let (translated, missing) = translation::translate_svg(&svg, &strings);
            assert!(missing.is_empty(), "{}: not translated: {missing:?}", path.display());
            let pairs = translation::svg_texts(&svg).into_iter().zip(translation::svg_texts(&translated));
            for (english, text) in pairs {
                // Plotters lays a figure out for the English text; ten per
                // cent covers the spread of real fonts around this estimate.
                assert!(
                    width(&text) <= 1.1 * width(&english) + 0.5,
                    "{}: “{text}” ({:.1} em) is wider than “{english}” ({:.1} em)",
                    path.display(),
                    width(&text),
                    width(&english)
                );
            }
        }
        assert!(files > 50, "only {files} figures found");
    }
}

#[test]
fn the_glossary_links_every_term_to_where_the_english_first_uses_it() {
    let root = root();
    for edition in TRANSLATIONS {
        let terms = translation::glossary(&root, edition).unwrap();
        assert!(terms.len() >= 50, "{}: a glossary of {} terms", edition.code, terms.len());
        let backprop = terms.iter().find(|t| t.english == "backpropagation").expect("backpropagation is in the glossary");
        let (page, _) = backprop.first_use.as_ref().expect("the book uses it");
        assert_eq!(page.to_str(), Some("ch03-backprop.md"), "taught in chapter 3, the first to name it after the introduction");
    }
}
