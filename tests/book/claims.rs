//! Every claim is declared once, checked by a doctest, and every check names
//! a declared claim in the same file (a chapter's `claim` reads only its own
//! chapter's markdown).

use black_box::{ledger, root};

#[test]
fn the_ledger_is_sound() {
    let ledger = ledger::collect(&root()).unwrap();
    let problems = ledger.problems();
    assert!(
        problems.is_empty(),
        "claims ledger problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn checks_live_beside_their_declarations() {
    let ledger = ledger::collect(&root()).unwrap();
    for e in &ledger.entries {
        for check in &e.checked_by {
            assert_eq!(
                check.file, e.declared.file,
                "claim `{}` declared at {} is checked from {check}",
                e.claim.id, e.declared
            );
        }
    }
}

#[test]
fn every_chapter_states_claims() {
    let ledger = ledger::collect(&root()).unwrap();
    for chapter in black_box::CHAPTERS {
        let page = format!("{}.md", chapter.slug);
        let n = ledger
            .entries
            .iter()
            .filter(|e| e.page == page || e.page.starts_with(&format!("{}/", chapter.slug)))
            .count();
        assert!(
            n >= 12,
            "{} declares {n} claims; a chapter states at least 12",
            chapter.slug
        );
    }
}
