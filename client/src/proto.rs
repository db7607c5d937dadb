//! The wire protocol between `credguard` and `credguardd`.
//!
//! One request and one response per connection. Each message is a frame: a 4-byte
//! big-endian payload length, then the payload. The payload is UTF-8 text, one field per
//! line, `key=value\n`; values are escaped (`\\` for a backslash, `\n` for a newline,
//! `\r` for a carriage return) so that no value can break the framing. The first line is
//! always `v=<protocol version>`, the second `t=<message type>`. Unknown keys are ignored
//! (a newer peer may add fields); an unknown type is an error. A payload whose version is
//! not [`PROTOCOL_VERSION`] decodes to [`ProtoError::Version`] so that the daemon can
//! answer [`Response::VersionMismatch`] and the client can tell the user to restart it.

use std::fmt;
use std::io::{self, Read, Write};

/// The protocol this build speaks. Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest payload either side accepts or sends (1 MiB).
pub const MAX_FRAME: usize = 1 << 20;

/// What the prompt hook asks for on every prompt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PromptQuery {
    /// `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, of the shell that asks.
    pub profile: Option<String>,
    /// Fingerprint of the credentials in the shell's environment, if any.
    pub env_fingerprint: Option<String>,
    /// Badge in plain ASCII (no `✗`, `⚠`…).
    pub ascii: bool,
}

/// Credentials found in a shell's environment, submitted for validation.
///
/// Its `Debug` never shows the secret or the token, and masks the key id.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EnvCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub expiration: Option<String>,
    pub region: Option<String>,
}

impl fmt::Debug for EnvCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "<hidden>");
        f.debug_struct("EnvCredentials")
            .field("access_key_id", &mask_key_id(&self.access_key_id))
            .field("secret_access_key", &"<hidden>")
            .field("session_token", &hidden(&self.session_token))
            .field("expiration", &self.expiration)
            .field("region", &self.region)
            .finish()
    }
}

/// A key id as it may be shown: first 4 and last 4 characters (`AKIA…SIBF`); ids shorter
/// than 12 characters show nothing but `…`.
pub fn mask_key_id(id: &str) -> String {
    let n = id.chars().count();
    if n < 12 {
        return "…".to_string();
    }
    let head: String = id.chars().take(4).collect();
    let tail: String = id.chars().skip(n - 4).collect();
    format!("{head}…{tail}")
}

/// Client to daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Ping,
    Prompt(PromptQuery),
    Status {
        json: bool,
    },
    Doctor {
        profile: Option<String>,
    },
    Check {
        profile: Option<String>,
        json: bool,
        offline: bool,
        fresh: bool,
    },
    Reload,
    /// The cached verdict for environment credentials with this fingerprint.
    EnvVerdict {
        fingerprint: String,
    },
    SubmitEnv(EnvCredentials),
}

/// Daemon to client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Pong {
        daemon_version: String,
    },
    /// The prompt badge; `text` is empty when all is well.
    Badge {
        text: String,
        state: String,
    },
    /// A report to print, and the exit code to leave with.
    Text {
        body: String,
        exit_code: i32,
    },
    /// Answer to [`Request::EnvVerdict`]; `state` is `"none"` for an unknown fingerprint.
    Verdict {
        state: String,
    },
    Error {
        message: String,
    },
    /// The request spoke another protocol version than the daemon's.
    VersionMismatch {
        daemon_protocol: u32,
    },
}

/// Why a frame or payload could not be read.
#[derive(Debug)]
pub enum ProtoError {
    /// Reading or writing the stream failed.
    Io(io::Error),
    /// The peer closed the connection before sending any byte of a frame.
    Closed,
    /// The stream ended inside a frame.
    Truncated { expected: usize, got: usize },
    /// The length prefix announces more than the limit.
    TooLarge { len: u64, max: usize },
    /// The payload is not UTF-8.
    NotUtf8,
    /// The payload is not `key=value` lines, or a value is bad.
    Malformed(String),
    /// The payload speaks another protocol version.
    Version(u32),
    /// The message type is not one this build knows.
    UnknownType(String),
    /// A field the message type requires is absent.
    MissingField {
        kind: &'static str,
        key: &'static str,
    },
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::Io(e) => write!(f, "i/o error on the credguard socket: {e}"),
            ProtoError::Closed => write!(f, "the peer closed the connection without a message"),
            ProtoError::Truncated { expected, got } => write!(
                f,
                "truncated frame: expected {expected} bytes, the stream ended after {got}"
            ),
            ProtoError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max} bytes")
            }
            ProtoError::NotUtf8 => write!(f, "message is not valid UTF-8"),
            ProtoError::Malformed(why) => write!(f, "malformed message: {why}"),
            ProtoError::Version(n) => write!(
                f,
                "protocol version mismatch: this side speaks {PROTOCOL_VERSION}, the peer {n}"
            ),
            ProtoError::UnknownType(t) => write!(f, "unknown message type {t:?}"),
            ProtoError::MissingField { kind, key } => {
                write!(f, "message {kind:?} lacks its {key:?} field")
            }
        }
    }
}

impl std::error::Error for ProtoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProtoError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ProtoError {
    fn from(e: io::Error) -> Self {
        ProtoError::Io(e)
    }
}

// ---------------------------------------------------------------------------------------
// framing

/// The frame for `payload`: 4-byte big-endian length, then the payload. Fails for a
/// payload over [`MAX_FRAME`]. For async writers that cannot use [`write_frame`].
pub fn encode_frame(payload: &[u8]) -> Result<Vec<u8>, ProtoError> {
    let len = check_len(payload)?;
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// The payload length announced by a frame header, if it is at most `max`. For async
/// readers that cannot use [`read_frame`]: read 4 bytes, call this, then read that many.
pub fn frame_len(header: [u8; 4], max: usize) -> Result<usize, ProtoError> {
    let len = u32::from_be_bytes(header);
    match usize::try_from(len) {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ProtoError::TooLarge {
            len: u64::from(len),
            max,
        }),
    }
}

fn check_len(payload: &[u8]) -> Result<u32, ProtoError> {
    match u32::try_from(payload.len()) {
        Ok(n) if payload.len() <= MAX_FRAME => Ok(n),
        _ => Err(ProtoError::TooLarge {
            len: payload.len() as u64,
            max: MAX_FRAME,
        }),
    }
}

/// Writes one frame (header and payload in one write) and flushes. Fails for a payload
/// over [`MAX_FRAME`] without writing anything.
pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> Result<(), ProtoError> {
    let frame = encode_frame(payload)?;
    w.write_all(&frame)?;
    w.flush()?;
    Ok(())
}

/// Reads one frame's payload. A length over `max` is rejected before anything is
/// allocated; a stream that ends early is [`ProtoError::Truncated`] (or
/// [`ProtoError::Closed`] when it ends before the first byte).
pub fn read_frame(r: &mut impl Read, max: usize) -> Result<Vec<u8>, ProtoError> {
    let mut header = [0u8; 4];
    let got = read_full(r, &mut header)?;
    if got == 0 {
        return Err(ProtoError::Closed);
    }
    if got < header.len() {
        return Err(ProtoError::Truncated { expected: 4, got });
    }
    let len = frame_len(header, max)?;
    let mut payload = vec![0u8; len];
    let got = read_full(r, &mut payload)?;
    if got < len {
        return Err(ProtoError::Truncated { expected: len, got });
    }
    Ok(payload)
}

/// Fills `buf` as far as the stream goes; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, ProtoError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ProtoError::Io(e)),
        }
    }
    Ok(got)
}

// ---------------------------------------------------------------------------------------
// payload text

/// Builds a payload: `v=` and `t=` first, then the fields in order.
struct Writer(String);

impl Writer {
    fn new(kind: &str) -> Self {
        let mut w = Writer(String::with_capacity(64));
        w.field("v", &PROTOCOL_VERSION.to_string());
        w.field("t", kind);
        w
    }

    fn field(&mut self, key: &str, value: &str) {
        self.0.push_str(key);
        self.0.push('=');
        for c in value.chars() {
            match c {
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                c => self.0.push(c),
            }
        }
        self.0.push('\n');
    }

    fn opt(&mut self, key: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.field(key, v);
        }
    }

    fn flag(&mut self, key: &str, value: bool) {
        self.field(key, if value { "1" } else { "0" });
    }

    fn finish(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

fn unescape(raw: &str) -> Result<String, ProtoError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                return Err(ProtoError::Malformed(format!(
                    "unknown escape \\{}",
                    other.escape_default()
                )));
            }
            None => {
                return Err(ProtoError::Malformed(
                    "value ends in a lone backslash".into(),
                ));
            }
        }
    }
    Ok(out)
}

/// A decoded payload: its type and its fields (version already checked).
struct Fields {
    kind: String,
    fields: Vec<(String, String)>,
}

impl Fields {
    fn parse(payload: &[u8]) -> Result<Self, ProtoError> {
        let text = std::str::from_utf8(payload).map_err(|_| ProtoError::NotUtf8)?;
        let body = text.strip_suffix('\n').ok_or_else(|| {
            ProtoError::Malformed(if text.is_empty() {
                "empty message".into()
            } else {
                "the last line is not terminated".into()
            })
        })?;
        let mut lines = body.split('\n');
        let mut next_pair = |what: &str| -> Result<Option<(String, String)>, ProtoError> {
            let Some(line) = lines.next() else {
                return Ok(None);
            };
            let (k, v) = line.split_once('=').ok_or_else(|| {
                ProtoError::Malformed(format!("{what}: a line without '=' ({} bytes)", line.len()))
            })?;
            if k.is_empty() {
                return Err(ProtoError::Malformed(format!(
                    "{what}: a line with an empty key"
                )));
            }
            Ok(Some((k.to_string(), unescape(v)?)))
        };
        match next_pair("first line")? {
            Some((k, v)) if k == "v" => {
                let n: u32 = v
                    .parse()
                    .map_err(|_| ProtoError::Malformed(format!("bad version {v:?}")))?;
                if n != PROTOCOL_VERSION {
                    return Err(ProtoError::Version(n));
                }
            }
            _ => {
                return Err(ProtoError::Malformed(
                    "the first line is not v=<version>".into(),
                ));
            }
        }
        let kind = match next_pair("second line")? {
            Some((k, v)) if k == "t" => v,
            _ => {
                return Err(ProtoError::Malformed(
                    "the second line is not t=<type>".into(),
                ));
            }
        };
        let mut fields: Vec<(String, String)> = Vec::new();
        while let Some((k, v)) = next_pair("field")? {
            if k == "v" || k == "t" || fields.iter().any(|(seen, _)| *seen == k) {
                return Err(ProtoError::Malformed(format!("field {k:?} appears twice")));
            }
            fields.push((k, v));
        }
        Ok(Fields { kind, fields })
    }

    fn kind(&self) -> &'static str {
        // only used in error messages, after the type was matched
        KINDS
            .iter()
            .find(|k| **k == self.kind)
            .copied()
            .unwrap_or("?")
    }

    fn take(&mut self, key: &str) -> Option<String> {
        let i = self.fields.iter().position(|(k, _)| k == key)?;
        Some(self.fields.swap_remove(i).1)
    }

    fn req(&mut self, key: &'static str) -> Result<String, ProtoError> {
        let kind = self.kind();
        self.take(key).ok_or(ProtoError::MissingField { kind, key })
    }

    /// An absent flag is false (a peer that predates it never sets it).
    fn flag(&mut self, key: &str) -> Result<bool, ProtoError> {
        match self.take(key).as_deref() {
            None | Some("0") => Ok(false),
            Some("1") => Ok(true),
            Some(other) => Err(ProtoError::Malformed(format!(
                "field {key:?} must be 0 or 1, not {other:?}"
            ))),
        }
    }

    fn number<T: std::str::FromStr>(&mut self, key: &'static str) -> Result<T, ProtoError> {
        let v = self.req(key)?;
        v.parse()
            .map_err(|_| ProtoError::Malformed(format!("field {key:?} is not a number: {v:?}")))
    }
}

const KINDS: &[&str] = &[
    "ping",
    "prompt",
    "status",
    "doctor",
    "check",
    "reload",
    "env-verdict",
    "submit-env",
    "pong",
    "badge",
    "text",
    "verdict",
    "error",
    "version-mismatch",
];

/// The payload (without frame header) of a request.
pub fn encode_request(req: &Request) -> Vec<u8> {
    match req {
        Request::Ping => Writer::new("ping").finish(),
        Request::Prompt(q) => {
            let mut w = Writer::new("prompt");
            w.opt("profile", &q.profile);
            w.opt("env_fingerprint", &q.env_fingerprint);
            w.flag("ascii", q.ascii);
            w.finish()
        }
        Request::Status { json } => {
            let mut w = Writer::new("status");
            w.flag("json", *json);
            w.finish()
        }
        Request::Doctor { profile } => {
            let mut w = Writer::new("doctor");
            w.opt("profile", profile);
            w.finish()
        }
        Request::Check {
            profile,
            json,
            offline,
            fresh,
        } => {
            let mut w = Writer::new("check");
            w.opt("profile", profile);
            w.flag("json", *json);
            w.flag("offline", *offline);
            w.flag("fresh", *fresh);
            w.finish()
        }
        Request::Reload => Writer::new("reload").finish(),
        Request::EnvVerdict { fingerprint } => {
            let mut w = Writer::new("env-verdict");
            w.field("fingerprint", fingerprint);
            w.finish()
        }
        Request::SubmitEnv(c) => {
            let mut w = Writer::new("submit-env");
            w.field("access_key_id", &c.access_key_id);
            w.field("secret_access_key", &c.secret_access_key);
            w.opt("session_token", &c.session_token);
            w.opt("expiration", &c.expiration);
            w.opt("region", &c.region);
            w.finish()
        }
    }
}

/// A request from its payload (without frame header).
pub fn decode_request(payload: &[u8]) -> Result<Request, ProtoError> {
    let mut f = Fields::parse(payload)?;
    Ok(match f.kind.as_str() {
        "ping" => Request::Ping,
        "prompt" => Request::Prompt(PromptQuery {
            profile: f.take("profile"),
            env_fingerprint: f.take("env_fingerprint"),
            ascii: f.flag("ascii")?,
        }),
        "status" => Request::Status {
            json: f.flag("json")?,
        },
        "doctor" => Request::Doctor {
            profile: f.take("profile"),
        },
        "check" => Request::Check {
            profile: f.take("profile"),
            json: f.flag("json")?,
            offline: f.flag("offline")?,
            fresh: f.flag("fresh")?,
        },
        "reload" => Request::Reload,
        "env-verdict" => Request::EnvVerdict {
            fingerprint: f.req("fingerprint")?,
        },
        "submit-env" => Request::SubmitEnv(EnvCredentials {
            access_key_id: f.req("access_key_id")?,
            secret_access_key: f.req("secret_access_key")?,
            session_token: f.take("session_token"),
            expiration: f.take("expiration"),
            region: f.take("region"),
        }),
        _ => return Err(unknown_type(f.kind)),
    })
}

/// The payload (without frame header) of a response.
pub fn encode_response(resp: &Response) -> Vec<u8> {
    match resp {
        Response::Pong { daemon_version } => {
            let mut w = Writer::new("pong");
            w.field("daemon_version", daemon_version);
            w.finish()
        }
        Response::Badge { text, state } => {
            let mut w = Writer::new("badge");
            w.field("text", text);
            w.field("state", state);
            w.finish()
        }
        Response::Text { body, exit_code } => {
            let mut w = Writer::new("text");
            w.field("body", body);
            w.field("exit_code", &exit_code.to_string());
            w.finish()
        }
        Response::Verdict { state } => {
            let mut w = Writer::new("verdict");
            w.field("state", state);
            w.finish()
        }
        Response::Error { message } => {
            let mut w = Writer::new("error");
            w.field("message", message);
            w.finish()
        }
        Response::VersionMismatch { daemon_protocol } => {
            let mut w = Writer::new("version-mismatch");
            w.field("daemon_protocol", &daemon_protocol.to_string());
            w.finish()
        }
    }
}

/// A response from its payload (without frame header).
pub fn decode_response(payload: &[u8]) -> Result<Response, ProtoError> {
    let mut f = Fields::parse(payload)?;
    Ok(match f.kind.as_str() {
        "pong" => Response::Pong {
            daemon_version: f.req("daemon_version")?,
        },
        "badge" => Response::Badge {
            text: f.req("text")?,
            state: f.req("state")?,
        },
        "text" => Response::Text {
            body: f.req("body")?,
            exit_code: f.number("exit_code")?,
        },
        "verdict" => Response::Verdict {
            state: f.req("state")?,
        },
        "error" => Response::Error {
            message: f.req("message")?,
        },
        "version-mismatch" => Response::VersionMismatch {
            daemon_protocol: f.number("daemon_protocol")?,
        },
        _ => return Err(unknown_type(f.kind)),
    })
}

fn unknown_type(mut kind: String) -> ProtoError {
    if kind.len() > 64 {
        let mut cut = 64;
        while !kind.is_char_boundary(cut) {
            cut -= 1;
        }
        kind.truncate(cut);
    }
    ProtoError::UnknownType(kind)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NASTY: &str = "a=b\nc\\d\re\\n ünïcødé ✗ \u{a0}\u{200b}=\\\\\n\n";

    fn all_requests() -> Vec<Request> {
        vec![
            Request::Ping,
            Request::Prompt(PromptQuery::default()),
            Request::Prompt(PromptQuery {
                profile: Some(NASTY.into()),
                env_fingerprint: Some("ab12=cd".into()),
                ascii: true,
            }),
            Request::Prompt(PromptQuery {
                profile: Some(String::new()),
                env_fingerprint: None,
                ascii: false,
            }),
            Request::Status { json: false },
            Request::Status { json: true },
            Request::Doctor { profile: None },
            Request::Doctor {
                profile: Some(NASTY.into()),
            },
            Request::Check {
                profile: None,
                json: false,
                offline: false,
                fresh: false,
            },
            Request::Check {
                profile: Some("prod\\eu".into()),
                json: true,
                offline: true,
                fresh: true,
            },
            Request::Reload,
            Request::EnvVerdict {
                fingerprint: NASTY.into(),
            },
            Request::SubmitEnv(EnvCredentials {
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                session_token: None,
                expiration: None,
                region: None,
            }),
            Request::SubmitEnv(EnvCredentials {
                access_key_id: NASTY.into(),
                secret_access_key: "s=e\\c\nr\re✗t".into(),
                session_token: Some("tok\nen==".into()),
                expiration: Some("2026-11-22T10:00:00Z".into()),
                region: Some("eu-west-1".into()),
            }),
        ]
    }

    fn all_responses() -> Vec<Response> {
        vec![
            Response::Pong {
                daemon_version: "0.1.0".into(),
            },
            Response::Badge {
                text: String::new(),
                state: "ok".into(),
            },
            Response::Badge {
                text: "aws:prod ✗ invalid key".into(),
                state: "invalid".into(),
            },
            Response::Text {
                body: NASTY.into(),
                exit_code: 0,
            },
            Response::Text {
                body: String::new(),
                exit_code: -1,
            },
            Response::Text {
                body: "x".into(),
                exit_code: i32::MAX,
            },
            Response::Verdict {
                state: "none".into(),
            },
            Response::Error {
                message: NASTY.into(),
            },
            Response::VersionMismatch { daemon_protocol: 1 },
            Response::VersionMismatch {
                daemon_protocol: u32::MAX,
            },
        ]
    }

    #[test]
    fn every_request_round_trips_through_a_frame() {
        for req in all_requests() {
            let mut wire = Vec::new();
            write_frame(&mut wire, &encode_request(&req)).unwrap();
            let payload = read_frame(&mut wire.as_slice(), MAX_FRAME).unwrap();
            assert_eq!(decode_request(&payload).unwrap(), req);
        }
    }

    #[test]
    fn every_response_round_trips_through_a_frame() {
        for resp in all_responses() {
            let mut wire = Vec::new();
            write_frame(&mut wire, &encode_response(&resp)).unwrap();
            let payload = read_frame(&mut wire.as_slice(), MAX_FRAME).unwrap();
            assert_eq!(decode_response(&payload).unwrap(), resp);
        }
    }

    #[test]
    fn payload_shape_is_one_field_per_line_version_then_type() {
        let p = encode_request(&Request::Doctor {
            profile: Some("a\nb\\c\rd=e".into()),
        });
        let text = String::from_utf8(p).unwrap();
        assert_eq!(text, "v=1\nt=doctor\nprofile=a\\nb\\\\c\\rd=e\n");
        for req in all_requests() {
            let text = String::from_utf8(encode_request(&req)).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], "v=1");
            assert!(lines[1].starts_with("t="));
            assert!(!text.contains('\r'));
        }
    }

    #[test]
    fn requests_and_responses_do_not_decode_as_each_other() {
        let p = encode_request(&Request::Ping);
        assert!(matches!(decode_response(&p), Err(ProtoError::UnknownType(t)) if t == "ping"));
        let p = encode_response(&Response::Verdict { state: "ok".into() });
        assert!(matches!(
            decode_request(&p),
            Err(ProtoError::UnknownType(_))
        ));
    }

    #[test]
    fn unknown_keys_are_ignored_unknown_types_are_not() {
        let p = b"v=1\nt=check\nprofile=x\nfuture_field=whatever\njson=1\n";
        assert_eq!(
            decode_request(p).unwrap(),
            Request::Check {
                profile: Some("x".into()),
                json: true,
                offline: false,
                fresh: false,
            }
        );
        let err = decode_request(b"v=1\nt=launch-missiles\n").unwrap_err();
        assert!(matches!(&err, ProtoError::UnknownType(t) if t == "launch-missiles"));
        assert!(err.to_string().contains("launch-missiles"));
    }

    #[test]
    fn other_versions_are_reported_with_their_number() {
        let err = decode_request(b"v=2\nt=ping\n").unwrap_err();
        assert!(matches!(err, ProtoError::Version(2)));
        assert!(err.to_string().contains('2'));
        // even when the rest of the payload is something this build cannot read
        assert!(matches!(
            decode_response(b"v=7\nt=new-thing\nx\n"),
            Err(ProtoError::Version(7))
        ));
        assert!(matches!(
            decode_response(b"v=0\n"),
            Err(ProtoError::Version(0))
        ));
    }

    #[test]
    fn garbage_payloads_are_errors() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n",
            b"v=1",
            b"v=1\nt=ping",
            b"v=1\n",
            b"t=ping\nv=1\n",
            b"v=one\nt=ping\n",
            b"v=\nt=ping\n",
            b"v=1\nt=ping\nnoequals\n",
            b"v=1\nt=ping\n\n",
            b"v=1\nt=ping\n=x\n",
            b"v=1\nt=doctor\nprofile=a\\x\n",
            b"v=1\nt=doctor\nprofile=a\\\n",
            b"v=1\nt=doctor\nprofile=a\nprofile=b\n",
            b"v=1\nt=ping\nt=pong\n",
            b"v=1\nt=status\njson=yes\n",
            b"v=1\nt=text\nbody=x\nexit_code=zero\n",
            b"v=1\nt=text\nbody=x\n",
            b"v=1\nt=env-verdict\n",
            b"v=1\nt=submit-env\naccess_key_id=AKIA\n",
            b"v=1\nt=badge\ntext=\xff\xfe\nstate=ok\n",
            b"\x00\x01\x02\x03",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        ];
        for c in cases {
            assert!(decode_request(c).is_err(), "{c:?} decoded as a request");
            assert!(decode_response(c).is_err(), "{c:?} decoded as a response");
        }
        let long_type = format!("v=1\nt={}\n", "é".repeat(1000));
        match decode_request(long_type.as_bytes()) {
            Err(ProtoError::UnknownType(t)) => assert!(t.len() <= 64),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_required_fields_are_named() {
        let err = decode_response(b"v=1\nt=badge\ntext=x\n").unwrap_err();
        assert!(matches!(
            err,
            ProtoError::MissingField {
                kind: "badge",
                key: "state"
            }
        ));
        assert!(err.to_string().contains("state"));
    }

    #[test]
    fn truncated_frames_are_errors() {
        let mut wire = Vec::new();
        write_frame(&mut wire, &encode_request(&Request::Status { json: true })).unwrap();
        assert!(matches!(
            read_frame(&mut &wire[..0], MAX_FRAME),
            Err(ProtoError::Closed)
        ));
        for cut in 1..wire.len() {
            let err = read_frame(&mut &wire[..cut], MAX_FRAME).unwrap_err();
            assert!(matches!(err, ProtoError::Truncated { .. }), "{cut}: {err}");
        }
        assert!(read_frame(&mut wire.as_slice(), MAX_FRAME).is_ok());
    }

    /// A reader that would hand out endless bytes: proves nothing is read (or allocated
    /// for) past an oversized header.
    struct Endless {
        header: [u8; 4],
        pos: usize,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(self.pos < 4, "read past the header of an oversized frame");
            let n = (4 - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.header[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn oversized_length_prefix_is_rejected_before_reading_the_body() {
        let mut r = Endless {
            header: [0xFF; 4],
            pos: 0,
        };
        let err = read_frame(&mut r, MAX_FRAME).unwrap_err();
        assert!(matches!(
            err,
            ProtoError::TooLarge {
                len: 0xFFFF_FFFF,
                max: MAX_FRAME
            }
        ));
        assert!(err.to_string().contains("4294967295"));
        // one byte over a small limit
        let mut r = Endless {
            header: 11u32.to_be_bytes(),
            pos: 0,
        };
        assert!(matches!(
            read_frame(&mut r, 10),
            Err(ProtoError::TooLarge { len: 11, max: 10 })
        ));
        // exactly at the limit is fine
        let mut wire = 10u32.to_be_bytes().to_vec();
        wire.extend_from_slice(b"0123456789");
        assert_eq!(read_frame(&mut wire.as_slice(), 10).unwrap(), b"0123456789");
        assert_eq!(frame_len([0, 0, 0, 10], 10).unwrap(), 10);
    }

    #[test]
    fn oversized_payloads_are_not_written() {
        let big = vec![b'x'; MAX_FRAME + 1];
        let mut wire = Vec::new();
        assert!(matches!(
            write_frame(&mut wire, &big),
            Err(ProtoError::TooLarge { .. })
        ));
        assert!(wire.is_empty());
        assert!(encode_frame(&big[..MAX_FRAME]).is_ok());
    }

    #[test]
    fn io_errors_are_reported_not_panicked() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
            }
        }
        let err = read_frame(&mut Broken, MAX_FRAME).unwrap_err();
        assert!(matches!(err, ProtoError::Io(_)));
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn env_credentials_debug_shows_no_secret() {
        let c = EnvCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
            expiration: Some("2026-11-22T10:00:00Z".into()),
            region: Some("eu-west-1".into()),
        };
        for shown in [format!("{c:?}"), format!("{c:#?}"), {
            format!("{:?}", Request::SubmitEnv(c.clone()))
        }] {
            assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
            assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
            assert!(!shown.contains("FwoGZXIvYXdz"), "{shown}");
            assert!(!shown.contains("EXAMPLETOKEN"), "{shown}");
            assert!(!shown.contains("AKIAIOSFODNN7EXAMPLE"), "{shown}");
            assert!(shown.contains("AKIA…MPLE"), "{shown}");
            assert!(shown.contains("eu-west-1"), "{shown}");
        }
    }

    #[test]
    fn key_ids_are_masked() {
        assert_eq!(mask_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(mask_key_id("AKIA12345678"), "AKIA…5678");
        assert_eq!(mask_key_id("AKIA1234567"), "…");
        assert_eq!(mask_key_id(""), "…");
        assert_eq!(mask_key_id("ÄKIAIOSFODNN7EXAMPLÉ"), "ÄKIA…MPLÉ");
    }
}
