//! `config.toml`: every field has a documented default, so an empty file is a valid config.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Minutes before expiry at which a credential turns `expiring` (the first threshold).
    pub expiring_minutes: Vec<u32>,
    /// Minutes an `ok` verdict stays fresh before it is validated again.
    pub revalidate_ok_minutes: u32,
    /// Backoff for `unknown` verdicts: first retry after this many seconds, doubling...
    pub retry_unknown_min_seconds: u32,
    /// ...up to this many seconds.
    pub retry_unknown_max_seconds: u32,
    /// STS calls in flight at once.
    pub max_concurrent_calls: usize,
    pub connect_timeout_ms: u64,
    pub call_timeout_ms: u64,
    /// SignatureDoesNotMatch is only reported after a second call this much later (STS gives
    /// that answer to a valid secret right after the key id was used with another one).
    pub confirm_delay_ms: u64,
    /// Profiles never reported (exact names).
    pub ignore_profiles: Vec<String>,
    /// Run `credential_process` commands to validate what they print (they may ask for a
    /// hardware key touch, so this is off by default).
    pub run_credential_process: bool,
    /// Validate assume-role profiles by calling sts:AssumeRole (a 15-minute session, seen in
    /// CloudTrail) instead of only their source credentials. Profiles with `mfa_serial` are
    /// never assumed (that needs a code).
    pub assume_role: bool,
    /// Seconds a `credential_process` may run before it is abandoned.
    pub credential_process_timeout_seconds: u64,
    /// Desktop notifications before and at expiry, and when valid credentials turn invalid.
    pub notifications: bool,
    /// Profiles that never notify (they still show in the prompt and the reports).
    pub mute_profiles: Vec<String>,
    /// A daily window of local time (`"22:00-07:00"`) in which notifications are held and
    /// delivered, for what still stands, when it ends. None: no quiet hours.
    pub quiet_hours: Option<crate::run::quiet::QuietHours>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            expiring_minutes: vec![15, 5],
            revalidate_ok_minutes: 30,
            retry_unknown_min_seconds: 30,
            retry_unknown_max_seconds: 15 * 60,
            max_concurrent_calls: 4,
            connect_timeout_ms: 3000,
            call_timeout_ms: 10_000,
            confirm_delay_ms: 5_000,
            ignore_profiles: Vec::new(),
            run_credential_process: false,
            credential_process_timeout_seconds: 60,
            assume_role: false,
            notifications: true,
            mute_profiles: Vec::new(),
            quiet_hours: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// The largest threshold: a credential closer than this to its expiry is `expiring`.
    pub fn expiring_threshold(&self) -> time::Duration {
        time::Duration::minutes(i64::from(
            self.expiring_minutes.iter().copied().max().unwrap_or(15),
        ))
    }

    /// Load a config file; a missing file is the default config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let read = crate::aws::fsread::read_limited(path, crate::aws::fsread::MAX_SMALL_FILE)
            .and_then(|b| {
                String::from_utf8(b).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "is not UTF-8")
                })
            });
        match read {
            Ok(text) => Self::parse(&text).map_err(|message| ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_default_and_unknown_keys_are_rejected_with_their_line() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        let c = Config::parse("expiring_minutes = [30]\nrun_credential_process = true\n").unwrap();
        assert_eq!(c.expiring_threshold(), time::Duration::minutes(30));
        assert!(c.run_credential_process);
        let e = Config::parse("\nrun_credential_proces = true\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let c = Config::parse("quiet_hours = \"22:00-07:00\"\n").unwrap();
        assert_eq!(c.quiet_hours.unwrap().to_string(), "22:00-07:00");
        let e = Config::parse("notifications = true\nquiet_hours = \"22h-7h\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("\"22:00-07:00\""), "{e}");
    }
}
