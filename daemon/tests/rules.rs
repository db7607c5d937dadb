//! The prompt client and the daemon apply the same credential rules: for every code point
//! placed in each credential variable, and for each shape mistake, the client's offline
//! judgement of the environment is the badge reason the daemon's diagnosis gives.
#![allow(clippy::unwrap_used)]

use credguard::aws::files;
use credguard::config::Config;
use credguard::diagnose;
use credguard::report::badge::reason;
use credguard::verdict::{Code, Severity};
use credguard::world::World;
use credguard_client::EnvCredentials;
use credguard_client::envcreds::offline_problem;
use std::collections::BTreeSet;
use time::macros::datetime;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const TEMP_KEY: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLETOKEN0123456789";

/// Both judges, over a HOME without AWS files (only the environment is judged).
struct Judges {
    home: tempfile::TempDir,
    loaded: files::Loaded,
    config: Config,
}

/// What each side says about one environment: the client's offline reason and the
/// daemon's badge reason for its first error, plus whether the daemon saw a hidden char.
#[derive(Debug)]
struct Answers {
    client: Option<&'static str>,
    daemon: Option<&'static str>,
    daemon_hidden: bool,
}

impl Judges {
    fn new() -> Judges {
        let home = tempfile::tempdir().unwrap();
        let world = World::new([("HOME", home.path().to_str().unwrap())], now());
        let loaded = files::load(&world);
        Judges {
            home,
            loaded,
            config: Config::default(),
        }
    }

    fn judge(&self, key: &str, secret: &str, token: Option<&str>) -> Answers {
        let client = offline_problem(&EnvCredentials {
            access_key_id: key.into(),
            secret_access_key: secret.into(),
            session_token: token.map(str::to_string),
            ..Default::default()
        });
        let mut vars = vec![
            ("HOME", self.home.path().to_str().unwrap()),
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ];
        vars.extend(token.map(|t| ("AWS_SESSION_TOKEN", t)));
        let world = World::new(vars, now());
        let diag = diagnose::diagnose_env(&world, &self.loaded, &self.config).unwrap();
        let problems = &diag.verdict.problems;
        Answers {
            client,
            daemon: problems
                .iter()
                .find(|p| p.severity == Severity::Error)
                .map(|p| reason(p.code)),
            daemon_hidden: problems.iter().any(|p| p.code == Code::HiddenCharacter),
        }
    }
}

fn now() -> time::OffsetDateTime {
    datetime!(2026-11-22 10:00:00 UTC)
}

/// `value` with `c` in its middle.
fn with_char(value: &str, c: char) -> String {
    let mut s = value.to_string();
    s.insert(value.len() / 2, c);
    s
}

#[test]
fn client_and_daemon_flag_the_same_code_points() {
    let judges = Judges::new();
    let points = (0..=0x3000)
        .chain([0xFEFF, 0xFFFD, 0x1D173, 0x1F600, 0xE0001, 0xE0020, 0x10FFFD])
        .filter_map(char::from_u32);
    let mut disagreements = Vec::new();
    let mut flagged: BTreeSet<u32> = BTreeSet::new();
    let mut checked = 0;
    for c in points {
        for (var, answers) in [
            ("key id", judges.judge(&with_char(KEY, c), SECRET, None)),
            ("secret", judges.judge(KEY, &with_char(SECRET, c), None)),
            (
                "token",
                judges.judge(TEMP_KEY, SECRET, Some(&with_char(TOKEN, c))),
            ),
        ] {
            checked += 1;
            let client_hidden = answers.client == Some("hidden char");
            if client_hidden != answers.daemon_hidden || answers.client != answers.daemon {
                disagreements.push(format!("U+{:04X} in the {var}: {answers:?}", c as u32));
            }
            if answers.daemon_hidden {
                flagged.insert(c as u32);
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {:#?}",
        disagreements.len(),
        &disagreements[..disagreements.len().min(20)]
    );
    assert!(checked > 3 * 0x3000, "{checked}");
    // the set itself: what DESIGN.md's hidden-character row lists, and nothing visible
    for must in [
        0x00, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x27, 0x60, 0x7F, 0x85, 0xA0, 0xAD, 0x2007, 0x200B,
        0x200F, 0x2018, 0x2019, 0x201C, 0x201D, 0x2028, 0x202F, 0x2060, 0x2061, 0x2064, 0x3000,
        0xFEFF,
    ] {
        assert!(flagged.contains(&must), "U+{must:04X} is not flagged");
    }
    for visible in [
        'A' as u32, 'z' as u32, '0' as u32, '/' as u32, '+' as u32, 0xE9, 0x2010, 0x2065, 0x1F600,
    ] {
        assert!(!flagged.contains(&visible), "U+{visible:04X} is flagged");
    }
}

#[test]
fn client_and_daemon_give_the_same_reason_for_shape_mistakes() {
    let judges = Judges::new();
    let swapped_secret = KEY;
    for (key, secret, token, want) in [
        (KEY, SECRET, None, None),
        (TEMP_KEY, SECRET, Some(TOKEN), None),
        (KEY, "", None, Some("partial env")),
        ("", SECRET, None, Some("partial env")),
        ("AIDAIOSFODNN7EXAMPLE", SECRET, None, Some("bad key id")),
        ("akiaiosfodnn7example", SECRET, None, Some("bad key id")),
        ("AKIAIOSFODNN7", SECRET, None, Some("bad key id")),
        ("AXYZIOSFODNN7EXAMPLE", SECRET, None, Some("bad key id")),
        (KEY, &SECRET[1..], None, Some("bad secret")),
        (KEY, swapped_secret, None, Some("bad secret")),
        (TEMP_KEY, SECRET, None, Some("no session token")),
        (KEY, SECRET, Some(TOKEN), Some("stray token")),
        ("AKIAIOSFODNN7EXAMPLE ", SECRET, None, Some("hidden char")),
        (" AIDAIOSFODNN7EXAMPLE", SECRET, None, Some("hidden char")),
    ] {
        let answers = judges.judge(key, secret, token);
        assert_eq!(answers.client, want, "{key} {secret:.4}…: {answers:?}");
        assert_eq!(answers.daemon, want, "{key} {secret:.4}…: {answers:?}");
    }
}
