//! `credguard`: the small client. std only, no async runtime, no AWS SDK.
//!
//! Exit codes (DESIGN.md): 0 all usable, 1 some invalid or expired, 3 some unknown and
//! none invalid (`check`; `status` and `doctor` pass the daemon's code through), 2 usage
//! or internal error (including "no daemon" for `status` and `doctor`). `prompt` always
//! exits 0. `exec` passes its command's code through, or exits 4 without running it.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use credguard_client::badge::{self, Mark, NEUTRAL_MARK};
use credguard_client::badgefile;
use credguard_client::check_args::{self, CheckCommand};
use credguard_client::envcreds;
use credguard_client::paths::{process_env, resolve_socket, socket_path};
use credguard_client::selection;
use credguard_client::{
    BadgeState, ClientError, PROTOCOL_VERSION, PromptQuery, Request, Response, exchange,
};

const PROMPT_TIMEOUT_MS: u64 = 50;
const TIMEOUT_MS: u64 = 10_000;

/// `println!` without its panic: a closed or full stdout ends the program quietly (exit 2).
macro_rules! outln {
    ($($t:tt)*) => { credguard_client::usage::out(&format!("{}\n", format_args!($($t)*))) };
}
/// `eprintln!` without its panic: a closed or full stderr is ignored.
macro_rules! errln {
    ($($t:tt)*) => { credguard_client::usage::err(&format!("{}\n", format_args!($($t)*))) };
}

mod completions;
mod exec;
mod help;
mod init;
mod reports;
mod service;
mod tools;
mod watch;

use credguard_client::color::ColorChoice;
use credguard_client::usage::UsageError;
use help::{
    COMMANDS, HELP_CHECK, HELP_DOCTOR, HELP_PROMPT, HELP_RELOAD, HELP_SERVICE, HELP_STATUS,
    HELP_WATCH, SHORT_USAGE, USAGE, command_help, usage_line,
};
use reports::{ask, check, doctor, status};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    // the prompt path first: nothing else to do before the exchange
    if first.as_deref() == Some("prompt".as_ref()) {
        let rest: Vec<OsString> = args.collect();
        std::process::exit(prompt(&rest));
    }
    let rest: Vec<OsString> = args.collect();
    let code = match first.as_ref().and_then(|a| a.to_str()) {
        None if first.is_none() => usage_error("no command given"),
        None => usage_error("the command is not valid UTF-8"),
        Some(cmd) => run(cmd, &rest),
    };
    std::process::exit(code);
}

fn run(cmd: &str, rest: &[OsString]) -> i32 {
    let args = match utf8_args(rest) {
        Ok(a) => a,
        Err(code) => return code,
    };
    match cmd {
        "check" => check(&args),
        "status" => status(&args),
        "doctor" => doctor(&args),
        "init" => init::init(&args),
        "watch" => match args.first().map(String::as_str) {
            Some(h) if is_help(h) => help(HELP_WATCH),
            _ => match watch::parse(&args) {
                Ok(q) => watch::run(&q),
                Err(why) => usage_error(&why),
            },
        },
        "exec" => exec::exec(&args),
        "service" => service(&args),
        "completions" | "man" => completions::run(cmd, &args),
        "reload" => match args.first().map(String::as_str) {
            None => ask(&Request::Reload, ColorChoice::Never),
            Some(h) if is_help(h) => help(HELP_RELOAD),
            Some(other) => unknown_option("reload", other, &["--help"]),
        },
        "help" | "--help" | "-h" => match args.first().map(String::as_str) {
            None => help(USAGE),
            Some(c) => match command_help(c) {
                Some(h) => help(h),
                None => {
                    UsageError::new(format!("no command '{c}'"), SHORT_USAGE, "credguard --help")
                        .suggest("command", c, COMMANDS)
                        .report()
                }
            },
        },
        "--version" | "-V" => {
            out(&format!(
                "credguard {} (protocol {PROTOCOL_VERSION})\n",
                env!("CARGO_PKG_VERSION")
            ));
            0
        }
        other if other.starts_with('-') => UsageError::new(
            format!("unknown option '{other}'"),
            SHORT_USAGE,
            "credguard --help",
        )
        .suggest("option", other, &["--help", "--version"])
        .report(),
        other => UsageError::new(
            format!("unknown command '{other}'"),
            SHORT_USAGE,
            "credguard --help",
        )
        .suggest("command", other, COMMANDS)
        .report(),
    }
}

fn utf8_args(args: &[OsString]) -> Result<Vec<String>, i32> {
    args.iter()
        .map(|a| {
            a.to_str()
                .map(str::to_string)
                .ok_or_else(|| usage_error(&format!("argument {a:?} is not valid UTF-8")))
        })
        .collect()
}

fn help(text: &str) -> i32 {
    credguard_client::usage::out(&format!("{text}\n"));
    0
}

/// A usage error of the program as a whole: one `error:` line, the short usage, exit 2.
fn usage_error(why: &str) -> i32 {
    UsageError::new(why, SHORT_USAGE, "credguard --help").report()
}

/// A usage error of command `cmd`: its own usage line and help.
fn command_error(cmd: &str, why: &str) -> UsageError {
    UsageError::new(why, usage_line(cmd), &format!("credguard {cmd} --help"))
}

/// `other` is not one of `cmd`'s `flags`: say so, with the nearest flag.
fn unknown_option(cmd: &str, other: &str, flags: &[&str]) -> i32 {
    let kind = if other.starts_with('-') {
        "option"
    } else {
        "argument"
    };
    let flag = other.split_once('=').map_or(other, |(f, _)| f);
    command_error(cmd, &format!("unknown {kind} '{other}' for {cmd}"))
        .suggest(kind, flag, flags)
        .report()
}

fn is_help(a: &str) -> bool {
    a == "--help" || a == "-h"
}

/// Writes to stdout; a closed stdout (EPIPE) or any other write error is ignored (the
/// prompt's way: it exits 0 whatever happens). Other commands use `usage::out`.
fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

fn env_ms(key: &str, default_ms: u64) -> Duration {
    let ms = std::env::var(key)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(default_ms);
    Duration::from_millis(ms)
}

fn non_empty_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

// ---------------------------------------------------------------------------------------
// prompt

/// Never prints an error, never fails: the badge, nothing, or the neutral mark; exit 0.
///
/// Environment credentials are what the SDK uses when they are set, so they decide the
/// badge: first judged here offline; then their verdict is asked by fingerprint; only when
/// the daemon has none are they submitted (once) for validation in the background.
fn prompt(args: &[OsString]) -> i32 {
    let mut ascii = false;
    for a in args {
        match a.to_str() {
            Some("--ascii") => ascii = true,
            Some(h) if is_help(h) => return help(HELP_PROMPT),
            _ => {
                return unknown_option("prompt", &a.to_string_lossy(), &["--ascii", "--help"]);
            }
        }
    }
    let start = Instant::now();
    let deadline = env_ms("CREDGUARD_PROMPT_TIMEOUT_MS", PROMPT_TIMEOUT_MS);
    let env_creds = envcreds::from_env(&process_env);
    if let Some(why) = env_creds.as_ref().and_then(envcreds::offline_problem) {
        out(&badge::format(badge::ENV_LABEL, Mark::Invalid, why, ascii));
        return 0;
    }
    let query = PromptQuery {
        profile: selection::selected(&process_env).map(|(p, _)| p),
        env_fingerprint: env_creds.as_ref().map(envcreds::fingerprint),
        ascii,
    };
    let (path, origin) = resolve_socket(&process_env);
    // the daemon's badge file for this profile, when there is one: no round trip
    if env_creds.is_none()
        && let Some(dir) = badgefile::dir_for(&path, origin)
        && let Some(text) = badgefile::read(&dir, query.profile.as_deref(), ascii)
    {
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        if !text.is_empty() {
            out(&text);
        }
        return 0;
    }
    let text = match exchange(&path, &Request::Prompt(query), deadline) {
        Ok(Response::Badge {
            state: BadgeState::NeedEnv,
            ..
        }) => {
            let left = deadline.saturating_sub(start.elapsed());
            match env_creds {
                Some(c) if !left.is_zero() => match exchange(&path, &Request::SubmitEnv(c), left) {
                    Ok(Response::Badge { .. }) => {
                        badge::format(badge::ENV_LABEL, Mark::Checking, "checking", ascii)
                    }
                    _ => NEUTRAL_MARK.to_string(),
                },
                _ => NEUTRAL_MARK.to_string(),
            }
        }
        // the badge goes into a prompt: no control characters (escapes, newlines)
        Ok(Response::Badge { text, .. }) => text.chars().filter(|c| !c.is_control()).collect(),
        _ => NEUTRAL_MARK.to_string(),
    };
    if !text.is_empty() {
        out(&text);
    }
    0
}

// ---------------------------------------------------------------------------------------
// service

fn service(args: &[String]) -> i32 {
    match args {
        [h] if is_help(h) => help(HELP_SERVICE),
        [cmd] if cmd == "install" => {
            let exe = std::env::current_exe().ok();
            let path = std::env::var("PATH").ok();
            match credguard_client::find_engine(exe.as_deref(), path.as_deref()) {
                Some(engine) => {
                    let engine = std::fs::canonicalize(&engine).unwrap_or(engine);
                    service::install(&process_env, &engine)
                }
                None => {
                    errln!(
                        "credguard: credguardd is neither next to this program nor on PATH; install it first (`cargo install --path daemon`)"
                    );
                    2
                }
            }
        }
        [cmd] if cmd == "uninstall" => service::uninstall(&process_env),
        [cmd] if cmd == "status" => service::status(&process_env),
        [] => command_error("service", "service needs install, uninstall or status").report(),
        [cmd, ..] if !["install", "uninstall", "status"].contains(&cmd.as_str()) => unknown_option(
            "service",
            cmd,
            &["install", "uninstall", "status", "--help"],
        ),
        _ => command_error(
            "service",
            &format!("unexpected argument '{}' for service", args[1]),
        )
        .report(),
    }
}
