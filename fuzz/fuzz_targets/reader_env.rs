//! The environment as each reader takes it (aws/readers/env.rs) and the `(env)` entry
//! built from it (diagnose/env_tools.rs): arbitrary values of the credential and profile
//! variables (the input split at NUL bytes, in the order of `VARS`; the rest is the
//! credentials file) give a report, never a panic or a hang; it renders as JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const VARS: [&str; 6] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
];

fn home() -> &'static std::path::Path {
    static HOME: OnceLock<std::path::PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("credguard-fuzz-env-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let mut vars = vec![("HOME".to_string(), home().to_str().unwrap().to_string())];
    for var in VARS {
        // an empty part leaves the variable unset, a part of one 0xff byte sets it empty
        match parts.next() {
            Some([0xff]) => vars.push((var.to_string(), String::new())),
            Some(v) if !v.is_empty() => {
                vars.push((var.to_string(), String::from_utf8_lossy(v).into_owned()))
            }
            _ => {}
        }
    }
    let credentials: Vec<u8> = parts.collect::<Vec<_>>().join(&0u8);
    std::fs::write(home().join(".aws/credentials"), &credentials).unwrap();
    let world = credguard::world::World::new(
        vars.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        time::macros::datetime!(2026-11-22 12:00 UTC),
    );
    let config = credguard::config::Config::default();
    let diags = credguard::run::check::offline(&world, &config, None);
    let report = credguard::run::check::report(&world, diags, None);
    let _ = serde_json::to_string(&report).unwrap();
});
