//! `config.toml`: every field has a documented default, so an empty file is a valid config.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Minutes before expiry at which a credential turns `expiring` (the first threshold).
    pub expiring_minutes: Vec<u32>,
    /// How long a definite verdict (ok, invalid) of a profile in use stands before STS is
    /// asked again (`"1h"`): a profile a shell asked about within that time (its badge
    /// file read, or the daemon asked over the socket), or one `check`/`doctor` asks about.
    pub revalidate_in_use: Interval,
    /// The same for a profile no shell uses (`"24h"`): idle profiles are asked at most this
    /// often, so that CloudTrail is not filled with credguard's calls.
    pub revalidate_idle: Interval,
    /// The former name of `revalidate_in_use`, in minutes (it wins when set).
    pub revalidate_ok_minutes: Option<u32>,
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
    /// Validate assume-role profiles by calling sts:AssumeRole (free, a 15-minute session,
    /// seen in CloudTrail), as the tools do, instead of only their source credentials (on by
    /// default: `ok` means the role itself was assumed). Profiles with `mfa_serial` are never
    /// assumed (that needs a code); a role not assumed is never plain `ok`.
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
    /// Accounts whose keys are never sent to STS, beside the built-in canary-token accounts
    /// (`daemon/data/canary-accounts.txt`): 12-digit ids.
    pub never_validate_accounts: Vec<String>,
    /// `[accounts]`: the account each profile is meant for, by profile name or glob
    /// (`prod-*`; `*` any run of characters, `?` one) → 12-digit id. A profile whose key
    /// belongs to another account is `wrong-account`. An exact name wins over globs, a
    /// longer glob over a shorter one.
    pub accounts: BTreeMap<String, String>,
    /// The readers of the AWS files whose failures count (`cli`: the AWS CLI and boto3,
    /// `sdk`: the Rust and Java SDKs, `js`: the JS SDK, CDK, Serverless): a profile one of
    /// them cannot use is `invalid` and turns the badge; the others' failures are still
    /// reported, as warnings that name the tools.
    pub tools: Vec<crate::aws::readers::Reader>,
    /// `[guard]`: the shells' pre-command guard (`mode`, `commands`), which the hooks read
    /// from the badge directory (`crate::run::guard`).
    pub guard: crate::run::guard::GuardConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            expiring_minutes: vec![15, 5],
            revalidate_in_use: Interval(3600),
            revalidate_idle: Interval(86_400),
            revalidate_ok_minutes: None,
            retry_unknown_min_seconds: 30,
            retry_unknown_max_seconds: 15 * 60,
            max_concurrent_calls: 4,
            connect_timeout_ms: 3000,
            call_timeout_ms: 10_000,
            confirm_delay_ms: 5_000,
            ignore_profiles: Vec::new(),
            run_credential_process: false,
            credential_process_timeout_seconds: 60,
            assume_role: true,
            notifications: true,
            mute_profiles: Vec::new(),
            quiet_hours: None,
            never_validate_accounts: Vec::new(),
            accounts: BTreeMap::new(),
            tools: crate::aws::readers::Reader::ALL.to_vec(),
            guard: crate::run::guard::GuardConfig::default(),
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
        let c: Config = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        let not_account = |what: String, v: &str| {
            format!(
                "{what}: {v:?} is not a 12-digit AWS account id (account aliases are not supported)"
            )
        };
        for a in &c.never_validate_accounts {
            if !crate::aws::account::is_account_id(a) {
                return Err(not_account("never_validate_accounts".into(), a));
            }
        }
        for (rule, a) in &c.accounts {
            if !crate::aws::account::is_account_id(a) {
                return Err(not_account(format!("accounts.{rule:?}"), a));
            }
        }
        if c.revalidate_idle.0 < c.in_use_seconds() {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("revalidate_idle"))
                .map_or(String::new(), |i| format!("line {}: ", i + 1));
            return Err(format!(
                "{line}revalidate_idle ({}) is shorter than revalidate_in_use ({}s): idle profiles would be asked more often than those in use",
                c.revalidate_idle,
                c.in_use_seconds()
            ));
        }
        if c.tools.is_empty() {
            return Err("tools: name at least one of \"cli\", \"sdk\", \"js\"".into());
        }
        Ok(c)
    }

    /// Seconds a definite verdict of a profile in use stands.
    pub fn in_use_seconds(&self) -> i64 {
        self.revalidate_ok_minutes
            .map_or(self.revalidate_in_use.0, |m| i64::from(m) * 60)
    }

    /// The `[accounts]` entry for `profile` (its key and account): the exact name, else the
    /// longest matching glob.
    pub fn expected_account(&self, profile: &str) -> Option<(&str, &str)> {
        if let Some((rule, a)) = self.accounts.get_key_value(profile) {
            return Some((rule, a));
        }
        self.accounts
            .iter()
            .filter(|(rule, _)| rule.contains(['*', '?']) && glob(rule, profile))
            .max_by_key(|(rule, _)| rule.len())
            .map(|(rule, a)| (rule.as_str(), a.as_str()))
    }

    /// Is `account` never to be validated by configuration (`never_validate_accounts`)?
    pub fn never_validate(&self, account: &str) -> bool {
        self.never_validate_accounts.iter().any(|a| a == account)
    }
}

/// A revalidation interval, written `"30m"`, `"1h"`, `"24h"`, `"1d"` (seconds inside); at
/// least a minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Interval(pub i64);

impl TryFrom<String> for Interval {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match credguard_client::readiness::parse_duration(&s) {
            Some(secs) if secs >= 60 => Ok(Interval(secs)),
            _ => Err(format!(
                "{s:?} is not an interval of a minute or more like \"30m\", \"1h\" or \"24h\""
            )),
        }
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", credguard_client::rules::short_duration(self.0))
    }
}

/// `*` matches any run of characters, `?` one character, anything else itself.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // classic backtracking over the last `*`
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
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

    #[test]
    fn revalidation_intervals_are_durations_checked_with_their_line() {
        let c = Config::default();
        assert_eq!((c.in_use_seconds(), c.revalidate_idle.0), (3600, 86_400));
        let c = Config::parse("revalidate_in_use = \"30m\"\nrevalidate_idle = \"1d\"\n").unwrap();
        assert_eq!((c.in_use_seconds(), c.revalidate_idle.0), (1800, 86_400));
        let c = Config::parse("revalidate_ok_minutes = 45\n").unwrap();
        assert_eq!(c.in_use_seconds(), 2700);
        let e = Config::parse("\nrevalidate_in_use = \"soon\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("\"30m\""), "{e}");
        let e = Config::parse("\n\nrevalidate_idle = \"30s\"\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("a minute"), "{e}");
        let e =
            Config::parse("revalidate_in_use = \"2h\"\nrevalidate_idle = \"1h\"\n").unwrap_err();
        assert!(e.starts_with("line 2: revalidate_idle"), "{e}");
    }

    #[test]
    fn accounts_by_name_then_longest_glob_and_ids_are_checked() {
        let c = Config::parse(
            "never_validate_accounts = [\"123456789012\"]\n\
             [accounts]\nprod = \"111111111111\"\n\"prod-*\" = \"222222222222\"\n\
             \"prod-eu-*\" = \"333333333333\"\n\"dev?\" = \"444444444444\"\n",
        )
        .unwrap();
        assert!(c.never_validate("123456789012") && !c.never_validate("111111111111"));
        assert_eq!(c.expected_account("prod"), Some(("prod", "111111111111")));
        assert_eq!(
            c.expected_account("prod-us"),
            Some(("prod-*", "222222222222"))
        );
        assert_eq!(
            c.expected_account("prod-eu-1"),
            Some(("prod-eu-*", "333333333333"))
        );
        assert_eq!(c.expected_account("dev1"), Some(("dev?", "444444444444")));
        assert_eq!(c.expected_account("dev12"), None);
        assert_eq!(c.expected_account("staging"), None);
        let e = Config::parse("[accounts]\nprod = \"my-prod-alias\"\n").unwrap_err();
        assert!(
            e.contains("accounts.\"prod\"") && e.contains("12-digit"),
            "{e}"
        );
        let e = Config::parse("never_validate_accounts = [\"12345\"]\n").unwrap_err();
        assert!(e.contains("never_validate_accounts"), "{e}");
        assert!(Config::parse("[accounts]\nprod = 111111111111\n").is_err());
        assert!(glob("*", "") && glob("a*b*c", "axxbyyc") && !glob("a*b", "ab-c"));
    }
}
