//! The live experiments (live/, ARCHITECTURE.md): each chapter has one in
//! its page, beside the static figure it extends, and at the book's
//! settings every one shows the numbers its claims state.

use black_box::{ledger, root};
use black_box_live::WIDGETS;

#[test]
fn every_widget_at_the_book_settings_shows_the_claims_values() {
    let ledger = ledger::collect(&root()).unwrap();
    for w in WIDGETS {
        let mut run = w.begin(&w.book_settings()).unwrap();
        let last = loop {
            let frame = run.advance().unwrap();
            w.check_frame(&frame).unwrap();
            if frame.done {
                break frame;
            }
        };
        let mut claims = 0;
        for (readout, &value) in w.readouts.iter().zip(&last.values) {
            let Some(id) = readout.claim else { continue };
            let entry = ledger
                .entries
                .iter()
                .find(|e| e.claim.id == id)
                .unwrap_or_else(|| panic!("{}: no claim `{id}` in the ledger", w.id));
            assert!(entry.page.starts_with(&w.id[..4]), "{}: `{id}` is another chapter's claim", w.id);
            assert!(
                entry.claim.holds(value),
                "{}: `{}` shows {value}, but claim `{id}` is {} ({})",
                w.id,
                readout.label,
                entry.claim.printed,
                entry.claim.rule_text()
            );
            claims += 1;
        }
        assert!(claims > 0, "{}: no readout states a claim", w.id);
    }
}

#[test]
fn every_chapter_has_a_widget_in_its_page_beside_its_figure() {
    let root = root();
    for chapter in black_box::CHAPTERS {
        let page = std::fs::read_to_string(root.join("src").join(format!("{}.md", chapter.slug))).unwrap();
        let mine: Vec<_> = WIDGETS.iter().filter(|w| chapter.slug.starts_with(&w.id[..4])).collect();
        assert!(!mine.is_empty(), "{} has no live experiment", chapter.slug);
        for w in mine {
            let directive = format!("{{{{#live {}}}}}", w.id);
            assert_eq!(page.matches(&directive).count(), 1, "{}: `{directive}` once in its page", chapter.slug);
            assert!(root.join("src").join(w.figure).is_file(), "{}: no {}", w.id, w.figure);
            assert!(page.contains(&format!("]({})", w.figure)), "{}: {} is not shown in its page", w.id, w.figure);
        }
    }
}
