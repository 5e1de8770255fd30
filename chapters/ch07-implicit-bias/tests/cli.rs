//! The chapter binary's command line: other settings write figures only
//! where told, bad values exit with status 2 and a message.

use book_support::cli::testing::{assert_usage_errors, run};

#[test]
fn a_shorter_run_writes_its_figures_where_told_and_draws_no_progress_when_piped() {
    let dir = std::env::temp_dir().join(format!("ch07-cli-{}", std::process::id()));
    let out = run(
        env!("CARGO_BIN_EXE_ch07-implicit-bias"),
        &["--steps", "1e4", "--figures-dir", dir.to_str().unwrap()],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("after 10000 steps"), "{stdout}");
    assert!(
        stdout.contains(&format!("5 drawn, 5 rewritten in {}", dir.display())),
        "{stdout}"
    );
    assert!(stderr.is_empty(), "progress must stay off a pipe: {stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_step_counts_are_usage_errors() {
    assert_usage_errors(
        env!("CARGO_BIN_EXE_ch07-implicit-bias"),
        &[
            (&["--steps", "5000"], "not a power of ten"),
            (&["--steps", "1e9"], "not a power of ten"),
            (&["--steps", "many"], "not a number"),
        ],
    );
}
