//! The AWS SDKs' shared test cases (../shared/conformance): credguard must read the files
//! exactly as the SDK does. In CI a missing folder fails; elsewhere it skips with a reason.
#![allow(clippy::unwrap_used)]

use credguard::aws::chain::{self, Base};
use credguard::aws::files::{self, Profiles, Properties};
use credguard::aws::locate::{self, FileKind};
use credguard::world::World;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn load(name: &str) -> Option<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance");
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("conformance data missing at {}: {e}", path.display());
            }
            eprintln!(
                "SKIP: {} not found ({e}); run beside ../shared",
                path.display()
            );
            None
        }
    }
}

fn tests(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        _ => v["tests"].as_array().unwrap().clone(),
    }
}

#[test]
fn file_locations() {
    let Some(data) = load("file-location-tests.json") else {
        return;
    };
    let mut ran = 0;
    for case in tests(&data) {
        let platform = case["platform"].as_str().unwrap();
        if platform == "windows" {
            continue;
        }
        let env: Vec<(String, String)> = case["environment"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let world = World::new(env, time::OffsetDateTime::UNIX_EPOCH);
        let name = case["name"].as_str().unwrap();
        assert_eq!(
            locate::locate(&world, FileKind::Config).path,
            PathBuf::from(case["configLocation"].as_str().unwrap()),
            "{name}"
        );
        assert_eq!(
            locate::locate(&world, FileKind::Credentials).path,
            PathBuf::from(case["credentialsLocation"].as_str().unwrap()),
            "{name}"
        );
        if let Some(p) = case.get("profile").and_then(Value::as_str) {
            assert_eq!(locate::selected_profile(&world).0, p, "{name}");
        }
        ran += 1;
    }
    assert_eq!(ran, 4, "every Linux/macOS case runs");
}

fn props(v: &Value) -> Properties {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn sections(v: Option<&Value>) -> BTreeMap<String, Properties> {
    v.and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), props(v))).collect())
        .unwrap_or_default()
}

#[test]
fn profile_parser() {
    let Some(data) = load("profile-parser-tests.json") else {
        return;
    };
    let cases = tests(&data);
    assert_eq!(cases.len(), 65);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = &case["input"];
        let config = input
            .get("configFile")
            .and_then(Value::as_str)
            .unwrap_or("");
        let credentials = input
            .get("credentialsFile")
            .and_then(Value::as_str)
            .unwrap_or("");
        let got = files::parse_with_sdk(config, credentials);
        let output = &case["output"];
        if let Some(err) = output.get("errorContaining").and_then(Value::as_str) {
            let e = got.expect_err(name);
            assert!(e.contains(err), "{name}: `{e}` lacks `{err}`");
            continue;
        }
        let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = &output["config"];
        assert_eq!(got.profiles, sections(want.get("profiles")), "{name}");
        if let Some(s) = want.get("sso_sessions") {
            assert_eq!(got.sso_sessions, sections(Some(s)), "{name}");
        }
    }
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

/// The chain in the shape the test data uses.
fn shape(chain: &chain::Chain) -> Vec<Value> {
    let mut out = Vec::new();
    let strip = |m: serde_json::Map<String, Value>| -> Value {
        Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect())
    };
    let mut m = serde_json::Map::new();
    match &chain.base {
        Base::AccessKey {
            key_id,
            secret,
            token,
            account_id,
            ..
        } => {
            m.insert("access_key_id".into(), key_id.clone().into());
            m.insert("secret_access_key".into(), secret.clone().into());
            m.insert("session_token".into(), opt(token));
            m.insert("account_id".into(), opt(account_id));
            out.push(serde_json::json!({ "AccessKey": strip(m) }));
        }
        Base::NamedSource { name, .. } => out.push(serde_json::json!({ "NamedSource": name })),
        Base::WebIdentity {
            role_arn,
            token_file,
            session_name,
            ..
        } => {
            m.insert("role_arn".into(), role_arn.clone().into());
            m.insert("web_identity_token_file".into(), token_file.clone().into());
            m.insert("role_session_name".into(), opt(session_name));
            out.push(serde_json::json!({ "WebIdentityToken": strip(m) }));
        }
        Base::Sso {
            session_name,
            region,
            start_url,
            account_id,
            role_name,
            ..
        } => {
            m.insert("sso_session".into(), opt(session_name));
            m.insert("sso_region".into(), region.clone().into());
            m.insert("sso_start_url".into(), start_url.clone().into());
            m.insert("sso_account_id".into(), opt(account_id));
            m.insert("sso_role_name".into(), opt(role_name));
            out.push(serde_json::json!({ "Sso": strip(m) }));
        }
        Base::Process { command, .. } => {
            out.push(serde_json::json!({ "CredentialProcess": command }))
        }
        Base::Login { session_arn, .. } => {
            out.push(serde_json::json!({ "LoginSession": session_arn }))
        }
    }
    for r in &chain.roles {
        let mut m = serde_json::Map::new();
        m.insert("role_arn".into(), r.role_arn.clone().into());
        m.insert("external_id".into(), opt(&r.external_id));
        m.insert("role_session_name".into(), opt(&r.session_name));
        out.push(serde_json::json!({ "AssumeRole": strip(m) }));
    }
    out
}

#[test]
fn assume_role_chains() {
    let Some(data) = load("assume-role-tests.json") else {
        return;
    };
    let cases = tests(&data);
    assert_eq!(cases.len(), 28);
    for case in cases {
        let name = case["docs"].as_str().unwrap();
        let input = &case["input"];
        let profiles = Profiles {
            profiles: sections(input.get("profiles")),
            sso_sessions: sections(input.get("sso_sessions")),
            ..Profiles::default()
        };
        let got = chain::resolve(&profiles, input["selected_profile"].as_str().unwrap());
        let output = &case["output"];
        if let Some(err) = output.get("Error").and_then(Value::as_str) {
            let e = got.expect_err(name);
            assert!(
                e.message.contains(err),
                "{name}: `{}` lacks `{err}`",
                e.message
            );
        } else {
            let got = got.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(Value::Array(shape(&got)), output["ProfileChain"], "{name}");
        }
    }
}
