//! The messages on the wire: which fields each request and response has, and how typed
//! values ([`Validation`], [`BadgeState`], numbers, flags) are spelled in them.
//!
//! `check` carries its [`Validation`] as two flags, `offline=0|1` and `fresh=0|1`, as
//! protocol 1 always has; both set is refused (it used to mean "offline", silently).

use super::text::{Fields, Writer};
use super::{EnvCredentials, PromptQuery, ProtoError, Request, Response, Validation, WatchQuery};

/// Every message type this build knows (named in errors).
pub(super) const KINDS: &[&str] = &[
    "ping",
    "prompt",
    "status",
    "doctor",
    "check",
    "reload",
    "submit-env",
    "watch",
    "pong",
    "badge",
    "text",
    "error",
    "version-mismatch",
    "event",
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
        Request::Doctor {
            profile,
            shell_profile,
            env,
        } => {
            let mut w = Writer::new("doctor");
            w.opt("profile", profile);
            w.opt("shell_profile", shell_profile);
            put_env(&mut w, env);
            w.finish()
        }
        Request::Check {
            profile,
            json,
            validation,
            env,
        } => {
            let mut w = Writer::new("check");
            w.opt("profile", profile);
            put_env(&mut w, env);
            w.flag("json", *json);
            w.flag("offline", *validation == Validation::Offline);
            w.flag("fresh", *validation == Validation::Fresh);
            w.finish()
        }
        Request::Reload => Writer::new("reload").finish(),
        Request::SubmitEnv(c) => {
            let mut w = Writer::new("submit-env");
            w.field("access_key_id", &c.access_key_id);
            w.field("secret_access_key", &c.secret_access_key);
            w.opt("session_token", &c.session_token);
            w.opt("expiration", &c.expiration);
            w.opt("region", &c.region);
            w.opt("profile", &c.profile);
            put_raw_env(&mut w, c, "");
            w.finish()
        }
        Request::Watch(q) => {
            let mut w = Writer::new("watch");
            w.opt("profile", &q.profile);
            w.field("format", q.format.as_str());
            w.flag("ascii", q.ascii);
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
            shell_profile: f.take("shell_profile"),
            env: take_env(&mut f),
        },
        "check" => Request::Check {
            profile: f.take("profile"),
            json: f.flag("json")?,
            validation: validation(&mut f)?,
            env: take_env(&mut f),
        },
        "reload" => Request::Reload,
        "submit-env" => Request::SubmitEnv(EnvCredentials {
            access_key_id: f.req("access_key_id")?,
            secret_access_key: f.req("secret_access_key")?,
            session_token: f.take("session_token"),
            expiration: f.take("expiration"),
            region: f.take("region"),
            profile: f.take("profile"),
            ..take_raw_env(&mut f, "")
        }),
        "watch" => Request::Watch(WatchQuery {
            profile: f.take("profile"),
            format: f.take("format").as_deref().unwrap_or("text").parse()?,
            ascii: f.flag("ascii")?,
        }),
        _ => return Err(unknown_type(&f.kind)),
    })
}

/// A shell's environment credentials inside a `check` or `doctor` request: `env_*` fields,
/// present when either half of the key pair is.
fn put_env(w: &mut Writer, env: &Option<EnvCredentials>) {
    let Some(c) = env else { return };
    w.field("env_access_key_id", &c.access_key_id);
    w.field("env_secret_access_key", &c.secret_access_key);
    w.opt("env_session_token", &c.session_token);
    w.opt("env_expiration", &c.expiration);
    w.opt("env_region", &c.region);
    w.opt("env_profile", &c.profile);
    put_raw_env(w, c, "env_");
}

/// What tells the readers apart (issue 17): the legacy token variable and the two profile
/// variables as set, under `prefix`.
fn put_raw_env(w: &mut Writer, c: &EnvCredentials, prefix: &str) {
    w.opt(&format!("{prefix}security_token"), &c.security_token);
    w.opt(&format!("{prefix}aws_profile"), &c.aws_profile);
    w.opt(
        &format!("{prefix}aws_default_profile"),
        &c.aws_default_profile,
    );
}

/// The fields of [`put_raw_env`]; an older client sends none of them.
fn take_raw_env(f: &mut Fields, prefix: &str) -> EnvCredentials {
    EnvCredentials {
        security_token: f.take(&format!("{prefix}security_token")),
        aws_profile: f.take(&format!("{prefix}aws_profile")),
        aws_default_profile: f.take(&format!("{prefix}aws_default_profile")),
        ..EnvCredentials::default()
    }
}

fn take_env(f: &mut Fields) -> Option<EnvCredentials> {
    let key = f.take("env_access_key_id");
    let secret = f.take("env_secret_access_key");
    if key.is_none() && secret.is_none() {
        return None;
    }
    Some(EnvCredentials {
        access_key_id: key.unwrap_or_default(),
        secret_access_key: secret.unwrap_or_default(),
        session_token: f.take("env_session_token"),
        expiration: f.take("env_expiration"),
        region: f.take("env_region"),
        profile: f.take("env_profile"),
        ..take_raw_env(f, "env_")
    })
}

fn validation(f: &mut Fields) -> Result<Validation, ProtoError> {
    match (f.flag("offline")?, f.flag("fresh")?) {
        (false, false) => Ok(Validation::Cached),
        (true, false) => Ok(Validation::Offline),
        (false, true) => Ok(Validation::Fresh),
        (true, true) => Err(ProtoError::Malformed(
            "offline=1 and fresh=1 together: a check is offline, cached or fresh".into(),
        )),
    }
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
            w.field("state", state.as_str());
            w.finish()
        }
        Response::Text { body, exit_code } => {
            let mut w = Writer::new("text");
            w.field("body", body);
            w.field("exit_code", &exit_code.to_string());
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
        Response::Event { line } => {
            let mut w = Writer::new("event");
            w.field("line", line);
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
            state: f.req("state")?.parse()?,
        },
        "text" => Response::Text {
            body: f.req("body")?,
            exit_code: f.number("exit_code")?,
        },
        "error" => Response::Error {
            message: f.req("message")?,
        },
        "version-mismatch" => Response::VersionMismatch {
            daemon_protocol: f.number("daemon_protocol")?,
        },
        "event" => Response::Event {
            line: f.req("line")?,
        },
        _ => return Err(unknown_type(&f.kind)),
    })
}

fn unknown_type(kind: &str) -> ProtoError {
    ProtoError::UnknownType(super::shorten(kind).to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "messages_tests.rs"]
mod tests;
