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
        Request::Doctor { profile, env } => {
            let mut w = Writer::new("doctor");
            w.opt("profile", profile);
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
mod tests {
    use super::*;
    use crate::proto::{BadgeState, MAX_FRAME, WatchFormat, read_frame, write_frame};

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
            Request::Doctor {
                profile: None,
                env: None,
            },
            Request::Doctor {
                profile: Some(NASTY.into()),
                env: Some(EnvCredentials {
                    access_key_id: NASTY.into(),
                    secret_access_key: "s=e\\c\nr\re✗t".into(),
                    session_token: Some("tok\nen==".into()),
                    expiration: None,
                    region: Some("eu-west-1".into()),
                    profile: Some(String::new()),
                }),
            },
            Request::Check {
                profile: None,
                json: false,
                validation: Validation::Cached,
                env: None,
            },
            Request::Check {
                profile: Some("prod\\eu".into()),
                json: true,
                validation: Validation::Offline,
                env: None,
            },
            Request::Check {
                profile: Some(NASTY.into()),
                json: false,
                validation: Validation::Fresh,
                env: None,
            },
            Request::Reload,
            Request::SubmitEnv(EnvCredentials {
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                session_token: None,
                expiration: None,
                region: None,
                profile: None,
            }),
            Request::SubmitEnv(EnvCredentials {
                access_key_id: NASTY.into(),
                secret_access_key: "s=e\\c\nr\re✗t".into(),
                session_token: Some("tok\nen==".into()),
                expiration: Some("2026-11-22T10:00:00Z".into()),
                region: Some("eu-west-1".into()),
                profile: Some(NASTY.into()),
            }),
            Request::Watch(WatchQuery::default()),
            Request::Watch(WatchQuery {
                profile: Some(NASTY.into()),
                format: WatchFormat::Waybar,
                ascii: true,
            }),
            Request::Watch(WatchQuery {
                profile: None,
                format: WatchFormat::Json,
                ascii: false,
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
                state: BadgeState::Ok,
            },
            Response::Badge {
                text: "aws:prod ✗ invalid key".into(),
                state: BadgeState::Invalid,
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
            Response::Badge {
                text: String::new(),
                state: BadgeState::NeedEnv,
            },
            Response::Badge {
                text: "aws:env … checking".into(),
                state: BadgeState::Checking,
            },
            Response::Error {
                message: NASTY.into(),
            },
            Response::VersionMismatch { daemon_protocol: 1 },
            Response::VersionMismatch {
                daemon_protocol: u32::MAX,
            },
            Response::Event { line: NASTY.into() },
            Response::Event {
                line: String::new(),
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
            env: None,
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
        let p = encode_response(&Response::Badge {
            text: String::new(),
            state: BadgeState::Ok,
        });
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
                validation: Validation::Cached,
                env: None,
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

    /// One malformed payload per message type: each is refused, with an error that says
    /// what is wrong.
    #[test]
    fn every_kind_has_a_malformed_example_that_is_refused() {
        let requests: &[(&str, &[u8], &str)] = &[
            ("ping", b"v=1\nt=ping\nnoequals\n", "without '='"),
            ("prompt", b"v=1\nt=prompt\nascii=2\n", "ascii"),
            ("status", b"v=1\nt=status\njson=yes\n", "json"),
            ("doctor", b"v=1\nt=doctor\nprofile=a\\q\n", "escape"),
            ("check", b"v=1\nt=check\noffline=1\nfresh=1\n", "together"),
            ("check", b"v=1\nt=check\nfresh=2\n", "fresh"),
            ("reload", b"v=1\nt=reload\nx=1\nx=2\n", "twice"),
            (
                "submit-env",
                b"v=1\nt=submit-env\nsecret_access_key=s\n",
                "access_key_id",
            ),
            ("watch", b"v=1\nt=watch\nformat=xml\n", "xml"),
        ];
        let responses: &[(&str, &[u8], &str)] = &[
            ("pong", b"v=1\nt=pong\n", "daemon_version"),
            ("badge", b"v=1\nt=badge\ntext=x\nstate=on-fire\n", "on-fire"),
            ("text", b"v=1\nt=text\nbody=x\nexit_code=1.5\n", "exit_code"),
            ("error", b"v=1\nt=error\n", "message"),
            (
                "version-mismatch",
                b"v=1\nt=version-mismatch\ndaemon_protocol=-1\n",
                "daemon_protocol",
            ),
            ("event", b"v=1\nt=event\n", "line"),
        ];
        for (kind, payload, says) in requests {
            let err = decode_request(payload).unwrap_err();
            assert!(err.to_string().contains(says), "{kind}: {err}");
        }
        for (kind, payload, says) in responses {
            let err = decode_response(payload).unwrap_err();
            assert!(err.to_string().contains(says), "{kind}: {err}");
        }
        let mut covered: Vec<&str> = requests.iter().chain(responses).map(|c| c.0).collect();
        covered.dedup();
        assert_eq!(covered, KINDS, "a message type without a malformed example");
    }

    /// The wire stays what protocol 1 peers (older clients, the zsh hook) send and read.
    #[test]
    fn the_wire_is_protocol_1_as_before() {
        let check = |validation| {
            String::from_utf8(encode_request(&Request::Check {
                profile: None,
                json: false,
                validation,
                env: None,
            }))
            .unwrap()
        };
        assert_eq!(
            check(Validation::Offline),
            "v=1\nt=check\njson=0\noffline=1\nfresh=0\n"
        );
        assert_eq!(
            check(Validation::Fresh),
            "v=1\nt=check\njson=0\noffline=0\nfresh=1\n"
        );
        assert_eq!(
            check(Validation::Cached),
            "v=1\nt=check\njson=0\noffline=0\nfresh=0\n"
        );
        // a peer that predates the flags, and what the zsh hook sends
        assert_eq!(
            decode_request(b"v=1\nt=check\n").unwrap(),
            Request::Check {
                profile: None,
                json: false,
                validation: Validation::Cached,
                env: None,
            }
        );
        assert_eq!(
            decode_request(b"v=1\nt=prompt\nprofile=dev\nascii=0\n").unwrap(),
            Request::Prompt(PromptQuery {
                profile: Some("dev".into()),
                env_fingerprint: None,
                ascii: false
            })
        );
        let badge = encode_response(&Response::Badge {
            text: "aws:dev ✗ expired".into(),
            state: BadgeState::NeedEnv,
        });
        assert_eq!(
            String::from_utf8(badge).unwrap(),
            "v=1\nt=badge\ntext=aws:dev ✗ expired\nstate=need-env\n"
        );
    }
}
