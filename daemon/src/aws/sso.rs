//! The SSO token cache (`~/.aws/sso/cache/<sha1>.json`), read as the SDK and CLI do.
//! What a token's state means for a profile is judged in `diagnose/sso.rs`.

use crate::aws::expiry;
use crate::aws::locate;
use crate::world::World;
use sha1::{Digest, Sha1};
use std::path::PathBuf;
use time::{Duration, OffsetDateTime};

#[derive(Debug, PartialEq)]
pub enum TokenState {
    /// No cache file: never logged in, or logged out.
    Missing {
        path: PathBuf,
    },
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    Valid {
        path: PathBuf,
        expires: OffsetDateTime,
        left: Duration,
        expiring: bool,
    },
    /// The access token expired but a refresh token and a live client registration let the
    /// SDK refresh it without a browser.
    Refreshable {
        path: PathBuf,
        expires: OffsetDateTime,
    },
    Expired {
        path: PathBuf,
        expires: OffsetDateTime,
    },
}

/// The cache file for an sso-session name or a legacy start URL.
pub fn cache_path(world: &World, key: &str) -> Option<PathBuf> {
    let hash = hex::encode(Sha1::digest(key.as_bytes()));
    locate::aws_dir(world).map(|d| d.join("sso").join("cache").join(format!("{hash}.json")))
}

pub fn token_state(
    world: &World,
    key: &str,
    now: OffsetDateTime,
    threshold: Duration,
) -> TokenState {
    let Some(path) = cache_path(world, key) else {
        return TokenState::Missing {
            path: PathBuf::from("~/.aws/sso/cache"),
        };
    };
    let bytes = match crate::aws::fsread::read_limited(&path, crate::aws::fsread::MAX_SMALL_FILE) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return TokenState::Missing { path },
        Err(e) => {
            return TokenState::Unreadable {
                path,
                reason: e.to_string(),
            };
        }
    };
    let json: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(j) => j,
        Err(e) => {
            return TokenState::Unreadable {
                path,
                reason: format!("not JSON ({e})"),
            };
        }
    };
    let Some(expires) = json
        .get("expiresAt")
        .and_then(|v| v.as_str())
        .and_then(expiry::parse)
    else {
        return TokenState::Unreadable {
            path,
            reason: "expiresAt is missing or not a timestamp".into(),
        };
    };
    let left = expires - now;
    if left > Duration::ZERO {
        return TokenState::Valid {
            path,
            expires,
            left,
            expiring: left <= threshold,
        };
    }
    let has = |k: &str| {
        json.get(k)
            .and_then(|v| v.as_str())
            .is_some_and(|s| !s.is_empty())
    };
    let registration_live = json
        .get("registrationExpiresAt")
        .and_then(|v| v.as_str())
        .and_then(expiry::parse)
        .is_some_and(|t| t > now);
    if has("refreshToken") && has("clientId") && has("clientSecret") && registration_live {
        TokenState::Refreshable { path, expires }
    } else {
        TokenState::Expired { path, expires }
    }
}
