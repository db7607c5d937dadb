//! Shared helpers for the daemon's integration tests (`tests/integration.rs`).
#![allow(clippy::unwrap_used)]

pub mod context;
pub mod daemon;
pub mod login;
pub mod moto;
pub mod mutate;

/// The entry for profile `name` in a verdict report (`check --json`, `status --json`).
pub fn profile_of(report: &serde_json::Value, name: &str) -> serde_json::Value {
    report["profiles"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["profile"] == name))
        .unwrap_or_else(|| panic!("no profile {name} in {report:#}"))
        .clone()
}

/// Whether `tool` is on PATH. Outside CI a missing tool skips the test (printing why);
/// under `CI=true` it is a failure: scripts/setup.sh installs every tool the tests use.
pub fn tool(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{tool} missing with CI=true: scripts/setup.sh installs it"
        );
        eprintln!("SKIP: {tool} not installed (scripts/setup.sh)");
    }
    found
}
