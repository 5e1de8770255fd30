//! The chapter binary's command line, run as a reader runs it: other
//! settings write figures only where told, bad values exit with status 2
//! and a message.

use book_support::cli::testing::{assert_usage_errors, run_ok};

#[test]
fn another_seed_runs_and_writes_its_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch03-cli-{}", std::process::id()));
    let stdout = run_ok(
        env!("CARGO_BIN_EXE_ch03-backprop"),
        &["--seed", "3", "--figures-dir", dir.to_str().unwrap()],
    );
    assert!(stdout.starts_with("== ch03-backprop ==\n"), "{stdout}");
    let written = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();
    assert_eq!(written, 8, "{stdout}");
    assert!(stdout.contains(&format!("8 drawn, 8 rewritten in {}", dir.display())));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_depth_is_a_usage_error() {
    assert_usage_errors(
        env!("CARGO_BIN_EXE_ch03-backprop"),
        &[
            (&["--depth", "1"], "outside 2..=200"),
            (&["--depth", "ten"], "not a whole number"),
        ],
    );
}
