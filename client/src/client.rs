//! One request, one response, over the daemon's Unix socket, bounded by a deadline.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::proto::{
    self, MAX_FRAME, PROTOCOL_VERSION, ProtoError, Request, Response, decode_response,
    encode_request,
};

/// Why no answer came back.
#[derive(Debug)]
pub enum ClientError {
    /// Nothing listens on the socket (no such file, or connection refused).
    NoDaemon,
    /// The daemon did not answer within the deadline.
    Timeout,
    /// The answer could not be read.
    Protocol(ProtoError),
    /// The daemon speaks this other protocol version.
    VersionMismatch(u32),
    /// Any other I/O failure (for example permission denied on the socket).
    Io(io::Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NoDaemon => write!(f, "the daemon is not running"),
            ClientError::Timeout => write!(f, "the daemon did not answer in time"),
            ClientError::Protocol(e) => write!(f, "bad answer from the daemon: {e}"),
            ClientError::VersionMismatch(n) => write!(
                f,
                "client protocol {PROTOCOL_VERSION}, daemon protocol {n}: restart the daemon (systemctl --user restart credguard)"
            ),
            ClientError::Io(e) => write!(f, "cannot talk to the daemon: {e}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Protocol(e) => Some(e),
            ClientError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ProtoError> for ClientError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::Version(n) => ClientError::VersionMismatch(n),
            ProtoError::Io(e) => io_error(e),
            e => ClientError::Protocol(e),
        }
    }
}

fn io_error(e: io::Error) -> ClientError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::Timeout,
        _ => ClientError::Io(e),
    }
}

/// Sends `req` to the daemon at `path` and returns its answer.
///
/// The whole exchange (connect, write, read) is bounded by `deadline`, even when the
/// daemon hangs, its backlog is full, it trickles its answer or the path is a dead file.
/// The connect never waits (see `sys`); the write and the read run here, each system
/// call given the time that is left.
/// A [`Response::VersionMismatch`] answer is returned as [`ClientError::VersionMismatch`].
pub fn exchange(path: &Path, req: &Request, deadline: Duration) -> Result<Response, ClientError> {
    let end = Instant::now() + deadline;
    let payload = encode_request(req);
    let stream = connect_within(path, deadline)?;
    let mut bounded = Bounded {
        stream: &stream,
        end,
    };
    proto::write_frame(&mut bounded, &payload)?;
    let answer = proto::read_frame(&mut bounded, MAX_FRAME)?;
    match decode_response(&answer)? {
        Response::VersionMismatch { daemon_protocol } => {
            Err(ClientError::VersionMismatch(daemon_protocol))
        }
        r => Ok(r),
    }
}

/// Connect without waiting: a full backlog (a hung daemon) is a timeout at once.
#[cfg(target_os = "linux")]
fn connect_within(path: &Path, _deadline: Duration) -> Result<UnixStream, ClientError> {
    crate::sys::connect_now(path).map_err(connect_error)
}

fn connect_error(e: io::Error) -> ClientError {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => ClientError::NoDaemon,
        _ => io_error(e),
    }
}

/// Elsewhere: connect on a helper thread that does nothing else, waiting at most
/// `deadline`.
#[cfg(not(target_os = "linux"))]
fn connect_within(path: &Path, deadline: Duration) -> Result<UnixStream, ClientError> {
    use std::sync::mpsc;
    let path = path.to_path_buf();
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            // the receiver may be gone (deadline passed): nothing to do then
            let _ = tx.send(UnixStream::connect(&path));
        })
        .map_err(ClientError::Io)?;
    match rx.recv_timeout(deadline) {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(connect_error(e)),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(ClientError::Timeout),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(ClientError::Io(io::Error::other(
            "the connect thread ended without an answer",
        ))),
    }
}

/// The socket, each read and write bounded by what is left of the deadline.
struct Bounded<'a> {
    stream: &'a UnixStream,
    end: Instant,
}

impl Bounded<'_> {
    fn left(&self) -> io::Result<Duration> {
        let left = self.end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        // a zero timeout means "none" to the kernel: at least a millisecond
        Ok(left.max(Duration::from_millis(1)))
    }
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.left()?))?;
        (&mut &*self.stream).read(buf)
    }
}

impl Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.left()?))?;
        (&mut &*self.stream).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::proto::{
        BadgeState, PromptQuery, Validation, decode_request, encode_response, read_frame,
        write_frame,
    };
    use std::io::Write;
    use std::os::unix::net::UnixListener;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> Self {
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "credguard-client-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const LONG: Duration = Duration::from_secs(10);

    /// A daemon that answers one connection with `answer(request)`.
    fn fake_daemon(
        listener: UnixListener,
        answer: impl FnOnce(Result<Request, ProtoError>) -> Vec<u8> + Send + 'static,
    ) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let req = read_frame(&mut s, MAX_FRAME).and_then(|p| decode_request(&p));
            let reply = answer(req);
            let _ = s.write_all(&reply);
        })
    }

    fn framed(resp: &Response) -> Vec<u8> {
        let mut v = Vec::new();
        write_frame(&mut v, &encode_response(resp)).unwrap();
        v
    }

    #[test]
    fn answers_from_a_responding_daemon() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let daemon = fake_daemon(listener, |req| {
            let text = match req.unwrap() {
                Request::Prompt(q) => format!("aws:{} ✗", q.profile.unwrap_or_default()),
                other => format!("unexpected {other:?}"),
            };
            framed(&Response::Badge {
                text,
                state: BadgeState::Invalid,
            })
        });
        let req = Request::Prompt(PromptQuery {
            profile: Some("prod".into()),
            env_fingerprint: None,
            ascii: false,
        });
        assert_eq!(
            exchange(&sock, &req, LONG).unwrap(),
            Response::Badge {
                text: "aws:prod ✗".into(),
                state: BadgeState::Invalid
            }
        );
        daemon.join().unwrap();
    }

    #[test]
    fn a_daemon_that_never_answers_times_out() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let daemon = std::thread::spawn(move || {
            let (_s, _) = listener.accept().unwrap();
            // hold the connection open, never answer, until the test is over
            let _ = done_rx.recv();
        });
        let err = exchange(&sock, &Request::Ping, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, ClientError::Timeout), "{err:?}");
        done_tx.send(()).unwrap();
        daemon.join().unwrap();
    }

    #[test]
    fn a_listener_that_never_accepts_times_out() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        let _listener = UnixListener::bind(&sock).unwrap();
        let err = exchange(&sock, &Request::Ping, Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, ClientError::Timeout), "{err:?}");
    }

    #[test]
    fn no_socket_is_no_daemon() {
        let dir = TempDir::new();
        let err = exchange(&dir.0.join("absent.sock"), &Request::Ping, LONG).unwrap_err();
        assert!(matches!(err, ClientError::NoDaemon), "{err:?}");
        let err = exchange(&dir.0.join("no/such/dir.sock"), &Request::Ping, LONG).unwrap_err();
        assert!(matches!(err, ClientError::NoDaemon), "{err:?}");
    }

    #[test]
    fn a_stale_socket_file_is_no_daemon() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        drop(UnixListener::bind(&sock).unwrap());
        assert!(sock.exists());
        let err = exchange(&sock, &Request::Ping, LONG).unwrap_err();
        assert!(matches!(err, ClientError::NoDaemon), "{err:?}");
    }

    #[test]
    fn a_regular_file_is_no_daemon() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        std::fs::write(&sock, "not a socket").unwrap();
        let err = exchange(&sock, &Request::Ping, LONG).unwrap_err();
        assert!(matches!(err, ClientError::NoDaemon), "{err:?}");
    }

    #[test]
    fn version_mismatch_answers_and_payloads_are_reported() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let d = fake_daemon(listener, |_| {
            framed(&Response::VersionMismatch { daemon_protocol: 3 })
        });
        let err = exchange(&sock, &Request::Ping, LONG).unwrap_err();
        assert!(matches!(err, ClientError::VersionMismatch(3)), "{err:?}");
        assert!(
            err.to_string()
                .contains("client protocol 1, daemon protocol 3")
        );
        assert!(
            err.to_string()
                .contains("systemctl --user restart credguard")
        );
        d.join().unwrap();

        let _ = std::fs::remove_file(&sock);
        let listener = UnixListener::bind(&sock).unwrap();
        let d = fake_daemon(listener, |_| {
            let mut v = Vec::new();
            write_frame(&mut v, b"v=2\nt=something-new\n").unwrap();
            v
        });
        let err = exchange(&sock, &Request::Ping, LONG).unwrap_err();
        assert!(matches!(err, ClientError::VersionMismatch(2)), "{err:?}");
        d.join().unwrap();
    }

    #[test]
    fn garbage_truncation_and_hangups_are_protocol_errors() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0, 0],
            vec![0xFF, 0xFF, 0xFF, 0xFF],
            vec![0, 0, 0, 9, b'v', b'='],
            {
                let mut v = Vec::new();
                write_frame(&mut v, b"HTTP/1.1 400 Bad Request\r\n").unwrap();
                v
            },
        ];
        for reply in cases {
            let _ = std::fs::remove_file(&sock);
            let listener = UnixListener::bind(&sock).unwrap();
            let shown = format!("{reply:?}");
            let d = fake_daemon(listener, move |_| reply);
            let err = exchange(&sock, &Request::Ping, LONG).unwrap_err();
            assert!(matches!(err, ClientError::Protocol(_)), "{shown}: {err:?}");
            d.join().unwrap();
        }
    }

    #[test]
    fn the_daemon_sees_the_request_as_sent() {
        let dir = TempDir::new();
        let sock = dir.0.join("d.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let req = Request::Check {
            profile: Some("a\nb".into()),
            json: true,
            validation: Validation::Fresh,
            env: None,
        };
        let expected = req.clone();
        let d = fake_daemon(listener, move |got| {
            let ok = got.unwrap() == expected;
            framed(&Response::Text {
                body: format!("{ok}"),
                exit_code: 3,
            })
        });
        assert_eq!(
            exchange(&sock, &req, LONG).unwrap(),
            Response::Text {
                body: "true".into(),
                exit_code: 3
            }
        );
        d.join().unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_backlog_is_a_timeout_at_once_not_a_wait() {
        let dir = TempDir::new();
        let path = dir.0.join("d.sock");
        let _listener = UnixListener::bind(&path).unwrap();
        // nobody accepts: fill the backlog
        let mut held = Vec::new();
        loop {
            match crate::sys::connect_now(&path) {
                Ok(s) => held.push(s),
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
                    break;
                }
            }
            assert!(held.len() < 100_000, "the backlog never filled");
        }
        let start = Instant::now();
        let r = exchange(&path, &Request::Ping, Duration::from_secs(60));
        assert!(matches!(r, Err(ClientError::Timeout)), "{r:?}");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "answered without waiting for the deadline"
        );
    }
}
