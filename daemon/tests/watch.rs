//! `credguard watch`, the live feed, against the real daemon: the current state first,
//! then a line per change; a reader that never reads does not slow prompts down; the feed
//! survives a daemon restart.
#![allow(clippy::unwrap_used)]

use crate::support::daemon::{User, credguard};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const GOOD: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
const BROKEN: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";

/// `credguard watch ARGS` with its lines arriving on a channel.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watcher {
    fn start(user: &User, args: &[&str]) -> Watcher {
        let mut child = Command::new(credguard())
            .arg("watch")
            .args(args)
            .env_clear()
            .envs(user.vars.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines() {
                let Ok(l) = l else { return };
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Watcher { child, lines }
    }

    /// The next line that satisfies `want` (lines before it are skipped), and how long it took.
    fn until(&self, what: &str, want: impl Fn(&str) -> bool) -> (String, Duration) {
        let start = Instant::now();
        let mut seen = Vec::new();
        loop {
            let left = Duration::from_secs(15).saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(l) if want(&l) => return (l, start.elapsed()),
                Ok(l) => seen.push(l),
                Err(_) => panic!("no line with {what} within 15 s; saw {seen:?}"),
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_feed_starts_with_the_state_then_follows_each_change() {
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), GOOD).unwrap();
    let _d = user.start();
    let w = Watcher::start(&user, &["--json"]);
    let (first, _) = w.until("the current state", |l| {
        l.contains("\"profile\":\"default\"")
    });
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["profile"], "default");
    assert_ne!(v["state"], "invalid", "{first}");

    user.save_like_vim(&user.credentials(), BROKEN);
    let (line, took) = w.until("the broken profile", |l| l.contains("\"invalid\""));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let codes: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"missing-secret"), "{line}");
    assert!(
        !line.contains("wJalrXUtnFEMI"),
        "no secret in the feed: {line}"
    );
    eprintln!("a change reached the feed in {took:?} (the daemon settles 100 ms)");

    let b = Watcher::start(&user, &["--profile", "default"]);
    let (badge, _) = b.until("the badge", |l| !l.is_empty());
    assert_eq!(badge, "aws:default ✗ no secret");
    let waybar = Watcher::start(&user, &["--waybar", "--profile", "default"]);
    let (l, _) = waybar.until("waybar's JSON", |l| l.starts_with('{'));
    let v: serde_json::Value = serde_json::from_str(&l).unwrap();
    assert_eq!(v["text"], "aws:default ✗ no secret");
    assert_eq!(v["class"], "invalid");
    assert!(
        v["tooltip"]
            .as_str()
            .unwrap()
            .contains("aws_secret_access_key"),
        "{l}"
    );

    user.save_like_vim(&user.credentials(), GOOD);
    let (fine, _) = b.until("the profile fine again", str::is_empty);
    assert_eq!(fine, "");
}

/// A subscriber that never reads: its socket buffer fills, and the daemon neither waits
/// for it nor stops answering prompts while thousands of lines are pushed at it.
#[test]
fn a_reader_that_never_reads_does_not_slow_prompts() {
    let user = User::new("http://127.0.0.1:9");
    let many = |broken: bool| {
        let mut s = String::new();
        for i in 0..400 {
            s.push_str(&format!(
                "[p{i:03}]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
            ));
            if !broken {
                s.push_str("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
            }
        }
        s + GOOD
    };
    std::fs::write(user.credentials(), many(false)).unwrap();
    let _d = user.start();
    let mut stuck = std::os::unix::net::UnixStream::connect(user.socket()).unwrap();
    let req = credguard_client::proto::encode_request(&credguard_client::Request::Watch(
        credguard_client::WatchQuery {
            format: credguard_client::WatchFormat::Json,
            ..Default::default()
        },
    ));
    credguard_client::proto::write_frame(&mut stuck, &req).unwrap();
    stuck.flush().unwrap();
    for round in 0..6 {
        user.save_like_vim(&user.credentials(), &many(round % 2 == 0));
        let want = if round % 2 == 0 {
            "aws:p000 ✗ no secret"
        } else {
            ""
        };
        let (_, took) =
            user.wait_prompt(&[("AWS_PROFILE", "p000")], Duration::from_secs(10), |b| {
                b == want
            });
        eprintln!("round {round}: the prompt followed in {took:?} with a stuck subscriber");
    }
    let start = Instant::now();
    for _ in 0..50 {
        assert_eq!(user.prompt(&[("AWS_PROFILE", "p000")]), "");
    }
    eprintln!("50 prompts with a stuck subscriber: {:?}", start.elapsed());
    drop(stuck);
}

#[test]
fn the_feed_survives_a_daemon_restart() {
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), BROKEN).unwrap();
    let mut d = user.start();
    let w = Watcher::start(&user, &["--profile", "default"]);
    w.until("the badge", |l| l == "aws:default ✗ no secret");
    d.signal("TERM");
    d.wait_exit();
    w.until("the neutral mark", |l| l == "aws:?");
    let _d = user.start();
    let (_, took) = w.until("the badge again", |l| l == "aws:default ✗ no secret");
    eprintln!("the feed came back {took:?} after the daemon was down");
}

/// A status bar that exits takes its feed with it, even while nothing changes: the feed
/// looks at its stdout every 2 s (no line is needed to find the pipe closed).
#[test]
fn a_feed_whose_reader_goes_away_ends_while_idle() {
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), BROKEN).unwrap();
    let _d = user.start();
    let mut child = Command::new(credguard())
        .args(["watch", "--profile", "default"])
        .env_clear()
        .envs(user.vars.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert_eq!(first.trim_end(), "aws:default ✗ no secret");
    drop(out);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("credguard watch still runs 15 s after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!(
        "the feed ended {:?} after its reader went away ({status})",
        start.elapsed()
    );
    assert_eq!(status.code(), Some(1));
}
