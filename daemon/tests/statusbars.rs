//! The status-bar snippets of `credguard init tmux|waybar|i3blocks|polybar|swiftbar`, each
//! run as its bar would run it, against the real daemon: tmux with the snippet as its
//! config (the option it sets), the command lines of waybar, i3blocks and polybar (their
//! output format), and the SwiftBar/xbar plugin script (its menu format).
#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::daemon::{User, credguard};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const GOOD: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
const BROKEN: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";

/// The variables of `user`, with the client's directory first on PATH.
fn env(user: &User) -> Vec<(String, String)> {
    let bin = credguard().parent().unwrap().display().to_string();
    let mut vars = user.vars.clone();
    vars.retain(|(k, _)| k != "PATH" && k != "CREDGUARD_LOG");
    vars.push(("PATH".into(), format!("{bin}:/usr/bin:/bin")));
    vars
}

fn snippet(user: &User, name: &str) -> String {
    let out = user.client(&["init", name], &[]);
    assert_eq!(out.status.code(), Some(0), "init {name}");
    String::from_utf8(out.stdout).unwrap()
}

/// The first `n` lines a command prints (it is killed after), within 15 s.
fn first_lines(user: &User, cmd: &str, n: usize) -> Vec<String> {
    let mut child = Command::new("sh")
        .args(["-c", cmd])
        .env_clear()
        .envs(env(user))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    let mut lines = Vec::new();
    let start = Instant::now();
    while lines.len() < n {
        let left = Duration::from_secs(15).saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(l) => lines.push(l),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(lines.len(), n, "{cmd}: {lines:?}");
    lines
}

/// The value after `key` on the snippet's line that holds it.
fn setting<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .trim()
}

#[test]
fn tmux_status_follows_the_daemon_without_a_process_per_refresh() {
    if !support::tool("tmux") {
        return;
    }
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), BROKEN).unwrap();
    let _d = user.start();
    let conf = user.dir.path().join("tmux.conf");
    std::fs::write(&conf, snippet(&user, "tmux")).unwrap();
    let sock = user.dir.path().join("bar.sock");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(args)
            .env_clear()
            .envs(env(&user))
            .output()
            .unwrap()
    };
    let started = tmux(&[
        "-f",
        conf.to_str().unwrap(),
        "new-session",
        "-d",
        "-x",
        "80",
        "-y",
        "5",
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let option = || String::from_utf8(tmux(&["show", "-gv", "@credguard"]).stdout).unwrap();
    let wait = |want: &str| {
        let start = Instant::now();
        while option().trim_end() != want {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "@credguard is {:?}, not {want:?}",
                option()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait("aws:default ! no secret");
    let right = String::from_utf8(tmux(&["show", "-gv", "status-right"]).stdout).unwrap();
    assert!(right.contains("#{@credguard}"), "{right}");
    user.save_like_vim(&user.credentials(), GOOD);
    wait("");
    user.save_like_vim(&user.credentials(), BROKEN);
    wait("aws:default ! no secret");
    let _ = tmux(&["kill-server"]);
}

#[test]
fn waybar_i3blocks_and_polybar_commands_print_their_formats() {
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), BROKEN).unwrap();
    let _d = user.start();

    let waybar = snippet(&user, "waybar");
    let exec: String =
        serde_json::from_str(setting(&waybar, "\"exec\":").trim_end_matches(',')).unwrap();
    assert_eq!(setting(&waybar, "\"return-type\":"), "\"json\",");
    let line = &first_lines(&user, &exec, 1)[0];
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["text"], "aws:default ✗ no secret", "{line}");
    assert_eq!(v["class"], "invalid");
    assert!(
        v["tooltip"]
            .as_str()
            .unwrap()
            .contains("aws_secret_access_key")
    );

    let i3 = snippet(&user, "i3blocks");
    assert_eq!(setting(&i3, "interval="), "persist");
    let line = &first_lines(&user, setting(&i3, "command="), 1)[0];
    assert_eq!(line, "aws:default ✗ no secret");

    let polybar = snippet(&user, "polybar");
    assert_eq!(setting(&polybar, "tail ="), "true");
    let line = &first_lines(&user, setting(&polybar, "exec ="), 1)[0];
    assert_eq!(line, "aws:default ✗ no secret");
}

#[test]
fn the_swiftbar_plugin_prints_a_title_and_a_menu() {
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), BROKEN).unwrap();
    let _d = user.start();
    let plugin = user.dir.path().join("credguard.1m.sh");
    std::fs::write(&plugin, snippet(&user, "swiftbar")).unwrap();
    let run = || {
        let out = Command::new("sh")
            .arg(&plugin)
            .env_clear()
            .envs(env(&user))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let menu = run();
    let lines: Vec<&str> = menu.lines().collect();
    assert_eq!(lines[0], "aws:default ✗ no secret | color=red", "{menu}");
    assert_eq!(lines[1], "---", "{menu}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("default") && l.ends_with("| font=Menlo size=12")),
        "{menu}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("credguard doctor | shell=/"),
        "{menu}"
    );
    user.save_like_vim(&user.credentials(), GOOD);
    user.wait_prompt(&[], Duration::from_secs(10), str::is_empty);
    assert_eq!(run().lines().next(), Some("aws ✓"));
}
