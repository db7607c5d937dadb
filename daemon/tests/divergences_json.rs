//! The 17 divergences of issue 17 (`tests/divergences.rs`) through `credguardd check
//! --json`: each profile's `tools` and each problem's `affects` name the readers the case
//! breaks; config `tools` decides which of them make the profile `invalid`; and, against
//! moto, the real AWS CLI (`aws sts get-caller-identity`) succeeds exactly when the `cli`
//! verdict is `ok`.
#![allow(clippy::unwrap_used)]

use crate::divergences::{CASES, Case};
use crate::support::context::aws_cli;
use crate::support::moto::{Moto, Seed};
use serde_json::Value;
use std::path::Path;

const K: &str = "AKIAIOSFODNN7EXAMPLE";
const T: &str = "ASIAIOSFODNN7EXAMPLE";
const S: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOK: &str = "IQoJb3JpZ2luX2VjEXAMPLE";

/// A temporary HOME holding the case's files, with its keys replaced as `swap` says.
fn home(case: &Case, swap: &dyn Fn(&str) -> String) -> tempfile::TempDir {
    home_with(&swap(case.config), &swap(case.credentials))
}

/// A temporary HOME holding these two files.
fn home_with(config: &str, credentials: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let aws = dir.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    for (name, text) in [("config", config), ("credentials", credentials)] {
        let path = aws.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    dir
}

fn check(home: &Path, case: &Case, extra: &[&str], env: &[(&str, &str)]) -> Value {
    check_profile(home, case.profile, case.name, extra, env)
}

/// `credguardd check --json --profile PROFILE` under `home` (the shared runner of
/// `support::context`): that profile's entry.
fn check_profile(
    home: &Path,
    profile: &str,
    what: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Value {
    let mut args = vec!["--profile", profile];
    args.extend_from_slice(extra);
    let (_, v, all) = crate::support::context::check(home, env, &args);
    assert_eq!(v["version"], 2, "{what}: {all}");
    crate::support::profile_of(&v, profile)
}

/// The readers named in a problem's `affects` (all three when it is absent).
fn affects(problem: &Value) -> Vec<String> {
    match problem["affects"].as_array() {
        Some(a) => a.iter().map(|r| r.as_str().unwrap().to_string()).collect(),
        None => ["cli", "sdk", "js"].map(String::from).to_vec(),
    }
}

fn errors(p: &Value) -> Vec<&Value> {
    p["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["severity"] == "error")
        .collect()
}

#[test]
fn each_divergence_names_its_readers_in_check_json() {
    let mut wrong = Vec::new();
    for case in CASES {
        let h = home(case, &|t| t.to_string());
        let p = check(h.path(), case, &["--offline"], &[]);
        for r in ["cli", "sdk", "js"] {
            let want = if case.affects.contains(&r) {
                "invalid"
            } else {
                "unknown"
            };
            if p["tools"][r] != want {
                wrong.push(format!("{}: tools.{r} = {}", case.name, p["tools"][r]));
            }
        }
        let mut broken: Vec<String> = errors(&p).iter().flat_map(|q| affects(q)).collect();
        broken.sort();
        broken.dedup();
        let mut want: Vec<String> = case.affects.iter().map(|s| s.to_string()).collect();
        want.sort();
        if broken != want || p["state"] != "invalid" {
            wrong.push(format!("{}: errors break {broken:?}\n{p:#}", case.name));
        }
        // a problem that breaks only some readers names the tools on both sides
        for q in errors(&p) {
            let msg = q["message"].as_str().unwrap();
            if q["affects"].is_array() && !(msg.contains("; ") && msg.contains(" the ")) {
                wrong.push(format!("{}: message names no tools: {msg}", case.name));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn config_tools_decides_which_failures_make_a_profile_invalid() {
    for case in CASES {
        let h = home(case, &|t| t.to_string());
        let spared: Vec<&str> = ["cli", "sdk", "js"]
            .into_iter()
            .filter(|r| !case.affects.contains(r))
            .collect();
        let dir = h.path().join("config/credguard");
        std::fs::create_dir_all(&dir).unwrap();
        let list: Vec<String> = spared.iter().map(|r| format!("{r:?}")).collect();
        std::fs::write(
            dir.join("config.toml"),
            format!("tools = [{}]\n", list.join(", ")),
        )
        .unwrap();
        let p = check(h.path(), case, &["--offline"], &[]);
        // the readers the user runs read the profile as meant: not validated offline
        assert_eq!(p["state"], "unknown", "{}: {p:#}", case.name);
        assert!(errors(&p).is_empty(), "{}: {p:#}", case.name);
        let warned: Vec<&Value> = p["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q["severity"] == "warning" && q["affects"].is_array())
            .collect();
        assert!(!warned.is_empty(), "{}: still reported: {p:#}", case.name);
        // each reader's own verdict is unchanged
        for r in case.affects {
            assert_eq!(p["tools"][r], "invalid", "{}: {p:#}", case.name);
        }
    }
}

/// Does the real AWS CLI get an identity from moto with the files under `home`?
fn cli_succeeds(aws: &Path, home: &Path, profile: &str, endpoint: &str) -> (bool, String) {
    let file = |name: &str| home.join(".aws").join(name).to_string_lossy().into_owned();
    let env = [
        ("AWS_CONFIG_FILE".to_string(), file("config")),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_string(),
            file("credentials"),
        ),
        ("AWS_PROFILE".to_string(), profile.to_string()),
    ];
    crate::support::context::aws_identity(aws, home, &env, endpoint)
}

#[test]
fn the_real_aws_cli_succeeds_exactly_when_the_cli_verdict_is_ok() {
    let Some(aws) = aws_cli() else { return };
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("diverge").assumed_role(
        "diverge-session",
        "diverge-role",
        "diverge",
    ));
    let (user, session) = (seeded.user("diverge"), seeded.session("diverge-session"));
    let mut wrong = Vec::new();
    for case in CASES {
        // the secret of the key the case means: the user's or the session's
        let secret = if case.token {
            &session.secret_access_key
        } else {
            &user.secret_access_key
        };
        let h = home(case, &|t| {
            t.replace(K, &user.access_key_id)
                .replace(T, &session.access_key_id)
                .replace(TOK, &session.session_token)
                .replace(S, secret)
        });
        let env = [("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str())];
        let p = check(h.path(), case, &[], &env);
        let (ok, said) = cli_succeeds(&aws, h.path(), case.profile, &moto.endpoint);
        let cli_ok = p["tools"]["cli"] == "ok";
        if ok != cli_ok {
            wrong.push(format!(
                "{}: the AWS CLI {} but tools.cli = {}\n{said}\n{p:#}",
                case.name,
                if ok { "succeeds" } else { "fails" },
                p["tools"]["cli"]
            ));
        }
        // and the readers the case does not break are ok: their reading was validated
        for r in ["cli", "sdk", "js"]
            .iter()
            .filter(|r| !case.affects.contains(r))
        {
            if p["tools"][r] != "ok" {
                wrong.push(format!(
                    "{}: tools.{r} = {}\n{p:#}",
                    case.name, p["tools"][r]
                ));
            }
        }
        for secret in [user.secret_access_key.as_str(), &session.session_token] {
            assert!(
                !p.to_string().contains(secret),
                "{}: secret in output",
                case.name
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// `[profile default]` and `[default]` in one config file: the AWS CLI takes `[default]`,
/// the SDKs `[profile default]`. Each distinct reading is validated (one call each, none
/// for a reading that equals another), and STS's answer on one reading breaks only the
/// readers that take it.
#[test]
fn each_distinct_reading_is_validated_once() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("sdkuser")
            .user("cliuser")
            .user_with_deleted_key("gone"),
    );
    let (sdk, cli, gone) = (
        seeded.user("sdkuser"),
        seeded.user("cliuser"),
        seeded.user("gone"),
    );
    let pair = |k: &crate::support::moto::Keys| {
        format!(
            "aws_access_key_id = {}\naws_secret_access_key = {}\n",
            k.access_key_id, k.secret_access_key
        )
    };
    let config = |cli_keys: &crate::support::moto::Keys| {
        format!(
            "[profile default]\n{}[default]\n{}",
            pair(sdk),
            pair(cli_keys)
        )
    };
    let env = [("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str())];
    let run = |config: &str| {
        let h = home_with(config, "");
        moto.reset_requests();
        check_profile(h.path(), "default", "two readings", &[], &env)
    };

    // both readings valid: two calls, one per distinct key, and every reader ok
    let p = run(&config(cli));
    assert_eq!(
        p["tools"],
        serde_json::json!({"cli": "ok", "sdk": "ok", "js": "ok"}),
        "{p:#}"
    );
    assert_eq!(p["state"], "ok");
    assert_eq!(
        (
            moto.calls_with(&sdk.access_key_id),
            moto.calls_with(&cli.access_key_id)
        ),
        (1, 1)
    );
    assert_eq!(moto.sts_calls(), 2);

    // the CLI's key is deleted: only the CLI breaks, and the message says so
    let p = run(&config(gone));
    assert_eq!(
        p["tools"],
        serde_json::json!({"cli": "invalid", "sdk": "ok", "js": "ok"}),
        "{p:#}"
    );
    assert_eq!(p["state"], "invalid");
    let rejected = errors(&p)
        .into_iter()
        .find(|q| q["code"] == "unknown-key")
        .unwrap_or_else(|| panic!("no unknown-key: {p:#}"));
    assert_eq!(rejected["affects"], serde_json::json!(["cli"]));
    let msg = rejected["message"].as_str().unwrap();
    assert!(
        msg.contains("the AWS CLI (and boto3) fail on this"),
        "{msg}"
    );
    assert_eq!(moto.sts_calls(), 2);

    // readers that agree cost one call
    let p = run(&format!("[profile default]\n{}", pair(sdk)));
    assert_eq!(p["state"], "ok", "{p:#}");
    assert_eq!(moto.sts_calls(), 1);
}

/// `doctor` says which tools config `tools` judges and which AWS tools are on the shell's
/// PATH; a problem that breaks only a reader left out is a warning there.
#[test]
fn doctor_names_the_chosen_tools_and_those_on_path() {
    use crate::support::daemon::User;
    use std::os::unix::fs::PermissionsExt;
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.config_file(), "tools = [\"cli\", \"js\"]\n").unwrap();
    std::fs::write(user.credentials(), crate::divergences::CASES[8].credentials).unwrap();
    let mode = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(user.credentials(), mode).unwrap();
    // stand-ins found on PATH (never run): what the look-up sees of installed tools
    let bin = user.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["aws", "cdk"] {
        std::fs::write(bin.join(name), "#!/bin/sh\nexit 1\n").unwrap();
        let exe = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(bin.join(name), exe).unwrap();
    }
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let _d = user.start();
    let out = user.client(&["doctor"], &[("PATH", path.as_str())]);
    let doctor = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        doctor.contains("  AWS tools on PATH: aws (cli), cdk (js);"),
        "{doctor}"
    );
    assert!(
        doctor.contains(
            "tools judged (config `tools`): cli, js; what breaks only sdk (the Rust and Java SDKs) is a warning"
        ),
        "{doctor}"
    );
    assert!(
        doctor.contains("warning[hidden-character] (sdk only) ~/.aws/credentials:2:41"),
        "{doctor}"
    );
    assert!(!doctor.contains("invalid  "), "{doctor}");
}
