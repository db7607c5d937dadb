//! Security under faults: a cache write killed midway, an unwritable state dir, a real full
//! disk, a real DNS failure.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn a_cache_write_killed_midway_leaves_the_previous_cache_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.json");
    let old = br#"{"version":1,"entries":{}}"#.to_vec();
    std::fs::write(&path, &old).unwrap();
    // kill -9 a process in the middle of the daemon's write_atomic, 40 times at moments
    // from 0 to 10 ms into a 4 MiB write: the file is always the old or the new content,
    // whole, never a mix or empty. (nextest runs this test alone in its process, so the
    // forked child may allocate.)
    let new = format!(r#"{{"version":1,"pad":"{}"}}"#, "x".repeat(4 << 20)).into_bytes();
    let (mut landed, mut kept) = (0, 0);
    for i in 0..40u64 {
        // SAFETY: the child only runs write_atomic and leaves with _exit
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = i32::from(credguard::validate::cache::write_atomic(&path, &new).is_err());
            // SAFETY: ends the forked child without running the parent's destructors
            unsafe { libc::_exit(code) };
        }
        std::thread::sleep(Duration::from_micros(500 * (i % 21)));
        // SAFETY: plain syscalls on our own child
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
        }
        let now = std::fs::read(&path).unwrap();
        if now == new {
            landed += 1;
            std::fs::write(&path, &old).unwrap();
        } else {
            assert_eq!(
                now,
                old,
                "a partial cache after kill -9 #{i} ({} bytes)",
                now.len()
            );
            kept += 1;
        }
    }
    assert_eq!(landed + kept, 40);
    // and the daemon's reader takes the survivor
    let cache = credguard::validate::cache::Cache::open(dir.path());
    assert!(cache.entries.is_empty());
    eprintln!(
        "40 kills -9 during a 4 MiB cache write: {landed} landed whole, {kept} left the old file whole, 0 torn"
    );
}

/// A static profile `[name]` with these keys.
fn profile(name: &str, k: &Keys) -> String {
    format!(
        "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        k.access_key_id, k.secret_access_key
    )
}

/// moto with user alice, and a user whose profile `a` (alice's keys) a first daemon run
/// validated `ok`: the state dir holds its key and a saved cache. None: no moto (skip).
fn with_a_saved_cache() -> Option<(Moto, Keys, User)> {
    let moto = Moto::start()?;
    let alice = moto.seed(&Seed::new().user("alice")).user("alice").clone();
    let user = User::new(&moto.endpoint);
    std::fs::write(user.credentials(), profile("a", &alice)).unwrap();
    let d = user.start();
    user.wait_state("a", "ok", WAIT);
    drop(d);
    Some((moto, alice, user))
}

#[test]
fn an_unwritable_state_dir_keeps_serving_from_memory_and_says_why_once() {
    let Some((_moto, alice, user)) = with_a_saved_cache() else {
        return;
    };
    let prof = |n: &str| profile(n, &alice);
    // the cache dir exists with its key; then it cannot be written (as a read-only HOME)
    let state = user.dir.path().join("state/credguard");
    assert!(state.join("verdicts.json").is_file());
    // the cache cannot be replaced: a directory stands where the file goes (rename fails
    // as on a read-only or full file system; this works for root too, who ignores modes)
    std::fs::remove_file(state.join("verdicts.json")).unwrap();
    std::fs::create_dir(state.join("verdicts.json")).unwrap();
    std::fs::write(state.join("verdicts.json").join("x"), "").unwrap();
    let d = user.start();
    for i in 0..5 {
        let mut text = prof("a");
        text += &prof(&format!("n{i}"));
        user.save_like_vim(&user.credentials(), &text);
        user.wait_state(&format!("n{i}"), "ok", WAIT);
    }
    assert_eq!(user.prompt(&[("AWS_PROFILE", "a")]), "");
    let log = d.log();
    assert_eq!(
        log.matches("verdict cache not saved").count(),
        1,
        "said once: {log}"
    );
}

/// `unshare -rm` works: a user and mount namespace of our own, no privileges needed.
/// Kernels can disable unprivileged namespaces; outside CI that skips (saying why), under
/// CI it fails.
fn namespaces() -> bool {
    if !support::tool("unshare") {
        return false;
    }
    let works = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "unshare -rm refused under CI"
        );
        eprintln!("SKIP: user namespaces are not available here");
    }
    works
}

/// A genuinely full disk: the state directory is a 64 KiB tmpfs, mounted in a user and
/// mount namespace of the daemon's own (`unshare -rm`, no privileges needed) and filled to
/// the last block. The daemon loads its cache, keeps serving from memory, says once that
/// the cache is not saved, leaves the previous cache whole and no half-written file behind.
#[test]
fn a_full_disk_keeps_the_old_cache_whole_and_the_daemon_serving() {
    if !namespaces() {
        return;
    }
    let Some((_moto, alice, user)) = with_a_saved_cache() else {
        return;
    };
    let prof = |n: &str| profile(n, &alice);
    let state = user.dir.path().join("state/credguard");
    let before = std::fs::read(state.join("verdicts.json")).unwrap();
    let saved = user.dir.path().join("state-copy");
    std::fs::create_dir(&saved).unwrap();
    for f in ["verdicts.json", "cache.key"] {
        std::fs::copy(state.join(f), saved.join(f)).unwrap();
    }
    // in the namespace: a 64 KiB tmpfs over the state dir, the cache copied in, the rest
    // filled; then exec the daemon (same pid)
    let script = format!(
        "set -e; mount -t tmpfs -o size=64k,mode=0700 none '{s}'; cp -p '{c}'/* '{s}'/; \
         dd if=/dev/zero of='{s}/filler' bs=4k 2>/dev/null || true; exec '{d}'",
        s = state.display(),
        c = saved.display(),
        d = credguardd().display()
    );
    let log = user.dir.path().join("full-disk.log");
    /// The namespaced daemon, stopped however the test ends.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &self.0.id().to_string()])
                .status();
            let _ = self.0.wait();
        }
    }
    let child = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .env_clear()
        .envs(user.vars.iter().cloned())
        .stdin(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut child = Stop(child);
    let inside = |name: &str| {
        PathBuf::from(format!("/proc/{pid}/root")).join(state.join(name).strip_prefix("/").unwrap())
    };
    let read_log = || std::fs::read_to_string(&log).unwrap();
    let start = std::time::Instant::now();
    while !user.client(&["status", "--json"], &[]).status.success() {
        assert!(start.elapsed() < WAIT, "no daemon: {}", read_log());
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "exited: {}",
            read_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // new credential sets (keys STS does not know) to validate and save: each save
    // meets ENOSPC
    for i in 0..3 {
        let text = format!(
            "{}[n{i}]\naws_access_key_id = AKIAZZZZZZZZZZZZZZZ{i}\naws_secret_access_key = {}\n",
            prof("a"),
            alice.secret_access_key
        );
        user.save_like_vim(&user.credentials(), &text);
        user.wait_state(&format!("n{i}"), "invalid", WAIT);
    }
    assert_eq!(user.prompt(&[("AWS_PROFILE", "a")]), "", "{}", read_log());
    let logged = read_log();
    assert!(
        logged.contains("No space left on device"),
        "the disk really was full: {logged}"
    );
    assert_eq!(
        logged.matches("verdict cache not saved").count(),
        1,
        "said once: {logged}"
    );
    // the cache on the full disk is the previous one, whole; no temporary file remains
    assert_eq!(std::fs::read(inside("verdicts.json")).unwrap(), before);
    let leftovers: Vec<String> = std::fs::read_dir(inside(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A DNS failure, real and local: `credguardd check` runs in its own user and mount
/// namespace where `/etc/resolv.conf` names 127.0.0.1 (nobody listens on port 53) and
/// `/etc/hosts` does not know the endpoint's name. The verdict is `unknown` / `network`,
/// saying DNS, never `invalid`; no query leaves 127.0.0.1.
#[test]
fn a_dns_failure_is_unknown_and_says_dns() {
    if !namespaces() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("resolv.conf"),
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    std::fs::write(d.join("hosts"), "127.0.0.1 localhost\n").unwrap();
    std::fs::write(d.join("nsswitch.conf"), "hosts: files dns\n").unwrap();
    let home = d.join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )
    .unwrap();
    std::fs::set_permissions(
        home.join(".aws/credentials"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let mut script = String::from("set -e; ");
    for f in ["resolv.conf", "hosts", "nsswitch.conf"] {
        script += &format!("mount --bind '{}' /etc/{f}; ", d.join(f).display());
    }
    script += &format!("exec '{}' check --json", credguardd().display());
    let out = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .env_clear()
        .env("HOME", &home)
        .env("XDG_STATE_HOME", d.join("state"))
        .env("XDG_CONFIG_HOME", d.join("config"))
        .env("PATH", "/usr/bin:/bin")
        .env(
            "AWS_ENDPOINT_URL_STS",
            "https://sts.credguard-dns-test.example",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(3), "unknown, none invalid: {v:#}");
    let p = support::profile_of(&v, "default");
    assert_eq!(p["state"], "unknown", "{p:#}");
    assert_eq!(p["problems"][0]["code"], "network", "{p:#}");
    let message = p["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("(DNS)"), "{message}");
}
