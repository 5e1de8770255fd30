//! The chapter binary's command line: other settings write figures only
//! where told, bad values exit with status 2 and a message.

use std::process::Command;

fn ch08(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ch08-physics"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn other_settings_write_their_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch08-cli-{}", std::process::id()));
    let out = ch08(&[
        "--sigma-b2",
        "0.1",
        "--width",
        "32",
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
    for (flag, value, says) in [
        ("--sigma-b2", "-0.1", "outside [0, 1]"),
        ("--sigma-b2", "inf", "outside [0, 1]"),
        ("--sigma-b2", "NaN", "outside [0, 1]"),
        ("--width", "8", "outside 16..=2048"),
        ("--width", "wide", "not a whole number"),
        ("--seed", "-1", "invalid value"),
    ] {
        // `--flag=value`, so that a negative value is not read as a flag.
        let out = ch08(&[&format!("{flag}={value}")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(says) && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}
