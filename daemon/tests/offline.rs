//! A fixture per offline problem code: code, severity, location, and no secret in the output.
#![allow(clippy::unwrap_used)]

use credguard::config::Config;
use credguard::run::check;
use credguard::verdict::{Code, Problem, ProfileVerdict, Severity, SourceKind, State};
use credguard::world::World;
use std::os::unix::fs::PermissionsExt;
use time::macros::datetime;

const KEY: &str = "AKIAQ3EGUNIQUEKEY001";
const TEMP_KEY: &str = "ASIAQ3EGUNIQUETMP001";
const SECRET: &str = "uNiQuEsEcReT/0123456789abcdefghijKLMNOPQ";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEUNIQUETOKENxyz0123456789";

struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(credentials: &str, config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        if !credentials.is_empty() {
            std::fs::write(aws.join("credentials"), credentials).unwrap();
            std::fs::set_permissions(
                aws.join("credentials"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
        }
        if !config.is_empty() {
            std::fs::write(aws.join("config"), config).unwrap();
        }
        let env = vec![("HOME".to_string(), dir.path().display().to_string())];
        Home { dir, env }
    }

    fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    fn run(&self) -> Vec<ProfileVerdict> {
        self.run_at(datetime!(2026-11-22 10:00:00 UTC))
    }

    fn run_at(&self, now: time::OffsetDateTime) -> Vec<ProfileVerdict> {
        let world = World::new(self.env.clone(), now);
        let mut diags = check::offline(&world, &Config::default(), None);
        check::mark_not_validated(&mut diags, "offline mode");
        let report = check::report(&world, diags, None);
        let json = serde_json::to_string(&report).unwrap();
        for secret in [SECRET, TOKEN, KEY, TEMP_KEY, "UNIQUEKEY", "UNIQUETMP"] {
            assert!(
                !json.contains(secret),
                "secret material {secret} in output: {json}"
            );
        }
        report.profiles
    }
}

fn profile<'a>(v: &'a [ProfileVerdict], name: &str) -> &'a ProfileVerdict {
    v.iter()
        .find(|p| p.profile == name)
        .unwrap_or_else(|| panic!("no profile {name} in {v:#?}"))
}

fn problem(p: &ProfileVerdict, code: Code) -> &Problem {
    p.problems
        .iter()
        .find(|x| x.code == code)
        .unwrap_or_else(|| panic!("no {code:?} in {p:#?}"))
}

fn codes(p: &ProfileVerdict) -> Vec<Code> {
    p.problems.iter().map(|x| x.code).collect()
}

fn creds(name: &str, key: &str, secret: &str) -> String {
    format!("[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
}

#[test]
fn clean_static_profile_is_unknown_until_validated() {
    let h = Home::new(
        &creds("default", KEY, SECRET),
        "[default]\nregion = eu-west-1\n",
    );
    let v = h.run();
    let p = profile(&v, "default");
    assert_eq!(p.state, State::Unknown);
    assert_eq!(p.source, SourceKind::Static);
    assert_eq!(p.key_id.as_deref(), Some("AKIA…Y001"));
    assert_eq!(codes(p), vec![Code::NotValidated]);
}

#[test]
fn what_the_sdk_strips_is_not_flagged() {
    // CRLF line ends, spaces around `=`, trailing spaces and tabs: the SDK trims them all.
    let text = format!(
        "[default]\r\naws_access_key_id   =   {KEY}  \t\r\naws_secret_access_key={SECRET} \r\n"
    );
    let v = Home::new(&text, "").run();
    assert_eq!(codes(profile(&v, "default")), vec![Code::NotValidated]);
}

#[test]
fn hidden_characters_in_the_file() {
    let cases = [
        (
            format!("{KEY}\u{a0}"),
            "ends with U+00A0 NO-BREAK SPACE",
            21 + 20,
        ),
        (
            format!("\u{200b}{KEY}"),
            "starts with U+200B ZERO WIDTH SPACE",
            21,
        ),
        (
            format!("\"{KEY}\""),
            "starts with U+0022 QUOTATION MARK",
            21,
        ),
        (
            "AKIAQ3EG UNIQUEKEY001".to_string(),
            "contains U+0020 SPACE",
            21 + 8,
        ),
        // a file converted to CRLF twice: the SDK strips one CR with the LF, keeps the other
        (
            format!("{KEY}\r\r"),
            "ends with U+000D CARRIAGE RETURN",
            21 + 20,
        ),
    ];
    for (value, msg, col) in cases {
        let text = format!(
            "# mine\n[default]\naws_access_key_id = {value}\naws_secret_access_key = {SECRET}\n"
        );
        let v = Home::new(&text, "").run();
        let p = profile(&v, "default");
        assert_eq!(p.state, State::Invalid, "{value:?}");
        let pr = problem(p, Code::HiddenCharacter);
        assert_eq!(pr.severity, Severity::Error);
        assert!(pr.message.contains(msg), "{} vs {msg}", pr.message);
        let loc = pr.location.as_deref().unwrap();
        assert_eq!(loc, format!("~/.aws/credentials:3:{col}"), "{value:?}");
        assert!(pr.fix.contains("line 3"), "{}", pr.fix);
        assert!(
            !codes(p).contains(&Code::MalformedKeyId),
            "hidden char must not also read as malformed: {p:#?}"
        );
    }
}

#[test]
fn stray_cr_inside_secret_and_bom() {
    let text =
        format!("\u{feff}[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n");
    let v = Home::new(&text, "").run();
    let pr = problem(profile(&v, "default"), Code::HiddenCharacter);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:1:1"));
    assert!(pr.message.contains("BYTE ORDER MARK"));

    let text = format!(
        "[default]\naws_access_key_id = {KEY}\naws_secret_access_key = uNiQuEsEcReT/0123\r456789abcdefghijKLMNOPQ\n"
    );
    let v = Home::new(&text, "").run();
    let pr = problem(profile(&v, "default"), Code::HiddenCharacter);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:3:42"));
    assert!(pr.message.contains("aws_secret_access_key contains U+000D"));
}

#[test]
fn malformed_key_and_secret() {
    let v = Home::new(&creds("default", "AKIAQ3EGUNIQUE", SECRET), "").run();
    let pr = problem(profile(&v, "default"), Code::MalformedKeyId);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:2:21"));
    assert!(pr.message.contains("14 characters"));

    let v = Home::new(&creds("default", "AIDAQ3EGUNIQUEKEY001", SECRET), "").run();
    assert!(
        problem(profile(&v, "default"), Code::MalformedKeyId)
            .message
            .contains("user's unique id")
    );

    let v = Home::new(
        &creds("default", KEY, "uNiQuEsEcReT/0123456789abcdefghijKLMNOP"),
        "",
    )
    .run();
    let pr = problem(profile(&v, "default"), Code::MalformedSecret);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:3:25"));
    assert!(pr.message.contains("39 characters"));
    assert!(!pr.message.contains("uNiQuE"));
}

#[test]
fn missing_halves() {
    let v = Home::new(&format!("[default]\naws_access_key_id = {KEY}\n"), "").run();
    let pr = problem(profile(&v, "default"), Code::MissingSecret);
    assert_eq!(
        (pr.severity, pr.location.as_deref()),
        (Severity::Error, Some("~/.aws/credentials:2:21"))
    );
    let v = Home::new(
        &format!("[default]\naws_secret_access_key = {SECRET}\n"),
        "",
    )
    .run();
    let pr = problem(profile(&v, "default"), Code::MissingKeyId);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:2:25"));
}

#[test]
fn session_token_pairing() {
    let v = Home::new(&creds("t", TEMP_KEY, SECRET), "")
        .env("AWS_PROFILE", "t")
        .run();
    let pr = problem(profile(&v, "t"), Code::MissingSessionToken);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:2:21"));

    let text = format!("{}aws_session_token = {TOKEN}\n", creds("s", KEY, SECRET));
    let v = Home::new(&text, "").run();
    let p = profile(&v, "s");
    let pr = problem(p, Code::StraySessionToken);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:4:21"));
    assert_eq!(p.state, State::Invalid);

    let text = format!(
        "{}aws_session_token = {TOKEN}\n",
        creds("ok", TEMP_KEY, SECRET)
    );
    let v = Home::new(&text, "").run();
    let p = profile(&v, "ok");
    assert_eq!(
        (p.source, codes(p)),
        (SourceKind::Session, vec![Code::NotValidated])
    );
}

#[test]
fn misnamed_sections() {
    let text =
        format!("[profile prod]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n");
    let v = Home::new(&text, "[dev]\nregion = us-east-1\n").run();
    let pr = problem(profile(&v, "prod"), Code::MisnamedSection);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:1"));
    assert!(pr.fix.contains("[prod]"));
    let pr = problem(profile(&v, "dev"), Code::MisnamedSection);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/config:1"));
    assert!(pr.fix.contains("[profile dev]"));
    assert_eq!(profile(&v, "dev").state, State::Invalid);
}

#[test]
fn profile_not_found() {
    let v = Home::new(&creds("default", KEY, SECRET), "")
        .env("AWS_PROFILE", "prdo")
        .run();
    let pr = problem(profile(&v, "prdo"), Code::ProfileNotFound);
    assert_eq!(pr.location.as_deref(), Some("env AWS_PROFILE"));

    let config =
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = nope\n";
    let v = Home::new(&creds("default", KEY, SECRET), config).run();
    let pr = problem(profile(&v, "role"), Code::ProfileNotFound);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/config:3:18"));
}

#[test]
fn assume_role_validates_its_source() {
    let config =
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n";
    let v = Home::new(&creds("base", KEY, SECRET), config).run();
    let p = profile(&v, "role");
    assert_eq!(
        (p.source, p.state),
        (SourceKind::AssumeRole, State::Unknown)
    );
    assert_eq!(p.key_id.as_deref(), Some("AKIA…Y001"));
}

#[test]
fn environment_credentials() {
    let h = Home::new(&creds("default", KEY, SECRET), "").env("AWS_ACCESS_KEY_ID", KEY);
    let v = h.run();
    let pr = problem(profile(&v, "(env)"), Code::PartialEnvCredentials);
    assert_eq!(pr.location.as_deref(), Some("env AWS_SECRET_ACCESS_KEY"));

    // The SDK does not trim env variables: a trailing newline from `$(cat key)` breaks it.
    let h = Home::new(&creds("default", KEY, SECRET), "")
        .env("AWS_ACCESS_KEY_ID", &format!("{KEY}\n"))
        .env("AWS_SECRET_ACCESS_KEY", SECRET);
    let v = h.run();
    let env = profile(&v, "(env)");
    assert_eq!(env.source, SourceKind::Env);
    let pr = problem(env, Code::HiddenCharacter);
    assert!(pr.message.contains("LINE FEED"), "{}", pr.message);
    assert_eq!(pr.location.as_deref(), Some("env AWS_ACCESS_KEY_ID"));
    let shadow = problem(profile(&v, "default"), Code::EnvOverridesProfile);
    assert_eq!(shadow.severity, Severity::Warning);
}

#[test]
fn insecure_permissions() {
    let h = Home::new(&creds("default", KEY, SECRET), "");
    let path = h.dir.path().join(".aws/credentials");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let pr = problem(profile(&h.run(), "default"), Code::InsecurePermissions).clone();
    assert_eq!(
        (pr.severity, pr.location.as_deref()),
        (Severity::Warning, Some("~/.aws/credentials"))
    );
    assert_eq!(pr.fix, "chmod 600 ~/.aws/credentials");
}

#[test]
fn expiry_in_the_file_and_env() {
    let text = format!(
        "{}aws_session_token = {TOKEN}\naws_expiration = 2026-11-22T10:10:00Z\n",
        creds("t", TEMP_KEY, SECRET)
    );
    let h = Home::new(&text, "");
    let p = profile(&h.run(), "t").clone();
    assert_eq!(p.state, State::Expiring);
    assert_eq!(p.expires_at.as_deref(), Some("2026-11-22T10:10:00Z"));
    let pr = problem(&p, Code::Expiring);
    assert_eq!(pr.location.as_deref(), Some("~/.aws/credentials:5:18"));
    assert!(pr.message.contains("10m"));

    let p = profile(&h.run_at(datetime!(2026-11-22 11:00:00 UTC)), "t").clone();
    assert_eq!(p.state, State::Expired);
    assert_eq!(problem(&p, Code::Expired).severity, Severity::Error);

    let text = format!(
        "{}aws_session_token = {TOKEN}\nx_security_token_expires = soon\n",
        creds("t", TEMP_KEY, SECRET)
    );
    let p = profile(&Home::new(&text, "").run(), "t").clone();
    assert_eq!(
        problem(&p, Code::ParseError).location.as_deref(),
        Some("~/.aws/credentials:5:28")
    );

    let v = Home::new("", "")
        .env("AWS_ACCESS_KEY_ID", TEMP_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .env("AWSUME_EXPIRATION", "2026-11-22T09:00:00+00:00")
        .run();
    let env = profile(&v, "(env)");
    assert_eq!(env.state, State::Expired);
    assert_eq!(
        problem(env, Code::Expired).location.as_deref(),
        Some("env AWSUME_EXPIRATION")
    );
}

mod other_sources;
