//! Section 1 of the benchmarks: what a prompt costs. `credguard prompt` against
//! `/bin/true`, and each shell's hook per prompt against the shell running `/bin/true` the
//! way the hook would run the client (zsh: a command; bash: `x=$(/bin/true)`; fish:
//! `set x (/bin/true)`), with the badge files (builtins, no process) and, for comparison,
//! with them switched off (`CREDGUARD_SOCKET` set: the socket in zsh, the client in bash and
//! fish).

use super::support::daemon::credguard;
use super::{User, percentile, section, us};
use std::process::{Command, Stdio};
use std::time::Instant;

fn spawn_time(cmd: &mut Command) -> f64 {
    let t = Instant::now();
    let s = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(s.success());
    us(t.elapsed())
}

/// The flag that starts each shell without the user's rc files.
fn no_rc(shell: &str) -> &'static str {
    match shell {
        "fish" => "--no-config",
        "bash" => "--norc",
        _ => "-f",
    }
}

/// `n` runs of `bin prompt` and of `/bin/true`, interleaved, in the user's environment:
/// their times in µs.
fn prompt_vs_true(user: &User, bin: &std::path::Path, n: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut cg, mut tr) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let mut c = Command::new(bin);
        c.arg("prompt").env_clear().envs(user.vars.iter().cloned());
        cg.push(spawn_time(&mut c));
        let mut t = Command::new("/bin/true");
        t.env_clear().envs(user.vars.iter().cloned());
        tr.push(spawn_time(&mut t));
    }
    (cg, tr)
}

pub fn prompt_cost(user: &User) {
    section("1. prompt cost");
    let n = 1000;
    let bin = credguard();
    let (mut cg, mut tr) = prompt_vs_true(user, &bin, n);
    let (cg50, cg99, tr50, tr99) = (
        percentile(&mut cg, 0.5),
        percentile(&mut cg, 0.99),
        percentile(&mut tr, 0.5),
        percentile(&mut tr, 0.99),
    );
    println!(
        "credguard prompt (daemon running): median {cg50:.0} µs, p99 {cg99:.0} µs | /bin/true: median {tr50:.0} µs, p99 {tr99:.0} µs | ratio median {:.3}x, p99 {:.3}x (reads the badge file; target ≤ 1.05x)",
        cg50 / tr50,
        cg99 / tr99
    );
    println!(
        "  method: {n} fork+exec+wait of each, interleaved, from this process, same environment"
    );
    if let Some(dynamic) = std::env::var_os("CREDGUARD_BENCH_DYNAMIC_CLIENT") {
        let (mut dy, mut tr) = prompt_vs_true(user, std::path::Path::new(&dynamic), n);
        let (d50, t50) = (percentile(&mut dy, 0.5), percentile(&mut tr, 0.5));
        println!(
            "the same client dynamically linked (plain cargo build): median {d50:.0} µs | /bin/true: median {t50:.0} µs | ratio {:.2}x",
            d50 / t50
        );
    }

    // per prompt inside each real shell: the hook vs running /bin/true the same way
    let socket = user.socket().display().to_string();
    let hook = |shell: &str, files: bool| -> Option<((f64, f64), (f64, f64))> {
        let cg = bin.display();
        let init = match shell {
            "zsh" => format!("eval \"$('{cg}' init zsh)\"; "),
            "bash" => format!("eval \"$('{cg}' init bash)\"; "),
            _ => format!("'{cg}' init fish | source; "),
        };
        let body = match shell {
            "zsh" => "_credguard_precmd",
            "bash" => "_credguard_prompt",
            _ => "_credguard_refresh",
        };
        let baseline = match shell {
            "zsh" => "/bin/true",
            "bash" => "x=$(/bin/true)",
            _ => "set x (/bin/true)",
        };
        // k top-level commands, one a line: each runs once as at a prompt (bash's DEBUG
        // trap, which the hook sets for its guard, fires once per top-level command, as for
        // PROMPT_COMMAND; in a `for` loop it would fire twice a turn, once for the loop)
        let script = |prefix: &str, body: &str, k: u32| {
            let mut s = format!("{prefix}\n");
            for _ in 0..k {
                s.push_str(body);
                s.push('\n');
            }
            // the shell's status is the last command's (a hook may end on a status of its
            // own, which a prompt ignores): one `:` after all, the same in every run
            s.push_str(":\n");
            s
        };
        // (wall µs, CPU µs of the shell and every process it ran) of one shell run
        let run = |script: &str| -> Option<(f64, f64)> {
            let cpu = children_cpu_us();
            let t = Instant::now();
            let mut c = Command::new(shell);
            c.args([no_rc(shell), "-c", script])
                .env_clear()
                .envs(user.vars.iter().cloned());
            if !files {
                // an overridden socket: no badge files, the path before them
                c.env("CREDGUARD_SOCKET", &socket);
            }
            let s = c
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .ok()?;
            let wall = us(t.elapsed());
            s.success().then(|| (wall, children_cpu_us() - cpu))
        };
        // per command: the difference between k and 3k of them, so the shell's start and
        // the hook's loading cancel out
        let per_command = |prefix: &str, body: &str, k: u32| -> Option<(f64, f64)> {
            let (a, b) = (
                run(&script(prefix, body, k))?,
                run(&script(prefix, body, 3 * k))?,
            );
            let n = f64::from(2 * k);
            Some(((b.0 - a.0) / n, (b.1 - a.1) / n))
        };
        // a line's own cost (read, parse) is common to both: subtract it
        let empty = per_command("", ":", 2000)?;
        let h = per_command(&init, body, 1000)?;
        let t = per_command("", baseline, 150)?;
        Some((
            (h.0 - empty.0, h.1 - empty.1),
            (t.0 - empty.0, t.1 - empty.1),
        ))
    };
    for (shell, files) in [
        ("zsh", true),
        ("bash", true),
        ("fish", true),
        ("zsh", false),
        ("bash", false),
        ("fish", false),
    ] {
        let (mut hs, mut ts, mut hc, mut tc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..5 {
            if let Some((h, t)) = hook(shell, files) {
                hs.push(h.0);
                ts.push(t.0);
                hc.push(h.1);
                tc.push(t.1);
            }
        }
        if hs.is_empty() {
            println!("{shell}: not installed, skipped");
            continue;
        }
        let (h, t) = (percentile(&mut hs, 0.5), percentile(&mut ts, 0.5));
        let (hc, tc) = (percentile(&mut hc, 0.5), percentile(&mut tc, 0.5));
        let how = match (files, shell) {
            (true, _) => "reads the badge file with builtins, no process; target ≤ 0.1x",
            (false, "zsh") => "badge files off: zsh/net/socket, no fork",
            (false, _) => "badge files off: runs credguard prompt",
        };
        let baseline = match shell {
            "bash" => "x=$(/bin/true)",
            "fish" => "set x (/bin/true)",
            _ => "/bin/true",
        };
        println!(
            "{shell} hook per prompt: {h:.1} µs | `{baseline}` in {shell}: {t:.0} µs | ratio {:.3}x | CPU {hc:.1} vs {tc:.0} µs: {:.3}x ({how})",
            h / t,
            hc / tc
        );
    }
    println!(
        "  method: per command in one shell process, k top-level commands one a line, from the difference between k and \
         3k (the shell's start and the hook's loading cancel out): 1,000 vs 3,000 hook calls, 150 vs 450 runs of the \
         baseline, minus as many `:` lines measured the same way; median of 5. A line runs as at a prompt (bash's DEBUG \
         trap, set by the hook for its guard, fires once per line, as for PROMPT_COMMAND). \
         Wall time, and CPU time (user + system of the shell and every process it ran, from getrusage): \
         on a shared machine, waiting for a core inflates the wall figures, not the CPU ones"
    );
}

/// User + system CPU time of this process's children that have been waited for (and of
/// the processes they waited for), in µs.
#[allow(unsafe_code)]
fn children_cpu_us() -> f64 {
    // SAFETY: getrusage only writes the struct it is given, which lives on this stack and
    // is fully initialised (zeroed) before the call.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_CHILDREN is a valid `who`.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}
