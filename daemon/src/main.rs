//! `credguardd`: the daemon, and `credguardd check` (the engine run once).

use anyhow::Context;
use credguard::config::Config;
use credguard::paths;
use credguard::report::render::{self, Style};
use credguard::run::check;
use credguard::world::World;
use credguard_client::check_args::{self, CheckCommand};
use std::io::{IsTerminal, Write};

const USAGE: &str =
    "usage: credguardd [run]                 run the daemon in the foreground (logs to
                                         stderr, or to journald under systemd)
       credguardd check [--profile P] [--json] [--offline] [--fresh]
                                         diagnose (and validate) once, then exit
       credguardd --version";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("credguardd: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn run(args: &[String]) -> anyhow::Result<i32> {
    match args.first().map(String::as_str) {
        Some("check") => cmd_check(&args[1..]),
        None | Some("run") if args.len() <= 1 => {
            init_logging(true);
            Ok(credguard::run::daemon::run())
        }
        Some("--version") | Some("-V") => {
            println!("credguardd {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        Some("--help") | Some("-h") => {
            println!("{USAGE}");
            Ok(0)
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(2)
        }
    }
}

fn cmd_check(args: &[String]) -> anyhow::Result<i32> {
    let args = match check_args::parse(args) {
        Ok(CheckCommand::Run(a)) => a,
        Ok(CheckCommand::Help) => {
            println!("{USAGE}");
            return Ok(0);
        }
        Err(e) => {
            eprintln!("credguardd: {e}\n{USAGE}");
            return Ok(check_args::USAGE_EXIT);
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
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &report).context("writing JSON")?;
        writeln!(stdout)?;
    } else {
        let style = Style {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        write!(stdout, "{}", render::report(&report, &style))?;
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
            Err(e) => eprintln!("credguardd: journald unavailable ({e}); logging to stderr"),
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
