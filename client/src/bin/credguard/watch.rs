//! `credguard watch [--json|--waybar] [--ascii] [--profile P]`: a live feed for status
//! bars and editors. One line per change of any verdict, pushed by the daemon (first the
//! current state); when the daemon goes away, one `aws:?` line, then reconnection with
//! backoff (100 ms doubling to 5 s), and the full state again once it is back. A closed
//! stdout ends it quietly, also while nothing is printed: its reader is looked at every
//! [`LOOK`] (a status bar that exits takes its feed with it).

use credguard_client::badge::NEUTRAL_MARK;
use credguard_client::paths::{process_env, socket_path};
use credguard_client::proto::{
    self, FrameReader, MAX_FRAME, Request, Response, WatchFormat, WatchQuery,
};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

const FIRST_RETRY: Duration = Duration::from_millis(100);
/// How often an idle feed looks whether its reader is still there.
const LOOK: Duration = Duration::from_secs(2);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// The options; `Err` says what is wrong with them.
pub fn parse(args: &[String]) -> Result<WatchQuery, String> {
    let mut q = WatchQuery::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => q.format = WatchFormat::Json,
            "--waybar" => q.format = WatchFormat::Waybar,
            "--ascii" => q.ascii = true,
            "--profile" => match it.next() {
                Some(p) => q.profile = Some(p.clone()),
                None => return Err("--profile needs a profile name".into()),
            },
            s if s.starts_with("--profile=") => q.profile = Some(s["--profile=".len()..].into()),
            other => return Err(format!("unknown argument {other} for watch")),
        }
    }
    Ok(q)
}

/// Runs until stdout is closed; returns the exit code.
pub fn run(q: &WatchQuery) -> i32 {
    let path = socket_path(&process_env);
    let req = proto::encode_request(&Request::Watch(q.clone()));
    let mut wait = FIRST_RETRY;
    let mut said_down = false;
    loop {
        match follow(&path, &req) {
            Feed::Closed => return 0,
            Feed::StdoutGone => return 1,
            Feed::Lines => {
                wait = FIRST_RETRY;
                said_down = false;
            }
            Feed::NoDaemon => {}
        }
        if !said_down {
            if !print(&down_line(q)) {
                return 1;
            }
            said_down = true;
        }
        if credguard_client::stdout_gone() {
            return 1;
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(LAST_RETRY);
    }
}

enum Feed {
    /// The daemon could not be reached, or refused.
    NoDaemon,
    /// Lines came, then the daemon went away.
    Lines,
    /// The daemon said this feed is over for good (an error answer).
    Closed,
    /// Our reader is gone.
    StdoutGone,
}

/// One connection's feed, printed as it comes.
fn follow(path: &std::path::Path, req: &[u8]) -> Feed {
    let Ok(mut stream) = UnixStream::connect(path) else {
        return Feed::NoDaemon;
    };
    if proto::write_frame(&mut stream, req).is_err() {
        return Feed::NoDaemon;
    }
    let mut got = false;
    if stream.set_read_timeout(Some(LOOK)).is_err() {
        return Feed::NoDaemon;
    }
    loop {
        let frame = match next_frame(&mut stream) {
            Next::Frame(f) => f,
            Next::ReaderGone => return Feed::StdoutGone,
            Next::Ended => return if got { Feed::Lines } else { Feed::NoDaemon },
        };
        match proto::decode_response(&frame) {
            Ok(Response::Event { line }) => {
                got = true;
                if !print(&line) {
                    return Feed::StdoutGone;
                }
            }
            Ok(Response::Error { message }) => {
                let _ = writeln!(std::io::stderr(), "credguard: {message}");
                return Feed::Closed;
            }
            Ok(Response::VersionMismatch { .. }) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "credguard: the running credguardd speaks another protocol; restart it"
                );
                return Feed::Closed;
            }
            _ => return if got { Feed::Lines } else { Feed::NoDaemon },
        }
    }
}

enum Next {
    Frame(Vec<u8>),
    /// The connection ended or broke.
    Ended,
    /// Our stdout's reader went away while we waited.
    ReaderGone,
}

/// The next frame, looking at stdout every [`LOOK`] while none comes (the read timeout).
fn next_frame(stream: &mut UnixStream) -> Next {
    let mut frame = FrameReader::new(MAX_FRAME);
    while let Some(buf) = frame.buf() {
        match stream.read(buf) {
            Ok(n) => {
                if frame.filled(n).is_err() {
                    return Next::Ended;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if credguard_client::stdout_gone() {
                    return Next::ReaderGone;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Next::Ended,
        }
    }
    Next::Frame(frame.into_payload())
}

/// What a status bar shows while no daemon answers.
fn down_line(q: &WatchQuery) -> String {
    match q.format {
        WatchFormat::Text => NEUTRAL_MARK.to_string(),
        WatchFormat::Json => "{\"daemon\":null}".to_string(),
        WatchFormat::Waybar => format!(
            "{{\"text\":\"{NEUTRAL_MARK}\",\"class\":\"unknown\",\"tooltip\":\"credguardd is not running\"}}"
        ),
    }
}

/// One line on stdout, flushed (a status bar reads line by line); false when it is gone.
fn print(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let q = parse(&s(&["--json", "--profile", "prod"])).unwrap_or_default();
        assert_eq!(
            (q.format, q.profile.as_deref()),
            (WatchFormat::Json, Some("prod"))
        );
        let q = parse(&s(&["--waybar", "--ascii", "--profile=dev"])).unwrap_or_default();
        assert_eq!(
            (q.format, q.ascii, q.profile.as_deref()),
            (WatchFormat::Waybar, true, Some("dev"))
        );
        assert_eq!(
            parse(&s(&["--profile"])),
            Err("--profile needs a profile name".into())
        );
        assert_eq!(
            parse(&s(&["--bogus"])),
            Err("unknown argument --bogus for watch".into())
        );
    }

    #[test]
    fn the_down_line_is_valid_json_for_json_readers() {
        for f in [WatchFormat::Json, WatchFormat::Waybar] {
            let l = down_line(&WatchQuery {
                format: f,
                ..WatchQuery::default()
            });
            assert!(l.starts_with('{') && l.ends_with('}'), "{l}");
        }
        assert_eq!(down_line(&WatchQuery::default()), NEUTRAL_MARK);
    }
}
