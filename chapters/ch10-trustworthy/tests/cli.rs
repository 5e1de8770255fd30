//! The chapter binary's command line: other settings write figures only
//! where told, bad values exit with status 2 and a message, and a malformed
//! data file stops the run with its file and line.

use book_support::cli::testing::{assert_usage_errors, run, run_ok};
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ch10-cli-{}-{name}", std::process::id()))
}

#[test]
fn other_settings_write_their_figures_where_told() {
    let dir = scratch("figures");
    let stdout = run_ok(
        env!("CARGO_BIN_EXE_ch10-trustworthy"),
        &[
            "--seed",
            "3",
            "--seeds",
            "2",
            "--figures-dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(stdout.contains("ablation, 2 seeds"), "{stdout}");
    assert!(stdout.contains("0 inside a certified radius"), "{stdout}");
    assert!(
        stdout.contains(&format!("6 drawn, 6 rewritten in {}", dir.display())),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_settings_are_usage_errors() {
    assert_usage_errors(
        env!("CARGO_BIN_EXE_ch10-trustworthy"),
        &[
            (&["--seeds=1"], "outside 2..=32"),
            (&["--seeds=33"], "outside 2..=32"),
            (&["--seeds=many"], "not a whole number"),
            (&["--seed=-1"], "invalid value"),
            (&["--data="], "a value is required"),
        ],
    );
}

#[test]
fn a_malformed_data_file_is_refused_with_its_file_and_line() {
    let good = std::fs::read_to_string(book_support::data::Digits::path()).unwrap();
    let lines: Vec<&str> = good.lines().take(3).collect();
    let nan_pixel = format!("NaN{}", &lines[0][lines[0].find(',').unwrap()..]);
    let bad_label = format!("{}10", &lines[2][..=lines[2].rfind(',').unwrap()]);
    let short_row = &lines[1][..lines[1].rfind(',').unwrap()];
    for (name, text, line, says) in [
        (
            "nan",
            format!("{nan_pixel}\n{}\n", lines[1]),
            1,
            "pixel 1 is `NaN`",
        ),
        (
            "short",
            format!("{}\n{short_row}\n", lines[0]),
            2,
            "expected 65",
        ),
        (
            "label",
            format!("{}\n{}\n{bad_label}\n", lines[0], lines[1]),
            3,
            "label is `10`",
        ),
    ] {
        let path = scratch(name);
        std::fs::write(&path, text).unwrap();
        let out = run(
            env!("CARGO_BIN_EXE_ch10-trustworthy"),
            &["--data", path.to_str().unwrap(), "--no-figures"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{}:{line}: ", path.display())) && stderr.contains(says),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        std::fs::remove_file(path).unwrap();
    }
    // A well-formed file too small for the splits is refused as such.
    let path = scratch("small");
    std::fs::write(&path, format!("{}\n", lines.join("\n"))).unwrap();
    let out = run(
        env!("CARGO_BIN_EXE_ch10-trustworthy"),
        &["--data", path.to_str().unwrap(), "--no-figures"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("3 images: the splits need at least"),
        "{stderr}"
    );
    std::fs::remove_file(path).unwrap();
}
