//! The environment as each tool reads it (issue 17): the `(env)` entry judged per reader
//! ([`crate::aws::readers::env`]), and the profile each tool selects.
//!
//! The `(env)` entry is built from the SDK's reading ([`Ctx::env_entry`]); a reader that
//! takes other keys (botocore's `AWS_SECURITY_TOKEN`, a token the Rust SDK trims) gets the
//! same value checks on its own keys, its problems marked with `affects`, and its keys
//! validated on their own; a reader that stops (botocore with an empty secret) gets its
//! error; a reader that skips the environment (the JS SDK while `AWS_PROFILE` is set, the
//! SDKs with an empty secret) is judged on the profile it goes on to.

use super::context::Ctx;
use super::env::EnvCreds;
use super::values::{self, Origin, Values};
use super::{Diagnosis, Material};
use crate::aws::locate::Selection;
use crate::aws::readers::Reader;
use crate::aws::readers::env::{self as readers_env, EnvTaken};
use crate::verdict::{Code, Problem, Severity, offline_state};

/// Readers that read the environment alike: what they take, and for those that skip it,
/// the profile they go on to and the variable that names it.
struct Group {
    readers: Vec<Reader>,
    taken: EnvTaken,
    profile: Option<(String, Option<&'static str>)>,
}

impl Ctx<'_> {
    /// The `(env)` entry with each reader's reading: see the module's doc.
    pub(super) fn env_entry_per_reader(&self, env: EnvCreds) -> Diagnosis {
        let get = |k: &str| self.world.raw_var(k).map(str::to_string);
        let exists = |name: &str| self.loaded.profiles.profiles.contains_key(name);
        let taken: Vec<(Reader, EnvTaken)> = Reader::ALL
            .into_iter()
            .map(|r| (r, readers_env::taken_with_profiles(r, &get, &exists)))
            .collect();
        if taken.iter().all(|(_, t)| *t == EnvTaken::Skips) {
            // every tool goes on to the profiles: the one `partial-env-credentials` says so
            return self.env_entry(env);
        }
        let is_creds = |t: &EnvTaken| matches!(t, EnvTaken::Creds { .. });
        let primary = taken
            .iter()
            .find(|(r, t)| *r == Reader::Sdk && is_creds(t))
            .or_else(|| taken.iter().find(|(_, t)| is_creds(t)))
            .map(|(_, t)| t.clone());
        let mut d = match primary.as_ref().and_then(creds_of) {
            Some(creds) => self.env_entry(creds),
            None => {
                // no tool sends these keys: their checks concern nobody
                let mut d = self.env_entry(env);
                d.verdict.problems.clear();
                d.material = None;
                d
            }
        };
        let same: Vec<Reader> = taken
            .iter()
            .filter(|(_, t)| Some(t) == primary.as_ref())
            .map(|(r, _)| *r)
            .collect();
        let groups = groups(&taken, primary.as_ref(), &get);
        let mut found: Vec<(Vec<Reader>, Vec<Problem>)> = Vec::new();
        for g in &groups {
            let (problems, material) = self.group_reading(g);
            if let Some(m) = material {
                d.readings.others.push((g.readers.clone(), m));
            }
            found.push((g.readers.clone(), problems));
        }
        self.legacy_token_fix(&mut d);
        self.mark_sdk_problems(&mut d, &same, &found);
        self.add_other_problems(&mut d, &found);
        d.readings.primary = Some(same);
        d.verdict.state = offline_state(&d.verdict.problems);
        d
    }

    /// A temporary key whose token is only in AWS_SECURITY_TOKEN: the fix copies it to
    /// the variable the SDKs read.
    fn legacy_token_fix(&self, d: &mut Diagnosis) {
        if self.world.var(readers_env::SECURITY_TOKEN).is_none() {
            return;
        }
        for p in d
            .verdict
            .problems
            .iter_mut()
            .filter(|p| p.code == Code::MissingSessionToken)
        {
            p.message
                .push_str(" (the token is in AWS_SECURITY_TOKEN, a name only botocore reads)");
            p.fix = "export AWS_SESSION_TOKEN=\"$AWS_SECURITY_TOKEN\"".into();
        }
    }

    /// One group's problems, and its credentials to validate when they pass the checks.
    fn group_reading(&self, g: &Group) -> (Vec<Problem>, Option<Material>) {
        match (&g.taken, &g.profile) {
            (
                EnvTaken::Creds {
                    key_id,
                    secret,
                    token,
                    token_var,
                },
                _,
            ) => {
                let mut problems = Vec::new();
                let vals = Values {
                    key_id: Some(key_id),
                    secret: Some(secret),
                    token: token.as_deref(),
                };
                values::check(&Origin::Env { token_var }, &vals, &mut problems);
                let fatal = problems.iter().any(|p| p.severity == Severity::Error);
                let usable = !fatal && !self.never_send(key_id);
                let material = usable.then(|| Material {
                    key_id: key_id.clone(),
                    secret: secret.clone(),
                    token: token.clone(),
                    profile: None,
                    roles: Vec::new(),
                    expiry_hint: None,
                    written: super::Written::Env,
                });
                (problems, material)
            }
            (EnvTaken::Refuses { missing }, _) => (vec![refused(missing)], None),
            (EnvTaken::NoProfile { name, var }, _) => (vec![no_profile(name, var)], None),
            (EnvTaken::Skips, Some((name, var))) => self.skipped(&g.readers, name, *var),
            (EnvTaken::Skips, None) => (Vec::new(), None),
        }
    }

    /// Readers that skip the environment are judged on the profile they go on to: a
    /// warning that says so when that profile's credentials pass the offline checks (they
    /// are then validated for these readers), an error with its first error otherwise.
    fn skipped(
        &self,
        readers: &[Reader],
        name: &str,
        var: Option<&'static str>,
    ) -> (Vec<Problem>, Option<Material>) {
        let selection = match var {
            Some("AWS_PROFILE") => Selection::AwsProfile,
            Some(_) => Selection::AwsDefaultProfile,
            None => Selection::Default,
        };
        let pd = self.profile(name, true, &selection);
        let (why, by_aws_profile) = self.why_skipped(readers);
        let tools = Reader::names(readers);
        let shown = credguard_client::selection::shown(name);
        let location = Some(format!("env {}", var.unwrap_or("AWS_ACCESS_KEY_ID")));
        let fix = if by_aws_profile {
            format!(
                "`unset AWS_PROFILE` for every tool to use these keys, or `unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN` for every tool to use profile {shown}"
            )
        } else {
            format!(
                "export the missing value, or `unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN` for every tool to use profile {shown}"
            )
        };
        let error = pd
            .verdict
            .problems
            .iter()
            .find(|p| p.severity == Severity::Error);
        let (verb, pronoun) = match readers.len() {
            1 => ("does", "it uses"),
            _ => ("do", "they use"),
        };
        let message =
            format!("{tools} {verb} not read these variables ({why}): {pronoun} profile {shown}");
        // a profile with credentials to send is validated for these readers (an expiry
        // field is only a hint: STS decides); one without is an error when it has one
        match (pd.material, error) {
            (Some(m), _) => (
                vec![Problem::warning(
                    Code::EnvNotRead,
                    location,
                    format!(
                        "{message} instead, and that profile's keys are what is validated for {}",
                        if readers.len() == 1 { "it" } else { "them" }
                    ),
                    fix,
                )],
                Some(m),
            ),
            (_, Some(e)) => (
                vec![Problem::error(
                    Code::EnvNotRead,
                    location,
                    format!("{message}, which fails: {}", e.message),
                    fix,
                )],
                None,
            ),
            // nothing to send: the tool fails ("Could not load credentials from any providers")
            (None, None) if pd.verdict.source == crate::verdict::SourceKind::None => (
                vec![Problem::error(
                    Code::EnvNotRead,
                    location,
                    format!("{message}, which holds no credentials"),
                    fix,
                )],
                None,
            ),
            // credentials credguard does not fetch (a process not run by policy): unknown
            (None, None) => (
                vec![Problem::warning(Code::EnvNotRead, location, message, fix)],
                None,
            ),
        }
    }

    /// Why these readers skip the environment, as the message says it, and whether
    /// `AWS_PROFILE` is the cause (not a missing value).
    fn why_skipped(&self, readers: &[Reader]) -> (&'static str, bool) {
        let blank = |k: &str| self.world.raw_var(k).is_none_or(|v| v.trim().is_empty());
        if blank("AWS_ACCESS_KEY_ID") {
            ("AWS_ACCESS_KEY_ID is empty", false)
        } else if blank("AWS_SECRET_ACCESS_KEY") {
            ("AWS_SECRET_ACCESS_KEY is empty", false)
        } else if readers == [Reader::Js] {
            (
                "AWS_PROFILE is set, and the JS SDK v3 then skips the environment",
                true,
            )
        } else {
            ("AWS_PROFILE is set", true)
        }
    }
}

/// The readers other than the primary ones, grouped by what they take (and where those
/// that skip the environment go).
fn groups(
    taken: &[(Reader, EnvTaken)],
    primary: Option<&EnvTaken>,
    get: &dyn Fn(&str) -> Option<String>,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (r, t) in taken {
        if Some(t) == primary {
            continue;
        }
        let profile = (*t == EnvTaken::Skips).then(|| readers_env::profile(*r, get));
        match groups
            .iter_mut()
            .find(|g| g.taken == *t && g.profile == profile)
        {
            Some(g) => g.readers.push(*r),
            None => groups.push(Group {
                readers: vec![*r],
                taken: t.clone(),
                profile,
            }),
        }
    }
    groups
}

/// The keys of a reading that takes them from the environment.
fn creds_of(t: &EnvTaken) -> Option<EnvCreds> {
    let EnvTaken::Creds {
        key_id,
        secret,
        token,
        token_var,
    } = t
    else {
        return None;
    };
    Some(EnvCreds {
        key_id: Some(key_id.clone()),
        secret: Some(secret.clone()),
        token: token.clone(),
        token_var,
    })
}

/// botocore stops at a profile a variable names that the files lack.
fn no_profile(name: &str, var: &str) -> Problem {
    let shown = credguard_client::selection::quoted(name);
    Problem::error(
        Code::ProfileNotFound,
        Some(format!("env {var}")),
        format!(
            "{var} names profile {shown}, which the files do not define: the AWS CLI stops before it reads the keys in the environment (\"The config profile ({name}) could not be found\")"
        ),
        format!("`unset {var}`"),
    )
}

/// botocore stops at a key id without its secret.
fn refused(missing: &str) -> Problem {
    Problem::error(
        Code::PartialEnvCredentials,
        Some(format!("env {missing}")),
        format!(
            "AWS_ACCESS_KEY_ID is set but {missing} is empty or unset: the AWS CLI says \"Partial credentials found in env, missing: {missing}\""
        ),
        format!(
            "`export {missing}=<value>`, or `unset AWS_ACCESS_KEY_ID {missing}` to use the profile"
        ),
    )
}

impl Ctx<'_> {
    /// The tools that select another profile than `selected`, the one credguard judges as
    /// this shell's (AWS_PROFILE, else AWS_DEFAULT_PROFILE): botocore reads
    /// AWS_DEFAULT_PROFILE first, the SDKs not at all. An error for the tools whose profile
    /// does not exist, a warning otherwise.
    pub(super) fn selection_differs(&self, selected: &str) -> Vec<Problem> {
        let get = |k: &str| self.world.raw_var(k).map(str::to_string);
        let mut groups: Vec<(String, Option<&'static str>, Vec<Reader>)> = Vec::new();
        for r in Reader::ALL {
            let (name, var) = readers_env::profile(r, &get);
            if name == selected {
                continue;
            }
            match groups.iter_mut().find(|(n, _, _)| *n == name) {
                Some((_, _, rs)) => rs.push(r),
                None => groups.push((name, var, vec![r])),
            }
        }
        groups
            .into_iter()
            .map(|(name, var, readers)| self.selection_problem(selected, &name, var, &readers))
            .collect()
    }

    fn selection_problem(
        &self,
        selected: &str,
        name: &str,
        var: Option<&'static str>,
        readers: &[Reader],
    ) -> Problem {
        let tools = Reader::names(readers);
        let (shown, wanted) = (
            credguard_client::selection::shown(name),
            credguard_client::selection::shown(selected),
        );
        let (location, why, fix) = if readers.contains(&Reader::Cli) {
            (
                "env AWS_DEFAULT_PROFILE",
                "reads AWS_DEFAULT_PROFILE before AWS_PROFILE",
                "`unset AWS_DEFAULT_PROFILE`".to_string(),
            )
        } else {
            (
                var.map_or("env AWS_DEFAULT_PROFILE", |_| "env AWS_PROFILE"),
                match readers.len() {
                    1 => "does not read AWS_DEFAULT_PROFILE",
                    _ => "do not read AWS_DEFAULT_PROFILE",
                },
                format!("`export AWS_PROFILE={wanted}`"),
            )
        };
        let exists = self.loaded.profiles.profiles.contains_key(name);
        let pronoun = if readers.len() == 1 {
            "it uses"
        } else {
            "they use"
        };
        let message = format!("{tools} {why}: {pronoun} profile {shown}, not {wanted}");
        let location = Some(location.to_string());
        match exists {
            true => Problem::warning(Code::ProfileSelectionDiffers, location, message, fix),
            false => Problem::error(
                Code::ProfileSelectionDiffers,
                location,
                format!("{message}, and says \"The config profile ({name}) could not be found\""),
                fix,
            ),
        }
        .affecting(readers)
    }

    /// Env credentials are set: the tools that read them use them, not the selected
    /// profile `name` (the JS SDK uses the profile while AWS_PROFILE is set).
    pub(super) fn overrides_profile(&self, name: &str) -> Option<Problem> {
        let get = |k: &str| self.world.raw_var(k).map(str::to_string);
        let using: Vec<Reader> = Reader::ALL
            .into_iter()
            .filter(|r| matches!(readers_env::taken(*r, &get), EnvTaken::Creds { .. }))
            .collect();
        if using.is_empty() {
            return None;
        }
        let skipping: Vec<Reader> = Reader::ALL
            .into_iter()
            .filter(|r| !using.contains(r))
            .collect();
        let mut message = format!(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set in the environment: {} use them, not profile {name}",
            Reader::names(&using)
        );
        if !skipping.is_empty() {
            let verb = if skipping.len() == 1 { "uses" } else { "use" };
            message.push_str(&format!(
                "; {} {verb} profile {name}",
                Reader::names(&skipping)
            ));
        }
        Some(
            Problem::warning(
                Code::EnvOverridesProfile,
                Some("env AWS_ACCESS_KEY_ID".into()),
                message,
                format!(
                    "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN to use profile {name}"
                ),
            )
            .affecting(&using),
        )
    }
}
