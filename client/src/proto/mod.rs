//! The wire protocol between `credguard` and `credguardd`.
//!
//! One request and one response per connection, but for [`Request::Watch`]: the daemon
//! answers it with a [`Response::Event`] per change for as long as the client reads. Each message is a frame: a 4-byte
//! big-endian payload length, then the payload. The payload is UTF-8 text, one field per
//! line, `key=value\n`; values are escaped (`\\` for a backslash, `\n` for a newline,
//! `\r` for a carriage return) so that no value can break the framing. The first line is
//! always `v=<protocol version>`, the second `t=<message type>`. Unknown keys are ignored
//! (a newer peer may add fields); an unknown type is an error. A payload whose version is
//! not [`PROTOCOL_VERSION`] decodes to [`ProtoError::Version`] so that the daemon can
//! answer [`Response::VersionMismatch`] and the client can tell the user to restart it.
//!
//! Here: the message types and errors. `frame.rs`: framing (both sides' only copy);
//! `text.rs`: the `key=value` payload; `messages.rs`: the fields of each message.

use std::fmt;
use std::io;
use std::str::FromStr;

mod frame;
mod messages;
mod text;

pub use frame::{FrameReader, encode_frame, frame_len, read_frame, write_frame};
pub use messages::{decode_request, decode_response, encode_request, encode_response};

/// The protocol this build speaks. Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest payload either side sends, and the client accepts (1 MiB: a report).
pub const MAX_FRAME: usize = 1 << 20;

/// The largest request the daemon accepts (requests are small; this bounds the memory a
/// connection can take).
pub const MAX_REQUEST: usize = 64 * 1024;

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
    /// The profile the shell selects (`AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`): the tools
    /// send env credentials with its region, `endpoint_url` and `[services]` settings.
    pub profile: Option<String>,
    /// `AWS_SECURITY_TOKEN` (not empty): botocore reads it before `AWS_SESSION_TOKEN`, the
    /// SDKs not at all. (A client older than this field sent it as `session_token` when
    /// `AWS_SESSION_TOKEN` was not set.)
    pub security_token: Option<String>,
    /// `AWS_PROFILE` and `AWS_DEFAULT_PROFILE` as set (even empty): each tool selects its
    /// profile from them in its own way.
    pub aws_profile: Option<String>,
    pub aws_default_profile: Option<String>,
}

impl EnvCredentials {
    /// The token some tool sends: `AWS_SESSION_TOKEN`, else `AWS_SECURITY_TOKEN`.
    pub fn token(&self) -> Option<&str> {
        self.session_token
            .as_deref()
            .or(self.security_token.as_deref())
    }
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
            .field("profile", &self.profile)
            .field("security_token", &hidden(&self.security_token))
            .field("aws_profile", &self.aws_profile)
            .field("aws_default_profile", &self.aws_default_profile)
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

/// How far `check` may go to validate: one choice, so that no pair of flags can
/// contradict itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validation {
    /// No network: diagnose the files only (`--offline`).
    Offline,
    /// Ask STS only where no cached verdict is fresh (the default).
    #[default]
    Cached,
    /// Ignore cached verdicts, ask STS again (`--fresh`).
    Fresh,
}

/// What a [`Response::Badge`] is about, also sent so that hooks can colour it. On the
/// wire it is the `state` field's text ([`BadgeState::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeState {
    /// The verdict states of DESIGN.md's contract.
    Ok,
    Expiring,
    Expired,
    Invalid,
    Unknown,
    Skipped,
    /// Not validated yet: a first verdict is pending.
    Checking,
    /// Nothing to say: the shell names no profile and there is no default.
    None,
    /// The shell's environment credentials are unknown to the daemon: the client should
    /// send them ([`Request::SubmitEnv`]).
    NeedEnv,
    /// The answer to [`Request::SubmitEnv`]: queued for validation.
    Submitted,
}

impl BadgeState {
    const ALL: [BadgeState; 10] = [
        BadgeState::Ok,
        BadgeState::Expiring,
        BadgeState::Expired,
        BadgeState::Invalid,
        BadgeState::Unknown,
        BadgeState::Skipped,
        BadgeState::Checking,
        BadgeState::None,
        BadgeState::NeedEnv,
        BadgeState::Submitted,
    ];

    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            BadgeState::Ok => "ok",
            BadgeState::Expiring => "expiring",
            BadgeState::Expired => "expired",
            BadgeState::Invalid => "invalid",
            BadgeState::Unknown => "unknown",
            BadgeState::Skipped => "skipped",
            BadgeState::Checking => "checking",
            BadgeState::None => "none",
            BadgeState::NeedEnv => "need-env",
            BadgeState::Submitted => "submitted",
        }
    }
}

impl FromStr for BadgeState {
    type Err = ProtoError;

    fn from_str(s: &str) -> Result<Self, ProtoError> {
        BadgeState::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| ProtoError::Malformed(format!("unknown badge state {:?}", shorten(s))))
    }
}

/// Client to daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Is a daemon there, and which version.
    Ping,
    /// The badge for a shell's prompt.
    Prompt(PromptQuery),
    /// The cached verdicts of every profile.
    Status { json: bool },
    /// The full human report: only `profile` when given; else every profile, led by
    /// `shell_profile`, the one the asking shell uses (absent from older clients). `env`:
    /// the asking shell's environment credentials, judged as the one-shot check judges them
    /// (the `(env)` entry, `env-overrides-profile`).
    Doctor {
        profile: Option<String>,
        shell_profile: Option<String>,
        env: Option<EnvCredentials>,
    },
    /// Diagnose and validate now (`env` as for [`Request::Doctor`]).
    Check {
        profile: Option<String>,
        json: bool,
        validation: Validation,
        env: Option<EnvCredentials>,
    },
    /// Re-read the config and the AWS files.
    Reload,
    /// Environment credentials to validate in the background.
    SubmitEnv(EnvCredentials),
    /// A live feed: the current state, then a line for every change, until the client
    /// hangs up.
    Watch(WatchQuery),
}

/// What `credguard watch` subscribes to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WatchQuery {
    /// One profile, else every profile.
    pub profile: Option<String>,
    pub format: WatchFormat,
    /// Badges in plain ASCII.
    pub ascii: bool,
}

/// How each line of a feed is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchFormat {
    /// The badge text (`aws:prod ✗ expired`; for a profile that is fine: empty with
    /// `--profile`, else `aws:<profile> ok`).
    #[default]
    Text,
    /// The verdict contract's profile object, one JSON object per line.
    Json,
    /// waybar's custom-module JSON: `{"text", "class", "tooltip"}`.
    Waybar,
}

impl WatchFormat {
    pub const ALL: [WatchFormat; 3] = [WatchFormat::Text, WatchFormat::Json, WatchFormat::Waybar];

    pub fn as_str(self) -> &'static str {
        match self {
            WatchFormat::Text => "text",
            WatchFormat::Json => "json",
            WatchFormat::Waybar => "waybar",
        }
    }
}

impl FromStr for WatchFormat {
    type Err = ProtoError;

    fn from_str(s: &str) -> Result<Self, ProtoError> {
        WatchFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| ProtoError::Malformed(format!("unknown watch format {:?}", shorten(s))))
    }
}

/// Daemon to client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Answer to [`Request::Ping`].
    Pong { daemon_version: String },
    /// The prompt badge; `text` is empty when all is well.
    Badge { text: String, state: BadgeState },
    /// A report to print, and the exit code to leave with.
    Text { body: String, exit_code: i32 },
    /// The request could not be served.
    Error { message: String },
    /// The request spoke another protocol version than the daemon's.
    VersionMismatch { daemon_protocol: u32 },
    /// One line of a [`Request::Watch`] feed.
    Event { line: String },
}

/// `s` cut to at most 64 bytes (on a character boundary), to quote a peer's text in an
/// error without echoing a megabyte of it.
fn shorten(s: &str) -> &str {
    let mut cut = s.len().min(64);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn env_credentials_debug_shows_no_secret() {
        let c = EnvCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
            expiration: Some("2026-11-22T10:00:00Z".into()),
            region: Some("eu-west-1".into()),
            profile: Some("dev".into()),
            security_token: Some("FwoGZXIvYXdzEXAMPLETOKEN".into()),
            ..EnvCredentials::default()
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

    #[test]
    fn badge_states_have_one_wire_name_each() {
        for s in BadgeState::ALL {
            assert_eq!(s.as_str().parse::<BadgeState>().unwrap(), s);
        }
        let names: std::collections::BTreeSet<_> =
            BadgeState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), BadgeState::ALL.len());
        let err = "need_env".parse::<BadgeState>().unwrap_err();
        assert!(err.to_string().contains("need_env"), "{err}");
        assert!("".parse::<BadgeState>().is_err());
        assert!("OK".parse::<BadgeState>().is_err());
    }
}
