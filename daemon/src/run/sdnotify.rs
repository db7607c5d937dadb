//! systemd's readiness protocol (`sd_notify`), without libsystemd: one datagram to
//! `$NOTIFY_SOCKET` per state change. Outside systemd (no NOTIFY_SOCKET) nothing happens.

use std::os::unix::net::UnixDatagram;

/// Send `state` (e.g. `READY=1`) to `notify_socket` (a path, or `@name` for the abstract
/// namespace). Errors are returned for the caller to log once.
pub fn send(notify_socket: &str, state: &str) -> std::io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    if let Some(name) = notify_socket.strip_prefix('@') {
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            sock.send_to_addr(state.as_bytes(), &addr)?;
            return Ok(());
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = name;
            return Err(std::io::Error::other("abstract sockets need Linux"));
        }
    }
    sock.send_to(state.as_bytes(), notify_socket)?;
    Ok(())
}

/// `CLOCK_MONOTONIC` in microseconds, for `RELOADING=1` + `MONOTONIC_USEC=` (systemd ≥ 253).
pub fn monotonic_usec() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000)
        .saturating_add((t.tv_nsec as u64) / 1000)
}

/// Where systemd listens, if it does.
pub struct Notifier {
    socket: Option<String>,
}

impl Notifier {
    /// Outside systemd: nothing is sent.
    pub fn none() -> Notifier {
        Notifier { socket: None }
    }

    pub fn from_env() -> Notifier {
        Notifier {
            socket: std::env::var("NOTIFY_SOCKET")
                .ok()
                .filter(|s| !s.is_empty()),
        }
    }

    pub fn notify(&self, state: &str) {
        if let Some(s) = &self.socket
            && let Err(e) = send(s, state)
        {
            tracing::warn!(socket = %s, error = %e, "cannot notify systemd");
        }
    }

    pub fn ready(&self) {
        self.notify("READY=1\nSTATUS=watching AWS credentials");
    }

    pub fn reloading(&self) {
        self.notify(&format!("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
    }

    pub fn stopping(&self) {
        self.notify("STOPPING=1");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_reach_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        send(path.to_str().unwrap(), "READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        assert!(monotonic_usec() > 0);
    }
}
