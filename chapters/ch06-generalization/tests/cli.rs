//! The chapter binary's command line, run as a reader runs it: other
//! settings write figures only where told, bad values exit with status 2
//! and a message.

use book_support::cli::testing::{assert_usage_errors, run_ok};

#[test]
fn other_settings_run_and_write_their_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch06-cli-{}", std::process::id()));
    let stdout = run_ok(
        env!("CARGO_BIN_EXE_ch06-generalization"),
        &[
            "--trials",
            "20",
            "--seed",
            "5",
            "--figures-dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(
        stdout.starts_with("== ch06-generalization ==\n"),
        "{stdout}"
    );
    assert!(stdout.contains("20 training sets"), "{stdout}");
    assert!(
        stdout.contains(&format!("6 drawn, 6 rewritten in {}", dir.display())),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_settings_are_usage_errors() {
    assert_usage_errors(
        env!("CARGO_BIN_EXE_ch06-generalization"),
        &[
            (&["--trials", "19"], "outside 20..=100000"),
            (&["--trials", "many"], "not a whole number"),
            (&["--seed", "-1"], "unexpected argument"),
            (&["--seed", "1.5"], "invalid value"),
            (&["--lambda", "1"], "unexpected argument"),
        ],
    );
}
