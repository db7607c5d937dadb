//! Remembered accounts: the AWS account each profile held at its last `ok` verdict, kept in
//! the state dir (`accounts.json`: profile → account id and when, no secret) so that a
//! profile that later holds another account's key is `wrong-account` without any config
//! ([`crate::diagnose::account`]). Written atomically like the verdict cache; a corrupt
//! file is discarded with a log line.

use crate::diagnose::ENV_PROFILE;
use crate::diagnose::account::{Memory, Seen};
use crate::validate::cache::{CacheError, write_atomic};
use crate::verdict::{Code, ProfileVerdict, State};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FILE: &str = "accounts.json";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    profiles: BTreeMap<String, Seen>,
}

/// The remembered accounts and the file they live in (none: in memory only).
#[derive(Default)]
pub struct Accounts {
    pub seen: BTreeMap<String, Seen>,
    path: Option<PathBuf>,
}

impl Accounts {
    /// Read `dir/accounts.json`; missing is empty, corrupt is discarded with a log line.
    pub fn open(dir: &Path) -> Accounts {
        let path = dir.join(FILE);
        let seen = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<OnDisk>(&bytes) {
                Ok(d) if d.version == VERSION => d.profiles,
                Ok(_) => {
                    tracing::info!("remembered accounts of another version discarded");
                    BTreeMap::new()
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "remembered accounts file is corrupt; discarded");
                    BTreeMap::new()
                }
            },
            Err(_) => BTreeMap::new(),
        };
        Accounts {
            seen,
            path: Some(path),
        }
    }

    /// What the diagnosis compares against; `accept`: the profile whose new account the
    /// user confirms (`check --fresh --profile P`), not held to its remembered one.
    pub fn memory(&self, accept: Option<&str>) -> Memory {
        Memory {
            seen: self.seen.clone(),
            accept: accept.map(str::to_string),
        }
    }

    /// Remember the account of every profile STS accepted (`ok`, or `expiring`), at `now`
    /// (unix seconds). True when an account is new or changed (the time alone is not
    /// worth a write).
    pub fn learn(&mut self, verdicts: &[ProfileVerdict], now: i64) -> bool {
        let mut changed = false;
        for v in verdicts {
            let accepted = matches!(v.state, State::Ok | State::Expiring) && v.identity.is_some();
            let Some(account) = v.account.as_ref().filter(|_| accepted) else {
                continue;
            };
            if v.profile == ENV_PROFILE || v.profile.starts_with('(') {
                continue;
            }
            // a key id that decodes to another account than STS answered: its offline
            // account cannot be held against the answer, so nothing is remembered for it
            if v.problems.iter().any(|p| p.code == Code::AccountMismatch) {
                changed |= self.seen.remove(&v.profile).is_some();
                continue;
            }
            let before = self.seen.insert(
                v.profile.clone(),
                Seen {
                    account: account.clone(),
                    at: now,
                },
            );
            match before {
                Some(b) if &b.account == account => {}
                Some(b) => {
                    tracing::info!(profile = %v.profile, from = %b.account, to = %account, "profile now remembered with another account");
                    changed = true;
                }
                None => changed = true,
            }
        }
        changed
    }

    pub fn save(&self) -> Result<(), CacheError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let data = OnDisk {
            version: VERSION,
            profiles: self.seen.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&data).unwrap_or_default();
        write_atomic(path, &bytes)
    }

    /// [`Accounts::learn`], saved when something changed (a failure is logged). True when
    /// something changed.
    pub fn learn_and_save(&mut self, verdicts: &[ProfileVerdict], now: i64) -> bool {
        let changed = self.learn(verdicts, now);
        if changed && let Err(e) = self.save() {
            tracing::warn!(error = %e, "remembered accounts not saved");
        }
        changed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::verdict::{Identity, SourceKind};

    fn v(profile: &str, state: State, account: &str) -> ProfileVerdict {
        ProfileVerdict {
            profile: profile.into(),
            state,
            source: SourceKind::Static,
            key_id: Some("AKIA…ABCD".into()),
            account: Some(account.into()),
            expected_account: None,
            identity: Some(Identity {
                account: account.into(),
                arn: format!("arn:aws:iam::{account}:user/u"),
            }),
            expires_at: None,
            problems: Vec::new(),
            tools: Default::default(),
            judging: Default::default(),
        }
    }

    #[test]
    fn ok_verdicts_are_remembered_without_secrets_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Accounts::open(dir.path());
        let mut invalid = v("broken", State::Invalid, "333333333333");
        invalid.identity = None;
        let verdicts = [
            v("prod", State::Ok, "111111111111"),
            v("(env)", State::Ok, "222222222222"),
            invalid,
        ];
        assert!(a.learn_and_save(&verdicts, 1000));
        assert!(!a.learn(&verdicts, 2000), "same account: no change");
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(
            text.contains("\"prod\"") && text.contains("111111111111"),
            "{text}"
        );
        assert!(!text.contains("AKIA") && !text.contains("(env)") && !text.contains("broken"));
        let again = Accounts::open(dir.path());
        assert_eq!(again.seen["prod"].account, "111111111111");
        assert_eq!(again.seen.len(), 1);
        // a forged key id (decoded ≠ answered): forgotten, not held against it
        let mut forged = v("prod", State::Ok, "444444444444");
        forged.problems.push(crate::verdict::Problem::warning(
            Code::AccountMismatch,
            None,
            "m",
            "f",
        ));
        let mut again = again;
        assert!(again.learn(&[forged], 3000));
        assert!(again.seen.is_empty());
        let m = again.memory(Some("prod"));
        assert_eq!(m.accept.as_deref(), Some("prod"));
    }

    #[test]
    fn a_corrupt_file_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        let mut a = Accounts::open(dir.path());
        assert!(a.seen.is_empty());
        assert!(a.learn_and_save(&[v("p", State::Ok, "111111111111")], 1));
        assert_eq!(Accounts::open(dir.path()).seen.len(), 1);
    }
}
