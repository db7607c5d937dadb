//! Helpers of the issue-16 modules (`context`, `context_verdicts`): `credguardd check` with
//! the environment under test, a temporary HOME with given files, a profile's codes.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// `credguardd check --json` in `home` with these variables (no STS endpoint variable:
/// where STS is comes from the files under test).
pub fn check(home: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credguardd"))
        .arg("check")
        .arg("--json")
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), v, format!("{stdout}{stderr}"))
}

pub fn home_with(config: &str, credentials: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), config).unwrap();
    if !credentials.is_empty() {
        use std::os::unix::fs::PermissionsExt;
        let path = aws.join("credentials");
        std::fs::write(&path, credentials).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    home
}

pub fn codes(p: &Value) -> Vec<String> {
    p["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}
