//! Against a real STS peer: moto's server on 127.0.0.1 with auth enforced. It checks SigV4
//! signatures, so unknown keys, deleted keys, wrong secrets and corrupt session tokens are
//! real answers. In CI a missing moto fails; elsewhere these tests skip with a reason.
//! `moto_canary.rs` proves moto enforces auth and records its answer shapes.
#![allow(clippy::unwrap_used)]

use crate::support;

use crate::support::login;
use crate::support::moto::{Moto, Seed};
use serde_json::Value;
use std::process::Command;
use std::sync::atomic::Ordering;

fn check(home: &std::path::Path, endpoint: &str, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credguardd"))
        .arg("check")
        .arg("--json")
        .args(extra)
        .env_clear()
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("AWS_ENDPOINT_URL_STS", endpoint)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), v, format!("{stdout}{stderr}"))
}

#[test]
fn verdicts_from_a_real_sts_peer() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("alice")
            .user_with_deleted_key("bob")
            .user("carol")
            .assumed_role("role", "deployer", "carol"),
    );
    let (alice, bob, role) = (
        seeded.user("alice"),
        seeded.user("bob"),
        seeded.session("role"),
    );
    let (alice_key, alice_secret) = (alice.access_key_id.clone(), alice.secret_access_key.clone());
    let (role_key, role_secret, role_token) = (
        role.access_key_id.clone(),
        role.secret_access_key.clone(),
        role.session_token.clone(),
    );
    let wrong_secret: String = alice_secret.chars().rev().collect();
    let corrupt_token = format!("{}XXXXXXXX", &role_token[..role_token.len() - 8]);
    let text = format!(
        "[good]\naws_access_key_id = {alice_key}\naws_secret_access_key = {alice_secret}\n\
         [twin]\naws_access_key_id = {alice_key}\naws_secret_access_key = {alice_secret}\n\
         [unknown]\naws_access_key_id = AKIAZZZZZZZZZZZZZZZZ\naws_secret_access_key = {alice_secret}\n\
         [wrongsecret]\naws_access_key_id = {alice_key}\naws_secret_access_key = {wrong_secret}\n\
         [deleted]\naws_access_key_id = {}\naws_secret_access_key = {}\n\
         [role]\naws_access_key_id = {role_key}\naws_secret_access_key = {role_secret}\naws_session_token = {role_token}\n\
         [notoken]\naws_access_key_id = {role_key}\naws_secret_access_key = {role_secret}\n\
         [corrupt]\naws_access_key_id = {role_key}\naws_secret_access_key = {role_secret}\naws_session_token = {corrupt_token}\n",
        bob.access_key_id, bob.secret_access_key,
    );
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(home.path().join(".aws/credentials"), &text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        home.path().join(".aws/credentials"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let (endpoint, calls) = moto.counting_proxy();

    let (code, v, all) = check(home.path(), &endpoint, &[]);
    assert_eq!(code, 1, "{all}");
    for secret in [
        &alice_key,
        &alice_secret,
        &role_key,
        &role_secret,
        &role_token,
        &wrong_secret,
    ] {
        assert!(!all.contains(secret.as_str()), "secret material in output");
    }
    let get = |n: &str| support::profile_of(&v, n);
    let expect = |n: &str, state: &str, code: Option<&str>| {
        let p = get(n);
        assert_eq!(p["state"], state, "{n}: {p:#}");
        match code {
            Some(c) => assert_eq!(p["problems"][0]["code"], c, "{n}: {p:#}"),
            None => assert!(p["problems"].as_array().unwrap().is_empty(), "{n}: {p:#}"),
        }
    };
    expect("good", "ok", None);
    assert_eq!(get("good")["identity"]["account"], "123456789012");
    assert_eq!(get("good")["identity"]["arn"], alice.arn.as_str());
    expect("twin", "ok", None);
    expect("unknown", "invalid", Some("unknown-key"));
    expect("wrongsecret", "invalid", Some("bad-secret"));
    expect("deleted", "invalid", Some("unknown-key"));
    expect("role", "ok", None);
    assert!(
        get("role")["identity"]["arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/deployer/")
    );
    expect("notoken", "invalid", Some("missing-session-token"));
    expect("corrupt", "invalid", Some("invalid-session-token"));
    assert!(v["clock_skew_seconds"].as_f64().unwrap().abs() < 5.0);
    // good and twin share keys: one call. notoken is caught offline: none. wrongsecret is
    // confirmed by a second call: two. Total 1 + 1 + 2 + 1 + 1 + 1 = 7.
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    assert_eq!(
        moto.sts_calls(),
        7,
        "moto's own recorder agrees with the proxy"
    );

    // within the revalidation interval a second check sends nothing
    let (_, v2, _) = check(home.path(), &endpoint, &[]);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        7,
        "second check must make zero STS calls"
    );
    assert_eq!(v2["profiles"], v["profiles"]);
    // --fresh ignores the cache
    check(home.path(), &endpoint, &["--fresh", "--profile", "good"]);
    assert_eq!(calls.load(Ordering::SeqCst), 8);
}

/// A console-login profile (`aws login`): the access credentials cached in
/// `~/.aws/login/cache` are what the SDK signs with, so they are what moto judges.
#[test]
fn login_session_credentials_against_a_real_sts_peer() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("dan")
            .assumed_role("console", "viewer", "dan"),
    );
    let s = seeded.session("console");
    let corrupt = format!("{}XXXXXXXX", &s.session_token[..s.session_token.len() - 8]);
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".aws/login/cache");
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    let good_arn = "arn:aws:iam::123456789012:user/dan";
    let bad_arn = "arn:aws:iam::123456789012:user/eve";
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[profile console]\nlogin_session = {good_arn}\n[profile stale]\nlogin_session = {bad_arn}\n"),
    )
    .unwrap();
    let expires = login::from_now(time::Duration::hours(1));
    for (arn, token) in [(good_arn, &s.session_token), (bad_arn, &corrupt)] {
        login::write_cache(
            &cache,
            arn,
            (&s.access_key_id, &s.secret_access_key, token),
            &expires,
        );
    }
    let (code, v, all) = check(home.path(), &moto.endpoint, &[]);
    assert_eq!(code, 1, "{all}");
    for secret in [
        &s.secret_access_key,
        &s.session_token,
        &s.access_key_id,
        &login::REFRESH_TOKEN.to_string(),
    ] {
        assert!(!all.contains(secret.as_str()), "secret material in output");
    }
    let get = |n: &str| support::profile_of(&v, n);
    let good = get("console");
    assert_eq!(
        (&good["state"], &good["source"]),
        (&"ok".into(), &"login".into()),
        "{good:#}"
    );
    assert!(
        good["identity"]["arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/viewer/"),
        "{good:#}"
    );
    assert!(good["expires_at"].is_string(), "{good:#}");
    let stale = get("stale");
    assert_eq!(stale["state"], "invalid", "{stale:#}");
    assert_eq!(
        stale["problems"][0]["code"], "invalid-session-token",
        "{stale:#}"
    );
}

/// An SSO profile with a live token: the role credentials the AWS CLI cached for it in
/// `~/.aws/cli/cache` (botocore's key, see `clicache::tests`) are validated; without them
/// the token alone judges the profile and STS is not asked.
#[test]
fn sso_role_credentials_cached_by_the_cli_against_a_real_sts_peer() {
    use sha1::Digest;
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("fay").assumed_role("sso", "Admin", "fay"));
    let s = seeded.session("sso");
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    for d in ["sso/cache", "cli/cache"] {
        std::fs::create_dir_all(aws.join(d)).unwrap();
    }
    std::fs::write(
        aws.join("config"),
        "[profile cached]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\
         [profile fresh]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n\
         [sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n",
    )
    .unwrap();
    let later = login::from_now(time::Duration::hours(8));
    std::fs::write(
        aws.join(format!(
            "sso/cache/{}.json",
            hex::encode(sha1::Sha1::digest(b"corp"))
        )),
        format!(r#"{{"accessToken":"sso-token-secret","expiresAt":"{later}","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}}"#),
    )
    .unwrap();
    let key = credguard::aws::clicache::sso_key(
        "123456789012",
        "Admin",
        credguard::aws::clicache::SsoSession::Named("corp"),
    );
    std::fs::write(
        aws.join(format!("cli/cache/{key}.json")),
        serde_json::json!({
            "ProviderType": "sso",
            "Credentials": {
                "AccessKeyId": s.access_key_id,
                "SecretAccessKey": s.secret_access_key,
                "SessionToken": s.session_token,
                "Expiration": login::from_now(time::Duration::hours(1)),
                "AccountId": "123456789012",
            }
        })
        .to_string(),
    )
    .unwrap();
    let (code, v, all) = check(home.path(), &moto.endpoint, &[]);
    assert!(!all.contains(&s.secret_access_key) && !all.contains(&s.session_token));
    assert!(!all.contains("sso-token-secret"));
    let get = |n: &str| support::profile_of(&v, n);
    let cached = get("cached");
    assert_eq!(cached["state"], "ok", "{cached:#}");
    assert!(
        cached["identity"]["arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/Admin/"),
        "{cached:#}"
    );
    // the SSO token's end is the profile's: the role credentials are renewed with it
    assert_eq!(cached["expires_at"], later.as_str(), "{cached:#}");
    let fresh = get("fresh");
    assert_eq!(fresh["identity"], serde_json::Value::Null, "{fresh:#}");
    assert_ne!(fresh["state"], "invalid", "{fresh:#}");
    assert_eq!(moto.calls_with(&s.access_key_id), 1);
    assert_eq!(
        moto.sts_calls(),
        1,
        "only the cached role credentials were sent"
    );
    assert_eq!(
        code, 3,
        "fresh is unknown (not validated), none invalid: {all}"
    );
}

/// `assume_role = true` (the default): role profiles are validated by assuming the role with
/// moto, which evaluates the source's IAM policy. Allowed → the role session's identity;
/// denied → `role-not-assumable`; `mfa_serial` → not assumed, the source is validated and
/// it says so (`needs-mfa`, `skipped`). With `assume_role = false` the source credentials are
/// what is validated, and the verdict says the role was not assumed (`role-not-assumed`).
#[test]
fn assume_role_opt_in_against_a_real_sts_peer() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("gus")
            .role("deployer", "gus", true)
            .role("locked", "gus", false),
    );
    let gus = seeded.user("gus");
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[gus]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            gus.access_key_id, gus.secret_access_key
        ),
    )
    .unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = gus\n\
         [profile locked]\nrole_arn = arn:aws:iam::123456789012:role/locked\nsource_profile = gus\n\
         [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = gus\nmfa_serial = arn:aws:iam::123456789012:mfa/gus\n",
    )
    .unwrap();
    let get = support::profile_of;
    // assume_role = false: the source credentials are validated, no role is assumed, and
    // the verdict says so: never plain ok
    let conf = home.path().join("config/credguard");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(conf.join("config.toml"), "assume_role = false\n").unwrap();
    let (_, v, _) = check(home.path(), &moto.endpoint, &[]);
    assert_eq!(get(&v, "deploy")["identity"]["arn"], gus.arn.as_str());
    let locked = get(&v, "locked");
    assert_eq!(locked["state"], "skipped", "the source is fine: {locked:#}");
    assert_eq!(
        locked["problems"][0]["code"], "role-not-assumed",
        "{locked:#}"
    );

    std::fs::remove_file(conf.join("config.toml")).unwrap();
    let (code, v, all) = check(home.path(), &moto.endpoint, &["--fresh"]);
    assert_eq!(code, 1, "{all}");
    assert!(!all.contains(&gus.secret_access_key));
    let deploy = get(&v, "deploy");
    assert_eq!(deploy["state"], "ok", "{deploy:#}");
    assert_eq!(
        deploy["identity"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/deployer/credguard-check",
        "{deploy:#}"
    );
    let locked = get(&v, "locked");
    assert_eq!(locked["state"], "invalid", "{locked:#}");
    let p = &locked["problems"][0];
    assert_eq!(p["code"], "role-not-assumable", "{locked:#}");
    assert!(
        p["message"].as_str().unwrap().contains("role/locked"),
        "{locked:#}"
    );
    let mfa = get(&v, "mfa");
    assert_eq!(mfa["identity"]["arn"], gus.arn.as_str(), "{mfa:#}");
    assert_eq!(mfa["state"], "skipped", "{mfa:#}");
    assert!(
        mfa["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "needs-mfa" && p["location"] == "~/.aws/config:10:14"),
        "{mfa:#}"
    );
}
