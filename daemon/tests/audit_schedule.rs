//! The audit-log benchmark (a count, not a time, so a test): 20 profiles (15 keys, 5 roles
//! assumed from five of them), one shell using one profile, 24 simulated hours on the
//! daemon's FAKE clock, the STS calls counted at moto's recorder; beside it the old
//! schedule (every verdict asked again every 30 minutes) run the same way. Prints both and
//! asserts the new one stays within 60 calls a day.
//!
//! Time moves in 10-minute steps: the shell reads its profile's badge file (as the hooks do,
//! so the daemon sees the read only by the file's access time), the FAKE clock moves on,
//! and `credguard reload` plays the engine's timer firing; each step waits until no call is
//! in flight.
#![allow(clippy::unwrap_used)]

use crate::support::daemon::User;
use crate::support::moto::{Keys, Moto, Seed};
use std::time::Duration;

const STEP: i64 = 600;
const DAY: i64 = 86_400;
const ROLES: usize = 5;
const KEYS: usize = 15;

struct Figures {
    get_caller_identity: usize,
    assume_role: usize,
    /// GetCallerIdentity calls signed with the key of the profile the shell uses.
    in_use: usize,
    /// The daemon's own count (`status --json`), GetCallerIdentity and AssumeRole.
    daemon: (u64, u64),
    /// Unsigned clock probes (no credentials: in no audit log).
    probes: usize,
}

fn profiles(users: &[Keys]) -> (String, String) {
    let mut creds = String::new();
    for (i, k) in users.iter().enumerate() {
        creds += &format!(
            "[p{i}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            k.access_key_id, k.secret_access_key
        );
    }
    let mut config = String::new();
    for i in 0..ROLES {
        config += &format!(
            "[profile role{i}]\nrole_arn = arn:aws:iam::123456789012:role/r{i}\nsource_profile = p{}\n",
            i + 1
        );
    }
    (creds, config)
}

fn in_flight(user: &User) -> u64 {
    user.status()["sts_calls"]["in_flight"].as_u64().unwrap()
}

/// 24 simulated hours of a daemon with `config`, the shell using `p0`.
fn simulate(moto: &Moto, users: &[Keys], config: &str) -> Figures {
    moto.reset_requests();
    let user = User::new(&moto.endpoint);
    let (creds, aws_config) = profiles(users);
    std::fs::write(user.credentials(), creds).unwrap();
    std::fs::write(user.aws().join("config"), aws_config).unwrap();
    std::fs::write(user.config_file(), config).unwrap();
    let clock = user.dir.path().join("fake-clock");
    std::fs::write(&clock, "0").unwrap();
    // the FAKE offset is a day passing, not a clock set wrong (no jump, no skew)
    let _d = user.start_with(&[
        ("CREDGUARD_FAKE_CLOCK_FILE", clock.to_str().unwrap()),
        ("CREDGUARD_FAKE_CLOCK_STEADY", "1"),
    ]);
    for p in ["p0", "p14", "role0", "role4"] {
        user.wait_state(p, "ok", Duration::from_secs(60));
    }
    let badge = user.dir.path().join("runtime/credguard/badge/p0");
    for step in 1..DAY / STEP {
        assert_eq!(std::fs::read_to_string(&badge).unwrap(), "", "p0 stays ok");
        std::fs::write(&clock, (step * STEP).to_string()).unwrap();
        let out = user.client(&["reload"], &[]);
        assert_eq!(out.status.code(), Some(0));
        let start = std::time::Instant::now();
        while in_flight(&user) > 0 {
            assert!(start.elapsed() < Duration::from_secs(60), "calls hang");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let status = user.status();
    let counted = |k: &str| status["sts_calls"]["last_24h"][k].as_u64().unwrap();
    // the hourly clock probe is unsigned: no credentials, in no account's audit log
    let (requests, probes): (Vec<_>, Vec<_>) =
        moto.requests().into_iter().partition(|r| r.authorization);
    assert!(
        probes.iter().all(|r| r.access_key_id.is_none()),
        "{probes:?}"
    );
    let action = |a: &str| {
        requests
            .iter()
            .filter(|r| r.action.as_deref() == Some(a))
            .count()
    };
    let p0 = &users[0].access_key_id;
    let figures = Figures {
        get_caller_identity: action("GetCallerIdentity"),
        assume_role: action("AssumeRole"),
        in_use: requests
            .iter()
            .filter(|r| r.access_key_id.as_ref() == Some(p0))
            .count(),
        daemon: (counted("GetCallerIdentity"), counted("AssumeRole")),
        probes: probes.len(),
    };
    assert_eq!(
        requests.len(),
        figures.get_caller_identity + figures.assume_role,
        "only STS calls: {requests:?}"
    );
    let profiles = status["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), KEYS + ROLES);
    assert!(profiles.iter().all(|p| p["state"] == "ok"), "{status:#}");
    figures
}

#[test]
fn a_day_of_one_shell_on_twenty_profiles_stays_within_sixty_sts_calls() {
    if !cfg!(feature = "fake-clock") {
        panic!(
            "this test moves the daemon's FAKE clock: run it with `--features credguard-daemon/fake-clock` (scripts/test.sh does)"
        );
    }
    let Some(moto) = Moto::start() else { return };
    let mut seed = Seed::new();
    for i in 0..KEYS {
        seed = seed.user(&format!("u{i}"));
    }
    for i in 0..ROLES {
        seed = seed.role(&format!("r{i}"), &format!("u{}", i + 1), true);
    }
    let seeded = moto.seed(&seed);
    let users: Vec<Keys> = (0..KEYS)
        .map(|i| seeded.user(&format!("u{i}")).clone())
        .collect();

    let new = simulate(&moto, &users, "");
    let old = simulate(
        &moto,
        &users,
        "revalidate_in_use = \"30m\"\nrevalidate_idle = \"30m\"\n",
    );
    let total = |f: &Figures| f.get_caller_identity + f.assume_role;
    println!(
        "audit log, 24 simulated hours, 20 profiles (5 roles), one shell on one profile: \
         {} STS calls ({} GetCallerIdentity, {} AssumeRole; {} for the profile in use; \
         plus {} unsigned clock probes, which carry no credentials and land in no audit log) \
         | old schedule, every verdict every 30 min, run the same way: {} ({} GetCallerIdentity, {} AssumeRole) \
         | target ≤ 60",
        total(&new),
        new.get_caller_identity,
        new.assume_role,
        new.in_use,
        new.probes,
        total(&old),
        old.get_caller_identity,
        old.assume_role,
    );
    for f in [&new, &old] {
        assert_eq!(
            f.daemon,
            (f.get_caller_identity as u64, f.assume_role as u64),
            "status --json counts what moto saw"
        );
    }
    assert!(total(&new) <= 60, "{} calls a day", total(&new));
    // every profile once at the start; only the one in use again, every hour
    assert_eq!(new.assume_role, ROLES, "idle roles: once");
    assert_eq!(new.get_caller_identity, KEYS + 23);
    assert_eq!(new.in_use, 24);
    // the old schedule asks every set every 30 minutes
    assert_eq!(total(&old), (KEYS + ROLES) * 48);
}
