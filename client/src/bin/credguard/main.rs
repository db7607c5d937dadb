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
mod service;
mod watch;

use credguard_client::color::ColorChoice;
use credguard_client::usage::UsageError;
use help::{
    COMMANDS, HELP_CHECK, HELP_DOCTOR, HELP_PROMPT, HELP_RELOAD, HELP_SERVICE, HELP_STATUS,
    HELP_WATCH, SHORT_USAGE, USAGE, command_help, usage_line,
};

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
// status, doctor, check

fn status(args: &[String]) -> i32 {
    let mut json = false;
    let mut color = ColorChoice::Auto;
    let mut i = 0;
    while i < args.len() {
        match color_arg("status", args, &mut i) {
            Err(code) => return code,
            Ok(Some(c)) => color = c,
            Ok(None) => match args[i].as_str() {
                "--json" => json = true,
                h if is_help(h) => return help(HELP_STATUS),
                other => return unknown_option("status", other, &["--json", "--color", "--help"]),
            },
        }
        i += 1;
    }
    ask(&Request::Status { json }, color)
}

/// The value of `--name V` or `--name=V` at `args[*i]` (None: not that flag); advances `*i`
/// past a separate value; a missing value is a usage error of `cmd`.
fn value_arg(cmd: &str, name: &str, args: &[String], i: &mut usize) -> Result<Option<String>, i32> {
    let a = &args[*i];
    if let Some(v) = a.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
        return Ok(Some(v.to_string()));
    }
    if a == name {
        *i += 1;
        return match args.get(*i) {
            Some(v) => Ok(Some(v.clone())),
            None => Err(command_error(cmd, &format!("{name} needs a value")).report()),
        };
    }
    Ok(None)
}

/// `--color auto|always|never` at `args[*i]`.
fn color_arg(cmd: &str, args: &[String], i: &mut usize) -> Result<Option<ColorChoice>, i32> {
    let Some(v) = value_arg(cmd, "--color", args, i)? else {
        return Ok(None);
    };
    match ColorChoice::parse(&v) {
        Some(c) => Ok(Some(c)),
        None => Err(command_error(
            cmd,
            &format!("invalid value '{v}' for --color: auto, always or never"),
        )
        .suggest("value", &v, &credguard_client::color::COLOR_VALUES)
        .report()),
    }
}

fn doctor(args: &[String]) -> i32 {
    let mut profile = None;
    let mut color = ColorChoice::Auto;
    let mut i = 0;
    while i < args.len() {
        if let Some(p) = match value_arg("doctor", "--profile", args, &mut i) {
            Err(code) => return code,
            Ok(p) => p,
        } {
            profile = Some(p);
        } else {
            match color_arg("doctor", args, &mut i) {
                Err(code) => return code,
                Ok(Some(c)) => color = c,
                Ok(None) => match args[i].as_str() {
                    h if is_help(h) => return help(HELP_DOCTOR),
                    other => {
                        return unknown_option(
                            "doctor",
                            other,
                            &["--profile", "--color", "--help"],
                        );
                    }
                },
            }
        }
        i += 1;
    }
    let path = socket_path(&process_env);
    let paint = color.resolve(std::io::stdout().is_terminal(), &process_env);
    credguard_client::usage::out(&shell_section(&path, paint));
    // without --profile the report leads with the profile this shell uses (none leads
    // when environment credentials are in use: the shell section says so)
    let env = envcreds::from_env(&process_env);
    let shell_profile = match (&profile, &env) {
        (None, None) => Some(shell_profile().0),
        _ => None,
    };
    ask(
        &Request::Doctor {
            profile,
            shell_profile,
            env,
        },
        color,
    )
}

/// The profile this shell's tools use, and what chose it (`client/src/selection.rs`: the
/// tools' own rule, an empty AWS_PROFILE included).
fn shell_profile() -> (String, &'static str) {
    selection::selected(&process_env)
        .map(|(p, var)| (p, var.name()))
        .unwrap_or_else(|| {
            (
                "default".into(),
                "neither AWS_PROFILE nor AWS_DEFAULT_PROFILE is set",
            )
        })
}

/// What `doctor` says about this shell before the daemon's report: which credentials the
/// SDK uses here, whether the prompt hook is loaded, where the socket is expected.
fn shell_section(path: &Path, paint: bool) -> String {
    let mut s = if paint {
        String::from("\x1b[1mThis shell\x1b[0m\n")
    } else {
        String::from("This shell\n")
    };
    let env_creds = envcreds::from_env(&process_env);
    let (name, why) = shell_profile();
    let profile = format!("profile {} ({why})", selection::shown(&name));
    match &env_creds {
        Some(c) => {
            s += &format!(
                "  credentials: the environment's AWS_ACCESS_KEY_ID ({}), not {profile}\n",
                credguard_client::mask_key_id(&c.access_key_id)
            );
            if let Some(why) = envcreds::offline_problem(c) {
                s += &format!("  environment credentials: {why} (see the (env) entry below)\n");
            }
        }
        None => s += &format!("  credentials: {profile}\n"),
    }
    match non_empty_env("CREDGUARD_HOOK") {
        Some(h) => s += &format!("  prompt hook: loaded ({h})\n"),
        None => {
            let shell = non_empty_env("SHELL")
                .and_then(|p| p.rsplit('/').next().map(str::to_string))
                .unwrap_or_else(|| "zsh".into());
            let how = match shell.as_str() {
                "fish" => {
                    "add `credguard init fish | source` to ~/.config/fish/config.fish".to_string()
                }
                "bash" => "add `eval \"$(credguard init bash)\"` to ~/.bashrc".to_string(),
                _ => format!("add `eval \"$(credguard init {shell})\"` to ~/.{shell}rc"),
            };
            s +=
                &format!("  prompt hook: not loaded in this shell: {how}, then open a new shell\n");
        }
    }
    let (_, origin) = credguard_client::paths::resolve_socket(&process_env);
    let why = match origin {
        credguard_client::paths::SocketOrigin::Override => "CREDGUARD_SOCKET",
        credguard_client::paths::SocketOrigin::RuntimeDir => "XDG_RUNTIME_DIR",
        credguard_client::paths::SocketOrigin::TempDir => "no XDG_RUNTIME_DIR: per-user temp dir",
    };
    s += &format!(
        "  socket: {} (from {why}); the daemon must see the same CREDGUARD_SOCKET / XDG_RUNTIME_DIR\n\n",
        path.display()
    );
    s
}

/// Asks the daemon; prints the report (coloured as `color` says) and returns its exit
/// code, or explains on stderr and returns 2.
fn ask(req: &Request, color: ColorChoice) -> i32 {
    let path = socket_path(&process_env);
    let deadline = env_ms("CREDGUARD_TIMEOUT_MS", TIMEOUT_MS);
    match exchange(&path, req, deadline) {
        Ok(answer) => print_answer(answer, color),
        Err(e) => {
            errln!("{}", explain(&e, &path, deadline));
            2
        }
    }
}

/// The daemon's text carries colour (SGR sequences only); they stay on a terminal (or as
/// `--color`, `NO_COLOR`, `CLICOLOR_FORCE` say) and are taken out otherwise.
fn print_answer(answer: Response, color: ColorChoice) -> i32 {
    match answer {
        Response::Text { body, exit_code } => {
            let paint = color.resolve(std::io::stdout().is_terminal(), &process_env);
            let body = if paint {
                body
            } else {
                credguard_client::color::strip_sgr(&body)
            };
            if body.is_empty() || body.ends_with('\n') {
                credguard_client::usage::out(&body);
            } else {
                credguard_client::usage::out(&format!("{body}\n"));
            }
            exit_code
        }
        Response::Error { message } => {
            errln!("credguard: the daemon reports an error: {message}");
            2
        }
        other => {
            errln!("credguard: unexpected answer from the daemon: {other:?}");
            2
        }
    }
}

fn explain(e: &ClientError, path: &Path, deadline: Duration) -> String {
    let sock = path.display();
    match e {
        ClientError::NoDaemon => format!(
            "credguard: no credguardd daemon answers on {sock}.\n  start it: `credguardd &` (or `systemctl --user start credguard` once installed as a service)\n  `credguard check` works without it."
        ),
        ClientError::Timeout => format!(
            "credguard: the daemon (socket {sock}) did not answer within {} ms; restart it or allow more time with CREDGUARD_TIMEOUT_MS.",
            deadline.as_millis()
        ),
        ClientError::VersionMismatch(_) => format!("credguard: {e}."),
        other => format!("credguard: {other} (socket {sock})"),
    }
}

fn check(args: &[String]) -> i32 {
    let args = match check_args::parse(args) {
        Ok(CheckCommand::Run(a)) => a,
        Ok(CheckCommand::Help) => return help(HELP_CHECK),
        Err(e) => {
            return e
                .to_usage(usage_line("check"), "credguard check --help")
                .report();
        }
    };
    let req = Request::Check {
        profile: args.profile.clone(),
        json: args.json,
        validation: args.validation,
        env: envcreds::from_env(&process_env),
    };
    let path = socket_path(&process_env);
    let deadline = env_ms("CREDGUARD_TIMEOUT_MS", TIMEOUT_MS);
    match exchange(&path, &req, deadline) {
        Ok(Response::Text { body, exit_code }) => {
            return print_answer(Response::Text { body, exit_code }, args.color);
        }
        Err(ClientError::NoDaemon) => {}
        Ok(Response::Error { message }) => {
            errln!("credguard: the daemon reports an error ({message}); checking here instead");
        }
        Ok(other) => {
            errln!(
                "credguard: unexpected answer from the daemon ({other:?}); checking here instead"
            );
        }
        Err(e) => {
            let why = explain(&e, &path, deadline);
            errln!("{why}\ncredguard: checking here instead");
        }
    }
    run_engine(&args.to_args())
}

/// Without a daemon, `check` is the engine run once: exec `credguardd check <args>`.
fn run_engine(args: &[String]) -> i32 {
    let exe = std::env::current_exe().ok();
    let path = std::env::var("PATH").ok();
    let Some(engine) = credguard_client::find_engine(exe.as_deref(), path.as_deref()) else {
        errln!(
            "credguard: no daemon is running and credguardd is neither next to this program nor on PATH; install it with `cargo install --path daemon`"
        );
        return 2;
    };
    let err = Command::new(&engine).arg("check").args(args).exec();
    errln!("credguard: cannot run {}: {err}", engine.display());
    2
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
