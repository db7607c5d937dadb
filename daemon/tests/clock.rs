//! The daemon's clock (issue 16): a jump of its wall clock against the monotonic clock (a
//! clock set, a suspend and resume, a VM restored) makes every verdict stale and the skew
//! measured again, by the calls and by the unsigned clock probe, which sends no
//! credentials. The daemon runs on the FAKE clock (cargo feature `fake-clock`), moto is
//! STS.
#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::daemon::User;
use crate::support::moto::{Moto, Seed};
use std::time::{Duration, Instant};

/// `ok`, then the daemon's clock jumps 25 minutes ahead: the `ok` verdict would stay fresh
/// five more minutes, yet it is asked again, and the skew of about +1,500 s is reported as
/// `clock-skew`; the unsigned probe reached moto with no `Authorization` header.
#[test]
fn a_clock_jump_is_noticed_and_the_skew_measured_without_credentials() {
    if !cfg!(feature = "fake-clock") {
        panic!(
            "this test moves the daemon's FAKE clock: run it with `--features credguard-daemon/fake-clock` (scripts/test.sh does)"
        );
    }
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice"));
    let alice = seeded.user("alice");
    let user = User::new(&moto.endpoint);
    std::fs::write(
        user.credentials(),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            alice.access_key_id, alice.secret_access_key
        ),
    )
    .unwrap();
    let clock = user.dir.path().join("fake-clock");
    std::fs::write(&clock, "0").unwrap();
    let _d = user.start_with(&[("CREDGUARD_FAKE_CLOCK_FILE", clock.to_str().unwrap())]);
    user.wait_state("default", "ok", Duration::from_secs(30));
    let skew = user.status()["clock_skew_seconds"].as_f64().unwrap();
    assert!(skew.abs() < 60.0, "skew {skew}");
    // a shell uses the profile (a jump re-asks what is in use; idle verdicts wait for
    // their schedule, and the unsigned probe measures the skew for all)
    let out = user.client(&["check", "--profile", "default"], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    moto.reset_requests();

    // 25 minutes ahead; `reload` only wakes the engine (the verdict is still fresh)
    std::fs::write(&clock, "1500").unwrap();
    assert_eq!(user.client(&["reload"], &[]).status.code(), Some(0));
    let start = Instant::now();
    let status = loop {
        let s = user.status();
        if s["clock_skew_seconds"]
            .as_f64()
            .is_some_and(|k| (k - 1500.0).abs() < 60.0)
        {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{s:#}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let d = support::profile_of(&status, "default");
    let p = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "clock-skew")
        .unwrap_or_else(|| panic!("{d:#}"))
        .clone();
    assert_eq!(p["severity"], "error", "{d:#}");
    assert!(p["message"].as_str().unwrap().contains("ahead of"), "{d:#}");

    // the probe: unsigned, no key id, no token, credguard's user agent
    let start = Instant::now();
    let requests = loop {
        let r = moto.requests();
        if r.iter().any(|r| !r.authorization) || start.elapsed() > Duration::from_secs(10) {
            break r;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let probe = requests
        .iter()
        .find(|r| !r.authorization)
        .unwrap_or_else(|| panic!("no unsigned request: {requests:#?}"));
    assert_eq!(probe.access_key_id, None, "{probe:?}");
    assert!(!probe.has_session_token, "{probe:?}");
    assert!(
        probe
            .user_agent
            .as_deref()
            .is_some_and(|ua| ua.contains("credguard/")),
        "{probe:?}"
    );
    // and the verdict was asked of STS again, signed with alice's key
    assert_eq!(moto.calls_with(&alice.access_key_id), 1, "{requests:#?}");
}
