//! The console-login cache (`~/.aws/login/cache/<sha256>.json`) that `aws login` writes for a
//! profile with `login_session = <arn>`, read as aws-config's `LoginCredentialsProvider` reads
//! it (aws-config 1.13, `login/cache.rs`): the file name is the hex SHA-256 of the trimmed
//! session ARN, `AWS_LOGIN_CACHE_DIRECTORY` moves the directory, and the SDK refuses the file
//! unless it holds all of `accessToken.{accessKeyId, secretAccessKey, sessionToken, accountId,
//! expiresAt}`, `tokenType = aws_sigv4`, `refreshToken`, `clientId` and `dpopKey` (keys
//! matched without regard to case).
//!
//! The access credentials live minutes; the SDK renews them with the refresh token (signed
//! with the DPoP key) from five minutes before they run out. So a passed `expiresAt` is not a
//! dead session: only AWS Sign-In knows when the console session itself ends, and asking it
//! would rotate the user's tokens, which credguard never does.

use crate::aws::expiry;
use crate::aws::locate;
use crate::world::World;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use time::OffsetDateTime;

/// The SDK's variable that moves the cache directory.
pub const CACHE_DIR_VAR: &str = "AWS_LOGIN_CACHE_DIRECTORY";

/// The access credentials of a cached login session.
pub struct Cached {
    pub key_id: String,
    pub secret: String,
    pub token: String,
    pub expires: OffsetDateTime,
}

pub enum LoginState {
    /// No cache file: `aws login` was never run for this session, or the cache was cleared.
    Missing { path: PathBuf },
    /// A file the SDK would refuse; `why` names the field, never a value.
    Unreadable { path: PathBuf, why: String },
    /// What the SDK would sign with, or refresh first when `expires` has passed.
    Cached { path: PathBuf, creds: Cached },
}

/// The cache directory: `$AWS_LOGIN_CACHE_DIRECTORY` taken as it is (the SDK expands no
/// `~` there), else `~/.aws/login/cache`.
pub fn cache_dir(world: &World) -> Option<PathBuf> {
    match world.var(CACHE_DIR_VAR) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => locate::aws_dir(world).map(|d| d.join("login").join("cache")),
    }
}

/// The cache file for a `login_session` ARN.
pub fn cache_path(world: &World, session_arn: &str) -> Option<PathBuf> {
    let hash = hex::encode(Sha256::digest(session_arn.trim().as_bytes()));
    cache_dir(world).map(|d| d.join(format!("{hash}.json")))
}

pub fn state(world: &World, session_arn: &str) -> LoginState {
    let Some(path) = cache_path(world, session_arn) else {
        return LoginState::Missing {
            path: PathBuf::from("~/.aws/login/cache"),
        };
    };
    let bytes = match crate::aws::fsread::read_limited(&path, crate::aws::fsread::MAX_SMALL_FILE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return LoginState::Missing { path };
        }
        Err(e) => {
            return LoginState::Unreadable {
                path,
                why: e.to_string(),
            };
        }
    };
    match parse(&bytes) {
        Ok(creds) => LoginState::Cached { path, creds },
        Err(why) => LoginState::Unreadable { path, why },
    }
}

/// A member of a JSON object, its key matched without regard to ASCII case (as the SDK does).
fn member<'a>(obj: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn string(obj: &serde_json::Value, key: &str, within: &str) -> Result<String, String> {
    match member(obj, key) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(serde_json::Value::String(_)) => Err(format!("`{within}{key}` is empty")),
        Some(_) => Err(format!("`{within}{key}` is not a string")),
        None => Err(format!("`{within}{key}` is missing")),
    }
}

/// The fields the SDK needs, or which one it would stumble on. Messages name fields only.
pub fn parse(bytes: &[u8]) -> Result<Cached, String> {
    let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's message carries a position, never the text around it
        format!("not JSON ({e})")
    })?;
    if !json.is_object() {
        return Err("not a JSON object".into());
    }
    let access = member(&json, "accessToken").ok_or("`accessToken` is missing")?;
    if !access.is_object() {
        return Err("`accessToken` is not an object".into());
    }
    let at = "accessToken.";
    let key_id = string(access, "accessKeyId", at)?;
    let secret = string(access, "secretAccessKey", at)?;
    let token = string(access, "sessionToken", at)?;
    string(access, "accountId", at)?;
    let raw = string(access, "expiresAt", at)?;
    let expires = expiry::parse(&raw)
        .ok_or_else(|| format!("`accessToken.expiresAt` {raw:?} is not an RFC 3339 timestamp"))?;
    let kind = string(&json, "tokenType", "")?;
    if !kind.eq_ignore_ascii_case("aws_sigv4") {
        return Err(format!(
            "`tokenType` is {kind:?}; the SDK accepts only \"aws_sigv4\""
        ));
    }
    for key in ["refreshToken", "clientId", "dpopKey"] {
        string(&json, key, "")?;
    }
    Ok(Cached {
        key_id,
        secret,
        token,
        expires,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn world(vars: &[(&str, &str)]) -> World {
        World::new(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    /// The reference names from aws-config's own tests (`determine_correct_cache_filenames`).
    #[test]
    fn file_names_match_the_sdk() {
        let w = world(&[("HOME", "/home/someuser")]);
        let p = |arn: &str| cache_path(&w, arn).unwrap().display().to_string();
        let admin = "/home/someuser/.aws/login/cache/36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json";
        assert_eq!(p("arn:aws:iam::0123456789012:user/Admin"), admin);
        assert_eq!(p("  arn:aws:iam::0123456789012:user/Admin  "), admin);
        assert_eq!(
            p("arn:aws:iam::000000000000:user/PowerUser"),
            "/home/someuser/.aws/login/cache/d19c78f768c6a12874de5f41d7f22cbb834ba205704102da0db20d8496efecb5.json"
        );
        let w = world(&[("HOME", "/h"), (CACHE_DIR_VAR, "/elsewhere")]);
        assert!(
            cache_path(&w, "arn:aws:iam::0123456789012:user/Admin")
                .unwrap()
                .starts_with("/elsewhere")
        );
    }

    const GOOD: &str = r#"{
        "accessToken": {
            "accessKeyId": "ASIAEXAMPLEEXAMPLE01",
            "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "sessionToken": "session-token",
            "accountId": "012345678901",
            "expiresAt": "2021-12-25T21:30:00Z"
        },
        "tokenType": "aws_sigv4",
        "refreshToken": "refresh-token-value",
        "idToken": "identity-token-value",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": "-----BEGIN EC PRIVATE KEY-----\ntest\n-----END EC PRIVATE KEY-----\n"
    }"#;

    #[test]
    fn parses_what_the_sdk_writes_and_names_the_field_it_would_refuse() {
        let c = parse(GOOD.as_bytes()).unwrap();
        assert_eq!(c.key_id, "ASIAEXAMPLEEXAMPLE01");
        assert_eq!(c.token, "session-token");
        assert_eq!(c.expires.unix_timestamp(), 1_640_467_800);
        // keys in another case are still the SDK's keys
        assert!(
            parse(
                GOOD.replace("\"accessToken\"", "\"AccessToken\"")
                    .as_bytes()
            )
            .is_ok()
        );
        for (from, to, why) in [
            ("\"dpopKey\"", "\"dpop\"", "`dpopKey` is missing"),
            ("\"clientId\"", "\"client\"", "`clientId` is missing"),
            (
                "\"refreshToken\": \"refresh-token-value\"",
                "\"refreshToken\": \"\"",
                "`refreshToken` is empty",
            ),
            ("\"aws_sigv4\"", "\"bearer\"", "`tokenType` is \"bearer\""),
            (
                "\"accountId\"",
                "\"account\"",
                "`accessToken.accountId` is missing",
            ),
            (
                "2021-12-25T21:30:00Z",
                "tomorrow",
                "`accessToken.expiresAt` \"tomorrow\" is not an RFC 3339",
            ),
        ] {
            let err = parse(GOOD.replace(from, to).as_bytes()).err().unwrap();
            assert!(err.starts_with(why), "{from} -> {to}: {err}");
            assert!(!err.contains("wJalr") && !err.contains("refresh-token-value"));
        }
        let err = parse(b"{\"accessToken\": ").err().unwrap();
        assert!(err.starts_with("not JSON"), "{err}");
        assert_eq!(parse(b"[]").err().unwrap(), "not a JSON object");
    }
}
