//! Bad command lines and broken streams, for both binaries from one table: each row is a
//! program, its arguments, the exit code, the first line it prints (on stderr for errors,
//! nothing on stdout; on stdout for help) and, for a near miss, the suggestion. Then
//! closed pipes and `/dev/full` on stdout and stderr: a quiet exit, never a panic (the
//! prompt still exits 0).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::daemon::{credguard, credguardd};

/// `(program, args, exit code, first line starts with, tip names)`.
type Row = (
    &'static str,
    &'static [&'static str],
    i32,
    &'static str,
    Option<&'static str>,
);

#[rustfmt::skip]
const CLIENT: &[Row] = &[
    ("credguard", &[], 2, "error: no command given", None),
    ("credguard", &["frobnicate"], 2, "error: unknown command 'frobnicate'", None),
    ("credguard", &["stauts"], 2, "error: unknown command 'stauts'", Some("status")),
    ("credguard", &["chekc"], 2, "error: unknown command 'chekc'", Some("check")),
    ("credguard", &["docter"], 2, "error: unknown command 'docter'", Some("doctor")),
    ("credguard", &["--bogus"], 2, "error: unknown option '--bogus'", None),
    ("credguard", &["--hlep"], 2, "error: unknown option '--hlep'", Some("--help")),
    ("credguard", &["status", "--bogus"], 2, "error: unknown option '--bogus' for status", None),
    ("credguard", &["status", "--jsn"], 2, "error: unknown option '--jsn' for status", Some("--json")),
    ("credguard", &["status", "--color"], 2, "error: --color needs a value", None),
    ("credguard", &["status", "--color=sometimes"], 2, "error: invalid value 'sometimes' for --color", None),
    ("credguard", &["status", "--color", "alwyas"], 2, "error: invalid value 'alwyas' for --color", Some("always")),
    ("credguard", &["doctor", "--profile"], 2, "error: --profile needs a value", None),
    ("credguard", &["doctor", "--proflie", "x"], 2, "error: unknown option '--proflie' for doctor", Some("--profile")),
    ("credguard", &["doctor", "extra"], 2, "error: unknown argument 'extra' for doctor", None),
    ("credguard", &["check", "--profile"], 2, "error: --profile needs a profile name", None),
    ("credguard", &["check", "--nope"], 2, "error: unknown argument --nope for check", None),
    ("credguard", &["check", "--ofline"], 2, "error: unknown argument --ofline for check", Some("--offline")),
    ("credguard", &["check", "--offline", "--fresh"], 2, "error: --offline and --fresh cannot be used together", None),
    ("credguard", &["check", "--color"], 2, "error: --color needs a value", None),
    ("credguard", &["check", "--color=blue"], 2, "error: invalid value 'blue' for --color", None),
    ("credguard", &["check", "prod"], 2, "error: unknown argument prod for check", None),
    ("credguard", &["prompt", "--nope"], 2, "error: unknown option '--nope' for prompt", None),
    ("credguard", &["prompt", "--asci"], 2, "error: unknown option '--asci' for prompt", Some("--ascii")),
    ("credguard", &["init"], 2, "error: init needs a shell", None),
    ("credguard", &["init", "nushell"], 2, "error: unknown shell 'nushell'", None),
    ("credguard", &["init", "zhs"], 2, "error: unknown shell 'zhs'", Some("zsh")),
    ("credguard", &["init", "zsh", "bash"], 2, "error: unexpected argument 'bash'", None),
    ("credguard", &["reload", "now"], 2, "error: unknown argument 'now' for reload", None),
    ("credguard", &["service"], 2, "error: service needs install, uninstall or status", None),
    ("credguard", &["service", "stat"], 2, "error: unknown argument 'stat' for service", Some("status")),
    ("credguard", &["service", "status", "extra"], 2, "error: unexpected argument 'extra' for service", None),
    ("credguard", &["help", "stats"], 2, "error: no command 'stats'", Some("status")),
    ("credguard", &["--help"], 0, "usage: credguard <command>", None),
    ("credguard", &["-h"], 0, "usage: credguard <command>", None),
    ("credguard", &["help"], 0, "usage: credguard <command>", None),
    ("credguard", &["help", "service"], 0, "usage: credguard service", None),
    ("credguard", &["check", "--help"], 0, "usage: credguard check", None),
    ("credguard", &["status", "--help"], 0, "usage: credguard status", None),
    ("credguard", &["doctor", "-h"], 0, "usage: credguard doctor", None),
    ("credguard", &["prompt", "--help"], 0, "usage: credguard prompt", None),
    ("credguard", &["init", "--help"], 0, "usage: credguard init", None),
    ("credguard", &["reload", "--help"], 0, "usage: credguard reload", None),
    ("credguard", &["service", "--help"], 0, "usage: credguard service", None),
    ("credguard", &["--version"], 0, "credguard 0.", None),
];

#[rustfmt::skip]
const DAEMON: &[Row] = &[
    ("credguardd", &["stauts"], 2, "error: unknown command 'stauts'", None),
    ("credguardd", &["chek"], 2, "error: unknown command 'chek'", Some("check")),
    ("credguardd", &["Check"], 2, "error: unknown command 'Check'", Some("check")),
    ("credguardd", &["frobnicate"], 2, "error: unknown command 'frobnicate'", None),
    ("credguardd", &["status"], 2, "error: unknown command 'status'", None),
    ("credguardd", &["doctor"], 2, "error: unknown command 'doctor'", None),
    ("credguardd", &["--bogus"], 2, "error: unknown option '--bogus'", None),
    ("credguardd", &["--hlep"], 2, "error: unknown option '--hlep'", Some("--help")),
    ("credguardd", &["-x"], 2, "error: unknown option '-x'", None),
    ("credguardd", &["--profile"], 2, "error: unknown option '--profile'", None),
    ("credguardd", &["--json"], 2, "error: unknown option '--json'", None),
    ("credguardd", &["help", "frob"], 2, "error: no command 'frob'", None),
    ("credguardd", &["help", "chek"], 2, "error: no command 'chek'", Some("check")),
    ("credguardd", &["run", "--bogus"], 2, "error: unexpected argument '--bogus' for run", None),
    ("credguardd", &["run", "x"], 2, "error: unexpected argument 'x' for run", None),
    ("credguardd", &["run", "--hepl"], 2, "error: unexpected argument '--hepl' for run", Some("--help")),
    ("credguardd", &["check", "--profile"], 2, "error: --profile needs a profile name", None),
    ("credguardd", &["check", "--bogus"], 2, "error: unknown argument --bogus for check", None),
    ("credguardd", &["check", "--jsn"], 2, "error: unknown argument --jsn for check", Some("--json")),
    ("credguardd", &["check", "--ofline"], 2, "error: unknown argument --ofline for check", Some("--offline")),
    ("credguardd", &["check", "--fersh"], 2, "error: unknown argument --fersh for check", Some("--fresh")),
    ("credguardd", &["check", "--offline", "--fresh"], 2, "error: --offline and --fresh cannot be used together", None),
    ("credguardd", &["check", "--color"], 2, "error: --color needs a value", None),
    ("credguardd", &["check", "--color=sometimes"], 2, "error: invalid value 'sometimes' for --color", None),
    ("credguardd", &["check", "--color", "nevr"], 2, "error: invalid value 'nevr' for --color", Some("never")),
    ("credguardd", &["check", "prod"], 2, "error: unknown argument prod for check", None),
    ("credguardd", &["check", "--profile-x"], 2, "error: unknown argument --profile-x for check", Some("--profile")),
    ("credguardd", &["check", "--colour=always"], 2, "error: unknown argument --colour=always for check", Some("--color")),
    ("credguardd", &["check", "--json", "--bogus"], 2, "error: unknown argument --bogus for check", None),
    ("credguardd", &["check", "-j"], 2, "error: unknown argument -j for check", None),
    ("credguardd", &["--help"], 0, "usage: credguardd [run]", None),
    ("credguardd", &["-h"], 0, "usage: credguardd [run]", None),
    ("credguardd", &["help"], 0, "usage: credguardd [run]", None),
    ("credguardd", &["help", "check"], 0, "usage: credguardd check", None),
    ("credguardd", &["help", "run"], 0, "usage: credguardd [run]", None),
    ("credguardd", &["check", "--help"], 0, "usage: credguardd check", None),
    ("credguardd", &["check", "-h"], 0, "usage: credguardd check", None),
    ("credguardd", &["run", "--help"], 0, "usage: credguardd [run]", None),
    ("credguardd", &["--version"], 0, "credguardd 0.", None),
];

/// A temporary HOME and runtime dir, no daemon; removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cg-usage-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::create_dir_all(dir.join("run")).unwrap();
        Scratch(dir)
    }

    fn cmd(&self, program: &str, args: &[&str]) -> Command {
        let exe = if program == "credguard" {
            credguard()
        } else {
            credguardd()
        };
        let mut c = Command::new(exe);
        c.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.0.join("home"))
            .env("XDG_RUNTIME_DIR", self.0.join("run"))
            .env("CREDGUARD_SOCKET", self.0.join("run/none.sock"))
            .stdin(Stdio::null());
        c
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn no_panic(what: &str, o: &Output) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("panicked") && o.status.code().is_some(),
        "{what}: {:?} {err}",
        o.status
    );
}

fn check_row(s: &Scratch, (program, args, code, first, tip): Row) {
    let o = s.cmd(program, args).output().unwrap();
    let what = format!("{program} {args:?}");
    no_panic(&what, &o);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(code), "{what}: {out}{err}");
    if code == 0 {
        assert!(out.starts_with(first), "{what}: {out}");
        assert_eq!(err, "", "{what}");
        return;
    }
    assert_eq!(out, "", "{what}: nothing on stdout for an error");
    assert!(
        err.lines().next().unwrap_or("").starts_with(first),
        "{what}: {err}"
    );
    // the usage of the command meant, not the whole help
    assert!(
        err.contains(&format!("\nusage: {program}")),
        "{what}: {err}"
    );
    assert!(err.contains("For more information, try '"), "{what}: {err}");
    assert!(err.lines().count() <= 12, "{what}: {err}");
    match tip {
        Some(t) => assert!(
            err.contains(&format!("exists: '{t}'")),
            "{what}: tip {t}: {err}"
        ),
        None => assert!(!err.contains("tip:"), "{what}: {err}"),
    }
}

#[test]
fn the_client_answers_every_bad_command_line() {
    assert!(CLIENT.iter().filter(|r| r.2 != 0).count() >= 30);
    let s = Scratch::new("client");
    for row in CLIENT {
        check_row(&s, *row);
    }
}

#[test]
fn the_daemon_answers_every_bad_command_line() {
    assert!(DAEMON.iter().filter(|r| r.2 != 0).count() >= 30);
    let s = Scratch::new("daemon");
    for row in DAEMON {
        check_row(&s, *row);
    }
}

/// A pipe whose reading end is already closed: every write is EPIPE.
fn closed_pipe() -> Stdio {
    let (r, w) = std::io::pipe().unwrap();
    drop(r);
    Stdio::from(w)
}

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open(Path::new("/dev/full"))
            .unwrap(),
    )
}

/// Which stream breaks, and how.
#[derive(Clone, Copy, Debug)]
enum Broken {
    StdoutClosed,
    StdoutFull,
    StderrClosed,
    StderrFull,
}

fn run_broken(s: &Scratch, program: &str, args: &[&str], how: Broken) -> Output {
    let mut c = s.cmd(program, args);
    match how {
        Broken::StdoutClosed => c.stdout(closed_pipe()),
        Broken::StdoutFull => c.stdout(dev_full()),
        Broken::StderrClosed => c.stderr(closed_pipe()),
        Broken::StderrFull => c.stderr(dev_full()),
    };
    c.output().unwrap()
}

#[test]
fn closed_and_full_streams_end_quietly() {
    let s = Scratch::new("streams");
    let cases: &[(&str, &[&str], Broken, i32)] = &[
        ("credguardd", &["--help"], Broken::StdoutFull, 2),
        ("credguardd", &["--help"], Broken::StdoutClosed, 2),
        ("credguardd", &["check", "--help"], Broken::StdoutFull, 2),
        ("credguardd", &["--version"], Broken::StdoutClosed, 2),
        ("credguardd", &["check", "--offline"], Broken::StdoutFull, 2),
        (
            "credguardd",
            &["check", "--offline", "--json"],
            Broken::StdoutClosed,
            2,
        ),
        ("credguardd", &["chek"], Broken::StderrClosed, 2),
        ("credguardd", &["chek"], Broken::StderrFull, 2),
        ("credguard", &["--help"], Broken::StdoutFull, 2),
        ("credguard", &["help", "check"], Broken::StdoutClosed, 2),
        ("credguard", &["init", "zsh"], Broken::StdoutFull, 2),
        ("credguard", &["init", "fish"], Broken::StdoutClosed, 2),
        ("credguard", &["frob"], Broken::StderrFull, 2),
        ("credguard", &["frob"], Broken::StderrClosed, 2),
        ("credguard", &["status"], Broken::StderrFull, 2),
        ("credguard", &["check", "--offline"], Broken::StdoutFull, 2),
        // the prompt path: exit 0, whatever happens to its output
        ("credguard", &["prompt"], Broken::StdoutFull, 0),
        ("credguard", &["prompt"], Broken::StdoutClosed, 0),
        ("credguard", &["prompt", "--ascii"], Broken::StderrFull, 0),
    ];
    for (program, args, how, code) in cases {
        let o = run_broken(&s, program, args, *how);
        let what = format!("{program} {args:?} {how:?}");
        no_panic(&what, &o);
        assert_eq!(o.status.code(), Some(*code), "{what}: {o:?}");
        // quiet: nothing said about the broken stream on the one that works
        match how {
            Broken::StdoutClosed | Broken::StdoutFull => {
                assert_eq!(String::from_utf8_lossy(&o.stderr), "", "{what}")
            }
            Broken::StderrClosed | Broken::StderrFull => {
                assert_eq!(
                    !o.stdout.is_empty(),
                    *program == "credguard" && args[0] == "prompt",
                    "{what}"
                )
            }
        }
    }
}
