//! The socket: created safely (0700 directory, 0600 socket, never through a symlink), one
//! daemon per user (a lock file), stale sockets replaced, peers of another uid refused,
//! every connection bounded in time and size, and at most [`MAX_CONNECTIONS`] at once.

use crate::report::badge;
use crate::report::render::{self, Style};
use crate::run::engine::{Command, Shared, Snapshot};
use crate::verdict::Report;
use crate::world::Clock;
use credguard_client::paths::SocketOrigin;
use credguard_client::proto::{
    self, PROTOCOL_VERSION, PromptQuery, ProtoError, Request, Response, decode_request,
    encode_response,
};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Connections served at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 256;
/// The largest request accepted (requests are small; this bounds memory per connection).
pub const MAX_REQUEST: usize = 64 * 1024;
/// A client must send its request within this time.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a check the engine runs (STS timeouts and the confirmation delay).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "another credguardd is already running for this user (lock {lock} is held, socket {socket})"
    )]
    AlreadyRunning { lock: PathBuf, socket: PathBuf },
    #[error("{path}: {why}")]
    Unsafe { path: PathBuf, why: String },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> BindError + 'a {
    move |source| BindError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// A bound socket; the lock is held as long as this lives.
pub struct Bound {
    pub listener: std::os::unix::net::UnixListener,
    pub path: PathBuf,
    /// (device, inode) of the socket we created, so that shutdown removes only ours;
    /// None for a socket systemd passed, which stays for the next activation.
    ino: Option<(u64, u64)>,
    _lock: Option<File>,
}

impl Bound {
    /// Remove the socket file if it is still the one we bound.
    pub fn remove(&self) {
        let Some(ino) = self.ino else { return };
        if let Ok(m) = std::fs::symlink_metadata(&self.path)
            && (m.dev(), m.ino()) == ino
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The uid this process runs as.
pub fn my_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Prepare the directory, take the per-user lock, replace a stale socket, bind.
pub fn bind(path: &Path, origin: SocketOrigin) -> Result<Bound, BindError> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    if origin != SocketOrigin::Override {
        ensure_private_dir(dir)?;
    }
    let lock = take_lock(path)?;
    // we hold the lock: whatever socket is there is a leftover of a dead daemon
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            tracing::info!(socket = %path.display(), "removing the stale socket of a previous run");
            std::fs::remove_file(path).map_err(io_err("remove stale socket", path))?;
        }
        Ok(m) => {
            let what = if m.file_type().is_symlink() {
                "a symbolic link"
            } else if m.is_dir() {
                "a directory"
            } else {
                "a file that is not a socket"
            };
            return Err(BindError::Unsafe {
                path: path.to_path_buf(),
                why: format!(
                    "{what} is where the socket should be; remove it or set CREDGUARD_SOCKET to another path"
                ),
            });
        }
        Err(_) => {}
    }
    // no window in which the socket is open to others: create it 0600 through the umask
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let bound = std::os::unix::net::UnixListener::bind(path);
    rustix::process::umask(old);
    let listener = bound.map_err(io_err("bind", path))?;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    let m = std::fs::symlink_metadata(path).map_err(io_err("stat", path))?;
    listener
        .set_nonblocking(true)
        .map_err(io_err("configure", path))?;
    Ok(Bound {
        listener,
        path: path.to_path_buf(),
        ino: Some((m.dev(), m.ino())),
        _lock: Some(lock),
    })
}

/// The per-user lock beside the socket (`<socket>.lock`): one daemon per socket, whether it
/// bound the socket itself or systemd passed it.
fn take_lock(path: &Path) -> Result<File, BindError> {
    let lock_path = {
        let mut s = path.as_os_str().to_owned();
        s.push(".lock");
        PathBuf::from(s)
    };
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&lock_path)
        .map_err(io_err("open", &lock_path))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(BindError::AlreadyRunning {
            lock: lock_path,
            socket: path.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err("lock", &lock_path)(e)),
    }
}

/// The first file descriptor the service manager passes (`sd_listen_fds(3)`).
const SD_LISTEN_FDS_START: i32 = 3;

/// The listening socket systemd passed (socket activation, `credguard.socket`), when
/// `LISTEN_PID` is this process and `LISTEN_FDS` is at least 1; None otherwise. Only a
/// listening Unix stream socket with a path is taken; the path is not removed at exit
/// (systemd keeps it for the next activation).
pub fn from_systemd(env: &dyn Fn(&str) -> Option<String>) -> Option<Result<Bound, BindError>> {
    let pid: u32 = env("LISTEN_PID")?.trim().parse().ok()?;
    let fds: u32 = env("LISTEN_FDS")?.trim().parse().ok()?;
    if pid != std::process::id() || fds < 1 {
        return None;
    }
    let bad = |why: String| BindError::Unsafe {
        path: PathBuf::from("(socket passed by systemd)"),
        why,
    };
    let Some(listener) = claim_listen_fd() else {
        return Some(Err(bad(
            "LISTEN_FDS is set but file descriptor 3 is not a listening stream socket".into(),
        )));
    };
    let path = match listener.local_addr() {
        Ok(a) => match a.as_pathname() {
            Some(p) => p.to_path_buf(),
            None => {
                return Some(Err(bad(
                    "the passed socket has no path (abstract or unnamed)".into(),
                )));
            }
        },
        Err(e) => {
            return Some(Err(bad(format!(
                "the passed socket is not a Unix socket: {e}"
            ))));
        }
    };
    if let Err(e) = listener.set_nonblocking(true) {
        return Some(Err(bad(format!("cannot configure the passed socket: {e}"))));
    }
    let lock = match take_lock(&path) {
        Ok(l) => l,
        Err(e) => return Some(Err(e)),
    };
    Some(Ok(Bound {
        listener,
        path,
        ino: None,
        _lock: Some(lock),
    }))
}

/// Take ownership of descriptor 3 if it is a listening stream socket; mark it close-on-exec
/// (systemd passes it inheritable, and `credential_process` children must not get it).
#[allow(unsafe_code)]
fn claim_listen_fd() -> Option<std::os::unix::net::UnixListener> {
    use std::os::fd::FromRawFd;
    let fd = SD_LISTEN_FDS_START;
    let (mut kind, mut listening): (libc::c_int, libc::c_int) = (0, 0);
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt/fcntl only read or set flags of descriptor 3 and write into the
    // two c_ints above (len is their size); an invalid descriptor makes them fail, which
    // is checked before the descriptor is owned.
    let ok = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&raw mut kind).cast(),
            &mut len,
        ) == 0
            && libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_ACCEPTCONN,
                (&raw mut listening).cast(),
                &mut len,
            ) == 0
            && libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0
    };
    if !ok || kind != libc::SOCK_STREAM || listening == 0 {
        return None;
    }
    // SAFETY: sd_listen_fds(3): with LISTEN_PID equal to this process, descriptors from 3
    // on were opened and passed by the service manager for this process to own; 3 was
    // just checked to be an open listening socket, and nothing else in credguardd wraps it.
    Some(unsafe { std::os::unix::net::UnixListener::from_raw_fd(fd) })
}

/// Create `dir` 0700 if missing; refuse a symlink, a non-directory or another owner;
/// tighten the mode of our own directory.
fn ensure_private_dir(dir: &Path) -> Result<(), BindError> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err("create", dir)(e)),
    }
    let m = std::fs::symlink_metadata(dir).map_err(io_err("stat", dir))?;
    let unsafe_dir = |why: String| BindError::Unsafe {
        path: dir.to_path_buf(),
        why,
    };
    if m.file_type().is_symlink() {
        return Err(unsafe_dir(
            "the socket directory is a symbolic link; refusing to follow it (remove it)".into(),
        ));
    }
    if !m.is_dir() {
        return Err(unsafe_dir("the socket directory is not a directory".into()));
    }
    if m.uid() != my_uid() {
        return Err(unsafe_dir(format!(
            "the socket directory belongs to uid {}, not to this user ({}); remove it or set CREDGUARD_SOCKET",
            m.uid(),
            my_uid()
        )));
    }
    if m.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err("chmod 0700", dir))?;
    }
    Ok(())
}

/// What a connection handler needs.
pub struct Ctx {
    pub shared: Arc<Shared>,
    /// The daemon's clock (the prompt's countdown).
    pub clock: Clock,
    pub commands: mpsc::Sender<Command>,
    pub uid: u32,
    pub refused: AtomicU64,
    pub bad_requests: AtomicU64,
}

/// Accept connections until the listener fails for good.
pub async fn serve(listener: UnixListener, ctx: Arc<Ctx>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                // EMFILE and the like: back off instead of spinning
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            handle(stream, &ctx).await;
            drop(permit);
        });
    }
}

async fn handle(mut stream: UnixStream, ctx: &Ctx) {
    match stream.peer_cred() {
        Ok(c) if c.uid() == ctx.uid => {}
        Ok(c) => {
            let n = ctx.refused.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    uid = c.uid(),
                    pid = c.pid(),
                    refused = n,
                    "refused a connection from another user"
                );
            }
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell who connected; refused");
            return;
        }
    }
    let response = match tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await {
        Err(_) => return note_bad(ctx, "no request within the time limit"),
        Ok(Err(ProtoError::Closed)) => return,
        Ok(Err(ProtoError::Version(n))) => {
            note_bad(ctx, &format!("client speaks protocol {n}"));
            Response::VersionMismatch {
                daemon_protocol: PROTOCOL_VERSION,
            }
        }
        Ok(Err(e @ (ProtoError::Io(_) | ProtoError::Truncated { .. }))) => {
            return note_bad(ctx, &e.to_string());
        }
        Ok(Err(e)) => {
            note_bad(ctx, &e.to_string());
            Response::Error {
                message: format!("bad request: {e}"),
            }
        }
        Ok(Ok(req)) => answer(req, ctx).await,
    };
    let Ok(frame) = proto::encode_frame(&encode_response(&response)) else {
        return;
    };
    let _ = tokio::time::timeout(READ_TIMEOUT, stream.write_all(&frame)).await;
}

fn note_bad(ctx: &Ctx, why: &str) {
    let n = ctx.bad_requests.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_power_of_two() {
        tracing::warn!(bad_requests = n, "bad request on the socket: {why}");
    }
}

async fn read_request(stream: &mut UnixStream) -> Result<Request, ProtoError> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = stream.read(&mut header[got..]).await?;
        if n == 0 {
            return Err(if got == 0 {
                ProtoError::Closed
            } else {
                ProtoError::Truncated { expected: 4, got }
            });
        }
        got += n;
    }
    let len = proto::frame_len(header, MAX_REQUEST)?;
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).await.map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ProtoError::Truncated {
                expected: len,
                got: 0,
            }
        } else {
            ProtoError::Io(e)
        }
    })?;
    decode_request(&payload)
}

async fn answer(req: Request, ctx: &Ctx) -> Response {
    match req {
        Request::Ping => Response::Pong {
            daemon_version: env!("CARGO_PKG_VERSION").into(),
        },
        Request::Prompt(q) => {
            let snap = ctx.shared.snapshot();
            prompt(&snap, &q, (ctx.clock)())
        }
        Request::Status { json } => text_report(&ctx.shared.snapshot().report, json),
        Request::Doctor { profile } => match run_check(ctx, profile, false, false).await {
            Ok(r) => text_report(&r, false),
            Err(e) => e,
        },
        Request::Check {
            profile,
            json,
            offline,
            fresh,
        } => match run_check(ctx, profile, offline, fresh).await {
            Ok(r) => text_report(&r, json),
            Err(e) => e,
        },
        Request::Reload => {
            let (tx, rx) = oneshot::channel();
            if ctx
                .commands
                .send(Command::Reload { reply: Some(tx) })
                .await
                .is_err()
            {
                return engine_gone();
            }
            match rx.await {
                Ok(msg) => Response::Text {
                    body: msg,
                    exit_code: 0,
                },
                Err(_) => engine_gone(),
            }
        }
        Request::EnvVerdict { fingerprint } => Response::Verdict {
            state: ctx
                .shared
                .snapshot()
                .env
                .get(&fingerprint)
                .map_or("none", |v| {
                    if v.checking {
                        "checking"
                    } else {
                        v.verdict.state.as_str()
                    }
                })
                .into(),
        },
        Request::SubmitEnv(creds) => {
            if ctx
                .commands
                .send(Command::SubmitEnv {
                    creds: Box::new(creds),
                })
                .await
                .is_err()
            {
                return engine_gone();
            }
            Response::Badge {
                text: String::new(),
                state: "submitted".into(),
            }
        }
    }
}

fn engine_gone() -> Response {
    Response::Error {
        message: "the daemon is shutting down".into(),
    }
}

async fn run_check(
    ctx: &Ctx,
    only: Option<String>,
    offline: bool,
    fresh: bool,
) -> Result<Report, Response> {
    let (tx, rx) = oneshot::channel();
    let cmd = Command::Check {
        only,
        offline,
        fresh,
        reply: tx,
    };
    if ctx.commands.send(cmd).await.is_err() {
        return Err(engine_gone());
    }
    match tokio::time::timeout(CHECK_TIMEOUT, rx).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(_)) => Err(engine_gone()),
        Err(_) => Err(Response::Error {
            message: format!(
                "the check did not finish within {} s",
                CHECK_TIMEOUT.as_secs()
            ),
        }),
    }
}

fn text_report(r: &Report, json: bool) -> Response {
    let body = if json {
        serde_json::to_string_pretty(r).unwrap_or_default()
    } else {
        render::report(r, &Style { color: false })
    };
    Response::Text {
        body,
        exit_code: r.exit_code(),
    }
}

/// The badge for a shell: its environment credentials when it has some, else its
/// profile (`default` when it names none).
pub fn prompt(snap: &Snapshot, q: &PromptQuery, now: OffsetDateTime) -> Response {
    if let Some(fp) = &q.env_fingerprint {
        return match snap.env.get(fp) {
            Some(v) => {
                let (text, state) = badge::for_verdict(
                    &v.verdict,
                    credguard_client::badge::ENV_LABEL,
                    v.checking,
                    now,
                    q.ascii,
                );
                Response::Badge {
                    text,
                    state: state.into(),
                }
            }
            None => Response::Badge {
                text: String::new(),
                state: "need-env".into(),
            },
        };
    }
    let name = q.profile.as_deref().unwrap_or("default");
    match snap.profile(name) {
        Some(v) => {
            let (text, state) =
                badge::for_verdict(v, name, snap.checking.contains(name), now, q.ascii);
            Response::Badge {
                text,
                state: state.into(),
            }
        }
        // a shell that names no profile and has no default: nothing to say
        None if q.profile.is_none() || snap.ignored.iter().any(|p| p == name) => Response::Badge {
            text: String::new(),
            state: "none".into(),
        },
        None => Response::Badge {
            text: badge::not_found(name, q.ascii),
            state: "invalid".into(),
        },
    }
}
