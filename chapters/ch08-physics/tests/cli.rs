//! The chapter binary's command line: other settings write figures only
//! where told, bad values exit with status 2 and a message.

use book_support::cli::testing::{assert_usage_errors, run_ok};

#[test]
fn other_settings_write_their_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch08-cli-{}", std::process::id()));
    let stdout = run_ok(
        env!("CARGO_BIN_EXE_ch08-physics"),
        &[
            "--sigma-b2",
            "0.1",
            "--width",
            "32",
            "--seed",
            "5",
            "--figures-dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(
        stdout.contains("σ_b² = 0.1: critical σ_w² = 1.98607"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("6 drawn, 6 rewritten in {}", dir.display())),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_settings_are_usage_errors() {
    assert_usage_errors(
        env!("CARGO_BIN_EXE_ch08-physics"),
        &[
            (&["--sigma-b2=-0.1"], "outside [0, 1]"),
            (&["--sigma-b2=inf"], "outside [0, 1]"),
            (&["--sigma-b2=NaN"], "outside [0, 1]"),
            (&["--width=8"], "outside 16..=2048"),
            (&["--width=wide"], "not a whole number"),
            (&["--seed=-1"], "invalid value"),
        ],
    );
}
