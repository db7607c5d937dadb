//! Every problem located where the user must edit, every fix that removes its problem
//! (issue 16): a fixture per fault of the lines (tab-indented properties, CR-only line
//! ends, an indented comment, an empty session token, a wrapped token, a hidden character
//! in a key's name) and per online rejection of a role's source key. Each test follows the
//! fix literally (the `sed` edit in a shell, the `aws configure set` command with the real
//! AWS CLI) and checks again: the problem is gone.
#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::context::{
    apply_edit, aws_cli, check, codes, home_with, quoted_command, run_aws,
};
use crate::support::moto::{Moto, Seed};

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const TEMP: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// A session token's shape (base64 with `=` padding); never sent anywhere (`--offline`).
const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6BMEexampleTokenForCredguardTestsOnly0123456789abcdefABCDEF==";

/// One fault of the lines: the credentials file, then what its problem must say.
struct Case {
    name: &'static str,
    credentials: String,
    code: &'static str,
    location: &'static str,
    /// words the message must hold
    message: &'static str,
    /// the command the fix must quote
    command: &'static str,
}

fn cases() -> Vec<Case> {
    let pair = format!("aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n");
    let (head, tail) = TOKEN.split_at(60);
    vec![
        Case {
            name: "tab-indented properties",
            credentials: format!(
                "[default]\n\taws_access_key_id = {KEY}\n\taws_secret_access_key = {SECRET}\n"
            ),
            code: "parse-error",
            location: "~/.aws/credentials:2",
            message: "line 2 of ~/.aws/credentials is indented (it starts with a tab)",
            command: "sed -i '2s/^[[:space:]]*//' ~/.aws/credentials",
        },
        Case {
            name: "CR-only line ends",
            credentials: format!("[default]\n{pair}").replace('\n', "\r"),
            code: "parse-error",
            location: "~/.aws/credentials:1",
            message: "~/.aws/credentials has CR-only line ends",
            command: "sed -i 's/\\r/\\n/g' ~/.aws/credentials",
        },
        Case {
            name: "an indented comment",
            credentials: format!(
                "[default]\naws_access_key_id = {KEY}\n  # the work key\naws_secret_access_key = {SECRET}\n"
            ),
            code: "hidden-character",
            location: "~/.aws/credentials:3:1",
            message: "line 3 is indented, so the SDK reads it as a continuation of aws_access_key_id (line 2)",
            command: "sed -i '3s/^[[:space:]]*//' ~/.aws/credentials",
        },
        Case {
            name: "an empty session token after a long-term key",
            credentials: format!("[default]\n{pair}aws_session_token =\n"),
            code: "stray-session-token",
            location: "~/.aws/credentials:4:20",
            message: "an empty aws_session_token",
            command: "sed -i '4d' ~/.aws/credentials",
        },
        Case {
            name: "a session token wrapped (its tail holds =)",
            credentials: format!(
                "[default]\naws_access_key_id = {TEMP}\naws_secret_access_key = {SECRET}\naws_session_token = {head}\n{tail}\n"
            ),
            code: "wrapped-value",
            location: "~/.aws/credentials:4:81",
            message: "aws_session_token is broken over lines 4 and 5",
            command: "sed -i '4{N;s/[[:space:]]*\\n//}' ~/.aws/credentials",
        },
        Case {
            name: "a session token wrapped (a tail without =)",
            credentials: format!(
                "[default]\naws_access_key_id = {TEMP}\naws_secret_access_key = {SECRET}\naws_session_token = {}\n{}\n",
                &TOKEN[..60],
                TOKEN[60..].trim_end_matches('=')
            ),
            code: "parse-error",
            location: "~/.aws/credentials:5",
            message: "aws_session_token is broken over lines 4 and 5",
            command: "sed -i '4{N;s/[[:space:]]*\\n//}' ~/.aws/credentials",
        },
        Case {
            name: "an NBSP inside a key's name",
            credentials: format!(
                "[default]\naws_access_key_id\u{a0}= {KEY}\naws_secret_access_key = {SECRET}\n"
            ),
            code: "hidden-character",
            location: "~/.aws/credentials:2:18",
            message: "the property name aws_access_key_id on line 2 holds U+00A0 NO-BREAK SPACE",
            command: "sed -i '2s/\\xc2\\xa0//' ~/.aws/credentials",
        },
    ]
}

/// Each fault of the lines is found offline and located where the edit goes; its fix is a
/// command that, run as printed, leaves a file with no error in it. No fix deletes a line
/// that holds a key or token.
#[test]
fn every_fault_of_the_lines_is_located_and_its_fix_removes_it() {
    for case in cases() {
        let home = home_with("", &case.credentials);
        let (code, v, all) = check(home.path(), &[], &["--offline"]);
        let d = support::profile_of(&v, "default");
        assert_eq!(code, 1, "{}: {all}", case.name);
        assert_eq!(d["state"], "invalid", "{}: {d:#}", case.name);
        let problem = &d["problems"][0];
        assert_eq!(problem["code"], case.code, "{}: {d:#}", case.name);
        assert_eq!(problem["location"], case.location, "{}: {d:#}", case.name);
        let message = problem["message"].as_str().unwrap();
        assert!(message.contains(case.message), "{}: {message}", case.name);
        assert!(!message.contains("  on line"), "{}: {message}", case.name);
        let fix = problem["fix"].as_str().unwrap();
        let command = quoted_command(fix);
        assert_eq!(command, case.command, "{}: {fix}", case.name);
        for p in d["problems"].as_array().unwrap() {
            no_delete_of_a_credential(&case.credentials, p["fix"].as_str().unwrap_or(""));
        }
        // a fault said once, where it is: no `missing-key-id` or `no-credentials` beside it
        assert!(
            !codes(&d)
                .iter()
                .any(|c| c == "missing-key-id" || c == "no-credentials"),
            "{}: {d:#}",
            case.name
        );

        // followed literally, the fix removes every error (one fix per faulty line)
        for p in d["problems"].as_array().unwrap() {
            if p["severity"] == "error" {
                apply_edit(home.path(), &quoted_command(p["fix"].as_str().unwrap()));
            }
        }
        let (_, v, all) = check(home.path(), &[], &["--offline"]);
        let d = support::profile_of(&v, "default");
        assert_eq!(d["state"], "unknown", "{} after the fix: {all}", case.name);
        assert_eq!(
            codes(&d),
            ["not-validated"],
            "{} after the fix: {d:#}",
            case.name
        );
    }
}

/// A fix that deletes a line (`sed -i 'Nd'`) never points at a line holding a key or token.
fn no_delete_of_a_credential(file: &str, fix: &str) {
    let Some(n) = fix
        .split("sed -i '")
        .nth(1)
        .and_then(|s| s.split_once("d'"))
        .and_then(|(n, _)| n.parse::<usize>().ok())
    else {
        return;
    };
    let line = file.split('\n').nth(n - 1).unwrap_or_default();
    let value = line.split_once('=').map_or("", |(_, v)| v.trim());
    assert!(
        value.is_empty(),
        "the fix {fix:?} deletes line {n}: {line:?}"
    );
}

/// A hidden character at the end of a key id: the fix's `aws configure set` command, run
/// with the real AWS CLI and the value retyped, removes it.
#[test]
fn a_hidden_character_is_fixed_with_the_aws_cli() {
    let Some(aws) = aws_cli() else { return };
    let home = home_with(
        "",
        &format!("[default]\naws_access_key_id = {KEY}\u{a0}\naws_secret_access_key = {SECRET}\n"),
    );
    let (_, v, _) = check(home.path(), &[], &["--offline"]);
    let d = support::profile_of(&v, "default");
    let p = &d["problems"][0];
    assert_eq!(p["code"], "hidden-character", "{d:#}");
    assert_eq!(p["location"], "~/.aws/credentials:2:41", "{d:#}");
    // the SDKs send the NBSP, the AWS CLI and the JS SDK strip it (issue 17: affects)
    assert_eq!(
        p["message"],
        "aws_access_key_id ends with U+00A0 NO-BREAK SPACE: the Rust and Java SDKs send it, and AWS answers InvalidClientTokenId; the AWS CLI (and boto3) and the JS SDK (CDK, Serverless) read the value without it"
    );
    assert_eq!(p["affects"], serde_json::json!(["sdk"]), "{d:#}");
    let command = p["fix"]
        .as_str()
        .unwrap()
        .split('`')
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(
        command,
        "aws configure set aws_access_key_id <value> --profile default"
    );
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "<value>" { KEY } else { a })
        .collect();
    run_aws(&aws, home.path(), &args);
    let (_, v, _) = check(home.path(), &[], &["--offline"]);
    assert_eq!(
        codes(&support::profile_of(&v, "default")),
        ["not-validated"],
        "{v:#}"
    );
}

/// A role whose source key was deleted: STS's `unknown-key` is located at the key's line in
/// the profile that holds it (`base`), and the fix names `base`, not the role profile.
/// Its commands, run with the real AWS CLI and a new key of the same user, make both
/// profiles `ok` (the role is assumed again with the new key).
#[test]
fn a_deleted_source_key_is_located_in_its_own_profile() {
    let Some(aws) = aws_cli() else { return };
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user_with_deleted_key("gus")
            .role("deployer", "gus", true),
    );
    let gus = seeded.user("gus");
    let home = home_with(
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = base\n",
        &format!(
            "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            gus.access_key_id, gus.secret_access_key
        ),
    );
    let env = [
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str()),
        ("AWS_PROFILE", "base"),
    ];
    let (code, v, all) = check(home.path(), &env, &[]);
    assert_eq!(code, 1, "{all}");
    let deploy = support::profile_of(&v, "deploy");
    assert_eq!(deploy["state"], "invalid", "{deploy:#}");
    let p = &deploy["problems"][0];
    assert_eq!(p["code"], "unknown-key", "{deploy:#}");
    assert_eq!(p["location"], "~/.aws/credentials:2:21", "{deploy:#}");
    let message = p["message"].as_str().unwrap();
    assert!(
        message.starts_with("STS does not know the key of profile base (the source of deploy)"),
        "{message}"
    );
    let fix = p["fix"].as_str().unwrap();
    let commands: Vec<&str> = fix.split('`').skip(1).step_by(2).collect();
    assert_eq!(
        commands,
        [
            "aws configure set aws_access_key_id <new key id> --profile base",
            "aws configure set aws_secret_access_key <new secret> --profile base"
        ],
        "{fix}"
    );
    assert!(!fix.contains("deploy"), "{fix}");
    let base = support::profile_of(&v, "base");
    assert_eq!(base["problems"][0]["location"], "~/.aws/credentials:2:21");

    let new = moto.create_user("gus");
    for command in commands {
        let filled = command
            .replace("<new key id>", &new.access_key_id)
            .replace("<new secret>", &new.secret_access_key);
        let args: Vec<&str> = filled.split(' ').skip(1).collect();
        run_aws(&aws, home.path(), &args);
    }
    let (code, v, all) = check(home.path(), &env, &[]);
    assert_eq!(code, 0, "{all}");
    for name in ["base", "deploy"] {
        let p = support::profile_of(&v, name);
        assert_eq!(p["state"], "ok", "{p:#}");
        assert!(p["problems"].as_array().unwrap().is_empty(), "{p:#}");
    }
    assert!(!all.contains(&new.secret_access_key));
}

/// Half a credential set: a session key without its token (`missing-session-token`) and a
/// secret without its key id (`missing-key-id`). Each fix's `aws configure set` command,
/// run with the real AWS CLI and the missing value, makes the profile `ok` with moto.
#[test]
fn missing_halves_are_added_with_the_aws_cli() {
    let Some(aws) = aws_cli() else { return };
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("ann")
            .user("ben")
            .assumed_role("sess", "reader", "ben"),
    );
    let (ann, session) = (seeded.user("ann"), seeded.session("sess"));
    let home = home_with(
        "",
        &format!(
            "[keyless]\naws_secret_access_key = {}\n[tokenless]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            ann.secret_access_key, session.access_key_id, session.secret_access_key
        ),
    );
    let env = [
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str()),
        ("AWS_PROFILE", "keyless"),
    ];
    let (_, v, all) = check(home.path(), &env, &[]);
    for (profile, code, location, command, value) in [
        (
            "keyless",
            "missing-key-id",
            "~/.aws/credentials:2:25",
            "aws configure set aws_access_key_id <key id> --profile keyless",
            ann.access_key_id.as_str(),
        ),
        (
            "tokenless",
            "missing-session-token",
            "~/.aws/credentials:4:21",
            "aws configure set aws_session_token <token> --profile tokenless",
            session.session_token.as_str(),
        ),
    ] {
        let p = support::profile_of(&v, profile);
        assert_eq!(p["state"], "invalid", "{p:#}");
        assert_eq!(p["problems"][0]["code"], code, "{p:#}");
        assert_eq!(p["problems"][0]["location"], location, "{p:#}");
        let fix = p["problems"][0]["fix"].as_str().unwrap();
        assert_eq!(quoted_command(fix), command, "{fix}");
        let filled = command.replace("<key id>", value).replace("<token>", value);
        let args: Vec<&str> = filled.split(' ').skip(1).collect();
        run_aws(&aws, home.path(), &args);
    }
    assert!(!all.contains(&ann.secret_access_key));
    let (code, v, all) = check(home.path(), &env, &[]);
    assert_eq!(code, 0, "{all}");
    for profile in ["keyless", "tokenless"] {
        let p = support::profile_of(&v, profile);
        assert_eq!(p["state"], "ok", "{p:#}");
    }
}

/// Profiles the SDK refuses (`invalid-profile-config`): each fix is a command, and followed
/// literally (the `sed` edit in a shell, `aws configure set` with the real AWS CLI and the
/// placeholder filled in) the refusal is gone.
#[test]
fn refused_profiles_are_fixed_literally() {
    let Some(aws) = aws_cli() else { return };
    let config = "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\ncredential_source = Environment\n\
                  [profile portal]\nsso_account_id = 123456789012\nsso_region = us-east-1\nsso_start_url = https://example.awsapps.com/start\n";
    let home = home_with(
        config,
        &format!("[base]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
    );
    let (_, v, all) = check(home.path(), &[], &["--offline"]);
    let refused = |v: &serde_json::Value, profile: &str| {
        let d = support::profile_of(v, profile);
        d["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "invalid-profile-config")
            .cloned()
    };
    let both = refused(&v, "deploy").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(both["location"], "~/.aws/config:4:21", "{both:#}");
    let edit = quoted_command(both["fix"].as_str().unwrap());
    assert_eq!(edit, "sed -i '4d' ~/.aws/config", "{both:#}");
    let half = refused(&v, "portal").unwrap_or_else(|| panic!("{all}"));
    let set = quoted_command(half["fix"].as_str().unwrap());
    assert_eq!(
        set,
        "aws configure set sso_role_name <role name> --profile portal"
    );

    apply_edit(home.path(), &edit);
    let filled = set.replace("<role name>", "ReadOnly");
    let args: Vec<&str> = filled.split(' ').skip(1).collect();
    run_aws(&aws, home.path(), &args);
    let (_, v, all) = check(home.path(), &[], &["--offline"]);
    for profile in ["deploy", "portal"] {
        assert!(refused(&v, profile).is_none(), "{profile}: {all}");
    }
    // what is left is what the profiles are: a role to assume, an SSO login to make
    assert!(
        !codes(&support::profile_of(&v, "portal")).is_empty(),
        "{all}"
    );
}
