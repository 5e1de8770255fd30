//! The chapter binary's command line, run as a reader runs it: other
//! settings write figures only where told, bad values exit with status 2
//! and a message.

use std::process::Command;

fn ch03(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ch03-backprop"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn another_seed_runs_and_writes_its_figures_where_told() {
    let dir = std::env::temp_dir().join(format!("ch03-cli-{}", std::process::id()));
    let out = ch03(&["--seed", "3", "--figures-dir", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
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
    for (depth, says) in [("1", "outside 2..=200"), ("ten", "not a whole number")] {
        let out = ch03(&["--depth", depth]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("error:") && stderr.contains(says) && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "nothing ran");
    }
}
