//! `credguardd`: the daemon, and `credguardd check` (the engine run once).
//!
//! Usage errors and output come from `credguard_client::usage`, the code the client uses
//! too: one `error:` line, "did you mean", the command's usage, exit 2; a closed or full
//! stdout ends quietly (exit 2), never with a panic.

use anyhow::Context;
use credguard::config::Config;
use credguard::paths;
use credguard::report::render::{self, Style, View};
use credguard::run::check;
use credguard::world::World;
use credguard_client::check_args::{self, CheckCommand};
use credguard_client::usage::{self, UsageError};
use std::io::IsTerminal;

const USAGE: &str = "\
usage: credguardd [run]
       credguardd check [--profile P] [--json] [--offline] [--fresh] [--color WHEN]
       credguardd man | help [command] | --help | --version

commands:
  run     the daemon in the foreground (the default); logs to stderr, or to journald
          under systemd
  check   diagnose (and validate) every profile once, print the report, exit
  man     print this manual page (roff), for packagers

options:
  -h, --help     help (also after a command)
  -V, --version  the version";

const SHORT_USAGE: &str = "\
usage: credguardd [run]
       credguardd check [--profile P] [--json] [--offline] [--fresh] [--color WHEN]";

const HELP_RUN: &str = "\
usage: credguardd [run]

Run the daemon in the foreground: watch the AWS files, diagnose and validate every
profile, answer `credguard` on its socket (CREDGUARD_SOCKET, else
$XDG_RUNTIME_DIR/credguard/credguard.sock). Logs to stderr, or to journald under
systemd; CREDGUARD_LOG sets the filter. SIGHUP reloads, SIGTERM stops.";

const HELP_CHECK: &str = "\
usage: credguardd check [--profile P] [--json] [--offline] [--fresh] [--color WHEN]

Diagnose every profile (or only P) as the AWS SDK reads them and validate the
credentials against STS, once, without a daemon; print the report and exit.

  --profile P   only this profile (also --profile=P)
  --json        the machine-readable verdicts (DESIGN.md's contract)
  --offline     no network: diagnose the files only
  --fresh       ignore cached verdicts, ask STS again
  --color WHEN  auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE forces), always, never

exit codes: 0 all usable, 1 some invalid or expired, 3 some unknown and none invalid,
2 usage or internal error";

const HELP_MAN: &str = "\
usage: credguardd man

Print credguardd's manual page (roff), made from these help texts.";

const COMMANDS: &[&str] = &["run", "check", "man", "help"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&args) {
        Ok(code) => code,
        Err(e) => {
            usage::err(&format!("credguardd: {e:#}\n"));
            2
        }
    };
    std::process::exit(code);
}

fn help(text: &str) -> i32 {
    usage::out(&format!("{text}\n"));
    0
}

fn program_error(message: String, given: &str) -> i32 {
    let kind = if given.starts_with('-') {
        "option"
    } else {
        "command"
    };
    let flags = ["--help", "--version"];
    let candidates: &[&str] = if kind == "option" { &flags } else { COMMANDS };
    UsageError::new(message, SHORT_USAGE, "credguardd --help")
        .suggest(kind, given, candidates)
        .report()
}

fn run(args: &[String]) -> anyhow::Result<i32> {
    let rest = args.get(1..).unwrap_or_default();
    Ok(match args.first().map(String::as_str) {
        Some("check") => return cmd_check(rest),
        None | Some("run") => match rest.first().map(String::as_str) {
            None => {
                init_logging(true);
                credguard::run::daemon::run()
            }
            Some("-h" | "--help") => help(HELP_RUN),
            Some(other) => UsageError::new(
                format!("unexpected argument '{other}' for run"),
                "usage: credguardd [run]",
                "credguardd run --help",
            )
            .suggest("option", other, &["--help"])
            .report(),
        },
        Some("--version" | "-V") => {
            usage::out(&format!("credguardd {}\n", env!("CARGO_PKG_VERSION")));
            0
        }
        Some("--help" | "-h") => help(USAGE),
        Some("man") => match rest.first().map(String::as_str) {
            None => {
                usage::out(&man_page());
                0
            }
            Some("-h" | "--help") => help(HELP_MAN),
            Some(other) => program_error(format!("unexpected argument '{other}' for man"), other),
        },
        Some("help") => match rest.first().map(String::as_str) {
            None => help(USAGE),
            Some("run") => help(HELP_RUN),
            Some("check") => help(HELP_CHECK),
            Some("man") => help(HELP_MAN),
            Some("help") => help(USAGE),
            Some(other) => program_error(format!("no command '{other}'"), other),
        },
        Some(other) if other.starts_with('-') => {
            program_error(format!("unknown option '{other}'"), other)
        }
        Some(other) => program_error(format!("unknown command '{other}'"), other),
    })
}

/// The manual page, made from the help texts above (`credguard_client::manpage`).
fn man_page() -> String {
    use credguard_client::manpage::{Page, render};
    render(&Page {
        name: "credguardd",
        summary: "the credguard daemon: watches the AWS files, validates credentials against STS",
        version: env!("CARGO_PKG_VERSION"),
        usage: USAGE,
        commands: &[
            ("credguardd run", HELP_RUN),
            ("credguardd check", HELP_CHECK),
            ("credguardd man", HELP_MAN),
        ],
        see_also: "credguard(1)",
    })
}

fn cmd_check(args: &[String]) -> anyhow::Result<i32> {
    let args = match check_args::parse(args) {
        Ok(CheckCommand::Run(a)) => a,
        Ok(CheckCommand::Help) => return Ok(help(HELP_CHECK)),
        Err(e) => {
            let usage = HELP_CHECK.lines().next().unwrap_or(HELP_CHECK);
            return Ok(e.to_usage(usage, "credguardd check --help").report());
        }
    };
    init_logging(false);
    let world = World::from_process();
    let config = match paths::config_file(&world) {
        Some(path) => Config::load(&path)?,
        None => Config::default(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = rt.block_on(check::run(&world, &config, &args));
    if args.json {
        let text = serde_json::to_string_pretty(&report).context("writing JSON")?;
        usage::out(&format!("{text}\n"));
    } else {
        let env = |k: &str| std::env::var(k).ok();
        let style = Style {
            color: args.color.resolve(std::io::stdout().is_terminal(), &env),
        };
        usage::out(&render::report(&report, View::Check, &style));
    }
    Ok(report.exit_code())
}

/// Targets whose verbose events may hold credential material.
fn is_sdk_target(target: &str) -> bool {
    const SDK: [&str; 9] = [
        "aws_sigv4",
        "aws_smithy",
        "aws_runtime",
        "aws_config",
        "aws_credential_types",
        "aws_sdk_",
        "hyper",
        "h2",
        "rustls",
    ];
    SDK.iter().any(|p| target.starts_with(p))
}

/// Logs go to stderr, or to journald when `JOURNAL_STREAM` says stderr is the journal
/// (systemd). `CREDGUARD_LOG` or `RUST_LOG` set the filter; the default is `info` for the
/// daemon and `warn` for one-shot commands.
fn init_logging(daemon: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = std::env::var("CREDGUARD_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| {
            let level = if daemon { "info" } else { "warn" };
            format!("{level},aws_runtime=error,aws_config=error,aws_smithy_runtime=error")
        });
    let filter = tracing_subscriber::EnvFilter::new(filter);
    // The SDK's debug and trace events carry signed requests (the session token is a
    // header, the canonical request names the key id): never below INFO, whatever
    // CREDGUARD_LOG asks. credguard's own events are safe at every level.
    let sdk_cap = tracing_subscriber::filter::filter_fn(|m| {
        *m.level() <= tracing::Level::INFO || !is_sdk_target(m.target())
    });
    let filter = tracing_subscriber::Layer::and_then(filter, sdk_cap);
    if daemon && std::env::var_os("JOURNAL_STREAM").is_some() {
        match tracing_journald::layer() {
            Ok(layer) => {
                let _ = tracing_subscriber::registry()
                    .with(filter)
                    .with(layer.with_syslog_identifier("credguardd".into()))
                    .try_init();
                return;
            }
            Err(e) => usage::err(&format!(
                "credguardd: journald unavailable ({e}); logging to stderr\n"
            )),
        }
    }
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if daemon {
        registry.with(fmt).try_init()
    } else {
        registry.with(fmt.without_time()).try_init()
    };
}
