//! The account pass: which AWS account each profile's credentials belong to, known offline
//! where the key id encodes it ([`crate::aws::account`]), the role's account for a role
//! profile, `sso_account_id` for SSO; then the two guards that need it:
//!
//! * a key of a canary-token account (the built-in list or config `never_validate_accounts`)
//!   loses its material, so no STS call (GetCallerIdentity or AssumeRole) is ever planned
//!   for it, and the profile is `skipped` with `canary-token`;
//! * a profile whose account is not the one config `[accounts]` expects (or, without an
//!   entry, the one it held at its last `ok` verdict: [`Memory`]) is `wrong-account`.
//!
//! [`confirm`] folds STS's answer in: its account is what `account` shows, a key id that
//! decodes to another account than STS answered is `account-mismatch`.

use crate::aws::account::{self, KeyAccount};
use crate::aws::chain::{self, Base};
use crate::aws::files::Loaded;
use crate::aws::locate;
use crate::config::Config;
use crate::diagnose::env::env_credentials;
use crate::diagnose::{Diagnosis, ENV_PROFILE};
use crate::verdict::{
    Code, Expectation, ExpectedBy, Identity, Problem, Severity, SourceKind, mask_key_id,
    offline_state,
};
use crate::world::World;
use credguard_client::rules;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What decides a profile's account, and where it is set.
#[derive(Debug, Default, PartialEq)]
struct Origin {
    /// The access key id the credentials start from (sent to STS, or would be).
    key_id: Option<String>,
    key_location: Option<String>,
    /// For a role profile: the account of its (last) role_arn, and where that is set.
    role: Option<(Option<String>, Option<String>)>,
    /// `sso_account_id` of an SSO profile.
    sso_account: Option<String>,
}

/// An account a profile held at an `ok` verdict, and when (unix seconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub account: String,
    pub at: i64,
}

/// The remembered accounts (`crate::validate::accounts` keeps them in the state dir).
#[derive(Clone, Debug, Default)]
pub struct Memory {
    pub seen: BTreeMap<String, Seen>,
    /// The profile whose new account the user is confirming (`check --fresh --profile P`):
    /// not held to its remembered account, so STS is asked and its `ok` is remembered.
    pub accept: Option<String>,
}

impl Memory {
    fn expectation(&self, profile: &str) -> Option<(String, ExpectedBy)> {
        if self.accept.as_deref() == Some(profile) {
            return None;
        }
        let seen = self.seen.get(profile)?;
        let at = time::OffsetDateTime::from_unix_timestamp(seen.at)
            .map(crate::aws::expiry::format)
            .unwrap_or_default();
        Some((seen.account.clone(), ExpectedBy::Remembered { at }))
    }
}

/// Add `account` to every diagnosis, and the canary and expected-account guards.
pub fn annotate(world: &World, loaded: &Loaded, config: &Config, diags: &mut [Diagnosis]) {
    annotate_with(world, loaded, config, &Memory::default(), diags);
}

/// [`annotate`], with the accounts profiles held at their last `ok` verdict: `[accounts]`
/// wins over them.
pub fn annotate_with(
    world: &World,
    loaded: &Loaded,
    config: &Config,
    memory: &Memory,
    diags: &mut [Diagnosis],
) {
    for d in diags {
        let origin = origin(world, loaded, d);
        let decoded = origin.key_id.as_deref().map(account::decode);
        let key_account = decoded.as_ref().and_then(KeyAccount::account);
        if let Some(a) = key_account
            && canary_guard(config, d, a, &origin)
        {
            continue;
        }
        let (account, location) = match &origin.role {
            Some((role_account, at)) => (role_account.clone(), at.clone()),
            None => (
                key_account.map(str::to_string).or(origin.sso_account),
                origin.key_location,
            ),
        };
        d.verdict.account = account;
        if d.verdict.profile == ENV_PROFILE {
            continue;
        }
        let profile = d.verdict.profile.as_str();
        let expected = config
            .expected_account(profile)
            .map(|(rule, a)| {
                let by = ExpectedBy::Config {
                    rule: rule.to_string(),
                };
                (a.to_string(), by)
            })
            .or_else(|| memory.expectation(profile));
        let Some((account, by)) = expected else {
            continue;
        };
        let expectation = Expectation {
            account,
            by,
            location,
        };
        if let Some(actual) = d.verdict.account.clone()
            && actual != expectation.account
        {
            d.verdict
                .problems
                .push(wrong_account(&d.verdict.profile, &actual, &expectation));
            d.verdict.state = offline_state(&d.verdict.problems);
            // an error found offline: nothing to ask STS, as for every other one
            d.material = None;
        }
        d.verdict.expected_account = Some(expectation);
    }
}

/// A key of a canary-token account: `canary-token`, `skipped`, and no material. True when
/// it was one.
fn canary_guard(config: &Config, d: &mut Diagnosis, account: &str, origin: &Origin) -> bool {
    let why = match account::canary(account) {
        Some(note) => format!("a known canary-token account ({note})"),
        None if config.never_validate(account) => "listed in never_validate_accounts".into(),
        None => return false,
    };
    let key = origin
        .key_id
        .as_deref()
        .map(mask_key_id)
        .unwrap_or_default();
    d.verdict.account = Some(account.to_string());
    d.verdict.problems.push(Problem::new(
        Code::CanaryToken,
        Severity::Info,
        origin.key_location.clone(),
        format!(
            "key {key} belongs to account {account}, {why}: credguard never sends it to AWS, as any call with it would set off the alarm of whoever planted it"
        ),
        "nothing to do if it is a tripwire you planted; otherwise delete the key from this profile",
    ));
    d.verdict.state = offline_state(&d.verdict.problems);
    d.material = None;
    true
}

fn wrong_account(profile: &str, actual: &str, e: &Expectation) -> Problem {
    let place = e.location.as_deref().unwrap_or("this profile");
    let expected = &e.account;
    let (message, fix) = match &e.by {
        ExpectedBy::Config { rule } => (
            format!(
                "profile {profile} holds credentials of account {actual}, but config [accounts] expects {expected} (entry {rule:?})"
            ),
            format!(
                "put a key of account {expected} at {place}, or change the {rule:?} entry of [accounts] in credguard's config.toml to {actual}"
            ),
        ),
        ExpectedBy::Remembered { at } => (
            format!(
                "profile {profile} holds credentials of account {actual}, but it held account {expected} when it was last valid ({at})"
            ),
            format!(
                "if account {actual} is right for {profile}, accept it: credguard check --fresh --profile {}; otherwise put a key of account {expected} back at {place}",
                shell_word(profile)
            ),
        ),
    };
    Problem::error(Code::WrongAccount, e.location.clone(), message, fix)
}

/// `name` as one shell word: as is when plain, else single-quoted.
fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@+".contains(c));
    if plain {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', "'\\''"))
    }
}

/// Where a diagnosis's account comes from: the key it validates (or would, but for an
/// error), or its role, or its SSO account.
fn origin(world: &World, loaded: &Loaded, d: &Diagnosis) -> Origin {
    let material_key = d.material.as_ref().map(|m| m.key_id.clone());
    let env_key = || {
        env_credentials(world)
            .and_then(|e| e.key_id)
            .map(|k| rules::without_hidden(&k))
    };
    if d.verdict.profile == ENV_PROFILE {
        return Origin {
            key_id: material_key.or_else(env_key),
            key_location: Some("env AWS_ACCESS_KEY_ID".into()),
            ..Origin::default()
        };
    }
    let Ok(chain) = chain::resolve(&loaded.profiles, &d.verdict.profile) else {
        return Origin {
            key_id: material_key,
            ..Origin::default()
        };
    };
    let mut o = Origin {
        key_id: material_key,
        role: chain.roles.last().map(|hop| {
            let acct = hop
                .role_arn
                .split(':')
                .nth(4)
                .filter(|a| account::is_account_id(a))
                .map(str::to_string);
            (acct, loc(world, loaded, &hop.profile, "role_arn"))
        }),
        ..Origin::default()
    };
    match &chain.base {
        Base::AccessKey {
            profile, key_id, ..
        } => {
            o.key_id = o.key_id.or_else(|| Some(rules::without_hidden(key_id)));
            o.key_location = loc(world, loaded, profile, "aws_access_key_id");
        }
        Base::NamedSource { name, .. } if name == "Environment" => {
            o.key_id = o.key_id.or_else(env_key);
            o.key_location = Some("env AWS_ACCESS_KEY_ID".into());
        }
        Base::Sso { account_id, .. } => o.sso_account = account_id.clone(),
        _ => {}
    }
    o
}

/// `~/.aws/credentials:3:19`: where `key` of `profile` is set (the credentials file wins,
/// as in the SDK), as the other problems locate it.
fn loc(world: &World, loaded: &Loaded, profile: &str, key: &str) -> Option<String> {
    [&loaded.credentials, &loaded.config]
        .into_iter()
        .find_map(|f| {
            f.scan.find(f.located.kind, profile, key).map(|p| {
                let shown = locate::display_path(world, &f.located.path);
                format!("{shown}:{}:{}", p.line, p.value_col)
            })
        })
}

/// Fold STS's answer about `d`'s material into its account: it shows STS's account when
/// the answer is about the profile's own credentials; a key id that decodes to another
/// account than STS answered is `account-mismatch`; an answered account other than
/// `[accounts]` (or the remembered account) expects is `wrong-account`.
pub fn confirm(d: &mut Diagnosis, id: &Identity) {
    let Some(m) = &d.material else { return };
    let v = &mut d.verdict;
    // with no role assumed, STS answered about the key itself
    if m.roles.is_empty()
        && let KeyAccount::Decoded(decoded) = account::decode(&m.key_id)
        && decoded != id.account
    {
        v.problems.push(Problem::new(
            Code::AccountMismatch,
            Severity::Warning,
            None,
            format!(
                "key {} decodes to account {decoded} but STS says it belongs to {}: the key id is forged (as canary services do) or credguard's decoding is wrong",
                mask_key_id(&m.key_id),
                id.account
            ),
            "check where this key came from",
        ));
    }
    // a role profile whose role was not assumed: STS answered about its source only
    if v.source == SourceKind::AssumeRole && m.roles.is_empty() {
        return;
    }
    v.account = Some(id.account.clone());
    if let Some(e) = v.expected_account.clone()
        && e.account != id.account
        && !v.problems.iter().any(|p| p.code == Code::WrongAccount)
    {
        let p = wrong_account(&v.profile, &id.account, &e);
        v.problems.push(p);
    }
}
