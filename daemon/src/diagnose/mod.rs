//! The offline diagnosis: every problem that needs no network, with its place and its fix.

pub mod account;
pub mod values;

use crate::aws::chain::{self, Base, Chain, ChainError, ChainErrorKind, RoleHop};
use crate::aws::clicache;
use crate::aws::expiry;
use crate::aws::files::{FileFault, Loaded, LoadedFile};
use crate::aws::locate::{self, FileKind, Selection};
use crate::aws::login::LoginState;
use crate::aws::scan::{HeaderKind, Scan};
use crate::aws::sso;
use crate::config::Config;
use crate::verdict::{
    Code, Problem, ProfileVerdict, Severity, SourceKind, State, mask_key_id, offline_state,
};
use crate::world::World;
use std::collections::BTreeSet;
use std::fmt;
use time::OffsetDateTime;
use values::{Field, KeyKind};

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
}

/// One sts:AssumeRole on the way to the credentials a profile ends up with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleStep {
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
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub verdict: ProfileVerdict,
    /// What STS should be asked about, when the offline pass found nothing fatal.
    pub material: Option<Material>,
}

pub struct Options<'a> {
    /// Only this profile (`--profile`), else every profile.
    pub only: Option<&'a str>,
}

/// Diagnose every profile (or one) offline.
pub fn diagnose(world: &World, loaded: &Loaded, config: &Config, opts: &Options) -> Vec<Diagnosis> {
    let ctx = Ctx {
        world,
        loaded,
        config,
        now: world.now(),
    };
    let (selected, selection) = match opts.only {
        Some(p) => (p.to_string(), Selection::Flag),
        None => locate::selected_profile(world),
    };
    let env = env_credentials(world);

    let mut names: BTreeSet<String> = BTreeSet::new();
    match opts.only {
        Some(p) => {
            names.insert(p.to_string());
        }
        None => {
            names.extend(loaded.profiles.profiles.keys().cloned());
            for file in [&loaded.config, &loaded.credentials] {
                for h in &file.scan.headers {
                    if matches!(h.kind, HeaderKind::Prefixed | HeaderKind::Bare)
                        && !h.name.is_empty()
                    {
                        names.insert(h.name.clone());
                    }
                }
            }
            let selected_exists = loaded.profiles.profiles.contains_key(&selected);
            // A missing `default` that nobody asked for is not a problem.
            if (selection != Selection::Default || selected_exists || names.is_empty())
                && (selection != Selection::Default || env.is_none())
            {
                names.insert(selected.clone());
            }
        }
    }
    names.retain(|n| !config.ignore_profiles.contains(n));

    let mut out: Vec<Diagnosis> = names
        .iter()
        .map(|name| {
            let mut d = ctx.profile(name, name == &selected, &selection);
            if name == &selected && opts.only.is_none()
                && let Some(env) = &env
                    && env.complete() {
                        d.verdict.problems.push(Problem {
                            code: Code::EnvOverridesProfile,
                            severity: Severity::Warning,
                            location: Some("env AWS_ACCESS_KEY_ID".into()),
                            message: format!(
                                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set in the environment: the SDK uses them, not profile {name}"
                            ),
                            fix: format!(
                                "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN to use profile {name}"
                            ),
                        });
                    }
            d.verdict.state = offline_state(&d.verdict.problems);
            d
        })
        .collect();
    if opts.only.is_none()
        && let Some(env) = env
    {
        out.insert(0, ctx.env_entry(env));
    }
    out
}

/// Only the environment's credentials (for credentials a shell submits to the daemon):
/// the same checks as the `(env)` entry of [`diagnose`], None when none are set.
pub fn diagnose_env(world: &World, loaded: &Loaded, config: &Config) -> Option<Diagnosis> {
    let ctx = Ctx {
        world,
        loaded,
        config,
        now: world.now(),
    };
    let env = env_credentials(world)?;
    Some(ctx.env_entry(env))
}

struct Ctx<'a> {
    world: &'a World,
    loaded: &'a Loaded,
    config: &'a Config,
    now: OffsetDateTime,
}

/// Where a profile property sits: file kind, line, value column.
struct Place<'a> {
    file: &'a LoadedFile,
    line: usize,
    col: usize,
}

impl Ctx<'_> {
    fn display(&self, file: &LoadedFile) -> String {
        locate::display_path(self.world, &file.located.path)
    }

    /// The last place `key` is set for `profile`: the credentials file wins, as in the SDK.
    fn place(&self, profile: &str, key: &str) -> Option<Place<'_>> {
        for file in [&self.loaded.credentials, &self.loaded.config] {
            if let Some(p) = file.scan.find(file.located.kind, profile, key) {
                return Some(Place {
                    file,
                    line: p.line,
                    col: p.value_col,
                });
            }
        }
        None
    }

    fn loc(&self, profile: &str, key: &str) -> Option<String> {
        self.place(profile, key)
            .map(|p| format!("{}:{}:{}", self.display(p.file), p.line, p.col))
            .or_else(|| self.header_loc(profile))
    }

    fn header_loc(&self, profile: &str) -> Option<String> {
        for file in [&self.loaded.credentials, &self.loaded.config] {
            if let Some(h) = file.scan.header_of(file.located.kind, profile) {
                return Some(format!("{}:{}", self.display(file), h.line));
            }
        }
        None
    }

    fn profile(&self, name: &str, selected: bool, selection: &Selection) -> Diagnosis {
        let mut problems = Vec::new();
        self.file_faults(name, selected, &mut problems);
        self.misnamed(name, &mut problems);
        let mut verdict = ProfileVerdict {
            profile: name.to_string(),
            state: State::Unknown,
            source: SourceKind::None,
            key_id: None,
            account: None,
            expected_account: None,
            identity: None,
            expires_at: None,
            problems: Vec::new(),
        };
        let mut material = None;
        let exists = self.loaded.profiles.profiles.contains_key(name);
        if !exists {
            if problems.is_empty() {
                let location = if selected {
                    // `default` chosen by nobody has no place to point at
                    (*selection != Selection::Default).then(|| selection.describe().to_string())
                } else {
                    self.header_loc(name)
                };
                problems.push(Problem {
                    code: Code::ProfileNotFound,
                    severity: Severity::Error,
                    location,
                    message: format!(
                        "profile {name} is not defined in {} or {}",
                        self.display(&self.loaded.config),
                        self.display(&self.loaded.credentials)
                    ),
                    fix: format!("create it with `aws configure --profile {name}`, or select an existing profile"),
                });
            }
            verdict.problems = problems;
            return Diagnosis { verdict, material };
        }
        match chain::resolve(&self.loaded.profiles, name) {
            Err(e) => problems.push(self.chain_problem(name, &e)),
            Ok(chain) => {
                verdict.source = source_of(&chain);
                material = self.base(&chain, &mut verdict, &mut problems);
                if let Some(hop) = chain.roles.last() {
                    self.role_cache_expiry(hop, &mut verdict, &mut problems);
                }
                if let Some(m) = material.as_mut() {
                    self.roles_to_assume(&chain, m, &mut problems);
                }
            }
        }
        if problems.iter().any(|p| p.severity == Severity::Error) {
            material = None;
        }
        verdict.problems = problems;
        Diagnosis { verdict, material }
    }

    /// File faults go to the profiles the file defines, and to the selected profile when it
    /// is defined nowhere (the fault may be why).
    fn file_faults(&self, name: &str, selected: bool, problems: &mut Vec<Problem>) {
        let exists = self.loaded.profiles.profiles.contains_key(name);
        for file in [&self.loaded.config, &self.loaded.credentials] {
            let in_file = file
                .scan
                .headers
                .iter()
                .any(|h| Scan::header_defines(file.located.kind, h, name));
            let shown = self.display(file);
            // A fault in a file that does not hold this profile only warns the selected one.
            let severity = if in_file || !exists {
                Severity::Error
            } else {
                Severity::Warning
            };
            for fault in &file.faults {
                match fault {
                    FileFault::Parse { line, message } => problems.push(Problem {
                        code: Code::ParseError,
                        severity: Severity::Error,
                        location: Some(format!("{shown}:{line}")),
                        message: format!(
                            "the SDK cannot parse {shown}: {message}; every profile fails to load"
                        ),
                        fix: format!("fix or delete line {line} of {shown}"),
                    }),
                    FileFault::NotUtf8 { line, col } if selected || in_file => {
                        problems.push(Problem {
                            code: Code::ParseError,
                            severity,
                            location: Some(format!("{shown}:{line}:{col}")),
                            message: format!(
                                "{shown} is not valid UTF-8; the SDK reads it as an empty file"
                            ),
                            fix: format!(
                                "re-save {shown} as UTF-8 (the bad byte is on line {line})"
                            ),
                        })
                    }
                    FileFault::Unreadable { reason } if selected || in_file => {
                        problems.push(Problem {
                            code: Code::UnreadableFile,
                            severity,
                            location: Some(shown.clone()),
                            message: format!("{shown} {reason}; the SDK reads it as an empty file"),
                            fix: match file.located.overridden {
                                true => format!(
                                    "point {} at a readable file, or unset it",
                                    file.located.kind.env_var()
                                ),
                                false => format!(
                                    "make {shown} a readable regular file (chmod 600 {shown})"
                                ),
                            },
                        })
                    }
                    _ => {}
                }
            }
            if file.scan.bom && (selected || in_file) {
                problems.push(Problem {
                    code: Code::HiddenCharacter,
                    severity: Severity::Error,
                    location: Some(format!("{shown}:1:1")),
                    message: format!("{shown} starts with U+FEFF BYTE ORDER MARK; the SDK cannot parse the first line"),
                    fix: format!("remove the BOM: sed -i '1s/^\\xEF\\xBB\\xBF//' {shown}"),
                });
            }
            if file.located.kind == FileKind::Credentials
                && in_file
                && let Some(mode) = file.mode
                && mode & 0o077 != 0
            {
                problems.push(Problem {
                    code: Code::InsecurePermissions,
                    severity: Severity::Warning,
                    location: Some(shown.clone()),
                    message: format!(
                        "{shown} is readable by other users (mode {:o})",
                        mode & 0o777
                    ),
                    fix: format!("chmod 600 {shown}"),
                });
            }
        }
    }

    fn misnamed(&self, name: &str, problems: &mut Vec<Problem>) {
        for file in [&self.loaded.credentials, &self.loaded.config] {
            for h in &file.scan.headers {
                if h.name != name {
                    continue;
                }
                let shown = self.display(file);
                let (bad, fix) = match (file.located.kind, &h.kind) {
                    (FileKind::Credentials, HeaderKind::Prefixed) => (
                        format!("[profile {name}] in the credentials file"),
                        format!("rename the header on line {} to [{name}]", h.line),
                    ),
                    (FileKind::Config, HeaderKind::Bare) if name != "default" => (
                        format!("[{name}] in the config file"),
                        format!("rename the header on line {} to [profile {name}]", h.line),
                    ),
                    _ => continue,
                };
                problems.push(Problem {
                    code: Code::MisnamedSection,
                    severity: Severity::Error,
                    location: Some(format!("{shown}:{}", h.line)),
                    message: format!("{bad}: the SDK ignores this section and everything in it"),
                    fix,
                });
            }
        }
    }

    fn chain_problem(&self, name: &str, e: &ChainError) -> Problem {
        let (code, location, fix) = match &e.kind {
            ChainErrorKind::NoProfiles => (
                Code::ProfileNotFound,
                None,
                "run `aws configure` to create the default profile".to_string(),
            ),
            ChainErrorKind::MissingProfile { referenced_from } => {
                let from = referenced_from.as_deref().unwrap_or(name);
                (
                    Code::ProfileNotFound,
                    self.loc(from, "source_profile"),
                    format!(
                        "define profile {} or change source_profile of {from}",
                        e.profile
                    ),
                )
            }
            ChainErrorKind::Loop => (
                Code::InvalidProfileConfig,
                self.loc(&e.profile, "source_profile"),
                "point source_profile at a profile with credentials, breaking the loop".into(),
            ),
            ChainErrorKind::NoCredentials => (
                Code::MissingKeyId,
                self.header_loc(&e.profile),
                format!(
                    "add aws_access_key_id and aws_secret_access_key to {} (`aws configure --profile {}`)",
                    e.profile, e.profile
                ),
            ),
            ChainErrorKind::MissingKeyId => (
                Code::MissingKeyId,
                self.loc(&e.profile, "aws_secret_access_key"),
                format!(
                    "add aws_access_key_id to profile {} (`aws configure --profile {}`)",
                    e.profile, e.profile
                ),
            ),
            ChainErrorKind::MissingSecret => (
                Code::MissingSecret,
                self.loc(&e.profile, "aws_access_key_id"),
                format!(
                    "add aws_secret_access_key to profile {} (`aws configure --profile {}`)",
                    e.profile, e.profile
                ),
            ),
            ChainErrorKind::InvalidConfig => (
                Code::InvalidProfileConfig,
                e.key
                    .and_then(|k| self.loc(&e.profile, k))
                    .or_else(|| self.header_loc(&e.profile)),
                "fix the profile as the message says".into(),
            ),
        };
        Problem {
            code,
            severity: Severity::Error,
            location,
            message: e.message.clone(),
            fix,
        }
    }

    /// Checks on the base of a resolved chain; returns what to validate online.
    fn base(
        &self,
        chain: &Chain,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        match &chain.base {
            Base::AccessKey {
                profile,
                key_id,
                secret,
                token,
                ..
            } => {
                v.key_id = Some(mask_key_id(&values::without_hidden(key_id)));
                let start = problems.len();
                self.check_value(profile, "aws_access_key_id", Field::KeyId, key_id, problems);
                self.check_value(
                    profile,
                    "aws_secret_access_key",
                    Field::Secret,
                    secret,
                    problems,
                );
                if let Some(t) = token {
                    self.check_value(profile, "aws_session_token", Field::Token, t, problems);
                }
                self.token_pairing(profile, key_id, token.as_deref(), problems);
                self.profile_expiry(profile, v, problems);
                let fatal = problems[start..]
                    .iter()
                    .any(|p| p.severity == Severity::Error);
                (!fatal).then(|| Material {
                    key_id: key_id.clone(),
                    secret: secret.clone(),
                    token: token.clone(),
                    profile: Some(v.profile.clone()),
                    roles: Vec::new(),
                })
            }
            Base::NamedSource { profile, name } if name == "Environment" => {
                match env_credentials(self.world) {
                    Some(env) if env.complete() => {
                        let (k, s) = (
                            env.key_id.clone().unwrap_or_default(),
                            env.secret.clone().unwrap_or_default(),
                        );
                        v.key_id = Some(mask_key_id(&k));
                        Some(Material {
                            key_id: k,
                            secret: s,
                            token: env.token.clone(),
                            profile: Some(v.profile.clone()),
                            roles: Vec::new(),
                        })
                    }
                    _ => {
                        problems.push(Problem {
                            code: Code::PartialEnvCredentials,
                            severity: Severity::Error,
                            location: self.loc(profile, "credential_source"),
                            message: "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set".into(),
                            fix: "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use source_profile".into(),
                        });
                        None
                    }
                }
            }
            Base::NamedSource { profile, name } => {
                problems.push(skipped(
                    self.loc(profile, "credential_source"),
                    format!("credential_source = {name} is only available on AWS compute; not validated here"),
                ));
                None
            }
            Base::WebIdentity {
                profile,
                token_file,
                ..
            } => {
                if std::fs::metadata(token_file).is_err() {
                    problems.push(Problem {
                        code: Code::UnreadableFile,
                        severity: Severity::Error,
                        location: self.loc(profile, "web_identity_token_file"),
                        message: format!("web_identity_token_file {token_file} cannot be read"),
                        fix: "point web_identity_token_file at the token your identity provider writes".into(),
                    });
                } else {
                    problems.push(skipped(
                        self.loc(profile, "web_identity_token_file"),
                        "web identity credentials are validated by AssumeRoleWithWebIdentity, which credguard does not call".into(),
                    ));
                }
                None
            }
            Base::Sso {
                profile,
                session_name,
                start_url,
                account_id,
                role_name,
                ..
            } => {
                let key = session_name.as_deref().unwrap_or(start_url);
                let report =
                    sso::token_state(self.world, key, self.now, self.config.expiring_threshold());
                let login = match session_name {
                    Some(s) => format!("aws sso login --sso-session {s}"),
                    None => format!("aws sso login --profile {}", v.profile),
                };
                let place = self.loc(
                    profile,
                    if session_name.is_some() {
                        "sso_session"
                    } else {
                        "sso_start_url"
                    },
                );
                sso::problems(self.world, &report, place, &login, v, problems);
                // The AWS CLI caches the role's credentials; while the token is usable
                // they are what it signs with, so they are what STS is asked about.
                let usable = matches!(
                    report,
                    sso::TokenState::Valid { .. } | sso::TokenState::Refreshable { .. }
                );
                let (Some(account), Some(role), true) = (account_id, role_name, usable) else {
                    return None;
                };
                let session = match session_name {
                    Some(n) => clicache::SsoSession::Named(n),
                    None => clicache::SsoSession::Legacy { start_url },
                };
                match clicache::lookup(self.world, &clicache::sso_key(account, role, session)) {
                    clicache::Cached::Expires {
                        at, creds: Some(c), ..
                    } if at > self.now => {
                        v.key_id = Some(mask_key_id(&c.key_id));
                        Some(Material {
                            key_id: c.key_id,
                            secret: c.secret,
                            token: Some(c.token),
                            profile: Some(v.profile.clone()),
                            roles: Vec::new(),
                        })
                    }
                    // none, expired or unreadable: botocore treats all three as a miss and
                    // fetches new role credentials with the token
                    _ => None,
                }
            }
            Base::Process { profile, command } if self.config.run_credential_process => {
                let location = self.loc(profile, "credential_process");
                match crate::aws::process::run(
                    command,
                    self.config.credential_process_timeout_seconds,
                ) {
                    Ok(out) => {
                        v.key_id = Some(mask_key_id(&out.key_id));
                        if let Some(exp) = &out.expiration {
                            self.expiry_problem(
                                "Expiration from credential_process",
                                exp,
                                location,
                                &format!("check what `{command}` returns"),
                                v,
                                problems,
                            );
                        }
                        Some(Material {
                            key_id: out.key_id,
                            secret: out.secret,
                            token: out.token,
                            profile: Some(v.profile.clone()),
                            roles: Vec::new(),
                        })
                    }
                    Err(message) => {
                        problems.push(Problem {
                            code: Code::InvalidProfileConfig,
                            severity: Severity::Error,
                            location,
                            message: format!("credential_process failed: {message}"),
                            fix: format!("run `{command}` by hand and fix what it reports"),
                        });
                        None
                    }
                }
            }
            Base::Process { profile, .. } => {
                problems.push(skipped(
                    self.loc(profile, "credential_process"),
                    "credential_process is not run unless `run_credential_process = true` in credguard's config (it may ask for a hardware key touch)".into(),
                ));
                None
            }
            Base::Login {
                profile,
                session_arn,
            } => self.login(profile, session_arn, v, problems),
        }
    }

    /// With `assume_role = true`, a role profile is validated by assuming its roles; one
    /// that needs an MFA code is not (its source credentials are validated, and it says so).
    fn roles_to_assume(&self, chain: &Chain, m: &mut Material, problems: &mut Vec<Problem>) {
        if !self.config.assume_role || chain.roles.is_empty() {
            return;
        }
        let prop = |profile: &str, k: &str| {
            self.loaded
                .profiles
                .profiles
                .get(profile)
                .and_then(|p| p.get(k))
                .filter(|s| !s.is_empty())
                .is_some()
        };
        if let Some(hop) = chain.roles.iter().find(|h| prop(&h.profile, "mfa_serial")) {
            problems.push(Problem {
                code: Code::NotValidated,
                severity: Severity::Info,
                location: self.loc(&hop.profile, "mfa_serial"),
                message: format!(
                    "{} is not assumed to check it (that needs an MFA code): its source credentials are validated instead",
                    hop.role_arn
                ),
                fix: String::new(),
            });
            return;
        }
        m.roles = chain
            .roles
            .iter()
            .map(|h| RoleStep {
                role_arn: h.role_arn.clone(),
                external_id: h.external_id.clone(),
                session_name: h.session_name.clone(),
            })
            .collect();
    }

    /// A `login_session` profile: the cache `aws login` writes (see [`crate::aws::login`]).
    fn login(
        &self,
        profile: &str,
        session_arn: &str,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        let fix = format!("aws login --profile {profile}");
        let shown = |p: &std::path::Path| locate::display_path(self.world, p);
        match crate::aws::login::state(self.world, session_arn) {
            LoginState::Missing { path } => {
                problems.push(Problem {
                    code: Code::LoginRequired,
                    severity: Severity::Error,
                    location: self.loc(profile, "login_session"),
                    message: format!(
                        "no console login is cached for this login_session ({} does not exist): not logged in",
                        shown(&path)
                    ),
                    fix,
                });
                None
            }
            LoginState::Unreadable { path, why } => {
                problems.push(Problem {
                    code: Code::LoginRequired,
                    severity: Severity::Error,
                    location: Some(shown(&path)),
                    message: format!("the SDK cannot use the cached console login: {why}"),
                    fix,
                });
                None
            }
            LoginState::Cached { path, creds } => {
                v.key_id = Some(mask_key_id(&creds.key_id));
                v.expires_at = Some(expiry::format(creds.expires));
                if creds.expires > self.now {
                    return Some(Material {
                        key_id: creds.key_id,
                        secret: creds.secret,
                        token: Some(creds.token),
                        profile: Some(v.profile.clone()),
                        roles: Vec::new(),
                    });
                }
                problems.push(Problem {
                    code: Code::NotValidated,
                    severity: Severity::Info,
                    location: Some(shown(&path)),
                    message: format!(
                        "the console-login credentials expired at {}, but the SDK renews them with the cached refresh token on the next call; if the console session itself has ended, that fails and `{fix}` is the way back",
                        expiry::format(creds.expires)
                    ),
                    fix: String::new(),
                });
                None
            }
        }
    }

    fn check_value(
        &self,
        profile: &str,
        key: &str,
        field: Field,
        value: &str,
        problems: &mut Vec<Problem>,
    ) {
        let place = self.place(profile, key);
        let at = |idx: usize| -> Option<String> {
            place
                .as_ref()
                .map(|p| format!("{}:{}:{}", self.display(p.file), p.line, p.col + idx))
        };
        let line = place.as_ref().map(|p| p.line);
        if let Some(h) = values::find_hidden(value) {
            let more = if h.count > 1 {
                format!(" ({} such characters in all)", h.count)
            } else {
                String::new()
            };
            let after = match (field, h.index) {
                (Field::KeyId, i) if i > 0 => {
                    let clean: String = value.chars().take(i).collect();
                    let tail: String = clean
                        .chars()
                        .rev()
                        .take(4)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    format!(" after …{tail}")
                }
                _ => String::new(),
            };
            problems.push(Problem {
                code: Code::HiddenCharacter,
                severity: Severity::Error,
                location: at(h.index),
                message: format!("{key} {} {}{more}", h.place(), h.name()),
                fix: match line {
                    Some(l) => format!("delete the {}{after} on line {l}, or retype the value with `aws configure set {key} --profile {profile}`", h.name()),
                    None => format!("retype {key} with `aws configure set {key} --profile {profile}`"),
                },
            });
        }
        if let Some((code, m)) = format_issue(field, value) {
            problems.push(Problem {
                code,
                severity: Severity::Error,
                location: at(0),
                message: format!("{key} {m}"),
                fix: format!("copy {key} again from the IAM console or your key file and set it with `aws configure --profile {profile}`"),
            });
        }
    }

    fn token_pairing(
        &self,
        profile: &str,
        key_id: &str,
        token: Option<&str>,
        problems: &mut Vec<Problem>,
    ) {
        match (values::key_kind(&values::without_hidden(key_id)), token) {
            (KeyKind::Temporary, None) => problems.push(Problem {
                code: Code::MissingSessionToken,
                severity: Severity::Error,
                location: self.loc(profile, "aws_access_key_id"),
                message: "aws_access_key_id is a temporary key (ASIA…) but the profile has no aws_session_token".into(),
                fix: format!("add the aws_session_token that came with this key to profile {profile}, or fetch new credentials"),
            }),
            (KeyKind::LongTerm, Some(_)) => problems.push(Problem {
                code: Code::StraySessionToken,
                severity: Severity::Error,
                location: self.loc(profile, "aws_session_token"),
                message: "aws_access_key_id is a long-term key (AKIA…) but the profile also has an aws_session_token, left over from temporary credentials".into(),
                fix: format!("delete the aws_session_token line (`aws configure set aws_session_token \"\" --profile {profile}` leaves it empty; deleting the line is cleaner)"),
            }),
            _ => {}
        }
    }

    fn profile_expiry(&self, profile: &str, v: &mut ProfileVerdict, problems: &mut Vec<Problem>) {
        let Some(props) = self.loaded.profiles.profiles.get(profile) else {
            return;
        };
        for field in expiry::PROFILE_FIELDS {
            let Some(raw) = props.get(field) else {
                continue;
            };
            let location = self.loc(profile, field);
            let fix = format!("fetch new credentials for profile {profile}");
            self.expiry_problem(field, raw, location, &fix, v, problems);
            return;
        }
    }

    /// The role credentials the AWS CLI cached for the last role of a chain. Without MFA
    /// the CLI assumes the role again by itself when they run out, so only their time is
    /// shown; with `mfa_serial`, running out means typing a code: expiring and expired
    /// count.
    fn role_cache_expiry(
        &self,
        hop: &RoleHop,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) {
        let props = self.loaded.profiles.profiles.get(&hop.profile);
        let get = |k: &str| {
            props
                .and_then(|p| p.get(k))
                .map(String::as_str)
                .filter(|s| !s.is_empty())
        };
        let mfa = get("mfa_serial");
        let args = clicache::RoleArgs {
            role_arn: &hop.role_arn,
            external_id: hop.external_id.as_deref(),
            session_name: hop.session_name.as_deref(),
            mfa_serial: mfa,
            duration_seconds: get("duration_seconds").and_then(|d| d.trim().parse().ok()),
        };
        match clicache::lookup(self.world, &clicache::cache_key(&args)) {
            clicache::Cached::None => {}
            clicache::Cached::Unreadable { path, why } => problems.push(Problem {
                code: Code::ParseError,
                severity: Severity::Warning,
                location: Some(locate::display_path(self.world, &path)),
                message: format!("the AWS CLI's cached role credentials cannot be read: {why}"),
                fix: format!(
                    "delete {} (the CLI assumes the role again)",
                    locate::display_path(self.world, &path)
                ),
            }),
            clicache::Cached::Expires { path, at, .. } => {
                let shown = locate::display_path(self.world, &path);
                let fix = format!(
                    "aws sts get-caller-identity --profile {} (assumes the role again{})",
                    v.profile,
                    if mfa.is_some() {
                        ", asking for the MFA code"
                    } else {
                        ""
                    }
                );
                if mfa.is_some() {
                    self.expiry_problem(
                        "the cached role credentials' Expiration",
                        &expiry::format(at),
                        Some(shown),
                        &fix,
                        v,
                        problems,
                    );
                } else if at > self.now {
                    v.expires_at = Some(expiry::format(at));
                }
            }
        }
    }

    /// One expiry value: unparseable, past, or within the threshold.
    fn expiry_problem(
        &self,
        what: &str,
        raw: &str,
        location: Option<String>,
        fix: &str,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) {
        let Some(at) = expiry::parse(raw) else {
            problems.push(Problem {
                code: Code::ParseError,
                severity: Severity::Warning,
                location,
                message: format!(
                    "{what} is not a timestamp credguard can read (RFC 3339 expected)"
                ),
                fix: format!("write {what} as 2026-11-22T10:00:00Z"),
            });
            return;
        };
        v.expires_at = Some(expiry::format(at));
        let left = at - self.now;
        if left <= time::Duration::ZERO {
            problems.push(Problem {
                code: Code::Expired,
                severity: Severity::Error,
                location,
                message: format!(
                    "credentials expired at {} ({} ago)",
                    expiry::format(at),
                    expiry::human(-left)
                ),
                fix: fix.to_string(),
            });
        } else if left <= self.config.expiring_threshold() {
            problems.push(Problem {
                code: Code::Expiring,
                severity: Severity::Warning,
                location,
                message: format!(
                    "credentials expire in {} (at {})",
                    expiry::human(left),
                    expiry::format(at)
                ),
                fix: fix.to_string(),
            });
        }
    }

    fn env_entry(&self, env: EnvCreds) -> Diagnosis {
        let mut problems = Vec::new();
        let mut v = ProfileVerdict {
            profile: ENV_PROFILE.into(),
            state: State::Unknown,
            source: SourceKind::Env,
            key_id: env
                .key_id
                .as_deref()
                .map(|k| mask_key_id(&values::without_hidden(k))),
            account: None,
            expected_account: None,
            identity: None,
            expires_at: None,
            problems: Vec::new(),
        };
        match (&env.key_id, &env.secret) {
            (Some(_), None) | (None, Some(_)) => {
                let (set, unset) = if env.key_id.is_some() {
                    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
                } else {
                    ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
                };
                problems.push(Problem {
                    code: Code::PartialEnvCredentials,
                    severity: Severity::Error,
                    location: Some(format!("env {unset}")),
                    message: format!("{set} is set but {unset} is not: the SDK skips the environment and falls through to the profile"),
                    fix: format!("export {unset} too, or `unset {set}`"),
                });
            }
            _ => {}
        }
        for (var, field, value) in [
            ("AWS_ACCESS_KEY_ID", Field::KeyId, env.key_id.as_deref()),
            (
                "AWS_SECRET_ACCESS_KEY",
                Field::Secret,
                env.secret.as_deref(),
            ),
            (env.token_var, Field::Token, env.token.as_deref()),
        ] {
            let Some(value) = value else { continue };
            if let Some(h) = values::find_hidden(value) {
                problems.push(Problem {
                    code: Code::HiddenCharacter,
                    severity: Severity::Error,
                    location: Some(format!("env {var}")),
                    message: format!("{var} {} {} (character {} of {})", h.place(), h.name(), h.index + 1, h.len),
                    fix: format!("export {var} again without the {} (the SDK does not trim environment variables)", h.name()),
                });
            }
            if let Some((code, m)) = format_issue(field, value) {
                problems.push(Problem {
                    code,
                    severity: Severity::Error,
                    location: Some(format!("env {var}")),
                    message: format!("{var} {m}"),
                    fix: format!("export {var} again with the value from the IAM console"),
                });
            }
        }
        if let Some(k) = &env.key_id {
            match (values::key_kind(&values::without_hidden(k)), &env.token) {
                (KeyKind::Temporary, None) => problems.push(Problem {
                    code: Code::MissingSessionToken,
                    severity: Severity::Error,
                    location: Some("env AWS_SESSION_TOKEN".into()),
                    message: "AWS_ACCESS_KEY_ID is a temporary key (ASIA…) but AWS_SESSION_TOKEN is not set".into(),
                    fix: "export AWS_SESSION_TOKEN with the token that came with this key".into(),
                }),
                (KeyKind::LongTerm, Some(_)) => problems.push(Problem {
                    code: Code::StraySessionToken,
                    severity: Severity::Error,
                    location: Some(format!("env {}", env.token_var)),
                    message: format!("AWS_ACCESS_KEY_ID is a long-term key (AKIA…) but {} is set, left over from temporary credentials", env.token_var),
                    fix: format!("unset {}", env.token_var),
                }),
                _ => {}
            }
        }
        for var in expiry::ENV_VARS {
            if let Some(raw) = self.world.var(var) {
                self.expiry_problem(
                    var,
                    raw,
                    Some(format!("env {var}")),
                    "fetch new credentials and export them again",
                    &mut v,
                    &mut problems,
                );
                break;
            }
        }
        let fatal = problems.iter().any(|p| p.severity == Severity::Error);
        let material = match (&env.key_id, &env.secret, fatal) {
            (Some(k), Some(s), false) => Some(Material {
                key_id: k.clone(),
                secret: s.clone(),
                token: env.token.clone(),
                profile: None,
                roles: Vec::new(),
            }),
            _ => None,
        };
        v.state = offline_state(&problems);
        v.problems = problems;
        Diagnosis {
            verdict: v,
            material,
        }
    }
}

/// A key id or secret that is not one (judged without its hidden characters, which are
/// reported on their own).
fn format_issue(field: Field, value: &str) -> Option<(Code, String)> {
    let clean = values::without_hidden(value);
    match field {
        Field::KeyId => values::key_id_problem(&clean).map(|m| (Code::MalformedKeyId, m)),
        Field::Secret => values::secret_problem(&clean).map(|m| (Code::MalformedSecret, m)),
        Field::Token => None,
    }
}

fn skipped(location: Option<String>, message: String) -> Problem {
    Problem {
        code: Code::SkippedByPolicy,
        severity: Severity::Info,
        location,
        message,
        fix: String::new(),
    }
}

fn source_of(chain: &Chain) -> SourceKind {
    if !chain.roles.is_empty() {
        return SourceKind::AssumeRole;
    }
    match &chain.base {
        Base::AccessKey { token: Some(_), .. } => SourceKind::Session,
        Base::AccessKey { .. } => SourceKind::Static,
        Base::NamedSource { name, .. } if name == "Environment" => SourceKind::Env,
        Base::NamedSource { .. } => SourceKind::Named,
        Base::WebIdentity { .. } => SourceKind::WebIdentity,
        Base::Sso { .. } => SourceKind::Sso,
        Base::Process { .. } => SourceKind::Process,
        Base::Login { .. } => SourceKind::Login,
    }
}

/// The environment's credentials as the SDK's env provider reads them: untrimmed.
pub struct EnvCreds {
    pub key_id: Option<String>,
    pub secret: Option<String>,
    pub token: Option<String>,
    pub token_var: &'static str,
}

impl EnvCreds {
    pub fn complete(&self) -> bool {
        self.key_id.is_some() && self.secret.is_some()
    }
}

pub fn env_credentials(world: &World) -> Option<EnvCreds> {
    let key_id = world.var("AWS_ACCESS_KEY_ID").map(str::to_string);
    let secret = world.var("AWS_SECRET_ACCESS_KEY").map(str::to_string);
    if key_id.is_none() && secret.is_none() {
        return None;
    }
    let (token, token_var) = match world.var("AWS_SESSION_TOKEN") {
        Some(t) => (Some(t.to_string()), "AWS_SESSION_TOKEN"),
        None => (
            world.var("AWS_SECURITY_TOKEN").map(str::to_string),
            "AWS_SECURITY_TOKEN",
        ),
    };
    Some(EnvCreds {
        key_id,
        secret,
        token,
        token_var,
    })
}
