//! The offline diagnosis: every problem that needs no network, with its place and its fix.
//!
//! This file holds the entry points ([`diagnose`], [`diagnose_env`]) and what they return.
//! The checks live one concern per file:
//!
//! * `context`: what every check reads (world, files, config, clock) and where a
//!   profile's property sits;
//! * `profile`: one profile, from its credential chain to the source's checks;
//! * one file per credential source: `static_keys` (keys in the files), `assume_role`
//!   (role profiles and their compute / web-identity sources), `sso`, `login`, `process`,
//!   `env` (the environment's credentials);
//! * `values`: checks on one key id, secret or token, wherever it comes from;
//! * `faults`: file faults (parse errors, unreadable files, misnamed sections,
//!   permissions);
//! * `layout`: faults of the lines (wrapped values, indented continuations, hidden
//!   characters in names, CR-only line ends), each with the edit that removes it;
//! * `expiry`: expiry fields, expired and expiring;
//! * `readers`: where the AWS CLI, the SDKs and the JS SDK read a profile's keys
//!   differently, which readers each problem breaks, and each reading to validate.

pub mod account;
mod assume_role;
mod context;
mod env;
mod env_tools;
mod expiry;
mod faults;
mod layout;
mod login;
mod process;
mod profile;
pub mod readers;
mod sso;
mod static_keys;
mod values;

use crate::aws::files::Loaded;
use crate::aws::locate::{self, Selection};
use crate::aws::readers::Reader;
use crate::aws::scan::HeaderKind;
use crate::config::Config;
use crate::verdict::{Code, Problem, ProfileVerdict, Severity, mask_key_id, offline_state};
use crate::world::World;
use context::Ctx;
use std::collections::BTreeSet;
use std::fmt;

/// The name under which the environment's credentials are reported: parentheses cannot
/// appear in a profile name, so it never collides with one.
pub const ENV_PROFILE: &str = "(env)";

/// Credentials to validate online. Debug never shows the secret, the token or the full id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Material {
    pub key_id: String,
    pub secret: String,
    pub token: Option<String>,
    /// The profile whose region / endpoint settings apply (None for env credentials).
    pub profile: Option<String>,
    /// Roles to assume, in order, starting from these credentials before asking who they
    /// are (`assume_role = true`); empty: ask about these credentials themselves.
    pub roles: Vec<RoleStep>,
    /// Where an expiry field says these credentials are past their time: only a hint, STS
    /// decides (`expired` when it refuses them or cannot be asked, `stale-expiry-metadata`
    /// when it accepts them).
    pub expiry_hint: Option<String>,
    /// Where the credentials are written: what an online problem points at and names.
    pub written: Written,
}

/// Where a credential set is written, for the location and the fix of what STS says about
/// it: the profile that holds the keys (a role's source, not the role) and the places of
/// its lines, or the environment, or elsewhere (a cache, a process).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Written {
    Profile {
        profile: String,
        key_id: Option<String>,
        secret: Option<String>,
        token: Option<String>,
    },
    Env,
    #[default]
    Elsewhere,
}

impl Material {
    /// Credentials as a profile yields them, with no role to assume (yet).
    fn of_profile(key_id: String, secret: String, token: Option<String>, profile: &str) -> Self {
        Material {
            key_id,
            secret,
            token,
            profile: Some(profile.to_string()),
            roles: Vec::new(),
            expiry_hint: None,
            written: Written::Elsewhere,
        }
    }
}

/// One sts:AssumeRole on the way to the credentials a profile ends up with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleStep {
    /// The profile whose `role_arn` this is, and where that line is (`~/.aws/config:5:12`).
    pub profile: String,
    pub location: Option<String>,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Material")
            .field("key_id", &mask_key_id(&self.key_id))
            .field("secret", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("profile", &self.profile)
            .field("roles", &self.roles)
            .field("expiry_hint", &self.expiry_hint)
            .field("written", &self.written)
            .finish()
    }
}

/// The location of an `expired` problem among `problems[start..]`, if one is there: the
/// credentials' own expiry field, a hint that STS is asked to confirm.
fn expiry_hint(problems: &[Problem]) -> Option<String> {
    problems
        .iter()
        .find(|p| p.code == Code::Expired)
        .and_then(|p| p.location.clone())
}

/// Whether `problems` hold an error that stops validation: any, but an `expired` that is
/// only the credentials' own expiry field (`hint`), which STS is asked to confirm.
fn fatal(problems: &[Problem], hint: Option<&str>) -> bool {
    problems.iter().any(|p| {
        p.severity == Severity::Error
            && !(p.code == Code::Expired && hint.is_some() && p.location.as_deref() == hint)
    })
}

#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub verdict: ProfileVerdict,
    /// What STS should be asked about, when the offline pass found nothing fatal.
    pub material: Option<Material>,
    /// Where the readers take different credentials ([`readers`]).
    pub readings: Readings,
}

/// Where the readers take different credentials for a profile (DESIGN.md, "Readers"):
/// which readers `material` stands for, and the other readings, each validated on its own
/// (a fingerprint each, so a call is made only where they differ).
#[derive(Clone, Debug, Default)]
pub struct Readings {
    /// The readers that take `material`; None: all three.
    pub primary: Option<Vec<Reader>>,
    /// Other readers' credentials, where they differ from `material` and pass the offline
    /// checks.
    pub others: Vec<(Vec<Reader>, Material)>,
}

impl Readings {
    /// The readers that take `material`.
    pub fn primary(&self) -> &[Reader] {
        self.primary.as_deref().unwrap_or(&Reader::ALL)
    }
}

pub struct Options<'a> {
    /// Only this profile (`--profile`), else every profile.
    pub only: Option<&'a str>,
}

/// Diagnose every profile (or one) offline.
pub fn diagnose(world: &World, loaded: &Loaded, config: &Config, opts: &Options) -> Vec<Diagnosis> {
    let ctx = Ctx::new(world, loaded, config);
    let (selected, selection) = match opts.only {
        Some(p) => (p.to_string(), Selection::Flag),
        None => locate::selected_profile(world),
    };
    let env = env::env_credentials(world);
    let names = match opts.only {
        Some(p) => BTreeSet::from([p.to_string()]),
        None => profile_names(loaded, &selected, &selection, env.is_some()),
    };
    let mut out: Vec<Diagnosis> = names
        .iter()
        .filter(|n| !config.ignore_profiles.contains(*n))
        .map(|name| {
            let mut d = ctx.profile(name, name == &selected, &selection);
            if name == &selected && opts.only.is_none() {
                d.verdict.problems.extend(ctx.overrides_profile(name));
                d.verdict.problems.extend(ctx.selection_differs(name));
            }
            d.verdict.state = offline_state(&d.verdict.problems);
            d
        })
        .collect();
    if opts.only.is_none()
        && let Some(env) = env
    {
        out.insert(0, ctx.env_entry_per_reader(env));
    }
    out
}

/// Every profile the files define or name in a header, and the selected one unless it is
/// a `default` that nobody asked for and that does not exist (that is not a problem).
fn profile_names(
    loaded: &Loaded,
    selected: &str,
    selection: &Selection,
    env_set: bool,
) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = loaded.profiles.profiles.keys().cloned().collect();
    for file in [&loaded.config, &loaded.credentials] {
        for h in &file.scan.headers {
            let profile = matches!(h.kind, HeaderKind::Prefixed | HeaderKind::Bare);
            if profile && !h.is_tool_section(file.located.kind) && !h.name.is_empty() {
                names.insert(h.name.clone());
            }
        }
    }
    let selected_exists = loaded.profiles.profiles.contains_key(selected);
    let by_default = *selection == Selection::Default;
    if (!by_default || selected_exists || names.is_empty()) && (!by_default || !env_set) {
        names.insert(selected.to_string());
    }
    names
}

/// Only the environment's credentials (for credentials a shell submits to the daemon):
/// the same checks as the `(env)` entry of [`diagnose`], None when none are set.
pub fn diagnose_env(world: &World, loaded: &Loaded, config: &Config) -> Option<Diagnosis> {
    let env = env::env_credentials(world)?;
    Some(Ctx::new(world, loaded, config).env_entry_per_reader(env))
}
