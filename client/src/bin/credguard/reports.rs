//! `credguard status`, `doctor` and `check`: the daemon's reports (or the engine run once),
//! printed with the daemon's exit code; and the shell section `doctor` starts with.

use super::*;

pub(crate) fn status(args: &[String]) -> i32 {
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
pub(crate) fn value_arg(
    cmd: &str,
    name: &str,
    args: &[String],
    i: &mut usize,
) -> Result<Option<String>, i32> {
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
pub(crate) fn color_arg(
    cmd: &str,
    args: &[String],
    i: &mut usize,
) -> Result<Option<ColorChoice>, i32> {
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

pub(crate) fn doctor(args: &[String]) -> i32 {
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
pub(crate) fn shell_profile() -> (String, &'static str) {
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
pub(crate) fn shell_section(path: &Path, paint: bool) -> String {
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
    s += &crate::tools::installed_line(std::env::var_os("PATH").as_deref());
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
pub(crate) fn ask(req: &Request, color: ColorChoice) -> i32 {
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
pub(crate) fn print_answer(answer: Response, color: ColorChoice) -> i32 {
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

pub(crate) fn explain(e: &ClientError, path: &Path, deadline: Duration) -> String {
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

pub(crate) fn check(args: &[String]) -> i32 {
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
pub(crate) fn run_engine(args: &[String]) -> i32 {
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
