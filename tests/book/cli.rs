//! The command line: bad arguments give a message and exit status 2 without
//! a panic; `claims --json` prints the ledger.

use std::process::Command;

fn black_box(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_black-box"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_arguments_exit_with_status_2_and_a_message() {
    for args in [
        &["frobnicate"][..],
        &["--bogus"],
        &["serve", "--port", "seventy"],
        &["claims", "--json", "extra"],
    ] {
        let out = black_box(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("error:") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn every_command_has_help() {
    for command in [
        "run", "figures", "build", "claims", "lint", "check", "serve", "all",
    ] {
        let out = black_box(&[command, "--help"]);
        assert!(
            out.status.success() && !out.stdout.is_empty(),
            "{command} --help"
        );
    }
}

#[test]
fn claims_json_lists_the_whole_ledger() {
    let out = black_box(&["claims", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = json.as_array().unwrap();
    let ledger = black_box::ledger::collect(&black_box::root()).unwrap();
    assert_eq!(entries.len(), ledger.entries.len());
    for (e, j) in ledger.entries.iter().zip(entries) {
        assert_eq!(j["id"], e.claim.id.as_str());
        assert_eq!(j["value"], e.claim.printed.as_str());
        for key in ["chapter", "tolerance", "declared", "checked_by"] {
            assert!(!j[key].is_null(), "{key} missing in {j}");
        }
    }
}

#[test]
fn the_browser_command_without_chromium_fails_and_says_how_to_install_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_black-box"))
        .arg("browser")
        .env("PATH", "")
        .env_remove("CHROMIUM")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("apt-get install chromium") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
