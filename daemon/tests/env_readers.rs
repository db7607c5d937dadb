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

/// The profiles of the credentials file the tests write: name, key id, secret.
pub const PROFILES: [(&str, &str, &str); 2] = [
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
pub fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    let text: String = PROFILES
        .iter()
        .map(|(n, k, s)| format!("[{n}]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n"))
        .collect();
    let path = dir.path().join(".aws/credentials");
    std::fs::write(&path, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
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
