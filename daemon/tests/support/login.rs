//! The file `aws login` leaves in `~/.aws/login/cache`, in the shape aws-config's
//! `LoginCredentialsProvider` writes and reads it (`login/cache.rs`, aws-config 1.13).

use sha2::Digest;
use std::path::{Path, PathBuf};

/// The refresh token written into every cache file: tests assert it never shows up.
pub const REFRESH_TOKEN: &str = "login-refresh-token-secret";

/// Write the cache file for `session_arn` under `cache_dir` with these access credentials,
/// valid until `expires_at` (RFC 3339). Returns the file's path.
pub fn write_cache(
    cache_dir: &Path,
    session_arn: &str,
    (key_id, secret, token): (&str, &str, &str),
    expires_at: &str,
) -> PathBuf {
    std::fs::create_dir_all(cache_dir).unwrap();
    let name = hex::encode(sha2::Sha256::digest(session_arn.trim().as_bytes()));
    let path = cache_dir.join(format!("{name}.json"));
    let json = serde_json::json!({
        "accessToken": {
            "accessKeyId": key_id,
            "secretAccessKey": secret,
            "sessionToken": token,
            "accountId": "123456789012",
            "expiresAt": expires_at,
        },
        "tokenType": "aws_sigv4",
        "refreshToken": REFRESH_TOKEN,
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": "-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----\n",
    });
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

/// An RFC 3339 time `d` from now in whole seconds, as the verdict contract prints it (wall
/// clock: for tests against a running daemon).
pub fn from_now(d: time::Duration) -> String {
    (time::OffsetDateTime::now_utc() + d)
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}
