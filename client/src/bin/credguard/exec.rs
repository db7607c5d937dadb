//! `credguard exec [--profile P] [--min-remaining D] [--allow-unknown] -- CMD ARGS…`: runs
//! CMD in place of this process (same pid, stdin/tty, signals, exit code) only when the
//! credentials it would use are usable and last at least D; else says why on stderr and
//! exits 4 without running it. `--check` runs nothing (the shells' pre-command guard):
//! exit 0, or the reason and 4.
//!
//! The verdict comes from the daemon (`check --json` for a profile; the prompt's badge by
//! fingerprint for the shell's environment credentials), or without a daemon from the
//! engine run once (`credguardd check --json`, which sees this environment).

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use credguard_client::envcreds;
use credguard_client::json::Json;
use credguard_client::paths::{process_env, socket_path};
use credguard_client::readiness::{self, Need};
use credguard_client::{
    BadgeState, ClientError, PromptQuery, Request, Response, Validation, exchange,
};

use crate::help::HELP_EXEC;
use crate::{env_ms, help, is_help, non_empty_env, usage_error};

/// The exit code of a refusal.
pub const REFUSED: i32 = 4;
const TIMEOUT_MS: u64 = 10_000;

struct Args {
    profile: Option<String>,
    need: Need,
    check_only: bool,
    /// The command named in the reason (`--for`, given by the hooks).
    label: Option<String>,
    cmd: Vec<String>,
}

fn value(args: &[String], i: &mut usize, flag: &str) -> Result<String, i32> {
    let a = &args[*i];
    if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
        return Ok(v.to_string());
    }
    *i += 1;
    args.get(*i)
        .cloned()
        .ok_or_else(|| usage_error(&format!("{flag} needs a value")))
}

fn parse(args: &[String]) -> Result<Args, i32> {
    let mut a = Args {
        profile: None,
        need: Need {
            min_remaining: 0,
            allow_unknown: false,
        },
        check_only: false,
        label: None,
        cmd: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let name = arg.split('=').next().unwrap_or(arg);
        match name {
            "--" => {
                a.cmd = args[i + 1..].to_vec();
                break;
            }
            h if is_help(h) => return Err(help(HELP_EXEC)),
            "--profile" => a.profile = Some(value(args, &mut i, "--profile")?),
            "--for" => a.label = Some(value(args, &mut i, "--for")?),
            "--min-remaining" => {
                let v = value(args, &mut i, "--min-remaining")?;
                a.need.min_remaining = readiness::parse_duration(&v).ok_or_else(|| {
                    usage_error(&format!(
                        "--min-remaining {v:?}: a duration such as 45m, 1h or 90s"
                    ))
                })?;
            }
            "--allow-unknown" => a.need.allow_unknown = true,
            "--check" => a.check_only = true,
            o if o.starts_with('-') => {
                return Err(usage_error(&format!("unknown option {o} for exec")));
            }
            _ => {
                a.cmd = args[i..].to_vec();
                break;
            }
        }
        i += 1;
    }
    match (a.check_only, a.cmd.is_empty()) {
        (false, true) => Err(usage_error(
            "exec needs a command: credguard exec [options] -- CMD ARGS…",
        )),
        (true, false) => Err(usage_error("exec --check runs no command")),
        _ => Ok(a),
    }
}

pub fn exec(args: &[String]) -> i32 {
    let a = match parse(args) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Err(why) = judge(&a) {
        let what = a.label.as_deref().or(a.cmd.first().map(String::as_str));
        match (a.check_only, what) {
            (true, Some(w)) => eprintln!("credguard: before {w}: {why}"),
            (true, None) => eprintln!("credguard: {why}"),
            (false, _) => eprintln!(
                "credguard: not running {}: {why}",
                what.unwrap_or("the command")
            ),
        }
        return REFUSED;
    }
    if a.check_only {
        return 0;
    }
    let err = Command::new(&a.cmd[0]).args(&a.cmd[1..]).exec();
    eprintln!("credguard: cannot run {}: {err}", a.cmd[0]);
    if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Environment credentials decide unless `--profile` names another profile: as the SDK
/// and the prompt do.
fn judge(a: &Args) -> Result<(), String> {
    let env = envcreds::from_env(&process_env);
    match (&a.profile, env) {
        (None, Some(creds)) => {
            if let Some(why) = envcreds::offline_problem(&creds) {
                return Err(format!(
                    "the environment's credentials are not usable ({why}); fix: see `credguard doctor`"
                ));
            }
            judge_env(&creds, a.need)
        }
        (profile, _) => {
            let name = profile
                .clone()
                .or_else(|| non_empty_env("AWS_PROFILE"))
                .or_else(|| non_empty_env("AWS_DEFAULT_PROFILE"))
                .unwrap_or_else(|| "default".into());
            let report = report_for(Some(&name))?;
            let entry = find(&report, &name)?;
            readiness::judge_entry(entry, now(), a.need)
        }
    }
}

fn find<'a>(report: &'a Json, name: &str) -> Result<&'a Json, String> {
    let profiles = report.get("profiles").map(Json::as_array).unwrap_or(&[]);
    profiles
        .iter()
        .find(|p| p.get("profile").and_then(Json::as_str) == Some(name))
        .ok_or_else(|| format!("no verdict for profile {name}; fix: see `credguard doctor`"))
}

/// The contract's report for `profile` (None: every profile, and the environment's
/// entry), from the daemon or, without one, the engine run once.
fn report_for(profile: Option<&str>) -> Result<Json, String> {
    let path = socket_path(&process_env);
    let deadline = env_ms("CREDGUARD_TIMEOUT_MS", TIMEOUT_MS);
    let req = Request::Check {
        profile: profile.map(str::to_string),
        json: true,
        validation: Validation::Cached,
        // the shell's env credentials are judged by `env_verdict`, by fingerprint
        env: None,
    };
    let body = match exchange(&path, &req, deadline) {
        Ok(Response::Text { body, .. }) => body,
        Err(ClientError::NoDaemon) => engine_report(profile)?,
        Ok(Response::Error { message }) => {
            return Err(format!("the daemon reports an error: {message}"));
        }
        Ok(other) => return Err(format!("unexpected answer from the daemon: {other:?}")),
        Err(e) => return Err(format!("{e}")),
    };
    Json::parse(&body).map_err(|e| format!("cannot read the verdicts: {e}"))
}

fn engine_report(profile: Option<&str>) -> Result<String, String> {
    let exe = std::env::current_exe().ok();
    let path = std::env::var("PATH").ok();
    let engine = credguard_client::find_engine(exe.as_deref(), path.as_deref())
        .ok_or("no daemon is running and credguardd is neither next to this program nor on PATH")?;
    let mut cmd = Command::new(&engine);
    cmd.args(["check", "--json"]);
    if let Some(p) = profile {
        cmd.args(["--profile", p]);
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", engine.display()))?;
    String::from_utf8(out.stdout).map_err(|_| "the engine's report is not UTF-8".into())
}

/// The daemon's verdict on the environment's credentials, by fingerprint as the prompt
/// asks; sent once for validation when it has none, then waited for. Without a daemon:
/// the engine's `(env)` entry.
fn judge_env(creds: &credguard_client::EnvCredentials, need: Need) -> Result<(), String> {
    let path = socket_path(&process_env);
    let deadline = env_ms("CREDGUARD_TIMEOUT_MS", TIMEOUT_MS);
    let query = Request::Prompt(PromptQuery {
        profile: non_empty_env("AWS_PROFILE").or_else(|| non_empty_env("AWS_DEFAULT_PROFILE")),
        env_fingerprint: Some(envcreds::fingerprint(creds)),
        ascii: false,
    });
    let start = Instant::now();
    let mut submitted = false;
    loop {
        let left = deadline.saturating_sub(start.elapsed());
        let (text, state) = match exchange(&path, &query, left.max(Duration::from_millis(1))) {
            Ok(Response::Badge { text, state }) => (text, state),
            Err(ClientError::NoDaemon) => {
                let report = report_for(None)?;
                return readiness::judge_entry(find(&report, "(env)")?, now(), need);
            }
            Ok(other) => return Err(format!("unexpected answer from the daemon: {other:?}")),
            Err(e) => return Err(format!("{e}")),
        };
        let pending = matches!(
            state,
            BadgeState::NeedEnv | BadgeState::Checking | BadgeState::Submitted
        );
        if !pending || start.elapsed() >= deadline {
            return readiness::judge_badge(state, &text, creds.expiration.as_deref(), now(), need);
        }
        if state == BadgeState::NeedEnv && !submitted {
            submitted = true;
            exchange(&path, &Request::SubmitEnv(creds.clone()), left)
                .map_err(|e| format!("{e}"))?;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
