//! Desktop notifications read back from a real notification server: dunst under
//! `xvfb-run` on a private `dbus-run-session` bus, queried with `dunstctl`. Expiry needs
//! time to pass, so the daemon runs with a FAKE clock (CREDGUARD_FAKE_CLOCK_FILE: seconds
//! added to the real time) and `credguard reload` plays the timer firing.
#![allow(clippy::unwrap_used)]

use crate::support;

use crate::support::daemon::{Daemon, User};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process group killed on drop (dbus-run-session, xvfb-run and their children).
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

pub(crate) struct Desktop {
    vars: Vec<(String, String)>,
    _bus: Group,
    _dunst: Group,
}

impl Desktop {
    pub(crate) fn start(user: &User) -> Desktop {
        let addr_file = user.dir.path().join("bus-address");
        let mut base = user.vars.clone();
        base.retain(|(k, _)| k != "CREDGUARD_LOG");
        let bus = Command::new("dbus-run-session")
            .args([
                "--",
                "sh",
                "-c",
                "echo \"$DBUS_SESSION_BUS_ADDRESS\" > \"$1\"; exec sleep 600",
                "sh",
            ])
            .arg(&addr_file)
            .env_clear()
            .envs(base.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let bus = Group(bus);
        let start = Instant::now();
        let addr = loop {
            if let Ok(a) = std::fs::read_to_string(&addr_file)
                && !a.trim().is_empty()
            {
                break a.trim().to_string();
            }
            assert!(start.elapsed() < Duration::from_secs(20), "no session bus");
            std::thread::sleep(Duration::from_millis(20));
        };
        base.push(("DBUS_SESSION_BUS_ADDRESS".into(), addr));
        let dunst = Command::new("xvfb-run")
            .args(["-a", "dunst"])
            .env_clear()
            .envs(base.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let d = Desktop {
            vars: base,
            _bus: bus,
            _dunst: Group(dunst),
        };
        let start = Instant::now();
        while d.ctl(&["count", "history"]).is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "dunst did not come up"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    /// The private session bus's address, for the daemon.
    pub(crate) fn bus(&self) -> String {
        self.vars
            .iter()
            .find(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS")
            .map(|(_, v)| v.clone())
            .unwrap()
    }

    pub(crate) fn ctl(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("dunstctl")
            .args(args)
            .env_clear()
            .envs(self.vars.iter().cloned())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    pub(crate) fn count(&self, what: &str) -> usize {
        self.ctl(&["count", what]).unwrap().parse().unwrap()
    }

    /// Every notification dunst has seen: displayed, waiting and in its history.
    pub(crate) fn total(&self) -> usize {
        self.count("displayed") + self.count("waiting") + self.count("history")
    }

    /// Summaries in dunst's history, newest first.
    pub(crate) fn history(&self) -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_str(&self.ctl(&["history"]).unwrap()).unwrap();
        v["data"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["summary"]["data"].as_str().unwrap().to_string(),
                    n["body"]["data"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub(crate) fn wait_total(&self, n: usize) {
        let start = Instant::now();
        while self.total() < n {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{} notifications, not {n}: {:?}",
                self.total(),
                self.history()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // and no more than that
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(self.total(), n, "{:?}", self.history());
    }
}

/// dbus-run-session, xvfb-run, dunst and dunstctl are all installed (else the test skips,
/// and fails under CI).
pub(crate) fn desktop_tools() -> bool {
    ["dbus-run-session", "xvfb-run", "dunst", "dunstctl"]
        .iter()
        .all(|t| support::tool(t))
}

fn set_clock(file: &Path, seconds: i64, user: &User) {
    std::fs::write(file, seconds.to_string()).unwrap();
    let out = user.client(&["reload"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn creds(expires: time::OffsetDateTime) -> String {
    let exp = expires
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!(
        "[temp]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_session_token = IQoJb3JpZ2luX2VjEXAMPLETOKEN\naws_expiration = {exp}\n"
    )
}

/// A user whose profile `temp` expires 16 minutes from `now`, a notification server, and
/// the FAKE clock file (0 s ahead). STS is a closed port: the credentials stay `unknown`
/// online, expiry is judged offline. None: the desktop tools are missing (skip).
fn expiring_in_16_minutes() -> Option<(User, Desktop, PathBuf, time::OffsetDateTime)> {
    if !desktop_tools() {
        return None;
    }
    let user = User::new("http://127.0.0.1:9");
    let desktop = Desktop::start(&user);
    let now = time::OffsetDateTime::now_utc();
    std::fs::write(user.credentials(), creds(now + time::Duration::minutes(16))).unwrap();
    let clock = user.dir.path().join("fake-clock");
    std::fs::write(&clock, "0").unwrap();
    Some((user, desktop, clock, now))
}

/// The daemon on the FAKE clock and the private bus, in UTC (quiet hours are local time),
/// once it has judged `temp`.
fn start(user: &User, desktop: &Desktop, clock: &Path) -> Daemon {
    if !cfg!(feature = "fake-clock") {
        panic!(
            "these tests move the daemon's FAKE clock: run them with `--features credguard-daemon/fake-clock` (scripts/test.sh does)"
        );
    }
    let d = user.start_with(&[
        ("CREDGUARD_FAKE_CLOCK_FILE", clock.to_str().unwrap()),
        ("DBUS_SESSION_BUS_ADDRESS", &desktop.bus()),
        ("TZ", "UTC0"),
    ]);
    user.wait_state("temp", "unknown", Duration::from_secs(20));
    d
}

#[test]
fn thresholds_notify_once_each_and_a_refresh_closes_the_notification() {
    let Some((user, desktop, clock, now)) = expiring_in_16_minutes() else {
        return;
    };
    let _d = start(&user, &desktop, &clock);
    let s = user.status();
    assert!(s["profiles"][0]["expires_at"].is_string(), "{s}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(desktop.total(), 0, "16 minutes left: nothing yet");

    // 14:58 left: the 15-minute threshold
    set_clock(&clock, 62, &user);
    desktop.wait_total(1);
    assert_eq!(user.state_of("temp").as_deref(), Some("expiring"));
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "temp")]),
        "aws:temp ⏳ 14m",
        "the prompt counts down"
    );
    desktop.ctl(&["close-all"]).unwrap();
    let h = desktop.history();
    assert!(
        h[0].0.starts_with("AWS profile temp expires in 14m"),
        "{h:?}"
    );
    assert!(
        h[0].1
            .contains("Fix: fetch new credentials for profile temp"),
        "{h:?}"
    );

    // nothing changed: nothing new
    set_clock(&clock, 90, &user);
    desktop.wait_total(1);

    // 4:58 left: the 5-minute threshold
    set_clock(&clock, 11 * 60 + 2, &user);
    desktop.wait_total(2);
    desktop.ctl(&["close-all"]).unwrap();
    assert!(
        desktop.history()[0]
            .0
            .starts_with("AWS profile temp expires in 4m")
    );

    // past the expiry
    set_clock(&clock, 16 * 60 + 2, &user);
    desktop.wait_total(3);
    assert_eq!(user.state_of("temp").as_deref(), Some("expired"));
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "temp")]),
        "aws:temp ✗ expired"
    );
    assert_eq!(
        desktop.count("displayed"),
        1,
        "the expired notification stays up"
    );

    // refreshed credentials close it
    std::fs::write(user.credentials(), creds(now + time::Duration::hours(12))).unwrap();
    let start = Instant::now();
    while desktop.count("displayed") != 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "not closed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let h = desktop.history();
    assert_eq!(h.len(), 3, "{h:?}");
    assert_eq!(h[0].0, "AWS profile temp has expired");
    // no secret reaches the desktop
    for (s, b) in &h {
        assert!(
            !s.contains("wJalr")
                && !b.contains("wJalr")
                && !b.contains("IQoJ")
                && !b.contains("ASIAIOSFODNN7EXAMPLE")
        );
    }
}

/// `HH:MM` of `t` in UTC (the daemon runs with `TZ=UTC0` here).
fn hm(t: time::OffsetDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Quiet hours hold the 15-minute, 5-minute and expiry notifications; when they end, the
/// daemon wakes by its own timer (no reload) and shows one: where the profile stands then.
#[test]
fn quiet_hours_hold_notifications_and_the_end_of_them_shows_one() {
    let Some((user, desktop, clock, now)) = expiring_in_16_minutes() else {
        return;
    };
    // from an hour ago to a whole minute at least 20 minutes ahead
    let end = (now + time::Duration::minutes(21))
        .replace_second(0)
        .unwrap()
        .replace_nanosecond(0)
        .unwrap();
    std::fs::write(
        user.config_file(),
        format!(
            "quiet_hours = \"{}-{}\"\n",
            hm(now - time::Duration::hours(1)),
            hm(end)
        ),
    )
    .unwrap();
    let _d = start(&user, &desktop, &clock);

    // the 15-minute threshold in quiet hours: the prompt counts down, the desktop is quiet
    set_clock(&clock, 62, &user);
    assert_eq!(user.state_of("temp").as_deref(), Some("expiring"));
    assert_eq!(user.prompt(&[("AWS_PROFILE", "temp")]), "aws:temp ⏳ 14m");
    // the 5-minute threshold and the expiry: still quiet
    set_clock(&clock, 11 * 60 + 2, &user);
    set_clock(&clock, 16 * 60 + 2, &user);
    assert_eq!(user.state_of("temp").as_deref(), Some("expired"));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(desktop.total(), 0, "{:?}", desktop.history());

    // 3 seconds before the end of quiet hours; then no reload: the daemon's own timer
    let offset = (end - time::OffsetDateTime::now_utc()).whole_seconds() - 3;
    set_clock(&clock, offset, &user);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(desktop.total(), 0, "still quiet: {:?}", desktop.history());
    desktop.wait_total(1);
    desktop.ctl(&["close-all"]).unwrap();
    let shown = desktop.history();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].0, "AWS profile temp has expired", "{shown:?}");
}
