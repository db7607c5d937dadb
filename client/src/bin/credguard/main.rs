//! `credguard`: the small client. std only, no async runtime, no AWS SDK.
//!
//! Exit codes (DESIGN.md): 0 all usable, 1 some invalid or expired, 3 some unknown and
//! none invalid (`check`; `status` and `doctor` pass the daemon's code through), 2 usage
//! or internal error (including "no daemon" for `status` and `doctor`). `prompt` always
//! exits 0.

use std::ffi::OsString;
use std::io::Write;
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

mod help;
mod init;
mod service;
mod watch;

use help::{
    HELP_CHECK, HELP_DOCTOR, HELP_PROMPT, HELP_RELOAD, HELP_SERVICE, HELP_STATUS, HELP_WATCH,
    USAGE, command_help,
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
        "service" => service(&args),
        "reload" => match args.first().map(String::as_str) {
            None => ask(&Request::Reload),
            Some(h) if is_help(h) => help(HELP_RELOAD),
            Some(other) => usage_error(&format!("unknown option {other} for reload")),
        },
        "help" | "--help" | "-h" => match args.first().map(String::as_str) {
            None => help(USAGE),
            Some(c) => match command_help(c) {
                Some(h) => help(h),
                None => usage_error(&format!("no command {c:?}")),
            },
        },
        "--version" | "-V" => {
            out(&format!(
                "credguard {} (protocol {PROTOCOL_VERSION})\n",
                env!("CARGO_PKG_VERSION")
            ));
            0
        }
        other if other.starts_with('-') => usage_error(&format!("unknown option {other}")),
        other => usage_error(&format!("unknown command {other:?}")),
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
    out(&format!("{text}\n"));
    0
}

fn usage_error(why: &str) -> i32 {
    eprintln!("credguard: {why}\n\n{USAGE}");
    2
}

fn is_help(a: &str) -> bool {
    a == "--help" || a == "-h"
}

/// Writes to stdout; a closed stdout (EPIPE) or any other write error is ignored.
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
                return usage_error(&format!(
                    "unknown option {} for prompt",
                    a.to_string_lossy()
                ));
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
    for a in args {
        match a.as_str() {
            "--json" => json = true,
            h if is_help(h) => return help(HELP_STATUS),
            other => return usage_error(&format!("unknown option {other} for status")),
        }
    }
    ask(&Request::Status { json })
}

/// `--profile P` or `--profile=P` at `args[*i]`; advances `*i` past a separate value.
fn profile_arg(args: &[String], i: &mut usize) -> Result<Option<String>, i32> {
    let a = &args[*i];
    if let Some(v) = a.strip_prefix("--profile=") {
        return Ok(Some(v.to_string()));
    }
    if a == "--profile" {
        *i += 1;
        return match args.get(*i) {
            Some(v) => Ok(Some(v.clone())),
            None => Err(usage_error("--profile needs a profile name")),
        };
    }
    Ok(None)
}

fn doctor(args: &[String]) -> i32 {
    let mut profile = None;
    let mut i = 0;
    while i < args.len() {
        match profile_arg(args, &mut i) {
            Err(code) => return code,
            Ok(Some(p)) => profile = Some(p),
            Ok(None) => match args[i].as_str() {
                h if is_help(h) => return help(HELP_DOCTOR),
                other => return usage_error(&format!("unknown option {other} for doctor")),
            },
        }
        i += 1;
    }
    let path = socket_path(&process_env);
    out(&shell_section(&path));
    let env = envcreds::from_env(&process_env);
    ask(&Request::Doctor { profile, env })
}

/// What `doctor` says about this shell before the daemon's report: which credentials the
/// SDK uses here, whether the prompt hook is loaded, where the socket is expected.
fn shell_section(path: &Path) -> String {
    let mut s = String::from("This shell\n");
    let env_creds = envcreds::from_env(&process_env);
    let profile = selection::selected(&process_env)
        .map(|(p, var)| format!("profile {} ({})", selection::shown(&p), var.name()))
        .unwrap_or_else(|| "profile default".into());
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

/// Asks the daemon; prints the report and returns its exit code, or explains on stderr
/// and returns 2.
fn ask(req: &Request) -> i32 {
    let path = socket_path(&process_env);
    let deadline = env_ms("CREDGUARD_TIMEOUT_MS", TIMEOUT_MS);
    match exchange(&path, req, deadline) {
        Ok(answer) => print_answer(answer),
        Err(e) => {
            eprintln!("{}", explain(&e, &path, deadline));
            2
        }
    }
}

fn print_answer(answer: Response) -> i32 {
    match answer {
        Response::Text { body, exit_code } => {
            if body.is_empty() || body.ends_with('\n') {
                out(&body);
            } else {
                out(&format!("{body}\n"));
            }
            exit_code
        }
        Response::Error { message } => {
            eprintln!("credguard: the daemon reports an error: {message}");
            2
        }
        other => {
            eprintln!("credguard: unexpected answer from the daemon: {other:?}");
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
            usage_error(&e.to_string());
            return check_args::USAGE_EXIT;
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
            return print_answer(Response::Text { body, exit_code });
        }
        Err(ClientError::NoDaemon) => {}
        Ok(Response::Error { message }) => {
            eprintln!("credguard: the daemon reports an error ({message}); checking here instead");
        }
        Ok(other) => {
            eprintln!(
                "credguard: unexpected answer from the daemon ({other:?}); checking here instead"
            );
        }
        Err(e) => {
            let why = explain(&e, &path, deadline);
            eprintln!("{why}\ncredguard: checking here instead");
        }
    }
    run_engine(&args.to_args())
}

/// Without a daemon, `check` is the engine run once: exec `credguardd check <args>`.
fn run_engine(args: &[String]) -> i32 {
    let exe = std::env::current_exe().ok();
    let path = std::env::var("PATH").ok();
    let Some(engine) = credguard_client::find_engine(exe.as_deref(), path.as_deref()) else {
        eprintln!(
            "credguard: no daemon is running and credguardd is neither next to this program nor on PATH; install it with `cargo install --path daemon`"
        );
        return 2;
    };
    let err = Command::new(&engine).arg("check").args(args).exec();
    eprintln!("credguard: cannot run {}: {err}", engine.display());
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
                    eprintln!(
                        "credguard: credguardd is neither next to this program nor on PATH; install it first (`cargo install --path daemon`)"
                    );
                    2
                }
            }
        }
        [cmd] if cmd == "uninstall" => service::uninstall(&process_env),
        [cmd] if cmd == "status" => service::status(&process_env),
        [] => usage_error("service needs install, uninstall or status"),
        _ => usage_error(&format!("unknown service command {:?}", args.join(" "))),
    }
}
