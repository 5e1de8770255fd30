//! No number in the prose without a claim or an exemption.

use black_box::{lint, markdown_files, root};

#[test]
fn every_number_in_the_prose_is_a_claim_or_exempt() {
    let root = root();
    let mut findings = Vec::new();
    for file in markdown_files(&root).unwrap() {
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        for f in lint::lint(&text) {
            findings.push(format!(
                "{}:{}: bare number `{}` in \"{}\": declare it as a claim, write it as math, or mark it {{{{#num {}}}}}",
                file.display(),
                f.line,
                f.number,
                f.context,
                f.number
            ));
        }
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}
