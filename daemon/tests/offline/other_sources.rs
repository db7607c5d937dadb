//! Offline fixtures, continued: SSO, credential_process, bad files, scale, the CLI cache of
//! roles and the console-login cache.
#![allow(clippy::unwrap_used)]

use super::*;
use credguard::aws::readers::Reader;

#[test]
fn sso_token_cache() {
    let config = "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n";
    let h = Home::new("", config);
    // no token cached
    let p = profile(&h.run(), "sso").clone();
    assert_eq!((p.source, p.state), (SourceKind::Sso, State::Expired));
    assert_eq!(
        problem(&p, Code::SsoLoginRequired).fix,
        "aws sso login --sso-session corp"
    );
    // sha1("corp")
    let cache = h.dir.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let name = {
        use sha1::Digest;
        hex::encode(sha1::Sha1::digest(b"corp"))
    };
    let file = cache.join(format!("{name}.json"));
    std::fs::write(&file, r#"{"accessToken":"SECRETTOKEN","expiresAt":"2026-11-22T10:05:00Z","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}"#).unwrap();
    let p = profile(&h.run(), "sso").clone();
    assert_eq!(p.state, State::Expiring);
    assert_eq!(p.expires_at.as_deref(), Some("2026-11-22T10:05:00Z"));
    let p = profile(&h.run_at(datetime!(2026-11-22 12:00:00 UTC)), "sso").clone();
    assert_eq!(p.state, State::Expired);
    std::fs::write(&file, r#"{"accessToken":"SECRETTOKEN","expiresAt":"2026-11-22T09:00:00Z","refreshToken":"R","clientId":"C","clientSecret":"S","registrationExpiresAt":"2027-01-01T00:00:00Z"}"#).unwrap();
    let p = profile(&h.run(), "sso").clone();
    assert_ne!(
        p.state,
        State::Expired,
        "a refreshable token is not dead: {p:#?}"
    );
    assert!(!serde_json::to_string(&p).unwrap().contains("SECRETTOKEN"));
}

#[test]
fn credential_process_is_skipped() {
    let v = Home::new("", "[profile p]\ncredential_process = /bin/false\n")
        .env("AWS_PROFILE", "p")
        .run();
    let p = profile(&v, "p");
    assert_eq!((p.source, p.state), (SourceKind::Process, State::Skipped));
}

#[test]
fn bad_files_are_located_and_others_still_diagnosed() {
    // invalid UTF-8 in the config file: the SDK reads it as empty; credentials still work
    let h = Home::new(&creds("default", KEY, SECRET), "");
    std::fs::write(
        h.dir.path().join(".aws/config"),
        b"[profile x]\nregion = \xff\xfe\n",
    )
    .unwrap();
    let v = h.run();
    let pr = problem(profile(&v, "x"), Code::ParseError);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/config:2:10"));
    // the selected profile is warned (its config settings are gone) but stays usable for
    // the SDK and the JS SDK; botocore cannot decode the config file, so the AWS CLI fails
    let d = profile(&v, "default");
    assert_eq!(problem(d, Code::ParseError).severity, Severity::Warning);
    assert_eq!((d.tools.sdk, d.tools.js), (State::Unknown, State::Unknown));
    let cli = d
        .problems
        .iter()
        .find(|p| p.affects.as_deref() == Some(&[Reader::Cli][..]))
        .unwrap_or_else(|| panic!("no cli-only problem: {d:#?}"));
    assert_eq!(
        (cli.code, cli.location.as_deref()),
        (Code::ParseError, Some("~/.aws/config"))
    );
    assert_eq!((d.tools.cli, d.state), (State::Invalid, State::Invalid));

    // a directory where the credentials file should be
    let h = Home::new("", "[profile a]\nregion = us-east-1\n").env("AWS_PROFILE", "a");
    std::fs::create_dir_all(h.dir.path().join(".aws/credentials")).unwrap();
    let pr = problem(profile(&h.run(), "a"), Code::UnreadableFile).clone();
    assert!(pr.message.contains("directory"), "{}", pr.message);

    // a symlink loop
    let h = Home::new("", "").env("AWS_PROFILE", "a");
    let c = h.dir.path().join(".aws/credentials");
    std::os::unix::fs::symlink(&c, &c).unwrap();
    let pr = problem(profile(&h.run(), "a"), Code::UnreadableFile).clone();
    assert!(pr.message.contains("loop"), "{}", pr.message);

    // a parse error: the SDK fails every profile, and says where
    let text = format!(
        "{}not a property line\n{}",
        creds("a", KEY, SECRET),
        creds("b", KEY, SECRET)
    );
    let v = Home::new(&text, "").run();
    for name in ["a", "b"] {
        let p = profile(&v, name);
        assert_eq!(
            problem(p, Code::ParseError).location.as_deref(),
            Some("~/.aws/credentials:4")
        );
        assert_eq!(p.state, State::Invalid);
    }
    // binary junk and an empty file
    let h = Home::new("", "");
    std::fs::write(
        h.dir.path().join(".aws/credentials"),
        [0u8, 159, 146, 150, 0, 1, 2],
    )
    .unwrap();
    std::fs::write(h.dir.path().join(".aws/config"), b"").unwrap();
    let v = h.run();
    assert!(
        profile(&v, "default")
            .problems
            .iter()
            .any(|p| p.code == Code::ParseError)
    );
}

#[test]
fn thousands_of_profiles_and_a_large_file() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&creds(&format!("p{i}"), KEY, SECRET));
    }
    text.push_str("[p42]\naws_session_token = x\n");
    let v = Home::new(&text, "").run();
    assert_eq!(v.len(), 3000);
    assert_eq!(
        problem(profile(&v, "p42"), Code::StraySessionToken)
            .location
            .as_deref(),
        Some("~/.aws/credentials:9002:21")
    );

    let h = Home::new("", "");
    let big = "# padding line that is long enough to add up quickly ............\n".repeat(800_000);
    std::fs::write(
        h.dir.path().join(".aws/credentials"),
        format!("{big}{}", creds("default", KEY, SECRET)),
    )
    .unwrap();
    let v = h.run();
    assert_eq!(profile(&v, "default").state, State::Unknown);
}

#[test]
fn credential_process_runs_only_when_opted_in() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("creds.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"{TEMP_KEY}\", \"SecretAccessKey\": \"{SECRET}\", \"SessionToken\": \"{TOKEN}\", \"Expiration\": \"2026-11-22T10:07:00Z\"}}'\n")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let h = Home::new(
        "",
        &format!("[profile p]\ncredential_process = {}\n", script.display()),
    )
    .env("AWS_PROFILE", "p");
    let world = World::new(h.env.clone(), datetime!(2026-11-22 10:00:00 UTC));
    let config = Config {
        run_credential_process: true,
        ..Config::default()
    };
    let d = check::offline(&world, &config, Some("p"));
    assert_eq!(d[0].verdict.source, SourceKind::Process);
    assert_eq!(d[0].verdict.key_id.as_deref(), Some("ASIA…P001"));
    assert_eq!(
        d[0].verdict.expires_at.as_deref(),
        Some("2026-11-22T10:07:00Z")
    );
    assert!(d[0].material.is_some());
    // a failing process is an error with its place, without its output
    let h = Home::new("", "[profile p]\ncredential_process = /bin/false\n").env("AWS_PROFILE", "p");
    let world = World::new(h.env.clone(), datetime!(2026-11-22 10:00:00 UTC));
    let d = check::offline(&world, &config, Some("p"));
    let pr = problem(&d[0].verdict, Code::InvalidProfileConfig);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/config:2:22"));
}

#[test]
fn assume_role_expiry_from_the_cli_cache_and_from_the_source_profile() {
    // the source profile's own expiry counts for the role assumed with it
    let text = format!(
        "{}aws_session_token = {TOKEN}\naws_expiration = 2026-11-22T10:07:00Z\n",
        creds("src", TEMP_KEY, SECRET)
    );
    let config = "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = src\n\
                  [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = src2\nmfa_serial = arn:aws:iam::123456789012:mfa/me\nduration_seconds = 3600\nexternal_id = ext\nrole_session_name = me\n\
                  [profile src2]\n";
    let text2 = format!("{text}{}", creds("src2", KEY, SECRET));
    let h = Home::new(&text2, config);
    let v = h.run();
    let role = profile(&v, "role");
    assert_eq!(
        (role.source, role.state),
        (SourceKind::AssumeRole, State::Expiring)
    );
    assert_eq!(role.expires_at.as_deref(), Some("2026-11-22T10:07:00Z"));

    // the CLI's cached role credentials: keyed by botocore's hash of the AssumeRole
    // arguments (see clicache::tests for the reference values)
    let cache = h.dir.path().join(".aws/cli/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let write = |key: &str, exp: &str| {
        std::fs::write(
            cache.join(format!("{key}.json")),
            format!(r#"{{"Credentials":{{"AccessKeyId":"{TEMP_KEY}","SecretAccessKey":"{SECRET}","SessionToken":"{TOKEN}","Expiration":"{exp}"}},"AssumedRoleUser":{{}}}}"#),
        )
        .unwrap();
    };
    // with MFA: running out means typing a code, so expiring counts
    write(
        "16ba6a5510c1c13639a13a98cbfc04c8096f54e0",
        "2026-11-22T10:12:00+00:00",
    );
    let v = h.run();
    let mfa = profile(&v, "mfa");
    assert_eq!(mfa.state, State::Expiring, "{mfa:#?}");
    assert_eq!(mfa.expires_at.as_deref(), Some("2026-11-22T10:12:00Z"));
    let pr = problem(mfa, Code::Expiring);
    assert!(
        pr.location
            .as_deref()
            .unwrap()
            .starts_with("~/.aws/cli/cache/16ba6a55"),
        "{pr:?}"
    );
    assert!(pr.fix.contains("MFA code"), "{pr:?}");
    let v = h.run_at(datetime!(2026-11-22 10:30:00 UTC));
    assert_eq!(profile(&v, "mfa").state, State::Expired);

    // without MFA the CLI assumes the role again by itself: the time shows, no warning
    let h = Home::new(
        &creds("plain", KEY, SECRET),
        "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = plain\n",
    );
    let cache = h.dir.path().join(".aws/cli/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join("6276837b3d6a187e0ff6b3628c88484e532b2dcc.json"),
        r#"{"Credentials":{"Expiration":"2026-11-22T10:05:00Z"}}"#,
    )
    .unwrap();
    let v = h.run();
    let r = profile(&v, "r");
    assert_eq!(r.expires_at.as_deref(), Some("2026-11-22T10:05:00Z"));
    assert!(!codes(r).contains(&Code::Expiring), "{r:#?}");
    // a broken cache file is a located warning, not a crash
    std::fs::write(
        cache.join("6276837b3d6a187e0ff6b3628c88484e532b2dcc.json"),
        "{not json",
    )
    .unwrap();
    let v = h.run();
    let pr = problem(profile(&v, "r"), Code::ParseError);
    assert_eq!(pr.severity, Severity::Warning);
}

/// `aws login` profiles: the cache aws-config's LoginCredentialsProvider reads, named by the
/// SHA-256 of the session ARN (reference names in `login::tests`).
#[test]
fn login_session_cache() {
    let arn = "arn:aws:iam::0123456789012:user/Admin";
    let file = "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json";
    let config = format!(
        "[profile console]\nregion = us-east-1\nlogin_session = {arn}\n\
         [profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = console\n"
    );
    let h = Home::new("", &config);
    // not logged in: located on the profile's login_session line, with the command
    let v = h.run();
    let p = profile(&v, "console");
    assert_eq!((p.source, p.state), (SourceKind::Login, State::Expired));
    let pr = problem(p, Code::LoginRequired);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/config:3:17"));
    assert_eq!(pr.fix, "aws login --profile console");
    // a role assumed from it is down with it, and says which login fixes it
    assert_eq!(
        problem(profile(&v, "deploy"), Code::LoginRequired).fix,
        "aws login --profile console"
    );

    let cache = h.dir.path().join(".aws/login/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let write_in = |dir: &std::path::Path, expires: &str| {
        std::fs::write(
            dir.join(file),
            format!(
                r#"{{"accessToken":{{"accessKeyId":"{TEMP_KEY}","secretAccessKey":"{SECRET}","sessionToken":"{TOKEN}","accountId":"0123456789012","expiresAt":"{expires}"}},"tokenType":"aws_sigv4","refreshToken":"UNIQUEREFRESH","clientId":"arn:aws:signin:::devtools/same-device","dpopKey":"-----BEGIN EC PRIVATE KEY-----\nUNIQUEDPOP\n-----END EC PRIVATE KEY-----\n"}}"#
            ),
        )
        .unwrap();
    };
    let write = |expires: &str| write_in(&cache, expires);
    let leaks = |p: &ProfileVerdict| {
        let json = serde_json::to_string(p).unwrap();
        assert!(
            !json.contains("UNIQUEREFRESH") && !json.contains("UNIQUEDPOP"),
            "{json}"
        );
    };
    // logged in: the access credentials are what gets validated; their end shows, but the
    // SDK renews them by itself, so no countdown and no warning
    write("2026-11-22T10:10:00.123+00:00");
    let v = h.run();
    let p = profile(&v, "console");
    assert_eq!(p.expires_at.as_deref(), Some("2026-11-22T10:10:00Z"));
    assert_eq!(p.key_id.as_deref(), Some("ASIA…P001"));
    assert_eq!(p.state, State::Unknown, "validated online: {p:#?}");
    assert_eq!(codes(p), vec![Code::NotValidated]);
    leaks(p);
    // past expiresAt: refreshable, not dead; say so
    let v = h.run_at(datetime!(2026-11-22 11:00:00 UTC));
    let p = profile(&v, "console");
    assert_ne!(p.state, State::Expired, "{p:#?}");
    let pr = problem(p, Code::NotValidated);
    assert_eq!(pr.severity, Severity::Info);
    assert!(pr.message.contains("refresh token"), "{pr:?}");
    assert!(
        pr.location
            .as_deref()
            .unwrap()
            .starts_with("~/.aws/login/cache/36db1d13"),
        "{pr:?}"
    );
    leaks(p);
    // a file the SDK would refuse: located at the file, the field named, not a crash
    write("2026-11-22T10:10:00Z");
    std::fs::write(
        cache.join(file),
        std::fs::read_to_string(cache.join(file))
            .unwrap()
            .replace("\"dpopKey\"", "\"dpop\""),
    )
    .unwrap();
    let p = profile(&h.run(), "console").clone();
    let pr = problem(&p, Code::LoginRequired);
    assert!(pr.message.contains("`dpopKey` is missing"), "{pr:?}");
    assert!(pr.location.as_deref().unwrap().ends_with(file), "{pr:?}");
    leaks(&p);
    write("not a time");
    let p = profile(&h.run(), "console").clone();
    assert!(
        problem(&p, Code::LoginRequired)
            .message
            .contains("accessToken.expiresAt"),
        "{p:#?}"
    );
    // AWS_LOGIN_CACHE_DIRECTORY moves the cache, as in the SDK
    std::fs::remove_file(cache.join(file)).unwrap();
    let elsewhere = h.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    write_in(&elsewhere, "2026-11-22T10:10:00Z");
    assert_eq!(
        profile(&h.run(), "console").state,
        State::Expired,
        "not in the default place"
    );
    let moved = h.env(
        "AWS_LOGIN_CACHE_DIRECTORY",
        &elsewhere.display().to_string(),
    );
    let p = profile(&moved.run(), "console").clone();
    assert_eq!(p.expires_at.as_deref(), Some("2026-11-22T10:10:00Z"));
    assert!(!codes(&p).contains(&Code::LoginRequired), "{p:#?}");
}
