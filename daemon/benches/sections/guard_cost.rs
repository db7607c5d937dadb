//! Section 7 of the benchmarks: what the pre-command guard costs a command that it does
//! not guard (issue 20's target: under 50 µs in zsh and bash), against an empty hook of
//! the same shape called the same way in the same shell process. Both run N times in a
//! loop inside the shell and are timed there with $EPOCHREALTIME, so no process start is
//! in the figure. Then a command it guards (`terraform apply`): judged from the daemon's
//! guard record with builtins, against the one client run (`credguard exec --check`) it
//! replaces, timed the same way. The bench's daemon cannot validate its profile (STS is a
//! closed port), so the record refuses and the hook prints its line: the full path.

use crate::support::daemon::{User, credguard};
use std::process::Command;

const N: u32 = 20_000;
/// Guarded commands: the client run is a process start each.
const GUARDED: u32 = 300;

/// The script that loads the hook, then times N calls of the guard with `ls -la` and N
/// calls of an empty function: prints `guard <µs> empty <µs>` (per call).
fn script(shell: &str, hook: &str) -> String {
    let (call, empty) = match shell {
        // preexec gets the line three times, as zsh passes it
        "zsh" => (
            "_credguard_preexec 'ls -la' 'ls -la' 'ls -la'",
            "_empty 'ls -la' 'ls -la' 'ls -la'",
        ),
        // the DEBUG trap itself, armed as after a prompt, before commands it does not
        // guard: ten per turn under the hook's trap, then under an empty trap (`:`)
        _ => {
            let ten = ["true"; 10].join("; ");
            return format!(
                "{hook}\n_credguard_armed=1\n\
                 t0=$EPOCHREALTIME; for ((i = 0; i < {N}; i++)); do {ten}; done; t1=$EPOCHREALTIME\n\
                 trap ':' DEBUG\n\
                 for ((i = 0; i < {N}; i++)); do {ten}; done; t2=$EPOCHREALTIME\n\
                 echo \"$t0 $t1 $t2\"\n"
            );
        }
    };
    format!(
        "{hook}\n_empty() {{ :; }}\n\
         t0=$EPOCHREALTIME; for ((i = 0; i < {N}; i++)); do {call}; done; t1=$EPOCHREALTIME\n\
         for ((i = 0; i < {N}; i++)); do {empty}; done; t2=$EPOCHREALTIME\n\
         echo \"$t0 $t1 $t2\"\n"
    )
}

/// The script that times [`GUARDED`] guarded commands judged from the record, then as
/// many client runs: prints `<t0> <t1> <t2>`.
fn guarded_script(shell: &str, hook: &str) -> String {
    let cg = credguard();
    let cg = cg.display();
    let call = match shell {
        "zsh" => "_credguard_preexec 'terraform apply' 'terraform apply' 'terraform apply'",
        // the trap's own test reads $BASH_COMMAND: the steps after it, as it takes them
        _ => {
            "_credguard_guard_match 'terraform apply' && _credguard_guard_file \"${_credguard_match[@]}\""
        }
    };
    format!(
        "{hook}\n\
         t0=$EPOCHREALTIME; for ((i = 0; i < {GUARDED}; i++)); do {call}; done; t1=$EPOCHREALTIME\n\
         for ((i = 0; i < {GUARDED}; i++)); do '{cg}' exec --check --for 'terraform apply' --min-remaining 45; done; t2=$EPOCHREALTIME\n\
         echo \"$t0 $t1 $t2\"\n"
    )
}

fn per_call(shell: &str, user: &User) -> Option<(f64, f64)> {
    // bash's loop turn is ten commands (and the loop's own arithmetic, which the trap also
    // sees: counted against the hook, so the figure errs high)
    let per = if shell == "bash" { 10.0 } else { 1.0 };
    timed(shell, user, N, script).map(|(g, e)| (g / per, e / per))
}

/// Runs `make(shell, hook)` in `shell` and reads its three times: µs per call of each loop
/// of `n`.
fn timed(shell: &str, user: &User, n: u32, make: fn(&str, &str) -> String) -> Option<(f64, f64)> {
    let hook = Command::new(credguard())
        .args(["init", shell])
        .output()
        .ok()?;
    let hook = String::from_utf8(hook.stdout).ok()?;
    let mut c = Command::new(shell);
    if shell == "zsh" {
        c.args(["-f", "-c"]);
        c.arg(format!("zmodload zsh/datetime\n{}", make(shell, &hook)));
    } else {
        c.args(["--norc", "-c", &make(shell, &hook)]);
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
        (t1 - t0) * 1e6 / f64::from(n),
        (t2 - t1) * 1e6 / f64::from(n),
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
    println!(
        "  method: {N} calls of each in one shell process, timed with $EPOCHREALTIME; bash: {N} turns of ten commands it does not guard under its DEBUG trap, then under an empty trap (`:`), per command"
    );
    for shell in ["zsh", "bash"] {
        if !crate::support::tool(shell) {
            continue;
        }
        if let Some((record, client)) = timed(shell, user, GUARDED, guarded_script) {
            println!(
                "{shell}: a guarded command from the record {record:.1} µs, with the client run {client:.1} µs: {:.3}x",
                record / client
            );
        }
    }
    println!(
        "  method: {GUARDED} guarded commands each way in one shell process, the warning printed each time"
    );
}
