//! Section 8 of the benchmarks: a soak. The daemon under churn for
//! `CREDGUARD_BENCH_SOAK_SECONDS` (default 600): file events, prompts, environment
//! submissions and live-feed subscribers coming and going, at the rates of issue 21's
//! 10-minute target (100,000 file events, 1,000,000 prompts, 10,000 env submissions, 100
//! subscribers), scaled to the duration. RSS, open descriptors and CPU are sampled each
//! second; the figures compare the end with the state after warm-up (the first tenth).

use super::{CLOSED, quiet_user, section};
use credguard_client::{EnvCredentials, Request, WatchQuery, exchange};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One second's sample of the daemon: RSS (KiB), open descriptors, CPU ticks so far.
fn sample(pid: u32) -> (u64, usize, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    (rss, fds, super::proc_counts(pid).0)
}

/// Run `f` in a loop on a thread until `stop`, at most `per_sec` times a second.
fn paced(
    stop: &Arc<AtomicBool>,
    per_sec: f64,
    done: &Arc<AtomicU64>,
    mut f: impl FnMut(u64) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let (stop, done) = (stop.clone(), done.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let due = Duration::from_secs_f64(i as f64 / per_sec);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
            f(i);
            done.fetch_add(1, Ordering::Relaxed);
            i += 1;
        }
    })
}

pub fn soak() {
    section("8. soak (churn, sampled each second)");
    let secs: u64 = std::env::var("CREDGUARD_BENCH_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let scale = secs as f64 / 600.0;
    let user = quiet_user(CLOSED);
    std::fs::write(user.credentials(), super::GOOD).unwrap();
    let d = user.start();
    let pid = d.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let counts: Vec<Arc<AtomicU64>> = (0..4).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let creds = user.credentials();
    let mut threads = vec![paced(&stop, 100_000.0 / 600.0, &counts[0], move |i| {
        let text = if i % 2 == 0 {
            super::BROKEN
        } else {
            super::GOOD
        };
        let tmp = creds.with_extension("tmp");
        let _ = std::fs::write(&tmp, text);
        let _ = std::fs::rename(&tmp, &creds);
    })];
    for _ in 0..4 {
        let sock = user.socket();
        threads.push(paced(
            &stop,
            1_000_000.0 / 600.0 / 4.0,
            &counts[1],
            move |_| {
                let _ = exchange(
                    &sock,
                    &Request::Prompt(Default::default()),
                    Duration::from_secs(5),
                );
            },
        ));
    }
    let sock = user.socket();
    threads.push(paced(&stop, 10_000.0 / 600.0, &counts[2], move |i| {
        let creds = EnvCredentials {
            access_key_id: format!("AKIAQ3EGSOAK{i:08}"),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSOAKSOAKSO".into(),
            ..Default::default()
        };
        let _ = exchange(&sock, &Request::SubmitEnv(creds), Duration::from_secs(5));
    }));
    let sock = user.socket();
    threads.push(paced(&stop, 100.0 / 600.0 * 10.0, &counts[3], move |_| {
        // a subscriber that reads for a while, then goes
        let Ok(mut s) = std::os::unix::net::UnixStream::connect(&sock) else {
            return;
        };
        let req = credguard_client::proto::encode_request(&Request::Watch(WatchQuery::default()));
        let _ = credguard_client::proto::write_frame(&mut s, &req);
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 4096];
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until && s.read(&mut buf).is_ok_and(|n| n > 0) {}
    }));
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(1));
        samples.push(sample(pid));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    report(&samples, secs, scale, &counts);
    drop(d);
}

fn report(samples: &[(u64, usize, u64)], secs: u64, scale: f64, counts: &[Arc<AtomicU64>]) {
    let n = samples.len().max(1);
    let warm = samples[(n / 10).min(n - 1)];
    let last = samples[n - 1];
    let max_rss = samples.iter().map(|s| s.0).max().unwrap_or(0);
    let max_fds = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let tick = 100.0; // USER_HZ
    let cpu = |a: (u64, usize, u64), b: (u64, usize, u64), secs: f64| {
        (b.2 - a.2) as f64 / tick / secs * 100.0
    };
    let half = samples[n / 2];
    let got = |i: usize| counts[i].load(Ordering::Relaxed);
    println!(
        "{secs} s of churn ({:.0}% of the 10-minute target's rates): {} file writes, {} prompts, {} env submissions, {} subscribers",
        100.0,
        got(0),
        got(1),
        got(2),
        got(3)
    );
    println!(
        "  targets scaled to {secs} s: {:.0} file writes, {:.0} prompts, {:.0} env submissions, {:.0} subscribers",
        100_000.0 * scale,
        1_000_000.0 * scale,
        10_000.0 * scale,
        100.0 * scale * 10.0
    );
    println!(
        "RSS after warm-up {} KiB, at the end {} KiB (max {max_rss}); open descriptors {} → {} (max {max_fds}); CPU {:.1}% (first half after warm-up) vs {:.1}% (second half)",
        warm.0,
        last.0,
        warm.1,
        last.1,
        cpu(warm, half, (n / 2 - n / 10).max(1) as f64),
        cpu(half, last, (n - n / 2).max(1) as f64),
    );
    let tenths: Vec<String> = (1..=10)
        .map(|t| format!("{}", samples[(n * t / 10).min(n - 1)].0 / 1024))
        .collect();
    println!(
        "  RSS (MiB) at each tenth of the run: {}",
        tenths.join(" → ")
    );
    println!(
        "  method: the daemon on a closed STS port (every env key stays unknown and is retried with backoff), writers and clients on threads of this process at fixed rates; env submissions are all distinct (the daemon keeps at most 64); subscribers read for 3 s then hang up"
    );
}
