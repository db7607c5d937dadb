//! Issue 6's "done when": `credguard status --json` from a running daemon shows `expires_at`
//! and `expiring`/`expired` for every source of expiry, and the prompt counts down. STS is
//! a closed port: expiry is judged offline, so the states do not wait on validation.
#![allow(clippy::unwrap_used)]

use crate::support;

use crate::support::daemon::User;
use crate::support::login;
use credguard::aws::clicache::{self, RoleArgs};
use sha1::Digest;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const WAIT: Duration = Duration::from_secs(20);
const KEY: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLETOKEN";

/// The verdict contract's form: UTC, whole seconds.
fn contract(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap()
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap()
}

fn temp(name: &str, field: &str, value: &str) -> String {
    format!(
        "[{name}]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n{field} = {value}\n"
    )
}

#[test]
fn status_shows_expiry_for_every_source_and_the_prompt_counts_down() {
    let user = User::new("http://127.0.0.1:9");
    // whole seconds, so the contract's form is exactly predictable
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let soon = now + time::Duration::minutes(10);
    let plus2 = time::UtcOffset::from_hms(2, 0, 0).unwrap();
    // the four credentials-file fields, each in another RFC 3339 spelling
    let soon_frac = format!(
        "{}.250Z",
        soon.format(&Rfc3339).unwrap().trim_end_matches('Z')
    );
    let spellings = [
        ("aws_expiration", soon.format(&Rfc3339).unwrap()),
        ("x_security_token_expires", soon_frac),
        (
            "expiration",
            soon.to_offset(plus2).format(&Rfc3339).unwrap(),
        ),
        (
            "aws_credential_expiration",
            soon.format(&Rfc3339).unwrap().replace('Z', "+00:00"),
        ),
    ];
    let mut credentials = String::new();
    for (field, value) in &spellings {
        credentials += &temp(field, field, value);
    }
    credentials += &temp(
        "old",
        "aws_expiration",
        &(now - time::Duration::hours(1)).format(&Rfc3339).unwrap(),
    );
    credentials += "[plain]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    std::fs::write(user.credentials(), &credentials).unwrap();
    let role = "arn:aws:iam::123456789012:role/deployer";
    let mfa = "arn:aws:iam::123456789012:mfa/me";
    let session = "arn:aws:iam::123456789012:user/console";
    std::fs::write(
        user.aws().join("config"),
        format!(
            "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\
             [sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n\
             [profile mfa]\nrole_arn = {role}\nsource_profile = plain\nmfa_serial = {mfa}\n\
             [profile chained]\nrole_arn = {role}\nsource_profile = aws_expiration\n\
             [profile console]\nlogin_session = {session}\n"
        ),
    )
    .unwrap();
    // the SSO token cache: SHA-1 of the sso-session name
    let sso = user.aws().join("sso/cache");
    std::fs::create_dir_all(&sso).unwrap();
    std::fs::write(
        sso.join(format!("{}.json", hex::encode(sha1::Sha1::digest(b"corp")))),
        format!(
            r#"{{"accessToken":"sso-access-token-secret","expiresAt":"{}","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}}"#,
            soon.format(&Rfc3339).unwrap()
        ),
    )
    .unwrap();
    // the CLI's cache of the MFA role's credentials, under botocore's key
    let cli = user.aws().join("cli/cache");
    std::fs::create_dir_all(&cli).unwrap();
    let key = clicache::cache_key(&RoleArgs {
        role_arn: role,
        mfa_serial: Some(mfa),
        ..Default::default()
    });
    std::fs::write(
        cli.join(format!("{key}.json")),
        format!(
            r#"{{"Credentials":{{"AccessKeyId":"{KEY}","SecretAccessKey":"{SECRET}","SessionToken":"{TOKEN}","Expiration":"{}"}}}}"#,
            soon.format(&Rfc3339).unwrap()
        ),
    )
    .unwrap();
    // the console-login cache
    login::write_cache(
        &user.aws().join("login/cache"),
        session,
        (KEY, SECRET, TOKEN),
        &soon.format(&Rfc3339).unwrap(),
    );

    let _d = user.start();
    user.wait_state("console", "unknown", WAIT);
    let status = user.status();
    let text = status.to_string();
    for secret in [
        SECRET,
        TOKEN,
        KEY,
        "sso-access-token-secret",
        login::REFRESH_TOKEN,
    ] {
        assert!(!text.contains(secret), "secret material in status");
    }
    let get = |n: &str| support::profile_of(&status, n);
    let expect = |n: &str, state: &str, at: OffsetDateTime| {
        let p = get(n);
        assert_eq!(p["state"], state, "{n}: {p:#}");
        assert_eq!(p["expires_at"], contract(at).as_str(), "{n}: {p:#}");
    };
    for (field, _) in &spellings {
        expect(field, "expiring", soon);
    }
    expect("old", "expired", now - time::Duration::hours(1));
    expect("sso", "expiring", soon);
    expect("mfa", "expiring", soon);
    expect("chained", "expiring", soon);
    // the SDK renews console-login credentials by itself: the time shows, no countdown
    expect("console", "unknown", soon);
    assert_eq!(get("plain")["expires_at"], serde_json::Value::Null);

    // the prompt counts down under the threshold, for a profile and for env credentials
    // with each of the four variables
    let badge = user.prompt(&[("AWS_PROFILE", "sso")]);
    assert!(
        badge == "aws:sso ⏳ 9m" || badge == "aws:sso ⏳ 10m",
        "{badge:?}"
    );
    for var in [
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SESSION_EXPIRATION",
        "AWSUME_EXPIRATION",
        "AWS_SSO_SESSION_EXPIRATION",
    ] {
        let soon_text = soon.format(&Rfc3339).unwrap();
        let env = [
            ("AWS_ACCESS_KEY_ID", KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", TOKEN),
            (var, soon_text.as_str()),
            ("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"),
        ];
        let (b, _) = user.wait_prompt(&env, WAIT, |b| b.contains('⏳'));
        assert!(
            b.ends_with("⏳ 9m") || b.ends_with("⏳ 10m"),
            "{var}: {b:?}"
        );
        assert!(!b.contains(KEY) && !b.contains(SECRET));
    }
}
