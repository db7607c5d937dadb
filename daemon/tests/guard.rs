//! Issue 20: `credguard exec` and the shells' pre-command guard, against a real STS peer
//! (moto) and real zsh, bash and fish in tmux. A stub `terraform` on PATH prints a marker;
//! expiring credentials are a moto session whose credentials-file `aws_expiration` is 20
//! minutes ahead (terraform apply expects 45).
#![allow(clippy::unwrap_used)]

use crate::shells::Tmux;
use crate::support;
use crate::support::daemon::{User, credguard};
use crate::support::moto::{Moto, Seed};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A user whose `default` profile is a valid long-term key and `soon` a valid session
/// that expires in 20 minutes; a stub `terraform` in `bin/`, first on PATH.
pub(crate) fn setup(moto: &Moto) -> User {
    let seeded = moto.seed(
        &Seed::new()
            .user("gus")
            .assumed_role("soon", "deployer", "gus"),
    );
    let (k, s) = (seeded.user("gus"), seeded.session("soon"));
    let mut user = User::new(&moto.endpoint);
    let soon = (OffsetDateTime::now_utc() + time::Duration::minutes(20))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap();
    let creds = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\
         [soon]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\naws_expiration = {soon}\n",
        k.access_key_id, k.secret_access_key, s.access_key_id, s.secret_access_key, s.session_token
    );
    std::fs::write(user.credentials(), creds).unwrap();
    let bin = user.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("terraform"), "#!/bin/sh\necho \"TF-MARKER $*\"\n").unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("terraform"))
        .status()
        .unwrap();
    for (key, v) in &mut user.vars {
        if key == "PATH" {
            *v = format!("{}:/usr/bin:/bin", bin.display());
        }
    }
    user
}

fn exec(user: &User, args: &[&str], extra: &[(&str, &str)], stdin: &str) -> Output {
    let mut c = Command::new(credguard());
    c.arg("exec")
        .args(args)
        .env_clear()
        .envs(user.vars.iter().cloned());
    for (k, v) in extra {
        c.env(k, v);
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn exec_cases(user: &User) {
    let sh = |code: &str| {
        vec!["--", "sh", "-c", code]
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for (code, want) in [
        ("exit 0", Some(0)),
        ("exit 1", Some(1)),
        ("kill -9 $$", None),
    ] {
        let args = sh(code);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = exec(user, &args, &[], "");
        assert_eq!(o.status.code(), want, "{code}: {}", text(&o));
        if want.is_none() {
            use std::os::unix::process::ExitStatusExt;
            // by signal: the shell that ran it would report 137
            assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
        }
    }
    // the same process: $$ of the command is the pid credguard started with; stdin passes
    let o = exec(
        user,
        &["--", "sh", "-c", "read l; echo \"got $l\""],
        &[],
        "hello\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "got hello\n",
        "{}",
        text(&o)
    );

    // the expiring threshold: 20 minutes left
    let o = exec(
        user,
        &[
            "--profile",
            "soon",
            "--min-remaining",
            "45m",
            "--",
            "terraform",
            "apply",
        ],
        &[],
        "",
    );
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!text(&o).contains("TF-MARKER"), "ran anyway: {}", text(&o));
    assert!(
        err.contains("not running terraform: the credentials of profile soon expire in 19m")
            || err.contains("not running terraform: the credentials of profile soon expire in 20m"),
        "{err}"
    );
    assert!(
        err.contains("before the 45m this command needs; fix:"),
        "{err}"
    );
    let o = exec(
        user,
        &["--min-remaining=10m", "--", "terraform", "apply"],
        &[("AWS_PROFILE", "soon")],
        "",
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "TF-MARKER apply\n",
        "{}",
        text(&o)
    );

    // refusal with the reason: an unknown profile
    let o = exec(
        user,
        &["--profile", "nope", "--", "terraform", "apply"],
        &[],
        "",
    );
    assert_eq!(o.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("profile nope is invalid: profile \"nope\" is not defined"),
        "{}",
        text(&o)
    );
    assert!(o.stdout.is_empty());

    // env credentials count as the prompt counts them: they beat AWS_PROFILE
    let o = exec(
        user,
        &["--", "terraform", "apply"],
        &[
            ("AWS_PROFILE", "soon"),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("the environment's credentials are not usable (partial env)"),
        "{}",
        text(&o)
    );
    let mut key = "AKIA".to_string();
    key.push_str(&"Z".repeat(16));
    let env = [
        ("AWS_ACCESS_KEY_ID", key.as_str()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
    ];
    let o = exec(user, &["--", "terraform", "apply"], &env, "");
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the environment's credentials"), "{err}");
    assert!(
        !err.contains(&key),
        "the full key id is never printed: {err}"
    );
}

#[test]
fn exec_with_and_without_a_daemon() {
    let Some(moto) = Moto::start() else { return };
    let user = setup(&moto);
    // no daemon: the engine runs once
    exec_cases(&user);
    let _d = user.start();
    exec_cases(&user);
}

/// The start-up file for `shell`: another preexec hook first, then the hook (twice).
fn rc(shell: &str, user: &User) -> String {
    rc_with(shell, user, &credguard())
}

/// [`rc`] with the hook's client at `cg`.
pub(crate) fn rc_with(shell: &str, user: &User, cg: &std::path::Path) -> String {
    let cg = cg.display();
    let dir = user.dir.path();
    match shell {
        "zsh" => {
            let d = dir.join("zdot");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(".zshrc"), format!(
                "PROMPT='zsh$ '\nother() {{ print OTHER-HOOK }}\npreexec_functions+=(other)\neval \"$('{cg}' init zsh)\"\neval \"$('{cg}' init zsh)\"\n")).unwrap();
            format!("env ZDOTDIR={} zsh -i", d.display())
        }
        "bash" => {
            let f = dir.join("bashrc");
            std::fs::write(&f, format!(
                "PS1='bash$ '\nset -u\ntrap '[[ $BASH_COMMAND == terraform* ]] && echo OTHER-HOOK' DEBUG\neval \"$('{cg}' init bash)\"\neval \"$('{cg}' init bash)\"\n")).unwrap();
            format!("bash --noprofile --rcfile {} -i", f.display())
        }
        _ => {
            let f = dir.join("hook.fish");
            std::fs::write(&f, format!(
                "set -g fish_greeting\nfunction fish_prompt; printf 'fish$ '; end\nfunction other --on-event fish_preexec; echo OTHER-HOOK; end\n'{cg}' init fish | source\n'{cg}' init fish | source\n")).unwrap();
            format!("fish --no-config -C 'source {}'", f.display())
        }
    }
}

pub(crate) fn wait_screen(t: &Tmux, w: &str, what: &str, want: impl Fn(&str) -> bool) -> String {
    let start = std::time::Instant::now();
    loop {
        let s = t.screen(w);
        if want(&s) {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{w}: never {what}:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn guard_in(shell: &str) {
    if !support::tool("tmux") || !support::tool(shell) {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let user = setup(&moto);
    let _d = user.start();
    // the daemon's first verdicts are in
    user.wait_state("soon", "ok", Duration::from_secs(30));
    user.wait_state("default", "ok", Duration::from_secs(30));
    let t = Tmux::new(&user);
    let sign = format!("{shell}$");
    let cmd = rc(shell, &user);
    t.window("a", &cmd);
    wait_screen(&t, "a", "a prompt", |s| s.contains(&sign));
    let st = if shell == "fish" { "$status" } else { "$?" };

    // fine credentials: nothing; the other hook still runs
    t.send("a", "terraform apply");
    let s = wait_screen(&t, "a", "the marker", |s| s.contains("TF-MARKER apply"));
    assert!(!s.contains("credguard:"), "{s}");
    assert!(s.contains("OTHER-HOOK"), "the other preexec hook runs: {s}");

    // expiring credentials: the line before the marker; a non-matching command: nothing
    t.clear("a");
    let export = if shell == "fish" {
        "set -gx AWS_PROFILE soon"
    } else {
        "export AWS_PROFILE=soon"
    };
    t.send("a", export);
    t.send("a", "terraform plan");
    wait_screen(&t, "a", "the plan marker", |s| s.contains("TF-MARKER plan"));
    t.send("a", &format!("terraform apply; echo status={st}"));
    let s = wait_screen(&t, "a", "the marker", |s| s.contains("\nstatus="));
    let warn = s
        .find("credguard: before terraform apply: the credentials of profile soon expire in")
        .unwrap_or_else(|| panic!("no warning: {s}"));
    assert!(warn < s.find("TF-MARKER apply").unwrap(), "{s}");
    assert!(s.contains("status=0"), "{s}");
    assert_eq!(
        s.matches("credguard:").count(),
        1,
        "one line, only for apply: {s}"
    );
    t.clear("a");
    t.send("a", &format!("false; echo status={st}"));
    wait_screen(&t, "a", "$? kept", |s| s.contains("status=1"));

    // ask, answered n: never runs
    t.window(
        "b",
        &format!("env CREDGUARD_GUARD=ask AWS_PROFILE=soon {cmd}"),
    );
    wait_screen(&t, "b", "a prompt", |s| s.contains(&sign));
    t.send("b", "terraform apply");
    wait_screen(&t, "b", "the question", |s| {
        s.contains("run it anyway? [y/N]")
    });
    t.send("b", "n");
    t.send("b", "echo done");
    let s = wait_screen(&t, "b", "the next command", |s| s.contains("\ndone"));
    assert!(!s.contains("TF-MARKER"), "ran after n: {s}");
}

#[test]
fn zsh_guards_the_command() {
    guard_in("zsh");
}

#[test]
fn bash_guards_the_command() {
    guard_in("bash");
}

#[test]
fn fish_guards_the_command() {
    guard_in("fish");
}
