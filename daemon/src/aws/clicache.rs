//! The AWS CLI's credential cache (`~/.aws/cli/cache/<key>.json`): where the CLI keeps the
//! temporary credentials of an assumed role and of an SSO role. The keys are botocore's:
//! for a role, the SHA-1 of the AssumeRole arguments as `json.dumps(args, sort_keys=True)`
//! (`RoleSessionName` only when the profile sets one); for SSO, the SHA-1 of
//! `{"accountId","roleName","sessionName"}` (or `startUrl` for a legacy profile) as compact
//! sorted JSON (`SSOCredentialFetcher._create_cache_key`).

use crate::aws::expiry;
use crate::aws::locate;
use crate::world::World;
use sha1::{Digest, Sha1};
use std::path::PathBuf;
use time::OffsetDateTime;

/// The AssumeRole arguments that make up the key.
#[derive(Debug, Default)]
pub struct RoleArgs<'a> {
    pub role_arn: &'a str,
    pub external_id: Option<&'a str>,
    pub session_name: Option<&'a str>,
    pub mfa_serial: Option<&'a str>,
    pub duration_seconds: Option<i64>,
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii=True`, the default):
/// every non-ASCII character as `\uXXXX` (lower-case hex, surrogate pairs above U+FFFF),
/// control characters as their short escapes or `\u00XX`. serde_json keeps non-ASCII as
/// it is, which would give another hash for a name like `cörp`.
fn py_json_string(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// Python's `json.dumps(args, sort_keys=True)` of the arguments, hashed with SHA-1.
pub fn cache_key(a: &RoleArgs) -> String {
    let s = py_json_string;
    // keys in sorted order, Python's default separators ", " and ": "
    let mut parts = Vec::new();
    if let Some(d) = a.duration_seconds {
        parts.push(format!("\"DurationSeconds\": {d}"));
    }
    if let Some(e) = a.external_id {
        parts.push(format!("\"ExternalId\": {}", s(e)));
    }
    parts.push(format!("\"RoleArn\": {}", s(a.role_arn)));
    if let Some(n) = a.session_name {
        parts.push(format!("\"RoleSessionName\": {}", s(n)));
    }
    if let Some(m) = a.mfa_serial {
        parts.push(format!("\"SerialNumber\": {}", s(m)));
    }
    let json = format!("{{{}}}", parts.join(", "));
    hex::encode(Sha1::digest(json.as_bytes()))
}

/// botocore's key for an SSO role's credentials: `json.dumps(args, sort_keys=True,
/// separators=(',', ':'))` hashed with SHA-1.
pub fn sso_key(account_id: &str, role_name: &str, session: SsoSession) -> String {
    let s = py_json_string;
    let last = match session {
        SsoSession::Named(n) => format!("\"sessionName\":{}", s(n)),
        SsoSession::Legacy { start_url } => format!("\"startUrl\":{}", s(start_url)),
    };
    let json = format!(
        "{{\"accountId\":{},\"roleName\":{},{last}}}",
        s(account_id),
        s(role_name)
    );
    hex::encode(Sha1::digest(json.as_bytes()))
}

/// How an SSO profile names its session.
#[derive(Clone, Copy, Debug)]
pub enum SsoSession<'a> {
    Named(&'a str),
    Legacy { start_url: &'a str },
}

/// Cached temporary credentials.
pub struct Creds {
    pub key_id: String,
    pub secret: String,
    pub token: String,
}

pub enum Cached {
    /// No cache file: the CLI has not assumed the role yet, or cleaned up.
    None,
    Expires {
        path: PathBuf,
        at: OffsetDateTime,
        /// The credentials themselves, when the file holds all three parts.
        creds: Option<Creds>,
    },
    Unreadable {
        path: PathBuf,
        why: String,
    },
}

/// What the CLI cache holds under `key` ([`cache_key`], [`sso_key`]).
pub fn lookup(world: &World, key: &str) -> Cached {
    let Some(aws) = locate::aws_dir(world) else {
        return Cached::None;
    };
    let path = aws.join("cli/cache").join(format!("{key}.json"));
    let bytes = match crate::aws::fsread::read_limited(&path, crate::aws::fsread::MAX_SMALL_FILE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Cached::None,
        Err(e) => {
            return Cached::Unreadable {
                path,
                why: e.to_string(),
            };
        }
    };
    let v: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return Cached::Unreadable {
                path,
                why: format!("not JSON: {e}"),
            };
        }
    };
    let c = &v["Credentials"];
    let part = |k: &str| c[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let creds = match (
        part("AccessKeyId"),
        part("SecretAccessKey"),
        part("SessionToken"),
    ) {
        (Some(key_id), Some(secret), Some(token)) => Some(Creds {
            key_id,
            secret,
            token,
        }),
        _ => None,
    };
    match c["Expiration"].as_str() {
        Some(raw) => match expiry::parse(raw) {
            Some(at) => Cached::Expires { path, at, creds },
            None => Cached::Unreadable {
                path,
                why: format!("Credentials.Expiration {raw:?} is not an RFC 3339 timestamp"),
            },
        },
        None => Cached::Unreadable {
            path,
            why: "no Credentials.Expiration".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference keys computed by botocore 1.44 itself
    /// (`AssumeRoleCredentialFetcher._create_cache_key()`).
    #[test]
    fn keys_match_botocore() {
        assert_eq!(
            cache_key(&RoleArgs {
                role_arn: "arn:aws:iam::123456789012:role/deployer",
                ..Default::default()
            }),
            "6276837b3d6a187e0ff6b3628c88484e532b2dcc"
        );
        assert_eq!(
            cache_key(&RoleArgs {
                role_arn: "arn:aws:iam::123456789012:role/deployer",
                external_id: Some("ext"),
                session_name: Some("me"),
                mfa_serial: Some("arn:aws:iam::123456789012:mfa/me"),
                duration_seconds: Some(3600),
            }),
            "16ba6a5510c1c13639a13a98cbfc04c8096f54e0"
        );
    }

    /// Reference keys computed by botocore 1.44 itself
    /// (`SSOCredentialFetcher._create_cache_key()`).
    #[test]
    fn sso_keys_match_botocore() {
        assert_eq!(
            sso_key("123456789012", "Admin", SsoSession::Named("corp")),
            "8457bc68cf9d4aa8d629a61563948e8bd3159d49"
        );
        assert_eq!(
            sso_key(
                "123456789012",
                "Admin",
                SsoSession::Legacy {
                    start_url: "https://corp.awsapps.com/start"
                }
            ),
            "e03d8025af26e6a3f6c8402f15b918fb974ccc47"
        );
    }
}
