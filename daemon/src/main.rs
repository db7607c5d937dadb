//! `credguardd`: the daemon, and `credguardd check` (the engine run once).

use anyhow::Context;
use credguard::check::{self, CheckArgs};
use credguard::config::Config;
use credguard::render::{self, Style};
use credguard::world::World;
use std::io::{IsTerminal, Write};

const USAGE: &str = "usage: credguardd [run]                 run the daemon in the foreground
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

pub fn parse_check_args(args: &[String]) -> Result<CheckArgs, String> {
    let mut out = CheckArgs {
        profile: None,
        json: false,
        offline: false,
        fresh: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => out.json = true,
            "--offline" => out.offline = true,
            "--fresh" => out.fresh = true,
            "--profile" => {
                out.profile = Some(it.next().ok_or("--profile needs a profile name")?.clone())
            }
            s if s.starts_with("--profile=") => out.profile = Some(s["--profile=".len()..].to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(out)
}

fn cmd_check(args: &[String]) -> anyhow::Result<i32> {
    let args = match parse_check_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("credguardd: {e}");
            return Ok(2);
        }
    };
    let world = World::from_process();
    let config = Config::default();
    let mut diags = check::offline(&world, &config, args.profile.as_deref());
    check::mark_not_validated(&mut diags, "offline mode");
    let report = check::report(&world, diags, None);
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
