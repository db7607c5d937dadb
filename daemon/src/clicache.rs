//! The AWS CLI's credential cache (`~/.aws/cli/cache/<key>.json`): where the CLI keeps the
//! temporary credentials of an assumed role. The key is botocore's: the SHA-1 of the
//! AssumeRole arguments as `json.dumps(args, sort_keys=True)` (`RoleSessionName` only when
//! the profile sets one).

use crate::expiry;
use crate::locate;
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

/// Python's `json.dumps(args, sort_keys=True)` of the arguments, hashed with SHA-1.
pub fn cache_key(a: &RoleArgs) -> String {
    let s = |v: &str| serde_json::Value::String(v.to_string()).to_string();
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

pub enum Cached {
    /// No cache file: the CLI has not assumed the role yet, or cleaned up.
    None,
    Expires {
        path: PathBuf,
        at: OffsetDateTime,
    },
    Unreadable {
        path: PathBuf,
        why: String,
    },
}

/// What the CLI cache says about these role arguments.
pub fn lookup(world: &World, args: &RoleArgs) -> Cached {
    let Some(aws) = locate::aws_dir(world) else {
        return Cached::None;
    };
    let path = aws
        .join("cli/cache")
        .join(format!("{}.json", cache_key(args)));
    let bytes = match std::fs::read(&path) {
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
    match v["Credentials"]["Expiration"].as_str() {
        Some(raw) => match expiry::parse(raw) {
            Some(at) => Cached::Expires { path, at },
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
}
