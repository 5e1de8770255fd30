//! The chapter binary's command line: other settings write figures only
//! where told, bad values exit with status 2 and a message.

use std::process::Command;

fn ch09(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ch09-memory"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn other_settings_write_their_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch09-cli-{}", std::process::id()));
    let out = ch09(&["--seed", "3", "--figures-dir", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
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
    for (flag, value, says) in [
        ("--scale", "0", "outside 1..=20"),
        ("--scale", "21", "outside 1..=20"),
        ("--scale", "many", "not a whole number"),
        ("--seed", "-1", "invalid value"),
    ] {
        let out = ch09(&[&format!("{flag}={value}")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(says) && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}
