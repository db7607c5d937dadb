//! The files scanner, the SDK parser glue and every offline check: arbitrary config and
//! credentials files (the input split at the first NUL byte) give a report, never a panic
//! or a hang; the report renders as text and JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn home() -> &'static std::path::Path {
    static HOME: OnceLock<std::path::PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("credguard-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let (config, credentials) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let aws = home().join(".aws");
    std::fs::write(aws.join("config"), config).unwrap();
    std::fs::write(aws.join("credentials"), credentials).unwrap();
    let world = credguard::world::World::new(
        [("HOME", home().to_str().unwrap())],
        time::macros::datetime!(2026-11-22 12:00 UTC),
    );
    let config = credguard::config::Config::default();
    let diags = credguard::run::check::offline(&world, &config, None);
    let report = credguard::run::check::report(&world, diags, None);
    for view in [
        credguard::report::render::View::Check,
        credguard::report::render::View::Status,
        credguard::report::render::View::Doctor { shell_profile: Some("default") },
    ] {
        let _ = credguard::report::render::report(&report, view, &credguard::report::render::Style { color: true });
    }
    let _ = serde_json::to_string(&report).unwrap();
    if let Ok(s) = std::str::from_utf8(credentials) {
        let _ = credguard::aws::scan::scan(s);
    }
});
