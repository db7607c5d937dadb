//! The human reports (`check`, `status`, `doctor`) of one mixed set of profiles, colour
//! off and on, compared with the snapshots in `tests/fixtures/report/` (the coloured ones
//! with ESC written as `\e` so that they can be read and reviewed for alignment).
//! `CREDGUARD_BLESS=1` rewrites the snapshots from the renderer.
#![allow(clippy::unwrap_used)]

use credguard::report::render::{Style, View, report};
use credguard::verdict::{Code, Identity, Problem, ProfileVerdict, Report, SourceKind, State};
use std::path::Path;

fn profile(name: &str, state: State, source: SourceKind, problems: Vec<Problem>) -> ProfileVerdict {
    ProfileVerdict {
        profile: name.into(),
        state,
        source,
        key_id: None,
        identity: None,
        account: None,
        expected_account: None,
        tools: Default::default(),
        judging: Default::default(),
        expires_at: None,
        problems,
    }
}

/// Eight profiles: every state, a shared network fault, a hostile name.
fn mixed() -> Report {
    let mut ok = profile("default", State::Ok, SourceKind::Static, vec![]);
    ok.key_id = Some("AKIA…E001".into());
    ok.identity = Some(Identity {
        account: "111122223333".into(),
        arn: "arn:aws:iam::111122223333:user/alice".into(),
    });
    let mut nbsp = profile(
        "prod-admin",
        State::Invalid,
        SourceKind::Static,
        vec![Problem::error(
            Code::HiddenCharacter,
            Some("~/.aws/credentials:5:41".into()),
            "aws_access_key_id ends with U+00A0 NO-BREAK SPACE",
            "delete the character after …E002 on line 5",
        )],
    );
    nbsp.key_id = Some("AKIA…E002".into());
    let mut temp = profile(
        "temp",
        State::Expiring,
        SourceKind::Session,
        vec![Problem::warning(
            Code::Expiring,
            Some("~/.aws/credentials:9".into()),
            "the session expires in 9 minutes",
            "get new credentials before 10:15 (`aws sso login`, or your role script)",
        )],
    );
    temp.expires_at = Some("2026-11-22T10:15:00Z".into());
    let expired = profile(
        "old",
        State::Expired,
        SourceKind::Sso,
        vec![Problem::error(
            Code::SsoLoginRequired,
            None,
            "the SSO token expired at 09:00",
            "aws sso login --profile old",
        )],
    );
    let offline = |name: &str| {
        profile(
            name,
            State::Unknown,
            SourceKind::Static,
            vec![Problem::info(
                Code::Network,
                None,
                "could not validate: cannot reach STS: connection refused",
                "check the network, the proxy and the STS endpoint, then run `credguard check` again (a running credguardd also retries by itself, with backoff)",
            )],
        )
    };
    let skipped = profile("tool", State::Skipped, SourceKind::Process, vec![]);
    Report {
        sts_calls: None,
        version: 1,
        checked_at: "2026-11-22T10:06:00Z".into(),
        clock_skew_seconds: None,
        profiles: vec![
            ok,
            offline("ci"),
            offline("ci-eu-west-1"),
            expired,
            nbsp,
            temp,
            skipped,
            profile("evil\u{1b}[2J", State::Ok, SourceKind::Static, vec![]),
        ],
    }
}

fn snapshot(name: &str, got: &str) {
    let got = got.replace('\x1b', "\\e");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/report")
        .join(name);
    if std::env::var_os("CREDGUARD_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(got, want, "{name} differs from {}:\n{got}", path.display());
}

#[test]
fn reports_match_their_snapshots() {
    let r = mixed();
    let views = [
        ("check", View::Check),
        ("status", View::Status),
        (
            "doctor",
            View::Doctor {
                shell_profile: Some("temp"),
            },
        ),
    ];
    for (name, view) in views {
        for color in [false, true] {
            let text = report(&r, view, &Style { color });
            let file = format!("{name}{}.txt", if color { "-color" } else { "" });
            snapshot(&file, &text);
            // the only escapes are the renderer's own colours
            assert!(!text.contains("\x1b[2J"), "{text}");
            if !color {
                assert!(!text.contains('\x1b'), "{text}");
            }
        }
    }
}

#[test]
fn a_shared_cause_is_said_once_with_a_fix_for_the_command() {
    let r = mixed();
    let check = report(&r, View::Check, &Style { color: false });
    let status = report(&r, View::Status, &Style { color: false });
    for text in [&check, &status] {
        assert_eq!(text.matches("connection refused").count(), 1, "{text}");
        assert!(
            !text.contains("then run `credguard check` again (a running"),
            "{text}"
        );
    }
    assert!(
        check.contains("then run `credguard check` again"),
        "{check}"
    );
    assert!(!check.contains("backoff"), "{check}");
    assert!(
        status.contains("credguardd tries again with backoff"),
        "{status}"
    );
}

#[test]
fn doctor_leads_with_the_shells_profile_then_groups() {
    let text = report(
        &mixed(),
        View::Doctor {
            shell_profile: Some("temp"),
        },
        &Style { color: false },
    );
    let at = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing: {text}"))
    };
    assert!(text.starts_with("Used by this shell\ntemp "), "{text}");
    assert!(at("Broken (2)") < at("Not validated (2)"), "{text}");
    assert!(at("Not validated (2)") < at("Fine (3)"), "{text}");
    assert!(
        text.contains("first: temp (expiring): get new credentials"),
        "{text}"
    );
}
