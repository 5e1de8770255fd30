//! The chapter binary's command line: other settings write figures only
//! where told, bad values exit with status 2 and a message.

use book_support::cli::testing::{assert_usage_errors, run_ok};

#[test]
fn other_settings_write_their_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch09-cli-{}", std::process::id()));
    let stdout = run_ok(
        env!("CARGO_BIN_EXE_ch09-memory"),
        &["--seed", "3", "--figures-dir", dir.to_str().unwrap()],
    );
    assert!(stdout.contains("0 increases"), "{stdout}");
    assert!(
        stdout.contains(&format!("5 drawn, 5 rewritten in {}", dir.display())),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_settings_are_usage_errors() {
    assert_usage_errors(
        env!("CARGO_BIN_EXE_ch09-memory"),
        &[
            (&["--scale=0"], "outside 1..=20"),
            (&["--scale=21"], "outside 1..=20"),
            (&["--scale=many"], "not a whole number"),
            (&["--seed=-1"], "invalid value"),
        ],
    );
}
