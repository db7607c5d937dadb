//! The AWS CLI is what writes `~/.aws/login/cache` (`aws login`) and the CLI cache, and
//! botocore is its library: botocore from the moto venv (1.44) reads the files where and
//! as credguard does. A real peer for the file formats, no network involved.
#![allow(clippy::unwrap_used)]

use crate::support;

use crate::support::login as cache;
use credguard::aws::login::{self, LoginState};
use credguard::world::World;
use std::process::Command;

const READ: &str = r#"
import json, os, sys
from botocore.utils import (JSONFileCache, generate_login_cache_key,
                            get_login_token_cache_directory)
from botocore.credentials import LoginCredentialFetcher, LoginTokenLoader
arn = sys.argv[1]
d = get_login_token_cache_directory()
f = LoginCredentialFetcher(session_name=arn, token_loader=LoginTokenLoader(JSONFileCache(d)),
                           client_creator=None)
c = f.load_cached_credentials()
print(json.dumps({"path": os.path.join(d, generate_login_cache_key(arn) + ".json"),
                  "access_key": c["access_key"], "expiry_time": c["expiry_time"]}))
"#;

fn botocore(python: &str, env: &[(&str, String)], arn: &str) -> serde_json::Value {
    let out = Command::new(python)
        .args(["-c", READ, arn])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn botocore_reads_the_login_cache_where_and_as_credguard_does() {
    let Some((_, python)) = support::moto::venv() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let arn = "arn:aws:iam::123456789012:user/console";
    let expires = cache::from_now(time::Duration::minutes(12));
    let key = "ASIABOTOCOREEXAMPLE1";
    for (env, dir) in [
        (vec![], home.path().join(".aws/login/cache")),
        (
            vec![(
                "AWS_LOGIN_CACHE_DIRECTORY",
                home.path().join("moved").display().to_string(),
            )],
            home.path().join("moved"),
        ),
    ] {
        let written = cache::write_cache(&dir, arn, (key, "secret", "token"), &expires);
        let mut env = env;
        env.push(("HOME", home.path().display().to_string()));
        let seen = botocore(&python, &env, arn);
        let world = World::new(
            env.iter().map(|(k, v)| (k.to_string(), v.clone())),
            time::OffsetDateTime::now_utc(),
        );
        // the same file...
        assert_eq!(seen["path"], written.display().to_string());
        assert_eq!(
            login::cache_path(&world, arn).unwrap(),
            written,
            "credguard looks where botocore looks"
        );
        // ...read the same way
        let LoginState::Cached { creds, .. } = login::state(&world, arn) else {
            panic!("credguard cannot read what botocore reads");
        };
        assert_eq!(seen["access_key"], key);
        assert_eq!(creds.key_id, key);
        assert_eq!(seen["expiry_time"], expires.as_str());
        assert_eq!(
            creds
                .expires
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap(),
            expires
        );
        std::fs::remove_file(written).unwrap();
    }
}

/// The CLI caches an SSO role's credentials under botocore's key: the same key from
/// botocore itself and from credguard, including a session name JSON must escape.
#[test]
fn botocore_computes_the_sso_role_cache_key_credguard_computes() {
    use credguard::aws::clicache::{SsoSession, sso_key};
    let Some((_, python)) = support::moto::venv() else {
        return;
    };
    let cases = [
        ("123456789012", "Admin", Some("corp")),
        ("123456789012", "Admin", None),
        ("000000000000", "Read-Only.Role@x", Some("cörp \"eu\" \\ ☃")),
    ];
    for (account, role, session) in cases {
        let start_url = "https://corp.awsapps.com/start";
        let script = format!(
            "import sys\nfrom botocore.credentials import SSOCredentialFetcher as F\n\
             print(F({start_url:?}, 'us-east-1', sys.argv[1], sys.argv[2], None, \
             sso_session_name=(sys.argv[3] or None))._create_cache_key())"
        );
        let out = Command::new(&python)
            .args(["-c", &script, role, account, session.unwrap_or("")])
            .output()
            .unwrap();
        let theirs = String::from_utf8(out.stdout).unwrap();
        let ours = sso_key(
            account,
            role,
            match session {
                Some(s) => SsoSession::Named(s),
                None => SsoSession::Legacy { start_url },
            },
        );
        assert_eq!(
            theirs.trim(),
            ours,
            "{account} {role} {session:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The CLI caches an assumed role's credentials under botocore's key for the AssumeRole
/// arguments: the same key from botocore itself and from credguard.
#[test]
fn botocore_computes_the_role_cache_key_credguard_computes() {
    use credguard::aws::clicache::{RoleArgs, cache_key};
    let Some((_, python)) = support::moto::venv() else {
        return;
    };
    let role = "arn:aws:iam::123456789012:role/deployer";
    let cases = [
        RoleArgs {
            role_arn: role,
            ..Default::default()
        },
        RoleArgs {
            role_arn: role,
            external_id: Some("ext-ü \"1\""),
            session_name: Some("me@corp"),
            mfa_serial: Some("arn:aws:iam::123456789012:mfa/me"),
            duration_seconds: Some(3600),
        },
    ];
    for a in cases {
        let mut extra = serde_json::Map::new();
        if let Some(x) = a.external_id {
            extra.insert("ExternalId".into(), x.into());
        }
        if let Some(x) = a.session_name {
            extra.insert("RoleSessionName".into(), x.into());
        }
        if let Some(x) = a.mfa_serial {
            extra.insert("SerialNumber".into(), x.into());
        }
        if let Some(x) = a.duration_seconds {
            extra.insert("DurationSeconds".into(), x.into());
        }
        let script = "import json, sys\n\
             from botocore.credentials import AssumeRoleCredentialFetcher as F\n\
             print(F(None, None, sys.argv[1], extra_args=json.loads(sys.argv[2]))._create_cache_key())";
        let out = Command::new(&python)
            .args([
                "-c",
                script,
                a.role_arn,
                &serde_json::Value::Object(extra).to_string(),
            ])
            .output()
            .unwrap();
        let theirs = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            theirs.trim(),
            cache_key(&a),
            "{a:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
