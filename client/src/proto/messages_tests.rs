//! The messages' tests: every request and response round trips, malformed payloads are
//! refused with an error that says why, and the wire stays protocol 1.

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
            shell_profile: None,
            env: None,
        },
        Request::Doctor {
            profile: Some(NASTY.into()),
            shell_profile: Some("dev ".into()),
            env: Some(EnvCredentials {
                access_key_id: NASTY.into(),
                secret_access_key: "s=e\\c\nr\re✗t".into(),
                session_token: Some("tok\nen==".into()),
                expiration: None,
                region: Some("eu-west-1".into()),
                profile: Some(String::new()),
                security_token: Some("old\ntok".into()),
                aws_profile: Some(String::new()),
                aws_default_profile: Some(NASTY.into()),
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
            ..EnvCredentials::default()
        }),
        Request::SubmitEnv(EnvCredentials {
            access_key_id: NASTY.into(),
            secret_access_key: "s=e\\c\nr\re✗t".into(),
            session_token: Some("tok\nen==".into()),
            expiration: Some("2026-11-22T10:00:00Z".into()),
            region: Some("eu-west-1".into()),
            profile: Some(NASTY.into()),
            security_token: Some("tok\nen==".into()),
            aws_profile: None,
            aws_default_profile: Some(String::new()),
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
        shell_profile: None,
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
