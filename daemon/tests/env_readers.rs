//! The environment as each tool reads it (issue 17), proved against the real programs:
//! for the four cases the issue names and a few thousand generated environments (seeded,
//! printed), the credentials credguard's readers say a tool takes
//! ([`credguard::aws::readers::env`]: the environment, or the profile it goes on to) equal
//! those the tool's own chain resolves: botocore's (Python), the JS SDK v3's
//! `defaultProvider` (node), and `aws-config`'s `DefaultCredentialsChain` (this test binary
//! run again as a child, one environment per process). No instance metadata is asked.
#![allow(clippy::unwrap_used)]

use crate::support;
use credguard::aws::readers::Reader;
use credguard::aws::readers::env::{self as renv, EnvTaken};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const GENERATED: usize = 2000;
/// Environments also run through the Rust SDK, one child process each.
const SDK_SAMPLE: usize = 120;

const PROFILES: [(&str, &str, &str); 2] = [
    (
        "default",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "dev",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ),
];

type Env = BTreeMap<String, String>;

fn env_of(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The four cases issue 17 names, then the generated ones.
fn cases(seed: u64) -> Vec<Env> {
    let (k, s) = ("ASIAENVEXAMPLE000001", "envsecret/EXAMPLE");
    let mut out = vec![
        env_of(&[
            ("AWS_ACCESS_KEY_ID", k),
            ("AWS_SECRET_ACCESS_KEY", s),
            ("AWS_SECURITY_TOKEN", "legacy-token"),
        ]),
        env_of(&[("AWS_ACCESS_KEY_ID", k), ("AWS_SECRET_ACCESS_KEY", "")]),
        env_of(&[
            ("AWS_ACCESS_KEY_ID", k),
            ("AWS_SECRET_ACCESS_KEY", s),
            ("AWS_SESSION_TOKEN", "token\n"),
        ]),
        env_of(&[("AWS_DEFAULT_PROFILE", "dev")]),
    ];
    let mut rng = support::mutate::Rng::new(seed);
    let choices: [(&str, &[&str]); 7] = [
        (
            "AWS_ACCESS_KEY_ID",
            &[
                "",
                " ",
                "AKIAGENERATED0000001",
                "ASIAGENERATED0000002",
                "AKIAGEN\n",
            ],
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            &["", "  ", "gensecret", "gensecret\n"],
        ),
        ("SECRET_ACCESS_KEY", &["altsecret"]),
        ("AWS_SESSION_TOKEN", &["", " ", "tok", "tok\n", " tok "]),
        ("AWS_SECURITY_TOKEN", &["", "old"]),
        ("AWS_PROFILE", &["", "dev", "default", "nope"]),
        ("AWS_DEFAULT_PROFILE", &["", "dev", "default", "nope"]),
    ];
    for _ in 0..GENERATED {
        let mut env = Env::new();
        for (var, values) in choices {
            // unset about as often as any one value
            let i = rng.below(values.len() + 1);
            if let Some(v) = values.get(i) {
                env.insert(var.to_string(), v.to_string());
            }
        }
        out.push(env);
    }
    out
}

/// What credguard says `reader` resolves in `env`: [key id, secret, token], or an error.
fn ours(reader: Reader, env: &Env) -> Value {
    let get = |k: &str| env.get(k).cloned();
    let exists = |name: &str| PROFILES.iter().any(|(n, _, _)| *n == name);
    match renv::taken_with_profiles(reader, &get, &exists) {
        EnvTaken::Creds {
            key_id,
            secret,
            token,
            ..
        } => json!([key_id, secret, token]),
        EnvTaken::Refuses { .. } | EnvTaken::NoProfile { .. } => json!({"error": true}),
        EnvTaken::Skips => {
            let (name, _) = renv::profile(reader, &get);
            match PROFILES.iter().find(|(n, _, _)| *n == name) {
                Some((_, k, s)) => json!([k, s, null]),
                None => json!({"error": true}),
            }
        }
    }
}

/// An oracle's answer with its error message reduced to "an error".
fn normalised(v: Value) -> Value {
    match v.get("error") {
        Some(_) => json!({"error": true}),
        None => v,
    }
}

/// A HOME with the two profiles in its credentials file.
fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    let text: String = PROFILES
        .iter()
        .map(|(n, k, s)| format!("[{n}]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n"))
        .collect();
    std::fs::write(dir.path().join(".aws/credentials"), text).unwrap();
    std::fs::write(dir.path().join(".aws/config"), "").unwrap();
    dir
}

fn run_lines(mut cmd: Command, home: &Path, cases: &[Env]) -> Vec<Value> {
    let mut child = cmd
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = cases
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "oracle failed: {out:?}");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len(), "one answer per case");
    lines
}

fn compare(reader: Reader, cases: &[Env], answers: Vec<Value>, seed: u64) {
    let wrong: Vec<String> = cases
        .iter()
        .zip(answers)
        .filter_map(|(env, theirs)| {
            let (mine, theirs) = (ours(reader, env), normalised(theirs));
            (mine != theirs).then(|| format!("{env:?}: credguard {mine}, the tool {theirs}"))
        })
        .collect();
    eprintln!(
        "{}: {} environments compared with the tool's own chain (seed {seed}), {} mismatches",
        reader.as_str(),
        cases.len(),
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} mismatches (seed {seed}):\n{}",
        wrong.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
}

#[test]
fn botocore_reads_the_environment_as_the_cli_reader_says() {
    let Some((_, python)) = support::moto::venv() else {
        return;
    };
    let seed = crate::readers::seed();
    let cases = cases(seed);
    let mut cmd = Command::new(python);
    cmd.arg(crate::readers::oracle_dir().join("botocore_env.py"));
    let h = home();
    let answers = run_lines(cmd, h.path(), &cases);
    compare(Reader::Cli, &cases, answers, seed);
}

#[test]
fn the_js_sdk_reads_the_environment_as_the_js_reader_says() {
    let js = crate::readers::oracle_dir().join("js");
    if !support::tool("node") {
        return;
    }
    let installed = js
        .join("node_modules/@aws-sdk/credential-provider-node")
        .is_dir();
    assert!(
        installed || std::env::var("CI").as_deref() != Ok("true"),
        "{} has no @aws-sdk/credential-provider-node with CI=true: scripts/setup.sh runs npm ci there",
        js.display()
    );
    if !installed {
        eprintln!("SKIP: js oracle not installed (scripts/setup.sh)");
        return;
    }
    let seed = crate::readers::seed();
    let cases = cases(seed);
    let mut cmd = Command::new("node");
    cmd.arg(js.join("env.js")).current_dir(&js);
    let h = home();
    let answers = run_lines(cmd, h.path(), &cases);
    compare(Reader::Js, &cases, answers, seed);
}

/// Set in the child that resolves one environment with the Rust SDK.
const CHILD: &str = "CREDGUARD_SDK_ENV_CHILD";

/// The Rust SDK's default chain in a child process per environment (aws-config reads the
/// process's own variables, and this crate sets none of its own): the child is this test,
/// which prints the chain's answer instead of comparing.
#[test]
fn the_rust_sdk_reads_the_environment_as_the_sdk_reader_says() {
    if std::env::var_os(CHILD).is_some() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let answer = rt.block_on(async {
            use aws_credential_types::provider::ProvideCredentials;
            let chain =
                aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                    .build()
                    .await;
            match chain.provide_credentials().await {
                Ok(c) => json!([c.access_key_id(), c.secret_access_key(), c.session_token()]),
                Err(e) => json!({"error": e.to_string()}),
            }
        });
        println!("ANSWER {answer}");
        return;
    }
    let seed = crate::readers::seed();
    let all = cases(seed);
    let cases: Vec<Env> = all.into_iter().take(SDK_SAMPLE).collect();
    let h = home();
    let me = std::env::current_exe().unwrap();
    let answers: Vec<Value> = cases
        .iter()
        .map(|env| {
            let out = Command::new(&me)
                .args([
                    "--exact",
                    "env_readers::the_rust_sdk_reads_the_environment_as_the_sdk_reader_says",
                    "--nocapture",
                ])
                .env_clear()
                .env("HOME", h.path())
                .env("PATH", "/usr/bin:/bin")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env(CHILD, "1")
                .envs(env)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("ANSWER "))
                .unwrap_or_else(|| panic!("no answer from the child: {out:?}"));
            serde_json::from_str(line).unwrap()
        })
        .collect();
    compare(Reader::Sdk, &cases, answers, seed);
}

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

/// The real AWS CLI's `sts get-caller-identity` against moto in `env` (nothing else of
/// this process's environment): did it get an identity, and what did it say?
fn cli_succeeds(
    aws: &Path,
    home: &Path,
    env: &[(String, String)],
    endpoint: &str,
) -> (bool, String) {
    let out = Command::new(aws)
        .args(["sts", "get-caller-identity", "--endpoint-url", endpoint])
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

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
    let cases: Vec<OnlineCase> = vec![
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
    ];
    let mut wrong = Vec::new();
    for (name, credentials, env, entry, expected) in cases {
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
        let (ok, said) = cli_succeeds(&aws, h.path(), &env, &moto.endpoint);
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
    let credentials: String = PROFILES
        .iter()
        .map(|(n, k, s)| format!("[{n}]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n"))
        .collect();
    std::fs::write(user.credentials(), credentials).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(user.credentials(), std::fs::Permissions::from_mode(0o600)).unwrap();
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
