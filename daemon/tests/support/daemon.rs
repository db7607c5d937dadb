//! The real daemon and the real client on a temporary HOME, runtime, state and config
//! directory. Every variable the binaries see is set here (`env_clear`), so no test reads
//! the real `~/.aws` or talks to anything but 127.0.0.1.

use credguard_client::{Request, Response, exchange};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The daemon binary (built with this crate).
pub fn credguardd() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_credguardd"))
}

/// The client binary: built by the workspace next to `credguardd`.
pub fn credguard() -> PathBuf {
    let p = credguardd().with_file_name("credguard");
    assert!(
        p.is_file(),
        "{} is missing: run the tests for the whole workspace (`bash scripts/test.sh` or `cargo nextest run --workspace`)",
        p.display()
    );
    p
}

/// A temporary user: HOME with `~/.aws`, XDG dirs, and the variables both binaries get.
pub struct User {
    pub dir: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

impl User {
    /// `endpoint`: where STS is (moto, a fake, or a closed port).
    pub fn new(endpoint: &str) -> User {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["home/.aws", "runtime", "state", "config/credguard"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let p = |s: &str| root.join(s).to_string_lossy().into_owned();
        let vars = vec![
            ("HOME".to_string(), p("home")),
            ("XDG_RUNTIME_DIR".into(), p("runtime")),
            ("XDG_STATE_HOME".into(), p("state")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("AWS_ENDPOINT_URL_STS".into(), endpoint.into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("PATH".into(), "/usr/bin:/bin".into()),
            (
                "CREDGUARD_LOG".into(),
                "debug,aws_smithy_runtime=warn,aws_runtime=warn,aws_config=warn,hyper=warn".into(),
            ),
        ];
        User { dir, vars }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn aws(&self) -> PathBuf {
        self.home().join(".aws")
    }

    pub fn credentials(&self) -> PathBuf {
        self.aws().join("credentials")
    }

    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("config/credguard/config.toml")
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("runtime/credguard/credguard.sock")
    }

    /// Write a file the way vim does: a new file beside it, then rename over it.
    pub fn save_like_vim(&self, path: &Path, text: &str) {
        let tmp = path.with_extension("cg-swp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    /// Run the client with these extra variables.
    pub fn client(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut c = Command::new(credguard());
        c.args(args).env_clear().envs(self.vars.iter().cloned());
        for (k, v) in extra {
            c.env(k, v);
        }
        c.stdin(Stdio::null()).output().unwrap()
    }

    /// `credguard prompt` with these extra variables: its stdout.
    pub fn prompt(&self, extra: &[(&str, &str)]) -> String {
        let out = self.client(&["prompt"], extra);
        assert_eq!(out.status.code(), Some(0), "prompt must always exit 0");
        assert!(
            out.stderr.is_empty(),
            "prompt printed to stderr: {:?}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Poll the prompt until `want` holds (up to `limit`): the last badge and the time.
    pub fn wait_prompt(
        &self,
        extra: &[(&str, &str)],
        limit: Duration,
        want: impl Fn(&str) -> bool,
    ) -> (String, Duration) {
        let start = Instant::now();
        loop {
            let b = self.prompt(extra);
            if want(&b) {
                return (b, start.elapsed());
            }
            assert!(start.elapsed() < limit, "badge still {b:?} after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `credguard status --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        let out = self.client(&["status", "--json"], &[]);
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// The state of `profile` in `status --json`.
    pub fn state_of(&self, profile: &str) -> Option<String> {
        self.status()["profiles"]
            .as_array()?
            .iter()
            .find(|p| p["profile"] == profile)
            .and_then(|p| p["state"].as_str().map(str::to_string))
    }

    pub fn wait_state(&self, profile: &str, state: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let s = self.state_of(profile);
            if s.as_deref() == Some(state) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "profile {profile} is {s:?}, not {state}, after {limit:?}: {}",
                self.status()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn start(&self) -> Daemon {
        self.start_with(&[])
    }

    /// Start `credguardd` and wait until it answers on its socket.
    pub fn start_with(&self, extra: &[(&str, &str)]) -> Daemon {
        let mut d = self.spawn_with(extra);
        d.wait_ready();
        d
    }

    /// Start `credguardd` without waiting for it.
    pub fn spawn_with(&self, extra: &[(&str, &str)]) -> Daemon {
        let log = self.dir.path().join(format!(
            "credguardd-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut c = Command::new(credguardd());
        c.env_clear().envs(self.vars.iter().cloned());
        for (k, v) in extra {
            c.env(k, v);
        }
        let child = c
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Daemon {
            child,
            log,
            socket: self.socket(),
        }
    }
}

pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
    pub socket: PathBuf,
}

impl Daemon {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Ok(Response::Pong { .. }) =
                exchange(&self.socket, &Request::Ping, Duration::from_secs(1))
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("credguardd exited ({status}): {}", self.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "credguardd not ready after 30 s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
        if sig == "STOP" {
            // kill returns once the signal is queued; each thread stops when the kernel
            // next schedules it. Wait until all have, so that nothing is served after this.
            let tasks = format!("/proc/{}/task", self.pid());
            let stopped = || {
                std::fs::read_dir(&tasks).unwrap().all(|t| {
                    let stat =
                        std::fs::read_to_string(t.unwrap().path().join("stat")).unwrap_or_default();
                    // "pid (comm) S ...": the state follows the last ')'
                    stat.rsplit_once(')')
                        .is_some_and(|(_, rest)| rest.trim_start().starts_with(['T', 't']))
                })
            };
            let start = std::time::Instant::now();
            while !stopped() {
                assert!(start.elapsed() < Duration::from_secs(5), "not stopped");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Wait for the process to end (up to 10 s): its exit code, None if killed.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "credguardd did not exit: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resident memory in KiB (from /proc).
    pub fn rss_kib(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
