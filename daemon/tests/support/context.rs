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

/// The AWS CLI of the moto venv (`scripts/setup.sh` installs it there), or None (after
/// printing why) outside CI; under `CI=true` a missing CLI is a failure.
pub fn aws_cli() -> Option<std::path::PathBuf> {
    let (_, python) = crate::support::moto::venv()?;
    let aws = Path::new(&python).with_file_name("aws");
    if aws.is_file() {
        return Some(aws);
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "{} missing with CI=true: scripts/setup.sh installs the AWS CLI in the venv",
        aws.display()
    );
    eprintln!("SKIP: no AWS CLI at {} (scripts/setup.sh)", aws.display());
    None
}

/// The real AWS CLI's `sts get-caller-identity` against `endpoint`, in `home` with `env`
/// (nothing else of this process's environment): did it get an identity, and what did it
/// say?
pub fn aws_identity(
    aws: &Path,
    home: &Path,
    env: &[(String, String)],
    endpoint: &str,
) -> (bool, String) {
    let out = Command::new(aws)
        .args(["sts", "get-caller-identity", "--endpoint-url", endpoint])
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// Runs the AWS CLI in `home` (its files only: no variable of this process leaks in).
pub fn run_aws(aws: &Path, home: &Path, args: &[&str]) {
    let out = Command::new(aws)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "aws {args:?}: {out:?}");
}

/// The command a fix quotes between backticks (the first one).
pub fn quoted_command(fix: &str) -> String {
    fix.split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no command in the fix {fix:?}"))
        .to_string()
}

/// Applies a fix's shell command literally, in `home` (`~` is that HOME).
pub fn apply_edit(home: &Path, command: &str) {
    let out = Command::new("sh")
        .args(["-c", command])
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {out:?}");
}
