//! Socket setup, before any request is served: the socket created safely (0700
//! directory, 0600 socket, never through a symlink), one daemon per user (a lock file),
//! stale sockets replaced, the socket systemd passes taken over (socket activation), and
//! the peer uid check that refuses every other user. Serving requests is `serve.rs`.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use credguard_client::paths::SocketOrigin;
use tokio::net::UnixStream;

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

/// Whether the peer of `stream` is this user (`uid`). Refusals are counted in `refused`
/// and logged at powers of two, so that a flood cannot fill the log.
pub fn peer_is(stream: &UnixStream, uid: u32, refused: &AtomicU64) -> bool {
    match stream.peer_cred() {
        Ok(c) if c.uid() == uid => true,
        Ok(c) => {
            let n = refused.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    uid = c.uid(),
                    pid = c.pid(),
                    refused = n,
                    "refused a connection from another user"
                );
            }
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot tell who connected; refused");
            false
        }
    }
}
