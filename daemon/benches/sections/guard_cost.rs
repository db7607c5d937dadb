//! Section 7 of the benchmarks: what the pre-command guard costs a command that it does
//! not guard (issue 20's target: under 50 µs in zsh and bash), against an empty hook of
//! the same shape called the same way in the same shell process. Both run N times in a
//! loop inside the shell and are timed there with $EPOCHREALTIME, so no process start is
//! in the figure.

use crate::support::daemon::{User, credguard};
use std::process::Command;

const N: u32 = 20_000;

/// The script that loads the hook, then times N calls of the guard with `ls -la` and N
/// calls of an empty function: prints `guard <µs> empty <µs>` (per call).
fn script(shell: &str, hook: &str) -> String {
    let (call, empty) = match shell {
        // preexec gets the line three times, as zsh passes it
        "zsh" => (
            "_credguard_preexec 'ls -la' 'ls -la' 'ls -la'",
            "_empty 'ls -la' 'ls -la' 'ls -la'",
        ),
        // the DEBUG trap reads $BASH_COMMAND (here: the call itself, a command it does
        // not guard) with the guard armed, as after a prompt
        _ => (
            "_credguard_armed=1; _credguard_guard",
            "_credguard_armed=1; _empty",
        ),
    };
    format!(
        "{hook}\n_empty() {{ :; }}\n\
         t0=$EPOCHREALTIME; for ((i = 0; i < {N}; i++)); do {call}; done; t1=$EPOCHREALTIME\n\
         for ((i = 0; i < {N}; i++)); do {empty}; done; t2=$EPOCHREALTIME\n\
         echo \"$t0 $t1 $t2\"\n"
    )
}

fn per_call(shell: &str, user: &User) -> Option<(f64, f64)> {
    let hook = Command::new(credguard())
        .args(["init", shell])
        .output()
        .ok()?;
    let hook = String::from_utf8(hook.stdout).ok()?;
    let mut c = Command::new(shell);
    if shell == "zsh" {
        c.args(["-f", "-c"]);
        c.arg(format!("zmodload zsh/datetime\n{}", script(shell, &hook)));
    } else {
        c.args(["--norc", "-c", &script(shell, &hook)]);
    }
    let out = c
        .env_clear()
        .envs(user.vars.iter().cloned())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let t: Vec<f64> = text
        .split_whitespace()
        .filter_map(|s| s.replace(',', ".").parse().ok())
        .collect();
    let [t0, t1, t2] = t[..] else {
        println!(
            "{shell}: no figures ({text:?}, {})",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    };
    Some((
        (t1 - t0) * 1e6 / f64::from(N),
        (t2 - t1) * 1e6 / f64::from(N),
    ))
}

pub fn guard_cost(user: &User) {
    crate::section("7. pre-command guard: a command it does not guard");
    for shell in ["zsh", "bash"] {
        if !crate::support::tool(shell) {
            println!("{shell}: skipped (not installed)");
            continue;
        }
        if let Some((guard, empty)) = per_call(shell, user) {
            println!(
                "{shell}: guard {guard:.1} µs per command, empty hook {empty:.1} µs: +{:.1} µs (target < 50)",
                guard - empty
            );
        }
    }
    println!("  method: {N} calls of each in one shell process, timed with $EPOCHREALTIME");
}
