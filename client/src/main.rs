//! `credguard`: the small client. std only, no async runtime, no AWS SDK.

use std::os::unix::process::CommandExt;
use std::process::Command;

const USAGE: &str = "usage: credguard check [--profile P] [--json] [--offline] [--fresh]
           diagnose every profile (or one) and validate it against STS
       credguard --version";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("--version") | Some("-V") => {
            println!("credguard {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some("--help") | Some("-h") => {
            println!("{USAGE}");
            0
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// Without a daemon, `check` is the engine run once: exec `credguardd check`.
fn check(args: &[String]) -> i32 {
    let exe = std::env::current_exe().ok();
    let path = std::env::var("PATH").ok();
    let Some(engine) = credguard_client::find_engine(exe.as_deref(), path.as_deref()) else {
        eprintln!(
            "credguard: cannot find credguardd next to this program or on PATH; install it with `cargo install --path daemon`"
        );
        return 2;
    };
    let err = Command::new(&engine).arg("check").args(args).exec();
    eprintln!("credguard: cannot run {}: {err}", engine.display());
    2
}
