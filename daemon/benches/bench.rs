//! credguard's benchmarks: every figure is printed beside a baseline measured in the same
//! run, with its method. They never fail: they print. Run with `bash scripts/bench.sh`.
//!
//! Environment: CREDGUARD_MOTO_SERVER (moto, for the STS figures), CREDGUARD_AWS_CLI
//! (`aws` from PyPI, for the anchor), CREDGUARD_BENCH_IDLE_SECONDS (default 60),
//! CREDGUARD_BENCH_SOAK_SECONDS (default 600). Sections: 1 prompt cost (`sections/prompt.rs`), 2
//! reaction, 3 load, 4 idle and memory, 5 scale, 6 the anchor, 7 the pre-command guard
//! (`sections/guard_cost.rs`), 8 soak (`sections/soak.rs`).
#![allow(clippy::unwrap_used)]

#[path = "sections/guard_cost.rs"]
mod guard_cost;
// The integration tests' helpers (tests/support): the bench uses some of them, the test
// binary all of them, so only here is part of it unused.
#[path = "../tests/support/mod.rs"]
#[allow(dead_code, unused_imports)]
mod support;

use credguard_client::{Request, Response, exchange};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::daemon::{Daemon, User};

const GOOD: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
const BROKEN: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";
const CLOSED: &str = "http://127.0.0.1:9";

fn quiet_user(endpoint: &str) -> User {
    let mut u = User::new(endpoint);
    u.vars.retain(|(k, _)| k != "CREDGUARD_LOG");
    u.vars.push(("CREDGUARD_LOG".into(), "warn".into()));
    u
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[path = "sections/prompt.rs"]
mod prompt;
#[path = "sections/soak.rs"]
mod soak;

fn section(title: &str) {
    println!("\n## {title}");
}

fn wait_badge(user: &User, want: impl Fn(&str) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if let Ok(Response::Badge { text, .. }) = exchange(
            &user.socket(),
            &Request::Prompt(Default::default()),
            Duration::from_secs(1),
        ) && want(&text)
        {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "badge never changed"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn reaction(user: &User) {
    section("2. reaction time (file write → changed badge)");
    let mut lat = Vec::new();
    for i in 0..30 {
        let broken = i % 2 == 0;
        user.save_like_vim(&user.credentials(), if broken { BROKEN } else { GOOD });
        lat.push(us(wait_badge(user, |b| b.is_empty() != broken)) / 1000.0);
    }
    println!(
        "offline problem: p50 {:.0} ms, p95 {:.0} ms (target p95 ≤ 150 ms incl. the 100 ms settle) | baseline: the settle delay itself, 100 ms",
        percentile(&mut lat, 0.5),
        percentile(&mut lat, 0.95)
    );
    println!(
        "  method: 30 vim-style saves (temp file + rename) alternating broken/fixed, badge polled over the socket every 0.5 ms"
    );
}

fn reaction_sts(moto: &support::moto::Moto) {
    let seeded = moto.seed(&support::moto::Seed::new().user("rt"));
    let k = seeded.user("rt");
    let good = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        k.access_key_id, k.secret_access_key
    );
    let user = quiet_user(&moto.endpoint);
    user.save_like_vim(&user.credentials(), &good);
    let _d = user.start();
    user.wait_state("default", "ok", Duration::from_secs(30));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rtt = Vec::new();
    let mut lat = Vec::new();
    for i in 0..10 {
        let key = format!("AKIAZZZZZZZZZZZZ{i:04}");
        let m = credguard::diagnose::Material {
            key_id: format!("AKIAYYYYYYYYYYYY{i:04}"),
            secret: k.secret_access_key.clone(),
            token: None,
            profile: None,
            roles: Vec::new(),
            expiry_hint: None,
            written: Default::default(),
        };
        let target = credguard::validate::sts::Target {
            region: "us-east-1".into(),
            endpoint: Some(moto.endpoint.clone()),
        };
        let t = Instant::now();
        rt.block_on(credguard::validate::sts::validate(
            &m,
            &target,
            &Default::default(),
        ));
        rtt.push(us(t.elapsed()) / 1000.0);
        user.save_like_vim(
            &user.credentials(),
            &format!(
                "[default]\naws_access_key_id = {key}\naws_secret_access_key = {}\n",
                k.secret_access_key
            ),
        );
        lat.push(us(wait_badge(&user, |b| b.contains("invalid key"))) / 1000.0);
        user.save_like_vim(&user.credentials(), &good);
        wait_badge(&user, str::is_empty);
    }
    let (l50, l95, r50) = (
        percentile(&mut lat, 0.5),
        percentile(&mut lat, 0.95),
        percentile(&mut rtt, 0.5),
    );
    println!(
        "STS verdict (moto): p50 {l50:.0} ms, p95 {l95:.0} ms | moto's own round trip (GetCallerIdentity from this process): p50 {r50:.0} ms | overhead p50 {:.0} ms (target ≤ 150 ms)",
        l50 - r50
    );
    println!(
        "  method: 10 saves with a key id moto does not know (a new fingerprint each time), badge polled until `invalid key`"
    );
}

fn load(user: &User, d: &Daemon) {
    section("3. load (prompt queries per second)");
    let rss0 = d.rss_kib();
    for clients in [1usize, 16, 256, 1000] {
        let stop = Arc::new(AtomicBool::new(false));
        let (ok, err) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let threads: Vec<_> = (0..clients)
            .map(|_| {
                let (stop, ok, err, sock) = (stop.clone(), ok.clone(), err.clone(), user.socket());
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            match exchange(
                                &sock,
                                &Request::Prompt(Default::default()),
                                Duration::from_secs(5),
                            ) {
                                Ok(Response::Badge { .. }) => ok.fetch_add(1, Ordering::Relaxed),
                                _ => err.fetch_add(1, Ordering::Relaxed),
                            };
                        }
                    })
                    .unwrap()
            })
            .collect();
        let t = Instant::now();
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
        for th in threads {
            th.join().unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{clients:>4} clients: {:>6.0} prompts/s, {} errors, daemon RSS {} KiB (before: {rss0} KiB)",
            ok.load(Ordering::Relaxed) as f64 / secs,
            err.load(Ordering::Relaxed),
            d.rss_kib()
        );
    }
    println!(
        "  method: client threads in this process, each a loop of connect + prompt request + answer (the client library's exchange), 3 s per level; target ≥ 20,000/s"
    );
}

fn proc_counts(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // context switches of every thread of the process: each one is a wakeup
    let mut switches = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let s = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            for l in s.lines() {
                if let Some(v) = l
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                {
                    switches += v.trim().parse::<u64>().unwrap_or(0);
                }
            }
        }
    }
    (ticks, switches)
}

fn idle(moto: Option<&support::moto::Moto>, fallback: &Daemon) {
    section("4. idle cost");
    let secs: u64 = std::env::var("CREDGUARD_BENCH_IDLE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    // a daemon whose every verdict is a fresh `ok` (moto): its only armed deadline is the
    // revalidation in 30 minutes. Without moto, the closed-port daemon's `unknown` verdict
    // is retried with backoff, and those retries are its deadlines.
    let mut own = None;
    let (pid, what) = match moto {
        Some(m) => {
            let seeded = m.seed(&support::moto::Seed::new().user("idle"));
            let k = seeded.user("idle");
            let user = quiet_user(&m.endpoint);
            std::fs::write(
                user.credentials(),
                format!(
                    "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                    k.access_key_id, k.secret_access_key
                ),
            )
            .unwrap();
            let d = user.start();
            user.wait_state("default", "ok", Duration::from_secs(30));
            let pid = d.pid();
            own = Some((user, d));
            (
                pid,
                "one valid profile; the next armed deadline is the revalidation in 30 min",
            )
        }
        None => (
            fallback.pid(),
            "STS unreachable: the deadlines are the backoff retries of the unknown verdict",
        ),
    };
    std::thread::sleep(Duration::from_secs(2));
    let (t0, s0) = proc_counts(pid);
    std::thread::sleep(Duration::from_secs(secs));
    let (t1, s1) = proc_counts(pid);
    println!(
        "over {secs} s with nothing happening: {} ms CPU, {} context switches (wakeups) across all threads | baseline: the deadlines armed in that window, 0 ({what})",
        (t1 - t0) * 10,
        s1 - s0
    );
    println!(
        "  method: /proc/PID/stat utime+stime (10 ms ticks) and the sum of every thread's voluntary+nonvoluntary context switches, before and after"
    );
    drop(own);
}

fn memory_100(endpoint: &str) {
    let empty = quiet_user(endpoint);
    let d0 = empty.start();
    std::thread::sleep(Duration::from_millis(500));
    let base = d0.rss_kib();
    drop(d0);
    let user = quiet_user(endpoint);
    let mut text = String::new();
    for i in 0..100 {
        text += &format!(
            "[p{i}]\naws_access_key_id = AKIAZZZZZZZZZZZZ{i:04}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        );
    }
    std::fs::write(user.credentials(), text).unwrap();
    let d = user.start();
    let start = Instant::now();
    while user.status().to_string().contains("checking") || start.elapsed() < Duration::from_secs(2)
    {
        if start.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "RSS after validating 100 profiles: {} KiB | the same daemon with no profile: {base} KiB (target ≤ 20 MB)",
        d.rss_kib()
    );
}

fn scale() {
    section("5. scale");
    let dir = tempfile::tempdir().unwrap();
    let aws = dir.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let mut text = String::new();
    for i in 0..1000 {
        text += &format!(
            "[p{i}]\naws_access_key_id = AKIAZZZZZZZZZZZZ{i:04}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = us-east-1\n"
        );
    }
    std::fs::write(aws.join("credentials"), &text).unwrap();
    let world = credguard::world::World::new(
        [("HOME", dir.path().to_str().unwrap())],
        time::OffsetDateTime::now_utc(),
    );
    let config = credguard::config::Config::default();
    let (mut ours, mut sdk) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let t = Instant::now();
        let d = credguard::run::check::offline(&world, &config, None);
        assert_eq!(d.len(), 1000);
        ours.push(us(t.elapsed()) / 1000.0);
        let t = Instant::now();
        let p = credguard::aws::files::parse_with_sdk("", &text).unwrap();
        assert_eq!(p.profiles.len(), 1000);
        sdk.push(us(t.elapsed()) / 1000.0);
    }
    let (o, s) = (percentile(&mut ours, 0.5), percentile(&mut sdk, 0.5));
    println!(
        "offline pass, 1,000 profiles: {o:.1} ms (target ≤ 50 ms) | aws-config's parser alone on the same file: {s:.1} ms | ratio {:.1}x",
        o / s
    );
    println!(
        "  method: in-process, median of 20 (read, SDK parse, line scan, chain resolution, every check)"
    );
}

fn writes(moto: &support::moto::Moto) {
    let seeded = moto.seed(&support::moto::Seed::new().user("alice").user("bob"));
    let (a, b) = (seeded.user("alice"), seeded.user("bob"));
    let (proxy, calls) = moto.counting_proxy();
    let user = quiet_user(&proxy);
    let prof = |n: &str, k: &support::moto::Keys| {
        format!(
            "[{n}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            k.access_key_id, k.secret_access_key
        )
    };
    std::fs::write(user.credentials(), prof("a", a)).unwrap();
    let _d = user.start();
    user.wait_state("a", "ok", Duration::from_secs(30));
    let before = calls.load(Ordering::SeqCst);
    let t = Instant::now();
    for i in 0..1000 {
        let mut text = format!("# {i}\n{}", prof("a", a));
        if i >= 500 {
            text += &prof("b", b);
        }
        user.save_like_vim(&user.credentials(), &text);
    }
    let took = t.elapsed();
    user.wait_state("b", "ok", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    println!(
        "1,000 saves in {:.2} s (one new credential set among them): {} STS call(s) (target: 1) | without fingerprints: one per save and profile would be ≥ 1,500",
        took.as_secs_f64(),
        calls.load(Ordering::SeqCst) - before
    );
}

fn anchor(moto: &support::moto::Moto) {
    section("6. anchor: the usual way");
    let Some(aws) = std::env::var("CREDGUARD_AWS_CLI")
        .ok()
        .filter(|p| std::path::Path::new(p).is_file())
    else {
        println!("skipped: no awscli (scripts/bench.sh installs it into the venv)");
        return;
    };
    let mut seed = support::moto::Seed::new();
    for i in 0..5 {
        seed = seed.user(&format!("u{i}"));
    }
    let seeded = moto.seed(&seed);
    let user = quiet_user(&moto.endpoint);
    let mut text = String::new();
    for i in 0..5 {
        let k = seeded.user(&format!("u{i}"));
        text += &format!(
            "[p{i}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            k.access_key_id, k.secret_access_key
        );
    }
    std::fs::write(user.credentials(), text).unwrap();
    let t = Instant::now();
    for i in 0..5 {
        // awscli v1 reads AWS_DEFAULT_REGION, not AWS_REGION
        let out = Command::new(&aws)
            .args(["sts", "get-caller-identity", "--profile", &format!("p{i}")])
            .env_clear()
            .envs(user.vars.iter().cloned())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "aws sts get-caller-identity failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cli = t.elapsed();
    let t = Instant::now();
    let out = Command::new(support::daemon::credguardd())
        .args(["check", "--json", "--fresh"])
        .env_clear()
        .envs(user.vars.iter().cloned())
        .output()
        .unwrap();
    let ours = t.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "5 profiles validated: `aws sts get-caller-identity` per profile {:.0} ms | `credguardd check --fresh` {:.0} ms | ratio {:.1}x faster",
        cli.as_secs_f64() * 1e3,
        ours.as_secs_f64() * 1e3,
        cli.as_secs_f64() / ours.as_secs_f64()
    );
    println!(
        "  method: same moto, same credentials file; awscli from PyPI, one process per profile as in a troubleshooting guide"
    );
}

/// `CREDGUARD_BENCH_ONLY=1,6`: run only these sections (all by default).
fn wanted(n: u32) -> bool {
    std::env::var("CREDGUARD_BENCH_ONLY")
        .map_or(true, |v| v.split(',').any(|s| s.trim() == n.to_string()))
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse
    println!("# credguard benchmarks");
    let cpus = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpus
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let n = cpus.lines().filter(|l| l.starts_with("processor")).count();
    println!("machine: {n} × {model}");
    let user = quiet_user(CLOSED);
    std::fs::write(user.credentials(), GOOD).unwrap();
    let d = user.start();
    std::thread::sleep(Duration::from_millis(300));
    let moto = support::moto::Moto::start();
    if wanted(1) {
        prompt::prompt_cost(&user);
    }
    if wanted(2) {
        reaction(&user);
        match &moto {
            Some(m) => reaction_sts(m),
            None => println!("STS verdict: skipped (no moto: CREDGUARD_MOTO_SERVER)"),
        }
    }
    if wanted(3) {
        load(&user, &d);
    }
    if wanted(4) {
        idle(moto.as_ref(), &d);
        memory_100(moto.as_ref().map_or(CLOSED, |m| m.endpoint.as_str()));
    }
    if wanted(5) {
        scale();
        if let Some(m) = &moto {
            writes(m);
        }
    }
    if wanted(6)
        && let Some(m) = &moto
    {
        anchor(m);
    }
    if wanted(7) {
        guard_cost::guard_cost(&user);
    }
    if wanted(8) {
        soak::soak();
    }
}
