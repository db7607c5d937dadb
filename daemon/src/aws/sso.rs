//! The SSO token cache (`~/.aws/sso/cache/<sha1>.json`), read as the SDK and CLI do.

use crate::aws::expiry;
use crate::aws::locate;
use crate::verdict::{Code, Problem, ProfileVerdict, Severity};
use crate::world::World;
use credguard_client::rules::short_duration;
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

pub fn problems(
    world: &World,
    state: &TokenState,
    place: Option<String>,
    login: &str,
    v: &mut ProfileVerdict,
    out: &mut Vec<Problem>,
) {
    let shown = |p: &PathBuf| locate::display_path(world, p);
    match state {
        TokenState::Missing { path } => out.push(Problem {
            code: Code::SsoLoginRequired,
            severity: Severity::Error,
            location: place,
            message: format!(
                "no SSO token is cached ({} does not exist): not logged in",
                shown(path)
            ),
            fix: login.to_string(),
        }),
        TokenState::Unreadable { path, reason } => out.push(Problem {
            code: Code::SsoLoginRequired,
            severity: Severity::Error,
            location: Some(shown(path)),
            message: format!("the SSO token cache cannot be read: {reason}"),
            fix: login.to_string(),
        }),
        TokenState::Valid {
            expires,
            left,
            expiring,
            path,
        } => {
            v.expires_at = Some(expiry::format(*expires));
            if *expiring {
                out.push(Problem {
                    code: Code::Expiring,
                    severity: Severity::Warning,
                    location: Some(shown(path)),
                    message: format!(
                        "the SSO session expires in {} (at {})",
                        short_duration(left.whole_seconds()),
                        expiry::format(*expires)
                    ),
                    fix: login.to_string(),
                });
            }
        }
        TokenState::Refreshable { expires, path } => {
            v.expires_at = Some(expiry::format(*expires));
            out.push(Problem {
                code: Code::NotValidated,
                severity: Severity::Info,
                location: Some(shown(path)),
                message: format!("the SSO access token expired at {}, but it is refreshable: the SDK renews it without a browser", expiry::format(*expires)),
                fix: String::new(),
            });
        }
        TokenState::Expired { expires, path } => {
            v.expires_at = Some(expiry::format(*expires));
            out.push(Problem {
                code: Code::SsoLoginRequired,
                severity: Severity::Error,
                location: Some(shown(path)),
                message: format!(
                    "the SSO session expired at {} and cannot be refreshed",
                    expiry::format(*expires)
                ),
                fix: login.to_string(),
            });
        }
    }
}
