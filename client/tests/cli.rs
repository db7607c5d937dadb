//! The `credguard` binary end to end: a temporary HOME, `CREDGUARD_SOCKET` in a temporary
//! directory, and fake daemons (std `UnixListener` threads speaking the real protocol).
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use credguard_client::proto::{
    MAX_FRAME, decode_request, encode_response, read_frame, write_frame,
};
use credguard_client::{BadgeState, PromptQuery, Request, Response, Validation};

const BIN: &str = env!("CARGO_BIN_EXE_credguard");

/// A temporary HOME with a socket path inside; removed on drop.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "credguard-cli-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        Sandbox { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("d.sock")
    }

    /// `credguard <args>` with nothing from this process's environment but PATH.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", "/usr/bin:/bin")
            .env("CREDGUARD_SOCKET", self.socket())
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

/// A daemon that answers one connection; returns the request it saw.
fn fake_daemon(socket: &Path, answer: Response) -> JoinHandle<Request> {
    let listener = UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let req = decode_request(&read_frame(&mut s, MAX_FRAME).unwrap()).unwrap();
        let mut frame = Vec::new();
        write_frame(&mut frame, &encode_response(&answer)).unwrap();
        s.write_all(&frame).unwrap();
        req
    })
}

/// A daemon that accepts and never answers, until the returned sender is dropped.
fn hung_daemon(socket: &Path) -> (mpsc::Sender<()>, JoinHandle<()>) {
    let listener = UnixListener::bind(socket).unwrap();
    let (tx, rx) = mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        let (_s, _) = listener.accept().unwrap();
        let _ = rx.recv();
    });
    (tx, t)
}

// ---------------------------------------------------------------------------------------
// prompt

#[test]
fn prompt_without_daemon_prints_the_neutral_mark() {
    let sb = Sandbox::new();
    let out = sb.run(&["prompt"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "aws:?");
    assert_eq!(text(&out.stderr), "");
    let out = sb.run(&["prompt", "--ascii"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "aws:?");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn prompt_prints_the_daemons_badge_exactly() {
    let sb = Sandbox::new();
    let daemon = fake_daemon(
        &sb.socket(),
        Response::Badge {
            text: "aws:prod ✗ invalid key".into(),
            state: BadgeState::Invalid,
        },
    );
    let out = sb
        .cmd(&["prompt"])
        .env("AWS_PROFILE", "prod")
        .env("AWS_DEFAULT_PROFILE", "other")
        .env("CREDGUARD_PROMPT_TIMEOUT_MS", "20000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "aws:prod ✗ invalid key");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(
        daemon.join().unwrap(),
        Request::Prompt(PromptQuery {
            profile: Some("prod".into()),
            env_fingerprint: None,
            ascii: false,
        })
    );
}

#[test]
fn prompt_sends_aws_default_profile_and_ascii() {
    let sb = Sandbox::new();
    let daemon = fake_daemon(
        &sb.socket(),
        Response::Badge {
            text: "aws:dev expired".into(),
            state: BadgeState::Expired,
        },
    );
    let out = sb
        .cmd(&["prompt", "--ascii"])
        .env("AWS_PROFILE", "")
        .env("AWS_DEFAULT_PROFILE", "dev")
        .env("CREDGUARD_PROMPT_TIMEOUT_MS", "20000")
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "aws:dev expired");
    assert_eq!(
        daemon.join().unwrap(),
        Request::Prompt(PromptQuery {
            profile: Some("dev".into()),
            env_fingerprint: None,
            ascii: true,
        })
    );
}

#[test]
fn broken_env_credentials_are_judged_without_the_daemon() {
    let sb = Sandbox::new();
    // no daemon at all: an offline verdict needs none
    for (vars, want) in [
        (
            &[("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")][..],
            "aws:env ✗ partial env",
        ),
        (
            &[
                ("AWS_ACCESS_KEY_ID", "ASIAIOSFODNN7EXAMPLE"),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ),
            ][..],
            "aws:env ✗ no session token",
        ),
        (
            &[
                ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE "),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ),
            ][..],
            "aws:env ✗ hidden char",
        ),
    ] {
        let mut c = sb.cmd(&["prompt"]);
        for (k, v) in vars {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_eq!(text(&out.stdout), want);
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn prompt_prints_nothing_when_all_is_well_and_strips_control_characters() {
    let sb = Sandbox::new();
    let daemon = fake_daemon(
        &sb.socket(),
        Response::Badge {
            text: String::new(),
            state: BadgeState::Ok,
        },
    );
    let out = sb
        .cmd(&["prompt"])
        .env("CREDGUARD_PROMPT_TIMEOUT_MS", "20000")
        .output()
        .unwrap();
    daemon.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");

    std::fs::remove_file(sb.socket()).unwrap();
    let daemon = fake_daemon(
        &sb.socket(),
        Response::Badge {
            text: "aws:x\u{1b}]0;pwned\u{7}\n✗".into(),
            state: BadgeState::Invalid,
        },
    );
    let out = sb
        .cmd(&["prompt"])
        .env("CREDGUARD_PROMPT_TIMEOUT_MS", "20000")
        .output()
        .unwrap();
    daemon.join().unwrap();
    assert_eq!(text(&out.stdout), "aws:x]0;pwned✗");
}

#[test]
fn prompt_against_a_hung_daemon_prints_the_neutral_mark() {
    let sb = Sandbox::new();
    let (release, daemon) = hung_daemon(&sb.socket());
    let out = sb.run(&["prompt"]);
    drop(release);
    daemon.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "aws:?");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn prompt_on_any_other_answer_prints_the_neutral_mark() {
    for answer in [
        Response::Error {
            message: "boom".into(),
        },
        Response::VersionMismatch { daemon_protocol: 9 },
        Response::Text {
            body: "x".into(),
            exit_code: 0,
        },
    ] {
        let sb = Sandbox::new();
        let daemon = fake_daemon(&sb.socket(), answer);
        let out = sb
            .cmd(&["prompt"])
            .env("CREDGUARD_PROMPT_TIMEOUT_MS", "20000")
            .output()
            .unwrap();
        daemon.join().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(text(&out.stdout), "aws:?");
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn prompt_exits_quietly_when_stdout_is_closed() {
    let sb = Sandbox::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = sb.cmd(&["prompt"]).stdout(writer).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "");
}

// ---------------------------------------------------------------------------------------
// status, doctor, check

#[path = "cli/commands.rs"]
mod commands;
