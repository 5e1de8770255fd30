//! The chapter binary's command line, run as a reader runs it: other
//! settings write figures only where told, bad values exit with status 2
//! and a message.

use std::process::Command;

fn ch06(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ch06-generalization"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn other_settings_run_and_write_their_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch06-cli-{}", std::process::id()));
    let out = ch06(&[
        "--trials",
        "20",
        "--seed",
        "5",
        "--figures-dir",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
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
    for (flag, value, says) in [
        ("--trials", "19", "outside 20..=100000"),
        ("--trials", "many", "not a whole number"),
        ("--seed", "-1", "unexpected argument"),
        ("--seed", "1.5", "invalid value"),
        ("--lambda", "1", "unexpected argument"),
    ] {
        let out = ch06(&[flag, value]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("error:") && stderr.contains(says) && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "nothing ran");
    }
}
