//! `credguardd check` as a user runs it: the contract's JSON, exit codes, no secrets.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::process::Command;

const KEY: &str = "AKIAQ3EGCLIUNIQUE001";
const SECRET: &str = "cLiSeCrEt/0123456789abcdefghijKLMNOPQRST";

fn home(credentials: &str, config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    std::fs::write(dir.path().join(".aws/credentials"), credentials).unwrap();
    std::fs::write(dir.path().join(".aws/config"), config).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.path().join(".aws/credentials"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    dir
}

fn run(home: &std::path::Path, args: &[&str], extra: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credguardd"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("PATH", "/usr/bin:/bin")
        .envs(extra.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn check_json_on_a_mix_of_broken_profiles() {
    let credentials = format!(
        "[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n\
         [nbsp]\naws_access_key_id = {KEY}\u{a0}\naws_secret_access_key = {SECRET}\n\
         [temp]\naws_access_key_id = ASIAQ3EGCLIUNIQUE001\naws_secret_access_key = {SECRET}\n\
         [profile misplaced]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
    );
    let config =
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default\n";
    let h = home(&credentials, config);
    let (code, out, err) = run(h.path(), &["check", "--json", "--offline"], &[]);
    assert_eq!(code, 1, "some invalid → exit 1\n{out}\n{err}");
    for s in [KEY, SECRET, "CLIUNIQUE"] {
        assert!(!out.contains(s) && !err.contains(s), "{s} leaked");
    }
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 2);
    assert!(v["checked_at"].as_str().unwrap().ends_with('Z'));
    assert!(v["clock_skew_seconds"].is_null());
    let profiles = v["profiles"].as_array().unwrap();
    let get = |n: &str| {
        profiles
            .iter()
            .find(|p| p["profile"] == n)
            .unwrap_or_else(|| panic!("{n} missing: {out}"))
    };
    let d = get("default");
    assert_eq!(
        (
            d["state"].as_str(),
            d["source"].as_str(),
            d["key_id"].as_str()
        ),
        (Some("unknown"), Some("static"), Some("AKIA…E001"))
    );
    assert_eq!(d["problems"][0]["code"], "not-validated");
    assert!(d["identity"].is_null() && d["expires_at"].is_null());
    let n = get("nbsp");
    assert_eq!(n["state"], "invalid");
    assert_eq!(n["problems"][0]["code"], "hidden-character");
    assert_eq!(n["problems"][0]["severity"], "error");
    assert_eq!(n["problems"][0]["location"], "~/.aws/credentials:5:41");
    // contract version 2: the AWS CLI and the JS SDK strip the NBSP, the SDK sends it
    assert_eq!(
        n["problems"][0]["message"],
        "aws_access_key_id ends with U+00A0 NO-BREAK SPACE: the Rust and Java SDKs send it, and AWS answers InvalidClientTokenId; the AWS CLI (and boto3) and the JS SDK (CDK, Serverless) read the value without it"
    );
    assert_eq!(n["problems"][0]["affects"], serde_json::json!(["sdk"]));
    assert_eq!(
        n["tools"],
        serde_json::json!({"cli": "unknown", "sdk": "invalid", "js": "unknown"})
    );
    // where the readers agree, every problem breaks all of them: no `affects`
    assert!(d["problems"][0].get("affects").is_none());
    assert_eq!(
        d["tools"],
        serde_json::json!({"cli": "unknown", "sdk": "unknown", "js": "unknown"})
    );
    assert!(
        n["problems"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("after …E001 on line 5")
    );
    assert_eq!(get("temp")["problems"][0]["code"], "missing-session-token");
    assert_eq!(get("misplaced")["problems"][0]["code"], "misnamed-section");
    assert_eq!(get("role")["source"], "assume-role");

    // one profile, human output, no colour when not a terminal
    let (code, out, _) = run(h.path(), &["check", "--offline", "--profile", "nbsp"], &[]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("nbsp  invalid  (static, key AKIA…E001)"),
        "{out}"
    );
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with("  [cli unknown, sdk invalid, js unknown]"),
        "{out}"
    );
    assert!(
        out.contains("error[hidden-character] (sdk only) ~/.aws/credentials:5:41"),
        "{out}"
    );
    assert!(!out.contains('\x1b'));
}

#[test]
fn exit_codes_and_usage() {
    let h = home(
        &format!("[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
        "",
    );
    // valid offline but not validated → unknown → 3
    let (code, _, _) = run(h.path(), &["check", "--offline"], &[]);
    assert_eq!(code, 3);
    let (code, _, err) = run(h.path(), &["check", "--bogus"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown argument --bogus"), "{err}");
    // the same parser as `credguard check`: one validation mode at a time
    let (code, out, err) = run(h.path(), &["check", "--fresh", "--offline"], &[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("--offline and --fresh cannot be used together"),
        "{err}"
    );
    let (code, out, _) = run(h.path(), &["check", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("credguardd check"), "{out}");
    // a broken config.toml is a clear error with its line
    std::fs::create_dir_all(h.path().join("config/credguard")).unwrap();
    std::fs::write(
        h.path().join("config/credguard/config.toml"),
        "\nexpiring_minutes = \"soon\"\n",
    )
    .unwrap();
    let (code, _, err) = run(h.path(), &["check"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("config.toml") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn a_network_fault_is_unknown_exit_3() {
    let h = home(
        &format!("[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
        "",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, out, err) = run(
        h.path(),
        &["check", "--json"],
        &[("AWS_ENDPOINT_URL_STS", &url)],
    );
    assert_eq!(code, 3, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["profiles"][0]["state"], "unknown");
    assert_eq!(v["profiles"][0]["problems"][0]["code"], "network");
    let cache = std::fs::read_to_string(h.path().join("state/credguard/verdicts.json")).unwrap();
    assert!(!cache.contains(KEY) && !cache.contains(SECRET));
}
