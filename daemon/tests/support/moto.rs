//! A real STS peer for tests: moto's server (`moto_server`, PyPI `moto[server]`) on
//! 127.0.0.1 with SigV4 auth enforced from its first request.
//!
//! Moto checks signatures against the IAM users it holds, so an unknown key id, a deleted
//! key, a wrong secret and a missing or corrupt session token get real rejections. It does
//! not emulate inactive keys, expiry or clock skew (those go to the in-process fake).
//!
//! Seeding runs `scripts/moto_seed.py` (boto3) with auth switched off around the call
//! (`POST /moto-api/reset-auth`, body `inf` then `0`, `Content-Type: text/plain`: any other
//! content type makes moto answer 500 and leave auth as it was, which the harness checks).
//!
//! Finding moto: `CREDGUARD_MOTO_SERVER`, else `moto_server` on PATH; the seeding Python is
//! `CREDGUARD_MOTO_PYTHON`, else the server script's own interpreter, else `python3`.
//! Missing moto panics under `CI=true` and skips (returns None) elsewhere.
//!
//! Counting requests: moto's recorder (`MOTO_ENABLE_RECORDING`) logs every request that
//! reaches it; the harness keeps it on except while seeding, so [`Moto::sts_calls`] is
//! the number of AWS requests the code under test sent. [`counting_proxy`] counts
//! requests on the wire instead, for any HTTP endpoint.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Moto's default account id: every seeded user and role lives there.
pub const ACCOUNT: &str = "123456789012";

/// How long moto may take to answer after it is spawned (Python imports on a busy
/// 2-core machine take several seconds).
const START_TIMEOUT: Duration = Duration::from_secs(60);

const SEED_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/moto_seed.py");

/// A long-term key pair of an IAM user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub user: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `123456789012`
    pub account: String,
    /// `arn:aws:iam::123456789012:user/NAME`, what GetCallerIdentity answers
    pub arn: String,
}

/// Temporary credentials from `sts:AssumeRole`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKeys {
    /// `ASIA…`
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// `arn:aws:sts::123456789012:assumed-role/ROLE/SESSION`, what GetCallerIdentity answers
    pub arn: String,
    /// `arn:aws:iam::123456789012:role/ROLE`
    pub role_arn: String,
    /// RFC 3339, as moto printed it
    pub expiration: String,
}

/// What to create in one seeding call (one Python run, auth off once).
#[derive(Clone, Debug, Default)]
pub struct Seed {
    ops: Vec<Value>,
    /// how to file each op's result: (kind, label)
    labels: Vec<(Kind, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    User,
    Session,
    Ignore,
}

impl Seed {
    pub fn new() -> Seed {
        Seed::default()
    }

    fn op(mut self, kind: Kind, label: &str, op: Value) -> Seed {
        self.ops.push(op);
        self.labels.push((kind, label.to_string()));
        self
    }

    /// IAM user `name` (created if missing) with a new active access key:
    /// [`Seeded::user`]`(name)`. Moto allows two keys per user.
    pub fn user(self, name: &str) -> Seed {
        self.op(Kind::User, name, json!({"op": "user", "name": name}))
    }

    /// IAM user `name` with a key that is created, then deleted: [`Seeded::user`]`(name)`
    /// holds the dead key (STS answers InvalidClientTokenId for it).
    pub fn user_with_deleted_key(self, name: &str) -> Seed {
        self.user(name)
            .op(Kind::Ignore, "", json!({"op": "delete_key", "user": name}))
    }

    /// Role `role`, trusting `user` (seeded earlier in this `Seed`); with `allowed`, the
    /// user's IAM policy also allows sts:AssumeRole on it (moto checks the caller's policy).
    pub fn role(self, role: &str, user: &str, allowed: bool) -> Seed {
        let s = self.op(
            Kind::Ignore,
            "",
            json!({"op": "role", "name": role, "trust_user": user}),
        );
        if !allowed {
            return s;
        }
        s.op(
            Kind::Ignore,
            "",
            json!({"op": "allow_assume", "user": user, "role": role}),
        )
    }

    /// Role `role` whose trust policy names only `trusted` while `user`'s IAM policy allows
    /// sts:AssumeRole on it (both users seeded earlier in this `Seed`): the trust policy
    /// is what refuses `user`.
    pub fn role_trusting(self, role: &str, trusted: &str, user: &str) -> Seed {
        self.op(
            Kind::Ignore,
            "",
            json!({"op": "role", "name": role, "trust_user": trusted}),
        )
        .op(
            Kind::Ignore,
            "",
            json!({"op": "allow_assume", "user": user, "role": role}),
        )
    }

    /// Role `role`, trusting `user` (seeded earlier in this `Seed`), assumed once with
    /// that user's key: [`Seeded::session`]`(label)`.
    pub fn assumed_role(self, label: &str, role: &str, user: &str) -> Seed {
        self.op(
            Kind::Ignore,
            "",
            json!({"op": "role", "name": role, "trust_user": user}),
        )
        .op(
            Kind::Session,
            label,
            json!({"op": "assume", "role": role, "user": user, "session_name": label}),
        )
    }
}

/// What a [`Seed`] made.
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    pub users: HashMap<String, Keys>,
    pub sessions: HashMap<String, SessionKeys>,
}

impl Seeded {
    pub fn user(&self, name: &str) -> &Keys {
        self.users
            .get(name)
            .unwrap_or_else(|| panic!("no user {name:?} was seeded"))
    }

    pub fn session(&self, label: &str) -> &SessionKeys {
        self.sessions
            .get(label)
            .unwrap_or_else(|| panic!("no session {label:?} was seeded"))
    }
}

/// One request moto's recorder saw.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// path and query, e.g. `/`
    pub path: String,
    /// from the SigV4 `Authorization` header's credential scope
    pub access_key_id: Option<String>,
    /// `sts`, `iam`, … from the credential scope
    pub service: Option<String>,
    /// the form body's `Action`, e.g. `GetCallerIdentity`
    pub action: Option<String>,
    pub has_session_token: bool,
    /// an `Authorization` header was sent (a signed request)
    pub authorization: bool,
    /// the `User-Agent` header
    pub user_agent: Option<String>,
}

/// A moto server on 127.0.0.1 with auth enforced; killed on drop.
pub struct Moto {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    python: String,
    child: Child,
    /// Held open for the server's lifetime: when it closes (drop, or this process dying)
    /// the wrapper shell kills moto, so no server outlives its test.
    keepalive: Option<ChildStdin>,
    dir: tempfile::TempDir,
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.keepalive.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> Option<String> {
    std::env::var("PATH")
        .ok()?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| format!("{d}/{name}"))
        .find(|p| Path::new(p).is_file())
}

/// The interpreter named by a script's `#!` line, when it is a Python.
fn shebang_python(script: &str) -> Option<String> {
    let text = std::fs::read(script).ok()?;
    let first = text.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?.trim();
    let interp = line.split_whitespace().next()?;
    (interp.contains("python") && Path::new(interp).is_file()).then(|| interp.to_string())
}

/// Variables that would change what moto or boto3 do: the tests' own AWS settings must
/// not leak into the peer.
fn scrub(cmd: &mut Command, home: &Path) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("AWS_") || k.starts_with("MOTO_") || k.starts_with("BOTO") {
            cmd.env_remove(k.as_ref());
        }
    }
    cmd.env_remove("TEST_SERVER_MODE").env("HOME", home);
}

/// One HTTP/1.1 exchange on a fresh connection: (status, body).
fn http(addr: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let sock = addr.parse().map_err(std::io::Error::other)?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {out:?}")))?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("seeding output has no {name:?}: {v}"))
        .to_string()
}

fn keys(v: &Value) -> Keys {
    Keys {
        user: field(v, "user"),
        access_key_id: field(v, "access_key_id"),
        secret_access_key: field(v, "secret_access_key"),
        account: field(v, "account"),
        arn: field(v, "arn"),
    }
}

fn session(v: &Value) -> SessionKeys {
    SessionKeys {
        access_key_id: field(v, "access_key_id"),
        secret_access_key: field(v, "secret_access_key"),
        session_token: field(v, "session_token"),
        arn: field(v, "arn"),
        role_arn: field(v, "role_arn"),
        expiration: field(v, "expiration"),
    }
}

/// The moto venv's `moto_server` and its Python (which also has boto3 and botocore, the
/// AWS CLI's library), or None (after printing why) when moto is not installed and `CI` is
/// not `true`; under CI a missing venv is a failure.
pub fn venv() -> Option<(String, String)> {
    let server = std::env::var("CREDGUARD_MOTO_SERVER")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| which("moto_server"));
    let Some(server) = server.filter(|p| Path::new(p).is_file()) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "moto_server not found (CREDGUARD_MOTO_SERVER={:?}, nor on PATH) with \
                     CI=true: scripts/setup.sh must install it, run tests via scripts/test.sh",
                std::env::var("CREDGUARD_MOTO_SERVER").unwrap_or_default()
            );
        }
        eprintln!("SKIP: moto_server not found (run scripts/setup.sh)");
        return None;
    };
    let python = std::env::var("CREDGUARD_MOTO_PYTHON")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| shebang_python(&server))
        .unwrap_or_else(|| "python3".into());
    Some((server, python))
}

impl Moto {
    /// Starts moto with auth enforced, or returns None (after printing why) when moto is
    /// not installed and `CI` is not `true`. Panics if moto is there but does not start.
    pub fn start() -> Option<Moto> {
        let (server, python) = venv()?;
        // A port taken between our probe and moto's bind makes moto exit: try again.
        let mut last_log = String::new();
        for _ in 0..3 {
            match Moto::spawn(&server, &python) {
                Ok(moto) => return Some(moto),
                Err(log) => last_log = log,
            }
        }
        panic!("moto_server ({server}) did not start:\n{last_log}");
    }

    /// Err: moto's output, when it exited before answering.
    fn spawn(server: &str, python: &str) -> Result<Moto, String> {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("moto.log")).unwrap();
        // sh keeps a copy of its stdin (our pipe) on fd 3 for a watcher that kills moto
        // when the pipe closes; sh itself exits when moto does, so try_wait sees a crash.
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(
                r#"exec 3<&0; "$0" "$@" </dev/null & m=$!; (cat <&3 >/dev/null; kill $m 2>/dev/null) & wait $m"#,
            )
            .arg(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        scrub(&mut cmd, dir.path());
        cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", "0")
            .env("MOTO_ENABLE_RECORDING", "true")
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording.jsonl"))
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let mut child = cmd.spawn().unwrap();
        let keepalive = child.stdin.take();
        let mut moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            python: python.to_string(),
            child,
            keepalive,
            dir,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok((200, _)) = http(moto.addr(), "GET", "/moto-api/", "") {
                break;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                return Err(format!("exit {status}\n{}", moto.log()));
            }
            assert!(
                Instant::now() < deadline,
                "moto_server gave no answer on {} within {START_TIMEOUT:?}\n{}",
                moto.endpoint,
                moto.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // INITIAL_NO_AUTH_ACTION_COUNT=0 already; say it again so a moto that ignored the
        // variable is caught here rather than by a test passing for the wrong reason.
        moto.enforce_auth();
        moto.reset_requests();
        Ok(moto)
    }

    fn addr(&self) -> &str {
        self.endpoint.trim_start_matches("http://")
    }

    /// moto's own stdout and stderr so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// POST to moto's control API; panics unless it answers 200.
    fn control(&self, path: &str, body: &str) -> String {
        let (status, text) = http(self.addr(), "POST", path, body)
            .unwrap_or_else(|e| panic!("moto {path}: {e}\n{}", self.log()));
        assert_eq!(status, 200, "moto {path} answered {status}: {text}");
        text
    }

    fn reset_auth(&self, count: &str) {
        let text = self.control("/moto-api/reset-auth", count);
        assert!(text.contains("\"ok\""), "reset-auth {count}: {text}");
    }

    /// Every request from now on must be signed by a key moto knows.
    pub fn enforce_auth(&self) {
        self.reset_auth("0");
    }

    /// Moto accepts anything (for seeding). Call [`Moto::enforce_auth`] after.
    pub fn disable_auth(&self) {
        self.reset_auth("inf");
    }

    /// Runs seeding ops with auth off and the recorder paused; one result per op.
    fn run_ops(&self, ops: &[Value]) -> Vec<Value> {
        self.control("/moto-api/recorder/stop-recording", "");
        self.disable_auth();
        let mut cmd = Command::new(&self.python);
        cmd.arg(SEED_SCRIPT)
            .arg(&self.endpoint)
            .arg(json!({ "ops": ops }).to_string());
        scrub(&mut cmd, self.dir.path());
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} {SEED_SCRIPT}: {e}", self.python));
        self.enforce_auth();
        self.control("/moto-api/recorder/start-recording", "");
        assert!(
            out.status.success(),
            "seeding failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "seeding printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let results = v["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(results.len(), ops.len(), "seeding output: {v}");
        results
    }

    /// Creates everything in `seed` in one Python run; auth is enforced again after.
    /// While it runs, moto accepts any request and records none: seed before starting
    /// the code under test, not while its calls are in flight.
    pub fn seed(&self, seed: &Seed) -> Seeded {
        let mut seeded = Seeded::default();
        for ((kind, label), v) in seed.labels.iter().zip(self.run_ops(&seed.ops)) {
            match kind {
                Kind::User => {
                    seeded.users.insert(label.clone(), keys(&v));
                }
                Kind::Session => {
                    seeded.sessions.insert(label.clone(), session(&v));
                }
                Kind::Ignore => {}
            }
        }
        seeded
    }

    /// IAM user `name` (created if missing) and a new access key for it.
    pub fn create_user(&self, name: &str) -> Keys {
        self.seed(&Seed::new().user(name)).user(name).clone()
    }

    /// Deletes one access key: STS then answers InvalidClientTokenId for it.
    pub fn delete_access_key(&self, user: &str, access_key_id: &str) {
        self.run_ops(&[json!({"op": "delete_key", "user": user, "access_key_id": access_key_id})]);
    }

    /// Role `role_name` (created if missing, trusting `keys`' user), assumed with `keys`.
    pub fn assume_role_creds(&self, keys: &Keys, role_name: &str) -> SessionKeys {
        let results = self.run_ops(&[
            json!({"op": "role", "name": role_name, "trust_arn": keys.arn}),
            json!({"op": "assume", "role": role_name,
                   "access_key_id": keys.access_key_id,
                   "secret_access_key": keys.secret_access_key}),
        ]);
        session(&results[1])
    }

    /// Every request moto's recorder saw since the last [`Moto::reset_requests`], seeding
    /// and the control API left out.
    pub fn requests(&self) -> Vec<Recorded> {
        let text =
            std::fs::read_to_string(self.dir.path().join("recording.jsonl")).unwrap_or_default();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|e| recorded(&e))
            .filter(|r| !r.path.starts_with("/moto-api/"))
            .collect()
    }

    /// How many AWS requests reached moto (anything but its control API and seeding):
    /// what "zero STS calls" is checked against.
    pub fn sts_calls(&self) -> usize {
        self.requests().len()
    }

    /// How many requests were signed with `access_key_id`.
    pub fn calls_with(&self, access_key_id: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.access_key_id.as_deref() == Some(access_key_id))
            .count()
    }

    /// Forgets the requests recorded so far.
    pub fn reset_requests(&self) {
        self.control("/moto-api/recorder/reset-recording", "");
    }

    /// A proxy to this moto that counts the HTTP requests passing through it.
    pub fn counting_proxy(&self) -> (String, Arc<AtomicUsize>) {
        counting_proxy(&self.endpoint)
    }
}

mod accounts;
mod wire;
use wire::recorded;
pub use wire::{counting_proxy, sts_client};
