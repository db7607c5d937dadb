//! The system calls std does not offer: a non-blocking connect on a Unix socket, and a
//! look at whether stdout's reader is gone (for `credguard watch`, which writes rarely).
//!
//! A blocking `connect` waits as long as the daemon's listen backlog is full (a stopped or
//! hung daemon with many queued prompts). On Linux a non-blocking `connect` on a Unix
//! stream socket never waits: it succeeds at once, or fails with EAGAIN when the backlog
//! is full. So the prompt needs no helper thread (a thread costs about as much as the
//! rest of the client's start-up: measured in BENCHMARKS.md). Declared here against the
//! C library std already links; no crate.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;

const AF_UNIX: i32 = 1;
const SOCK_STREAM: i32 = 1;
const SOCK_NONBLOCK: i32 = 0o4000;
const SOCK_CLOEXEC: i32 = 0o2000000;

#[repr(C)]
struct SockaddrUn {
    sun_family: u16,
    sun_path: [u8; 108],
}

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

const POLLERR: i16 = 0x008;
const POLLHUP: i16 = 0x010;
const POLLNVAL: i16 = 0x020;

unsafe extern "C" {
    fn socket(domain: i32, ty: i32, protocol: i32) -> i32;
    fn connect(fd: i32, addr: *const SockaddrUn, len: u32) -> i32;
    fn poll(fds: *mut PollFd, nfds: u64, timeout: i32) -> i32;
}

/// Whether stdout can no longer be written: a pipe whose reader closed reports POLLERR
/// (a status bar that exited), a closed descriptor POLLNVAL. Never waits.
pub fn stdout_gone() -> bool {
    let mut p = PollFd {
        fd: 1,
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd that outlives the call; a zero timeout never blocks.
    let n = unsafe { poll(&mut p, 1, 0) };
    n > 0 && p.revents & (POLLERR | POLLHUP | POLLNVAL) != 0
}

/// Connect to the socket at `path` without ever waiting; the stream is returned in
/// blocking mode. EAGAIN (`WouldBlock`): the daemon's backlog is full.
pub fn connect_now(path: &Path) -> io::Result<UnixStream> {
    let bytes = path.as_os_str().as_bytes();
    let mut addr = SockaddrUn {
        sun_family: AF_UNIX as u16,
        sun_path: [0; 108],
    };
    if bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "socket path too long or not a valid path",
        ));
    }
    addr.sun_path[..bytes.len()].copy_from_slice(bytes);
    // SAFETY: plain socket(2); the result is checked before use.
    let fd = unsafe { socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let len = (std::mem::size_of::<u16>() + bytes.len() + 1) as u32;
    // SAFETY: `addr` is a valid sockaddr_un that outlives the call; `len` is within it.
    if unsafe { connect(fd, &addr, len) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let stream = UnixStream::from(owned);
    stream.set_nonblocking(false)?;
    Ok(stream)
}
