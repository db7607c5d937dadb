//! The environment per tool in verdicts (issue 17): against moto, each reader's state in
//! `check --json` is what its tool meets and the real AWS CLI succeeds exactly when `cli`
//! is `ok`; `credguard check` through the daemon equals the one-shot check; every
//! environment fix, run literally in bash, removes its problem. The readings themselves are
//! proved against the tools' own chains in `env_readers.rs`.
#![allow(clippy::unwrap_used)]

use crate::env_readers::home;
use crate::support;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// A case against moto: its name, the credentials file, the environment, the entry to
/// read and the states expected of `cli`, `sdk` and `js`.
type OnlineCase<'a> = (
    &'a str,
    String,
    Vec<(&'a str, String)>,
    &'a str,
    [&'a str; 3],
);
/// A shell: its name, its environment, the states expected of `cli`, `sdk` and `js`.
type ShellCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, [&'a str; 3]);

/// The four environment cases (and AWS_PROFILE beside env keys), against moto:
/// `check --json` gives each reader the state its tool meets, and the real AWS CLI
/// succeeds exactly when `tools.cli` is `ok`.
#[test]
fn each_tool_meets_the_environment_as_its_verdict_says() {
    let Some(aws) = support::context::aws_cli() else {
        return;
    };
    let Some(moto) = support::moto::Moto::start() else {
        return;
    };
    let seeded = moto.seed(
        &support::moto::Seed::new()
            .user("good")
            .user_with_deleted_key("gone")
            .assumed_role("env-session", "env-role", "good"),
    );
    let (good, gone, s) = (
        seeded.user("good"),
        seeded.user("gone"),
        seeded.session("env-session"),
    );
    let mut wrong = Vec::new();
    for (name, credentials, env, entry, expected) in online_cases(good, gone, s) {
        let h = support::context::home_with("", &credentials);
        let env: Vec<(String, String)> = env
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .chain([("AWS_ENDPOINT_URL_STS".to_string(), moto.endpoint.clone())])
            .collect();
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (_, report, all) = support::context::check(h.path(), &pairs, &[]);
        let p = support::profile_of(&report, entry);
        let tools = [&p["tools"]["cli"], &p["tools"]["sdk"], &p["tools"]["js"]];
        if tools != expected.map(Value::from).each_ref() {
            wrong.push(format!(
                "{name}: tools {tools:?}, expected {expected:?}\n{p:#}"
            ));
        }
        let (ok, said) = support::context::aws_identity(&aws, h.path(), &env, &moto.endpoint);
        if ok != (p["tools"]["cli"] == "ok") {
            wrong.push(format!(
                "{name}: the AWS CLI {} but tools.cli = {}\n{said}\n{p:#}",
                if ok { "succeeds" } else { "fails" },
                p["tools"]["cli"]
            ));
        }
        for secret in [
            &s.session_token,
            &good.secret_access_key,
            &s.secret_access_key,
        ] {
            assert!(
                !all.contains(secret.as_str()),
                "{name}: a secret in the output"
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// A shell's environment reaches the daemon with what tells the tools apart (the legacy
/// token variable, both profile variables as set): `credguard check` through the daemon
/// gives each reader the state the one-shot check gives.
#[test]
fn through_the_daemon_each_tool_reads_the_shell_environment_alike() {
    let user = support::daemon::User::new("http://127.0.0.1:9");
    let written = home();
    std::fs::copy(written.path().join(".aws/credentials"), user.credentials()).unwrap();
    let (k, s) = (
        "ASIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    let shells: [ShellCase; 3] = [
        (
            "AWS_SECURITY_TOKEN only",
            vec![
                ("AWS_ACCESS_KEY_ID", k),
                ("AWS_SECRET_ACCESS_KEY", s),
                ("AWS_SECURITY_TOKEN", "tok"),
            ],
            ["unknown", "invalid", "invalid"],
        ),
        (
            "AWS_PROFILE beside env keys",
            vec![
                ("AWS_ACCESS_KEY_ID", k),
                ("AWS_SECRET_ACCESS_KEY", s),
                ("AWS_SESSION_TOKEN", "tok"),
                ("AWS_PROFILE", "dev"),
            ],
            ["unknown", "unknown", "unknown"],
        ),
        (
            "AWS_DEFAULT_PROFILE beside env keys",
            vec![
                ("AWS_ACCESS_KEY_ID", k),
                ("AWS_SECRET_ACCESS_KEY", s),
                ("AWS_SESSION_TOKEN", "tok"),
                ("AWS_DEFAULT_PROFILE", "nope"),
            ],
            ["invalid", "unknown", "unknown"],
        ),
    ];
    let env_entry = |out: std::process::Output| -> Value {
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
        support::profile_of(&v, "(env)")
    };
    let alone: Vec<Value> = shells
        .iter()
        .map(|(_, env, _)| env_entry(user.client(&["check", "--json", "--offline"], env)))
        .collect();
    let _d = user.start();
    for ((name, env, expected), alone) in shells.iter().zip(alone) {
        let out = user.client(&["check", "--json", "--offline"], env);
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !said.contains("instead"),
            "{name}: not through the daemon: {said}"
        );
        let through = env_entry(out);
        assert_eq!(
            through["tools"], alone["tools"],
            "{name}: {through:#}\n{alone:#}"
        );
        assert_eq!(
            through["tools"],
            json!({"cli": expected[0], "sdk": expected[1], "js": expected[2]}),
            "{name}: {through:#}"
        );
        let codes = |p: &Value| -> Vec<String> {
            p["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q["code"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(codes(&through), codes(&alone), "{name}");
    }
}

/// `credguardd check --offline --json` in bash, after `before` ran in that shell (a fix
/// followed literally: an `export` or `unset` changes the environment the check reads).
fn check_after(home: &Path, env: &[(&str, &str)], before: &str) -> Value {
    let script = format!("{before}\nexec \"$CREDGUARDD\" check --offline --json");
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .env_clear()
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("PATH", "/usr/bin:/bin")
        .env("CREDGUARDD", env!("CARGO_BIN_EXE_credguardd"))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

/// Every problem with `code` in the report, as (entry, fix).
fn with_code(report: &Value, code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in report["profiles"].as_array().unwrap() {
        for q in p["problems"].as_array().unwrap() {
            if q["code"] == code {
                out.push((
                    p["profile"].to_string(),
                    q["fix"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

/// Each environment problem's fix, run literally in bash (its first command; a
/// placeholder filled in), leaves no problem with that code.
#[test]
fn environment_fixes_followed_literally_remove_the_problem() {
    let h = home();
    let (k, s) = (
        "ASIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    let keys = [("AWS_ACCESS_KEY_ID", k), ("AWS_SECRET_ACCESS_KEY", s)];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        keys.iter().chain(extra).copied().collect()
    };
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "missing-session-token",
            with(&[("AWS_SECURITY_TOKEN", "legacy")]),
        ),
        (
            "partial-env-credentials",
            vec![("AWS_ACCESS_KEY_ID", k), ("AWS_SECRET_ACCESS_KEY", "")],
        ),
        (
            "env-not-read",
            with(&[("AWS_SESSION_TOKEN", "tok"), ("AWS_PROFILE", "dev")]),
        ),
        (
            "env-not-read",
            vec![("AWS_ACCESS_KEY_ID", k), ("AWS_SECRET_ACCESS_KEY", "")],
        ),
        (
            "profile-selection-differs",
            vec![("AWS_DEFAULT_PROFILE", "dev")],
        ),
        (
            "profile-selection-differs",
            vec![("AWS_DEFAULT_PROFILE", "dev"), ("AWS_PROFILE", "default")],
        ),
        (
            "profile-not-found",
            with(&[
                ("AWS_SESSION_TOKEN", "tok"),
                ("AWS_DEFAULT_PROFILE", "nope"),
            ]),
        ),
    ];
    for (code, env) in cases {
        let before = check_after(h.path(), &env, ":");
        let found = with_code(&before, code);
        assert!(!found.is_empty(), "{code} in {env:?}: {before:#}");
        // `aws configure --profile P` asks questions: fixes.rs runs those with the real CLI
        for (entry, fix) in found
            .into_iter()
            .filter(|(_, f)| !f.contains("aws configure"))
        {
            let command = match fix.contains('`') {
                true => support::context::quoted_command(&fix),
                false => fix.clone(),
            };
            let command = command.replace("<value>", s);
            let after = check_after(h.path(), &env, &command);
            assert!(
                with_code(&after, code).is_empty(),
                "{code} of {entry} in {env:?} after `{command}`: {after:#}"
            );
        }
    }
}

/// The cases of [`each_tool_meets_the_environment_as_its_verdict_says`]: moto's user
/// `good`, user `gone` whose key was deleted, and session `s`.
fn online_cases<'a>(
    good: &'a support::moto::Keys,
    gone: &'a support::moto::Keys,
    s: &'a support::moto::SessionKeys,
) -> Vec<OnlineCase<'a>> {
    let file = |first: &support::moto::Keys, second: &support::moto::Keys| {
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            first.access_key_id,
            first.secret_access_key,
            second.access_key_id,
            second.secret_access_key
        )
    };
    let session = |token_var: &'static str, token: String| {
        vec![
            ("AWS_ACCESS_KEY_ID", s.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", s.secret_access_key.clone()),
            (token_var, token),
        ]
    };
    // (name, files: default then dev, environment, entry, [cli, sdk, js])
    vec![
        (
            "AWS_SECURITY_TOKEN only",
            file(good, gone),
            session("AWS_SECURITY_TOKEN", s.session_token.clone()),
            "(env)",
            ["ok", "invalid", "invalid"],
        ),
        (
            "a token with a trailing newline",
            file(good, gone),
            session("AWS_SESSION_TOKEN", format!("{}\n", s.session_token)),
            "(env)",
            ["invalid", "ok", "invalid"],
        ),
        (
            "an exported empty secret",
            file(good, gone),
            vec![
                ("AWS_ACCESS_KEY_ID", gone.access_key_id.clone()),
                ("AWS_SECRET_ACCESS_KEY", String::new()),
            ],
            "(env)",
            ["invalid", "ok", "ok"],
        ),
        (
            "AWS_DEFAULT_PROFILE",
            file(gone, good),
            vec![("AWS_DEFAULT_PROFILE", "dev".into())],
            "dev",
            ["ok", "ok", "ok"],
        ),
        (
            "AWS_PROFILE beside env keys",
            file(good, gone),
            vec![
                ("AWS_ACCESS_KEY_ID", good.access_key_id.clone()),
                ("AWS_SECRET_ACCESS_KEY", good.secret_access_key.clone()),
                ("AWS_PROFILE", "dev".into()),
            ],
            "(env)",
            ["ok", "ok", "invalid"],
        ),
    ]
}
