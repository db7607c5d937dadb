//! `credguard check` runs the engine and passes its answer through.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn check_execs_the_engine_with_its_arguments_and_exit_code() {
    let home = std::env::temp_dir().join(format!("credguard-cli-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIAQ3EGCLIENTTEST01\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_credguard"))
        .args(["check", "--json", "--offline"])
        .env_clear()
        .env("HOME", &home)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    std::fs::remove_dir_all(&home).unwrap();
    // the workspace builds credguardd beside credguard in target/<profile>/
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("\"code\": \"missing-secret\""), "{stdout}");
    assert!(!stdout.contains("CLIENTTEST"), "key id leaked");
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_credguard"))
        .arg("bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("usage: credguard check")
    );
}
