//! Checks on the credential values themselves (hidden characters, key id and secret
//! shapes, a session token that is missing or left over), the same for values from the
//! files and from the environment: only the locations and the fixes differ, and they sit
//! side by side here. The rules are the client library's [`credguard_client::rules`],
//! which the prompt applies too.

use super::context::Ctx;
use crate::verdict::{Code, Problem};
use credguard_client::rules::{self, Hidden, KeyKind};

/// Which credential field a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    KeyId,
    Secret,
    Token,
}

/// Where the values come from.
pub enum Origin<'a> {
    /// Properties of `profile` in the AWS files.
    File { ctx: &'a Ctx<'a>, profile: &'a str },
    /// Environment variables; `token_var` is the one that holds (or would hold) the token.
    Env { token_var: &'static str },
}

/// The three parts of a credential set, as set (unset parts are None).
pub struct Values<'v> {
    pub key_id: Option<&'v str>,
    pub secret: Option<&'v str>,
    pub token: Option<&'v str>,
}

impl Origin<'_> {
    /// The property or variable that holds `field`.
    fn name(&self, field: Field) -> &'static str {
        match (self, field) {
            (Origin::File { .. }, Field::KeyId) => "aws_access_key_id",
            (Origin::File { .. }, Field::Secret) => "aws_secret_access_key",
            (Origin::File { .. }, Field::Token) => "aws_session_token",
            (Origin::Env { .. }, Field::KeyId) => "AWS_ACCESS_KEY_ID",
            (Origin::Env { .. }, Field::Secret) => "AWS_SECRET_ACCESS_KEY",
            (Origin::Env { token_var }, Field::Token) => token_var,
        }
    }

    /// Where character `index` of `field`'s value is (a file's line and column, or the
    /// variable).
    fn at(&self, field: Field, index: usize) -> Option<String> {
        match self {
            Origin::File { ctx, profile } => ctx
                .place(profile, self.name(field))
                .map(|p| format!("{}:{}:{}", ctx.display(p.file), p.line, p.col + index)),
            Origin::Env { .. } => Some(format!("env {}", self.name(field))),
        }
    }

    /// Where `field` is set, or for a file, the profile's header when it is not.
    fn loc(&self, field: Field) -> Option<String> {
        match self {
            Origin::File { ctx, profile } => ctx.loc(profile, self.name(field)),
            Origin::Env { .. } => Some(format!("env {}", self.name(field))),
        }
    }
}

/// Every value check, in the order they are reported: each part's hidden characters and
/// shape, then the pairing of the key with a session token.
pub fn check(origin: &Origin, values: &Values, problems: &mut Vec<Problem>) {
    for (field, value) in [
        (Field::KeyId, values.key_id),
        (Field::Secret, values.secret),
        (Field::Token, values.token),
    ] {
        let Some(mut value) = value else { continue };
        // an indented line the SDK appended: said at that line; the first line checked alone
        if let Origin::File { ctx, profile } = origin
            && let Some((first, _)) = value.split_once('\n')
            && let Some(p) = ctx.continuation(profile, origin.name(field))
        {
            problems.push(p);
            value = first;
        }
        if let Some(h) = rules::find_hidden(value) {
            problems.push(hidden(origin, field, value, &h));
        }
        if let Some((code, m)) = format_issue(field, value) {
            problems.push(malformed(origin, field, code, &m));
        }
    }
    if let Some(key_id) = values.key_id {
        problems.extend(pairing(origin, key_id, values.token));
    }
}

fn hidden(origin: &Origin, field: Field, value: &str, h: &Hidden) -> Problem {
    let name = origin.name(field);
    let location = origin.at(field, h.index);
    match origin {
        Origin::File { ctx, profile } => {
            let more = count_text(value, h);
            let after = match (field, h.index) {
                (Field::KeyId, i) if i > 0 => {
                    let before: Vec<char> = value.chars().take(i).collect();
                    let tail: String = before[before.len().saturating_sub(4)..].iter().collect();
                    format!(" after …{tail}")
                }
                _ => String::new(),
            };
            let fix = match ctx.place(profile, name) {
                Some(p) => format!(
                    "delete the {}{after} on line {}, or retype the value with `aws configure set {name} <value> --profile {profile}`",
                    h.name(),
                    p.line
                ),
                None => {
                    format!(
                        "retype {name} with `aws configure set {name} <value> --profile {profile}`"
                    )
                }
            };
            let message = format!("{name} {} {}{more}", h.place(), h.name());
            Problem::error(Code::HiddenCharacter, location, message, fix)
        }
        Origin::Env { .. } => Problem::error(
            Code::HiddenCharacter,
            location,
            format!(
                "{name} {} {} (character {} of {})",
                h.place(),
                h.name(),
                h.index + 1,
                h.len
            ),
            format!(
                "export {name} again without the {} (the SDK does not trim environment variables)",
                h.name()
            ),
        ),
    }
}

fn malformed(origin: &Origin, field: Field, code: Code, why: &str) -> Problem {
    let name = origin.name(field);
    let fix = match origin {
        Origin::File { profile, .. } => format!(
            "copy {name} again from the IAM console or your key file and set it with `aws configure set {name} <value> --profile {profile}`"
        ),
        Origin::Env { .. } => format!("export {name} again with the value from the IAM console"),
    };
    Problem::error(code, origin.at(field, 0), format!("{name} {why}"), fix)
}

/// A temporary key needs its session token; a long-term key with one has a leftover.
fn pairing(origin: &Origin, key_id: &str, token_value: Option<&str>) -> Option<Problem> {
    let key = origin.name(Field::KeyId);
    let token = origin.name(Field::Token);
    let empty_token = token_value.is_some_and(|t| t.trim().is_empty());
    match (
        rules::key_kind(&rules::without_hidden(key_id)),
        token_value.is_some(),
    ) {
        (KeyKind::Temporary, false) => {
            let (location, absent, fix) = match origin {
                Origin::File { profile, .. } => (
                    origin.loc(Field::KeyId),
                    format!("the profile has no {token}"),
                    format!(
                        "add the {token} that came with this key to profile {profile}: `aws configure set {token} <token> --profile {profile}`, or fetch new credentials"
                    ),
                ),
                Origin::Env { .. } => (
                    Some("env AWS_SESSION_TOKEN".to_string()),
                    "AWS_SESSION_TOKEN is not set".to_string(),
                    "export AWS_SESSION_TOKEN with the token that came with this key".to_string(),
                ),
            };
            Some(Problem::error(
                Code::MissingSessionToken,
                location,
                format!("{key} is a temporary key (ASIA…) but {absent}"),
                fix,
            ))
        }
        (KeyKind::LongTerm, true) => {
            let (present, fix) = match origin {
                Origin::File { ctx, profile } => (
                    match empty_token {
                        true => {
                            format!("the profile also has an empty {token} (the Rust SDK sends it)")
                        }
                        false => format!("the profile also has an {token}"),
                    },
                    stray_token_fix(ctx, profile, empty_token),
                ),
                Origin::Env { .. } => (format!("{token} is set"), format!("unset {token}")),
            };
            Some(Problem::error(
                Code::StraySessionToken,
                origin.loc(Field::Token),
                format!(
                    "{key} is a long-term key (AKIA…) but {present}, left over from temporary credentials"
                ),
                fix,
            ))
        }
        _ => None,
    }
}

/// How many of the hidden characters there are: of the first one's kind, and others.
fn count_text(value: &str, h: &Hidden) -> String {
    let same = value.chars().filter(|c| *c == h.ch).count();
    let others = h.count.saturating_sub(same);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match (same, others) {
        (1, 0) => String::new(),
        (n, 0) => format!(" ({n} of them)"),
        (1, o) => format!(" (and {o} other hidden character{})", plural(o)),
        (n, o) => format!(
            " ({n} of them, and {o} other hidden character{})",
            plural(o)
        ),
    }
}

/// A long-term key's leftover session token: an empty one is deleted (its line holds no
/// token), one with a value commented out (no line holding a token is ever deleted).
fn stray_token_fix(ctx: &Ctx, profile: &str, empty: bool) -> String {
    let token = "aws_session_token";
    let Some(place) = ctx.place(profile, token) else {
        return format!("remove {token} from profile {profile}");
    };
    let (line, shown) = (place.line, ctx.display(place.file));
    if empty {
        format!(
            "delete line {line}, which holds an empty {token} (the SDK sends it as a token): `{}`",
            super::layout::sed(&format!("{line}d"), &shown)
        )
    } else {
        format!(
            "comment out line {line}, the {token} left over: `{}`",
            super::layout::sed(&format!("{line}s/^/# /"), &shown)
        )
    }
}

/// A key id or secret that is not one (judged without its hidden characters, which are
/// reported on their own).
pub fn format_issue(field: Field, value: &str) -> Option<(Code, String)> {
    let clean = rules::without_hidden(value);
    match field {
        Field::KeyId => rules::key_id_problem(&clean).map(|m| (Code::MalformedKeyId, m)),
        Field::Secret => rules::secret_problem(&clean).map(|m| (Code::MalformedSecret, m)),
        Field::Token => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::aws::files;
    use crate::config::Config;
    use crate::world::World;

    const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const TEMP: &str = "ASIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// Files and environment get the same checks; only the locations differ.
    #[test]
    fn files_and_environment_get_the_same_checks() {
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        std::fs::create_dir_all(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            "[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
        )
        .unwrap();
        let world = World::new(
            [("HOME", home.path().to_str().unwrap())],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        let loaded = files::load(&world);
        let config = Config::default();
        let ctx = Ctx::new(&world, &loaded, &config);
        let file = Origin::File {
            ctx: &ctx,
            profile: "p",
        };
        let env = Origin::Env {
            token_var: "AWS_SESSION_TOKEN",
        };
        let cases: [(&str, &str, Option<&str>, &[Code]); 6] = [
            (KEY, SECRET, None, &[]),
            (
                "AKIAIOSFODNN7EXAMPL\u{200b}E",
                SECRET,
                None,
                &[Code::HiddenCharacter],
            ),
            (
                "AIDAIOSFODNN7EXAMPLE",
                "short",
                None,
                &[Code::MalformedKeyId, Code::MalformedSecret],
            ),
            (TEMP, SECRET, None, &[Code::MissingSessionToken]),
            (
                KEY,
                SECRET,
                Some("t\u{a0}"),
                &[Code::HiddenCharacter, Code::StraySessionToken],
            ),
            (KEY, SECRET, Some("t"), &[Code::StraySessionToken]),
        ];
        for (key_id, secret, token, want) in cases {
            let values = Values {
                key_id: Some(key_id),
                secret: Some(secret),
                token,
            };
            let run = |origin: &Origin| {
                let mut problems = Vec::new();
                check(origin, &values, &mut problems);
                problems
            };
            let (from_file, from_env) = (run(&file), run(&env));
            let codes = |ps: &[Problem]| ps.iter().map(|p| p.code).collect::<Vec<_>>();
            assert_eq!(codes(&from_file), want, "{key_id}: {from_file:#?}");
            assert_eq!(codes(&from_env), want, "{key_id}: {from_env:#?}");
            for p in &from_env {
                assert!(
                    p.location
                        .as_deref()
                        .is_some_and(|l| l.starts_with("env AWS_"))
                );
            }
        }
        // a file value points at its line and column, the character's own column for a
        // hidden one
        let mut problems = Vec::new();
        let values = Values {
            key_id: Some("AKIAIOSFODNN7EXAMPL\u{200b}E"),
            secret: Some(SECRET),
            token: None,
        };
        check(&file, &values, &mut problems);
        assert_eq!(
            problems[0].location.as_deref(),
            Some("~/.aws/credentials:2:40")
        );
        assert_eq!(
            problems[0].message,
            "aws_access_key_id contains U+200B ZERO WIDTH SPACE"
        );
    }
}
