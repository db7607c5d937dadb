//! Issue 20, the guard without a process: the daemon's guard records and config.toml's
//! `[guard]` table, in real zsh, bash and fish in tmux against moto. With the client the
//! hook would run deleted, zsh and bash still warn from the record alone, with the very
//! line `credguard exec --check` prints, and stay quiet when all is fine; `[guard]` mode
//! and commands reach the hooks with no environment variable; a bad value is reported
//! with its line and the previous table stays.
#![allow(clippy::unwrap_used)]

use crate::guard::{rc_with, setup, wait_screen};
use crate::shells::Tmux;
use crate::support;
use crate::support::daemon::{User, credguard};
use crate::support::moto::Moto;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The screen with wrapped lines joined (the warning is wider than the window).
fn joined(t: &Tmux, w: &str) -> String {
    t.tmux(&["capture-pane", "-p", "-J", "-t", &format!("t:{w}")])
}

fn wait_joined(t: &Tmux, w: &str, what: &str, want: impl Fn(&str) -> bool) -> String {
    wait_screen(t, w, what, |_| want(&joined(t, w)));
    joined(t, w)
}

/// What `credguard exec --check` prints before `terraform apply` (45 minutes) in a shell
/// with AWS_PROFILE=`profile`: its exit code and its stderr.
fn client_line(user: &User, profile: &str, label: &str, minutes: &str) -> (Option<i32>, String) {
    let o = Command::new(credguard())
        .args([
            "exec",
            "--check",
            "--for",
            label,
            "--min-remaining",
            minutes,
        ])
        .env_clear()
        .envs(user.vars.iter().cloned())
        .env("AWS_PROFILE", profile)
        .output()
        .unwrap();
    assert!(o.stdout.is_empty());
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).trim_end().to_string(),
    )
}

fn stub(user: &User, name: &str) {
    let bin = user.dir.path().join("bin");
    std::fs::write(
        bin.join(name),
        format!("#!/bin/sh\necho \"{}-MARKER $*\"\n", name.to_uppercase()),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join(name))
        .status()
        .unwrap();
}

/// A copy of the client for the hook to run, which the test can take away.
fn client_copy(user: &User) -> PathBuf {
    let cg = user.dir.path().join("bin/cg-client");
    std::fs::copy(credguard(), &cg).unwrap();
    cg
}

fn record_alone(shell: &str) {
    if !support::tool("tmux") || !support::tool(shell) {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let user = setup(&moto);
    let _d = user.start();
    user.wait_state("soon", "ok", Duration::from_secs(30));
    user.wait_state("default", "ok", Duration::from_secs(30));
    let record = user.dir.path().join("runtime/credguard/badge/.guard/soon");
    assert!(record.is_file(), "no guard record at {}", record.display());
    let cg = client_copy(&user);
    let t = Tmux::new(&user);
    t.window("a", &rc_with(shell, &user, &cg));
    let sign = format!("{shell}$");
    wait_screen(&t, "a", "a prompt", |s| s.contains(&sign));
    // the client is gone: whatever the hook says now, it says without it
    std::fs::remove_file(&cg).unwrap();

    t.send("a", "export AWS_PROFILE=soon");
    let (code, before) = client_line(&user, "soon", "terraform apply", "45");
    assert_eq!(code, Some(4), "{before}");
    t.send("a", "terraform apply; echo status=$?");
    let s = wait_joined(&t, "a", "the marker", |s| s.contains("\nstatus="));
    let (_, after) = client_line(&user, "soon", "terraform apply", "45");
    let line = s
        .lines()
        .find(|l| l.starts_with("credguard:"))
        .unwrap_or_else(|| panic!("no warning: {s}"));
    assert!(
        line == before || line == after,
        "the hook's line:\n{line}\nthe client's:\n{before}\n{after}"
    );
    assert!(
        line.contains("the credentials of profile soon expire in")
            && line.contains("before the 45m this command needs; fix:"),
        "{line}"
    );
    assert!(
        s.find(line).unwrap() < s.find("TF-MARKER apply").unwrap(),
        "{s}"
    );
    assert!(s.contains("status=0"), "{s}");
    assert!(!s.contains("cg-client"), "the hook tried the client: {s}");

    // fine credentials: nothing, and no client either
    t.clear("a");
    t.send("a", "export AWS_PROFILE=default");
    t.send("a", "terraform apply; echo status=$?");
    let s = wait_joined(&t, "a", "the marker", |s| s.contains("\nstatus="));
    assert!(
        s.contains("TF-MARKER apply") && s.contains("status=0"),
        "{s}"
    );
    assert!(!s.contains("credguard:") && !s.contains("cg-client"), "{s}");

    // no record for a profile that does not exist: the hook turns to the client
    t.clear("a");
    t.send("a", "export AWS_PROFILE=nope");
    t.send("a", "terraform apply; echo status=$?");
    let s = wait_joined(&t, "a", "the marker", |s| s.contains("\nstatus="));
    assert!(s.contains("cg-client"), "the client was not tried: {s}");
}

#[test]
fn zsh_guards_from_the_record_alone() {
    record_alone("zsh");
}

#[test]
fn bash_guards_from_the_record_alone() {
    record_alone("bash");
}

/// `[guard] mode = "block"` with `helm upgrade` for 30 minutes, no CREDGUARD_GUARD:
/// terraform apply and helm upgrade do not run (the session has 20 minutes left), the
/// environment's setting wins, and a bad value is refused with its line.
fn config_table(shell: &str) {
    if !support::tool("tmux") || !support::tool(shell) {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let user = setup(&moto);
    stub(&user, "helm");
    let config = "[guard]\nmode = \"block\"\ncommands = { \"helm upgrade\" = 30 }\n";
    std::fs::write(user.config_file(), config).unwrap();
    let _d = user.start();
    user.wait_state("soon", "ok", Duration::from_secs(30));
    let settings = user
        .dir
        .path()
        .join("runtime/credguard/badge/.guard/.settings");
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        "mode=block\ncommands=helm upgrade=30\n"
    );
    let t = Tmux::new(&user);
    t.window("a", &rc_with(shell, &user, &credguard()));
    let sign = format!("{shell}$");
    wait_screen(&t, "a", "a prompt", |s| s.contains(&sign));
    let export = |k: &str, v: &str| match shell {
        "fish" => format!("set -gx {k} {v}"),
        _ => format!("export {k}={v}"),
    };
    t.send("a", &export("AWS_PROFILE", "soon"));
    // zsh's refusal interrupts the line, and with it any keys typed ahead
    t.send("a", "terraform apply");
    wait_joined(&t, "a", "the refusal", |s| s.contains("not run"));
    t.send("a", "echo next");
    let s = wait_joined(&t, "a", "the next command", |s| s.contains("\nnext"));
    assert!(
        s.contains("credguard: not run ([guard] mode = \"block\" in config.toml)"),
        "{s}"
    );
    assert!(!s.contains("TF-MARKER"), "ran though blocked: {s}");

    t.clear("a");
    t.send("a", "helm upgrade web");
    wait_joined(&t, "a", "the refusal", |s| s.contains("not run"));
    t.send("a", "echo next");
    let s = wait_joined(&t, "a", "the next command", |s| s.contains("\nnext"));
    let (_, want) = client_line(&user, "soon", "helm upgrade", "30");
    assert!(want.contains("before the 30m this command needs"), "{want}");
    assert!(
        s.contains("credguard: before helm upgrade: the credentials of profile soon expire in"),
        "{s}"
    );
    assert!(s.contains("before the 30m this command needs"), "{s}");
    assert!(!s.contains("HELM-MARKER"), "ran though blocked: {s}");
    t.send("a", "helm list");
    wait_joined(&t, "a", "an unguarded helm", |s| {
        s.contains("HELM-MARKER list")
    });

    // the environment wins over the table
    t.clear("a");
    t.send("a", &export("CREDGUARD_GUARD", "warn"));
    t.send("a", "helm upgrade web");
    let s = wait_joined(&t, "a", "the marker", |s| s.contains("HELM-MARKER upgrade"));
    assert!(s.contains("credguard: before helm upgrade:"), "{s}");
    assert!(!s.contains("not run"), "{s}");

    bad_value_keeps_the_table(&user, &settings);
}

/// A bad value: said with its line; the table in force stays.
fn bad_value_keeps_the_table(user: &User, settings: &std::path::Path) {
    std::fs::write(
        user.config_file(),
        "[guard]\nmode = \"blok\"\ncommands = { \"helm upgrade\" = 30 }\n",
    )
    .unwrap();
    let o = user.client(&["reload"], &[]);
    let said =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains("line 2") && said.contains("blok") && said.contains("`block`"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(settings).unwrap(),
        "mode=block\ncommands=helm upgrade=30\n"
    );
}

#[test]
fn zsh_reads_the_guard_table() {
    config_table("zsh");
}

#[test]
fn bash_reads_the_guard_table() {
    config_table("bash");
}

#[test]
fn fish_reads_the_guard_table() {
    config_table("fish");
}
